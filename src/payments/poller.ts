import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, ne, notExists, or, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notifyUser } from "../notifications/service.ts";
import { users } from "../users/schema.ts";
import type { PaymentMessage } from "./messages.ts";
import { LIVE_STATUSES, startPayment } from "./service.ts";
import { organizer_plans, organizer_subscriptions, payments } from "./schema.ts";

/** A payment is first asked about this long after it started (its webhook usually comes first). */
const FIRST_CHECK_AFTER_SECONDS = 60;
/** Then after 1, 2, 4 … minutes, at most hourly. */
const MAX_BACKOFF_SECONDS = 3600;
/** Providers end their own attempts within a day (MTN, Stripe sessions); a week bounds what we ask about. */
const GIVE_UP_AFTER_SECONDS = 7 * 86_400;
const BATCH = 100;

const backoffSeconds = (checks: number) => Math.min(MAX_BACKOFF_SECONDS, 60 * 2 ** Math.max(0, checks - 1));

/**
 * Finds online payments still waiting whose callback never came (MTN sends it
 * once and never again) and puts a settle message for each on the queue: the
 * consumer asks the provider, exactly as for a webhook. Payments the provider
 * cannot be asked about yet (a KkiaPay widget that never reported) are left.
 */
export async function pollPendingPayments(env: Env, at: string = now()): Promise<number> {
  const db = getDb(env.DB);
  const candidates = await db
    .select({ id: payments.id, checked_at: payments.checked_at, check_count: payments.check_count })
    .from(payments)
    .where(
      and(
        inArray(payments.status, LIVE_STATUSES),
        inArray(payments.provider, ["MTN_MOMO", "FEDAPAY", "KKIAPAY", "KONNECT", "STRIPE"]),
        or(isNotNull(payments.external_reference), eq(payments.provider, "MTN_MOMO")),
        lt(payments.created_at, addSeconds(at, -FIRST_CHECK_AFTER_SECONDS)),
        sql`${payments.created_at} > ${addSeconds(at, -GIVE_UP_AFTER_SECONDS)}`,
        or(isNull(payments.checked_at), lt(payments.checked_at, addSeconds(at, -60))),
      ),
    )
    .orderBy(asc(payments.checked_at), asc(payments.created_at))
    .limit(BATCH * 5);
  const due = candidates.filter((p) => !p.checked_at || p.checked_at <= addSeconds(at, -backoffSeconds(p.check_count))).slice(0, BATCH);
  if (due.length === 0) return 0;
  const messages: MessageSendRequest<PaymentMessage>[] = due.map((p) => ({ body: { kind: "settle", payment_id: p.id, webhook_event_id: null } }));
  await env.PAYMENTS.sendBatch(messages);
  return due.length;
}

/** Renewals start this many days before the end of the period. */
const RENEW_DAYS_BEFORE = 3;

/**
 * A payment made for the period ending at the subscription's current end:
 * startPayment records the end it extends in the payment's metadata.
 */
const forCurrentPeriod = (end: typeof organizer_subscriptions.ends_at | string) => sql`json_extract(${payments.metadata}, '$.ends_at') = ${end}`;

/**
 * Auto-renewal of organizer plans: a few days before the end, a subscription
 * with auto_renew whose last payment was Mobile Money gets a new request to
 * pay on the same number (the organizer approves it on their phone) through
 * the same flow as any payment; others are reminded to renew. One attempt per
 * period: a subscription with a payment for its current period waiting or
 * paid is skipped, and after a declined or expired attempt the organizer is
 * reminded rather than prompted again at every run of the cron.
 */
export async function renewOrganizerPlans(env: Env, at: string = now()): Promise<{ requested: number; reminded: number }> {
  const db = getDb(env.DB);
  const due = await db
    .select({ sub: organizer_subscriptions, plan: organizer_plans, user: users })
    .from(organizer_subscriptions)
    .innerJoin(organizer_plans, eq(organizer_plans.id, organizer_subscriptions.plan_id))
    .innerJoin(users, eq(users.id, organizer_subscriptions.user_id))
    .where(
      and(
        eq(organizer_subscriptions.status, "ACTIVE"),
        eq(organizer_subscriptions.auto_renew, true),
        ne(organizer_plans.price, 0),
        lt(organizer_subscriptions.ends_at, addSeconds(at, RENEW_DAYS_BEFORE * 86_400)),
        notExists(
          db
            .select({ id: payments.id })
            .from(payments)
            .where(
              and(
                eq(payments.organizer_subscription_id, organizer_subscriptions.id),
                forCurrentPeriod(organizer_subscriptions.ends_at),
                inArray(payments.status, [...LIVE_STATUSES, "PAID"]),
              ),
            ),
        ),
      ),
    )
    .limit(BATCH);
  let requested = 0;
  let reminded = 0;
  for (const { sub, plan, user } of due) {
    const [last] = await db
      .select()
      .from(payments)
      .where(and(eq(payments.organizer_subscription_id, sub.id), eq(payments.status, "PAID")))
      .orderBy(desc(payments.paid_at))
      .limit(1);
    const [attempted] = await db
      .select({ id: payments.id })
      .from(payments)
      .where(and(eq(payments.organizer_subscription_id, sub.id), forCurrentPeriod(sub.ends_at)))
      .limit(1);
    const auth = { userId: user.id, role: user.role, sessionId: "cron" } as const;
    if (!attempted && last?.method === "MOMO_MTN" && last.payer_phone) {
      try {
        await startPayment(env, auth, { target: { type: "ORGANIZER_PLAN", organizer_subscription_id: sub.id }, method: "MOMO_MTN", phone: last.payer_phone });
        requested++;
        continue;
      } catch (error) {
        console.error(`renewal of ${sub.id} could not start`, error);
      }
    }
    reminded++;
    await notifyUser(env, user.id, "SUBSCRIPTION_EXPIRING", { plan_name: plan.name, ends_at: { at: sub.ends_at, time_zone: "reader" } }, `subscription_expiring:${sub.id}:${sub.ends_at}`);
  }
  return { requested, reminded };
}

export async function runPaymentsCron(env: Env): Promise<void> {
  await pollPendingPayments(env);
  await renewOrganizerPlans(env);
}
