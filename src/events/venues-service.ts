import { and, asc, count, eq, gt, ne, sql, type Column, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { z } from "zod";
import type { AuthContext } from "../env.ts";
import { manages, requireAuth, requireRole } from "../auth/middleware.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation, isForeignKeyViolation } from "../db/errors.ts";
import { subscription_plan_event_groups } from "../catalog/schema.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { isActiveOrganizer } from "../users/accounts.ts";
import { access_point_zones, access_points, event_groups, events, seats, venue_zones, venues } from "./schema.ts";
import {
  rowLabels,
  toAccessPoint,
  toEventGroup,
  type AccessPointCreateBody,
  type AccessPointUpdateBody,
  type EventGroupCreateBody,
  type EventGroupListQuery,
  type EventGroupUpdateBody,
  type SeatListQuery,
  type SeatsCreateInput,
  type VenueCreateBody,
  type VenueListQuery,
  type VenueUpdateBody,
  type ZoneCreateBody,
  type ZoneListQuery,
  type ZoneUpdateBody,
} from "./venues-schemas.ts";

type VenueRow = typeof venues.$inferSelect;
type ZoneRow = typeof venue_zones.$inferSelect;
type AccessPointRow = typeof access_points.$inferSelect;
type Caller = Pick<AuthContext, "userId" | "role">;

/** `LIKE` pattern matching `text` anywhere, with its wildcards escaped (use with ESCAPE '\'). */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** JSON text for `json_each`: lists go to D1 as one bound parameter, whatever their length (D1 allows 100 per statement). */
const jsonList = (values: unknown[]) => JSON.stringify(values);

/**
 * Who manages a new or transferred object: the caller, or for admins any active
 * organizer (or admin) they name. Organizers cannot hand objects to someone else.
 */
async function resolveOwner(db: Db, caller: Caller, requested: string | undefined, field: string): Promise<string> {
  if (requested === undefined || requested === caller.userId) return caller.userId;
  if (caller.role !== "ADMIN") throw problems.forbidden(`Only admins choose \`${field}\`.`);
  if (!(await isActiveOrganizer(db, requested))) throw problems.validation([{ path: field, message: "Expected an active organizer account.", code: "invalid_owner" }]);
  return requested;
}

/** Ownership filter of a list: mine (signed in), everything (admins, include_inactive), or active only (public). */
function ownedListScope(auth: AuthContext | undefined, query: { mine?: boolean; include_inactive?: boolean }, ownerColumn: Column, activeColumn: Column): SQL | undefined {
  if (query.mine) return eq(ownerColumn, requireAuth(auth).userId);
  if (query.include_inactive) {
    requireRole(auth, "ADMIN");
    return undefined;
  }
  return eq(activeColumn, true);
}


// ------------------------------------------------------------------ venues

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

// ------------------------------------------------------------------ zones

/** Lower-case ASCII code from a zone name: "Tribune Nord" → tribune_nord. */
function codeFromName(name: string): string | null {
  const slug = (value: string) => value.replace(/^_+|_+$/g, "");
  const code = slug(slug(name.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^a-z0-9]+/g, "_")).slice(0, 64));
  return code || null;
}

async function assertZoneNameFree(db: Db, venueId: string, name: string, exceptZoneId?: string) {
  const [taken] = await db
    .select({ id: venue_zones.id })
    .from(venue_zones)
    .where(and(eq(venue_zones.venue_id, venueId), sql`lower(${venue_zones.name}) = lower(${name})`, exceptZoneId ? ne(venue_zones.id, exceptZoneId) : undefined))
    .limit(1);
  if (taken) throw problems.conflict("zone_name_taken", `This venue already has a zone named "${name}".`);
}

const zoneCodeTaken = (code: string) => problems.conflict("zone_code_taken", `This venue already has a zone with code "${code}".`);

async function zoneOfVenue(db: Db, venueId: string, zoneId: string): Promise<ZoneRow> {
  const [zone] = await db.select().from(venue_zones).where(and(eq(venue_zones.id, zoneId), eq(venue_zones.venue_id, venueId))).limit(1);
  if (!zone) throw problems.notFound("Zone");
  return zone;
}

