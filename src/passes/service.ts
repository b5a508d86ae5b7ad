import { recordCommission } from "../payments/commissions.ts";
import type { z } from "@hono/zod-openapi";
import { and, desc, eq, gt, gte, inArray, isNull, lt, lte, ne, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { access_rights } from "../access/schema.ts";
import { pricePass, promoCodeRefusal } from "../catalog/pricing.ts";
import { EVENT_USES_SQL, PASS_USES_SQL, USAGE_COUNT_SQL } from "../catalog/rule-uses.ts";
import { pricing_rule_usages, pricing_rules, subscription_plan_event_groups, subscription_plan_events, subscription_plan_zones, subscription_plans } from "../catalog/schema.ts";
import { buyerOf, passRules } from "../catalog/service.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { issueRights } from "../catalog/sync.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { event_groups, events, seats, venue_zones } from "../events/schema.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { addSeconds, ageOn, now } from "../lib/time.ts";
import { addMonths } from "../payments/organizer-plans.ts";
import { payments } from "../payments/schema.ts";
import { auditedUpdate, type Actor, insertWhere } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { coversAutomatically, coversOnBooking, eventOpen, localDate, nearValidity, planRef, withinValidity, type PlanRef } from "./coverage.ts";
import { subscription_bookings, subscriptions } from "./schema.ts";
import type { MySubscriptionsQuery, SubscribeBody } from "./schemas.ts";

type SubscriptionRow = typeof subscriptions.$inferSelect;
type PlanRow = typeof subscription_plans.$inferSelect;
type BookingRow = typeof subscription_bookings.$inferSelect;
type RightsStatus = "BLOCKED" | "ENABLED" | "CANCELLED";

/** Statuses in which a pass holds its place on the plan and its seat: what `current_subscribers` counts. */
const LIVE = ["PENDING", "ACTIVE", "SUSPENDED"] as const;
const LIVE_SQL = sql.raw(`('PENDING', 'ACTIVE', 'SUSPENDED')`);
/** An unpaid pass gives its place back after this long. */
const PENDING_TTL_SECONDS = 48 * 3600;
/** Event Durable Object calls per request or cron run; the cron's next run picks up the rest. */
const FANOUT_BUDGET = 100;
const FANOUT_PARALLELISM = 6;
/** Rows a cron statement handles per run. */
const CRON_BATCH = 200;

const today = (at: string = now()) => at.slice(0, 10);
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The rights of a pass: source_id is the pass itself, or `<pass>:<booking>` for a booked match. */
const sourceOf = (subscriptionId: string, bookingId?: string) => (bookingId ? `${subscriptionId}:${bookingId}` : subscriptionId);
const rightsOfPass = (subscriptionId: string) =>
  and(
    eq(access_rights.source_type, "SUBSCRIPTION"),
    or(eq(access_rights.source_id, subscriptionId), and(gt(access_rights.source_id, `${subscriptionId}:`), lt(access_rights.source_id, `${subscriptionId};`))),
  );


/** Runs `task` over `items`, a few at a time; returns how many failed (each failure is logged). */
async function fanOut<T>(items: T[], task: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failures += 1;
        console.error("season pass fan-out step failed", error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FANOUT_PARALLELISM, items.length) }, worker));
  return failures;
}

const unfinished = (failures: number) =>
  problems.unavailable(`${failures} event(s) could not be updated yet. Repeat the request (it is safe to), or let the periodic reconciliation finish it.`);

// ------------------------------------------------------------ reading and authorization

type Access = "HOLDER" | "MANAGER";
type Caller = Pick<AuthContext, "userId" | "role">;

/** Admins and the plan's organizer manage a pass. */
const manages = (auth: Caller, plan: PlanRow) => auth.role === "ADMIN" || (plan.organizer_id !== null && plan.organizer_id === auth.userId);

async function loadPass(db: Db, id: string) {
  const [row] = await db.select({ sub: subscriptions, plan: subscription_plans }).from(subscriptions).innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id)).where(eq(subscriptions.id, id)).limit(1);
  return row;
}

/** The pass for its holder, its plan's organizer or an admin; 404 for anyone else. */
async function readablePass(db: Db, auth: Caller, id: string): Promise<{ sub: SubscriptionRow; plan: PlanRow; as: Access }> {
  const row = await loadPass(db, id);
  if (!row) throw problems.notFound("Season pass");
  if (manages(auth, row.plan)) return { ...row, as: "MANAGER" };
  if (row.sub.user_id === auth.userId) return { ...row, as: "HOLDER" };
  throw problems.notFound("Season pass");
}

/** The pass for who manages it; its holder (who can see it) gets 403, anyone else 404. */
async function managedPass(db: Db, auth: Caller, id: string) {
  const pass = await readablePass(db, auth, id);
  if (pass.as !== "MANAGER") throw problems.forbidden("Only the club selling this pass or an admin can do this.");
  return pass;
}

/** The pass for its holder only; its managers get 403, anyone else 404. */
async function heldPass(db: Db, auth: AuthContext, id: string) {
  const row = await loadPass(db, id);
  if (!row || (row.sub.user_id !== auth.userId && !manages(auth, row.plan))) throw problems.notFound("Season pass");
  if (row.sub.user_id !== auth.userId) throw problems.forbidden("Only the pass holder can do this.");
  return row;
}

const matchesIncluded = (plan: PlanRow): number | null => (plan.type === "FLEX" ? (plan.benefits?.number_of_matches ?? null) : null);

function viewOf(sub: SubscriptionRow, plan: PlanRow, rightsCount: number, booked: number) {
  const { metadata, last_transfer_date: _t, created_by: _c, ...fields } = sub;
  const total = matchesIncluded(plan);
  return {
    ...fields,
    plan: { id: plan.id, code: plan.code, name: plan.name, type: plan.type, organizer_id: plan.organizer_id },
    renewed_from: typeof metadata?.renewed_from === "string" ? metadata.renewed_from : null,
    rights_count: rightsCount,
    matches: plan.type === "FLEX" ? { total: total ?? 0, booked } : null,
  };
}

const bookingView = (b: BookingRow) => ({
  id: b.id,
  subscription_id: b.subscription_id,
  event_id: b.event_id,
  status: b.status,
  access_right_id: b.access_right_id,
  booked_at: b.booked_at,
  cancelled_at: b.cancelled_at,
});

async function detailOf(db: Db, sub: SubscriptionRow, plan: PlanRow) {
  const [[rights], bookings] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(access_rights).where(and(rightsOfPass(sub.id), ne(access_rights.status, "CANCELLED"))),
    db.select().from(subscription_bookings).where(eq(subscription_bookings.subscription_id, sub.id)).orderBy(desc(subscription_bookings.booked_at), desc(subscription_bookings.id)),
  ]);
  const booked = bookings.filter((b) => b.status !== "CANCELLED").length;
  return { ...viewOf(sub, plan, rights?.n ?? 0, booked), bookings: bookings.map(bookingView) };
}

export async function readSubscription(env: Env, auth: AuthContext, id: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await readablePass(db, auth, id);
  return detailOf(db, sub, plan);
}

