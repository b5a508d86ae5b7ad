import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { pricing_rules } from "../../src/catalog/schema.ts";
import { getDb } from "../../src/db/client.ts";
import type { EventDO } from "../../durable-objects/event/event-do.ts";
import { DRAIN_SCANS, OUTBOX_DELAY_MS } from "../../durable-objects/event/outbox.ts";
import { drainOutbox } from "../../durable-objects/event/projection.ts";
import { EVENT_DO_MIGRATIONS } from "../../durable-objects/event/storage.ts";
import { migrate } from "../../durable-objects/sql-migrations.ts";
import { api } from "../support/api.ts";
import { gatedEvent, rightsWithTokens } from "../support/gate.ts";
import { plainRule } from "../support/pricing.ts";
import { createUsers, orderRequest, ticketedEvent } from "../support/ticketing.ts";

const HOUR = 3600_000;

describe("EventDO inventory", () => {
  it("places a hold that counts against availability", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [buyer] = await createUsers(1);
    const result = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 3));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.order).toMatchObject({ booking_status: "PENDING", quantity: 3, unit_price: 5000, total: 15000, currency: "XOF" });
    const availability = await fixture.stub.availability();
    expect(availability.configs[0]).toMatchObject({ available: 7, held: 3, sold: 0 });
  });

  it("never sells more than total minus blocked: 2,000 concurrent attempts for 1,000 units, in repeated runs", async () => {
    const buyers = await createUsers(2_000);
    const quantities = buyers.map((_, i) => (i % 4) + 1);
    for (let run = 0; run < 3; run++) {
      const fixture = await ticketedEvent({ quantity: 1_100, blocked: 100 });
      const results = await Promise.all(buyers.map((buyer, i) => fixture.stub.placeOrder(orderRequest(fixture, buyer, quantities[i]!))));
      const placed = results.reduce((sum, r, i) => sum + (r.ok ? quantities[i]! : 0), 0);
      expect(placed).toBe(1_000);
      for (const r of results) if (!r.ok) expect(r.problem.code).toBe("sold_out");
      expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 0, held: 1_000 });
    }
  });

  it("decides orders arriving together in one pass; one that throws fails alone and leaves nothing half-written", async () => {
    const fixture = await ticketedEvent({ quantity: 10, maxPurchase: 3 });
    const [a, b, c] = await createUsers(3);
    const first = orderRequest(fixture, a!, 2);
    // The same ticket number twice: the second INSERT breaks its unique index, mid-pass.
    const outcomes = await Promise.allSettled([
      fixture.stub.placeOrder(first),
      fixture.stub.placeOrder({ ...orderRequest(fixture, b!, 3), ticket_number: first.ticket_number }),
      fixture.stub.placeOrder(orderRequest(fixture, c!, 3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(outcomes.map((o) => o.status === "fulfilled" && o.value.ok)).toEqual([true, false, true]);
    // Only the two good holds count: the faulty one's units and its buyer's count were rolled back with it.
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 5, held: 5 });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, b!, 3))).toMatchObject({ ok: true, order: { quantity: 3 } });
  });

  it("refuses outside the sales window and for unapproved events", async () => {
    const [buyer] = await createUsers(1);
    const early = await ticketedEvent({ salesStart: new Date(Date.now() + HOUR).toISOString() });
    expect(await early.stub.placeOrder(orderRequest(early, buyer!, 1))).toMatchObject({ ok: false, problem: { code: "sales_not_started" } });
    const late = await ticketedEvent({ salesEnd: new Date(Date.now() - HOUR).toISOString() });
    expect(await late.stub.placeOrder(orderRequest(late, buyer!, 1))).toMatchObject({ ok: false, problem: { code: "sales_ended" } });
    const draft = await ticketedEvent({ status: "DRAFT" });
    expect(await draft.stub.placeOrder(orderRequest(draft, buyer!, 1))).toMatchObject({ ok: false, problem: { code: "event_not_on_sale" } });
  });

  it("enforces the per-transaction maximum and the per-buyer cap, also under concurrency", async () => {
    const fixture = await ticketedEvent({ maxPurchase: 4, maxPerTransaction: 4 });
    const [buyer] = await createUsers(1);
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 5))).toMatchObject({ ok: false, problem: { code: "above_maximum" } });
    const results = await Promise.all(Array.from({ length: 10 }, () => fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1))));
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    for (const r of results) if (!r.ok) expect(r.problem.code).toBe("purchase_limit");
  });

  it("expires holds on the alarm and gives the units back", async () => {
    const fixture = await ticketedEvent({ quantity: 4 });
    const [a, b] = await createUsers(2);
    const past = Date.now() - 20 * 60_000; // placed 20 minutes ago: its 15-minute hold is over
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, a!, 4, { now: past }));
    if (!hold.ok) throw new Error("hold failed");
    // The alarm (not a later request) expires the hold: D1 only learns through the alarm's projection.
    while (await runDurableObjectAlarm(fixture.stub)) {
      // run what is due
    }
    const ticket = await env.DB.prepare("SELECT booking_status FROM tickets WHERE id = ?").bind(hold.order.id).first<{ booking_status: string }>();
    expect(ticket?.booking_status).toBe("EXPIRED");
    const config = await env.DB.prepare("SELECT quantity_reserved FROM event_ticket_config WHERE id = ?").bind(fixture.configId).first<{ quantity_reserved: number }>();
    expect(config?.quantity_reserved).toBe(0);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 4, held: 0 });
    expect((await fixture.stub.placeOrder(orderRequest(fixture, b!, 4))).ok).toBe(true);
  });

  it("confirms once, issuing one access right per unit", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [buyer] = await createUsers(1);
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 3));
    if (!hold.ok) throw new Error("hold failed");
    const [first, second] = await Promise.all([
      fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null }),
      fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null }),
    ]);
    if (!first.ok || !second.ok) throw new Error("confirm failed");
    expect([first.already_confirmed, second.already_confirmed].sort()).toEqual([false, true]);
    expect(first.rights).toHaveLength(3);
    expect(second.rights.map((r) => r.id)).toEqual(first.rights.map((r) => r.id));
    expect(new Set(first.rights.map((r) => r.qr_code)).size).toBe(3);
    expect(first.rights[0]).toMatchObject({ status: "ENABLED", source_type: "TICKET", zone_id: fixture.zoneId, user_id: buyer });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ sold: 3, held: 0, available: 7 });
  });

  it("confirms a late payment when the units are still there, and refuses when they were sold", async () => {
    const fixture = await ticketedEvent({ quantity: 2 });
    const [a, b] = await createUsers(2);
    const past = Date.now() - 20 * 60_000;
    const late = await fixture.stub.placeOrder(orderRequest(fixture, a!, 2, { now: past }));
    if (!late.ok) throw new Error("hold failed");
    const confirmed = await fixture.stub.confirmOrder({ order_id: late.order.id, payment_id: null, confirmed_by: null });
    expect(confirmed).toMatchObject({ ok: true, order: { booking_status: "CONFIRMED" } });

    const other = await ticketedEvent({ quantity: 2 });
    const expired = await other.stub.placeOrder(orderRequest(other, a!, 2, { now: past }));
    await runDurableObjectAlarm(other.stub);
    expect((await other.stub.placeOrder(orderRequest(other, b!, 2))).ok).toBe(true);
    if (!expired.ok) throw new Error("hold failed");
    expect(await other.stub.confirmOrder({ order_id: expired.order.id, payment_id: null, confirmed_by: null })).toMatchObject({ ok: false, problem: { code: "hold_expired_sold_out" } });
  });

  it("cancels a hold and returns its units; refuses to cancel a confirmed order of a non-cancellable type", async () => {
    const fixture = await ticketedEvent({ quantity: 4 });
    const [buyer] = await createUsers(1);
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 4));
    if (!hold.ok) throw new Error("hold failed");
    expect(await fixture.stub.cancelOrder(hold.order.id, "changed my mind", buyer!)).toMatchObject({ ok: true, order: { booking_status: "CANCELLED" } });
    expect((await fixture.stub.availability()).configs[0]!.available).toBe(4);
    const again = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2));
    if (!again.ok) throw new Error("hold failed");
    await fixture.stub.confirmOrder({ order_id: again.order.id, payment_id: null, confirmed_by: null });
    expect(await fixture.stub.cancelOrder(again.order.id, "x", buyer!)).toMatchObject({ ok: false, problem: { code: "cancellation_not_allowed" } });
  });

  it("loses nothing when evicted in the middle of a flow", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [buyer] = await createUsers(1);
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2));
    if (!hold.ok) throw new Error("hold failed");
    await evictDurableObject(fixture.stub);
    const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    expect(confirmed).toMatchObject({ ok: true, already_confirmed: false });
    await evictDurableObject(fixture.stub);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ sold: 2, available: 8 });
    expect(await fixture.stub.listRights({ order_id: hold.order.id })).toHaveLength(2);
  });

  it("projects orders, rights, their creation log and the counters to D1", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [buyer] = await createUsers(1);
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2));
    if (!hold.ok) throw new Error("hold failed");
    await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    while (await runDurableObjectAlarm(fixture.stub)) {
      // drain until nothing is scheduled
    }
    const ticket = await env.DB.prepare("SELECT booking_status, payment_status, quantity, total_price FROM tickets WHERE id = ?").bind(hold.order.id).first();
    expect(ticket).toMatchObject({ booking_status: "CONFIRMED", payment_status: "PAID", quantity: 2, total_price: 10_000 });
    const rights = await env.DB.prepare("SELECT count(*) AS n FROM access_rights WHERE source_id = ? AND status = 'ENABLED'").bind(hold.order.id).first<{ n: number }>();
    expect(rights!.n).toBe(2);
    const log = await env.DB.prepare("SELECT count(*) AS n FROM access_transactions_log WHERE event_id = ? AND transaction_type = 'CREATE'").bind(fixture.eventId).first<{ n: number }>();
    expect(log!.n).toBe(2);
    const config = await env.DB.prepare("SELECT quantity_sold, quantity_reserved FROM event_ticket_config WHERE id = ?").bind(fixture.configId).first();
    expect(config).toMatchObject({ quantity_sold: 2, quantity_reserved: 0 });
  });
});

