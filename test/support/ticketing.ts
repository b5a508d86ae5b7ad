import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { event_ticket_config, ticket_types } from "../../src/catalog/schema.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { getDb } from "../../src/db/client.ts";
import { events, venue_zones, venues } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";

/** Users that exist in D1 without going through the API (fast, for load tests). */
export async function createUsers(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId());
  const insert = env.DB.prepare("INSERT INTO users (id, email, first_name) VALUES (?, ?, 'Buyer')");
  for (let i = 0; i < ids.length; i += 500) {
    await env.DB.batch(ids.slice(i, i + 500).map((id) => insert.bind(id, `${id}@buyers.test`)));
  }
  return ids;
}

export interface TicketingFixture {
  eventId: string;
  configId: string;
  ticketTypeId: string;
  zoneId: string;
  organizerId: string;
  /** The organization that owns the event, its venue and ticket type; `organizerId` is its OWNER. */
  organizationId: string;
  stub: ReturnType<typeof eventStub>;
}

/** An organization with `ownerId` as its OWNER, straight into D1. */
export async function createOrganization(ownerId: string): Promise<string> {
  const id = newId();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO organizations (id, name, created_by) VALUES (?, ?, ?)").bind(id, `Club ${id.slice(0, 8)}`, ownerId),
    env.DB.prepare("INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, 'OWNER')").bind(newId(), id, ownerId),
  ]);
  return id;
}

/**
 * Hands a fixture's event, its venue and ticket type to `organizationId` (and
 * the event to `organizerId`'s account), for tests acting through the API as
 * an organizer registered there.
 */
export async function giveFixture(fixture: Pick<TicketingFixture, "eventId" | "ticketTypeId">, organizationId: string, organizerId: string): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("UPDATE events SET organizer_id = ?, created_by = ?, organization_id = ? WHERE id = ?").bind(organizerId, organizerId, organizationId, fixture.eventId),
    env.DB.prepare("UPDATE venues SET owner_id = ?, organization_id = ? WHERE id = (SELECT venue_id FROM events WHERE id = ?)").bind(organizerId, organizationId, fixture.eventId),
    env.DB.prepare("UPDATE ticket_types SET organizer_id = ?, organization_id = ? WHERE id = ?").bind(organizerId, organizationId, fixture.ticketTypeId),
  ]);
}

/**
 * An approved event at a venue with one zone and one ticket configuration,
 * synced to its EventDO. Dates are relative to now unless given.
 */
export async function ticketedEvent(options: {
  quantity?: number;
  blocked?: number;
  price?: number;
  currency?: "XOF" | "TND";
  maxPurchase?: number | null;
  maxPerTransaction?: number;
  cancellationAllowed?: boolean;
  salesStart?: string | null;
  salesEnd?: string | null;
  status?: "APPROVED" | "DRAFT";
  priceTiers?: { from: number; to: number; price: number }[] | null;
  /** Sold to members only (of this group, or of any group when null), or to members only until a time. */
  membership?: { required: boolean; groupId?: string | null; onlyUntil?: string | null };
  /** When the event starts, from now (default a week); doors open 2 h before, it ends 3 h after. */
  startsInMs?: number;
  restrictions?: Record<string, unknown>;
} = {}): Promise<TicketingFixture> {
  const db = getDb(env.DB);
  const [organizerId] = await createUsers(1);
  const organizationId = await createOrganization(organizerId!);
  const venueId = newId();
  const zoneId = newId();
  const eventId = newId();
  const ticketTypeId = newId();
  const configId = newId();
  const startsAt = Date.now() + (options.startsInMs ?? 7 * 86_400_000);
  await db.insert(venues).values({ id: venueId, name: "Stade de l'Amitié", city: "Cotonou", country: "BJ", timezone: "Africa/Porto-Novo", owner_id: organizerId!, organization_id: organizationId });
  await db.insert(venue_zones).values({ id: zoneId, venue_id: venueId, code: "tribune_nord", name: "Tribune Nord", category: "STANDARD", capacity: 50_000 });
  await db.insert(events).values({
    id: eventId,
    title: "Derby",
    starts_at: new Date(startsAt).toISOString(),
    ends_at: new Date(startsAt + 3 * 3600_000).toISOString(),
    doors_open_at: new Date(startsAt - 2 * 3600_000).toISOString(),
    timezone: "Africa/Porto-Novo",
    venue_id: venueId,
    venue_name: "Stade de l'Amitié",
    organizer_id: organizerId!,
    organization_id: organizationId,
    created_by: organizerId!,
    access_type: "PAID",
    price: options.price ?? 5_000,
    currency: options.currency ?? "XOF",
    status: options.status ?? "APPROVED",
    ticketing_enabled: true,
  });
  await db.insert(ticket_types).values({
    id: ticketTypeId,
    code: `TRIBUNE-${ticketTypeId.slice(0, 6)}`,
    name: "Tribune",
    base_price: options.price ?? 5_000,
    currency: options.currency ?? "XOF",
    default_zone_category: "STANDARD",
    max_per_transaction: options.maxPerTransaction ?? 4,
    cancellation_allowed: options.cancellationAllowed ?? false,
    restrictions: options.restrictions ?? null,
    organizer_id: organizerId!,
    organization_id: organizationId,
  });
  await db.insert(event_ticket_config).values({
    id: configId,
    event_id: eventId,
    ticket_type_id: ticketTypeId,
    price: options.price ?? 5_000,
    currency: options.currency ?? "XOF",
    quantity_total: options.quantity ?? 1_000,
    quantity_blocked: options.blocked ?? 0,
    max_purchase: options.maxPurchase ?? null,
    sales_start: options.salesStart ?? null,
    sales_end: options.salesEnd ?? null,
    dynamic_pricing: Boolean(options.priceTiers),
    price_tiers: options.priceTiers ?? null,
    requires_membership: options.membership?.required ?? false,
    membership_group_id: options.membership?.groupId ?? null,
    member_only_until: options.membership?.onlyUntil ?? null,
  });
  await syncEventInventory(env, eventId);
  return { eventId, configId, ticketTypeId, zoneId, organizerId: organizerId!, organizationId, stub: eventStub(env, eventId) };
}

