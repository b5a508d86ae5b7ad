import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { NOW_SQL, bool, checkThat, createdAt, enumCheck, id, json, timestamp, updatedAt } from "../db/columns.ts";
import { LANGUAGES } from "../db/enums.ts";
import { users } from "../users/schema.ts";

export const CHANNELS = ["EMAIL", "PUSH", "SMS", "IN_APP"] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Where a delivery stands. PENDING: waiting for the consumer; SENDING: claimed
 * by one consumer (at most one provider call per row); SCHEDULED: held until
 * `send_after` (quiet hours); HELD: waiting for the recipient's digest, then
 * DIGESTED into it; SENT: accepted by the provider; DELIVERED, FAILED and
 * BOUNCED as the provider reports them; SKIPPED: not sent, on purpose
 * (opted out, no address or device, suppressed address, cancelled campaign).
 */
export const DELIVERY_STATUSES = ["PENDING", "SENDING", "SCHEDULED", "HELD", "SENT", "DELIVERED", "FAILED", "BOUNCED", "SKIPPED", "DIGESTED"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DIGEST_FREQUENCIES = ["DAILY", "WEEKLY"] as const;

/**
 * Every kind of message the platform sends: SpotVibe's sixteen types first,
 * then the account, ticketing and platform messages the two specifications'
 * flows need. Each has its default templates (templates.ts) and its rules
 * (types.ts).
 */
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
  "EMAIL_CODE_SIGNUP",
  "EMAIL_CODE_EMAIL_CHANGE",
  "EMAIL_CODE_REACTIVATION",
  "ACCOUNT_CLAIM",
  "ORGANIZATION_INVITATION",
  "TWO_FACTOR_CODE",
  "PASSWORD_RESET",
  "SECURITY_ALERT",
  "CONTACT_REPLY",
  "TICKETS_READY",
  "ACCESS_GRANTED",
  "TICKET_TRANSFERRED",
  "TRANSFER_OFFER",
  "TRANSFER_ACCEPTED",
  "TRANSFER_DECLINED",
  "LOAN_RETURNED",
  "ZONE_CHANGED",
  "REFUND_COMPLETED",
  "REFUND_REJECTED",
  "ANNOUNCEMENT",
  "DIGEST",
  "EVENT_CANCELLED_BUYER",
  "EVENT_CANCELLED_HOLDER",
  "EVENT_CANCELLED_PASS",
  "WAITLIST_OFFER",
  "PASS_RENEWAL_REQUESTED",
  "PASS_RENEWAL_RETRY",
  "PASS_RENEWAL_FAILED",
  "PASS_TRANSFERRED_OUT",
  "PASS_TRANSFERRED_IN",
  "PASS_INSTALMENT_DUE",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export const NOTIFICATION_PRIORITIES = ["LOW", "NORMAL", "HIGH", "URGENT"] as const;
export const NOTIFICATION_STATUSES = ["PENDING", "SENT", "DELIVERED", "READ", "FAILED"] as const;
export const NOTIFICATION_FREQUENCIES = ["IMMEDIATE", "DAILY", "WEEKLY", "NEVER"] as const;
export const PUSH_PLATFORMS = ["ANDROID", "IOS", "WEB"] as const;
export const BATCH_STATUSES = ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"] as const;
export const SUPPRESSION_REASONS = ["HARD_BOUNCE", "COMPLAINT", "INVALID_ADDRESS", "UNSUBSCRIBED_AT_PROVIDER"] as const;

/** A value a template can show: text, or money and instants that are formatted in the reader's language. */
export const messageValueSchema = z.union([
  z.string(),
  z.number(),
  z.object({ amount: z.number().int(), currency: z.enum(["XOF", "TND", "EUR", "USD"]) }).strict(),
  z.object({ at: z.string(), time_zone: z.string() }).strict(), // an IANA zone, or "reader": the recipient's own
  z.array(z.object({ title: z.string(), body: z.string() }).strict()),
]);
export type MessageValue = z.infer<typeof messageValueSchema>;
export const messageDataSchema = z.record(z.string(), messageValueSchema);
export type MessageData = z.infer<typeof messageDataSchema>;

/** The tickets a message carries (QR codes inline, the holder's link): rights of one event, by order, source or id. */
export const ticketRefSchema = z
  .object({ event_id: z.string(), order_id: z.string().optional(), source_id: z.string().optional(), right_ids: z.array(z.string()).optional() })
  .strict();
export type TicketRef = z.infer<typeof ticketRefSchema>;

/**
 * Every message to one recipient on one channel, one row per (dedupe key,
 * channel, recipient): written by the producer before the queue message that
 * names it (an outbox), claimed by one consumer, updated with what the
 * provider said. Rendered content is kept for the record.
 */
export const message_deliveries = sqliteTable(
  "message_deliveries",
  {
    id: id(),
    dedupe_key: text("dedupe_key").notNull(),
    channel: text("channel", { enum: CHANNELS }).notNull(),
    recipient: text("recipient").notNull(), // email address, E.164 phone, or the user id (PUSH, IN_APP)
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    notification_type: text("notification_type", { enum: NOTIFICATION_TYPES }).notNull(),
    language: text("language", { enum: LANGUAGES }).notNull(),
    data: json("data", messageDataSchema),
    tickets: json("tickets", ticketRefSchema),
    priority: text("priority", { enum: NOTIFICATION_PRIORITIES }).notNull().default("NORMAL"),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("PENDING"),
    subject: text("subject"),
    body: text("body"),
    provider: text("provider"),
    provider_message_id: text("provider_message_id"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    sent_to: json("sent_to", z.array(z.string())), // PUSH: the device tokens already sent to, never sent again on a retry
    send_after: timestamp("send_after"),
    claimed_until: timestamp("claimed_until"),
    dead_lettered_at: timestamp("dead_lettered_at"), // FAILED after the queue's last retry; a replay of its message takes it again
    batch_id: text("batch_id").references(() => notification_batches.id, { onDelete: "set null" }),
    digest_frequency: text("digest_frequency", { enum: DIGEST_FREQUENCIES }),
    digest_id: text("digest_id"),
    created_at: createdAt(),
    updated_at: updatedAt(),
    sent_at: timestamp("sent_at"),
    delivered_at: timestamp("delivered_at"),
  },
  (t) => [
    uniqueIndex("message_deliveries_dedupe_unique").on(t.dedupe_key, t.channel, t.recipient),
    index("message_deliveries_recipient_idx").on(t.recipient, t.created_at),
    index("message_deliveries_user_idx").on(t.user_id, t.created_at),
    index("message_deliveries_status_idx").on(t.status, t.send_after),
    index("message_deliveries_provider_idx").on(t.provider_message_id),
    index("message_deliveries_held_idx").on(t.status, t.user_id, t.channel),
    index("message_deliveries_batch_idx").on(t.batch_id, t.status),
    index("message_deliveries_digest_idx").on(t.digest_id),
    enumCheck("message_deliveries", t.channel, CHANNELS),
    enumCheck("message_deliveries", t.status, DELIVERY_STATUSES),
    enumCheck("message_deliveries", t.notification_type, NOTIFICATION_TYPES),
    enumCheck("message_deliveries", t.language, LANGUAGES),
    enumCheck("message_deliveries", t.priority, NOTIFICATION_PRIORITIES),
    checkThat("message_deliveries", "digest_frequency_valid", sql`${t.digest_frequency} IS NULL OR ${t.digest_frequency} IN ('DAILY', 'WEEKLY')`),
  ],
);

/**
 * Addresses a provider said never to write to again (a hard bounce, a spam
 * complaint, a number that is not a mobile): every later message to them is
 * SKIPPED, transactional ones included.
 */
export const notification_suppressions = sqliteTable(
  "notification_suppressions",
  {
    channel: text("channel", { enum: CHANNELS }).notNull(),
    address: text("address").notNull(),
    reason: text("reason", { enum: SUPPRESSION_REASONS }).notNull(),
    detail: text("detail"),
    created_at: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.address] }), enumCheck("notification_suppressions", t.reason, SUPPRESSION_REASONS)],
);

