import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import type { QueueMessage } from "./messages.ts";
import { message_deliveries } from "./schema.ts";
import { renderTemplate } from "./templates.ts";

/**
 * Consumer of the `notifications` queue. Delivery is at-least-once, so each
 * message is recorded once per dedupe key (unique index, insert-or-ignore);
 * a failing message is retried by the queue and ends in the dead-letter queue.
 * Channel delivery (email, SMS, push) plugs in after the record.
 */
export async function consumeNotifications(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  for (const message of batch.messages) {
    try {
      const body = message.body;
      const text = renderTemplate(body.template, body.language, body.data);
      await db
        .insert(message_deliveries)
        .values({
          id: newId(),
          dedupe_key: body.dedupe_key,
          channel: body.channel,
          recipient: body.recipient,
          user_id: body.user_id,
          notification_type: body.template,
          language: body.language,
          subject: text.subject,
          body: text.body,
          data: body.data,
          attempts: message.attempts,
        })
        .onConflictDoNothing({ target: message_deliveries.dedupe_key });
      message.ack();
    } catch (error) {
      console.error("notification failed", message.id, error);
      message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    }
  }
}
