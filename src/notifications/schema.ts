import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { NOW_SQL, bool, checkThat, createdAt, enumCheck, id, json, timestamp, updatedAt } from "../db/columns.ts";
import { LANGUAGES } from "../db/enums.ts";
import { users } from "../users/schema.ts";

export const CHANNELS = ["EMAIL", "PUSH", "SMS", "IN_APP"] as const;
export const DELIVERY_STATUSES = ["PENDING", "SENT", "DELIVERED", "FAILED"] as const;

/**
 * Every message the notifications queue handled, one row per (dedupe key):
 * the queue is at-least-once, this table makes its consumer idempotent and is
 * where local dev and tests read the codes that were "sent".
 */
export const message_deliveries = sqliteTable(
  "message_deliveries",
  {
    id: id(),
    dedupe_key: text("dedupe_key").notNull(),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    recipient: text("recipient").notNull(), // email address, E.164 phone, push token or user id
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    notification_type: text("notification_type").notNull(),
    language: text("language").notNull(),
    subject: text("subject"),
    body: text("body").notNull(),
    data: json("data", z.record(z.string(), z.unknown())),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("PENDING"),
    provider_message_id: text("provider_message_id"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    created_at: createdAt(),
    sent_at: timestamp("sent_at"),
  },
  (t) => [
    uniqueIndex("message_deliveries_dedupe_unique").on(t.dedupe_key),
    index("message_deliveries_recipient_idx").on(t.recipient, t.created_at),
    index("message_deliveries_user_idx").on(t.user_id, t.created_at),
    enumCheck("message_deliveries", t.channel, CHANNELS),
    enumCheck("message_deliveries", t.status, DELIVERY_STATUSES),
  ],
);

/** SpotVibe's notification types, plus the ticketing ones Entrix flows send (transfers, zone changes, refunds). */
export const NOTIFICATION_TYPES = [
  "EVENT_CREATED",
  "EVENT_APPROVED",
  "EVENT_REJECTED",
  "EVENT_REMINDER",
  "EVENT_CANCELLED",
  "NEW_FOLLOWER",
  "FOLLOW_EVENT",
  "PAYMENT_SUCCESS",
  "PAYMENT_FAILED",
  "SUBSCRIPTION_EXPIRING",
  "SUBSCRIPTION_EXPIRED",
  "TICKET_PURCHASED",
  "VERIFICATION_APPROVED",
  "VERIFICATION_REJECTED",
  "SYSTEM_MAINTENANCE",
  "WELCOME",
  "TICKET_TRANSFERRED",
  "ZONE_CHANGED",
  "REFUND_PROCESSED",
] as const;
export const NOTIFICATION_PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"] as const;
export const NOTIFICATION_STATUSES = ["PENDING", "SENT", "DELIVERED", "READ", "FAILED"] as const;
export const NOTIFICATION_FREQUENCIES = ["IMMEDIATE", "DAILY", "WEEKLY", "NEVER"] as const;
export const PUSH_PLATFORMS = ["ANDROID", "IOS", "WEB"] as const;
export const BATCH_STATUSES = ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"] as const;

export const activeChannelsSchema = z.array(z.enum(CHANNELS));
export const templateVariablesSchema = z.array(z.string().min(1)); // ["user_name", "event_title"]
export const notificationDataSchema = z.record(z.string(), z.unknown());
export const targetingCriteriaSchema = z.record(z.string(), z.unknown());

/** SpotVibe `NotificationTemplate`, one row per type and language (fr first, ar, en). */
export const notification_templates = sqliteTable(
  "notification_templates",
  {
    id: id(),
    notification_type: text("notification_type", { enum: NOTIFICATION_TYPES }).notNull(),
    language: text("language", { enum: LANGUAGES }).notNull(),
    name: text("name").notNull(),
    description: text("description"),
    email_subject: text("email_subject"),
    email_body_html: text("email_body_html"),
    push_title: text("push_title"),
    push_body: text("push_body"),
    sms_body: text("sms_body"),
    in_app_body: text("in_app_body"),
    active_channels: json("active_channels", activeChannelsSchema).notNull(),
    available_variables: json("available_variables", templateVariablesSchema),
    is_active: bool("is_active").notNull().default(true),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("notification_templates_type_language_unique").on(t.notification_type, t.language),
    enumCheck("notification_templates", t.notification_type, NOTIFICATION_TYPES),
    enumCheck("notification_templates", t.language, LANGUAGES),
    checkThat("notification_templates", "sms_body_length", sql`${t.sms_body} IS NULL OR length(${t.sms_body}) <= 160`),
  ],
);

/** SpotVibe `Notification`: one in-app notification; the generic relation is object_type + object_id. */
export const notifications = sqliteTable(
  "notifications",
  {
    id: id(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    notification_type: text("notification_type", { enum: NOTIFICATION_TYPES }).notNull(),
    title: text("title").notNull(),
    message: text("message").notNull(),
    object_type: text("object_type"),
    object_id: text("object_id"),
    priority: text("priority", { enum: NOTIFICATION_PRIORITIES }).notNull().default("NORMAL"),
    status: text("status", { enum: NOTIFICATION_STATUSES }).notNull().default("PENDING"),
    action_url: text("action_url"),
    data: json("data", notificationDataSchema),
    batch_id: text("batch_id").references(() => notification_batches.id, { onDelete: "set null" }),
    dedupe_key: text("dedupe_key"), // set by queue consumers so a redelivered message creates one row
    created_at: createdAt(),
    sent_at: timestamp("sent_at"),
    read_at: timestamp("read_at"),
    expires_at: timestamp("expires_at"),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_unique").on(t.dedupe_key),
    index("notifications_user_idx").on(t.user_id, t.created_at),
    index("notifications_user_unread_idx").on(t.user_id, t.read_at),
    index("notifications_status_idx").on(t.status, t.created_at),
    index("notifications_batch_idx").on(t.batch_id),
    index("notifications_object_idx").on(t.object_type, t.object_id),
    enumCheck("notifications", t.notification_type, NOTIFICATION_TYPES),
    enumCheck("notifications", t.priority, NOTIFICATION_PRIORITIES),
    enumCheck("notifications", t.status, NOTIFICATION_STATUSES),
  ],
);

/** SpotVibe `NotificationPreference`: per user, type and channel; send_time is HH:MM for DAILY/WEEKLY digests. */
export const notification_preferences = sqliteTable(
  "notification_preferences",
  {
    id: id(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    notification_type: text("notification_type", { enum: NOTIFICATION_TYPES }).notNull(),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    is_enabled: bool("is_enabled").notNull().default(true),
    frequency: text("frequency", { enum: NOTIFICATION_FREQUENCIES }).notNull().default("IMMEDIATE"),
    send_time: text("send_time"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("notification_preferences_user_type_channel_unique").on(t.user_id, t.notification_type, t.channel),
    index("notification_preferences_digest_idx").on(t.frequency, t.send_time),
    enumCheck("notification_preferences", t.notification_type, NOTIFICATION_TYPES),
    enumCheck("notification_preferences", t.channel, CHANNELS),
    enumCheck("notification_preferences", t.frequency, NOTIFICATION_FREQUENCIES),
    checkThat(
      "notification_preferences",
      "send_time_format",
      sql`${t.send_time} IS NULL OR (${t.send_time} GLOB '[0-2][0-9]:[0-5][0-9]' AND ${t.send_time} < '24:00')`,
    ),
  ],
);

/** SpotVibe `PushToken`: device tokens for push; counters feed delivery-rate checks. */
export const push_tokens = sqliteTable(
  "push_tokens",
  {
    id: id(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    token: text("token").notNull(),
    platform: text("platform", { enum: PUSH_PLATFORMS }).notNull(),
    device_name: text("device_name"),
    app_version: text("app_version"),
    os_version: text("os_version"),
    is_active: bool("is_active").notNull().default(true),
    last_used_at: timestamp("last_used_at"),
    sent_count: integer("sent_count").notNull().default(0),
    delivered_count: integer("delivered_count").notNull().default(0),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("push_tokens_token_unique").on(t.token),
    index("push_tokens_user_idx").on(t.user_id, t.is_active),
    enumCheck("push_tokens", t.platform, PUSH_PLATFORMS),
    checkThat("push_tokens", "counters_non_negative", sql`${t.sent_count} >= 0 AND ${t.delivered_count} >= 0`),
  ],
);

/** SpotVibe `NotificationBatch`: a campaign sent from a template to targeted users, possibly scheduled. */
export const notification_batches = sqliteTable(
  "notification_batches",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description"),
    template_id: text("template_id")
      .notNull()
      .references(() => notification_templates.id),
    targeting_criteria: json("targeting_criteria", targetingCriteriaSchema),
    scheduled_at: timestamp("scheduled_at"),
    status: text("status", { enum: BATCH_STATUSES }).notNull().default("SCHEDULED"),
    recipient_count: integer("recipient_count").notNull().default(0),
    sent_count: integer("sent_count").notNull().default(0),
    delivered_count: integer("delivered_count").notNull().default(0),
    read_count: integer("read_count").notNull().default(0),
    created_by: text("created_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
    started_at: timestamp("started_at"),
    finished_at: timestamp("finished_at"),
  },
  (t) => [
    index("notification_batches_due_idx").on(t.status, t.scheduled_at),
    index("notification_batches_created_by_idx").on(t.created_by, t.created_at),
    enumCheck("notification_batches", t.status, BATCH_STATUSES),
    checkThat(
      "notification_batches",
      "counters_non_negative",
      sql`${t.recipient_count} >= 0 AND ${t.sent_count} >= 0 AND ${t.delivered_count} >= 0 AND ${t.read_count} >= 0`,
    ),
  ],
);

/** SpotVibe `NotificationBatch.destinataires` (many-to-many), with each recipient's progress. */
export const notification_batch_recipients = sqliteTable(
  "notification_batch_recipients",
  {
    batch_id: text("batch_id")
      .notNull()
      .references(() => notification_batches.id, { onDelete: "cascade" }),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("PENDING"),
    notification_id: text("notification_id").references(() => notifications.id, { onDelete: "set null" }),
    added_at: timestamp("added_at").notNull().default(NOW_SQL),
    sent_at: timestamp("sent_at"),
  },
  (t) => [
    primaryKey({ columns: [t.batch_id, t.user_id] }),
    index("notification_batch_recipients_user_idx").on(t.user_id),
    index("notification_batch_recipients_pending_idx").on(t.batch_id, t.status),
    enumCheck("notification_batch_recipients", t.status, DELIVERY_STATUSES),
  ],
);