/** A zone of a venue the caller manages, or 404. */
export async function managedZone(db: Db, caller: Caller, venueId: string, zoneId: string): Promise<ZoneRow> {
  await managedVenue(db, caller, venueId);
  return zoneOfVenue(db, venueId, zoneId);
}

/** A zone as the caller may read it: inactive zones (or zones of inactive venues) only for managers. */
export async function visibleZone(db: Db, auth: AuthContext | undefined, venueId: string, zoneId: string): Promise<ZoneRow> {
  const { manager } = await visibleVenue(db, auth, venueId);
  const zone = await zoneOfVenue(db, venueId, zoneId);
  if (!zone.is_active && !manager) throw problems.notFound("Zone");
  return zone;
}

export async function createZone(db: Db, actor: Actor, venueId: string, input: z.infer<typeof ZoneCreateBody>): Promise<ZoneRow> {
  await managedVenue(db, actor, venueId);
  const code = input.code ?? codeFromName(input.name);
  if (!code) throw problems.validation([{ path: "code", message: "Give a code: the name has no Latin letters or digits to derive one from.", code: "code_required" }]);
  await assertZoneNameFree(db, venueId, input.name);
  try {
    return await auditedInsert(db, actor, venue_zones, { id: newId(), venue_id: venueId, ...input, code });
  } catch (error) {
    if (isUniqueViolation(error, "venue_zones.code")) throw zoneCodeTaken(code);
    throw error;
  }
}

export async function listZones(db: Db, auth: AuthContext | undefined, venueId: string, query: z.infer<typeof ZoneListQuery>) {
  const { manager } = await visibleVenue(db, auth, venueId);
  const after = decodeCursor(query.cursor);
  const rows = await db
    .select()
    .from(venue_zones)
    .where(
      and(
        eq(venue_zones.venue_id, venueId),
        manager ? undefined : eq(venue_zones.is_active, true),
        query.category ? eq(venue_zones.category, query.category) : undefined,
        after ? gt(venue_zones.code, String(after.k)) : undefined,
      ),
    )
    .orderBy(asc(venue_zones.code))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.code, id: row.id }));
}

const activeSeatCount = async (db: Db, zoneId: string) =>
  (await db.select({ n: count() }).from(seats).where(and(eq(seats.zone_id, zoneId), eq(seats.is_active, true))))[0]!.n;

export async function updateZone(db: Db, actor: Actor, venueId: string, zoneId: string, input: z.infer<typeof ZoneUpdateBody>): Promise<ZoneRow> {
  const zone = await managedZone(db, actor, venueId, zoneId);
  if (Object.keys(input).length === 0) return zone;
  if (input.name !== undefined) await assertZoneNameFree(db, venueId, input.name, zoneId);
  if (input.capacity !== undefined && input.capacity < zone.capacity) {
    const seated = await activeSeatCount(db, zoneId);
    if (input.capacity < seated) throw problems.conflict("zone_capacity_below_seats", `The zone has ${seated} seats; its capacity cannot be lower.`);
  }
  try {
    return (await auditedUpdate(db, actor, venue_zones, zoneId, input, { guard: eq(venue_zones.venue_id, venueId), what: "Zone" })).after;
  } catch (error) {
    if (input.code && isUniqueViolation(error, "venue_zones.code")) throw zoneCodeTaken(input.code);
    throw error;
  }
}

export async function deleteZone(db: Db, actor: Actor, venueId: string, zoneId: string): Promise<void> {
  await managedZone(db, actor, venueId, zoneId);
  try {
    await auditedDelete(db, actor, venue_zones, zoneId, { guard: eq(venue_zones.venue_id, venueId), what: "Zone" });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw problems.conflict("zone_in_use", "Tickets, passes, overrides or scans refer to this zone or its seats; deactivate it instead.");
    throw error;
  }
}

// ------------------------------------------------------------------ seats

interface SeatSpec {
  section: string;
  row: string;
  number: string;
  is_accessible: boolean;
}

