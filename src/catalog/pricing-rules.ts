import { and, asc, eq, getTableColumns, gt, inArray, isNull, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../db/errors.ts";
import { visibleEvent } from "../events/service.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import type { Currency } from "../lib/money.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { ageOn, now, type Timestamp } from "../lib/time.ts";
import { tickets } from "../orders/schema.ts";
import { organizationsWhere, requireManaged } from "../organizations/permissions.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { user_group_members, user_groups } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";
import { configOf, countsOf, liveCounts } from "./configurations.ts";
import type { RuleCreateInput, RuleUpdateInput } from "./pricing-rules-schemas.ts";
import { buyerFlags, priceOrder, type Buyer, type PricingRule } from "./pricing.ts";
import { EVENT_USES_SQL, PASS_USES_SQL, pricing_rule_usages } from "./rule-uses.ts";
import { forgetSaleContexts } from "./sale-context.ts";
import { bookingWindowRefusal, INVITATION_ONLY } from "./sale-rules.ts";
import { pricing_rules } from "./schema.ts";
import { type Caller, codeTaken, fieldErrors, invalid, ordered, organizationOfMoved, organizationOfNew } from "./shared.ts";

// Pricing rules and promo codes; the reads that price an order or a pass with them (the rules that apply, their uses, the buyer's groups and age); price quotes.

type RuleRow = typeof pricing_rules.$inferSelect;

async function managedRule(db: Db, caller: Caller, id: string): Promise<RuleRow> {
  const [row] = await db.select().from(pricing_rules).where(eq(pricing_rules.id, id)).limit(1);
  if (!row) throw problems.notFound("Pricing rule");
  // Platform-wide rules (and their promo codes) are admins' objects: organizers never see them.
  await requireManaged(db, caller, row.organization_id, "catalog.manage", "Pricing rule");
  return row;
}

/**
 * The groups a rule requires (`conditions.required_groups`, by code) exist
 * and are the rule's organization's or the platform's: a rule never prices by
 * another organization's membership list.
 */
async function checkRequiredGroups(db: Db, organizationId: string | null, codes: readonly string[] | undefined): Promise<void> {
  if (!codes?.length) return;
  const found = await db
    .select({ code: user_groups.code, organization_id: user_groups.organization_id })
    .from(user_groups)
    .where(inArray(user_groups.code, [...codes]));
  const errors: FieldError[] = [];
  codes.forEach((code, i) => {
    const group = found.find((g) => g.code === code);
    if (!group || (organizationId !== null && group.organization_id !== null && group.organization_id !== organizationId)) {
      errors.push({ path: `conditions.required_groups.${i}`, message: "No such user group among the organization's and the platform's.", code: "invalid_reference" });
    }
  });
  fieldErrors(errors);
}

export const readRule = (env: Env, caller: Caller, id: string) => managedRule(getDb(env.DB), caller, id);
type RuleState = Pick<RuleRow, "discount_type" | "discount_value" | "currency" | "conditions" | "valid_from" | "valid_until" | "usage_limit_total" | "usage_count">;

function checkRule(state: RuleState): void {
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message, code: "inconsistent" });
  const inBasisPoints = state.discount_type === "PERCENTAGE" || state.discount_type === "BUY_X_GET_Y";
  if (inBasisPoints && state.discount_value > 10_000) add("discount_value", `${state.discount_type} is in basis points: at most 10000 (100 %).`);
  if (inBasisPoints && state.currency !== null) add("currency", `${state.discount_type} is a rate: no currency.`);
  if (!inBasisPoints && state.currency === null) add("currency", `${state.discount_type} is an amount: give its currency.`);
  const c = state.conditions;
  if (state.discount_type === "BUY_X_GET_Y") {
    if (c.buy_quantity === undefined) add("conditions.buy_quantity", "BUY_X_GET_Y needs X (buy_quantity).");
    if (c.get_quantity === undefined) add("conditions.get_quantity", "BUY_X_GET_Y needs Y (get_quantity).");
  }
  if (c.min_quantity !== undefined && c.max_quantity !== undefined && c.min_quantity > c.max_quantity) add("conditions.min_quantity", "min_quantity is above max_quantity.");
  if (c.min_age !== undefined && c.max_age !== undefined && c.min_age > c.max_age) add("conditions.min_age", "min_age is above max_age.");
  ordered(errors, state.valid_from, state.valid_until, "valid_until", "The rule must end after it starts.", true);
  if (state.usage_limit_total !== null && state.usage_limit_total < state.usage_count) {
    add("usage_limit_total", `The rule was already used ${state.usage_count} time(s).`);
  }
  fieldErrors(errors);
}

