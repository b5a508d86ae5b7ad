/**
 * The price of one ticket order, or of one season pass (`pricePass`): synchronous, deterministic
 * and free of I/O, because the event's Durable Object calls it while it decides the order. Money is integer minor units of the config's
 * currency; percentages are basis points, applied with `applyBasisPoints` (half away from zero, so
 * 15 % of 1 005 XOF is 151 and 50 % of 5 is 3). No float ever holds an amount.
 *
 * 1. Unit prices. Without `dynamic_pricing` (or without tiers) every unit costs `price`. With them,
 *    the unit ordered while n units are already gone (`units_sold`: sold plus held, so concurrent
 *    holds never share the cheap tier) costs the price of the tier whose `from`..`to` (inclusive)
 *    contains n; an order that crosses a boundary prices each unit at the tier of its own sequence
 *    number (999 sold, 4 ordered with tiers 0–1000 at 60 and 1001–3000 at 70: 60, 60, 70, 70).
 *    A unit outside every tier costs the base `price`. `lines` lists the segments; `unit_price` is
 *    the first unit's price, so `gross` is `unit_price × quantity` unless the order crosses a tier.
 *
 * 2. Eligibility, checked in this order; the first failure is the rule's reason:
 *    NOT_ACTIVE; CONDITION_FAILED:applies_to (SUBSCRIPTIONS rules never price tickets, TICKETS
 *    rules never price passes);
 *    CONDITION_FAILED:currency (FIXED_AMOUNT and BUNDLE amounts are in the rule's currency: another
 *    currency never applies); OUTSIDE_VALIDITY (valid_from ≤ now ≤ valid_until, both inclusive);
 *    PROMO_CODE_REQUIRED (a rule with a promo code and no auto_apply needs that code entered;
 *    `auto_apply` has no other effect); USAGE_LIMIT (usage_count reached usage_limit_total);
 *    USER_LIMIT (the buyer's own uses reached usage_limit_per_user); then each condition
 *    (CONDITION_FAILED:<key>): days_before_event (event start − now ≥ N × 24 h), ticket_types
 *    (ticket type code), zone_categories, event_ids, event_group_ids, excluded_events (event id or
 *    any of the event's tags, e.g. its match type "derby"), min_quantity, max_quantity,
 *    buy_quantity / get_quantity (BUY_X_GET_Y needs both and at least X + Y units), required_groups
 *    (membership of one of them), min_membership_days (one such membership — of any group when
 *    required_groups is absent — at least N × 24 h old), min_age / max_age (an unknown age fails).
 *    `same_event` always holds (a cart is of one event); `same_ticket_type` narrows a cart's rule to
 *    the lines of one ticket type (the type with the most units, the first on a tie: see `priceCart`);
 *    `subscription_plans` (plan codes) narrows the rule's passes and is ignored for tickets, as
 *    the conditions on an event or its tickets (days_before_event, ticket_types, zone_categories,
 *    event_ids, event_group_ids, excluded_events) are ignored for passes; a pass is one unit;
 *    `payment_deadline` is not a condition: the quote returns it as `payment_deadline_hours`.
 *    Last, each rule type's own condition: EARLY_BIRD needs now < early_bird_end when the config
 *    has one (early_bird_end); STUDENT, SENIOR and CHILD need the buyer's verified flag (student,
 *    senior, child); MEMBER needs at least one membership (member). DYNAMIC rules apply only to a
 *    config priced by tiers (dynamic_pricing): they discount the tier price like any other rule,
 *    since a rule only lowers prices and the tiers already carry the demand-based price. GROUP,
 *    PROMO and PARTNER have no condition beyond their `conditions`.
 *
 * 3. Amounts, on a remaining amount r (the gross for a rule alone), never above r:
 *    PERCENTAGE: discount_value bp of r. FIXED_AMOUNT: discount_value once per order.
 *    BUNDLE: discount_value per complete bundle of `min_quantity` units (1 when absent).
 *    BUY_X_GET_Y: in every X + Y units, Y units get discount_value bp off (10 000 = free); the
 *    discounted units are the cheapest of the order, and on a reduced r they count for their share
 *    of it (r × their price / gross). An eligible rule worth nothing here is NO_DISCOUNT.
 *
 * 4. Selection. Eligible rules rank by priority (higher first), then larger amount alone, then
 *    code, then id: a total order, so the candidates' order never matters. Two options compete:
 *    the first non-combinable rule in that order alone, or every combinable rule applied in that
 *    order, each on what the previous ones left. The customer gets the larger discount; on a tie,
 *    the option whose leading rule ranks first. The other eligible rules are NOT_COMBINABLE.
 *    Every step maps r to a value that never decreases as r grows, so an extra eligible
 *    combinable rule never makes the customer pay more. `rejected` is sorted by code then id.
 *    `rejected` may name promo-only rules: an API shows buyers only those matching their code.
 */
