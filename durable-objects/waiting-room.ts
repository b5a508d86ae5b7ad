/**
 * The waiting room of one event's on-sale: one object per event, beside its
 * EventDO, so that a rush queues here and not on the object deciding holds.
 *
 * - It opens a new session (`epoch`), from then on an order needs an admitted
 *   queue ticket, when the event's EventDO reports that its holds queue
 *   (`reportLoad`: saturated, durable-objects/event/hold-load.ts), or when the
 *   order attempts (`arrive`, `redeem`) of one second exceed the configured
 *   ceiling (`holds_per_s`), whatever the EventDO says.
 * - `join` gives each person (a user id, or a guest's device and IP, digested
 *   by the Worker) one position per session: a retry, another tab or another
 *   device of the same account gets the same position back.
 * - Positions are admitted in order at the rate the EventDO last measured it
 *   sustains while saturated (in this session, at most the ceiling), or at the
 *   ceiling when it reported no saturation in this session; counted from the
 *   time the room last admitted (no credit is banked while nobody waits).
 *   An admitted position may order within `admission_seconds`; after that it
 *   has lapsed (join again, at the back).
 * - `redeem` spends an admitted position on one order (the same
 *   Idempotency-Key may replay it); `release` gives it back if the order was
 *   refused, so a sold-out or invalid attempt does not cost the turn.
 * - The room closes once everyone queued has been admitted, the EventDO is no
 *   longer saturated and the attempts of the last QUIET_MS stayed under half
 *   the admission rate.
 *
 * Every method runs synchronously over the object's SQLite (no await between
 * a check and its write), so a position is given once and a ticket spent once
 * whatever the concurrency. Times are passed in (`now`), so tests move them.
 */
import { DurableObject } from "cloudflare:workers";
import type { HoldLoad } from "./event/hold-load.ts";
import { migrate } from "./sql-migrations.ts";

export interface RoomLimits {
  /** The ceiling: attempts per second over which the room opens, and the most it admits per second. */
  holds_per_s: number;
  /** How long an admitted position may be used for an order. */
  admission_seconds: number;
}

export interface RoomPlace {
  active: true;
  epoch: string;
  position: number;
  /** People before this one not yet admitted. */
  ahead: number;
  admitted: boolean;
  /** When the admission lapses (ms), once admitted. */
  admitted_until: number | null;
  /** The rate the room admits at now, which the wait is estimated with. */
  admits_per_s: number;
  estimated_wait_s: number;
}

export type JoinResult = { active: false } | RoomPlace;

export type RedeemResult =
  | { ok: true; needed: boolean }
  | { ok: false; code: "queue_ticket_invalid" | "queue_ticket_expired" | "queue_ticket_used"; detail: string }
  | { ok: false; code: "queue_not_admitted"; detail: string; place: RoomPlace };

/** The room stays open at least this long, and closes only after this long without a rush. */
const QUIET_MS = 10_000;
/**
 * How long the EventDO's last report counts: it reports every second while
 * saturated, so an older one means it stopped (no more holds, or evicted).
 */
export const LOAD_FRESH_MS = 3_000;

interface RoomRow {
  epoch: string;
  active: number;
  opened_at: number;
  admitted_through: number;
  last_position: number;
  admit_clock: number;
  holds_per_s: number | null;
  /** The EventDO's rate measured while saturated, in this session; null: none yet. */
  measured_per_s: number | null;
  /** The EventDO's last report: when, and whether it was saturated. */
  load_at: number;
  load_saturated: number;
  load_sustained_per_s: number | null;
  [key: string]: SqlStorageValue;
}

/**
 * The room's SQLite schema (sql-migrations.ts), appended in order. The first
 * creates only what is missing, as rooms made before the list existed have it.
 */
const WAITING_ROOM_MIGRATIONS = [
  `
  CREATE TABLE IF NOT EXISTS room (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch TEXT NOT NULL,
    active INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    admitted_through INTEGER NOT NULL,
    last_position INTEGER NOT NULL,
    admit_clock INTEGER NOT NULL,
    holds_per_s REAL
  );
  CREATE TABLE IF NOT EXISTS positions (
    epoch TEXT NOT NULL,
    position INTEGER NOT NULL,
    person TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    admitted_at INTEGER,
    used_at INTEGER,
    order_key TEXT,
    PRIMARY KEY (epoch, position),
    UNIQUE (epoch, person)
  );
  INSERT OR IGNORE INTO room (id, epoch, active, opened_at, admitted_through, last_position, admit_clock, holds_per_s) VALUES (1, '', 0, 0, 0, 0, 0, NULL);
  `,
  // What the EventDO last reported of its hold load (reportLoad), and the rate it measured in this session.
  `
  ALTER TABLE room ADD COLUMN measured_per_s REAL;
  ALTER TABLE room ADD COLUMN load_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE room ADD COLUMN load_saturated INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE room ADD COLUMN load_sustained_per_s REAL;
  `,
];

