import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { NOW_SQL, bool, checkThat, createdAt, enumCheck, id, json, money, projectionVersion, timestamp, updatedAt } from "../db/columns.ts";
import { auth_sessions } from "../auth/schema.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { event_ticket_config } from "../catalog/schema.ts";
import { access_points, events, seats, venue_zones } from "../events/schema.ts";
import { tickets } from "../orders/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { payments } from "../payments/schema.ts";
import { user_groups } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";

export const ACCESS_RIGHT_STATUSES = ["ENABLED", "USED", "TRANSFERRED", "CANCELLED", "EXPIRED", "BLOCKED"] as const;
export const ACCESS_SOURCE_TYPES = ["TICKET", "SUBSCRIPTION", "TRANSFER", "COMP", "STAFF", "MEDIA", "PARTNER"] as const;
export const ACCESS_TRANSACTION_TYPES = [
  "CREATE",
  "TRANSFER_SALE",
  "TRANSFER_DONATION",
  "TRANSFER_LOAN",
  "TRANSFER_EXCHANGE",
  "CANCEL",
  "RESTORE",
  "MODIFY",
  "BLOCK",
  "UNBLOCK",
] as const;
export const TRANSACTION_STATUSES = ["SUCCESS", "FAILED", "PENDING"] as const;
export const ACCESS_ACTIONS = ["ENTRY", "EXIT", "RE_ENTRY", "CHECK"] as const;
export const ACCESS_STATUSES = ["SUCCESS", "DENIED", "ERROR", "WARNING"] as const;
export const DENIAL_REASONS = [
  "INVALID_QR",
  "ALREADY_USED",
  "WRONG_EVENT",
  "WRONG_DATE",
  "WRONG_ZONE",
  "EXPIRED",
  "NOT_YET_VALID",
  "BLACKLISTED",
  "CANCELLED",
  "CAPACITY_FULL",
  "AGE_RESTRICTION",
  "TECHNICAL_ERROR",
] as const;
export const SCAN_METHODS = ["QR_SCANNER", "MANUAL_ENTRY", "NFC"] as const;
export const BLACKLIST_TYPES = ["USER", "QR_CODE", "DEVICE", "IP", "EMAIL", "PHONE", "CREDIT_CARD"] as const;
export const BLACKLIST_SCOPES = ["EVENT", "VENUE", "CLUB", "GLOBAL"] as const;
export const SEVERITY_LEVELS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export const APPEAL_STATUSES = ["NONE", "PENDING", "REJECTED", "ACCEPTED"] as const;
/** The transfer kinds of access_transaction_type. */
export const TRANSFER_TYPES = ["TRANSFER_SALE", "TRANSFER_DONATION", "TRANSFER_LOAN", "TRANSFER_EXCHANGE"] as const;
export const TRANSFER_STATUSES = ["PENDING", "COMPLETED", "DECLINED", "CANCELLED", "EXPIRED", "RETURNED"] as const;

/** Where an operation or scan happened: {"lat": 36.8065, "lng": 10.1815, "accuracy": 10, "city": "Tunis"}. */
export const geoLocationSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  accuracy: z.number().min(0).optional(), // metres
  city: z.string().optional(),
});
export const accessRightMetadataSchema = z.record(z.string(), z.unknown());
export const accessTransactionMetadataSchema = z.record(z.string(), z.unknown());
export const accessControlMetadataSchema = z.record(z.string(), z.unknown());
export const zoneOverrideMetadataSchema = z.record(z.string(), z.unknown());
export const blacklistEvidenceSchema = z
  .object({
    photos: z.array(z.string()).optional(), // R2 keys
    reports: z.array(z.string()).optional(),
    video_files: z.array(z.string()).optional(),
    incident_report: z.string().optional(),
    police_report: z.string().optional(),
    witness_statements: z.number().int().min(0).optional(),
  })
  .catchall(z.unknown());
