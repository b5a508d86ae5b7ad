import { z } from "@hono/zod-openapi";
import { pageQuery } from "../lib/pagination.ts";
import { booleanQuery, currency, instant, MAX_AMOUNT, text } from "../lib/schemas.ts";
import { DISCOUNT_TYPES, PRICING_RULE_TARGETS, PRICING_RULE_TYPES, pricingRuleConditionsSchema, pricingRuleMetadataSchema, type pricing_rules } from "./schema.ts";
import { MAX_QUANTITY, code } from "./schemas.ts";
import { creatorOut, organizationField, organizationFilter, organizationOut } from "../organizations/schemas.ts";

type RuleRow = typeof pricing_rules.$inferSelect;
export const ruleIdParam = z.object({ rule_id: z.uuid().openapi({ param: { name: "rule_id", in: "path" } }) });

const promoCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{2,49}$/, { message: "3–50 letters, digits, '_' or '-'." })
  .openapi({ example: "VIP2025", description: "Stored upper-case; unique." });

const ruleFields = {
  code: code(50),
  name: text(100),
  description: z.string().trim().max(2000).nullable(),
  organization_id: organizationField,
  rule_type: z.enum(PRICING_RULE_TYPES),
  applies_to: z.enum(PRICING_RULE_TARGETS),
  discount_type: z.enum(DISCOUNT_TYPES),
  discount_value: z.number().int().min(1).max(MAX_AMOUNT).openapi({
    description:
      "PERCENTAGE and BUY_X_GET_Y: basis points (1500 = 15 %; for BUY_X_GET_Y the share off the Y units, 10000 = free). FIXED_AMOUNT (once per order) and BUNDLE (per bundle of `conditions.min_quantity` units): minor units of `currency`.",
  }),
  currency: currency.nullable().openapi({ description: "Required for FIXED_AMOUNT and BUNDLE, absent otherwise." }),
  conditions: pricingRuleConditionsSchema,
  valid_from: instant.nullable(),
  valid_until: instant.nullable(),
  usage_limit_total: z.number().int().min(1).max(MAX_QUANTITY).nullable(),
  usage_limit_per_user: z.number().int().min(1).max(MAX_QUANTITY).nullable(),
  combinable: z.boolean(),
  priority: z.number().int().min(-1000).max(1000),
  promo_code: promoCode.nullable(),
  auto_apply: z.boolean().openapi({ description: "Applies without a code; a rule with a promo code and no auto_apply needs its code entered." }),
  is_active: z.boolean(),
  metadata: pricingRuleMetadataSchema.nullable(),
};

export const RuleCreateBody = z
  .strictObject({
    ...ruleFields,
    description: ruleFields.description.optional(),
    organization_id: ruleFields.organization_id.optional(),
    currency: ruleFields.currency.optional(),
    conditions: ruleFields.conditions.default({}),
    valid_from: ruleFields.valid_from.optional(),
    valid_until: ruleFields.valid_until.optional(),
    usage_limit_total: ruleFields.usage_limit_total.optional(),
    usage_limit_per_user: ruleFields.usage_limit_per_user.optional(),
    combinable: ruleFields.combinable.default(false),
    priority: ruleFields.priority.default(0),
    promo_code: ruleFields.promo_code.optional(),
    auto_apply: ruleFields.auto_apply.default(false),
    is_active: ruleFields.is_active.default(true),
    metadata: ruleFields.metadata.optional(),
  })
  .openapi("PricingRuleCreateRequest");

export const RuleUpdateBody = z
  .strictObject(ruleFields)
  .partial()
  .openapi("PricingRuleUpdateRequest", { description: "Only the fields sent change; `conditions`, when sent, replaces them all." });

export const RuleListQuery = z.object({
  organization_id: organizationFilter.openapi({ description: "Only this organization's rules (one of mine; admins: any)." }),
  rule_type: z.enum(PRICING_RULE_TYPES).optional(),
  is_active: booleanQuery.optional(),
  ...pageQuery,
});

export const RuleSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    organizer_id: creatorOut,
    organization_id: organizationOut.openapi({ description: "The organization whose events and passes it prices; null: platform-wide (every event)." }),
    rule_type: z.enum(PRICING_RULE_TYPES),
    applies_to: z.enum(PRICING_RULE_TARGETS),
    discount_type: z.enum(DISCOUNT_TYPES),
    discount_value: z.number().int(),
    currency: currency.nullable(),
    conditions: pricingRuleConditionsSchema,
    valid_from: z.string().nullable(),
    valid_until: z.string().nullable(),
    usage_limit_total: z.number().int().nullable(),
    usage_limit_per_user: z.number().int().nullable(),
    usage_count: z.number().int(),
    combinable: z.boolean(),
    priority: z.number().int(),
    promo_code: z.string().nullable(),
    auto_apply: z.boolean(),
    is_active: z.boolean(),
    metadata: pricingRuleMetadataSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PricingRule");

export const toRule = (row: RuleRow): z.infer<typeof RuleSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  organizer_id: row.organizer_id,
  organization_id: row.organization_id,
  rule_type: row.rule_type,
  applies_to: row.applies_to,
  discount_type: row.discount_type,
  discount_value: row.discount_value,
  currency: row.currency,
  conditions: row.conditions,
  valid_from: row.valid_from,
  valid_until: row.valid_until,
  usage_limit_total: row.usage_limit_total,
  usage_limit_per_user: row.usage_limit_per_user,
  usage_count: row.usage_count,
  combinable: row.combinable,
  priority: row.priority,
  promo_code: row.promo_code,
  auto_apply: row.auto_apply,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export const QuoteBody = z
  .strictObject({
    event_id: z.uuid(),
    config_id: z.uuid(),
    quantity: z.number().int().min(1).max(1000),
    promo_code: z.string().trim().min(2).max(50).toUpperCase().optional(),
  })
  .openapi("PriceQuoteRequest");

export const QuoteSchema = z
  .object({
    currency,
    quantity: z.number().int(),
    unit_price: z.number().int().openapi({ description: "The first unit's price (minor units); units may cross price tiers." }),
    lines: z.array(z.object({ first_unit: z.number().int(), quantity: z.number().int(), unit_price: z.number().int(), label: z.string().nullable() })),
    gross: z.number().int(),
    discount: z.number().int(),
    total: z.number().int(),
    applied: z.array(z.object({ id: z.string(), code: z.string(), name: z.string(), amount: z.number().int() })),
    rejected: z
      .array(z.object({ id: z.string(), code: z.string(), reason: z.string() }))
      .openapi({ description: "Only the rule of the promo code entered, when it does not apply, with the reason." }),
    payment_deadline_hours: z.number().int().nullable(),
  })
  .openapi("PriceQuote");

export type RuleCreateInput = z.infer<typeof RuleCreateBody>;
export type RuleUpdateInput = z.infer<typeof RuleUpdateBody>;
