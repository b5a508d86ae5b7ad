import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { decryptSecret, encryptSecret } from "../lib/crypto/encryption.ts";
import { randomDigits, secretDigest, timingSafeEqual } from "../lib/crypto/hash.ts";
import { InvalidTokenError, signJwt, verifyJwt } from "../lib/crypto/jwt.ts";
import { verifyPassword } from "../lib/crypto/passwords.ts";
import { matchTotpStep, newTotpSecret, otpauthUrl } from "../lib/crypto/totp.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { addSeconds, now } from "../lib/time.ts";
import type { ClientMeta } from "../lib/request.ts";
import { notify } from "../notifications/service.ts";
import { users } from "../users/schema.ts";
import { login_attempts, two_factor_auth, two_factor_challenges, two_factor_recovery_codes, TWO_FACTOR_METHODS } from "./schema.ts";
import { openSession, type TokenPair } from "./tokens.ts";

export type TwoFactorMethod = (typeof TWO_FACTOR_METHODS)[number];
export interface MfaRequired {
  mfa_required: true;
  mfa_token: string;
  method: TwoFactorMethod;
}

type UserRow = typeof users.$inferSelect;

const MFA_TOKEN_TYPE = "mfa+jwt";
const CHALLENGE_TTL_SECONDS = 5 * 60;
const SETUP_TTL_SECONDS = 15 * 60;
const MAX_ATTEMPTS = 5;
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE = /^[A-Z2-9]{5}-?[A-Z2-9]{5}$/i;
const SECRET_PURPOSE = "two_factor_auth.secret";

const codeDigest = (env: Env, challengeId: string, code: string) => secretDigest(env.PASSWORD_PEPPER, `2fa:${challengeId}`, code);
const recoveryDigest = (env: Env, userId: string, code: string) =>
  secretDigest(env.PASSWORD_PEPPER, `recovery:${userId}`, code.replace("-", "").toUpperCase());

/** Sends a one-time code for an EMAIL or SMS challenge. */
async function sendChallengeCode(env: Env, user: UserRow, method: "EMAIL" | "SMS", challengeId: string, code: string) {
  await enforceRateLimit(env, "code-send-user", user.id);
  await notify(env, [
    {
      type: "TWO_FACTOR_CODE",
      key: `2fa:${challengeId}`,
      user_id: user.id,
      channels: [method],
      ...(method === "EMAIL" ? { email: user.email } : { phone: user.phone! }),
      data: { code },
    },
  ]);
}

async function createChallenge(env: Env, user: UserRow, method: TwoFactorMethod, purpose: "LOGIN" | "ENABLE", pendingSecret?: string) {
  const id = newId();
  const code = method === "TOTP" ? null : randomDigits(6);
  await getDb(env.DB)
    .insert(two_factor_challenges)
    .values({
      id,
      user_id: user.id,
      method,
      purpose,
      code_hash: code ? await codeDigest(env, id, code) : null,
      pending_secret_encrypted: pendingSecret ? await encryptSecret(env.DATA_ENCRYPTION_KEY, SECRET_PURPOSE, pendingSecret) : null,
      expires_at: addSeconds(now(), purpose === "LOGIN" ? CHALLENGE_TTL_SECONDS : SETUP_TTL_SECONDS),
      max_attempts: MAX_ATTEMPTS,
    });
  if (code && method !== "TOTP") await sendChallengeCode(env, user, method, id, code);
  return id;
}

/** Counts one try on a live challenge of the caller, or fails; parallel guesses cannot exceed the maximum. */
async function claimAttempt(env: Env, challengeId: string, userId: string, purpose: "LOGIN" | "ENABLE") {
  const [challenge] = await getDb(env.DB)
    .update(two_factor_challenges)
    .set({ attempts: sql`${two_factor_challenges.attempts} + 1` })
    .where(
      and(
        eq(two_factor_challenges.id, challengeId),
        eq(two_factor_challenges.user_id, userId),
        eq(two_factor_challenges.purpose, purpose),
        isNull(two_factor_challenges.consumed_at),
        gt(two_factor_challenges.expires_at, now()),
        lt(two_factor_challenges.attempts, two_factor_challenges.max_attempts),
      ),
    )
    .returning();
  if (!challenge) {
    throw new ProblemError(400, "challenge_invalid", "Challenge not usable", "This verification has expired, was used, or had too many attempts; start again.");
  }
  return challenge;
}

async function consumeChallenge(env: Env, challengeId: string): Promise<boolean> {
  const [row] = await getDb(env.DB)
    .update(two_factor_challenges)
    .set({ consumed_at: now() })
    .where(and(eq(two_factor_challenges.id, challengeId), isNull(two_factor_challenges.consumed_at)))
    .returning({ id: two_factor_challenges.id });
  return Boolean(row);
}

/**
 * Accepts a TOTP code at most once: the matched time step must be greater
 * than the last one used, written by a guarded UPDATE.
 */
