import { z } from "@hono/zod-openapi";
import { and, desc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { rememberHolders, syncGatePolicy } from "../catalog/sync.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { events, venue_zones, venues } from "../events/schema.ts";
import { problems, ProblemError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { normalizePhone } from "../lib/phone.ts";
import { now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { tickets } from "../orders/schema.ts";
import { eventAccess, organizationsWhere, requireOrganizationPermission } from "../organizations/permissions.ts";
import { organizations } from "../organizations/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { user_group_members, user_groups } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";
import type {
  BlacklistCreateInput,
  BlacklistListInput,
  BlacklistUpdateInput,
  OverrideCreateInput,
  OverrideUpdateInput,
} from "./policy-schemas.ts";
import { access_rights, blacklist, zone_mapping_overrides, type BLACKLIST_SCOPES, type BLACKLIST_TYPES } from "./schema.ts";

type OverrideRow = typeof zone_mapping_overrides.$inferSelect;
type EntryRow = typeof blacklist.$inferSelect;
type Caller = Pick<Actor, "userId" | "role">;
type PolicyEvent = { id: string; title: string; venue_id: string | null; organization_id: string | null };

const invalid = (path: string, message: string, code = "invalid_reference") => problems.validation([{ path, message, code }]);
const isAdmin = (caller: Caller) => caller.role === "ADMIN";

/** Events pushed at once by a blacklist change; the next chunk waits for this one. */
const PUSH_CHUNK = 20;
/** Notification messages enqueued at once when an override tells its holders. */
const NOTIFY_CHUNK = 100;

// ================================================================ gate push

/**
 * Pushes the current overrides and blacklist of each event to its EventDO,
 * which swaps its copy and tells its connected gates in the same call. At
 * most PUSH_CHUNK pushes run at a time. A push that fails leaves that event
 * on its previous policy until its next sync (any later change or
 * reconfiguration): it is reported, never retried here, so one unreachable
 * object does not hold up the rest.
 */
export async function pushGatePolicy(env: Env, eventIds: string[]): Promise<{ events: number; failed: string[] }> {
  const failed: string[] = [];
  for (let i = 0; i < eventIds.length; i += PUSH_CHUNK) {
    const chunk = eventIds.slice(i, i + PUSH_CHUNK);
    const results = await Promise.allSettled(chunk.map((id) => syncGatePolicy(env, id, eventStub(env, id))));
    results.forEach((result, j) => {
      if (result.status === "rejected") {
        console.error("gate policy push failed", chunk[j], result.reason);
        failed.push(chunk[j]!);
      }
    });
  }
  return { events: eventIds.length - failed.length, failed };
}

/**
 * The events a blacklist entry reaches that still have gates to tell: APPROVED
 * and not yet ended, within its scope. A GLOBAL entry reaches every one of
 * them, so its cost grows with the platform's upcoming events (one Durable
 * Object call and four D1 reads each).
 */
async function reachedEvents(db: Db, entry: Pick<EntryRow, "scope" | "scope_id">): Promise<string[]> {
  const scoped: Record<(typeof BLACKLIST_SCOPES)[number], SQL | undefined> = {
    EVENT: eq(events.id, entry.scope_id ?? ""),
    VENUE: eq(events.venue_id, entry.scope_id ?? ""),
    CLUB: eq(events.organization_id, entry.scope_id ?? ""),
    GLOBAL: undefined,
  };
  const rows = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.status, "APPROVED"), gt(events.ends_at, now()), scoped[entry.scope]));
  return rows.map((r) => r.id);
}

// ================================================================ zone overrides

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
  if (!event.venue_id) throw invalid("original_zone_id", "This event has no venue, hence no zones to move people between.", "event_without_venue");
  if (originalZoneId === overrideZoneId) throw invalid("override_zone_id", "The override zone must differ from the original zone.", "same_zone");
  const found = await db
    .select({ id: venue_zones.id })
    .from(venue_zones)
    .where(and(eq(venue_zones.venue_id, event.venue_id), inArray(venue_zones.id, [originalZoneId, overrideZoneId])));
  for (const [path, id] of [["original_zone_id", originalZoneId], ["override_zone_id", overrideZoneId]] as const) {
    if (!found.some((z) => z.id === id)) throw invalid(path, "Not a zone of this event's venue.", "zone_not_in_venue");
  }
}

