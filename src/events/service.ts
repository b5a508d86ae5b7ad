import { and, asc, count, desc, eq, gt, gte, inArray, lte, ne, sql } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { AuthContext, Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { secretDigest } from "../lib/crypto/hash.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import { notifyAudience } from "../notifications/campaigns.ts";
import type { NotificationType } from "../notifications/schema.ts";
import { notify } from "../notifications/service.ts";
import { consumeEventQuota } from "../payments/organizer-plan-limits.ts";
import { eventAccess, eventRelations, grantsOnEvent, chooseOrganization, organizationsWhere, type EventPermission } from "../organizations/permissions.ts";
import { firstOwner } from "../organizations/owners.ts";
import { auditedDelete, auditedInsert, auditedUpdate, insertWhere, type Actor } from "../site/audit.ts";
import { tickets } from "../orders/schema.ts";
import { follows, users } from "../users/schema.ts";
import { eventApproved, eventCancelled, eventChanged } from "./hooks.ts";
import { isInvitee, listedTo } from "./visibility.ts";
import { event_categories, event_groups, event_participations, event_views, events, PARTICIPATION_STATUSES, venues } from "./schema.ts";
import {
  toManagedEvent,
  toPublicEvent,
  type AdminEventsQuery,
  type CreateEventInput,
  type MyEventsQuery,
  type MyParticipationsQuery,
  type ParticipationBody,
  type UpdateEventInput,
} from "./schemas.ts";

export type EventRow = typeof events.$inferSelect;
type EventStatus = EventRow["status"];
type ParticipationStatus = (typeof PARTICIPATION_STATUSES)[number];

/** Statuses anyone may read; the others (drafts, review, rejections) only its organization's members and admins. */
export const PUBLIC_STATUSES: EventStatus[] = ["APPROVED", "COMPLETED", "CANCELLED"];
/** What its organization may edit; PENDING_REVIEW is frozen while a reviewer looks at it. */
const OWNER_EDITABLE: EventStatus[] = ["DRAFT", "REJECTED", "APPROVED"];
const ADMIN_EDITABLE: EventStatus[] = [...OWNER_EDITABLE, "PENDING_REVIEW"];
const SUBMITTABLE: EventStatus[] = ["DRAFT", "REJECTED"];
const CANCELLABLE: EventStatus[] = ["APPROVED", "PENDING_REVIEW"];
/** Once over, an event's record is history: no edits, no new cover. */
export const FROZEN: EventStatus[] = ["CANCELLED", "COMPLETED"];

/**
 * What a reviewer judged: changing any of these on an APPROVED event (by its
 * organizer) sends it back to PENDING_REVIEW, so published text, dates, place
 * and price are always ones an admin saw. Capacity, category, group, the maps
 * link, door time and metadata are operational and stay published.
 */
const REVIEWED_FIELDS = [
  "title",
  "description",
  "short_description",
  "starts_at",
  "ends_at",
  "timezone",
  "venue_id",
  "venue_name",
  "address",
  "latitude",
  "longitude",
  "access_type",
  "price",
  "currency",
] as const satisfies readonly (keyof EventRow)[];

export const notEditable = (status: EventStatus) =>
  problems.conflict(
    "event_not_editable",
    status === "PENDING_REVIEW" ? "The event is under review; it can be edited again once reviewed." : `A ${status} event can no longer be edited.`,
  );

// ---------------------------------------------------------------- loading and visibility

export async function findEvent(env: Env, id: string): Promise<EventRow | undefined> {
  const [row] = await getDb(env.DB).select().from(events).where(eq(events.id, id)).limit(1);
  return row;
}

/**
 * The event as the caller may read it: published ones (approved, completed,
 * cancelled) for everyone, any status for the members of its organization
 * (`event.read`) and admins. Anything else is 404, so drafts of other
 * organizers are not even confirmed to exist. A published INVITATION event
 * is read only by its invitees and staff besides (src/events/visibility.ts).
 * `managed`: the caller also holds `detail` (by default `event.read`), and
 * sees the managed side.
 */
export async function visibleEvent(env: Env, id: string, auth: AuthContext | undefined, detail: EventPermission = "event.read"): Promise<{ event: EventRow; managed: boolean }> {
  const found = auth ? await eventRelations(getDb(env.DB), auth, id) : undefined;
  const event = found?.event ?? (auth ? undefined : await findEvent(env, id));
  if (!event) throw problems.notFound("Event");
  const member = auth !== undefined && found !== undefined && grantsOnEvent(auth, found, "event.read");
  if (!member && !PUBLIC_STATUSES.includes(event.status)) throw problems.notFound("Event");
  if (!member && event.access_type === "INVITATION" && !(auth && (found?.staff || (await isInvitee(getDb(env.DB), auth, id))))) throw problems.notFound("Event");
  return { event, managed: auth !== undefined && found !== undefined && grantsOnEvent(auth, found, detail) };
}

/**
 * An event the caller may act on with `permission` (by default manage it:
 * OWNER and MANAGER of its organization, admins); 404 without a relation to
 * it, 403 naming the permission otherwise (src/organizations/permissions.ts).
 */
export async function managedEvent(env: Env, id: string, actor: Pick<Actor, "userId" | "role">, permission: EventPermission = "event.manage"): Promise<EventRow> {
  return (await eventAccess(getDb(env.DB), actor, id, permission)).event;
}

// ---------------------------------------------------------------- references and consistency

type Place = Pick<EventRow, "venue_name" | "address" | "latitude" | "longitude" | "google_maps_url" | "timezone">;


/** A venue the organization may hold events at (its own; admins any active venue), with its place details. */
async function usableVenue(env: Env, venueId: string, organizationId: string | null, actor: Actor): Promise<Place> {
  const [venue] = await getDb(env.DB)
    .select()
    .from(venues)
    .where(and(eq(venues.id, venueId), eq(venues.is_active, true)))
    .limit(1);
  // Other organizers' venues read as unknown, like every object of theirs.
  if (!venue || (!isAdmin(actor) && (venue.organization_id === null || venue.organization_id !== organizationId))) throw problems.invalidField("venue_id", "No such venue among yours.");
  return {
    venue_name: venue.name,
    address: venue.address,
    latitude: venue.latitude,
    longitude: venue.longitude,
    google_maps_url: venue.google_maps_url,
    timezone: venue.timezone,
  };
}

async function checkCategory(env: Env, categoryId: string): Promise<void> {
  const [category] = await getDb(env.DB)
    .select({ id: event_categories.id })
    .from(event_categories)
    .where(and(eq(event_categories.id, categoryId), eq(event_categories.is_active, true)))
    .limit(1);
  if (!category) throw problems.invalidField("category_id", "No such active category.");
}

async function checkGroup(env: Env, groupId: string, organizationId: string | null, actor: Actor): Promise<void> {
  const [group] = await getDb(env.DB)
    .select({ organization_id: event_groups.organization_id })
    .from(event_groups)
    .where(and(eq(event_groups.id, groupId), eq(event_groups.is_active, true)))
    .limit(1);
  if (!group || (!isAdmin(actor) && (group.organization_id === null || group.organization_id !== organizationId))) throw problems.invalidField("event_group_id", "No such event group among yours.");
}

type EventState = Pick<
  EventRow,
  "starts_at" | "ends_at" | "doors_open_at" | "access_type" | "price" | "latitude" | "longitude" | "venue_name" | "timezone"
>;

/** Rules across fields, checked on the event as it would be after the write. */
function checkConsistency(state: Partial<EventState>): void {
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message, code: "inconsistent" });
  if (!state.venue_name) add("venue_name", "Name the place, or give a `venue_id`.");
  if (!state.timezone) add("timezone", "Give the event's time zone, or a `venue_id` to take the venue's.");
  if (state.starts_at && state.ends_at && state.ends_at <= state.starts_at) add("ends_at", "The event must end after it starts.");
  if (state.doors_open_at && state.starts_at && state.doors_open_at > state.starts_at) add("doors_open_at", "Doors must open at or before the start.");
  if (state.access_type === "PAID" && !(state.price && state.price > 0)) add("price", "A PAID event needs a price above 0 (minor units).");
  if (state.access_type !== "PAID" && state.price) add("price", `A ${state.access_type} event has a price of 0.`);
  if ((state.latitude === null || state.latitude === undefined) !== (state.longitude === null || state.longitude === undefined)) {
    add("latitude", "Give both `latitude` and `longitude`, or neither.");
  }
  if (errors.length) throw problems.validation(errors);
}

