import type { z } from "@hono/zod-openapi";
import { and, eq, gte, inArray, lte, or, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { pricing_rule_usages } from "../catalog/rule-uses.ts";
import { FAMILY_PACKAGE_MAX_HOLDERS, subscription_plan_event_groups, subscription_plan_zones, subscription_plans } from "../catalog/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { event_groups, seats, venue_zones } from "../events/schema.ts";
import { refuseBanned } from "../access/blacklist-checks.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { ageOn, now, addMonths } from "../lib/time.ts";
import { insertWhere } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { type PaymentOption, scheduleFor } from "./instalments.ts";
import { subscription_instalments } from "./instalments-schema.ts";
import { season_card_requests } from "../documents/schema.ts";
import { activateSubscription } from "./lifecycle.ts";
import { accountForEmail } from "../users/accounts.ts";
import { type PassPrice, priceOfPass, recountRules, releaseRuleUses, withinRuleLimits } from "./pricing.ts";
import { LIVE, LIVE_SQL, type PlanRow, type SubscriptionRow, addDays, detailOf, heldPass, today } from "./read.ts";
import { subscriptions } from "./schema.ts";
import type { SubscribeBody } from "./schemas.ts";

// A fan subscribes to a plan, or renews a pass: a PENDING pass, activated once paid (src/passes/lifecycle.ts).

/** The plan's restrictions the holder must meet: age range, verified identity; and no ban by its organizer or the platform (their account, address, number or IP). */
export async function checkEligibility(db: Db, plan: PlanRow, userId: string, ip: string | null) {
  await refuseBanned(db, { organization_id: plan.organization_id }, { user_id: userId, ip }, "You may not subscribe to this pass.");
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
  /** A renewal: the pass it renews, and the holder's renewal settings carried over. */
  renewal?: { from: string; method: SubscriptionRow["renewal_method"]; phone: string | null };
  price: PassPrice;
  /** The payment option chosen ("full" unless the plan offers instalments): its schedule is written with the pass. */
  paymentOption?: PaymentOption;
  /** A printed card asked for (the plan offers one): its request is written with the pass. */
  cardRequested?: boolean;
  /** A companion's pass: the package's first pass (the buyer's), which pays for it. */
  packageOf?: string;
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
  const schedule = scheduleFor(pass.paymentOption ?? "full", pass.price.total, today(), validity.valid_until);
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
      renewed_from: pass.renewal?.from ?? null,
      renewal_method: pass.renewal?.method ?? null,
      renewal_phone: pass.renewal?.phone ?? null,
      metadata: {
        ...(schedule ? { payment_plan: pass.paymentOption } : {}),
        ...(pass.packageOf ? { package_of: pass.packageOf } : {}),
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
    // The schedule is written with the pass, in its batch, only if the pass was.
    const instalments = (schedule ?? []).map((instalment) =>
      insertWhere(db, subscription_instalments, { id: newId(), subscription_id: id, ...instalment, currency: plan.currency, status: "DUE", created_at: at, updated_at: at }, created),
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
        ...instalments,
        ...(pass.cardRequested ? [insertWhere(db, season_card_requests, { subscription_id: id, status: "REQUESTED", requested_at: at }, created)] : []),
        ...recountRules(db, pass.price.applied.map((a) => a.id)),
        db.select().from(subscriptions).where(eq(subscriptions.id, id)),
      ]);
      const [pass_] = results[results.length - 1] as SubscriptionRow[];
      if (pass_) return pass_;
      break;
    } catch (error) {
      if (attempt < 5 && isUniqueViolation(error, "subscriptions.subscription_number")) continue;
      // Another renewal of the same pass won the race (subscriptions_renewal_unique).
      if (isUniqueViolation(error, "subscriptions.renewed_from")) throw problems.conflict("already_subscribed", "This pass is already renewed.");
      throw error;
    }
  }
  throw await refusal(db, pass);
}

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
export async function subscribe(env: Env, auth: AuthContext, planId: string, body: z.infer<typeof SubscribeBody>, ip: string | null) {
  const db = getDb(env.DB);
  const [plan] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, planId)).limit(1);
  if (!plan || !plan.is_active) throw problems.notFound("Season-pass plan");
  const at = now();
  if (plan.sales_start && at < plan.sales_start) throw problems.conflict("sales_not_started", `Sales open at ${plan.sales_start}.`);
  if (plan.sales_end && at >= plan.sales_end) throw problems.conflict("sales_ended", "Sales of this pass have ended.");
  await checkEligibility(db, plan, auth.userId, ip);
  const seatId = await chosenSeat(db, plan, body.seat_id);
  const validity = await planValidity(db, plan, today(at));
  const offered = plan.metadata?.payment_options ?? ["full"];
  if (!offered.includes(body.payment_option)) {
    throw problems.validation([{ path: "payment_option", message: `This plan is paid ${offered.join(", ")}.`, code: "payment_option_not_offered" }]);
  }
  const cardOffered = plan.metadata?.printed_card === true;
  if (body.printed_card && !cardOffered) throw problems.validation([{ path: "printed_card", message: "This plan comes without a printed card.", code: "printed_card_not_offered" }]);
  const companions = await packageHolders(env, db, plan, auth.userId, body);
  for (const holder of companions) await checkEligibility(db, plan, holder, null);
  const price = await priceOfPass(db, plan, auth.userId, body.promo_code ?? null, at);
  const created = await createSubscription(db, {
    plan,
    userId: auth.userId,
    seatId,
    validity,
    autoRenew: body.auto_renew,
    createdBy: auth.userId,
    price,
    paymentOption: body.payment_option,
    cardRequested: cardOffered && body.printed_card !== false,
  });
  if (companions.length > 0) return createPackage(env, db, created, plan, companions, validity, auth.userId);
  // Nothing to pay (a 100 % code): the pass is active at once, as a paid one is.
  if (created.price_paid === 0) return detailOf(db, (await activateSubscription(env, created.id, null)).subscription, plan);
  return detailOf(db, created, plan);
}

