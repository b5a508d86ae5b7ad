import { and, eq, gt, isNotNull, isNull, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { users } from "../users/schema.ts";
import { auth_sessions } from "./schema.ts";

/**
 * How far behind D1 an isolate's list of ended sessions may be. A session
 * ended in another isolate (logout, revocation, deactivation, refresh-token
 * reuse) is refused by routes reading this list at most this long after;
 * the isolate that ended it refuses it at once.
 */
export const REVOCATION_FEED_MAX_AGE_MS = 2_000;
// Tokens are checked against the clock with no leeway; this covers the skew between isolates and D1.
const CLOCK_MARGIN_MS = 60_000;

interface Feed {
  /** Sessions D1 had ended within an access token's lifetime, as of `readAt`. */
  ended: Set<string>;
  readAt: number;
  reading?: Promise<void>;
  /** Sessions this isolate ended itself, with when: kept until no token naming them can be valid. */
  local: Map<string, number>;
}

// Per D1 binding, so test files (each with its own database) never share a list.
const feeds = new WeakMap<D1Database, Feed>();

function feedOf(d1: D1Database): Feed {
  let feed = feeds.get(d1);
  if (!feed) feeds.set(d1, (feed = { ended: new Set(), readAt: -Infinity, local: new Map() }));
  return feed;
}

const horizonMs = (env: Env) => Number(env.ACCESS_TOKEN_TTL_SECONDS) * 1000 + CLOCK_MARGIN_MS;

/**
 * Whether the session an access token names has ended, from a list of the
 * sessions ended within one access-token lifetime (older ones can have no
 * valid token left), read from D1 at most every REVOCATION_FEED_MAX_AGE_MS
 * per isolate instead of once per request. An expired session needs no entry:
 * access tokens never outlive their session (src/auth/tokens.ts).
 */
export async function hasSessionEnded(env: Env, sessionId: string): Promise<boolean> {
  const feed = feedOf(env.DB);
  if (Date.now() - feed.readAt > REVOCATION_FEED_MAX_AGE_MS) {
    feed.reading ??= readFeed(env, feed).finally(() => (feed.reading = undefined));
    await feed.reading;
  }
  return feed.ended.has(sessionId) || feed.local.has(sessionId);
}

async function readFeed(env: Env, feed: Feed): Promise<void> {
  const startedAt = Date.now();
  const since = new Date(startedAt - horizonMs(env)).toISOString();
  const rows = await getDb(env.DB)
    .select({ id: auth_sessions.id })
    .from(auth_sessions)
    .where(and(isNotNull(auth_sessions.revoked_at), gt(auth_sessions.revoked_at, since)));
  feed.ended = new Set(rows.map((row) => row.id));
  feed.readAt = startedAt;
  for (const [id, at] of feed.local) if (startedAt - at > horizonMs(env)) feed.local.delete(id);
}

/** This isolate ended a session: its own requests refuse it from now on, not from its next read. */
export function noteSessionEnded(env: Env, sessionId: string): void {
  feedOf(env.DB).local.set(sessionId, Date.now());
}

/**
 * Of these sessions, the ones still open: not revoked, not expired, their
 * account active. The others have ended, whatever ended them (or are gone).
 * For holders of long-lived connections (the gate sockets of an EventDO)
 * checking them now and then.
 */
export async function openSessions(d1: D1Database, ids: readonly string[], at: string = new Date().toISOString()): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await getDb(d1)
    .select({ id: auth_sessions.id })
    .from(auth_sessions)
    .innerJoin(users, eq(users.id, auth_sessions.user_id))
    .where(and(sql`${auth_sessions.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, isNull(auth_sessions.revoked_at), gt(auth_sessions.expires_at, at), eq(users.is_active, true)));
  return new Set(rows.map((row) => row.id));
}