import type { z } from "zod";
import type { ZONE_CATEGORIES } from "../events/schema.ts";
import { applyBasisPoints, type Currency } from "../lib/money.ts";
import type { Timestamp } from "../lib/time.ts";
import type { event_ticket_config, pricing_rules, pricingRuleConditionsSchema } from "./schema.ts";

export type ZoneCategory = (typeof ZONE_CATEGORIES)[number];
export type PricingRuleConditions = z.infer<typeof pricingRuleConditionsSchema>;

/** A `pricing_rules` row, as much of it as pricing reads. */
export type PricingRule = Pick<
  typeof pricing_rules.$inferSelect,
  | "id"
  | "code"
  | "rule_type"
  | "applies_to"
  | "discount_type"
  | "discount_value"
  | "currency"
  | "conditions"
  | "valid_from"
  | "valid_until"
  | "usage_limit_total"
  | "usage_limit_per_user"
  | "usage_count"
  | "combinable"
  | "priority"
  | "promo_code"
  | "auto_apply"
  | "is_active"
>;

/** The `event_ticket_config` being sold, with its ticket type's code and zone category. */
export interface PricedConfig
  extends Pick<typeof event_ticket_config.$inferSelect, "price" | "currency" | "dynamic_pricing" | "price_tiers" | "early_bird_end"> {
  ticket_type_code: string;
  zone_category: ZoneCategory;
}

export interface PricedOrder {
  quantity: number;
  /** Units of this config already sold or held: the sequence number of the order's first unit. */
  units_sold: number;
  now: Timestamp;
  event_start: Timestamp;
  event_id: string;
  event_group_id: string | null;
  /** Labels `excluded_events` may name instead of ids, e.g. the event's match type. */
  event_tags: readonly string[];
  /** Upper-cased by the caller; null when none was entered. */
  promo_code: string | null;
  /** A season pass of this plan (its code), not tickets: see `pricePass`. */
  subscription_plan?: string;
}

export interface GroupMembership {
  code: string; // user_groups.code
  member_since: Timestamp;
}

export interface Buyer {
  /** Current memberships only (the caller leaves out expired ones). */
  user_groups: readonly GroupMembership[];
  age: number | null;
  is_student: boolean;
  is_senior: boolean;
  is_child: boolean;
  /** The buyer's unreleased uses of each rule, by rule id; a missing id is 0. */
  rule_usage: Readonly<Record<string, number>>;
}

const BUYER_RULE_TYPES = new Set<PricingRule["rule_type"]>(["STUDENT", "SENIOR", "CHILD", "MEMBER"]);

/**
 * Whether deciding `rule` for an order needs facts read for that order: the
 * buyer's age or groups, or, for a rule with limits, its current use counts.
 * An order under other rules only can be decided from the rules alone.
 */
export function readsBuyer(rule: PricingRule): boolean {
  const c = rule.conditions;
  return (
    rule.usage_limit_total !== null ||
    rule.usage_limit_per_user !== null ||
    BUYER_RULE_TYPES.has(rule.rule_type) ||
    c.required_groups !== undefined ||
    c.min_membership_days !== undefined ||
    c.min_age !== undefined ||
    c.max_age !== undefined
  );
}

/** Groups whose membership makes a buyer a student (codes compared upper-cased). */
const STUDENT_GROUPS = new Set(["STUDENT", "STUDENTS", "ETUDIANT", "ETUDIANTS"]);

/**
 * The buyer's standing for STUDENT, SENIOR and CHILD rules: a student group
 * among their current memberships; 60 or older; under 12. One rule for the
 * API's quote and the EventDO's decision.
 */
