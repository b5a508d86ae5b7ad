import { and, eq, inArray } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import type { AppEnv, AuthContext, Env } from "../env.ts";
import { requireAuth } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { event_staff, events, type EVENT_STAFF_ROLES } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { ORGANIZATION_ROLES, organization_members, organizations, type OrganizationRole } from "./schema.ts";

/**
 * Who may do what: one matrix, read by every organizer route.
 *
 * An organization owns events and every organizer object; its members act in
 * it by role. Event staff (event_staff) are people assigned to one event's
 * gates: they get the gate permissions of that event only. Admins pass every
 * check. docs/organizations.md shows the matrix as a table.
 */

/** What a caller may do on one event. */
export type EventPermission =
  | "event.read"
  | "event.manage"
  | "sales.read"
  | "money.read"
  | "attendees.read"
  | "door.admit"
  | "rights.block"
  | "tickets.resend"
  | "cash.confirm"
  | "refunds.manage"
  | "reports.read"
  | "exports.read"
  | "gate.scan"
  | "gate.supervise"
  | "team.manage";

/** What a caller may do in an organization: every event permission (on all its events) and the organization's own objects. */
export type OrganizationPermission = EventPermission | "catalog.manage" | "groups.manage" | "members.manage" | "plan.manage";

type EventStaffRole = (typeof EVENT_STAFF_ROLES)[number];
type Caller = Pick<AuthContext, "userId" | "role">;

const ALL: readonly OrganizationRole[] = ORGANIZATION_ROLES;

/** The matrix: for each permission, the member roles that hold it. */
export const PERMISSION_ROLES: Record<OrganizationPermission, readonly OrganizationRole[]> = {
  "event.read": ALL,
  "event.manage": ["OWNER", "MANAGER"],
  "catalog.manage": ["OWNER", "MANAGER"],
  "groups.manage": ["OWNER", "MANAGER"],
  "team.manage": ["OWNER", "MANAGER"],
  "members.manage": ["OWNER"],
  "plan.manage": ["OWNER", "FINANCE"],
  "sales.read": ["OWNER", "MANAGER", "BOX_OFFICE", "FINANCE"],
  "money.read": ["OWNER", "FINANCE"],
  "attendees.read": ["OWNER", "MANAGER", "BOX_OFFICE", "SUPERVISOR"],
  "door.admit": ["OWNER", "MANAGER", "BOX_OFFICE", "SUPERVISOR"],
  "rights.block": ["OWNER", "MANAGER", "SUPERVISOR"],
  "tickets.resend": ["OWNER", "MANAGER", "BOX_OFFICE"],
  "cash.confirm": ["OWNER", "BOX_OFFICE"],
  "refunds.manage": ["OWNER", "FINANCE"],
  "reports.read": ["OWNER", "MANAGER", "FINANCE"],
  "exports.read": ["OWNER", "MANAGER", "FINANCE"],
  "gate.scan": ["OWNER", "MANAGER", "SUPERVISOR", "CONTROLLER"],
  "gate.supervise": ["OWNER", "MANAGER", "SUPERVISOR"],
};

/** What a per-event staff assignment gives, on that event only. */
export const STAFF_PERMISSIONS: Record<EventStaffRole, readonly EventPermission[]> = {
  CONTROLLER: ["gate.scan"],
  SUPERVISOR: ["gate.scan", "gate.supervise"],
};

export const rolesWith = (permission: OrganizationPermission): OrganizationRole[] => [...PERMISSION_ROLES[permission]];
export const roleGrants = (role: OrganizationRole | null | undefined, permission: OrganizationPermission): boolean =>
  role !== null && role !== undefined && PERMISSION_ROLES[permission].includes(role);
const staffGrants = (role: EventStaffRole | null | undefined, permission: EventPermission): boolean =>
  role !== null && role !== undefined && STAFF_PERMISSIONS[role].includes(permission);

const lacks = (permission: OrganizationPermission, role: OrganizationRole | EventStaffRole | null) =>
  problems.forbidden(
    `This needs the \`${permission}\` permission, which ${role ? `your role (${role})` : "none of your roles"} does not give. Roles that have it: ${PERMISSION_ROLES[permission].join(", ")}.`,
  );

// ---------------------------------------------------------------- events

export type EventRow = typeof events.$inferSelect;

/** What the caller is to an event: its organization role and its staff assignment, either possibly absent. */
export interface EventAccess {
  event: EventRow;
  auth: AuthContext;
  /** The caller's role in the event's organization, if a member. */
  role: OrganizationRole | null;
  /** The caller's active staff assignment for this event, if any. */
  staff: { role: EventStaffRole; access_point_id: string | null } | null;
}

