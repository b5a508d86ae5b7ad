import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { autoRenewPasses, MAX_RENEWAL_ATTEMPTS, RENEWAL_RETRY_SECONDS } from "../../src/passes/renewals.ts";
import { api, eventually, expectProblem, registerMember, registerUser, settleAtProvider, waitForMessage } from "../support/api.ts";
import { queuesIdle } from "../support/queues.ts";
import { DAY, type Club, activePass, club, dayOf, plan } from "../support/season-passes.ts";

interface Attempt {
  id: string;
  attempt: number;
  status: string;
  renewal_id: string | null;
  payment_id: string | null;
  method: string | null;
  failure_reason: string | null;
  retry_at: string | null;
}

const attemptsOf = async (passId: string) =>
  (await env.DB.prepare("SELECT * FROM subscription_renewal_attempts WHERE subscription_id = ? ORDER BY attempt").bind(passId).all<Attempt>()).results;
/** The live renewals of a pass (PENDING, ACTIVE, SUSPENDED). */
const renewalsOf = async (passId: string) =>
  (await env.DB.prepare("SELECT * FROM subscriptions WHERE renewed_from = ? AND status IN ('PENDING', 'ACTIVE', 'SUSPENDED')").bind(passId).all<{ id: string; status: string; seat_id: string | null; subscription_plan_id: string }>()).results;
/** Every payment asked for any renewal of a pass. */
const renewalPayments = async (passId: string) =>
  (
    await env.DB.prepare("SELECT p.* FROM payments p JOIN subscriptions n ON n.id = p.subscription_id WHERE n.renewed_from = ? ORDER BY p.created_at")
      .bind(passId)
      .all<{ id: string; status: string; method: string; provider: string; amount: number; external_reference: string | null; subscription_id: string }>()
  ).results;
