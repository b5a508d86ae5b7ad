/**
 * What the Worker tells an event's EventDO, from D1: its catalog (status,
 * dates, ticket configurations), its access control (zones, gates, QR keys,
 * age and re-entry rules, overrides, blacklist) and facts about holders.
 * Every push is idempotent. The one place that pushes them.
 */
import { and, eq, gt, inArray, isNull, or } from "drizzle-orm";
import type { z } from "zod";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { access_point_zones, access_points, events, venue_zones, type ZONE_CATEGORIES } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { now } from "../lib/time.ts";
import { user_group_members } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";
import { blacklist, zone_mapping_overrides } from "../access/schema.ts";
import { activeKid, eventPublicKeys } from "../access/signing-keys.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import type { ConfigSetup, GatePolicy, GateSetup, IssueRightsRequest, Person } from "../../durable-objects/event/contract.ts";
import { forgetAvailability } from "../onsale/availability-cache.ts";
import { zoneShareUnits } from "./sale-rules.ts";
import { event_ticket_config, TICKET_ZONE_ACCESS_TYPES, ticket_type_zones, ticket_types, type zoneMappingSchema } from "./schema.ts";

type ZoneMapping = z.infer<typeof zoneMappingSchema>;
type ZoneCategory = (typeof ZONE_CATEGORIES)[number];

/**
 * Pushes an event's catalog (status, dates, ticket configurations) and its
 * access control (zones, gates, keys, overrides, blacklist) from D1 to its
 * EventDO, which owns the live counters and the gate decisions. Called after
 * every change to the event or its configurations; idempotent.
 */
export async function syncEventInventory(env: Env, eventId: string): Promise<void> {
  const db = getDb(env.DB);
  const [event] = await db.select().from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) throw problems.notFound("Event");
  const rows = await db
    .select({ config: event_ticket_config, type: ticket_types })
    .from(event_ticket_config)
    .innerJoin(ticket_types, eq(ticket_types.id, event_ticket_config.ticket_type_id))
    .where(eq(event_ticket_config.event_id, eventId));
  const zones = event.venue_id
    ? await db.select().from(venue_zones).where(and(eq(venue_zones.venue_id, event.venue_id), eq(venue_zones.is_active, true)))
    : [];
  const typeIds = [...new Set(rows.map(({ type }) => type.id))];
  const typeZones = typeIds.length ? await db.select().from(ticket_type_zones).where(inArray(ticket_type_zones.ticket_type_id, typeIds)) : [];

  const configs: ConfigSetup[] = rows.map(({ config, type }) => {
    const access = zoneAccess(config.zone_mapping ?? null, type.default_zone_category, typeZones.filter((t) => t.ticket_type_id === type.id), zones);
    // The zone whose capacity the type's share is of: the one its rights are issued in.
    const zone = zones.find((z) => z.id === access[0]?.zone_id);
    return {
      id: config.id,
      ticket_type_id: type.id,
      ticket_type_code: type.code,
      zone_category: type.default_zone_category,
      // The zone a right is issued in: the first its ticket opens fully.
      zone_id: access[0]?.zone_id ?? null,
      zones: access,
      price: config.price,
      currency: config.currency,
      quantity_total: config.quantity_total,
      quantity_blocked: config.quantity_blocked,
      sales_start: config.sales_start,
      sales_end: config.sales_end,
      early_bird_end: config.early_bird_end,
      min_purchase: Math.max(config.min_purchase, type.min_per_transaction),
      max_purchase: config.max_purchase,
      max_per_transaction: type.max_per_transaction,
      requires_membership: config.requires_membership,
      membership_group_id: config.membership_group_id,
      member_only_until: config.member_only_until,
      dynamic_pricing: config.dynamic_pricing,
      price_tiers: config.price_tiers ?? null,
      cancellation_allowed: type.cancellation_allowed,
      transfer_allowed: type.transfer_allowed,
      is_active: config.is_active && type.is_active,
      advance_booking_days: type.advance_booking_days,
      zone_share_units: zoneShareUnits(zone?.capacity, type.capacity_percentage_bp),
    };
  });

  const result = await eventStub(env, eventId).configure(
    {
      id: event.id,
      status: event.status,
      currency: event.currency,
      starts_at: event.starts_at,
      ends_at: event.ends_at,
      doors_open_at: event.doors_open_at,
      event_group_id: event.event_group_id,
      tags: event.match_type ? [event.match_type] : [],
      access_type: event.access_type,
    },
    configs,
  );
  if (!result.ok) throw problemFrom(result.problem);
  // What the public reads at the edge changed with it (src/onsale/availability-cache.ts).
  await forgetAvailability(env, eventId);
  const stub = eventStub(env, eventId);
  await syncGateSetup(env, eventId, stub);
  await syncGatePolicy(env, eventId, stub);
}