describe("EventDO pricing", () => {
  /** A pricing rule stored in D1 (orders reference it), as the Worker passes it to the DO. */
  const rule = async (overrides: Record<string, unknown>) => {
    const row = ruleRow(overrides);
    await getDb(env.DB).insert(pricing_rules).values({ ...row, name: row.code } as typeof pricing_rules.$inferInsert);
    return row;
  };
  const ruleRow = (overrides: Record<string, unknown>) => ({
    id: crypto.randomUUID(),
    code: `RULE-${crypto.randomUUID().slice(0, 8)}`,
    ...plainRule(),
    ...overrides,
  });
  /** What the Worker sends once it has read a buyer with no groups and no birth date. */
  const noFacts = { groups: [], age: null };

  it("prices the specification's group order: 15 at 15.000 TND, 15 % off, 191.250", async () => {
    const fixture = await ticketedEvent({ quantity: 100, price: 15_000, currency: "TND", maxPerTransaction: 20 });
    const [buyer] = await createUsers(1);
    const group = await rule({ rule_type: "GROUP", discount_value: 1_500, conditions: { min_quantity: 10, max_quantity: 50 } });
    const result = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 15, { rules: [group] }));
    expect(result).toMatchObject({ ok: true, order: { gross: 225_000, discount: 33_750, total: 191_250, currency: "TND", applied_rules: [{ id: group.id, amount: 33_750 }] } });
  });

  it("projects every field of an order to D1's tickets, renamed columns and metadata included", async () => {
    const fixture = await ticketedEvent({ quantity: 100, price: 15_000, currency: "TND", maxPerTransaction: 20 });
    const [buyer] = await createUsers(1);
    const group = await rule({ rule_type: "GROUP", discount_value: 1_500, conditions: { min_quantity: 10, max_quantity: 50 } });
    const hold = await fixture.stub.placeOrder(
      orderRequest(fixture, buyer!, 15, { rules: [group], channel: "ONSITE", ip: "196.203.1.2" }),
    );
    // A guest's order (within what guests may hold) projects its guest columns.
    const guest = await fixture.stub.placeOrder(
      orderRequest(fixture, buyer!, 2, { channel: "WEB", is_guest: true, guest_email: "fan@example.tn", guest_phone: "+21620123456", ip: "196.203.1.3" }),
    );
    if (!hold.ok || !guest.ok) throw new Error("hold failed");
    // Not the alarm: with a hold pending it keeps waking for the hold's expiry.
    await fixture.stub.flushProjection();
    const guestRow = await env.DB.prepare("SELECT purchase_channel, purchase_ip, is_guest_purchase, guest_email, guest_phone FROM tickets WHERE id = ?").bind(guest.order.id).first();
    expect(guestRow).toEqual({ purchase_channel: "WEB", purchase_ip: "196.203.1.3", is_guest_purchase: 1, guest_email: "fan@example.tn", guest_phone: "+21620123456" });
    const row = await env.DB.prepare("SELECT * FROM tickets WHERE id = ?").bind(hold.order.id).first<Record<string, unknown>>();
    expect({ ...row, metadata: JSON.parse(String(row!.metadata)) }).toEqual({
      id: hold.order.id,
      ticket_number: hold.order.ticket_number,
      user_id: buyer,
      event_id: fixture.eventId,
      ticket_type_id: fixture.ticketTypeId,
      event_ticket_config_id: fixture.configId,
      quantity: 15,
      unit_price: 15_000,
      total_price: 191_250,
      discount_amount: 33_750,
      currency: "TND",
      pricing_rule_id: group.id,
      payment_id: null,
      payment_status: "PENDING",
      booking_status: "PENDING",
      booking_expires_at: hold.order.expires_at,
      purchase_channel: "ONSITE",
      purchase_ip: "196.203.1.2",
      is_guest_purchase: 0,
      guest_email: null,
      guest_phone: null,
      metadata: {
        applied_rules: hold.order.applied_rules,
        gross: 225_000,
        lines: [{ config_id: fixture.configId, quantity: 15, unit_price: 15_000, gross: 225_000, discount: hold.order.discount, total: hold.order.total, seat_ids: [] }],
      },
      created_at: hold.order.created_at,
      updated_at: hold.order.created_at,
      confirmed_at: null,
      cancelled_at: null,
      cancellation_reason: null,
      projection_version: expect.any(Number),
      // The buyer's name keys, set by D1's triggers (the back office's search).
      buyer_name_key: "buyer",
      buyer_name_key_rev: "buyer",
    });
  });

  it("uses a promo code no more than its total limit, whatever the concurrency", async () => {
    const fixture = await ticketedEvent({ quantity: 1_000 });
    const buyers = await createUsers(20);
    const promo = await rule({ promo_code: "DERBY5", auto_apply: false, usage_limit_total: 5 });
    const results = await Promise.all(buyers.map((b) => fixture.stub.placeOrder(orderRequest(fixture, b, 1, { rules: [promo], promo_code: "DERBY5", buyer: noFacts }))));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    for (const r of results) if (!r.ok) expect(r.problem.code).toBe("promo_code_exhausted");
  });

  it("gives a use back when its hold is released", async () => {
    const fixture = await ticketedEvent({ quantity: 1_000 });
    const [a, b] = await createUsers(2);
    const promo = await rule({ promo_code: "ONCE", auto_apply: false, usage_limit_total: 1 });
    const first = await fixture.stub.placeOrder(orderRequest(fixture, a!, 1, { rules: [promo], promo_code: "ONCE", buyer: noFacts }));
    if (!first.ok) throw new Error("first failed");
    expect(await fixture.stub.placeOrder(orderRequest(fixture, b!, 1, { rules: [promo], promo_code: "ONCE", buyer: noFacts }))).toMatchObject({ ok: false, problem: { code: "promo_code_exhausted" } });
    await fixture.stub.cancelOrder(first.order.id, "released", a!);
    expect((await fixture.stub.placeOrder(orderRequest(fixture, b!, 1, { rules: [promo], promo_code: "ONCE", buyer: noFacts }))).ok).toBe(true);
  });

  it("holds a per-user limit under concurrency", async () => {
    const fixture = await ticketedEvent({ quantity: 1_000 });
    const [buyer] = await createUsers(1);
    const promo = await rule({ promo_code: "FAN1", auto_apply: false, usage_limit_per_user: 1 });
    const results = await Promise.all([1, 2, 3].map(() => fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { rules: [promo], promo_code: "FAN1", buyer: noFacts }))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("asks for the buyer's facts when a rule needs them, holding nothing meanwhile, and prices plain rules without them", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [buyer] = await createUsers(1);
    const needs = [ruleRow({ usage_limit_total: 100 }), ruleRow({ usage_limit_per_user: 2 }), ruleRow({ rule_type: "STUDENT" }), ruleRow({ conditions: { min_age: 18 } }), ruleRow({ conditions: { required_groups: ["VIP"] } })];
    for (const rule of needs) {
      expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { rules: [rule] }))).toMatchObject({ ok: false, problem: { code: "buyer_facts_required" } });
    }
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ held: 0, sold: 0 });
    // The same rule with the facts: a senior (60+) gets the SENIOR rule; a plain rule needs none.
    const senior = await rule({ rule_type: "SENIOR", discount_value: 5_000 });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { rules: [senior], buyer: { groups: [], age: 64, email: null, phone: null } }))).toMatchObject({ ok: true, order: { total: 2_500 } });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { rules: [await rule({})] }))).toMatchObject({ ok: true, order: { total: 4_500 } });
  });

  it("prices by tier of units already committed, crossing a boundary unit by unit", async () => {
    const fixture = await ticketedEvent({ quantity: 10, maxPerTransaction: 10, priceTiers: [{ from: 0, to: 2, price: 1_000 }, { from: 3, to: 9, price: 2_000 }] });
    const [a, b] = await createUsers(2);
    const first = await fixture.stub.placeOrder(orderRequest(fixture, a!, 2));
    expect(first).toMatchObject({ ok: true, order: { total: 2_000 } });
    const second = await fixture.stub.placeOrder(orderRequest(fixture, b!, 3));
    expect(second).toMatchObject({ ok: true, order: { total: 1_000 + 2 * 2_000 } });
  });

  it("shows in availability the price the next unit sells at, and the tiers", async () => {
    // The demo concert's FOSSE: a base price of 15,000 XOF, and 10,000 for the first units.
    const tiers = [{ from: 0, to: 2, price: 10_000, label: "Early" }, { from: 3, to: 4, price: 12_500 }];
    const fixture = await ticketedEvent({ quantity: 10, maxPerTransaction: 10, price: 15_000, priceTiers: tiers });
    const [a, b, c] = await createUsers(3);
    // The public route shows the object's answer (kept at the edge for up to a second, so the
    // changes after each hold are read from the object itself).
    expect((await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs[0]).toMatchObject({ price: 10_000, price_label: "Early", base_price: 15_000, price_tiers: tiers });
    const shown = async () => (await fixture.stub.availability()).configs[0];
    expect(await shown()).toMatchObject({ price: 10_000, price_label: "Early", base_price: 15_000, price_tiers: tiers });
    const first = await fixture.stub.placeOrder(orderRequest(fixture, a!, 3));
    expect(first).toMatchObject({ ok: true, order: { unit_price: 10_000 } });
    expect(await shown()).toMatchObject({ price: 12_500, price_label: null });
    const second = await fixture.stub.placeOrder(orderRequest(fixture, b!, 2));
    expect(second).toMatchObject({ ok: true, order: { unit_price: 12_500 } });
    // Past every tier: the base price, which the next order is charged.
    expect(await shown()).toMatchObject({ price: 15_000, price_label: null });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, c!, 1))).toMatchObject({ ok: true, order: { unit_price: 15_000 } });
    // Without tiers, the base price and no tiers.
    const plain = await ticketedEvent({ quantity: 10, price: 7_000 });
    expect((await plain.stub.availability()).configs[0]).toMatchObject({ price: 7_000, base_price: 7_000, price_tiers: null, price_label: null });
  });
});

