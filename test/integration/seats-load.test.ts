import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, freshIp, registerUser } from "../support/api.ts";
import { addConfig, createUsers, orderRequest, seatZone, ticketedEvent } from "../support/ticketing.ts";

/** Bytes of a body gzipped, as a client fetching it with Accept-Encoding: gzip receives it. */
async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

describe("seats under load", () => {
  it("1,000 buyers fighting over the same 100 seats in carts with another line: no seat sold twice, every cart all or none, the EventDO and D1 agree", async () => {
    const fixture = await ticketedEvent({ quantity: 5_000, price: 5_000, maxPerTransaction: 4 });
    const vip = await addConfig(fixture, { price: 20_000, quantity: 1_000 });
    const seats = (await seatZone(fixture, vip.zoneId, 10, 10)).flat();
    const buyers = await createUsers(1_000);
    // Each buyer wants one TRIBUNE ticket and two seats side by side, picked at random: many carts collide.
    const carts = buyers.map((buyer) => {
      const at = Math.floor(Math.random() * 99);
      return { ...orderRequest(fixture, buyer, 1), lines: [{ config_id: fixture.configId, quantity: 1 }, { config_id: vip.configId, quantity: 2, seat_ids: [seats[at]!, seats[at + 1]!] }] };
    });
    const results = await Promise.all(carts.map((cart) => fixture.stub.placeOrder(cart)));
    const held = results.flatMap((r) => (r.ok ? [r.order] : []));
    const refused = results.flatMap((r) => (r.ok ? [] : [r.problem.code]));
    expect(held.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(["seat_taken"]));
    expect(held.length + refused.length).toBe(1_000);
    const heldSeats = held.flatMap((o) => o.lines.flatMap((l) => l.seat_ids));
    expect(new Set(heldSeats).size).toBe(heldSeats.length);
    expect(held.every((o) => o.lines.length === 2 && o.lines[0]!.quantity === 1 && o.lines[1]!.seat_ids.length === 2)).toBe(true);

    // Everyone who got a hold pays; the refused hold nothing of either line.
    await Promise.all(held.map((o) => fixture.stub.confirmOrder({ order_id: o.id, payment_id: null, confirmed_by: null })));
    const live = await fixture.stub.availability();
    const tribune = live.configs.find((c) => c.id === fixture.configId)!;
    const vipLive = live.configs.find((c) => c.id === vip.configId)!;
    expect({ tribune: [tribune.held, tribune.sold], vip: [vipLive.held, vipLive.sold] }).toEqual({ tribune: [0, held.length], vip: [0, 2 * held.length] });
    const snapshot = await fixture.stub.seatAvailability(null);
    expect(snapshot.ok && snapshot.availability.seats.length).toBe(2 * held.length);
    expect(snapshot.ok && snapshot.availability.seats.every(([, status]) => status === "SOLD")).toBe(true);

    await fixture.stub.flushProjection();
    const d1Configs = await env.DB.prepare("SELECT id, quantity_sold FROM event_ticket_config WHERE event_id = ?").bind(fixture.eventId).all<{ id: string; quantity_sold: number }>();
    expect(Object.fromEntries(d1Configs.results.map((c) => [c.id, c.quantity_sold]))).toEqual({ [fixture.configId]: held.length, [vip.configId]: 2 * held.length });
    const rights = await env.DB.prepare("SELECT count(*) AS n, count(DISTINCT seat_id) AS seats, count(seat_id) AS seated FROM access_rights WHERE event_id = ?").bind(fixture.eventId).first<{ n: number; seats: number; seated: number }>();
    expect(rights).toEqual({ n: 3 * held.length, seats: 2 * held.length, seated: 2 * held.length });
    const perOrder = await env.DB.prepare("SELECT count(*) AS orders, sum(quantity) AS units FROM tickets WHERE event_id = ? AND booking_status = 'CONFIRMED'").bind(fixture.eventId).first<{ orders: number; units: number }>();
    expect(perOrder).toEqual({ orders: held.length, units: 3 * held.length });
    console.log(`1,000 carts over 100 seats: ${held.length} held and sold (${2 * held.length} seats), ${refused.length} refused (seat_taken), nothing sold twice`);
  });

  it("prints the sizes of a 60,000-seat stadium's geometry document and of an availability delta", async () => {
    const fixture = await ticketedEvent({ quantity: 5_000, price: 5_000 });
    const vip = await addConfig(fixture, { price: 20_000, quantity: 60_000 });
    // Six stands of 100 rows × 100 seats: one seated zone per stand, the first sold as VIP.
    await seatZone(fixture, vip.zoneId, 100, 100, "A");
    for (const section of ["B", "C", "D", "E", "F"]) {
      const zone = crypto.randomUUID();
      await env.DB.prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) SELECT ?, venue_id, ?, ?, 'STANDARD', 10000 FROM events WHERE id = ?")
        .bind(zone, `stand_${section}_${zone.slice(0, 4)}`, `Stand ${section}`, fixture.eventId)
        .run();
      await seatZone(fixture, zone, 100, 100, section);
    }
    const venue = await env.DB.prepare("SELECT venue_id FROM events WHERE id = ?").bind(fixture.eventId).first<{ venue_id: string }>();
    const map = await api("GET", `/v1/venues/${venue!.venue_id}/seat-map`);
    expect(map.body.seats).toHaveLength(60_000);
    const mapText = JSON.stringify(map.body);
    const first = await api("GET", `/v1/events/${fixture.eventId}/seats`);
    expect(first.body.seats).toEqual([]);
    const fan = await registerUser();
    const cart = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, ip: freshIp(), body: { lines: [{ config_id: fixture.configId, quantity: 1 }, { config_id: vip.configId, quantity: 4 }] } });
    expect(cart.status).toBe(201);
    const delta = await api("GET", `/v1/events/${fixture.eventId}/seats?since=${first.body.version}`);
    expect(delta.body.seats).toHaveLength(4);
    const deltaText = JSON.stringify(delta.body);
    const storageBytes = await runInDurableObject(fixture.stub, (_instance, state) => state.storage.sql.databaseSize);
    console.log(
      `60,000-seat stadium: geometry document ${mapText.length} bytes (${await gzipSize(mapText)} gzipped), availability delta after one cart of 4 seats ${deltaText.length} bytes, ` +
        `EventDO SQLite ${storageBytes} bytes (seats live there, not in the object's memory)`,
    );
    expect(deltaText.length).toBeLessThan(1_000);
  });
});
