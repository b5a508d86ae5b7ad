import { and, eq, isNull } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { hashPassword } from "../lib/crypto/passwords.ts";
import { problems } from "../lib/errors.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { ipKey, type ClientMeta } from "../lib/request.ts";
import { users } from "../users/schema.ts";
import { issueEmailCode, verifyEmailCode } from "./email-codes.ts";
import { openSession, type TokenPair } from "./tokens.ts";

/**
 * Claiming an account opened without a password (a guest's order, a ticket
 * transferred or granted to an email address): the one way its owner makes
 * it theirs. They ask for a code at that address, then present it with the
 * password they choose; the address is then verified and they are signed in.
 * Sign-up with such an address answers 409 `account_claimable`, pointing here.
 */
export async function startClaim(env: Env, email: string, meta: ClientMeta): Promise<void> {
  await enforceRateLimit(env, "password-reset-ip", ipKey(meta));
  const [user] = await getDb(env.DB)
    .select()
    .from(users)
    .where(and(eq(users.email, email), eq(users.is_active, true), isNull(users.password_hash)))
    .limit(1);
  // The same answer whether or not such an account exists: no address is revealed.
  if (user) await issueEmailCode(env, user, "SIGNUP", user.email, meta.ip, "ACCOUNT_CLAIM");
}

export async function completeClaim(
  env: Env,
  input: { email: string; code: string; password: string; first_name?: string; last_name?: string },
  meta: ClientMeta,
): Promise<TokenPair> {
  const db = getDb(env.DB);
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.email, input.email), eq(users.is_active, true), isNull(users.password_hash)))
    .limit(1);
  if (!user) throw problems.badRequest("no_pending_code", "There is no pending code; ask for a new one.");
  await verifyEmailCode(env, user.id, "SIGNUP", input.code);
  const [claimed] = await db
    .update(users)
    .set({
      password_hash: await hashPassword(input.password, env.PASSWORD_PEPPER),
      ...(input.first_name ? { first_name: input.first_name } : {}),
      ...(input.last_name ? { last_name: input.last_name } : {}),
    })
    // Claimed once: a second claim racing this one finds a password already set.
    .where(and(eq(users.id, user.id), isNull(users.password_hash)))
    .returning();
  if (!claimed) throw problems.conflict("account_claimed", "This account was claimed meanwhile; sign in.");
  return openSession(env, claimed, meta);
}