const messagesOf = async (userId: string, type: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM message_deliveries WHERE recipient = ? AND notification_type = ? AND channel = 'IN_APP'").bind(userId, type).first<{ n: number }>())!.n;

const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

/** Next season's plan (assigned seats, a year) and this season's, renewable onto it. */
async function plans(c: Club, o: { renewable?: boolean } = {}) {
  const next = await plan(c, { group: false, duration: 12, assigned: true, salesStart: new Date(Date.now() + 60 * DAY).toISOString() });
  const current = await plan(c, { assigned: true, metadata: { renewal_plan_id: next }, renewable: o.renewable ?? true });
  return { next, current };
}

/** An ACTIVE pass with a seat, auto_renew on and CARD chosen, ending in `endsInDays` (inside the 30-day window by default). */
async function renewablePass(c: Club, planId: string, seat: number, endsInDays = 10) {
  const fan = await registerUser();
  const pass = await activePass(c, planId, fan, { seat_id: c.seatIds[seat], auto_renew: true });
  const chosen = await api("PUT", `/v1/subscriptions/${pass.id}/auto-renew`, { token: fan.token, body: { auto_renew: true, renewal_method: "CARD" } });
  expect(chosen.status, JSON.stringify(chosen.body)).toBe(200);
  await env.DB.prepare("UPDATE subscriptions SET valid_until = ? WHERE id = ?").bind(dayOf(Date.now() + endsInDays * DAY), pass.id).run();
  return { fan, pass };
}

describe("auto_renew: the cron renews a pass in its priority window", () => {
  it("renews onto next season's plan keeping the seat, asks the chosen path for one payment, tells the holder, and records the attempt until paid", async () => {
    const c = await club();
    const { next, current } = await plans(c);
    const { fan, pass } = await renewablePass(c, current, 0, 40);

    // 40 days before the end: the 30-day window is not open yet.
    await autoRenewPasses(env);
    expect(await attemptsOf(pass.id)).toEqual([]);

    await env.DB.prepare("UPDATE subscriptions SET valid_until = ? WHERE id = ?").bind(dayOf(Date.now() + 10 * DAY), pass.id).run();
    expect(await autoRenewPasses(env)).toMatchObject({ requested: 1 });
    const [renewal, ...others] = await renewalsOf(pass.id);
    expect(others).toEqual([]);
    expect(renewal).toMatchObject({ status: "PENDING", subscription_plan_id: next, seat_id: c.seatIds[0] });
    const [payment, ...more] = await renewalPayments(pass.id);
    expect(more).toEqual([]);
    expect(payment).toMatchObject({ subscription_id: renewal!.id, method: "CARD", provider: "KONNECT", status: "PROCESSING", amount: 450_000 });
    expect(await attemptsOf(pass.id)).toEqual([expect.objectContaining({ attempt: 1, status: "REQUESTED", renewal_id: renewal!.id, payment_id: payment!.id, method: "CARD" })]);
    const told = await waitForMessage(fan.id, "PASS_RENEWAL_REQUESTED");
    expect(told.data).toMatchObject({ plan_name: "Abonnement Tribune", payment_id: payment!.id, amount: { amount: 450_000, currency: "TND" } });

    // The holder renewing by hand now makes no second renewal; runs meanwhile ask nothing more.
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: fan.token }), 409, "already_subscribed");
    await autoRenewPasses(env);
    expect(await renewalPayments(pass.id)).toHaveLength(1);
    expect(await attemptsOf(pass.id)).toHaveLength(1);

    // The holder pays on Konnect's page: the renewal is ACTIVE, the attempt PAID, and nothing more is asked.
    expect((await (await settleAtProvider("konnect", payment!.external_reference!)).deliver()).status).toBe(200);
    await eventually(async () => (await renewalsOf(pass.id))[0]?.status === "ACTIVE", "renewal active");
    await autoRenewPasses(env);
    await autoRenewPasses(env, at(3 * DAY));
    expect(await attemptsOf(pass.id)).toEqual([expect.objectContaining({ status: "PAID" })]);
    expect(await renewalPayments(pass.id)).toEqual([expect.objectContaining({ status: "PAID" })]);
    const mine = await api("GET", `/v1/subscriptions/${pass.id}/renewal-attempts`, { token: fan.token });
    expect(mine.body.data).toEqual([expect.objectContaining({ attempt: 1, status: "PAID", renewal_id: renewal!.id })]);
    await queuesIdle();
    expect(await messagesOf(fan.id, "PASS_RENEWAL_REQUESTED")).toBe(1);
  });

  it("tells a failed renewal and retries it a day later on the same renewal, three attempts in all, never two payments waiting at once", async () => {
    const c = await club();
    const { current } = await plans(c);
    const { fan, pass } = await renewablePass(c, current, 1);
    let clock = 0;
    for (let n = 1; n <= MAX_RENEWAL_ATTEMPTS; n++) {
      await autoRenewPasses(env, at(clock));
      const payments = await renewalPayments(pass.id);
      expect(payments).toHaveLength(n);
      expect(payments.filter((p) => p.status === "PROCESSING" || p.status === "PENDING")).toHaveLength(1);
      const latest = payments[n - 1]!;
      expect((await (await settleAtProvider("konnect", latest.external_reference!, "FAILED")).deliver()).status).toBe(200);
      await eventually(async () => (await renewalPayments(pass.id))[n - 1]!.status === "FAILED", "payment failed");
      await autoRenewPasses(env, at(clock));
      const attempts = await attemptsOf(pass.id);
      expect(attempts).toHaveLength(n);
      expect(attempts[n - 1]).toMatchObject({ status: "FAILED", failure_reason: "payment_failed", payment_id: latest.id });
      // Every attempt asks to pay for the same renewal.
      expect(new Set(attempts.map((a) => a.renewal_id)).size).toBe(1);
      // Not again before the retry time.
      await autoRenewPasses(env, at(clock + 3600_000));
      expect(await renewalPayments(pass.id)).toHaveLength(n);
      clock += RENEWAL_RETRY_SECONDS * 1000 + 60_000;
    }
    const attempts = await attemptsOf(pass.id);
    expect(attempts.map((a) => a.retry_at === null)).toEqual([false, false, true]);
    await autoRenewPasses(env, at(clock + 5 * DAY));
    expect(await attemptsOf(pass.id)).toHaveLength(MAX_RENEWAL_ATTEMPTS);
    expect((await renewalPayments(pass.id)).filter((p) => p.status === "PAID")).toEqual([]);
    await queuesIdle();
    expect(await messagesOf(fan.id, "PASS_RENEWAL_RETRY")).toBe(2);
    expect(await messagesOf(fan.id, "PASS_RENEWAL_FAILED")).toBe(1);
    expect(await messagesOf(fan.id, "PASS_RENEWAL_REQUESTED")).toBe(3);
  });

  it("leaves a pass alone once its holder opts out, and a pass paid in cash with no method chosen fails once, told, for good", async () => {
    const c = await club();
    const { current } = await plans(c);
    const { fan, pass } = await renewablePass(c, current, 2);
    const off = await api("PUT", `/v1/subscriptions/${pass.id}/auto-renew`, { token: fan.token, body: { auto_renew: false } });
    expect(off.body).toMatchObject({ auto_renew: false, renewal_method: "CARD" });
    await autoRenewPasses(env);
    expect(await attemptsOf(pass.id)).toEqual([]);
    expect(await renewalsOf(pass.id)).toEqual([]);

    const cash = await registerUser();
    const paidInCash = await activePass(c, current, cash, { seat_id: c.seatIds[3], auto_renew: true });
    await env.DB.prepare("UPDATE subscriptions SET valid_until = ? WHERE id = ?").bind(dayOf(Date.now() + 10 * DAY), paidInCash.id).run();
    await autoRenewPasses(env);
    await autoRenewPasses(env, at(3 * DAY));
    expect(await attemptsOf(paidInCash.id)).toEqual([expect.objectContaining({ status: "FAILED", failure_reason: "no_payment_method", retry_at: null })]);
    expect(await renewalsOf(paidInCash.id)).toEqual([]);
    await waitForMessage(cash.id, "PASS_RENEWAL_FAILED");
    expect(await messagesOf(cash.id, "PASS_RENEWAL_FAILED")).toBe(1);
  });

  it("checks who sets auto_renew and what: the holder only, a number only for Mobile Money, a renewable plan, a live pass", async () => {
    const c = await club();
    const { current } = await plans(c);
    const fixed = await plan(c, { renewable: false });
    const fan = await registerUser();
    const pass = await activePass(c, current, fan, { seat_id: c.seatIds[0] });
    const path = `/v1/subscriptions/${pass.id}/auto-renew`;
    expectProblem(await api("PUT", path, { token: (await registerUser()).token, body: { auto_renew: true } }), 404, "not_found");
    expectProblem(await api("PUT", path, { token: c.organizer.token, body: { auto_renew: true } }), 403, "forbidden");
    expectProblem(await api("PUT", path, { token: (await registerMember(c.organizer.organizationId, "BOX_OFFICE")).token, body: { auto_renew: true } }), 403, "forbidden");
    expectProblem(await api("PUT", path, { token: fan.token, body: { auto_renew: true, renewal_method: "CARD", renewal_phone: "+21620000000" } }), 422, "validation_failed");
    expectProblem(await api("PUT", path, { token: fan.token, body: { auto_renew: true, renewal_method: "CASH" } }), 422, "validation_failed");
    expectProblem(await api("PUT", path, { token: fan.token, body: { auto_renew: "yes" } }), 422, "validation_failed");
    expectProblem(await api("PUT", path, { token: fan.token, body: { auto_renew: true, extra: 1 } }), 422, "validation_failed");
    const momo = await api("PUT", path, { token: fan.token, body: { auto_renew: true, renewal_method: "MOMO_MTN", renewal_phone: "+2290197000042" } });
    expect(momo.body).toMatchObject({ auto_renew: true, renewal_method: "MOMO_MTN", renewal_phone: "+2290197000042" });
    // Back to the method that paid the pass.
    expect((await api("PUT", path, { token: fan.token, body: { auto_renew: true, renewal_method: null, renewal_phone: null } })).body).toMatchObject({ renewal_method: null, renewal_phone: null });

    const other = await activePass(c, fixed, fan);
    expectProblem(await api("PUT", `/v1/subscriptions/${other.id}/auto-renew`, { token: fan.token, body: { auto_renew: true } }), 409, "plan_not_renewable");
    expect((await api("POST", `/v1/subscriptions/${other.id}/cancel`, { token: c.organizer.token, body: { reason: "test" } })).status).toBe(200);
    expectProblem(await api("PUT", `/v1/subscriptions/${other.id}/auto-renew`, { token: fan.token, body: { auto_renew: false } }), 409, "subscription_closed");
    expectProblem(await api("GET", `/v1/subscriptions/${pass.id}/renewal-attempts`, { token: (await registerUser()).token }), 404, "not_found");
    expect((await api("GET", `/v1/subscriptions/${pass.id}/renewal-attempts`, { token: c.organizer.token })).body).toEqual({ data: [] });
  });
});

