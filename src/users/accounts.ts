import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { newId } from "../lib/ids.ts";
import { users } from "./schema.ts";

/**
 * The account behind an email address: found, or created without a password
 * (its owner claims it with a password reset), so that tickets bought by a
 * guest or transferred to an address have an owner like everyone else's.
 * `email` is already lower-cased (emailSchema).
 */
export async function accountForEmail(env: Env, email: string, phone: string | null = null): Promise<string> {
  const db = getDb(env.DB);
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
  if (existing) return existing.id;
  try {
    const [created] = await db.insert(users).values({ id: newId(), email, phone }).returning({ id: users.id });
    return created!.id;
  } catch (error) {
    if (!isUniqueViolation(error, "users.email")) throw error;
    const [raced] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
    return raced!.id;
  }
}
