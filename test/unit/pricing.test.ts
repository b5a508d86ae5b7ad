import { describe, expect, it } from "vitest";
import { buyerFlags, priceOrder, pricePass, type Buyer, type PricedConfig, type PricedOrder, type PricingInput, type PricingRule } from "../../src/catalog/pricing.ts";
import { formatDecimal, parseDecimal } from "../../src/lib/money.ts";
import { plainRule } from "../support/pricing.ts";

const tnd = (text: string) => parseDecimal(text, "TND");

function rule(code: string, fields: Partial<PricingRule> = {}): PricingRule {
  return { id: `id-${code}`, code, ...plainRule(), ...fields };
}

interface Parts {
  config?: Partial<PricedConfig>;
  order?: Partial<PricedOrder>;
  buyer?: Partial<Buyer>;
  rules?: PricingRule[];
}

function quote({ config, order, buyer, rules = [] }: Parts = {}) {
  const input: PricingInput = {
    config: {
      price: tnd("15.000"),
      currency: "TND",
      dynamic_pricing: false,
      price_tiers: null,
      early_bird_end: null,
      ticket_type_code: "GRADINS",
      zone_category: "STANDARD",
      ...config,
    },
    order: {
      quantity: 1,
      units_sold: 0,
      now: "2025-03-10T12:00:00.000Z",
      event_start: "2025-03-20T18:00:00.000Z",
      event_id: "event-friendly",
      event_group_id: "season-2025",
      event_tags: ["friendly"],
      promo_code: null,
      ...order,
    },
    buyer: { user_groups: [], age: null, is_student: false, is_senior: false, is_child: false, rule_usage: {}, ...buyer },
    rules,
  };
  return priceOrder(input);
}

const reasonOf = (q: ReturnType<typeof quote>, code: string) => q.rejected.find((r) => r.code === code)?.reason;

// The specification's rows, amounts in minor units and percentages in basis points.
const GROUP_10PLUS = rule("GROUP_10PLUS", {
  rule_type: "GROUP",
  applies_to: "BOTH",
  discount_value: 1_500,
  conditions: { min_quantity: 10, max_quantity: 50, same_ticket_type: true, same_event: true, payment_deadline: 72 },
  valid_from: "2025-01-01T00:00:00Z",
  valid_until: "2025-12-31T23:59:59Z",
  usage_limit_per_user: 2,
  usage_count: 89,
  priority: 15,
  auto_apply: true,
});

const EARLY_BIRD_20 = rule("EARLY_BIRD_20", {
  rule_type: "EARLY_BIRD",
  discount_value: 2_000,
  conditions: { days_before_event: 30, ticket_types: ["TRIBUNE", "CHAISES"], excluded_events: ["derby"], min_quantity: 1, max_quantity: 10 },
  valid_from: "2025-01-01T00:00:00Z",
  valid_until: "2025-12-31T23:59:59Z",
  usage_limit_per_user: 5,
  usage_count: 1_234,
  priority: 20,
  auto_apply: true,
});

const MEMBER_VIP_2025 = rule("MEMBER_VIP_2025", {
  rule_type: "MEMBER",
  applies_to: "SUBSCRIPTIONS",
  discount_value: 3_000,
  conditions: { required_groups: ["VIP_2024", "VIP_2025"], subscription_plans: ["SEASON_TRIBUNE_2025", "SEASON_CHAISES_2025"], min_membership_days: 365 },
  valid_from: "2025-06-01T00:00:00Z",
  valid_until: "2025-07-31T23:59:59Z",
  usage_limit_total: 500,
  usage_limit_per_user: 1,
  usage_count: 234,
  combinable: true,
  priority: 10,
  promo_code: "VIP2025",
  auto_apply: false,
});

const DERBY_TIERS = [
  { from: 0, to: 1_000, price: tnd("60.000"), label: "Early bird" },
  { from: 1_001, to: 3_000, price: tnd("70.000"), label: "Regular" },
  { from: 3_001, to: 5_000, price: tnd("80.000"), label: "Last minute" },
];
const derby = { price: tnd("80.000"), dynamic_pricing: true, price_tiers: DERBY_TIERS, ticket_type_code: "TRIBUNE" };

