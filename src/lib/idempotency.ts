import { and, eq, lt } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { getDb } from "../db/client.ts";
import { createdAt, id, timestamp } from "../db/columns.ts";
import { sha256Hex } from "./crypto/hash.ts";
import { ProblemError, problems } from "./errors.ts";
import { newId } from "./ids.ts";
import { addSeconds, now } from "./time.ts";

/**
 * `Idempotency-Key` on POSTs that create payments or transfers: the first
 * request with a key runs and its response is stored; a retry with the same
 * key and the same request gets that response again (`Idempotent-Replayed:
 * true`) instead of a second one. Keys are scoped to the caller and kept 24
 * hours. Orders keep theirs in their event's EventDO instead (src/orders/service.ts),
 * so that placing one needs no D1 round trip.
 */
export const idempotency_keys = sqliteTable(
  "idempotency_keys",
  {
    id: id(),
    scope: text("scope").notNull(), // `user:<id>`, or `anon:<ip>` for guest purchases
    key: text("key").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    request_hash: text("request_hash").notNull(), // SHA-256 of method, path and body
    response_status: integer("response_status"), // null while the first request is in flight
    response_body: text("response_body"),
    response_content_type: text("response_content_type"),
    response_location: text("response_location"),
    created_at: createdAt(),
    expires_at: timestamp("expires_at").notNull(),
  },
  (t) => [uniqueIndex("idempotency_keys_scope_key_unique").on(t.scope, t.key), index("idempotency_keys_expiry_idx").on(t.expires_at)],
);

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const KEY = /^[\x21-\x7e]{8,255}$/;

/** The request's `Idempotency-Key`, if it sent one; a malformed one is a 422. */
export function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const key = c.req.header("Idempotency-Key");
  if (key !== undefined && !KEY.test(key)) {
    throw problems.validation([{ path: "header.Idempotency-Key", message: "8 to 255 visible ASCII characters.", code: "invalid_idempotency_key" }]);
  }
  return key;
}

/**
 * The headers of a 201 for an object whose id its Idempotency-Key names (an
 * order, a grant): where it is, and `Idempotent-Replayed` when an earlier
 * request with the key made it.
 */
export function createdWithKey(c: Context<AppEnv>, location: string, replayed: boolean): void {
  c.header("Location", location);
  if (replayed) c.header("Idempotent-Replayed", "true");
}

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
      throw new ProblemError(422, "idempotency_key_reused", "Idempotency key reused", "This Idempotency-Key was used with a different request.");
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
