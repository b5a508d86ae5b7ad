import { env } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventStub } from "../../durable-objects/event/client.ts";
import { access_rights, access_transactions_log } from "../../src/access/schema.ts";
import { getDb } from "../../src/db/client.ts";
import { refundCancelledEvent } from "../../src/payments/refunds.ts";
import {
  api,
  buyAndPay,
  eventually,
  expectProblem,
  fakePayments,
  freshIp,
  registerAdmin,
  registerMember,
  registerOrganizer,
  registerUser,
  sellingEvent,
  waitForMessage,
} from "../support/api.ts";
import { queuesIdle } from "../support/queues.ts";
import { gatedEvent, scanHttp } from "../support/gate.ts";
import { createUsers, giveFixture, orderRequest, ticketedEvent } from "../support/ticketing.ts";

type User = Awaited<ReturnType<typeof registerUser>>;

/** An organizer selling tickets (5 000 XOF each), an admin, and a fan who bought and paid `quantity` of them. */
async function paidOrder(options: { quantity?: number; provider?: "STRIPE" | "MTN_MOMO"; cancellationAllowed?: boolean } = {}) {
  const organizer = await registerOrganizer({ plan: null });
  const admin = await registerAdmin();
  const fan = await registerUser();
  const event = await sellingEvent(organizer, admin, { cancellationAllowed: options.cancellationAllowed });
  const { orderId, payment } = await buyAndPay(fan, event, options);
  return { organizer, admin, fan, event, orderId, payment };
}

const askRefund = (fan: User, paymentId: string, body: Record<string, unknown> = { reason: "CUSTOMER_REQUEST", description: "Je ne peux plus venir." }) =>
  api("POST", `/v1/payments/${paymentId}/refunds`, { token: fan.token, body });

