import { and, desc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { rememberHolders, syncGatePolicy } from "../catalog/sync.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { events, venue_zones } from "../events/schema.ts";
import { problems, ProblemError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { tickets } from "../orders/schema.ts";
import { eventAccess } from "../organizations/permissions.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { user_group_members, user_groups } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";
import type { OverrideCreateInput, OverrideUpdateInput } from "./policy-schemas.ts";
import { access_rights, zone_mapping_overrides } from "./schema.ts";

type OverrideRow = typeof zone_mapping_overrides.$inferSelect;
type PolicyEvent = { id: string; title: string; venue_id: string | null; organization_id: string | null };
/** Notification messages enqueued at once when an override tells its holders. */
const NOTIFY_CHUNK = 100;

// Zone overrides: people moved from one zone to another for an event, told, and judged so at the gate.

/**
 * People joined or left a user group (organizations hook): each live event
 * (APPROVED, not ended) with an active zone override for the group learns the
 * groups of those of them who hold rights there, as the gate judges
 * overrides on what it remembers of each holder.
 */
export async function refreshGroupAtGates({ env, groupId, userIds }: { env: Env; groupId: string; userIds: string[] }): Promise<void> {
  if (userIds.length === 0) return;
  const db = getDb(env.DB);
  const live = await db
    .selectDistinct({ id: events.id })
    .from(zone_mapping_overrides)
    .innerJoin(events, eq(events.id, zone_mapping_overrides.event_id))
    .where(and(eq(zone_mapping_overrides.user_group_id, groupId), eq(zone_mapping_overrides.is_active, true), eq(events.status, "APPROVED"), gt(events.ends_at, now())));
  for (const event of live) {
    const holders = await db
      .selectDistinct({ id: access_rights.user_id })
      .from(access_rights)
      .where(and(eq(access_rights.event_id, event.id), sql`${access_rights.user_id} IN (SELECT value FROM json_each(${JSON.stringify(userIds)}))`));
    await rememberHolders(env, eventStub(env, event.id), holders.map((h) => h.id));
  }
}

/**
 * The event, if the caller may manage its overrides (`gate.supervise`: OWNER,
 * MANAGER and SUPERVISOR members, its SUPERVISOR staff, admins). Other
 * members and controllers get 403; anyone else 404.
 */
async function overrideEvent(db: Db, auth: AuthContext | undefined, eventId: string): Promise<PolicyEvent> {
  if (!auth) throw problems.unauthorized();
  return (await eventAccess(db, auth, eventId, "gate.supervise")).event;
}

async function overrideOf(db: Db, eventId: string, overrideId: string): Promise<OverrideRow> {
  const [row] = await db
    .select()
    .from(zone_mapping_overrides)
    .where(and(eq(zone_mapping_overrides.id, overrideId), eq(zone_mapping_overrides.event_id, eventId)))
    .limit(1);
  if (!row) throw problems.notFound("Zone override");
  return row;
}

/** Both zones belong to the event's venue and differ. */
async function checkZones(db: Db, event: PolicyEvent, originalZoneId: string, overrideZoneId: string) {
  if (!event.venue_id) throw problems.invalidField("original_zone_id", "This event has no venue, hence no zones to move people between.", "event_without_venue");
  if (originalZoneId === overrideZoneId) throw problems.invalidField("override_zone_id", "The override zone must differ from the original zone.", "same_zone");
  const found = await db
    .select({ id: venue_zones.id })
    .from(venue_zones)
    .where(and(eq(venue_zones.venue_id, event.venue_id), inArray(venue_zones.id, [originalZoneId, overrideZoneId])));
  for (const [path, id] of [["original_zone_id", originalZoneId], ["override_zone_id", overrideZoneId]] as const) {
    if (!found.some((z) => z.id === id)) throw problems.invalidField(path, "Not a zone of this event's venue.", "zone_not_in_venue");
  }
}

type Target = Pick<OverrideRow, "access_right_id" | "ticket_id" | "subscription_id" | "user_group_id">;

/**
 * The target exists (and belongs to the event; a user group or a season pass's
 * plan is the event's organization's or the platform's); a right's override starts from the
 * right's own zone, or it would never apply.
 */
async function checkTarget(db: Db, event: PolicyEvent, target: Target, originalZoneId: string) {
  const eventId = event.id;
  if (target.access_right_id) {
    const [right] = await db.select({ event_id: access_rights.event_id, zone_id: access_rights.zone_id }).from(access_rights).where(eq(access_rights.id, target.access_right_id)).limit(1);
    if (!right || right.event_id !== eventId) throw problems.invalidField("access_right_id", "No such access right in this event.");
    if (right.zone_id && right.zone_id !== originalZoneId) throw problems.invalidField("original_zone_id", "An access right's override starts from the right's own zone.", "zone_mismatch");
  } else if (target.ticket_id) {
    const [ticket] = await db.select({ id: tickets.id }).from(tickets).where(and(eq(tickets.id, target.ticket_id), eq(tickets.event_id, eventId))).limit(1);
    if (!ticket) throw problems.invalidField("ticket_id", "No such ticket (order) for this event.");
  } else if (target.subscription_id) {
    // A pass sold by another organization is not this event's to move: the same answer as no pass at all.
    const [pass] = await db
      .select({ organization_id: subscription_plans.organization_id })
      .from(subscriptions)
      .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
      .where(eq(subscriptions.id, target.subscription_id))
      .limit(1);
    if (!pass || (pass.organization_id !== null && pass.organization_id !== event.organization_id)) {
      throw problems.invalidField("subscription_id", "No such season pass among the organization's and the platform's.");
    }
  } else if (target.user_group_id) {
    const [group] = await db.select({ organization_id: user_groups.organization_id }).from(user_groups).where(eq(user_groups.id, target.user_group_id)).limit(1);
    if (!group || (group.organization_id !== null && group.organization_id !== event.organization_id)) {
      throw problems.invalidField("user_group_id", "No such user group among the organization's and the platform's.");
    }
  }
}

function checkWindow(from: string | null, until: string | null) {
  if (from && until && until <= from) throw problems.invalidField("valid_until", "valid_until must be after valid_from.", "invalid_window");
}

/** The live rights an override moves: the target's rights in the event, ENABLED or USED, in the original zone. */
function affectedRights(db: Db, row: OverrideRow): SQL {
  const target = row.access_right_id
    ? eq(access_rights.id, row.access_right_id)
    : row.ticket_id
      ? and(eq(access_rights.source_type, "TICKET"), eq(access_rights.source_id, row.ticket_id))
      : row.subscription_id
        ? and(
            eq(access_rights.source_type, "SUBSCRIPTION"),
            // A pass's rights carry its id, or `<pass>:<booking>` for a booked match.
            or(eq(access_rights.source_id, row.subscription_id), and(gt(access_rights.source_id, `${row.subscription_id}:`), lt(access_rights.source_id, `${row.subscription_id};`))),
          )
        : inArray(
            access_rights.user_id,
            db
              .select({ id: user_group_members.user_id })
              .from(user_group_members)
              .where(and(eq(user_group_members.group_id, row.user_group_id ?? ""), or(isNull(user_group_members.valid_until), gt(user_group_members.valid_until, now())))),
          );
  return and(
    eq(access_rights.event_id, row.event_id),
    inArray(access_rights.status, ["ENABLED", "USED"]),
    or(eq(access_rights.zone_id, row.original_zone_id), isNull(access_rights.zone_id)),
    target,
  )!;
}

/**
 * Tells every holder the override moves (in-app and email, in their
 * language), then marks it sent. Keys are per override, zone and holder, so a
 * redelivery sends nothing twice and a later change of zone tells them again.
 */
async function notifyHolders(env: Env, db: Db, actor: Actor, row: OverrideRow): Promise<OverrideRow> {
  const holders = await db
    .selectDistinct({ id: users.id, email: users.email, language: users.language, first_name: users.first_name })
    .from(access_rights)
    .innerJoin(users, eq(users.id, access_rights.user_id))
    .where(affectedRights(db, row));
  const [event] = await db.select({ title: events.title }).from(events).where(eq(events.id, row.event_id)).limit(1);
  const zones = await db.select({ id: venue_zones.id, name: venue_zones.name }).from(venue_zones).where(inArray(venue_zones.id, [row.original_zone_id, row.override_zone_id]));
  const zoneName = (id: string) => zones.find((z) => z.id === id)?.name ?? "";
  const messages = holders.map((holder) => ({
    type: "ZONE_CHANGED" as const,
    key: `zone-override:${row.id}:${row.override_zone_id}:${holder.id}`,
    user_id: holder.id,
    data: { event_title: event?.title ?? "", event_id: row.event_id, from_zone: zoneName(row.original_zone_id), to_zone: zoneName(row.override_zone_id), reason: row.reason },
  }));
  for (let i = 0; i < messages.length; i += NOTIFY_CHUNK) await notify(env, messages.slice(i, i + NOTIFY_CHUNK));
  const description = `UPDATE zone_mapping_overrides notification sent to ${holders.length} holder(s)`;
  for (let attempt = 0; ; attempt++) {
    try {
      return (await auditedUpdate(db, actor, zone_mapping_overrides, row.id, { notification_sent: true }, { guard: eq(zone_mapping_overrides.notification_sent, false), what: "Zone override", description })).after;
    } catch (error) {
      // Changed meanwhile (another edit, or already marked): the current row is the answer unless it still says unsent.
      if (!(error instanceof ProblemError) || error.code !== "concurrent_change" || attempt >= 2) throw error;
      const current = await overrideOf(db, row.event_id, row.id);
      if (current.notification_sent) return current;
    }
  }
}

export async function createOverride(env: Env, actor: Actor, auth: AuthContext | undefined, eventId: string, input: OverrideCreateInput): Promise<OverrideRow> {
  const db = getDb(env.DB);
  const event = await overrideEvent(db, auth, eventId);
  await checkZones(db, event, input.original_zone_id, input.override_zone_id);
  const target: Target = {
    access_right_id: input.access_right_id ?? null,
    ticket_id: input.ticket_id ?? null,
    subscription_id: input.subscription_id ?? null,
    user_group_id: input.user_group_id ?? null,
  };
  await checkTarget(db, event, target, input.original_zone_id);
  checkWindow(input.valid_from ?? null, input.valid_until ?? null);
  let row = await auditedInsert(db, actor, zone_mapping_overrides, {
    id: newId(),
    event_id: eventId,
    ...target,
    original_zone_id: input.original_zone_id,
    override_zone_id: input.override_zone_id,
    reason: input.reason,
    valid_from: input.valid_from ?? null,
    valid_until: input.valid_until ?? null,
    capacity_impact: input.capacity_impact ?? null,
    requires_notification: input.requires_notification ?? true,
    notification_sent: false,
    approved_by: actor.userId,
    is_active: true,
    metadata: input.metadata ?? null,
    created_by: actor.userId,
  });
  // Gates first: by the time a holder reads the message, the new gate admits them.
  await syncGatePolicy(env, eventId, eventStub(env, eventId));
  if (row.requires_notification) row = await notifyHolders(env, db, actor, row);
  return row;
}

export async function updateOverride(env: Env, actor: Actor, auth: AuthContext | undefined, eventId: string, overrideId: string, input: OverrideUpdateInput): Promise<OverrideRow> {
  const db = getDb(env.DB);
  const event = await overrideEvent(db, auth, eventId);
  const current = await overrideOf(db, eventId, overrideId);
  const original = input.original_zone_id ?? current.original_zone_id;
  const moved = input.override_zone_id ?? current.override_zone_id;
  if (input.original_zone_id !== undefined || input.override_zone_id !== undefined) {
    await checkZones(db, event, original, moved);
    await checkTarget(db, event, current, original);
  }
  checkWindow(input.valid_from === undefined ? current.valid_from : input.valid_from, input.valid_until === undefined ? current.valid_until : input.valid_until);
  const patch: Partial<typeof zone_mapping_overrides.$inferInsert> = { ...input, approved_by: actor.userId };
  // Holders told of one zone must hear of the new one.
  if (moved !== current.override_zone_id || original !== current.original_zone_id) patch.notification_sent = false;
  let { after } = await auditedUpdate(db, actor, zone_mapping_overrides, overrideId, patch, { what: "Zone override" });
  await syncGatePolicy(env, eventId, eventStub(env, eventId));
  if (after.requires_notification && !after.notification_sent && after.is_active) after = await notifyHolders(env, db, actor, after);
  return after;
}

export async function deleteOverride(env: Env, actor: Actor, auth: AuthContext | undefined, eventId: string, overrideId: string): Promise<void> {
  const db = getDb(env.DB);
  await overrideEvent(db, auth, eventId);
  await overrideOf(db, eventId, overrideId);
  await auditedDelete(db, actor, zone_mapping_overrides, overrideId, { what: "Zone override" });
  await syncGatePolicy(env, eventId, eventStub(env, eventId));
}

export async function getOverride(env: Env, auth: AuthContext | undefined, eventId: string, overrideId: string): Promise<OverrideRow> {
  const db = getDb(env.DB);
  await overrideEvent(db, auth, eventId);
  return overrideOf(db, eventId, overrideId);
}

export async function listOverrides(env: Env, auth: AuthContext | undefined, eventId: string, query: { limit: number; cursor?: string; is_active?: boolean }) {
  const db = getDb(env.DB);
  await overrideEvent(db, auth, eventId);
  const after = decodeCursor(query.cursor);
  const o = zone_mapping_overrides;
  const rows = await db
    .select()
    .from(o)
    .where(
      and(
        eq(o.event_id, eventId),
        query.is_active === undefined ? undefined : eq(o.is_active, query.is_active),
        after ? or(lt(o.created_at, String(after.k)), and(eq(o.created_at, String(after.k)), lt(o.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(o.created_at), desc(o.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}