describe("the specification's examples", () => {
  it("prices the group order of 15 at 15.000 TND with 15 % off at 191.250 TND", () => {
    const q = quote({ order: { quantity: 15 }, rules: [GROUP_10PLUS] });
    expect(q).toMatchObject({ currency: "TND", unit_price: 15_000, gross: 225_000, discount: 33_750, total: 191_250 });
    expect(formatDecimal(q.total, "TND")).toBe("191.250");
    expect(formatDecimal(q.discount, "TND")).toBe("33.750");
    expect(q.applied).toEqual([{ id: "id-GROUP_10PLUS", code: "GROUP_10PLUS", amount: 33_750 }]);
    expect(q.rejected).toEqual([]);
    expect(q.payment_deadline_hours).toBe(72);
  });

  it("refuses the group rate under 10 or over 50 units", () => {
    expect(reasonOf(quote({ order: { quantity: 9 }, rules: [GROUP_10PLUS] }), "GROUP_10PLUS")).toBe("CONDITION_FAILED:min_quantity");
    const big = quote({ order: { quantity: 51 }, rules: [GROUP_10PLUS] });
    expect(reasonOf(big, "GROUP_10PLUS")).toBe("CONDITION_FAILED:max_quantity");
    expect(big).toMatchObject({ discount: 0, total: 51 * 15_000, applied: [], payment_deadline_hours: null });
  });

  it("gives the early bird 20 % from 30 days before the event, exactly 30 included", () => {
    const order = { quantity: 2, event_start: "2025-06-01T18:00:00.000Z" };
    const early = quote({ config: { ticket_type_code: "TRIBUNE" }, order: { ...order, now: "2025-04-01T10:00:00.000Z" }, rules: [EARLY_BIRD_20] });
    expect(early).toMatchObject({ gross: 30_000, discount: 6_000, total: 24_000 });
    const edge = quote({ config: { ticket_type_code: "TRIBUNE" }, order: { ...order, now: "2025-05-02T18:00:00.000Z" }, rules: [EARLY_BIRD_20] });
    expect(edge.discount).toBe(6_000);
    const late = quote({ config: { ticket_type_code: "TRIBUNE" }, order: { ...order, now: "2025-05-02T18:00:00.001Z" }, rules: [EARLY_BIRD_20] });
    expect(reasonOf(late, "EARLY_BIRD_20")).toBe("CONDITION_FAILED:days_before_event");
    expect(late.total).toBe(30_000);
  });

  it("keeps the early bird off other ticket types and off the derby", () => {
    const order = { now: "2025-04-01T10:00:00.000Z", event_start: "2025-06-01T18:00:00.000Z" };
    const vip = quote({ config: { ticket_type_code: "VIP_MATCH" }, order, rules: [EARLY_BIRD_20] });
    expect(reasonOf(vip, "EARLY_BIRD_20")).toBe("CONDITION_FAILED:ticket_types");
    const match = quote({ config: { ticket_type_code: "CHAISES" }, order: { ...order, event_tags: ["championship", "derby"] }, rules: [EARLY_BIRD_20] });
    expect(reasonOf(match, "EARLY_BIRD_20")).toBe("CONDITION_FAILED:excluded_events");
    const byId = quote({ config: { ticket_type_code: "CHAISES" }, order: { ...order, event_id: "derby" }, rules: [EARLY_BIRD_20] });
    expect(reasonOf(byId, "EARLY_BIRD_20")).toBe("CONDITION_FAILED:excluded_events");
  });

  it("ends the early bird at the config's early_bird_end", () => {
    const order = { now: "2025-02-01T00:00:00.000Z", event_start: "2025-06-01T18:00:00.000Z" };
    const config = { ticket_type_code: "TRIBUNE" };
    const before = quote({ config: { ...config, early_bird_end: "2025-02-01T00:00:00.001Z" }, order, rules: [EARLY_BIRD_20] });
    expect(before.discount).toBe(3_000);
    const after = quote({ config: { ...config, early_bird_end: "2025-02-01T00:00:00.000Z" }, order, rules: [EARLY_BIRD_20] });
    expect(reasonOf(after, "EARLY_BIRD_20")).toBe("CONDITION_FAILED:early_bird_end");
  });

  describe("promo VIP2025, 30 % for VIP members of a year, with the code", () => {
    const vip = { ...MEMBER_VIP_2025, applies_to: "BOTH" as const };
    const member = { user_groups: [{ code: "VIP_2024", member_since: "2024-05-01T00:00:00.000Z" }] };
    const order = { quantity: 2, now: "2025-06-15T10:00:00.000Z", event_start: "2025-08-01T18:00:00.000Z" };

    it("applies to a VIP member who enters the code", () => {
      const q = quote({ order: { ...order, promo_code: "VIP2025" }, buyer: member, rules: [vip] });
      expect(q).toMatchObject({ gross: 30_000, discount: 9_000, total: 21_000 });
      expect(q.applied.map((a) => a.code)).toEqual(["MEMBER_VIP_2025"]);
    });

    it("does not apply without the code or with another code", () => {
      expect(reasonOf(quote({ order, buyer: member, rules: [vip] }), "MEMBER_VIP_2025")).toBe("PROMO_CODE_REQUIRED");
      const other = quote({ order: { ...order, promo_code: "SUMMER20" }, buyer: member, rules: [vip] });
      expect(reasonOf(other, "MEMBER_VIP_2025")).toBe("PROMO_CODE_REQUIRED");
      expect(other.total).toBe(30_000);
    });

    it("does not apply to non-members, nor to members of less than 365 days", () => {
      const withCode = { ...order, promo_code: "VIP2025" };
      const outsider = quote({ order: withCode, buyer: { user_groups: [{ code: "FANS", member_since: "2020-01-01T00:00:00.000Z" }] }, rules: [vip] });
      expect(reasonOf(outsider, "MEMBER_VIP_2025")).toBe("CONDITION_FAILED:required_groups");
      const recent = quote({ order: withCode, buyer: { user_groups: [{ code: "VIP_2025", member_since: "2024-06-16T00:00:00.000Z" }] }, rules: [vip] });
      expect(reasonOf(recent, "MEMBER_VIP_2025")).toBe("CONDITION_FAILED:min_membership_days");
    });

    it("never prices a ticket with the specification's row, which targets subscriptions", () => {
      const q = quote({ order: { ...order, promo_code: "VIP2025" }, buyer: member, rules: [MEMBER_VIP_2025] });
      expect(reasonOf(q, "MEMBER_VIP_2025")).toBe("CONDITION_FAILED:applies_to");
    });

    it("stops at its total usage limit and at the buyer's own limit", () => {
      const withCode = { ...order, promo_code: "VIP2025" };
      const exhausted = quote({ order: withCode, buyer: member, rules: [{ ...vip, usage_count: 500 }] });
      expect(reasonOf(exhausted, "MEMBER_VIP_2025")).toBe("USAGE_LIMIT");
      const usedOnce = quote({ order: withCode, buyer: { ...member, rule_usage: { [vip.id]: 1 } }, rules: [vip] });
      expect(reasonOf(usedOnce, "MEMBER_VIP_2025")).toBe("USER_LIMIT");
      const otherRuleUsed = quote({ order: withCode, buyer: { ...member, rule_usage: { "id-OTHER": 3 } }, rules: [vip] });
      expect(otherRuleUsed.discount).toBe(9_000);
    });

    it("is outside its validity before June and after July", () => {
      const before = quote({ order: { ...order, promo_code: "VIP2025", now: "2025-05-31T23:59:59.999Z" }, buyer: member, rules: [vip] });
      expect(reasonOf(before, "MEMBER_VIP_2025")).toBe("OUTSIDE_VALIDITY");
      const lastSecond = quote({ order: { ...order, promo_code: "VIP2025", now: "2025-07-31T23:59:59.000Z" }, buyer: member, rules: [vip] });
      expect(lastSecond.discount).toBe(9_000);
      const after = quote({ order: { ...order, promo_code: "VIP2025", now: "2025-07-31T23:59:59.001Z" }, buyer: member, rules: [vip] });
      expect(reasonOf(after, "MEMBER_VIP_2025")).toBe("OUTSIDE_VALIDITY");
    });
  });
});

