import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { newId } from "../../src/lib/ids.ts";
import { dead_letters } from "../../src/site/schema.ts";
import { audit_log } from "../../src/site/schema.ts";
import { api, eventually, expectProblem, fakePayments, freshIp, registerAdmin, registerOrganizer, registerUser, sellingEvent } from "../support/api.ts";

/** A message a queue gave up on, as the dead-letter consumer records it. */
async function deadLetter(queue: string, body: unknown) {
  const id = newId();
  await getDb(env.DB).insert(dead_letters).values({ id, queue, message_id: `msg-${id}`, body, attempts: 7 });
  return id;
}

const list = (token: string, query = "") => api("GET", `/v1/admin/dead-letters${query}`, { token });
const ids = async (token: string, query = "") => (await list(token, query)).body.data.map((d: { id: string }) => d.id);

describe("dead letters", () => {
  it("are for admins only", async () => {
    const id = await deadLetter("payments", { kind: "refund", refund_id: newId() });
    for (const user of [await registerUser(), await registerOrganizer({ plan: null })]) {
      expectProblem(await list(user.token), 403);
      expectProblem(await api("GET", `/v1/admin/dead-letters/${id}`, { token: user.token }), 403);
      expectProblem(await api("POST", `/v1/admin/dead-letters/${id}/replay`, { token: user.token }), 403);
    }
    expectProblem(await api("GET", "/v1/admin/dead-letters"), 401);
    expectProblem(await api("POST", `/v1/admin/dead-letters/${id}/replay`), 401);
    const [row] = await getDb(env.DB).select().from(dead_letters).where(eq(dead_letters.id, id));
    expect(row!.replayed_at).toBeNull();
  });

  it("are listed by queue and replay state, and read one by one", async () => {
    const admin = await registerAdmin();
    const body = { kind: "settle", payment_id: newId(), webhook_event_id: null };
    const payment = await deadLetter("payments", body);
    const notification = await deadLetter("notifications", { template: "WELCOME" });

    expect(await ids(admin.token, "?queue=payments")).toContain(payment);
    expect(await ids(admin.token, "?queue=payments")).not.toContain(notification);
    expect(await ids(admin.token, "?queue=notifications")).toContain(notification);
    expect(await ids(admin.token, "?replayed=false")).toEqual(expect.arrayContaining([payment, notification]));
    expect(await ids(admin.token, "?replayed=true")).not.toContain(payment);

    const read = await api("GET", `/v1/admin/dead-letters/${payment}`, { token: admin.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: payment, queue: "payments", message_id: `msg-${payment}`, body, attempts: 7, replayed_at: null });
    expectProblem(await api("GET", `/v1/admin/dead-letters/${newId()}`, { token: admin.token }), 404);
    expectProblem(await api("GET", "/v1/admin/dead-letters/not-a-uuid", { token: admin.token }), 422);
    expectProblem(await list(admin.token, "?queue=elsewhere"), 422);
  });

  it("replays a settle message onto the payments queue, which settles the payment, and audits the replay", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const fan = await registerUser();
    const event = await sellingEvent(organizer, admin);
    const order = await api("POST", `/v1/events/${event.eventId}/orders`, { token: fan.token, body: { config_id: event.configId, quantity: 1 }, ip: freshIp() });
    const started = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: event.eventId, order_id: order.body.id }, method: "CARD", provider: "STRIPE" } });
    expect(started.status).toBe(201);
    // The fan paid at Stripe, but the message that would have settled it was given up on.
    await fakePayments("POST", "/_control/stripe/settle", { reference: started.body.payment.external_reference, status: "PAID" });
    const id = await deadLetter("payments", { kind: "settle", payment_id: started.body.payment.id, webhook_event_id: null });
    expect((await api("GET", `/v1/payments/${started.body.payment.id}`, { token: fan.token })).body.status).toBe("PROCESSING");

    const before = Date.now();
    const replayed = await api("POST", `/v1/admin/dead-letters/${id}/replay`, { token: admin.token });
    expect(replayed.status).toBe(200);
    expect(Date.parse(replayed.body.replayed_at)).toBeGreaterThanOrEqual(before - 1000);
    await eventually(async () => (await api("GET", `/v1/payments/${started.body.payment.id}`, { token: fan.token })).body.status === "PAID", "payment PAID");
    await eventually(async () => (await api("GET", `/v1/events/${event.eventId}/orders/${order.body.id}`, { token: fan.token })).body.booking_status === "CONFIRMED", "order CONFIRMED");

    expect(await ids(admin.token, "?replayed=true")).toContain(id);
    expect(await ids(admin.token, "?replayed=false")).not.toContain(id);
    const audit = await getDb(env.DB).select().from(audit_log).where(eq(audit_log.object_id, id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "UPDATE", user_id: admin.id });

    // Replaying again is harmless: the consumer is idempotent, the order stays confirmed once.
    expect((await api("POST", `/v1/admin/dead-letters/${id}/replay`, { token: admin.token })).status).toBe(200);
    const rights = await api("GET", `/v1/events/${event.eventId}/orders/${order.body.id}`, { token: fan.token });
    expect(rights.body.access_rights).toHaveLength(1);
  });

  it("refuses to replay onto a queue that does not exist, and an unknown dead letter", async () => {
    const admin = await registerAdmin();
    const id = await deadLetter("retired-queue", { anything: true });
    expectProblem(await api("POST", `/v1/admin/dead-letters/${id}/replay`, { token: admin.token }), 409, "queue_unknown");
    expect((await api("GET", `/v1/admin/dead-letters/${id}`, { token: admin.token })).body.replayed_at).toBeNull();
    expectProblem(await api("POST", `/v1/admin/dead-letters/${newId()}/replay`, { token: admin.token }), 404);
  });
});
