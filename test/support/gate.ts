import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { signAccessToken } from "../../src/access/signing-keys.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { getDb } from "../../src/db/client.ts";
import { access_point_zones, access_points, events, venue_zones } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, registerUser } from "./api.ts";
import { createUsers, orderRequest, ticketedEvent, type TicketingFixture } from "./ticketing.ts";

export interface GateFixture extends TicketingFixture {
  gateA: string; // opens onto the main zone (tribune_nord)
  gateV: string; // opens onto the visitors' zone only
  exitGate: string; // exit only, onto the main zone
  visitorsZoneId: string;
  controller: { id: string; token: string };
}

/** A ticketed event with gates and zones and a controller assigned, synced to its EventDO. */
export async function gatedEvent(options: Parameters<typeof ticketedEvent>[0] & { zoneCapacity?: number } = {}): Promise<GateFixture> {
  const fixture = await ticketedEvent(options);
  const db = getDb(env.DB);
  const [event] = await db.select({ venue_id: events.venue_id }).from(events).where(eq(events.id, fixture.eventId));
  const venueId = event!.venue_id!;
  if (options.zoneCapacity) await env.DB.prepare("UPDATE venue_zones SET capacity = ? WHERE id = ?").bind(options.zoneCapacity, fixture.zoneId).run();
  const visitorsZoneId = newId();
  await db.insert(venue_zones).values({ id: visitorsZoneId, venue_id: venueId, code: "visiteurs", name: "Visiteurs", category: "VISITORS", capacity: 1_000 });
  const gateA = newId();
  const gateV = newId();
  const exitGate = newId();
  await db.insert(access_points).values([
    { id: gateA, venue_id: venueId, code: "GATE_A", name: "Porte A", direction: "BOTH" },
    { id: gateV, venue_id: venueId, code: "GATE_V", name: "Porte Visiteurs", direction: "ENTRY" },
    { id: exitGate, venue_id: venueId, code: "EXIT_C", name: "Sortie C", direction: "EXIT" },
  ]);
  await db.insert(access_point_zones).values([
    { access_point_id: gateA, zone_id: fixture.zoneId },
    { access_point_id: gateV, zone_id: visitorsZoneId },
    { access_point_id: exitGate, zone_id: fixture.zoneId },
  ]);
  const controller = await registerUser();
  await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'CONTROLLER')").bind(newId(), fixture.eventId, controller.id).run();
  await syncEventInventory(env, fixture.eventId);
  return { ...fixture, gateA, gateV, exitGate, visitorsZoneId, controller };
}

/** Rights for a fresh buyer (confirmed order of `quantity`), with their QR tokens. */
export async function rightsWithTokens(fixture: TicketingFixture, quantity = 1) {
  const [buyer] = await createUsers(1);
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, quantity));
  if (!hold.ok) throw new Error(hold.problem.code);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(confirmed.problem.code);
  const rights = await Promise.all(
    confirmed.rights.map(async (right) => ({ ...right, token: (await signAccessToken(env, { id: right.id, event_id: fixture.eventId })).token })),
  );
  return { buyer: buyer!, rights };
}

let nonce = 0;
/** POSTs one scan as the fixture's controller. */
export function scanHttp(fixture: GateFixture, qr: string, options: { action?: string; method?: string; gate?: string; device?: string; id?: string; token?: string } = {}) {
  nonce += 1;
  return api("POST", `/v1/events/${fixture.eventId}/scans`, {
    token: options.token ?? fixture.controller.token,
    body: {
      id: options.id ?? `n-${nonce}-${newId().slice(0, 8)}`,
      qr,
      action: options.action ?? "ENTRY",
      scan_method: options.method ?? "QR_SCANNER",
      scanned_at: new Date().toISOString(),
      device_id: options.device ?? "SCANNER-A01",
      access_point_id: options.gate ?? fixture.gateA,
    },
  });
}
