import { z } from "@hono/zod-openapi";
import { ZONE_CATEGORIES } from "../events/schema.ts";
import { pageQuery } from "../lib/pagination.ts";
import { amount, basisPoints, booleanQuery, currency, text } from "../lib/schemas.ts";
import { TICKET_ZONE_ACCESS_TYPES, ticketTypeBenefitsSchema, ticketTypeMetadataSchema, ticketTypeRestrictionsSchema, ticketZoneConditionsSchema, type ticket_type_zones, type ticket_types } from "./schema.ts";
import { code, zoneList } from "./schemas.ts";
import { creatorOut, organizationField, organizationFilter, organizationOut } from "../organizations/schemas.ts";

export type TicketTypeRow = typeof ticket_types.$inferSelect;
type TicketTypeZoneRow = typeof ticket_type_zones.$inferSelect;
export const ticketTypeIdParam = z.object({ ticket_type_id: z.uuid().openapi({ param: { name: "ticket_type_id", in: "path" } }) });

const ticketTypeFields = {
  code: code(50),
  name: text(100),
  description: z.string().trim().max(2000).nullable(),
  organization_id: organizationField,
  base_price: amount,
  min_price: amount.nullable(),
  max_price: amount.nullable(),
  currency,
  default_zone_category: z.enum(ZONE_CATEGORIES),
  capacity_percentage_bp: basisPoints.nullable().openapi({
    description:
      "Share of its zone's capacity this type may take, basis points (10000 = 100 %): in each event, its configurations in that zone never hold and sell more than that share of the zone's capacity (rounded down) together, grants taken from them included; past it, orders get 409 `zone_share_sold_out` and `available` counts it. Null: no share.",
  }),
  max_per_transaction: z.number().int().min(1).max(1000),
  min_per_transaction: z.number().int().min(1).max(1000),
  advance_booking_days: z
    .number()
    .int()
    .min(0)
    .max(3650)
    .nullable()
    .openapi({ description: "Sales open this many days before each event's start (on top of the configuration's `sales_start`); before that, orders and quotes get 409 `booking_not_open`. Null: no such window." }),
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
    organization_id: ticketTypeFields.organization_id.optional(),
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
  mine: booleanQuery.optional().openapi({ description: "`true`: only my organizations' (not the platform-wide ones)." }),
  organization_id: organizationFilter.openapi({ description: "Only this organization's (one of mine; admins: any)." }),
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
    organizer_id: creatorOut,
    organization_id: organizationOut.openapi({ description: "The organization that owns it; null: platform-wide, usable by every organization." }),
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
  organization_id: row.organization_id,
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

export type TicketTypeCreateInput = z.infer<typeof TicketTypeCreateBody>;
export type TicketTypeUpdateInput = z.infer<typeof TicketTypeUpdateBody>;
