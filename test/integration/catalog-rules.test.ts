import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { api, expectProblem, registerOrganizer, registerUser } from "../support/api.ts";
import { createUsers, giveFixture, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

const DAY = 86_400_000;

/** Sets ticket type columns and the zone's capacity straight in D1, then pushes the event to its EventDO again. */
async function setRules(fixture: TicketingFixture, rules: { advanceBookingDays?: number | null; shareBp?: number | null; zoneCapacity?: number }) {
  if (rules.advanceBookingDays !== undefined) await env.DB.prepare("UPDATE ticket_types SET advance_booking_days = ? WHERE id = ?").bind(rules.advanceBookingDays, fixture.ticketTypeId).run();
  if (rules.shareBp !== undefined) await env.DB.prepare("UPDATE ticket_types SET capacity_percentage_bp = ? WHERE id = ?").bind(rules.shareBp, fixture.ticketTypeId).run();
  if (rules.zoneCapacity !== undefined) await env.DB.prepare("UPDATE venue_zones SET capacity = ? WHERE id = ?").bind(rules.zoneCapacity, fixture.zoneId).run();
  await syncEventInventory(env, fixture.eventId);
}

const startsAt = async (fixture: TicketingFixture) =>
  Date.parse((await env.DB.prepare("SELECT starts_at FROM events WHERE id = ?").bind(fixture.eventId).first<{ starts_at: string }>())!.starts_at);

describe("ticket types: advance_booking_days", () => {
  it("refuses orders until N days before the event, exactly from the opening instant, and says when sales open", async () => {
    const fixture = await ticketedEvent({ startsInMs: 10 * DAY });
    await setRules(fixture, { advanceBookingDays: 7 });
    const opens = (await startsAt(fixture)) - 7 * DAY;
    const [buyer] = await createUsers(1);

    const early = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1));
    expect(early).toMatchObject({ ok: false, problem: { status: 409, code: "booking_not_open" } });
    if (!early.ok) expect(early.problem.detail).toContain(new Date(opens).toISOString());
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { now: opens - 1 }))).toMatchObject({ ok: false, problem: { code: "booking_not_open" } });
    // Nothing was held by the refusals.
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ held: 0, on_sale: false });

    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2, { now: opens }))).toMatchObject({ ok: true, order: { quantity: 2 } });
    expect((await fixture.stub.availability(opens)).configs[0]).toMatchObject({ held: 2, on_sale: true });
  });

  it("0 days opens sales only at the start; null means no window", async () => {
    const fixture = await ticketedEvent({ startsInMs: 2 * DAY });
    const [buyer] = await createUsers(1);
    await setRules(fixture, { advanceBookingDays: 0 });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1))).toMatchObject({ ok: false, problem: { code: "booking_not_open" } });
    await setRules(fixture, { advanceBookingDays: null });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1))).toMatchObject({ ok: true });
  });

  it("through the API: editing the ticket type reaches the events selling it; orders and quotes get the problem, then sell once lifted", async () => {
    const fixture = await ticketedEvent({ startsInMs: 40 * DAY });
    const organizer = await registerOrganizer();
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    const fan = await registerUser();

    const patched = await api("PATCH", `/v1/ticket-types/${fixture.ticketTypeId}`, { token: organizer.token, body: { advance_booking_days: 30 } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.advance_booking_days).toBe(30);

    const order = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } });
    expectProblem(order, 409, "booking_not_open");
    const quote = await api("POST", "/v1/pricing-rules/quote", { token: fan.token, body: { event_id: fixture.eventId, config_id: fixture.configId, quantity: 1 } });
    expectProblem(quote, 409, "booking_not_open");
    expect(quote.body.detail).toContain("30 day(s)");

    expect((await api("PATCH", `/v1/ticket-types/${fixture.ticketTypeId}`, { token: organizer.token, body: { advance_booking_days: 45 } })).status).toBe(200);
    expect((await api("POST", "/v1/pricing-rules/quote", { token: fan.token, body: { event_id: fixture.eventId, config_id: fixture.configId, quantity: 1 } })).status).toBe(200);
    const placed = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  });

  it("rejects a negative or fractional number of days", async () => {
    const fixture = await ticketedEvent();
    const organizer = await registerOrganizer();
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    for (const days of [-1, 1.5, "7"]) {
      const res = await api("PATCH", `/v1/ticket-types/${fixture.ticketTypeId}`, { token: organizer.token, body: { advance_booking_days: days } });
      expectProblem(res, 422);
      expect(JSON.stringify(res.body.errors)).toContain("advance_booking_days");
    }
  });
});

