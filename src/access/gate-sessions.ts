import { and, eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { now } from "../lib/time.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { gate_socket_sessions } from "./schema.ts";

/**
 * Records that a sign-in session opens a gate or observer socket on an
 * event's EventDO, in one statement guarded by the session being open (not
 * revoked, not expired, its account active). False when it has ended: then
 * no socket opens. Either the session's end is written before this row (and
 * the guard refuses), or after it, and then the end finds this row
 * (`closeSocketsOfEndedSession`) and tells the object, which refuses the
 * session from then on even if the socket is accepted after that.
 */
export async function recordGateSocket(env: Env, sessionId: string, eventId: string): Promise<boolean> {
  const at = now();
  const { results } = await env.DB.prepare(
    `INSERT INTO gate_socket_sessions (session_id, event_id, opened_at)
     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM auth_sessions s JOIN users u ON u.id = s.user_id
                                    WHERE s.id = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?3 AND u.is_active = 1)
     ON CONFLICT (session_id, event_id) DO UPDATE SET opened_at = excluded.opened_at
     RETURNING session_id`,
  )
    .bind(sessionId, eventId, at)
    .all();
  return results.length > 0;
}

/**
 * A session ended (the `sessionEnded` hook of src/auth): the EventDOs where
 * it opened sockets close them at once (4003) and refuse it from then on.
 * An object that cannot be told now keeps its row, and still closes the
 * session's sockets by itself within seconds (durable-objects/event/sessions.ts).
 */
export async function closeSocketsOfEndedSession({ env, session_id }: { env: Env; session_id: string }): Promise<void> {
  const db = getDb(env.DB);
  const rows = await db.select({ event_id: gate_socket_sessions.event_id }).from(gate_socket_sessions).where(eq(gate_socket_sessions.session_id, session_id));
  for (const { event_id } of rows) {
    try {
      await eventStub(env, event_id).endSession(session_id);
      await db.delete(gate_socket_sessions).where(and(eq(gate_socket_sessions.session_id, session_id), eq(gate_socket_sessions.event_id, event_id)));
    } catch (error) {
      console.error(`telling event ${event_id} that session ${session_id} ended failed; its object checks its sessions itself`, error);
    }
  }
}
