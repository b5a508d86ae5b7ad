/**
 * The event's seats: each seat of the venue's seated zones with its status
 * for this event (AVAILABLE, HELD, SOLD, BLOCKED, KILLED, PASS: reserved for
 * a season pass, never sold), the order holding it, and the version of its
 * last change. One row per seat in the object's SQLite (a 60,000-seat
 * stadium is a few MB on disk, paged in as read, not held in JS memory);
 * every read is an index range: a seat by id, an order's seats, the seats
 * changed since a version, a zone's free seats in row order.
 *
 * Seats move with their order inside the order's own step (orders.ts):
 * held with the hold, sold with the confirmation, released by expiry,
 * release and cancellation. Each change takes the next `seat_version`, which
 * is what the availability delta is read by.
 */
import { fail, type Result, type SeatAvailability, type SeatSetup, type SeatStatus } from "./contract.ts";
import type { EventStore } from "./store.ts";

/** The next version of the event's seats: one per step that changes seats, the same for every seat it changes. */
function nextVersion(s: EventStore): number {
  return s.sql<{ v: number }>`UPDATE event SET seat_version = seat_version + 1 RETURNING seat_version AS v`.one().v;
}

export const seatVersion = (s: EventStore): number => s.sql<{ v: number | null }>`SELECT seat_version AS v FROM event`.toArray()[0]?.v ?? 0;

/**
 * The venue's seats as the Worker read them (upserted: a seat keeps its
 * status, an inactive seat that is free becomes KILLED), and the seats of
 * the season passes that cover the event (PASS unless already sold or held).
 */
export function loadSeats(s: EventStore, seats: SeatSetup[], passSeatIds: string[] | null): { seats: number; version: number } {
  const { sql } = s;
  let version = 0;
  s.storage.transactionSync(() => {
    version = nextVersion(s);
    for (const seat of seats) {
      sql`INSERT INTO seats (id, zone_id, row_key, position, status, version) VALUES (${seat.id}, ${seat.zone_id}, ${seat.row_key}, ${seat.position}, ${seat.active ? "AVAILABLE" : "KILLED"}, ${version})
          ON CONFLICT (id) DO UPDATE SET zone_id = excluded.zone_id, row_key = excluded.row_key, position = excluded.position,
            status = CASE WHEN excluded.status = 'KILLED' AND seats.status = 'AVAILABLE' THEN 'KILLED' ELSE seats.status END,
            version = CASE WHEN excluded.status = 'KILLED' AND seats.status = 'AVAILABLE' THEN excluded.version ELSE seats.version END`;
    }
    if (passSeatIds) {
      // Passes no longer live give their seats back; live ones take theirs unless an order already has them.
      const live = new Set(passSeatIds);
      for (const row of sql<{ id: string }>`SELECT id FROM seats WHERE status = 'PASS'`.toArray()) {
        if (!live.has(row.id)) sql`UPDATE seats SET status = 'AVAILABLE', version = ${version} WHERE id = ${row.id}`;
      }
      for (const id of live) sql`UPDATE seats SET status = 'PASS', version = ${version} WHERE id = ${id} AND status IN ('AVAILABLE', 'BLOCKED')`;
    }
  });
  return { seats: sql<{ n: number }>`SELECT count(*) AS n FROM seats`.one().n, version };
}

/** A season pass's right was issued with its seat: the seat is the pass's for this event. */
export function reserveForPass(s: EventStore, seatId: string): void {
  const version = nextVersion(s);
  s.sql`UPDATE seats SET status = 'PASS', order_id = NULL, version = ${version} WHERE id = ${seatId} AND status IN ('AVAILABLE', 'BLOCKED')`;
}

export interface SeatLine {
  /** The line's index in the cart, for the refusal's detail. */
  index: number;
  zone_id: string | null;
  quantity: number;
  seat_ids: string[];
}

/**
 * Checks the seats of a cart's lines, inside the hold decision and before
 * any write: each named seat exists here, is in its line's zone and is
 * AVAILABLE; a line without seats in a seated zone gets the best available
 * ones (`bestAvailable`). Returns the seats of each line, or the refusal.
 */
export function chooseSeats(s: EventStore, lines: SeatLine[], several: boolean): Result<{ seats: string[][] }> {
  const { sql } = s;
  const at = (index: number, detail: string) => (several ? `lines[${index}]: ${detail}` : detail);
  const taken = new Set<string>();
  const chosen: string[][] = [];
  for (const line of lines) {
    if (line.seat_ids.length === 0) {
      const seated = line.zone_id !== null && sql`SELECT 1 FROM seats WHERE zone_id = ${line.zone_id} LIMIT 1`.toArray().length > 0;
      if (!seated) {
        chosen.push([]);
        continue;
      }
      const best = bestAvailable(s, line.zone_id!, line.quantity, taken);
      if (!best) return fail(409, "seats_unavailable", at(line.index, `Not ${line.quantity} free seat(s) left in this zone.`));
      for (const id of best) taken.add(id);
      chosen.push(best);
      continue;
    }
    for (const id of line.seat_ids) {
      const seat = sql<{ zone_id: string; status: string }>`SELECT zone_id, status FROM seats WHERE id = ${id}`.toArray()[0];
      if (!seat) return fail(422, "seat_not_found", at(line.index, `Seat ${id} is not a seat of this event.`));
      if (seat.zone_id !== line.zone_id) return fail(422, "seat_not_in_zone", at(line.index, `Seat ${id} is not in this ticket's zone.`));
      if (taken.has(id)) return fail(422, "seat_repeated", at(line.index, `Seat ${id} is named twice in this order.`));
      if (seat.status !== "AVAILABLE") return fail(409, "seat_taken", at(line.index, `Seat ${id} is not available.`));
      taken.add(id);
    }
    chosen.push(line.seat_ids);
  }
  return { ok: true, seats: chosen };
}

