import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { toHex } from "../../src/lib/crypto/encoding.ts";
import { hmacSha256 } from "../../src/lib/crypto/hash.ts";
import { message_deliveries } from "../../src/notifications/schema.ts";
import { pollPendingPayments } from "../../src/payments/poller.ts";
import { commissions, momo_transactions, payments, refunds, webhook_events } from "../../src/payments/schema.ts";
import { dead_letters } from "../../src/site/schema.ts";
import stripeFixture from "../fixtures/webhooks/stripe.json";
import fedapayFixture from "../fixtures/webhooks/fedapay.json";
import kkiapayFixture from "../fixtures/webhooks/kkiapay.json";
import { api, expectProblem, freshIp, guestOrder, registerAdmin, registerUser, setRole } from "../support/api.ts";
import { gatedEvent, scanHttp } from "../support/gate.ts";
import { queuesIdle } from "../support/queues.ts";
import { ticketedEvent } from "../support/ticketing.ts";

/**
 * Payments through the public API against the loopback fakes of the
 * providers: the fake builds each callback exactly as the provider would send
 * it, and the test hands it to the Worker (the fake cannot reach the Worker in
 * tests). The `payments` queue and its consumer run for real.
 */
const FAKE = inject("fakePaymentsUrl");
const db = getDb(env.DB);
const HOUR = 3600_000;

