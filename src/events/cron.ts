import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { addSeconds, now } from "../lib/time.ts";
import { fanOut } from "../notifications/campaigns.ts";
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

/** The reminders before an event's doors open (its start when it has no doors time): a day before, and two hours before. */
const REMINDERS = [
  { label: "24h", hours: 24 },
  { label: "2h", hours: 2 },
] as const;
const REMINDER_EVENTS_PER_RUN = 100;

/**
 * EVENT_REMINDER to an event's ticket holders and GOING participants, 24 h
 * and 2 h before its doors open. Each reminder is one campaign of the event
 * (notifications' fanOut, keyed per event and reminder), so it is sent once
 * whatever how often the cron runs, and a stadium's attendance stays within
 * each invocation's limits. An event approved less than two hours before its
 * doors gets only the 2-hour reminder, not both at once.
 */
export async function sendEventReminders(env: Env, at: string = now()): Promise<number> {
  const db = getDb(env.DB);
  const doors = sql<string>`coalesce(${events.doors_open_at}, ${events.starts_at})`;
  let started = 0;
  for (const reminder of REMINDERS) {
    const later = REMINDERS.find((r) => r.hours < reminder.hours);
    const due = await db
      .select({ id: events.id, title: events.title, starts_at: events.starts_at, doors: doors, timezone: events.timezone, venue_name: events.venue_name })
      .from(events)
      .where(
        and(
          eq(events.status, "APPROVED"),
          gt(doors, at),
          lte(doors, addSeconds(at, reminder.hours * 3600)),
          later ? gt(doors, addSeconds(at, later.hours * 3600)) : undefined,
        ),
      )
      .orderBy(doors)
      .limit(REMINDER_EVENTS_PER_RUN);
    for (const event of due) {
      const campaign = await fanOut(env, {
        key: `event-reminder:${reminder.label}:${event.id}`,
        name: `EVENT_REMINDER ${reminder.label}: ${event.title}`,
        type: "EVENT_REMINDER",
        targeting: { audience: "EVENT_ATTENDEES", event_id: event.id },
        data: {
          event_id: event.id,
          event_title: event.title,
          starts_at: { at: event.starts_at, time_zone: event.timezone },
          doors_at: { at: event.doors, time_zone: event.timezone },
          venue_name: event.venue_name ?? "",
        },
      });
      if (campaign) started++;
    }
  }
  return started;
}