/**
 * The other holders of a family or companion package, as accounts (an email
 * without one gets a passwordless account): only on plans offering packages,
 * at most `family_package_max_holders` holders with the buyer, each once,
 * paid in full and without assigned seats.
 */
async function packageHolders(env: Env, db: Db, plan: PlanRow, buyerId: string, body: z.infer<typeof SubscribeBody>): Promise<string[]> {
  const asked = body.companions ?? [];
  if (asked.length === 0) return [];
  const refuse = (path: string, message: string, code: string) => problems.validation([{ path, message, code }]);
  if (plan.metadata?.family_package_available !== true) throw refuse("companions", "This plan sells no family or companion packages.", "family_package_not_offered");
  const max = plan.metadata.family_package_max_holders ?? FAMILY_PACKAGE_MAX_HOLDERS;
  if (asked.length + 1 > max) throw refuse("companions", `A package of this plan takes at most ${max} holders, you included.`, "too_many_companions");
  if (body.payment_option !== "full") throw refuse("payment_option", "A package is paid in full.", "package_paid_in_full");
  if (plan.metadata.seat_selection === "assigned") throw refuse("companions", "Packages are not sold on plans with assigned seats.", "package_without_seats");
  const ids: string[] = [];
  for (const [index, companion] of asked.entries()) {
    let id = companion.user_id;
    if (id) {
      const [known] = await db.select({ active: users.is_active }).from(users).where(eq(users.id, id)).limit(1);
      if (!known?.active) throw refuse(`companions.${index}.user_id`, "No such active account.", "invalid_reference");
    } else id = await accountForEmail(env, companion.email!);
    if (id === buyerId || ids.includes(id)) throw refuse(`companions.${index}`, "Each holder of a package once, you included.", "companion_duplicate");
    ids.push(id);
  }
  return ids;
}

/**
 * The companions' passes, each at its holder's price, PENDING until the
 * buyer's pass is paid (one payment for all, the sum of their prices). A
 * companion that cannot have one (no place left, a pass already) undoes the
 * package: the passes made for it are cancelled, their places given back.
 */
