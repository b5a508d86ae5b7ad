import { and, eq, inArray, ne } from "drizzle-orm";
import type { Env } from "../env.ts";
import type { OrderView, RightView } from "../../durable-objects/event/contract.ts";
import { subscription_plans, ticket_types } from "../catalog/schema.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import { access_point_zones, access_points, event_categories, event_groups, events, seats, venue_zones, venues } from "../events/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { users } from "../users/schema.ts";
import type { Currency } from "../lib/money.ts";

/**
 * Everything a document prints about an event and its rights, read once per
 * document: the event, its venue and organizer from D1 with the holders,
 * zones, seats and gates of the rights in one batch; the rights and orders
 * themselves come live from the event's Durable Object (the owner of their
 * status), so a document never shows a right as D1's projection last saw it.
 */

export interface Person {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  language: string;
  photo_key: string | null;
}

export interface EventFacts {
  id: string;
  title: string;
  description: string;
  starts_at: string;
  ends_at: string;
  doors_open_at: string | null;
  timezone: string;
  venue_name: string;
  address: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  maps_url: string | null;
  category: string | null;
  match_type: string | null;
  status: string;
  teams: string | null;
  season: string | null;
  /** The organization the event belongs to (its templates print its documents). */
  organization_id: string | null;
  /** The event's organizer account (its profile photo is the fallback logo). */
  organizer: Person;
}

export interface RightFacts {
  right: RightView;
  holder: Person;
  zone: { id: string; name: string; category: string } | null;
  seat: { section: string; row: string; number: string } | null;
  /** Names of the active entrances that open onto the right's zone. */
  gates: string[];
  /** The ticket type's name, or null for a right that was not bought (see `right.source_type`). */
  ticket_type: string | null;
  price: { amount: number; currency: Currency } | null;
  /** The order's number (TKT-…) or the season pass's (SUB-…). */
  reference: string | null;
}

const nameOf = (u: { first_name: string; last_name: string; email: string }) => `${u.first_name} ${u.last_name}`.trim() || u.email;

const person = (u: typeof users.$inferSelect): Person => ({ id: u.id, name: nameOf(u), email: u.email, phone: u.phone, language: u.language, photo_key: u.profile_photo_key });

/** The event's printable facts, or null when it does not exist. */
export async function eventFacts(env: Env, eventId: string): Promise<EventFacts | null> {
  const db = getDb(env.DB);
  const [row] = await db
    .select({ event: events, venue: venues, category: event_categories.name, organizer: users, season: event_groups.season })
    .from(events)
    .leftJoin(venues, eq(venues.id, events.venue_id))
    .leftJoin(event_categories, eq(event_categories.id, events.category_id))
    .leftJoin(event_groups, eq(event_groups.id, events.event_group_id))
    .innerJoin(users, eq(users.id, events.organizer_id))
    .where(eq(events.id, eventId))
    .limit(1);
  if (!row) return null;
  const { event, venue } = row;
  const teams = event.metadata?.teams;
  return {
    id: event.id,
    title: event.title,
    description: event.short_description ?? event.description,
    starts_at: event.starts_at,
    ends_at: event.ends_at,
    doors_open_at: event.doors_open_at,
    timezone: event.timezone,
    venue_name: event.venue_name,
    address: event.address ?? venue?.address ?? null,
    city: venue?.city ?? null,
    latitude: event.latitude ?? venue?.latitude ?? null,
    longitude: event.longitude ?? venue?.longitude ?? null,
    maps_url: event.google_maps_url ?? venue?.google_maps_url ?? null,
    category: row.category,
    match_type: event.match_type,
    status: event.status,
    teams: Array.isArray(teams) ? teams.filter((t) => typeof t === "string").join(" – ") || null : typeof teams === "string" ? teams : null,
    season: row.season,
    organization_id: event.organization_id,
    organizer: person(row.organizer),
  };
}

