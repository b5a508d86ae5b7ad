import { eq, sql } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { decoyHash, hashPassword, verifyPassword } from "../lib/crypto/passwords.ts";
import { problems, ProblemError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { ipKey, type ClientMeta } from "../lib/request.ts";
import { addSeconds, now, secondsUntil } from "../lib/time.ts";
import { users } from "../users/schema.ts";
import { issueEmailCode } from "./email-codes.ts";
import { login_attempts } from "./schema.ts";
import type { LoginBody, RegisterBody } from "./schemas.ts";
import { openSession, type TokenPair } from "./tokens.ts";
import { startLoginChallenge, type MfaRequired } from "./two-factor.ts";

/** After this many wrong passwords in a row the account is locked for LOCKOUT_SECONDS. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_SECONDS = 15 * 60;

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

/**
 * Counts a wrong password with one guarded UPDATE (exact under concurrency):
 * the counter restarts after an expired lock, and reaching the threshold sets
 * `locked_until`. Returns the lock end when the account is now locked.
 */
async function countFailure(env: Env, userId: string): Promise<string | null> {
  const at = now();
  const lockUntil = addSeconds(at, LOCKOUT_SECONDS);
  const expired = sql`(${users.locked_until} IS NOT NULL AND ${users.locked_until} <= ${at})`;
  const next = sql`(CASE WHEN ${expired} THEN 1 ELSE ${users.failed_login_count} + 1 END)`;
  const [row] = await getDb(env.DB)
    .update(users)
    .set({
      failed_login_count: next,
      locked_until: sql`(CASE WHEN ${next} >= ${MAX_FAILED_LOGINS} THEN ${lockUntil} WHEN ${expired} THEN NULL ELSE ${users.locked_until} END)`,
    })
    .where(eq(users.id, userId))
    .returning({ locked_until: users.locked_until });
  return row?.locked_until && row.locked_until > at ? row.locked_until : null;
}

export async function login(env: Env, input: z.infer<typeof LoginBody>, meta: ClientMeta): Promise<TokenPair | MfaRequired> {
  await enforceRateLimit(env, "login-ip", ipKey(meta));
  const db = getDb(env.DB);
  const [user] = await db.select().from(users).where(eq(users.email, input.email)).limit(1);
  const invalid = problems.unauthorized("Wrong email or password.", "invalid_credentials");

  if (!user || !user.password_hash) {
    // Same work as a real check, so response time does not reveal which emails exist.
    await verifyPassword(input.password, await decoyHash(env.PASSWORD_PEPPER), env.PASSWORD_PEPPER);
    await recordFailure(env, input.email, user?.id ?? null, "FAILED", user ? "no_password" : "unknown_email", meta);
    throw invalid;
  }
  if (user.locked_until && user.locked_until > now()) {
    await recordFailure(env, input.email, user.id, "BLOCKED", "account_locked", meta);
    throw problems.locked("Too many failed sign-ins; try again later or reset your password.", secondsUntil(user.locked_until));
  }
  if (!(await verifyPassword(input.password, user.password_hash, env.PASSWORD_PEPPER))) {
    const lockedUntil = await countFailure(env, user.id);
    await recordFailure(env, input.email, user.id, lockedUntil ? "BLOCKED" : "FAILED", "wrong_password", meta);
    if (lockedUntil) throw problems.locked("Too many failed sign-ins; try again later or reset your password.", secondsUntil(lockedUntil));
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
