import { and, count, eq, gt, gte, inArray, lt, notInArray, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { ProblemError } from "../lib/errors.ts";
import { users } from "../users/schema.ts";
import { monthStart, now, type Timestamp } from "../lib/time.ts";
import { organizer_plans, organizer_subscriptions } from "./schema.ts";

// What an organization's plan in force allows: events created per month (counted exactly under concurrency) and a reduced commission.

type SubscriptionRow = typeof organizer_subscriptions.$inferSelect;
const sub = organizer_subscriptions;
const plans = organizer_plans;

/**
 * Events per UTC calendar month for an organization without an ACTIVE plan,
 * counted from `events.created_at` of its events.
 */
export const FREE_EVENTS_PER_MONTH = 2;

/**
 * The counter as it stands in the month starting at `start`: a count last
 * reset before that month is worth 0 even if the cron has not run yet, so the
 * month rolls over at midnight UTC whatever the cron's timing.
 */
export const counterSql = (start: Timestamp) =>
  sql`(CASE WHEN COALESCE(${sub.counter_reset_at}, ${sub.created_at}) < ${start} THEN 0 ELSE ${sub.events_created_this_month} END)`;

/** The same, for a row already read. */
export const counterOf = (row: SubscriptionRow, start: Timestamp): number =>
  (row.counter_reset_at ?? row.created_at) < start ? 0 : row.events_created_this_month;

const planLimitSql = sql`(SELECT ${plans.max_events_per_month} FROM ${plans} WHERE ${plans.id} = ${sub.plan_id})`;

/** An organization's subscription that currently applies: ACTIVE and not past its end (the cron may not have expired it yet). */
export const inForce = (organizationId: string, at: Timestamp) => and(eq(sub.organization_id, organizationId), eq(sub.status, "ACTIVE"), gt(sub.ends_at, at));

/** How an organization gets more events: the routes to choose and pay for a plan (a member with plan.manage: OWNER or FINANCE). */
const UPGRADE =
  "Choose a plan that allows more (GET /v1/organizer-plans) with POST /v1/me/organizer-subscription (as an OWNER or FINANCE member of the organization), then pay for it with POST /v1/payments (target ORGANIZER_PLAN); it applies at once. Or wait for the first day of next month (UTC), or ask an admin to create the event for you.";

/** The refusal says which allowance is used up and how to get more. */
const limitReached = (limit: number, plan: string | null) =>
  new ProblemError(
    403,
    "plan_limit_reached",
    "Plan limit reached",
    plan
      ? `Your organization's plan "${plan}" allows ${limit} event(s) per calendar month (UTC) and this month's are used. ${UPGRADE}`
      : `Without a plan, an organization creates ${limit} event(s) per calendar month (UTC) and this month's are used. ${UPGRADE}`,
  );

/** The events an organization's people created this month: those an admin created for it are not theirs to count. */
export const eventsThisMonth = (db: Db, organizationId: string, start: Timestamp) =>
  db
    .select({ n: count() })
    .from(events)
    .where(
      and(
        eq(events.organization_id, organizationId),
        gte(events.created_at, start),
        notInArray(events.created_by, db.select({ id: users.id }).from(users).where(eq(users.role, "ADMIN"))),
      ),
    );

/**
 * Counts one event creation against the organization's month. With a plan
 * in force: one guarded UPDATE, so concurrent creations never pass the
 * plan's `max_events_per_month` (null: unlimited). Without one: the free
 * allowance (FREE_EVENTS_PER_MONTH events created this UTC month). The plan
 * limits what organizations create themselves: an event an admin creates for
 * one is neither refused nor counted (createEvent does not call this then).
 * Throws 403 `plan_limit_reached`, whose detail names the plan and how to get more.
 */
export async function consumeEventQuota(env: Env, organizationId: string): Promise<void> {
  const db = getDb(env.DB);
  const at = now();
  const start = monthStart(new Date(at));
  const counted = await db
    .update(sub)
    .set({
      events_created_this_month: sql`${counterSql(start)} + 1`,
      counter_reset_at: sql`(CASE WHEN COALESCE(${sub.counter_reset_at}, ${sub.created_at}) < ${start} THEN ${at} ELSE ${sub.counter_reset_at} END)`,
      // Counting is not an edit: admins' optimistic checks on updated_at must not trip on it.
      updated_at: sql`${sub.updated_at}`,
    })
    .where(and(inForce(organizationId, at), sql`(${planLimitSql} IS NULL OR ${counterSql(start)} < ${planLimitSql})`))
    .returning({ id: sub.id });
  if (counted.length > 0) return;

  const [[active], [created]] = await db.batch([
    db.select({ limit: plans.max_events_per_month, name: plans.name }).from(sub).innerJoin(plans, eq(plans.id, sub.plan_id)).where(inForce(organizationId, at)).limit(1),
    eventsThisMonth(db, organizationId, start),
  ]);
  if (active) {
    // Null here: the plan became unlimited between the two statements.
    if (active.limit === null) return;
    throw limitReached(active.limit, active.name);
  }
  if ((created?.n ?? 0) >= FREE_EVENTS_PER_MONTH) throw limitReached(FREE_EVENTS_PER_MONTH, null);
}

/**
 * The ticketing commission for an organization's event: the event's rate, or
 * the reduced rate of the organization's plan in force when that is lower.
 */
export async function effectiveCommissionBp(env: Env, organizationId: string, eventCommissionBp: number): Promise<number> {
  const [row] = await getDb(env.DB)
    .select({ reduced: plans.reduced_commission_bp })
    .from(sub)
    .innerJoin(plans, eq(plans.id, sub.plan_id))
    .where(inForce(organizationId, now()))
    .limit(1);
  return row?.reduced == null ? eventCommissionBp : Math.min(eventCommissionBp, row.reduced);
}

/**
 * Zeroes the monthly event counters once per UTC month: only counters last
 * reset before this month's first instant are touched, so the cron's
 * repeated runs within a month change nothing.
 */
export async function resetMonthlyEventCounters(env: Env, at: Timestamp = now()): Promise<number> {
  const start = monthStart(new Date(at));
  const reset = await getDb(env.DB)
    .update(sub)
    .set({ events_created_this_month: 0, counter_reset_at: at, updated_at: sql`${sub.updated_at}` })
    .where(and(inArray(sub.status, ["ACTIVE", "SUSPENDED"]), lt(sql`COALESCE(${sub.counter_reset_at}, ${sub.created_at})`, start)))
    .returning({ id: sub.id });
  return reset.length;
}
