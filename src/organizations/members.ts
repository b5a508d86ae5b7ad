import { and, asc, eq, ne, or, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { auditedDelete, auditedUpdate, type Actor } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { authorizeOrganization } from "./permissions.ts";
import { organization_members, type OrganizationRole } from "./schema.ts";

// The members of an organization: who they are, their role, and the rule that an organization always keeps an OWNER.

type MemberRow = typeof organization_members.$inferSelect;
type MemberUser = Pick<typeof users.$inferSelect, "id" | "email" | "first_name" | "last_name">;

export const memberUserColumns = { id: users.id, email: users.email, first_name: users.first_name, last_name: users.last_name };

export const toMember = (row: MemberRow, user: MemberUser) => ({
  id: row.id,
  organization_id: row.organization_id,
  user: { id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name },
  role: row.role,
  added_by: row.added_by,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

/**
 * Holds while the change leaves the organization an OWNER: the member is not
 * an OWNER, or another OWNER remains. Evaluated inside the guarded statement,
 * so two owners removing each other at once cannot both succeed.
 */
const keepsAnOwner = (organizationId: string) =>
  or(
    ne(organization_members.role, "OWNER"),
    sql`(SELECT count(*) FROM ${organization_members} AS o WHERE o.organization_id = ${organizationId} AND o.role = 'OWNER') > 1`,
  );

const lastOwner = () => problems.conflict("last_owner", "An organization keeps at least one OWNER: make someone else OWNER first.");

export async function memberOf(db: Db, organizationId: string, userId: string) {
  const [row] = await db
    .select({ member: organization_members, user: memberUserColumns })
    .from(organization_members)
    .innerJoin(users, eq(users.id, organization_members.user_id))
    .where(and(eq(organization_members.organization_id, organizationId), eq(organization_members.user_id, userId)))
    .limit(1);
  if (!row) throw problems.notFound("Member");
  return row;
}

/** The organization's members, oldest first, for who runs its team (`team.manage`: OWNER, MANAGER) and admins. */
export async function listMembers(env: Env, auth: AuthContext | undefined, organizationId: string, query: { limit: number; cursor?: string }) {
  await authorizeOrganization(env, auth, organizationId, "team.manage");
  const after = decodeCursor(query.cursor);
  const rows = await getDb(env.DB)
    .select({ member: organization_members, user: memberUserColumns })
    .from(organization_members)
    .innerJoin(users, eq(users.id, organization_members.user_id))
    .where(and(eq(organization_members.organization_id, organizationId), afterCursor(after, organization_members.created_at, organization_members.id)))
    .orderBy(asc(organization_members.created_at), asc(organization_members.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.member.created_at, id: row.member.id }));
  return { data: page.data.map((row) => toMember(row.member, row.user)), next_cursor: page.next_cursor };
}

/**
 * Changes a member's role (`members.manage`: OWNERs; admins). Demoting the
 * last OWNER is refused (409 `last_owner`), checked in the guarded update
 * itself. Audited.
 */
export async function changeRole(env: Env, actor: Actor, auth: AuthContext | undefined, organizationId: string, userId: string, role: OrganizationRole) {
  await authorizeOrganization(env, auth, organizationId, "members.manage");
  const db = getDb(env.DB);
  const { member, user } = await memberOf(db, organizationId, userId);
  if (member.role === role) return toMember(member, user);
  try {
    const { after } = await auditedUpdate(db, actor, organization_members, member.id, { role }, {
      what: "Member",
      guard: role === "OWNER" ? undefined : keepsAnOwner(organizationId),
      description: `member role ${member.role} → ${role}`,
    });
    return toMember(after, user);
  } catch (error) {
    throw await explained(db, error, organizationId, userId);
  }
}

/**
 * Removes a member: by who manages members (OWNERs; admins), or by the
 * member themself (leaving). The last OWNER cannot go (409 `last_owner`).
 * Their per-event staff assignments, if any, are separate and stay. Audited.
 */
export async function removeMember(env: Env, actor: Actor, auth: AuthContext | undefined, organizationId: string, userId: string): Promise<void> {
  if (auth?.userId !== userId) await authorizeOrganization(env, auth, organizationId, "members.manage");
  const db = getDb(env.DB);
  const { member } = await memberOf(db, organizationId, userId);
  try {
    await auditedDelete(db, actor, organization_members, member.id, { what: "Member", guard: keepsAnOwner(organizationId), description: auth?.userId === userId ? "leave organization" : "remove member" });
  } catch (error) {
    throw await explained(db, error, organizationId, userId);
  }
}

/** A guarded change that did not happen: because it would have left no OWNER, or the member changed meanwhile. */
async function explained(db: Db, error: unknown, organizationId: string, userId: string): Promise<unknown> {
  if (!(error instanceof ProblemError) || error.code !== "concurrent_change") return error;
  const [row] = await db
    .select({ role: organization_members.role, owners: sql<number>`(SELECT count(*) FROM ${organization_members} AS o WHERE o.organization_id = ${organizationId} AND o.role = 'OWNER')` })
    .from(organization_members)
    .where(and(eq(organization_members.organization_id, organizationId), eq(organization_members.user_id, userId)))
    .limit(1);
  if (row?.role === "OWNER" && row.owners <= 1) return lastOwner();
  return error;
}