interface Webhook {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

async function control<T = any>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${FAKE}/_control/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`fake ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The payer pays (or not) at the provider; returns the callback the provider would send. */
async function settleAtProvider(provider: string, reference: string, status: "PAID" | "FAILED" | "PENDING", extra: Record<string, unknown> = {}): Promise<Webhook> {
  const { webhook } = await control<{ webhook: Webhook }>(`${provider}/settle`, { reference, status, ...extra });
  return webhook;
}

function deliver(webhook: Webhook) {
  const url = new URL(webhook.url);
  return api(webhook.method, url.pathname + url.search, { rawBody: webhook.method === "GET" ? undefined : webhook.body, headers: webhook.headers });
}

/** What `read` gives once the queues have handled every message sent so far; fails unless it is `done`. */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs?: number): Promise<T> {
  await queuesIdle(timeoutMs);
  const value = await read();
  if (!done(value)) throw new Error(`not ${what} once the queues were idle: ${JSON.stringify(value)}`);
  return value;
}

const paymentRow = async (id: string) => (await db.select().from(payments).where(eq(payments.id, id)))[0]!;
const paymentSettled = (id: string) => until(`payment ${id} settled`, () => paymentRow(id), (p) => p.status !== "PENDING" && p.status !== "PROCESSING");

/** A fan with a Benin phone, a held order of `quantity` on an event of `price` XOF. */
async function fanWithOrder(fixture: { eventId: string; configId: string }, quantity = 2) {
  const fan = await registerUser({ phone: "+2290196123456" });
  const order = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity }, ip: freshIp() });
  expect(order.status).toBe(201);
  return { fan, order: order.body };
}

async function payWithMtn(fixture: { eventId: string }, fan: { token: string }, orderId: string) {
  const started = await api("POST", "/v1/payments", {
    token: fan.token,
    body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: orderId }, method: "MOMO_MTN" },
  });
  expect(started.status).toBe(201);
  return started.body as { payment: { id: string; external_reference: string; status: string; amount: number }; next_action: { type: string } };
}

const signed = async (secret: string, t: number, body: string) => toHex(await hmacSha256(secret, `${t}.${body}`));
const unix = () => Math.floor(Date.now() / 1000);

describe("paying an order end to end", () => {
  it("a fan pays two tickets with MTN MoMo, the callback confirms them, and a gate admits the first QR once", async () => {
    const fixture = await gatedEvent({ startsInMs: HOUR, price: 5_000 });
    const { fan, order } = await fanWithOrder(fixture, 2);
    const { payment, next_action } = await payWithMtn(fixture, fan, order.id);
    expect(payment).toMatchObject({ status: "PROCESSING", amount: 10_000 });
    expect(next_action.type).toBe("approve_on_phone");
    // MTN got the request to pay, for the payer's number without '+', in whole francs.
    const atMtn = await control(`mtn/transactions/${payment.external_reference}`);
    expect(atMtn).toMatchObject({ amount: 10_000, currency: "XOF" });

    const webhook = await settleAtProvider("mtn", payment.external_reference, "PAID");
    expect(new URL(webhook.url).pathname).toBe(`/v1/webhooks/mtn-momo/${payment.id}`);
    const ack = await deliver(webhook);
    expect(ack.status).toBe(200);
    expect(ack.body).toEqual({ received: true, duplicate: false });

    expect((await paymentSettled(payment.id)).status).toBe("PAID");
    const confirmed = await api("GET", `/v1/events/${fixture.eventId}/orders/${order.id}`, { token: fan.token });
    expect(confirmed.body.booking_status).toBe("CONFIRMED");
    expect(confirmed.body.payment_id).toBe(payment.id);
    expect(confirmed.body.access_rights).toHaveLength(2);
    const [momo] = await db.select().from(momo_transactions).where(eq(momo_transactions.payment_id, payment.id));
    expect(momo).toMatchObject({ operator: "MTN", status: "SUCCESSFUL", webhook_received: true, phone_number: "+2290196123456" });

    const [first, second] = confirmed.body.access_rights;
    const token = await api("GET", `/v1/me/access-rights/${first.id}/token`, { token: fan.token });
    expect(token.status).toBe(200);
    const qr = await api("GET", `/v1/me/access-rights/${second.id}/qr`, { token: fan.token });
    expect(qr.status).toBe(200);

    const admitted = await scanHttp(fixture, token.body.token);
    expect(admitted.status).toBe(200);
    expect(admitted.body).toMatchObject({ status: "SUCCESS", access_right: { id: first.id, entry_count: 1 } });
    const again = await scanHttp(fixture, token.body.token, { device: "SCANNER-B07" });
    expect(again.body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });
});

describe("starting a payment", () => {
  it("refuses someone else's order, a missing Mobile Money number and unknown fields", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const stranger = await registerUser();
    const target = { type: "TICKET", event_id: fixture.eventId, order_id: order.id };
    expectProblem(await api("POST", "/v1/payments", { token: stranger.token, body: { target, method: "MOMO_MTN", phone: "+2290196123456" } }), 404);
    expectProblem(await api("POST", "/v1/payments", { body: { target, method: "MOMO_MTN", phone: "+2290196123456" } }), 404);
    const noPhone = await registerUser();
    const order2 = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: noPhone.token, body: { config_id: fixture.configId, quantity: 1 }, ip: freshIp() });
    const missing = expectProblem(
      await api("POST", "/v1/payments", { token: noPhone.token, body: { target: { ...target, order_id: order2.body.id }, method: "MOMO_MTN" } }),
      422,
      "validation_failed",
    );
    expect(missing.errors[0]).toMatchObject({ path: "phone", code: "phone_required" });
    const hostile = expectProblem(await api("POST", "/v1/payments", { token: fan.token, body: { target, method: "MOMO_MTN", amount: 1 } }), 422);
    expect(hostile.errors.map((e: { path: string }) => e.path)).toContain("amount");
    expectProblem(await api("POST", "/v1/payments", { token: fan.token, body: { target, method: "CASH" } }), 422);
    expectProblem(await api("POST", "/v1/payments", { token: fan.token, body: { target, method: "MOMO_MTN", provider: "KONNECT" } }), 422, "validation_failed");
  });

  it("returns the waiting attempt when asked again, and an Idempotency-Key replays the first answer", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const body = { target: { type: "TICKET", event_id: fixture.eventId, order_id: order.id }, method: "MOMO_MTN" };
    const first = await api("POST", "/v1/payments", { token: fan.token, body, headers: { "Idempotency-Key": "pay-attempt-0001" } });
    const replay = await api("POST", "/v1/payments", { token: fan.token, body, headers: { "Idempotency-Key": "pay-attempt-0001" } });
    const again = await api("POST", "/v1/payments", { token: fan.token, body });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(replay.status, JSON.stringify(replay.body)).toBe(201);
    expect(replay.body.payment.id).toBe(first.body.payment.id);
    expect(again.body.payment.id).toBe(first.body.payment.id);
    const rows = await db.select().from(payments).where(eq(payments.ticket_id, order.id));
    expect(rows).toHaveLength(1);
  });

  it("lets a guest pay their order by giving its email, and nobody else", async () => {
    const fixture = await ticketedEvent();
    const email = `guest-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const order = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email });
    expect(order.status).toBe(201);
    const target = { type: "TICKET", event_id: fixture.eventId, order_id: order.body.id };
    expectProblem(await api("POST", "/v1/payments", { body: { target, method: "MOMO_MTN", phone: "+2290197000000", guest_email: "other@example.com" } }), 404);
    const paid = await api("POST", "/v1/payments", { body: { target, method: "MOMO_MTN", phone: "+2290197000000", guest_email: email.toUpperCase() } });
    expect(paid.status).toBe(201);
    expect(paid.body.payment.payer_phone).toBe("+2290197000000");
  });

  it("answers 503 when the provider is down, and the hold stays for another attempt", async () => {
    const fixture = await ticketedEvent({ currency: "TND", price: 15_000 });
    const { fan, order } = await fanWithOrder(fixture, 1);
    await control("konnect/fail", { count: 1, status: 503, match: fan.email });
    const down = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: order.id }, method: "CARD" } });
    expectProblem(down, 503, "provider_unavailable");
    expect(down.headers.get("Retry-After")).toBe("30");
    const retry = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: order.id }, method: "CARD" } });
    expect(retry.status).toBe(201);
    expect(retry.body.payment.provider).toBe("KONNECT");
    expect(retry.body.next_action.type).toBe("redirect");
  });
});

