/**
 * What the order benchmarks share: an event with one ticket configuration and
 * buyers with sessions, seeded straight into D1; how their answers are counted;
 * and the oversell check, from the EventDO (through the API) and from D1.
 */
import { randomUUID } from "node:crypto";
import { signJwt } from "../../src/lib/crypto/jwt.ts";
import type { Sample } from "./load.ts";

const log = (line = "") => console.log(line);

export interface Fixture {
  eventId: string;
  configId: string;
}

/** An approved event at a venue with one zone and one ticket configuration of `units`, straight into D1. */
export async function seedEvent(db: D1Database, organizerId: string, units: number): Promise<Fixture> {
  const day = 86_400_000;
  const [venueId, zoneId, eventId, typeId, configId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const startsAt = Date.now() + 7 * day;
  await db.batch([
    db
      .prepare("INSERT INTO venues (id, name, city, country, timezone, owner_id) VALUES (?, 'Stade de l''Amitié', 'Cotonou', 'BJ', 'Africa/Porto-Novo', ?)")
      .bind(venueId, organizerId),
    db
      .prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, 'tribune_nord', 'Tribune Nord', 'STANDARD', 50000)")
      .bind(zoneId, venueId),
    db
      .prepare(
        `INSERT INTO events (id, title, starts_at, ends_at, doors_open_at, timezone, venue_id, venue_name, organizer_id, created_by, access_type, price, currency, status, ticketing_enabled)
         VALUES (?, 'Derby (bench)', ?, ?, ?, 'Africa/Porto-Novo', ?, 'Stade de l''Amitié', ?, ?, 'PAID', 5000, 'XOF', 'APPROVED', 1)`,
      )
      .bind(eventId, new Date(startsAt).toISOString(), new Date(startsAt + 3 * 3600_000).toISOString(), new Date(startsAt - 2 * 3600_000).toISOString(), venueId, organizerId, organizerId),
    db
      .prepare(
        "INSERT INTO ticket_types (id, code, name, base_price, currency, default_zone_category, max_per_transaction, organizer_id) VALUES (?, ?, 'Tribune', 5000, 'XOF', 'STANDARD', 4, ?)",
      )
      .bind(typeId, `TRIBUNE-${typeId.slice(0, 8)}`, organizerId),
    db
      .prepare("INSERT INTO event_ticket_config (id, event_id, ticket_type_id, price, currency, quantity_total, quantity_blocked) VALUES (?, ?, ?, 5000, 'XOF', ?, 0)")
      .bind(configId, eventId, typeId, units),
  ]);
  return { eventId, configId };
}

/** An organizer in D1, and a way to make their events: seeded in D1, then pushed to the event's EventDO by the app's own catalog sync (helper Worker `/sync`). */
export async function eventMaker(db: D1Database, helperUrl: URL): Promise<{ organizerId: string; createEvent: (units: number) => Promise<Fixture> }> {
  const organizerId = randomUUID();
  await db.prepare("INSERT INTO users (id, email, first_name, role) VALUES (?, ?, 'Organizer', 'ORGANIZER')").bind(organizerId, `${organizerId}@bench.test`).run();
  return { organizerId, createEvent: async (units) => synced(helperUrl, await seedEvent(db, organizerId, units)) };
}

/** Pushes a seeded event's catalog to its EventDO. */
export async function synced<F extends { eventId: string }>(helperUrl: URL, fixture: F): Promise<F> {
  const res = await fetch(new URL(`/sync?event_id=${fixture.eventId}`, helperUrl), { method: "POST" });
  if (res.status !== 204) throw new Error(`catalog sync failed: ${res.status} ${await res.text()}`);
  return fixture;
}

export interface Buyer {
  userId: string;
  token: string;
}

/** Buyers with an open session each, and their access tokens signed with the Worker's key. */
export async function seedBuyers(db: D1Database, count: number, signingKeys: string): Promise<Buyer[]> {
  const ids = Array.from({ length: count }, () => ({ user: randomUUID(), session: randomUUID() }));
  const expires = new Date(Date.now() + 86_400_000).toISOString();
  const user = db.prepare("INSERT INTO users (id, email, first_name) VALUES (?, ?, 'Buyer')");
  const session = db.prepare("INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (?, ?, ?)");
  for (let i = 0; i < ids.length; i += 250) {
    const chunk = ids.slice(i, i + 250);
    await db.batch([...chunk.map((b) => user.bind(b.user, `${b.user}@bench.test`)), ...chunk.map((b) => session.bind(b.session, b.user, expires))]);
  }
  return Promise.all(ids.map(async (b) => ({ userId: b.user, token: await signJwt(signingKeys, { sub: b.user, sid: b.session, role: "USER" }, 3600, "at+jwt") })));
}

