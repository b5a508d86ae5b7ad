import { and, eq, inArray, isNull, or, gt } from "drizzle-orm";
import type { Env } from "../env.ts";
import { event_ticket_config, ticket_types } from "../catalog/schema.ts";
import { getDb } from "../db/client.ts";
import { access_point_zones, access_points, events, venue_zones } from "../events/schema.ts";
import { now } from "../lib/time.ts";
import { user_group_members } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";
import type { GatePolicy, GateSetup, Person } from "../../durable-objects/event/contract.ts";
import { blacklist, zone_mapping_overrides } from "./schema.ts";
import { activeKid, eventPublicKeys } from "./signing-keys.ts";

type Stub = { configureGate(setup: GateSetup): unknown; setGatePolicy(policy: GatePolicy): unknown };

/**
 * Pushes the venue side of an event's access control to its EventDO: zones
 * with capacities, gates and the zones they open onto, the QR signing keys
 * (the event's key is created here if it has none yet), and per ticket
 * configuration its age and re-entry rules.
 */
export async function syncGateSetup(env: Env, eventId: string, stub: Stub): Promise<void> {
  const db = getDb(env.DB);
  const [event] = await db.select({ venue_id: events.venue_id, organizer_id: events.organizer_id }).from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) return;
  const zones = event.venue_id ? await db.select().from(venue_zones).where(eq(venue_zones.venue_id, event.venue_id)) : [];
  const points = event.venue_id ? await db.select().from(access_points).where(eq(access_points.venue_id, event.venue_id)) : [];
  const links = points.length
    ? await db.select().from(access_point_zones).where(inArray(access_point_zones.access_point_id, points.map((p) => p.id)))
    : [];
  await activeKid(env, eventId);
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
 * gate matches on the holder alone.
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
    blacklist: entries.flatMap((e) => {
      const window = { starts_at: e.start_date, ends_at: e.is_permanent ? null : e.end_date };
      if (e.blacklist_type === "EMAIL" || e.blacklist_type === "PHONE") {
        const identifier = e.blacklist_type === "EMAIL" ? e.identifier.toLowerCase() : e.identifier;
        return holders
          .filter((h) => (e.blacklist_type === "EMAIL" ? h.email === identifier : h.phone === identifier))
          .map((h) => ({ id: `${e.id}:${h.id}`, type: "USER" as const, identifier: h.id, ...window }));
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
