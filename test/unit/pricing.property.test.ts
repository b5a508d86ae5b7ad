import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { priceOrder, type Buyer, type PricedConfig, type PricedOrder, type PricingInput, type PricingRule, type PriceQuote } from "../../src/catalog/pricing.ts";
import { DISCOUNT_TYPES, PRICING_RULE_TARGETS, PRICING_RULE_TYPES } from "../../src/catalog/schema.ts";

const RUNS = { numRuns: 300 };
const NOW = Date.parse("2025-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const at = (offsetDays: number) => new Date(NOW + offsetDays * DAY).toISOString();
const CODES = ["CODE1", "CODE2"] as const;
const GROUPS = ["VIP", "CLUB"] as const;

/** Contiguous tiers from 0 with non-decreasing prices, all at most the base price. */
const configArb: fc.Arbitrary<PricedConfig> = fc
  .record({
    currency: fc.constantFrom("XOF" as const, "TND" as const),
    price: fc.integer({ min: 0, max: 1_000_000_000 }),
    dynamic_pricing: fc.boolean(),
    tiers: fc.array(fc.record({ width: fc.integer({ min: 1, max: 40 }), share: fc.integer({ min: 0, max: 10_000 }) }), { maxLength: 4 }),
    early_bird_end: fc.option(fc.integer({ min: -30, max: 30 }).map(at)),
    ticket_type_code: fc.constantFrom("TRIBUNE", "GRADINS"),
    zone_category: fc.constantFrom("STANDARD" as const, "VIP" as const),
  })
  .map(({ tiers, ...config }) => {
    const shares = tiers.map((t) => t.share).sort((a, b) => a - b);
    let from = 0;
    const price_tiers = tiers.map((t, i) => {
      const tier = { from, to: from + t.width - 1, price: Math.floor((config.price * shares[i]!) / 10_000) };
      from += t.width;
      return tier;
    });
    return { ...config, price_tiers: price_tiers.length > 0 ? price_tiers : null };
  });

const orderArb: fc.Arbitrary<PricedOrder> = fc.record({
  quantity: fc.integer({ min: 1, max: 60 }),
  units_sold: fc.integer({ min: 0, max: 200 }),
  now: fc.constant(at(0)),
  event_start: fc.integer({ min: 0, max: 90 }).map(at),
  event_id: fc.constantFrom("E1", "E2"),
  event_group_id: fc.constantFrom(null, "G1", "G2"),
  event_tags: fc.subarray(["derby", "cup"]),
  promo_code: fc.constantFrom(null, ...CODES),
});

const buyerArb: fc.Arbitrary<Buyer> = fc.record({
  user_groups: fc.subarray([...GROUPS]).chain((codes) =>
    fc.tuple(...codes.map((code) => fc.integer({ min: 0, max: 800 }).map((days) => ({ code, member_since: at(-days) })))),
  ),
  age: fc.option(fc.integer({ min: 0, max: 90 })),
  is_student: fc.boolean(),
  is_senior: fc.boolean(),
  is_child: fc.boolean(),
  rule_usage: fc.dictionary(fc.constantFrom("rule-0", "rule-1", "rule-2"), fc.integer({ min: 0, max: 3 })),
});

/** Null with weight `none` against `some` for a value of `arb`. */
const maybe = <T>(arb: fc.Arbitrary<T>, none: number, some: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: none }, { arbitrary: arb, weight: some });

/** Zero to two conditions, each of which the generated orders sometimes meet. */
const conditionsArb = fc
  .uniqueArray(
    fc.oneof(
      fc.tuple(fc.constant("days_before_event"), fc.integer({ min: 0, max: 60 })),
      fc.tuple(fc.constant("ticket_types"), fc.subarray(["TRIBUNE", "GRADINS"])),
      fc.tuple(fc.constant("zone_categories"), fc.subarray(["STANDARD", "VIP"])),
      fc.tuple(fc.constant("event_ids"), fc.subarray(["E1", "E2"])),
      fc.tuple(fc.constant("event_group_ids"), fc.subarray(["G1", "G2"])),
      fc.tuple(fc.constant("excluded_events"), fc.subarray(["E1", "derby"])),
      fc.tuple(fc.constant("min_quantity"), fc.integer({ min: 1, max: 20 })),
      fc.tuple(fc.constant("max_quantity"), fc.integer({ min: 1, max: 60 })),
      fc.tuple(fc.constant("payment_deadline"), fc.integer({ min: 1, max: 96 })),
      fc.tuple(fc.constant("required_groups"), fc.subarray([...GROUPS])),
      fc.tuple(fc.constant("min_membership_days"), fc.integer({ min: 0, max: 400 })),
      fc.tuple(fc.constant("min_age"), fc.integer({ min: 0, max: 60 })),
      fc.tuple(fc.constant("max_age"), fc.integer({ min: 0, max: 90 })),
    ),
    { maxLength: 2, selector: ([key]) => key },
  )
  .map((entries) => Object.fromEntries(entries) as PricingRule["conditions"]);