function expandSeats(input: SeatsCreateInput): SeatSpec[] {
  if (input.seats) return input.seats.map((seat) => ({ ...seat, is_accessible: seat.is_accessible ?? false }));
  const generator = input.generate!;
  const accessible = new Set(generator.accessible_rows ?? []);
  const first = generator.first_number ?? 1;
  return rowLabels(generator.rows).flatMap((row) =>
    Array.from({ length: generator.seats_per_row }, (_, i) => ({ section: generator.section, row, number: String(first + i), is_accessible: accessible.has(row) })),
  );
}

const seatLabel = (seat: Pick<SeatSpec, "section" | "row" | "number">) => `section ${seat.section}, row ${seat.row}, seat ${seat.number}`;

/** Rows per INSERT … SELECT FROM json_each: keeps each bound JSON parameter small. */
const SEAT_CHUNK = 500;

/** The first seat of `specs` (in request order) that the zone already has. */
async function firstExistingSeat(db: Db, zoneId: string, specs: SeatSpec[]): Promise<SeatSpec | undefined> {
  const chunks: SeatSpec[][] = [];
  for (let i = 0; i < specs.length; i += SEAT_CHUNK) chunks.push(specs.slice(i, i + SEAT_CHUNK));
  const queries = chunks.map((chunk) =>
    db
      .select({ index: sql<number>`j.key` })
      .from(sql`json_each(${jsonList(chunk.map((s) => [s.section, s.row, s.number]))}) AS j`)
      .where(
        sql`EXISTS (SELECT 1 FROM ${seats} WHERE ${seats.zone_id} = ${zoneId} AND ${seats.section} = json_extract(j.value, '$[0]')
              AND ${seats.row} = json_extract(j.value, '$[1]') AND ${seats.number} = json_extract(j.value, '$[2]'))`,
      )
      .orderBy(sql`j.key`)
      .limit(1),
  );
  const results = await db.batch(queries as [(typeof queries)[number], ...(typeof queries)[number][]]);
  for (const [c, rows] of results.entries()) if (rows[0]) return chunks[c]![Number(rows[0].index)];
  return undefined;
}

/**
 * Creates up to 10,000 seats in one D1 batch (atomic: all or none), in chunks
 * of INSERT … SELECT FROM json_each. Duplicates, in the request or with the
 * zone's seats, are a 409 naming the first one. The zone's audit entry
 * records the creation (one entry per request, not one per seat).
 */
export async function createSeats(db: Db, actor: Actor, venueId: string, zoneId: string, input: SeatsCreateInput): Promise<number> {
  const zone = await managedZone(db, actor, venueId, zoneId);
  const specs = expandSeats(input);
  const seen = new Set<string>();
  for (const spec of specs) {
    const key = JSON.stringify([spec.section, spec.row, spec.number]);
    if (seen.has(key)) throw problems.conflict("duplicate_seat", `The request lists ${seatLabel(spec)} twice.`);
    seen.add(key);
  }
  const existing = await firstExistingSeat(db, zoneId, specs);
  if (existing) throw problems.conflict("duplicate_seat", `The zone already has ${seatLabel(existing)}.`);
  const seated = await activeSeatCount(db, zoneId);
  if (seated + specs.length > zone.capacity) {
    throw problems.conflict("zone_capacity_exceeded", `The zone holds ${zone.capacity} people and has ${seated} seats; ${specs.length} more do not fit.`);
  }

  const createdAt = now();
  const statements: BatchItem<"sqlite">[] = [];
  for (let i = 0; i < specs.length; i += SEAT_CHUNK) {
    const chunk = specs.slice(i, i + SEAT_CHUNK).map((s) => [newId(), s.section, s.row, s.number, s.is_accessible ? 1 : 0]);
    // INSERT … SELECT takes every column of seats, in table order.
    statements.push(
      db.insert(seats).select(
        sql`SELECT json_extract(value, '$[0]'), ${zoneId}, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
                   json_extract(value, '$[4]'), 1, ${createdAt}
            FROM json_each(${jsonList(chunk)})`,
      ),
    );
  }
  try {
    await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  } catch (error) {
    if (isUniqueViolation(error, "seats.")) throw problems.conflict("duplicate_seat", "Some of these seats were created meanwhile; list the zone's seats and retry.");
    if (isForeignKeyViolation(error)) throw problems.notFound("Zone");
    throw error;
  }
  const first = specs[0]!;
  const last = specs[specs.length - 1]!;
  await auditedUpdate(db, actor, venue_zones, zoneId, { is_seated: true }, {
    description: `CREATE ${specs.length} seats (${seatLabel(first)} … ${seatLabel(last)})`,
    what: "Zone",
  });
  return specs.length;
}

