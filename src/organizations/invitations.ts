import type { z } from "@hono/zod-openapi";
import { and, desc, eq, gt, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { randomToken, sha256Hex } from "../lib/crypto/hash.ts";
import { hashPassword } from "../lib/crypto/passwords.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { memberOf, toMember } from "./members.ts";
import { toOrganization } from "./organizations.ts";
import { authorizeOrganization } from "./permissions.ts";
import { organization_invitations, organization_members, organizations } from "./schema.ts";
import type { AcceptInvitationBody, InvitationCreateBody, InvitationListQuery } from "./schemas.ts";

// Invitations by email: an OWNER invites an address in a role; the invitee receives a single-use token and accepts it, signed in or not.

type InvitationRow = typeof organization_invitations.$inferSelect;
type Status = InvitationRow["status"];

/** How long an invitation can be accepted. */
export const INVITATION_TTL_DAYS = 7;

/** A PENDING invitation past its expiry reads as EXPIRED. */
const statusOf = (row: InvitationRow, at = now()): Status => (row.status === "PENDING" && row.expires_at <= at ? "EXPIRED" : row.status);

export const toInvitation = (row: InvitationRow) => ({
  id: row.id,
  organization_id: row.organization_id,
  email: row.email,
  role: row.role,
  status: statusOf(row),
  invited_by: row.invited_by,
  expires_at: row.expires_at,
  accepted_by: row.accepted_by,
  accepted_at: row.accepted_at,
  revoked_by: row.revoked_by,
  revoked_at: row.revoked_at,
  created_at: row.created_at,
});

const stillPending = (at: string): SQL => and(eq(organization_invitations.status, "PENDING"), gt(organization_invitations.expires_at, at))!;

/**
 * Invites an address to the organization in a role (`members.manage`:
 * OWNERs; admins). A member already there is 409 `already_member`; a pending
 * invitation of the same address is 409 `already_invited` (revoke it to send
 * another); a lapsed one is marked EXPIRED and replaced in the same batch.
 * The token goes only into the email (through the notifications queue, in
 * the invitee's language if they have an account, else the inviter's): D1
 * keeps its SHA-256.
 */
export async function inviteMember(env: Env, actor: Actor, auth: AuthContext | undefined, organizationId: string, input: z.infer<typeof InvitationCreateBody>) {
  const { organization } = await authorizeOrganization(env, auth, organizationId, "members.manage");
  await enforceRateLimit(env, "invitation-send-user", actor.userId);
  const db = getDb(env.DB);
  const at = now();
  const [[invitee], [member], [inviter]] = await db.batch([
    db.select({ id: users.id, language: users.language }).from(users).where(eq(users.email, input.email)).limit(1),
    db
      .select({ id: organization_members.id })
      .from(organization_members)
      .innerJoin(users, eq(users.id, organization_members.user_id))
      .where(and(eq(organization_members.organization_id, organizationId), eq(users.email, input.email)))
      .limit(1),
    db.select({ first_name: users.first_name, last_name: users.last_name, language: users.language }).from(users).where(eq(users.id, actor.userId)).limit(1),
  ]);
  if (member) throw problems.conflict("already_member", "This address's account is already a member; change its role instead.");
  const token = randomToken();
  const row = {
    id: newId(),
    organization_id: organizationId,
    email: input.email,
    role: input.role,
    token_hash: await sha256Hex(token),
    status: "PENDING" as const,
    invited_by: actor.userId,
    expires_at: addSeconds(at, INVITATION_TTL_DAYS * 86_400),
  };
  const lapsed = and(eq(organization_invitations.organization_id, organizationId), eq(organization_invitations.email, input.email), eq(organization_invitations.status, "PENDING"), lte(organization_invitations.expires_at, at));
  // A lapsed invitation of the same address frees its place first (one PENDING per address).
  await db.update(organization_invitations).set({ status: "EXPIRED", updated_at: at }).where(lapsed);
  let created: InvitationRow;
  try {
    created = await auditedInsert(db, actor, organization_invitations, row, { description: `invite ${input.email} as ${input.role}` });
  } catch (error) {
    if (isUniqueViolation(error, "organization_invitations.organization_id")) {
      throw problems.conflict("already_invited", "This address already has a pending invitation; revoke it to send another.");
    }
    throw error;
  }
  const inviterName = [inviter?.first_name, inviter?.last_name].filter(Boolean).join(" ") || "SpotVibe";
  await notify(env, [
    {
      type: "ORGANIZATION_INVITATION",
      key: `organization-invitation:${created.id}`,
      user_id: invitee?.id ?? null,
      email: input.email,
      language: invitee?.language ?? inviter?.language ?? "fr",
      data: { organization_name: organization.name, role: input.role, inviter_name: inviterName, token, days: String(INVITATION_TTL_DAYS) },
    },
  ]);
  return toInvitation(created);
}

/** The organization's invitations, newest first, for who runs its team (`team.manage`) and admins. */
export async function listInvitations(env: Env, auth: AuthContext | undefined, organizationId: string, query: z.infer<typeof InvitationListQuery>) {
  await authorizeOrganization(env, auth, organizationId, "team.manage");
  const i = organization_invitations;
  const at = now();
  const status =
    query.status === "PENDING"
      ? stillPending(at)
      : query.status === "EXPIRED"
        ? sql`(${i.status} = 'EXPIRED' OR (${i.status} = 'PENDING' AND ${i.expires_at} <= ${at}))`
        : query.status
          ? eq(i.status, query.status)
          : undefined;
  const rows = await getDb(env.DB)
    .select()
    .from(i)
    .where(and(eq(i.organization_id, organizationId), status, afterCursor(decodeCursor(query.cursor), i.created_at, i.id, "desc")))
    .orderBy(desc(i.created_at), desc(i.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
  return { data: page.data.map(toInvitation), next_cursor: page.next_cursor };
}

/** Revokes a pending invitation (`members.manage`); its token stops working at once. Repeating it is 409. Audited. */
export async function revokeInvitation(env: Env, actor: Actor, auth: AuthContext | undefined, organizationId: string, invitationId: string) {
  await authorizeOrganization(env, auth, organizationId, "members.manage");
  const db = getDb(env.DB);
  const [row] = await db
    .select()
    .from(organization_invitations)
    .where(and(eq(organization_invitations.id, invitationId), eq(organization_invitations.organization_id, organizationId)))
    .limit(1);
  if (!row) throw problems.notFound("Invitation");
  if (row.status !== "PENDING") throw problems.conflict("invitation_not_pending", `This invitation is ${statusOf(row)}.`);
  const { after } = await auditedUpdate(db, actor, organization_invitations, invitationId, { status: "REVOKED", revoked_by: actor.userId, revoked_at: now() }, {
    what: "Invitation",
    guard: eq(organization_invitations.status, "PENDING"),
    description: `revoke invitation of ${row.email}`,
  });
  return toInvitation(after);
}

/**
 * The account an invitation goes to. Signed in: the caller's, and it must use
 * the invited address (403 otherwise: the invitation is that address's).
 * Not signed in: the address's account; one with a password must sign in
 * first (409 `sign_in_to_accept`); one without (a guest's, passwordless) or
 * none at all gets the password given, and the address counts as verified
 * since the token came to it.
 */
async function inviteeAccount(env: Env, db: Db, auth: AuthContext | undefined, invitation: InvitationRow, input: z.infer<typeof AcceptInvitationBody>) {
  if (auth) {
    const [me] = await db.select({ email: users.email }).from(users).where(eq(users.id, auth.userId)).limit(1);
    if (me?.email !== invitation.email) {
      throw problems.forbidden("This invitation is for another email address: accept it signed in with that address's account, or signed out.", "invitation_for_another_email");
    }
    return { userId: auth.userId, created: false };
  }
  const [existing] = await db.select({ id: users.id, password_hash: users.password_hash, is_active: users.is_active }).from(users).where(eq(users.email, invitation.email)).limit(1);
  if (existing?.password_hash || (existing && !existing.is_active)) {
    throw problems.conflict("sign_in_to_accept", "An account already uses this address: sign in with it, then accept.");
  }
  if (!input.password) throw problems.validation([{ path: "password", message: "Choose a password for the account of this address.", code: "required" }]);
  const at = now();
  const passwordHash = await hashPassword(input.password, env.PASSWORD_PEPPER);
  if (existing) {
    const [claimed] = await db
      .update(users)
      .set({ password_hash: passwordHash, email_verified_at: at, ...(input.first_name ? { first_name: input.first_name } : {}), ...(input.last_name ? { last_name: input.last_name } : {}) })
      .where(and(eq(users.id, existing.id), isNull(users.password_hash)))
      .returning({ id: users.id });
    if (!claimed) throw problems.conflict("sign_in_to_accept", "An account already uses this address: sign in with it, then accept.");
    return { userId: existing.id, created: false };
  }
  try {
    const [created] = await db
      .insert(users)
      .values({ id: newId(), email: invitation.email, password_hash: passwordHash, first_name: input.first_name ?? "", last_name: input.last_name ?? "", email_verified_at: at })
      .returning({ id: users.id });
    return { userId: created!.id, created: true };
  } catch (error) {
    if (isUniqueViolation(error, "users.email")) throw problems.conflict("sign_in_to_accept", "An account already uses this address: sign in with it, then accept.");
    throw error;
  }
}

/**
 * Accepts an invitation with its token: the invitation becomes ACCEPTED and
 * the account a member in the invited role, in one audited batch guarded by
 * the invitation still being PENDING and unexpired, so of two accepts only
 * one makes the membership (the same account accepting twice gets the same
 * answer). An account already a member keeps its role. 404 for an unknown
 * token; 410 for a revoked or expired one; 409 once someone else accepted it.
 */
export async function acceptInvitation(env: Env, auth: AuthContext | undefined, input: z.infer<typeof AcceptInvitationBody>, meta: { ip: string | null; userAgent: string | null }) {
  await enforceRateLimit(env, "invitation-accept-ip", meta.ip ?? "unknown");
  const db = getDb(env.DB);
  const [invitation] = await db.select().from(organization_invitations).where(eq(organization_invitations.token_hash, await sha256Hex(input.token))).limit(1);
  if (!invitation) throw problems.notFound("Invitation");
  const settled = async (userId: string, extra: { account_created: boolean; already_member: boolean }) => {
    const [organization] = await db.select().from(organizations).where(eq(organizations.id, invitation.organization_id)).limit(1);
    const { member, user } = await memberOf(db, invitation.organization_id, userId);
    return { organization: toOrganization(organization!, member.role), member: toMember(member, user), ...extra };
  };
  const refused = (row: InvitationRow, userId: string | null) => {
    const status = statusOf(row);
    if (status === "ACCEPTED") return row.accepted_by === userId ? null : problems.conflict("invitation_already_accepted", "This invitation was already accepted.");
    if (status === "REVOKED") return problems.gone("invitation_revoked", "This invitation was revoked.");
    if (status === "EXPIRED") return problems.gone("invitation_expired", "This invitation has expired; ask for a new one.");
    return undefined;
  };
  // Signed in and already accepted by this account: the same answer again.
  const early = refused(invitation, auth?.userId ?? null);
  if (early === null) return settled(auth!.userId, { account_created: false, already_member: false });
  if (early) throw early;

  const account = await inviteeAccount(env, db, auth, invitation, input);
  const actor: Actor = { userId: account.userId, role: auth?.role ?? "USER", ip: meta.ip, userAgent: meta.userAgent };
  const at = now();
  const [already] = await db
    .select({ id: organization_members.id })
    .from(organization_members)
    .where(and(eq(organization_members.organization_id, invitation.organization_id), eq(organization_members.user_id, account.userId)))
    .limit(1);
  const member = { id: newId(), organization_id: invitation.organization_id, user_id: account.userId, role: invitation.role, added_by: invitation.invited_by, created_at: at, updated_at: at };
  try {
    await auditedUpdate(db, actor, organization_invitations, invitation.id, { status: "ACCEPTED", accepted_by: account.userId, accepted_at: at }, {
      what: "Invitation",
      guard: stillPending(at),
      description: `accept invitation as ${invitation.role}`,
      also: (written) => [
        insertWhere(db, organization_members, member, written).onConflictDoNothing(),
        auditWhere(db, actor, sql`${written} AND changes() = 1`, { action: "CREATE", table: organization_members, id: member.id, before: null, after: member, description: "joined by invitation" }),
      ],
    });
  } catch (error) {
    if (!(error instanceof ProblemError) || error.code !== "concurrent_change") throw error;
    // Lost to another accept (or a revocation) meanwhile.
    const [now_] = await db.select().from(organization_invitations).where(eq(organization_invitations.id, invitation.id)).limit(1);
    const after = now_ && refused(now_, account.userId);
    if (after === null) return settled(account.userId, { account_created: account.created, already_member: false });
    throw after ?? error;
  }
  return settled(account.userId, { account_created: account.created, already_member: already !== undefined });
}
