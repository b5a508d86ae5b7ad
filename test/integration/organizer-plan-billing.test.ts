import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { message_deliveries, type NotificationType } from "../../src/notifications/schema.ts";
import { renewOrganizerPlans } from "../../src/payments/poller.ts";
import { api, eventually, expectProblem, fakePayments, registerAdmin, registerMember, registerOrganizer, registerUser, settleAtProvider, waitForMessage } from "../support/api.ts";
import { addMonths } from "../../src/lib/time.ts";
import { queuesIdle } from "../support/queues.ts";

type User = Awaited<ReturnType<typeof registerUser>>;

const PHONE = "+2290197000042";
const DAY = 86_400_000;

/** An admin's monthly plan at 10 000 XOF, and an organizer who chose it (PENDING). */
async function chosenPlan(autoRenew: boolean) {
  const admin = await registerAdmin();
  const organizer = await registerOrganizer();
  const plan = await api("POST", "/v1/admin/organizer-plans", {
    token: admin.token,
    body: { name: `Pro ${crypto.randomUUID().slice(0, 6)}`, plan_type: "PREMIUM", price: 10_000, currency: "XOF", billing_period: "MONTHLY", max_events_per_month: 10 },
  });
  if (plan.status !== 201) throw new Error(`plan: ${plan.status} ${JSON.stringify(plan.body)}`);
  const chosen = await api("POST", "/v1/me/organizer-subscription", { token: organizer.token, body: { plan_id: plan.body.id, auto_renew: autoRenew } });
  if (chosen.status !== 201) throw new Error(`choose: ${chosen.status} ${JSON.stringify(chosen.body)}`);
  return { admin, organizer, plan: plan.body, subscription: chosen.body };
}

const payPlan = (organizer: User, subscriptionId: string, how: Record<string, unknown> = { method: "MOMO_MTN", phone: PHONE }) =>
  api("POST", "/v1/payments", { token: organizer.token, body: { target: { type: "ORGANIZER_PLAN", organizer_subscription_id: subscriptionId }, ...how } });

const mySubscription = async (organizer: User) => (await api("GET", "/v1/me/organizer-subscription", { token: organizer.token })).body;
const detail = async (admin: User, subscriptionId: string) => (await api("GET", `/v1/admin/organizer-subscriptions/${subscriptionId}`, { token: admin.token })).body;
const planPayments = async (organizer: User) => (await api("GET", "/v1/me/payments?type=ORGANIZER_PLAN", { token: organizer.token })).body.data;

/** Pays the chosen plan by MTN MoMo through the provider's callback; returns the ACTIVE subscription and the payment. */
async function activePlan(autoRenew: boolean, how?: Record<string, unknown>) {
  const chosen = await chosenPlan(autoRenew);
  const started = await payPlan(chosen.organizer, chosen.subscription.id, how);
  if (started.status !== 201) throw new Error(`pay: ${started.status} ${JSON.stringify(started.body)}`);
  const provider = started.body.payment.provider === "STRIPE" ? "stripe" : "mtn";
  expect((await (await settleAtProvider(provider, started.body.payment.external_reference)).deliver()).status).toBe(200);
  const subscription = await eventually(async () => {
    const mine = await mySubscription(chosen.organizer);
    return mine.subscription?.status === "ACTIVE" && mine.subscription;
  }, "the subscription ACTIVE");
  return { ...chosen, subscription, payment: started.body.payment };
}

/** How many messages of `template` the notifications consumer recorded for `recipient`. */
async function messagesTo(recipient: string, template: string) {
  const rows = await getDb(env.DB)
    .select({ id: message_deliveries.id })
    .from(message_deliveries)
    .where(and(eq(message_deliveries.recipient, recipient), eq(message_deliveries.notification_type, template as NotificationType)));
  return rows.length;
}

