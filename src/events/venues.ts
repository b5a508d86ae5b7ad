import { and, asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { AuthContext } from "../env.ts";
import { manages } from "../auth/middleware.ts";
import type { Db } from "../db/client.ts";
import { isForeignKeyViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { type Caller, containsPattern, ownedListScope, resolveOwner } from "./ownership.ts";
import { access_point_zones, access_points, events, venue_zones, venues } from "./schema.ts";
import { toAccessPoint, type VenueCreateBody, type VenueListQuery, type VenueUpdateBody } from "./venues-schemas.ts";

// Venues: places events happen, owned by an organizer (or the platform), with their zones, seats and access points (venue-zones.ts, access-points.ts).

type VenueRow = typeof venues.$inferSelect;

/** The venue if the caller manages it; anyone else gets 404, so other organizers' venues are never confirmed. */
export async function managedVenue(db: Db, caller: Caller, venueId: string): Promise<VenueRow> {
  const [venue] = await db.select().from(venues).where(eq(venues.id, venueId)).limit(1);
  if (!venue || !manages(caller, venue.owner_id)) throw problems.notFound("Venue");
  return venue;
}

/** The venue as the caller may read it: active ones for everyone, inactive ones only for who manages them. */
export async function visibleVenue(db: Db, auth: AuthContext | undefined, venueId: string): Promise<{ venue: VenueRow; manager: boolean }> {
  const [venue] = await db.select().from(venues).where(eq(venues.id, venueId)).limit(1);
  const manager = venue !== undefined && manages(auth, venue.owner_id);
  if (!venue || (!venue.is_active && !manager)) throw problems.notFound("Venue");
  return { venue, manager };
}

export async function createVenue(db: Db, actor: Actor, input: z.infer<typeof VenueCreateBody>): Promise<VenueRow> {
  const { owner_id, ...fields } = input;
  const ownerId = await resolveOwner(db, actor, owner_id, "owner_id");
  return auditedInsert(db, actor, venues, { id: newId(), ...fields, owner_id: ownerId });
}

export async function listVenues(db: Db, auth: AuthContext | undefined, query: z.infer<typeof VenueListQuery>) {
  const rows = await db
    .select()
    .from(venues)
    .where(
      and(
        ownedListScope(auth, query, venues.owner_id, venues.is_active),
        query.city ? sql`lower(${venues.city}) = lower(${query.city})` : undefined,
        query.country ? eq(venues.country, query.country) : undefined,
        query.q ? sql`${venues.name} LIKE ${containsPattern(query.q)} ESCAPE '\\'` : undefined,
        afterCursor(decodeCursor(query.cursor), venues.name, venues.id),
      ),
    )
    .orderBy(asc(venues.name), asc(venues.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.name, id: row.id }));
}

/** Zones and access points of a venue: all for its managers, active ones for the public. */
export async function venueDetail(db: Db, auth: AuthContext | undefined, venueId: string) {
  const { venue, manager } = await visibleVenue(db, auth, venueId);
  const [zones, gates, links] = await db.batch([
    db
      .select()
      .from(venue_zones)
      .where(and(eq(venue_zones.venue_id, venueId), manager ? undefined : eq(venue_zones.is_active, true)))
      .orderBy(asc(venue_zones.code)),
    db
      .select()
      .from(access_points)
      .where(and(eq(access_points.venue_id, venueId), manager ? undefined : eq(access_points.is_active, true)))
      .orderBy(asc(access_points.code)),
    db
      .select({ access_point_id: access_point_zones.access_point_id, zone_id: access_point_zones.zone_id })
      .from(access_point_zones)
      .innerJoin(access_points, eq(access_points.id, access_point_zones.access_point_id))
      .where(eq(access_points.venue_id, venueId)),
  ]);
  const shown = new Set(zones.map((zone) => zone.id));
  const zonesOf = new Map<string, string[]>();
  for (const link of links) {
    if (!shown.has(link.zone_id)) continue;
    zonesOf.set(link.access_point_id, [...(zonesOf.get(link.access_point_id) ?? []), link.zone_id]);
  }
  return { venue, zones, accessPoints: gates.map((gate) => toAccessPoint(gate, (zonesOf.get(gate.id) ?? []).sort())) };
}

export async function updateVenue(db: Db, actor: Actor, venueId: string, input: z.infer<typeof VenueUpdateBody>): Promise<VenueRow> {
  const venue = await managedVenue(db, actor, venueId);
  const { owner_id, ...fields } = input;
  const patch: Partial<typeof venues.$inferInsert> = { ...fields };
  if (owner_id !== undefined) patch.owner_id = await resolveOwner(db, actor, owner_id, "owner_id");
  if (Object.keys(patch).length === 0) return venue;
  return (await auditedUpdate(db, actor, venues, venueId, patch, { what: "Venue" })).after;
}

const eventsAtVenue = (venueId: string) => sql`EXISTS (SELECT 1 FROM ${events} WHERE ${events.venue_id} = ${venueId})`;

/** Refused while an event takes place there or its zones, seats or gates are referenced (tickets, passes, scans). */
export async function deleteVenue(db: Db, actor: Actor, venueId: string): Promise<void> {
  await managedVenue(db, actor, venueId);
  const [used] = await db.select({ used: sql<number>`${eventsAtVenue(venueId)}` }).from(venues).where(eq(venues.id, venueId));
  if (used?.used) throw problems.conflict("venue_in_use", "Events take place at this venue; deactivate it instead (is_active: false).");
  try {
    await auditedDelete(db, actor, venues, venueId, { guard: sql`NOT ${eventsAtVenue(venueId)}`, what: "Venue" });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw problems.conflict("venue_in_use", "Tickets, passes or scans refer to this venue's zones, seats or gates; deactivate it instead.");
    throw error;
  }
}