/** The caller's passes, newest first, each with its plan and counts. */
export async function listMySubscriptions(env: Env, auth: AuthContext, query: z.infer<typeof MySubscriptionsQuery>) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const s = subscriptions;
  const rows = await db
    .select({
      sub: s,
      plan: subscription_plans,
      rights: sql<number>`(SELECT count(*) FROM access_rights r WHERE r.source_type = 'SUBSCRIPTION' AND (r.source_id = ${s.id} OR (r.source_id > ${s.id} || ':' AND r.source_id < ${s.id} || ';')) AND r.status <> 'CANCELLED')`.as("rights_count"),
      booked: sql<number>`(SELECT count(*) FROM subscription_bookings b WHERE b.subscription_id = ${s.id} AND b.status <> 'CANCELLED')`.as("booked_count"),
    })
    .from(s)
    .innerJoin(subscription_plans, eq(subscription_plans.id, s.subscription_plan_id))
    .where(
      and(
        eq(s.user_id, auth.userId),
        query.status ? eq(s.status, query.status) : undefined,
        after ? or(lt(s.created_at, String(after.k)), and(eq(s.created_at, String(after.k)), lt(s.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(s.created_at), desc(s.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.sub.created_at, id: row.sub.id }));
  return { data: page.data.map((row) => viewOf(row.sub, row.plan, row.rights, row.booked)), next_cursor: page.next_cursor };
}

// ------------------------------------------------------------ subscribing

/** The plan's restrictions the holder must meet: age range, verified identity. */
async function checkEligibility(db: Db, plan: PlanRow, userId: string) {
  const restrictions = plan.restrictions ?? {};
  const [user] = await db.select({ date_of_birth: users.date_of_birth, verified: users.is_identity_verified }).from(users).where(eq(users.id, userId)).limit(1);
  if (!user) throw problems.notFound("User");
  const min = restrictions.min_age ?? null;
  const max = restrictions.max_age ?? null;
  if (min !== null || max !== null) {
    if (!user.date_of_birth) throw problems.forbidden("This pass has an age restriction: add your date of birth to your profile first.", "date_of_birth_required");
    const age = ageOn(user.date_of_birth);
    if ((min !== null && age < min) || (max !== null && age > max)) {
      throw problems.forbidden(`This pass is for people aged ${min ?? 0}${max !== null ? ` to ${max}` : " and over"}.`, "age_restriction");
    }
  }
  if (restrictions.requires_id_verification && !user.verified) {
    throw problems.forbidden("This pass requires a verified identity: verify yours in your profile first.", "identity_verification_required");
  }
}

/** The seat asked for, checked against the plan: required for assigned-seat plans, refused by others, in a zone category the plan opens. */
async function chosenSeat(db: Db, plan: PlanRow, seatId: string | undefined): Promise<string | null> {
  const assigned = plan.metadata?.seat_selection === "assigned";
  if (!seatId) {
    if (assigned) throw problems.validation([{ path: "seat_id", message: "This plan comes with an assigned seat: choose one.", code: "seat_required" }]);
    return null;
  }
  if (!assigned) throw problems.validation([{ path: "seat_id", message: "This plan has no assigned seats.", code: "seat_not_applicable" }]);
  const [[seat], zones] = await db.batch([
    db
      .select({ category: venue_zones.category, active: sql<number>`${seats.is_active} AND ${venue_zones.is_active}`.as("active") })
      .from(seats)
      .innerJoin(venue_zones, eq(venue_zones.id, seats.zone_id))
      .where(eq(seats.id, seatId))
      .limit(1),
    db.select({ category: subscription_plan_zones.zone_category }).from(subscription_plan_zones).where(eq(subscription_plan_zones.subscription_plan_id, plan.id)),
  ]);
  if (!seat || !seat.active) throw problems.validation([{ path: "seat_id", message: "No such seat.", code: "invalid_reference" }]);
  const categories = [...zones.map((z) => z.category), ...(plan.default_zone_category ? [plan.default_zone_category] : [])];
  if (categories.length > 0 && !categories.includes(seat.category)) {
    throw problems.validation([{ path: "seat_id", message: "This seat is not in a zone this plan opens.", code: "seat_outside_plan" }]);
  }
  return seatId;
}

/**
 * A pass's validity dates, starting no earlier than `notBefore`: the plan's
 * season (the span of its event groups' dates) cut to `duration_months` when
 * it has one, or `duration_months` from the start when it has no season.
 */
async function planValidity(db: Db, plan: PlanRow, notBefore: string): Promise<{ valid_from: string; valid_until: string }> {
  const [season] = await db
    .select({ from: sql<string | null>`min(${event_groups.starts_on})`, until: sql<string | null>`max(${event_groups.ends_on})` })
    .from(subscription_plan_event_groups)
    .innerJoin(event_groups, eq(event_groups.id, subscription_plan_event_groups.event_group_id))
    .where(eq(subscription_plan_event_groups.subscription_plan_id, plan.id));
  const from = season?.from && season.from > notBefore ? season.from : notBefore;
  let until = season?.until ?? null;
  if (plan.duration_months) {
    const end = addDays(addMonths(`${from}T00:00:00.000Z`, plan.duration_months).slice(0, 10), -1);
    if (until === null || end < until) until = end;
  }
  if (until === null) throw problems.conflict("plan_without_validity", "This plan has neither a duration nor season dates; it cannot be sold yet.");
  if (until < from) throw problems.conflict("season_over", "This plan's season is over.");
  return { valid_from: from, valid_until: until };
}

interface NewPass {
  plan: PlanRow;
  userId: string;
  seatId: string | null;
  validity: { valid_from: string; valid_until: string };
  autoRenew: boolean;
  createdBy: string;
  renewedFrom: string | null;
  price: PassPrice;
}

type PassPrice = Awaited<ReturnType<typeof priceOfPass>>;

/**
 * What `userId` pays for a pass of `plan` now: the plan's price, then its
 * pricing rules for passes (`pricePass`), with their uses as D1 counts them.
 * A promo code that is unknown, used up or does not fit is refused.
 */
async function priceOfPass(db: Db, plan: PlanRow, userId: string, promoCode: string | null, at: string) {
  const [rules, buyer] = await Promise.all([passRules(db, plan.organizer_id ?? "", promoCode, userId), buyerOf(db, userId)]);
  if (promoCode && !rules.some((r) => r.promo_code === promoCode)) {
    throw problems.validation([{ path: "promo_code", message: "Unknown or inactive promo code.", code: "unknown_promo_code" }]);
  }
  const quote = pricePass({
    plan: { code: plan.code, price: plan.price, currency: plan.currency },
    now: at,
    promo_code: promoCode,
    buyer: { ...buyer, rule_usage: Object.fromEntries(rules.map((r) => [r.id, r.user_uses])) },
    rules,
  });
  const refused = promoCodeRefusal(quote, rules, promoCode);
  if (refused) throw new ProblemError(refused.status, refused.code, refused.status === 409 ? "Conflict" : "Validation failed", refused.detail);
  return { gross: quote.gross, discount: quote.discount, total: quote.total, applied: quote.applied };
}

/**
 * Creates a PENDING pass and counts it on its plan, in one D1 batch whose
 * insert holds only if the plan still has room, the holder has no other live
 * pass on the plan for overlapping dates, and the seat is not held by a live
 * pass of the same plan or of any plan for overlapping dates. D1 runs a batch
 * alone, so concurrent requests never pass `max_subscribers` nor share a seat.
 */
async function createSubscription(db: Db, pass: NewPass): Promise<SubscriptionRow> {
  const { plan, validity } = pass;
  const overlaps = sql`o.valid_from <= ${validity.valid_until} AND o.valid_until >= ${validity.valid_from}`;
  const allowed = sql`NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.user_id = ${pass.userId} AND o.subscription_plan_id = ${plan.id} AND o.status IN ${LIVE_SQL} AND ${overlaps})
    AND (${pass.seatId} IS NULL OR NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.seat_id = ${pass.seatId} AND o.status IN ${LIVE_SQL} AND (o.subscription_plan_id = ${plan.id} OR (${overlaps}))))
    AND EXISTS (SELECT 1 FROM subscription_plans p WHERE p.id = ${plan.id} AND p.is_active = 1 AND (p.max_subscribers IS NULL OR p.current_subscribers < p.max_subscribers))
    AND ${withinRuleLimits(pass.price.applied.map((a) => a.id), pass.userId)}`;
  for (let attempt = 1; ; attempt++) {
    const id = newId();
    const at = now();
    const row: typeof subscriptions.$inferInsert = {
      id,
      subscription_number: `SUB-${validity.valid_from.slice(0, 4)}-${humanCode(6, "0123456789")}`,
      user_id: pass.userId,
      subscription_plan_id: plan.id,
      seat_id: pass.seatId,
      price_paid: pass.price.total,
      currency: plan.currency,
      valid_from: validity.valid_from,
      valid_until: validity.valid_until,
      status: "PENDING",
      auto_renew: pass.autoRenew,
      renewal_date: addDays(validity.valid_until, -plan.renewal_priority_days),
      transfers_used: 0,
      metadata: {
        ...(pass.renewedFrom ? { renewed_from: pass.renewedFrom } : {}),
        ...(pass.price.applied.length ? { pricing: { gross: pass.price.gross, discount: pass.price.discount, applied_rules: pass.price.applied } } : {}),
      },
      created_at: at,
      updated_at: at,
      created_by: pass.createdBy,
    };
    const created = sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${id})`;
    const uses = pass.price.applied.map((a) =>
      insertWhere(db, pricing_rule_usages, { id: newId(), rule_id: a.id, user_id: pass.userId, subscription_id: id, discount_amount: a.amount, currency: plan.currency, used_at: at }, created),
    );
    try {
      const results = await db.batch([
        insertWhere(db, subscriptions, row, allowed),
        db
          .update(subscription_plans)
          // Counting is not an edit: the organizer's optimistic checks on updated_at must not trip on it.
          .set({ current_subscribers: sql`${subscription_plans.current_subscribers} + 1`, updated_at: sql`${subscription_plans.updated_at}` })
          .where(and(eq(subscription_plans.id, plan.id), created)),
        ...uses,
        ...recountRules(db, pass.price.applied.map((a) => a.id)),
        db.select().from(subscriptions).where(eq(subscriptions.id, id)),
      ]);
      const [pass_] = results[results.length - 1] as SubscriptionRow[];
      if (pass_) return pass_;
      break;
    } catch (error) {
      if (attempt < 5 && isUniqueViolation(error, "subscriptions.subscription_number")) continue;
      throw error;
    }
  }
  throw await refusal(db, pass);
}

/** SQL: each of these rules is active and below its total limit and `userId`'s own, as D1 counts uses. */
function withinRuleLimits(ruleIds: string[], userId: string) {
  if (ruleIds.length === 0) return sql`1`;
  const own = sql`(SELECT count(*) FROM pricing_rule_usages u WHERE u.rule_id = pricing_rules.id AND u.user_id = ${userId} AND u.released_at IS NULL)`;
  return sql`(SELECT count(*) FROM pricing_rules WHERE pricing_rules.id IN ${ruleIds} AND pricing_rules.is_active = 1
    AND (pricing_rules.usage_limit_total IS NULL OR ${sql.raw(EVENT_USES_SQL)} + ${sql.raw(PASS_USES_SQL)} < pricing_rules.usage_limit_total)
    AND (pricing_rules.usage_limit_per_user IS NULL OR ${own} < pricing_rules.usage_limit_per_user)) = ${ruleIds.length}`;
}

/** `usage_count` of these rules, counted again (after a pass used or gave back a use). */
const recountRules = (db: Db, ruleIds: string[]) =>
  ruleIds.length ? [db.update(pricing_rules).set({ usage_count: sql.raw(USAGE_COUNT_SQL) }).where(inArray(pricing_rules.id, ruleIds))] : [];

/** A pass that will not be paid or used gives back the rule uses it took (`released_at`), once `done` holds. */
const releaseRuleUses = (db: Db, subscriptionId: string, at: string, done: SQL) => [
  db.update(pricing_rule_usages).set({ released_at: at }).where(and(eq(pricing_rule_usages.subscription_id, subscriptionId), isNull(pricing_rule_usages.released_at), done)),
  db
    .update(pricing_rules)
    .set({ usage_count: sql.raw(USAGE_COUNT_SQL) })
    .where(sql`${pricing_rules.id} IN (SELECT rule_id FROM pricing_rule_usages WHERE subscription_id = ${subscriptionId})`),
];

/** Why `createSubscription`'s guarded insert did not happen. */
async function refusal(db: Db, pass: NewPass): Promise<ProblemError> {
  const { valid_from, valid_until } = pass.validity;
  const overlapping = and(lte(subscriptions.valid_from, valid_until), gte(subscriptions.valid_until, valid_from));
  const live = inArray(subscriptions.status, LIVE);
  const [[own], [seat], [plan]] = await db.batch([
    db.select({ id: subscriptions.id }).from(subscriptions).where(and(eq(subscriptions.user_id, pass.userId), eq(subscriptions.subscription_plan_id, pass.plan.id), live, overlapping)).limit(1),
    db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(and(eq(subscriptions.seat_id, pass.seatId ?? ""), live, or(eq(subscriptions.subscription_plan_id, pass.plan.id), overlapping)))
      .limit(1),
    db.select().from(subscription_plans).where(eq(subscription_plans.id, pass.plan.id)).limit(1),
  ]);
  if (own) return problems.conflict("already_subscribed", "You already have a pass on this plan for these dates.");
  if (seat) return problems.conflict("seat_taken", "This seat is already held by another pass.");
  if (!plan || !plan.is_active) return problems.conflict("plan_not_active", "This plan is no longer on sale.");
  if (plan.max_subscribers !== null && plan.current_subscribers >= plan.max_subscribers) return problems.conflict("plan_full", "This plan has no places left.");
  const [{ within } = { within: 1 }] = await db.select({ within: withinRuleLimits(pass.price.applied.map((a) => a.id), pass.userId).mapWith(Number) }).from(sql`(SELECT 1)`);
  if (!within) return problems.conflict("promo_code_exhausted", "A discount of this price has just been used up; ask again for the new price.");
  return problems.conflict("concurrent_change", "Something changed meanwhile; try again.");
}

/** A signed-in fan subscribes to a plan: a PENDING pass, activated once paid. */
export async function subscribe(env: Env, auth: AuthContext, planId: string, body: z.infer<typeof SubscribeBody>) {
  const db = getDb(env.DB);
  const [plan] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, planId)).limit(1);
  if (!plan || !plan.is_active) throw problems.notFound("Season-pass plan");
  const at = now();
  if (plan.sales_start && at < plan.sales_start) throw problems.conflict("sales_not_started", `Sales open at ${plan.sales_start}.`);
  if (plan.sales_end && at >= plan.sales_end) throw problems.conflict("sales_ended", "Sales of this pass have ended.");
  await checkEligibility(db, plan, auth.userId);
  const seatId = await chosenSeat(db, plan, body.seat_id);
  const validity = await planValidity(db, plan, today(at));
  const price = await priceOfPass(db, plan, auth.userId, body.promo_code ?? null, at);
  const created = await createSubscription(db, { plan, userId: auth.userId, seatId, validity, autoRenew: body.auto_renew, createdBy: auth.userId, renewedFrom: null, price });
  // Nothing to pay (a 100 % code): the pass is active at once, as a paid one is.
  if (created.price_paid === 0) return detailOf(db, (await activateSubscription(env, created.id, null)).subscription, plan);
  return detailOf(db, created, plan);
}

/**
 * Renews an ACTIVE pass during its plan's priority window (the last
 * `renewal_priority_days` of its validity), before the public sale: a PENDING
 * pass for the next period on the plan's successor (`metadata.renewal_plan_id`,
 * e.g. next season's plan) or on the same plan, keeping the seat.
 */
export async function renewSubscription(env: Env, auth: AuthContext, id: string, autoRenew: boolean | undefined) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, id);
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass can be renewed.`);
  if (!plan.is_renewable) throw problems.conflict("plan_not_renewable", "This pass cannot be renewed.");
  const opens = addDays(sub.valid_until, -plan.renewal_priority_days);
  if (today() < opens) throw problems.conflict("renewal_not_open", `Renewal opens on ${opens}.`);
  if (today() > sub.valid_until) throw problems.conflict("subscription_expired", "This pass's validity is over.");
  const successorId = typeof plan.metadata?.renewal_plan_id === "string" ? plan.metadata.renewal_plan_id : plan.id;
  const [target] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, successorId)).limit(1);
  if (!target || !target.is_active || target.organizer_id !== plan.organizer_id) throw problems.conflict("renewal_plan_unavailable", "The next season's pass is not on sale.");
  // Priority: renewals go ahead of sales_start, not past sales_end.
  if (target.sales_end && now() >= target.sales_end) throw problems.conflict("sales_ended", "Sales of the next season's pass have ended.");
  if (sub.seat_id && target.id === plan.id) {
    // subscriptions_plan_seat_unique lets one live pass per plan hold a seat, whatever the dates.
    throw problems.conflict("renewal_needs_next_plan", "An assigned seat is kept by renewing onto next season's plan; this plan names none (metadata.renewal_plan_id).");
  }
  await checkEligibility(db, target, sub.user_id);
  const validity = await planValidity(db, target, addDays(sub.valid_until, 1));
  const created = await createSubscription(db, {
    plan: target,
    userId: sub.user_id,
    seatId: sub.seat_id,
    validity,
    autoRenew: autoRenew ?? sub.auto_renew,
    createdBy: auth.userId,
    renewedFrom: sub.id,
    // Renewals get the automatic rules for passes (a loyalty discount); codes are for new passes.
    price: await priceOfPass(db, target, sub.user_id, null, now()),
  });
  if (created.price_paid === 0) return detailOf(db, (await activateSubscription(env, created.id, null)).subscription, target);
  return detailOf(db, created, target);
}