/** The event with the caller's relations to it, in one read; undefined when there is no such event. */
export async function eventRelations(db: Db, caller: Caller, eventId: string) {
  const [row] = await db
    .select({ event: events, role: organization_members.role, staffRole: event_staff.role, accessPointId: event_staff.access_point_id })
    .from(events)
    .leftJoin(organization_members, and(eq(organization_members.organization_id, events.organization_id), eq(organization_members.user_id, caller.userId)))
    .leftJoin(event_staff, and(eq(event_staff.event_id, events.id), eq(event_staff.user_id, caller.userId), eq(event_staff.is_active, true)))
    .where(eq(events.id, eventId))
    .limit(1);
  if (!row) return undefined;
  return { event: row.event, role: row.role, staff: row.staffRole ? { role: row.staffRole, access_point_id: row.accessPointId } : null };
}

/** Whether the caller's relations to an event give `permission` (admins: always). */
export const grantsOnEvent = (caller: Caller, relations: Pick<EventAccess, "role" | "staff">, permission: EventPermission): boolean =>
  caller.role === "ADMIN" || roleGrants(relations.role, permission) || staffGrants(relations.staff?.role, permission);

/** `authorizeEvent` for a caller already known (a service's actor). */
export async function eventAccess(db: Db, caller: Caller, eventId: string, permission: EventPermission): Promise<Omit<EventAccess, "auth">> {
  const found = await eventRelations(db, caller, eventId);
  if (!found) throw problems.notFound("Event");
  if (grantsOnEvent(caller, found, permission)) return found;
  if (!found.role && !found.staff) throw problems.notFound("Event");
  throw lacks(permission, found.role ?? found.staff?.role ?? null);
}

/**
 * The event, if the caller may do `permission` on it: 401 without a caller;
 * 404 when they have no relation to the event (not a member of its
 * organization, not its staff), as if it did not exist; 403 `forbidden`
 * naming the permission when related but lacking it. Admins pass everything.
 */
export async function authorizeEvent(env: Env, auth: AuthContext | undefined, eventId: string, permission: EventPermission): Promise<EventAccess> {
  const caller = requireAuth(auth);
  return { ...(await eventAccess(getDb(env.DB), caller, eventId, permission)), auth: caller };
}

// ---------------------------------------------------------------- organizations

export type OrganizationRow = typeof organizations.$inferSelect;

/** The caller's role in an organization, or null. */
export async function memberRole(db: Db, userId: string, organizationId: string): Promise<OrganizationRole | null> {
  const [row] = await db
    .select({ role: organization_members.role })
    .from(organization_members)
    .where(and(eq(organization_members.organization_id, organizationId), eq(organization_members.user_id, userId)))
    .limit(1);
  return row?.role ?? null;
}

/**
 * An organization-owned object's check: admins pass; a member whose role
 * gives `permission` passes; another member gets 403 naming the permission;
 * anyone else 404 (`what` not found), as for every object of another
 * organizer. Platform objects (no organization) are the caller's business to
 * refuse before calling this.
 */
export async function requireOrganizationPermission(db: Db, caller: Caller, organizationId: string, permission: OrganizationPermission, what: string): Promise<OrganizationRole | null> {
  if (caller.role === "ADMIN") return memberRole(db, caller.userId, organizationId);
  const role = await memberRole(db, caller.userId, organizationId);
  if (!role) throw problems.notFound(what);
  if (!roleGrants(role, permission)) throw lacks(permission, role);
  return role;
}

/** The organization, if the caller may do `permission` in it (401, 404 for non-members, 403 naming the permission). Admins pass everything. */
export async function authorizeOrganization(env: Env, auth: AuthContext | undefined, organizationId: string, permission: OrganizationPermission): Promise<{ organization: OrganizationRow; auth: AuthContext; role: OrganizationRole | null }> {
  const caller = requireAuth(auth);
  const db = getDb(env.DB);
  const [row] = await db
    .select({ organization: organizations, role: organization_members.role })
    .from(organizations)
    .leftJoin(organization_members, and(eq(organization_members.organization_id, organizations.id), eq(organization_members.user_id, caller.userId)))
    .where(eq(organizations.id, organizationId))
    .limit(1);
  if (!row || (!row.role && caller.role !== "ADMIN")) throw problems.notFound("Organization");
  if (caller.role !== "ADMIN" && !roleGrants(row.role, permission)) throw lacks(permission, row.role);
  return { organization: row.organization, auth: caller, role: row.role };
}

/** The organizations where the caller holds `permission`, as a subquery (for list filters). */
export const organizationsWhere = (db: Db, userId: string, permission: OrganizationPermission) =>
  db
    .select({ id: organization_members.organization_id })
    .from(organization_members)
    .where(and(eq(organization_members.user_id, userId), inArray(organization_members.role, rolesWith(permission))));