export const blacklistMetadataSchema = z.record(z.string(), z.unknown());
export const transferMetadataSchema = z.record(z.string(), z.unknown());
/** Public half of an Ed25519 signing key, as jose exports it. */
export const publicJwkSchema = z
  .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string().min(1) })
  .catchall(z.unknown());

/**
 * Entrix `access_rights`: the ONE table of physical access, one QR per row, whatever the source
 * (ticket, season pass, transfer, comp...). source_id points at the source row of source_type
 * (tickets.id, subscriptions.id, or the previous access_rights.id for TRANSFER). The EventDO owns
 * status and presence during the event; these columns are its projection.
 */
export const access_rights = sqliteTable(
  "access_rights",
  {
    id: id(),
    qr_code: text("qr_code").notNull(), // short human code printed under the QR (MANUAL_ENTRY)
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id),
    zone_id: text("zone_id").references(() => venue_zones.id),
    seat_id: text("seat_id").references(() => seats.id),
    config_id: text("config_id").references(() => event_ticket_config.id), // the configuration it was sold or granted from, if any
    status: text("status", { enum: ACCESS_RIGHT_STATUSES }).notNull().default("ENABLED"),
    source_type: text("source_type", { enum: ACCESS_SOURCE_TYPES }).notNull(),
    source_id: text("source_id").notNull(),
    original_user_id: text("original_user_id").references(() => users.id),
    transfer_count: integer("transfer_count").notNull().default(0),
    last_transfer_date: timestamp("last_transfer_date"),
    valid_from: timestamp("valid_from").notNull(),
    valid_until: timestamp("valid_until").notNull(),
    used_at: timestamp("used_at"), // first accepted entry
    used_at_access_point: text("used_at_access_point").references(() => access_points.id),
    used_by: text("used_by").references(() => users.id), // controller who accepted that entry
    validation_notes: text("validation_notes"),
    is_inside: bool("is_inside").notNull().default(false), // last accepted scan was an entry
    entry_count: integer("entry_count").notNull().default(0),
    last_exit_at: timestamp("last_exit_at"),
    metadata: json("metadata", accessRightMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
    created_by: text("created_by").references(() => users.id), // null: the system
    projection_version: projectionVersion(),
    // The holder's users.search_name and search_name_rev, copied by D1 triggers: a name search stays within the event's index.
    holder_name_key: text("holder_name_key").notNull().default(""),
    holder_name_key_rev: text("holder_name_key_rev").notNull().default(""),
  },
  (t) => [
    uniqueIndex("access_rights_qr_code_unique").on(t.qr_code),
    uniqueIndex("access_rights_event_seat_unique")
      .on(t.event_id, t.seat_id)
      .where(sql`${t.seat_id} IS NOT NULL AND ${t.status} IN ('ENABLED', 'USED', 'BLOCKED')`),
    // The back office's lists: each filter with the default order (newest first), so a page is one index range.
    index("access_rights_event_status_idx").on(t.event_id, t.status, t.created_at, t.id),
    index("access_rights_user_idx").on(t.user_id, t.valid_from),
    index("access_rights_source_idx").on(t.source_type, t.source_id),
    index("access_rights_event_zone_idx").on(t.event_id, t.zone_id, t.created_at, t.id),
    index("access_rights_event_updated_idx").on(t.event_id, t.updated_at),
    index("access_rights_event_created_idx").on(t.event_id, t.created_at, t.id),
    index("access_rights_event_config_idx").on(t.event_id, t.config_id, t.created_at, t.id),
    index("access_rights_event_source_idx").on(t.event_id, t.source_type, t.created_at, t.id),
    index("access_rights_event_used_idx").on(t.event_id, t.used_at, t.id),
    index("access_rights_event_seat_idx").on(t.event_id, t.seat_id),
    index("access_rights_event_holder_idx").on(t.event_id, t.holder_name_key, t.id),
    index("access_rights_event_holder_rev_idx").on(t.event_id, t.holder_name_key_rev, t.id),
    index("access_rights_created_idx").on(t.created_at, t.id),
    enumCheck("access_rights", t.status, ACCESS_RIGHT_STATUSES),
    enumCheck("access_rights", t.source_type, ACCESS_SOURCE_TYPES),
    checkThat("access_rights", "validity_window", sql`${t.valid_until} > ${t.valid_from}`),
    checkThat("access_rights", "counters_non_negative", sql`${t.transfer_count} >= 0 AND ${t.entry_count} >= 0`),
    checkThat("access_rights", "inside_has_entered", sql`${t.is_inside} = 0 OR ${t.entry_count} > 0`),
  ],
);

