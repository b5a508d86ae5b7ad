import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { basisPoints, bool, checkThat, createdAt, enumCheck, id, isoDate, json, money, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { organizations } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";

/** Entrix `zone_category`: what a zone is, so plans and ticket types work across different venue maps. */
export const ZONE_CATEGORIES = ["VIP", "PREMIUM", "STANDARD", "BASIC", "COMPLIMENTARY", "VISITORS", "PRESS", "STAFF"] as const;
export const ACCESS_POINT_DIRECTIONS = ["ENTRY", "EXIT", "BOTH"] as const;
export const EVENT_GROUP_TYPES = ["SEASON", "COMPETITION", "TOURNAMENT", "SERIES", "OTHER"] as const;
export const EVENT_STATUSES = ["DRAFT", "PENDING_REVIEW", "APPROVED", "REJECTED", "CANCELLED", "COMPLETED"] as const;
export const EVENT_ACCESS_TYPES = ["FREE", "PAID", "INVITATION"] as const;
export const EVENT_STAFF_ROLES = ["CONTROLLER", "SUPERVISOR"] as const;
export const PARTICIPATION_STATUSES = ["INTERESTED", "GOING", "ATTENDED", "CANCELLED"] as const;
export const SHARE_PLATFORMS = ["FACEBOOK", "TWITTER", "INSTAGRAM", "WHATSAPP", "LINKEDIN", "EMAIL", "LINK"] as const;

export const venueMetadataSchema = z.record(z.string(), z.unknown());
export const venueZoneMetadataSchema = z.record(z.string(), z.unknown());
export const accessPointMetadataSchema = z.record(z.string(), z.unknown());
export const eventGroupMetadataSchema = z.record(z.string(), z.unknown());
export const eventMetadataSchema = z.record(z.string(), z.unknown());

/** SpotVibe `EventCategory` (Mariage, Festival, Conférence...). */
export const event_categories = sqliteTable(
  "event_categories",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description"),
    icon: text("icon"), // icon name, e.g. "fas fa-music"
    color: text("color"), // "#007bff"
    display_order: integer("display_order").notNull().default(0),
    is_active: bool("is_active").notNull().default(true),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("event_categories_name_unique").on(t.name),
    index("event_categories_active_order_idx").on(t.is_active, t.display_order),
    checkThat("event_categories", "color_hex", sql`${t.color} IS NULL OR (length(${t.color}) = 7 AND substr(${t.color}, 1, 1) = '#' AND substr(${t.color}, 2) NOT GLOB '*[^0-9A-Fa-f]*')`),
    checkThat("event_categories", "display_order_non_negative", sql`${t.display_order} >= 0`),
  ],
);

/** A place events happen in (stadium, hall, open-air site); referenced by Entrix, never defined there. */
export const venues = sqliteTable(
  "venues",
  {
    id: id(),
    name: text("name").notNull(),
    address: text("address"),
    city: text("city"),
    country: text("country"), // ISO 3166-1 alpha-2: BJ, TN
    latitude: real("latitude"),
    longitude: real("longitude"),
    google_maps_url: text("google_maps_url"),
    timezone: text("timezone").notNull(), // IANA, e.g. Africa/Porto-Novo
    capacity: integer("capacity"),
    owner_id: text("owner_id").references(() => users.id, { onDelete: "set null" }), // the account that created it (before organizations: its manager)
    organization_id: text("organization_id").references(() => organizations.id), // the organization managing it; null: the platform's (admins')
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", venueMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("venues_city_idx").on(t.country, t.city),
    index("venues_owner_idx").on(t.owner_id),
    index("venues_organization_idx").on(t.organization_id),
    checkThat("venues", "capacity_non_negative", sql`${t.capacity} IS NULL OR ${t.capacity} >= 0`),
    checkThat("venues", "latitude_range", sql`${t.latitude} IS NULL OR ${t.latitude} BETWEEN -90 AND 90`),
    checkThat("venues", "longitude_range", sql`${t.longitude} IS NULL OR ${t.longitude} BETWEEN -180 AND 180`),
  ],
);

