import type { Env } from "../env.ts";
import { Hook } from "../lib/hooks.ts";
import type { events } from "./schema.ts";

type EventRow = typeof events.$inferSelect;
type EventHook = Hook<{ env: Env; event: EventRow }>;

/**
 * What the events domain tells the others (src/lib/hooks.ts), each with the
 * event as written. Handlers are attached in src/hooks.ts.
 */

/** An event's status, dates, place or season changed (edited, submitted, reviewed, cancelled): its EventDO must know. */
export const eventChanged: EventHook = new Hook("event.changed");
/** An admin approved an event (after `eventChanged`). */
export const eventApproved: EventHook = new Hook("event.approved");
/** An event was cancelled (after `eventChanged`). */
export const eventCancelled: EventHook = new Hook("event.cancelled");