describe("price tiers by units sold", () => {
  it.each([
    [0, 60_000, "Early bird"],
    [1_000, 60_000, "Early bird"],
    [1_001, 70_000, "Regular"],
    [3_000, 70_000, "Regular"],
    [3_001, 80_000, "Last minute"],
    [4_850, 80_000, "Last minute"],
  ])("with %i sold, the next unit costs %i (%s)", (sold, price, label) => {
    const q = quote({ config: derby, order: { units_sold: sold } });
    expect(q.unit_price).toBe(price);
    expect(q.lines).toEqual([{ first_unit: sold, quantity: 1, unit_price: price, label }]);
  });

  it("prices each unit of an order crossing a boundary at its own tier", () => {
    const q = quote({ config: derby, order: { units_sold: 999, quantity: 4 } });
    expect(q.lines).toEqual([
      { first_unit: 999, quantity: 2, unit_price: 60_000, label: "Early bird" },
      { first_unit: 1_001, quantity: 2, unit_price: 70_000, label: "Regular" },
    ]);
    expect(q).toMatchObject({ unit_price: 60_000, gross: 260_000, total: 260_000 });
  });

  it("charges the base price outside every tier and in gaps between tiers", () => {
    expect(quote({ config: derby, order: { units_sold: 5_001 } }).lines).toEqual([{ first_unit: 5_001, quantity: 1, unit_price: 80_000, label: null }]);
    const gappy = { ...derby, price_tiers: [{ from: 0, to: 1, price: 50_000 }, { from: 4, to: 9, price: 60_000 }] };
    const q = quote({ config: gappy, order: { units_sold: 1, quantity: 5 } });
    expect(q.lines).toEqual([
      { first_unit: 1, quantity: 1, unit_price: 50_000, label: null },
      { first_unit: 2, quantity: 2, unit_price: 80_000, label: null },
      { first_unit: 4, quantity: 2, unit_price: 60_000, label: null },
    ]);
    expect(q.gross).toBe(330_000);
  });

  it("ignores the tiers when dynamic pricing is off", () => {
    const q = quote({ config: { ...derby, dynamic_pricing: false }, order: { units_sold: 10, quantity: 3 } });
    expect(q).toMatchObject({ unit_price: 80_000, gross: 240_000 });
  });

  it("applies percentage rules to the tiered gross", () => {
    const q = quote({ config: derby, order: { units_sold: 999, quantity: 4 }, rules: [rule("TEN", { discount_value: 1_000 })] });
    expect(q).toMatchObject({ gross: 260_000, discount: 26_000, total: 234_000 });
  });
});

