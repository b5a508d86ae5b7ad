import { and, eq, lt } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { getDb } from "../db/client.ts";
import { sha256Hex } from "../lib/crypto/hash.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { idempotencyKeyOf } from "../lib/idempotency.ts";
import { newId } from "../lib/ids.ts";
import { addSeconds, now } from "../lib/time.ts";
import { idempotency_keys } from "./schema.ts";

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/**
 * Stores the first response to a request with an `Idempotency-Key` (payments,
 * transfers) and replays it, with `Idempotent-Replayed: true`, to a retry of
 * the same request by the same caller within 24 hours.
 */
export const idempotent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = idempotencyKeyOf(c);
  if (key === undefined) return next();
  const auth = c.get("auth");
  const scope = auth ? `user:${auth.userId}` : `anon:${c.req.header("CF-Connecting-IP") ?? "unknown"}`;
  const body = await c.req.raw.clone().text();
  const requestHash = await sha256Hex(`${c.req.method}\n${c.req.path}\n${body}`);
  const db = getDb(c.env.DB);
  const at = now();

  const [claimed] = await db
    .insert(idempotency_keys)
    .values({ id: newId(), scope, key, method: c.req.method, path: c.req.path, request_hash: requestHash, expires_at: addSeconds(at, IDEMPOTENCY_TTL_SECONDS) })
    .onConflictDoNothing()
    .returning({ id: idempotency_keys.id });

  if (!claimed) {
    const [previous] = await db.select().from(idempotency_keys).where(and(eq(idempotency_keys.scope, scope), eq(idempotency_keys.key, key))).limit(1);
    if (previous && previous.expires_at <= at) {
      // An expired record is gone for good; the key may be used afresh.
      await db.delete(idempotency_keys).where(and(eq(idempotency_keys.id, previous.id), lt(idempotency_keys.expires_at, at)));
      return idempotent(c, next);
    }
    if (!previous || previous.request_hash !== requestHash) {
      throw problems.idempotencyKeyReused();
    }
    if (previous.response_status === null) {
      throw new ProblemError(409, "idempotency_in_progress", "Request in progress", "The first request with this key is still running; retry shortly.", undefined, { "Retry-After": "1" });
    }
    const headers = new Headers({ "Idempotent-Replayed": "true" });
    if (previous.response_content_type) headers.set("Content-Type", previous.response_content_type);
    if (previous.response_location) headers.set("Location", previous.response_location);
    return new Response(previous.response_body, { status: previous.response_status, headers });
  }

  try {
    await next();
  } catch (error) {
    // A failed first attempt stores nothing, so the client can retry with the same key.
    await db.delete(idempotency_keys).where(eq(idempotency_keys.id, claimed.id));
    throw error;
  }
  if (c.res.status >= 500 || c.error) {
    await db.delete(idempotency_keys).where(eq(idempotency_keys.id, claimed.id));
    return;
  }
  await db
    .update(idempotency_keys)
    .set({
      response_status: c.res.status,
      response_body: await c.res.clone().text(),
      response_content_type: c.res.headers.get("Content-Type"),
      response_location: c.res.headers.get("Location"),
    })
    .where(eq(idempotency_keys.id, claimed.id));
};