/**
 * Seats in (section, row, number) text order: the zone's unique index serves
 * both the filter and the order, so a page reads only its own rows however
 * large the zone ("10" sorts before "2"; clients lay seats out themselves).
 */
export async function listSeats(db: Db, auth: AuthContext | undefined, venueId: string, zoneId: string, query: z.infer<typeof SeatListQuery>) {
  await visibleZone(db, auth, venueId, zoneId);
  const after = decodeCursor(query.cursor);
  let position: SQL | undefined;
  if (after) {
    let key: unknown;
    try {
      key = JSON.parse(String(after.k));
    } catch {
      key = undefined;
    }
    if (!Array.isArray(key) || key.length !== 3 || !key.every((part) => typeof part === "string")) {
      throw problems.validation([{ path: "query.cursor", message: "Invalid cursor.", code: "invalid_cursor" }]);
    }
    const [s, r, n] = key as [string, string, string];
    position = sql`(${seats.section}, ${seats.row}, ${seats.number}) > (${s}, ${r}, ${n})`;
  }
  const rows = await db
    .select()
    .from(seats)
    .where(
      and(
        eq(seats.zone_id, zoneId),
        query.section ? eq(seats.section, query.section) : undefined,
        query.row ? eq(seats.row, query.row) : undefined,
        position,
      ),
    )
    .orderBy(asc(seats.section), asc(seats.row), asc(seats.number))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: JSON.stringify([row.section, row.row, row.number]), id: row.id }));
}

export async function deleteSeat(db: Db, actor: Actor, venueId: string, zoneId: string, seatId: string): Promise<void> {
  await managedZone(db, actor, venueId, zoneId);
  const [seat] = await db.select({ id: seats.id }).from(seats).where(and(eq(seats.id, seatId), eq(seats.zone_id, zoneId))).limit(1);
  if (!seat) throw problems.notFound("Seat");
  try {
    await auditedDelete(db, actor, seats, seatId, { guard: eq(seats.zone_id, zoneId), what: "Seat" });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw problems.conflict("seat_in_use", "Tickets or season passes hold this seat.");
    throw error;
  }
}

// ------------------------------------------------------------------ access points

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

// ------------------------------------------------------------------ event groups

type EventGroupRow = typeof event_groups.$inferSelect;

/**
 * Published events of the group (what the public sees). Spelled out: drizzle
 * leaves columns unqualified in a single-table select, which would bind `id`
 * to events inside the subquery.
 */
const eventsCount = sql<number>`(SELECT count(*) FROM "events" AS e WHERE e."event_group_id" = "event_groups"."id" AND e."status" IN ('APPROVED', 'COMPLETED'))`;

async function groupWithCount(db: Db, groupId: string): Promise<{ group: EventGroupRow; count: number } | undefined> {
  const [row] = await db.select({ group: event_groups, count: eventsCount }).from(event_groups).where(eq(event_groups.id, groupId)).limit(1);
  return row;
}

export async function managedGroup(db: Db, caller: Caller, groupId: string): Promise<{ group: EventGroupRow; count: number }> {
  const row = await groupWithCount(db, groupId);
  if (!row || !manages(caller, row.group.organizer_id)) throw problems.notFound("Event group");
  return row;
}