/** A person's notification settings that are not per type: their time zone (for send times and quiet hours) and quiet hours. */
export const notification_settings = sqliteTable(
  "notification_settings",
  {
    user_id: text("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    time_zone: text("time_zone").notNull().default("Africa/Porto-Novo"),
    quiet_hours_start: text("quiet_hours_start"), // HH:MM in time_zone; push and SMS wait until the end
    quiet_hours_end: text("quiet_hours_end"),
    updated_at: updatedAt(),
  },
  (t) => [
    checkThat(
      "notification_settings",
      "quiet_hours_format",
      sql`(${t.quiet_hours_start} IS NULL AND ${t.quiet_hours_end} IS NULL) OR (${t.quiet_hours_start} GLOB '[0-2][0-9]:[0-5][0-9]' AND ${t.quiet_hours_end} GLOB '[0-2][0-9]:[0-5][0-9]' AND ${t.quiet_hours_start} < '24:00' AND ${t.quiet_hours_end} < '24:00')`,
    ),
  ],
);

export const activeChannelsSchema = z.array(z.enum(CHANNELS));
export const templateVariablesSchema = z.array(z.string().min(1)); // ["user_name", "event_title"]
export const notificationDataSchema = z.record(z.string(), z.unknown());

/** Who a campaign reaches (campaigns.ts validates it against its creator's rights). */
export const targetingCriteriaSchema = z
  .object({
    audience: z.enum(["ALL_USERS", "EVENT_HOLDERS", "EVENT_PARTICIPANTS", "EVENT_ATTENDEES", "FOLLOWERS", "PASS_HOLDERS"]),
    event_id: z.string().optional(),
    plan_id: z.string().optional(),
    followed_id: z.string().optional(), // FOLLOWERS: whose followers (an organizer's own, for organizers)
    city: z.string().optional(),
    category_id: z.string().optional(),
    language: z.enum(LANGUAGES).optional(),
    user_group_id: z.string().optional(),
    role: z.enum(["USER", "ORGANIZER", "CONTROLLER", "ADMIN"]).optional(),
  })
  .strict();
export type TargetingCriteria = z.infer<typeof targetingCriteriaSchema>;

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
    language: text("language", { enum: LANGUAGES }),
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
    dedupe_key: text("dedupe_key"), // fan-outs the platform starts (reminders, followers): once per key
    template_id: text("template_id")
      .notNull()
      .references(() => notification_templates.id),
    notification_type: text("notification_type", { enum: NOTIFICATION_TYPES }).notNull(),
    channels: json("channels", activeChannelsSchema).notNull(),
    data: json("data", messageDataSchema).notNull(),
    targeting_criteria: json("targeting_criteria", targetingCriteriaSchema).notNull(),
    scheduled_at: timestamp("scheduled_at"),
    status: text("status", { enum: BATCH_STATUSES }).notNull().default("SCHEDULED"),
    recipient_count: integer("recipient_count").notNull().default(0),
    sent_count: integer("sent_count").notNull().default(0),
    delivered_count: integer("delivered_count").notNull().default(0),
    read_count: integer("read_count").notNull().default(0),
    failed_count: integer("failed_count").notNull().default(0),
    skipped_count: integer("skipped_count").notNull().default(0),
    expand_cursor: text("expand_cursor"), // last user id added to the recipients; null once every one is
    expanded_at: timestamp("expanded_at"),
    release_cursor: text("release_cursor"), // last recipient whose messages were queued
    step: integer("step").notNull().default(0), // the campaign's next step; a step runs once (guarded)
    created_by: text("created_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
    started_at: timestamp("started_at"),
    finished_at: timestamp("finished_at"),
  },
  (t) => [
    uniqueIndex("notification_batches_dedupe_unique").on(t.dedupe_key),
    index("notification_batches_due_idx").on(t.status, t.scheduled_at),
    index("notification_batches_created_by_idx").on(t.created_by, t.created_at),
    enumCheck("notification_batches", t.status, BATCH_STATUSES),
    enumCheck("notification_batches", t.notification_type, NOTIFICATION_TYPES),
    checkThat(
      "notification_batches",
      "counters_non_negative",
      sql`${t.recipient_count} >= 0 AND ${t.sent_count} >= 0 AND ${t.delivered_count} >= 0 AND ${t.read_count} >= 0 AND ${t.failed_count} >= 0 AND ${t.skipped_count} >= 0`,
    ),
  ],
);

/** SpotVibe `NotificationBatch.destinataires` (many-to-many): PENDING until its messages are queued (SENT); their outcomes are in message_deliveries. */
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
