import type { z } from "@hono/zod-openapi";
import { and, asc, eq, isNotNull } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import { auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { authorizeOrganization } from "./permissions.ts";
import { organization_members, organizations, type OrganizationRole } from "./schema.ts";
import type { OrganizationCreateBody, OrganizationListQuery, OrganizationUpdateBody } from "./schemas.ts";

// Organizations: created by an ORGANIZER account (or for one, by an admin), which becomes their first OWNER; read by their members.

export type OrganizationRow = typeof organizations.$inferSelect;

export const toOrganization = (row: OrganizationRow, myRole: OrganizationRole | null) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  contact_email: row.contact_email,
  created_by: row.created_by,
  my_role: myRole,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

/**
 * Creates an organization and its first OWNER membership in one audited
 * batch. The platform role ORGANIZER is what lets an account create one (the
 * route checks it); admins may create one for another account (`owner_id`).
 */
export async function createOrganization(env: Env, actor: Actor, input: z.infer<typeof OrganizationCreateBody>) {
  const db = getDb(env.DB);
  const { owner_id, ...fields } = input;
  if (owner_id !== undefined && owner_id !== actor.userId) {
    if (actor.role !== "ADMIN") throw problems.forbidden("Only admins create an organization for another account.");
    const [owner] = await db.select({ id: users.id }).from(users).where(and(eq(users.id, owner_id), eq(users.is_active, true))).limit(1);
    if (!owner) throw problems.validation([{ path: "owner_id", message: "No such active account.", code: "invalid_reference" }]);
  }
  const ownerId = owner_id ?? actor.userId;
  const organization = { id: newId(), name: fields.name, description: fields.description ?? null, contact_email: fields.contact_email ?? null, created_by: actor.userId };
  const at = now();
  const member = { id: newId(), organization_id: organization.id, user_id: ownerId, role: "OWNER" as const, added_by: actor.userId, created_at: at, updated_at: at };
  const row = await auditedInsert(db, actor, organizations, organization, {
    description: "create organization",
    also: (written) => [
      insertWhere(db, organization_members, member, written),
      auditWhere(db, actor, written, { action: "CREATE", table: organization_members, id: member.id, before: null, after: member, description: "first owner" }),
    ],
  });
  return toOrganization(row, ownerId === actor.userId ? "OWNER" : null);
}

/** My organizations with my role in each, by name; admins may list every one (`all`). */
export async function listOrganizations(env: Env, auth: AuthContext, query: z.infer<typeof OrganizationListQuery>) {
  if (query.all && auth.role !== "ADMIN") throw problems.forbidden("Only admins list every organization.");
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const mine = and(eq(organization_members.organization_id, organizations.id), eq(organization_members.user_id, auth.userId));
  const rows = await db
    .select({ organization: organizations, role: organization_members.role })
    .from(organizations)
    .leftJoin(organization_members, mine)
    .where(and(query.all ? undefined : isNotNull(organization_members.id), afterCursor(after, organizations.name, organizations.id)))
    .orderBy(asc(organizations.name), asc(organizations.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.organization.name, id: row.organization.id }));
  return { data: page.data.map((row) => toOrganization(row.organization, row.role)), next_cursor: page.next_cursor };
}

/** An organization for its members (any role) and admins; 404 for anyone else. */
export async function readOrganization(env: Env, auth: AuthContext | undefined, organizationId: string) {
  const { organization, role } = await authorizeOrganization(env, auth, organizationId, "event.read");
  return toOrganization(organization, role);
}

/** Renames or describes an organization (`members.manage`: its OWNERs; admins). Audited. */
export async function updateOrganization(env: Env, actor: Actor, auth: AuthContext | undefined, organizationId: string, input: z.infer<typeof OrganizationUpdateBody>) {
  const { organization, role } = await authorizeOrganization(env, auth, organizationId, "members.manage");
  const changes = changedFields(organization, input as Partial<OrganizationRow>);
  if (Object.keys(changes).length === 0) return toOrganization(organization, role);
  const { after } = await auditedUpdate(getDb(env.DB), actor, organizations, organizationId, changes, { what: "Organization" });
  return toOrganization(after, role);
}