describe("EventDO projection", () => {
  it("sets aside a change D1 refuses and still projects the others", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [holder] = await createUsers(1);
    const ghost = crypto.randomUUID(); // no such user in D1: its right breaks the foreign key
    const issued = await fixture.stub.issueRights({ source_type: "COMP", source_id: crypto.randomUUID(), holders: [{ user_id: ghost, zone_id: null, seat_id: null }], config_id: null, created_by: null });
    const good = await fixture.stub.issueRights({ source_type: "COMP", source_id: crypto.randomUUID(), holders: [{ user_id: holder!, zone_id: null, seat_id: null }], config_id: null, created_by: null });
    if (!issued.ok || !good.ok) throw new Error("issue failed");
    await fixture.stub.flushProjection();
    const row = await env.DB.prepare("SELECT status FROM access_rights WHERE id = ?").bind(good.rights[0]!.id).first<{ status: string }>();
    expect(row?.status).toBe("ENABLED");
    const ghostRow = await env.DB.prepare("SELECT count(*) AS n FROM access_rights WHERE id = ?").bind(issued.rights[0]!.id).first<{ n: number }>();
    expect(ghostRow!.n).toBe(0);
    // Later changes keep flowing.
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, holder!, 1));
    if (!hold.ok) throw new Error("hold failed");
    await fixture.stub.flushProjection();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tickets WHERE id = ?").bind(hold.order.id).first<{ n: number }>()).toMatchObject({ n: 1 });
  });
});

