/**
 * A live event with gates, for `npm run bench:gate` and the gate client's
 * end-to-end tests: seeded straight into the D1 of a running workerd, pushed
 * to its EventDO by the app's own sync (helper Worker `/sync`), with a
 * controller signed in and comp rights issued with their QR tokens
 * (helper Worker `/issue`).
 */
import { randomUUID } from "node:crypto";
import { signJwt } from "../../src/lib/crypto/jwt.ts";

export interface GateSeed {
  eventId: string;
  venueId: string;
  zoneId: string;
  /** Access points opening onto the zone both ways. */
  gates: string[];
  /** An exit-only access point onto the zone. */
  exitGate: string;
  controller: { id: string; token: string };
}

export interface SeededRight {
  id: string;
  qr_code: string;
  user_id: string;
  token: string;
}

const HOUR = 3600_000;

/** The event's doors opened an hour ago; it starts in an hour. */
export async function seedGateEvent(
  db: D1Database,
  helperUrl: URL,
  signingKeys: string,
  options: { gates?: number; capacity?: number } = {},
): Promise<GateSeed> {
  const [organizerId, controllerId, sessionId, venueId, zoneId, eventId, exitGate] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const gates = Array.from({ length: options.gates ?? 1 }, () => randomUUID());
  const startsAt = Date.now() + HOUR;
  const user = db.prepare("INSERT INTO users (id, email, first_name, role) VALUES (?, ?, ?, ?)");
  const point = db.prepare("INSERT INTO access_points (id, venue_id, code, name, direction) VALUES (?, ?, ?, ?, ?)");
  const opens = db.prepare("INSERT INTO access_point_zones (access_point_id, zone_id) VALUES (?, ?)");
  await db.batch([
    user.bind(organizerId, `${organizerId}@bench.test`, "Organizer", "ORGANIZER"),
    user.bind(controllerId, `${controllerId}@bench.test`, "Controller", "USER"),
    db.prepare("INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (?, ?, ?)").bind(sessionId, controllerId, new Date(Date.now() + 24 * HOUR).toISOString()),
    db
      .prepare("INSERT INTO venues (id, name, city, country, timezone, owner_id) VALUES (?, 'Stade de l''Amitié', 'Cotonou', 'BJ', 'Africa/Porto-Novo', ?)")
      .bind(venueId, organizerId),
    db
      .prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, 'tribune_nord', 'Tribune Nord', 'STANDARD', ?)")
      .bind(zoneId, venueId, options.capacity ?? 50_000),
    db
      .prepare(
        `INSERT INTO events (id, title, starts_at, ends_at, doors_open_at, timezone, venue_id, venue_name, organizer_id, created_by, access_type, price, currency, status, ticketing_enabled)
         VALUES (?, 'Derby (gate)', ?, ?, ?, 'Africa/Porto-Novo', ?, 'Stade de l''Amitié', ?, ?, 'PAID', 5000, 'XOF', 'APPROVED', 1)`,
      )
      .bind(eventId, new Date(startsAt).toISOString(), new Date(startsAt + 3 * HOUR).toISOString(), new Date(startsAt - 2 * HOUR).toISOString(), venueId, organizerId, organizerId),
    ...gates.flatMap((id, i) => [point.bind(id, venueId, `LANE_${i + 1}`, `Couloir ${i + 1}`, "BOTH"), opens.bind(id, zoneId)]),
    point.bind(exitGate, venueId, "EXIT_C", "Sortie C", "EXIT"),
    opens.bind(exitGate, zoneId),
    db.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'CONTROLLER')").bind(randomUUID(), eventId, controllerId),
  ]);
  const res = await fetch(new URL(`/sync?event_id=${eventId}`, helperUrl), { method: "POST" });
  if (res.status !== 204) throw new Error(`gate sync failed: ${res.status} ${await res.text()}`);
  const token = await signJwt(signingKeys, { sub: controllerId, sid: sessionId, role: "USER" }, 4 * 3600, "at+jwt");
  return { eventId, venueId, zoneId, gates, exitGate, controller: { id: controllerId, token } };
}

/** `count` comp rights in the seed's zone (holders created in D1, four rights each), with their signed QR tokens. */
export async function issueGateRights(db: D1Database, helperUrl: URL, seed: GateSeed, count: number, perCall = 1_000): Promise<SeededRight[]> {
  const holders = Array.from({ length: Math.ceil(count / 4) }, () => randomUUID());
  const user = db.prepare("INSERT INTO users (id, email, first_name) VALUES (?, ?, 'Fan')");
  for (let i = 0; i < holders.length; i += 500) await db.batch(holders.slice(i, i + 500).map((id) => user.bind(id, `${id}@bench.test`)));
  const rights: SeededRight[] = [];
  for (let start = 0; start < count; start += perCall) {
    const size = Math.min(perCall, count - start);
    const res = await fetch(new URL(`/issue?event_id=${seed.eventId}`, helperUrl), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ holders: Array.from({ length: size }, (_, i) => ({ user_id: holders[Math.floor((start + i) / 4)]!, zone_id: seed.zoneId })) }),
    });
    if (res.status !== 201) throw new Error(`issuing rights failed: ${res.status} ${await res.text()}`);
    rights.push(...((await res.json()) as SeededRight[]));
  }
  return rights;
}

/** Names the person a seeded right admits, as its holder would (the gate shows the name with the scan result). */
export async function nameAttendee(helperUrl: URL, seed: GateSeed, right: SeededRight, name: string): Promise<void> {
  const res = await fetch(new URL(`/attendee?event_id=${seed.eventId}`, helperUrl), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ right_id: right.id, user_id: right.user_id, name }),
  });
  if (res.status !== 200) throw new Error(`naming the attendee failed: ${res.status} ${await res.text()}`);
}

/** Projects the EventDO's pending changes (scans included) to D1. */
export async function flushProjection(helperUrl: URL, eventId: string): Promise<void> {
  const res = await fetch(new URL(`/flush?event_id=${eventId}`, helperUrl), { method: "POST" });
  if (res.status !== 204) throw new Error(`flush failed: ${res.status} ${await res.text()}`);
}