describe("auto_renew under concurrency", () => {
  it("the cron and the holder's own renewal at the same moment make one renewal and ask for one payment at most", async () => {
    const c = await club();
    const { current } = await plans(c);
    for (let round = 0; round < 3; round++) {
      const { fan, pass } = await renewablePass(c, current, round);
      const [, manual] = await Promise.all([autoRenewPasses(env), api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: fan.token })]);
      const renewals = await renewalsOf(pass.id);
      expect(renewals).toHaveLength(1);
      const payments = await renewalPayments(pass.id);
      const attempts = await attemptsOf(pass.id);
      if (manual.status === 201) {
        // The holder's renewal won: theirs to pay, the cron asked nothing and kept no attempt.
        expect(manual.body.id).toBe(renewals[0]!.id);
        expect(payments).toEqual([]);
        expect(attempts).toEqual([]);
      } else {
        expectProblem(manual, 409, "already_subscribed");
        expect(payments).toHaveLength(1);
        expect(attempts).toEqual([expect.objectContaining({ status: "REQUESTED", renewal_id: renewals[0]!.id })]);
      }
      // Later runs never add a second renewal or payment.
      await autoRenewPasses(env);
      expect(await renewalsOf(pass.id)).toHaveLength(1);
      expect(await renewalPayments(pass.id)).toHaveLength(payments.length);
    }
  });
});
