/**
 * Named attendees: the person a right admits, as its holder names them
 * (name, optional email and phone, answers to the configuration's questions,
 * which the Worker validates: src/orders/attendees.ts). Only the right's
 * holder names or renames its attendee, only while the right is ENABLED and
 * until its configuration's `attendee_edit_until` (else the event's start).
 * A transfer makes a new right with no attendee: the new holder names theirs.
 * The gate shows the attendee's name with the scan result (gate.ts).
 */
import { toTimestamp } from "../../src/lib/time.ts";
import { fail, type Attendee, type Result } from "./contract.ts";
import type { EventStore } from "./store.ts";

/** Whether `userId` may name the right's attendee now: the right's configuration, or the refusal. */
export function attendeeTarget(s: EventStore, rightId: string, userId: string, now: number): Result<{ config_id: string | null; attendee: Attendee | null; edit_until: string }> {
  const right = s.sql`SELECT r.*, c.attendee_edit_until FROM rights r LEFT JOIN configs c ON c.id = r.config_id WHERE r.id = ${rightId}`.toArray()[0];
  if (!right || right.user_id !== userId) return fail(404, "right_not_found", "No such access right of yours at this event.");
  const editUntil = (right.attendee_edit_until as string | null) ?? s.event()!.starts_at;
  if (right.status !== "ENABLED") return fail(409, "access_right_inactive", "This access right is not active: its attendee can no longer change.");
  if (now >= Date.parse(editUntil)) return fail(409, "attendee_deadline_passed", `Attendees could be named until ${editUntil}.`);
  return { ok: true, config_id: (right.config_id as string | null) ?? null, attendee: right.attendee ? (JSON.parse(String(right.attendee)) as Attendee) : null, edit_until: editUntil };
}

/** Names (or, with null, clears) the right's attendee, after the same checks as `attendeeTarget`. */
export function setAttendee(s: EventStore, rightId: string, userId: string, attendee: Attendee | null, now: number): Result<{ attendee: Attendee | null; edit_until: string }> {
  const target = attendeeTarget(s, rightId, userId, now);
  if (!target.ok) return target;
  s.sql`UPDATE rights SET attendee = ${attendee ? JSON.stringify(attendee) : null}, updated_at = ${toTimestamp(now)} WHERE id = ${rightId}`;
  return { ok: true, attendee, edit_until: target.edit_until };
}

/** The hold was written: the attendees named with it wait for its rights. */
export function recordOrderAttendees(s: EventStore, orderId: string, attendees: Attendee[] | null | undefined): void {
  if (attendees && attendees.length > 0) s.sql`UPDATE orders SET attendees = ${JSON.stringify(attendees)} WHERE id = ${orderId}`;
}

/** The order was just confirmed: its rights, in the order they were issued, get the attendees named with it. */
export function giveOrderAttendees(s: EventStore, orderId: string): void {
  const order = s.sql`SELECT attendees FROM orders WHERE id = ${orderId}`.toArray()[0];
  if (!order?.attendees) return;
  const named = JSON.parse(String(order.attendees)) as Attendee[];
  const rights = s.sql<{ id: string }>`SELECT id FROM rights WHERE order_id = ${orderId} AND attendee IS NULL ORDER BY rowid`.toArray();
  rights.forEach((right, i) => {
    if (named[i]) s.sql`UPDATE rights SET attendee = ${JSON.stringify(named[i])} WHERE id = ${right.id}`;
  });
}

/** Each configuration's deadline for naming attendees, from its setup. */
export function configureAttendees(s: EventStore, configs: { id: string; attendee_edit_until?: string | null }[]): void {
  for (const c of configs) s.sql`UPDATE configs SET attendee_edit_until = ${c.attendee_edit_until ?? null} WHERE id = ${c.id}`;
}
