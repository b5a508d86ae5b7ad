import { and, desc, eq, sql } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import type { AuthContext, Env } from "../env.ts";
import { authorizeEvent } from "../organizations/permissions.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { type ACCESS_STATUSES, access_control_log } from "./schema.ts";

export interface ScanLogQuery {
  limit: number;
  cursor?: string;
  conflict?: boolean;
  status?: (typeof ACCESS_STATUSES)[number];
  access_right_id?: string;
  access_point_id?: string;
}

/** How much of what was scanned the log shows: a token or printed code admits whoever presents it. */
const SCANNED_SHOWN = 8;

/**
 * An event's gate log as D1 has it (the EventDO projects every attempt a
 * fraction of a second after it), newest first, for `gate.supervise` on the
 * event; its other members and controllers get 403, anyone else 404.
 * `conflict` lists the offline admissions the server disagreed with.
 */
export async function listScans(env: Env, auth: AuthContext | undefined, eventId: string, query: ScanLogQuery) {
  const db = getDb(env.DB);
  await authorizeEvent(env, auth, eventId, "gate.supervise");
  const log = access_control_log;
  const after = decodeCursor(query.cursor);
  const rows = await db
    .select({
      id: log.id,
      nonce: log.nonce,
      timestamp: log.timestamp,
      received_at: log.received_at,
      action: log.action,
      status: log.status,
      denial_reason: log.denial_reason,
      access_right_id: log.access_right_id,
      user_id: log.user_id,
      access_point_id: log.access_point_id,
      zone_id: log.zone_id,
      controller_id: log.controller_id,
      device_id: log.device_id,
      scan_method: log.scan_method,
      qr_code_scanned: log.qr_code_scanned,
      response_time_ms: log.response_time_ms,
      queue_size: log.queue_size,
      was_offline: log.was_offline,
      is_conflict: log.is_conflict,
    })
    .from(log)
    .where(
      and(
        eq(log.event_id, eventId),
        // Spelled out, not bound: SQLite uses the partial index of conflicts only for the literal condition.
        query.conflict === undefined ? undefined : query.conflict ? sql`${log.is_conflict} = 1` : sql`${log.is_conflict} = 0`,
        query.status ? eq(log.status, query.status) : undefined,
        query.access_right_id ? eq(log.access_right_id, query.access_right_id) : undefined,
        query.access_point_id ? eq(log.access_point_id, query.access_point_id) : undefined,
        afterCursor(after, log.timestamp, log.id, "desc"),
      ),
    )
    .orderBy(desc(log.timestamp), desc(log.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.timestamp, id: row.id }));
  return {
    data: page.data.map((row) => ({
      ...row,
      qr_code_scanned: row.qr_code_scanned.length > SCANNED_SHOWN ? `${row.qr_code_scanned.slice(0, SCANNED_SHOWN)}…` : row.qr_code_scanned,
    })),
    next_cursor: page.next_cursor,
  };
}