// ------------------------------------------------------------ issuing rights (the fan-out)

/** The plan as the SQL below names it. */
const PLAN_P: PlanRef = { id: sql`p.id`, type: sql`p.type` };

/** The pass's seat, if it is at event e's venue. */
const SEAT_HERE = sql.raw(`(SELECT st.id FROM seats st JOIN venue_zones sz ON sz.id = st.zone_id WHERE st.id = s.seat_id AND sz.venue_id = e.venue_id)`);

/** The zone a pass admits to at event e: its seat's zone there, else the venue's first active zone of the plan's primary zone category. */
const ZONE_HERE = sql.raw(`coalesce(
  (SELECT st.zone_id FROM seats st JOIN venue_zones sz ON sz.id = st.zone_id WHERE st.id = s.seat_id AND sz.venue_id = e.venue_id),
  (SELECT z.id FROM venue_zones z WHERE z.venue_id = e.venue_id AND z.is_active = 1 AND z.category = coalesce(
     (SELECT pz.zone_category FROM subscription_plan_zones pz WHERE pz.subscription_plan_id = p.id AND pz.is_primary = 1 ORDER BY pz.zone_category LIMIT 1),
     p.default_zone_category)
   ORDER BY z.code, z.id LIMIT 1))`);

const NO_RIGHT_YET = sql`NOT EXISTS (SELECT 1 FROM access_rights r WHERE r.source_type = 'SUBSCRIPTION' AND r.source_id = s.id AND r.event_id = e.id)`;