/** Entrix `access_transactions_log`: every operation on an access right (creation, transfer, cancel, block...). */
export const access_transactions_log = sqliteTable(
  "access_transactions_log",
  {
    id: id(),
    access_right_id: text("access_right_id")
      .notNull()
      .references(() => access_rights.id),
    transaction_type: text("transaction_type", { enum: ACCESS_TRANSACTION_TYPES }).notNull(),
    from_user_id: text("from_user_id").references(() => users.id),
    to_user_id: text("to_user_id").references(() => users.id),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id),
    transfer_id: text("transfer_id").references((): AnySQLiteColumn => transfers.id),
    price: money("price"), // signed: a refund on CANCEL is negative
    currency: text("currency", { enum: CURRENCY_VALUES }), // set with price
    reason: text("reason"),
    ip_address: text("ip_address"),
    user_agent: text("user_agent"),
    device_id: text("device_id"),
    location: json("location", geoLocationSchema),
    status: text("status", { enum: TRANSACTION_STATUSES }).notNull(),
    error_message: text("error_message"),
    metadata: json("metadata", accessTransactionMetadataSchema),
    created_at: createdAt(),
    created_by: text("created_by").references(() => users.id), // null: the system
  },
  (t) => [
    index("access_transactions_log_right_idx").on(t.access_right_id, t.created_at),
    index("access_transactions_log_event_idx").on(t.event_id, t.created_at),
    index("access_transactions_log_from_user_idx").on(t.from_user_id, t.created_at),
    index("access_transactions_log_to_user_idx").on(t.to_user_id, t.created_at),
    index("access_transactions_log_type_idx").on(t.transaction_type, t.created_at),
    enumCheck("access_transactions_log", t.transaction_type, ACCESS_TRANSACTION_TYPES),
    enumCheck("access_transactions_log", t.currency, CURRENCY_VALUES),
    enumCheck("access_transactions_log", t.status, TRANSACTION_STATUSES),
    checkThat("access_transactions_log", "price_has_currency", sql`${t.price} IS NULL OR ${t.currency} IS NOT NULL`),
  ],
);

/**
 * Entrix `access_control_log`: every scan attempt, accepted or not, online or replayed from an
 * offline gate. `nonce` is the device's scan id: unique per event, so a replayed scan is stored once.
 * `timestamp` is when the device scanned; `received_at` when the server learnt of it.
 */