export function buyerFlags(age: number | null, groupCodes: readonly string[]): Pick<Buyer, "is_student" | "is_senior" | "is_child"> {
  return {
    is_student: groupCodes.some((code) => STUDENT_GROUPS.has(code.toUpperCase())),
    is_senior: age !== null && age >= 60,
    is_child: age !== null && age < 12,
  };
}

export interface PricingInput {
  config: PricedConfig;
  order: PricedOrder;
  buyer: Buyer;
  rules: readonly PricingRule[];
}

export type ConditionName =
  | "applies_to"
  | "currency"
  | "days_before_event"
  | "ticket_types"
  | "zone_categories"
  | "event_ids"
  | "event_group_ids"
  | "excluded_events"
  | "min_quantity"
  | "max_quantity"
  | "buy_quantity"
  | "get_quantity"
  | "required_groups"
  | "min_membership_days"
  | "min_age"
  | "max_age"
  | "subscription_plans"
  | "early_bird_end"
  | "student"
  | "senior"
  | "child"
  | "member"
  | "dynamic_pricing";

export type RejectionReason =
  | "NOT_ACTIVE"
  | "OUTSIDE_VALIDITY"
  | `CONDITION_FAILED:${ConditionName}`
  | "USAGE_LIMIT"
  | "USER_LIMIT"
  | "PROMO_CODE_REQUIRED"
  | "NOT_COMBINABLE"
  | "NO_DISCOUNT";

/** Units `first_unit` .. `first_unit + quantity - 1` (sequence numbers) at one price. */
export interface PriceLine {
  first_unit: number;
  quantity: number;
  unit_price: number;
  label: string | null; // the tier's label; null at the base price
}

export interface AppliedRule {
  id: string;
  code: string;
  amount: number;
}

export interface RejectedRule {
  id: string;
  code: string;
  reason: RejectionReason;
}

export interface PriceQuote {
  currency: Currency;
  unit_price: number;
  lines: PriceLine[];
  gross: number;
  discount: number;
  total: number;
  /** In application order; the first is the order's `pricing_rule_id`. */
  applied: AppliedRule[];
  rejected: RejectedRule[];
  /** The shortest `payment_deadline` of the applied rules, for the hold's expiry; null if none. */
  payment_deadline_hours: number | null;
}

const DAY_MS = 86_400_000;

interface Candidate {
  rule: PricingRule;
  alone: number; // its amount applied to the gross
}

/**
 * The price of one season pass of `plan` bought at `now`: the plan's price,
 * then the rules for passes (applies_to SUBSCRIPTIONS or BOTH), as for a
 * one-unit order with no tiers.
 */
export function pricePass(input: { plan: { code: string; price: number; currency: Currency }; now: Timestamp; promo_code: string | null; buyer: Buyer; rules: readonly PricingRule[] }): PriceQuote {
  const { plan, now } = input;
  return priceOrder({
    config: { price: plan.price, currency: plan.currency, dynamic_pricing: false, price_tiers: null, early_bird_end: null, ticket_type_code: "", zone_category: "STANDARD" },
    order: { quantity: 1, units_sold: 0, now, event_start: now, event_id: "", event_group_id: null, event_tags: [], promo_code: input.promo_code, subscription_plan: plan.code },
    buyer: input.buyer,
    rules: input.rules,
  });
}

/**
 * Why a promo code the buyer entered was not applied, when it was not: it
 * ran out (409 promo_code_exhausted) or does not fit the purchase (422
 * promo_code_not_applicable). One answer for orders and passes.
 */
export function promoCodeRefusal(quote: Pick<PriceQuote, "applied" | "rejected">, rules: readonly PricingRule[], promoCode: string | null): { status: 409 | 422; code: string; detail: string } | null {
  if (!promoCode) return null;
  const entered = quote.rejected.find((r) => rules.find((rule) => rule.id === r.id)?.promo_code === promoCode);
  if (entered && (entered.reason === "USAGE_LIMIT" || entered.reason === "USER_LIMIT")) {
    return { status: 409, code: "promo_code_exhausted", detail: `The code ${promoCode} has been used as many times as allowed.` };
  }
  if (entered && !quote.applied.some((a) => a.id === entered.id)) {
    return { status: 422, code: "promo_code_not_applicable", detail: `The code ${promoCode} does not apply to this purchase (${entered.reason}).` };
  }
  return null;
}