async function acceptTotp(env: Env, userId: string, secretEncrypted: string, code: string): Promise<boolean> {
  const secret = await decryptSecret(env.DATA_ENCRYPTION_KEY, SECRET_PURPOSE, secretEncrypted);
  const step = await matchTotpStep(secret, code);
  if (step === null) return false;
  const [row] = await getDb(env.DB)
    .update(two_factor_auth)
    .set({ last_totp_step: step, last_used_at: now() })
    .where(and(eq(two_factor_auth.user_id, userId), or(isNull(two_factor_auth.last_totp_step), lt(two_factor_auth.last_totp_step, step))))
    .returning({ user_id: two_factor_auth.user_id });
  if (!row) throw problems.unauthorized("This code was already used; wait for the next one.", "code_already_used");
  return true;
}

async function consumeRecoveryCode(env: Env, userId: string, code: string): Promise<boolean> {
  const [row] = await getDb(env.DB)
    .update(two_factor_recovery_codes)
    .set({ used_at: now() })
    .where(
      and(
        eq(two_factor_recovery_codes.user_id, userId),
        eq(two_factor_recovery_codes.code_hash, await recoveryDigest(env, userId, code)),
        isNull(two_factor_recovery_codes.used_at),
      ),
    )
    .returning({ id: two_factor_recovery_codes.id });
  if (row) await getDb(env.DB).update(two_factor_auth).set({ last_used_at: now() }).where(eq(two_factor_auth.user_id, userId));
  return Boolean(row);
}

async function enabledFactor(env: Env, userId: string) {
  const [factor] = await getDb(env.DB)
    .select()
    .from(two_factor_auth)
    .where(and(eq(two_factor_auth.user_id, userId), eq(two_factor_auth.is_enabled, true)))
    .limit(1);
  return factor;
}

/** When the user has a second factor, opens a login challenge (sending the code for EMAIL/SMS). */
export async function startLoginChallenge(env: Env, user: UserRow): Promise<MfaRequired | null> {
  const factor = await enabledFactor(env, user.id);
  if (!factor) return null;
  const challengeId = await createChallenge(env, user, factor.method, "LOGIN");
  const mfaToken = await signJwt(env.JWT_SIGNING_KEYS, { sub: user.id, chal: challengeId }, CHALLENGE_TTL_SECONDS, MFA_TOKEN_TYPE);
  return { mfa_required: true, mfa_token: mfaToken, method: factor.method };
}

async function readMfaToken(env: Env, token: string): Promise<{ userId: string; challengeId: string }> {
  try {
    const claims = await verifyJwt(env.JWT_SIGNING_KEYS, token, MFA_TOKEN_TYPE);
    if (typeof claims.chal !== "string") throw new InvalidTokenError("invalid token");
    return { userId: claims.sub, challengeId: claims.chal };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw problems.unauthorized(`The MFA token is not valid (${error.message}).`, "invalid_mfa_token");
    throw error;
  }
}

/** Second step of a sign-in: a TOTP / EMAIL / SMS code, or a recovery code. */
export async function completeLoginChallenge(env: Env, mfaToken: string, code: string, meta: ClientMeta): Promise<TokenPair> {
  const { userId, challengeId } = await readMfaToken(env, mfaToken);
  const challenge = await claimAttempt(env, challengeId, userId, "LOGIN");
  const db = getDb(env.DB);
  const [user] = await db.select().from(users).where(and(eq(users.id, userId), eq(users.is_active, true))).limit(1);
  const factor = await enabledFactor(env, userId);
  if (!user || !factor) throw problems.unauthorized("This sign-in can no longer be completed.", "invalid_mfa_token");

  let ok = false;
  if (RECOVERY_CODE.test(code)) ok = await consumeRecoveryCode(env, userId, code);
  else if (factor.method === "TOTP") ok = await acceptTotp(env, userId, factor.secret_encrypted!, code);
  else ok = challenge.code_hash !== null && timingSafeEqual(await codeDigest(env, challenge.id, code), challenge.code_hash);

  if (!ok) {
    await db.insert(login_attempts).values({
      id: newId(),
      user_id: userId,
      email_attempted: user.email,
      status: "FAILED",
      failure_reason: "invalid_2fa_code",
      ip_address: meta.ip,
      user_agent: meta.userAgent,
      country: meta.country,
      city: meta.city,
    });
    throw problems.unauthorized("Wrong code.", "invalid_code");
  }
  if (!(await consumeChallenge(env, challenge.id))) throw problems.unauthorized("This sign-in was already completed.", "challenge_invalid");
  return openSession(env, user, meta);
}

/** Sends a new code for a pending EMAIL / SMS login challenge. */
export async function resendLoginCode(env: Env, mfaToken: string): Promise<MfaRequired> {
  const { userId } = await readMfaToken(env, mfaToken);
  const [user] = await getDb(env.DB).select().from(users).where(eq(users.id, userId)).limit(1);
  const factor = await enabledFactor(env, userId);
  if (!user || !factor) throw problems.unauthorized("This sign-in can no longer be completed.", "invalid_mfa_token");
  if (factor.method === "TOTP") throw problems.badRequest("nothing_to_send", "Use the code shown by your authenticator app.");
  const challenge = await startLoginChallenge(env, user);
  return challenge!;
}

