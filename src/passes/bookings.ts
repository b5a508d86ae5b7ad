import { and, eq, gt, ne, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { now } from "../lib/time.ts";
import { insertWhere } from "../site/audit.ts";
import { subscription_bookings } from "./bookings-schema.ts";
import { coversOnBooking, eventOpen, planRef, withinValidity } from "./coverage.ts";
import { type BookingRow, type SubscriptionRow, bookingView, heldPass, matchesIncluded, readablePass, sourceOf } from "./read.ts";
import { FANOUT_BUDGET, SEAT_HERE, ZONE_HERE, fanOut, issueRight } from "./rights.ts";
import { subscriptions } from "./schema.ts";

// FLEX passes (and events that require booking): a match is booked on the pass, and its right issued.

/**
 * Books one match on a pass: any match the plan's links name for a FLEX
 * plan (at most `benefits.number_of_matches`, `restrictions.peak_matches_limit`
 * of them peak matches, booked `advance_booking_days` ahead), or an explicit
 * event marked `requires_booking` (within its `booking_window_days`). The
 * limits are checked by the insert itself, so concurrent bookings never
 * exceed them. The right is issued at once, idempotently per booking.
 */
export async function bookMatch(env: Env, auth: AuthContext, id: string, eventId: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, id);
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; book with an ACTIVE pass.`);
  const at = now();
  const [event] = await db
    .select({
      starts_at: sql<string>`e.starts_at`.as("starts_at"),
      timezone: sql<string>`e.timezone`.as("timezone"),
      peak: sql<number>`coalesce(json_extract(e.metadata, '$.is_peak') = 1, 0)`.as("peak"),
      window: sql<number | null>`(SELECT pe.booking_window_days FROM subscription_plan_events pe WHERE pe.subscription_plan_id = ${plan.id} AND pe.event_id = e.id)`.as("booking_window"),
      bookable: sql<number>`${coversOnBooking(planRef(plan))}`.as("bookable"),
    })
    .from(sql`events e`)
    .where(and(sql`e.id = ${eventId}`, eventOpen(at)))
    .limit(1);
  if (!event) throw problems.notFound("Event");
  if (!event.bookable) throw problems.conflict("event_not_covered", "This pass does not cover this event.");
  if (!withinValidity(event, sub)) throw problems.conflict("outside_validity", "This event is outside the pass's validity dates.");
  const starts = Date.parse(event.starts_at);
  if (starts <= Date.now()) throw problems.conflict("event_started", "This event has started.");
  const restrictions = plan.restrictions ?? {};
  if (plan.type === "FLEX" && restrictions.advance_booking_days && starts - Date.now() < restrictions.advance_booking_days * 86_400_000) {
    throw problems.conflict("booking_too_late", `Matches are booked at least ${restrictions.advance_booking_days} day(s) ahead.`);
  }
  if (plan.type !== "FLEX" && event.window && starts - Date.now() > event.window * 86_400_000) {
    throw problems.conflict("booking_not_open", `Booking opens ${event.window} day(s) before the event.`);
  }
  const total = matchesIncluded(plan);
  if (plan.type === "FLEX" && total === null) throw problems.conflict("plan_without_match_count", "This FLEX plan does not say how many matches it includes.");
  const peak = Boolean(event.peak) && restrictions.peak_matches_limit !== undefined;
  const b = subscription_bookings;
  const live = sql`FROM subscription_bookings lb WHERE lb.subscription_id = ${id} AND lb.status <> 'CANCELLED'`;
  const allowed = sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${id} AND status = 'ACTIVE')
    AND NOT EXISTS (SELECT 1 ${live} AND lb.event_id = ${eventId})
    AND (${total} IS NULL OR (SELECT count(*) ${live}) < ${total})
    AND (${peak ? 1 : 0} = 0 OR (SELECT count(*) ${live} AND EXISTS (SELECT 1 FROM events pe WHERE pe.id = lb.event_id AND json_extract(pe.metadata, '$.is_peak') = 1)) < ${restrictions.peak_matches_limit ?? 0})`;
  const bookingId = newId();
  const [, [booking]] = await db.batch([
    insertWhere(db, b, { id: bookingId, subscription_id: id, event_id: eventId, status: "BOOKED", booked_at: at, updated_at: at }, allowed),
    db.select().from(b).where(eq(b.id, bookingId)),
  ]);
  if (!booking) throw await bookingRefusal(db, sub, eventId, total);
  const issued = await issueBookingRight(env, sub, booking, auth.userId);
  if (!issued.ok) {
    await db.update(b).set({ status: "CANCELLED", cancelled_at: now() }).where(and(eq(b.id, bookingId), eq(b.status, "BOOKED")));
    throw problemFrom(issued.problem);
  }
  return bookingView({ ...booking, access_right_id: issued.rightId });
}

