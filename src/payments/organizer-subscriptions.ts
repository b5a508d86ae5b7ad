import type { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, inArray, lte, ne, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { addMonths, addSeconds, monthStart, now, type Timestamp } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import { firstOwner } from "../organizations/owners.ts";
import { organizations } from "../organizations/schema.ts";
import { FREE_EVENTS_PER_MONTH, counterOf, counterSql, eventsThisMonth, inForce, resetMonthlyEventCounters } from "./organizer-plan-limits.ts";
import type { AdminSubscriptionQuery } from "./organizer-plans-schemas.ts";
import { loadPlan } from "./organizer-plans.ts";
import { organizer_subscription_history, organizer_subscriptions, type BILLING_PERIODS, type ORGANIZER_SUBSCRIPTION_ACTIONS, type ORGANIZER_SUBSCRIPTION_STATUSES, organizer_plans } from "./schema.ts";

// Organizations' subscriptions to organizer plans: granted by admins or paid, their transitions and history, renewals, the monthly cron, and what members and admins read.

export type SubscriptionRow = typeof organizer_subscriptions.$inferSelect;
type HistoryRow = typeof organizer_subscription_history.$inferSelect;
type Status = (typeof ORGANIZER_SUBSCRIPTION_STATUSES)[number];
type HistoryAction = (typeof ORGANIZER_SUBSCRIPTION_ACTIONS)[number];
const sub = organizer_subscriptions;
const plans = organizer_plans;
const history = organizer_subscription_history;
const PERIOD_MONTHS: Record<(typeof BILLING_PERIODS)[number], number> = { MONTHLY: 1, QUARTERLY: 3, YEARLY: 12 };

/** Now as an end date; a subscription that started this very millisecond still ends after it started (CHECK ends_after_start). */
const endingNow = (startsAt: Timestamp, at: Timestamp): Timestamp => (at > startsAt ? at : addSeconds(startsAt, 0.001));

interface HistoryEntry {
  subscriptionId: string;
  action: HistoryAction;
  previous: Status | null;
  next: Status;
  comment?: string | null;
  by: string | null;
}

const historyWhere = (db: Db, when: SQL, entry: HistoryEntry, at: Timestamp) =>
  insertWhere(
    db,
    history,
    {
      id: newId(),
      organizer_subscription_id: entry.subscriptionId,
      action: entry.action,
      previous_status: entry.previous,
      new_status: entry.next,
      comment: entry.comment ?? null,
      performed_by: entry.by,
      created_at: at,
    },
    when,
  );

const field = (path: string, message: string, code = "invalid") => problems.validation([{ path, message, code }]);

const activeConflict = () =>
  problems.conflict("active_subscription_exists", "This organization already has an active subscription; change its plan or end it first.");

/**
 * An admin gives an organization a plan (no payment: `price_paid` 0), in the
 * name of its first owner. With a subscription already ACTIVE on another plan, that one ends (CANCELLED) and
 * the new one starts in the same batch, both recorded as PLAN_CHANGE; the
 * month's event count carries over.
 */
export async function grantSubscription(
  env: Env,
  actor: Actor,
  input: { organization_id: string; plan_id: string; starts_at?: string; auto_renew: boolean; comment?: string },
): Promise<SubscriptionRow> {
  const db = getDb(env.DB);
  const at = now();
  const start = monthStart(new Date(at));
  const startsAt = input.starts_at ? new Date(input.starts_at).toISOString() : at;
  if (startsAt > at) throw field("starts_at", "A subscription cannot start in the future.", "in_future");

  const [[organization], [plan], [current], [created]] = await db.batch([
    db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, input.organization_id)).limit(1),
    db.select().from(plans).where(eq(plans.id, input.plan_id)).limit(1),
    db.select().from(sub).where(and(eq(sub.organization_id, input.organization_id), eq(sub.status, "ACTIVE"))).limit(1),
    eventsThisMonth(db, input.organization_id, start),
  ]);
  if (!organization) throw field("organization_id", "No organization has this id.", "unknown_organization");
  if (!plan) throw field("plan_id", "No plan has this id.", "unknown_plan");
  if (!plan.is_active) throw field("plan_id", "This plan is not offered any more.", "plan_inactive");
  const endsAt = addMonths(startsAt, PERIOD_MONTHS[plan.billing_period]);
  if (endsAt <= at) throw field("starts_at", "A subscription starting then would already have ended.", "already_ended");
  if (current?.plan_id === plan.id) {
    throw problems.conflict("already_subscribed", `This organization is already on this plan until ${current.ends_at}.`);
  }

  const id = newId();
  const values = {
    id,
    user_id: (await firstOwner(db, input.organization_id)) ?? actor.userId,
    organization_id: input.organization_id,
    plan_id: plan.id,
    starts_at: startsAt,
    ends_at: endsAt,
    status: "ACTIVE" as const,
    price_paid: 0,
    currency: plan.currency,
    auto_renew: input.auto_renew,
    payment_reference: null,
    events_created_this_month: current ? counterOf(current, start) : (created?.n ?? 0),
    counter_reset_at: at,
    created_at: at,
    updated_at: at,
  };
  const comment = input.comment ?? null;
  try {
    if (!current) {
      await auditedInsert(db, actor, sub, values, {
        description: `Grant plan ${plan.name}`,
        also: (written) => [historyWhere(db, written, { subscriptionId: id, action: "SUBSCRIBE", previous: null, next: "ACTIVE", comment, by: actor.userId }, at)],
      });
    } else {
      await auditedUpdate(db, actor, sub, current.id, { status: "CANCELLED", ends_at: endingNow(current.starts_at, at), auto_renew: false }, {
        what: "Organizer subscription",
        description: `Plan change to ${plan.name}`,
        guard: eq(sub.status, "ACTIVE"),
        also: (written) => [
          historyWhere(db, written, { subscriptionId: current.id, action: "PLAN_CHANGE", previous: "ACTIVE", next: "CANCELLED", comment, by: actor.userId }, at),
          // The count is read in the batch, so events counted meanwhile carry over too.
          insertWhere(db, sub, { ...values, events_created_this_month: sql`(SELECT ${counterSql(start)} FROM ${sub} WHERE ${sub.id} = ${current.id})` }, written),
          historyWhere(db, written, { subscriptionId: id, action: "PLAN_CHANGE", previous: null, next: "ACTIVE", comment, by: actor.userId }, at),
          auditWhere(db, actor, written, { action: "CREATE", table: sub, id, before: null, after: values, description: `Plan change to ${plan.name}` }),
        ],
      });
    }
  } catch (error) {
    if (isUniqueViolation(error, "organizer_subscriptions")) throw activeConflict();
    throw error;
  }
  return loadSubscription(db, id);
}

