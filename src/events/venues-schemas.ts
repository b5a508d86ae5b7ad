import { z } from "@hono/zod-openapi";
import { pageQuery } from "../lib/pagination.ts";
import { booleanQuery, httpUrl, latitude, longitude, text } from "../lib/schemas.ts";
import { timezoneSchema } from "./schemas.ts";
import { creatorOut, organizationField, organizationFilter, organizationOut } from "../organizations/schemas.ts";
import {
  ACCESS_POINT_DIRECTIONS,
  accessPointMetadataSchema,
  EVENT_GROUP_TYPES,
  eventGroupMetadataSchema,
  venueMetadataSchema,
  venueZoneMetadataSchema,
  ZONE_CATEGORIES,
  type access_points,
  type event_groups,
  type seats,
  type venue_zones,
  type venues,
} from "./schema.ts";

type VenueRow = typeof venues.$inferSelect;
type ZoneRow = typeof venue_zones.$inferSelect;
type SeatRow = typeof seats.$inferSelect;
type AccessPointRow = typeof access_points.$inferSelect;
type EventGroupRow = typeof event_groups.$inferSelect;

/** At most this many seats are created by one request (one D1 batch). */
export const MAX_SEATS_PER_REQUEST = 10_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date, `YYYY-MM-DD`. */
const calendarDateSchema = z
  .string()
  .regex(DATE, { message: "Expected a date as YYYY-MM-DD." })
  .refine((value) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, { message: "This date does not exist." })
  .openapi({ format: "date", example: "2025-08-01" });


/** Latitude and longitude go together. */
const bothOrNeither = (value: { latitude?: unknown; longitude?: unknown }, ctx: z.RefinementCtx) => {
  if ((value.latitude === undefined) !== (value.longitude === undefined)) {
    ctx.addIssue({ code: "custom", path: [value.latitude === undefined ? "latitude" : "longitude"], message: "Give latitude and longitude together." });
  } else if ((value.latitude === null) !== (value.longitude === null)) {
    ctx.addIssue({ code: "custom", path: ["latitude"], message: "Set or clear latitude and longitude together." });
  }
};

export const venueIdParam = z.object({ venue_id: z.uuid().openapi({ param: { name: "venue_id", in: "path" } }) });
export const zoneParams = venueIdParam.extend({ zone_id: z.uuid().openapi({ param: { name: "zone_id", in: "path" } }) });
export const seatParams = zoneParams.extend({ seat_id: z.uuid().openapi({ param: { name: "seat_id", in: "path" } }) });
export const accessPointParams = venueIdParam.extend({ access_point_id: z.uuid().openapi({ param: { name: "access_point_id", in: "path" } }) });
export const groupIdParam = z.object({ group_id: z.uuid().openapi({ param: { name: "group_id", in: "path" } }) });

/** Filters shared by the venue and event-group lists. */
const ownedListQuery = {
  mine: booleanQuery.optional().openapi({ description: "`true`: only my organizations', inactive included (signed in)." }),
  organization_id: organizationFilter,
  include_inactive: booleanQuery.optional().openapi({ description: "Admins only: include inactive ones." }),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: "Part of the name." }),
  ...pageQuery,
};

// ------------------------------------------------------------------ venues

const venueFields = {
  name: text(200),
  address: text(500).nullable().optional(),
  city: text(100).nullable().optional(),
  country: z.string().regex(/^[A-Z]{2}$/, { message: "Expected an ISO 3166-1 alpha-2 code such as TN or BJ." }).nullable().optional(),
  latitude: latitude.nullable().optional(),
  longitude: longitude.nullable().optional(),
  google_maps_url: httpUrl.nullable().optional(),
  timezone: timezoneSchema,
  capacity: z.number().int().min(1).max(1_000_000).nullable().optional(),
  is_active: z.boolean().optional(),
  metadata: venueMetadataSchema.nullable().optional(),
  organization_id: organizationField.optional(),
};

export const VenueCreateBody = z.strictObject(venueFields).superRefine(bothOrNeither).openapi("VenueCreateRequest");
export const VenueUpdateBody = z
  .strictObject({ ...venueFields, name: venueFields.name.optional(), timezone: timezoneSchema.optional() })
  .superRefine(bothOrNeither)
  .openapi("VenueUpdateRequest");