describe("buying an organizer plan", () => {
  it("is PENDING when chosen, and choosing the same plan again returns the same subscription", async () => {
    const { organizer, plan, subscription } = await chosenPlan(false);
    expect(subscription).toMatchObject({ organizer_id: organizer.id, organization_id: organizer.organizationId, plan_id: plan.id, status: "PENDING", price_paid: 10_000, currency: "XOF", payment_reference: null });
    const again = await api("POST", "/v1/me/organizer-subscription", { token: organizer.token, body: { plan_id: plan.id, auto_renew: false } });
    expect(again.body.id).toBe(subscription.id);
    // Only members with plan.manage choose plans, and pay them.
    const fan = await registerUser();
    expectProblem(await api("POST", "/v1/me/organizer-subscription", { token: fan.token, body: { plan_id: plan.id } }), 403);
    expectProblem(await payPlan(fan, subscription.id), 404);
    const manager = await registerMember(organizer.organizationId, "MANAGER");
    expectProblem(await api("POST", "/v1/me/organizer-subscription", { token: manager.token, body: { plan_id: plan.id } }), 403);
    expectProblem(await payPlan(manager, subscription.id), 404);
    expectProblem(await api("POST", "/v1/me/organizer-subscription", { token: organizer.token, body: { plan_id: crypto.randomUUID() } }), 422);
  });

  it("becomes ACTIVE once MTN MoMo confirms the payment, with the payment's reference", async () => {
    const { admin, organizer, subscription } = await chosenPlan(false);
    const started = await payPlan(organizer, subscription.id);
    expect(started.status).toBe(201);
    expect(started.body.payment).toMatchObject({ type: "ORGANIZER_PLAN", amount: 10_000, currency: "XOF", provider: "MTN_MOMO", method: "MOMO_MTN", payer_phone: PHONE, organizer_subscription_id: subscription.id });
    expect(started.body.next_action.type).toBe("approve_on_phone");
    // Asked on the payer's phone, not yet approved: nothing changes.
    expect((await mySubscription(organizer)).subscription).toMatchObject({ id: subscription.id, status: "PENDING" });

    expect((await (await settleAtProvider("mtn", started.body.payment.external_reference)).deliver()).status).toBe(200);
    const active = await eventually(async () => {
      const mine = await mySubscription(organizer);
      return mine.subscription?.status === "ACTIVE" && mine.subscription;
    }, "the subscription ACTIVE");
    expect(active).toMatchObject({ id: subscription.id, payment_reference: started.body.payment.internal_reference });
    expect(active.ends_at).toBe(addMonths(active.starts_at, 1));
    expect((await api("GET", `/v1/payments/${started.body.payment.id}`, { token: organizer.token })).body.status).toBe("PAID");
    expect((await detail(admin, subscription.id)).history.map((h: { action: string }) => h.action)).toEqual(["SUBSCRIBE"]);
    await waitForMessage(organizer.id, "PAYMENT_SUCCESS");
  });

  it("is paid only by its organizer", async () => {
    const { subscription } = await chosenPlan(false);
    const other = await registerOrganizer();
    expectProblem(await payPlan(other, subscription.id), 404);
    expectProblem(await payPlan(await registerUser(), subscription.id), 404);
    expectProblem(await api("POST", "/v1/payments", { body: { target: { type: "ORGANIZER_PLAN", organizer_subscription_id: subscription.id }, method: "MOMO_MTN", phone: PHONE } }), 401);
  });

  it("stays PENDING when the payer declines", async () => {
    const { organizer, subscription } = await chosenPlan(false);
    const started = await payPlan(organizer, subscription.id);
    expect((await (await settleAtProvider("mtn", started.body.payment.external_reference, "FAILED")).deliver()).status).toBe(200);
    await eventually(async () => (await api("GET", `/v1/payments/${started.body.payment.id}`, { token: organizer.token })).body.status === "FAILED", "payment FAILED");
    expect((await mySubscription(organizer)).subscription).toMatchObject({ id: subscription.id, status: "PENDING", payment_reference: null });
  });
});

