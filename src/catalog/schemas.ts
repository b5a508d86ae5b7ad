import { z } from "@hono/zod-openapi";
import { ZONE_CATEGORIES } from "../events/schema.ts";
import { eventIdParam } from "../events/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import { amount, basisPoints, booleanQuery, currency, instant, MAX_AMOUNT, text } from "../lib/schemas.ts";
import {
  DISCOUNT_TYPES,
  eventTicketConfigMetadataSchema,
  excludedEventsSchema,
  includedMatchTypesSchema,
  PLAN_EVENT_ACCESS_LEVELS,
  PLAN_GROUP_ACCESS_LEVELS,
  planBenefitsSchema,
  planLinkMetadataSchema,
  planRestrictionsSchema,
  priceTiersSchema,
  PRICING_RULE_TARGETS,
  PRICING_RULE_TYPES,
  pricingRuleConditionsSchema,
  pricingRuleMetadataSchema,
  SUBSCRIPTION_PLAN_TYPES,
  subscriptionPlanMetadataSchema,
  TEMPLATE_FORMATS,
  TEMPLATE_ORIENTATIONS,
  TEMPLATE_TYPES,
  templateElementsSchema,
  templateLanguagesSchema,
  templateLayoutSchema,
  TICKET_ZONE_ACCESS_TYPES,
  ticketTemplateMetadataSchema,
  ticketTypeBenefitsSchema,
  ticketTypeMetadataSchema,
  ticketTypeRestrictionsSchema,
  ticketZoneConditionsSchema,
  zoneMappingSchema,
  type event_ticket_config,
  type pricing_rules,
  type subscription_plan_event_groups,
  type subscription_plan_events,
  type subscription_plan_zones,
  type subscription_plans,
  type ticket_templates,
  type ticket_type_zones,
  type ticket_types,
} from "./schema.ts";

type TicketTypeRow = typeof ticket_types.$inferSelect;
type TicketTypeZoneRow = typeof ticket_type_zones.$inferSelect;
type ConfigRow = typeof event_ticket_config.$inferSelect;
type RuleRow = typeof pricing_rules.$inferSelect;
type PlanRow = typeof subscription_plans.$inferSelect;
type PlanGroupRow = typeof subscription_plan_event_groups.$inferSelect;
type PlanEventRow = typeof subscription_plan_events.$inferSelect;
type PlanZoneRow = typeof subscription_plan_zones.$inferSelect;
type TemplateRow = typeof ticket_templates.$inferSelect;

/** Largest quantity of one ticket configuration (a stadium is far below). */
export const MAX_QUANTITY = 10_000_000;

const ownerField = z
  .uuid()
  .nullable()
  .openapi({ description: "Admins only: the organizer it belongs to; null makes it platform-wide. Organizers always own what they create." });

/** Technical codes (TRIBUNE, GROUP_10PLUS, SEASON_TRIBUNE_2025), stored upper-case. */
const code = (max: number) =>
  z
    .string()
    .trim()
    .toUpperCase()
    .regex(new RegExp(`^[A-Z0-9][A-Z0-9_.-]{0,${max - 1}}$`), { message: "Letters, digits, '_', '.' or '-', starting with a letter or digit." })
    .openapi({ example: "TRIBUNE" });

export const ticketTypeIdParam = z.object({ ticket_type_id: z.uuid().openapi({ param: { name: "ticket_type_id", in: "path" } }) });
export const configParams = eventIdParam.extend({ config_id: z.uuid().openapi({ param: { name: "config_id", in: "path" } }) });
export const ruleIdParam = z.object({ rule_id: z.uuid().openapi({ param: { name: "rule_id", in: "path" } }) });
export const planIdParam = z.object({ plan_id: z.uuid().openapi({ param: { name: "plan_id", in: "path" } }) });
export const templateIdParam = z.object({ template_id: z.uuid().openapi({ param: { name: "template_id", in: "path" } }) });

