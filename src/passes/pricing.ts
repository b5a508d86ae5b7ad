import { and, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { buyerOf, passRules } from "../catalog/pricing-rules.ts";
import { pricePass, promoCodeRefusal } from "../catalog/pricing.ts";
import { EVENT_USES_SQL, PASS_USES_SQL, USAGE_COUNT_SQL, pricing_rule_usages } from "../catalog/rule-uses.ts";
import { pricing_rules } from "../catalog/schema.ts";
import type { Db } from "../db/client.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import type { PlanRow } from "./read.ts";

// What a pass costs: its plan's price and the pricing rules for passes, with their uses as D1 counts them.

export type PassPrice = Awaited<ReturnType<typeof priceOfPass>>;

/**
 * What `userId` pays for a pass of `plan` now: the plan's price, then its
 * pricing rules for passes (`pricePass`), with their uses as D1 counts them.
 * A promo code that is unknown, used up or does not fit is refused.
 */
export async function priceOfPass(db: Db, plan: PlanRow, userId: string, promoCode: string | null, at: string) {
  const [rules, buyer] = await Promise.all([passRules(db, plan.organization_id, promoCode, userId), buyerOf(db, userId)]);
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

/** SQL: each of these rules is active and below its total limit and `userId`'s own, as D1 counts uses. */
export function withinRuleLimits(ruleIds: string[], userId: string) {
  if (ruleIds.length === 0) return sql`1`;
  const own = sql`(SELECT count(*) FROM pricing_rule_usages u WHERE u.rule_id = pricing_rules.id AND u.user_id = ${userId} AND u.released_at IS NULL)`;
  return sql`(SELECT count(*) FROM pricing_rules WHERE pricing_rules.id IN ${ruleIds} AND pricing_rules.is_active = 1
    AND (pricing_rules.usage_limit_total IS NULL OR ${sql.raw(EVENT_USES_SQL)} + ${sql.raw(PASS_USES_SQL)} < pricing_rules.usage_limit_total)
    AND (pricing_rules.usage_limit_per_user IS NULL OR ${own} < pricing_rules.usage_limit_per_user)) = ${ruleIds.length}`;
}

/** `usage_count` of these rules, counted again (after a pass used or gave back a use). */
export const recountRules = (db: Db, ruleIds: string[]) =>
  ruleIds.length ? [db.update(pricing_rules).set({ usage_count: sql.raw(USAGE_COUNT_SQL) }).where(inArray(pricing_rules.id, ruleIds))] : [];

/** A pass that will not be paid or used gives back the rule uses it took (`released_at`), once `done` holds. */
export const releaseRuleUses = (db: Db, subscriptionId: string, at: string, done: SQL) => [
  db.update(pricing_rule_usages).set({ released_at: at }).where(and(eq(pricing_rule_usages.subscription_id, subscriptionId), isNull(pricing_rule_usages.released_at), done)),
  db
    .update(pricing_rules)
    .set({ usage_count: sql.raw(USAGE_COUNT_SQL) })
    .where(sql`${pricing_rules.id} IN (SELECT rule_id FROM pricing_rule_usages WHERE subscription_id = ${subscriptionId})`),
];
