import { and, eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { now } from "../lib/time.ts";
import { recordDeadLetters } from "../site/dead-letters.ts";
import { runCampaignStep } from "./campaigns.ts";
import { deliver, type DeliveryOutcome, inJson } from "./deliver.ts";
import { runEventCancelledStep } from "./event-cancellation.ts";
import type { QueueMessage } from "./messages.ts";
import { message_deliveries } from "./schema.ts";

/**
 * Provider calls and D1 statements one invocation may make before the rest of
 * its batch is handed back to the queue: well inside the Workers limit of
 * subrequests per invocation, whatever the batch holds.
 */
const SUBREQUEST_BUDGET = 900;
/** A delivery costs its provider call and its outcome write (a push one more, its device's counter); the claim and reads are a few per batch. */
const COST_PER_DELIVERY = 3;

/**
 * Consumer of the `notifications` queue. Each message names deliveries
 * recorded in D1 (or a campaign step); every delivery is sent at most once
 * (deliver.ts claims it), so a redelivered or duplicated message sends
 * nothing twice. A message whose deliveries a provider could not take now
 * (429, 5xx, timeout) is retried with exponential delay; after the queue's
 * last retry it goes to `notifications-dlq`.
 */
export async function consumeNotifications(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
  let spent = 0;
  const deliveries: { message: Message<QueueMessage>; ids: string[] }[] = [];
  for (const message of batch.messages) {
    if (spent >= SUBREQUEST_BUDGET) {
      // Handed back as a new message, so the deferral does not count as one of its retries.
      await env.NOTIFICATIONS.send(message.body);
      message.ack();
      continue;
    }
    const body = message.body;
    if (body.kind === "campaign") {
      try {
        spent += await runCampaignStep(env, body.batch_id, body.step);
        message.ack();
      } catch (error) {
        console.error("notifications: campaign step failed", message.id, error);
        message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
      }
      continue;
    }
    if (body.kind === "event_cancelled") {
      try {
        spent += await runEventCancelledStep(env, body.event_id, body.after);
        message.ack();
      } catch (error) {
        console.error("notifications: event cancellation step failed", message.id, error);
        message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
      }
      continue;
    }
    if (body.kind !== "deliver" || !Array.isArray(body.ids)) {
      console.error("notifications: unknown message, dropped", message.id, JSON.stringify(body).slice(0, 200));
      message.ack();
      continue;
    }
    spent += body.ids.length * COST_PER_DELIVERY;
    deliveries.push({ message, ids: body.ids });
  }
  if (deliveries.length === 0) return;
  // The whole batch's deliveries are claimed and read together: a few statements per batch, not per message.
  let outcomes: Map<string, DeliveryOutcome>;
  try {
    outcomes = new Map((await deliver(env, deliveries.flatMap((d) => d.ids))).map((o) => [o.id, o]));
  } catch (error) {
    console.error("notifications: batch failed", error);
    for (const { message } of deliveries) message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    return;
  }
  for (const { message, ids } of deliveries) {
    const delays = ids.map((id) => outcomes.get(id)).flatMap((o) => (o?.retry ? [o.delay] : []));
    if (delays.length === 0) message.ack();
    else message.retry({ delaySeconds: Math.max(...delays) });
  }
}

/**
 * Consumer of `notifications-dlq`: the deliveries of a message the queue
 * gave up on become FAILED (dead-lettered, with their last error), and the
 * message is recorded for an admin to replay (/v1/admin/dead-letters): a
 * replay takes exactly those deliveries again.
 */
export async function consumeNotificationDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ids = batch.messages.flatMap((m) => {
    const body = m.body as Partial<QueueMessage> | null;
    return body?.kind === "deliver" && Array.isArray(body.ids) ? body.ids.filter((id): id is string => typeof id === "string") : [];
  });
  if (ids.length) {
    await getDb(env.DB)
      .update(message_deliveries)
      .set({ status: "FAILED", dead_lettered_at: now(), claimed_until: null, error: sql`'dead-lettered after the last retry: ' || coalesce(${message_deliveries.error}, '')` })
      .where(and(inJson(message_deliveries.id, ids), eq(message_deliveries.status, "PENDING")));
  }
  await recordDeadLetters(batch, env);
}
