import { and, asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { AuthContext } from "../env.ts";
import type { Db } from "../db/client.ts";
import { isForeignKeyViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { organizationForMove, chooseOrganization, requireManaged, seesInside } from "../organizations/permissions.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { type Caller, containsPattern, ownedListScope } from "./ownership.ts";
import { access_point_zones, access_points, events, venue_zones, venues } from "./schema.ts";
import { toAccessPoint, type VenueCreateBody, type VenueListQuery, type VenueUpdateBody } from "./venues-schemas.ts";

// Venues: places events happen, owned by an organization (or the platform), with their zones, seats and access points (venue-zones.ts, access-points.ts).

type VenueRow = typeof venues.$inferSelect;

/**
 * The venue if the caller manages it (`catalog.manage` in its organization,
 * or an admin): other members get 403, anyone else 404, so other
 * organizations' venues are never confirmed.
 */
export async function managedVenue(db: Db, caller: Caller, venueId: string): Promise<VenueRow> {
  const [venue] = await db.select().from(venues).where(eq(venues.id, venueId)).limit(1);
  if (!venue) throw problems.notFound("Venue");
  await requireManaged(db, caller, venue.organization_id, "catalog.manage", "Venue");
  return venue;
}

/** The venue as the caller may read it: active ones for everyone, inactive ones only for its organization's members and admins. */
export async function visibleVenue(db: Db, auth: AuthContext | undefined, venueId: string): Promise<{ venue: VenueRow; manager: boolean }> {
  const [venue] = await db.select().from(venues).where(eq(venues.id, venueId)).limit(1);
  const manager = venue !== undefined && (await seesInside(db, auth, venue.organization_id));
  if (!venue || (!venue.is_active && !manager)) throw problems.notFound("Venue");
  return { venue, manager };
}

export async function createVenue(db: Db, actor: Actor, input: z.infer<typeof VenueCreateBody>): Promise<VenueRow> {
  const { organization_id, ...fields } = input;
  const organizationId = await chooseOrganization(db, actor, organization_id, "catalog.manage", { platformWide: true });
  return auditedInsert(db, actor, venues, { id: newId(), ...fields, owner_id: actor.userId, organization_id: organizationId });
}

export async function listVenues(db: Db, auth: AuthContext | undefined, query: z.infer<typeof VenueListQuery>) {
  const rows = await db
    .select()
    .from(venues)
    .where(
      and(
        ownedListScope(db, auth, query, venues.organization_id, venues.is_active),
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
  const { organization_id, ...fields } = input;
  const patch: Partial<typeof venues.$inferInsert> = { ...fields };
  const moved = await organizationForMove(db, actor, venue.organization_id, organization_id, { platformWide: true });
  if (moved !== undefined) patch.organization_id = moved;
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