/**
 * D1 with its first batch held until `release()`: what a slow D1 round trip
 * does to one drain while another starts. The statements still run on the
 * real D1; only the first batch waits.
 */
function holdFirstBatch(db: D1Database) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let firstSent!: () => void;
  const sent = new Promise<void>((resolve) => (firstSent = resolve));
  const seen = { batches: 0, inFlight: 0, maxInFlight: 0 };
  const held = new Proxy(db, {
    get(target, prop) {
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const first = seen.batches++ === 0;
          if (first) firstSent();
          seen.maxInFlight = Math.max(seen.maxInFlight, ++seen.inFlight);
          try {
            if (first) await gate;
            return await target.batch(statements);
          } finally {
            seen.inFlight--;
          }
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  /** `sent`: the first batch was sent (its drain read what it projects). */
  return { db: held, release, sent, seen };
}

describe("EventDO projection: batches in order", () => {
  it("runs one drain at a time: a flush asked while the alarm's batch is in flight waits for it, and D1 ends with the newest state", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const [buyer] = await createUsers(1);
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2));
    if (!hold.ok) throw new Error(hold.problem.code);
    const seen = await runInDurableObject(fixture.stub, async (instance: EventDO) => {
      const slow = holdFirstBatch(env.DB);
      (instance as unknown as { env: typeof env }).env = { ...env, DB: slow.db };
      const alarm = instance.alarm(); // reads the hold as PENDING; its batch waits
      await slow.sent;
      const released = instance.releaseHold(hold.order.id, "payment failed", Date.now()); // the order changes meanwhile
      if (!released.ok) throw new Error(released.problem.code);
      const flush = instance.flushProjection(); // must not send its batch before the alarm's has landed
      const beforeRelease = slow.seen.batches;
      slow.release();
      await Promise.all([alarm, flush]);
      (instance as unknown as { env: typeof env }).env = env;
      return { beforeRelease, maxInFlight: slow.seen.maxInFlight };
    });
    expect(seen).toEqual({ beforeRelease: 1, maxInFlight: 1 });
    const row = await env.DB.prepare("SELECT booking_status FROM tickets WHERE id = ?").bind(hold.order.id).first<{ booking_status: string }>();
    expect(row?.booking_status).toBe("CANCELLED");
    expect(await env.DB.prepare("SELECT quantity_reserved AS held FROM event_ticket_config WHERE id = ?").bind(fixture.configId).first()).toEqual({ held: 0 });
  });

  it("never lets a batch that lands late put an older state back, nor move the scan cursor back (two drains at once, as across an eviction)", async () => {
    const fixture = await gatedEvent({ startsInMs: HOUR });
    const { rights } = await rightsWithTokens(fixture);
    const who = { controller_id: fixture.controller.id, session_id: "session-1", device_id: "D1", access_point_id: fixture.gateA, ip: null };
    const scanOf = (id: string, action: "ENTRY" | "EXIT") => ({ id, qr: rights[0]!.token, action, scan_method: "QR_SCANNER" as const, scanned_at: new Date().toISOString() });
    await fixture.stub.scan([scanOf("in-1", "ENTRY")], who);
    const outcome = await runInDurableObject(fixture.stub, async (instance: EventDO, state) => {
      const slow = holdFirstBatch(env.DB);
      const older = drainOutbox(state.storage.sql, slow.db, fixture.eventId); // the right inside, the entry
      const exited = await instance.scan([scanOf("out-1", "EXIT")], who);
      if (!exited.ok) throw new Error(exited.problem.code);
      await drainOutbox(state.storage.sql, slow.db, fixture.eventId); // the right outside, both scans: lands first
      slow.release();
      await older;
      const sql = state.storage.sql;
      return {
        cursor: sql.exec("SELECT upto FROM projection_cursors WHERE name = 'scans'").one().upto,
        last: sql.exec("SELECT max(seq) AS seq FROM scans").one().seq,
      };
    });
    expect(outcome.cursor).toBe(outcome.last);
    const right = await env.DB.prepare("SELECT is_inside, entry_count, status FROM access_rights WHERE id = ?").bind(rights[0]!.id).first();
    expect(right).toEqual({ is_inside: 0, entry_count: 1, status: "USED" });
    const logged = await env.DB.prepare("SELECT count(*) AS n FROM access_control_log WHERE event_id = ?").bind(fixture.eventId).first<{ n: number }>();
    expect(logged!.n).toBe(2);
  });
});

