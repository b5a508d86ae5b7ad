import { newLogId } from "../../src/lib/ids.ts";
import type { Sql } from "./sql.ts";

/** How long a change waits for others to share its D1 batch. */
export const OUTBOX_DELAY_MS = 200;

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
    this.wakeBy(now + OUTBOX_DELAY_MS);
  }

  /** The alarm fired: none is set any more. */
  fired(): void {
    this.alarmAt = null;
  }
}
