import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { bool, checkThat, createdAt, enumCheck, id, json, timestamp, updatedAt } from "../db/columns.ts";
import { LANGUAGES } from "../db/enums.ts";
import { users } from "../users/schema.ts";

export const SETTING_VALUE_TYPES = ["STRING", "INTEGER", "FLOAT", "BOOLEAN", "JSON"] as const;
export const AUDIT_ACTIONS = ["CREATE", "UPDATE", "DELETE", "LOGIN", "LOGOUT", "APPROVE", "REJECT", "PAYMENT", "REFUND", "EXPORT", "IMPORT", "CONFIG"] as const;
export const CONTACT_CATEGORIES = ["SUPPORT", "BILLING", "SUGGESTION", "COMPLAINT", "OTHER"] as const;
export const CONTACT_STATUSES = ["NEW", "IN_PROGRESS", "RESOLVED", "CLOSED"] as const;
export const FAQ_CATEGORIES = ["GENERAL", "ACCOUNT", "EVENTS", "PAYMENTS", "SUBSCRIPTIONS", "TECHNICAL"] as const;
export const SYSTEM_STATES = ["OPERATIONAL", "DEGRADED", "MAINTENANCE", "INCIDENT", "OFFLINE"] as const;
export const SYSTEM_SEVERITIES = ["INFO", "WARNING", "CRITICAL"] as const;

/** Snapshot of an object before or after an audited change (secrets removed by the writer). */
export const auditSnapshotSchema = z.record(z.string(), z.unknown());