/** Each item of a replaced list names its key once. */
const uniqueBy =
  <T>(key: (item: T) => string, field: string) =>
  (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(key(item))) ctx.addIssue({ code: "custom", path: [i, field], message: `Listed twice: ${key(item)}.` });
      seen.add(key(item));
    });
  };

/** At most one item of a zone list is the primary zone. */
const onePrimary = (items: { is_primary: boolean }[], ctx: z.RefinementCtx) => {
  if (items.filter((item) => item.is_primary).length > 1) ctx.addIssue({ code: "custom", path: [], message: "At most one zone category is primary." });
};

/** A replaced list of zone categories: each named once, at most one primary. */
const zoneList = <T extends z.ZodType<{ zone_category: string; is_primary: boolean }>>(item: T) =>
  z
    .array(item)
    .max(ZONE_CATEGORIES.length)
    .superRefine(uniqueBy((zone) => zone.zone_category, "zone_category"))
    .superRefine(onePrimary);

// ------------------------------------------------------------------ ticket types

const ticketTypeFields = {
  code: code(50),
  name: text(100),
  description: z.string().trim().max(2000).nullable(),
  organizer_id: ownerField,
  base_price: amount,
  min_price: amount.nullable(),
  max_price: amount.nullable(),
  currency,
  default_zone_category: z.enum(ZONE_CATEGORIES),
  capacity_percentage_bp: basisPoints.nullable().openapi({ description: "Share of the zone's capacity, basis points (10000 = 100 %)." }),
  max_per_transaction: z.number().int().min(1).max(1000),
  min_per_transaction: z.number().int().min(1).max(1000),
  advance_booking_days: z.number().int().min(0).max(3650).nullable(),
  cancellation_allowed: z.boolean(),
  transfer_allowed: z.boolean(),
  restrictions: ticketTypeRestrictionsSchema.nullable(),
  benefits: ticketTypeBenefitsSchema.nullable().openapi({ description: "Known keys are typed; discounts in basis points." }),
  display_order: z.number().int().min(0).max(100_000),
  is_active: z.boolean(),
  metadata: ticketTypeMetadataSchema.nullable(),
};

export const TicketTypeCreateBody = z
  .strictObject({
    ...ticketTypeFields,
    description: ticketTypeFields.description.optional(),
    organizer_id: ticketTypeFields.organizer_id.optional(),
    min_price: ticketTypeFields.min_price.optional(),
    max_price: ticketTypeFields.max_price.optional(),
    capacity_percentage_bp: ticketTypeFields.capacity_percentage_bp.optional(),
    max_per_transaction: ticketTypeFields.max_per_transaction.default(4),
    min_per_transaction: ticketTypeFields.min_per_transaction.default(1),
    advance_booking_days: ticketTypeFields.advance_booking_days.optional(),
    cancellation_allowed: ticketTypeFields.cancellation_allowed.default(false),
    transfer_allowed: ticketTypeFields.transfer_allowed.default(true),
    restrictions: ticketTypeFields.restrictions.optional(),
    benefits: ticketTypeFields.benefits.optional(),
    display_order: ticketTypeFields.display_order.default(0),
    is_active: ticketTypeFields.is_active.default(true),
    metadata: ticketTypeFields.metadata.optional(),
  })
  .openapi("TicketTypeCreateRequest");

export const TicketTypeUpdateBody = z
  .strictObject(ticketTypeFields)
  .partial()
  .openapi("TicketTypeUpdateRequest", { description: "Only the fields sent change; null clears an optional field." });

export const TicketTypeListQuery = z.object({
  mine: booleanQuery.optional().openapi({ description: "`true`: only the ones I own (not the platform-wide ones)." }),
  organizer_id: z.uuid().optional().openapi({ description: "Admins only: one organizer's." }),
  is_active: booleanQuery.optional(),
  ...pageQuery,
});

