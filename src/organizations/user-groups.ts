import type { z } from "@hono/zod-openapi";
import { and, asc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { event_ticket_config, pricing_rules } from "../catalog/schema.ts";
import { zone_mapping_overrides } from "../access/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, type Actor } from "../site/audit.ts";
import { accountForEmail } from "../users/accounts.ts";
import { users } from "../users/schema.ts";
import { groupMembersChanged } from "./hooks.ts";
import { chooseOrganization, organizationForMove, organizationsWhere, requireManaged } from "./permissions.ts";
import { user_group_members, user_groups } from "./schema.ts";
import { toGroup, type GroupCreateBody, type GroupListQuery, type GroupUpdateBody, type MemberAddBody } from "./user-groups-schemas.ts";

// User groups (members, students, away supporters) of an organization, or the platform's, and their members: what pricing rules, members-only configurations and zone overrides are given.

type GroupRow = typeof user_groups.$inferSelect;
type Caller = Pick<AuthContext, "userId" | "role">;

const membersCount = sql<number>`(SELECT count(*) FROM "user_group_members" m WHERE m."group_id" = "user_groups"."id" AND (m."valid_until" IS NULL OR m."valid_until" > ${now()}))`.mapWith(Number);

async function loadGroup(db: Db, groupId: string) {
  const [row] = await db.select({ group: user_groups, count: membersCount }).from(user_groups).where(eq(user_groups.id, groupId)).limit(1);
  if (!row) throw problems.notFound("User group");
  return row;
}

/**
 * A group the caller manages (`groups.manage`: OWNER, MANAGER of its
 * organization; admins): other members get 403, anyone else 404; the
 * platform's groups are admins' (403).
 */
export async function managedGroup(db: Db, caller: Caller, groupId: string) {
  const row = await loadGroup(db, groupId);
  await requireManaged(db, caller, row.group.organization_id, "groups.manage", "User group", "forbidden");
  return row;
}

export async function createGroup(env: Env, actor: Actor, input: z.infer<typeof GroupCreateBody>) {
  const db = getDb(env.DB);
  const { organization_id, ...fields } = input;
  const organizationId = await chooseOrganization(db, actor, organization_id, "groups.manage", { platformWide: true });
  const row = {
    id: newId(),
    code: fields.code,
    name: fields.name,
    description: fields.description ?? null,
    owner_id: actor.userId,
    organization_id: organizationId,
    is_active: fields.is_active ?? true,
    metadata: fields.metadata ?? null,
  };
  try {
    return toGroup(await auditedInsert(db, actor, user_groups, row), 0);
  } catch (error) {
    if (isUniqueViolation(error, "user_groups.code")) throw problems.conflict("code_taken", "Another user group already uses this code.");
    throw error;
  }
}

/**
 * Groups by name: those of the organizations where the caller has
 * `groups.manage`, and the platform's (which pricing rules, configurations
 * and overrides of any organization may use); admins see every group.
 */
export async function listGroups(env: Env, caller: Caller, query: z.infer<typeof GroupListQuery>) {
  const db = getDb(env.DB);
  const rows = await db
    .select({ group: user_groups, count: membersCount })
    .from(user_groups)
    .where(
      and(
        caller.role === "ADMIN" ? undefined : or(isNull(user_groups.organization_id), inArray(user_groups.organization_id, organizationsWhere(db, caller.userId, "groups.manage"))),
        query.organization_id ? eq(user_groups.organization_id, query.organization_id) : undefined,
        query.is_active === undefined ? undefined : eq(user_groups.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), user_groups.name, user_groups.id),
      ),
    )
    .orderBy(asc(user_groups.name), asc(user_groups.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.group.name, id: row.group.id }));
  return { data: page.data.map((row) => toGroup(row.group, row.count)), next_cursor: page.next_cursor };
}

