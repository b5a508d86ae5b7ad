import { and, eq, lte } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { now } from "../lib/time.ts";
import { events } from "./schema.ts";

/**
 * APPROVED events whose end has passed become COMPLETED. One guarded UPDATE:
 * an event cancelled or edited meanwhile is not touched, and running it twice
 * (overlapping crons) changes nothing more. Returns how many were completed.
 */
export async function completeEndedEvents(env: Env, at: string = now()): Promise<number> {
  const done = await getDb(env.DB)
    .update(events)
    .set({ status: "COMPLETED", updated_at: at })
    .where(and(eq(events.status, "APPROVED"), lte(events.ends_at, at)))
    .returning({ id: events.id });
  return done.length;
}