export function priceOrder(input: PricingInput): PriceQuote {
  const { order } = input;
  const cart = priceCart({ lines: [{ config: input.config, quantity: order.quantity, units_sold: order.units_sold }], order, buyer: input.buyer, rules: input.rules });
  const { lines: [line], ...rest } = cart;
  return { ...rest, unit_price: line!.unit_price, lines: line!.price_lines };
}

/** One line of a cart: a config, how many of it, and how many of it are already sold or held. */
export interface CartLineInput {
  config: PricedConfig;
  quantity: number;
  units_sold: number;
}

export interface CartInput {
  lines: readonly CartLineInput[];
  /** The order's facts; its `quantity` and `units_sold` are the lines'. */
  order: Omit<PricedOrder, "quantity" | "units_sold">;
  buyer: Buyer;
  rules: readonly PricingRule[];
}

export interface CartLineQuote {
  unit_price: number;
  price_lines: PriceLine[];
  gross: number;
  /** This line's share of the cart's discount (each applied rule's amount spread over the lines it applies to, by what they had left). */
  discount: number;
  total: number;
}

export interface CartQuote extends Omit<PriceQuote, "unit_price" | "lines"> {
  lines: CartLineQuote[];
}

/**
 * The price of a cart: several lines (configs of one event, one currency)
 * priced together. Each line's units take their tier prices; then each rule
 * applies to the lines its per-line conditions admit (ticket_types,
 * zone_categories, early_bird_end, dynamic_pricing: its scope), and its
 * quantity conditions (min_quantity, max_quantity, buy/get, BUNDLE's count)
 * count the units of its whole scope across lines, so a group rule for 10
 * tickets takes 6 TRIBUNE and 4 VIP. Amounts are computed on the scope's
 * gross as in `priceOrder` (FIXED_AMOUNT once per cart), then spread over the
 * scope's lines in proportion to what each had left (largest remainder, ties
 * to the earlier line). A rule whose scope is empty is rejected with the
 * reason of the first line its other conditions admit (a quantity condition),
 * else with the first line's reason. A cart of one line prices exactly as `priceOrder`.
 */
