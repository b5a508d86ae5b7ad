import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { createdAt, enumCheck, id, json, timestamp } from "../db/columns.ts";
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