async function askedRefund(fan: User, paymentId: string) {
  const res = await askRefund(fan, paymentId);
  if (res.status !== 201) throw new Error(`refund request: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const readRefund = (token: string, refundId: string) => api("GET", `/v1/refunds/${refundId}`, { token });

/** Waits for the payments queue to bring a refund to `status`. */
const refundReaches = (token: string, refundId: string, status: string) =>
  eventually(async () => {
    const res = await readRefund(token, refundId);
    return res.body.status === status && res.body;
  }, `refund ${refundId} ${status}`);

const orderOf = (token: string, eventId: string, orderId: string) => api("GET", `/v1/events/${eventId}/orders/${orderId}`, { token });
const stripeTransaction = (reference: string) => fakePayments("GET", `/_control/stripe/transactions/${reference}`);
const commissionsOf = async (organizer: User, eventId: string) => (await api("GET", `/v1/me/commissions?event_id=${eventId}`, { token: organizer.token })).body.data;
const refundPayments = async (fan: User, originalId: string) =>
  (await api("GET", "/v1/me/payments?type=REFUND", { token: fan.token })).body.data.filter((p: { original_payment_id: string }) => p.original_payment_id === originalId);

describe("who sees and decides a refund", () => {
  it("shows a fan's request to the event's organizer and admins, never to another organizer or fan", async () => {
    const { organizer, admin, fan, payment } = await paidOrder();
    const refund = await askedRefund(fan, payment.id);
    expect(refund).toMatchObject({ payment_id: payment.id, status: "REQUESTED", amount: payment.amount, currency: "XOF", requested_by: fan.id, reason: "CUSTOMER_REQUEST" });

    const ids = async (token: string) => (await api("GET", "/v1/refunds", { token })).body.data.map((r: { id: string }) => r.id);
    expect(await ids(organizer.token)).toContain(refund.id);
    expect(await ids(admin.token)).toContain(refund.id);
    const other = await registerOrganizer({ plan: null });
    expect(await ids(other.token)).not.toContain(refund.id);
    expectProblem(await readRefund(other.token, refund.id), 404);
    expect((await readRefund(organizer.token, refund.id)).body.id).toBe(refund.id);

    // A plain user has no refunds to decide on; another fan cannot read this one or ask on this payment.
    const stranger = await registerUser();
    expect((await api("GET", "/v1/refunds", { token: stranger.token })).body.data).toEqual([]);
    expectProblem(await readRefund(stranger.token, refund.id), 404);
    expectProblem(await askRefund(stranger, payment.id), 404);
    expect((await api("GET", "/v1/me/refunds", { token: fan.token })).body.data.map((r: { id: string }) => r.id)).toEqual([refund.id]);
    expect((await api("GET", "/v1/me/refunds", { token: stranger.token })).body.data).toEqual([]);
  });

  it("lets neither another organizer, the fan, nor members without refunds.manage approve, reject or complete it", async () => {
    const { organizer, fan, payment } = await paidOrder();
    const refund = await askedRefund(fan, payment.id);
    // The selling organization's team: FINANCE reads money and refunds; MANAGER and BOX_OFFICE are refused, not misled.
    const finance = await registerMember(organizer.organizationId, "FINANCE");
    expect((await readRefund(finance.token, refund.id)).body.id).toBe(refund.id);
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: finance.token })).status).toBe(200);
    for (const role of ["MANAGER", "BOX_OFFICE"] as const) {
      const member = await registerMember(organizer.organizationId, role);
      expect(expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: member.token, body: {} }), 403).detail).toContain("refunds.manage");
      expectProblem(await api("GET", `/v1/payments/${payment.id}`, { token: member.token }), 403);
    }
    const other = await registerOrganizer({ plan: null });
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: other.token, body: {} }), 404);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/reject`, { token: other.token, body: { comment: "non" } }), 404);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/complete`, { token: other.token, body: {} }), 404);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: fan.token, body: {} }), 403);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/complete`, { token: fan.token, body: {} }), 403);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { body: {} }), 401);
    expect((await readRefund(fan.token, refund.id)).body.status).toBe("REQUESTED");
    // Nothing was taken back.
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.status).toBe("PAID");
  });

  it("refuses hostile and impossible requests", async () => {
    const { admin, fan, payment } = await paidOrder();
    expectProblem(await askRefund(fan, payment.id, { reason: "EVENT_CANCELLED" }), 422);
    expectProblem(await askRefund(fan, payment.id, { reason: "CUSTOMER_REQUEST", amount: 1 }), 422);
    expectProblem(await askRefund(fan, crypto.randomUUID()), 404);
    expectProblem(await api("POST", "/v1/payments/not-a-uuid/refunds", { token: fan.token, body: { reason: "OTHER" } }), 422);
    const refund = await askedRefund(fan, payment.id);
    for (const amount of [0, -5, 1.5, payment.amount + 1]) {
      expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: admin.token, body: { amount } }), 422);
    }
    expect((await readRefund(fan.token, refund.id)).body.status).toBe("REQUESTED");
  });
});

