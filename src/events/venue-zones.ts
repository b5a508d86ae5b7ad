import { and, asc, count, eq, gt, ne, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { z } from "zod";
import type { AuthContext } from "../env.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation, isForeignKeyViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { type Caller, jsonList } from "./ownership.ts";
import { seats, venue_zones } from "./schema.ts";
import { rowLabels, type SeatListQuery, type SeatsCreateInput, type ZoneCreateBody, type ZoneListQuery, type ZoneUpdateBody } from "./venues-schemas.ts";
import { managedVenue, visibleVenue } from "./venues.ts";

// A venue's zones (with their category and capacity) and the numbered seats in them.

type ZoneRow = typeof venue_zones.$inferSelect;

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

interface SeatSpec {
  section: string;
  row: string;
  number: string;
  is_accessible: boolean;
  is_companion: boolean;
  x: number;
  y: number;
  rotation: number;
}

function expandSeats(input: SeatsCreateInput): SeatSpec[] {
  if (input.seats) {
    return input.seats.map((seat) => ({ ...seat, is_accessible: seat.is_accessible ?? false, is_companion: seat.is_companion ?? false, x: seat.x ?? 0, y: seat.y ?? 0, rotation: seat.rotation ?? 0 }));
  }
  const generator = input.generate!;
  const accessible = new Set(generator.accessible_rows ?? []);
  const first = generator.first_number ?? 1;
  const origin = generator.origin ?? { x: 0, y: 0, spacing: 0, rotation: 0 };
  return rowLabels(generator.rows).flatMap((row, r) =>
    Array.from({ length: generator.seats_per_row }, (_, i) => ({
      section: generator.section,
      row,
      number: String(first + i),
      is_accessible: accessible.has(row),
      is_companion: false,
      x: origin.x + i * origin.spacing,
      y: origin.y + r * origin.spacing,
      rotation: origin.rotation ?? 0,
    })),
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
    const chunk = specs.slice(i, i + SEAT_CHUNK).map((s) => [newId(), s.section, s.row, s.number, s.is_accessible ? 1 : 0, s.is_companion ? 1 : 0, s.x, s.y, s.rotation]);
    // INSERT … SELECT takes every column of seats, in table order.
    statements.push(
      db.insert(seats).select(
        sql`SELECT json_extract(value, '$[0]'), ${zoneId}, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
                   json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'), 1, ${createdAt}
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
