import { z } from "@hono/zod-openapi";
import { pageQuery } from "../lib/pagination.ts";
import { amount, basisPoints, booleanQuery, httpUrl, instant, latitude, longitude } from "../lib/schemas.ts";
import { EVENT_ACCESS_TYPES, EVENT_STATUSES, eventMetadataSchema, PARTICIPATION_STATUSES, SHARE_PLATFORMS, type events } from "./schema.ts";

type EventRow = typeof events.$inferSelect;

/** Currencies events are priced in: the two markets (Benin XOF, Tunisia TND). */
export const EVENT_CURRENCIES = ["XOF", "TND"] as const;
// Still imported from here by src/access/policy-schemas.ts.

/** An IANA time zone name the runtime knows (Africa/Porto-Novo, Africa/Tunis). */
export const timezoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (name) => {
      try {
        new Intl.DateTimeFormat(undefined, { timeZone: name });
        return true;
      } catch {
        return false;
      }
    },
    { message: "Unknown time zone; use an IANA name such as Africa/Porto-Novo." },
  )
  .openapi({ example: "Africa/Porto-Novo" });

/** Fields an organizer writes; shared by create (with required ones) and update (all optional, nullable ones clearable). */
const editable = {
  title: z.string().trim().min(3).max(200),
  description: z.string().trim().max(20_000),
  short_description: z.string().trim().max(300).nullable(),
  starts_at: instant,
  ends_at: instant,
  doors_open_at: instant.nullable(),
  timezone: timezoneSchema,
  venue_id: z.uuid().nullable(),
  venue_name: z.string().trim().min(1).max(200),
  address: z.string().trim().max(500).nullable(),
  latitude: latitude.nullable(),
  longitude: longitude.nullable(),
  google_maps_url: httpUrl.nullable(),
  event_group_id: z.uuid().nullable(),
  match_type: z.string().trim().min(1).max(50).nullable(),
  is_home_match: z.boolean().nullable(),
  category_id: z.uuid().nullable(),
  access_type: z.enum(EVENT_ACCESS_TYPES).openapi({
    description:
      "FREE, PAID, or INVITATION: never sold (orders and quotes 409 `invitation_only`), nobody joins as GOING, no season pass covers it, people enter only through the organizer's grants; listed and readable only by its invitees (holders of a right to it), its staff, its organization and admins. An event whose tickets were ordered cannot become INVITATION (409 `tickets_sold`).",
  }),
  price: amount.openapi({ description: "Minor units of `currency` (XOF: francs; TND: millimes). 0 unless PAID." }),
  currency: z.enum(EVENT_CURRENCIES),
  max_capacity: z.number().int().min(1).max(10_000_000).nullable(),
  ticketing_enabled: z.boolean(),
  ticketing_commission_bp: basisPoints.nullable().openapi({ description: "Admins only; null: the organizer plan's rate." }),
  metadata: eventMetadataSchema.nullable(),
};

export const CreateEventBody = z
  .strictObject({
    ...editable,
    description: editable.description.default(""),
    short_description: editable.short_description.optional(),
    doors_open_at: editable.doors_open_at.optional(),
    timezone: editable.timezone.optional().openapi({ description: "Defaults to the venue's." }),
    venue_id: editable.venue_id.optional(),
    venue_name: editable.venue_name.optional().openapi({ description: "Required without `venue_id`; defaults to the venue's name." }),
    address: editable.address.optional(),
    latitude: editable.latitude.optional(),
    longitude: editable.longitude.optional(),
    google_maps_url: editable.google_maps_url.optional(),
    event_group_id: editable.event_group_id.optional(),
    match_type: editable.match_type.optional(),
    is_home_match: editable.is_home_match.optional(),
    category_id: editable.category_id.optional(),
    access_type: editable.access_type.default("FREE"),
    price: editable.price.optional(),
    max_capacity: editable.max_capacity.optional(),
    ticketing_enabled: editable.ticketing_enabled.default(false),
    ticketing_commission_bp: editable.ticketing_commission_bp.optional(),
    metadata: editable.metadata.optional(),
    organization_id: z.uuid().optional().openapi({ description: "The organization that owns it: one where the caller may manage events (default: the only one). Admins name any organization." }),
  })
  .openapi("CreateEventRequest");

export const UpdateEventBody = z
  .strictObject(Object.fromEntries(Object.entries(editable).map(([key, schema]) => [key, schema.optional()])) as {
    [K in keyof typeof editable]: z.ZodOptional<(typeof editable)[K]>;
  })
  .openapi("UpdateEventRequest");

export type CreateEventInput = z.infer<typeof CreateEventBody>;
export type UpdateEventInput = z.infer<typeof UpdateEventBody>;

export const eventIdParam = z.object({ event_id: z.uuid().openapi({ param: { name: "event_id", in: "path" } }) });