describe("rule types", () => {
  it.each([
    ["STUDENT", "is_student", "CONDITION_FAILED:student"],
    ["SENIOR", "is_senior", "CONDITION_FAILED:senior"],
    ["CHILD", "is_child", "CONDITION_FAILED:child"],
  ] as const)("%s needs the buyer's verified flag", (type, flag, reason) => {
    const r = rule(type, { rule_type: type, discount_value: 5_000 });
    expect(quote({ buyer: { [flag]: true }, rules: [r] }).total).toBe(7_500);
    expect(reasonOf(quote({ rules: [r] }), type)).toBe(reason);
  });

  it("MEMBER needs a membership, of the required groups when it names some", () => {
    const any = rule("MEMBER_ANY", { rule_type: "MEMBER" });
    const since = "2020-01-01T00:00:00.000Z";
    expect(quote({ buyer: { user_groups: [{ code: "FANS", member_since: since }] }, rules: [any] }).discount).toBe(1_500);
    expect(reasonOf(quote({ rules: [any] }), "MEMBER_ANY")).toBe("CONDITION_FAILED:member");
    const club = rule("MEMBER_CLUB", { rule_type: "MEMBER", conditions: { required_groups: ["CLUB"] } });
    expect(reasonOf(quote({ buyer: { user_groups: [{ code: "FANS", member_since: since }] }, rules: [club] }), "MEMBER_CLUB")).toBe(
      "CONDITION_FAILED:required_groups",
    );
  });

  it("min_membership_days without required_groups accepts an old enough membership of any group", () => {
    const loyal = rule("LOYAL", { rule_type: "MEMBER", conditions: { min_membership_days: 30 } });
    const old = { code: "FANS", member_since: "2025-02-08T12:00:00.000Z" }; // 30 days before now
    const young = { code: "CLUB", member_since: "2025-02-08T12:00:00.001Z" };
    expect(quote({ buyer: { user_groups: [young, old] }, rules: [loyal] }).discount).toBe(1_500);
    expect(reasonOf(quote({ buyer: { user_groups: [young] }, rules: [loyal] }), "LOYAL")).toBe("CONDITION_FAILED:min_membership_days");
  });

  it("DYNAMIC applies only on top of tiers", () => {
    const flash = rule("FLASH", { rule_type: "DYNAMIC", discount_value: 1_000 });
    expect(quote({ config: derby, order: { units_sold: 1_500 }, rules: [flash] })).toMatchObject({ gross: 70_000, discount: 7_000 });
    expect(reasonOf(quote({ rules: [flash] }), "FLASH")).toBe("CONDITION_FAILED:dynamic_pricing");
    expect(reasonOf(quote({ config: { ...derby, dynamic_pricing: false }, rules: [flash] }), "FLASH")).toBe("CONDITION_FAILED:dynamic_pricing");
    expect(reasonOf(quote({ config: { ...derby, price_tiers: [] }, rules: [flash] }), "FLASH")).toBe("CONDITION_FAILED:dynamic_pricing");
  });

  it("PARTNER goes by its conditions, GROUP and PROMO too", () => {
    const partner = rule("PARTNER_BANK", { rule_type: "PARTNER", conditions: { required_groups: ["BANK_CARD"] } });
    const card = { user_groups: [{ code: "BANK_CARD", member_since: "2025-03-01T00:00:00.000Z" }] };
    expect(quote({ buyer: card, rules: [partner] }).discount).toBe(1_500);
    expect(reasonOf(quote({ rules: [partner] }), "PARTNER_BANK")).toBe("CONDITION_FAILED:required_groups");
    const group = rule("GROUP_ANY", { rule_type: "GROUP" });
    expect(quote({ rules: [group] }).discount).toBe(1_500);
  });

  it("an auto-applied promo rule needs no code; a code-only rule needs its code", () => {
    const auto = rule("SPRING", { promo_code: "SPRING", auto_apply: true });
    expect(quote({ rules: [auto] }).discount).toBe(1_500);
    const coded = rule("SUMMER20", { promo_code: "SUMMER20", auto_apply: false, discount_value: 2_000 });
    expect(reasonOf(quote({ rules: [coded] }), "SUMMER20")).toBe("PROMO_CODE_REQUIRED");
    expect(quote({ order: { promo_code: "SUMMER20" }, rules: [coded] }).discount).toBe(3_000);
  });
});

