import { and, sql as dsql, eq, lte } from "drizzle-orm";
import { getDb } from "../../src/db/client.ts";
import { isConstraintViolation } from "../../src/db/errors.ts";
import { USAGE_COUNT_SQL } from "../../src/catalog/rule-uses.ts";
import { event_ticket_config } from "../../src/catalog/schema.ts";
import { access_transactions_log } from "../../src/access/schema.ts";
import { DRAIN_SCANS } from "./outbox.ts";
import type { Row } from "./sql.ts";

// Outbox rows per D1 batch (orders, rights, transactions); scans have their own cap, DRAIN_SCANS (outbox.ts).
const BATCH = 1000;

/**
 * Rights and scans change at the gates' rate, so they skip per-row objects
 * and per-row statements: the object's SQLite writes the rows of a kind as
 * one JSON array of arrays (positional: no column names repeated in every
 * row, half the bytes to encode, send and parse), and D1 reads it back with
 * json_each, one statement and two bound values per kind and batch, whatever
 * the number of rows.
 *
 * Which rows: the rights the outbox names up to its seq `?1`; the scan log's
 * rows after the cursor `?1` up to `?2`, and the presence of the rights those
 * scans moved. The log is append-only, so a cursor replaces an outbox row per
 * scan.
 */
interface Bulk {
  /** What it projects, for the error log. */
  kind: string;
  /** The JSON array of the rows, and how many. */
  read: string;
  /** D1: writes the rows of the JSON array `?1` (for the event `?2`, if it names it). */
  write: string;
  /** Where in a row the column that names it is (for the error log). */
  keyAt: number;
  /** How many of (rows, event, drain version) `write` takes as `?1`..`?3` (D1 refuses a value bound to no parameter). */
  params: number;
  /** D1's columns, in the rows' order. */
  columns: string[];
  /** What the row-by-row retry of a refused batch writes instead: its rows, read again over the same range. */
  retryAs?: Bulk;
}

function bulk(spec: {
  kind: string;
  /** The object's rows: a table, or a parenthesized query; `where` and `order` apply to it (`?1`, `?2`: the range read). */
  from: string;
  where?: string;
  order?: string;
  /** D1's columns, read from the object's column of the same name unless `renamed` (to another column, or an expression). */
  columns: string[];
  renamed?: Record<string, string>;
  /** The column that names a row. */
  key: string;
  /** D1's statement, from the columns in the rows' order. */
  write: (columns: string[]) => string;
  retryAs?: Bulk;
}): Bulk {
  const { from, where = "true", order = "rowid", columns, renamed = {} } = spec;
  const write = spec.write(columns);
  return {
    kind: spec.kind,
    read: `SELECT count(*) AS n, json_group_array(json_array(${columns.map((c) => renamed[c] ?? c).join(", ")})) AS rows FROM (SELECT * FROM ${from} WHERE ${where} ORDER BY ${order})`,
    write,
    keyAt: columns.indexOf(spec.key),
    columns,
    retryAs: spec.retryAs,
    params: Math.max(...[...write.matchAll(/\?(\d)/g)].map((m) => Number(m[1]))),
  };
}

/** A random UUID (v4) made by SQLite, for rows D1 creates from a bulk statement. */
const UUID_SQL = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
const NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

// WHERE true: an upsert's SELECT needs a WHERE clause.
const insertRows = (table: string, onConflict: string) => (columns: string[]) =>
  `INSERT INTO ${table} (event_id, ${columns.join(", ")}, projection_version) SELECT ?2, ${columns.map((_, i) => `value ->> ${i}`).join(", ")}, ?3 FROM json_each(?1) WHERE true ${onConflict}`;

/**
 * An upsert that sets `changing` only from a drain at least as recent as the
 * one that last wrote the row (`?3`, this drain's version): a batch that
 * reached D1 late, after a newer one, leaves the newer state in place.
 */
