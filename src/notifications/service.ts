import { inArray, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import { users } from "../users/schema.ts";
import { DELIVER_IDS_PER_MESSAGE, type QueueMessage } from "./messages.ts";
import { type Channel, message_deliveries, type MessageData, type NotificationType, type TicketRef } from "./schema.ts";
import { TYPE_RULES } from "./types.ts";

export type Language = "fr" | "ar" | "en";

/**
 * One message to one person, on one or more channels.
 * - `key` names the fact that caused it (a payment, a decision, a code): each
 *   (key, channel, recipient) is sent at most once, however often this is
 *   called or the queue redelivers;
 * - `user_id`: the account it is for. Email goes to `email` when given (a new
 *   address to confirm, a visitor), else to the account's; SMS to `phone`,
 *   else the account's number; PUSH to the account's devices; IN_APP to its inbox;
 * - `channels`: by default the type's own (types.ts).
 */
export interface Outgoing {
  type: NotificationType;
  key: string;
  user_id?: string | null;
  email?: string;
  phone?: string;
  language?: Language;
  channels?: readonly Channel[];
  data?: MessageData;
  tickets?: TicketRef;
  priority?: "LOW" | "NORMAL" | "HIGH" | "URGENT";
  batch_id?: string;
}

interface Row {
  id: string;
  dedupe_key: string;
  channel: Channel;
  recipient: string;
  user_id: string | null;
  notification_type: NotificationType;
  language: Language;
  data: string | null;
  tickets: string | null;
  priority: string;
  batch_id: string | null;
}

/**
 * Records each message's deliveries (message_deliveries, PENDING: an outbox)
 * and queues them. A delivery already recorded for the same key, channel and
 * recipient is not recorded or queued again. If the queue cannot be reached
 * the rows wait in D1 and the notifications cron queues them (cron.ts).
 */
export async function notify(env: Env, messages: readonly Outgoing[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const db = getDb(env.DB);
  const accountIds = [...new Set(messages.map((m) => m.user_id).filter((id): id is string => Boolean(id)))];
  const accounts = new Map<string, { email: string; phone: string | null; language: Language }>();
  for (let i = 0; i < accountIds.length; i += 90) {
    const chunk = accountIds.slice(i, i + 90);
    for (const a of await db.select({ id: users.id, email: users.email, phone: users.phone, language: users.language }).from(users).where(inArray(users.id, chunk))) {
      accounts.set(a.id, a);
    }
  }
  const rows: Row[] = [];
  for (const m of messages) {
    const account = m.user_id ? accounts.get(m.user_id) : undefined;
    if (m.user_id && !account) continue; // the account is gone
    const language = m.language ?? account?.language ?? "fr";
    for (const channel of m.channels ?? TYPE_RULES[m.type].channels) {
      const recipient =
        channel === "EMAIL" ? (m.email ?? account?.email) : channel === "SMS" ? (m.phone ?? account?.phone ?? undefined) : (m.user_id ?? undefined);
      if (!recipient) continue; // no address on this channel: nothing to send there
      rows.push({
        id: newId(),
        dedupe_key: m.key,
        channel,
        recipient,
        user_id: m.user_id ?? null,
        notification_type: m.type,
        language,
        data: m.data ? JSON.stringify(m.data) : null,
        tickets: m.tickets ? JSON.stringify(m.tickets) : null,
        priority: m.priority ?? TYPE_RULES[m.type].priority,
        batch_id: m.batch_id ?? null,
      });
    }
  }
  const inserted = await recordDeliveries(env, rows);
  await enqueueDeliveries(env, inserted);
  return inserted;
}

/** Inserts deliveries as one JSON array per statement (D1 binds at most 100 values); returns the ids of the new ones. */
async function recordDeliveries(env: Env, rows: Row[]): Promise<string[]> {
  const d = message_deliveries;
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = JSON.stringify(rows.slice(i, i + 500));
    const field = (name: keyof Row) => sql.raw(`json_extract(j.value, '$.${name}')`);
    const statement = sql`INSERT INTO ${d} (id, dedupe_key, channel, recipient, user_id, notification_type, language, data, tickets, priority, batch_id)
      SELECT ${field("id")}, ${field("dedupe_key")}, ${field("channel")}, ${field("recipient")}, ${field("user_id")}, ${field("notification_type")},
             ${field("language")}, ${field("data")}, ${field("tickets")}, ${field("priority")}, ${field("batch_id")}
      FROM json_each(${chunk}) AS j WHERE true
      ON CONFLICT (dedupe_key, channel, recipient) DO NOTHING
      RETURNING id`;
    const result = await getDb(env.DB).all<{ id: string }>(statement);
    ids.push(...result.map((r) => r.id));
  }
  return ids;
}

/** Queues deliveries by id, a few per message; a failure is logged and left to the cron, which queues PENDING rows again. */
export async function enqueueDeliveries(env: Env, ids: readonly string[], delaySeconds = 0): Promise<void> {
  const messages: MessageSendRequest<QueueMessage>[] = [];
  for (let i = 0; i < ids.length; i += DELIVER_IDS_PER_MESSAGE) {
    messages.push({ body: { kind: "deliver", ids: ids.slice(i, i + DELIVER_IDS_PER_MESSAGE) }, ...(delaySeconds ? { delaySeconds } : {}) });
  }
  try {
    for (let i = 0; i < messages.length; i += 100) await env.NOTIFICATIONS.sendBatch(messages.slice(i, i + 100));
  } catch (error) {
    console.error("notifications: could not queue deliveries; the cron will", error);
  }
}

/** The usual message to an account (its default channels, its language), once per `key`. */
export async function notifyUser(
  env: Env,
  userId: string,
  type: NotificationType,
  data: MessageData,
  key: string,
  extra: Pick<Outgoing, "tickets" | "channels"> = {},
): Promise<void> {
  await notify(env, [{ type, key, user_id: userId, data, ...extra }]);
}