/** One group: the platform's for anyone signed in; an organization's for who manages its groups. */
export async function readGroup(env: Env, caller: Caller, groupId: string) {
  const db = getDb(env.DB);
  const row = await loadGroup(db, groupId);
  if (row.group.organization_id !== null) await requireManaged(db, caller, row.group.organization_id, "groups.manage", "User group");
  return toGroup(row.group, row.count);
}

export async function updateGroup(env: Env, actor: Actor, groupId: string, input: z.infer<typeof GroupUpdateBody>) {
  const db = getDb(env.DB);
  const { group, count } = await managedGroup(db, actor, groupId);
  const { organization_id, ...fields } = input;
  const patch: Partial<GroupRow> = { ...fields };
  const moved = await organizationForMove(db, actor, group.organization_id, organization_id, { platformWide: true });
  if (moved !== undefined) patch.organization_id = moved;
  const changes = changedFields(group, patch);
  if (Object.keys(changes).length === 0) return toGroup(group, count);
  const { after } = await auditedUpdate(db, actor, user_groups, groupId, changes, { what: "User group" });
  return toGroup(after, count);
}

/** Whatever refers to the group: a configuration sold to its members, a zone override, a pricing rule naming its code. */
const groupInUse = (groupId: string, code: string) => sql`(
  EXISTS (SELECT 1 FROM ${event_ticket_config} WHERE ${event_ticket_config.membership_group_id} = ${groupId})
  OR EXISTS (SELECT 1 FROM ${zone_mapping_overrides} WHERE ${zone_mapping_overrides.user_group_id} = ${groupId})
  OR EXISTS (SELECT 1 FROM ${pricing_rules}, json_each(${pricing_rules.conditions}, '$.required_groups') AS g WHERE g.value = ${code}))`;

/**
 * Deletes a group nothing refers to, with its memberships (409 `group_in_use`
 * otherwise: deactivate it instead). Audited.
 */
export async function deleteGroup(env: Env, actor: Actor, groupId: string): Promise<void> {
  const db = getDb(env.DB);
  const { group } = await managedGroup(db, actor, groupId);
  const inUse = () => problems.conflict("group_in_use", "Ticket configurations, zone overrides or pricing rules use this group; deactivate it instead (is_active: false).");
  const [used] = await db.select({ used: sql<number>`${groupInUse(groupId, group.code)}` }).from(user_groups).where(eq(user_groups.id, groupId));
  if (used?.used) throw inUse();
  await auditedDelete(db, actor, user_groups, groupId, { what: "User group", guard: sql`NOT ${groupInUse(groupId, group.code)}` });
}

// ---------------------------------------------------------------- members

const memberColumns = {
  group_id: user_group_members.group_id,
  member_since: user_group_members.member_since,
  valid_until: user_group_members.valid_until,
  added_by: user_group_members.added_by,
  user: { id: users.id, email: users.email, first_name: users.first_name, last_name: users.last_name, phone: users.phone },
};

/** The group's members (ended memberships included, with their `valid_until`), oldest first. */
export async function listGroupMembers(env: Env, caller: Caller, groupId: string, query: { limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  await managedGroup(db, caller, groupId);
  const after = decodeCursor(query.cursor);
  const rows = await db
    .select(memberColumns)
    .from(user_group_members)
    .innerJoin(users, eq(users.id, user_group_members.user_id))
    .where(and(eq(user_group_members.group_id, groupId), afterCursor(after, user_group_members.member_since, user_group_members.user_id)))
    .orderBy(asc(user_group_members.member_since), asc(user_group_members.user_id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.member_since, id: row.user.id }));
}


/** The active accounts using a phone number: exactly one is the person meant. */
export async function accountsWithPhone(db: Db, phones: string[]) {
  if (phones.length === 0) return new Map<string, string[]>();
  const rows = await db
    .select({ id: users.id, phone: users.phone })
    .from(users)
    .where(and(inArray(users.phone, phones), eq(users.is_active, true)));
  const byPhone = new Map<string, string[]>();
  for (const row of rows) byPhone.set(row.phone!, [...(byPhone.get(row.phone!) ?? []), row.id]);
  return byPhone;
}

