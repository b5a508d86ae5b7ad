import { and, eq, isNotNull, lt, or } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { addSeconds, now } from "../lib/time.ts";
import { auth_sessions, email_verifications, password_resets, refresh_tokens, two_factor_challenges } from "./schema.ts";

const RETENTION_SECONDS = 90 * 86_400;

/** Cron: marks lapsed codes and tokens, and deletes authentication data past its retention. */
export async function purgeExpiredAuthData(env: Env): Promise<void> {
  const db = getDb(env.DB);
  const at = now();
  const horizon = addSeconds(at, -RETENTION_SECONDS);
  await db.batch([
    db.update(email_verifications).set({ status: "EXPIRED" }).where(and(eq(email_verifications.status, "PENDING"), lt(email_verifications.expires_at, at))),
    db.update(password_resets).set({ status: "EXPIRED" }).where(and(eq(password_resets.status, "ACTIVE"), lt(password_resets.expires_at, at))),
    db.delete(two_factor_challenges).where(lt(two_factor_challenges.expires_at, addSeconds(at, -86_400))),
    db.delete(refresh_tokens).where(or(lt(refresh_tokens.expires_at, at), and(isNotNull(refresh_tokens.used_at), lt(refresh_tokens.used_at, horizon)))),
    db.delete(auth_sessions).where(or(lt(auth_sessions.expires_at, horizon), and(isNotNull(auth_sessions.revoked_at), lt(auth_sessions.revoked_at, horizon)))),
  ]);
}