const updateIfNotOlder = (table: string, changing: string[]) =>
  `ON CONFLICT (id) DO UPDATE SET ${[...changing, "projection_version"].map((c) => `${c} = excluded.${c}`).join(", ")} WHERE excluded.projection_version >= ${table}.projection_version`;

/**
 * Orders, as D1's `tickets`: renamed where the names differ, the ticket type
 * from the order's configuration, and `metadata` built as the JSON object
 * the API reads. `payment_id` is the payment that paid the order (set by
 * `confirmOrder`; D1 has its row before the confirmation).
 */
const ORDER_CHANGING = ["user_id", "ticket_type_id", "event_ticket_config_id", "quantity", "unit_price", "total_price", "discount_amount", "currency", "pricing_rule_id", "payment_id", "payment_status", "booking_status", "booking_expires_at", "purchase_channel", "purchase_ip", "is_guest_purchase", "guest_email", "guest_phone", "metadata", "updated_at", "confirmed_at", "cancelled_at", "cancellation_reason"];
const ORDERS = bulk({
  kind: "order",
  from: `(SELECT o.*, c.ticket_type_id, (SELECT json_group_array(json_object('config_id', l.config_id, 'quantity', l.quantity, 'unit_price', l.unit_price, 'gross', l.gross,
     'discount', l.discount, 'total', l.total, 'seat_ids', json(l.seat_ids))) FROM (SELECT * FROM order_lines WHERE order_id = o.id ORDER BY line_no) l) AS lines
     FROM orders o JOIN configs c ON c.id = o.config_id)`,
  where: "id IN (SELECT entity_id FROM outbox WHERE kind = 'order' AND seq <= ?1)",
  order: "id",
  columns: ["id", "ticket_number", "created_at", ...ORDER_CHANGING],
  renamed: {
    event_ticket_config_id: "config_id",
    total_price: "total",
    discount_amount: "discount",
    booking_expires_at: "expires_at",
    purchase_channel: "channel",
    is_guest_purchase: "is_guest",
    metadata: "json_object('applied_rules', json(applied_rules), 'gross', gross, 'lines', json(lines))",
  },
  key: "id",
  write: insertRows("tickets", updateIfNotOlder("tickets", ORDER_CHANGING)),
});

/** The orders of the outbox's drain (`?1`: its last seq), with each pricing rule they applied (`r.value`). */
const ORDER_RULES = "orders o, json_each(o.applied_rules) r WHERE o.id IN (SELECT entity_id FROM outbox WHERE kind = 'order' AND seq <= ?1)";

/**
 * Each use of a pricing rule by an order, as D1's `pricing_rule_usages`:
 * released when the hold lapsed or the order was cancelled, and taken again
 * if the order is confirmed after all (a late payment).
 */
const RULE_USAGES = bulk({
  kind: "rule_usage",
  from: `(SELECT o.id AS ticket_id, o.user_id, r.value ->> '$.id' AS rule_id, r.value ->> '$.amount' AS discount_amount, o.currency, o.created_at AS used_at,
     CASE WHEN o.booking_status IN ('EXPIRED', 'CANCELLED') THEN o.updated_at END AS released_at FROM ${ORDER_RULES})`,
  order: "ticket_id, rule_id",
  columns: ["id", "rule_id", "user_id", "ticket_id", "discount_amount", "currency", "used_at", "released_at"],
  renamed: { id: UUID_SQL },
  key: "ticket_id",
  write: (columns) =>
    `INSERT INTO pricing_rule_usages (${columns.join(", ")}, projection_version) SELECT ${columns.map((_, i) => `value ->> ${i}`).join(", ")}, ?3 FROM json_each(?1) WHERE true
     ON CONFLICT (rule_id, ticket_id) DO UPDATE SET released_at = excluded.released_at, projection_version = excluded.projection_version
       WHERE excluded.projection_version >= pricing_rule_usages.projection_version`,
});
/**
 * This event's count of each rule those orders applied (`rule_uses`, held
 * or confirmed), then each rule's `usage_count` summed over its events. The
 * sum is capped at the rule's limit, which D1 checks: two events can each
 * give the last use before they learn of the other's, and the count says
 * "used up", not by how much.
 */