function adminOnly(actor: Actor, input: { ticketing_commission_bp?: unknown }): void {
  if (isAdmin(actor)) return;
  if (input.ticketing_commission_bp !== undefined) {
    throw problems.forbidden("Only administrators set an event's ticketing commission.", "admin_only_field");
  }
}

// ---------------------------------------------------------------- create, edit, delete

/**
 * Creates a DRAFT in an organization where the caller may manage events.
 * References are checked first and the organization's plan quota is consumed
 * last, so a request refused for its content never uses up one of the month's
 * events. An admin creating one for an organization uses none of it.
 */
export async function createEvent(env: Env, actor: Actor, input: CreateEventInput): Promise<EventRow> {
  adminOnly(actor, input);
  const db = getDb(env.DB);
  const { organization_id: requested, ...fields } = input;
  const organizationId = (await chooseOrganization(db, actor, requested, "event.manage", { platformWide: false }))!;
  // Presented under whoever created it; an admin's, under an owner of the organization.
  const organizerId = (isAdmin(actor) ? await firstOwner(db, organizationId) : undefined) ?? actor.userId;
  const place = fields.venue_id ? await usableVenue(env, fields.venue_id, organizationId, actor) : undefined;
  if (fields.category_id) await checkCategory(env, fields.category_id);
  if (fields.event_group_id) await checkGroup(env, fields.event_group_id, organizationId, actor);

  const row = {
    ...fields,
    id: newId(),
    organizer_id: organizerId,
    organization_id: organizationId,
    created_by: actor.userId,
    status: "DRAFT" as const,
    // The venue supplies what the organizer leaves out.
    venue_name: fields.venue_name ?? place?.venue_name ?? "",
    address: fields.address !== undefined ? fields.address : (place?.address ?? null),
    latitude: fields.latitude !== undefined ? fields.latitude : (place?.latitude ?? null),
    longitude: fields.longitude !== undefined ? fields.longitude : (place?.longitude ?? null),
    google_maps_url: fields.google_maps_url !== undefined ? fields.google_maps_url : (place?.google_maps_url ?? null),
    timezone: fields.timezone ?? place?.timezone ?? "",
    price: fields.price ?? 0,
  };
  checkConsistency(row);
  // The plan limits what organizations create themselves; an admin creating for one acts for the platform.
  if (!isAdmin(actor)) await consumeEventQuota(env, organizationId);
  return auditedInsert(getDb(env.DB), actor, events, row, { description: "create event" });
}