/** The printable facts of rights of one event (live views from its Durable Object), in the order given. */
export async function rightFacts(env: Env, eventId: string, rights: RightView[]): Promise<RightFacts[]> {
  if (rights.length === 0) return [];
  const db = getDb(env.DB);
  const unique = <T>(values: (T | null)[]) => [...new Set(values.filter((v): v is T => v !== null))];
  const holderIds = unique(rights.map((r) => r.user_id));
  const zoneIds = unique(rights.map((r) => r.zone_id));
  const seatIds = unique(rights.map((r) => r.seat_id));
  const orderIds = unique(rights.map((r) => r.order_id));
  const passIds = unique(rights.map((r) => (r.source_type === "SUBSCRIPTION" ? r.source_id : null)));
  const stub = eventStub(env, eventId);
  const [[holders, zones, seatRows, gateRows, passRows], orders] = await Promise.all([
    db.batch([
      db.select().from(users).where(inArray(users.id, holderIds)),
      db.select({ id: venue_zones.id, name: venue_zones.name, category: venue_zones.category }).from(venue_zones).where(inArray(venue_zones.id, zoneIds)),
      db.select({ id: seats.id, section: seats.section, row: seats.row, number: seats.number }).from(seats).where(inArray(seats.id, seatIds)),
      db
        .select({ zone_id: access_point_zones.zone_id, name: access_points.name })
        .from(access_point_zones)
        .innerJoin(access_points, eq(access_points.id, access_point_zones.access_point_id))
        .where(and(inArray(access_point_zones.zone_id, zoneIds), eq(access_points.is_active, true), ne(access_points.direction, "EXIT")))
        .orderBy(access_points.code),
      db
        .select({ id: subscriptions.id, number: subscriptions.subscription_number, plan: subscription_plans.name, price: subscriptions.price_paid, currency: subscriptions.currency })
        .from(subscriptions)
        .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
        .where(inArray(subscriptions.id, passIds)),
    ]),
    Promise.all(orderIds.map((id) => stub.getOrder(id))),
  ]);
  const orderById = new Map((orders as (OrderView | null)[]).flatMap((o) => (o ? [[o.id, o] as const] : [])));
  const typeIds = unique([...orderById.values()].map((o) => o.ticket_type_id));
  const typeRows = typeIds.length ? await db.select({ id: ticket_types.id, name: ticket_types.name }).from(ticket_types).where(inArray(ticket_types.id, typeIds)) : [];
  const holderById = new Map(holders.map((u) => [u.id, person(u)]));
  const zoneById = new Map(zones.map((z) => [z.id, z]));
  const seatById = new Map(seatRows.map((s) => [s.id, s]));
  const passById = new Map(passRows.map((p) => [p.id, p]));
  const typeById = new Map(typeRows.map((t) => [t.id, t.name]));
  return rights.map((right) => {
    const order = right.order_id ? orderById.get(right.order_id) : undefined;
    const pass = right.source_type === "SUBSCRIPTION" ? passById.get(right.source_id) : undefined;
    return {
      right,
      holder: holderById.get(right.user_id) ?? { id: right.user_id, name: "", email: "", phone: null, language: "fr", photo_key: null },
      zone: right.zone_id ? (zoneById.get(right.zone_id) ?? null) : null,
      seat: right.seat_id ? (seatById.get(right.seat_id) ?? null) : null,
      gates: right.zone_id ? gateRows.filter((g) => g.zone_id === right.zone_id).map((g) => g.name) : [],
      ticket_type: order ? (typeById.get(order.ticket_type_id) ?? null) : (pass?.plan ?? null),
      price: order ? { amount: order.unit_price, currency: order.currency as Currency } : null,
      reference: order?.ticket_number ?? pass?.number ?? null,
    };
  });
}

/** A right to a VIP zone is drawn with a VIP_PASS template when one applies. */
export const isVip = (facts: RightFacts) => facts.zone?.category === "VIP";