describe("EventDO projection: drains kept short", () => {
  // Each test runs inside the object, so that the alarm it sets for now cannot drain behind its back.
  type Fixture = Awaited<ReturnType<typeof gatedEvent>>;
  /** `count` refused presentations (unknown codes, logged all the same), in one pass. */
  const scanUnknown = async (instance: EventDO, fixture: Fixture, prefix: string, count: number) => {
    const who = { controller_id: fixture.controller.id, session_id: "session-1", device_id: "D1", access_point_id: fixture.gateA, ip: null };
    const at = new Date().toISOString();
    const decided = await instance.scan(Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, qr: `UNKNOWN-${prefix}-${i}`, action: "ENTRY" as const, scan_method: "MANUAL_ENTRY" as const, scanned_at: at })), who);
    if (!decided.ok) throw new Error(decided.problem.code);
  };
  const cursor = (sql: SqlStorage) => Number(sql.exec("SELECT upto FROM projection_cursors WHERE name = 'scans'").one().upto);
  const logged = async (eventId: string) => (await env.DB.prepare("SELECT count(*) AS n FROM access_control_log WHERE event_id = ?").bind(eventId).first<{ n: number }>())!.n;

  it("drains at most DRAIN_SCANS scans at a time, the next drain at once while that many still wait, and a flush drains them all", async () => {
    const fixture = await gatedEvent({ startsInMs: HOUR });
    const seen = await runInDurableObject(fixture.stub, async (instance: EventDO, state) => {
      await scanUnknown(instance, fixture, "cap", 2 * DRAIN_SCANS + 10);
      await state.storage.deleteAlarm(); // the test runs the drain itself
      const from = cursor(state.storage.sql);
      await instance.alarm();
      return { drained: cursor(state.storage.sql) - from, alarm: await state.storage.getAlarm(), now: Date.now() };
    });
    expect(seen.drained).toBe(DRAIN_SCANS);
    // DRAIN_SCANS + 10 still wait: the next drain is due now, not OUTBOX_DELAY_MS later.
    expect(seen.alarm).not.toBeNull();
    expect(seen.alarm!).toBeLessThanOrEqual(seen.now);
    await fixture.stub.flushProjection();
    expect(await logged(fixture.eventId)).toBe(2 * DRAIN_SCANS + 10);
  });

  it("sets the drain for now once DRAIN_SCANS scans wait, and waits for the burst below that", async () => {
    const fixture = await gatedEvent({ startsInMs: HOUR });
    const seen = await runInDurableObject(fixture.stub, async (instance: EventDO, state) => {
      await instance.alarm(); // projects the setup, which had set the alarm
      const before = Date.now();
      await scanUnknown(instance, fixture, "few", DRAIN_SCANS - 1);
      const few = (await state.storage.getAlarm())! - before;
      const now = Date.now();
      await scanUnknown(instance, fixture, "one-more", 1);
      return { few, full: (await state.storage.getAlarm())! - now };
    });
    expect(seen.few).toBeGreaterThanOrEqual(OUTBOX_DELAY_MS);
    expect(seen.full).toBeLessThan(OUTBOX_DELAY_MS / 2); // due now (the clock moved on while the pass ran)
  });

  it("after a failed drain, retries in 5 s however many scans arrive meanwhile", async () => {
    const fixture = await gatedEvent({ startsInMs: HOUR });
    const unreachable = () => Promise.reject(new Error("D1 unreachable"));
    const down = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch") return unreachable;
        if (prop === "prepare") return () => ({ bind: () => ({ run: unreachable }) });
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const seen = await runInDurableObject(fixture.stub, async (instance: EventDO, state) => {
      await scanUnknown(instance, fixture, "down", 2 * DRAIN_SCANS);
      await state.storage.deleteAlarm();
      (instance as unknown as { env: typeof env }).env = { ...env, DB: down };
      const now = Date.now();
      await instance.alarm();
      const afterFailure = (await state.storage.getAlarm())! - now;
      await scanUnknown(instance, fixture, "meanwhile", DRAIN_SCANS);
      const afterScans = (await state.storage.getAlarm())! - now;
      (instance as unknown as { env: typeof env }).env = env;
      return { afterFailure, afterScans, drained: cursor(state.storage.sql) };
    });
    expect(seen).toEqual({ afterFailure: 5_000, afterScans: 5_000, drained: 0 });
    await fixture.stub.flushProjection();
    expect(await logged(fixture.eventId)).toBe(3 * DRAIN_SCANS);
  });
});

describe("EventDO storage migrations", () => {
  it("apply a script all or nothing: one that fails part-way leaves none of its statements and is run again whole", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const broken = "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);";
    const after = await runInDurableObject(fixture.stub, (_, state) => {
      let failed = false;
      try {
        migrate(state.storage, [...EVENT_DO_MIGRATIONS, broken]);
      } catch {
        failed = true;
      }
      const sql = state.storage.sql;
      return {
        failed,
        halfDone: sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").one().n,
        applied: sql.exec("SELECT max(version) AS v FROM _migrations").one().v,
      };
    });
    expect(after).toEqual({ failed: true, halfDone: 0, applied: EVENT_DO_MIGRATIONS.length });
    // Fixed, the same script then applies once, whole.
    const fixed = await runInDurableObject(fixture.stub, (_, state) => {
      migrate(state.storage, [...EVENT_DO_MIGRATIONS, "CREATE TABLE half_done (x INTEGER);"]);
      return state.storage.sql.exec("SELECT max(version) AS v FROM _migrations").one().v;
    });
    expect(fixed).toBe(EVENT_DO_MIGRATIONS.length + 1);
  });
});