/**
 * Edits an event. Its organization may edit DRAFT, REJECTED and APPROVED events
 * (admins also PENDING_REVIEW ones); a member's change to a reviewed field of
 * an APPROVED event sends it back to PENDING_REVIEW. The write is guarded by
 * the status and `updated_at` read here (409 on a concurrent change).
 */
export async function updateEvent(env: Env, actor: Actor, id: string, input: UpdateEventInput): Promise<EventRow> {
  const event = await managedEvent(env, id, actor);
  adminOnly(actor, input);
  const editable = isAdmin(actor) ? ADMIN_EDITABLE : OWNER_EDITABLE;
  if (!editable.includes(event.status)) throw notEditable(event.status);

  const patch: Partial<EventRow> = { ...input };
  if (input.venue_id && input.venue_id !== event.venue_id) {
    // A new venue brings its place details, unless the request gives its own.
    const place = await usableVenue(env, input.venue_id, event.organization_id, actor);
    for (const [key, value] of Object.entries(place) as [keyof Place, never][]) if (input[key] === undefined) patch[key] = value;
  }
  if (input.category_id && input.category_id !== event.category_id) await checkCategory(env, input.category_id);
  if (input.event_group_id && input.event_group_id !== event.event_group_id) await checkGroup(env, input.event_group_id, event.organization_id, actor);
  // Leaving PAID without naming a price makes the event free of charge, not inconsistent.
  if (input.access_type && input.access_type !== "PAID" && input.price === undefined) patch.price = 0;

  // Only real changes count, for re-review and the audit trail.
  const changes = changedFields(event, patch);
  if (Object.keys(changes).length === 0) return event;
  checkConsistency({ ...event, ...changes });
  if (changes.access_type === "INVITATION") await refuseInvitationAfterSales(env, id);
  const reReview = event.status === "APPROVED" && !isAdmin(actor) && REVIEWED_FIELDS.some((field) => field in changes);
  if (reReview) changes.status = "PENDING_REVIEW";
  const { after } = await auditedUpdate(getDb(env.DB), actor, events, id, changes, {
    guard: inArray(events.status, editable),
    what: "Event",
    description: reReview ? "edit approved event (back to review)" : "edit event",
  });
  await eventChanged.emit({ env, event: after });
  return after;
}