export const access_control_log = sqliteTable(
  "access_control_log",
  {
    id: id(),
    access_right_id: text("access_right_id").references(() => access_rights.id),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id),
    user_id: text("user_id").references(() => users.id),
    access_point_id: text("access_point_id")
      .notNull()
      .references(() => access_points.id),
    zone_id: text("zone_id").references(() => venue_zones.id),
    qr_code_scanned: text("qr_code_scanned").notNull(),
    action: text("action", { enum: ACCESS_ACTIONS }).notNull(),
    status: text("status", { enum: ACCESS_STATUSES }).notNull(),
    denial_reason: text("denial_reason", { enum: DENIAL_REASONS }),
    controller_id: text("controller_id")
      .notNull()
      .references(() => users.id),
    device_id: text("device_id").notNull(),
    scan_method: text("scan_method", { enum: SCAN_METHODS }).notNull(),
    response_time_ms: integer("response_time_ms"),
    location: json("location", geoLocationSchema),
    weather_conditions: text("weather_conditions"),
    queue_size: integer("queue_size"),
    nonce: text("nonce").notNull(),
    was_offline: bool("was_offline").notNull().default(false), // decided by the device offline, synced later
    is_conflict: bool("is_conflict").notNull().default(false), // offline decision contradicted by the server's state
    metadata: json("metadata", accessControlMetadataSchema),
    timestamp: timestamp("timestamp").notNull(),
    received_at: timestamp("received_at").notNull().default(NOW_SQL),
  },
  (t) => [
    uniqueIndex("access_control_log_event_nonce_unique").on(t.event_id, t.nonce),
    // Only what GET /v1/events/{event_id}/scans reads: a stadium's peak writes every row through each index.
    index("access_control_log_event_time_idx").on(t.event_id, t.timestamp),
    index("access_control_log_event_status_idx").on(t.event_id, t.status, t.timestamp),
    index("access_control_log_right_idx").on(t.access_right_id, t.timestamp),
    index("access_control_log_conflict_idx").on(t.event_id, t.timestamp).where(sql`${t.is_conflict} = 1`),
    enumCheck("access_control_log", t.action, ACCESS_ACTIONS),
    enumCheck("access_control_log", t.status, ACCESS_STATUSES),
    enumCheck("access_control_log", t.denial_reason, DENIAL_REASONS),
    enumCheck("access_control_log", t.scan_method, SCAN_METHODS),
    checkThat("access_control_log", "denied_has_reason", sql`${t.status} <> 'DENIED' OR ${t.denial_reason} IS NOT NULL`),
    checkThat("access_control_log", "success_has_no_reason", sql`${t.status} <> 'SUCCESS' OR ${t.denial_reason} IS NULL`),
    checkThat("access_control_log", "response_time_non_negative", sql`${t.response_time_ms} IS NULL OR ${t.response_time_ms} >= 0`),
    checkThat("access_control_log", "queue_size_non_negative", sql`${t.queue_size} IS NULL OR ${t.queue_size} >= 0`),
  ],
);

/**
 * Entrix `zone_mapping_overrides`: moves one access right, ticket, season pass or user group
 * (at most one target; none = everyone of original_zone_id) to another zone for one event.
 * Precedence when several match: access_right > ticket > subscription > user_group > event-wide.
 */
export const zone_mapping_overrides = sqliteTable(
  "zone_mapping_overrides",
  {
    id: id(),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    user_group_id: text("user_group_id").references(() => user_groups.id, { onDelete: "cascade" }),
    subscription_id: text("subscription_id").references((): AnySQLiteColumn => subscriptions.id, { onDelete: "cascade" }),
    ticket_id: text("ticket_id").references((): AnySQLiteColumn => tickets.id, { onDelete: "cascade" }),
    access_right_id: text("access_right_id").references(() => access_rights.id, { onDelete: "cascade" }),
    original_zone_id: text("original_zone_id")
      .notNull()
      .references(() => venue_zones.id),
    override_zone_id: text("override_zone_id")
      .notNull()
      .references(() => venue_zones.id),
    reason: text("reason").notNull(),
    valid_from: timestamp("valid_from"),
    valid_until: timestamp("valid_until"),
    capacity_impact: integer("capacity_impact"), // signed: -500 seats in the original zone
    requires_notification: bool("requires_notification").notNull().default(true),
    notification_sent: bool("notification_sent").notNull().default(false),
    approved_by: text("approved_by").references(() => users.id),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", zoneOverrideMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
    created_by: text("created_by").references(() => users.id),
  },
  (t) => [
    index("zone_mapping_overrides_event_idx").on(t.event_id, t.is_active),
    index("zone_mapping_overrides_right_idx").on(t.access_right_id),
    index("zone_mapping_overrides_ticket_idx").on(t.ticket_id),
    index("zone_mapping_overrides_subscription_idx").on(t.subscription_id),
    index("zone_mapping_overrides_group_idx").on(t.user_group_id),
    index("zone_mapping_overrides_pending_notification_idx").on(t.requires_notification, t.notification_sent),
    checkThat("zone_mapping_overrides", "zones_differ", sql`${t.original_zone_id} <> ${t.override_zone_id}`),
    checkThat(
      "zone_mapping_overrides",
      "at_most_one_target",
      sql`(${t.user_group_id} IS NOT NULL) + (${t.subscription_id} IS NOT NULL) + (${t.ticket_id} IS NOT NULL) + (${t.access_right_id} IS NOT NULL) <= 1`,
    ),
    checkThat("zone_mapping_overrides", "validity_window", sql`${t.valid_from} IS NULL OR ${t.valid_until} IS NULL OR ${t.valid_until} > ${t.valid_from}`),
  ],
);

