import { Buffer } from "node:buffer";
import { Outbox } from "./outbox.ts";
import { sqlOf, type Row, type Sql } from "./sql.ts";

/** The event as its decisions read it (`configure` writes it). */
export interface EventRow {
  id: string;
  status: string;
  currency: string;
  starts_at: string;
  ends_at: string;
  doors_open_at: string | null;
  event_group_id: string | null;
  tags: string[];
  hold_ttl_seconds: number;
  /** FREE, PAID or INVITATION (never sold). */
  access_type: string;
  /** The key of the printed codes' digests in the bundle (base64url), made on first need (`manualCodeKey`). */
  manual_code_key: string | null;
}

/**
 * What every module of the EventDO works on: its SQLite (the `sql` tag, and
 * `storage.transactionSync` for a step of several writes), its outbox and
 * alarm, and the event row, parsed once: every decision and every view reads
 * it, and only `configure` changes it.
 */
export class EventStore {
  readonly storage: DurableObjectStorage;
  readonly sql: Sql;
  readonly outbox: Outbox;
  private row: EventRow | null | undefined;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    this.sql = sqlOf(storage.sql);
    this.outbox = new Outbox(storage, this.sql);
  }

  event(): EventRow | null {
    if (this.row !== undefined) return this.row;
    const row = this.sql`SELECT * FROM event`.toArray()[0];
    this.row = row ? parseEvent(row) : null;
    return this.row;
  }

  /** `configure` wrote the event row: read it again on next need. */
  eventChanged(): void {
    this.row = undefined;
  }

  /** The event's key for the printed codes' digests (gate-protocol.ts, `manualCodeDigest`), made the first time one is needed. */
  manualCodeKey(): string {
    const current = this.event()?.manual_code_key;
    if (current) return current;
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    this.sql`UPDATE event SET manual_code_key = ${key} WHERE manual_code_key IS NULL`;
    this.eventChanged();
    return this.event()!.manual_code_key!;
  }
}

function parseEvent(row: Row): EventRow {
  return {
    id: String(row.id),
    status: String(row.status),
    currency: String(row.currency),
    starts_at: String(row.starts_at),
    ends_at: String(row.ends_at),
    doors_open_at: (row.doors_open_at as string | null) ?? null,
    event_group_id: (row.event_group_id as string | null) ?? null,
    tags: JSON.parse(String(row.tags)) as string[],
    hold_ttl_seconds: Number(row.hold_ttl_seconds),
    access_type: String(row.access_type),
    manual_code_key: (row.manual_code_key as string | null) ?? null,
  };
}
