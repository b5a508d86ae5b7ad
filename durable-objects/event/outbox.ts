import { newLogId } from "../../src/lib/ids.ts";
import type { Sql } from "./sql.ts";

/** How long a change waits for others to share its D1 batch. */
export const OUTBOX_DELAY_MS = 200;

/**
 * The most scans one drain projects, and as many waiting start a drain at
 * once rather than OUTBOX_DELAY_MS after the first: a drain's D1 batch is one
 * stretch of work (on the object's own thread where D1 shares it, as under
 * Miniflare), so however fast scans come (a gate's offline backlog, a
 * stadium's peak), no drain carries more than this. Smaller drains shortened
 * the gate's tail only a little and cost more CPU a scan, each drain having a
 * cost of its own (bench:gate with D1 in the object's process, `--d1-in-process`,
 * at 2,000-2,600 scans/s: 100 a drain gave a p99 of 25 ms against 30-32 ms, and
 * 0.36-0.39 ms of CPU a scan against 0.31-0.32). With D1 in a process of its
 * own (bench:gate's default, 2026-12-05, `--rounds 3 --batch 0`): 100 cost
 * 0.41 ms of CPU a scan against 0.28-0.32 and cut the rate (D1's statements
 * each cost a fixed part); 1,000 cost 0.20-0.21 against 0.22-0.23 with no
 * shorter p99 (11.5-13.3 ms against 10.1-13.6). What slows the scans during a
 * drain there is D1's work competing for the machine's cores (docs/architecture.md).
 */
export const DRAIN_SCANS = 500;

/** A row of D1's `access_transactions_log`, written through the outbox. */
export interface TransactionEntry {
  right_id: string;
  type: string;
  from_user: string | null;
  to_user: string | null;
  by: string | null;
  reason: string | null;
  at: string;
  price?: number | null;
  currency?: string | null;
}

/**
 * The projection's schedule. A decision names what it changed in the outbox,
 * inside its own transaction (the scan log needs no entry: the projection
 * follows it by a cursor); the alarm drains it to D1 (projection.ts). The
 * alarm is also the next hold's expiry: it is always set for the earlier of
 * the two, and `alarmAt` spares a storage call when it already is.
 */
export class Outbox {
  private alarmAt: number | null = null;
  /** Scans logged since the last drain started (or, after a drain, still after its cursor). */
  private scansWaiting = 0;
  /** After a drain failed (D1 unreachable), no drain before this: scans arriving meanwhile do not hasten the retry. */
  private retryAt = 0;
  private readonly storage: DurableObjectStorage;
  private readonly sql: Sql;

  constructor(storage: DurableObjectStorage, sql: Sql) {
    this.storage = storage;
    this.sql = sql;
  }

  /** Reads the alarm as set before an eviction (inside blockConcurrencyWhile). */
  async load(): Promise<void> {
    this.alarmAt = await this.storage.getAlarm();
  }

  enqueue(kind: "order" | "right" | "config", entityId: string): void {
    this.sql`INSERT INTO outbox (kind, entity_id, created_at) VALUES (${kind}, ${entityId}, ${new Date().toISOString()})`;
  }

  logTransaction(t: TransactionEntry): void {
    const id = newLogId(Date.parse(t.at));
    const payload = JSON.stringify({
      id,
      access_right_id: t.right_id,
      transaction_type: t.type,
      from_user_id: t.from_user,
      to_user_id: t.to_user,
      created_by: t.by,
      reason: t.reason,
      created_at: t.at,
      price: t.price ?? null,
      currency: t.currency ?? null,
    });
    this.sql`INSERT INTO outbox (kind, entity_id, payload, created_at) VALUES ('transaction', ${id}, ${payload}, ${t.at})`;
  }

  /** Sets the alarm for `at` unless it is already set as early. */
  wakeBy(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.storage.setAlarm(at);
  }

  /** After a change: project it once the burst it belongs to has passed. */
  projectSoon(now: number): void {
    this.wakeBy(Math.max(now + OUTBOX_DELAY_MS, this.retryAt));
  }

  /** After a pass of scans: projected with the burst they belong to, or at once when a drain's worth waits. */
  scansLogged(count: number, now: number): void {
    this.scansWaiting += count;
    if (this.scansWaiting >= DRAIN_SCANS) this.wakeBy(Math.max(now, this.retryAt));
    else this.projectSoon(now);
  }

  /** After a drain: what still waits (`scans` after the cursor, `other` outbox rows) is projected as if just logged. */
  drained(scans: number, other: boolean, now: number): void {
    this.retryAt = 0;
    this.scansWaiting = 0;
    if (scans > 0) this.scansLogged(scans, now);
    else if (other) this.projectSoon(now);
  }

  /** A drain failed (D1 unreachable): the next one in `delayMs`, whatever arrives meanwhile. */
  drainFailed(now: number, delayMs: number): void {
    this.retryAt = now + delayMs;
    this.wakeBy(this.retryAt);
  }

  /** The alarm fired: none is set any more, and its drain takes the scans waiting (up to DRAIN_SCANS). */
  fired(): void {
    this.alarmAt = null;
    this.scansWaiting = 0;
  }
}