async function loadSubscription(db: Db, id: string): Promise<SubscriptionRow> {
  const [row] = await db.select().from(sub).where(eq(sub.id, id)).limit(1);
  if (!row) throw problems.notFound("Organizer subscription");
  return row;
}

const TRANSITIONS = {
  suspend: { from: ["ACTIVE"], to: "SUSPENDED", action: "SUSPEND", done: "suspended" },
  reactivate: { from: ["SUSPENDED"], to: "ACTIVE", action: "REACTIVATE", done: "reactivated" },
  cancel: { from: ["ACTIVE", "SUSPENDED", "PENDING"], to: "CANCELLED", action: "CANCEL", done: "cancelled" },
} as const satisfies Record<string, { from: readonly Status[]; to: Status; action: HistoryAction; done: string }>;

export type Transition = keyof typeof TRANSITIONS;

/** suspend / reactivate / cancel, by an admin, with the history row in the same batch. */
export async function transitionSubscription(env: Env, actor: Actor, id: string, kind: Transition, comment: string | undefined): Promise<SubscriptionRow> {
  const db = getDb(env.DB);
  const at = now();
  const rule = TRANSITIONS[kind];
  const row = await loadSubscription(db, id);
  if (!(rule.from as readonly Status[]).includes(row.status)) {
    throw problems.conflict("invalid_transition", `This subscription is ${row.status}; it cannot be ${rule.done}.`);
  }
  if (kind === "reactivate" && row.ends_at <= at) throw problems.conflict("subscription_ended", `This subscription ended on ${row.ends_at}.`);
  const patch = kind === "cancel" ? { status: rule.to, ends_at: endingNow(row.starts_at, at), auto_renew: false } : { status: rule.to };
  try {
    const { after } = await auditedUpdate(db, actor, sub, id, patch, {
      what: "Organizer subscription",
      description: `${rule.action} organizer subscription`,
      guard: eq(sub.status, row.status),
      also: (written) => [historyWhere(db, written, { subscriptionId: id, action: rule.action, previous: row.status, next: rule.to, comment, by: actor.userId }, at)],
    });
    return after;
  } catch (error) {
    if (isUniqueViolation(error, "organizer_subscriptions")) throw activeConflict();
    throw error;
  }
}

/**
 * A payment confirmed for a PENDING subscription: it becomes ACTIVE from now
 * for the plan's period, with the payment's reference. A subscription ACTIVE
 * on another plan ends in the same batch (PLAN_CHANGE). Idempotent: the same
 * reference again returns the subscription unchanged. Acts as the system
 * (history `performed_by` null).
 */