async function bookingRefusal(db: Db, sub: SubscriptionRow, eventId: string, total: number | null) {
  const live = await db.select({ event_id: subscription_bookings.event_id }).from(subscription_bookings).where(and(eq(subscription_bookings.subscription_id, sub.id), ne(subscription_bookings.status, "CANCELLED")));
  if (live.some((row) => row.event_id === eventId)) return problems.conflict("already_booked", "This match is already booked on this pass.");
  if (total !== null && live.length >= total) return problems.conflict("booking_limit_reached", `This pass includes ${total} match(es), all booked.`);
  const [current] = await db.select({ status: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, sub.id));
  if (current?.status !== "ACTIVE") return problems.conflict("subscription_not_active", `This pass is ${current?.status}.`);
  return problems.conflict("peak_limit_reached", "This pass's peak matches are all booked.");
}

/** Issues (or finds again) the right of one booking and records it on the booking. */
async function issueBookingRight(env: Env, sub: Pick<SubscriptionRow, "id" | "user_id" | "seat_id" | "subscription_plan_id">, booking: BookingRow, createdBy: string | null) {
  const db = getDb(env.DB);
  const [place] = await db
    .select({ zone_id: sql<string | null>`${ZONE_HERE}`.as("zone_id"), seat_id: sql<string | null>`${SEAT_HERE}`.as("seat_id") })
    .from(sql`subscriptions s JOIN subscription_plans p ON p.id = s.subscription_plan_id JOIN events e ON e.id = ${booking.event_id}`)
    .where(sql`s.id = ${sub.id}`);
  const result = await issueRight(env, { event_id: booking.event_id, source_id: sourceOf(sub.id, booking.id), user_id: sub.user_id, zone_id: place?.zone_id ?? null, seat_id: place?.seat_id ?? null }, createdBy);
  if (!result.ok) return result;
  const rightId = result.rights[0]!.id;
  // The booking row references the right's D1 row: project it first.
  await eventStub(env, booking.event_id).flushProjection();
  await db.update(subscription_bookings).set({ access_right_id: rightId }).where(eq(subscription_bookings.id, booking.id));
  return { ok: true as const, rightId };
}

/** Bookings of ACTIVE passes still without their right (a booking cut short): issued now. */
export async function issueMissingBookingRights(env: Env) {
  const db = getDb(env.DB);
  const rows = await db
    .select({ booking: subscription_bookings, sub: { id: subscriptions.id, user_id: subscriptions.user_id, seat_id: subscriptions.seat_id, subscription_plan_id: subscriptions.subscription_plan_id } })
    .from(subscription_bookings)
    .innerJoin(subscriptions, eq(subscriptions.id, subscription_bookings.subscription_id))
    .innerJoin(events, eq(events.id, subscription_bookings.event_id))
    .where(and(eq(subscription_bookings.status, "BOOKED"), sql`${subscription_bookings.access_right_id} IS NULL`, eq(subscriptions.status, "ACTIVE"), gt(events.ends_at, now())))
    .limit(FANOUT_BUDGET);
  let issued = 0;
  const failed = await fanOut(rows, async ({ booking, sub }) => {
    const result = await issueBookingRight(env, sub, booking, null);
    if (!result.ok && result.problem.code !== "event_closed") throw problemFrom(result.problem);
    if (result.ok) issued += 1;
  });
  return { issued, failed };
}

/** Cancels a booked match before the doors open: its right is CANCELLED and the match goes back to the pass. */
export async function cancelBooking(env: Env, auth: AuthContext, id: string, eventId: string) {
  const db = getDb(env.DB);
  const { sub } = await readablePass(db, auth, id, "event.manage");
  const b = subscription_bookings;
  const [booking] = await db.select().from(b).where(and(eq(b.subscription_id, id), eq(b.event_id, eventId), ne(b.status, "CANCELLED"))).limit(1);
  if (!booking) throw problems.notFound("Booking");
  if (booking.status !== "BOOKED") throw problems.conflict("booking_closed", `This booking is ${booking.status}.`);
  const stub = eventStub(env, eventId);
  const source = sourceOf(id, booking.id);
  const right = (await stub.listRights({ user_id: sub.user_id })).find((r) => r.source_type === "SUBSCRIPTION" && r.source_id === source);
  if (right) {
    if (Date.now() >= Date.parse(right.valid_from)) throw problems.conflict("doors_open", "The doors are open: this booking can no longer be cancelled.");
    if (right.status === "TRANSFERRED" || right.status === "USED") throw problems.conflict("booking_used", `This match's right was ${right.status.toLowerCase()}.`);
  }
  const result = await stub.setRightsStatus("SUBSCRIPTION", source, "CANCELLED", auth.userId, "booking cancelled");
  if (!result.ok) throw problemFrom(result.problem);
  const [cancelled] = await db.update(b).set({ status: "CANCELLED", cancelled_at: now() }).where(and(eq(b.id, booking.id), eq(b.status, "BOOKED"))).returning();
  if (!cancelled) throw problems.conflict("concurrent_change", "This booking changed meanwhile; reload it.");
  return bookingView(cancelled);
}
