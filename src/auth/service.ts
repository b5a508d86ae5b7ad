import { and, eq, sql } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { decoyHash, hashPassword, verifyPassword } from "../lib/crypto/passwords.ts";
import { problems, ProblemError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { enforceRateLimit, hitRateLimit } from "../lib/rate-limit.ts";
import { verifyTurnstile } from "../lib/turnstile.ts";
import { ipKey, type ClientMeta } from "../lib/request.ts";
import { users } from "../users/schema.ts";
import { issueEmailCode } from "./email-codes.ts";
import { auth_sessions, login_attempts } from "./schema.ts";
import type { LoginBody, RegisterBody } from "./schemas.ts";
import { openSession, type TokenPair } from "./tokens.ts";
import { startLoginChallenge, type MfaRequired } from "./two-factor.ts";

type UserRow = typeof users.$inferSelect;

export async function register(env: Env, input: z.infer<typeof RegisterBody>, meta: ClientMeta) {
  await enforceRateLimit(env, "register-ip", ipKey(meta));
  const db = getDb(env.DB);
  let user: UserRow | undefined;
  try {
    [user] = await db
      .insert(users)
      .values({
        id: newId(),
        email: input.email,
        password_hash: await hashPassword(input.password, env.PASSWORD_PEPPER),
        first_name: input.first_name,
        last_name: input.last_name,
        username: input.username ?? null,
        phone: input.phone ?? null,
        language: input.language ?? "fr",
      })
      .returning();
  } catch (error) {
    if (isUniqueViolation(error, "users.email")) {
      const [existing] = await db.select({ password_hash: users.password_hash }).from(users).where(eq(users.email, input.email)).limit(1);
      // An account opened for tickets sent to this address: its owner claims it instead.
      if (existing && !existing.password_hash) {
        throw problems.conflict("account_claimable", "Tickets were sent to this address, so it already has an account: claim it with POST /v1/auth/claim (a code is emailed) and POST /v1/auth/claim/confirm.");
      }
      throw problems.conflict("email_taken", "An account already uses this email address.");
    }
    if (isUniqueViolation(error, "users.username")) throw problems.conflict("username_taken", "This username is taken.");
    throw error;
  }
  await issueEmailCode(env, user!, "SIGNUP", user!.email, meta.ip);
  const tokens = await openSession(env, user!, meta);
  return { user: user!, tokens };
}

/** A refused sign-in in login_attempts (password or social provider). */
export async function recordFailure(env: Env, email: string, userId: string | null, status: "FAILED" | "BLOCKED", reason: string, meta: ClientMeta) {
  await getDb(env.DB)
    .insert(login_attempts)
    .values({
      id: newId(),
      user_id: userId,
      email_attempted: email,
      status,
      failure_reason: reason,
      ip_address: meta.ip,
      user_agent: meta.userAgent,
      country: meta.country,
      city: meta.city,
    });
}

/** Whether the account was ever signed in to from this IP (its sessions keep their IP until they are purged). */
async function knownIp(env: Env, userId: string, ip: string | null): Promise<boolean> {
  if (!ip) return false;
  const [session] = await getDb(env.DB)
    .select({ id: auth_sessions.id })
    .from(auth_sessions)
    .where(and(eq(auth_sessions.user_id, userId), eq(auth_sessions.ip_address, ip)))
    .limit(1);
  return session !== undefined;
}

/**
 * Signs in with a password. Throttled without a lock anyone else could set:
 * every attempt counts against the IP (`login-ip`) and against this IP at
 * this address (`login-ip-account`), whose 429 slows that IP alone; attempts
 * at the address from IPs it never signed in from count against the address
 * (`login-account`), past which a Turnstile token is asked for (422
 * `turnstile_required`, 403 `turnstile_failed`), not refused: a fan signs in
 * from a device they used before, or by solving the check. Unknown addresses
 * are counted and answered exactly like known ones, so no answer tells them
 * apart; a wrong password and an unknown address are both 401
 * `invalid_credentials`, after the same work.
 */
export async function login(env: Env, input: z.infer<typeof LoginBody>, meta: ClientMeta): Promise<TokenPair | MfaRequired> {
  const db = getDb(env.DB);
  const ip = ipKey(meta);
  const [, perAddress, [user]] = await Promise.all([
    enforceRateLimit(env, "login-ip", ip),
    hitRateLimit(env, "login-ip-account", `${ip}|${input.email}`),
    db.select().from(users).where(eq(users.email, input.email)).limit(1),
  ]);
  if (!perAddress.allowed) {
    await recordFailure(env, input.email, user?.id ?? null, "BLOCKED", "throttled", meta);
    throw problems.tooManyRequests(perAddress.retry_after_seconds);
  }
  // Unknown addresses take the same path (an id no account has), so they cost and answer the same.
  if (!(await knownIp(env, user?.id ?? "", meta.ip))) {
    const fromElsewhere = await hitRateLimit(env, "login-account", input.email);
    if (!fromElsewhere.allowed) {
      if (!input.turnstile_token) {
        await recordFailure(env, input.email, user?.id ?? null, "BLOCKED", "turnstile_required", meta);
        throw problems.validation(
          [{ path: "turnstile_token", message: "Many sign-ins were tried at this address: solve the anti-robot check and send its token.", code: "turnstile_required" }],
          "Solve the anti-robot check to sign in.",
        );
      }
      await verifyTurnstile(env, input.turnstile_token, meta.ip);
    }
  }
  const invalid = problems.unauthorized("Wrong email or password.", "invalid_credentials");

  if (!user || !user.password_hash) {
    // Same work as a real check, so response time does not reveal which emails exist.
    await verifyPassword(input.password, await decoyHash(env.PASSWORD_PEPPER), env.PASSWORD_PEPPER);
    await recordFailure(env, input.email, user?.id ?? null, "FAILED", user ? "no_password" : "unknown_email", meta);
    throw invalid;
  }
  if (!(await verifyPassword(input.password, user.password_hash, env.PASSWORD_PEPPER))) {
    await db
      .update(users)
      .set({ failed_login_count: sql`${users.failed_login_count} + 1` })
      .where(eq(users.id, user.id));
    await recordFailure(env, input.email, user.id, "FAILED", "wrong_password", meta);
    throw invalid;
  }
  if (!user.is_active) {
    await recordFailure(env, input.email, user.id, "FAILED", "account_deactivated", meta);
    throw new ProblemError(403, "account_deactivated", "Account deactivated", "This account is deactivated; ask for a reactivation code.");
  }
  return completeFirstFactor(env, user, meta);
}

/** After a first factor (password or social provider): a second factor if enabled, else a session. */
export async function completeFirstFactor(env: Env, user: UserRow, meta: ClientMeta): Promise<TokenPair | MfaRequired> {
  const challenge = await startLoginChallenge(env, user);
  if (challenge) return challenge;
  return openSession(env, user, meta);
}
