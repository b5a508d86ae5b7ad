import { z } from "@hono/zod-openapi";
import { ZONE_CATEGORIES } from "../events/schema.ts";
import { eventIdParam } from "../events/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import { amount, currency, instant } from "../lib/schemas.ts";
import { attendeeQuestionsSchema, eventTicketConfigMetadataSchema, priceTiersSchema, ticketTypeBenefitsSchema, ticketTypeRestrictionsSchema, zoneMappingSchema, type event_ticket_config } from "./schema.ts";
import { MAX_QUANTITY } from "./schemas.ts";
import type { TicketTypeRow } from "./ticket-types-schemas.ts";

type ConfigRow = typeof event_ticket_config.$inferSelect;
export const configParams = eventIdParam.extend({ config_id: z.uuid().openapi({ param: { name: "config_id", in: "path" } }) });

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
  waitlist_offer_minutes: z
    .number()
    .int()
    .min(5)
    .max(10_080)
    .nullable()
    .openapi({ description: "How long tickets offered to the first in line of the waiting list stay reserved for them, in minutes (5 to 7 days); null: 120." }),
  presale_only: z.boolean().openapi({ description: "Hidden: listed, shown in the availability and sold only with a presale code naming it (POST /v1/events/{event_id}/presale-codes)." }),
  attendee_questions: attendeeQuestionsSchema.nullable().openapi({
    description: "Questions each named attendee of a right of this configuration answers (`id`, `label`, `type` TEXT, NUMBER, BOOLEAN or CHOICE with `choices`, `required`).",
  }),
  attendee_edit_until: instant.nullable().openapi({ description: "Until when holders may name or rename their rights' attendees; null: until the event starts." }),
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
    waitlist_offer_minutes: configFields.waitlist_offer_minutes.optional(),
    presale_only: configFields.presale_only.default(false),
    attendee_questions: configFields.attendee_questions.optional(),
    attendee_edit_until: configFields.attendee_edit_until.optional(),
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
    waitlist_offer_minutes: z.number().int().nullable().optional().openapi({ description: "The waiting list's offer window in minutes; null: 120." }),
    presale_only: z.boolean().optional().openapi({ description: "Hidden: sold only with a presale code (others never see it)." }),
    attendee_questions: attendeeQuestionsSchema.nullable().optional(),
    attendee_edit_until: z.string().nullable().optional(),
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
    waitlist_offer_minutes: row.waitlist_offer_minutes ?? null,
    presale_only: row.presale_only,
    attendee_questions: row.attendee_questions ?? null,
    attendee_edit_until: row.attendee_edit_until,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export const ConfigDeletedSchema = z
  .object({ deleted: z.literal(false), config: ConfigSchema })
  .openapi("TicketConfigDeactivated", { description: "Units were held or sold: the configuration stays, deactivated." });

export type ConfigCreateInput = z.infer<typeof ConfigCreateBody>;
export type ConfigUpdateInput = z.infer<typeof ConfigUpdateBody>;
