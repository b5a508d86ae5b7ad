import { and, eq, gte, inArray, lte, ne, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { issueRights } from "../catalog/sync.ts";
import { getDb, type Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { now } from "../lib/time.ts";
import { coversAutomatically, eventOpen, localDate, nearValidity, withinValidity, type PlanRef } from "./coverage.ts";
import type { SubscriptionRow } from "./read.ts";
import { subscriptions } from "./schema.ts";

// A pass's access rights, one per covered event, issued through each event's EventDO (the fan-out).

export type RightsStatus = "BLOCKED" | "ENABLED" | "CANCELLED";

/** Event Durable Object calls per request or cron run; the cron's next run picks up the rest. */
export const FANOUT_BUDGET = 100;

const FANOUT_PARALLELISM = 6;

/** Runs `task` over `items`, a few at a time; returns how many failed (each failure is logged). */
export async function fanOut<T>(items: T[], task: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failures += 1;
        console.error("season pass fan-out step failed", error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FANOUT_PARALLELISM, items.length) }, worker));
  return failures;
}

export const unfinished = (failures: number) =>
  problems.unavailable(`${failures} event(s) could not be updated yet. Repeat the request (it is safe to), or let the periodic reconciliation finish it.`);

/** The plan as the SQL below names it. */
export const PLAN_P: PlanRef = { id: sql`p.id`, type: sql`p.type` };

/** The pass's seat, if it is at event e's venue. */
export const SEAT_HERE = sql.raw(`(SELECT st.id FROM seats st JOIN venue_zones sz ON sz.id = st.zone_id WHERE st.id = s.seat_id AND sz.venue_id = e.venue_id)`);

/** The zone a pass admits to at event e: its seat's zone there, else the venue's first active zone of the plan's primary zone category. */
export const ZONE_HERE = sql.raw(`coalesce(
  (SELECT st.zone_id FROM seats st JOIN venue_zones sz ON sz.id = st.zone_id WHERE st.id = s.seat_id AND sz.venue_id = e.venue_id),
  (SELECT z.id FROM venue_zones z WHERE z.venue_id = e.venue_id AND z.is_active = 1 AND z.category = coalesce(
     (SELECT pz.zone_category FROM subscription_plan_zones pz WHERE pz.subscription_plan_id = p.id AND pz.is_primary = 1 ORDER BY pz.zone_category LIMIT 1),
     p.default_zone_category)
   ORDER BY z.code, z.id LIMIT 1))`);

// A pass handed on gets no right of its own in an event where the pass it came from (s.transferred_from) held
// one: that right moves to it (transferPassRights, or the cron's completePassTransfers), or stays with its
// holder once the doors opened.
const NO_RIGHT_YET = sql`NOT EXISTS (SELECT 1 FROM access_rights r WHERE r.source_type = 'SUBSCRIPTION' AND r.source_id = s.id AND r.event_id = e.id)
  AND (s.transferred_from IS NULL OR NOT EXISTS (SELECT 1 FROM access_rights r WHERE r.source_type = 'SUBSCRIPTION' AND r.source_id = s.transferred_from AND r.event_id = e.id AND r.status <> 'CANCELLED'))`;

/** (pass, event) pairs: passes `s` of plans `p` and the events `e` their plan covers automatically, filtered by `where`. */
function coveredPairs(db: Db, where: SQL, limit: number) {
  return db
    .select({
      subscription_id: sql<string>`s.id`.as("subscription_id"),
      user_id: sql<string>`s.user_id`.as("user_id"),
      valid_from: sql<string>`s.valid_from`.as("valid_from"),
      valid_until: sql<string>`s.valid_until`.as("valid_until"),
      event_id: sql<string>`e.id`.as("event_id"),
      starts_at: sql<string>`e.starts_at`.as("starts_at"),
      timezone: sql<string>`e.timezone`.as("timezone"),
      zone_id: sql<string | null>`${ZONE_HERE}`.as("zone_id"),
      seat_id: sql<string | null>`${SEAT_HERE}`.as("seat_id"),
    })
    .from(sql`events e JOIN subscription_plans p ON ${coversAutomatically(PLAN_P)} JOIN subscriptions s ON s.subscription_plan_id = p.id`)
    .where(where)
    .orderBy(sql`e.starts_at`, sql`s.id`)
    .limit(limit);
}

export type Pair = Awaited<ReturnType<typeof coveredPairs>>[number];

/** Issues one right in an event (idempotent per source), setting the event's access control up first if it never was. */
export function issueRight(env: Env, target: { event_id: string; source_id: string; user_id: string; zone_id: string | null; seat_id: string | null }, createdBy: string | null) {
  return issueRights(env, target.event_id, {
    source_type: "SUBSCRIPTION",
    source_id: target.source_id,
    holders: [{ user_id: target.user_id, zone_id: target.zone_id, seat_id: target.seat_id }],
    config_id: null,
    created_by: createdBy,
  });
}

