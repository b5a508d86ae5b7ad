import { z } from "@hono/zod-openapi";
import { booleanQuery, instant } from "../lib/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import {
  APPEAL_STATUSES,
  BLACKLIST_SCOPES,
  BLACKLIST_TYPES,
  blacklistEvidenceSchema,
  blacklistMetadataSchema,
  SEVERITY_LEVELS,
  zoneOverrideMetadataSchema,
  type blacklist,
  type zone_mapping_overrides,
} from "./schema.ts";

type OverrideRow = typeof zone_mapping_overrides.$inferSelect;
type BlacklistRow = typeof blacklist.$inferSelect;

/** Seats a single override may add to or take from a zone: far above any stand. */
const MAX_CAPACITY_IMPACT = 1_000_000;

// ---------------------------------------------------------------- zone overrides

export const OVERRIDE_TARGETS = ["access_right_id", "ticket_id", "subscription_id", "user_group_id"] as const;

export const overrideParams = z.object({ event_id: z.uuid(), override_id: z.uuid() });

const overrideFields = {
  original_zone_id: z.uuid().openapi({ description: "The zone the target normally enters; a zone of the event's venue. For an access right, its own zone." }),
  override_zone_id: z.uuid().openapi({ description: "Where the target goes instead; a zone of the event's venue." }),
  reason: z.string().trim().min(1).max(1000),
  valid_from: instant.nullable().optional().openapi({ description: "Start of the override (null: already)." }),
  valid_until: instant.nullable().optional().openapi({ description: "End of the override (null: for the whole event); after `valid_from`." }),
  capacity_impact: z
    .number()
    .int()
    .min(-MAX_CAPACITY_IMPACT)
    .max(MAX_CAPACITY_IMPACT)
    .nullable()
    .optional()
    .openapi({ description: "Seats added to (positive) or taken from (negative) the original zone's capacity while the override runs." }),
  requires_notification: z.boolean().optional().openapi({ description: "Tell the affected holders (in-app and email). Default true." }),
  metadata: zoneOverrideMetadataSchema.nullable().optional(),
};

export const OverrideCreateBody = z
  .strictObject({
    access_right_id: z.uuid().optional(),
    ticket_id: z.uuid().optional().openapi({ description: "An order of this event: every right it issued." }),
    subscription_id: z.uuid().optional().openapi({ description: "A season pass: its rights for this event." }),
    user_group_id: z.uuid().optional().openapi({ description: "Every member of a user group." }),
    ...overrideFields,
  })
  .superRefine((body, ctx) => {
    if (OVERRIDE_TARGETS.filter((key) => body[key] !== undefined).length !== 1) {
      ctx.addIssue({ code: "custom", path: ["access_right_id"], message: "Name exactly one target: access_right_id, ticket_id, subscription_id or user_group_id." });
    }
  })
  .openapi("ZoneOverrideCreateRequest");

export const OverrideUpdateBody = z
  .strictObject({
    original_zone_id: overrideFields.original_zone_id.optional(),
    override_zone_id: overrideFields.override_zone_id.optional(),
    reason: overrideFields.reason.optional(),
    valid_from: overrideFields.valid_from,
    valid_until: overrideFields.valid_until,
    capacity_impact: overrideFields.capacity_impact,
    requires_notification: overrideFields.requires_notification,
    is_active: z.boolean().optional().openapi({ description: "false suspends the override without deleting it." }),
    metadata: overrideFields.metadata,
  })
  .refine((body) => Object.keys(body).length > 0, { message: "Change at least one field.", path: [] })
  .openapi("ZoneOverrideUpdateRequest");

export const OverrideListQuery = z.object({ ...pageQuery, is_active: booleanQuery.optional() });

export const OverrideSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    access_right_id: z.string().nullable(),
    ticket_id: z.string().nullable(),
    subscription_id: z.string().nullable(),
    user_group_id: z.string().nullable(),
    original_zone_id: z.string(),
    override_zone_id: z.string(),
    reason: z.string(),
    valid_from: z.string().nullable(),
    valid_until: z.string().nullable(),
    capacity_impact: z.number().int().nullable(),
    requires_notification: z.boolean(),
    notification_sent: z.boolean(),
    approved_by: z.string().nullable(),
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ZoneOverride");