const RULE_EVENT_USES = bulk({
  kind: "rule_uses",
  from: `(SELECT rule_id, sum(uses) AS uses FROM rule_uses WHERE rule_id IN (SELECT r.value ->> '$.id' FROM ${ORDER_RULES}) GROUP BY rule_id)`,
  order: "rule_id",
  columns: ["rule_id", "uses"],
  key: "rule_id",
  write: () =>
    `INSERT INTO pricing_rule_event_uses (rule_id, event_id, uses, updated_at, projection_version) SELECT value ->> 0, ?2, value ->> 1, ${NOW_SQL}, ?3 FROM json_each(?1) WHERE true
     ON CONFLICT (rule_id, event_id) DO UPDATE SET uses = excluded.uses, updated_at = excluded.updated_at, projection_version = excluded.projection_version
       WHERE excluded.projection_version >= pricing_rule_event_uses.projection_version`,
});
const RULE_USAGE_COUNTS = `UPDATE pricing_rules SET usage_count = ${USAGE_COUNT_SQL} WHERE id IN (SELECT value ->> 0 FROM json_each(?1))`;

const RIGHT_CHANGING = ["user_id", "zone_id", "seat_id", "status", "source_type", "source_id", "original_user_id", "transfer_count", "last_transfer_date", "valid_from", "valid_until", "used_at", "used_at_access_point", "is_inside", "entry_count", "last_exit_at", "updated_at", "created_by"];
/** Rights, whole, as D1's `access_rights` (an upsert needs every column, whatever it then sets). */
// config_id never changes: inserted with the right (the back office filters rights by ticket type), never updated.
const RIGHT_ROWS = { kind: "right", from: "rights", columns: ["id", "qr_code", "created_at", "config_id", ...RIGHT_CHANGING], key: "id" };
const RIGHTS = bulk({
  ...RIGHT_ROWS,
  where: "id IN (SELECT entity_id FROM outbox WHERE kind = 'right' AND seq <= ?1)",
  // Rights that stopped being ENABLED first: they free the seat that D1's one-live-right-per-seat index gives the new one.
  order: "status = 'ENABLED', rowid",
  write: insertRows("access_rights", updateIfNotOlder("access_rights", RIGHT_CHANGING)),
});
/**
 * What a gate changes on a right: its presence, set by an UPDATE of those
 * columns only (from `json_each`, so D1 builds no whole row to insert first,
 * and the object reads and sends 8 columns instead of 22). The right is in D1
 * by then: rights are drained before the scans that name them (the outbox
 * first, and scans wait while it is behind). Should one be missing all the
 * same (its own projection was refused, and D1 would now accept it), its scan's
 * log row breaks D1's foreign key, the batch is refused, and the row-by-row
 * retry writes the right whole (`retryAs`), as an upsert, before its scans.
 * Like the upsert, the UPDATE leaves a row a more recent drain wrote.
 */
