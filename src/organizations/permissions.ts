import { and, eq } from "drizzle-orm";
import { requireAuth } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import type { AuthContext, Env } from "../env.ts";
import { event_staff, events } from "../events/schema.ts";
import { ProblemError, problems } from "../lib/errors.ts";

/**
 * What someone may do in one event's back office. The contract shared with
 * issue 18T (organizations, teams with roles), which replaces the model below
 * with organization and team roles under exactly these names.
 */
export type EventPermission =
  | "event.manage"
  | "sales.read"
  | "money.read"
  | "attendees.read"
  | "door.admit"
  | "rights.block"
  | "tickets.resend"
  | "cash.confirm"
  | "refunds.manage"
  | "reports.read"
  | "exports.read"
  | "gate.scan"
  | "gate.supervise"
  | "team.manage";

/**
 * Today's model, before organizations: an event's organizer holds every
 * permission, and so do admins; its staff (event_staff, src/events/staff-routes.ts)
 * hold what their role gives. A SUPERVISOR admits by hand, blocks rights,
 * reads the attendees and scans and supervises the gates; a CONTROLLER scans
 * and looks holders up at the door (the door lookup needs gate.scan), nothing else.
 */
export const STAFF_PERMISSIONS: Readonly<Record<"SUPERVISOR" | "CONTROLLER", ReadonlySet<EventPermission>>> = {
  SUPERVISOR: new Set<EventPermission>(["door.admit", "rights.block", "attendees.read", "gate.scan", "gate.supervise"]),
  CONTROLLER: new Set<EventPermission>(["gate.scan"]),
};

export type EventRow = typeof events.$inferSelect;

/**
 * The event, if the caller may act on it with `permission`: 401 without a
 * caller, 404 when they have no relation to the event (as if it did not
 * exist), 403 `forbidden` naming the permission when they are related but
 * lack it. Admins pass everything. The back office authorizes its routes with
 * this function only.
 */
export async function authorizeEvent(env: Env, auth: AuthContext | undefined, eventId: string, permission: EventPermission): Promise<{ event: EventRow; auth: AuthContext }> {
  const caller = requireAuth(auth);
  const [row] = await getDb(env.DB)
    .select({ event: events, staffRole: event_staff.role })
    .from(events)
    .leftJoin(event_staff, and(eq(event_staff.event_id, events.id), eq(event_staff.user_id, caller.userId), eq(event_staff.is_active, true)))
    .where(eq(events.id, eventId))
    .limit(1);
  if (!row) throw problems.notFound("Event");
  if (caller.role === "ADMIN" || row.event.organizer_id === caller.userId) return { event: row.event, auth: caller };
  if (!row.staffRole) throw problems.notFound("Event");
  if (!STAFF_PERMISSIONS[row.staffRole].has(permission)) throw problems.forbidden(`This needs the ${permission} permission in this event.`);
  return { event: row.event, auth: caller };
}

/** Whether the caller holds `permission` in the event (after `authorizeEvent` let them in for another one): false on its 403. */
export async function holdsEventPermission(env: Env, auth: AuthContext | undefined, eventId: string, permission: EventPermission): Promise<boolean> {
  try {
    await authorizeEvent(env, auth, eventId, permission);
    return true;
  } catch (error) {
    if (error instanceof ProblemError && error.status === 403) return false;
    throw error;
  }
}
