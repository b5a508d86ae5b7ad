import { and, eq, lte, ne, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { access_rights } from "../access/schema.ts";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { now } from "../lib/time.ts";
import { tickets } from "./schema.ts";

/** Events whose orders one cron run completes (one EventDO call each). */
const EVENTS_PER_RUN = 50;

/**
 * Cron: after an event, its attended orders (CONFIRMED, a ticket let in at a
 * gate) become COMPLETED. The event's EventDO owns orders, so it decides and
 * projects the change (`completeAttendedOrders`); D1 only says which events
 * still have such orders, so an event a run missed (a failure, the budget)
 * is found again by the next. Orders nobody used stay CONFIRMED. Returns how
 * many orders changed.
 */
export async function completeAttendedOrders(env: Env, at: string = now()): Promise<{ events: number; completed: number; failed: number }> {
  const attended = sql`EXISTS (SELECT 1 FROM ${access_rights} WHERE ${access_rights.source_type} = 'TICKET' AND ${access_rights.source_id} = ${tickets.id} AND ${access_rights.entry_count} > 0)`;
  const rows = await getDb(env.DB)
    .selectDistinct({ event_id: tickets.event_id })
    .from(tickets)
    .innerJoin(events, eq(events.id, tickets.event_id))
    .where(and(eq(tickets.booking_status, "CONFIRMED"), lte(events.ends_at, at), ne(events.status, "CANCELLED"), attended))
    .limit(EVENTS_PER_RUN);
  let completed = 0;
  let failed = 0;
  for (const { event_id } of rows) {
    try {
      const stub = eventStub(env, event_id);
      const result = await stub.completeAttendedOrders(Date.parse(at));
      if (!result.ok) throw problemFrom(result.problem);
      completed += result.completed;
      // D1 shows them at once, so the next run does not ask this event again.
      if (result.completed > 0) await stub.flushProjection();
    } catch (error) {
      failed += 1;
      console.error(`completing the orders of event ${event_id} failed`, error);
    }
  }
  return { events: rows.length, completed, failed };
}
