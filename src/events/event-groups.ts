import { and, asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { AuthContext } from "../env.ts";
import { subscription_plan_event_groups } from "../catalog/schema.ts";
import type { Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { organizationForMove, chooseOrganization, requireManaged, seesInside } from "../organizations/permissions.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { type Caller, containsPattern, ownedListScope } from "./ownership.ts";
import { event_groups, events } from "./schema.ts";
import { toEventGroup, type EventGroupCreateBody, type EventGroupListQuery, type EventGroupUpdateBody } from "./venues-schemas.ts";

// Event groups (a season, a tournament): what season-pass plans cover.

type EventGroupRow = typeof event_groups.$inferSelect;

/**
 * Published events of the group (what the public sees). Spelled out: drizzle
 * leaves columns unqualified in a single-table select, which would bind `id`
 * to events inside the subquery.
 */
const eventsCount = sql<number>`(SELECT count(*) FROM "events" AS e WHERE e."event_group_id" = "event_groups"."id" AND e."status" IN ('APPROVED', 'COMPLETED') AND e."access_type" <> 'INVITATION')`;

async function groupWithCount(db: Db, groupId: string): Promise<{ group: EventGroupRow; count: number } | undefined> {
  const [row] = await db.select({ group: event_groups, count: eventsCount }).from(event_groups).where(eq(event_groups.id, groupId)).limit(1);
  return row;
}

/** The group if the caller manages it (`catalog.manage` in its organization, or an admin); other members 403, anyone else 404. */
export async function managedGroup(db: Db, caller: Caller, groupId: string): Promise<{ group: EventGroupRow; count: number }> {
  const row = await groupWithCount(db, groupId);
  if (!row) throw problems.notFound("Event group");
  await requireManaged(db, caller, row.group.organization_id, "catalog.manage", "Event group");
  return row;
}

export async function visibleGroup(db: Db, auth: AuthContext | undefined, groupId: string) {
  const row = await groupWithCount(db, groupId);
  if (!row || (!row.group.is_active && !(await seesInside(db, auth, row.group.organization_id)))) throw problems.notFound("Event group");
  return toEventGroup(row.group, row.count);
}

const groupCodeTaken = (code: string) => problems.conflict("event_group_code_taken", `An event group with code "${code}" exists.`);

export async function createEventGroup(db: Db, actor: Actor, input: z.infer<typeof EventGroupCreateBody>) {
  const { organization_id, ...fields } = input;
  const organizationId = await chooseOrganization(db, actor, organization_id, "catalog.manage", { platformWide: true });
  try {
    return toEventGroup(await auditedInsert(db, actor, event_groups, { id: newId(), ...fields, organizer_id: actor.userId, organization_id: organizationId }), 0);
  } catch (error) {
    if (isUniqueViolation(error, "event_groups.code")) throw groupCodeTaken(fields.code);
    throw error;
  }
}

export async function listEventGroups(db: Db, auth: AuthContext | undefined, query: z.infer<typeof EventGroupListQuery>) {
  const rows = await db
    .select({ group: event_groups, count: eventsCount })
    .from(event_groups)
    .where(
      and(
        ownedListScope(db, auth, query, event_groups.organization_id, event_groups.is_active),
        query.group_type ? eq(event_groups.group_type, query.group_type) : undefined,
        query.q ? sql`${event_groups.name} LIKE ${containsPattern(query.q)} ESCAPE '\\'` : undefined,
        afterCursor(decodeCursor(query.cursor), event_groups.name, event_groups.id),
      ),
    )
    .orderBy(asc(event_groups.name), asc(event_groups.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.group.name, id: row.group.id }));
  return { data: page.data.map((row) => toEventGroup(row.group, row.count)), next_cursor: page.next_cursor };
}

export async function updateEventGroup(db: Db, actor: Actor, groupId: string, input: z.infer<typeof EventGroupUpdateBody>) {
  const { group, count: eventCount } = await managedGroup(db, actor, groupId);
  const { organization_id, ...fields } = input;
  const patch: Partial<typeof event_groups.$inferInsert> = { ...fields };
  const moved = await organizationForMove(db, actor, group.organization_id, organization_id, { platformWide: true });
  if (moved !== undefined) patch.organization_id = moved;
  if (Object.keys(patch).length === 0) return toEventGroup(group, eventCount);
  const startsOn = patch.starts_on === undefined ? group.starts_on : patch.starts_on;
  const endsOn = patch.ends_on === undefined ? group.ends_on : patch.ends_on;
  if (startsOn && endsOn && endsOn < startsOn) {
    throw problems.validation([{ path: input.ends_on !== undefined ? "ends_on" : "starts_on", message: "The group ends before it starts.", code: "dates_out_of_order" }]);
  }
  try {
    return toEventGroup((await auditedUpdate(db, actor, event_groups, groupId, patch, { what: "Event group" })).after, eventCount);
  } catch (error) {
    if (fields.code && isUniqueViolation(error, "event_groups.code")) throw groupCodeTaken(fields.code);
    throw error;
  }
}

const groupInUse = (groupId: string) =>
  sql`(EXISTS (SELECT 1 FROM ${events} WHERE ${events.event_group_id} = ${groupId})
       OR EXISTS (SELECT 1 FROM ${subscription_plan_event_groups} WHERE ${subscription_plan_event_groups.event_group_id} = ${groupId}))`;

/** Refused while events belong to the group or season-pass plans cover it (deleting would silently drop it from those plans). */
export async function deleteEventGroup(db: Db, actor: Actor, groupId: string): Promise<void> {
  await managedGroup(db, actor, groupId);
  const [used] = await db.select({ used: sql<number>`${groupInUse(groupId)}` }).from(event_groups).where(eq(event_groups.id, groupId));
  if (used?.used) throw problems.conflict("event_group_in_use", "Events or season-pass plans refer to this group; deactivate it instead (is_active: false).");
  await auditedDelete(db, actor, event_groups, groupId, { guard: sql`NOT ${groupInUse(groupId)}`, what: "Event group" });
}