/**
 * Entrix `blacklist` (union of both versions). identifier holds a users.id, a QR code, a device id,
 * an IP, a lower-cased email, an E.164 phone or a card fingerprint, per blacklist_type. scope_id is
 * the events.id, venues.id or club (organizer users.id) of a non-GLOBAL scope.
 */
export const blacklist = sqliteTable(
  "blacklist",
  {
    id: id(),
    blacklist_type: text("blacklist_type", { enum: BLACKLIST_TYPES }).notNull(),
    identifier: text("identifier").notNull(),
    reason: text("reason").notNull(),
    severity: text("severity", { enum: SEVERITY_LEVELS }).notNull(),
    scope: text("scope", { enum: BLACKLIST_SCOPES }).notNull(),
    scope_id: text("scope_id"),
    start_date: timestamp("start_date").notNull(),
    end_date: timestamp("end_date"),
    is_permanent: bool("is_permanent").notNull().default(false),
    reported_by: text("reported_by").references(() => users.id),
    approved_by: text("approved_by").references(() => users.id),
    evidence: json("evidence", blacklistEvidenceSchema),
    appeal_status: text("appeal_status", { enum: APPEAL_STATUSES }).notNull().default("NONE"),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", blacklistMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("blacklist_identifier_idx").on(t.blacklist_type, t.identifier, t.is_active),
    index("blacklist_scope_idx").on(t.scope, t.scope_id, t.is_active),
    index("blacklist_appeal_idx").on(t.appeal_status),
    enumCheck("blacklist", t.blacklist_type, BLACKLIST_TYPES),
    enumCheck("blacklist", t.severity, SEVERITY_LEVELS),
    enumCheck("blacklist", t.scope, BLACKLIST_SCOPES),
    enumCheck("blacklist", t.appeal_status, APPEAL_STATUSES),
    checkThat("blacklist", "scope_id_matches_scope", sql`(${t.scope} = 'GLOBAL') = (${t.scope_id} IS NULL)`),
    checkThat("blacklist", "permanent_has_no_end", sql`${t.is_permanent} = 0 OR ${t.end_date} IS NULL`),
    checkThat("blacklist", "end_after_start", sql`${t.end_date} IS NULL OR ${t.end_date} > ${t.start_date}`),
  ],
);

/**
 * A transfer of one access right in progress or done (sale, donation, loan, exchange). On
 * completion the old right becomes TRANSFERRED and new_access_right_id ENABLED in one step;
 * a LOAN comes back at loan_return_at. The recipient accepts with the token (its digest is stored).
 */