describe("approving a refund", () => {
  it("cancels the rights, puts the units back, refunds at Stripe and closes the payment and its commission", async () => {
    const { organizer, fan, event, orderId, payment } = await paidOrder({ quantity: 2 });
    const before = await orderOf(fan.token, event.eventId, orderId);
    expect(before.body.access_rights.map((r: { status: string }) => r.status)).toEqual(["ENABLED", "ENABLED"]);
    expect((await api("GET", `/v1/events/${event.eventId}/availability`)).body.configs[0]).toMatchObject({ sold: 2, available: 98 });
    const [commission] = await commissionsOf(organizer, event.eventId);
    expect(commission).toMatchObject({ payment_id: payment.id, status: "CALCULATED" });

    const refund = await askedRefund(fan, payment.id);
    const approved = await api("POST", `/v1/refunds/${refund.id}/approve`, { token: organizer.token, body: { comment: "Accordé" } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: "APPROVED", processed_by: organizer.id, admin_comment: "Accordé", amount: payment.amount });

    const order = await orderOf(fan.token, event.eventId, orderId);
    expect(order.body.booking_status).toBe("CANCELLED");
    expect(order.body.access_rights.map((r: { status: string }) => r.status)).toEqual(["CANCELLED", "CANCELLED"]);
    // Live from the EventDO: the public route may answer up to 1 s old.
    expect((await eventStub(env, event.eventId).availability()).configs[0]).toMatchObject({ sold: 0, available: 100 });

    const done = await refundReaches(fan.token, refund.id, "REFUNDED");
    expect(done.refund_payment_id).toMatch(/^[0-9a-f-]{36}$/);
    const atStripe = await stripeTransaction(payment.external_reference);
    expect(atStripe.refunds).toHaveLength(1);
    expect(atStripe.refunds[0].amount).toBe(payment.amount);

    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "REFUNDED", refunded_amount: payment.amount });
    const [back] = await refundPayments(fan, payment.id);
    expect(back).toMatchObject({ id: done.refund_payment_id, type: "REFUND", status: "PAID", amount: payment.amount, provider: "STRIPE" });
    expect((await commissionsOf(organizer, event.eventId))[0]).toMatchObject({ id: commission.id, status: "CANCELLED" });
    const message = await waitForMessage(fan.id, "REFUND_COMPLETED");
    expect(message.data).toMatchObject({ amount: { amount: payment.amount, currency: "XOF" }, reference: payment.internal_reference });
    // The amount as the fan reads it, in their currency's format (not "10000 XOF").
    expect(message.body!.replace(/\s/g, " ")).toContain("10 000 FCFA");

    // Each right's cancellation is in the transactions log, once.
    const rightIds = before.body.access_rights.map((r: { id: string }) => r.id);
    const log = await eventually(async () => {
      const rows = await getDb(env.DB)
        .select()
        .from(access_transactions_log)
        .where(and(inArray(access_transactions_log.access_right_id, rightIds), eq(access_transactions_log.transaction_type, "CANCEL")));
      return rows.length === 2 && rows;
    }, "CANCEL in the transactions log");
    expect(new Set(log.map((row) => row.access_right_id))).toEqual(new Set(rightIds));

    // Decided once: approving or rejecting again is a conflict, and the money went back once.
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: organizer.token, body: {} }), 409, "refund_not_requested");
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/reject`, { token: organizer.token, body: { comment: "trop tard" } }), 409, "refund_not_requested");
    expect((await stripeTransaction(payment.external_reference)).refunds).toHaveLength(1);
    // A refunded payment cannot be refunded again.
    expectProblem(await askRefund(fan, payment.id), 409, "not_refundable");
  });

  it("leaves an MTN refund APPROVED until the organizer records it paid back by hand", async () => {
    const { organizer, fan, event, orderId, payment } = await paidOrder({ provider: "MTN_MOMO" });
    expect(payment).toMatchObject({ provider: "MTN_MOMO", status: "PAID" });
    const refund = await askedRefund(fan, payment.id);
    expect((await api("POST", `/v1/refunds/${refund.id}/approve`, { token: organizer.token, body: {} })).status).toBe(200);
    expect((await orderOf(fan.token, event.eventId, orderId)).body.access_rights[0].status).toBe("CANCELLED");

    // Once the queue has run: MTN Collection has no refund API, so nothing moved.
    await queuesIdle();
    expect((await readRefund(fan.token, refund.id)).body.status).toBe("APPROVED");
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "PAID", refunded_amount: 0 });

    const stranger = await registerOrganizer({ plan: null });
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/complete`, { token: stranger.token, body: {} }), 404);
    const completed = await api("POST", `/v1/refunds/${refund.id}/complete`, { token: organizer.token, body: { external_reference: "MTN-TRANSFER-0042" } });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: "REFUNDED", processed_by: organizer.id });
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "REFUNDED", refunded_amount: payment.amount });
    await waitForMessage(fan.id, "REFUND_COMPLETED");

    // Recording it twice records one refund payment.
    expect((await api("POST", `/v1/refunds/${refund.id}/complete`, { token: organizer.token, body: { external_reference: "MTN-TRANSFER-0042" } })).body.status).toBe("REFUNDED");
    const rows = await refundPayments(fan, payment.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: "REFUND", amount: payment.amount, external_reference: "MTN-TRANSFER-0042" });
  });

  it("refuses to complete a refund nobody approved", async () => {
    const { organizer, fan, payment } = await paidOrder({ provider: "MTN_MOMO" });
    const refund = await askedRefund(fan, payment.id);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/complete`, { token: organizer.token, body: {} }), 409, "refund_not_approved");
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.status).toBe("PAID");
  });

  it("approves less than asked: the payment is partly refunded and the commission follows what was kept", async () => {
    const { organizer, fan, event, payment } = await paidOrder({ quantity: 2 });
    expect(payment.amount).toBe(10_000);
    const refund = await askedRefund(fan, payment.id);
    const approved = await api("POST", `/v1/refunds/${refund.id}/approve`, { token: organizer.token, body: { amount: 4_000, comment: "Frais de service retenus" } });
    expect(approved.body).toMatchObject({ status: "APPROVED", amount: 4_000 });
    await refundReaches(fan.token, refund.id, "REFUNDED");

    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "PARTIALLY_REFUNDED", refunded_amount: 4_000 });
    expect((await stripeTransaction(payment.external_reference)).refunds.map((r: { amount: number }) => r.amount)).toEqual([4_000]);
    // 500 bp of the 6 000 kept.
    expect((await commissionsOf(organizer, event.eventId))[0]).toMatchObject({ status: "CALCULATED", base_amount: 6_000, commission_rate_bp: 500, commission_amount: 300 });
    expect((await waitForMessage(fan.id, "REFUND_COMPLETED")).data).toMatchObject({ amount: { amount: 4000, currency: "XOF" } });

    // The rest can still be asked for, and then the commission goes.
    const rest = await askedRefund(fan, payment.id);
    expect(rest.amount).toBe(6_000);
    expect((await api("POST", `/v1/refunds/${rest.id}/approve`, { token: organizer.token, body: {} })).status).toBe(200);
    await refundReaches(fan.token, rest.id, "REFUNDED");
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "REFUNDED", refunded_amount: 10_000 });
    expect((await stripeTransaction(payment.external_reference)).refunds.map((r: { amount: number }) => r.amount)).toEqual([4_000, 6_000]);
    expect((await commissionsOf(organizer, event.eventId))[0].status).toBe("CANCELLED");
    expect(await refundPayments(fan, payment.id)).toHaveLength(2);
  });

  it("is blocked by a ticket already used at the gate", async () => {
    const fixture = await gatedEvent({ startsInMs: 3600_000 });
    const admin = await registerAdmin();
    const fan = await registerUser();
    const { orderId, payment } = await buyAndPay(fan, { eventId: fixture.eventId, configId: fixture.configId });
    const order = await orderOf(fan.token, fixture.eventId, orderId);
    const right = order.body.access_rights[0];
    const token = await api("GET", `/v1/me/access-rights/${right.id}/token`, { token: fan.token });
    expect((await scanHttp(fixture, token.body.token)).body).toMatchObject({ status: "SUCCESS" });

    const refund = await askedRefund(fan, payment.id);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: admin.token, body: {} }), 409, "tickets_used");
    expect((await readRefund(fan.token, refund.id)).body.status).toBe("REQUESTED");
    expect((await orderOf(fan.token, fixture.eventId, orderId)).body.booking_status).toBe("CONFIRMED");
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.status).toBe("PAID");
    expect((await stripeTransaction(payment.external_reference)).refunds).toEqual([]);
    // Rejecting stays possible.
    expect((await api("POST", `/v1/refunds/${refund.id}/reject`, { token: admin.token, body: { comment: "Billet utilisé" } })).body.status).toBe("REJECTED");
  });
});

describe("deciding twice at once", () => {
  it("approve racing reject: the tickets are cancelled exactly when the refund is approved", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const admin = await registerAdmin();
    const event = await sellingEvent(organizer, admin);
    const fans = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser()]);
    const cases = [];
    for (const fan of fans) {
      const { orderId, payment } = await buyAndPay(fan, event);
      cases.push({ fan, orderId, refund: await askedRefund(fan, payment.id) });
    }
    await Promise.all(
      cases.map(async ({ refund }) => {
        const [approve, reject] = await Promise.all([
          api("POST", `/v1/refunds/${refund.id}/approve`, { token: organizer.token, body: {} }),
          api("POST", `/v1/refunds/${refund.id}/reject`, { token: admin.token, body: { comment: "Non" } }),
        ]);
        // Exactly one decision stands; the other is told it came too late.
        expect([approve.status, reject.status].sort()).toEqual([200, 409]);
      }),
    );
    for (const { fan, orderId, refund } of cases) {
      const status = (await readRefund(fan.token, refund.id)).body.status;
      const rights = (await orderOf(fan.token, event.eventId, orderId)).body.access_rights.map((r: { status: string }) => r.status);
      expect({ status, rights }).toEqual(status === "REJECTED" ? { status, rights: ["ENABLED"] } : { status, rights: ["CANCELLED"] });
    }
  });
});

describe("rejecting a refund", () => {
  it("needs a comment, tells the fan why, keeps the tickets, and lets the fan ask again", async () => {
    const { organizer, fan, event, orderId, payment } = await paidOrder();
    const refund = await askedRefund(fan, payment.id);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/reject`, { token: organizer.token, body: {} }), 422);
    expectProblem(await api("POST", `/v1/refunds/${refund.id}/reject`, { token: organizer.token, body: { comment: "" } }), 422);

    const rejected = await api("POST", `/v1/refunds/${refund.id}/reject`, { token: organizer.token, body: { comment: "Hors délai" } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: "REJECTED", admin_comment: "Hors délai", processed_by: organizer.id });
    expect((await waitForMessage(fan.id, "REFUND_REJECTED")).data).toMatchObject({ comment: "Hors délai", reference: payment.internal_reference });

    expectProblem(await api("POST", `/v1/refunds/${refund.id}/approve`, { token: organizer.token, body: {} }), 409, "refund_not_requested");
    expect((await orderOf(fan.token, event.eventId, orderId)).body.access_rights[0].status).toBe("ENABLED");
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "PAID", refunded_amount: 0 });
    expect((await askRefund(fan, payment.id)).status).toBe(201);
  });
});

