import { eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { users } from "./schema.ts";

/**
 * The account a guest checkout holds in: the address's passwordless account,
 * found or created. An address that belongs to someone who has signed up
 * (a password, or an email they verified, social sign-in included) or to a
 * deactivated account is refused with 409 `sign_in_required`: an anonymous
 * caller must never hold in a registered person's name, use their per-person
 * limits or learn their account id. `email` is already lower-cased.
 */
export async function guestAccount(env: Env, email: string, phone: string | null): Promise<string> {
  const db = getDb(env.DB);
  const find = async () =>
    (
      await db
        .select({ id: users.id, password_hash: users.password_hash, email_verified_at: users.email_verified_at, is_active: users.is_active })
        .from(users)
        .where(eq(users.email, email))
        .limit(1)
    )[0];
  let account = await find();
  if (!account) {
    try {
      const [created] = await db.insert(users).values({ id: newId(), email, phone }).returning({ id: users.id });
      return created!.id;
    } catch (error) {
      if (!isUniqueViolation(error, "users.email")) throw error;
      // Someone took the address meanwhile (a sign-up, another guest order): judged like any existing account.
      account = (await find())!;
    }
  }
  if (account.password_hash !== null || account.email_verified_at !== null || !account.is_active) {
    throw problems.conflict("sign_in_required", "An account uses this email address: sign in to order with it.");
  }
  return account.id;
}

/**
 * 1 for an account that signed up with a password but never entered its email
 * code: signing up proves nothing about the address, so anyone could have
 * opened it with someone else's. What is given by email (a ticket, a pass,
 * a membership, a staff role) never goes to such an account.
 */
export const unprovenEmail = sql<number>`${users.password_hash} IS NOT NULL AND ${users.email_verified_at} IS NULL`;

/** 409 for a recipient named by an address whose account never proved it (`unprovenEmail`). */
export const unverifiedRecipient = () =>
  problems.conflict("recipient_email_unverified", "An account uses this address but never verified it: name the person by account id, or try again once they have verified the address.");

/**
 * The account behind an email address: found, or created without a password
 * (its owner claims it with a password reset), so that tickets bought by a
 * guest or transferred to an address have an owner like everyone else's.
 * An account that signed up with the address but never verified it is 409
 * `recipient_email_unverified`: its owner may not be the address's.
 * `email` is already lower-cased (emailSchema).
 */
export async function accountForEmail(env: Env, email: string, phone: string | null = null): Promise<string> {
  const db = getDb(env.DB);
  const find = async () => (await db.select({ id: users.id, unproven: unprovenEmail }).from(users).where(eq(users.email, email)).limit(1))[0];
  const existing = await find();
  if (existing) {
    if (Number(existing.unproven) === 1) throw unverifiedRecipient();
    return existing.id;
  }
  try {
    const [created] = await db.insert(users).values({ id: newId(), email, phone }).returning({ id: users.id });
    return created!.id;
  } catch (error) {
    if (!isUniqueViolation(error, "users.email")) throw error;
    const raced = (await find())!;
    if (Number(raced.unproven) === 1) throw unverifiedRecipient();
    return raced.id;
  }
}