/**
 * An event becomes invitation-only only while nothing was sold for it: its
 * people then enter through grants alone (its EventDO refuses holds from the
 * next sync on, which the edit triggers).
 */
async function refuseInvitationAfterSales(env: Env, eventId: string): Promise<void> {
  const [sold] = await getDb(env.DB)
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.event_id, eventId), inArray(tickets.booking_status, ["PENDING", "CONFIRMED", "COMPLETED"])))
    .limit(1);
  if (sold) throw problems.conflict("tickets_sold", "Tickets of this event were ordered: it cannot become invitation-only; cancel those orders first.");
}

/** Deletes a DRAFT (anything further along has a public or review history: cancel it instead). */
export async function deleteEvent(env: Env, actor: Actor, id: string): Promise<void> {
  const event = await managedEvent(env, id, actor);
  if (event.status !== "DRAFT") throw problems.conflict("event_not_deletable", "Only drafts can be deleted; cancel the event instead.");
  await auditedDelete(getDb(env.DB), actor, events, id, { guard: eq(events.status, "DRAFT"), what: "Event", description: "delete draft event" });
  if (event.cover_image_key) await env.MEDIA.delete(event.cover_image_key);
}

// ---------------------------------------------------------------- moderation

/** DRAFT or REJECTED → PENDING_REVIEW, for an event that has not started yet. */
export async function submitEvent(env: Env, actor: Actor, id: string): Promise<EventRow> {
  const event = await managedEvent(env, id, actor);
  if (!SUBMITTABLE.includes(event.status)) throw problems.conflict("event_not_submittable", `A ${event.status} event cannot be submitted for review.`);
  if (event.starts_at <= now()) throw problems.conflict("event_in_past", "The event has already started; change its dates first.");
  const { after } = await auditedUpdate(getDb(env.DB), actor, events, id, { status: "PENDING_REVIEW" }, {
    guard: inArray(events.status, SUBMITTABLE),
    what: "Event",
    description: "submit event for review",
  });
  await eventChanged.emit({ env, event: after });
  return after;
}

/** An admin decides on a PENDING_REVIEW event; the organizer is told in the app and by email. */
export async function reviewEvent(env: Env, actor: Actor, id: string, decision: "APPROVED" | "REJECTED", comment: string | undefined): Promise<EventRow> {
  const event = await findEvent(env, id);
  if (!event) throw problems.notFound("Event");
  if (event.status !== "PENDING_REVIEW") throw problems.conflict("event_not_pending", `This event is ${event.status}, not waiting for review.`);
  const { after } = await auditedUpdate(
    getDb(env.DB),
    actor,
    events,
    id,
    { status: decision, reviewed_at: now(), reviewed_by: actor.userId, review_comment: comment || null },
    {
      action: decision === "APPROVED" ? "APPROVE" : "REJECT",
      guard: eq(events.status, "PENDING_REVIEW"),
      what: "Event",
      description: decision === "APPROVED" ? "approve event" : "reject event",
    },
  );
  await notifyOrganizer(env, after, decision === "APPROVED" ? "EVENT_APPROVED" : "EVENT_REJECTED", { comment: comment ?? "" });
  await eventChanged.emit({ env, event: after });
  if (decision === "APPROVED") {
    await eventApproved.emit({ env, event: after });
    // Followers could not open an invitation-only event: only its guests hear of it (ACCESS_GRANTED).
    if (after.access_type !== "INVITATION") await tellFollowers(env, after);
  }
  return after;
}