let orderCounter = 0;
/** An order request for the DO, with fresh ids. */
export function orderRequest(fixture: TicketingFixture, userId: string, quantity: number, extra: Record<string, unknown> = {}) {
  orderCounter += 1;
  return {
    order_id: newId(),
    ticket_number: `TKT-T-${orderCounter}-${newId().slice(0, 6)}`,
    lines: [{ config_id: fixture.configId, quantity }],
    user_id: userId,
    buyer: null,
    promo_code: null,
    rules: [],
    channel: "MOBILE" as const,
    is_guest: false,
    guest_email: null,
    guest_phone: null,
    ip: null,
    ...extra,
  };
}

/**
 * Another ticket type and configuration of the fixture's event (a second line of a cart), in a new zone of the
 * given category at its venue; synced to the EventDO. Returns the configuration's and the zone's ids.
 */
export async function addConfig(
  fixture: TicketingFixture,
  options: { category?: "VIP" | "PREMIUM" | "STANDARD"; price?: number; quantity?: number; maxPurchase?: number | null; currency?: "XOF" | "TND" } = {},
): Promise<{ configId: string; zoneId: string; ticketTypeId: string }> {
  const db = getDb(env.DB);
  const [zoneId, ticketTypeId, configId] = [newId(), newId(), newId()];
  const category = options.category ?? "VIP";
  const [event] = await db.select({ venue_id: events.venue_id }).from(events).where(eq(events.id, fixture.eventId));
  await db.insert(venue_zones).values({ id: zoneId, venue_id: event!.venue_id!, code: `${category.toLowerCase()}_${zoneId.slice(0, 6)}`, name: category, category, capacity: 5_000 });
  await db.insert(ticket_types).values({
    id: ticketTypeId,
    code: `${category}-${ticketTypeId.slice(0, 6)}`,
    name: category,
    base_price: options.price ?? 20_000,
    currency: options.currency ?? "XOF",
    default_zone_category: category,
    max_per_transaction: 4,
    organizer_id: fixture.organizerId,
    organization_id: fixture.organizationId,
  });
  await db.insert(event_ticket_config).values({
    id: configId,
    event_id: fixture.eventId,
    ticket_type_id: ticketTypeId,
    price: options.price ?? 20_000,
    currency: options.currency ?? "XOF",
    quantity_total: options.quantity ?? 100,
    max_purchase: options.maxPurchase ?? null,
  });
  await syncEventInventory(env, fixture.eventId);
  return { configId, zoneId, ticketTypeId };
}

/**
 * Seats in a zone, straight into D1 (fast for a stadium's 60,000): `rows` rows of `perRow` seats, section `section`,
 * rows R1…, seats 1…, 1 unit apart on the map; then the event's inventory is synced, which pushes them to its EventDO.
 * Returns the seat ids row by row.
 */
export async function seatZone(fixture: TicketingFixture, zoneId: string, rows: number, perRow: number, section = "S"): Promise<string[][]> {
  const ids = Array.from({ length: rows }, () => Array.from({ length: perRow }, () => newId()));
  const flat = ids.flatMap((row, r) => row.map((id, i) => [id, `R${r + 1}`, String(i + 1), i, r]));
  const statements = [];
  for (let i = 0; i < flat.length; i += 2_000) {
    statements.push(
      env.DB.prepare(
        `INSERT INTO seats (id, zone_id, section, row, number, x, y, rotation) SELECT value ->> 0, ?1, ?2, value ->> 1, value ->> 2, value ->> 3, value ->> 4, 0 FROM json_each(?3)`,
      ).bind(zoneId, section, JSON.stringify(flat.slice(i, i + 2_000))),
    );
  }
  await env.DB.batch(statements);
  await syncEventInventory(env, fixture.eventId);
  return ids;
}
