import { env } from "cloudflare:workers";
import { subscription_plan_event_groups, subscription_plan_events, subscription_plan_zones, subscription_plans } from "../../src/catalog/schema.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../../src/db/client.ts";
import { event_groups, events, seats, venue_zones, venues } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, registerOrganizer, registerUser } from "./api.ts";

// Season-pass fixtures: a club with its stadium and season, its matches and plans, and passes activated at the box office.

export const DAY = 86_400_000;
export const iso = (ms: number) => new Date(ms).toISOString();
export const dayOf = (ms: number) => iso(ms).slice(0, 10);
export const db = () => getDb(env.DB);

export type User = Awaited<ReturnType<typeof registerUser>>;

/** A club with a stadium in Tunis (a STANDARD and a PREMIUM zone, four PREMIUM seats) and a season running for 200 days. */
export async function club() {
  const organizer = await registerOrganizer();
  const venueId = newId();
  const standardZone = newId();
  const premiumZone = newId();
  const seatIds = [newId(), newId(), newId(), newId()];
  const groupId = newId();
  await db().insert(venues).values({ id: venueId, name: "Stade Olympique de Radès", city: "Radès", country: "TN", timezone: "Africa/Tunis", owner_id: organizer.id, organization_id: organizer.organizationId });
  await db().insert(venue_zones).values([
    { id: standardZone, venue_id: venueId, code: "virage_nord", name: "Virage Nord", category: "STANDARD", capacity: 20_000 },
    { id: premiumZone, venue_id: venueId, code: "tribune_principale", name: "Tribune principale", category: "PREMIUM", capacity: 5_000, is_seated: true },
  ]);
  await db().insert(seats).values(seatIds.map((id, i) => ({ id, zone_id: premiumZone, section: "A", row: "15", number: String(i + 1) })));
  await db().insert(event_groups).values({
    id: groupId,
    code: `CHAMP-${groupId.slice(0, 8)}`,
    name: "Championnat 2026-2027",
    starts_on: dayOf(Date.now() - 10 * DAY),
    ends_on: dayOf(Date.now() + 200 * DAY),
    organizer_id: organizer.id,
    organization_id: organizer.organizationId,
  });
  return { organizer, venueId, standardZone, premiumZone, seatIds, groupId };
}
export type Club = Awaited<ReturnType<typeof club>>;

/** A match of the club; APPROVED, in its season, `days` from now, at home, a championship match, unless told otherwise. */
export async function match(c: Club, o: { days?: number; home?: boolean | null; type?: string | null; status?: "APPROVED" | "DRAFT" | "PENDING_REVIEW" | "CANCELLED"; group?: string | null; peak?: boolean; startsAt?: string } = {}) {
  const id = newId();
  const starts = o.startsAt ? Date.parse(o.startsAt) : Date.now() + (o.days ?? 7) * DAY;
  await db()
    .insert(events)
    .values({
      id,
      title: `Match ${id.slice(0, 4)}`,
      starts_at: iso(starts),
      ends_at: iso(starts + 2 * 3600_000),
      timezone: "Africa/Tunis",
      venue_id: c.venueId,
      venue_name: "Stade Olympique de Radès",
      organizer_id: c.organizer.id,
      organization_id: c.organizer.organizationId,
      created_by: c.organizer.id,
      currency: "TND",
      status: o.status ?? "APPROVED",
      event_group_id: o.group === undefined ? c.groupId : o.group,
      match_type: o.type === undefined ? "championship" : o.type,
      is_home_match: o.home === undefined ? true : o.home,
      metadata: o.peak ? { is_peak: true } : null,
    });
  return id;
}

export interface PlanOptions {
  type?: "FULL_SEASON" | "HALF_SEASON" | "FLEX";
  max?: number | null;
  access?: "FULL" | "HOME_ONLY" | "PARTIAL";
  matchTypes?: string[] | null;
  excluded?: string[];
  explicit?: { event_id: string; requires_booking?: boolean; booking_window_days?: number }[];
  group?: boolean;
  zone?: "STANDARD" | "PREMIUM";
  assigned?: boolean;
  restrictions?: Record<string, unknown>;
  benefits?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  duration?: number | null;
  salesStart?: string | null;
  salesEnd?: string | null;
  renewable?: boolean;
  priorityDays?: number;
  active?: boolean;
}

/** A plan of the club, inserted directly (its CRUD API has its own tests). */
export async function plan(c: Club, o: PlanOptions = {}) {
  const id = newId();
  await db()
    .insert(subscription_plans)
    .values({
      id,
      code: `PASS-${id.slice(0, 8)}`,
      name: "Abonnement Tribune",
      organizer_id: c.organizer.id,
      organization_id: c.organizer.organizationId,
      type: o.type ?? "FULL_SEASON",
      price: 450_000,
      currency: "TND",
      duration_months: o.duration ?? null,
      max_subscribers: o.max ?? null,
      default_zone_category: "STANDARD",
      benefits: o.benefits ?? null,
      restrictions: o.restrictions ?? null,
      metadata: { ...(o.assigned ? { seat_selection: "assigned" } : {}), ...o.metadata },
      sales_start: o.salesStart ?? null,
      sales_end: o.salesEnd ?? null,
      renewal_priority_days: o.priorityDays ?? 30,
      is_renewable: o.renewable ?? true,
      is_active: o.active ?? true,
    });
  if (o.group !== false) {
    await db()
      .insert(subscription_plan_event_groups)
      .values({ subscription_plan_id: id, event_group_id: c.groupId, access_level: o.access ?? "FULL", included_match_types: o.matchTypes ?? null, excluded_events: o.excluded ?? null });
  }
  for (const e of o.explicit ?? []) {
    await db().insert(subscription_plan_events).values({ subscription_plan_id: id, event_id: e.event_id, requires_booking: e.requires_booking ?? false, booking_window_days: e.booking_window_days ?? null });
  }
  await db().insert(subscription_plan_zones).values({ subscription_plan_id: id, zone_category: o.zone ?? "PREMIUM", is_primary: true });
  return id;
}

export const subscribeTo = (planId: string, user: { token: string }, body: Record<string, unknown> = {}) => api("POST", `/v1/subscription-plans/${planId}/subscribe`, { token: user.token, body });

/** Subscribes `fan` and has the club activate the pass at the box office; returns the pass. */
export async function activePass(c: Club, planId: string, fan: User, body: Record<string, unknown> = {}) {
  const created = await subscribeTo(planId, fan, body);
  if (created.status !== 201) throw new Error(`subscribe: ${created.status} ${JSON.stringify(created.body)}`);
  const activated = await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: c.organizer.token });
  if (activated.status !== 200) throw new Error(`activate: ${activated.status} ${JSON.stringify(activated.body)}`);
  return activated.body;
}

/** The rights of a source held in an event, live from its Durable Object. */
export const rightsIn = async (eventId: string, userId: string, sourceId?: string) =>
  (await eventStub(env, eventId).listRights({ user_id: userId })).filter((r) => r.source_type === "SUBSCRIPTION" && (!sourceId || r.source_id === sourceId));

/** Which of `eventIds` gave `userId` a season-pass right. */
export async function coveredOf(eventIds: string[], userId: string) {
  const covered = [];
  for (const id of eventIds) if ((await rightsIn(id, userId)).length > 0) covered.push(id);
  return covered;
}

export const planRow = async (id: string) => (await env.DB.prepare("SELECT current_subscribers FROM subscription_plans WHERE id = ?").bind(id).first<{ current_subscribers: number }>())!;

