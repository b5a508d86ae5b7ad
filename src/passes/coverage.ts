import { sql, type SQL } from "drizzle-orm";

/**
 * Which events a season-pass plan covers, as SQL conditions on an event
 * aliased `e`, so that one plan's events, one event's plans and the cron's
 * reconciliation all read the same rules:
 *
 * - through an event group (subscription_plan_event_groups `l`): FULL takes
 *   every event of the group, HOME_ONLY only home matches, PARTIAL only the
 *   match types it lists. A list of match types narrows every level (the
 *   specification's HOME_ONLY example lists championship and cup); a FULL or
 *   HOME_ONLY link without a list, or any list holding "all", takes every
 *   type. The link's excluded_events are left out.
 * - through an explicit event (subscription_plan_events `pe`), whatever its
 *   group's rules say.
 *
 * Covered events must also be APPROVED, not over and not INVITATION (`eventOpen`), and fall
 * within the pass's validity (`withinValidity`, on the event's local date).
 * FLEX plans cover nothing automatically: their holders book matches among
 * the events the plan's links name; other plans' explicit events marked
 * `requires_booking` are booked too, unless a group already covers them.
 */
const GROUP_LINK_ADMITS = sql.raw(`l.event_group_id = e.event_group_id
  AND (l.access_level <> 'HOME_ONLY' OR e.is_home_match = 1)
  AND (
    EXISTS (SELECT 1 FROM json_each(l.included_match_types) m WHERE lower(m.value) = 'all' OR lower(m.value) = lower(e.match_type))
    OR (l.access_level <> 'PARTIAL' AND coalesce(json_array_length(l.included_match_types), 0) = 0)
  )
  AND NOT EXISTS (SELECT 1 FROM json_each(l.excluded_events) x WHERE x.value = e.id)`);

/** The plan (an SQL expression of its id) covers event `e` through one of its event groups. */
const viaGroup = (planId: SQL) => sql`EXISTS (SELECT 1 FROM subscription_plan_event_groups l WHERE l.subscription_plan_id = ${planId} AND ${GROUP_LINK_ADMITS})`;

/** The plan names event `e` explicitly (only those with or without `requires_booking`, when given). */
const viaEvent = (planId: SQL, requiresBooking?: boolean) =>
  sql`EXISTS (SELECT 1 FROM subscription_plan_events pe WHERE pe.subscription_plan_id = ${planId} AND pe.event_id = e.id${
    requiresBooking === undefined ? sql`` : sql` AND pe.requires_booking = ${requiresBooking ? 1 : 0}`
  })`;

/** Plan ids and types as SQL: a bound value, or a column of the outer query. */
export interface PlanRef {
  id: SQL;
  type: SQL;
}

export const planRef = (plan: { id: string; type: string }): PlanRef => ({ id: sql`${plan.id}`, type: sql`${plan.type}` });

/** Event `e` gets an access right as soon as a pass of the plan is ACTIVE. */
export const coversAutomatically = (plan: PlanRef) => sql`(${plan.type} <> 'FLEX' AND (${viaGroup(plan.id)} OR ${viaEvent(plan.id, false)}))`;

/** Event `e` is admitted once the holder books it (FLEX matches, booking-only events). */
export const coversOnBooking = (plan: PlanRef) =>
  sql`((${plan.type} = 'FLEX' AND (${viaGroup(plan.id)} OR ${viaEvent(plan.id)})) OR (${plan.type} <> 'FLEX' AND ${viaEvent(plan.id, true)} AND NOT ${viaGroup(plan.id)}))`;

/** Event `e` can still admit season-pass holders: approved, not over, and not invitation-only (its people enter through grants only). */
export const eventOpen = (at: string) => sql`(e.status = 'APPROVED' AND e.ends_at > ${at} AND e.access_type <> 'INVITATION')`;

/**
 * A first, index-friendly cut of the validity window in SQL (the event's
 * start within a day of the window, wider than any UTC offset), refined by
 * `withinValidity`.
 */
export const nearValidity = (validFrom: SQL, validUntil: SQL) => sql`(e.starts_at >= date(${validFrom}, '-1 day') AND e.starts_at < date(${validUntil}, '+2 day'))`;

/** The calendar date of an instant where the event happens (`YYYY-MM-DD`). */
export function localDate(at: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(at));
}

/** The event starts, on its own local calendar, within the pass's validity dates. */
export function withinValidity(event: { starts_at: string; timezone: string }, validity: { valid_from: string; valid_until: string }): boolean {
  const day = localDate(event.starts_at, event.timezone);
  return day >= validity.valid_from && day <= validity.valid_until;
}
