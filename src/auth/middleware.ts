import { and, eq, gt, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv, AuthContext } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { InvalidTokenError, verifyJwt } from "../lib/crypto/jwt.ts";
import { problems } from "../lib/errors.ts";
import { now } from "../lib/time.ts";
import { users } from "../users/schema.ts";
import { hasSessionEnded } from "./revocations.ts";
import { auth_sessions } from "./schema.ts";

export const ACCESS_TOKEN_TYPE = "at+jwt";

/**
 * The session a token names, if it is open and its account active, with the
 * account's role: what every signed-in request is checked against (but see
 * `checksSessionByFeed`).
 */
export const liveSession = (db: Db, sessionId: string, userId: string, at: string = now()) =>
  db
    .select({ role: users.role })
    .from(auth_sessions)
    .innerJoin(users, eq(users.id, auth_sessions.user_id))
    .where(and(eq(auth_sessions.id, sessionId), eq(auth_sessions.user_id, userId), isNull(auth_sessions.revoked_at), gt(auth_sessions.expires_at, at), eq(users.is_active, true)))
    .limit(1);

export const sessionEnded = () => problems.unauthorized("This session has ended; sign in again.", "session_revoked");

/**
 * Declared by a route that takes a non-admin caller's session from the
 * isolate's list of ended sessions (src/auth/revocations.ts, at most
 * REVOCATION_FEED_MAX_AGE_MS behind D1) instead of a D1 read per request:
 * placing an order, the busiest write of a sale, which then needs no D1 round
 * trip at all. The caller's role is the token's, which only has to say "not
 * an admin" there. Admins' tokens are always checked in D1: the maintenance
 * gate lets them through on their role.
 */
export const checksSessionByFeed: MiddlewareHandler<AppEnv> = (_c, next) => next();
const NON_ADMIN_ROLES = new Set(["USER", "ORGANIZER", "CONTROLLER"]);
const takesSessionFromFeed = (c: Context<AppEnv>, role: unknown) =>
  NON_ADMIN_ROLES.has(role as string) && matchedRoutes(c).some((route) => route.handler === checksSessionByFeed);

/**
 * Resolves `Authorization: Bearer <jwt>` into `c.var.auth`. No header: an
 * anonymous request (routes decide). A bad token is always a 401, never
 * silently anonymous. The session and the account are checked on every
 * request, so logout, revocation, deactivation and role changes take effect
 * at once (within REVOCATION_FEED_MAX_AGE_MS on routes declaring `checksSessionByFeed`).
 */
/**
 * Browsers cannot set headers on a WebSocket: they offer the access token as
 * a subprotocol, `bearer.<token>`, beside the socket's own protocol
 * (`GATE_SUBPROTOCOL`, or a legacy name), which the upgrade answers. Only on an upgrade request
 * without an Authorization header.
 */
export const BEARER_SUBPROTOCOL_PREFIX = "bearer.";
function authorizationOf(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("Authorization");
  if (header !== undefined || c.req.header("Upgrade")?.toLowerCase() !== "websocket") return header;
  const offered = (c.req.header("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  return bearer === undefined ? undefined : `Bearer ${bearer.slice(BEARER_SUBPROTOCOL_PREFIX.length)}`;
}

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("auth", undefined);
  const header = authorizationOf(c);
  if (header === undefined) return next();
  const match = /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/.exec(header);
  if (!match) throw problems.unauthorized("Use `Authorization: Bearer <access token>`.", "invalid_authorization_header");
  let claims;
  try {
    claims = await verifyJwt(c.env.JWT_SIGNING_KEYS, match[1]!, ACCESS_TOKEN_TYPE);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      throw problems.unauthorized(`The access token is not valid (${error.message}).`, "invalid_token");
    }
    throw error;
  }
  if (typeof claims.sid !== "string") throw problems.unauthorized("The access token is not valid.", "invalid_token");
  if (takesSessionFromFeed(c, claims.role)) {
    if (await hasSessionEnded(c.env, claims.sid)) throw sessionEnded();
    c.set("auth", { userId: claims.sub, role: claims.role as AuthContext["role"], sessionId: claims.sid });
    return next();
  }
  const [row] = await liveSession(getDb(c.env.DB), claims.sid, claims.sub);
  if (!row) throw sessionEnded();
  c.set("auth", { userId: claims.sub, role: row.role, sessionId: claims.sid });
  return next();
};

/** The caller, or 401. */
export function requireAuth(auth: AuthContext | undefined): AuthContext {
  if (!auth) throw problems.unauthorized();
  return auth;
}

/** The caller if they hold one of `roles` (ADMIN always passes), or 401/403. */
export function requireRole(auth: AuthContext | undefined, ...roles: AuthContext["role"][]): AuthContext {
  const caller = requireAuth(auth);
  if (caller.role !== "ADMIN" && !roles.includes(caller.role)) throw problems.forbidden();
  return caller;
}

/**
 * Route middleware checking the caller before the request is validated or
 * read, so others get 401/403 and not 413/415/422: no roles, any signed-in
 * caller; otherwise `requireRole`'s rule (ADMIN always passes).
 */
export const roleOnly =
  (...roles: AuthContext["role"][]): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    if (roles.length) requireRole(c.get("auth"), ...roles);
    else requireAuth(c.get("auth"));
    await next();
  };
export const signedIn = roleOnly();
export const organizerOnly = roleOnly("ORGANIZER");
export const adminOnly = roleOnly("ADMIN");

export const isAdmin = (caller: Pick<AuthContext, "role"> | undefined): boolean => caller?.role === "ADMIN";