/** A zone of a venue (Tribune Nord, Parcage visiteurs): Entrix `venue_zones`, with its category and capacity. */
export const venue_zones = sqliteTable(
  "venue_zones",
  {
    id: id(),
    venue_id: text("venue_id")
      .notNull()
      .references(() => venues.id, { onDelete: "cascade" }),
    code: text("code").notNull(), // e.g. tribune_nord: the names zone_mapping uses
    name: text("name").notNull(),
    category: text("category", { enum: ZONE_CATEGORIES }).notNull(),
    capacity: integer("capacity").notNull(),
    is_seated: bool("is_seated").notNull().default(false),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", venueZoneMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("venue_zones_venue_code_unique").on(t.venue_id, t.code),
    index("venue_zones_venue_category_idx").on(t.venue_id, t.category),
    enumCheck("venue_zones", t.category, ZONE_CATEGORIES),
    checkThat("venue_zones", "capacity_non_negative", sql`${t.capacity} >= 0`),
  ],
);

/** A numbered seat of a zone (section, row, number): Entrix `seats`. */
export const seats = sqliteTable(
  "seats",
  {
    id: id(),
    zone_id: text("zone_id")
      .notNull()
      .references(() => venue_zones.id, { onDelete: "cascade" }),
    section: text("section").notNull(),
    row: text("row").notNull(),
    number: text("number").notNull(), // text: "12", "12B"
    is_accessible: bool("is_accessible").notNull().default(false), // reduced-mobility place
    // A companion's place beside an accessible one (sold with it, for a helper).
    is_companion: bool("is_companion").notNull().default(false),
    // Where the seat is drawn on the venue's seat map: its centre in the map's units and its turn in degrees (0: facing the field).
    x: real("x").notNull().default(0),
    y: real("y").notNull().default(0),
    rotation: real("rotation").notNull().default(0),
    is_active: bool("is_active").notNull().default(true),
    created_at: createdAt(),
  },
  (t) => [uniqueIndex("seats_zone_position_unique").on(t.zone_id, t.section, t.row, t.number)],
);

/** A gate, turnstile or door of a venue (Entrix `access_points`), opening onto zones through access_point_zones. */
export const access_points = sqliteTable(
  "access_points",
  {
    id: id(),
    venue_id: text("venue_id")
      .notNull()
      .references(() => venues.id, { onDelete: "cascade" }),
    code: text("code").notNull(), // "GATE_A", printed on tickets
    name: text("name").notNull(),
    direction: text("direction", { enum: ACCESS_POINT_DIRECTIONS }).notNull().default("BOTH"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", accessPointMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("access_points_venue_code_unique").on(t.venue_id, t.code),
    enumCheck("access_points", t.direction, ACCESS_POINT_DIRECTIONS),
  ],
);

/** Which zones an access point opens onto (a scan at a gate is only valid for these zones). */
export const access_point_zones = sqliteTable(
  "access_point_zones",
  {
    access_point_id: text("access_point_id")
      .notNull()
      .references(() => access_points.id, { onDelete: "cascade" }),
    zone_id: text("zone_id")
      .notNull()
      .references(() => venue_zones.id, { onDelete: "cascade" }),
    created_at: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.access_point_id, t.zone_id] }), index("access_point_zones_zone_idx").on(t.zone_id)],
);

