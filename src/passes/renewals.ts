import type { z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import type { Currency } from "../lib/money.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notifyUser } from "../notifications/service.ts";
import { payments } from "../payments/schema.ts";
import { startPayment } from "../payments/service.ts";
import { users } from "../users/schema.ts";
import { LIVE, type PlanRow, type SubscriptionRow, detailOf, heldPass, readablePass, today } from "./read.ts";
import { subscription_renewal_attempts } from "./renewals-schema.ts";
import { RENEWAL_METHODS, subscriptions } from "./schema.ts";
import type { AutoRenewBody } from "./schemas.ts";
import { renewPass } from "./subscribing.ts";

// auto_renew: the cron renews ACTIVE passes in their plan's priority window and asks the holder to pay
// through the path they chose; each attempt is recorded, a failed one told and retried a bounded number of times.

/** Attempts per pass and renewal period; the last failure is told as final. */
export const MAX_RENEWAL_ATTEMPTS = 3;
/** A failed attempt is tried again this long after. */
export const RENEWAL_RETRY_SECONDS = 86_400;
/** An attempt that recorded no payment this long after it started was cut short (the Worker stopped): failed. */
const INTERRUPTED_AFTER_SECONDS = 3600;
/** Passes the cron starts renewing per run. */
const BATCH = 50;

type RenewalMethod = (typeof RENEWAL_METHODS)[number];
type Attempt = typeof subscription_renewal_attempts.$inferSelect;

/**
 * The holder turns automatic renewal on or off (the opt-out) and chooses how
 * it charges them: a method, and for Mobile Money the number. Null: the
 * method and number that paid the pass.
 */
export async function setAutoRenew(env: Env, auth: AuthContext, id: string, body: z.infer<typeof AutoRenewBody>) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, id);
  if (!(LIVE as readonly string[]).includes(sub.status)) throw problems.conflict("subscription_closed", `This pass is ${sub.status}.`);
  if (body.auto_renew && !plan.is_renewable) throw problems.conflict("plan_not_renewable", "This pass cannot be renewed.");
  const method = body.renewal_method === undefined ? sub.renewal_method : body.renewal_method;
  const phone = body.renewal_phone === undefined ? sub.renewal_phone : body.renewal_phone;
  if (phone !== null && method !== "MOMO_MTN" && method !== "MOMO_MOOV") {
    throw problems.invalidField("renewal_phone", "A number is only used with a Mobile Money method (MOMO_MTN, MOMO_MOOV).", "phone_not_applicable");
  }
  const [updated] = await db
    .update(subscriptions)
    .set({ auto_renew: body.auto_renew, renewal_method: method, renewal_phone: phone, updated_at: now() })
    .where(and(eq(subscriptions.id, id), inArray(subscriptions.status, LIVE)))
    .returning();
  if (!updated) throw problems.conflict("concurrent_change", "This pass changed meanwhile; reload it and try again.");
  return detailOf(db, updated, plan);
}

/** The path a renewal charges: the holder's choice, else the method and number that paid the pass; null if neither is an online method. */
async function paymentPath(db: Db, sub: SubscriptionRow): Promise<{ method: RenewalMethod; phone: string | null } | null> {
  if (sub.renewal_method) return { method: sub.renewal_method, phone: sub.renewal_phone };
  if (!sub.payment_id) return null;
  const [paid] = await db.select({ method: payments.method, phone: payments.payer_phone }).from(payments).where(eq(payments.id, sub.payment_id)).limit(1);
  if (!paid || !(RENEWAL_METHODS as readonly string[]).includes(paid.method)) return null;
  return { method: paid.method as RenewalMethod, phone: paid.phone };
}

/**
 * Closes an attempt as FAILED (once: guarded on REQUESTED) and tells the
 * holder: tried again after RENEWAL_RETRY_SECONDS, or, at the last attempt
 * or when nothing can charge them, not again.
 */
async function failAttempt(env: Env, attempt: Attempt, reason: string, at: string, o: { final?: boolean } = {}) {
  const db = getDb(env.DB);
  const final = o.final === true || attempt.attempt >= MAX_RENEWAL_ATTEMPTS;
  const retryAt = final ? null : addSeconds(at, RENEWAL_RETRY_SECONDS);
  const [failed] = await db
    .update(subscription_renewal_attempts)
    .set({ status: "FAILED", failure_reason: reason.slice(0, 200), retry_at: retryAt, updated_at: at })
    .where(and(eq(subscription_renewal_attempts.id, attempt.id), eq(subscription_renewal_attempts.status, "REQUESTED")))
    .returning();
  if (!failed) return;
  const [row] = await db
    .select({ sub: subscriptions, plan: subscription_plans })
    .from(subscriptions)
    .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
    .where(eq(subscriptions.id, attempt.subscription_id))
    .limit(1);
  if (!row) return;
  const data = { plan_name: row.plan.name, valid_until: row.sub.valid_until, subscription_id: row.sub.id };
  if (retryAt) await notifyUser(env, row.sub.user_id, "PASS_RENEWAL_RETRY", { ...data, retry_at: { at: retryAt, time_zone: "reader" } }, `pass_renewal_retry:${attempt.id}`);
  else await notifyUser(env, row.sub.user_id, "PASS_RENEWAL_FAILED", data, `pass_renewal_failed:${attempt.id}`);
}