/** APPROVED or PENDING_REVIEW → CANCELLED, by its organization or an admin (who then tells the organizer account). */
export async function cancelEvent(env: Env, actor: Actor, id: string, reason: string): Promise<EventRow> {
  const event = await managedEvent(env, id, actor);
  if (!CANCELLABLE.includes(event.status)) throw problems.conflict("event_not_cancellable", `A ${event.status} event cannot be cancelled.`);
  const { after } = await auditedUpdate(getDb(env.DB), actor, events, id, { status: "CANCELLED", cancelled_at: now(), cancellation_reason: reason }, {
    guard: inArray(events.status, CANCELLABLE),
    what: "Event",
    description: "cancel event",
  });
  if (isAdmin(actor) && actor.userId !== after.organizer_id) await notifyOrganizer(env, after, "EVENT_CANCELLED", { reason });
  await eventChanged.emit({ env, event: after });
  await eventCancelled.emit({ env, event: after });
  return after;
}

async function notifyOrganizer(env: Env, event: EventRow, type: NotificationType, data: Record<string, string>): Promise<void> {
  // One decision, one message per channel, whatever the retries: keyed on the write that made it.
  await notify(env, [{ type, key: `${type.toLowerCase()}:${event.id}:${event.updated_at}`, user_id: event.organizer_id, data: { ...data, event_title: event.title, event_id: event.id } }]);
}

/** Someone going to an event is news for the people who follow them (and keep notifications on): FOLLOW_EVENT, once per person and event. */
async function tellFriends(env: Env, userId: string, event: EventRow): Promise<void> {
  const [friend] = await getDb(env.DB).select({ first_name: users.first_name, last_name: users.last_name }).from(users).where(eq(users.id, userId)).limit(1);
  await notifyAudience(env, {
    key: `follow-event:${userId}:${event.id}`,
    name: `FOLLOW_EVENT: ${event.title}`,
    type: "FOLLOW_EVENT",
    targeting: { audience: "FOLLOWERS", followed_id: userId },
    data: {
      event_id: event.id,
      event_title: event.title,
      friend_name: `${friend?.first_name ?? ""} ${friend?.last_name ?? ""}`.trim(),
      starts_at: { at: event.starts_at, time_zone: event.timezone },
    },
  });
}

/** An approved event is news for the organizer's followers (those who keep notifications on for them): EVENT_CREATED, once per event. */
async function tellFollowers(env: Env, event: EventRow): Promise<void> {
  const [organizer] = await getDb(env.DB).select({ first_name: users.first_name, last_name: users.last_name }).from(users).where(eq(users.id, event.organizer_id)).limit(1);
  await notifyAudience(env, {
    key: `event-created:${event.id}`,
    name: `EVENT_CREATED: ${event.title}`,
    type: "EVENT_CREATED",
    targeting: { audience: "FOLLOWERS", followed_id: event.organizer_id },
    data: {
      event_id: event.id,
      event_title: event.title,
      organizer_name: `${organizer?.first_name ?? ""} ${organizer?.last_name ?? ""}`.trim(),
      starts_at: { at: event.starts_at, time_zone: event.timezone },
    },
  });
}

// ---------------------------------------------------------------- lists for organizers and admins

/** The events of the organizations the user belongs to (or of one of them), any status, soonest first. */
export async function listOwnEvents(env: Env, userId: string, query: z.infer<typeof MyEventsQuery>) {
  const after = decodeCursor(query.cursor);
  const db = getDb(env.DB);
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        inArray(events.organization_id, organizationsWhere(db, userId, "event.read")),
        query.organization_id ? eq(events.organization_id, query.organization_id) : undefined,
        query.status ? eq(events.status, query.status) : undefined,
        query.event_group_id ? eq(events.event_group_id, query.event_group_id) : undefined,
        query.venue_id ? eq(events.venue_id, query.venue_id) : undefined,
        query.from ? gte(events.ends_at, query.from) : undefined,
        query.to ? lte(events.starts_at, query.to) : undefined,
        afterCursor(after, events.starts_at, events.id),
      ),
    )
    .orderBy(asc(events.starts_at), asc(events.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.starts_at, id: row.id }));
  return { data: page.data.map(toManagedEvent), next_cursor: page.next_cursor };
}

/**
 * Admin view of every event, oldest change first: with `status=PENDING_REVIEW`
 * this is the moderation queue in submission order (a pending event cannot be
 * edited, so its `updated_at` is when it was submitted).
 */