/**
 * The zones a right of a configuration opens, in the order a gate tries
 * them: first its ticket type's category (FULL), then each category of the
 * type's `ticket_type_zones` with its access type and conditions. A category
 * is the venue zones the configuration's `zone_mapping` lists for it, else
 * every active zone of that category; `excluded_sections` are left out of
 * all of them. A zone is listed once, at its first place.
 */
export function zoneAccess(
  mapping: ZoneMapping | null,
  category: ZoneCategory,
  typeZones: Pick<typeof ticket_type_zones.$inferSelect, "zone_category" | "access_type" | "conditions">[],
  zones: Pick<typeof venue_zones.$inferSelect, "id" | "code" | "category">[],
): ConfigSetup["zones"] {
  const excluded = new Set(mapping?.excluded_sections ?? []);
  const zonesOf = (of: ZoneCategory) => {
    const mapped = mapping?.[of];
    const candidates = mapped ? mapped.flatMap((code) => zones.filter((z) => z.code === code)) : zones.filter((z) => z.category === of);
    return candidates.filter((z) => !excluded.has(z.code));
  };
  const access: ConfigSetup["zones"] = [
    ...zonesOf(category).map((z) => ({ zone_id: z.id, access: "FULL" as const, conditions: null })),
    ...typeZones
      .filter((t) => t.zone_category !== category)
      .sort((a, b) => TICKET_ZONE_ACCESS_TYPES.indexOf(a.access_type) - TICKET_ZONE_ACCESS_TYPES.indexOf(b.access_type))
      .flatMap((t) => zonesOf(t.zone_category).map((z) => ({ zone_id: z.id, access: t.access_type, conditions: t.conditions ?? null }))),
  ];
  return access.filter((a, i) => access.findIndex((b) => b.zone_id === a.zone_id) === i);
}

/**
 * Issues rights outside sales in an event (idempotent per source), pushing
 * its catalog and access control to its EventDO first if they never were.
 */
export async function issueRights(env: Env, eventId: string, request: IssueRightsRequest) {
  const stub = eventStub(env, eventId);
  let result = await stub.issueRights(request);
  if (!result.ok && result.problem.code === "not_configured") {
    await syncEventInventory(env, eventId);
    result = await stub.issueRights(request);
  }
  return result;
}

type Stub = { configureGate(setup: GateSetup): unknown; setGatePolicy(policy: GatePolicy): unknown };

/**
 * Pushes the venue side of an event's access control to its EventDO: zones
 * with capacities, gates and the zones they open onto, the QR signing keys
 * (an approved event's first key is created here: its ticketing is open, and
 * gates fetch the keys before any QR is drawn), and per ticket configuration
 * its age and re-entry rules.
 */
export async function syncGateSetup(env: Env, eventId: string, stub: Stub): Promise<void> {
  const db = getDb(env.DB);
  const [event] = await db.select({ venue_id: events.venue_id, organizer_id: events.organizer_id, status: events.status }).from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) return;
  const zones = event.venue_id ? await db.select().from(venue_zones).where(eq(venue_zones.venue_id, event.venue_id)) : [];
  const points = event.venue_id ? await db.select().from(access_points).where(eq(access_points.venue_id, event.venue_id)) : [];
  const links = points.length
    ? await db.select().from(access_point_zones).where(inArray(access_point_zones.access_point_id, points.map((p) => p.id)))
    : [];
  if (event.status === "APPROVED") await activeKid(env, eventId);
  const rules = await db
    .select({ config_id: event_ticket_config.id, restrictions: ticket_types.restrictions })
    .from(event_ticket_config)
    .innerJoin(ticket_types, eq(ticket_types.id, event_ticket_config.ticket_type_id))
    .where(eq(event_ticket_config.event_id, eventId));
  await stub.configureGate({
    venue_id: event.venue_id,
    organizer_id: event.organizer_id,
    zones: zones.filter((z) => z.is_active).map((z) => ({ id: z.id, name: z.name, capacity: z.capacity })),
    access_points: points.map((p) => ({
      id: p.id,
      name: p.name,
      direction: p.direction,
      zone_ids: links.filter((l) => l.access_point_id === p.id).map((l) => l.zone_id),
      is_active: p.is_active,
    })),
    keys: (await eventPublicKeys(env, eventId)).map(({ kid, kty, crv, x }) => ({ kid, kty, crv, x })),
    config_rules: rules.map((r) => ({
      config_id: r.config_id,
      min_age: typeof r.restrictions?.min_age === "number" ? r.restrictions.min_age : null,
      requires_id: r.restrictions?.requires_id === true,
      re_entry_allowed: r.restrictions?.re_entry_allowed !== false,
    })),
  });
}

