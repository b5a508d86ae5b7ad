import type { PricingRule } from "../../src/catalog/pricing.ts";

/** A rule's other fields at their plainest: an automatic 10 % PROMO on tickets, with no conditions, limits or validity window. */
export const plainRule = (): Omit<PricingRule, "id" | "code"> => ({
  rule_type: "PROMO",
  applies_to: "TICKETS",
  discount_type: "PERCENTAGE",
  discount_value: 1_000,
  currency: null,
  conditions: {},
  valid_from: null,
  valid_until: null,
  usage_limit_total: null,
  usage_limit_per_user: null,
  usage_count: 0,
  combinable: false,
  priority: 0,
  promo_code: null,
  auto_apply: true,
  is_active: true,
});
