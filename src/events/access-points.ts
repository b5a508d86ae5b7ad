import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { z } from "zod";
import type { AuthContext } from "../env.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation, isForeignKeyViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { jsonList } from "./ownership.ts";
import { access_point_zones, access_points, venue_zones } from "./schema.ts";
import { toAccessPoint, type AccessPointCreateBody, type AccessPointUpdateBody } from "./venues-schemas.ts";
import { managedVenue, visibleVenue } from "./venues.ts";

// A venue's access points (gates, turnstiles) and the zones each opens onto.

type AccessPointRow = typeof access_points.$inferSelect;

/** 422 naming each listed zone that is not a zone of the venue. */
async function assertZonesOfVenue(db: Db, venueId: string, zoneIds: string[]) {
  const rows = await db
    .select({ id: venue_zones.id })
    .from(venue_zones)
    .where(and(eq(venue_zones.venue_id, venueId), sql`${venue_zones.id} IN (SELECT value FROM json_each(${jsonList(zoneIds)}))`));
  const known = new Set(rows.map((row) => row.id));
  const errors = zoneIds.flatMap((id, i) => (known.has(id) ? [] : [{ path: `zone_ids.${i}`, message: "Not a zone of this venue.", code: "zone_not_in_venue" }]));
  if (errors.length > 0) throw problems.validation(errors);
}

const linkZones = (db: Db, accessPointId: string, zoneIds: string[]) =>
  // INSERT … SELECT takes every column of access_point_zones, in table order.
  db.insert(access_point_zones).select(sql`SELECT ${accessPointId}, value, ${now()} FROM json_each(${jsonList(zoneIds)})`);

const zoneIdsOf = async (db: Db, accessPointId: string) =>
  (await db.select({ id: access_point_zones.zone_id }).from(access_point_zones).where(eq(access_point_zones.access_point_id, accessPointId))).map((row) => row.id).sort();

const accessPointCodeTaken = (code: string) => problems.conflict("access_point_code_taken", `This venue already has an access point with code "${code}".`);

async function accessPointOfVenue(db: Db, venueId: string, accessPointId: string): Promise<AccessPointRow> {
  const [gate] = await db.select().from(access_points).where(and(eq(access_points.id, accessPointId), eq(access_points.venue_id, venueId))).limit(1);
  if (!gate) throw problems.notFound("Access point");
  return gate;
}

/**
 * The access point row and its zone links are written one after the other (the
 * links need the row); the audit entry's description lists the zones.
 */
export async function createAccessPoint(db: Db, actor: Actor, venueId: string, input: z.infer<typeof AccessPointCreateBody>) {
  await managedVenue(db, actor, venueId);
  const { zone_ids, ...fields } = input;
  await assertZonesOfVenue(db, venueId, zone_ids);
  const id = newId();
  let gate: AccessPointRow;
  try {
    gate = await auditedInsert(db, actor, access_points, { id, venue_id: venueId, ...fields }, { description: `CREATE access_points onto zones ${zone_ids.join(", ")}` });
  } catch (error) {
    if (isUniqueViolation(error, "access_points.code")) throw accessPointCodeTaken(fields.code);
    throw error;
  }
  try {
    await linkZones(db, id, zone_ids);
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error;
    // A zone was deleted in between: take the gate back rather than leave it opening onto nothing.
    await auditedDelete(db, actor, access_points, id, { what: "Access point" });
    throw problems.conflict("concurrent_change", "One of these zones was deleted meanwhile; reload the venue and try again.");
  }
  return toAccessPoint(gate, [...zone_ids].sort());
}

export async function listAccessPoints(db: Db, auth: AuthContext | undefined, venueId: string, query: { limit: number; cursor?: string }) {
  const { manager } = await visibleVenue(db, auth, venueId);
  const after = decodeCursor(query.cursor);
  const rows = await db
    .select()
    .from(access_points)
    .where(and(eq(access_points.venue_id, venueId), manager ? undefined : eq(access_points.is_active, true), after ? gt(access_points.code, String(after.k)) : undefined))
    .orderBy(asc(access_points.code))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.code, id: row.id }));
  const links = page.data.length
    ? await db
        .select({ access_point_id: access_point_zones.access_point_id, zone_id: access_point_zones.zone_id })
        .from(access_point_zones)
        .innerJoin(venue_zones, eq(venue_zones.id, access_point_zones.zone_id))
        .where(and(sql`${access_point_zones.access_point_id} IN (SELECT value FROM json_each(${jsonList(page.data.map((gate) => gate.id))}))`, manager ? undefined : eq(venue_zones.is_active, true)))
    : [];
  const zonesOf = (id: string) => links.filter((link) => link.access_point_id === id).map((link) => link.zone_id).sort();
  return { data: page.data.map((gate) => toAccessPoint(gate, zonesOf(gate.id))), next_cursor: page.next_cursor };
}

export async function getAccessPoint(db: Db, auth: AuthContext | undefined, venueId: string, accessPointId: string) {
  const { manager } = await visibleVenue(db, auth, venueId);
  const gate = await accessPointOfVenue(db, venueId, accessPointId);
  if (!gate.is_active && !manager) throw problems.notFound("Access point");
  const links = await db
    .select({ id: access_point_zones.zone_id })
    .from(access_point_zones)
    .innerJoin(venue_zones, eq(venue_zones.id, access_point_zones.zone_id))
    .where(and(eq(access_point_zones.access_point_id, accessPointId), manager ? undefined : eq(venue_zones.is_active, true)));
  return toAccessPoint(gate, links.map((link) => link.id).sort());
}

export async function updateAccessPoint(db: Db, actor: Actor, venueId: string, accessPointId: string, input: z.infer<typeof AccessPointUpdateBody>) {
  await managedVenue(db, actor, venueId);
  const current = await accessPointOfVenue(db, venueId, accessPointId);
  const { zone_ids, ...fields } = input;
  if (zone_ids) await assertZonesOfVenue(db, venueId, zone_ids);
  if (Object.keys(input).length === 0) return toAccessPoint(current, await zoneIdsOf(db, accessPointId));
  let gate: AccessPointRow;
  try {
    ({ after: gate } = await auditedUpdate(db, actor, access_points, accessPointId, fields, {
      guard: eq(access_points.venue_id, venueId),
      what: "Access point",
      description: zone_ids ? `UPDATE access_points (zones: ${(await zoneIdsOf(db, accessPointId)).join(", ")} → ${zone_ids.join(", ")})` : undefined,
    }));
  } catch (error) {
    if (fields.code && isUniqueViolation(error, "access_points.code")) throw accessPointCodeTaken(fields.code);
    throw error;
  }
  if (zone_ids) {
    try {
      await db.batch([db.delete(access_point_zones).where(eq(access_point_zones.access_point_id, accessPointId)), linkZones(db, accessPointId, zone_ids)]);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw problems.conflict("concurrent_change", "One of these zones was deleted meanwhile; reload the venue and try again.");
      throw error;
    }
  }
  return toAccessPoint(gate, await zoneIdsOf(db, accessPointId));
}

export async function deleteAccessPoint(db: Db, actor: Actor, venueId: string, accessPointId: string): Promise<void> {
  await managedVenue(db, actor, venueId);
  await accessPointOfVenue(db, venueId, accessPointId);
  try {
    await auditedDelete(db, actor, access_points, accessPointId, { guard: eq(access_points.venue_id, venueId), what: "Access point" });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw problems.conflict("access_point_in_use", "Scans were recorded at this access point; deactivate it instead.");
    throw error;
  }
}