/** What the rights of a pass in `status` should be, if it holds rights at all. */
const RIGHTS_FOR: Partial<Record<SubscriptionRow["status"], RightsStatus>> = { ACTIVE: "ENABLED", SUSPENDED: "BLOCKED", CANCELLED: "CANCELLED" };

/**
 * Issues the rights of `pairs` (at most FANOUT_BUDGET). Each call is
 * idempotent, and D1's projection of access_rights is the record of progress:
 * whatever is not issued now is found missing again by the next run. A seat
 * given up by a cancelled pass is freed in that event first, so the event
 * never holds two live rights on one seat. A pass suspended or cancelled
 * while its rights were being issued gets them blocked or cancelled after.
 */
export async function issuePairs(env: Env, pairs: Pair[], createdBy: string | null): Promise<{ issued: number; failed: number }> {
  const db = getDb(env.DB);
  const work = pairs.slice(0, FANOUT_BUDGET);
  const previous = new Map<string, string[]>();
  for (const pair of work) {
    if (!pair.seat_id || previous.has(`${pair.subscription_id}:${pair.seat_id}`)) continue;
    const rows = await db
      .select({ id: subscriptions.id })
      .from(subscriptions)
      .where(and(eq(subscriptions.seat_id, pair.seat_id), eq(subscriptions.status, "CANCELLED"), ne(subscriptions.id, pair.subscription_id), lte(subscriptions.valid_from, pair.valid_until), gte(subscriptions.valid_until, pair.valid_from)));
    previous.set(`${pair.subscription_id}:${pair.seat_id}`, rows.map((r) => r.id));
  }
  const issued: Pair[] = [];
  const failed = await fanOut(work, async (pair) => {
    for (const earlier of pair.seat_id ? (previous.get(`${pair.subscription_id}:${pair.seat_id}`) ?? []) : []) {
      const freed = await eventStub(env, pair.event_id).setRightsStatus("SUBSCRIPTION", earlier, "CANCELLED", createdBy, "seat given to another pass");
      if (!freed.ok) throw problemFrom(freed.problem);
    }
    const result = await issueRight(env, { ...pair, source_id: pair.subscription_id }, createdBy);
    // The event ended or was cancelled since D1 said otherwise: nothing to issue.
    if (!result.ok && result.problem.code === "event_closed") return;
    if (!result.ok) throw problemFrom(result.problem);
    issued.push(pair);
  });
  const ids = [...new Set(issued.map((p) => p.subscription_id))];
  if (ids.length > 0) {
    const changed = await db.select({ id: subscriptions.id, status: subscriptions.status }).from(subscriptions).where(and(inArray(subscriptions.id, ids), ne(subscriptions.status, "ACTIVE")));
    const late = new Map(changed.map((row) => [row.id, RIGHTS_FOR[row.status]]));
    await fanOut(
      issued.filter((p) => late.get(p.subscription_id)),
      async (pair) => {
        const result = await eventStub(env, pair.event_id).setRightsStatus("SUBSCRIPTION", pair.subscription_id, late.get(pair.subscription_id)!, createdBy, "pass changed while its rights were issued");
        if (!result.ok) throw problemFrom(result.problem);
      },
    );
  }
  return { issued: issued.length, failed: failed + Math.max(0, pairs.length - work.length) };
}

/** The events one pass covers now (open, within its validity), whether or not their rights exist yet. */
export async function passPairs(db: Db, subscriptionId: string, onlyMissing: boolean): Promise<Pair[]> {
  const rows = await coveredPairs(
    db,
    and(sql`s.id = ${subscriptionId}`, eventOpen(now()), nearValidity(sql`s.valid_from`, sql`s.valid_until`), onlyMissing ? NO_RIGHT_YET : undefined)!,
    1000,
  );
  return rows.filter((pair) => withinValidity(pair, pair));
}

/**
 * Every ACTIVE pass whose plan covers this event gets its right (an event
 * approved, or added to a season, after the passes were sold). The event's
 * own local date decides validity. Bounded: the cron finishes big events.
 */
export async function issueRightsForNewEvent(env: Env, eventId: string) {
  const db = getDb(env.DB);
  const [event] = await db.select({ starts_at: events.starts_at, timezone: events.timezone }).from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) throw problems.notFound("Event");
  return issuePairs(env, await eventPairs(db, eventId, event), null);
}

export function eventPairs(db: Db, eventId: string, event: { starts_at: string; timezone: string }) {
  const day = localDate(event.starts_at, event.timezone);
  return coveredPairs(db, sql`e.id = ${eventId} AND s.status = 'ACTIVE' AND s.valid_from <= ${day} AND s.valid_until >= ${day} AND ${eventOpen(now())} AND ${NO_RIGHT_YET}`, FANOUT_BUDGET + 1);
}