describe("cancelling a paid order", () => {
  const cancel = (token: string, eventId: string, orderId: string, reason = "Je ne peux plus venir") =>
    api("POST", `/v1/events/${eventId}/orders/${orderId}/cancel`, { token, body: { reason } });

  it("refuses the buyer with refund_required naming the refund route: the order, its rights and the payment stay as they were", async () => {
    // The ticket type allows cancellation: before, the buyer's cancel put the units back on sale and kept the money.
    const { fan, event, orderId, payment } = await paidOrder({ cancellationAllowed: true });
    const refused = expectProblem(await cancel(fan.token, event.eventId, orderId), 409, "refund_required");
    expect(refused.detail).toContain(`/v1/payments/${payment.id}/refunds`);
    const order = await orderOf(fan.token, event.eventId, orderId);
    expect(order.body).toMatchObject({ booking_status: "CONFIRMED", payment_status: "PAID" });
    expect(order.body.access_rights.map((r: { status: string }) => r.status)).toEqual(["ENABLED"]);
    expect((await api("GET", `/v1/events/${event.eventId}/availability`)).body.configs[0]).toMatchObject({ sold: 1 });
    // The route it names works: asking, then approving, cancels the order.
    expect((await askRefund(fan, payment.id)).status).toBe(201);
  });

  it("refunds it when its organizer cancels it: the order is cancelled and the money goes back through the refund flow", async () => {
    const { organizer, fan, event, orderId, payment } = await paidOrder({ quantity: 2 });
    const cancelled = await cancel(organizer.token, event.eventId, orderId, "Tribune fermée");
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.booking_status).toBe("CANCELLED");
    expect((await orderOf(fan.token, event.eventId, orderId)).body.access_rights.map((r: { status: string }) => r.status)).toEqual(["CANCELLED", "CANCELLED"]);
    const [refund] = (await api("GET", "/v1/me/refunds", { token: fan.token })).body.data;
    expect(refund).toMatchObject({ payment_id: payment.id, reason: "OTHER", description: "Order cancelled: Tribune fermée", amount: payment.amount, requested_by: organizer.id, processed_by: organizer.id });
    await refundReaches(fan.token, refund.id, "REFUNDED");
    expect((await stripeTransaction(payment.external_reference)).refunds).toHaveLength(1);
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body).toMatchObject({ status: "REFUNDED", refunded_amount: payment.amount });
    expectProblem(await cancel(organizer.token, event.eventId, orderId), 409, "order_closed");
  });

  it("approves the buyer's own waiting request instead of making a second refund", async () => {
    const { organizer, fan, event, orderId, payment } = await paidOrder();
    const asked = await askedRefund(fan, payment.id);
    expect((await cancel(organizer.token, event.eventId, orderId)).body.booking_status).toBe("CANCELLED");
    const mine = (await api("GET", "/v1/me/refunds", { token: fan.token })).body.data;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ id: asked.id, status: expect.stringMatching(/^(APPROVED|PROCESSING|REFUNDED)$/), processed_by: organizer.id });
  });

  it("needs refunds.manage: a MANAGER gets 403 and nothing changes; a used ticket blocks it and leaves no refund behind", async () => {
    const { organizer, fan, event, orderId, payment } = await paidOrder();
    const manager = await registerMember(organizer.organizationId, "MANAGER");
    expect(expectProblem(await cancel(manager.token, event.eventId, orderId), 403).detail).toContain("refunds.manage");
    expect((await orderOf(fan.token, event.eventId, orderId)).body.booking_status).toBe("CONFIRMED");
    expect((await api("GET", "/v1/me/refunds", { token: fan.token })).body.data).toHaveLength(0);
    const [right] = (await orderOf(fan.token, event.eventId, orderId)).body.access_rights;
    await runInDurableObject(eventStub(env, event.eventId), (_instance, state) => {
      state.storage.sql.exec("UPDATE rights SET status = 'USED' WHERE id = ?", right.id);
    });
    expectProblem(await cancel(organizer.token, event.eventId, orderId), 409, "tickets_used");
    expect((await api("GET", "/v1/me/refunds", { token: fan.token })).body.data).toHaveLength(0);
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.status).toBe("PAID");
  });
});