export function priceCart(input: CartInput): CartQuote {
  const { order } = input;
  if (input.lines.length === 0) throw new RangeError("A cart has at least one line");
  const currency = input.lines[0]!.config.currency;
  for (const line of input.lines) {
    requireCount(line.quantity, 1, "quantity");
    requireCount(line.units_sold, 0, "units_sold");
    requireCount(line.config.price, 0, "price");
    if (line.config.currency !== currency) throw new RangeError("A cart's lines share one currency");
  }
  const now = instant(order.now, "now");
  const eventStart = instant(order.event_start, "event_start");

  const priced = input.lines.map((line) => {
    const price_lines = priceLines(line.config, line.units_sold, line.quantity);
    let gross = 0;
    for (const p of price_lines) gross = safeSum(gross, p.unit_price * p.quantity);
    return { ...line, price_lines, gross };
  });
  let gross = 0;
  for (const line of priced) gross = safeSum(gross, line.gross);
  const lineInput = (i: number, quantity: number): PricingInput => {
    const line = priced[i]!;
    return { config: line.config, order: { ...order, quantity, units_sold: line.units_sold }, buyer: input.buyer, rules: input.rules };
  };

  interface Scoped extends Candidate {
    scope: number[];
    quantity: number;
  }
  const scopeOf = (rule: PricingRule): { scope: number[]; quantity: number; reason: RejectionReason | null } => {
    // Which lines the rule's conditions other than quantities admit; then every condition with the quantity of those lines.
    let open = priced.map((_, i) => i).filter((i) => rejectionOf(rule, lineInput(i, priced[i]!.quantity), now, eventStart, true) === null);
    if (rule.conditions.same_ticket_type && open.length > 1) {
      const units = new Map<string, number>();
      for (const i of open) units.set(priced[i]!.config.ticket_type_code, (units.get(priced[i]!.config.ticket_type_code) ?? 0) + priced[i]!.quantity);
      let best = priced[open[0]!]!.config.ticket_type_code;
      for (const [code, n] of units) if (n > units.get(best)!) best = code;
      open = open.filter((i) => priced[i]!.config.ticket_type_code === best);
    }
    const quantity = open.reduce((sum, i) => sum + priced[i]!.quantity, 0);
    const reasons = priced.map((line, i) => rejectionOf(rule, lineInput(i, open.length > 0 ? quantity : line.quantity), now, eventStart, false));
    const scope = open.filter((i) => reasons[i] === null);
    // Refused: the reason of the first line its other conditions admitted (a quantity), else the first line's.
    return { scope, quantity, reason: scope.length > 0 ? null : (reasons[open[0] ?? 0] ?? "NOT_ACTIVE") };
  };
  const scopeLines = (scope: number[]) => scope.flatMap((i) => priced[i]!.price_lines);
  const scopeGross = (scope: number[]) => scope.reduce((sum, i) => sum + priced[i]!.gross, 0);

  const eligible: Scoped[] = [];
  const rejected: RejectedRule[] = [];
  for (const rule of input.rules) {
    const { scope, quantity, reason } = scopeOf(rule);
    const g = scopeGross(scope);
    const alone = reason ? 0 : amountOf(rule, g, g, scopeLines(scope), quantity);
    if (reason || alone === 0) rejected.push({ id: rule.id, code: rule.code, reason: reason ?? "NO_DISCOUNT" });
    else eligible.push({ rule, alone, scope, quantity });
  }
  eligible.sort(byRank);

  const single = eligible.find((c) => !c.rule.combinable);
  const stack: { applied: AppliedRule; shares: number[] }[] = [];
  const remaining = priced.map((line) => line.gross);
  let stackLead = -1;
  eligible.forEach((c, rank) => {
    if (!c.rule.combinable) return;
    const left = c.scope.reduce((sum, i) => sum + remaining[i]!, 0);
    const amount = amountOf(c.rule, left, scopeGross(c.scope), scopeLines(c.scope), c.quantity);
    if (amount === 0) return;
    if (stackLead < 0) stackLead = rank;
    const shares = spread(amount, c.scope, remaining);
    shares.forEach((share, i) => (remaining[i] = remaining[i]! - share));
    stack.push({ applied: { id: c.rule.id, code: c.rule.code, amount }, shares });
  });
  const stacked = gross - remaining.reduce((a, b) => a + b, 0);
  const useStack =
    stack.length > 0 && (!single || stacked > single.alone || (stacked === single.alone && stackLead < eligible.indexOf(single)));
  const chosen = useStack
    ? stack
    : single
      ? [{ applied: { id: single.rule.id, code: single.rule.code, amount: single.alone }, shares: spread(single.alone, single.scope, priced.map((l) => l.gross)) }]
      : [];
  const applied = chosen.map((c) => c.applied);

  let deadline: number | null = null;
  for (const c of eligible) {
    const used = applied.some((a) => a.id === c.rule.id);
    if (used) {
      const hours = c.rule.conditions.payment_deadline;
      if (hours !== undefined && (deadline === null || hours < deadline)) deadline = hours;
    } else {
      // A combinable rule left out of the chosen stack found nothing left to take.
      const starved = useStack && c.rule.combinable;
      rejected.push({ id: c.rule.id, code: c.rule.code, reason: starved ? "NO_DISCOUNT" : "NOT_COMBINABLE" });
    }
  }
  rejected.sort((a, b) => compareText(a.code, b.code) || compareText(a.id, b.id));

  const lineDiscounts = priced.map((_, i) => chosen.reduce((sum, c) => sum + c.shares[i]!, 0));
  const discount = lineDiscounts.reduce((a, b) => a + b, 0);
  return {
    currency,
    lines: priced.map((line, i) => ({ unit_price: line.price_lines[0]!.unit_price, price_lines: line.price_lines, gross: line.gross, discount: lineDiscounts[i]!, total: line.gross - lineDiscounts[i]! })),
    gross,
    discount,
    total: gross - discount,
    applied,
    rejected,
    payment_deadline_hours: deadline,
  };
}

/** `amount` spread over the `scope` lines in proportion to their `weights` (largest remainder; ties to the earlier line); one entry per line. */
function spread(amount: number, scope: readonly number[], weights: readonly number[]): number[] {
  const shares = weights.map(() => 0);
  const whole = scope.reduce((sum, i) => sum + weights[i]!, 0);
  if (whole === 0) return shares;
  let given = 0;
  const rest: { i: number; r: bigint }[] = [];
  for (const i of scope) {
    const exact = BigInt(amount) * BigInt(weights[i]!);
    shares[i] = Number(exact / BigInt(whole));
    given += shares[i]!;
    rest.push({ i, r: exact % BigInt(whole) });
  }
  rest.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (let k = 0; given < amount && k < rest.length; k++, given++) {
    const i = rest[k]!.i;
    shares[i] = shares[i]! + 1;
  }
  return shares;
}