export async function visibleGroup(db: Db, auth: AuthContext | undefined, groupId: string) {
  const row = await groupWithCount(db, groupId);
  if (!row || (!row.group.is_active && !manages(auth, row.group.organizer_id))) throw problems.notFound("Event group");
  return toEventGroup(row.group, row.count);
}

const groupCodeTaken = (code: string) => problems.conflict("event_group_code_taken", `An event group with code "${code}" exists.`);

export async function createEventGroup(db: Db, actor: Actor, input: z.infer<typeof EventGroupCreateBody>) {
  const { organizer_id, ...fields } = input;
  const organizerId = await resolveOwner(db, actor, organizer_id, "organizer_id");
  try {
    return toEventGroup(await auditedInsert(db, actor, event_groups, { id: newId(), ...fields, organizer_id: organizerId }), 0);
  } catch (error) {
    if (isUniqueViolation(error, "event_groups.code")) throw groupCodeTaken(fields.code);
    throw error;
  }
}

export async function listEventGroups(db: Db, auth: AuthContext | undefined, query: z.infer<typeof EventGroupListQuery>) {
  const rows = await db
    .select({ group: event_groups, count: eventsCount })
    .from(event_groups)
    .where(
      and(
        ownedListScope(auth, query, event_groups.organizer_id, event_groups.is_active),
        query.group_type ? eq(event_groups.group_type, query.group_type) : undefined,
        query.q ? sql`${event_groups.name} LIKE ${containsPattern(query.q)} ESCAPE '\\'` : undefined,
        afterCursor(decodeCursor(query.cursor), event_groups.name, event_groups.id),
      ),
    )
    .orderBy(asc(event_groups.name), asc(event_groups.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.group.name, id: row.group.id }));
  return { data: page.data.map((row) => toEventGroup(row.group, row.count)), next_cursor: page.next_cursor };
}

export async function updateEventGroup(db: Db, actor: Actor, groupId: string, input: z.infer<typeof EventGroupUpdateBody>) {
  const { group, count: eventCount } = await managedGroup(db, actor, groupId);
  const { organizer_id, ...fields } = input;
  const patch: Partial<typeof event_groups.$inferInsert> = { ...fields };
  if (organizer_id !== undefined) patch.organizer_id = await resolveOwner(db, actor, organizer_id, "organizer_id");
  if (Object.keys(patch).length === 0) return toEventGroup(group, eventCount);
  const startsOn = patch.starts_on === undefined ? group.starts_on : patch.starts_on;
  const endsOn = patch.ends_on === undefined ? group.ends_on : patch.ends_on;
  if (startsOn && endsOn && endsOn < startsOn) {
    throw problems.validation([{ path: input.ends_on !== undefined ? "ends_on" : "starts_on", message: "The group ends before it starts.", code: "dates_out_of_order" }]);
  }
  try {
    return toEventGroup((await auditedUpdate(db, actor, event_groups, groupId, patch, { what: "Event group" })).after, eventCount);
  } catch (error) {
    if (fields.code && isUniqueViolation(error, "event_groups.code")) throw groupCodeTaken(fields.code);
    throw error;
  }
}

const groupInUse = (groupId: string) =>
  sql`(EXISTS (SELECT 1 FROM ${events} WHERE ${events.event_group_id} = ${groupId})
       OR EXISTS (SELECT 1 FROM ${subscription_plan_event_groups} WHERE ${subscription_plan_event_groups.event_group_id} = ${groupId}))`;

/** Refused while events belong to the group or season-pass plans cover it (deleting would silently drop it from those plans). */
export async function deleteEventGroup(db: Db, actor: Actor, groupId: string): Promise<void> {
  await managedGroup(db, actor, groupId);
  const [used] = await db.select({ used: sql<number>`${groupInUse(groupId)}` }).from(event_groups).where(eq(event_groups.id, groupId));
  if (used?.used) throw problems.conflict("event_group_in_use", "Events or season-pass plans refer to this group; deactivate it instead (is_active: false).");
  await auditedDelete(db, actor, event_groups, groupId, { guard: sql`NOT ${groupInUse(groupId)}`, what: "Event group" });
}