/** (pass, event) pairs: passes `s` of plans `p` and the events `e` their plan covers automatically, filtered by `where`. */
function coveredPairs(db: Db, where: SQL, limit: number) {
  return db
    .select({
      subscription_id: sql<string>`s.id`.as("subscription_id"),
      user_id: sql<string>`s.user_id`.as("user_id"),
      valid_from: sql<string>`s.valid_from`.as("valid_from"),
      valid_until: sql<string>`s.valid_until`.as("valid_until"),
      event_id: sql<string>`e.id`.as("event_id"),
      starts_at: sql<string>`e.starts_at`.as("starts_at"),
      timezone: sql<string>`e.timezone`.as("timezone"),
      zone_id: sql<string | null>`${ZONE_HERE}`.as("zone_id"),
      seat_id: sql<string | null>`${SEAT_HERE}`.as("seat_id"),
    })
    .from(sql`events e JOIN subscription_plans p ON ${coversAutomatically(PLAN_P)} JOIN subscriptions s ON s.subscription_plan_id = p.id`)
    .where(where)
    .orderBy(sql`e.starts_at`, sql`s.id`)
    .limit(limit);
}
type Pair = Awaited<ReturnType<typeof coveredPairs>>[number];

/** Issues one right in an event (idempotent per source), setting the event's access control up first if it never was. */
function issueRight(env: Env, target: { event_id: string; source_id: string; user_id: string; zone_id: string | null; seat_id: string | null }, createdBy: string | null) {
  return issueRights(env, target.event_id, {
    source_type: "SUBSCRIPTION",
    source_id: target.source_id,
    holders: [{ user_id: target.user_id, zone_id: target.zone_id, seat_id: target.seat_id }],
    config_id: null,
    created_by: createdBy,
  });
}

/** What the rights of a pass in `status` should be, if it holds rights at all. */
const RIGHTS_FOR: Partial<Record<SubscriptionRow["status"], RightsStatus>> = { ACTIVE: "ENABLED", SUSPENDED: "BLOCKED", CANCELLED: "CANCELLED" };

/**
 * Issues the rights of `pairs` (at most FANOUT_BUDGET). Each call is
 * idempotent, and D1's projection of access_rights is the record of progress:
 * whatever is not issued now is found missing again by the next run. A seat
 * given up by a cancelled pass is freed in that event first, so the event
 * never holds two live rights on one seat. A pass suspended or cancelled
 * while its rights were being issued gets them blocked or cancelled after.
 */