describe("discount types", () => {
  it("FIXED_AMOUNT takes its amount once per order, in its own currency only", () => {
    const five = rule("FIVE_OFF", { discount_type: "FIXED_AMOUNT", discount_value: tnd("5.000"), currency: "TND" });
    expect(quote({ order: { quantity: 3 }, rules: [five] })).toMatchObject({ gross: 45_000, discount: 5_000, total: 40_000 });
    const inXof = { ...five, currency: "XOF" as const };
    expect(reasonOf(quote({ rules: [inXof] }), "FIVE_OFF")).toBe("CONDITION_FAILED:currency");
  });

  it("FIXED_AMOUNT never takes more than the order costs", () => {
    const big = rule("BIG", { discount_type: "FIXED_AMOUNT", discount_value: tnd("100.000"), currency: "TND" });
    expect(quote({ order: { quantity: 2 }, rules: [big] })).toMatchObject({ gross: 30_000, discount: 30_000, total: 0 });
  });

  it("BUNDLE takes its amount per complete bundle of min_quantity units", () => {
    const family = rule("FAMILY4", { discount_type: "BUNDLE", discount_value: tnd("10.000"), currency: "TND", conditions: { min_quantity: 4 } });
    expect(quote({ order: { quantity: 9 }, rules: [family] })).toMatchObject({ gross: 135_000, discount: 20_000, total: 115_000 });
    expect(reasonOf(quote({ order: { quantity: 3 }, rules: [family] }), "FAMILY4")).toBe("CONDITION_FAILED:min_quantity");
    const perUnit = rule("PER_UNIT", { discount_type: "BUNDLE", discount_value: 1_000, currency: "TND" });
    expect(quote({ order: { quantity: 3 }, rules: [perUnit] }).discount).toBe(3_000);
    expect(reasonOf(quote({ config: { currency: "XOF" }, rules: [perUnit] }), "PER_UNIT")).toBe("CONDITION_FAILED:currency");
  });

  it("BUY_X_GET_Y gives Y units in every X + Y their discount", () => {
    const threeForTwo = rule("B2G1", { discount_type: "BUY_X_GET_Y", discount_value: 10_000, conditions: { buy_quantity: 2, get_quantity: 1 } });
    expect(quote({ order: { quantity: 7 }, rules: [threeForTwo] })).toMatchObject({ gross: 105_000, discount: 30_000, total: 75_000 });
    const halfOff = { ...threeForTwo, discount_value: 5_000 };
    expect(quote({ order: { quantity: 6 }, rules: [halfOff] }).discount).toBe(15_000);
    expect(reasonOf(quote({ order: { quantity: 2 }, rules: [threeForTwo] }), "B2G1")).toBe("CONDITION_FAILED:buy_quantity");
  });

  it("BUY_X_GET_Y discounts the cheapest units of a tier-crossing order", () => {
    const b1g1 = rule("B1G1", { discount_type: "BUY_X_GET_Y", discount_value: 10_000, conditions: { buy_quantity: 1, get_quantity: 1 } });
    const q = quote({ config: derby, order: { units_sold: 999, quantity: 4 }, rules: [b1g1] });
    expect(q).toMatchObject({ gross: 260_000, discount: 120_000, total: 140_000 });
  });

  it("BUY_X_GET_Y without X or Y never applies", () => {
    const noY = rule("NO_Y", { discount_type: "BUY_X_GET_Y", discount_value: 10_000, conditions: { buy_quantity: 1 } });
    const noX = rule("NO_X", { discount_type: "BUY_X_GET_Y", discount_value: 10_000, conditions: { get_quantity: 1 } });
    const q = quote({ order: { quantity: 5 }, rules: [noY, noX] });
    expect(reasonOf(q, "NO_Y")).toBe("CONDITION_FAILED:get_quantity");
    expect(reasonOf(q, "NO_X")).toBe("CONDITION_FAILED:buy_quantity");
  });

  it("BUY_X_GET_Y after another rule counts for its share of what remains", () => {
    const ten = rule("TEN", { combinable: true, priority: 10 });
    const b1g1 = rule("B1G1", { discount_type: "BUY_X_GET_Y", discount_value: 10_000, conditions: { buy_quantity: 1, get_quantity: 1 }, combinable: true });
    const q = quote({ order: { quantity: 2 }, rules: [b1g1, ten] });
    // 30.000 − 10 % = 27.000; the free unit is half of it.
    expect(q.applied).toEqual([
      { id: "id-TEN", code: "TEN", amount: 3_000 },
      { id: "id-B1G1", code: "B1G1", amount: 13_500 },
    ]);
    expect(q).toMatchObject({ discount: 16_500, total: 13_500 });
  });
});