/**
 * The best `quantity` free seats of a zone: the first run of that many
 * adjacent seats in one row (rows in their load order, seats by position),
 * else the seats nearest to each other: the first free seat in that order
 * and the free seats nearest to it (by row, then position). Reads the zone's
 * free seats through its index, stopping at the first fitting run.
 */
export function bestAvailable(s: EventStore, zoneId: string, quantity: number, exclude: ReadonlySet<string> = new Set()): string[] | null {
  let run: { id: string; row: string; position: number }[] = [];
  const free: { id: string; row: string; position: number }[] = [];
  const cursor = s.sql<{ id: string; row_key: string; position: number }>`
    SELECT id, row_key, position FROM seats WHERE zone_id = ${zoneId} AND status = 'AVAILABLE' ORDER BY row_key, position`;
  for (const seat of cursor) {
    if (exclude.has(seat.id)) continue;
    const here = { id: seat.id, row: seat.row_key, position: Number(seat.position) };
    const last = run[run.length - 1];
    run = last && last.row === here.row && last.position === here.position - 1 ? [...run, here] : [here];
    if (run.length === quantity) return run.map((r) => r.id);
    free.push(here);
  }
  if (free.length < quantity) return null;
  // No run that long: the seats closest to the first free one (same row first, then the nearest rows).
  const first = free[0]!;
  const rows = [...new Set(free.map((f) => f.row))];
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  const distance = (f: (typeof free)[number]) => Math.abs(rowIndex.get(f.row)! - rowIndex.get(first.row)!) * 1_000_000 + Math.abs(f.position - first.position);
  return [...free].sort((a, b) => distance(a) - distance(b) || (a.row < b.row ? -1 : a.row > b.row ? 1 : a.position - b.position)).slice(0, quantity).map((f) => f.id);
}

/** Moves seats to a status for an order (held by it, sold to it) or back to AVAILABLE (`orderId` null); one version for the step. */
export function setSeats(s: EventStore, seatIds: readonly string[], status: "HELD" | "SOLD" | "AVAILABLE", orderId: string | null): void {
  if (seatIds.length === 0) return;
  const version = nextVersion(s);
  for (const id of seatIds) s.sql`UPDATE seats SET status = ${status}, order_id = ${orderId}, version = ${version} WHERE id = ${id}`;
}

/** An order's seats go back on sale (expiry, release, cancellation); seats reserved or blocked since stay so. */
export function releaseOrderSeats(s: EventStore, orderId: string): void {
  const ids = s.sql<{ id: string }>`SELECT id FROM seats WHERE order_id = ${orderId}`.toArray().map((r) => r.id);
  setSeats(s, ids, "AVAILABLE", null);
}

/** Whether an order may take its seats (a late payment after its hold expired): each free, or still its own. */
export function seatsFree(s: EventStore, seatIds: readonly string[], orderId: string): boolean {
  return seatIds.every((id) => {
    const row = s.sql<{ status: string; order_id: string | null }>`SELECT status, order_id FROM seats WHERE id = ${id}`.toArray()[0];
    return row !== undefined && (row.status === "AVAILABLE" || row.order_id === orderId);
  });
}

/**
 * The organizer's hand on seats: BLOCKED (held back, may be released),
 * KILLED (never sold: a broken seat, a camera position) or AVAILABLE again.
 * Seats held, sold or reserved for a pass are refused, and then nothing
 * changes.
 */
export function setSeatStatus(s: EventStore, seatIds: string[], status: "BLOCKED" | "KILLED" | "AVAILABLE"): Result<{ version: number; changed: number }> {
  const { sql } = s;
  for (const id of seatIds) {
    const row = sql<{ status: string }>`SELECT status FROM seats WHERE id = ${id}`.toArray()[0];
    if (!row) return fail(422, "seat_not_found", `Seat ${id} is not a seat of this event.`);
    if (row.status === "HELD" || row.status === "SOLD" || row.status === "PASS") return fail(409, "seat_taken", `Seat ${id} is ${row.status.toLowerCase()}: release it through its order or pass.`);
  }
  const changing = seatIds.filter((id) => sql<{ status: string }>`SELECT status FROM seats WHERE id = ${id}`.one().status !== status);
  let version = seatVersion(s);
  s.storage.transactionSync(() => {
    if (changing.length === 0) return;
    version = nextVersion(s);
    for (const id of changing) sql`UPDATE seats SET status = ${status}, version = ${version} WHERE id = ${id}`;
  });
  return { ok: true, version, changed: changing.length };
}

/**
 * The seats' availability: with `since`, the seats changed after that
 * version (each with its status now); without, every seat not AVAILABLE
 * (a seat the answer does not list is available). A `since` above the
 * current version was never issued here: refused.
 */
export function seatAvailability(s: EventStore, since: number | null): Result<{ availability: SeatAvailability }> {
  const version = seatVersion(s);
  if (since !== null && since > version) {
    return fail(409, "seat_version_unknown", `Version ${since} was never issued for this event's seats (the current one is ${version}): fetch the snapshot without since.`);
  }
  const rows =
    since === null
      ? s.sql<{ id: string; status: SeatStatus }>`SELECT id, status FROM seats WHERE status IN ('HELD', 'SOLD', 'BLOCKED', 'KILLED', 'PASS') ORDER BY id`.toArray()
      : s.sql<{ id: string; status: SeatStatus }>`SELECT id, status FROM seats WHERE version > ${since} ORDER BY id`.toArray();
  return { ok: true, availability: { version, since, seats: rows.map((r) => [r.id, r.status]) } };
}