describe("webhooks", () => {
  it("confirms an order once when the same callback comes ten times concurrently, out of order with a failure", async () => {
    const fixture = await ticketedEvent({ cancellationAllowed: false });
    const { fan, order } = await fanWithOrder(fixture, 2);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    const success = await settleAtProvider("mtn", payment.external_reference, "PAID");
    // A failure notice for the same payment, as a confused operator might send after the success.
    const failure: Webhook = { ...success, body: JSON.stringify({ ...JSON.parse(success.body), status: "FAILED", reason: "APPROVAL_REJECTED" }) };
    const deliveries = [...Array.from({ length: 10 }, () => success), failure, failure, failure].sort(() => Math.random() - 0.5);
    const acks = await Promise.all(deliveries.map(deliver));
    expect(acks.every((a) => a.status === 200)).toBe(true);
    expect(acks.filter((a) => !a.body.duplicate)).toHaveLength(2);

    expect((await paymentSettled(payment.id)).status).toBe("PAID");
    const events = await until(
      "webhooks processed",
      () => db.select().from(webhook_events).where(eq(webhook_events.payment_id, payment.id)),
      (rows) => rows.length === 2 && rows.every((r) => r.status === "PROCESSED"),
    );
    expect(events).toHaveLength(2);
    const rights = await fixture.stub.listRights({ order_id: order.id });
    expect(rights).toHaveLength(2);
    const messages = await until(
      "the purchase message",
      () => db.select().from(message_deliveries).where(and(eq(message_deliveries.user_id, fan.id), eq(message_deliveries.notification_type, "TICKET_PURCHASED"))),
      (rows) => rows.length >= 3,
    );
    await queuesIdle(); // every duplicate handled
    const final = await db.select().from(message_deliveries).where(and(eq(message_deliveries.user_id, fan.id), eq(message_deliveries.notification_type, "TICKET_PURCHASED")));
    expect(final.map((m) => m.channel).sort()).toEqual(["EMAIL", "IN_APP", "PUSH"]);
    expect(messages.length).toBe(3);
    expect(await db.select().from(commissions).where(eq(commissions.payment_id, payment.id))).toHaveLength(1);
    const availability = await api("GET", `/v1/events/${fixture.eventId}/availability`);
    expect(availability.body.configs[0]).toMatchObject({ sold: 2, held: 0 });
  });

  it("does not confirm when the webhook says paid but the provider still says pending; the poller settles it later", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const started = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: order.id }, method: "CARD", provider: "STRIPE" } });
    expect(started.status).toBe(201);
    const sessionId = started.body.payment.external_reference as string;
    // A forged-but-signed claim that the session is paid (e.g. a replayed event) while Stripe says unpaid.
    const body = JSON.stringify({ id: `evt_${crypto.randomUUID()}`, object: "event", type: "checkout.session.completed", data: { object: { id: sessionId, object: "checkout.session", payment_status: "paid", amount_total: 5000, currency: "xof" } } });
    const t = unix();
    const ack = await api("POST", "/v1/webhooks/stripe", { rawBody: body, headers: { "Content-Type": "application/json", "Stripe-Signature": `t=${t},v1=${await signed("whsec_testsecret", t, body)}` } });
    expect(ack.status).toBe(200);
    const [event] = await until(
      "the webhook to be processed",
      () => db.select().from(webhook_events).where(eq(webhook_events.payment_id, started.body.payment.id)),
      (rows) => rows[0]?.status === "PROCESSED",
    );
    expect(event!.error).toMatch(/pending/);
    expect((await paymentRow(started.body.payment.id)).status).toBe("PROCESSING");
    expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("PENDING");

    // The payer completes the checkout; no callback reaches us; the poller asks Stripe.
    await settleAtProvider("stripe", sessionId, "PAID");
    expect(await pollPendingPayments(env, new Date(Date.now() + 5 * 60_000).toISOString())).toBeGreaterThanOrEqual(1);
    expect((await paymentSettled(started.body.payment.id)).status).toBe("PAID");
    expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("CONFIRMED");
  });

  it("resolves an MTN payment whose callback never came, through the poller", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    await settleAtProvider("mtn", payment.external_reference, "PAID"); // the callback is lost
    expect(await pollPendingPayments(env)).toBe(0); // too early: a callback usually comes within the minute
    await pollPendingPayments(env, new Date(Date.now() + 5 * 60_000).toISOString());
    expect((await paymentSettled(payment.id)).status).toBe("PAID");
    expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("CONFIRMED");
    const after = await paymentRow(payment.id);
    expect(after.check_count).toBeGreaterThanOrEqual(1);
  });

  it("issues nothing when the provider reports another amount or currency", async () => {
    const fixture = await ticketedEvent();
    for (const change of [{ amount: 4_000 }, { currency: "EUR" }]) {
      const { fan, order } = await fanWithOrder(fixture, 1);
      const { payment } = await payWithMtn(fixture, fan, order.id);
      await deliver(await settleAtProvider("mtn", payment.external_reference, "PAID", change));
      const settled = await paymentSettled(payment.id);
      expect(settled.status).toBe("FAILED");
      expect(settled.failure_reason).toMatch("amount" in change ? /^amount_mismatch/ : /^currency_mismatch/);
      expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("PENDING");
      const [event] = await until("webhook outcome", () => db.select().from(webhook_events).where(eq(webhook_events.payment_id, payment.id)), (rows) => rows[0]?.status === "FAILED");
      expect(event!.error).toMatch(/mismatch/);
    }
  });

  it("answers 200 to a callback for an unknown reference and keeps it as IGNORED", async () => {
    const unknown = crypto.randomUUID();
    const body = JSON.stringify({ financialTransactionId: "1", externalId: "nope", amount: "5000", currency: "XOF", status: "SUCCESSFUL" });
    const ack = await api("PUT", `/v1/webhooks/mtn-momo/${unknown}`, { rawBody: body, headers: { "Content-Type": "application/json" } });
    expect(ack.status).toBe(200);
    const [row] = await db.select().from(webhook_events).where(eq(webhook_events.raw_body, body));
    expect(row).toMatchObject({ status: "IGNORED", error: "unknown_reference", payment_id: null, signature_valid: false });
    expectProblem(await api("POST", "/v1/webhooks/paypal", { rawBody: body }), 422);
  });

  it("releases the hold when the payment fails, and tells the fan", async () => {
    const fixture = await ticketedEvent({ quantity: 3 });
    const { fan, order } = await fanWithOrder(fixture, 3);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    await deliver(await settleAtProvider("mtn", payment.external_reference, "FAILED"));
    const failed = await paymentSettled(payment.id);
    expect(failed).toMatchObject({ status: "FAILED", failure_reason: "APPROVAL_REJECTED" });
    expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("CANCELLED");
    const availability = await api("GET", `/v1/events/${fixture.eventId}/availability`);
    expect(availability.body.configs[0].available).toBe(3);
    await until("the failure message", () => db.select().from(message_deliveries).where(and(eq(message_deliveries.user_id, fan.id), eq(message_deliveries.notification_type, "PAYMENT_FAILED"))), (rows) => rows.length === 3);
  });

  it("refunds a payment that arrives for an order cancelled meanwhile", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders/${order.id}/cancel`, { token: fan.token, body: { reason: "changed my mind" } })).status).toBe(200);
    await deliver(await settleAtProvider("mtn", payment.external_reference, "PAID"));
    expect((await paymentSettled(payment.id)).status).toBe("PAID");
    const [refund] = await until("the automatic refund", () => db.select().from(refunds).where(eq(refunds.payment_id, payment.id)), (rows) => rows.length === 1);
    // MTN Collection has no refund API: the refund waits for a person to pay it back.
    expect(refund).toMatchObject({ status: "APPROVED", reason: "PAYMENT_ERROR", amount: 5_000 });
    expect(refund!.description).toMatch(/order_cancelled/);
    expect(await fixture.stub.listRights({ order_id: order.id })).toHaveLength(0);
  });
});

describe("KkiaPay's widget and provider references", () => {
  async function payInWidget(fixture: { eventId: string; configId: string }) {
    const { fan, order } = await fanWithOrder(fixture, 1);
    const started = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: order.id }, method: "MOMO_MTN", provider: "KKIAPAY" } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.next_action.type).toBe("widget");
    const payment = started.body.payment as { id: string; amount: number; internal_reference: string };
    return { fan, order, payment };
  }
  const report = (fan: { token: string }, paymentId: string, transactionId: string) => api("POST", `/v1/payments/${paymentId}/widget`, { token: fan.token, body: { transaction_id: transactionId } });
  const widgetPaid = (amount: number, data: string) => control<{ transactionId: string; webhook: Webhook }>("kkiapay/pay", { amount, data, status: "PAID" });

  it("never pins a payment to a wrong or foreign transaction id: the genuine one and its signed webhook confirm it", async () => {
    const fixture = await ticketedEvent();
    const mine = await payInWidget(fixture);
    const other = await payInWidget(fixture);
    const foreign = await widgetPaid(other.payment.amount, other.payment.internal_reference);

    const unknown = expectProblem(await report(mine.fan, mine.payment.id, "KKP-NOT-A-TRANSACTION"), 422, "validation_failed");
    expect(unknown.errors).toEqual([expect.objectContaining({ path: "transaction_id", code: "transaction_unknown" })]);
    // Another payment's transaction (before: a 500 once that payment held it, or this payment pinned to it for good).
    const mismatch = expectProblem(await report(mine.fan, mine.payment.id, foreign.transactionId), 422, "validation_failed");
    expect(mismatch.errors).toEqual([expect.objectContaining({ path: "transaction_id", code: "transaction_mismatch" })]);
    expect(await paymentRow(mine.payment.id)).toMatchObject({ external_reference: null, status: "PROCESSING" });

    const genuine = await widgetPaid(mine.payment.amount, mine.payment.internal_reference);
    expect((await deliver(genuine.webhook)).status).toBe(200);
    expect(await paymentSettled(mine.payment.id)).toMatchObject({ status: "PAID", external_reference: genuine.transactionId });
    expect((await fixture.stub.getOrder(mine.order.id))!.booking_status).toBe("CONFIRMED");
    // The payer's app reporting it too changes nothing; the other payment still gets its own.
    expect((await report(mine.fan, mine.payment.id, genuine.transactionId)).body).toMatchObject({ status: "PAID" });
    expect((await report(other.fan, other.payment.id, genuine.transactionId)).status).toBe(422);
    expect((await report(other.fan, other.payment.id, foreign.transactionId)).body).toMatchObject({ status: "PAID" });
    expect((await fixture.stub.getOrder(other.order.id))!.booking_status).toBe("CONFIRMED");
  });

  it("answers a provider id that another payment already holds with 502 provider_reference_conflict, not 500, and stops only that attempt", async () => {
    const fixture = await ticketedEvent();
    const pay = (fan: { token: string }, orderId: string) =>
      api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: orderId }, method: "MOMO_MOOV" } });
    const first = await fanWithOrder(fixture, 1);
    const taken = await pay(first.fan, first.order.id);
    expect(taken.status).toBe(201);
    expect(taken.body.payment.provider).toBe("FEDAPAY");
    // FedaPay (or a fake that lost its numbering) hands the same id out again.
    await control("fedapay/repeat-id", { id: taken.body.payment.external_reference });
    const second = await fanWithOrder(fixture, 1);
    const refused = expectProblem(await pay(second.fan, second.order.id), 502, "provider_reference_conflict");
    expect(refused.detail).toContain(taken.body.payment.external_reference);
    const [attempt] = await db.select().from(payments).where(eq(payments.ticket_id, second.order.id));
    expect(attempt).toMatchObject({ status: "FAILED", external_reference: null, failure_reason: expect.stringMatching(/^provider_reference_conflict/) });
    expect(await paymentRow(taken.body.payment.id)).toMatchObject({ status: "PROCESSING", external_reference: taken.body.payment.external_reference });
    // The hold stays for another attempt, which gets a new id.
    expect((await fixture.stub.getOrder(second.order.id))!.booking_status).toBe("PENDING");
    const retried = await pay(second.fan, second.order.id);
    expect(retried.status).toBe(201);
    expect(retried.body.payment.external_reference).not.toBe(taken.body.payment.external_reference);
  });
});

describe("webhook signatures at the endpoint", () => {
  const fresh = async (secret: string, body: string, offsetSeconds = 0) => {
    const t = unix() + offsetSeconds;
    return { t, sig: await signed(secret, t, body) };
  };

  it("Stripe: a fixture vector is stale today; bad, future, re-serialised and unsigned deliveries are refused", async () => {
    const body = stripeFixture.body;
    const post = (headers: Record<string, string>, raw = body) => api("POST", "/v1/webhooks/stripe", { rawBody: raw, headers: { "Content-Type": "application/json", ...headers } });
    expectProblem(await post({ "Stripe-Signature": stripeFixture.header }), 401, "webhook_stale_timestamp");
    const future = await fresh(stripeFixture.secret, body, 3600);
    expectProblem(await post({ "Stripe-Signature": `t=${future.t},v1=${future.sig}` }), 401, "webhook_future_timestamp");
    const now = await fresh(stripeFixture.secret, body);
    expectProblem(await post({ "Stripe-Signature": `t=${now.t},v1=${"0".repeat(64)}` }), 401, "webhook_bad_signature");
    // The same event re-serialised (indented, as a proxy or framework might) no longer matches its signature.
    expectProblem(await post({ "Stripe-Signature": `t=${now.t},v1=${now.sig}` }, JSON.stringify(JSON.parse(body), null, 2)), 401, "webhook_bad_signature");
    expectProblem(await post({}), 401, "webhook_missing_signature");
    // Signed now: accepted, for a session we never created → kept as IGNORED.
    const ok = await post({ "Stripe-Signature": `t=${now.t},v1=${now.sig}` });
    expect(ok.status).toBe(200);
    const duplicate = await post({ "Stripe-Signature": `t=${now.t},v1=${now.sig}` });
    expect(duplicate.body.duplicate).toBe(true);
    const rows = await db.select().from(webhook_events).where(and(eq(webhook_events.provider, "STRIPE"), eq(webhook_events.provider_event_id, "evt_test_1")));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "IGNORED", signature_valid: true });
  });

  it("FedaPay and KkiaPay: wrong signatures and secrets are refused, right ones accepted", async () => {
    const body = fedapayFixture.body;
    const post = (headers: Record<string, string>) => api("POST", "/v1/webhooks/fedapay", { rawBody: body, headers: { "Content-Type": "application/json", ...headers } });
    expectProblem(await post({ "X-FEDAPAY-SIGNATURE": fedapayFixture.header }), 401, "webhook_stale_timestamp");
    const now = await fresh(fedapayFixture.secret, body);
    expectProblem(await post({ "X-FEDAPAY-SIGNATURE": `t=${now.t},s=${now.sig.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}` }), 401, "webhook_bad_signature");
    expect((await post({ "X-FEDAPAY-SIGNATURE": `t=${now.t},s=${now.sig}` })).status).toBe(200);

    const kkiapay = (secret: string) => api("POST", "/v1/webhooks/kkiapay", { rawBody: kkiapayFixture.body, headers: { "Content-Type": "application/json", "x-kkiapay-secret": secret } });
    expectProblem(await kkiapay("not-the-secret"), 401, "webhook_bad_signature");
    expect((await kkiapay(kkiapayFixture.secret)).status).toBe(200);
    const [stored] = await db.select().from(webhook_events).where(eq(webhook_events.provider, "KKIAPAY"));
    // The shared secret is never stored with the event.
    expect(Object.keys(stored!.headers)).not.toContain("x-kkiapay-secret");
  });
});

describe("the payments queue", () => {
  it("retries a settle that keeps failing, then dead-letters it; an admin replays it once the provider is back", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    const webhook = await settleAtProvider("mtn", payment.external_reference, "PAID");
    // MTN's status API answers 500 to every question about this payment for a while.
    await control("mtn/fail", { count: 50, status: 500, match: payment.external_reference });
    expect((await deliver(webhook)).status).toBe(200);
    const [letter] = await until(
      "the dead letter",
      () => db.select().from(dead_letters).where(eq(dead_letters.queue, "payments")),
      (rows) => rows.some((r) => (r.body as { payment_id?: string }).payment_id === payment.id),
      30_000,
    ).then((rows) => rows.filter((r) => (r.body as { payment_id?: string }).payment_id === payment.id));
    expect(letter!.body).toMatchObject({ kind: "settle", payment_id: payment.id });
    expect((await paymentRow(payment.id)).status).toBe("PROCESSING");
    const [event] = await until("the webhook marked FAILED", () => db.select().from(webhook_events).where(eq(webhook_events.payment_id, payment.id)), (rows) => rows[0]?.status === "FAILED");
    // The first delivery and the queue's six retries each asked MTN.
    expect(event!.attempts).toBe(7);

    await control("mtn/fail", { count: 0, status: 500, match: payment.external_reference });
    const admin = await registerAdmin();
    const fanToken = fan.token;
    expectProblem(await api("POST", `/v1/admin/dead-letters/${letter!.id}/replay`, { token: fanToken }), 403);
    const replay = await api("POST", `/v1/admin/dead-letters/${letter!.id}/replay`, { token: admin.token });
    expect(replay.status).toBe(200);
    expect(replay.body.replayed_at).not.toBeNull();
    expect((await paymentSettled(payment.id)).status).toBe("PAID");
    expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("CONFIRMED");
  });
});

describe("reading payments", () => {
  it("shows a payment to its payer and the event's organizer, not to others; admins list all", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    expect((await api("GET", `/v1/payments/${payment.id}`, { token: fan.token })).body.id).toBe(payment.id);
    const stranger = await registerUser();
    expectProblem(await api("GET", `/v1/payments/${payment.id}`, { token: stranger.token }), 404);
    await setRole(stranger.id, "ORGANIZER");
    expectProblem(await api("GET", `/v1/payments/${payment.id}`, { token: stranger.token }), 404);
    const mine = await api("GET", "/v1/me/payments", { token: fan.token });
    expect(mine.body.data.map((p: { id: string }) => p.id)).toEqual([payment.id]);
    expect(mine.body.data[0]).not.toHaveProperty("idempotency_key");
    expectProblem(await api("GET", "/v1/admin/payments", { token: fan.token }), 403);
    const admin = await registerAdmin();
    const all = await api("GET", "/v1/admin/payments?status=PROCESSING&limit=100", { token: admin.token });
    expect(all.body.data.some((p: { id: string }) => p.id === payment.id)).toBe(true);
  });

  it("checks with the provider on the payer's request", async () => {
    const fixture = await ticketedEvent();
    const { fan, order } = await fanWithOrder(fixture, 1);
    const { payment } = await payWithMtn(fixture, fan, order.id);
    const pending = await api("POST", `/v1/payments/${payment.id}/check`, { token: fan.token });
    expect(pending.body.status).toBe("PROCESSING");
    await settleAtProvider("mtn", payment.external_reference, "PAID");
    const paid = await api("POST", `/v1/payments/${payment.id}/check`, { token: fan.token });
    expect(paid.body.status).toBe("PAID");
    expect((await fixture.stub.getOrder(order.id))!.booking_status).toBe("CONFIRMED");
  });
});