export async function listEventsForAdmin(env: Env, query: z.infer<typeof AdminEventsQuery>) {
  const after = decodeCursor(query.cursor);
  const rows = await getDb(env.DB)
    .select()
    .from(events)
    .where(
      and(
        query.status ? eq(events.status, query.status) : undefined,
        query.organizer_id ? eq(events.organizer_id, query.organizer_id) : undefined,
        query.organization_id ? eq(events.organization_id, query.organization_id) : undefined,
        afterCursor(after, events.updated_at, events.id),
      ),
    )
    .orderBy(asc(events.updated_at), asc(events.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.updated_at, id: row.id }));
  return { data: page.data.map(toManagedEvent), next_cursor: page.next_cursor };
}

/** Approved events not over yet, from organizers the user follows, soonest first. */
export async function feed(env: Env, userId: string, limit: number, cursor: string | undefined) {
  const after = decodeCursor(cursor);
  const followed = getDb(env.DB).select({ id: follows.following_id }).from(follows).where(eq(follows.follower_id, userId));
  const rows = await getDb(env.DB)
    .select()
    .from(events)
    .where(
      and(
        eq(events.status, "APPROVED"),
        gt(events.ends_at, now()),
        inArray(events.organizer_id, followed),
        listedTo(getDb(env.DB), { userId, role: "USER" }),
        afterCursor(after, events.starts_at, events.id),
      ),
    )
    .orderBy(asc(events.starts_at), asc(events.id))
    .limit(limit + 1);
  const page = toPage(rows, limit, (row) => ({ k: row.starts_at, id: row.id }));
  return { data: page.data.map(toPublicEvent), next_cursor: page.next_cursor };
}

// ---------------------------------------------------------------- views

const utcDay = () => now().slice(0, 10);

/**
 * Counts a view of a published event once per viewer per UTC day: the signed-in
 * user, or else a keyed digest of IP, user agent and day (not reversible to the
 * IP, not linkable across days). The view row is insert-or-ignore on its unique
 * key and the counter moves in the same batch only if that insert happened.
 */
export async function recordView(env: Env, id: string, auth: AuthContext | undefined, client: { ip: string | null; userAgent: string | null }) {
  const { event } = await visibleEvent(env, id, auth);
  if (event.status !== "APPROVED") return { counted: false, view_count: event.view_count };
  const day = utcDay();
  const viewerKey = auth ? `u:${auth.userId}` : `f:${await secretDigest(env.PASSWORD_PEPPER, "event-view", `${day}|${client.ip ?? ""}|${client.userAgent ?? ""}`)}`;
  const db = getDb(env.DB);
  const [, [counter]] = await db.batch([
    db.insert(event_views).values({ id: newId(), event_id: id, viewer_key: viewerKey, user_id: auth?.userId ?? null, day }).onConflictDoNothing(),
    db
      .update(events)
      .set({ view_count: sql`${events.view_count} + 1`, updated_at: sql`${events.updated_at}` })
      .where(and(eq(events.id, id), sql`changes() = 1`))
      .returning({ view_count: events.view_count }),
  ]);
  return counter ? { counted: true, view_count: counter.view_count } : { counted: false, view_count: event.view_count };
}

// ---------------------------------------------------------------- participation

