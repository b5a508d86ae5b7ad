import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv, Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { ProblemError } from "../lib/errors.ts";
import { now, secondsUntil } from "../lib/time.ts";
import { activeBlock, endOf } from "./status.ts";

/**
 * What stays reachable while access is blocked: the index, liveness, the
 * banner, and what an admin needs to sign in (login, its 2FA step, refresh, the keys).
 */
export const ALWAYS_OPEN: ReadonlySet<string> = new Set(["/v1", "/v1/health", "/v1/status", "/v1/auth/login", "/v1/auth/login/2fa", "/v1/auth/refresh", "/v1/auth/jwks"]);

/**
 * Declared by a route that must keep working through a maintenance window
 * because what calls it cannot wait: payment providers' webhooks (MTN MoMo
 * does not retry a refused callback) and the gate's routes (a stadium keeps
 * admitting people). The middleware itself does nothing; `maintenanceGate`
 * looks for it among the matched handlers.
 */
export const staysOpenInMaintenance: MiddlewareHandler<AppEnv> = (_c, next) => next();

/** The maintenance block covering this instant, if any: what refuses everyone but admins on the routes not kept open. */
export const blockingNow = (env: Env) => activeBlock(env, now());

/**
 * While a system status with `block_access` covers now, every /v1 request
 * but those above and the routes declaring `staysOpenInMaintenance` answers
 * 503 problem+json to everyone except admins. Runs
 * after `authenticate` so it knows who is an admin; the windows come from a
 * per-isolate cache (src/site/status.ts), so this costs no D1 round trip on
 * most requests.
 */
export const maintenanceGate: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (ALWAYS_OPEN.has(c.req.path) || isAdmin(c.get("auth")) || matchedRoutes(c).some((route) => route.handler === staysOpenInMaintenance)) return next();
  const block = await blockingNow(c.env);
  if (!block) return next();
  const end = endOf(block);
  const headers: Record<string, string> = end ? { "Retry-After": String(secondsUntil(end)) } : {};
  throw new ProblemError(
    503,
    "maintenance",
    "Service unavailable",
    [block.title, block.description].filter(Boolean).join(" — "),
    undefined,
    headers,
  );
};