/**
 * The event's zone overrides and the blacklist entries that reach it (its
 * own, its venue's, its organization's "club", and global ones, still running).
 * EMAIL and PHONE entries are resolved to the accounts that use them, so the
 * gate matches on the holder alone; they are pushed as they are too, for the
 * purchase decision (never in a gate's offline bundle).
 */
export async function syncGatePolicy(env: Env, eventId: string, stub: Stub): Promise<void> {
  const db = getDb(env.DB);
  const [event] = await db.select({ venue_id: events.venue_id, organization_id: events.organization_id }).from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) return;
  const at = now();
  const overrides = await db.select().from(zone_mapping_overrides).where(and(eq(zone_mapping_overrides.event_id, eventId), eq(zone_mapping_overrides.is_active, true)));
  const scopes = [
    eq(blacklist.scope, "GLOBAL"),
    and(eq(blacklist.scope, "EVENT"), eq(blacklist.scope_id, eventId)),
    event.organization_id ? and(eq(blacklist.scope, "CLUB"), eq(blacklist.scope_id, event.organization_id)) : undefined,
    event.venue_id ? and(eq(blacklist.scope, "VENUE"), eq(blacklist.scope_id, event.venue_id)) : undefined,
  ];
  const entries = await db
    .select()
    .from(blacklist)
    .where(and(eq(blacklist.is_active, true), or(...scopes), or(isNull(blacklist.end_date), gt(blacklist.end_date, at), eq(blacklist.is_permanent, true))));
  const contacts = entries.filter((e) => e.blacklist_type === "EMAIL" || e.blacklist_type === "PHONE");
  const holders = contacts.length
    ? await db
        .select({ id: users.id, email: users.email, phone: users.phone })
        .from(users)
        .where(or(inArray(users.email, contacts.map((e) => e.identifier.toLowerCase())), inArray(users.phone, contacts.map((e) => e.identifier))))
    : [];
  const policy: GatePolicy = {
    overrides: overrides.map((o) => {
      const [target_type, target_id] = o.access_right_id
        ? (["ACCESS_RIGHT", o.access_right_id] as const)
        : o.ticket_id
          ? (["TICKET", o.ticket_id] as const)
          : o.subscription_id
            ? (["SUBSCRIPTION", o.subscription_id] as const)
            : (["USER_GROUP", o.user_group_id ?? ""] as const);
      return {
        id: o.id,
        target_type,
        target_id,
        original_zone_id: o.original_zone_id,
        override_zone_id: o.override_zone_id,
        valid_from: o.valid_from,
        valid_until: o.valid_until,
        capacity_impact: o.capacity_impact,
      };
    }),
    blacklist: entries.flatMap((e): GatePolicy["blacklist"] => {
      const window = { starts_at: e.start_date, ends_at: e.is_permanent ? null : e.end_date };
      if (e.blacklist_type === "EMAIL" || e.blacklist_type === "PHONE") {
        const identifier = e.blacklist_type === "EMAIL" ? e.identifier.toLowerCase() : e.identifier;
        // The entry itself too: a purchase matches it on the buyer's contact (an account made since this push, a guest's address).
        return [
          { id: e.id, type: e.blacklist_type, identifier, ...window },
          ...holders
            .filter((h) => (e.blacklist_type === "EMAIL" ? h.email === identifier : h.phone === identifier))
            .map((h) => ({ id: `${e.id}:${h.id}`, type: "USER" as const, identifier: h.id, ...window })),
        ];
      }
      return [{ id: e.id, type: e.blacklist_type, identifier: e.identifier, ...window }];
    }),
  };
  await stub.setGatePolicy(policy);
}

/**
 * Tells the event's gate what it needs to know about these holders (birth
 * date for age limits, groups for zone overrides), before rights reach them
 * by purchase, transfer or season pass.
 */
export async function rememberHolders(env: Env, stub: { rememberPeople(people: Person[]): unknown }, userIds: string[]): Promise<void> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return;
  const db = getDb(env.DB);
  const at = now();
  const people = await db.select({ id: users.id, birth_date: users.date_of_birth }).from(users).where(inArray(users.id, ids));
  const memberships = await db
    .select({ user_id: user_group_members.user_id, group_id: user_group_members.group_id })
    .from(user_group_members)
    .where(and(inArray(user_group_members.user_id, ids), or(isNull(user_group_members.valid_until), gt(user_group_members.valid_until, at))));
  await stub.rememberPeople(
    people.map((p) => ({ user_id: p.id, birth_date: p.birth_date, group_ids: memberships.filter((m) => m.user_id === p.id).map((m) => m.group_id) })),
  );
}