function ruleConflict(error: unknown): never {
  if (isUniqueViolation(error, "pricing_rules.promo_code")) throw problems.conflict("promo_code_taken", "Another rule already uses this promo code.");
  if (isUniqueViolation(error, "pricing_rules.code")) throw codeTaken("pricing rule");
  throw error;
}

export async function createRule(env: Env, actor: Actor, input: RuleCreateInput): Promise<RuleRow> {
  const db = getDb(env.DB);
  const { organization_id, ...fields } = input;
  const organizationId = await organizationOfNew(db, actor, organization_id);
  const row = {
    ...fields,
    id: newId(),
    organizer_id: actor.userId,
    organization_id: organizationId,
    description: fields.description ?? null,
    currency: fields.currency ?? null,
    valid_from: fields.valid_from ?? null,
    valid_until: fields.valid_until ?? null,
    usage_limit_total: fields.usage_limit_total ?? null,
    usage_limit_per_user: fields.usage_limit_per_user ?? null,
    promo_code: fields.promo_code ?? null,
    metadata: fields.metadata ?? null,
  };
  checkRule({ ...row, usage_count: 0 });
  await checkRequiredGroups(db, organizationId, row.conditions.required_groups);
  try {
    return await auditedInsert(db, actor, pricing_rules, row);
  } catch (error) {
    ruleConflict(error);
  } finally {
    forgetSaleContexts(env.DB);
  }
}

/** Admins: every rule; anyone else: the rules of the organizations where they have `catalog.manage`. */
export async function listRules(env: Env, caller: Caller, query: { organization_id?: string; rule_type?: RuleRow["rule_type"]; is_active?: boolean; limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  const rows = await db
    .select()
    .from(pricing_rules)
    .where(
      and(
        isAdmin(caller) ? undefined : inArray(pricing_rules.organization_id, organizationsWhere(db, caller.userId, "catalog.manage")),
        query.organization_id ? eq(pricing_rules.organization_id, query.organization_id) : undefined,
        query.rule_type ? eq(pricing_rules.rule_type, query.rule_type) : undefined,
        query.is_active === undefined ? undefined : eq(pricing_rules.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), pricing_rules.code, pricing_rules.id),
      ),
    )
    .orderBy(asc(pricing_rules.code), asc(pricing_rules.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.code, id: row.id }));
}

export async function updateRule(env: Env, actor: Actor, id: string, input: RuleUpdateInput): Promise<RuleRow> {
  const db = getDb(env.DB);
  const rule = await managedRule(db, actor, id);
  const { organization_id, ...fields } = input;
  const patch: Partial<RuleRow> = { ...fields };
  const moved = await organizationOfMoved(db, actor, rule.organization_id, organization_id);
  if (moved !== undefined) patch.organization_id = moved;
  const changes = changedFields(rule, patch);
  if (Object.keys(changes).length === 0) return rule;
  checkRule({ ...rule, ...changes });
  if (changes.conditions !== undefined || changes.organization_id !== undefined) {
    const next = { ...rule, ...changes };
    await checkRequiredGroups(db, next.organization_id, next.conditions.required_groups);
  }
  try {
    return (await auditedUpdate(db, actor, pricing_rules, id, changes, { what: "Pricing rule" })).after;
  } catch (error) {
    ruleConflict(error);
  } finally {
    forgetSaleContexts(env.DB);
  }
}

/** Any order or pass priced with the rule, as its first rule or among the ones it stacked. */
const ruleUsed = (id: string) => sql`(
  EXISTS (SELECT 1 FROM ${pricing_rule_usages} WHERE ${pricing_rule_usages.rule_id} = ${id})
  OR EXISTS (SELECT 1 FROM ${tickets} WHERE ${tickets.pricing_rule_id} = ${id})
  OR EXISTS (SELECT 1 FROM ${tickets}, json_each(${tickets.metadata}, '$.applied_rules') AS applied WHERE json_extract(applied.value, '$.id') = ${id}))`;