/** SpotVibe `AppSettings`: key/value configuration; `value` is text parsed per value_type. */
export const app_settings = sqliteTable(
  "app_settings",
  {
    id: id(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    value_type: text("value_type", { enum: SETTING_VALUE_TYPES }).notNull().default("STRING"),
    description: text("description"),
    category: text("category").notNull().default("general"),
    is_editable: bool("is_editable").notNull().default(true), // editable from the admin dashboard
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("app_settings_key_unique").on(t.key),
    index("app_settings_category_idx").on(t.category),
    enumCheck("app_settings", t.value_type, SETTING_VALUE_TYPES),
  ],
);

/** SpotVibe `AuditLog`: the generic relation is object_type (table name) + object_id (its id as text). */
export const audit_log = sqliteTable(
  "audit_log",
  {
    id: id(),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    description: text("description").notNull().default(""),
    object_type: text("object_type"),
    object_id: text("object_id"),
    ip_address: text("ip_address"),
    user_agent: text("user_agent"),
    data_before: json("data_before", auditSnapshotSchema),
    data_after: json("data_after", auditSnapshotSchema),
    created_at: createdAt(),
  },
  (t) => [
    index("audit_log_object_idx").on(t.object_type, t.object_id, t.created_at),
    index("audit_log_user_idx").on(t.user_id, t.created_at),
    index("audit_log_action_idx").on(t.action, t.created_at),
    index("audit_log_created_idx").on(t.created_at),
    enumCheck("audit_log", t.action, AUDIT_ACTIONS),
    checkThat("audit_log", "object_ref_complete", sql`(${t.object_type} IS NULL) = (${t.object_id} IS NULL)`),
  ],
);

/** SpotVibe `ContactMessage`: messages to the team, from visitors or signed-in users. */
export const contact_messages = sqliteTable(
  "contact_messages",
  {
    id: id(),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    email: text("email").notNull(),
    phone: text("phone"),
    category: text("category", { enum: CONTACT_CATEGORIES }).notNull(),
    subject: text("subject").notNull(),
    message: text("message").notNull(),
    status: text("status", { enum: CONTACT_STATUSES }).notNull().default("NEW"),
    assigned_to: text("assigned_to").references(() => users.id, { onDelete: "set null" }),
    response: text("response"),
    ip_address: text("ip_address"),
    created_at: createdAt(),
    updated_at: updatedAt(),
    handled_at: timestamp("handled_at"), // first taken in charge
    resolved_at: timestamp("resolved_at"),
  },
  (t) => [
    index("contact_messages_status_idx").on(t.status, t.created_at),
    index("contact_messages_assigned_idx").on(t.assigned_to, t.status),
    index("contact_messages_user_idx").on(t.user_id, t.created_at),
    index("contact_messages_email_idx").on(t.email, t.created_at),
    enumCheck("contact_messages", t.category, CONTACT_CATEGORIES),
    enumCheck("contact_messages", t.status, CONTACT_STATUSES),
  ],
);

/** SpotVibe `FAQ`; one row per language of a question. Vote counters are kept in step with faq_votes. */
export const faqs = sqliteTable(
  "faqs",
  {
    id: id(),
    question: text("question").notNull(),
    answer: text("answer").notNull(),
    category: text("category", { enum: FAQ_CATEGORIES }).notNull().default("GENERAL"),
    language: text("language", { enum: LANGUAGES }).notNull().default("fr"),
    display_order: integer("display_order").notNull().default(0),
    is_active: bool("is_active").notNull().default(true),
    view_count: integer("view_count").notNull().default(0),
    helpful_yes_count: integer("helpful_yes_count").notNull().default(0),
    helpful_no_count: integer("helpful_no_count").notNull().default(0),
    created_by: text("created_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("faqs_listing_idx").on(t.is_active, t.language, t.category, t.display_order),
    enumCheck("faqs", t.category, FAQ_CATEGORIES),
    enumCheck("faqs", t.language, LANGUAGES),
    checkThat(
      "faqs",
      "counters_non_negative",
      sql`${t.display_order} >= 0 AND ${t.view_count} >= 0 AND ${t.helpful_yes_count} >= 0 AND ${t.helpful_no_count} >= 0`,
    ),
  ],
);

/** One helpful / not-helpful vote per person and FAQ; voter_key is "u:<user id>" or "f:<fingerprint digest>". */
export const faq_votes = sqliteTable(
  "faq_votes",
  {
    id: id(),
    faq_id: text("faq_id")
      .notNull()
      .references(() => faqs.id, { onDelete: "cascade" }),
    voter_key: text("voter_key").notNull(),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    is_helpful: bool("is_helpful").notNull(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [uniqueIndex("faq_votes_faq_voter_unique").on(t.faq_id, t.voter_key), index("faq_votes_user_idx").on(t.user_id)],
);

/** SpotVibe `SystemStatus`: incidents and maintenance windows, optionally shown as a banner or blocking the app. */
export const system_statuses = sqliteTable(
  "system_statuses",
  {
    id: id(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    status: text("status", { enum: SYSTEM_STATES }).notNull(),
    severity: text("severity", { enum: SYSTEM_SEVERITIES }).notNull().default("INFO"),
    starts_at: timestamp("starts_at").notNull(),
    expected_end_at: timestamp("expected_end_at"),
    ended_at: timestamp("ended_at"),
    show_banner: bool("show_banner").notNull().default(false),
    block_access: bool("block_access").notNull().default(false),
    created_by: text("created_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("system_statuses_current_idx").on(t.ended_at, t.starts_at),
    index("system_statuses_status_idx").on(t.status, t.starts_at),
    enumCheck("system_statuses", t.status, SYSTEM_STATES),
    enumCheck("system_statuses", t.severity, SYSTEM_SEVERITIES),
    checkThat("system_statuses", "expected_end_after_start", sql`${t.expected_end_at} IS NULL OR ${t.expected_end_at} >= ${t.starts_at}`),
    checkThat("system_statuses", "end_after_start", sql`${t.ended_at} IS NULL OR ${t.ended_at} >= ${t.starts_at}`),
  ],
);

/** Messages a queue gave up on (after its retries), kept for an admin to inspect and replay (src/site/dead-letters.ts). */
export const dead_letters = sqliteTable(
  "dead_letters",
  {
    id: id(),
    queue: text("queue").notNull(), // the queue the message failed on
    message_id: text("message_id").notNull(),
    body: json("body", z.unknown()),
    attempts: integer("attempts").notNull(),
    received_at: createdAt(),
    replayed_at: timestamp("replayed_at"),
  },
  (t) => [uniqueIndex("dead_letters_queue_message_unique").on(t.queue, t.message_id), index("dead_letters_received_idx").on(t.received_at)],
);

/**
 * `Idempotency-Key` on POSTs that create payments or transfers: the first
 * request with a key runs and its response is stored; a retry with the same
 * key and the same request gets that response again (`Idempotent-Replayed:
 * true`) instead of a second one. Keys are scoped to the caller and kept 24
 * hours (src/site/idempotency.ts). Orders keep theirs in their event's EventDO
 * instead (src/orders/service.ts), so that placing one needs no D1 round trip.
 */
export const idempotency_keys = sqliteTable(
  "idempotency_keys",
  {
    id: id(),
    scope: text("scope").notNull(), // `user:<id>`, or `anon:<ip>` for guest purchases
    key: text("key").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    request_hash: text("request_hash").notNull(), // SHA-256 of method, path and body
    response_status: integer("response_status"), // null while the first request is in flight
    response_body: text("response_body"),
    response_content_type: text("response_content_type"),
    response_location: text("response_location"),
    created_at: createdAt(),
    expires_at: timestamp("expires_at").notNull(),
  },
  (t) => [uniqueIndex("idempotency_keys_scope_key_unique").on(t.scope, t.key), index("idempotency_keys_expiry_idx").on(t.expires_at)],
);