type Target = Pick<OverrideRow, "access_right_id" | "ticket_id" | "subscription_id" | "user_group_id">;

/**
 * The target exists (and belongs to the event; a user group is the event's
 * organization's or the platform's); a right's override starts from the
 * right's own zone, or it would never apply.
 */
async function checkTarget(db: Db, event: PolicyEvent, target: Target, originalZoneId: string) {
  const eventId = event.id;
  if (target.access_right_id) {
    const [right] = await db.select({ event_id: access_rights.event_id, zone_id: access_rights.zone_id }).from(access_rights).where(eq(access_rights.id, target.access_right_id)).limit(1);
    if (!right || right.event_id !== eventId) throw invalid("access_right_id", "No such access right in this event.");
    if (right.zone_id && right.zone_id !== originalZoneId) throw invalid("original_zone_id", "An access right's override starts from the right's own zone.", "zone_mismatch");
  } else if (target.ticket_id) {
    const [ticket] = await db.select({ id: tickets.id }).from(tickets).where(and(eq(tickets.id, target.ticket_id), eq(tickets.event_id, eventId))).limit(1);
    if (!ticket) throw invalid("ticket_id", "No such ticket (order) for this event.");
  } else if (target.subscription_id) {
    const [pass] = await db.select({ id: subscriptions.id }).from(subscriptions).where(eq(subscriptions.id, target.subscription_id)).limit(1);
    if (!pass) throw invalid("subscription_id", "No such season pass.");
  } else if (target.user_group_id) {
    const [group] = await db.select({ organization_id: user_groups.organization_id }).from(user_groups).where(eq(user_groups.id, target.user_group_id)).limit(1);
    if (!group || (group.organization_id !== null && group.organization_id !== event.organization_id)) {
      throw invalid("user_group_id", "No such user group among the organization's and the platform's.");
    }
  }
}

