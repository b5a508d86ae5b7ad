import { and, eq, gt, isNull } from "drizzle-orm";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv, AuthContext } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { event_staff, events, type EVENT_STAFF_ROLES } from "../events/schema.ts";
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
 * (`GATE_SUBPROTOCOL`), which the upgrade answers. Only on an upgrade request
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

type Caller = Pick<AuthContext, "userId" | "role">;

export const isAdmin = (caller: Pick<AuthContext, "role"> | undefined): boolean => caller?.role === "ADMIN";

/** The caller manages an object owned by `ownerId`: its owner, or an admin (the only ones managing platform-wide objects, owner null). */
export const manages = (caller: Caller | undefined, ownerId: string | null): boolean =>
  caller !== undefined && (isAdmin(caller) || (ownerId !== null && ownerId === caller.userId));

/**
 * Object-level check for resources owned by a user: the owner or an admin.
 * Others get 404, not 403, so ids of other people's objects are not confirmed.
 */
export function requireOwnerOrAdmin(auth: AuthContext | undefined, ownerId: string, what = "Resource"): AuthContext {
  const caller = requireAuth(auth);
  if (!manages(caller, ownerId)) throw problems.notFound(what);
  return caller;
}

export type EventStaffAccess = { caller: AuthContext; as: "ADMIN" | "ORGANIZER" | (typeof EVENT_STAFF_ROLES)[number]; accessPointId: string | null };

/**
 * Object-level check for an event's gate: admins, the event's organizer and
 * its active staff (event_staff) pass, with the capacity they act in; everyone
 * else gets 404, as if the event did not exist.
 */
export async function requireEventStaff(db: Db, auth: AuthContext | undefined, eventId: string): Promise<EventStaffAccess> {
  const caller = requireAuth(auth);
  const [row] = await db
    .select({ organizerId: events.organizer_id, staffRole: event_staff.role, accessPointId: event_staff.access_point_id })
    .from(events)
    .leftJoin(event_staff, and(eq(event_staff.event_id, events.id), eq(event_staff.user_id, caller.userId), eq(event_staff.is_active, true)))
    .where(eq(events.id, eventId))
    .limit(1);
  if (!row) throw problems.notFound("Event");
  if (caller.role === "ADMIN") return { caller, as: "ADMIN", accessPointId: row.accessPointId };
  if (row.organizerId === caller.userId) return { caller, as: "ORGANIZER", accessPointId: row.accessPointId };
  if (row.staffRole) return { caller, as: row.staffRole, accessPointId: row.accessPointId };
  throw problems.notFound("Event");
}