/** Entrix `event_groups`: a season or competition (Championnat 2025-2026) that season-pass plans cover. */
export const event_groups = sqliteTable(
  "event_groups",
  {
    id: id(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    group_type: text("group_type", { enum: EVENT_GROUP_TYPES }).notNull().default("SEASON"),
    sport: text("sport"), // football, basketball...
    season: text("season"), // "2025-2026"
    starts_on: text("starts_on"), // YYYY-MM-DD
    ends_on: text("ends_on"), // YYYY-MM-DD
    organizer_id: text("organizer_id").references(() => users.id, { onDelete: "set null" }), // the account that created it (before organizations: its owner)
    organization_id: text("organization_id").references(() => organizations.id), // owner; null: the platform's (admins')
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", eventGroupMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("event_groups_code_unique").on(t.code),
    index("event_groups_organizer_idx").on(t.organizer_id),
    index("event_groups_organization_idx").on(t.organization_id),
    enumCheck("event_groups", t.group_type, EVENT_GROUP_TYPES),
    checkThat("event_groups", "starts_on_date", sql`${t.starts_on} IS NULL OR ${isoDate(t.starts_on)}`),
    checkThat("event_groups", "ends_on_date", sql`${t.ends_on} IS NULL OR ${isoDate(t.ends_on)}`),
    checkThat("event_groups", "dates_ordered", sql`${t.starts_on} IS NULL OR ${t.ends_on} IS NULL OR ${t.ends_on} >= ${t.starts_on}`),
  ],
);

/** SpotVibe `Event` (translated), plus what Entrix events need: venue, group, timezone, doors, currency, match type. */
export const events = sqliteTable(
  "events",
  {
    id: id(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    short_description: text("short_description"),
    starts_at: timestamp("starts_at").notNull(),
    ends_at: timestamp("ends_at").notNull(),
    doors_open_at: timestamp("doors_open_at"),
    timezone: text("timezone").notNull(), // IANA; starts_at/ends_at are UTC
    venue_id: text("venue_id").references(() => venues.id, { onDelete: "set null" }),
    venue_name: text("venue_name").notNull(), // SpotVibe `lieu`, kept even when venue_id is set
    address: text("address"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    google_maps_url: text("google_maps_url"),
    event_group_id: text("event_group_id").references(() => event_groups.id, { onDelete: "set null" }),
    match_type: text("match_type"), // championship, cup, friendly: matched against plan included_match_types
    is_home_match: bool("is_home_match"),
    organizer_id: text("organizer_id")
      .notNull()
      .references(() => users.id), // SpotVibe `organisateur`: the account it is presented under (followers' feed); not who may manage it
    organization_id: text("organization_id").references(() => organizations.id), // owner: set on every event; its members manage it by role, it owes the commission
    created_by: text("created_by")
      .notNull()
      .references(() => users.id),
    category_id: text("category_id").references(() => event_categories.id, { onDelete: "set null" }),
    access_type: text("access_type", { enum: EVENT_ACCESS_TYPES }).notNull().default("FREE"),
    price: money("price"), // entry price shown for PAID events, minor units of `currency`
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    max_capacity: integer("max_capacity"),
    cover_image_key: text("cover_image_key"), // R2 MEDIA key
    status: text("status", { enum: EVENT_STATUSES }).notNull().default("DRAFT"),
    reviewed_at: timestamp("reviewed_at"),
    reviewed_by: text("reviewed_by").references(() => users.id),
    review_comment: text("review_comment"),
    cancelled_at: timestamp("cancelled_at"),
    cancellation_reason: text("cancellation_reason"),
    view_count: integer("view_count").notNull().default(0),
    share_count: integer("share_count").notNull().default(0),
    ticketing_enabled: bool("ticketing_enabled").notNull().default(false),
    ticketing_commission_bp: basisPoints("ticketing_commission_bp"), // null: the organizer plan's rate applies
    metadata: json("metadata", eventMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("events_status_starts_idx").on(t.status, t.starts_at),
    index("events_organizer_idx").on(t.organizer_id, t.starts_at),
    index("events_organization_idx").on(t.organization_id, t.starts_at),
    index("events_created_by_idx").on(t.created_by),
    index("events_category_idx").on(t.category_id, t.starts_at),
    index("events_venue_idx").on(t.venue_id, t.starts_at),
    index("events_group_idx").on(t.event_group_id, t.starts_at),
    enumCheck("events", t.status, EVENT_STATUSES),
    enumCheck("events", t.access_type, EVENT_ACCESS_TYPES),
    enumCheck("events", t.currency, CURRENCY_VALUES),
    checkThat("events", "ends_after_start", sql`${t.ends_at} > ${t.starts_at}`),
    checkThat("events", "doors_before_end", sql`${t.doors_open_at} IS NULL OR ${t.doors_open_at} < ${t.ends_at}`),
    checkThat("events", "price_non_negative", sql`${t.price} IS NULL OR ${t.price} >= 0`),
    checkThat("events", "paid_has_price", sql`${t.access_type} <> 'PAID' OR ${t.price} IS NOT NULL`),
    checkThat("events", "max_capacity_positive", sql`${t.max_capacity} IS NULL OR ${t.max_capacity} > 0`),
    checkThat("events", "counters_non_negative", sql`${t.view_count} >= 0 AND ${t.share_count} >= 0`),
    checkThat("events", "commission_bp_range", sql`${t.ticketing_commission_bp} IS NULL OR ${t.ticketing_commission_bp} BETWEEN 0 AND 10000`),
    checkThat("events", "latitude_range", sql`${t.latitude} IS NULL OR ${t.latitude} BETWEEN -90 AND 90`),
    checkThat("events", "longitude_range", sql`${t.longitude} IS NULL OR ${t.longitude} BETWEEN -180 AND 180`),
  ],
);

/** Gate staff of one event: who may open its gate WebSocket and scan (CONTROLLER), or also override (SUPERVISOR). */
export const event_staff = sqliteTable(
  "event_staff",
  {
    id: id(),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: EVENT_STAFF_ROLES }).notNull().default("CONTROLLER"),
    access_point_id: text("access_point_id").references(() => access_points.id, { onDelete: "set null" }), // usual post, if any
    assigned_by: text("assigned_by").references(() => users.id, { onDelete: "set null" }),
    is_active: bool("is_active").notNull().default(true),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("event_staff_event_user_unique").on(t.event_id, t.user_id),
    index("event_staff_user_idx").on(t.user_id, t.is_active),
    enumCheck("event_staff", t.role, EVENT_STAFF_ROLES),
  ],
);

/** One view per viewer per day: feeds events.view_count without counting reloads. */
export const event_views = sqliteTable(
  "event_views",
  {
    id: id(),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    viewer_key: text("viewer_key").notNull(), // "u:<user id>" or "f:<fingerprint digest>"
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    day: text("day").notNull(), // YYYY-MM-DD (UTC)
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("event_views_event_viewer_day_unique").on(t.event_id, t.viewer_key, t.day),
    index("event_views_event_day_idx").on(t.event_id, t.day),
    checkThat("event_views", "day_date", isoDate(t.day)),
  ],
);

/** SpotVibe `EventParticipation`: one row per user and event. */
export const event_participations = sqliteTable(
  "event_participations",
  {
    id: id(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    status: text("status", { enum: PARTICIPATION_STATUSES }).notNull(),
    comment: text("comment"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("event_participations_event_user_unique").on(t.event_id, t.user_id),
    index("event_participations_user_idx").on(t.user_id, t.status, t.created_at),
    index("event_participations_event_status_idx").on(t.event_id, t.status),
    enumCheck("event_participations", t.status, PARTICIPATION_STATUSES),
  ],
);

/** SpotVibe `EventShare`: the generated link is /s/{code}; clicks are counted on redirect. */
export const event_shares = sqliteTable(
  "event_shares",
  {
    id: id(),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    platform: text("platform", { enum: SHARE_PLATFORMS }).notNull(),
    code: text("code").notNull(),
    click_count: integer("click_count").notNull().default(0),
    created_at: createdAt(),
  },
  (t) => [
    uniqueIndex("event_shares_code_unique").on(t.code),
    index("event_shares_event_idx").on(t.event_id, t.created_at),
    index("event_shares_user_idx").on(t.user_id, t.created_at),
    enumCheck("event_shares", t.platform, SHARE_PLATFORMS),
    checkThat("event_shares", "click_count_non_negative", sql`${t.click_count} >= 0`),
  ],
);