describe("conditions", () => {
  it.each([
    [{ zone_categories: ["VIP" as const] }, "zone_categories"],
    [{ event_ids: ["another-event"] }, "event_ids"],
    [{ event_group_ids: ["season-2024"] }, "event_group_ids"],
    [{ min_age: 18 }, "min_age"],
    [{ max_age: 12 }, "max_age"],
  ])("%o fails as %s", (conditions, name) => {
    expect(reasonOf(quote({ rules: [rule("R", { conditions })] }), "R")).toBe(`CONDITION_FAILED:${name}`);
  });

  it("hold when the order matches them", () => {
    const conditions = {
      zone_categories: ["STANDARD" as const],
      event_ids: ["event-friendly"],
      event_group_ids: ["season-2025"],
      min_age: 18,
      max_age: 25,
      subscription_plans: ["SEASON_TRIBUNE_2025"],
      same_ticket_type: true,
      same_event: true,
    };
    expect(quote({ buyer: { age: 25 }, rules: [rule("R", { conditions })] }).discount).toBe(1_500);
    expect(reasonOf(quote({ buyer: { age: 26 }, rules: [rule("R", { conditions })] }), "R")).toBe("CONDITION_FAILED:max_age");
  });

  it("an event outside any group fails event_group_ids", () => {
    const r = rule("R", { conditions: { event_group_ids: ["season-2025"] } });
    expect(reasonOf(quote({ order: { event_group_id: null }, rules: [r] }), "R")).toBe("CONDITION_FAILED:event_group_ids");
  });

  it("reports an inactive rule before anything else", () => {
    const r = rule("OFF", { is_active: false, valid_until: "2020-01-01T00:00:00Z", conditions: { min_quantity: 50 } });
    expect(reasonOf(quote({ rules: [r] }), "OFF")).toBe("NOT_ACTIVE");
  });
});

describe("selection", () => {
  it("takes the first non-combinable rule by priority, even when a lower priority gives more", () => {
    const first = rule("FIRST", { priority: 20, discount_value: 1_000 });
    const richer = rule("RICHER", { priority: 10, discount_value: 3_000 });
    const q = quote({ rules: [richer, first] });
    expect(q.applied.map((a) => a.code)).toEqual(["FIRST"]);
    expect(reasonOf(q, "RICHER")).toBe("NOT_COMBINABLE");
  });

  it("breaks a priority tie by the larger discount, then by code", () => {
    const small = rule("A_SMALL", { discount_value: 1_000 });
    const large = rule("B_LARGE", { discount_value: 2_000 });
    expect(quote({ rules: [small, large] }).applied.map((a) => a.code)).toEqual(["B_LARGE"]);
    const twin = rule("A_TWIN", { discount_value: 2_000 });
    expect(quote({ rules: [large, twin] }).applied.map((a) => a.code)).toEqual(["A_TWIN"]);
  });

  it("applies combinable rules one after the other on what remains", () => {
    const a = rule("A", { combinable: true, priority: 2 });
    const b = rule("B", { combinable: true, priority: 1 });
    const q = quote({ order: { quantity: 10 }, rules: [b, a] });
    expect(q.applied).toEqual([
      { id: "id-A", code: "A", amount: 15_000 },
      { id: "id-B", code: "B", amount: 13_500 },
    ]);
    expect(q).toMatchObject({ gross: 150_000, discount: 28_500, total: 121_500 });
  });

  it("orders a fixed amount and a percentage by priority", () => {
    const fixed = rule("FIXED", { discount_type: "FIXED_AMOUNT", discount_value: 10_000, currency: "TND", combinable: true, priority: 2 });
    const pct = rule("PCT", { combinable: true, priority: 1 });
    expect(quote({ order: { quantity: 10 }, rules: [pct, fixed] }).discount).toBe(10_000 + 14_000);
    const pctFirst = { ...pct, priority: 3 };
    expect(quote({ order: { quantity: 10 }, rules: [pctFirst, fixed] }).discount).toBe(15_000 + 10_000);
  });

  it("gives the customer the larger of the best single rule and the combinable set", () => {
    const single = rule("SINGLE", { discount_value: 2_500, priority: 5 });
    const c1 = rule("C1", { combinable: true });
    const c2 = rule("C2", { combinable: true });
    const setWins = quote({ rules: [single, c1, c2, rule("C3", { combinable: true })] });
    expect(setWins.applied.map((a) => a.code)).toEqual(["C1", "C2", "C3"]); // 27.1 % > 25 %
    expect(reasonOf(setWins, "SINGLE")).toBe("NOT_COMBINABLE");
    const singleWins = quote({ rules: [single, c1, c2] });
    expect(singleWins.applied.map((a) => a.code)).toEqual(["SINGLE"]); // 25 % > 19 %
    expect(singleWins.rejected).toEqual([
      { id: "id-C1", code: "C1", reason: "NOT_COMBINABLE" },
      { id: "id-C2", code: "C2", reason: "NOT_COMBINABLE" },
    ]);
  });

  it("on equal discounts, keeps the option whose leading rule ranks first", () => {
    const single = rule("SINGLE", { discount_value: 2_000, priority: 1 });
    const combinable = rule("COMBO", { discount_value: 2_000, combinable: true, priority: 2 });
    expect(quote({ rules: [single, combinable] }).applied.map((a) => a.code)).toEqual(["COMBO"]);
    expect(quote({ rules: [single, { ...combinable, priority: 0 }] }).applied.map((a) => a.code)).toEqual(["SINGLE"]);
  });

  it("reports NO_DISCOUNT for a rule worth nothing and for a combinable rule left nothing to take", () => {
    const all = rule("ALL", { discount_value: 10_000, combinable: true, priority: 2 });
    const more = rule("MORE", { discount_value: 1_000, combinable: true, priority: 1 });
    const zero = rule("ZERO", { discount_value: 0 });
    const q = quote({ rules: [more, all, zero] });
    expect(q).toMatchObject({ discount: 15_000, total: 0 });
    expect(q.applied.map((a) => a.code)).toEqual(["ALL"]);
    expect(q.rejected).toEqual([
      { id: "id-MORE", code: "MORE", reason: "NO_DISCOUNT" },
      { id: "id-ZERO", code: "ZERO", reason: "NO_DISCOUNT" },
    ]);
  });

  it("keeps the shortest payment deadline of the applied rules", () => {
    const a = rule("A", { combinable: true, conditions: { payment_deadline: 72 } });
    const b = rule("B", { combinable: true, conditions: { payment_deadline: 24 } });
    expect(quote({ rules: [a, b] }).payment_deadline_hours).toBe(24);
  });

  it("lists every rejected rule once, by code", () => {
    const q = quote({ rules: [rule("Z", { is_active: false }), rule("M", { usage_limit_total: 1, usage_count: 1 }), rule("A", { valid_from: "2030-01-01T00:00:00Z" })] });
    expect(q.rejected).toEqual([
      { id: "id-A", code: "A", reason: "OUTSIDE_VALIDITY" },
      { id: "id-M", code: "M", reason: "USAGE_LIMIT" },
      { id: "id-Z", code: "Z", reason: "NOT_ACTIVE" },
    ]);
  });
});

