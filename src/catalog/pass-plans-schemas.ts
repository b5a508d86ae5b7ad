import { z } from "@hono/zod-openapi";
import { ZONE_CATEGORIES } from "../events/schema.ts";
import { pageQuery } from "../lib/pagination.ts";
import { amount, booleanQuery, currency, instant, text } from "../lib/schemas.ts";
import { excludedEventsSchema, includedMatchTypesSchema, PLAN_EVENT_ACCESS_LEVELS, PLAN_GROUP_ACCESS_LEVELS, planBenefitsSchema, planLinkMetadataSchema, planRestrictionsSchema, SUBSCRIPTION_PLAN_TYPES, subscriptionPlanMetadataSchema, type subscription_plan_event_groups, type subscription_plan_events, type subscription_plan_zones, type subscription_plans } from "./schema.ts";
import { MAX_QUANTITY, code, uniqueBy, zoneList } from "./schemas.ts";
import { creatorOut, organizationField, organizationFilter, organizationOut } from "../organizations/schemas.ts";

type PlanRow = typeof subscription_plans.$inferSelect;
type PlanGroupRow = typeof subscription_plan_event_groups.$inferSelect;
type PlanEventRow = typeof subscription_plan_events.$inferSelect;
type PlanZoneRow = typeof subscription_plan_zones.$inferSelect;
export const planIdParam = z.object({ plan_id: z.uuid().openapi({ param: { name: "plan_id", in: "path" } }) });

const planFields = {
  code: code(100),
  name: text(200),
  description: z.string().trim().max(5000).nullable(),
  organization_id: organizationField,
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
    organization_id: planFields.organization_id.optional(),
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
  mine: booleanQuery.optional().openapi({ description: "`true`: my organizations' plans in every state." }),
  organization_id: organizationFilter,
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
    organizer_id: creatorOut,
    organization_id: organizationOut.openapi({ description: "The club selling it; null: the platform's." }),
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
  organization_id: row.organization_id,
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

export type PlanCreateInput = z.infer<typeof PlanCreateBody>;
export type PlanUpdateInput = z.infer<typeof PlanUpdateBody>;