export async function participationCounts(env: Env, eventId: string): Promise<Record<ParticipationStatus, number>> {
  const rows = await getDb(env.DB)
    .select({ status: event_participations.status, n: count() })
    .from(event_participations)
    .where(eq(event_participations.event_id, eventId))
    .groupBy(event_participations.status);
  const counts = Object.fromEntries(PARTICIPATION_STATUSES.map((status) => [status, 0])) as Record<ParticipationStatus, number>;
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

export async function ownParticipation(env: Env, eventId: string, userId: string) {
  const [row] = await getDb(env.DB)
    .select()
    .from(event_participations)
    .where(and(eq(event_participations.event_id, eventId), eq(event_participations.user_id, userId)))
    .limit(1);
  return row;
}

/**
 * Sets the caller's participation (INTERESTED, GOING, or CANCELLED). One
 * statement decides: an upsert that never overwrites ATTENDED (recorded by the
 * gate) and, for events with a capacity and no ticketing, admits a new GOING
 * only while GOING participants are fewer than `max_capacity`.
 */
export async function setParticipation(env: Env, auth: AuthContext, eventId: string, input: z.infer<typeof ParticipationBody>) {
  const { event } = await visibleEvent(env, eventId, auth);
  // Nobody says they are going to an invitation-only event: its guests are the organizer's grants.
  if (input.status === "GOING" && event.access_type === "INVITATION") throw problems.conflict("invitation_only", "This event is by invitation only: nobody joins it as GOING; the organizer invites people.");
  const open = event.status === "APPROVED" && event.ends_at > now();
  if (input.status !== "CANCELLED" && !open) throw problems.conflict("event_not_open", "This event no longer takes participants.");
  if (!PUBLIC_STATUSES.includes(event.status)) throw problems.conflict("event_not_open", "This event is not published.");
  const db = getDb(env.DB);
  const p = event_participations;
  const at = now();
  const comment = input.comment ?? null;
  const goingOthers = sql`(SELECT count(*) FROM ${p} WHERE ${p.event_id} = ${eventId} AND ${p.status} = 'GOING' AND ${p.user_id} <> ${auth.userId})`;
  const capacity = sql`(SELECT ${events.max_capacity} FROM ${events} WHERE ${events.id} = ${eventId} AND ${events.ticketing_enabled} = 0)`;
  const admitted = input.status === "GOING" ? sql`(${capacity} IS NULL OR ${goingOthers} < ${capacity})` : sql`1`;
  const [row] = await insertWhere(db, p, { id: newId(), user_id: auth.userId, event_id: eventId, status: input.status, comment, created_at: at, updated_at: at }, admitted)
    .onConflictDoUpdate({
      target: [p.event_id, p.user_id],
      // An omitted comment keeps the one already there.
      set: { status: input.status, comment: input.comment === undefined ? sql`${p.comment}` : comment, updated_at: at },
      setWhere: sql`${p.status} <> 'ATTENDED'`,
    })
    .returning();
  if (row) {
    if (row.status === "GOING") await tellFriends(env, auth.userId, event);
    return row;
  }
  const existing = await ownParticipation(env, eventId, auth.userId);
  if (existing?.status === "ATTENDED") throw problems.conflict("already_attended", "Your attendance was recorded at the gate; it cannot be changed.");
  throw problems.conflict("event_full", "The event has reached its capacity.");
}

export async function removeParticipation(env: Env, auth: AuthContext, eventId: string): Promise<void> {
  await visibleEvent(env, eventId, auth);
  const p = event_participations;
  const [deleted] = await getDb(env.DB)
    .delete(p)
    .where(and(eq(p.event_id, eventId), eq(p.user_id, auth.userId), ne(p.status, "ATTENDED")))
    .returning({ id: p.id });
  if (!deleted && (await ownParticipation(env, eventId, auth.userId))?.status === "ATTENDED") {
    throw problems.conflict("already_attended", "Your attendance was recorded at the gate; it cannot be removed.");
  }
}

/** The caller's participations in published events, most recently changed first. */
export async function listOwnParticipations(env: Env, userId: string, query: z.infer<typeof MyParticipationsQuery>) {
  const after = decodeCursor(query.cursor);
  const p = event_participations;
  const rows = await getDb(env.DB)
    .select({ participation: p, event: events })
    .from(p)
    .innerJoin(events, eq(events.id, p.event_id))
    .where(
      and(
        eq(p.user_id, userId),
        inArray(events.status, PUBLIC_STATUSES),
        listedTo(getDb(env.DB), { userId, role: "USER" }),
        query.status ? eq(p.status, query.status) : undefined,
        afterCursor(after, p.updated_at, p.id, "desc"),
      ),
    )
    .orderBy(desc(p.updated_at), desc(p.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.participation.updated_at, id: row.participation.id }));
  return { data: page.data.map((row) => ({ ...toParticipation(row.participation), event: toPublicEvent(row.event) })), next_cursor: page.next_cursor };
}

export function toParticipation(row: typeof event_participations.$inferSelect) {
  return { event_id: row.event_id, user_id: row.user_id, status: row.status, comment: row.comment, created_at: row.created_at, updated_at: row.updated_at };
}
