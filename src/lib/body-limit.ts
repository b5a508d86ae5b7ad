import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import { problems } from "./errors.ts";

/** Every request body under /v1, whatever its Content-Type, unless its route declares its own limit. */
export const BODY_LIMIT = 64 * 1024;

/** The middlewares made by `ownBodyLimit`: the app-wide limit steps aside for the routes that use one. */
const OWN_LIMITS = new WeakSet<object>();

/**
 * A route's own body limit (uploads: photos, covers, logos, identity
 * documents), put in the route's `middleware`. Only a route that declares one
 * escapes the app-wide limit, so a body's Content-Type (an `image/*` or PDF
 * body sent to a webhook) never lifts it.
 */
export function ownBodyLimit(maxBytes: number, what: string, advice = ""): MiddlewareHandler {
  const size = maxBytes >= 1024 * 1024 ? `${maxBytes / (1024 * 1024)} MB` : `${maxBytes / 1024} KiB`;
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw problems.payloadTooLarge(`${what} is limited to ${size}.${advice ? ` ${advice}` : ""}`);
    },
  });
  OWN_LIMITS.add(limit);
  return limit;
}

const appLimit = bodyLimit({
  maxSize: BODY_LIMIT,
  onError: () => {
    throw problems.payloadTooLarge(`Request bodies are limited to ${BODY_LIMIT} bytes.`);
  },
});

/** The app-wide limit (src/app.ts): every route but those whose matched handlers include an `ownBodyLimit`. */
export const appBodyLimit: MiddlewareHandler = (c: Context, next) => {
  if (matchedRoutes(c).some((route) => OWN_LIMITS.has(route.handler))) return next();
  return appLimit(c, next);
};