/**
 * Deletes a rule no order ever used. Active rules are refused: orders read
 * them before their event's inventory decides, so a rule is taken off
 * (is_active: false) before it can go.
 */
export async function deleteRule(env: Env, actor: Actor, id: string): Promise<void> {
  const db = getDb(env.DB);
  const rule = await managedRule(db, actor, id);
  if (rule.is_active) throw problems.conflict("rule_active", "Deactivate the rule (is_active: false) before deleting it.");
  const inUse = () => problems.conflict("rule_in_use", "Orders were priced with this rule; it stays, deactivated.");
  const [used] = await db.select({ used: sql<number>`${ruleUsed(id)}` }).from(pricing_rules).where(eq(pricing_rules.id, id));
  if (rule.usage_count > 0 || used?.used) throw inUse();
  try {
    await auditedDelete(db, actor, pricing_rules, id, {
      what: "Pricing rule",
      guard: and(eq(pricing_rules.is_active, false), eq(pricing_rules.usage_count, 0), sql`NOT ${ruleUsed(id)}`),
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw inUse();
    throw error;
  }
}

/**
 * The rules an order of `organizationId`'s event may use, as the orders API
 * reads them: active, for tickets, the organization's own or platform-wide,
 * and either automatic or the promo code entered.
 */
export function candidateRules(db: Db, organizationId: string | SQL | null, promoCode: string | SQLWrapper | null) {
  return db.select().from(pricing_rules).where(candidates(organizationId, promoCode));
}

const candidates = (organizationId: string | SQL | null, promoCode: string | SQLWrapper | null, target: "TICKETS" | "SUBSCRIPTIONS" = "TICKETS") =>
  and(
    eq(pricing_rules.is_active, true),
    inArray(pricing_rules.applies_to, [target, "BOTH"]),
    organizationId === null ? isNull(pricing_rules.organization_id) : or(isNull(pricing_rules.organization_id), eq(pricing_rules.organization_id, organizationId)),
    or(eq(pricing_rules.auto_apply, true), promoCode ? eq(pricing_rules.promo_code, promoCode) : sql`0`),
  );

/**
 * The same rules, for an order of `userId` in `eventId`, with their limited
 * uses counted outside this event (the platform's other events and season
 * passes): `usage_count` (as the EventDO's contract says), and
 * `user_uses_elsewhere`, the buyer's. The event's object counts its own uses
 * exactly and adds them.
 */
export function orderRules(db: Db, organizationId: string | SQL | null, promoCode: string | SQLWrapper | null, eventId: string | SQLWrapper, userId: string | SQLWrapper) {
  const r = pricing_rules;
  // Spelled out: drizzle leaves a one-table select's columns unqualified, and "id" would be ambiguous in the joins.
  const elsewhere = sql<number>`CASE WHEN "pricing_rules"."usage_limit_total" IS NULL THEN 0 ELSE (SELECT coalesce(sum(e."uses"), 0) FROM "pricing_rule_event_uses" e
    WHERE e."rule_id" = "pricing_rules"."id" AND e."event_id" <> ${eventId}) + ${sql.raw(PASS_USES_SQL)} END`;
  const buyerElsewhere = sql<number>`CASE WHEN "pricing_rules"."usage_limit_per_user" IS NULL THEN 0 ELSE (SELECT count(*) FROM "pricing_rule_usages" u LEFT JOIN "tickets" t ON t."id" = u."ticket_id"
    WHERE u."rule_id" = "pricing_rules"."id" AND u."user_id" = ${userId} AND u."released_at" IS NULL AND (t."event_id" IS NULL OR t."event_id" <> ${eventId})) END`;
  return db
    .select({ ...getTableColumns(r), usage_count: elsewhere.mapWith(Number), user_uses_elsewhere: buyerElsewhere.mapWith(Number) })
    .from(r)
    .where(candidates(organizationId, promoCode));
}

/**
 * The rules a season pass of `organizationId`'s plan may use (for passes,
 * active, the organization's own or platform-wide, automatic or the code
 * entered), with every use counted as D1 knows it: `usage_count` (events and
 * passes) and `user_uses`, the buyer's live uses of it anywhere.
 */
export function passRules(db: Db, organizationId: string | null, promoCode: string | null, userId: string) {
  const uses = sql<number>`${sql.raw(EVENT_USES_SQL)} + ${sql.raw(PASS_USES_SQL)}`;
  const buyerUses = sql<number>`(SELECT count(*) FROM "pricing_rule_usages" u WHERE u."rule_id" = "pricing_rules"."id" AND u."user_id" = ${userId} AND u."released_at" IS NULL)`;
  return db
    .select({ ...getTableColumns(pricing_rules), usage_count: uses.mapWith(Number), user_uses: buyerUses.mapWith(Number) })
    .from(pricing_rules)
    .where(candidates(organizationId, promoCode, "SUBSCRIPTIONS"));
}

/** A buyer's current memberships of active groups: what pricing rules and the EventDO's membership checks read. */
export const buyerGroups = (db: Db, userId: string | SQLWrapper, at: Timestamp | SQLWrapper) =>
  db
    .select({ id: user_groups.id, code: user_groups.code, member_since: user_group_members.member_since })
    .from(user_group_members)
    .innerJoin(user_groups, eq(user_groups.id, user_group_members.group_id))
    .where(and(eq(user_group_members.user_id, userId), eq(user_groups.is_active, true), or(isNull(user_group_members.valid_until), gt(user_group_members.valid_until, at))));

/** A buyer as the pricing function sees them (groups, age), their rule uses left to the caller. */
export async function buyerOf(db: Db, userId: string | null): Promise<Buyer> {
  // The buyer's own uses are counted by the event's inventory when the order is placed.
  if (!userId) return { user_groups: [], age: null, ...buyerFlags(null, []), rule_usage: {} };
  const [[user], groups] = await db.batch([
    db.select({ date_of_birth: users.date_of_birth }).from(users).where(eq(users.id, userId)).limit(1),
    buyerGroups(db, userId, now()),
  ]);
  const age = user?.date_of_birth ? ageOn(user.date_of_birth) : null;
  return { user_groups: groups, age, ...buyerFlags(age, groups.map((g) => g.code)), rule_usage: {} };
}

/**
 * A price preview with the one pricing function: the tier for the units the
 * inventory has sold or held right now, then the rules. Rejections are shown
 * only for the rule of the promo code entered, never for other codes.
 */
export async function quote(env: Env, auth: AuthContext | undefined, input: { event_id: string; config_id: string; quantity: number; promo_code?: string }) {
  const db = getDb(env.DB);
  const { event } = await visibleEvent(env, input.event_id, auth);
  const { config, type } = await configOf(db, event.id, input.config_id);
  if (!config.is_active || !type.is_active) throw problems.notFound("Ticket configuration");
  // Quoted only what can be ordered: the same refusals as the EventDO's hold decision.
  const refused = event.access_type === "INVITATION" ? INVITATION_ONLY : bookingWindowRefusal(event.starts_at, type.advance_booking_days, Date.now());
  if (refused) throw problems.conflict(refused.code, refused.detail);
  const promoCode = input.promo_code ?? null;
  const [rules, live, buyer] = await Promise.all([candidateRules(db, event.organization_id, promoCode), liveCounts(env, event.id), buyerOf(db, auth?.userId ?? null)]);
  if (promoCode && !rules.some((rule) => rule.promo_code === promoCode)) {
    throw invalid("promo_code", "Unknown or inactive promo code.", "unknown_promo_code");
  }
  const counts = countsOf(config, live);
  const priced = priceOrder({
    config: {
      price: config.price,
      currency: config.currency as Currency,
      dynamic_pricing: config.dynamic_pricing,
      price_tiers: config.price_tiers,
      early_bird_end: config.early_bird_end,
      ticket_type_code: type.code,
      zone_category: type.default_zone_category,
    },
    order: {
      quantity: input.quantity,
      units_sold: counts.sold + counts.held,
      now: now(),
      event_start: event.starts_at,
      event_id: event.id,
      event_group_id: event.event_group_id,
      event_tags: event.match_type ? [event.match_type] : [],
      promo_code: promoCode,
    },
    buyer,
    rules: rules as PricingRule[],
  });
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  return {
    ...priced,
    quantity: input.quantity,
    applied: priced.applied.map((a) => ({ ...a, name: byId.get(a.id)?.name ?? a.code })),
    rejected: priced.rejected.filter((r) => promoCode !== null && byId.get(r.id)?.promo_code === promoCode),
  };
}