describe("one open refund per payment", () => {
  it("refuses a second request while the first is open", async () => {
    const { fan, payment } = await paidOrder();
    await askedRefund(fan, payment.id);
    expectProblem(await askRefund(fan, payment.id), 409, "refund_open");
  });

  it("makes exactly one out of five concurrent requests", async () => {
    const { fan, payment } = await paidOrder();
    const results = await Promise.all(Array.from({ length: 5 }, () => askRefund(fan, payment.id)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const res of results.filter((r) => r.status === 409)) expectProblem(res, 409, "refund_open");
    const mine = (await api("GET", "/v1/me/refunds", { token: fan.token })).body.data;
    expect(mine).toHaveLength(1);
  });
});

describe("cancelling an event", () => {
  it("refunds every paid order once, cancels their rights, and refunds nothing for an unpaid hold", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const admin = await registerAdmin();
    const event = await sellingEvent(organizer, admin);
    const fans = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const bought = [];
    for (const [i, fan] of fans.entries()) bought.push(await buyAndPay(fan, event, { quantity: i + 1 }));
    // A fan who only holds tickets (never paid) has nothing to refund.
    const holder = await registerUser();
    const hold = await api("POST", `/v1/events/${event.eventId}/orders`, { token: holder.token, body: { config_id: event.configId, quantity: 1 }, ip: freshIp() });
    expect(hold.status).toBe(201);

    expectProblem(await api("POST", `/v1/events/${event.eventId}/cancel`, { token: (await registerOrganizer({ plan: null })).token, body: { reason: "Tempête" } }), 404);
    expect((await api("POST", `/v1/events/${event.eventId}/cancel`, { token: organizer.token, body: { reason: "Tempête" } })).status).toBe(200);

    for (const [i, fan] of fans.entries()) {
      const { orderId, payment } = bought[i]!;
      await eventually(async () => (await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.status === "REFUNDED", `payment ${i} refunded`);
      const refunds = (await api("GET", "/v1/me/refunds", { token: fan.token })).body.data;
      expect(refunds).toHaveLength(1);
      expect(refunds[0]).toMatchObject({ payment_id: payment.id, reason: "EVENT_CANCELLED", status: "REFUNDED", amount: payment.amount, requested_by: null });
      expect((await stripeTransaction(payment.external_reference)).refunds.map((r: { amount: number }) => r.amount)).toEqual([payment.amount]);
      const order = await orderOf(fan.token, event.eventId, orderId);
      expect(order.body.access_rights).toHaveLength(i + 1);
      expect(order.body.access_rights.every((r: { status: string }) => r.status === "CANCELLED")).toBe(true);
    }
    expect((await api("GET", "/v1/me/refunds", { token: holder.token })).body.data).toEqual([]);

    // Running the cancellation's refunds again (a redelivered message) makes none; the event cannot be cancelled twice.
    expect(await refundCancelledEvent(env, event.eventId)).toEqual({ refunds: 0, more: false });
    expectProblem(await api("POST", `/v1/events/${event.eventId}/cancel`, { token: organizer.token, body: { reason: "Encore" } }), 409);
    await queuesIdle();
    for (const [i, fan] of fans.entries()) {
      expect((await api("GET", "/v1/me/refunds", { token: fan.token })).body.data).toHaveLength(1);
      expect((await stripeTransaction(bought[i]!.payment.external_reference)).refunds).toHaveLength(1);
    }
  });

  it("cancels every right of the event, not only paid orders': free orders, holds, grants and season-pass rights", async () => {
    const fixture = await ticketedEvent({ quantity: 20, price: 0 });
    const organizer = await registerOrganizer({ plan: null });
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    const [buyer, holder, guest, subscriber] = await createUsers(4);
    const free = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2));
    if (!free.ok) throw new Error(free.problem.code);
    expect((await fixture.stub.confirmOrder({ order_id: free.order.id, payment_id: null, confirmed_by: null })).ok).toBe(true);
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, holder!, 1));
    if (!hold.ok) throw new Error(hold.problem.code);
    const comp = await fixture.stub.issueRights({ source_type: "COMP", source_id: crypto.randomUUID(), holders: [{ user_id: guest!, zone_id: null, seat_id: null }], config_id: null, created_by: null });
    const pass = await fixture.stub.issueRights({ source_type: "SUBSCRIPTION", source_id: crypto.randomUUID(), holders: [{ user_id: subscriber!, zone_id: null, seat_id: null }], config_id: null, created_by: null });
    if (!comp.ok || !pass.ok) throw new Error("rights not issued");
    await runInDurableObject(fixture.stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE rights SET status = 'BLOCKED' WHERE id = ?", comp.rights[0]!.id);
    });

    expect((await api("POST", `/v1/events/${fixture.eventId}/cancel`, { token: organizer.token, body: { reason: "Stade fermé" } })).status).toBe(200);

    // Before, these stayed ENABLED (and the hold held) after the event was cancelled.
    for (const userId of [buyer!, guest!, subscriber!]) {
      const rights = await fixture.stub.listRights({ user_id: userId });
      expect(rights.length, userId).toBeGreaterThan(0);
      expect(rights.map((r) => r.status)).toEqual(rights.map(() => "CANCELLED"));
    }
    expect((await fixture.stub.getOrder(free.order.id))!.booking_status).toBe("CANCELLED");
    expect((await fixture.stub.getOrder(hold.order.id))!.booking_status).toBe("CANCELLED");
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ sold: 0, held: 0 });
    // In D1 too, with CANCEL in the transactions log.
    const projected = await getDb(env.DB).select({ status: access_rights.status }).from(access_rights).where(eq(access_rights.event_id, fixture.eventId));
    expect(projected.map((r) => r.status)).toEqual(["CANCELLED", "CANCELLED", "CANCELLED", "CANCELLED"]);
    const cancels = await getDb(env.DB).select().from(access_transactions_log).where(and(inArray(access_transactions_log.access_right_id, [comp.rights[0]!.id, pass.rights[0]!.id]), eq(access_transactions_log.transaction_type, "CANCEL")));
    expect(cancels).toHaveLength(2);
  });

  it("also refunds a fan whose own request was still waiting", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const admin = await registerAdmin();
    const event = await sellingEvent(organizer, admin);
    const fan = await registerUser();
    const { orderId, payment } = await buyAndPay(fan, event);
    const asked = await askedRefund(fan, payment.id);

    expect((await api("POST", `/v1/events/${event.eventId}/cancel`, { token: organizer.token, body: { reason: "Tempête" } })).status).toBe(200);
    await eventually(async () => (await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.status === "REFUNDED", "payment refunded");
    expect((await readRefund(fan.token, asked.id)).body.status).toBe("REFUNDED");
    expect((await api("GET", "/v1/me/refunds", { token: fan.token })).body.data).toHaveLength(1);
    expect((await stripeTransaction(payment.external_reference)).refunds).toHaveLength(1);
    expect((await orderOf(fan.token, event.eventId, orderId)).body.access_rights[0].status).toBe("CANCELLED");
  });
});