const PRESENCE_CHANGING = ["status", "used_at", "used_at_access_point", "is_inside", "entry_count", "last_exit_at", "updated_at"];
const MOVED_RIGHTS = "id IN (SELECT access_right_id FROM scans WHERE seq > ?1 AND seq <= ?2 AND moved = 1)";
const PRESENCE = bulk({
  ...RIGHT_ROWS,
  columns: ["id", ...PRESENCE_CHANGING],
  where: MOVED_RIGHTS,
  // `+event_id`: not a way in for the planner, which would otherwise read the event's rights by an index on event_id and scan the JSON for each.
  write: (columns) =>
    `UPDATE access_rights SET ${PRESENCE_CHANGING.map((c) => `${c} = value ->> ${columns.indexOf(c)}`).join(", ")}, projection_version = ?3
     FROM json_each(?1) WHERE access_rights.id = value ->> 0 AND +access_rights.event_id = ?2 AND access_rights.projection_version <= ?3`,
  retryAs: bulk({ ...RIGHT_ROWS, where: MOVED_RIGHTS, write: insertRows("access_rights", updateIfNotOlder("access_rights", PRESENCE_CHANGING)) }),
});
const SCANS = bulk({
  kind: "scan",
  from: "scans",
  where: "seq > ?1 AND seq <= ?2",
  order: "seq",
  columns: ["id", "access_right_id", "user_id", "access_point_id", "zone_id", "qr_code_scanned", "action", "status", "denial_reason", "controller_id", "device_id", "scan_method", "response_time_ms", "queue_size", "nonce", "was_offline", "is_conflict", "timestamp", "received_at", "metadata"],
  renamed: { timestamp: "scanned_at" },
  key: "nonce",
  // Append-only: a row is never changed, so no version.
  write: (columns) => `INSERT INTO access_control_log (event_id, ${columns.join(", ")}) SELECT ?2, ${columns.map((_, i) => `value ->> ${i}`).join(", ")} FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`,
});

/**
 * Holders a gate let in attended the event: their participation becomes
 * ATTENDED (new, or over INTERESTED / GOING / CANCELLED), which the API then
 * keeps from being changed or removed. From the rights the scans in range
 * moved and that have entered at least once.
 */
const ATTENDANCE = bulk({
  kind: "attendance",
  from: "(SELECT DISTINCT user_id FROM rights WHERE entry_count > 0 AND id IN (SELECT access_right_id FROM scans WHERE seq > ?1 AND seq <= ?2 AND moved = 1))",
  order: "user_id",
  columns: ["id", "user_id"],
  renamed: { id: UUID_SQL },
  key: "user_id",
  write: () =>
    `INSERT INTO event_participations (id, user_id, event_id, status, created_at, updated_at)
     SELECT value ->> 0, value ->> 1, ?2, 'ATTENDED', ${NOW_SQL}, ${NOW_SQL} FROM json_each(?1) WHERE true
     ON CONFLICT (event_id, user_id) DO UPDATE SET status = 'ATTENDED', updated_at = excluded.updated_at WHERE status <> 'ATTENDED'`,
});

/** The statements of a scan drain, for bench/projection-statements.ts. */
export const PROJECTION_STATEMENTS = { presence: PRESENCE, presence_whole: PRESENCE.retryAs!, scans: SCANS, attendance: ATTENDANCE };

/** D1's statement writing the rows of a bulk read. */
const bulkWrite = (d1: D1Database, of: Bulk, rows: string, eventId: string, version: number) => d1.prepare(of.write).bind(...[rows, eventId, version].slice(0, of.params));

/** `range`: the outbox's last seq (orders, rights, rule uses), or the scan log's cursor and end (presence, scans, attendance). */
function readBulk(sql: SqlStorage, of: Bulk, ...range: number[]): string | null {
  const { n, rows } = sql.exec<{ n: number; rows: string }>(of.read, ...range).one();
  return n > 0 ? rows : null;
}

/** What waits for the projection: how many scans after the cursor, and whether outbox rows. */
export function projectionPending(sql: SqlStorage): { scans: number; outbox: boolean } {
  const { scans, outbox } = sql
    .exec<{ scans: number; outbox: number }>(
      "SELECT (SELECT count(*) FROM scans WHERE seq > (SELECT upto FROM projection_cursors WHERE name = 'scans')) AS scans, EXISTS (SELECT 1 FROM outbox) AS outbox",
    )
    .one();
  return { scans, outbox: Boolean(outbox) };
}

/**
 * This drain's version: above every earlier drain's of this object, and at
 * least the time in ms, so that a drain of a later instance (after an
 * eviction that lost the last increment) still outranks an earlier one.
 */
function nextDrainVersion(sql: SqlStorage): number {
  return sql.exec<{ upto: number }>(
    "INSERT INTO projection_cursors (name, upto) VALUES ('drain', ?) ON CONFLICT (name) DO UPDATE SET upto = max(upto + 1, excluded.upto) RETURNING upto",
    Date.now(),
  ).one().upto;
}

