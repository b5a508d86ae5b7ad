import { and, asc, eq, exists, lte } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { now } from "../lib/time.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { access_rights } from "./schema.ts";

/** Events handled per run: each is one call to its EventDO. */
const EXPIRY_BATCH = 100;

/**
 * After an event, its rights that can no longer admit anyone become EXPIRED
 * (the cron, every five minutes). The decision is the event's EventDO's
 * (`expireRights`: ENABLED rights past their `valid_until`), and D1 follows
 * by projection; D1 only says which events still have such rights, so an
 * event whose object could not be reached is picked up again next run.
 * Returns how many rights expired.
 */
export async function expireEndedRights(env: Env, at: string = now()): Promise<number> {
  const db = getDb(env.DB);
  const stale = and(eq(access_rights.event_id, events.id), eq(access_rights.status, "ENABLED"), lte(access_rights.valid_until, at));
  const due = await db
    .select({ id: events.id })
    .from(events)
    .where(and(lte(events.ends_at, at), exists(db.select({ one: access_rights.id }).from(access_rights).where(stale))))
    .orderBy(asc(events.ends_at))
    .limit(EXPIRY_BATCH);
  let expired = 0;
  for (const event of due) {
    try {
      expired += (await eventStub(env, event.id).expireRights(Date.parse(at))).expired;
    } catch (error) {
      console.error(`expiring the rights of event ${event.id} failed; next run retries`, error);
    }
  }
  return expired;
}