async function issuePairs(env: Env, pairs: Pair[], createdBy: string | null): Promise<{ issued: number; failed: number }> {
  const db = getDb(env.DB);
  const work = pairs.slice(0, FANOUT_BUDGET);
  const previous = new Map<string, string[]>();
  for (const pair of work) {
    if (!pair.seat_id || previous.has(`${pair.subscription_id}:${pair.seat_id}`)) continue;
    const rows = await db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(and(eq(subscriptions.seat_id, pair.seat_id), eq(subscriptions.status, "CANCELLED"), ne(subscriptions.id, pair.subscription_id), lte(subscriptions.valid_from, pair.valid_until), gte(subscriptions.valid_until, pair.valid_from)));
    previous.set(`${pair.subscription_id}:${pair.seat_id}`, rows.map((r) => r.id));
  }
  const issued: Pair[] = [];
  const failed = await fanOut(work, async (pair) => {
    for (const earlier of pair.seat_id ? (previous.get(`${pair.subscription_id}:${pair.seat_id}`) ?? []) : []) {
      const freed = await eventStub(env, pair.event_id).setRightsStatus("SUBSCRIPTION", earlier, "CANCELLED", createdBy, "seat given to another pass");
      if (!freed.ok) throw problemFrom(freed.problem);
    }
    const result = await issueRight(env, { ...pair, source_id: pair.subscription_id }, createdBy);
    // The event ended or was cancelled since D1 said otherwise: nothing to issue.
    if (!result.ok && result.problem.code === "event_closed") return;
    if (!result.ok) throw problemFrom(result.problem);
    issued.push(pair);
  });
  const ids = [...new Set(issued.map((p) => p.subscription_id))];
  if (ids.length > 0) {
    const changed = await db.select({ id: subscriptions.id, status: subscriptions.status }).from(subscriptions).where(and(inArray(subscriptions.id, ids), ne(subscriptions.status, "ACTIVE")));
    const late = new Map(changed.map((row) => [row.id, RIGHTS_FOR[row.status]]));
    await fanOut(
      issued.filter((p) => late.get(p.subscription_id)),
      async (pair) => {
        const result = await eventStub(env, pair.event_id).setRightsStatus("SUBSCRIPTION", pair.subscription_id, late.get(pair.subscription_id)!, createdBy, "pass changed while its rights were issued");
        if (!result.ok) throw problemFrom(result.problem);
      },
    );
  }
  return { issued: issued.length, failed: failed + Math.max(0, pairs.length - work.length) };
}

/** The events one pass covers now (open, within its validity), whether or not their rights exist yet. */
async function passPairs(db: Db, subscriptionId: string, onlyMissing: boolean): Promise<Pair[]> {
  const rows = await coveredPairs(
    db,
    and(sql`s.id = ${subscriptionId}`, eventOpen(now()), nearValidity(sql`s.valid_from`, sql`s.valid_until`), onlyMissing ? NO_RIGHT_YET : undefined)!,
    1000,
  );
  return rows.filter((pair) => withinValidity(pair, pair));
}

/**
 * Sets the pass ACTIVE once paid (`paymentId`; null for a payment recorded
 * elsewhere) and issues one access right per covered event. Called by the
 * payments flow and by the box office. Activating an ACTIVE pass again only
 * resumes the issuing.
 */
export async function activateSubscription(env: Env, subscriptionId: string, paymentId: string | null, actor?: Actor) {
  const db = getDb(env.DB);
  const [sub] = await db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)).limit(1);
  if (!sub) throw problems.notFound("Season pass");
  let current = sub;
  let alreadyActive = sub.status === "ACTIVE";
  if (!alreadyActive) {
    if (sub.status !== "PENDING") throw problems.conflict("subscription_not_pending", `This pass is ${sub.status}; only a PENDING pass can be activated.`);
    if (sub.valid_until < today()) throw problems.conflict("subscription_expired", "This pass's validity is over.");
    const patch = { status: "ACTIVE" as const, payment_id: paymentId, activation_date: now() };
    const guard = eq(subscriptions.status, "PENDING");
    try {
      current = actor
        ? (await auditedUpdate(db, actor, subscriptions, subscriptionId, patch, { guard, what: "Season pass", description: "activate season pass" })).after
        : ((await db.update(subscriptions).set(patch).where(and(eq(subscriptions.id, subscriptionId), guard)).returning())[0] ?? sub);
    } catch (error) {
      if (!(error instanceof ProblemError && error.code === "concurrent_change")) throw error;
    }
    if (current.status !== "ACTIVE") {
      // Someone else moved it first: activated (then this is a repeat), or not.
      const [latest] = await db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)).limit(1);
      if (latest?.status !== "ACTIVE") throw problems.conflict("subscription_not_pending", `This pass is ${latest?.status}; only a PENDING pass can be activated.`);
      current = latest;
      alreadyActive = true;
    }
  }
  const result = await issuePairs(env, await passPairs(db, subscriptionId, true), actor?.userId ?? null);
  return { subscription: current, already_active: alreadyActive, rights_issued: result.issued, rights_pending: result.failed };
}

/**
 * Every ACTIVE pass whose plan covers this event gets its right (an event
 * approved, or added to a season, after the passes were sold). The event's
 * own local date decides validity. Bounded: the cron finishes big events.
 */
export async function issueRightsForNewEvent(env: Env, eventId: string) {
  const db = getDb(env.DB);
  const [event] = await db.select({ starts_at: events.starts_at, timezone: events.timezone }).from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) throw problems.notFound("Event");
  return issuePairs(env, await eventPairs(db, eventId, event), null);
}

function eventPairs(db: Db, eventId: string, event: { starts_at: string; timezone: string }) {
  const day = localDate(event.starts_at, event.timezone);
  return coveredPairs(db, sql`e.id = ${eventId} AND s.status = 'ACTIVE' AND s.valid_from <= ${day} AND s.valid_until >= ${day} AND ${eventOpen(now())} AND ${NO_RIGHT_YET}`, FANOUT_BUDGET + 1);
}

/**
 * The cron's reconciliation, bounded per run: rights missing for ACTIVE
 * passes in the events their plans cover (events approved or added to a
 * season later, fan-outs cut short), booked matches without their right,
 * and rights whose status disagrees with their pass (a suspension or
 * cancellation cut short). Everything it does is idempotent.
 */
export async function syncSeasonPassRights(env: Env): Promise<{ issued: number; booked: number; corrected: number; failed: number }> {
  const db = getDb(env.DB);
  const at = now();
  const open = await db
    .select({ id: sql<string>`e.id`.as("id"), starts_at: sql<string>`e.starts_at`.as("starts_at"), timezone: sql<string>`e.timezone`.as("timezone") })
    .from(sql`events e`)
    .where(
      sql`${eventOpen(at)} AND (e.event_group_id IN (SELECT event_group_id FROM subscription_plan_event_groups) OR e.id IN (SELECT event_id FROM subscription_plan_events))
        AND EXISTS (SELECT 1 FROM subscription_plans p WHERE ${coversAutomatically(PLAN_P)} AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.subscription_plan_id = p.id AND s.status = 'ACTIVE'))`,
    )
    .orderBy(sql`e.starts_at`);
  const missing: Pair[] = [];
  for (let i = 0; i < open.length && missing.length < FANOUT_BUDGET; i += 50) {
    const chunk = open.slice(i, i + 50);
    const [first, ...rest] = chunk.map((event) => eventPairs(db, event.id, event));
    for (const rows of await db.batch([first!, ...rest])) missing.push(...rows);
  }
  const passes = await issuePairs(env, missing, null);
  const bookings = await issueMissingBookingRights(env);
  const corrections = await correctRightsStatuses(env, at);
  return { issued: passes.issued, booked: bookings.issued, corrected: corrections.corrected, failed: passes.failed + bookings.failed + corrections.failed };
}

