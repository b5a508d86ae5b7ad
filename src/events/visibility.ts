/**
 * Who sees an event whose access type is INVITATION. Such an event is never
 * sold and its people enter only through grants, so it is listed and
 * readable only by its invitees (holders of a right to it that is neither
 * cancelled nor passed on), its organization's members, its per-event staff
 * and admins; to everyone else it does not exist (404, absent from lists).
 */
import { and, eq, inArray, ne, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext } from "../env.ts";
import type { Db } from "../db/client.ts";
import { access_rights } from "../access/schema.ts";
import { organizationsWhere } from "../organizations/permissions.ts";
import { event_staff, events } from "./schema.ts";

type Caller = Pick<AuthContext, "userId" | "role">;

/** The caller holds a live right to event `eventId` (an SQL expression: a bound id or the outer query's column). */
const holdsRight = (userId: string, eventId: SQL) =>
  sql`EXISTS (SELECT 1 FROM ${access_rights} WHERE ${access_rights.user_id} = ${userId} AND ${access_rights.event_id} = ${eventId} AND ${access_rights.status} NOT IN ('CANCELLED', 'TRANSFERRED'))`;

const isStaff = (userId: string, eventId: SQL) =>
  sql`EXISTS (SELECT 1 FROM ${event_staff} WHERE ${event_staff.user_id} = ${userId} AND ${event_staff.event_id} = ${eventId} AND ${event_staff.is_active} = 1)`;

/** A condition on `events` for lists shown to the caller: INVITATION events only to those who may see them; undefined for admins. */
export function listedTo(db: Db, caller: Caller | undefined): SQL | undefined {
  if (caller?.role === "ADMIN") return undefined;
  const open = ne(events.access_type, "INVITATION");
  if (!caller) return open;
  const id = sql`${events.id}`;
  return or(open, inArray(events.organization_id, organizationsWhere(db, caller.userId, "event.read")), holdsRight(caller.userId, id), isStaff(caller.userId, id));
}

/** Whether the caller is one of an INVITATION event's invitees (holds a live right to it). Members, staff and admins are the caller's to check. */
export async function isInvitee(db: Db, caller: Caller, eventId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.id, eventId), holdsRight(caller.userId, sql`${eventId}`)))
    .limit(1);
  return row !== undefined;
}
