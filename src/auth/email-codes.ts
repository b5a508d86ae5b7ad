import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { randomDigits, secretDigest, timingSafeEqual } from "../lib/crypto/hash.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { users } from "../users/schema.ts";
import { email_verifications, EMAIL_VERIFICATION_TYPES } from "./schema.ts";

export type EmailCodeType = (typeof EMAIL_VERIFICATION_TYPES)[number];

export const EMAIL_CODE_TTL_SECONDS = 15 * 60;
export const EMAIL_CODE_MAX_ATTEMPTS = 5;

const TEMPLATE = {
  SIGNUP: "EMAIL_CODE_SIGNUP",
  EMAIL_CHANGE: "EMAIL_CODE_EMAIL_CHANGE",
  REACTIVATION: "EMAIL_CODE_REACTIVATION",
} as const;

const digest = (env: Env, verificationId: string, code: string) => secretDigest(env.PASSWORD_PEPPER, `email-code:${verificationId}`, code);

/**
 * Sends a fresh 6-digit code to `email` and cancels the user's earlier pending
 * codes of that type, so only the newest works.
 */
export async function issueEmailCode(
  env: Env,
  user: { id: string; first_name: string; language: "fr" | "ar" | "en" },
  type: EmailCodeType,
  email: string,
  ip: string | null,
  template: "ACCOUNT_CLAIM" | (typeof TEMPLATE)[EmailCodeType] = TEMPLATE[type],
): Promise<{ expires_at: string }> {
  await enforceRateLimit(env, "code-send-user", user.id);
  const db = getDb(env.DB);
  const id = newId();
  const code = randomDigits(6);
  const expiresAt = addSeconds(now(), EMAIL_CODE_TTL_SECONDS);
  await db.batch([
    db
      .update(email_verifications)
      .set({ status: "CANCELLED" })
      .where(and(eq(email_verifications.user_id, user.id), eq(email_verifications.verification_type, type), eq(email_verifications.status, "PENDING"))),
    db.insert(email_verifications).values({
      id,
      user_id: user.id,
      email,
      code_hash: await digest(env, id, code),
      verification_type: type,
      expires_at: expiresAt,
      max_attempts: EMAIL_CODE_MAX_ATTEMPTS,
      ip_address: ip,
    }),
  ]);
  await notify(env, [
    {
      type: template,
      key: `email-code:${id}`,
      user_id: user.id,
      email,
      channels: ["EMAIL"],
      language: user.language,
      data: { code, first_name: user.first_name, minutes: String(EMAIL_CODE_TTL_SECONDS / 60) },
    },
  ]);
  return { expires_at: expiresAt };
}

/**
 * Checks a code against the user's newest pending code of `type`. Each try is
 * counted by a guarded UPDATE first, so parallel guesses cannot exceed
 * `max_attempts`. On success the code is consumed (once) and its effect applied.
 */
export async function verifyEmailCode(env: Env, userId: string, type: EmailCodeType, code: string): Promise<{ email: string }> {
  const db = getDb(env.DB);
  const at = now();
  const [pending] = await db
    .select()
    .from(email_verifications)
    .where(and(eq(email_verifications.user_id, userId), eq(email_verifications.verification_type, type), eq(email_verifications.status, "PENDING")))
    .orderBy(desc(email_verifications.created_at))
    .limit(1);
  if (!pending) throw problems.badRequest("no_pending_code", "There is no pending code; ask for a new one.");
  if (pending.expires_at <= at) {
    await db.update(email_verifications).set({ status: "EXPIRED" }).where(eq(email_verifications.id, pending.id));
    throw problems.gone("code_expired", "This code has expired; ask for a new one.");
  }
  const [counted] = await db
    .update(email_verifications)
    .set({ attempts: sql`${email_verifications.attempts} + 1` })
    .where(and(eq(email_verifications.id, pending.id), eq(email_verifications.status, "PENDING"), lt(email_verifications.attempts, email_verifications.max_attempts)))
    .returning({ attempts: email_verifications.attempts, max_attempts: email_verifications.max_attempts });
  if (!counted) throw new ProblemError(429, "too_many_attempts", "Too many attempts", "Too many wrong codes; ask for a new one.");

  if (!timingSafeEqual(await digest(env, pending.id, code), pending.code_hash)) {
    const remaining = counted.max_attempts - counted.attempts;
    throw new ProblemError(400, "invalid_code", "Invalid code", `Wrong code; ${remaining} attempt(s) left.`);
  }
  const [consumed] = await db
    .update(email_verifications)
    .set({ status: "VERIFIED", verified_at: at })
    .where(and(eq(email_verifications.id, pending.id), eq(email_verifications.status, "PENDING")))
    .returning({ id: email_verifications.id });
  if (!consumed) throw problems.badRequest("no_pending_code", "This code was already used.");

  try {
    if (type === "SIGNUP") {
      await db.update(users).set({ email_verified_at: at }).where(eq(users.id, userId));
      // A verified new account is welcomed once (a claimed account too: the same key).
      await notify(env, [{ type: "WELCOME", key: `welcome:${userId}`, user_id: userId }]);
    }
    if (type === "EMAIL_CHANGE") await db.update(users).set({ email: pending.email, email_verified_at: at }).where(eq(users.id, userId));
    if (type === "REACTIVATION") {
      await db.update(users).set({ is_active: true, deactivated_at: null, email_verified_at: at }).where(eq(users.id, userId));
    }
  } catch (error) {
    if (isUniqueViolation(error, "users.email")) throw problems.conflict("email_taken", "Another account uses this email address.");
    throw error;
  }
  return { email: pending.email };
}