describe("ticket types: capacity_percentage_bp", () => {
  it("never takes more than its share of the zone: many buyers at once at the share limit, in repeated runs", async () => {
    const buyers = await createUsers(300);
    const quantities = buyers.map((_, i) => (i % 4) + 1);
    for (let run = 0; run < 3; run++) {
      // 40 % of a 250-place zone is 100 units, well under the configuration's 1,000.
      const fixture = await ticketedEvent({ quantity: 1_000 });
      await setRules(fixture, { zoneCapacity: 250, shareBp: 4_000 });
      expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 100 });
      const results = await Promise.all(buyers.map((buyer, i) => fixture.stub.placeOrder(orderRequest(fixture, buyer, quantities[i]!))));
      const placed = results.reduce((sum, r, i) => sum + (r.ok ? quantities[i]! : 0), 0);
      expect(placed).toBe(100);
      for (const r of results) if (!r.ok) expect(r.problem.code).toBe("zone_share_sold_out");
      expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 0, held: 100, on_sale: false });
    }
  });

  it("rounds the share down, gives released units back, and counts grants taken from the configuration", async () => {
    const fixture = await ticketedEvent({ quantity: 1_000 });
    // 33.33 % of 99 places is 32.9967: 32 units.
    await setRules(fixture, { zoneCapacity: 99, shareBp: 3_333 });
    const [a, b] = await createUsers(2);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 32 });
    const held = await fixture.stub.placeOrder(orderRequest(fixture, a!, 4));
    expect(held.ok).toBe(true);
    const granted = await fixture.stub.issueRights({
      source_type: "COMP",
      source_id: crypto.randomUUID(),
      holders: Array.from({ length: 27 }, () => ({ user_id: b!, zone_id: null, seat_id: null })),
      config_id: fixture.configId,
      created_by: null,
    });
    expect(granted.ok).toBe(true);
    // 4 held + 27 given: one left of the share.
    const over = await fixture.stub.placeOrder(orderRequest(fixture, b!, 2));
    expect(over).toMatchObject({ ok: false, problem: { status: 409, code: "zone_share_sold_out" } });
    if (!over.ok) expect(over.problem.detail).toContain("Only 1 left");
    expect(
      await fixture.stub.issueRights({ source_type: "COMP", source_id: crypto.randomUUID(), holders: [{ user_id: b!, zone_id: null, seat_id: null }, { user_id: b!, zone_id: null, seat_id: null }], config_id: fixture.configId, created_by: null }),
    ).toMatchObject({ ok: false, problem: { code: "zone_share_sold_out" } });
    // The hold released: its units are the share's again.
    if (held.ok) expect((await fixture.stub.cancelOrder(held.order.id, "changed my mind", a!)).ok).toBe(true);
    expect(await fixture.stub.placeOrder(orderRequest(fixture, b!, 4))).toMatchObject({ ok: true });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 1 });
  });

  it("refuses a late payment for an expired hold whose units the share no longer has", async () => {
    const fixture = await ticketedEvent({ quantity: 1_000 });
    await setRules(fixture, { zoneCapacity: 10, shareBp: 5_000 });
    const [a, b] = await createUsers(2);
    const now = Date.now();
    const first = await fixture.stub.placeOrder(orderRequest(fixture, a!, 3, { now }));
    expect(first.ok).toBe(true);
    // An hour later the hold has lapsed and someone else took the share.
    expect(await fixture.stub.placeOrder(orderRequest(fixture, b!, 4, { now: now + 3600_000 }))).toMatchObject({ ok: true });
    if (!first.ok) return;
    const late = await fixture.stub.confirmOrder({ order_id: first.order.id, payment_id: null, confirmed_by: null, now: now + 3600_000 });
    expect(late).toMatchObject({ ok: false, problem: { code: "hold_expired_sold_out" } });
  });

  it("a type without a share, or a zone without one, sells its whole configuration", async () => {
    const fixture = await ticketedEvent({ quantity: 5 });
    await setRules(fixture, { zoneCapacity: 2, shareBp: null });
    const [buyer] = await createUsers(1);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 5 });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 4))).toMatchObject({ ok: true });
  });

  it("rejects a share outside 0–10000 basis points", async () => {
    const fixture = await ticketedEvent();
    const organizer = await registerOrganizer();
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    for (const bp of [-1, 10_001, 50.5]) {
      expectProblem(await api("PATCH", `/v1/ticket-types/${fixture.ticketTypeId}`, { token: organizer.token, body: { capacity_percentage_bp: bp } }), 422);
    }
    const ok = await api("PATCH", `/v1/ticket-types/${fixture.ticketTypeId}`, { token: organizer.token, body: { capacity_percentage_bp: 0 } });
    expect(ok.status).toBe(200);
    // 0 %: nothing of this type is sold in its zone.
    const fan = await registerUser();
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } }), 409, "zone_share_sold_out");
  });
});