export const VenueListQuery = z.object({
  city: z.string().trim().min(1).max(100).optional().openapi({ description: "City, any case." }),
  country: z.string().regex(/^[A-Z]{2}$/).optional(),
  ...ownedListQuery,
});

export const VenueSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    country: z.string().nullable(),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    google_maps_url: z.string().nullable(),
    timezone: z.string(),
    capacity: z.number().int().nullable(),
    owner_id: creatorOut,
    organization_id: organizationOut,
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Venue");

export const toVenue = (row: VenueRow): z.infer<typeof VenueSchema> => ({
  id: row.id,
  name: row.name,
  address: row.address,
  city: row.city,
  country: row.country,
  latitude: row.latitude,
  longitude: row.longitude,
  google_maps_url: row.google_maps_url,
  timezone: row.timezone,
  capacity: row.capacity,
  owner_id: row.owner_id,
  organization_id: row.organization_id,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

// ------------------------------------------------------------------ zones

const zoneCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_]{0,63}$/, { message: "Lower-case letters, digits and _ (e.g. tribune_nord)." })
  .openapi({ description: "Stable identifier used by ticket configurations' zone mapping; derived from the name when omitted." });

const zoneFields = {
  code: zoneCode.optional(),
  name: text(100),
  category: z.enum(ZONE_CATEGORIES),
  capacity: z.number().int().min(1, { message: "A zone holds at least one person." }).max(1_000_000),
  is_seated: z.boolean().optional(),
  is_active: z.boolean().optional(),
  metadata: venueZoneMetadataSchema.nullable().optional(),
};

export const ZoneCreateBody = z.strictObject(zoneFields).openapi("ZoneCreateRequest");
export const ZoneUpdateBody = z
  .strictObject({ ...zoneFields, name: zoneFields.name.optional(), category: zoneFields.category.optional(), capacity: zoneFields.capacity.optional() })
  .openapi("ZoneUpdateRequest");

export const ZoneListQuery = z.object({ category: z.enum(ZONE_CATEGORIES).optional(), ...pageQuery });

export const ZoneSchema = z
  .object({
    id: z.string(),
    venue_id: z.string(),
    code: z.string(),
    name: z.string(),
    category: z.enum(ZONE_CATEGORIES),
    capacity: z.number().int(),
    is_seated: z.boolean(),
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("VenueZone");

export const toZone = (row: ZoneRow): z.infer<typeof ZoneSchema> => ({
  id: row.id,
  venue_id: row.venue_id,
  code: row.code,
  name: row.name,
  category: row.category,
  capacity: row.capacity,
  is_seated: row.is_seated,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

// ------------------------------------------------------------------ seats

const seatPart = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(20)
    .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, { message: `A ${what} is letters, digits, spaces, '.', '_' or '-'.` });

/** A coordinate on the venue's seat map (its units are the organizer's: metres, pixels). */
const mapCoordinate = z.number().finite().min(-1_000_000).max(1_000_000);

const SeatInput = z.strictObject({
  section: seatPart("section"),
  row: seatPart("row"),
  number: seatPart("number"),
  is_accessible: z.boolean().optional(),
  is_companion: z.boolean().optional().openapi({ description: "A companion's place beside an accessible one." }),
  x: mapCoordinate.optional().openapi({ description: "The seat's centre on the seat map (default 0)." }),
  y: mapCoordinate.optional(),
  rotation: z.number().finite().min(-360).max(360).optional().openapi({ description: "The seat's turn in degrees (default 0)." }),
});

const ROW_LETTER = /^[A-Z]$/;
const ROW_NUMBER = /^[1-9]\d{0,3}$/;

/** `{from: "A", to: "F"}` or `{from: "1", to: "30"}`: letters or numbers, inclusive. */
const RowRange = z
  .strictObject({ from: z.string().max(4), to: z.string().max(4) })
  .superRefine((range, ctx) => {
    const letters = ROW_LETTER.test(range.from) && ROW_LETTER.test(range.to);
    const numbers = ROW_NUMBER.test(range.from) && ROW_NUMBER.test(range.to);
    if (!letters && !numbers) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "Use two capital letters (A to Z) or two numbers (1 to 9999)." });
      return;
    }
    const ordered = letters ? range.from <= range.to : Number(range.from) <= Number(range.to);
    if (!ordered) ctx.addIssue({ code: "custom", path: ["to"], message: "`to` comes before `from`." });
  });