async function createPackage(env: Env, db: Db, lead: SubscriptionRow, plan: PlanRow, companions: string[], validity: { valid_from: string; valid_until: string }, buyerId: string) {
  const made: SubscriptionRow[] = [];
  try {
    for (const holder of companions) {
      made.push(
        await createSubscription(db, {
          plan,
          userId: holder,
          seatId: null,
          validity,
          autoRenew: false,
          createdBy: buyerId,
          price: await priceOfPass(db, plan, holder, null, now()),
          packageOf: lead.id,
        }),
      );
    }
  } catch (error) {
    const at = now();
    for (const pass of [lead, ...made]) {
      await db.batch([
        db.update(subscriptions).set({ status: "CANCELLED", cancellation_date: at, cancellation_reason: "package not complete", updated_at: at }).where(and(eq(subscriptions.id, pass.id), eq(subscriptions.status, "PENDING"))),
        db
          .update(subscription_plans)
          .set({ current_subscribers: sql`${subscription_plans.current_subscribers} - 1`, updated_at: sql`${subscription_plans.updated_at}` })
          .where(and(eq(subscription_plans.id, plan.id), sql`changes() = 1`)),
        ...releaseRuleUses(db, pass.id, at, sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${pass.id} AND status = 'CANCELLED')`),
      ]);
    }
    throw error;
  }
  const [updated] = await db
    .update(subscriptions)
    .set({ metadata: { ...(lead.metadata ?? {}), companion_subscriptions: made.map((p) => p.id) } })
    .where(eq(subscriptions.id, lead.id))
    .returning();
  // A package with nothing to pay is active at once, every pass of it.
  if (made.every((p) => p.price_paid === 0) && lead.price_paid === 0) {
    for (const pass of made) await activateSubscription(env, pass.id, null);
    return detailOf(db, (await activateSubscription(env, lead.id, null)).subscription, plan);
  }
  return detailOf(db, updated!, plan);
}

/**
 * Renews an ACTIVE pass during its plan's priority window (the last
 * `renewal_priority_days` of its validity), before the public sale: a PENDING
 * pass for the next period on the plan's successor (`metadata.renewal_plan_id`,
 * e.g. next season's plan) or on the same plan, keeping the seat and the
 * holder's renewal settings. The holder's own request and the auto_renew cron
 * (src/passes/renewals.ts) both come here; one live renewal per pass
 * (subscriptions_renewal_unique), so two at once make one pass.
 */
export async function renewPass(env: Env, sub: SubscriptionRow, plan: PlanRow, o: { createdBy: string; autoRenew?: boolean; ip: string | null; at?: string }) {
  const db = getDb(env.DB);
  const at = o.at ?? now();
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass can be renewed.`);
  if (!plan.is_renewable) throw problems.conflict("plan_not_renewable", "This pass cannot be renewed.");
  const opens = addDays(sub.valid_until, -plan.renewal_priority_days);
  if (today(at) < opens) throw problems.conflict("renewal_not_open", `Renewal opens on ${opens}.`);
  if (today(at) > sub.valid_until) throw problems.conflict("subscription_expired", "This pass's validity is over.");
  const successorId = typeof plan.metadata?.renewal_plan_id === "string" ? plan.metadata.renewal_plan_id : plan.id;
  const [target] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, successorId)).limit(1);
  if (!target || !target.is_active || target.organization_id !== plan.organization_id) throw problems.conflict("renewal_plan_unavailable", "The next season's pass is not on sale.");
  // Priority: renewals go ahead of sales_start, not past sales_end.
  if (target.sales_end && at >= target.sales_end) throw problems.conflict("sales_ended", "Sales of the next season's pass have ended.");
  if (sub.seat_id && target.id === plan.id) {
    // subscriptions_plan_seat_unique lets one live pass per plan hold a seat, whatever the dates.
    throw problems.conflict("renewal_needs_next_plan", "An assigned seat is kept by renewing onto next season's plan; this plan names none (metadata.renewal_plan_id).");
  }
  await checkEligibility(db, target, sub.user_id, o.ip);
  const validity = await planValidity(db, target, addDays(sub.valid_until, 1));
  const created = await createSubscription(db, {
    plan: target,
    userId: sub.user_id,
    seatId: sub.seat_id,
    validity,
    autoRenew: o.autoRenew ?? sub.auto_renew,
    renewal: { from: sub.id, method: sub.renewal_method, phone: sub.renewal_phone },
    createdBy: o.createdBy,
    // Renewals get the automatic rules for passes (a loyalty discount); codes are for new passes.
    price: await priceOfPass(db, target, sub.user_id, null, at),
  });
  const current = created.price_paid === 0 ? (await activateSubscription(env, created.id, null)).subscription : created;
  return { pass: current, plan: target };
}

/** The holder renews their pass by hand (renewPass). */
export async function renewSubscription(env: Env, auth: AuthContext, id: string, autoRenew: boolean | undefined, ip: string | null) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, id);
  const renewed = await renewPass(env, sub, plan, { createdBy: auth.userId, autoRenew, ip });
  return detailOf(db, renewed.pass, renewed.plan);
}