describe("XOF, without decimals", () => {
  const xof = { currency: "XOF" as const, price: 1_005 };

  it("rounds a percentage half away from zero to whole francs", () => {
    expect(quote({ config: xof, rules: [rule("R", { discount_value: 1_500 })] })).toMatchObject({ gross: 1_005, discount: 151, total: 854 }); // 150.75
    expect(quote({ config: { ...xof, price: 5 }, rules: [rule("R", { discount_value: 5_000 })] })).toMatchObject({ discount: 3, total: 2 }); // 2.5
    expect(quote({ config: { ...xof, price: 5 }, rules: [rule("R", { discount_value: 4_999 })] })).toMatchObject({ discount: 2, total: 3 }); // 2.4995
  });

  it("takes a fixed amount in francs only from an XOF rule", () => {
    const r = rule("F", { discount_type: "FIXED_AMOUNT", discount_value: 500, currency: "XOF" });
    expect(quote({ config: { ...xof, price: 5_000 }, order: { quantity: 2 }, rules: [r] })).toMatchObject({ currency: "XOF", gross: 10_000, total: 9_500 });
    expect(reasonOf(quote({ rules: [r] }), "F")).toBe("CONDITION_FAILED:currency");
  });
});

describe("input it refuses", () => {
  it.each([
    [{ order: { quantity: 0 } }],
    [{ order: { quantity: 1.5 } }],
    [{ order: { units_sold: -1 } }],
    [{ config: { price: -1 } }],
    [{ order: { now: "yesterday" } }],
    [{ order: { event_start: "" } }],
    [{ config: { price: Number.MAX_SAFE_INTEGER }, order: { quantity: 2 } }],
  ] as Parts[][])("%o", (parts) => {
    expect(() => quote(parts)).toThrow(RangeError);
  });
});

