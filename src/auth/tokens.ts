import { and, eq, isNull, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { randomToken, sha256Hex } from "../lib/crypto/hash.ts";
import { signJwt } from "../lib/crypto/jwt.ts";
import { newId } from "../lib/ids.ts";
import { problems } from "../lib/errors.ts";
import { addSeconds, now } from "../lib/time.ts";
import type { ClientMeta } from "../lib/request.ts";
import { users } from "../users/schema.ts";
import { ACCESS_TOKEN_TYPE } from "./middleware.ts";
import { sessionEnded } from "./hooks.ts";
import { noteSessionEnded } from "./revocations.ts";
import { auth_sessions, login_attempts, refresh_tokens, SESSION_REVOKE_REASONS } from "./schema.ts";
import { notify } from "../notifications/service.ts";
import { auditAct } from "../site/audit.ts";


export interface TokenPair {
  token_type: "Bearer";
  access_token: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_at: string;
  session_id: string;
}

const refreshTtlSeconds = (env: Env) => Number(env.REFRESH_TOKEN_TTL_DAYS) * 86_400;
const accessTtlSeconds = (env: Env) => Number(env.ACCESS_TOKEN_TTL_SECONDS);

/**
 * Never valid past its session's end, so that an expired session needs no
 * check of its own (src/auth/revocations.ts).
 */
async function accessToken(env: Env, userId: string, role: AuthContext["role"], sessionId: string, sessionExpiresAt: string) {
  const ttl = Math.max(0, Math.min(accessTtlSeconds(env), Math.floor((Date.parse(sessionExpiresAt) - Date.now()) / 1000)));
  return { access_token: await signJwt(env.JWT_SIGNING_KEYS, { sub: userId, sid: sessionId, role }, ttl, ACCESS_TOKEN_TYPE), expires_in: ttl };
}

/**
 * Opens a session (a refresh-token family) after a successful sign-in and
 * records the attempt, in one D1 batch.
 */
export async function openSession(
  env: Env,
  user: { id: string; role: AuthContext["role"]; email: string },
  meta: ClientMeta,
): Promise<TokenPair> {
  const db = getDb(env.DB);
  const sessionId = newId();
  const refresh = randomToken();
  const at = now();
  const expiresAt = addSeconds(at, refreshTtlSeconds(env));
  await db.batch([
    db.insert(auth_sessions).values({
      id: sessionId,
      user_id: user.id,
      created_at: at,
      last_used_at: at,
      expires_at: expiresAt,
      ip_address: meta.ip,
      user_agent: meta.userAgent,
      device_name: meta.deviceName ?? null,
    }),
    db.insert(refresh_tokens).values({ id: newId(), session_id: sessionId, token_hash: await sha256Hex(refresh), expires_at: expiresAt }),
    db.insert(login_attempts).values({
      id: newId(),
      user_id: user.id,
      email_attempted: user.email,
      status: "SUCCESS",
      ip_address: meta.ip,
      user_agent: meta.userAgent,
      country: meta.country,
      city: meta.city,
      session_id: sessionId,
    }),
    db
      .update(users)
      .set({ last_login_at: at, last_login_ip: meta.ip, failed_login_count: 0 })
      .where(eq(users.id, user.id)),
    auditAct(db, { userId: user.id, ip: meta.ip, userAgent: meta.userAgent }, sql`1`, { action: "LOGIN", table: auth_sessions, id: sessionId, description: "sign in" }),
  ]);
  return {
    token_type: "Bearer",
    ...(await accessToken(env, user.id, user.role, sessionId, expiresAt)),
    refresh_token: refresh,
    refresh_expires_at: expiresAt,
    session_id: sessionId,
  };
}

/**
 * Rotates a refresh token. The guarded UPDATE marks the presented token used
 * exactly once; presenting it again (a stolen copy, or a replay) finds it used
 * and revokes the whole session, so both the thief and the victim must sign in again.
 */
export async function rotateRefreshToken(env: Env, presented: string): Promise<TokenPair> {
  const db = getDb(env.DB);
  const hash = await sha256Hex(presented);
  const at = now();
  const [claimed] = await db
    .update(refresh_tokens)
    .set({ used_at: at })
    .where(and(eq(refresh_tokens.token_hash, hash), isNull(refresh_tokens.used_at), sql`${refresh_tokens.expires_at} > ${at}`))
    .returning({ session_id: refresh_tokens.session_id });

  if (!claimed) {
    const [known] = await db
      .select({ session_id: refresh_tokens.session_id, used_at: refresh_tokens.used_at, user_id: auth_sessions.user_id, revoked_at: auth_sessions.revoked_at })
      .from(refresh_tokens)
      .innerJoin(auth_sessions, eq(auth_sessions.id, refresh_tokens.session_id))
      .where(eq(refresh_tokens.token_hash, hash))
      .limit(1);
    if (known?.used_at) {
      const revoked = await revokeSession(env, known.session_id, "REUSE_DETECTED");
      if (revoked) {
        await notify(env, [{ type: "SECURITY_ALERT", key: `security-alert:${known.session_id}`, user_id: known.user_id, data: { reason: "refresh token reuse" } }]);
      }
      throw problems.unauthorized("This refresh token was already used; the session has been closed.", "refresh_token_reused");
    }
    if (known) throw problems.unauthorized("This refresh token has expired; sign in again.", "refresh_token_expired");
    throw problems.unauthorized("Unknown refresh token.", "invalid_refresh_token");
  }

  const [session] = await db
    .select({ user_id: auth_sessions.user_id, role: users.role, expires_at: auth_sessions.expires_at })
    .from(auth_sessions)
    .innerJoin(users, eq(users.id, auth_sessions.user_id))
    .where(and(eq(auth_sessions.id, claimed.session_id), isNull(auth_sessions.revoked_at), eq(users.is_active, true)))
    .limit(1);
  if (!session) throw problems.unauthorized("This session has ended; sign in again.", "session_revoked");

  const refresh = randomToken();
  await db.batch([
    db.insert(refresh_tokens).values({ id: newId(), session_id: claimed.session_id, token_hash: await sha256Hex(refresh), expires_at: session.expires_at }),
    db.update(auth_sessions).set({ last_used_at: at }).where(eq(auth_sessions.id, claimed.session_id)),
  ]);
  return {
    token_type: "Bearer",
    ...(await accessToken(env, session.user_id, session.role, claimed.session_id, session.expires_at)),
    refresh_token: refresh,
    refresh_expires_at: session.expires_at,
    session_id: claimed.session_id,
  };
}

/**
 * Ends one session; returns false when it was already ended. Records how
 * long it lasted; a person signing out (LOGOUT) or ending one of their
 * sessions (REVOKED) is audited (LOGOUT), with `meta`, their request's client;
 * and tells the domains that hold something open for it (`sessionEnded`).
 */
export async function revokeSession(
  env: Env,
  sessionId: string,
  reason: (typeof SESSION_REVOKE_REASONS)[number],
  meta?: ClientMeta,
): Promise<boolean> {
  const db = getDb(env.DB);
  const at = now();
  const [ended] = await db
    .update(auth_sessions)
    .set({ revoked_at: at, revoked_reason: reason })
    .where(and(eq(auth_sessions.id, sessionId), isNull(auth_sessions.revoked_at)))
    .returning({ created_at: auth_sessions.created_at, user_id: auth_sessions.user_id });
  if (!ended) return false;
  noteSessionEnded(env, sessionId);
  const signedOut = reason === "LOGOUT" || reason === "REVOKED";
  await db.batch([
    db
      .update(login_attempts)
      .set({ session_duration_seconds: Math.round((Date.parse(at) - Date.parse(ended.created_at)) / 1000) })
      .where(eq(login_attempts.session_id, sessionId)),
    auditAct(db, { userId: ended.user_id, ip: meta?.ip, userAgent: meta?.userAgent }, signedOut ? sql`1` : sql`0`, {
      action: "LOGOUT",
      table: auth_sessions,
      id: sessionId,
      description: reason === "LOGOUT" ? "sign out" : "end another session",
    }),
  ]);
  await sessionEnded.emit({ env, session_id: sessionId, user_id: ended.user_id });
  return true;
}

/** Ends every session of a user (password reset, deactivation), except `keep` if given. */
export async function revokeAllSessions(
  env: Env,
  userId: string,
  reason: (typeof SESSION_REVOKE_REASONS)[number],
  keep?: string,
): Promise<void> {
  const db = getDb(env.DB);
  const open = await db
    .select({ id: auth_sessions.id })
    .from(auth_sessions)
    .where(and(eq(auth_sessions.user_id, userId), isNull(auth_sessions.revoked_at)));
  for (const { id } of open) if (id !== keep) await revokeSession(env, id, reason);
}