function checkWindow(from: string | null, until: string | null) {
  if (from && until && until <= from) throw invalid("valid_until", "valid_until must be after valid_from.", "invalid_window");
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

// ================================================================ blacklist

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINTED_CODE = /^[A-Z2-9]{4}-?[A-Z2-9]{4}-?[A-Z2-9]{4}$/i;
/** 12 to 19 digits, however grouped: a card number, which must never be stored. */
const CARD_NUMBER = /^\d{12,19}$/;

/**
 * An identifier in the form the gate matches on, or null if it cannot be one
 * of `type`: emails lower-cased, phones E.164, printed codes upper-cased with
 * their dashes, ids lower-cased.
 */
export function normalizeIdentifier(type: (typeof BLACKLIST_TYPES)[number], raw: string): string | null {
  const text = raw.trim();
  switch (type) {
    case "USER":
      return UUID.test(text) ? text.toLowerCase() : null;
    case "EMAIL":
      return z.email().safeParse(text).success ? text.toLowerCase() : null;
    case "PHONE":
      return normalizePhone(text);
    case "QR_CODE": {
      if (UUID.test(text)) return text.toLowerCase();
      if (!PRINTED_CODE.test(text)) return text;
      const compact = text.toUpperCase().replace(/-/g, "");
      return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8, 12)}`;
    }
    case "DEVICE":
      return text.length <= 100 ? text : null;
    case "IP":
      if (z.ipv4().safeParse(text).success) return text;
      return z.ipv6().safeParse(text).success ? text.toLowerCase() : null;
    case "CREDIT_CARD":
      return CARD_NUMBER.test(text.replace(/[\s-]/g, "")) ? null : text;
  }
}

const IDENTIFIER_HINTS: Record<(typeof BLACKLIST_TYPES)[number], string> = {
  USER: "Expected an account id.",
  EMAIL: "Expected an email address.",
  PHONE: "Expected a Benin (+229 01XXXXXXXX) or Tunisia (+216 XXXXXXXX) phone number.",
  QR_CODE: "Expected a printed code or an access right id.",
  DEVICE: "Expected a device id of at most 100 characters.",
  IP: "Expected an IPv4 or IPv6 address.",
  CREDIT_CARD: "Store the payment provider's card fingerprint, never a card number.",
};

async function checkedIdentifier(db: Db, type: (typeof BLACKLIST_TYPES)[number], raw: string): Promise<string> {
  const identifier = normalizeIdentifier(type, raw);
  if (identifier === null) throw invalid("identifier", IDENTIFIER_HINTS[type], "invalid_identifier");
  if (type === "USER") {
    const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, identifier)).limit(1);
    if (!user) throw invalid("identifier", "No such account.", "user_not_found");
  }
  return identifier;
}

/**
 * Who may ban where: admins anywhere; members with `rights.block` (OWNER,
 * MANAGER, SUPERVISOR) only within their organization (EVENT: its events,
 * VENUE: its venues, CLUB: the organization itself). A scope object outside
 * their organizations reads exactly like one that does not exist; one of
 * their organization's without the permission is 403.
 */
async function checkScope(db: Db, caller: Caller, scope: (typeof BLACKLIST_SCOPES)[number], scopeId: string | null) {
  if (scope === "GLOBAL") {
    if (!isAdmin(caller)) throw problems.forbidden("Only admins ban platform-wide; use an EVENT, VENUE or CLUB scope.", "global_scope_admin_only");
    if (scopeId !== null) throw invalid("scope_id", "A GLOBAL entry has no scope_id.", "unexpected_scope_id");
    return;
  }
  if (scopeId === null) throw invalid("scope_id", `An ${scope} entry names its ${scope.toLowerCase()} in scope_id.`, "required");
  const [owner] =
    scope === "EVENT"
      ? await db.select({ organization_id: events.organization_id }).from(events).where(eq(events.id, scopeId)).limit(1)
      : scope === "VENUE"
        ? await db.select({ organization_id: venues.organization_id }).from(venues).where(eq(venues.id, scopeId)).limit(1)
        : await db.select({ organization_id: organizations.id }).from(organizations).where(eq(organizations.id, scopeId)).limit(1);
  const unknown = () => invalid("scope_id", `No such ${scope === "CLUB" ? "organization" : scope.toLowerCase()} among yours.`);
  if (!owner) throw unknown();
  if (isAdmin(caller)) return;
  if (owner.organization_id === null) throw unknown();
  try {
    await requireOrganizationPermission(db, caller, owner.organization_id, "rights.block", "Organization");
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404) throw unknown();
    throw error;
  }
}

/** Entries a member may see and manage: scoped to the events, venues or club of an organization where they have `rights.block`. */
function reach(db: Db, caller: Caller): SQL | undefined {
  if (isAdmin(caller)) return undefined;
  const mine = organizationsWhere(db, caller.userId, "rights.block");
  return or(
    and(eq(blacklist.scope, "EVENT"), inArray(blacklist.scope_id, db.select({ id: events.id }).from(events).where(inArray(events.organization_id, mine)))),
    and(eq(blacklist.scope, "VENUE"), inArray(blacklist.scope_id, db.select({ id: venues.id }).from(venues).where(inArray(venues.organization_id, mine)))),
    and(eq(blacklist.scope, "CLUB"), inArray(blacklist.scope_id, mine)),
  );
}

async function managedEntry(db: Db, caller: Caller, entryId: string): Promise<EntryRow> {
  const [row] = await db.select().from(blacklist).where(and(eq(blacklist.id, entryId), reach(db, caller))).limit(1);
  if (!row) throw problems.notFound("Blacklist entry");
  return row;
}

function checkDates(start: string, end: string | null, permanent: boolean) {
  if (permanent && end !== null) throw invalid("end_date", "A permanent ban has no end_date.", "permanent_has_end");
  if (end !== null && end <= start) throw invalid("end_date", "end_date must be after start_date.", "invalid_window");
}

async function checkReporter(db: Db, reportedBy: string | null | undefined) {
  if (!reportedBy) return;
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, reportedBy)).limit(1);
  if (!user) throw invalid("reported_by", "No such account.");
}

/** Pushes an entry's change to the gates of every event it reaches. */
const pushEntry = async (env: Env, entry: Pick<EntryRow, "scope" | "scope_id">) => pushGatePolicy(env, await reachedEvents(getDb(env.DB), entry));

export async function createEntry(env: Env, actor: Actor, input: BlacklistCreateInput) {
  const db = getDb(env.DB);
  const identifier = await checkedIdentifier(db, input.blacklist_type, input.identifier);
  const scopeId = input.scope_id ?? null;
  await checkScope(db, actor, input.scope, scopeId);
  const start = input.start_date ?? now();
  const permanent = input.is_permanent ?? false;
  const end = input.end_date ?? null;
  checkDates(start, end, permanent);
  await checkReporter(db, input.reported_by);
  const [same] = await db
    .select({ id: blacklist.id })
    .from(blacklist)
    .where(
      and(
        eq(blacklist.blacklist_type, input.blacklist_type),
        eq(blacklist.identifier, identifier),
        eq(blacklist.scope, input.scope),
        scopeId === null ? isNull(blacklist.scope_id) : eq(blacklist.scope_id, scopeId),
        eq(blacklist.is_active, true),
      ),
    )
    .limit(1);
  if (same) throw problems.conflict("already_blacklisted", `An active entry already bans this ${input.blacklist_type.toLowerCase()} in this scope (${same.id}); change that one.`);
  const row = await auditedInsert(db, actor, blacklist, {
    id: newId(),
    blacklist_type: input.blacklist_type,
    identifier,
    reason: input.reason,
    severity: input.severity,
    scope: input.scope,
    scope_id: scopeId,
    start_date: start,
    end_date: end,
    is_permanent: permanent,
    reported_by: input.reported_by ?? actor.userId,
    approved_by: actor.userId,
    evidence: input.evidence ?? null,
    appeal_status: "NONE",
    is_active: true,
    metadata: input.metadata ?? null,
  });
  return { row, gate_sync: await pushEntry(env, row) };
}

export async function updateEntry(env: Env, actor: Actor, entryId: string, input: BlacklistUpdateInput) {
  const db = getDb(env.DB);
  const current = await managedEntry(db, actor, entryId);
  const patch: Partial<typeof blacklist.$inferInsert> = { ...input };
  const permanent = input.is_permanent ?? current.is_permanent;
  // Making a ban permanent drops its end unless the same request sets one (then it is refused below).
  if (input.is_permanent === true && input.end_date === undefined) patch.end_date = null;
  checkDates(patch.start_date ?? current.start_date, patch.end_date === undefined ? current.end_date : patch.end_date, permanent);
  await checkReporter(db, input.reported_by);
  if (input.is_active === true && !current.is_active) {
    // Re-activating must not make a second active entry for the same identifier and scope.
    const [same] = await db
      .select({ id: blacklist.id })
      .from(blacklist)
      .where(
        and(
          eq(blacklist.blacklist_type, current.blacklist_type),
          eq(blacklist.identifier, current.identifier),
          eq(blacklist.scope, current.scope),
          current.scope_id === null ? isNull(blacklist.scope_id) : eq(blacklist.scope_id, current.scope_id),
          eq(blacklist.is_active, true),
        ),
      )
      .limit(1);
    if (same) throw problems.conflict("already_blacklisted", `Another active entry already bans this in this scope (${same.id}).`);
  }
  const { after } = await auditedUpdate(db, actor, blacklist, entryId, { ...patch, approved_by: actor.userId }, { what: "Blacklist entry" });
  return { row: after, gate_sync: await pushEntry(env, after) };
}

export async function deleteEntry(env: Env, actor: Actor, entryId: string) {
  const db = getDb(env.DB);
  await managedEntry(db, actor, entryId);
  const before = await auditedDelete(db, actor, blacklist, entryId, { what: "Blacklist entry" });
  return pushEntry(env, before);
}

export async function getEntry(env: Env, caller: Caller, entryId: string): Promise<EntryRow> {
  return managedEntry(getDb(env.DB), caller, entryId);
}

export async function listEntries(env: Env, caller: Caller, query: BlacklistListInput) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const identifier = query.identifier === undefined ? undefined : query.blacklist_type ? (normalizeIdentifier(query.blacklist_type, query.identifier) ?? query.identifier) : query.identifier;
  const b = blacklist;
  const rows = await db
    .select()
    .from(b)
    .where(
      and(
        reach(db, caller),
        query.blacklist_type ? eq(b.blacklist_type, query.blacklist_type) : undefined,
        identifier !== undefined ? eq(b.identifier, identifier) : undefined,
        query.scope ? eq(b.scope, query.scope) : undefined,
        query.scope_id ? eq(b.scope_id, query.scope_id) : undefined,
        query.is_active === undefined ? undefined : eq(b.is_active, query.is_active),
        query.appeal_status ? eq(b.appeal_status, query.appeal_status) : undefined,
        after ? or(lt(b.created_at, String(after.k)), and(eq(b.created_at, String(after.k)), lt(b.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(b.created_at), desc(b.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

// ---------------------------------------------------------------- the banned person's side

/**
 * Entries that ban the caller as a person: USER entries naming their account,
 * and EMAIL / PHONE entries matching their account's address or number (the
 * gate resolves those to the account too).
 */
async function bansOf(db: Db, userId: string): Promise<SQL> {
  const [me] = await db.select({ email: users.email, phone: users.phone }).from(users).where(eq(users.id, userId)).limit(1);
  return or(
    and(eq(blacklist.blacklist_type, "USER"), eq(blacklist.identifier, userId)),
    me ? and(eq(blacklist.blacklist_type, "EMAIL"), eq(blacklist.identifier, me.email.toLowerCase())) : undefined,
    me?.phone ? and(eq(blacklist.blacklist_type, "PHONE"), eq(blacklist.identifier, me.phone)) : undefined,
  )!;
}

export async function listOwnBans(env: Env, userId: string, query: { limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const b = blacklist;
  const rows = await db
    .select()
    .from(b)
    .where(and(await bansOf(db, userId), after ? or(lt(b.created_at, String(after.k)), and(eq(b.created_at, String(after.k)), lt(b.id, after.id))) : undefined))
    .orderBy(desc(b.created_at), desc(b.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

/**
 * The banned person contests a running ban, once: NONE → PENDING. Their
 * access rights stay valid meanwhile (never cancelled by a ban); only the
 * gate refuses them while the ban runs.
 */
export async function appealEntry(env: Env, actor: Actor, entryId: string, message: string): Promise<EntryRow> {
  const db = getDb(env.DB);
  const [row] = await db.select().from(blacklist).where(and(eq(blacklist.id, entryId), await bansOf(db, actor.userId))).limit(1);
  if (!row) throw problems.notFound("Blacklist entry");
  if (!row.is_active) throw problems.conflict("ban_not_active", "This ban has been lifted; there is nothing to appeal.");
  if (row.appeal_status !== "NONE") throw problems.conflict("appeal_not_open", row.appeal_status === "PENDING" ? "Your appeal is already under review." : "This ban's appeal has been decided.");
  const appeal = { message, submitted_at: now() };
  const { after } = await auditedUpdate(
    db,
    actor,
    blacklist,
    entryId,
    { appeal_status: "PENDING", metadata: { ...(row.metadata ?? {}), appeal } },
    { guard: and(eq(blacklist.appeal_status, "NONE"), eq(blacklist.is_active, true)), what: "Blacklist entry", description: "UPDATE blacklist appeal submitted" },
  );
  return after;
}

/** An admin decides a PENDING appeal; ACCEPTED lifts the ban at every gate it reaches. */
export async function decideAppeal(env: Env, actor: Actor, entryId: string, decision: "ACCEPTED" | "REJECTED", comment: string | undefined) {
  const db = getDb(env.DB);
  const [row] = await db.select().from(blacklist).where(eq(blacklist.id, entryId)).limit(1);
  if (!row) throw problems.notFound("Blacklist entry");
  if (row.appeal_status !== "PENDING") throw problems.conflict("no_pending_appeal", "This entry has no appeal waiting for a decision.");
  const previous = (row.metadata?.appeal ?? {}) as Record<string, unknown>;
  const appeal = { ...previous, decision, decided_by: actor.userId, decided_at: now(), ...(comment ? { comment } : {}) };
  const { after } = await auditedUpdate(
    db,
    actor,
    blacklist,
    entryId,
    { appeal_status: decision, metadata: { ...(row.metadata ?? {}), appeal }, ...(decision === "ACCEPTED" ? { is_active: false } : {}) },
    { action: decision === "ACCEPTED" ? "APPROVE" : "REJECT", guard: eq(blacklist.appeal_status, "PENDING"), what: "Blacklist entry", description: `${decision === "ACCEPTED" ? "APPROVE" : "REJECT"} blacklist appeal` },
  );
  return { row: after, gate_sync: decision === "ACCEPTED" ? await pushEntry(env, after) : { events: 0, failed: [] } };
}