export async function activateOrganizerSubscription(env: Env, subscriptionId: string, paymentReference: string): Promise<SubscriptionRow> {
  const db = getDb(env.DB);
  const at = now();
  const start = monthStart(new Date(at));
  const row = await loadSubscription(db, subscriptionId);
  if (row.status === "ACTIVE" && row.payment_reference === paymentReference) return row;
  if (row.status !== "PENDING") throw problems.conflict("invalid_transition", `This subscription is ${row.status}; only a PENDING one can be activated.`);
  const [[plan], [previous]] = await db.batch([
    db.select().from(plans).where(eq(plans.id, row.plan_id)).limit(1),
    db.select().from(sub).where(and(eq(sub.organization_id, row.organization_id ?? ""), eq(sub.status, "ACTIVE"), ne(sub.id, row.id))).limit(1),
  ]);
  if (!plan) throw problems.notFound("Organizer plan");
  const stillPending = sql`EXISTS (SELECT 1 FROM ${sub} WHERE ${sub.id} = ${row.id} AND ${sub.status} = 'PENDING')`;
  const counter = previous
    ? sql`(SELECT ${counterSql(start)} FROM ${sub} WHERE ${sub.id} = ${previous.id})`
    : sql`(SELECT COUNT(*) FROM ${events} WHERE ${events.organization_id} = ${row.organization_id} AND ${events.created_at} >= ${start})`;
  const ending = previous
    ? [
        db
          .update(sub)
          .set({ status: "CANCELLED", ends_at: endingNow(previous.starts_at, at), auto_renew: false, updated_at: at })
          .where(and(eq(sub.id, previous.id), eq(sub.status, "ACTIVE"), stillPending)),
        historyWhere(db, sql`changes() = 1`, { subscriptionId: previous.id, action: "PLAN_CHANGE", previous: "ACTIVE", next: "CANCELLED", comment: `Replaced by ${row.id}`, by: null }, at),
      ]
    : [];
  try {
    const [first, ...rest] = [
      ...ending,
      db
        .update(sub)
        .set({
          status: "ACTIVE",
          starts_at: at,
          ends_at: addMonths(at, PERIOD_MONTHS[plan.billing_period]),
          payment_reference: paymentReference,
          events_created_this_month: counter,
          counter_reset_at: at,
          updated_at: at,
        })
        .where(and(eq(sub.id, row.id), eq(sub.status, "PENDING")))
        .returning(),
      historyWhere(db, sql`changes() = 1`, { subscriptionId: row.id, action: previous ? "PLAN_CHANGE" : "SUBSCRIBE", previous: "PENDING", next: "ACTIVE", comment: `Payment ${paymentReference}`, by: null }, at),
    ];
    const results = await db.batch([first!, ...rest]);
    const [activated] = results[results.length - 2] as SubscriptionRow[];
    if (activated) return activated;
  } catch (error) {
    if (isUniqueViolation(error, "organizer_subscriptions")) throw activeConflict();
    throw error;
  }
  // Lost a race: someone else moved it first.
  const again = await loadSubscription(db, subscriptionId);
  if (again.status === "ACTIVE" && again.payment_reference === paymentReference) return again;
  throw problems.conflict("invalid_transition", `This subscription is ${again.status}; only a PENDING one can be activated.`);
}

/**
 * A member with `plan.manage` chooses a plan for their organization: a
 * PENDING subscription in their name, activated when its payment is
 * confirmed (POST /v1/payments). Asking again for the same plan returns the
 * waiting one; another plan replaces it.
 */
export async function requestOrganizerSubscription(env: Env, userId: string, organizationId: string, planId: string, autoRenew: boolean): Promise<SubscriptionView> {
  const db = getDb(env.DB);
  const at = now();
  const [[plan], pending] = await db.batch([
    db.select().from(plans).where(eq(plans.id, planId)).limit(1),
    db.select().from(sub).where(and(eq(sub.organization_id, organizationId), eq(sub.status, "PENDING"))),
  ]);
  if (!plan || !plan.is_active) throw field("plan_id", "No plan on offer has this id.", "unknown_plan");
  const same = pending.find((p) => p.plan_id === planId);
  if (same) return view(same, plan.name, at);
  const id = newId();
  const [[created]] = await db.batch([
    db
      .insert(sub)
      .values({ id, user_id: userId, organization_id: organizationId, plan_id: plan.id, starts_at: at, ends_at: addMonths(at, PERIOD_MONTHS[plan.billing_period]), status: "PENDING", price_paid: plan.price, currency: plan.currency, auto_renew: autoRenew, created_at: at, updated_at: at })
      .returning(),
    db.update(sub).set({ status: "CANCELLED", updated_at: at }).where(and(eq(sub.organization_id, organizationId), eq(sub.status, "PENDING"), ne(sub.id, id))),
    ...pending.map((p) => historyWhere(db, sql`1`, { subscriptionId: p.id, action: "CANCEL", previous: "PENDING", next: "CANCELLED", comment: `Replaced by ${id}`, by: userId }, at)),
  ]);
  return view(created!, plan.name, at);
}

