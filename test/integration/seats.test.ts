import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, registerMember, registerUser } from "../support/api.ts";
import { addConfig, orderRequest, seatZone, ticketedEvent } from "../support/ticketing.ts";

const order = (eventId: string, body: unknown, token: string) => api("POST", `/v1/events/${eventId}/orders`, { body, token, ip: freshIp() });
const seatsOf = (eventId: string, since?: number, headers?: Record<string, string>) => api("GET", `/v1/events/${eventId}/seats${since === undefined ? "" : `?since=${since}`}`, { headers });
const statusOf = async (eventId: string) => Object.fromEntries((await seatsOf(eventId)).body.seats as [string, string][]);

/** An event with an unseated TRIBUNE configuration and a VIP one whose zone has `rows` × `perRow` seats. */
async function seatedEvent(rows = 3, perRow = 10) {
  const fixture = await ticketedEvent({ quantity: 500, price: 5_000 });
  const vip = await addConfig(fixture, { price: 20_000, quantity: 500 });
  const seats = await seatZone(fixture, vip.zoneId, rows, perRow);
  return { fixture, vip, seats };
}

describe("seats of an event, held by its EventDO", () => {
  it("holds the chosen seats with the cart, sells them on confirmation and frees them on cancellation; the delta says so", async () => {
    const { fixture, vip, seats } = await seatedEvent();
    const fan = await registerUser();
    const first = await seatsOf(fixture.eventId);
    expect(first.status).toBe(200);
    expect(first.body.seats).toEqual([]);
    const v0 = first.body.version as number;

    const chosen = [seats[1]![3]!, seats[1]![4]!];
    const cart = await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 1 }, { config_id: vip.configId, quantity: 2, seat_ids: chosen }] }, fan.token);
    expect(cart.status).toBe(201);
    expect(cart.body.lines.map((l: { seat_ids: string[] }) => l.seat_ids)).toEqual([[], chosen]);
    const delta = await seatsOf(fixture.eventId, v0);
    expect(delta.body.seats).toEqual(chosen.map((id) => [id, "HELD"]).sort());
    expect(delta.body.version).toBeGreaterThan(v0);
    // Nothing changed since: the same version answers 304.
    expect((await seatsOf(fixture.eventId, v0, { "If-None-Match": delta.headers.get("ETag")! })).status).toBe(304);

    // The same seat again is refused, and the refusal holds nothing of the cart.
    const again = await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 2 }, { config_id: vip.configId, quantity: 1, seat_ids: [chosen[0]] }] }, fan.token);
    expectProblem(again, 409, "seat_taken");
    expect(again.body.detail).toBe(`lines[1]: Seat ${chosen[0]} is not available.`);
    expect((await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs.find((c: { id: string }) => c.id === fixture.configId).held).toBe(1);

    const confirmed = await fixture.stub.confirmOrder({ order_id: cart.body.id, payment_id: null, confirmed_by: null });
    expect(confirmed.ok && confirmed.rights.map((r) => r.seat_id).filter(Boolean).sort()).toEqual([...chosen].sort());
    expect(await statusOf(fixture.eventId)).toEqual(Object.fromEntries(chosen.map((id) => [id, "SOLD"])));
    await fixture.stub.flushProjection();
    const d1 = await env.DB.prepare("SELECT seat_id FROM access_rights WHERE source_id = ? AND seat_id IS NOT NULL ORDER BY seat_id").bind(cart.body.id).all<{ seat_id: string }>();
    expect(d1.results.map((r) => r.seat_id)).toEqual([...chosen].sort());

    const cancelled = await fixture.stub.cancelForRefund(cart.body.id, "refund", null, false);
    expect(cancelled.ok).toBe(true);
    expect(await statusOf(fixture.eventId)).toEqual({});
  });

  it("picks the best available seats for a line without seats: adjacent in one row, else the nearest", async () => {
    const { fixture, vip, seats } = await seatedEvent(2, 5);
    const [a, b] = await registerUser().then(async (x) => [x, await registerUser()]);
    // Row 1 broken up: seats 2 and 4 taken, so no three adjacent there; row 2 is whole.
    expect((await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 2, seat_ids: [seats[0]![1]!, seats[0]![3]!] }] }, a!.token)).status).toBe(201);
    const best = await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 3 }] }, b!.token);
    expect(best.body.lines[0].seat_ids).toEqual([seats[1]![0], seats[1]![1], seats[1]![2]]);
    // Four left (row 1: 1, 3, 5; row 2: 4, 5), none three adjacent: the nearest to the first free seat.
    const near = await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 3 }] }, a!.token);
    expect(near.status).toBe(201);
    expect(new Set(near.body.lines[0].seat_ids)).toEqual(new Set([seats[0]![0], seats[0]![2], seats[0]![4]]));
    expectProblem(await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 3 }] }, b!.token), 409, "seats_unavailable");
  });

  it("releases an expired cart's seats with the hold-expiry alarm", async () => {
    const { fixture, vip, seats } = await seatedEvent(1, 4);
    const [buyer] = [await registerUser()];
    const held = await fixture.stub.placeOrder({
      ...orderRequest(fixture, buyer.id, 1),
      lines: [{ config_id: fixture.configId, quantity: 1 }, { config_id: vip.configId, quantity: 2, seat_ids: [seats[0]![0]!, seats[0]![1]!] }],
      now: Date.now() - 3_600_000,
    });
    expect(held.ok).toBe(true);
    expect(Object.keys(await statusOf(fixture.eventId))).toHaveLength(0); // reading expires it at once, as any decision does
    const again = await fixture.stub.placeOrder({ ...orderRequest(fixture, buyer.id, 1), lines: [{ config_id: vip.configId, quantity: 2, seat_ids: [seats[0]![0]!, seats[0]![1]!] }], now: Date.now() - 3_600_000 });
    expect(again.ok).toBe(true);
    expect(await runDurableObjectAlarm(fixture.stub)).toBe(true);
    expect(await fixture.stub.getOrder(again.ok ? again.order.id : "")).toMatchObject({ booking_status: "EXPIRED" });
    const snapshot = await fixture.stub.seatAvailability(null);
    expect(snapshot.ok && snapshot.availability.seats).toEqual([]);
  });

  it("refuses bad seats with a problem and holds nothing: another zone's, another event's, a stale or unknown version", async () => {
    const { fixture, vip, seats } = await seatedEvent(1, 4);
    const other = await seatedEvent(1, 2);
    const tribuneSeats = await seatZone(fixture, fixture.zoneId, 1, 2, "T");
    const fan = await registerUser();
    const cart = (seat: string) => ({ lines: [{ config_id: fixture.configId, quantity: 1 }, { config_id: vip.configId, quantity: 1, seat_ids: [seat] }] });
    expectProblem(await order(fixture.eventId, cart(tribuneSeats[0]![0]!), fan.token), 422, "seat_not_in_zone");
    expectProblem(await order(fixture.eventId, cart(other.seats[0]![0]!), fan.token), 422, "seat_not_found");
    expectProblem(await order(fixture.eventId, cart(crypto.randomUUID()), fan.token), 422, "seat_not_found");
    const configs = (await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs as { held: number }[];
    expect(configs.map((c) => c.held)).toEqual([0, 0]);
    const { version } = (await seatsOf(fixture.eventId)).body;
    expectProblem(await seatsOf(fixture.eventId, version + 1), 409, "seat_version_unknown");
    expectProblem(await seatsOf(fixture.eventId, -1), 422, "validation_failed");
    expect(await statusOf(fixture.eventId)).toEqual({});
    expect(seats).toHaveLength(1);
  });

  it("lets the organizer block, kill and release seats; a pass's seat is never sold", async () => {
    const { fixture, vip, seats } = await seatedEvent(1, 4);
    const fan = await registerUser();
    const owner = (await registerMember(fixture.organizationId, "MANAGER")).token;
    const set = (seat_ids: string[], status: string, token: string = owner) => api("POST", `/v1/events/${fixture.eventId}/seats/status`, { token, body: { seat_ids, status } });
    const [s1, s2, s3, s4] = seats[0]!;
    expect((await set([s1!, s2!], "BLOCKED")).body).toMatchObject({ changed: 2 });
    expect((await set([s3!], "KILLED")).status).toBe(200);
    expectProblem(await set([s1!], "BLOCKED", fan.token), 404, "not_found");
    expectProblem(await set([crypto.randomUUID()], "BLOCKED"), 422, "seat_not_found");
    expectProblem(await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 1, seat_ids: [s1] }] }, fan.token), 409, "seat_taken");
    // Best available skips blocked and killed seats.
    const best = await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 1 }] }, fan.token);
    expect(best.body.lines[0].seat_ids).toEqual([s4]);
    expectProblem(await set([s4!], "BLOCKED"), 409, "seat_taken");
    expect((await set([s1!], "AVAILABLE")).status).toBe(200);
    expect(await statusOf(fixture.eventId)).toEqual({ [s2!]: "BLOCKED", [s3!]: "KILLED", [s4!]: "HELD" });

    // A season pass's right with its seat reserves the seat for the match.
    const pass = await fixture.stub.issueRights({ source_type: "SUBSCRIPTION", source_id: crypto.randomUUID(), holders: [{ user_id: fan.id, zone_id: vip.zoneId, seat_id: s1! }], config_id: null, created_by: null });
    expect(pass.ok).toBe(true);
    expect((await statusOf(fixture.eventId))[s1!]).toBe("PASS");
    expectProblem(await order(fixture.eventId, { lines: [{ config_id: vip.configId, quantity: 1, seat_ids: [s1] }] }, fan.token), 409, "seat_taken");
    expectProblem(await set([s1!], "AVAILABLE"), 409, "seat_taken");
  });

  it("serves the venue's geometry once, cacheable, with a 304 for its ETag", async () => {
    const { fixture, seats } = await seatedEvent(2, 3);
    const venue = await env.DB.prepare("SELECT venue_id FROM events WHERE id = ?").bind(fixture.eventId).first<{ venue_id: string }>();
    const map = await api("GET", `/v1/venues/${venue!.venue_id}/seat-map`);
    expect(map.status).toBe(200);
    expect(map.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect(map.body.columns).toEqual(["id", "zone", "section", "row", "number", "x", "y", "rotation", "flags"]);
    expect(map.body.seats).toHaveLength(6);
    expect(map.body.seats[0]).toEqual([seats[0]![0], expect.any(Number), "S", "R1", "1", 0, 0, 0, 0]);
    expect((await api("GET", `/v1/venues/${venue!.venue_id}/seat-map`, { headers: { "If-None-Match": map.headers.get("ETag")! } })).status).toBe(304);
    expectProblem(await api("GET", `/v1/venues/${crypto.randomUUID()}/seat-map`), 404, "not_found");
  });
});