/** Rights whose status disagrees with their pass or booking, recent changes only (older ones were settled by earlier runs). */
async function correctRightsStatuses(env: Env, at: string) {
  const db = getDb(env.DB);
  const since = addSeconds(at, -7 * 86_400);
  const wrong = await db.all<{ event_id: string; source_id: string; target: RightsStatus }>(sql`
    WITH wanted (right_id, target) AS (
      SELECT r.id, CASE s.status WHEN 'ACTIVE' THEN 'ENABLED' WHEN 'SUSPENDED' THEN 'BLOCKED' WHEN 'CANCELLED' THEN 'CANCELLED' END
      FROM subscriptions s JOIN access_rights r ON r.source_type = 'SUBSCRIPTION' AND r.source_id = s.id
      WHERE s.updated_at > ${since}
      UNION ALL
      SELECT b.access_right_id, CASE WHEN b.status = 'CANCELLED' OR s.status = 'CANCELLED' THEN 'CANCELLED' WHEN s.status = 'SUSPENDED' THEN 'BLOCKED' WHEN s.status = 'ACTIVE' THEN 'ENABLED' END
      FROM subscription_bookings b JOIN subscriptions s ON s.id = b.subscription_id
      WHERE b.access_right_id IS NOT NULL AND (b.updated_at > ${since} OR s.updated_at > ${since})
    )
    SELECT DISTINCT r.event_id, r.source_id, w.target FROM wanted w JOIN access_rights r ON r.id = w.right_id
    WHERE (w.target = 'CANCELLED' AND r.status IN ('ENABLED', 'BLOCKED')) OR (w.target = 'BLOCKED' AND r.status = 'ENABLED') OR (w.target = 'ENABLED' AND r.status = 'BLOCKED')
    LIMIT ${FANOUT_BUDGET}`);
  let corrected = 0;
  const failed = await fanOut(wrong, async (row) => {
    const result = await eventStub(env, row.event_id).setRightsStatus("SUBSCRIPTION", row.source_id, row.target, null, "reconciled with the season pass");
    if (!result.ok) throw problemFrom(result.problem);
    corrected += result.changed;
  });
  return { corrected, failed };
}

// ------------------------------------------------------------ lifecycle

/** Every (event, source) where a pass may hold rights: as projected, as covered now (projection lags), and its booked matches. */
async function passSources(db: Db, sub: SubscriptionRow) {
  const [projected, booked] = await db.batch([
    db.selectDistinct({ event_id: access_rights.event_id, source_id: access_rights.source_id }).from(access_rights).where(rightsOfPass(sub.id)),
    db.select({ event_id: subscription_bookings.event_id, id: subscription_bookings.id }).from(subscription_bookings).where(eq(subscription_bookings.subscription_id, sub.id)),
  ]);
  const covered = await passPairs(db, sub.id, false);
  const all = [
    ...projected,
    ...covered.map((p) => ({ event_id: p.event_id, source_id: sub.id })),
    ...booked.map((b) => ({ event_id: b.event_id, source_id: sourceOf(sub.id, b.id) })),
  ];
  return [...new Map(all.map((s) => [`${s.event_id}|${s.source_id}`, s])).values()];
}

async function setPassRights(env: Env, sub: SubscriptionRow, status: RightsStatus, by: string, reason: string | null) {
  const sources = await passSources(getDb(env.DB), sub);
  const failed = await fanOut(sources, async (source) => {
    const result = await eventStub(env, source.event_id).setRightsStatus("SUBSCRIPTION", source.source_id, status, by, reason);
    if (!result.ok) throw problemFrom(result.problem);
  });
  if (failed > 0) throw unfinished(failed);
}

/** ACTIVE → SUSPENDED: the pass's rights are BLOCKED in every event. Repeating it re-applies the block. */
export async function suspendSubscription(env: Env, actor: Actor, id: string, reason: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id);
  let current = sub;
  if (sub.status !== "SUSPENDED") {
    if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass can be suspended.`);
    ({ after: current } = await auditedUpdate(db, actor, subscriptions, id, { status: "SUSPENDED", suspension_reason: reason, suspension_date: now() }, {
      guard: eq(subscriptions.status, "ACTIVE"),
      what: "Season pass",
      description: "suspend season pass",
    }));
  }
  await setPassRights(env, current, "BLOCKED", actor.userId, reason);
  return detailOf(db, current, plan);
}

/** SUSPENDED → ACTIVE: the rights are ENABLED again, and those of events added meanwhile issued. */
export async function reactivateSubscription(env: Env, actor: Actor, id: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id);
  let current = sub;
  if (sub.status !== "ACTIVE") {
    if (sub.status !== "SUSPENDED") throw problems.conflict("subscription_not_suspended", `This pass is ${sub.status}; only a SUSPENDED pass can be reactivated.`);
    if (sub.valid_until < today()) throw problems.conflict("subscription_expired", "This pass's validity is over.");
    ({ after: current } = await auditedUpdate(db, actor, subscriptions, id, { status: "ACTIVE", suspension_reason: null, suspension_date: null }, {
      guard: eq(subscriptions.status, "SUSPENDED"),
      what: "Season pass",
      description: "reactivate season pass",
    }));
  }
  await setPassRights(env, current, "ENABLED", actor.userId, "pass reactivated");
  const { failed } = await issuePairs(env, await passPairs(db, id, true), actor.userId);
  if (failed > 0) throw unfinished(failed);
  return detailOf(db, current, plan);
}

/**
 * Cancels a live pass: by its holder while PENDING (before paying), by its
 * club or an admin at any time. Its rights are CANCELLED everywhere, its
 * bookings too, and its place on the plan is given back exactly once (the
 * count moves in the same batch as the status, only if the status moved).
 */
export async function cancelSubscription(env: Env, actor: Actor, id: string, reason: string) {
  const db = getDb(env.DB);
  const { sub, plan, as } = await readablePass(db, actor, id);
  let current = sub;
  if (sub.status !== "CANCELLED") {
    if (!(LIVE as readonly string[]).includes(sub.status)) throw problems.conflict("subscription_closed", `This pass is ${sub.status}.`);
    if (as === "HOLDER" && sub.status !== "PENDING") throw problems.conflict("cancellation_not_allowed", "A paid pass is cancelled by the club that sold it; contact them.");
    const at = now();
    const patch = { status: "CANCELLED" as const, cancellation_date: at, cancellation_reason: reason };
    const also = (written: SQL) => [
      db
        .update(subscription_plans)
        .set({ current_subscribers: sql`${subscription_plans.current_subscribers} - 1`, updated_at: sql`${subscription_plans.updated_at}` })
        .where(and(eq(subscription_plans.id, plan.id), written)),
      db.update(subscription_bookings).set({ status: "CANCELLED", cancelled_at: at, updated_at: at }).where(and(eq(subscription_bookings.subscription_id, id), eq(subscription_bookings.status, "BOOKED"), written)),
      ...releaseRuleUses(db, id, at, written),
    ];
    if (as === "MANAGER") {
      ({ after: current } = await auditedUpdate(db, actor, subscriptions, id, patch, { guard: inArray(subscriptions.status, LIVE), what: "Season pass", description: "cancel season pass", also }));
    } else {
      const [[moved]] = await db.batch([
        db.update(subscriptions).set({ ...patch, updated_at: at }).where(and(eq(subscriptions.id, id), eq(subscriptions.status, "PENDING"))).returning(),
        ...also(sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${id} AND status = 'CANCELLED' AND cancellation_date = ${at})`),
      ]);
      if (!moved) throw problems.conflict("concurrent_change", "This pass changed meanwhile; reload it and try again.");
      current = moved;
    }
  }
  await setPassRights(env, current, "CANCELLED", actor.userId, reason);
  return detailOf(db, current, plan);
}