/**
 * What the next unit of a config sells at, before pricing rules, with
 * `units_gone` units already sold or held: its tier's price (or the base
 * price outside every tier), as an order of one unit would be priced.
 */
export function nextUnitPrice(config: Pick<PricedConfig, "price" | "dynamic_pricing" | "price_tiers">, unitsGone: number): PriceLine {
  return priceLines(config, unitsGone, 1)[0]!;
}

function priceLines(config: Pick<PricedConfig, "price" | "dynamic_pricing" | "price_tiers">, sold: number, quantity: number): PriceLine[] {
  const tiers = config.dynamic_pricing ? (config.price_tiers ?? []) : [];
  const lines: PriceLine[] = [];
  let unit = sold;
  let left = quantity;
  while (left > 0) {
    let line: PriceLine = { first_unit: unit, quantity: left, unit_price: config.price, label: null };
    // Tiers are ordered and disjoint (priceTiersSchema): the first one not yet past is the one.
    for (const tier of tiers) {
      if (tier.to < unit) continue;
      if (tier.from <= unit) line = { first_unit: unit, quantity: Math.min(left, tier.to - unit + 1), unit_price: tier.price, label: tier.label ?? null };
      else line.quantity = Math.min(left, tier.from - unit);
      break;
    }
    lines.push(line);
    unit += line.quantity;
    left -= line.quantity;
  }
  return lines;
}

function rejectionOf(rule: PricingRule, input: PricingInput, now: number, eventStart: number, skipQuantity = false): RejectionReason | null {
  const { config, order, buyer } = input;
  if (!rule.is_active) return "NOT_ACTIVE";
  if (rule.applies_to !== "BOTH" && rule.applies_to !== (order.subscription_plan === undefined ? "TICKETS" : "SUBSCRIPTIONS")) return "CONDITION_FAILED:applies_to";
  const inAmounts = rule.discount_type === "FIXED_AMOUNT" || rule.discount_type === "BUNDLE";
  if (inAmounts && rule.currency !== config.currency) return "CONDITION_FAILED:currency";
  if ((rule.valid_from !== null && now < Date.parse(rule.valid_from)) || (rule.valid_until !== null && now > Date.parse(rule.valid_until))) {
    return "OUTSIDE_VALIDITY";
  }
  if (rule.promo_code !== null && !rule.auto_apply && order.promo_code !== rule.promo_code) return "PROMO_CODE_REQUIRED";
  if (rule.usage_limit_total !== null && rule.usage_count >= rule.usage_limit_total) return "USAGE_LIMIT";
  const ownUses = Object.hasOwn(buyer.rule_usage, rule.id) ? (buyer.rule_usage[rule.id] ?? 0) : 0;
  if (rule.usage_limit_per_user !== null && ownUses >= rule.usage_limit_per_user) return "USER_LIMIT";

  const failed = failedCondition(rule, input, now, eventStart, skipQuantity);
  return failed ? `CONDITION_FAILED:${failed}` : null;
}