export const TicketTypeZoneInput = z
  .strictObject({
    zone_category: z.enum(ZONE_CATEGORIES),
    is_primary: z.boolean().default(true),
    access_type: z.enum(TICKET_ZONE_ACCESS_TYPES).default("FULL"),
    conditions: ticketZoneConditionsSchema.nullable().optional(),
  })
  .openapi("TicketTypeZoneInput");

export const TicketTypeZonesBody = z.strictObject({ zones: zoneList(TicketTypeZoneInput) }).openapi("TicketTypeZonesRequest");

export const TicketTypeZoneSchema = z
  .object({
    zone_category: z.enum(ZONE_CATEGORIES),
    is_primary: z.boolean(),
    access_type: z.enum(TICKET_ZONE_ACCESS_TYPES),
    conditions: ticketZoneConditionsSchema.nullable(),
    created_at: z.string(),
  })
  .openapi("TicketTypeZone");

export const TicketTypeSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    organizer_id: z.string().nullable().openapi({ description: "null: platform-wide, usable by every organizer." }),
    base_price: z.number().int(),
    min_price: z.number().int().nullable(),
    max_price: z.number().int().nullable(),
    currency,
    default_zone_category: z.enum(ZONE_CATEGORIES),
    capacity_percentage_bp: z.number().int().nullable(),
    max_per_transaction: z.number().int(),
    min_per_transaction: z.number().int(),
    advance_booking_days: z.number().int().nullable(),
    cancellation_allowed: z.boolean(),
    transfer_allowed: z.boolean(),
    restrictions: ticketTypeRestrictionsSchema.nullable(),
    benefits: ticketTypeBenefitsSchema.nullable(),
    display_order: z.number().int(),
    is_active: z.boolean(),
    metadata: ticketTypeMetadataSchema.nullable(),
    zones: z.array(TicketTypeZoneSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("TicketType");

export const toTicketTypeZone = (row: TicketTypeZoneRow): z.infer<typeof TicketTypeZoneSchema> => ({
  zone_category: row.zone_category,
  is_primary: row.is_primary,
  access_type: row.access_type,
  conditions: row.conditions ?? null,
  created_at: row.created_at,
});

export const toTicketType = (row: TicketTypeRow, zones: TicketTypeZoneRow[]): z.infer<typeof TicketTypeSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  organizer_id: row.organizer_id,
  base_price: row.base_price,
  min_price: row.min_price,
  max_price: row.max_price,
  currency: row.currency,
  default_zone_category: row.default_zone_category,
  capacity_percentage_bp: row.capacity_percentage_bp,
  max_per_transaction: row.max_per_transaction,
  min_per_transaction: row.min_per_transaction,
  advance_booking_days: row.advance_booking_days,
  cancellation_allowed: row.cancellation_allowed,
  transfer_allowed: row.transfer_allowed,
  restrictions: row.restrictions ?? null,
  benefits: row.benefits ?? null,
  display_order: row.display_order,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  zones: zones.map(toTicketTypeZone),
  created_at: row.created_at,
  updated_at: row.updated_at,
});

// ------------------------------------------------------------------ event ticket configurations

const configFields = {
  ticket_type_id: z.uuid().openapi({ description: "One of my ticket types, or a platform-wide one; one configuration per type and event." }),
  price: amount,
  currency: currency.openapi({ description: "Must be the event's currency; defaults to it." }),
  quantity_total: z.number().int().min(1).max(MAX_QUANTITY),
  quantity_blocked: z.number().int().min(0).max(MAX_QUANTITY).openapi({ description: "Never sold (press, security); sellable = total − blocked." }),
  sales_start: instant.nullable(),
  sales_end: instant.nullable(),
  early_bird_end: instant.nullable(),
  min_purchase: z.number().int().min(1).max(1000),
  max_purchase: z.number().int().min(1).max(1000).nullable().openapi({ description: "Units one buyer may hold in total; null: only the ticket type's per-order maximum applies." }),
  requires_membership: z.boolean(),
  membership_group_id: z.uuid().nullable().openapi({ description: "The user group whose members may buy (when membership is required, or during `member_only_until`); null: any group." }),
  member_only_until: instant.nullable(),
  zone_mapping: zoneMappingSchema.nullable().openapi({ description: "Zone category → codes of the venue's zones (venue_zones.code), plus `excluded_sections`." }),
  dynamic_pricing: z.boolean(),
  price_tiers: priceTiersSchema.nullable().openapi({ description: "With dynamic pricing: unit sequence numbers `from`..`to` (0-based, inclusive, within the quantity) at `price` minor units." }),
  is_active: z.boolean(),
  metadata: eventTicketConfigMetadataSchema.nullable(),
};

