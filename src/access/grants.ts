import { z } from "@hono/zod-openapi";
import { bannedSubjects } from "./blacklist-checks.ts";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { emailSchema } from "../auth/schemas.ts";
import { event_ticket_config } from "../catalog/schema.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { issueRights, rememberHolders } from "../catalog/sync.ts";
import { getDb } from "../db/client.ts";
import { events, venue_zones } from "../events/schema.ts";
import { managedEvent } from "../events/service.ts";
import { problems } from "../lib/errors.ts";
import { idFromParts, newId } from "../lib/ids.ts";
import { phoneSchema } from "../lib/phone.ts";
import { notify } from "../notifications/service.ts";
import type { EventPermission } from "../organizations/permissions.ts";
import { accountForEmail } from "../users/accounts.ts";
import { users } from "../users/schema.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { access_rights } from "./schema.ts";

/** The sources an organizer gives rights from, outside sales and season passes. */
export const GRANT_SOURCES = ["COMP", "STAFF", "MEDIA", "PARTNER"] as const;
export const MAX_GRANT_HOLDERS = 500;

export const GrantBody = z
  .strictObject({
    source_type: z.enum(GRANT_SOURCES).openapi({ description: "COMP (invitations), STAFF, MEDIA or PARTNER." }),
    config_id: z.uuid().optional().openapi({ description: "Take the units from this ticket configuration of the event (they count as sold); without it the rights are outside the inventory." }),
    zone_id: z.uuid().optional().openapi({ description: "The zone the rights open, a zone of the event's venue; by default the configuration's zone, else none." }),
    holders: z
      .array(
        z
          .strictObject({
            user_id: z.uuid().optional(),
            email: emailSchema.optional(),
            phone: phoneSchema.optional(),
          })
          .refine((h) => (h.user_id === undefined) !== (h.email === undefined), { message: "Give exactly one of user_id and email." }),
      )
      .min(1)
      .max(MAX_GRANT_HOLDERS)
      .openapi({ description: `One right per entry (a person listed twice gets two), at most ${MAX_GRANT_HOLDERS}. An email without an account gets a passwordless one, claimed by signing up with it.` }),
  })
  .openapi("GrantRequest");

/**
 * Gives rights of `source_type` in an event to a list of people, for who may
 * manage the event (`event.manage`) or an admin, in one step of the event's EventDO (all or none).
 * The grant's id is derived from the Idempotency-Key when one is sent, so a
 * retry returns the same rights (`already_issued`) instead of a second batch.
 * Each holder is told, in the app and by email.
 */
export async function grantRights(env: Env, actor: Pick<AuthContext, "userId" | "role">, eventId: string, body: z.infer<typeof GrantBody>, idempotencyKey?: string) {
  const event = await managedEvent(env, eventId, actor);
  const db = getDb(env.DB);
  if (body.config_id) {
    const [config] = await db
      .select({ id: event_ticket_config.id })
      .from(event_ticket_config)
      .where(and(eq(event_ticket_config.id, body.config_id), eq(event_ticket_config.event_id, eventId)))
      .limit(1);
    if (!config) throw problems.validation([{ path: "config_id", message: "No such ticket configuration in this event.", code: "invalid_reference" }]);
  }
  if (body.zone_id) {
    const [zone] = await db
      .select({ id: venue_zones.id })
      .from(venue_zones)
      .where(and(eq(venue_zones.id, body.zone_id), eq(venue_zones.venue_id, event.venue_id ?? "")))
      .limit(1);
    if (!zone) throw problems.validation([{ path: "zone_id", message: "No such zone at this event's venue.", code: "invalid_reference" }]);
  }
  const named = [...new Set(body.holders.flatMap((h) => (h.user_id ? [h.user_id] : [])))];
  const known = named.length
    ? await db.select({ id: users.id }).from(users).where(and(inArray(users.id, named), eq(users.is_active, true)))
    : [];
  const missing = body.holders.findIndex((h) => h.user_id !== undefined && !known.some((u) => u.id === h.user_id));
  if (missing >= 0) throw problems.validation([{ path: `holders.${missing}.user_id`, message: "No such active account.", code: "invalid_reference" }]);

  // A holder the event's blacklist bans (account, email or phone) gets nothing: the whole grant is refused, naming them.
  const banned = await bannedSubjects(db, { event_id: eventId }, body.holders.map((h) => ({ user_id: h.user_id ?? null, email: h.email ?? null, phone: h.phone ?? null })));
  const bannedAt = banned.findIndex(Boolean);
  if (bannedAt >= 0) {
    throw problems.validation([{ path: `holders.${bannedAt}`, message: "This person is blacklisted for this event.", code: "holder_blacklisted" }], "A holder is blacklisted for this event.");
  }
  const holderIds: string[] = [];
  for (const h of body.holders) holderIds.push(h.user_id ?? (await accountForEmail(env, h.email!, h.phone ?? null)));
  const grantId = idempotencyKey ? await idFromParts("grant", eventId, actor.userId, idempotencyKey) : newId();
  // What the gate checks about them (birth date, groups), before their rights exist.
  await rememberHolders(env, eventStub(env, eventId), holderIds);
  const result = await issueRights(env, eventId, {
    source_type: body.source_type,
    source_id: grantId,
    holders: holderIds.map((user_id) => ({ user_id, zone_id: body.zone_id ?? null, seat_id: null })),
    config_id: body.config_id ?? null,
    created_by: actor.userId,
  });
  if (!result.ok) throw problemFrom(result.problem);
  if (!result.already_issued) {
    // The holders open their tickets (from the app, or their email's link) right away: the rights go to D1 now, not at the next alarm.
    await eventStub(env, eventId).flushProjection();
    await tellHolders(env, holderIds, event.title, eventId, grantId);
  }
  return { grant_id: grantId, source_type: body.source_type, already_issued: result.already_issued, access_rights: result.rights };
}

