import { describe, expect, it } from "vitest";
import { priceCart, priceOrder, type CartLineInput, type PricedConfig, type PricingRule } from "../../src/catalog/pricing.ts";
import { plainRule } from "../support/pricing.ts";

const rule = (code: string, fields: Partial<PricingRule> = {}): PricingRule => ({ id: `id-${code}`, code, ...plainRule(), ...fields });
const config = (code: string, price: number, fields: Partial<PricedConfig> = {}): PricedConfig => ({
  price,
  currency: "XOF",
  dynamic_pricing: false,
  price_tiers: null,
  early_bird_end: null,
  ticket_type_code: code,
  zone_category: code === "VIP" ? "VIP" : "STANDARD",
  ...fields,
});
const order = { now: "2026-03-10T12:00:00.000Z", event_start: "2026-03-20T18:00:00.000Z", event_id: "e", event_group_id: null, event_tags: [], promo_code: null };
const buyer = { user_groups: [], age: null, is_student: false, is_senior: false, is_child: false, rule_usage: {} };
const cart = (lines: CartLineInput[], rules: PricingRule[]) => priceCart({ lines, order, buyer, rules });
const line = (c: PricedConfig, quantity: number, units_sold = 0): CartLineInput => ({ config: c, quantity, units_sold });

describe("priceCart: the lines of one order priced together", () => {
  const tribune = config("TRIBUNE", 5_000);
  const vip = config("VIP", 20_000);

  it("counts a group rule's quantity across lines and spreads its amount over them by what each had", () => {
    const group = rule("GROUP3", { rule_type: "GROUP", discount_value: 1_000, conditions: { min_quantity: 3 } });
    expect(cart([line(tribune, 2)], [group]).rejected).toEqual([{ id: "id-GROUP3", code: "GROUP3", reason: "CONDITION_FAILED:min_quantity" }]);
    const q = cart([line(tribune, 2), line(vip, 1)], [group]);
    expect(q).toMatchObject({ gross: 30_000, discount: 3_000, total: 27_000, applied: [{ id: "id-GROUP3", amount: 3_000 }] });
    expect(q.lines.map((l) => [l.gross, l.discount, l.total])).toEqual([[10_000, 1_000, 9_000], [20_000, 2_000, 18_000]]);
  });

  it("applies a rule only to the lines its conditions admit, and counts only their units", () => {
    const vipOnly = rule("VIP2", { discount_value: 5_000, conditions: { ticket_types: ["VIP"], min_quantity: 2 } });
    // Three units, but one VIP: the rule's scope is the VIP line alone.
    expect(cart([line(tribune, 2), line(vip, 1)], [vipOnly]).rejected[0]?.reason).toBe("CONDITION_FAILED:min_quantity");
    const q = cart([line(tribune, 1), line(vip, 2)], [vipOnly]);
    expect(q.lines.map((l) => l.discount)).toEqual([0, 20_000]);
    // No line admitted: the first line's reason.
    expect(cart([line(tribune, 3)], [vipOnly]).rejected[0]?.reason).toBe("CONDITION_FAILED:ticket_types");
  });

  it("takes a fixed amount once per cart, spread with the remainder to the earlier line on a tie", () => {
    const fixed = rule("FIXED", { discount_type: "FIXED_AMOUNT", currency: "XOF", discount_value: 1_001 });
    const q = cart([line(tribune, 1), line(config("OTHER", 5_000), 1)], [fixed]);
    expect(q.discount).toBe(1_001);
    expect(q.lines.map((l) => l.discount)).toEqual([501, 500]);
  });

  it("narrows a same_ticket_type rule to the type with the most units", () => {
    const same = rule("SAME", { discount_value: 10_000, conditions: { same_ticket_type: true, min_quantity: 3 } });
    expect(cart([line(tribune, 2), line(vip, 1)], [same]).rejected[0]?.reason).toBe("CONDITION_FAILED:min_quantity");
    expect(cart([line(tribune, 3), line(vip, 1)], [same]).lines.map((l) => l.discount)).toEqual([15_000, 0]);
  });

  it("prices a cart of one line exactly as priceOrder, tiers included", () => {
    const tiered = config("TRIBUNE", 5_000, { dynamic_pricing: true, price_tiers: [{ from: 0, to: 9, price: 4_000 }, { from: 10, to: 99, price: 6_000 }] });
    const rules = [rule("P10"), rule("GROUP3", { rule_type: "GROUP", discount_value: 1_500, combinable: true, conditions: { min_quantity: 3 } })];
    const single = priceOrder({ config: tiered, order: { ...order, quantity: 4, units_sold: 8 }, buyer, rules });
    const one = cart([line(tiered, 4, 8)], rules);
    expect({ ...one, lines: undefined }).toEqual({ ...single, unit_price: undefined, lines: undefined });
    expect(one.lines[0]).toMatchObject({ unit_price: single.unit_price, price_lines: single.lines, gross: single.gross, discount: single.discount });
  });

  it("refuses lines in two currencies", () => {
    expect(() => cart([line(tribune, 1), line(config("EUR", 10, { currency: "EUR" }), 1)], [])).toThrow(RangeError);
  });
});