export const RejectEventBody = z
  .strictObject({ comment: z.string().trim().min(1, { message: "Say why the event is rejected." }).max(2000) })
  .openapi("RejectEventRequest");
export const ApproveEventBody = z.strictObject({ comment: z.string().trim().max(2000).optional() }).openapi("ApproveEventRequest");
export const CancelEventBody = z
  .strictObject({ reason: z.string().trim().min(1, { message: "Say why the event is cancelled." }).max(1000) })
  .openapi("CancelEventRequest");

// ---------------------------------------------------------------- responses

const ParticipationCountsSchema = z
  .object(Object.fromEntries(PARTICIPATION_STATUSES.map((status) => [status, z.number().int()])) as Record<(typeof PARTICIPATION_STATUSES)[number], z.ZodNumber>)
  .openapi("ParticipationCounts");

/** What anyone may see of a published event. */
export const PublicEventSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    short_description: z.string().nullable(),
    starts_at: z.string(),
    ends_at: z.string(),
    doors_open_at: z.string().nullable(),
    timezone: z.string(),
    venue_id: z.string().nullable(),
    venue_name: z.string(),
    address: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    google_maps_url: z.string().nullable(),
    event_group_id: z.string().nullable(),
    match_type: z.string().nullable(),
    is_home_match: z.boolean().nullable(),
    organizer_id: z.string().openapi({ description: "The account it is presented under (whoever created it; for admins, an owner of its organization): followers of that account see it in their feed." }),
    organization_id: z.string().nullable().openapi({ description: "The organization that owns and runs it." }),
    category_id: z.string().nullable(),
    access_type: z.enum(EVENT_ACCESS_TYPES),
    price: z.number().int().nullable(),
    currency: z.string(),
    max_capacity: z.number().int().nullable(),
    cover_url: z.string().nullable(),
    status: z.enum(EVENT_STATUSES),
    cancelled_at: z.string().nullable(),
    cancellation_reason: z.string().nullable(),
    view_count: z.number().int(),
    share_count: z.number().int(),
    ticketing_enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PublicEvent");

/** Moderation and billing fields: the organizer who owns the event and admins only. */
const managedFields = {
  created_by: z.string(),
  reviewed_at: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  review_comment: z.string().nullable(),
  ticketing_commission_bp: z.number().int().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
};

export const ManagedEventSchema = PublicEventSchema.extend(managedFields).openapi("ManagedEvent");

export const EventDetailSchema = PublicEventSchema.extend({
  ...z.object(managedFields).partial().shape,
  participation_counts: ParticipationCountsSchema,
  my_participation: z.enum(PARTICIPATION_STATUSES).nullable().optional().openapi({ description: "Present when the caller is signed in." }),
}).openapi("EventDetail", {
  description: "Moderation fields (`created_by`, `reviewed_*`, `review_comment`, `ticketing_commission_bp`, `metadata`) are present for the owner and admins only.",
});

export const EventListItemSchema = PublicEventSchema.extend({
  distance_km: z.number().nullable().openapi({ description: "From `lat`/`lng` when searching near a point, else null." }),
}).openapi("EventListItem");

/** The last segment of a cover key: the `v` of its URL (random per upload). */
export const coverVersion = (key: string): string => key.split("/").pop()!;

export const coverUrl = (row: Pick<EventRow, "id" | "cover_image_key">): string | null =>
  row.cover_image_key ? `/v1/events/${row.id}/cover?v=${encodeURIComponent(coverVersion(row.cover_image_key))}` : null;

