/**
 * The sign-in sessions behind the object's gate and observer sockets, and
 * which of them have ended. The Worker checks a session once, when it opens
 * a socket; when the session ends (logout, revocation, password change,
 * deactivation) it tells the objects where it opened sockets (`end`), which
 * close them at once (4003) and refuse the session from then on.
 *
 * In case that word does not arrive (the object unreachable then), every
 * frame is checked against the sessions known to have ended, a set lookup,
 * and, while frames come, at most every REVOCATION_FEED_MAX_AGE_MS, D1 is
 * asked in the background which of the open sockets' sessions are still
 * open (`openSessions`); the others are ended here and their sockets closed.
 * No frame waits for D1.
 */
import type { Env } from "../../src/env.ts";
import { openSessions, REVOCATION_FEED_MAX_AGE_MS } from "../../src/auth/revocations.ts";
import { CLOSE } from "./gate-protocol.ts";
import { sessionOf } from "./socket.ts";
import type { EventStore } from "./store.ts";

/** Ended sessions are remembered this long: past it, no token of theirs opens anything (refresh tokens live 30 days). */
const REMEMBER_MS = 31 * 86_400_000;

export class SessionWatch {
  private ended: Set<string> | null = null;
  private checkedAt = -Infinity;
  private checking = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly s: EventStore,
    private readonly env: Env,
  ) {}

  /** Whether the session has ended, as far as the object knows; may start a background check of the open sockets' sessions. */
  isEnded(sessionId: string | undefined): boolean {
    if (!sessionId) return false;
    this.checkSoon();
    return this.endedSessions().has(sessionId);
  }

  /** These sessions have ended: remembered, and their sockets closed. Returns how many sockets closed. */
  end(sessionIds: readonly string[]): number {
    if (sessionIds.length === 0) return 0;
    const at = new Date().toISOString();
    const ended = this.endedSessions();
    this.s.storage.transactionSync(() => {
      this.s.sql`DELETE FROM ended_sessions WHERE ended_at < ${new Date(Date.now() - REMEMBER_MS).toISOString()}`;
      for (const id of sessionIds) {
        this.s.sql`INSERT INTO ended_sessions (session_id, ended_at) VALUES (${id}, ${at}) ON CONFLICT (session_id) DO NOTHING`;
        ended.add(id);
      }
    });
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const who = sessionOf(ws);
      if (!who?.session_id || !sessionIds.includes(who.session_id)) continue;
      ws.close(CLOSE.sessionEnded.code, CLOSE.sessionEnded.reason);
      closed++;
    }
    return closed;
  }

  private endedSessions(): Set<string> {
    return (this.ended ??= new Set(this.s.sql<{ session_id: string }>`SELECT session_id FROM ended_sessions`.toArray().map((r) => r.session_id)));
  }

  private checkSoon(): void {
    const now = Date.now();
    if (this.checking || now - this.checkedAt < REVOCATION_FEED_MAX_AGE_MS) return;
    this.checking = true;
    this.checkedAt = now;
    this.check()
      .catch((error: unknown) => console.error("checking the gate sockets' sessions failed", error))
      .finally(() => (this.checking = false));
  }

  private async check(): Promise<void> {
    const ended = this.endedSessions();
    const held = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const id = sessionOf(ws)?.session_id;
      if (id && !ended.has(id)) held.add(id);
    }
    if (held.size === 0) return;
    const open = await openSessions(this.env.DB, [...held]);
    this.end([...held].filter((id) => !open.has(id)));
  }
}