/**
 * A paid renewal of an ACTIVE subscription: one more period from its current
 * end, recorded as RENEW. Idempotent on the payment reference; a renewal that
 * raced a cancellation is refused (the caller refunds it).
 */
export async function renewOrganizerSubscription(env: Env, subscriptionId: string, paymentReference: string): Promise<SubscriptionRow> {
  const db = getDb(env.DB);
  const at = now();
  const row = await loadSubscription(db, subscriptionId);
  if (row.payment_reference === paymentReference) return row;
  if (row.status !== "ACTIVE") throw problems.conflict("invalid_transition", `This subscription is ${row.status}; only an ACTIVE one can be renewed.`);
  const [plan] = await db.select().from(plans).where(eq(plans.id, row.plan_id)).limit(1);
  if (!plan) throw problems.notFound("Organizer plan");
  const [renewed] = await db.batch([
    db
      .update(sub)
      .set({ ends_at: addMonths(row.ends_at, PERIOD_MONTHS[plan.billing_period]), payment_reference: paymentReference, updated_at: at })
      // Guarded on the end as read: two renewals never add the same period twice.
      .where(and(eq(sub.id, row.id), eq(sub.status, "ACTIVE"), eq(sub.ends_at, row.ends_at)))
      .returning(),
    historyWhere(db, sql`changes() = 1`, { subscriptionId: row.id, action: "RENEW", previous: "ACTIVE", next: "ACTIVE", comment: `Payment ${paymentReference}`, by: null }, at),
  ]);
  if (renewed[0]) return renewed[0];
  const again = await loadSubscription(db, subscriptionId);
  if (again.payment_reference === paymentReference) return again;
  throw problems.conflict("concurrent_change", "This subscription changed meanwhile.");
}

const EXPIRY_PAGE = 50;
const EXPIRY_PAGES_PER_RUN = 20;

/**
 * ACTIVE or SUSPENDED subscriptions past their end become EXPIRED, each with
 * its history row in the same batch. The history action set has no "expire":
 * these rows are CANCEL with new status EXPIRED and no acting user.
 */
export async function expireOrganizerSubscriptions(env: Env, at: Timestamp = now()): Promise<number> {
  const db = getDb(env.DB);
  let expired = 0;
  for (let page = 0; page < EXPIRY_PAGES_PER_RUN; page++) {
    const due = await db
      .select({ id: sub.id, status: sub.status, ends_at: sub.ends_at })
      .from(sub)
      .where(and(inArray(sub.status, ["ACTIVE", "SUSPENDED"]), lte(sub.ends_at, at)))
      .orderBy(asc(sub.ends_at))
      .limit(EXPIRY_PAGE);
    if (due.length === 0) break;
    const [first, ...rest] = due.flatMap((row) => [
      db
        .update(sub)
        .set({ status: "EXPIRED", updated_at: at })
        .where(and(eq(sub.id, row.id), eq(sub.status, row.status), lte(sub.ends_at, at)))
        .returning({ id: sub.id }),
      historyWhere(db, sql`changes() = 1`, { subscriptionId: row.id, action: "CANCEL", previous: row.status, next: "EXPIRED", comment: `Expired: the subscription ended on ${row.ends_at}.`, by: null }, at),
    ]);
    const results = await db.batch([first!, ...rest]);
    const ended = due.filter((_, i) => {
      const updated = results[i * 2];
      return Array.isArray(updated) && updated.length > 0;
    });
    expired += ended.length;
    await tellExpired(env, ended.map((row) => row.id));
    if (due.length < EXPIRY_PAGE) break;
  }
  return expired;
}

/** SUBSCRIPTION_EXPIRED to each organizer whose subscription just expired, once per subscription and end. */
async function tellExpired(env: Env, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await getDb(env.DB)
    .select({ id: sub.id, user_id: sub.user_id, ends_at: sub.ends_at, plan_name: plans.name })
    .from(sub)
    .innerJoin(plans, eq(plans.id, sub.plan_id))
    .where(inArray(sub.id, ids));
  await notify(
    env,
    rows.map((row) => ({
      type: "SUBSCRIPTION_EXPIRED" as const,
      key: `subscription_expired:${row.id}:${row.ends_at}`,
      user_id: row.user_id,
      data: { plan_name: row.plan_name, ends_at: { at: row.ends_at, time_zone: "reader" } },
    })),
  );
}