describe("renewing by paying again", () => {
  it("adds one period per payment, however often and concurrently it is settled", async () => {
    const { admin, organizer, subscription } = await activePlan(false);
    const renewal = await payPlan(organizer, subscription.id);
    expect(renewal.status).toBe(201);
    expect(renewal.body.payment.description).toMatch(/^Renewal/);
    const { webhook, deliver } = await settleAtProvider("mtn", renewal.body.payment.external_reference);
    // MTN's callback twice at once, and the payer asking twice meanwhile.
    const results = await Promise.all([
      deliver(),
      deliver(),
      api("POST", `/v1/payments/${renewal.body.payment.id}/check`, { token: organizer.token }),
      api("POST", `/v1/payments/${renewal.body.payment.id}/check`, { token: organizer.token }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(webhook.method).toBe("PUT");

    const renewed = await eventually(async () => {
      const mine = await mySubscription(organizer);
      return mine.subscription?.payment_reference === renewal.body.payment.internal_reference && mine.subscription;
    }, "the renewal applied");
    await queuesIdle(); // every callback and check handled: a late one would have added a period
    const after = (await mySubscription(organizer)).subscription;
    expect(after).toMatchObject({ id: subscription.id, status: "ACTIVE", starts_at: subscription.starts_at, ends_at: addMonths(subscription.ends_at, 1) });
    expect(renewed.ends_at).toBe(after.ends_at);
    expect((await detail(admin, subscription.id)).history.map((h: { action: string }) => h.action)).toEqual(["SUBSCRIBE", "RENEW"]);
  });
});

describe("automatic renewal by the cron", () => {
  /** The cron's clock, two days before the subscription ends (inside the three-day renewal window). */
  const windowOf = (subscription: { ends_at: string }) => new Date(Date.parse(subscription.ends_at) - 2 * DAY).toISOString();

  it("asks MTN MoMo again on the number that paid last, once per period", async () => {
    const { organizer, subscription, payment } = await activePlan(true);
    // Not yet: more than three days before the end.
    await renewOrganizerPlans(env, new Date(Date.parse(subscription.ends_at) - 5 * DAY).toISOString());
    expect(await planPayments(organizer)).toHaveLength(1);

    await renewOrganizerPlans(env, windowOf(subscription));
    const [renewal, first] = await planPayments(organizer);
    expect(first.id).toBe(payment.id);
    expect(renewal).toMatchObject({ type: "ORGANIZER_PLAN", method: "MOMO_MTN", provider: "MTN_MOMO", payer_phone: PHONE, amount: 10_000, status: "PROCESSING", organizer_subscription_id: subscription.id });
    expect(renewal.description).toMatch(/^Renewal/);
    // The request to pay reached MTN.
    const atMtn = await fakePayments("GET", `/_control/mtn/transactions/${renewal.external_reference}`);
    expect(atMtn).toMatchObject({ status: "PENDING", amount: 10_000, internal_reference: renewal.internal_reference });

    await renewOrganizerPlans(env, windowOf(subscription));
    expect(await planPayments(organizer)).toHaveLength(2);
    expect(await messagesTo(organizer.id, "SUBSCRIPTION_EXPIRING")).toBe(0);

    // The organizer approves on their phone: one more period.
    expect((await (await settleAtProvider("mtn", renewal.external_reference)).deliver()).status).toBe(200);
    await eventually(async () => (await mySubscription(organizer)).subscription.ends_at === addMonths(subscription.ends_at, 1), "renewed");
  });

  it("does not ask again after the organizer declined: it reminds them instead", async () => {
    const { organizer, subscription } = await activePlan(true);
    await renewOrganizerPlans(env, windowOf(subscription));
    const [renewal] = await planPayments(organizer);
    expect(renewal.status).toBe("PROCESSING");
    expect((await (await settleAtProvider("mtn", renewal.external_reference, "FAILED")).deliver()).status).toBe(200);
    await eventually(async () => (await api("GET", `/v1/payments/${renewal.id}`, { token: organizer.token })).body.status === "FAILED", "renewal FAILED");

    await renewOrganizerPlans(env, windowOf(subscription));
    await renewOrganizerPlans(env, windowOf(subscription));
    expect(await planPayments(organizer)).toHaveLength(2);
    await waitForMessage(organizer.id, "SUBSCRIPTION_EXPIRING");
    expect((await mySubscription(organizer)).subscription).toMatchObject({ status: "ACTIVE", ends_at: subscription.ends_at });
  });

  it("only reminds a subscription last paid another way, once", async () => {
    const { organizer, subscription } = await activePlan(true, { method: "CARD", provider: "STRIPE" });
    await renewOrganizerPlans(env, windowOf(subscription));
    await renewOrganizerPlans(env, windowOf(subscription));
    expect(await planPayments(organizer)).toHaveLength(1);
    const reminder = await waitForMessage(organizer.id, "SUBSCRIPTION_EXPIRING");
    expect(reminder.data).toMatchObject({ ends_at: { at: subscription.ends_at } });
    await queuesIdle();
    // One in the app whatever the number of runs (the email is deduplicated the same way).
    expect(await messagesTo(organizer.id, "SUBSCRIPTION_EXPIRING")).toBe(1);
  });

  it("leaves alone a subscription without automatic renewal", async () => {
    const { organizer, subscription } = await activePlan(false);
    await renewOrganizerPlans(env, windowOf(subscription));
    expect(await planPayments(organizer)).toHaveLength(1);
    await queuesIdle();
    expect(await messagesTo(organizer.id, "SUBSCRIPTION_EXPIRING")).toBe(0);
  });
});