/** A future end of membership, or null. */
export function checkValidUntil(value: string | null | undefined, path: string, at: string): string | null {
  if (value === null || value === undefined) return null;
  const iso = new Date(value).toISOString();
  if (iso <= at) throw problems.invalidField(path, "A membership ends in the future.", "in_past");
  return iso;
}

/**
 * Adds one person to the group, named by account, email (an address without
 * an account gets a passwordless one) or phone (that of exactly one active
 * account). A member already there keeps their `member_since` and gets the
 * `valid_until` given. Audited; the gates moving the group's members learn
 * of them (groupMembersChanged).
 */
export async function addGroupMember(env: Env, actor: Actor, groupId: string, input: z.infer<typeof MemberAddBody>) {
  const db = getDb(env.DB);
  const { group } = await managedGroup(db, actor, groupId);
  const at = now();
  const validUntil = checkValidUntil(input.valid_until, "valid_until", at);
  let userId: string;
  if (input.user_id) {
    const [user] = await db.select({ id: users.id }).from(users).where(and(eq(users.id, input.user_id), eq(users.is_active, true))).limit(1);
    if (!user) throw problems.invalidField("user_id", "No such active account.", "invalid_reference");
    userId = user.id;
  } else if (input.email) {
    userId = await accountForEmail(env, input.email);
  } else {
    const found = (await accountsWithPhone(db, [input.phone!])).get(input.phone!) ?? [];
    if (found.length === 0) throw problems.invalidField("phone", "No active account uses this phone number: name the person by email instead.", "unknown_phone");
    if (found.length > 1) throw problems.invalidField("phone", "Several accounts use this phone number: name the person by account or email instead.", "ambiguous_phone");
    userId = found[0]!;
  }
  const [existing] = await db
    .select({ member_since: user_group_members.member_since })
    .from(user_group_members)
    .where(and(eq(user_group_members.group_id, groupId), eq(user_group_members.user_id, userId)))
    .limit(1);
  const membership = { group_id: groupId, user_id: userId, member_since: at, valid_until: validUntil, added_by: actor.userId };
  await db.batch([
    db
      .insert(user_group_members)
      .values(membership)
      .onConflictDoUpdate({ target: [user_group_members.group_id, user_group_members.user_id], set: { valid_until: validUntil } }),
    auditWhere(db, actor, sql`changes() = 1`, {
      action: existing ? "UPDATE" : "CREATE",
      table: user_group_members,
      id: `${groupId}:${userId}`,
      before: existing ? { group_code: group.code, user_id: userId, member_since: existing.member_since } : null,
      after: { group_code: group.code, ...membership },
    }),
  ]);
  await groupMembersChanged.emit({ env, groupId, userIds: [userId] });
  const [row] = await db
    .select(memberColumns)
    .from(user_group_members)
    .innerJoin(users, eq(users.id, user_group_members.user_id))
    .where(and(eq(user_group_members.group_id, groupId), eq(user_group_members.user_id, userId)))
    .limit(1);
  return { member: row!, created: !existing };
}

/** Removes a member at once (their memberships give nothing more). Audited; the gates learn of it. */
export async function removeGroupMember(env: Env, actor: Actor, groupId: string, userId: string): Promise<void> {
  const db = getDb(env.DB);
  const { group } = await managedGroup(db, actor, groupId);
  const [[removed]] = await db.batch([
    db
      .delete(user_group_members)
      .where(and(eq(user_group_members.group_id, groupId), eq(user_group_members.user_id, userId)))
      .returning(),
    auditWhere(db, actor, sql`changes() = 1`, { action: "DELETE", table: user_group_members, id: `${groupId}:${userId}`, before: { group_code: group.code, user_id: userId }, after: null }),
  ]);
  if (!removed) throw problems.notFound("Member");
  await groupMembersChanged.emit({ env, groupId, userIds: [userId] });
}