export const toOverride = (row: OverrideRow): z.infer<typeof OverrideSchema> => ({
  id: row.id,
  event_id: row.event_id,
  access_right_id: row.access_right_id,
  ticket_id: row.ticket_id,
  subscription_id: row.subscription_id,
  user_group_id: row.user_group_id,
  original_zone_id: row.original_zone_id,
  override_zone_id: row.override_zone_id,
  reason: row.reason,
  valid_from: row.valid_from,
  valid_until: row.valid_until,
  capacity_impact: row.capacity_impact,
  requires_notification: row.requires_notification,
  notification_sent: row.notification_sent,
  approved_by: row.approved_by,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_by: row.created_by,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

// ---------------------------------------------------------------- blacklist

export const entryParam = z.object({ entry_id: z.uuid() });

const entryFields = {
  reason: z.string().trim().min(1).max(2000),
  severity: z.enum(SEVERITY_LEVELS),
  start_date: instant.optional().openapi({ description: "When the ban starts (default: now)." }),
  end_date: instant.nullable().optional().openapi({ description: "When it ends; null with `is_permanent` false: until lifted." }),
  is_permanent: z.boolean().optional().openapi({ description: "A permanent ban has no `end_date`." }),
  reported_by: z.uuid().nullable().optional().openapi({ description: "The staff member or user who reported it (default: the caller)." }),
  evidence: blacklistEvidenceSchema.nullable().optional().openapi({ description: "Incident and police reports, R2 keys of photos and videos, witness statements." }),
  metadata: blacklistMetadataSchema.nullable().optional(),
};

export const BlacklistCreateBody = z
  .strictObject({
    blacklist_type: z.enum(BLACKLIST_TYPES),
    identifier: z.string().trim().min(1).max(255).openapi({
      description:
        "USER: an account id; QR_CODE: a right's printed code or its id; DEVICE: a scanner id; IP: an address; EMAIL (lower-cased); PHONE (stored E.164); CREDIT_CARD: a provider's card fingerprint, never a card number.",
    }),
    scope: z.enum(BLACKLIST_SCOPES),
    scope_id: z.uuid().nullable().optional().openapi({ description: "EVENT: an event id; VENUE: a venue id; CLUB: an organization id; GLOBAL: none." }),
    ...entryFields,
  })
  .openapi("BlacklistCreateRequest");

export const BlacklistUpdateBody = z
  .strictObject({
    reason: entryFields.reason.optional(),
    severity: entryFields.severity.optional(),
    start_date: entryFields.start_date,
    end_date: entryFields.end_date,
    is_permanent: entryFields.is_permanent,
    reported_by: entryFields.reported_by,
    evidence: entryFields.evidence,
    metadata: entryFields.metadata,
    is_active: z.boolean().optional().openapi({ description: "false lifts the ban and keeps the record." }),
  })
  .refine((body) => Object.keys(body).length > 0, { message: "Change at least one field.", path: [] })
  .openapi("BlacklistUpdateRequest");

export const BlacklistListQuery = z.object({
  ...pageQuery,
  blacklist_type: z.enum(BLACKLIST_TYPES).optional(),
  identifier: z.string().trim().min(1).max(255).optional().openapi({ description: "Exact identifier (normalised like on creation when `blacklist_type` is given)." }),
  scope: z.enum(BLACKLIST_SCOPES).optional(),
  scope_id: z.uuid().optional(),
  is_active: booleanQuery.optional(),
  appeal_status: z.enum(APPEAL_STATUSES).optional(),
});

export const AppealBody = z.strictObject({ message: z.string().trim().min(1).max(2000) }).openapi("BlacklistAppealRequest");

export const AppealDecisionBody = z
  .strictObject({ decision: z.enum(["ACCEPTED", "REJECTED"]), comment: z.string().trim().min(1).max(2000).optional() })
  .openapi("BlacklistAppealDecisionRequest");

export const GateSyncSchema = z
  .object({ events: z.number().int().openapi({ description: "Events whose gates received the new policy." }), failed: z.array(z.string()).openapi({ description: "Events the push did not reach; they get it at their next sync." }) })
  .openapi("GateSync");

export const BlacklistEntrySchema = z
  .object({
    id: z.string(),
    blacklist_type: z.enum(BLACKLIST_TYPES),
    identifier: z.string(),
    reason: z.string(),
    severity: z.enum(SEVERITY_LEVELS),
    scope: z.enum(BLACKLIST_SCOPES),
    scope_id: z.string().nullable(),
    start_date: z.string(),
    end_date: z.string().nullable(),
    is_permanent: z.boolean(),
    reported_by: z.string().nullable(),
    approved_by: z.string().nullable(),
    evidence: z.record(z.string(), z.unknown()).nullable(),
    appeal_status: z.enum(APPEAL_STATUSES),
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("BlacklistEntry");

export const BlacklistWriteSchema = BlacklistEntrySchema.extend({ gate_sync: GateSyncSchema }).openapi("BlacklistEntryWritten");

/** What the banned person sees of a ban: no evidence, no reporter. */
export const OwnBanSchema = z
  .object({
    id: z.string(),
    blacklist_type: z.enum(BLACKLIST_TYPES),
    reason: z.string(),
    scope: z.enum(BLACKLIST_SCOPES),
    scope_id: z.string().nullable(),
    start_date: z.string(),
    end_date: z.string().nullable(),
    is_permanent: z.boolean(),
    appeal_status: z.enum(APPEAL_STATUSES),
    is_active: z.boolean(),
  })
  .openapi("OwnBan");

export const toEntry = (row: BlacklistRow): z.infer<typeof BlacklistEntrySchema> => ({
  id: row.id,
  blacklist_type: row.blacklist_type,
  identifier: row.identifier,
  reason: row.reason,
  severity: row.severity,
  scope: row.scope,
  scope_id: row.scope_id,
  start_date: row.start_date,
  end_date: row.end_date,
  is_permanent: row.is_permanent,
  reported_by: row.reported_by,
  approved_by: row.approved_by,
  evidence: row.evidence ?? null,
  appeal_status: row.appeal_status,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export const toOwnBan = (row: BlacklistRow): z.infer<typeof OwnBanSchema> => ({
  id: row.id,
  blacklist_type: row.blacklist_type,
  reason: row.reason,
  scope: row.scope,
  scope_id: row.scope_id,
  start_date: row.start_date,
  end_date: row.end_date,
  is_permanent: row.is_permanent,
  appeal_status: row.appeal_status,
  is_active: row.is_active,
});

export type OverrideCreateInput = z.infer<typeof OverrideCreateBody>;
export type OverrideUpdateInput = z.infer<typeof OverrideUpdateBody>;
export type BlacklistCreateInput = z.infer<typeof BlacklistCreateBody>;
export type BlacklistUpdateInput = z.infer<typeof BlacklistUpdateBody>;
export type BlacklistListInput = z.infer<typeof BlacklistListQuery>;