function failedCondition(rule: PricingRule, { config, order, buyer }: PricingInput, now: number, eventStart: number, skipQuantity: boolean): ConditionName | null {
  const c = rule.conditions;
  const q = order.quantity;
  const plan = order.subscription_plan;
  if (plan !== undefined) {
    if (c.subscription_plans && !c.subscription_plans.includes(plan)) return "subscription_plans";
  } else {
    if (c.days_before_event !== undefined && eventStart - now < c.days_before_event * DAY_MS) return "days_before_event";
    if (c.ticket_types && !c.ticket_types.includes(config.ticket_type_code)) return "ticket_types";
    if (c.zone_categories && !c.zone_categories.includes(config.zone_category)) return "zone_categories";
    if (c.event_ids && !c.event_ids.includes(order.event_id)) return "event_ids";
    if (c.event_group_ids && (order.event_group_id === null || !c.event_group_ids.includes(order.event_group_id))) return "event_group_ids";
    const excluded = c.excluded_events;
    if (excluded && (excluded.includes(order.event_id) || order.event_tags.some((tag) => excluded.includes(tag)))) return "excluded_events";
  }
  if (!skipQuantity && c.min_quantity !== undefined && q < c.min_quantity) return "min_quantity";
  if (!skipQuantity && c.max_quantity !== undefined && q > c.max_quantity) return "max_quantity";
  if (!skipQuantity && rule.discount_type === "BUY_X_GET_Y") {
    if (c.get_quantity === undefined) return "get_quantity";
    if (c.buy_quantity === undefined || q < c.buy_quantity + c.get_quantity) return "buy_quantity";
  }
  const required = c.required_groups;
  const memberships = required ? buyer.user_groups.filter((m) => required.includes(m.code)) : buyer.user_groups;
  if (required && memberships.length === 0) return "required_groups";
  const minDays = c.min_membership_days;
  if (minDays !== undefined && !memberships.some((m) => now - Date.parse(m.member_since) >= minDays * DAY_MS)) return "min_membership_days";
  if (c.min_age !== undefined && (buyer.age === null || buyer.age < c.min_age)) return "min_age";
  if (c.max_age !== undefined && (buyer.age === null || buyer.age > c.max_age)) return "max_age";

  switch (rule.rule_type) {
    case "EARLY_BIRD":
      return config.early_bird_end !== null && now >= Date.parse(config.early_bird_end) ? "early_bird_end" : null;
    case "STUDENT":
      return buyer.is_student ? null : "student";
    case "SENIOR":
      return buyer.is_senior ? null : "senior";
    case "CHILD":
      return buyer.is_child ? null : "child";
    case "MEMBER":
      return buyer.user_groups.length > 0 ? null : "member";
    case "DYNAMIC":
      return config.dynamic_pricing && (config.price_tiers?.length ?? 0) > 0 ? null : "dynamic_pricing";
    default:
      return null;
  }
}

/** What `rule` takes off `remaining` (≤ gross), between 0 and `remaining`. */
function amountOf(rule: PricingRule, remaining: number, gross: number, lines: readonly PriceLine[], quantity: number): number {
  const value = rule.discount_value;
  let amount: bigint;
  switch (rule.discount_type) {
    case "PERCENTAGE":
      amount = BigInt(applyBasisPoints(remaining, value));
      break;
    case "FIXED_AMOUNT":
      amount = BigInt(value);
      break;
    case "BUNDLE":
      amount = BigInt(value) * BigInt(Math.floor(quantity / (rule.conditions.min_quantity ?? 1)));
      break;
    case "BUY_X_GET_Y": {
      const { buy_quantity: x = 0, get_quantity: y = 0 } = rule.conditions;
      const reduced = cheapestUnits(lines, Math.floor(quantity / (x + y)) * y);
      const share = remaining === gross ? reduced : proportion(remaining, reduced, gross);
      amount = BigInt(applyBasisPoints(share, value));
      break;
    }
  }
  if (amount < 0n) return 0;
  return amount > BigInt(remaining) ? remaining : Number(amount);
}

/** The price of the `count` cheapest units of the order. */
function cheapestUnits(lines: readonly PriceLine[], count: number): number {
  let total = 0;
  let left = count;
  for (const line of [...lines].sort((a, b) => a.unit_price - b.unit_price)) {
    if (left === 0) break;
    const take = Math.min(left, line.quantity);
    total += line.unit_price * take;
    left -= take;
  }
  return total;
}

/** value × part / whole, rounded half away from zero (all non-negative, whole > 0). */
function proportion(value: number, part: number, whole: number): number {
  const twice = 2n * BigInt(value) * BigInt(part);
  return Number((twice + BigInt(whole)) / (2n * BigInt(whole)));
}

function byRank(a: Candidate, b: Candidate): number {
  return b.rule.priority - a.rule.priority || b.alone - a.alone || compareText(a.rule.code, b.rule.code) || compareText(a.rule.id, b.rule.id);
}

/** Code-unit order: the same in every runtime and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function requireCount(value: number, min: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}: ${value}`);
}

function instant(text: Timestamp, name: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a timestamp: ${text}`);
  return ms;
}

function safeSum(a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(b) || !Number.isSafeInteger(sum)) throw new RangeError("The order's amount is out of range");
  return sum;
}