/** Box office: a manager records a cash payment and activates the pass. */
export async function activateWithCash(env: Env, actor: Actor, id: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id);
  if (sub.status === "ACTIVE") {
    const resumed = await activateSubscription(env, id, sub.payment_id, actor);
    return { ...(await detailOf(db, resumed.subscription, plan)), rights_pending: resumed.rights_pending };
  }
  if (sub.status !== "PENDING") throw problems.conflict("subscription_not_pending", `This pass is ${sub.status}; only a PENDING pass can be activated.`);
  const paymentId = newId();
  await db.insert(payments).values({
    id: paymentId,
    user_id: sub.user_id,
    type: "SEASON_PASS",
    amount: sub.price_paid,
    net_amount: sub.price_paid,
    currency: sub.currency,
    status: "PENDING",
    method: "CASH",
    provider: "CASH_DESK",
    internal_reference: `CASH-${humanCode(10)}`,
    subscription_id: id,
    description: `Box office, season pass ${sub.subscription_number}, received by ${actor.userId}`,
  });
  // Payment states only move forward: PENDING, then PAID once the pass is ours, or CANCELLED (the cash is not taken).
  const settle = (patch: Partial<typeof payments.$inferInsert>) =>
    db.update(payments).set(patch).where(and(eq(payments.id, paymentId), eq(payments.status, "PENDING")));
  let result;
  try {
    result = await activateSubscription(env, id, paymentId, actor);
  } catch (error) {
    await settle({ status: "CANCELLED", failure_reason: error instanceof ProblemError ? error.code : "activation_failed" });
    throw error;
  }
  if (result.already_active && result.subscription.payment_id !== paymentId) await settle({ status: "CANCELLED", failure_reason: "already_active" });
  else {
    const [paid] = await settle({ status: "PAID", paid_at: now() }).returning();
    // Cash sales owe the platform its commission like online ones.
    if (paid) await recordCommission(env, paid, { subscription_id: id });
  }
  return { ...(await detailOf(db, result.subscription, plan)), rights_pending: result.rights_pending };
}

/**
 * The cron: passes past their validity become EXPIRED, unpaid passes older
 * than PENDING_TTL are cancelled, each giving its place on the plan back in
 * the same batch as its status change; booked matches that are over become
 * USED or MISSED. Rights need no change: each ends with its event.
 */