/** Status (and problem code) counts, e.g. `201×1617, 409 sold_out×383`. */
export function outcomes(samples: Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) {
    let key = String(s.status);
    if (s.status >= 400) {
      try {
        key += ` ${(JSON.parse(s.body) as { code?: string }).code ?? ""}`;
      } catch {
        key += ` ${s.body.slice(0, 60)}`;
      }
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}×${n}`).join(", ");
}

/** Accepted holds (201) and the rate over the time to the last one: the sale is open until then. */
export function holdsOf(result: { samples: Sample[]; elapsedMs: number }) {
  const accepted = result.samples.filter((s) => s.status === 201);
  const windowMs = accepted.length ? Math.max(...accepted.map((s) => s.startMs + s.ms)) : result.elapsedMs;
  return { accepted, windowMs };
}

export interface LiveAvailability {
  configs: { id: string; sellable: number; held: number; sold: number; available: number }[];
}

/**
 * The event's availability as its EventDO gives it now, through the Worker at
 * `base`: availability is served up to 1 s old (src/onsale/availability-cache.ts),
 * and a read of a kept answer past 750 ms refreshes it in the background, so
 * this reads, then waits longer than the answer's `max-age` with no read in
 * between, until the answer says it came from the EventDO (X-Cache: MISS).
 */
export async function liveAvailability(base: URL, eventId: string): Promise<LiveAvailability> {
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline) {
    const res = await fetch(new URL(`/v1/events/${eventId}/availability`, base));
    if (res.headers.get("X-Cache") === "MISS") return (await res.json()) as LiveAvailability;
    await res.arrayBuffer();
    const maxAgeS = Number(/max-age=(\d+)/.exec(res.headers.get("Cache-Control") ?? "")?.[1] ?? 1);
    await new Promise((wait) => setTimeout(wait, maxAgeS * 1000 + 100));
  }
  throw new Error(`${base.host} did not answer availability from the EventDO within 5 s`);
}

/**
 * Sold + held units against what may be sold, in the EventDO (read through
 * the API, live) and in its D1 projection (waited for: the alarm drains the outbox
 * in batches), and both against the accepted orders' quantities.
 */
export async function checkInventory(name: string, appUrl: URL, db: D1Database, fixture: Fixture, accepted: Sample[]) {
  const heldUnits = accepted.reduce((sum, s) => sum + (JSON.parse(s.body) as { quantity: number }).quantity, 0);
  const orderIds = new Set(accepted.map((s) => (JSON.parse(s.body) as { id: string }).id));
  const availability = await liveAvailability(appUrl, fixture.eventId);
  const config = availability.configs.find((c) => c.id === fixture.configId)!;
  let projected = { n: 0, units: 0, reserved: 0, sold: 0 };
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    projected = (await db
      .prepare(
        `SELECT (SELECT count(*) FROM tickets WHERE event_id = ?1 AND booking_status = 'PENDING') AS n,
                (SELECT coalesce(sum(quantity), 0) FROM tickets WHERE event_id = ?1 AND booking_status = 'PENDING') AS units,
                c.quantity_reserved AS reserved, c.quantity_sold AS sold
         FROM event_ticket_config c WHERE c.id = ?2`,
      )
      .bind(fixture.eventId, fixture.configId)
      .first())!;
    if (projected.n === accepted.length && projected.reserved === config.held) break;
    await new Promise((wait) => setTimeout(wait, 250));
  }
  const oversold = Math.max(0, config.held + config.sold - config.sellable, projected.reserved + projected.sold - config.sellable);
  const consistent =
    orderIds.size === accepted.length &&
    config.held + config.sold === heldUnits &&
    projected.n === accepted.length &&
    projected.units === heldUnits &&
    projected.reserved + projected.sold === heldUnits;
  log(
    `  ${name}: EventDO sellable ${config.sellable}, held ${config.held}, sold ${config.sold}; accepted ${accepted.length} orders (${orderIds.size} ids) for ${heldUnits} units; ` +
      `D1 ${projected.n} PENDING tickets for ${projected.units} units, config reserved ${projected.reserved} sold ${projected.sold}`,
  );
  log(`    oversold ${oversold}; accounts ${consistent ? "agree" : "DISAGREE"} (held + sold = accepted units = D1 projection)`);
  return { oversold, consistent };
}