/** Tells each holder of a grant's rights, with their tickets; `fact` keys the message (the grant, or its restoration). */
async function tellHolders(env: Env, holderIds: string[], eventTitle: string, eventId: string, grantId: string, fact = `grant:${grantId}`) {
  const counts = new Map<string, number>();
  for (const id of holderIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  await notify(
    env,
    [...counts].map(([id, quantity]) => ({
      type: "ACCESS_GRANTED" as const,
      key: `${fact}:${id}`,
      user_id: id,
      data: { event_title: eventTitle, quantity: String(quantity), event_id: eventId },
      tickets: { event_id: eventId, source_id: grantId },
    })),
  );
}

/**
 * An event's grants, newest first, with how many rights each gave and how
 * many of them were used or cancelled, as D1 has them (a fraction of a second
 * behind the event's EventDO). For `attendees.read` on the event, or an admin.
 */
export async function listGrants(env: Env, actor: Pick<AuthContext, "userId" | "role">, eventId: string, query: { limit: number; cursor?: string }) {
  await managedEvent(env, eventId, actor, "attendees.read");
  const r = access_rights;
  const firstAt = sql<string>`min(${r.created_at})`;
  const after = decodeCursor(query.cursor);
  const rows = await getDb(env.DB)
    .select({
      grant_id: r.source_id,
      source_type: sql<(typeof GRANT_SOURCES)[number]>`${r.source_type}`,
      created_at: firstAt,
      created_by: sql<string | null>`min(${r.created_by})`,
      rights: sql<number>`count(*)`.mapWith(Number),
      used: sql<number>`sum(${r.status} = 'USED' OR ${r.entry_count} > 0)`.mapWith(Number),
      cancelled: sql<number>`sum(${r.status} = 'CANCELLED')`.mapWith(Number),
    })
    .from(r)
    .where(and(eq(r.event_id, eventId), inArray(r.source_type, [...GRANT_SOURCES])))
    .groupBy(r.source_id, r.source_type)
    .having(after ? sql`${firstAt} < ${after.k} OR (${firstAt} = ${after.k} AND ${r.source_id} < ${after.id})` : undefined)
    .orderBy(desc(firstAt), desc(r.source_id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.grant_id }));
}

/** A grant's rights, for `permission` on the event (reading it: `attendees.read`) or an admin; another source's id is a 404. */
export async function grantOf(env: Env, actor: Pick<AuthContext, "userId" | "role">, eventId: string, grantId: string, permission: EventPermission = "attendees.read") {
  await managedEvent(env, eventId, actor, permission);
  const rights = await eventStub(env, eventId).listRights({ source_id: grantId });
  const sourceType = rights[0]?.source_type;
  if (!sourceType || !(GRANT_SOURCES as readonly string[]).includes(sourceType)) throw problems.notFound("Grant");
  return { grant_id: grantId, source_type: sourceType as (typeof GRANT_SOURCES)[number], access_rights: rights };
}

/**
 * Gives a grant taken back its rights again (a mistake undone): its
 * CANCELLED rights become ENABLED with the same codes, logged RESTORE, and
 * their holders are told again with their tickets. Units taken from a
 * configuration are taken again: 409 `sold_out` or `zone_share_sold_out`
 * when they are gone, nothing restored. `event.manage`; repeating it
 * changes nothing more.
 */
export async function restoreGrant(env: Env, actor: Pick<AuthContext, "userId" | "role">, eventId: string, grantId: string, reason: string) {
  const grant = await grantOf(env, actor, eventId, grantId, "event.manage");
  const stub = eventStub(env, eventId);
  const result = await stub.restoreRights(grant.source_type, grantId, actor.userId, reason);
  if (!result.ok) throw problemFrom(result.problem);
  if (result.restored > 0) {
    await stub.flushProjection();
    const restored = result.rights.filter((r) => grant.access_rights.some((g) => g.id === r.id && g.status === "CANCELLED"));
    const [event] = await getDb(env.DB).select({ title: events.title }).from(events).where(eq(events.id, eventId)).limit(1);
    await tellHolders(env, restored.map((r) => r.user_id), event?.title ?? "", eventId, grantId, `grant-restored:${grantId}:${Date.now()}`);
  }
  return { grant_id: grantId, source_type: grant.source_type, restored: result.restored, access_rights: result.rights };
}

/**
 * Takes a grant back: its rights not used or transferred yet become
 * CANCELLED (and their QR codes stop working) in one step; units it took from
 * a configuration go back on sale. Repeating it changes nothing more.
 */
export async function cancelGrant(env: Env, actor: Pick<AuthContext, "userId" | "role">, eventId: string, grantId: string, reason: string) {
  const grant = await grantOf(env, actor, eventId, grantId, "event.manage");
  const result = await eventStub(env, eventId).setRightsStatus(grant.source_type, grantId, "CANCELLED", actor.userId, reason);
  if (!result.ok) throw problemFrom(result.problem);
  return { grant_id: grantId, source_type: grant.source_type, cancelled: result.changed, access_rights: result.rights };
}