export class WaitingRoomDO extends DurableObject {
  private readonly sql: SqlStorage;
  /** Order attempts per second (epoch second → count), the last few seconds only. */
  private readonly attempts = new Map<number, number>();

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, WAITING_ROOM_MIGRATIONS);
  }

  /** The EventDO's hold load (every second while it is saturated, and once when it stops being): what opens the room and sets its rate. */
  reportLoad(load: HoldLoad): void {
    // Reports are not awaited by the EventDO: one overtaken by a newer one is dropped.
    this.sql.exec("UPDATE room SET load_at = ?, load_saturated = ?, load_sustained_per_s = ? WHERE id = 1 AND load_at <= ?", load.at, load.saturated ? 1 : 0, load.sustained_per_s, load.at);
  }

  /** An operator's (or a test's) rate for this event, over the measured and configured ones (ceiling and admissions); null goes back to them. */
  setRate(holdsPerS: number | null): void {
    this.sql.exec("UPDATE room SET holds_per_s = ? WHERE id = 1", holdsPerS);
  }

  /**
   * Order attempts without a ticket (one, or those a Worker isolate let pass since it last reported): counted;
   * whether the room is open (then the orders must queue), and how many more attempts this second leaves before it opens.
   */
  arrive(now: number, limits: RoomLimits, attempts = 1): { active: boolean; headroom: number } {
    const room = this.step(now, limits, attempts);
    const headroom = room.active ? 0 : Math.max(0, this.ceiling(room, limits) - (this.attempts.get(Math.floor(now / 1000)) ?? 0));
    return { active: Boolean(room.active), headroom };
  }

  /** The person's place in the queue, given once per session: a second call returns the same position. */
  join(person: string, now: number, limits: RoomLimits): JoinResult {
    const room = this.step(now, limits, 0);
    if (!room.active) return { active: false };
    let row = this.sql.exec<{ position: number }>("SELECT position FROM positions WHERE epoch = ? AND person = ?", room.epoch, person).toArray()[0];
    if (!row) {
      const position = room.last_position + 1;
      this.sql.exec("INSERT INTO positions (epoch, position, person, joined_at) VALUES (?, ?, ?, ?)", room.epoch, position, person, now);
      this.sql.exec("UPDATE room SET last_position = ? WHERE id = 1", position);
      row = { position };
      // Nobody was waiting: the rate counts from now, not from the last admission.
      if (room.admitted_through === room.last_position) this.sql.exec("UPDATE room SET admit_clock = ? WHERE id = 1", now);
    }
    return this.place(this.room(), row.position, now, limits);
  }

  /** Spends the admitted position on an order (`orderKey`: its Idempotency-Key, which may replay it). */
  redeem(epoch: string, position: number, person: string, orderKey: string | null, now: number, limits: RoomLimits): RedeemResult {
    const room = this.step(now, limits, 1);
    if (!room.active) return { ok: true, needed: false };
    if (epoch !== room.epoch) return { ok: false, code: "queue_ticket_invalid", detail: "This queue ticket is from an earlier on-sale queue: join the queue again." };
    const row = this.sql
      .exec<{ person: string; admitted_at: number | null; used_at: number | null; order_key: string | null }>(
        "SELECT person, admitted_at, used_at, order_key FROM positions WHERE epoch = ? AND position = ?",
        epoch,
        position,
      )
      .toArray()[0];
    if (!row || row.person !== person) return { ok: false, code: "queue_ticket_invalid", detail: "This queue ticket is not yours." };
    if (row.admitted_at === null) return { ok: false, code: "queue_not_admitted", detail: "It is not your turn yet: keep your place and try again when admitted.", place: this.place(room, position, now, limits) };
    if (now > row.admitted_at + limits.admission_seconds * 1000) return { ok: false, code: "queue_ticket_expired", detail: "Your turn lapsed unused: join the queue again." };
    if (row.used_at !== null && (orderKey === null || row.order_key !== orderKey)) return { ok: false, code: "queue_ticket_used", detail: "This queue ticket was already used for an order." };
    this.sql.exec("UPDATE positions SET used_at = ?, order_key = ? WHERE epoch = ? AND position = ?", now, orderKey, epoch, position);
    return { ok: true, needed: true };
  }

  /** The order the position was spent on was refused: the position may be used again (until it lapses). */
  release(epoch: string, position: number, orderKey: string | null): void {
    this.sql.exec("UPDATE positions SET used_at = NULL, order_key = NULL WHERE epoch = ? AND position = ? AND order_key IS ?", epoch, position, orderKey);
  }

  private room(): RoomRow {
    return this.sql.exec<RoomRow>("SELECT * FROM room WHERE id = 1").one();
  }

  /** Attempts per second over which the room opens, and the most it admits. */
  private ceiling(room: RoomRow, limits: RoomLimits): number {
    return room.holds_per_s ?? limits.holds_per_s;
  }

  /** Admissions per second: the EventDO's measured rate (this session) under the ceiling, else the ceiling. */
  private rate(room: RoomRow, limits: RoomLimits): number {
    const ceiling = this.ceiling(room, limits);
    return room.holds_per_s ?? (room.measured_per_s === null ? ceiling : Math.min(room.measured_per_s, ceiling));
  }

  /** Whether the EventDO's last report, still fresh at `now`, said it is saturated. */
  private saturated(room: RoomRow, now: number): boolean {
    return room.load_saturated === 1 && now - room.load_at <= LOAD_FRESH_MS;
  }

  /** Counts `attempts` at `now`, opens or closes the room, and admits whom the elapsed time allows. */
  private step(now: number, limits: RoomLimits, attempts: number): RoomRow {
    const second = Math.floor(now / 1000);
    if (attempts) this.attempts.set(second, (this.attempts.get(second) ?? 0) + attempts);
    for (const s of this.attempts.keys()) if (s < second - QUIET_MS / 1000) this.attempts.delete(s);
    let room = this.room();
    const saturated = this.saturated(room, now);
    if (!room.active && (saturated || (this.attempts.get(second) ?? 0) > this.ceiling(room, limits))) {
      // A rush: a new session, an empty queue, admitted at what the EventDO sustains if it measured it.
      const epoch = crypto.randomUUID();
      this.sql.exec("DELETE FROM positions");
      this.sql.exec(
        "UPDATE room SET epoch = ?, active = 1, opened_at = ?, admitted_through = 0, last_position = 0, admit_clock = ?, measured_per_s = ? WHERE id = 1",
        epoch,
        now,
        now,
        saturated ? room.load_sustained_per_s : null,
      );
      return this.room();
    }
    if (!room.active) return room;
    // A newer measurement while open: admissions follow it from now on.
    if (saturated && room.load_sustained_per_s !== null && room.load_sustained_per_s !== room.measured_per_s) {
      this.sql.exec("UPDATE room SET measured_per_s = ? WHERE id = 1", room.load_sustained_per_s);
      room = this.room();
    }
    const rate = this.rate(room, limits);
    const credit = Math.floor(((now - room.admit_clock) * rate) / 1000);
    if (credit > 0 && room.admitted_through < room.last_position) {
      const through = Math.min(room.last_position, room.admitted_through + credit);
      this.sql.exec("UPDATE positions SET admitted_at = ? WHERE epoch = ? AND position > ? AND position <= ?", now, room.epoch, room.admitted_through, through);
      // Keep the fraction of a slot not yet earned; restart the clock once nobody waits.
      const clock = through === room.last_position ? now : room.admit_clock + Math.floor(((through - room.admitted_through) * 1000) / rate);
      this.sql.exec("UPDATE room SET admitted_through = ?, admit_clock = ? WHERE id = 1", through, clock);
      room = this.room();
    }
    const recent = [...this.attempts.values()].reduce((a, b) => a + b, 0);
    if (room.admitted_through === room.last_position && !saturated && now - room.opened_at >= QUIET_MS && recent < (rate * QUIET_MS) / 1000 / 2) {
      this.sql.exec("UPDATE room SET active = 0, measured_per_s = NULL WHERE id = 1");
      this.sql.exec("DELETE FROM positions");
      room = this.room();
    }
    return room;
  }

  private place(room: RoomRow, position: number, now: number, limits: RoomLimits): RoomPlace {
    const row = this.sql.exec<{ admitted_at: number | null }>("SELECT admitted_at FROM positions WHERE epoch = ? AND position = ?", room.epoch, position).one();
    const ahead = Math.max(0, position - room.admitted_through - 1);
    const admitted = row.admitted_at !== null;
    const rate = this.rate(room, limits);
    return {
      active: true,
      epoch: room.epoch,
      position,
      ahead,
      admitted,
      admitted_until: admitted ? row.admitted_at! + limits.admission_seconds * 1000 : null,
      admits_per_s: rate,
      estimated_wait_s: admitted ? 0 : Math.ceil((ahead + 1) / rate),
    };
  }
}