export async function twoFactorStatus(env: Env, userId: string) {
  const factor = await enabledFactor(env, userId);
  const remaining = await getDb(env.DB)
    .select({ n: sql<number>`count(*)` })
    .from(two_factor_recovery_codes)
    .where(and(eq(two_factor_recovery_codes.user_id, userId), isNull(two_factor_recovery_codes.used_at)));
  return {
    enabled: Boolean(factor),
    method: factor?.method ?? null,
    activated_at: factor?.activated_at ?? null,
    last_used_at: factor?.last_used_at ?? null,
    recovery_codes_remaining: factor ? (remaining[0]?.n ?? 0) : 0,
  };
}

/** Starts enabling a method; TOTP returns the secret to show (once) as a QR / otpauth URL. */
export async function startSetup(env: Env, user: UserRow, method: TwoFactorMethod) {
  if (method === "SMS" && !user.phone) {
    throw problems.validation([{ path: "method", message: "Add a phone number to your profile first.", code: "phone_required" }]);
  }
  if (await enabledFactor(env, user.id)) throw problems.conflict("two_factor_enabled", "Two-factor authentication is already on; turn it off first.");
  const secret = method === "TOTP" ? newTotpSecret() : undefined;
  const challengeId = await createChallenge(env, user, method, "ENABLE", secret);
  return {
    challenge_id: challengeId,
    method,
    secret: secret ?? null,
    otpauth_url: secret ? otpauthUrl(secret, user.email, "SpotVibe") : null,
  };
}

async function replaceRecoveryCodes(env: Env, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const raw = humanCode(10);
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  const db = getDb(env.DB);
  const rows = await Promise.all(codes.map(async (code) => ({ id: newId(), user_id: userId, code_hash: await recoveryDigest(env, userId, code) })));
  await db.batch([db.delete(two_factor_recovery_codes).where(eq(two_factor_recovery_codes.user_id, userId)), db.insert(two_factor_recovery_codes).values(rows)]);
  return codes;
}

/** Confirms a setup challenge with a first code; returns the recovery codes, shown once. */
export async function confirmSetup(env: Env, userId: string, challengeId: string, code: string) {
  const challenge = await claimAttempt(env, challengeId, userId, "ENABLE");
  let step: number | null = null;
  let secretEncrypted: string | null = null;
  if (challenge.method === "TOTP") {
    secretEncrypted = challenge.pending_secret_encrypted!;
    step = await matchTotpStep(await decryptSecret(env.DATA_ENCRYPTION_KEY, SECRET_PURPOSE, secretEncrypted), code);
    if (step === null) throw problems.badRequest("invalid_code", "Wrong code; check the time on your phone and try again.");
  } else if (!challenge.code_hash || !timingSafeEqual(await codeDigest(env, challenge.id, code), challenge.code_hash)) {
    throw problems.badRequest("invalid_code", "Wrong code.");
  }
  if (!(await consumeChallenge(env, challenge.id))) throw problems.badRequest("challenge_invalid", "This setup was already completed.");
  const at = now();
  await getDb(env.DB)
    .insert(two_factor_auth)
    .values({ user_id: userId, is_enabled: true, method: challenge.method, secret_encrypted: secretEncrypted, last_totp_step: step, activated_at: at, last_used_at: at })
    .onConflictDoUpdate({
      target: two_factor_auth.user_id,
      set: { is_enabled: true, method: challenge.method, secret_encrypted: secretEncrypted, last_totp_step: step, activated_at: at, last_used_at: at },
    });
  return { method: challenge.method, recovery_codes: await replaceRecoveryCodes(env, userId) };
}

async function requirePassword(env: Env, user: UserRow, password: string) {
  if (!user.password_hash || !(await verifyPassword(password, user.password_hash, env.PASSWORD_PEPPER))) {
    throw problems.unauthorized("Wrong password.", "invalid_credentials");
  }
}

/** Turns 2FA off: the password, plus a current TOTP or recovery code for TOTP users. */
export async function disable(env: Env, user: UserRow, password: string, code: string | undefined) {
  await requirePassword(env, user, password);
  const factor = await enabledFactor(env, user.id);
  if (!factor) throw problems.conflict("two_factor_disabled", "Two-factor authentication is not on.");
  if (factor.method === "TOTP") {
    const ok = code !== undefined && (RECOVERY_CODE.test(code) ? await consumeRecoveryCode(env, user.id, code) : await acceptTotp(env, user.id, factor.secret_encrypted!, code));
    if (!ok) throw problems.unauthorized("Wrong code.", "invalid_code");
  }
  const db = getDb(env.DB);
  await db.batch([db.delete(two_factor_recovery_codes).where(eq(two_factor_recovery_codes.user_id, user.id)), db.delete(two_factor_auth).where(eq(two_factor_auth.user_id, user.id))]);
}

export async function regenerateRecoveryCodes(env: Env, user: UserRow, password: string) {
  await requirePassword(env, user, password);
  if (!(await enabledFactor(env, user.id))) throw problems.conflict("two_factor_disabled", "Two-factor authentication is not on.");
  return { recovery_codes: await replaceRecoveryCodes(env, user.id) };
}
