import { and, eq, gt } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { randomToken, sha256Hex } from "../lib/crypto/hash.ts";
import { hashPassword, verifyPassword } from "../lib/crypto/passwords.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { ipKey, type ClientMeta } from "../lib/request.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { users } from "../users/schema.ts";
import { password_resets } from "./schema.ts";
import { revokeAllSessions } from "./tokens.ts";

export const RESET_TTL_SECONDS = 30 * 60;

/**
 * Sends a single-use reset token when the address belongs to an active
 * account. The answer is the same either way, so it does not reveal accounts.
 */
export async function requestPasswordReset(env: Env, email: string, meta: ClientMeta): Promise<void> {
  await enforceRateLimit(env, "password-reset-ip", ipKey(meta));
  const db = getDb(env.DB);
  const [user] = await db.select().from(users).where(and(eq(users.email, email), eq(users.is_active, true))).limit(1);
  if (!user) return;
  await enforceRateLimit(env, "code-send-user", user.id);
  const token = randomToken();
  const id = newId();
  await db.batch([
    db.update(password_resets).set({ status: "CANCELLED" }).where(and(eq(password_resets.user_id, user.id), eq(password_resets.status, "ACTIVE"))),
    db.insert(password_resets).values({
      id,
      user_id: user.id,
      token_hash: await sha256Hex(token),
      expires_at: addSeconds(now(), RESET_TTL_SECONDS),
      created_ip: meta.ip,
    }),
  ]);
  await notify(env, [{ type: "PASSWORD_RESET", key: `password-reset:${id}`, user_id: user.id, data: { token, minutes: String(RESET_TTL_SECONDS / 60) } }]);
}

/** Consumes a reset token once (guarded UPDATE), sets the password and ends every session. */
export async function resetPassword(env: Env, token: string, newPassword: string, meta: ClientMeta): Promise<void> {
  const db = getDb(env.DB);
  const at = now();
  const [reset] = await db
    .update(password_resets)
    .set({ status: "USED", used_at: at, used_ip: meta.ip })
    .where(and(eq(password_resets.token_hash, await sha256Hex(token)), eq(password_resets.status, "ACTIVE"), gt(password_resets.expires_at, at)))
    .returning({ user_id: password_resets.user_id });
  if (!reset) throw problems.badRequest("invalid_reset_token", "This reset link is invalid, expired or already used.");
  await db
    .update(users)
    .set({ password_hash: await hashPassword(newPassword, env.PASSWORD_PEPPER), failed_login_count: 0 })
    .where(eq(users.id, reset.user_id));
  await revokeAllSessions(env, reset.user_id, "PASSWORD_CHANGED");
}

/** Changes the password of a signed-in user and ends their other sessions. */
export async function changePassword(env: Env, userId: string, sessionId: string, current: string, next: string): Promise<void> {
  const db = getDb(env.DB);
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user?.password_hash || !(await verifyPassword(current, user.password_hash, env.PASSWORD_PEPPER))) {
    throw problems.unauthorized("The current password is wrong.", "invalid_credentials");
  }
  await db.update(users).set({ password_hash: await hashPassword(next, env.PASSWORD_PEPPER) }).where(eq(users.id, userId));
  await revokeAllSessions(env, userId, "PASSWORD_CHANGED", sessionId);
}