export function toPublicEvent(row: EventRow): z.infer<typeof PublicEventSchema> {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    short_description: row.short_description,
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    doors_open_at: row.doors_open_at,
    timezone: row.timezone,
    venue_id: row.venue_id,
    venue_name: row.venue_name,
    address: row.address,
    latitude: row.latitude,
    longitude: row.longitude,
    google_maps_url: row.google_maps_url,
    event_group_id: row.event_group_id,
    match_type: row.match_type,
    is_home_match: row.is_home_match,
    organizer_id: row.organizer_id,
    organization_id: row.organization_id,
    category_id: row.category_id,
    access_type: row.access_type,
    price: row.price,
    currency: row.currency,
    max_capacity: row.max_capacity,
    cover_url: coverUrl(row),
    status: row.status,
    cancelled_at: row.cancelled_at,
    cancellation_reason: row.cancellation_reason,
    view_count: row.view_count,
    share_count: row.share_count,
    ticketing_enabled: row.ticketing_enabled,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toManagedEvent(row: EventRow): z.infer<typeof ManagedEventSchema> {
  return {
    ...toPublicEvent(row),
    created_by: row.created_by,
    reviewed_at: row.reviewed_at,
    reviewed_by: row.reviewed_by,
    review_comment: row.review_comment,
    ticketing_commission_bp: row.ticketing_commission_bp,
    metadata: row.metadata,
  };
}

// ---------------------------------------------------------------- queries

export const EVENT_SORTS = ["starts_at", "relevance", "distance"] as const;

export const EventListQuery = z
  .object({
    q: z.string().trim().min(1).max(200).optional().openapi({ description: "Full-text search in title, short and full description; accents are ignored." }),
    category_id: z.uuid().optional(),
    event_group_id: z.uuid().optional(),
    venue_id: z.uuid().optional(),
    organizer_id: z.uuid().optional(),
    organization_id: z.uuid().optional(),
    is_free: booleanQuery.optional().openapi({ type: "string", enum: ["true", "false"], description: "true: FREE events; false: PAID events." }),
    from: instant.optional().openapi({ description: "Events still running at or after this instant (default: now)." }),
    to: instant.optional().openapi({ description: "Events starting at or before this instant." }),
    lat: z.coerce.number().min(-90).max(90).optional(),
    lng: z.coerce.number().min(-180).max(180).optional(),
    radius_km: z.coerce.number().gt(0).max(500).optional().openapi({ description: "With `lat` and `lng`: only events within this distance (default 25 km)." }),
    sort: z.enum(EVENT_SORTS).optional().openapi({ description: "Default: `distance` near a point, else `relevance` with `q`, else `starts_at` (soonest first)." }),
    ...pageQuery,
  })
  .superRefine((query, ctx) => {
    if ((query.lat === undefined) !== (query.lng === undefined)) ctx.addIssue({ code: "custom", path: ["lat"], message: "Give both `lat` and `lng`." });
    if (query.radius_km !== undefined && query.lat === undefined) ctx.addIssue({ code: "custom", path: ["radius_km"], message: "`radius_km` needs `lat` and `lng`." });
    if (query.sort === "relevance" && !query.q) ctx.addIssue({ code: "custom", path: ["sort"], message: "Sorting by relevance needs `q`." });
    if (query.sort === "distance" && query.lat === undefined) ctx.addIssue({ code: "custom", path: ["sort"], message: "Sorting by distance needs `lat` and `lng`." });
    if (query.from && query.to && query.to < query.from) ctx.addIssue({ code: "custom", path: ["to"], message: "`to` is before `from`." });
  });

export type EventListQueryInput = z.infer<typeof EventListQuery>;

export const MyEventsQuery = z.object({
  organization_id: z.uuid().optional().openapi({ description: "Only this organization's (default: every organization I belong to)." }),
  status: z.enum(EVENT_STATUSES).optional(),
  event_group_id: z.uuid().optional(),
  venue_id: z.uuid().optional(),
  from: instant.optional().openapi({ description: "Events ending at or after this instant." }),
  to: instant.optional().openapi({ description: "Events starting at or before this instant." }),
  ...pageQuery,
});

export const AdminEventsQuery = z.object({
  status: z.enum(EVENT_STATUSES).optional().openapi({ description: "`PENDING_REVIEW` for the moderation queue." }),
  organizer_id: z.uuid().optional(),
  organization_id: z.uuid().optional(),
  ...pageQuery,
});

// ---------------------------------------------------------------- participation, views, shares

/** ATTENDED is recorded by the gate, never chosen by the user. */
export const USER_PARTICIPATION_STATUSES = ["INTERESTED", "GOING", "CANCELLED"] as const;

export const ParticipationBody = z
  .strictObject({
    status: z.enum(USER_PARTICIPATION_STATUSES),
    comment: z.string().trim().max(1000).nullable().optional(),
  })
  .openapi("ParticipationRequest");

export const ParticipationSchema = z
  .object({
    event_id: z.string(),
    user_id: z.string(),
    status: z.enum(PARTICIPATION_STATUSES),
    comment: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Participation");

export const ParticipationWithCountsSchema = ParticipationSchema.extend({ participation_counts: ParticipationCountsSchema }).openapi("ParticipationWithCounts");

export const MyParticipationSchema = ParticipationSchema.extend({ event: PublicEventSchema }).openapi("MyParticipation");

export const MyParticipationsQuery = z.object({ status: z.enum(PARTICIPATION_STATUSES).optional(), ...pageQuery });

export const ViewResultSchema = z
  .object({ counted: z.boolean().openapi({ description: "False when this viewer was already counted today." }), view_count: z.number().int() })
  .openapi("EventViewResult");

export const ShareBody = z.strictObject({ platform: z.enum(SHARE_PLATFORMS) }).openapi("ShareRequest");

export const ShareSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    platform: z.enum(SHARE_PLATFORMS),
    code: z.string(),
    url: z.string().openapi({ description: "The tracked link to publish: `/s/{code}` on this API's origin." }),
    click_count: z.number().int(),
    created_at: z.string(),
  })
  .openapi("EventShare");
