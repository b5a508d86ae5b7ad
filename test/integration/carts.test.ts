import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { pricing_rules } from "../../src/catalog/schema.ts";
import { getDb } from "../../src/db/client.ts";
import { api, expectProblem, freshIp, registerUser } from "../support/api.ts";
import { plainRule } from "../support/pricing.ts";
import { addConfig, ticketedEvent } from "../support/ticketing.ts";

const order = (eventId: string, body: unknown, token: string) => api("POST", `/v1/events/${eventId}/orders`, { body, token, ip: freshIp() });
const heldOf = async (eventId: string) =>
  Object.fromEntries(((await api("GET", `/v1/events/${eventId}/availability`)).body.configs as { id: string; held: number; sold: number }[]).map((c) => [c.id, c.held + c.sold]));

/** A promo code worth `bp` basis points off, for orders of at least `minQuantity` units. */
async function groupCode(minQuantity: number, bp = 1_000) {
  const code = `GROUP${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
  await getDb(env.DB)
    .insert(pricing_rules)
    .values({ ...plainRule(), rule_type: "GROUP", id: crypto.randomUUID(), code: `RULE-${code}`, name: code, promo_code: code, auto_apply: false, organizer_id: null, discount_value: bp, conditions: { min_quantity: minQuantity } });
  return code;
}

describe("carts: one order of several lines", () => {
  it("holds two TRIBUNE and one VIP in one order, priced together, and a group code counts the units of every line", async () => {
    const fixture = await ticketedEvent({ quantity: 50, price: 5_000 });
    const vip = await addConfig(fixture, { price: 20_000 });
    const fan = await registerUser();
    const code = await groupCode(3);
    // Two units alone do not make a group of three.
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 2, promo_code: code }, fan.token), 422, "promo_code_not_applicable");
    const cart = await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 2 }, { config_id: vip.configId, quantity: 1 }], promo_code: code }, fan.token);
    expect(cart.status).toBe(201);
    expect(cart.body).toMatchObject({ quantity: 3, gross: 30_000, discount: 3_000, total: 27_000, config_id: fixture.configId, booking_status: "PENDING" });
    expect(cart.body.lines).toEqual([
      { config_id: fixture.configId, ticket_type_id: fixture.ticketTypeId, quantity: 2, unit_price: 5_000, gross: 10_000, discount: 1_000, total: 9_000, seat_ids: [] },
      { config_id: vip.configId, ticket_type_id: vip.ticketTypeId, quantity: 1, unit_price: 20_000, gross: 20_000, discount: 2_000, total: 18_000, seat_ids: [] },
    ]);
    expect(await heldOf(fixture.eventId)).toEqual({ [fixture.configId]: 2, [vip.configId]: 1 });

    // One confirmation: one right per unit, each in its line's configuration and at its price; D1 has the lines.
    const confirmed = await fixture.stub.confirmOrder({ order_id: cart.body.id, payment_id: null, confirmed_by: null });
    expect(confirmed.ok && confirmed.rights.map((r) => `${r.zone_id}:${r.seat_id}`).sort()).toEqual([`${fixture.zoneId}:null`, `${fixture.zoneId}:null`, `${vip.zoneId}:null`].sort());
    await fixture.stub.flushProjection();
    const row = await env.DB.prepare("SELECT quantity, total_price, event_ticket_config_id, metadata FROM tickets WHERE id = ?").bind(cart.body.id).first<{ quantity: number; total_price: number; event_ticket_config_id: string; metadata: string }>();
    expect(row).toMatchObject({ quantity: 3, total_price: 27_000, event_ticket_config_id: fixture.configId });
    expect(JSON.parse(row!.metadata).lines.map((l: { config_id: string; quantity: number }) => [l.config_id, l.quantity])).toEqual([[fixture.configId, 2], [vip.configId, 1]]);
    const d1 = await env.DB.prepare("SELECT config_id, count(*) AS n FROM access_rights WHERE source_id = ? GROUP BY config_id").bind(cart.body.id).all<{ config_id: string; n: number }>();
    expect(Object.fromEntries(d1.results.map((r) => [r.config_id, r.n]))).toEqual({ [fixture.configId]: 2, [vip.configId]: 1 });
  });

  it("holds nothing when one line is refused, and names the line", async () => {
    const fixture = await ticketedEvent({ quantity: 50 });
    const vip = await addConfig(fixture, { quantity: 1 });
    const fan = await registerUser();
    const refused = await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 3 }, { config_id: vip.configId, quantity: 2 }] }, fan.token);
    expectProblem(refused, 409, "sold_out");
    expect(refused.body.detail).toBe("lines[1]: Only 1 left.");
    expect(await heldOf(fixture.eventId)).toEqual({ [fixture.configId]: 0, [vip.configId]: 0 });
  });

  it("counts lines of one configuration together against the per-order and per-person limits", async () => {
    const fixture = await ticketedEvent({ quantity: 50, maxPurchase: 5, maxPerTransaction: 4 });
    const fan = await registerUser();
    const twice = (a: number, b: number) => ({ lines: [{ config_id: fixture.configId, quantity: a }, { config_id: fixture.configId, quantity: b }] });
    expectProblem(await order(fixture.eventId, twice(3, 2), fan.token), 422, "above_maximum");
    expect((await order(fixture.eventId, twice(2, 2), fan.token)).status).toBe(201);
    const over = await order(fixture.eventId, twice(1, 1), fan.token);
    expectProblem(over, 409, "purchase_limit");
    expect(over.body.detail).toContain("you already have 4");
    expect(await heldOf(fixture.eventId)).toEqual({ [fixture.configId]: 4 });
  });

  it("refuses lines of two events, and a seat named twice, holding nothing", async () => {
    const [fixture, other] = [await ticketedEvent({ quantity: 50 }), await ticketedEvent({ quantity: 50 })];
    const fan = await registerUser();
    const mixed = await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 1 }, { config_id: other.configId, quantity: 1 }] }, fan.token);
    expectProblem(mixed, 422, "cart_mixes_events");
    expect(mixed.body.errors).toEqual([{ path: "lines.1.config_id", message: "This ticket configuration belongs to another event.", code: "cart_mixes_events" }]);
    expectProblem(await order(fixture.eventId, { config_id: other.configId, quantity: 1 }, fan.token), 422, "cart_mixes_events");
    // A configuration nobody sells is still not found.
    expectProblem(await order(fixture.eventId, { lines: [{ config_id: crypto.randomUUID(), quantity: 1 }] }, fan.token), 404, "config_not_found");
    const seat = crypto.randomUUID();
    const twice = await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 1, seat_ids: [seat] }, { config_id: fixture.configId, quantity: 1, seat_ids: [seat] }] }, fan.token);
    expectProblem(twice, 422, "validation_failed");
    expect(twice.body.errors.map((e: { path: string }) => e.path)).toEqual(["lines.1.seat_ids.0"]);
    expectProblem(await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 2, seat_ids: [seat] }] }, fan.token), 422, "validation_failed");
    expectProblem(await order(fixture.eventId, { lines: [{ config_id: fixture.configId, quantity: 1 }], config_id: fixture.configId }, fan.token), 422, "validation_failed");
    expectProblem(await order(fixture.eventId, { lines: [] }, fan.token), 422, "validation_failed");
    expect(await heldOf(fixture.eventId)).toEqual({ [fixture.configId]: 0 });
    expect(await heldOf(other.eventId)).toEqual({ [other.configId]: 0 });
  });

  it("releases every line of an expired cart with the hold-expiry alarm, and every line of a cancelled one", async () => {
    const fixture = await ticketedEvent({ quantity: 50 });
    const vip = await addConfig(fixture);
    const fan = await registerUser();
    const lines = [{ config_id: fixture.configId, quantity: 2 }, { config_id: vip.configId, quantity: 2 }];
    const cart = await order(fixture.eventId, { lines }, fan.token);
    expect(cart.status).toBe(201);
    const cancelled = await api("POST", `/v1/events/${fixture.eventId}/orders/${cart.body.id}/cancel`, { token: fan.token, body: { reason: "changed my mind" } });
    expect(cancelled.body.booking_status).toBe("CANCELLED");
    expect(await heldOf(fixture.eventId)).toEqual({ [fixture.configId]: 0, [vip.configId]: 0 });

    const past = Date.now() - 3_600_000;
    const held = await fixture.stub.placeOrder({
      order_id: crypto.randomUUID(), ticket_number: `TKT-C-${crypto.randomUUID().slice(0, 8)}`, lines, user_id: fan.id, buyer: null, promo_code: null, rules: [],
      channel: "MOBILE", is_guest: false, guest_email: null, guest_phone: null, ip: null, now: past,
    });
    expect(held.ok).toBe(true);
    expect(await runDurableObjectAlarm(fixture.stub)).toBe(true);
    const expired = await fixture.stub.getOrder(held.ok ? held.order.id : "");
    expect(expired).toMatchObject({ booking_status: "EXPIRED", quantity: 4 });
    expect(await heldOf(fixture.eventId)).toEqual({ [fixture.configId]: 0, [vip.configId]: 0 });
  });
});
