import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { completeAttendedOrders } from "../../src/orders/completion.ts";
import { advanceClock } from "../support/clock.ts";
import { gatedEvent, rightsWithTokens, scanHttp } from "../support/gate.ts";

const HOUR = 3600_000;

afterEach(() => {
  vi.useRealTimers();
});

const bookingStatus = async (orderId: string) =>
  (await env.DB.prepare("SELECT booking_status FROM tickets WHERE id = ?").bind(orderId).first<{ booking_status: string }>())?.booking_status;

async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController(), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("booking_status COMPLETED", () => {
  it("the cron completes, after the event, the orders a gate let in; unused orders stay CONFIRMED; a second run changes nothing", async () => {
    // Doors opened an hour ago; the event ends in four hours.
    const fixture = await gatedEvent({ startsInMs: HOUR });
    const attended = await rightsWithTokens(fixture, 2);
    const noShow = await rightsWithTokens(fixture, 1);
    const scan = await scanHttp(fixture, attended.rights[0]!.token);
    expect(scan.body.status, JSON.stringify(scan.body)).toBe("SUCCESS");
    await fixture.stub.flushProjection();
    const attendedOrder = attended.rights[0]!.order_id!;
    const noShowOrder = noShow.rights[0]!.order_id!;

    // Before the end, the cron leaves them alone and the object completes nothing.
    await runCron();
    expect(await bookingStatus(attendedOrder)).toBe("CONFIRMED");
    expect(await fixture.stub.completeAttendedOrders()).toEqual({ ok: true, completed: 0 });

    advanceClock(5 * HOUR);
    await runCron();
    expect(await bookingStatus(attendedOrder)).toBe("COMPLETED");
    expect(await bookingStatus(noShowOrder)).toBe("CONFIRMED");
    expect((await fixture.stub.getOrder(attendedOrder))?.booking_status).toBe("COMPLETED");
    expect(await completeAttendedOrders(env)).toEqual({ events: 0, completed: 0, failed: 0 });
    expect(await fixture.stub.completeAttendedOrders()).toMatchObject({ ok: true, completed: 0 });
  });

  it("a completed order is closed: not cancelled, not refunded, not paid again; confirming it again answers as already confirmed", async () => {
    const fixture = await gatedEvent({ startsInMs: HOUR, cancellationAllowed: true });
    const { rights } = await rightsWithTokens(fixture, 1);
    expect((await scanHttp(fixture, rights[0]!.token)).body.status).toBe("SUCCESS");
    const orderId = rights[0]!.order_id!;
    const after = Date.now() + 5 * HOUR;
    expect(await fixture.stub.completeAttendedOrders(after)).toMatchObject({ ok: true, completed: 1 });
    expect(await fixture.stub.cancelOrder(orderId, "too late", null, after)).toMatchObject({ ok: false, problem: { status: 409, code: "order_closed" } });
    expect(await fixture.stub.cancelForRefund(orderId, "refund", null, false, after)).toMatchObject({ ok: false, problem: { code: "tickets_used" } });
    expect(await fixture.stub.confirmOrder({ order_id: orderId, payment_id: null, confirmed_by: null, now: after })).toMatchObject({ ok: true, already_confirmed: true, order: { booking_status: "COMPLETED" } });
    expect((await fixture.stub.availability(after)).configs[0]).toMatchObject({ sold: 1, held: 0 });
  });
});
