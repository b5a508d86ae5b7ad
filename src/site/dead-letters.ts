import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { createdAt, id, json, timestamp } from "../db/columns.ts";
import { newId } from "../lib/ids.ts";

/** Messages a queue gave up on (after its retries), kept for an admin to inspect and replay. */
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

/** Consumer of a dead-letter queue: records each message once. */
export async function recordDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const queue = batch.queue.replace(/-dlq$/, "");
  const db = getDb(env.DB);
  for (const message of batch.messages) {
    await db
      .insert(dead_letters)
      .values({ id: newId(), queue, message_id: message.id, body: message.body, attempts: message.attempts })
      .onConflictDoNothing();
    message.ack();
  }
}