describe("buyer flags", () => {
  it("makes a student of a student group's member, whatever the code's case", () => {
    expect(buyerFlags(null, ["etudiants"]).is_student).toBe(true);
    expect(buyerFlags(null, ["ABONNES"]).is_student).toBe(false);
  });

  it("makes seniors from 60 and children under 12, and neither without an age", () => {
    expect(buyerFlags(60, [])).toEqual({ is_student: false, is_senior: true, is_child: false });
    expect(buyerFlags(59, [])).toEqual({ is_student: false, is_senior: false, is_child: false });
    expect(buyerFlags(11, [])).toEqual({ is_student: false, is_senior: false, is_child: true });
    expect(buyerFlags(12, [])).toEqual({ is_student: false, is_senior: false, is_child: false });
    expect(buyerFlags(null, [])).toEqual({ is_student: false, is_senior: false, is_child: false });
  });
});

describe("season passes (pricePass)", () => {
  const TRIBUNE_2025 = { code: "SEASON_TRIBUNE_2025", price: tnd("450.000"), currency: "TND" as const };
  const vipMember: Buyer = { user_groups: [{ code: "VIP_2024", member_since: "2024-05-01T00:00:00.000Z" }], age: 40, is_student: false, is_senior: false, is_child: false, rule_usage: {} };
  const pass = (o: { plan?: typeof TRIBUNE_2025; promo_code?: string | null; buyer?: Buyer; rules: PricingRule[] }) =>
    pricePass({ plan: o.plan ?? TRIBUNE_2025, now: "2025-06-15T10:00:00.000Z", promo_code: o.promo_code ?? null, buyer: o.buyer ?? vipMember, rules: o.rules });

  it("takes the specification's MEMBER_VIP_2025 off a VIP member's SEASON_TRIBUNE_2025 pass with the code: 450.000 → 315.000 TND", () => {
    const q = pass({ promo_code: "VIP2025", rules: [MEMBER_VIP_2025] });
    expect(q).toMatchObject({ gross: tnd("450.000"), discount: tnd("135.000"), total: tnd("315.000"), applied: [{ code: "MEMBER_VIP_2025" }] });
    expect(formatDecimal(q.total, "TND")).toBe("315.000");
  });

  it("keeps it to the plans it names, to VIP members of a year, to the code, within its limits", () => {
    expect(reasonOf(pass({ plan: { ...TRIBUNE_2025, code: "SEASON_VIRAGE_2025" }, promo_code: "VIP2025", rules: [MEMBER_VIP_2025] }), "MEMBER_VIP_2025")).toBe("CONDITION_FAILED:subscription_plans");
    expect(reasonOf(pass({ rules: [MEMBER_VIP_2025] }), "MEMBER_VIP_2025")).toBe("PROMO_CODE_REQUIRED");
    const recent: Buyer = { ...vipMember, user_groups: [{ code: "VIP_2025", member_since: "2025-01-01T00:00:00.000Z" }] };
    expect(reasonOf(pass({ promo_code: "VIP2025", buyer: recent, rules: [MEMBER_VIP_2025] }), "MEMBER_VIP_2025")).toBe("CONDITION_FAILED:min_membership_days");
    expect(reasonOf(pass({ promo_code: "VIP2025", rules: [{ ...MEMBER_VIP_2025, usage_count: 500 }] }), "MEMBER_VIP_2025")).toBe("USAGE_LIMIT");
    const usedOnce: Buyer = { ...vipMember, rule_usage: { [MEMBER_VIP_2025.id]: 1 } };
    expect(reasonOf(pass({ promo_code: "VIP2025", buyer: usedOnce, rules: [MEMBER_VIP_2025] }), "MEMBER_VIP_2025")).toBe("USER_LIMIT");
  });

  it("never prices a pass with a TICKETS rule; a BOTH rule's conditions on events and tickets do not bind a pass", () => {
    expect(reasonOf(pass({ rules: [rule("T", { applies_to: "TICKETS" })] }), "T")).toBe("CONDITION_FAILED:applies_to");
    const eventSide = rule("B", { applies_to: "BOTH", conditions: { ticket_types: ["TRIBUNE"], event_ids: ["derby"], days_before_event: 400, zone_categories: ["VIP"], excluded_events: [""], event_group_ids: ["x"] } });
    expect(pass({ rules: [eventSide] })).toMatchObject({ discount: tnd("45.000"), applied: [{ code: "B" }] });
    // ...while one on the buyer or the quantity still does (a pass is one unit).
    expect(reasonOf(pass({ rules: [rule("Q", { applies_to: "BOTH", conditions: { min_quantity: 2 } })] }), "Q")).toBe("CONDITION_FAILED:min_quantity");
    expect(reasonOf(pass({ rules: [rule("A", { applies_to: "BOTH", conditions: { max_age: 25 } })] }), "A")).toBe("CONDITION_FAILED:max_age");
  });

  it("and a ticket is never bound by a rule's subscription_plans", () => {
    const both = rule("B", { applies_to: "BOTH", conditions: { subscription_plans: ["SEASON_TRIBUNE_2025"] } });
    expect(quote({ rules: [both] }).applied.map((a) => a.code)).toEqual(["B"]);
  });
});