const SeatGenerator = z.strictObject({
  section: seatPart("section"),
  rows: z.union([z.array(seatPart("row")).min(1).max(1000), RowRange]).openapi({ description: 'Row labels (`["A","B"]`) or a range (`{"from":"A","to":"F"}`, `{"from":"1","to":"30"}`).' }),
  seats_per_row: z.number().int().min(1).max(MAX_SEATS_PER_REQUEST),
  first_number: z.number().int().min(0).max(100_000).optional().openapi({ description: "Number of the first seat of each row (default 1)." }),
  accessible_rows: z.array(seatPart("row")).max(1000).optional().openapi({ description: "Rows whose seats are reduced-mobility places." }),
  origin: z
    .strictObject({ x: mapCoordinate, y: mapCoordinate, spacing: z.number().finite().positive().max(10_000), rotation: z.number().finite().min(-360).max(360).optional() })
    .optional()
    .openapi({ description: "Where the seats go on the seat map: the first row's first seat at (x, y), each seat `spacing` further along x, each row `spacing` further along y, all turned `rotation` degrees. Without it, seats are at (0, 0)." }),
});

/** The labels of a generator's rows, in order. */
export function rowLabels(rows: z.infer<typeof SeatGenerator>["rows"]): string[] {
  if (Array.isArray(rows)) return rows;
  if (ROW_LETTER.test(rows.from)) {
    const start = rows.from.charCodeAt(0);
    return Array.from({ length: rows.to.charCodeAt(0) - start + 1 }, (_, i) => String.fromCharCode(start + i));
  }
  const start = Number(rows.from);
  return Array.from({ length: Number(rows.to) - start + 1 }, (_, i) => String(start + i));
}

export const SeatsCreateBody = z
  .strictObject({
    seats: z.array(SeatInput).min(1).max(MAX_SEATS_PER_REQUEST).optional().openapi({ description: "Explicit seats (bounded in practice by the 64 KiB body limit)." }),
    generate: SeatGenerator.optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.seats === undefined) === (body.generate === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "Give either `seats` or `generate`." });
      return;
    }
    if (body.generate) {
      const rows = rowLabels(body.generate.rows);
      const total = rows.length * body.generate.seats_per_row;
      if (total > MAX_SEATS_PER_REQUEST) {
        ctx.addIssue({ code: "custom", path: ["generate"], message: `This would create ${total} seats; at most ${MAX_SEATS_PER_REQUEST} per request.` });
      }
    }
  })
  .openapi("SeatsCreateRequest");

export type SeatsCreateInput = z.infer<typeof SeatsCreateBody>;

export const SeatListQuery = z.object({
  section: z.string().trim().min(1).max(20).optional(),
  row: z.string().trim().min(1).max(20).optional(),
  ...pageQuery,
});

export const SeatSchema = z
  .object({
    id: z.string(),
    zone_id: z.string(),
    section: z.string(),
    row: z.string(),
    number: z.string(),
    is_accessible: z.boolean(),
    is_companion: z.boolean(),
    x: z.number(),
    y: z.number(),
    rotation: z.number(),
    is_active: z.boolean(),
    created_at: z.string(),
  })
  .openapi("Seat");

export const toSeat = (row: SeatRow): z.infer<typeof SeatSchema> => ({
  id: row.id,
  zone_id: row.zone_id,
  section: row.section,
  row: row.row,
  number: row.number,
  is_accessible: row.is_accessible,
  is_companion: row.is_companion,
  x: row.x,
  y: row.y,
  rotation: row.rotation,
  is_active: row.is_active,
  created_at: row.created_at,
});

export const SeatsCreatedSchema = z.object({ zone_id: z.string(), created: z.number().int() }).openapi("SeatsCreated");

// ------------------------------------------------------------------ access points

const zoneIds = z
  .array(z.uuid())
  .min(1)
  .max(200)
  .refine((ids) => new Set(ids).size === ids.length, { message: "A zone is listed twice." })
  .openapi({ description: "Zones of the same venue this gate opens onto." });