/**
 * Follows the attempts waiting for their payment: PAID once the renewal is
 * ACTIVE (the payments hook activated it), FAILED when its payment failed or
 * was cancelled, when the renewal was cancelled unpaid (the cron's 48 h), or
 * when the attempt was cut short before recording a payment.
 */
async function followAttempts(env: Env, at: string): Promise<{ paid: number; failed: number }> {
  const db = getDb(env.DB);
  const waiting = await db
    .select({ attempt: subscription_renewal_attempts, payment: payments.status, renewal: subscriptions.status })
    .from(subscription_renewal_attempts)
    .leftJoin(payments, eq(payments.id, subscription_renewal_attempts.payment_id))
    .leftJoin(subscriptions, eq(subscriptions.id, subscription_renewal_attempts.renewal_id))
    .where(eq(subscription_renewal_attempts.status, "REQUESTED"))
    .limit(BATCH * 4);
  let paid = 0;
  let failed = 0;
  for (const { attempt, payment, renewal } of waiting) {
    if (renewal === "ACTIVE" || renewal === "SUSPENDED") {
      const moved = await db
        .update(subscription_renewal_attempts)
        .set({ status: "PAID", updated_at: at })
        .where(and(eq(subscription_renewal_attempts.id, attempt.id), eq(subscription_renewal_attempts.status, "REQUESTED")))
        .returning({ id: subscription_renewal_attempts.id });
      paid += moved.length;
      continue;
    }
    const reason =
      payment === "FAILED" || payment === "CANCELLED"
        ? `payment_${payment.toLowerCase()}`
        : renewal === "CANCELLED" || renewal === "EXPIRED"
          ? "not_paid_in_time"
          : !attempt.payment_id && attempt.created_at < addSeconds(at, -INTERRUPTED_AFTER_SECONDS)
            ? "interrupted"
            : null;
    if (reason) {
      await failAttempt(env, attempt, reason, at);
      failed++;
    }
  }
  return { paid, failed };
}

/**
 * ACTIVE passes with auto_renew on a renewable plan, inside the priority
 * window, not renewed yet (a live renewal the holder made is theirs to pay),
 * with no attempt waiting or paid, and whose last failure (if any) may be
 * retried by now.
 */
async function duePasses(db: Db, at: string) {
  const day = today(at);
  return db
    .select({ sub: subscriptions, plan: subscription_plans })
    .from(subscriptions)
    .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
    .where(
      sql`${subscriptions.status} = 'ACTIVE' AND ${subscriptions.auto_renew} = 1 AND ${subscription_plans.is_renewable} = 1
        AND ${subscriptions.valid_until} >= ${day}
        AND date(${subscriptions.valid_until}, printf('-%d days', ${subscription_plans.renewal_priority_days})) <= ${day}
        AND NOT EXISTS (SELECT 1 FROM subscriptions n WHERE n.renewed_from = ${subscriptions.id} AND n.status IN ('PENDING', 'ACTIVE', 'SUSPENDED')
          AND NOT (n.status = 'PENDING' AND EXISTS (SELECT 1 FROM subscription_renewal_attempts a WHERE a.renewal_id = n.id AND a.status = 'FAILED')))
        AND NOT EXISTS (SELECT 1 FROM subscription_renewal_attempts a WHERE a.subscription_id = ${subscriptions.id}
          AND (a.status IN ('REQUESTED', 'PAID') OR (a.status = 'FAILED' AND (a.retry_at IS NULL OR a.retry_at > ${at}))))`,
    )
    .orderBy(subscriptions.valid_until)
    .limit(BATCH);
}

/**
 * One attempt at renewing one pass: recorded first (two runs at once: the
 * second insert of the same attempt number fails, so it does nothing), then
 * the renewal (the PENDING pass a failed attempt left, else a new one through
 * renewPass, which a manual renewal at the same moment cannot double), then
 * its payment through the holder's path, and the message asking them to pay.
 */