export const transfers = sqliteTable(
  "transfers",
  {
    id: id(),
    access_right_id: text("access_right_id")
      .notNull()
      .references(() => access_rights.id),
    new_access_right_id: text("new_access_right_id").references(() => access_rights.id),
    exchange_access_right_id: text("exchange_access_right_id").references(() => access_rights.id), // EXCHANGE: the right given back
    event_id: text("event_id")
      .notNull()
      .references(() => events.id),
    transfer_type: text("transfer_type", { enum: TRANSFER_TYPES }).notNull(),
    status: text("status", { enum: TRANSFER_STATUSES }).notNull().default("PENDING"),
    from_user_id: text("from_user_id")
      .notNull()
      .references(() => users.id),
    to_user_id: text("to_user_id").references(() => users.id), // null until a recipient invited by email/phone accepts
    recipient_email: text("recipient_email"),
    recipient_phone: text("recipient_phone"),
    price: money("price"), // TRANSFER_SALE price paid by the recipient
    currency: text("currency", { enum: CURRENCY_VALUES }),
    payment_id: text("payment_id").references((): AnySQLiteColumn => payments.id),
    loan_return_at: timestamp("loan_return_at"),
    returned_at: timestamp("returned_at"),
    message: text("message"),
    reason: text("reason"),
    token_hash: text("token_hash"),
    expires_at: timestamp("expires_at"),
    completed_at: timestamp("completed_at"),
    metadata: json("metadata", transferMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("transfers_pending_right_unique").on(t.access_right_id).where(sql`${t.status} = 'PENDING'`),
    uniqueIndex("transfers_token_hash_unique").on(t.token_hash),
    index("transfers_right_idx").on(t.access_right_id, t.status),
    index("transfers_from_user_idx").on(t.from_user_id, t.created_at),
    index("transfers_to_user_idx").on(t.to_user_id, t.status),
    index("transfers_recipient_email_idx").on(t.recipient_email, t.status),
    index("transfers_expiry_idx").on(t.status, t.expires_at),
    index("transfers_loan_return_idx").on(t.transfer_type, t.status, t.loan_return_at),
    index("transfers_event_created_idx").on(t.event_id, t.created_at, t.id),
    index("transfers_created_idx").on(t.created_at, t.id),
    enumCheck("transfers", t.transfer_type, TRANSFER_TYPES),
    enumCheck("transfers", t.status, TRANSFER_STATUSES),
    enumCheck("transfers", t.currency, CURRENCY_VALUES),
    checkThat("transfers", "not_to_self", sql`${t.to_user_id} IS NULL OR ${t.to_user_id} <> ${t.from_user_id}`),
    checkThat("transfers", "recipient_known", sql`${t.to_user_id} IS NOT NULL OR ${t.recipient_email} IS NOT NULL OR ${t.recipient_phone} IS NOT NULL`),
    checkThat("transfers", "sale_has_price", sql`${t.transfer_type} <> 'TRANSFER_SALE' OR (${t.price} IS NOT NULL AND ${t.price} >= 0 AND ${t.currency} IS NOT NULL)`),
    checkThat("transfers", "price_has_currency", sql`${t.price} IS NULL OR ${t.currency} IS NOT NULL`),
    checkThat("transfers", "loan_has_return", sql`${t.transfer_type} <> 'TRANSFER_LOAN' OR ${t.loan_return_at} IS NOT NULL`),
    checkThat("transfers", "completed_has_new_right", sql`${t.status} NOT IN ('COMPLETED', 'RETURNED') OR ${t.new_access_right_id} IS NOT NULL`),
  ],
);

/** Per-event Ed25519 keys signing QR tokens; the private JWK is encrypted at rest. Retired keys still verify until the event ends. */
export const event_signing_keys = sqliteTable(
  "event_signing_keys",
  {
    id: id(),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    kid: text("kid").notNull(),
    public_jwk: json("public_jwk", publicJwkSchema).notNull(),
    private_jwk_encrypted: text("private_jwk_encrypted").notNull(),
    created_at: createdAt(),
    retired_at: timestamp("retired_at"),
  },
  (t) => [uniqueIndex("event_signing_keys_kid_unique").on(t.kid), index("event_signing_keys_event_idx").on(t.event_id, t.retired_at)],
);

/**
 * Which sign-in sessions opened gate or observer sockets on which events'
 * EventDOs. Written (guarded by the session being open) when the Worker
 * opens a socket; read when a session ends (logout, revocation,
 * deactivation), to tell exactly those objects to close its sockets, then
 * deleted. A session that simply expires leaves its rows until the session
 * row itself is purged (cascade).
 */
export const gate_socket_sessions = sqliteTable(
  "gate_socket_sessions",
  {
    session_id: text("session_id")
      .notNull()
      .references(() => auth_sessions.id, { onDelete: "cascade" }),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    opened_at: timestamp("opened_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.session_id, t.event_id] })],
);