const X_AND_Y = fc.record({ buy_quantity: fc.integer({ min: 1, max: 4 }), get_quantity: fc.integer({ min: 1, max: 3 }) });

/** Any rule the table can hold, mostly usable for orders of `config`; id and code are given by position. */
const ruleArb = (config: PricedConfig): fc.Arbitrary<Omit<PricingRule, "id" | "code">> =>
  fc
    .record({
      rule_type: fc.oneof({ arbitrary: fc.constantFrom("GROUP" as const, "PROMO" as const, "PARTNER" as const), weight: 3 }, fc.constantFrom(...PRICING_RULE_TYPES)),
      applies_to: fc.oneof({ arbitrary: fc.constantFrom("TICKETS" as const, "BOTH" as const), weight: 5 }, fc.constantFrom(...PRICING_RULE_TARGETS)),
      discount_type: fc.constantFrom(...DISCOUNT_TYPES),
      bp: fc.integer({ min: 0, max: 10_000 }),
      amount: fc.oneof(fc.integer({ min: 0, max: Math.max(1, config.price) * 3 }), fc.integer({ min: 0, max: 2_000_000_000 })),
      currency: fc.oneof({ arbitrary: fc.constant(config.currency), weight: 5 }, fc.constantFrom("XOF" as const, "TND" as const)),
      conditions: fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, conditionsArb),
      x_and_y: maybe(X_AND_Y, 1, 4),
      valid_from: maybe(fc.integer({ min: -60, max: 10 }).map(at), 3, 2),
      valid_until: maybe(fc.integer({ min: -10, max: 60 }).map(at), 3, 2),
      usage_limit_total: maybe(fc.integer({ min: 1, max: 5 }), 3, 1),
      usage_limit_per_user: maybe(fc.integer({ min: 1, max: 3 }), 3, 1),
      usage_count: fc.integer({ min: 0, max: 5 }),
      combinable: fc.boolean(),
      priority: fc.integer({ min: 0, max: 3 }),
      promo_code: maybe(fc.constantFrom(...CODES), 3, 2),
      auto_apply: fc.boolean(),
      is_active: fc.nat({ max: 9 }).map((n) => n > 0),
    })
    .map(({ bp, amount, x_and_y, ...rule }) => {
      const percent = rule.discount_type === "PERCENTAGE" || rule.discount_type === "BUY_X_GET_Y";
      const conditions = rule.discount_type === "BUY_X_GET_Y" && x_and_y ? { ...rule.conditions, ...x_and_y } : rule.conditions;
      return { ...rule, conditions, discount_value: percent ? bp : amount };
    });

/** A rule every order below can use: no condition, no limit, no code, the config's currency. */
const eligibleCombinableArb = (currency: PricedConfig["currency"]) =>
  fc
    .record({
      discount_type: fc.constantFrom(...DISCOUNT_TYPES),
      bp: fc.integer({ min: 1, max: 10_000 }),
      amount: fc.integer({ min: 1, max: 2_000_000_000 }),
      priority: fc.integer({ min: 0, max: 3 }),
    })
    .map(
      ({ discount_type, bp, amount, priority }): PricingRule => ({
        id: "rule-extra",
        code: "EXTRA",
        rule_type: "PROMO",
        applies_to: "TICKETS",
        discount_type,
        discount_value: discount_type === "PERCENTAGE" || discount_type === "BUY_X_GET_Y" ? bp : amount,
        currency,
        conditions: discount_type === "BUY_X_GET_Y" ? { buy_quantity: 1, get_quantity: 1, min_quantity: 2 } : {},
        valid_from: null,
        valid_until: null,
        usage_limit_total: null,
        usage_limit_per_user: null,
        usage_count: 0,
        combinable: true,
        priority,
        promo_code: null,
        auto_apply: true,
        is_active: true,
      }),
    );

