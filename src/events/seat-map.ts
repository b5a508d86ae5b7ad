/**
 * Seat maps: the venue's seat geometry as one document (the same for every
 * event at the venue, so it is cached by clients and the edge), and the push
 * of the venue's seats to an event's EventDO, which holds each seat's status
 * for that event (durable-objects/event/seats.ts).
 */
import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import type { SeatSetup } from "../../durable-objects/event/contract.ts";
import type { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import { sha256Hex } from "../lib/crypto/hash.ts";
import { coversAutomatically, nearValidity, withinValidity } from "../passes/coverage.ts";
import { seats, venue_zones } from "./schema.ts";

/** Seats per RPC when pushing a venue's seats to an event's object (a 60,000-seat stadium in six calls). */
const SEAT_PUSH_BATCH = 10_000;

/** A seat's flags in the geometry document: bit 0 accessible, bit 1 companion, bit 2 inactive. */
const FLAG = { accessible: 1, companion: 2, inactive: 4 } as const;

type SeatRow = Pick<typeof seats.$inferSelect, "id" | "zone_id" | "section" | "row" | "number" | "x" | "y" | "rotation" | "is_accessible" | "is_companion" | "is_active">;

/** The venue's seats in map order: zone, section, row, then number (numerically where the numbers are numbers). */
async function venueSeats(env: Env, venueId: string): Promise<{ zones: { id: string; code: string; name: string; category: string }[]; rows: SeatRow[] }> {
  const db = getDb(env.DB);
  const zones = await db
    .select({ id: venue_zones.id, code: venue_zones.code, name: venue_zones.name, category: venue_zones.category })
    .from(venue_zones)
    .where(eq(venue_zones.venue_id, venueId))
    .orderBy(asc(venue_zones.code), asc(venue_zones.id));
  if (zones.length === 0) return { zones, rows: [] };
  const rows = await db
    .select({
      id: seats.id,
      zone_id: seats.zone_id,
      section: seats.section,
      row: seats.row,
      number: seats.number,
      x: seats.x,
      y: seats.y,
      rotation: seats.rotation,
      is_accessible: seats.is_accessible,
      is_companion: seats.is_companion,
      is_active: seats.is_active,
    })
    .from(seats)
    .where(inArray(seats.zone_id, zones.map((z) => z.id)))
    .orderBy(asc(seats.zone_id), asc(seats.section), asc(seats.row), sql`length(${seats.number})`, asc(seats.number));
  return { zones, rows };
}

/** Each seat's row key and place in its row, for adjacency: its number where a row's numbers are all numbers, else its order in the row. */
export function seatSetups(rows: SeatRow[]): SeatSetup[] {
  const byRow = new Map<string, SeatRow[]>();
  for (const seat of rows) {
    const key = `${seat.zone_id}\u0000${seat.section}\u0000${seat.row}`;
    byRow.set(key, [...(byRow.get(key) ?? []), seat]);
  }
  const setups: SeatSetup[] = [];
  for (const row of byRow.values()) {
    const numeric = row.every((seat) => /^\d+$/.test(seat.number));
    // Rows sort as text in the object: zero-padded numeric rows keep 2 after 1 and 10 after 9.
    row.forEach((seat, i) =>
      setups.push({
        id: seat.id,
        zone_id: seat.zone_id,
        row_key: `${seat.section.padStart(8, " ")}/${/^\d+$/.test(seat.row) ? seat.row.padStart(6, "0") : seat.row.padStart(6, " ")}`,
        position: numeric ? Number(seat.number) : i,
        active: seat.is_active,
      }),
    );
  }
  return setups;
}

/**
 * Pushes the venue's seats to the event's object, and the seats of the live
 * season passes (PENDING, ACTIVE, SUSPENDED) whose plans cover the event:
 * those are reserved there and never sold. A venue without seats pushes
 * nothing.
 */
export async function syncEventSeats(env: Env, event: { id: string; venue_id: string | null; starts_at: string; timezone: string }, stub: ReturnType<typeof eventStub>): Promise<void> {
  if (!event.venue_id) return;
  const { rows } = await venueSeats(env, event.venue_id);
  if (rows.length === 0) return;
  const passes = await getDb(env.DB).all<{ seat_id: string; valid_from: string; valid_until: string }>(sql`
    SELECT s.seat_id, s.valid_from, s.valid_until FROM events e JOIN subscription_plans p ON ${coversAutomatically({ id: sql`p.id`, type: sql`p.type` })}
      JOIN subscriptions s ON s.subscription_plan_id = p.id
    WHERE e.id = ${event.id} AND s.seat_id IS NOT NULL AND s.status IN ('PENDING', 'ACTIVE', 'SUSPENDED') AND ${nearValidity(sql`s.valid_from`, sql`s.valid_until`)}`);
  const passSeatIds = passes.filter((p) => withinValidity(event, p)).map((p) => p.seat_id);
  const setups = seatSetups(rows);
  for (let i = 0; i < setups.length; i += SEAT_PUSH_BATCH) {
    const last = i + SEAT_PUSH_BATCH >= setups.length;
    await stub.loadSeats(setups.slice(i, i + SEAT_PUSH_BATCH), last ? passSeatIds : null);
  }
}

/**
 * The venue's seat geometry as one document: its zones, then its seats as
 * arrays (no field names repeated 60,000 times) of
 * `[id, zone index, section, row, number, x, y, rotation, flags]`, flags
 * being FLAG's bits. The same for every event at the venue; `etag` is its
 * digest.
 */
export async function seatMapDocument(env: Env, venueId: string): Promise<{ body: string; etag: string; seats: number }> {
  const { zones, rows } = await venueSeats(env, venueId);
  const zoneIndex = new Map(zones.map((z, i) => [z.id, i]));
  const flags = (seat: SeatRow) => (seat.is_accessible ? FLAG.accessible : 0) | (seat.is_companion ? FLAG.companion : 0) | (seat.is_active ? 0 : FLAG.inactive);
  const body = JSON.stringify({
    venue_id: venueId,
    zones,
    columns: ["id", "zone", "section", "row", "number", "x", "y", "rotation", "flags"],
    seats: rows.map((seat) => [seat.id, zoneIndex.get(seat.zone_id)!, seat.section, seat.row, seat.number, seat.x, seat.y, seat.rotation, flags(seat)]),
  });
  return { body, etag: `"${(await sha256Hex(body)).slice(0, 32)}"`, seats: rows.length };
}
