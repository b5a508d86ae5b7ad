import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { problems } from "./errors.ts";

/**
 * The `Idempotency-Key` request header: a client's name for one creation, so
 * that a retry gets the first result instead of a second object. Replays are
 * stored by `idempotent` (src/site/idempotency.ts) for payments and transfers;
 * orders and grants derive their id from the key instead (their event's EventDO
 * answers a repeat), so that placing one needs no D1 round trip.
 */
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
