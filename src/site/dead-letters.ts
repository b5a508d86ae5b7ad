import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import { problems } from "../lib/errors.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { type Actor, auditWhere } from "./audit.ts";
import { dead_letters } from "./schema.ts";

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

/** The queues a dead letter can be replayed onto, by name. */
function queueNamed(env: Env, queue: string): Queue<unknown> | null {
  const queues: Record<string, Queue<unknown>> = { notifications: env.NOTIFICATIONS as Queue<unknown>, payments: env.PAYMENTS as Queue<unknown> };
  return queues[queue] ?? null;
}

export async function listDeadLetters(env: Env, query: { limit: number; cursor?: string; queue?: string; replayed?: boolean }) {
  const after = decodeCursor(query.cursor);
  const rows = await getDb(env.DB)
    .select()
    .from(dead_letters)
    .where(
      and(
        query.queue ? eq(dead_letters.queue, query.queue) : undefined,
        query.replayed === undefined ? undefined : query.replayed ? isNotNull(dead_letters.replayed_at) : isNull(dead_letters.replayed_at),
        afterCursor(after, dead_letters.received_at, dead_letters.id, "desc"),
      ),
    )
    .orderBy(desc(dead_letters.received_at), desc(dead_letters.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.received_at, id: row.id }));
}

export async function readDeadLetter(env: Env, id: string) {
  const [row] = await getDb(env.DB).select().from(dead_letters).where(eq(dead_letters.id, id)).limit(1);
  if (!row) throw problems.notFound("Dead letter");
  return row;
}

/**
 * Puts a dead letter's message back on its queue, as it was. Consumers are
 * idempotent, so replaying twice (or replaying something that meanwhile
 * succeeded) does no harm; `replayed_at` shows the last replay.
 */
export async function replayDeadLetter(env: Env, actor: Actor, id: string) {
  const db = getDb(env.DB);
  const row = await readDeadLetter(env, id);
  const queue = queueNamed(env, row.queue);
  if (!queue) throw problems.conflict("queue_unknown", `No queue named ${row.queue} to replay onto.`);
  await queue.send(row.body);
  const at = now();
  const [after] = await db.batch([
    db.update(dead_letters).set({ replayed_at: at }).where(eq(dead_letters.id, id)).returning(),
    auditWhere(db, actor, sql`changes() = 1`, { action: "UPDATE", table: dead_letters, id, before: { replayed_at: row.replayed_at }, after: { replayed_at: at }, description: `Replay onto ${row.queue}` }),
  ]);
  return after[0]!;
}