export async function expireSubscriptions(env: Env, at: string = now()): Promise<{ expired: number; unpaid: number; bookings: number }> {
  const db = getDb(env.DB);
  const day = today(at);
  const [due, unpaid] = await db.batch([
    db.select({ id: subscriptions.id, plan: subscriptions.subscription_plan_id }).from(subscriptions).where(and(inArray(subscriptions.status, ["ACTIVE", "SUSPENDED"]), lt(subscriptions.valid_until, day))).limit(CRON_BATCH),
    db
      .select({ id: subscriptions.id, plan: subscriptions.subscription_plan_id })
      .from(subscriptions)
      .where(and(eq(subscriptions.status, "PENDING"), or(lt(subscriptions.created_at, addSeconds(at, -PENDING_TTL_SECONDS)), lt(subscriptions.valid_until, day))))
      .limit(CRON_BATCH),
  ]);
  const leave = (row: { id: string; plan: string }, from: SubscriptionRow["status"][], patch: Partial<typeof subscriptions.$inferInsert>) => [
    db.update(subscriptions).set({ ...patch, updated_at: at }).where(and(eq(subscriptions.id, row.id), inArray(subscriptions.status, from))),
    db
      .update(subscription_plans)
      .set({ current_subscribers: sql`${subscription_plans.current_subscribers} - 1`, updated_at: sql`${subscription_plans.updated_at}` })
      .where(and(eq(subscription_plans.id, row.plan), sql`changes() = 1`)),
  ];
  const statements = [
    ...due.flatMap((row) => leave(row, ["ACTIVE", "SUSPENDED"], { status: "EXPIRED" })),
    ...unpaid.flatMap((row) => [
      ...leave(row, ["PENDING"], { status: "CANCELLED", cancellation_date: at, cancellation_reason: "Not paid in time." }),
      ...releaseRuleUses(db, row.id, at, sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${row.id} AND status = 'CANCELLED')`),
    ]),
  ];
  const finished = db
    .update(subscription_bookings)
    .set({
      status: sql`CASE WHEN EXISTS (SELECT 1 FROM access_rights r WHERE r.id = ${subscription_bookings.access_right_id} AND (r.status IN ('USED', 'TRANSFERRED') OR r.used_at IS NOT NULL OR r.entry_count > 0)) THEN 'USED' ELSE 'MISSED' END`,
      updated_at: at,
    })
    .where(and(eq(subscription_bookings.status, "BOOKED"), sql`${subscription_bookings.event_id} IN (SELECT id FROM events WHERE ends_at <= ${at})`))
    .returning({ id: subscription_bookings.id });
  const results = await db.batch([finished, ...statements]);
  return { expired: due.length, unpaid: unpaid.length, bookings: results[0].length };
}

// ------------------------------------------------------------ FLEX bookings

/**
 * Books one match on a pass: any match the plan's links name for a FLEX
 * plan (at most `benefits.number_of_matches`, `restrictions.peak_matches_limit`
 * of them peak matches, booked `advance_booking_days` ahead), or an explicit
 * event marked `requires_booking` (within its `booking_window_days`). The
 * limits are checked by the insert itself, so concurrent bookings never
 * exceed them. The right is issued at once, idempotently per booking.
 */
export async function bookMatch(env: Env, auth: AuthContext, id: string, eventId: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, id);
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; book with an ACTIVE pass.`);
  const at = now();
  const [event] = await db
    .select({
      starts_at: sql<string>`e.starts_at`.as("starts_at"),
      timezone: sql<string>`e.timezone`.as("timezone"),
      peak: sql<number>`coalesce(json_extract(e.metadata, '$.is_peak') = 1, 0)`.as("peak"),
      window: sql<number | null>`(SELECT pe.booking_window_days FROM subscription_plan_events pe WHERE pe.subscription_plan_id = ${plan.id} AND pe.event_id = e.id)`.as("booking_window"),
      bookable: sql<number>`${coversOnBooking(planRef(plan))}`.as("bookable"),
    })
    .from(sql`events e`)
    .where(and(sql`e.id = ${eventId}`, eventOpen(at)))
    .limit(1);
  if (!event) throw problems.notFound("Event");
  if (!event.bookable) throw problems.conflict("event_not_covered", "This pass does not cover this event.");
  if (!withinValidity(event, sub)) throw problems.conflict("outside_validity", "This event is outside the pass's validity dates.");
  const starts = Date.parse(event.starts_at);
  if (starts <= Date.now()) throw problems.conflict("event_started", "This event has started.");
  const restrictions = plan.restrictions ?? {};
  if (plan.type === "FLEX" && restrictions.advance_booking_days && starts - Date.now() < restrictions.advance_booking_days * 86_400_000) {
    throw problems.conflict("booking_too_late", `Matches are booked at least ${restrictions.advance_booking_days} day(s) ahead.`);
  }
  if (plan.type !== "FLEX" && event.window && starts - Date.now() > event.window * 86_400_000) {
    throw problems.conflict("booking_not_open", `Booking opens ${event.window} day(s) before the event.`);
  }
  const total = matchesIncluded(plan);
  if (plan.type === "FLEX" && total === null) throw problems.conflict("plan_without_match_count", "This FLEX plan does not say how many matches it includes.");
  const peak = Boolean(event.peak) && restrictions.peak_matches_limit !== undefined;
  const b = subscription_bookings;
  const live = sql`FROM subscription_bookings lb WHERE lb.subscription_id = ${id} AND lb.status <> 'CANCELLED'`;
  const allowed = sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${id} AND status = 'ACTIVE')
    AND NOT EXISTS (SELECT 1 ${live} AND lb.event_id = ${eventId})
    AND (${total} IS NULL OR (SELECT count(*) ${live}) < ${total})
    AND (${peak ? 1 : 0} = 0 OR (SELECT count(*) ${live} AND EXISTS (SELECT 1 FROM events pe WHERE pe.id = lb.event_id AND json_extract(pe.metadata, '$.is_peak') = 1)) < ${restrictions.peak_matches_limit ?? 0})`;
  const bookingId = newId();
  const [, [booking]] = await db.batch([
    insertWhere(db, b, { id: bookingId, subscription_id: id, event_id: eventId, status: "BOOKED", booked_at: at, updated_at: at }, allowed),
    db.select().from(b).where(eq(b.id, bookingId)),
  ]);
  if (!booking) throw await bookingRefusal(db, sub, eventId, total);
  const issued = await issueBookingRight(env, sub, booking, auth.userId);
  if (!issued.ok) {
    await db.update(b).set({ status: "CANCELLED", cancelled_at: now() }).where(and(eq(b.id, bookingId), eq(b.status, "BOOKED")));
    throw problemFrom(issued.problem);
  }
  return bookingView({ ...booking, access_right_id: issued.rightId });
}

async function bookingRefusal(db: Db, sub: SubscriptionRow, eventId: string, total: number | null) {
  const live = await db.select({ event_id: subscription_bookings.event_id }).from(subscription_bookings).where(and(eq(subscription_bookings.subscription_id, sub.id), ne(subscription_bookings.status, "CANCELLED")));
  if (live.some((row) => row.event_id === eventId)) return problems.conflict("already_booked", "This match is already booked on this pass.");
  if (total !== null && live.length >= total) return problems.conflict("booking_limit_reached", `This pass includes ${total} match(es), all booked.`);
  const [current] = await db.select({ status: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, sub.id));
  if (current?.status !== "ACTIVE") return problems.conflict("subscription_not_active", `This pass is ${current?.status}.`);
  return problems.conflict("peak_limit_reached", "This pass's peak matches are all booked.");
}

/** Issues (or finds again) the right of one booking and records it on the booking. */
async function issueBookingRight(env: Env, sub: Pick<SubscriptionRow, "id" | "user_id" | "seat_id" | "subscription_plan_id">, booking: BookingRow, createdBy: string | null) {
  const db = getDb(env.DB);
  const [place] = await db
    .select({ zone_id: sql<string | null>`${ZONE_HERE}`.as("zone_id"), seat_id: sql<string | null>`${SEAT_HERE}`.as("seat_id") })
    .from(sql`subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id JOIN events e ON e.id = ${booking.event_id}`)
    .where(sql`s.id = ${sub.id}`);
  const result = await issueRight(env, { event_id: booking.event_id, source_id: sourceOf(sub.id, booking.id), user_id: sub.user_id, zone_id: place?.zone_id ?? null, seat_id: place?.seat_id ?? null }, createdBy);
  if (!result.ok) return result;
  const rightId = result.rights[0]!.id;
  // The booking row references the right's D1 row: project it first.
  await eventStub(env, booking.event_id).flushProjection();
  await db.update(subscription_bookings).set({ access_right_id: rightId }).where(eq(subscription_bookings.id, booking.id));
  return { ok: true as const, rightId };
}

/** Bookings of ACTIVE passes still without their right (a booking cut short): issued now. */
async function issueMissingBookingRights(env: Env) {
  const db = getDb(env.DB);
  const rows = await db
    .select({ booking: subscription_bookings, sub: { id: subscriptions.id, user_id: subscriptions.user_id, seat_id: subscriptions.seat_id, subscription_plan_id: subscriptions.subscription_plan_id } })
    .from(subscription_bookings)
    .innerJoin(subscriptions, eq(subscriptions.id, subscription_bookings.subscription_id))
    .innerJoin(events, eq(events.id, subscription_bookings.event_id))
    .where(and(eq(subscription_bookings.status, "BOOKED"), sql`${subscription_bookings.access_right_id} IS NULL`, eq(subscriptions.status, "ACTIVE"), gt(events.ends_at, now())))
    .limit(FANOUT_BUDGET);
  let issued = 0;
  const failed = await fanOut(rows, async ({ booking, sub }) => {
    const result = await issueBookingRight(env, sub, booking, null);
    if (!result.ok && result.problem.code !== "event_closed") throw problemFrom(result.problem);
    if (result.ok) issued += 1;
  });
  return { issued, failed };
}

/** Cancels a booked match before the doors open: its right is CANCELLED and the match goes back to the pass. */
export async function cancelBooking(env: Env, auth: AuthContext, id: string, eventId: string) {
  const db = getDb(env.DB);
  const { sub } = await readablePass(db, auth, id);
  const b = subscription_bookings;
  const [booking] = await db.select().from(b).where(and(eq(b.subscription_id, id), eq(b.event_id, eventId), ne(b.status, "CANCELLED"))).limit(1);
  if (!booking) throw problems.notFound("Booking");
  if (booking.status !== "BOOKED") throw problems.conflict("booking_closed", `This booking is ${booking.status}.`);
  const stub = eventStub(env, eventId);
  const source = sourceOf(id, booking.id);
  const right = (await stub.listRights({ user_id: sub.user_id })).find((r) => r.source_type === "SUBSCRIPTION" && r.source_id === source);
  if (right) {
    if (Date.now() >= Date.parse(right.valid_from)) throw problems.conflict("doors_open", "The doors are open: this booking can no longer be cancelled.");
    if (right.status === "TRANSFERRED" || right.status === "USED") throw problems.conflict("booking_used", `This match's right was ${right.status.toLowerCase()}.`);
  }
  const result = await stub.setRightsStatus("SUBSCRIPTION", source, "CANCELLED", auth.userId, "booking cancelled");
  if (!result.ok) throw problemFrom(result.problem);
  const [cancelled] = await db.update(b).set({ status: "CANCELLED", cancelled_at: now() }).where(and(eq(b.id, booking.id), eq(b.status, "BOOKED"))).returning();
  if (!cancelled) throw problems.conflict("concurrent_change", "This booking changed meanwhile; reload it.");
  return bookingView(cancelled);
}

/** The cron's season-pass work: expiries first, so passes that just ended get nothing more, then the rights reconciliation. */
export async function runSeasonPassCron(env: Env): Promise<void> {
  await expireSubscriptions(env);
  await syncSeasonPassRights(env);
}