/**
 * Projects the EventDO's changes to D1: the outbox and the scan log's cursor
 * name what changed, the current state is read from the object's tables and
 * written with idempotent upserts (replaying a batch is harmless), in FK
 * order, in one D1 batch. Outbox rows are removed, and the cursor moved on,
 * only after D1 accepted them. Returns how many changes it projected.
 *
 * The caller runs one drain at a time (`Drains`). Should two batches
 * still reach D1 out of order (an instance evicted mid-drain, its batch
 * landing after its successor's), each row carries the version of the drain
 * that read it and an upsert never replaces a newer one, and the scan cursor
 * only moves forward.
 */
export async function drainOutbox(sql: SqlStorage, d1: D1Database, eventId: string): Promise<number> {
  const { n, last } = sql.exec<{ n: number; last: number | null }>("SELECT count(*) AS n, max(seq) AS last FROM (SELECT seq FROM outbox ORDER BY seq LIMIT ?)", BATCH).one();
  const lastSeq = Number(last ?? 0);
  const scansFrom = sql.exec<{ upto: number }>("SELECT upto FROM projection_cursors WHERE name = 'scans'").one().upto;
  // Scans wait while the outbox is behind: the rights they name (D1's foreign key) may be in its later rows.
  const scansTo =
    n < BATCH ? (sql.exec<{ to: number | null }>("SELECT max(seq) AS \"to\" FROM (SELECT seq FROM scans WHERE seq > ? ORDER BY seq LIMIT ?)", scansFrom, DRAIN_SCANS).one().to ?? scansFrom) : scansFrom;
  if (n === 0 && scansTo === scansFrom) return 0;
  const version = nextDrainVersion(sql);
  // Orders and rights are read in bulk (below); only the other kinds' entries come into JS.
  const entries = sql.exec<Row>("SELECT seq, kind, entity_id, payload FROM outbox WHERE seq <= ? AND kind NOT IN ('order', 'right') ORDER BY seq", lastSeq).toArray();
  const ids = (kind: string) => [...new Set(entries.filter((e) => e.kind === kind).map((e) => String(e.entity_id)))];
  const db = getDb(d1);
  // drizzle builds the other kinds' statements; D1 runs them all in one batch (drizzle's batch cannot bind a raw statement's values).
  const statements: (D1PreparedStatement | { toSQL(): { sql: string; params: unknown[] } })[] = [];
  const toD1 = (statement: (typeof statements)[number]) => {
    if (!("toSQL" in statement)) return statement;
    const query = statement.toSQL();
    return d1.prepare(query.sql).bind(...query.params);
  };
  // What each statement projects, for the error log; a bulk statement is retried row by row.
  const sources: { kind: string; id: string; bulk?: { of: Bulk; rows: string; range: number[] } }[] = [];

  /** Adds the statement of a bulk kind, if the range has rows of it; returns them. */
  const project = (of: Bulk, ...range: number[]) => {
    const rows = readBulk(sql, of, ...range);
    if (rows) {
      statements.push(bulkWrite(d1, of, rows, eventId, version));
      sources.push({ kind: of.kind, id: "", bulk: { of, rows, range } });
    }
    return rows;
  };

  // Orders first: D1's rights and rule usages name them.
  project(ORDERS, lastSeq);
  project(RIGHTS, lastSeq);
  project(PRESENCE, scansFrom, scansTo);
  // The pricing rules the orders applied: each use, this event's count, and the rules' counts over all their events.
  project(RULE_USAGES, lastSeq);
  const eventUses = project(RULE_EVENT_USES, lastSeq);
  if (eventUses) {
    statements.push(d1.prepare(RULE_USAGE_COUNTS).bind(eventUses));
    sources.push({ kind: "rule_usage_count", id: "" });
  }

  for (const entry of entries.filter((e) => e.kind === "transaction")) {
    const t = JSON.parse(String(entry.payload)) as Record<string, unknown>;
    statements.push(
      db
        .insert(access_transactions_log)
        .values({
          id: String(t.id),
          access_right_id: String(t.access_right_id),
          transaction_type: t.transaction_type as "CREATE",
          from_user_id: (t.from_user_id as string | null) ?? null,
          to_user_id: (t.to_user_id as string | null) ?? null,
          event_id: eventId,
          price: (t.price as number | null) ?? null,
          currency: (t.currency as "XOF" | null) ?? null,
          reason: (t.reason as string | null) ?? null,
          status: "SUCCESS",
          created_at: String(t.created_at),
          created_by: (t.created_by as string | null) ?? null,
        })
        .onConflictDoNothing(),
    );
    sources.push({ kind: "transaction", id: String(t.id) });
  }

  project(SCANS, scansFrom, scansTo);
  project(ATTENDANCE, scansFrom, scansTo);

  for (const id of ids("config")) {
    const c = sql.exec<Row>("SELECT quantity_held, quantity_sold FROM configs WHERE id = ?", id).toArray()[0];
    if (!c) continue;
    statements.push(
      db
        .update(event_ticket_config)
        .set({ quantity_sold: Number(c.quantity_sold), quantity_reserved: Number(c.quantity_held), projection_version: version, updated_at: dsql`${event_ticket_config.updated_at}` })
        .where(and(eq(event_ticket_config.id, id), lte(event_ticket_config.projection_version, version))),
    );
    sources.push({ kind: "config", id });
  }

  /** A bulk statement's rows one by one, as its `retryAs` kind if it has one. */
  const rowByRow = ({ of, rows, range }: { of: Bulk; rows: string; range: number[] }) => {
    const as = of.retryAs ?? of;
    const each = JSON.parse(of.retryAs ? (readBulk(sql, as, ...range) ?? "[]") : rows) as unknown[][];
    return each.map((row) => ({ statement: bulkWrite(d1, as, JSON.stringify([row]), eventId, version), kind: as.kind, id: String(row[as.keyAt]) }));
  };

  if (statements.length > 0) {
    try {
      await d1.batch(statements.map(toD1));
    } catch (batchError) {
      // One bad row must not hold back the event's other changes: retry one by one and set aside what D1 refuses.
      console.error("EventDO projection batch refused; retrying statement by statement", batchError);
      for (const [index, statement] of statements.entries()) {
        const source = sources[index]!;
        const attempts = source.bulk ? rowByRow(source.bulk) : [{ statement: toD1(statement), kind: source.kind, id: source.id }];
        for (const attempt of attempts) {
          try {
            await attempt.statement.run();
          } catch (error) {
            if (!isConstraintViolation(error)) throw error; // D1 unreachable: the alarm retries the whole batch
            sql.exec(
              "INSERT INTO projection_errors (kind, entity_id, error, at) VALUES (?, ?, ?, ?)",
              attempt.kind, attempt.id, String(error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : error).slice(0, 500), new Date().toISOString(),
            );
          }
        }
      }
    }
  }
  sql.exec("DELETE FROM outbox WHERE seq <= ?", lastSeq);
  sql.exec("UPDATE projection_cursors SET upto = max(upto, ?) WHERE name = 'scans'", scansTo);
  return n + (scansTo - scansFrom);
}


/**
 * Drains one at a time, each after the one before it settled: the alarm and
 * `flushProjection` may ask at once, and two drains overlapping could land in
 * D1 in the wrong order.
 */
export class Drains {
  /** The drain running now, or the last one. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sql: SqlStorage,
    /** Read at each drain, as the object's env is. */
    private readonly d1: () => D1Database,
    private readonly eventId: () => string,
  ) {}

  /** One drain of the outbox to D1, after any drain already running; how many rows it projected. */
  run(): Promise<number> {
    const run = this.last.then(() => drainOutbox(this.sql, this.d1(), this.eventId()));
    this.last = run.catch(() => undefined);
    return run;
  }
}
