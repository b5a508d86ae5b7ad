import { createExecutionContext, createMessageBatch, getQueueResult, type QueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq, inArray } from "drizzle-orm";
import worker from "../../src/index.ts";
import { getDb } from "../../src/db/client.ts";
import type { QueueMessage } from "../../src/notifications/messages.ts";
import { message_deliveries, notification_batches } from "../../src/notifications/schema.ts";

/**
 * Tests run the notifications consumer themselves: the Worker's NOTIFICATIONS
 * binding points at a queue nobody consumes (vitest.config.ts), and the
 * deliveries it queued wait in D1 as PENDING rows (an outbox). These helpers
 * hand them to the real consumer with createMessageBatch, as the queue would,
 * and read the queue's verdict with getQueueResult: no sleeps, no polling.
 */
let messageCounter = 0;

/** Runs the Worker's queue handler on one batch of `queue`; returns the queue's verdict. */
export async function runQueue<T>(queue: string, bodies: T[], attempts = 1): Promise<QueueResult> {
  const batch = createMessageBatch<T>(
    queue,
    bodies.map((body) => ({ id: `test-${++messageCounter}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, env);
  return getQueueResult(batch, ctx);
}

export const runNotifications = (bodies: QueueMessage[], attempts = 1) => runQueue<QueueMessage>("notifications", bodies, attempts);

/** The deliveries waiting to be sent, oldest first (optionally only some). */
export async function pendingDeliveries(where?: { user_id?: string; recipient?: string; batch_id?: string; ids?: string[] }) {
  const d = message_deliveries;
  const rows = await getDb(env.DB)
    .select({ id: d.id })
    .from(d)
    .where(
      and(
        eq(d.status, "PENDING"),
        where?.user_id ? eq(d.user_id, where.user_id) : undefined,
        where?.recipient ? eq(d.recipient, where.recipient) : undefined,
        where?.batch_id ? eq(d.batch_id, where.batch_id) : undefined,
        where?.ids ? inArray(d.id, where.ids) : undefined,
      ),
    )
    .orderBy(asc(d.created_at))
    .limit(500);
  return rows.map((r) => r.id);
}

/**
 * Hands the waiting deliveries (those matching `where`) to the consumer, five
 * per message and fifty messages per batch as the queue would, once. Returns
 * the verdict of each batch (acks, retries and their delays).
 */
export async function deliverPending(where?: Parameters<typeof pendingDeliveries>[0]): Promise<QueueResult[]> {
  const ids = await pendingDeliveries(where);
  const results: QueueResult[] = [];
  const messages: QueueMessage[] = [];
  for (let i = 0; i < ids.length; i += 5) messages.push({ kind: "deliver", ids: ids.slice(i, i + 5) });
  for (let i = 0; i < messages.length; i += 50) results.push(await runNotifications(messages.slice(i, i + 50)));
  return results;
}

/** Runs a campaign to its end through the consumer: each step as the queue would deliver it, then the deliveries it released. */
export async function runCampaign(batchId: string, maxSteps = 200): Promise<void> {
  const db = getDb(env.DB);
  for (let i = 0; i < maxSteps; i++) {
    const [batch] = await db.select().from(notification_batches).where(eq(notification_batches.id, batchId));
    if (!batch || batch.status === "COMPLETED" || batch.status === "CANCELLED" || batch.status === "FAILED") return;
    await runNotifications([{ kind: "campaign", batch_id: batchId, step: batch.step }]);
    await deliverPending({ batch_id: batchId });
  }
  throw new Error(`campaign ${batchId} did not finish in ${maxSteps} steps`);
}

/** Calls the fake notification providers (scripts/fakes/notifications/), e.g. their `/_control` API; fails on a non-2xx answer. */
export async function fakeNotifications<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const { inject } = await import("vitest");
  const response = await fetch(`${inject("fakeNotificationsUrl")}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`fake notifications ${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface ReceivedEmail {
  id: string;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; type: string; disposition: string; content_id: string | null; content: string }[];
}

export const emailsTo = (address: string) => fakeNotifications<ReceivedEmail[]>("GET", `/_control/emails?to=${encodeURIComponent(address)}`);
export const smsTo = (number: string) => fakeNotifications<{ sid: string; to: string; from: string; body: string }[]>("GET", `/_control/sms?to=${encodeURIComponent(number)}`);
export const pushesTo = (token: string) => fakeNotifications<{ name: string; token: string; title: string; body: string; data: Record<string, string> }[]>("GET", `/_control/push?token=${encodeURIComponent(token)}`);

/** The delivery rows of a person (or an address), newest first. */
export async function deliveriesOf(where: { user_id?: string; recipient?: string }) {
  const d = message_deliveries;
  return getDb(env.DB)
    .select()
    .from(d)
    .where(and(where.user_id ? eq(d.user_id, where.user_id) : undefined, where.recipient ? eq(d.recipient, where.recipient) : undefined))
    .orderBy(asc(d.created_at));
}