export const ConfigCreateBody = z
  .strictObject({
    ...configFields,
    currency: configFields.currency.optional(),
    quantity_blocked: configFields.quantity_blocked.default(0),
    sales_start: configFields.sales_start.optional(),
    sales_end: configFields.sales_end.optional(),
    early_bird_end: configFields.early_bird_end.optional(),
    min_purchase: configFields.min_purchase.default(1),
    max_purchase: configFields.max_purchase.optional(),
    requires_membership: configFields.requires_membership.default(false),
    membership_group_id: configFields.membership_group_id.optional(),
    member_only_until: configFields.member_only_until.optional(),
    zone_mapping: configFields.zone_mapping.optional(),
    dynamic_pricing: configFields.dynamic_pricing.default(false),
    price_tiers: configFields.price_tiers.optional(),
    is_active: configFields.is_active.default(true),
    metadata: configFields.metadata.optional(),
  })
  .openapi("TicketConfigCreateRequest");

const { ticket_type_id: _typeIsFixed, ...updatableConfigFields } = configFields;
export const ConfigUpdateBody = z
  .strictObject(updatableConfigFields)
  .partial()
  .openapi("TicketConfigUpdateRequest", { description: "Only the fields sent change; the ticket type of a configuration is fixed." });

export const ConfigListQuery = z.object({ ...pageQuery });

export const ConfigTicketTypeSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    default_zone_category: z.enum(ZONE_CATEGORIES),
    cancellation_allowed: z.boolean(),
    transfer_allowed: z.boolean(),
    restrictions: ticketTypeRestrictionsSchema.nullable(),
    benefits: ticketTypeBenefitsSchema.nullable(),
  })
  .openapi("TicketConfigTicketType");

export const ConfigSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    ticket_type: ConfigTicketTypeSchema,
    price: z.number().int(),
    currency,
    sales_start: z.string().nullable(),
    sales_end: z.string().nullable(),
    early_bird_end: z.string().nullable(),
    min_purchase: z.number().int(),
    max_purchase: z.number().int().nullable(),
    max_per_transaction: z.number().int(),
    requires_membership: z.boolean(),
    member_only_until: z.string().nullable(),
    dynamic_pricing: z.boolean(),
    price_tiers: priceTiersSchema.nullable(),
    // The event's organizer and admins only:
    quantity_total: z.number().int().optional(),
    quantity_blocked: z.number().int().optional(),
    quantity_sold: z.number().int().optional().openapi({ description: "Live from the event's inventory." }),
    quantity_reserved: z.number().int().optional().openapi({ description: "Held by unexpired orders, live from the event's inventory." }),
    quantity_available: z.number().int().optional(),
    membership_group_id: z.string().nullable().optional(),
    zone_mapping: zoneMappingSchema.nullable().optional(),
    is_active: z.boolean().optional(),
    metadata: eventTicketConfigMetadataSchema.nullable().optional(),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
  })
  .openapi("TicketConfig", { description: "Quantities, zone mapping, membership group, state, metadata and dates appear only for the event's organizer and admins." });

export interface LiveCounts {
  sold: number;
  held: number;
}