/** Ways to make a rule inapplicable whatever else it says. */
const spoilers: ((rule: PricingRule) => PricingRule)[] = [
  (r) => ({ ...r, is_active: false }),
  (r) => ({ ...r, valid_until: at(-1), valid_from: null }),
  (r) => ({ ...r, valid_from: at(1), valid_until: null }),
  (r) => ({ ...r, promo_code: "NEVER_ENTERED", auto_apply: false }),
  (r) => ({ ...r, usage_limit_total: 2, usage_count: 2 }),
  (r) => ({ ...r, applies_to: "SUBSCRIPTIONS" }),
  (r) => ({ ...r, conditions: { ...r.conditions, event_ids: ["NOWHERE"] } }),
  (r) => ({ ...r, conditions: { ...r.conditions, min_quantity: 61 } }),
];

const named = (rules: Omit<PricingRule, "id" | "code">[]): PricingRule[] => rules.map((r, i) => ({ ...r, id: `rule-${i}`, code: `R${i}` }));

const inputArb: fc.Arbitrary<PricingInput> = configArb.chain((config) =>
  fc.record({ config: fc.constant(config), order: orderArb, buyer: buyerArb, rules: fc.array(ruleArb(config), { maxLength: 6 }).map(named) }),
);

/** The quote without the explanation of one rule. */
const without = (quote: PriceQuote, id: string): PriceQuote => ({ ...quote, rejected: quote.rejected.filter((r) => r.id !== id) });

describe("priceOrder properties", () => {
  it("keeps total = gross − discount, 0 ≤ discount ≤ gross, safe integers, and accounts for every rule once", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const q = priceOrder(input);
        const amounts = [q.unit_price, q.gross, q.discount, q.total, ...q.applied.map((a) => a.amount), ...q.lines.flatMap((l) => [l.unit_price, l.quantity])];
        expect(amounts.every(Number.isSafeInteger)).toBe(true);
        expect(q.total).toBe(q.gross - q.discount);
        expect(q.discount).toBeGreaterThanOrEqual(0);
        expect(q.discount).toBeLessThanOrEqual(q.gross);
        expect(q.applied.reduce((sum, a) => sum + a.amount, 0)).toBe(q.discount);
        expect(q.applied.every((a) => a.amount > 0)).toBe(true);
        expect(q.lines.reduce((sum, l) => sum + l.unit_price * l.quantity, 0)).toBe(q.gross);
        expect(q.lines.reduce((sum, l) => sum + l.quantity, 0)).toBe(input.order.quantity);
        const seen = [...q.applied.map((a) => a.id), ...q.rejected.map((r) => r.id)].sort();
        expect(seen).toEqual(input.rules.map((r) => r.id).sort());
      }),
      RUNS,
    );
  });

  it("never changes the quote for an added rule that does not apply", () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) => fc.tuple(fc.constant(input), ruleArb(input.config), fc.nat({ max: spoilers.length - 1 }))),
        ([input, extra, how]) => {
        const spoiled = spoilers[how]!({ ...extra, id: "rule-extra", code: "EXTRA" });
        const before = priceOrder(input);
        const after = priceOrder({ ...input, rules: [...input.rules, spoiled] });
        expect(after.rejected.map((r) => r.id)).toContain("rule-extra");
        expect(without(after, "rule-extra")).toEqual(before);
        },
      ),
      RUNS,
    );
  });

  it("never makes the customer pay more for an extra eligible combinable rule", () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) => fc.tuple(fc.constant(input), eligibleCombinableArb(input.config.currency))),
        ([input, extra]) => {
          const before = priceOrder(input);
          const after = priceOrder({ ...input, rules: [...input.rules, extra] });
          expect(after.total).toBeLessThanOrEqual(before.total);
        },
      ),
      RUNS,
    );
  });

  it("does not depend on the order of the candidate rules", () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) =>
          fc.tuple(fc.constant(input), fc.shuffledSubarray([...input.rules], { minLength: input.rules.length, maxLength: input.rules.length })),
        ),
        ([input, shuffled]) => {
          expect(priceOrder({ ...input, rules: shuffled })).toEqual(priceOrder(input));
        },
      ),
      RUNS,
    );
  });

  it("never lowers the price as more units are sold, with tiers", () => {
    fc.assert(
      fc.property(
        configArb.map((c) => ({ ...c, dynamic_pricing: true })),
        orderArb,
        fc.nat({ max: 100 }),
        (config, order, more) => {
          const buyer: Buyer = { user_groups: [], age: null, is_student: false, is_senior: false, is_child: false, rule_usage: {} };
          const earlier = priceOrder({ config, order, buyer, rules: [] });
          const later = priceOrder({ config, order: { ...order, units_sold: order.units_sold + more }, buyer, rules: [] });
          expect(later.unit_price).toBeGreaterThanOrEqual(earlier.unit_price);
          expect(later.gross).toBeGreaterThanOrEqual(earlier.gross);
        },
      ),
      RUNS,
    );
  });
});