const invalidOrganization = (message: string, code = "invalid_reference") => problems.validation([{ path: "organization_id", message, code }]);

/**
 * The organization a request acts in (where a new object goes, whose
 * commissions are read…), for a request that may name one in
 * `organization_id`. Named: the caller must be a member whose role gives
 * `permission` (a non-member's is 422 "not among yours", like every other
 * reference in a body; a member without the permission 403). Not named: the
 * only organization where the caller holds `permission`; none is 403, several
 * is 422 asking for `organization_id`. Admins name any organization, or
 * none (null) for a platform object where `platformWide` allows one.
 */
export async function chooseOrganization(
  db: Db,
  caller: Caller,
  requested: string | null | undefined,
  permission: OrganizationPermission,
  options: { platformWide: boolean },
): Promise<string | null> {
  if (caller.role === "ADMIN") {
    if (requested === undefined || requested === null) {
      if (options.platformWide) return null;
      throw invalidOrganization("Name the organization it belongs to.", "required");
    }
    const [found] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, requested)).limit(1);
    if (!found) throw invalidOrganization("No such organization.");
    return requested;
  }
  if (requested === null) throw problems.forbidden("Only admins create platform objects (`organization_id` null).");
  if (requested !== undefined) {
    const role = await memberRole(db, caller.userId, requested);
    if (!role) throw invalidOrganization("No such organization among yours.");
    if (!roleGrants(role, permission)) throw lacks(permission, role);
    return requested;
  }
  const memberships = await db
    .select({ id: organization_members.organization_id, role: organization_members.role })
    .from(organization_members)
    .where(eq(organization_members.user_id, caller.userId));
  const able = memberships.filter((m) => roleGrants(m.role, permission));
  if (able.length === 1) return able[0]!.id;
  if (able.length > 1) throw invalidOrganization("You may do this in several organizations: name one in `organization_id`.", "required");
  if (memberships.length === 0) {
    throw problems.forbidden("You belong to no organization: create one (POST /v1/organizations) or accept an invitation first.", "no_organization");
  }
  throw lacks(permission, memberships.length === 1 ? memberships[0]!.role : null);
}

/**
 * A change of an object's organization (`organization_id` in an update):
 * admins move objects between organizations (or to the platform, null, where
 * `platformWide` allows); anyone else may only repeat the current one.
 * Undefined: no change.
 */
export async function organizationForMove(
  db: Db,
  caller: Caller,
  current: string | null,
  requested: string | null | undefined,
  options: { platformWide: boolean },
): Promise<string | null | undefined> {
  if (requested === undefined || requested === current) return undefined;
  if (caller.role !== "ADMIN") throw problems.forbidden("Only admins move an object to another organization.");
  return chooseOrganization(db, caller, requested, "catalog.manage", options);
}

/**
 * An organization-owned object the caller acts on with `permission`: admins
 * always; platform objects (no organization) only admins, anyone else getting
 * `platform` (404 where organizers never see it, 403 where they read it);
 * otherwise `requireOrganizationPermission`.
 */
export async function requireManaged(
  db: Db,
  caller: Caller,
  organizationId: string | null,
  permission: OrganizationPermission,
  what: string,
  platform: "not_found" | "forbidden" = "not_found",
): Promise<void> {
  if (caller.role === "ADMIN") return;
  if (organizationId === null) {
    if (platform === "forbidden") throw problems.forbidden(`The platform's ${what.toLowerCase()}s are managed by admins.`);
    throw problems.notFound(what);
  }
  await requireOrganizationPermission(db, caller, organizationId, permission, what);
}

/** Whether the caller sees an object's unpublished side: admins, and members of its organization (any role). */
export async function seesInside(db: Db, caller: Caller | undefined, organizationId: string | null): Promise<boolean> {
  if (!caller) return false;
  if (caller.role === "ADMIN") return true;
  return organizationId !== null && (await memberRole(db, caller.userId, organizationId)) !== null;
}

/**
 * Route middleware for creating an organization's objects: the caller holds
 * `permission` in at least one organization (admins always), checked before
 * the body is read, so anyone else gets 401/403 and never 413/415/422.
 */
export const memberWith =
  (permission: OrganizationPermission): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const caller = requireAuth(c.get("auth"));
    if (caller.role !== "ADMIN") {
      const roles = await getDb(c.env.DB)
        .select({ role: organization_members.role })
        .from(organization_members)
        .where(eq(organization_members.user_id, caller.userId));
      if (roles.length === 0) throw problems.forbidden("You belong to no organization: create one (POST /v1/organizations) or accept an invitation first.", "no_organization");
      if (!roles.some((r) => roleGrants(r.role, permission))) throw lacks(permission, roles.length === 1 ? roles[0]!.role : null);
    }
    await next();
  };
