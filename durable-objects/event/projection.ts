import { sql as dsql } from "drizzle-orm";
import { getDb } from "../../src/db/client.ts";
import { isConstraintViolation } from "../../src/db/errors.ts";
import { event_ticket_config } from "../../src/catalog/schema.ts";
import { tickets } from "../../src/orders/schema.ts";
import { access_control_log, access_rights, access_transactions_log } from "../../src/access/schema.ts";

type Row = Record<string, SqlStorageValue>;
const BATCH = 200;

/**
 * Projects the EventDO's changes to D1: the outbox names what changed, the
 * current state is read from the object's tables and written with idempotent
 * upserts (replaying a batch is harmless), in FK order, in one D1 batch.
 * Rows are removed from the outbox only after D1 accepted them.
 */
export async function drainOutbox(sql: SqlStorage, d1: D1Database, eventId: string): Promise<number> {
  const entries = sql.exec<Row>("SELECT seq, kind, entity_id, payload FROM outbox ORDER BY seq LIMIT ?", BATCH).toArray();
  if (entries.length === 0) return 0;
  const lastSeq = Number(entries[entries.length - 1]!.seq);
  const ids = (kind: string) => [...new Set(entries.filter((e) => e.kind === kind).map((e) => String(e.entity_id)))];
  const db = getDb(d1);
  const statements = [];
  const sources: { kind: string; id: string }[] = []; // what each statement projects, for the error log

  for (const id of ids("order")) {
    const o = sql.exec<Row>("SELECT o.*, c.ticket_type_id FROM orders o JOIN configs c ON c.id = o.config_id WHERE o.id = ?", id).toArray()[0];
    if (!o) continue;
    const row = {
      id,
      ticket_number: String(o.ticket_number),
      user_id: String(o.user_id),
      event_id: eventId,
      ticket_type_id: String(o.ticket_type_id),
      event_ticket_config_id: String(o.config_id),
      quantity: Number(o.quantity),
      unit_price: Number(o.unit_price),
      total_price: Number(o.total),
      discount_amount: Number(o.discount),
      currency: String(o.currency) as "XOF",
      pricing_rule_id: (o.pricing_rule_id as string | null) ?? null,
      payment_status: String(o.payment_status) as "PENDING",
      booking_status: String(o.booking_status) as "PENDING",
      booking_expires_at: (o.expires_at as string | null) ?? null,
      purchase_channel: String(o.channel) as "WEB",
      purchase_ip: (o.purchase_ip as string | null) ?? null,
      is_guest_purchase: Boolean(o.is_guest),
      guest_email: (o.guest_email as string | null) ?? null,
      guest_phone: (o.guest_phone as string | null) ?? null,
      metadata: { applied_rules: JSON.parse(String(o.applied_rules)), gross: Number(o.gross) },
      created_at: String(o.created_at),
      updated_at: String(o.updated_at),
      confirmed_at: (o.confirmed_at as string | null) ?? null,
      cancelled_at: (o.cancelled_at as string | null) ?? null,
      cancellation_reason: (o.cancellation_reason as string | null) ?? null,
    };
    const { id: _id, created_at: _c, ticket_number: _t, ...changing } = row;
    statements.push(db.insert(tickets).values(row).onConflictDoUpdate({ target: tickets.id, set: changing }));
    sources.push({ kind: "order", id });
  }

  for (const id of ids("right")) {
    const r = sql.exec<Row>("SELECT * FROM rights WHERE id = ?", id).toArray()[0];
    if (!r) continue;
    const row = {
      id,
      qr_code: String(r.qr_code),
      user_id: String(r.user_id),
      event_id: eventId,
      zone_id: (r.zone_id as string | null) ?? null,
      seat_id: (r.seat_id as string | null) ?? null,
      status: String(r.status) as "ENABLED",
      source_type: String(r.source_type) as "TICKET",
      source_id: String(r.source_id),
      original_user_id: String(r.original_user_id),
      transfer_count: Number(r.transfer_count),
      last_transfer_date: (r.last_transfer_date as string | null) ?? null,
      valid_from: String(r.valid_from),
      valid_until: String(r.valid_until),
      used_at: (r.used_at as string | null) ?? null,
      used_at_access_point: (r.used_at_access_point as string | null) ?? null,
      is_inside: Boolean(r.is_inside),
      entry_count: Number(r.entry_count),
      last_exit_at: (r.last_exit_at as string | null) ?? null,
      created_by: (r.created_by as string | null) ?? null,
      created_at: String(r.created_at),
      updated_at: String(r.updated_at),
    };
    const { id: _id, created_at: _c, qr_code: _q, event_id: _e, ...changing } = row;
    statements.push(db.insert(access_rights).values(row).onConflictDoUpdate({ target: access_rights.id, set: changing }));
    sources.push({ kind: "right", id });
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

  for (const nonce of ids("scan")) {
    const scan = sql.exec<Row>("SELECT * FROM scans WHERE nonce = ?", nonce).toArray()[0];
    if (!scan) continue;
    statements.push(
      db
        .insert(access_control_log)
        .values({
          id: String(scan.id),
          access_right_id: (scan.access_right_id as string | null) ?? null,
          event_id: eventId,
          user_id: (scan.user_id as string | null) ?? null,
          access_point_id: String(scan.access_point_id),
          zone_id: (scan.zone_id as string | null) ?? null,
          qr_code_scanned: String(scan.qr_code_scanned),
          action: String(scan.action) as "ENTRY",
          status: String(scan.status) as "SUCCESS",
          denial_reason: (scan.denial_reason as "INVALID_QR" | null) ?? null,
          controller_id: String(scan.controller_id),
          device_id: String(scan.device_id),
          scan_method: String(scan.scan_method) as "QR_SCANNER",
          response_time_ms: (scan.response_time_ms as number | null) ?? null,
          queue_size: (scan.queue_size as number | null) ?? null,
          nonce,
          was_offline: Boolean(scan.was_offline),
          is_conflict: Boolean(scan.is_conflict),
          timestamp: String(scan.scanned_at),
          received_at: String(scan.received_at),
        })
        .onConflictDoNothing(),
    );
    sources.push({ kind: "scan", id: nonce });
  }

  for (const id of ids("config")) {
    const c = sql.exec<Row>("SELECT quantity_held, quantity_sold FROM configs WHERE id = ?", id).toArray()[0];
    if (!c) continue;
    statements.push(
      db
        .update(event_ticket_config)
        .set({ quantity_sold: Number(c.quantity_sold), quantity_reserved: Number(c.quantity_held), updated_at: dsql`${event_ticket_config.updated_at}` })
        .where(dsql`${event_ticket_config.id} = ${id}`),
    );
    sources.push({ kind: "config", id });
  }

  if (statements.length > 0) {
    try {
      await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
    } catch (batchError) {
      // One bad row must not hold back the event's other changes: retry one by one and set aside what D1 refuses.
      console.error("EventDO projection batch refused; retrying statement by statement", batchError);
      for (const [index, statement] of statements.entries()) {
        try {
          await statement;
        } catch (error) {
          if (!isConstraintViolation(error)) throw error; // D1 unreachable: the alarm retries the whole batch
          const source = sources[index]!;
          sql.exec(
            "INSERT INTO projection_errors (kind, entity_id, error, at) VALUES (?, ?, ?, ?)",
            source.kind, source.id, String(error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : error).slice(0, 500), new Date().toISOString(),
          );
        }
      }
    }
  }
  sql.exec("DELETE FROM outbox WHERE seq <= ?", lastSeq);
  return entries.length;
}