async function attemptRenewal(env: Env, sub: SubscriptionRow, plan: PlanRow, at: string): Promise<"requested" | "paid" | "failed" | "skipped"> {
  const db = getDb(env.DB);
  const [{ tried } = { tried: 0 }] = await db
    .select({ tried: sql<number>`count(*)`.mapWith(Number) })
    .from(subscription_renewal_attempts)
    .where(eq(subscription_renewal_attempts.subscription_id, sub.id));
  if (tried >= MAX_RENEWAL_ATTEMPTS) return "skipped";
  const path = await paymentPath(db, sub);
  let attempt: Attempt;
  try {
    [attempt] = (await db
      .insert(subscription_renewal_attempts)
      .values({ id: newId(), subscription_id: sub.id, attempt: tried + 1, status: "REQUESTED", method: path?.method ?? null, created_at: at, updated_at: at })
      .returning()) as [Attempt];
  } catch (error) {
    if (isUniqueViolation(error)) return "skipped";
    throw error;
  }
  if (!path) {
    await failAttempt(env, attempt, "no_payment_method", at, { final: true });
    return "failed";
  }
  const [holder] = await db.select({ role: users.role }).from(users).where(eq(users.id, sub.user_id)).limit(1);
  let renewal: SubscriptionRow;
  try {
    // A renewal left PENDING by a failed attempt (its payment refused) is asked again rather than made twice.
    const [left] = await db.select().from(subscriptions).where(and(eq(subscriptions.renewed_from, sub.id), eq(subscriptions.status, "PENDING"))).limit(1);
    renewal = left ?? (await renewPass(env, sub, plan, { createdBy: sub.user_id, ip: null, at })).pass;
  } catch (error) {
    if (error instanceof ProblemError && error.code === "already_subscribed") {
      // The holder renewed by hand at the same moment: theirs is the renewal, this attempt never was.
      await db.delete(subscription_renewal_attempts).where(eq(subscription_renewal_attempts.id, attempt.id));
      return "skipped";
    }
    if (!(error instanceof ProblemError)) throw error;
    await failAttempt(env, attempt, error.code, at);
    return "failed";
  }
  await db.update(subscription_renewal_attempts).set({ renewal_id: renewal.id, updated_at: at }).where(eq(subscription_renewal_attempts.id, attempt.id));
  if (renewal.status !== "PENDING") {
    // Free (a 100 % loyalty rule): active at once, nothing to pay.
    await db.update(subscription_renewal_attempts).set({ status: "PAID", updated_at: at }).where(eq(subscription_renewal_attempts.id, attempt.id));
    return "paid";
  }
  const auth: AuthContext = { userId: sub.user_id, role: holder?.role ?? "USER", sessionId: "cron" };
  let started;
  try {
    started = await startPayment(env, auth, { target: { type: "SEASON_PASS", subscription_id: renewal.id }, method: path.method, ...(path.phone ? { phone: path.phone } : {}) });
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    await failAttempt(env, attempt, error.code, at);
    return "failed";
  }
  const payment = started.payment;
  await db.update(subscription_renewal_attempts).set({ payment_id: payment.id, updated_at: at }).where(eq(subscription_renewal_attempts.id, attempt.id));
  await notifyUser(
    env,
    sub.user_id,
    "PASS_RENEWAL_REQUESTED",
    {
      plan_name: plan.name,
      valid_from: renewal.valid_from,
      valid_until: renewal.valid_until,
      amount: { amount: payment.amount, currency: payment.currency as Currency },
      reference: payment.internal_reference,
      payment_id: payment.id,
      subscription_id: renewal.id,
    },
    `pass_renewal_requested:${attempt.id}`,
  );
  return "requested";
}

/** The auto_renew cron: follows the attempts waiting for payment, then starts those due. */
export async function autoRenewPasses(env: Env, at: string = now()): Promise<{ requested: number; paid: number; failed: number }> {
  const db = getDb(env.DB);
  const followed = await followAttempts(env, at);
  const counts = { requested: 0, paid: followed.paid, failed: followed.failed };
  for (const { sub, plan } of await duePasses(db, at)) {
    const outcome = await attemptRenewal(env, sub, plan, at);
    if (outcome !== "skipped") counts[outcome]++;
  }
  return counts;
}

/** A pass's automatic renewal attempts, newest first, for whoever may read the pass. */
export async function renewalAttempts(env: Env, auth: AuthContext, subscriptionId: string): Promise<Attempt[]> {
  const db = getDb(env.DB);
  await readablePass(db, auth, subscriptionId);
  return db.select().from(subscription_renewal_attempts).where(eq(subscription_renewal_attempts.subscription_id, subscriptionId)).orderBy(desc(subscription_renewal_attempts.attempt));
}