/** The cron's part for organizer plans: the month's counter reset, then expiries. */
export async function runOrganizerPlanCron(env: Env): Promise<void> {
  const at = now();
  await resetMonthlyEventCounters(env, at);
  await expireOrganizerSubscriptions(env, at);
}

export interface SubscriptionView {
  row: SubscriptionRow;
  planName: string;
  eventsThisMonth: number;
}

const view = (row: SubscriptionRow, planName: string, at: Timestamp): SubscriptionView => ({
  row,
  planName,
  eventsThisMonth: counterOf(row, monthStart(new Date(at))),
});

export async function listSubscriptions(env: Env, query: z.infer<typeof AdminSubscriptionQuery>) {
  const after = decodeCursor(query.cursor);
  const at = now();
  const rows = await getDb(env.DB)
    .select({ row: sub, planName: plans.name })
    .from(sub)
    .innerJoin(plans, eq(plans.id, sub.plan_id))
    .where(
      and(
        query.status ? eq(sub.status, query.status) : undefined,
        query.organization_id ? eq(sub.organization_id, query.organization_id) : undefined,
        query.organizer_id ? eq(sub.user_id, query.organizer_id) : undefined,
        afterCursor(after, sub.created_at, sub.id, "desc"),
      ),
    )
    .orderBy(desc(sub.created_at), desc(sub.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (r) => ({ k: r.row.created_at, id: r.row.id }));
  return { data: page.data.map((r) => view(r.row, r.planName, at)), next_cursor: page.next_cursor };
}

export async function subscriptionDetail(env: Env, id: string): Promise<SubscriptionView & { history: HistoryRow[] }> {
  const db = getDb(env.DB);
  const [[found], entries] = await db.batch([
    db.select({ row: sub, planName: plans.name }).from(sub).innerJoin(plans, eq(plans.id, sub.plan_id)).where(eq(sub.id, id)).limit(1),
    db.select().from(history).where(eq(history.organizer_subscription_id, id)).orderBy(asc(history.created_at), asc(history.id)),
  ]);
  if (!found) throw problems.notFound("Organizer subscription");
  return { ...view(found.row, found.planName, now()), history: entries };
}

const HISTORY_LIMIT = 100;

/** What an organization's members see of its plan: the subscription, its plan and features, this month's usage, the history. */
export async function organizationSubscription(env: Env, organizationId: string, role: AuthContext["role"]) {
  const db = getDb(env.DB);
  const at = now();
  const start = monthStart(new Date(at));
  const [[active], [latest], entries, [created]] = await db.batch([
    db.select().from(sub).where(inForce(organizationId, at)).limit(1),
    db
      .select()
      .from(sub)
      .where(and(eq(sub.organization_id, organizationId), inArray(sub.status, ["SUSPENDED", "PENDING"])))
      .orderBy(desc(sub.created_at), desc(sub.id))
      .limit(1),
    db
      .select({ entry: history })
      .from(history)
      .innerJoin(sub, eq(sub.id, history.organizer_subscription_id))
      .where(eq(sub.organization_id, organizationId))
      .orderBy(desc(history.created_at), desc(history.id))
      .limit(HISTORY_LIMIT),
    eventsThisMonth(db, organizationId, start),
  ]);
  const shown = active ?? latest ?? null;
  const plan = shown ? await loadPlan(db, shown.plan_id) : null;
  const month = start.slice(0, 7);
  let usage: { month: string; events_created: number; limit: number | null; remaining: number | null; source: "PLAN" | "FREE_ALLOWANCE" | "ADMIN" };
  if (role === "ADMIN") {
    usage = { month, events_created: created?.n ?? 0, limit: null, remaining: null, source: "ADMIN" };
  } else if (active && plan) {
    const used = counterOf(active, start);
    const limit = plan.plan.max_events_per_month;
    usage = { month, events_created: used, limit, remaining: limit === null ? null : Math.max(0, limit - used), source: "PLAN" };
  } else {
    const used = created?.n ?? 0;
    usage = { month, events_created: used, limit: FREE_EVENTS_PER_MONTH, remaining: Math.max(0, FREE_EVENTS_PER_MONTH - used), source: "FREE_ALLOWANCE" };
  }
  return {
    subscription: shown && plan ? view(shown, plan.plan.name, at) : null,
    plan,
    usage,
    history: entries.map((e) => e.entry),
  };
}