export function toConfig(row: ConfigRow, type: TicketTypeRow, managed: boolean, live: LiveCounts): z.infer<typeof ConfigSchema> {
  const shown = {
    id: row.id,
    event_id: row.event_id,
    ticket_type: {
      id: type.id,
      code: type.code,
      name: type.name,
      description: type.description,
      default_zone_category: type.default_zone_category,
      cancellation_allowed: type.cancellation_allowed,
      transfer_allowed: type.transfer_allowed,
      restrictions: type.restrictions ?? null,
      benefits: type.benefits ?? null,
    },
    price: row.price,
    currency: row.currency,
    sales_start: row.sales_start,
    sales_end: row.sales_end,
    early_bird_end: row.early_bird_end,
    min_purchase: Math.max(row.min_purchase, type.min_per_transaction),
    max_purchase: row.max_purchase,
    max_per_transaction: type.max_per_transaction,
    requires_membership: row.requires_membership,
    member_only_until: row.member_only_until,
    dynamic_pricing: row.dynamic_pricing,
    price_tiers: row.price_tiers ?? null,
  };
  if (!managed) return shown;
  return {
    ...shown,
    quantity_total: row.quantity_total,
    quantity_blocked: row.quantity_blocked,
    quantity_sold: live.sold,
    quantity_reserved: live.held,
    quantity_available: Math.max(0, row.quantity_total - row.quantity_blocked - live.sold - live.held),
    membership_group_id: row.membership_group_id,
    zone_mapping: row.zone_mapping ?? null,
    is_active: row.is_active,
    metadata: row.metadata ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export const ConfigDeletedSchema = z
  .object({ deleted: z.literal(false), config: ConfigSchema })
  .openapi("TicketConfigDeactivated", { description: "Units were held or sold: the configuration stays, deactivated." });

// ------------------------------------------------------------------ pricing rules

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
  organizer_id: ownerField,
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
    organizer_id: ruleFields.organizer_id.optional(),
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
  organizer_id: z.uuid().optional().openapi({ description: "Admins only: one organizer's rules." }),
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
    organizer_id: z.string().nullable(),
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

// ------------------------------------------------------------------ season-pass plans

const planFields = {
  code: code(100),
  name: text(200),
  description: z.string().trim().max(5000).nullable(),
  organizer_id: ownerField,
  type: z.enum(SUBSCRIPTION_PLAN_TYPES),
  price: amount,
  currency,
  duration_months: z.number().int().min(1).max(120).nullable(),
  max_subscribers: z.number().int().min(1).max(MAX_QUANTITY).nullable().openapi({ description: "null: unlimited." }),
  default_zone_category: z.enum(ZONE_CATEGORIES).nullable(),
  benefits: planBenefitsSchema.nullable().openapi({ description: "Known keys are typed; discounts in basis points (shop_discount 1000 = 10 %)." }),
  restrictions: planRestrictionsSchema.nullable().openapi({ description: "Amounts (transfer_fee) in minor units of the plan's currency." }),
  sales_start: instant.nullable(),
  sales_end: instant.nullable(),
  renewal_priority_days: z.number().int().min(0).max(365),
  is_renewable: z.boolean(),
  is_transferable: z.boolean(),
  is_active: z.boolean(),
  metadata: subscriptionPlanMetadataSchema.nullable(),
};

export const PlanCreateBody = z
  .strictObject({
    ...planFields,
    description: planFields.description.optional(),
    organizer_id: planFields.organizer_id.optional(),
    duration_months: planFields.duration_months.optional(),
    max_subscribers: planFields.max_subscribers.optional(),
    default_zone_category: planFields.default_zone_category.optional(),
    benefits: planFields.benefits.optional(),
    restrictions: planFields.restrictions.optional(),
    sales_start: planFields.sales_start.optional(),
    sales_end: planFields.sales_end.optional(),
    renewal_priority_days: planFields.renewal_priority_days.default(30),
    is_renewable: planFields.is_renewable.default(true),
    is_transferable: planFields.is_transferable.default(true),
    is_active: planFields.is_active.default(true),
    metadata: planFields.metadata.optional(),
  })
  .openapi("SeasonPlanCreateRequest");

export const PlanUpdateBody = z.strictObject(planFields).partial().openapi("SeasonPlanUpdateRequest", { description: "Only the fields sent change." });

export const PlanListQuery = z.object({
  mine: booleanQuery.optional().openapi({ description: "`true` (organizers): my plans in every state." }),
  all: booleanQuery.optional().openapi({ description: "Admins only: every plan in every state." }),
  ...pageQuery,
});

export const PlanGroupInput = z
  .strictObject({
    event_group_id: z.uuid(),
    access_level: z.enum(PLAN_GROUP_ACCESS_LEVELS).default("FULL"),
    included_match_types: includedMatchTypesSchema.max(50).nullable().optional().openapi({ description: 'Match types covered; null or ["all"]: every type.' }),
    excluded_events: excludedEventsSchema.max(500).nullable().optional().openapi({ description: "Events of the group left out (ids)." }),
    metadata: planLinkMetadataSchema.nullable().optional(),
  })
  .openapi("SeasonPlanEventGroupInput");

export const PlanGroupsBody = z
  .strictObject({ event_groups: z.array(PlanGroupInput).max(50).superRefine(uniqueBy((g) => g.event_group_id, "event_group_id")) })
  .openapi("SeasonPlanEventGroupsRequest");

export const PlanEventInput = z
  .strictObject({
    event_id: z.uuid(),
    access_level: z.enum(PLAN_EVENT_ACCESS_LEVELS).default("FULL"),
    requires_booking: z.boolean().default(false),
    booking_window_days: z.number().int().min(1).max(365).nullable().optional(),
    metadata: planLinkMetadataSchema.nullable().optional(),
  })
  .openapi("SeasonPlanEventInput");

export const PlanEventsBody = z
  .strictObject({ events: z.array(PlanEventInput).max(200).superRefine(uniqueBy((e) => e.event_id, "event_id")) })
  .openapi("SeasonPlanEventsRequest");

export const PlanZoneInput = z
  .strictObject({
    zone_category: z.enum(ZONE_CATEGORIES),
    is_primary: z.boolean().default(true),
    upgrade_allowed: z.boolean().default(false),
    upgrade_fee: amount.nullable().optional().openapi({ description: "Minor units of the plan's currency; only with `upgrade_allowed`." }),
    metadata: planLinkMetadataSchema.nullable().optional(),
  })
  .superRefine((zone, ctx) => {
    if (zone.upgrade_fee != null && !zone.upgrade_allowed) ctx.addIssue({ code: "custom", path: ["upgrade_fee"], message: "An upgrade fee needs `upgrade_allowed`." });
  })
  .openapi("SeasonPlanZoneInput");

export const PlanZonesBody = z.strictObject({ zones: zoneList(PlanZoneInput) }).openapi("SeasonPlanZonesRequest");

export const PlanGroupSchema = z
  .object({
    event_group_id: z.string(),
    access_level: z.enum(PLAN_GROUP_ACCESS_LEVELS),
    included_match_types: z.array(z.string()).nullable(),
    excluded_events: z.array(z.string()).nullable(),
    metadata: planLinkMetadataSchema.nullable(),
    created_at: z.string(),
  })
  .openapi("SeasonPlanEventGroup");

export const PlanEventSchema = z
  .object({
    event_id: z.string(),
    access_level: z.enum(PLAN_EVENT_ACCESS_LEVELS),
    requires_booking: z.boolean(),
    booking_window_days: z.number().int().nullable(),
    metadata: planLinkMetadataSchema.nullable(),
    created_at: z.string(),
  })
  .openapi("SeasonPlanEvent");

export const PlanZoneSchema = z
  .object({
    zone_category: z.enum(ZONE_CATEGORIES),
    is_primary: z.boolean(),
    upgrade_allowed: z.boolean(),
    upgrade_fee: z.number().int().nullable(),
    currency: currency.nullable(),
    metadata: planLinkMetadataSchema.nullable(),
    created_at: z.string(),
  })
  .openapi("SeasonPlanZone");

export const PlanSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    organizer_id: z.string().nullable(),
    type: z.enum(SUBSCRIPTION_PLAN_TYPES),
    price: z.number().int(),
    currency,
    duration_months: z.number().int().nullable(),
    max_subscribers: z.number().int().nullable(),
    current_subscribers: z.number().int(),
    default_zone_category: z.enum(ZONE_CATEGORIES).nullable(),
    benefits: planBenefitsSchema.nullable(),
    restrictions: planRestrictionsSchema.nullable(),
    sales_start: z.string().nullable(),
    sales_end: z.string().nullable(),
    renewal_priority_days: z.number().int(),
    is_renewable: z.boolean(),
    is_transferable: z.boolean(),
    is_active: z.boolean(),
    metadata: subscriptionPlanMetadataSchema.nullable(),
    event_groups: z.array(PlanGroupSchema),
    events: z.array(PlanEventSchema),
    zones: z.array(PlanZoneSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SeasonPlan");

export interface PlanLinks {
  groups: PlanGroupRow[];
  events: PlanEventRow[];
  zones: PlanZoneRow[];
}

export const toPlan = (row: PlanRow, links: PlanLinks): z.infer<typeof PlanSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  organizer_id: row.organizer_id,
  type: row.type,
  price: row.price,
  currency: row.currency,
  duration_months: row.duration_months,
  max_subscribers: row.max_subscribers,
  current_subscribers: row.current_subscribers,
  default_zone_category: row.default_zone_category,
  benefits: row.benefits ?? null,
  restrictions: row.restrictions ?? null,
  sales_start: row.sales_start,
  sales_end: row.sales_end,
  renewal_priority_days: row.renewal_priority_days,
  is_renewable: row.is_renewable,
  is_transferable: row.is_transferable,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  event_groups: links.groups.map((g) => ({
    event_group_id: g.event_group_id,
    access_level: g.access_level,
    included_match_types: g.included_match_types ?? null,
    excluded_events: g.excluded_events ?? null,
    metadata: g.metadata ?? null,
    created_at: g.created_at,
  })),
  events: links.events.map((e) => ({
    event_id: e.event_id,
    access_level: e.access_level,
    requires_booking: e.requires_booking,
    booking_window_days: e.booking_window_days,
    metadata: e.metadata ?? null,
    created_at: e.created_at,
  })),
  zones: links.zones.map((zone) => ({
    zone_category: zone.zone_category,
    is_primary: zone.is_primary,
    upgrade_allowed: zone.upgrade_allowed,
    upgrade_fee: zone.upgrade_fee,
    currency: zone.currency,
    metadata: zone.metadata ?? null,
    created_at: zone.created_at,
  })),
  created_at: row.created_at,
  updated_at: row.updated_at,
});

// ------------------------------------------------------------------ ticket templates

/** A design or stylesheet: an https URL or a path served by the platform (/templates/…). */
const assetRef = z
  .string()
  .trim()
  .max(500)
  .regex(/^(https:\/\/[^\s]+|\/[A-Za-z0-9._~\/-]+)$/, { message: "An https URL or an absolute path such as /templates/styles/ticket.css." });

const templateFields = {
  code: code(50),
  name: text(100),
  description: z.string().trim().max(2000).nullable(),
  type: z.enum(TEMPLATE_TYPES),
  category: z.string().trim().toUpperCase().regex(/^[A-Z0-9_]{1,50}$/).nullable().openapi({ example: "MATCH" }),
  format: z.enum(TEMPLATE_FORMATS),
  paper_size: z.string().trim().toUpperCase().regex(/^[A-Z0-9_]{1,20}$/).nullable().openapi({ example: "A4" }),
  orientation: z.enum(TEMPLATE_ORIENTATIONS),
  design_url: assetRef.nullable(),
  css_url: assetRef.nullable(),
  elements: templateElementsSchema
    .refine((elements) => Object.keys(elements).length > 0, { message: "Name at least one section and the fields it shows." })
    .openapi({ description: "Section → fields shown, e.g. {\"qr_code\": {\"size\": \"large\"}}." }),
  // A copy made here, where @hono/zod-openapi has extended zod: the drizzle schema may be loaded first.
  layout: templateLayoutSchema.clone().openapi({ description: "Margins, sections, fonts, colours or the card / wallet-pass specification." }),
  languages: templateLanguagesSchema.refine((list) => new Set(list).size === list.length, { message: "Each language once." }),
  is_default: z.boolean().openapi({ description: "Admins only: the default template of its type and format; setting it clears the previous default." }),
  requires_printer: z.string().trim().max(100).nullable(),
  version: z.string().regex(/^\d{1,4}\.\d{1,4}\.\d{1,4}$/, { message: "A version such as 2.0.0." }),
  is_active: z.boolean(),
  metadata: ticketTemplateMetadataSchema.nullable(),
};

export const TemplateCreateBody = z
  .strictObject({
    ...templateFields,
    description: templateFields.description.optional(),
    category: templateFields.category.optional(),
    paper_size: templateFields.paper_size.optional(),
    orientation: templateFields.orientation.default("PORTRAIT"),
    design_url: templateFields.design_url.optional(),
    css_url: templateFields.css_url.optional(),
    languages: templateFields.languages.default(["fr"]),
    is_default: templateFields.is_default.default(false),
    requires_printer: templateFields.requires_printer.optional(),
    is_active: templateFields.is_active.default(true),
    metadata: templateFields.metadata.optional(),
  })
  .openapi("TicketTemplateCreateRequest");

export const TemplateUpdateBody = z.strictObject(templateFields).partial().openapi("TicketTemplateUpdateRequest", { description: "Only the fields sent change." });

export const TemplateListQuery = z.object({
  type: z.enum(TEMPLATE_TYPES).optional(),
  format: z.enum(TEMPLATE_FORMATS).optional(),
  is_active: booleanQuery.optional(),
  mine: booleanQuery.optional().openapi({ description: "`true`: only the templates I created." }),
  ...pageQuery,
});

export const TemplateSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    type: z.enum(TEMPLATE_TYPES),
    category: z.string().nullable(),
    format: z.enum(TEMPLATE_FORMATS),
    paper_size: z.string().nullable(),
    orientation: z.enum(TEMPLATE_ORIENTATIONS),
    design_url: z.string().nullable(),
    css_url: z.string().nullable(),
    elements: templateElementsSchema,
    layout: templateLayoutSchema,
    languages: z.array(z.string()),
    is_default: z.boolean(),
    requires_printer: z.string().nullable(),
    version: z.string(),
    is_active: z.boolean(),
    metadata: ticketTemplateMetadataSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("TicketTemplate");

export const toTemplate = (row: TemplateRow): z.infer<typeof TemplateSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  type: row.type,
  category: row.category,
  format: row.format,
  paper_size: row.paper_size,
  orientation: row.orientation,
  design_url: row.design_url,
  css_url: row.css_url,
  elements: row.elements,
  layout: row.layout,
  languages: row.languages,
  is_default: row.is_default,
  requires_printer: row.requires_printer,
  version: row.version,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export type TicketTypeCreateInput = z.infer<typeof TicketTypeCreateBody>;
export type TicketTypeUpdateInput = z.infer<typeof TicketTypeUpdateBody>;
export type ConfigCreateInput = z.infer<typeof ConfigCreateBody>;
export type ConfigUpdateInput = z.infer<typeof ConfigUpdateBody>;
export type RuleCreateInput = z.infer<typeof RuleCreateBody>;
export type RuleUpdateInput = z.infer<typeof RuleUpdateBody>;
export type PlanCreateInput = z.infer<typeof PlanCreateBody>;
export type PlanUpdateInput = z.infer<typeof PlanUpdateBody>;
export type TemplateCreateInput = z.infer<typeof TemplateCreateBody>;
export type TemplateUpdateInput = z.infer<typeof TemplateUpdateBody>;