const accessPointFields = {
  code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, { message: "Letters, digits, _ and - (e.g. GATE_A)." }),
  name: text(100),
  direction: z.enum(ACCESS_POINT_DIRECTIONS).optional(),
  zone_ids: zoneIds,
  latitude: latitude.nullable().optional(),
  longitude: longitude.nullable().optional(),
  is_active: z.boolean().optional(),
  metadata: accessPointMetadataSchema.nullable().optional(),
};

export const AccessPointCreateBody = z.strictObject(accessPointFields).superRefine(bothOrNeither).openapi("AccessPointCreateRequest");
export const AccessPointUpdateBody = z
  .strictObject({ ...accessPointFields, code: accessPointFields.code.optional(), name: accessPointFields.name.optional(), zone_ids: zoneIds.optional() })
  .superRefine(bothOrNeither)
  .openapi("AccessPointUpdateRequest");

export const AccessPointSchema = z
  .object({
    id: z.string(),
    venue_id: z.string(),
    code: z.string(),
    name: z.string(),
    direction: z.enum(ACCESS_POINT_DIRECTIONS),
    zone_ids: z.array(z.string()),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("AccessPoint");

export const toAccessPoint = (row: AccessPointRow, zoneIdList: string[]): z.infer<typeof AccessPointSchema> => ({
  id: row.id,
  venue_id: row.venue_id,
  code: row.code,
  name: row.name,
  direction: row.direction,
  zone_ids: zoneIdList,
  latitude: row.latitude,
  longitude: row.longitude,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

export const VenueDetailSchema = VenueSchema.extend({
  zones: z.array(ZoneSchema),
  access_points: z.array(AccessPointSchema),
}).openapi("VenueDetail");

// ------------------------------------------------------------------ event groups

const groupDatesOrdered = (value: { starts_on?: string | null; ends_on?: string | null }, ctx: z.RefinementCtx) => {
  if (value.starts_on && value.ends_on && value.ends_on < value.starts_on) {
    ctx.addIssue({ code: "custom", path: ["ends_on"], message: "The group ends before it starts." });
  }
};

const eventGroupFields = {
  code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: "Letters, digits, _ and - (e.g. LIGUE1-2025-2026)." }),
  name: text(200),
  description: z.string().trim().max(2000).nullable().optional(),
  group_type: z.enum(EVENT_GROUP_TYPES).optional(),
  sport: text(50).nullable().optional(),
  season: text(20).nullable().optional().openapi({ example: "2025-2026" }),
  starts_on: calendarDateSchema.nullable().optional(),
  ends_on: calendarDateSchema.nullable().optional(),
  is_active: z.boolean().optional(),
  metadata: eventGroupMetadataSchema.nullable().optional(),
  organization_id: organizationField.optional(),
};

export const EventGroupCreateBody = z.strictObject(eventGroupFields).superRefine(groupDatesOrdered).openapi("EventGroupCreateRequest");
export const EventGroupUpdateBody = z
  .strictObject({ ...eventGroupFields, code: eventGroupFields.code.optional(), name: eventGroupFields.name.optional() })
  .superRefine(groupDatesOrdered)
  .openapi("EventGroupUpdateRequest");

export const EventGroupListQuery = z.object({ group_type: z.enum(EVENT_GROUP_TYPES).optional(), ...ownedListQuery });

export const EventGroupSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    group_type: z.enum(EVENT_GROUP_TYPES),
    sport: z.string().nullable(),
    season: z.string().nullable(),
    starts_on: z.string().nullable(),
    ends_on: z.string().nullable(),
    organizer_id: creatorOut,
    organization_id: organizationOut,
    is_active: z.boolean(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    events_count: z.number().int().openapi({ description: "Published events (approved or completed) of the group." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("EventGroup");

export const toEventGroup = (row: EventGroupRow, eventsCount: number): z.infer<typeof EventGroupSchema> => ({
  id: row.id,
  code: row.code,
  name: row.name,
  description: row.description,
  group_type: row.group_type,
  sport: row.sport,
  season: row.season,
  starts_on: row.starts_on,
  ends_on: row.ends_on,
  organizer_id: row.organizer_id,
  organization_id: row.organization_id,
  is_active: row.is_active,
  metadata: row.metadata ?? null,
  events_count: eventsCount,
  created_at: row.created_at,
  updated_at: row.updated_at,
});
