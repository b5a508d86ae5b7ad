import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pricing_rules } from "../../src/catalog/schema.ts";
import { getDb } from "../../src/db/client.ts";
import { runInDurableObject } from "cloudflare:test";
import { api, expectProblem, freshIp, guestOrder, registerMember, registerOrganizer, registerUser, waitForMessage } from "../support/api.ts";
import { plainRule } from "../support/pricing.ts";
import { giveFixture, ticketedEvent } from "../support/ticketing.ts";

const order = (eventId: string, body: unknown, token?: string, headers?: Record<string, string>) =>
  api("POST", `/v1/events/${eventId}/orders`, { body, token, headers, ip: freshIp() });
const availabilityOf = async (eventId: string) => (await api("GET", `/v1/events/${eventId}/availability`)).body.configs[0];

/** Makes a registered user the event's gate controller. */
async function assignController(eventId: string, userId: string) {
  await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'CONTROLLER')").bind(crypto.randomUUID(), eventId, userId).run();
}

describe("ordering through the API", () => {
  it("shows live availability", async () => {
    const fixture = await ticketedEvent({ quantity: 10, blocked: 2 });
    const res = await api("GET", `/v1/events/${fixture.eventId}/availability`);
    expect(res.status).toBe(200);
    expect(res.body.configs[0]).toMatchObject({ id: fixture.configId, available: 8, sellable: 8, on_sale: true, price: 5000, currency: "XOF" });
  });

  it("places a hold for a signed-in fan", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const res = await order(fixture.eventId, { config_id: fixture.configId, quantity: 2 }, fan.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ booking_status: "PENDING", quantity: 2, total: 10_000, user_id: fan.id, event_id: fixture.eventId });
    expect(res.headers.get("Location")).toBe(`/v1/events/${fixture.eventId}/orders/${res.body.id}`);
    const read = await api("GET", `/v1/events/${fixture.eventId}/orders/${res.body.id}`, { token: fan.token });
    expect(read.body).toMatchObject({ id: res.body.id, access_rights: [] });
  });

  it("replays a retried order instead of holding twice", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const key = { "Idempotency-Key": `order-${crypto.randomUUID()}` };
    const first = await order(fixture.eventId, { config_id: fixture.configId, quantity: 3 }, fan.token, key);
    const retry = await order(fixture.eventId, { config_id: fixture.configId, quantity: 3 }, fan.token, key);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    const availability = await api("GET", `/v1/events/${fixture.eventId}/availability`);
    expect(availability.body.configs[0].available).toBe(7);
  });

  it("keeps an Idempotency-Key's order in the event: one hold for many copies at once, 422 for another body, separate per buyer and per event", async () => {
    const [fixture, other] = [await ticketedEvent({ quantity: 20 }), await ticketedEvent({ quantity: 20 })];
    const [fan, friend] = [await registerUser(), await registerUser()];
    const key = { "Idempotency-Key": `order-${crypto.randomUUID()}` };
    const body = { config_id: fixture.configId, quantity: 2 };
    const copies = await Promise.all(Array.from({ length: 8 }, () => order(fixture.eventId, body, fan.token, key)));
    expect(copies.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(copies.map((r) => r.body.id)).size).toBe(1);
    expect(copies.filter((r) => r.headers.get("Idempotent-Replayed") === "true")).toHaveLength(7);
    expect((await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs[0]).toMatchObject({ held: 2 });
    const id = copies[0]!.body.id;
    expect((await api("GET", `/v1/events/${fixture.eventId}/orders/${id}`, { token: fan.token })).body).toMatchObject({ id, quantity: 2 });

    expectProblem(await order(fixture.eventId, { ...body, quantity: 3 }, fan.token, key), 422, "idempotency_key_reused");
    const friends = await order(fixture.eventId, body, friend.token, key);
    const elsewhere = await order(other.eventId, { config_id: other.configId, quantity: 2 }, fan.token, key);
    expect([friends.status, elsewhere.status]).toEqual([201, 201]);
    expect(new Set([id, friends.body.id, elsewhere.body.id]).size).toBe(3);
    expect(friends.headers.get("Idempotent-Replayed")).toBeNull();

    // A retry after the hold was released gets the order as it is now; nothing is held again.
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders/${id}/cancel`, { token: fan.token, body: { reason: "changed my mind" } })).status).toBe(200);
    expect((await order(fixture.eventId, body, fan.token, key)).body).toMatchObject({ id, booking_status: "CANCELLED" });
    expect((await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs[0]).toMatchObject({ held: 2 });
    expectProblem(await order(fixture.eventId, body, fan.token, { "Idempotency-Key": "short" }), 422, "validation_failed");
  });

  it("issues free tickets at once, as for a 100 % code: confirmed, rights in hand, nothing to pay", async () => {
    const free = await ticketedEvent({ quantity: 10, price: 0 });
    const fan = await registerUser();
    const placed = await order(free.eventId, { config_id: free.configId, quantity: 2 }, fan.token);
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ total: 0, booking_status: "CONFIRMED", payment_status: "PAID", expires_at: null });
    expect((await api("GET", `/v1/events/${free.eventId}/orders/${placed.body.id}`, { token: fan.token })).body.access_rights).toHaveLength(2);
    const mine = await api("GET", "/v1/me/access-rights", { token: fan.token });
    expect(mine.body.data.filter((r: { order_id: string }) => r.order_id === placed.body.id)).toHaveLength(2);
    expect(await availabilityOf(free.eventId)).toMatchObject({ sold: 2, held: 0 });
    expect((await waitForMessage(fan.id, "TICKETS_READY")).data).toMatchObject({ quantity: "2", ticket_number: placed.body.ticket_number });
    expectProblem(
      await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: free.eventId, order_id: placed.body.id }, method: "MOMO_MTN", phone: "+2290196123456" } }),
      409,
      "already_paid",
    );

    const paid = await ticketedEvent({ quantity: 10 });
    const code = `FREE${crypto.randomUUID().slice(0, 6).toUpperCase()}`;
    await getDb(env.DB)
      .insert(pricing_rules)
      .values({ ...plainRule(), id: crypto.randomUUID(), code: `RULE-${code}`, name: code, promo_code: code, auto_apply: false, organizer_id: null, discount_value: 10_000 });
    const gift = await order(paid.eventId, { config_id: paid.configId, quantity: 1, promo_code: code }, fan.token);
    expect(gift.body).toMatchObject({ gross: 5_000, discount: 5_000, total: 0, booking_status: "CONFIRMED" });
    const full = await order(paid.eventId, { config_id: paid.configId, quantity: 1 }, fan.token);
    expect(full.body).toMatchObject({ total: 5_000, booking_status: "PENDING" });
  });

  it("sells to guests into a passwordless account keyed by their email, without telling them its id", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }), 422, "validation_failed");
    const email = `guest.fan-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const res = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email.replace("guest.fan", "Guest.Fan").toUpperCase(), guest_phone: "+229 01 97 00 00 01" });
    expect(res.status).toBe(201);
    const user = await env.DB.prepare("SELECT id, password_hash FROM users WHERE email = ?").bind(email).first<{ id: string; password_hash: string | null }>();
    expect(res.body).toMatchObject({ user_id: null, is_guest: true, guest_email: email });
    expect(user!.password_hash).toBeNull();
    const stored = await runInDurableObject(fixture.stub, (_, state) => state.storage.sql.exec("SELECT user_id FROM orders WHERE id = ?", res.body.id).one());
    expect(stored.user_id).toBe(user!.id);
  });

  it("answers sold out, bad quantities and unknown configurations with problems", async () => {
    const fixture = await ticketedEvent({ quantity: 2 });
    const fan = await registerUser();
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 3 }, fan.token), 409, "sold_out");
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 0 }, fan.token), 422, "validation_failed");
    expectProblem(await order(fixture.eventId, { config_id: crypto.randomUUID(), quantity: 1 }, fan.token), 404, "config_not_found");
    expectProblem(await order(crypto.randomUUID(), { config_id: fixture.configId, quantity: 1 }, fan.token), 404, "not_found");
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1, price: 1 }, fan.token), 422, "validation_failed");
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1, promo_code: "NOPE" }, fan.token), 422, "validation_failed");
  });

  it("keeps other people's orders out of reach", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const alice = await registerUser();
    const bob = await registerUser();
    const placed = await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, alice.token);
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/orders/${placed.body.id}`, { token: bob.token }), 404, "not_found");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders/${placed.body.id}/cancel`, { token: bob.token, body: { reason: "mine now" } }), 404, "not_found");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders/${placed.body.id}/confirm-cash`, { token: bob.token }), 404, "not_found");
  });

  it("lets the buyer release a hold", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const placed = await order(fixture.eventId, { config_id: fixture.configId, quantity: 4 }, fan.token);
    const res = await api("POST", `/v1/events/${fixture.eventId}/orders/${placed.body.id}/cancel`, { token: fan.token, body: { reason: "wrong match" } });
    expect(res.body).toMatchObject({ booking_status: "CANCELLED", cancellation_reason: "wrong match" });
    expect((await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs[0].available).toBe(10);
  });

  it("confirms a cash order at the box office once, issuing the access rights", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const cashier = await registerMember(fixture.organizationId, "BOX_OFFICE");
    const placed = await order(fixture.eventId, { config_id: fixture.configId, quantity: 2 }, fan.token);
    const [a, b] = await Promise.all([1, 2].map(() => api("POST", `/v1/events/${fixture.eventId}/orders/${placed.body.id}/confirm-cash`, { token: cashier.token })));
    expect(a!.status).toBe(200);
    expect(b!.status).toBe(200);
    expect(a!.body.access_rights).toHaveLength(2);
    expect(b!.body.access_rights.map((r: { id: string }) => r.id).sort()).toEqual(a!.body.access_rights.map((r: { id: string }) => r.id).sort());
    const paid = await env.DB.prepare("SELECT id FROM payments WHERE ticket_id = ? AND status = 'PAID' AND method = 'CASH'").bind(placed.body.id).all<{ id: string }>();
    expect(paid.results).toHaveLength(1);

    await fixture.stub.flushProjection();
    // D1's order names the payment that paid it (the losing attempt's payment was cancelled).
    const ticket = await env.DB.prepare("SELECT payment_id FROM tickets WHERE id = ?").bind(placed.body.id).first<{ payment_id: string | null }>();
    expect(ticket?.payment_id).toBe(paid.results[0]!.id);
    const mine = await api("GET", "/v1/me/access-rights", { token: fan.token });
    expect(mine.body.data).toHaveLength(2);
    expect(mine.body.data[0]).toMatchObject({ event_id: fixture.eventId, status: "ENABLED", source_type: "TICKET", order_id: placed.body.id });
    const orders = await api("GET", "/v1/me/orders", { token: fan.token });
    expect(orders.body.data[0]).toMatchObject({ id: placed.body.id, booking_status: "CONFIRMED", payment_status: "PAID" });
  });

  // Issue 14 (3): any CONTROLLER or SUPERVISOR of the event could confirm any order as cash, with no money taken.
  it("lets only the organization's OWNER and BOX_OFFICE (and admins) confirm cash: gate staff and other roles get 403 and nothing is recorded", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const placed = await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token);
    const confirm = (token: string) => api("POST", `/v1/events/${fixture.eventId}/orders/${placed.body.id}/confirm-cash`, { token });
    const staffController = await registerUser();
    await assignController(fixture.eventId, staffController.id);
    const staffSupervisor = await registerUser();
    await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'SUPERVISOR')").bind(crypto.randomUUID(), fixture.eventId, staffSupervisor.id).run();
    const refused = [staffController, staffSupervisor];
    for (const role of ["MANAGER", "FINANCE", "SUPERVISOR", "CONTROLLER"] as const) refused.push(await registerMember(fixture.organizationId, role));
    for (const person of refused) expect(expectProblem(await confirm(person.token), 403, "forbidden").detail).toContain("cash.confirm");
    const payments = () => env.DB.prepare("SELECT count(*) AS n FROM payments WHERE ticket_id = ?").bind(placed.body.id).first<{ n: number }>();
    expect((await payments())!.n).toBe(0);
    expect((await fixture.stub.getOrder(placed.body.id))!.booking_status).toBe("PENDING");

    const owner = await registerUser();
    await env.DB.prepare("INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, 'OWNER')").bind(crypto.randomUUID(), fixture.organizationId, owner.id).run();
    const confirmed = await confirm(owner.token);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.booking_status).toBe("CONFIRMED");
    expect((await payments())!.n).toBe(1);
  });

  it("does not let a fan confirm their own order as cash", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const placed = await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders/${placed.body.id}/confirm-cash`, { token: fan.token }), 404, "not_found");
  });
});

describe("pricing-rule limits across events", () => {
  /** A platform-wide promo code (10 % off), usable in every event. */
  async function platformCode(limits: { total?: number; perUser?: number }) {
    const id = crypto.randomUUID();
    const code = `ALL${id.slice(0, 8).toUpperCase()}`;
    await getDb(env.DB)
      .insert(pricing_rules)
      .values({ ...plainRule(), id, code: `RULE-${id.slice(0, 8)}`, name: code, promo_code: code, auto_apply: false, organizer_id: null, usage_limit_total: limits.total ?? null, usage_limit_per_user: limits.perUser ?? null });
    return { id, code };
  }
  const usages = (ruleId: string) =>
    env.DB.prepare("SELECT ticket_id, user_id, discount_amount, currency, released_at IS NOT NULL AS released FROM pricing_rule_usages WHERE rule_id = ? ORDER BY used_at, ticket_id").bind(ruleId).all();
  const usageCount = async (ruleId: string) => (await env.DB.prepare("SELECT usage_count FROM pricing_rules WHERE id = ?").bind(ruleId).first<{ usage_count: number }>())!.usage_count;

  it("counts a code's total limit over every event, and a cancelled hold gives its use back", async () => {
    const [home, away] = [await ticketedEvent({ quantity: 10 }), await ticketedEvent({ quantity: 10 })];
    const rule = await platformCode({ total: 2 });
    const [f1, f2, f3] = [await registerUser(), await registerUser(), await registerUser()];
    const first = await order(home.eventId, { config_id: home.configId, quantity: 1, promo_code: rule.code }, f1.token);
    const second = await order(home.eventId, { config_id: home.configId, quantity: 1, promo_code: rule.code }, f2.token);
    expect([first.status, second.status, first.body.discount]).toEqual([201, 201, 500]);
    await home.stub.flushProjection();

    expect((await usages(rule.id)).results).toEqual(
      [first, second].map((o) => ({ ticket_id: o.body.id, user_id: o.body.user_id, discount_amount: 500, currency: "XOF", released: 0 })),
    );
    expect(await usageCount(rule.id)).toBe(2);
    expectProblem(await order(away.eventId, { config_id: away.configId, quantity: 1, promo_code: rule.code }, f3.token), 409, "promo_code_exhausted");

    expect((await api("POST", `/v1/events/${home.eventId}/orders/${first.body.id}/cancel`, { body: { reason: "changed my mind" }, token: f1.token })).status).toBe(200);
    await home.stub.flushProjection();
    expect((await usages(rule.id)).results.map((u) => u.released)).toEqual([1, 0]);
    expect(await usageCount(rule.id)).toBe(1);
    const third = await order(away.eventId, { config_id: away.configId, quantity: 1, promo_code: rule.code }, f3.token);
    expect(third.status).toBe(201);
    await away.stub.flushProjection();
    expect(await usageCount(rule.id)).toBe(2);
  });

  it("counts a code's per-person limit over the buyer's orders in every event", async () => {
    const [home, away] = [await ticketedEvent({ quantity: 10 }), await ticketedEvent({ quantity: 10 })];
    const rule = await platformCode({ perUser: 1 });
    const [fan, other] = [await registerUser(), await registerUser()];
    expect((await order(home.eventId, { config_id: home.configId, quantity: 1, promo_code: rule.code }, fan.token)).status).toBe(201);
    await home.stub.flushProjection();
    expectProblem(await order(away.eventId, { config_id: away.configId, quantity: 1, promo_code: rule.code }, fan.token), 409, "promo_code_exhausted");
    expect((await order(away.eventId, { config_id: away.configId, quantity: 1, promo_code: rule.code }, other.token)).status).toBe(201);
  });
});

describe("what an order reads about its buyer", () => {
  /** A group with these members, straight into D1 (groups have their own tests). */
  async function groupOf(code: string, ...userIds: string[]) {
    const id = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO user_groups (id, code, name) VALUES (?, ?, ?)").bind(id, code, code),
      ...userIds.map((u) => env.DB.prepare("INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?)").bind(id, u)),
    ]);
    return id;
  }
  /** A fan born on `date` (set in D1: registration does not ask for it). */
  async function bornOn(date: string) {
    const fan = await registerUser();
    await env.DB.prepare("UPDATE users SET date_of_birth = ? WHERE id = ?").bind(date, fan.id).run();
    return fan;
  }

  it("sells a members-only config to its group's members only, and to any member during a member-only window", async () => {
    const [member, outsider] = [await registerUser(), await registerUser()];
    const club = await groupOf(`CLUB-${crypto.randomUUID().slice(0, 6)}`, member.id);
    const onlyMembers = await ticketedEvent({ quantity: 10, membership: { required: true, groupId: club } });
    expectProblem(await order(onlyMembers.eventId, { config_id: onlyMembers.configId, quantity: 1 }, outsider.token), 403, "membership_required");
    expect((await order(onlyMembers.eventId, { config_id: onlyMembers.configId, quantity: 2 }, member.token)).status).toBe(201);

    const window = await ticketedEvent({ quantity: 10, membership: { required: false, onlyUntil: new Date(Date.now() + 3_600_000).toISOString() } });
    expectProblem(await order(window.eventId, { config_id: window.configId, quantity: 1 }, outsider.token), 403, "members_only_period");
    expect((await order(window.eventId, { config_id: window.configId, quantity: 1 }, member.token)).status).toBe(201);
    expect((await api("GET", `/v1/events/${window.eventId}/availability`)).body.configs[0]).toMatchObject({ held: 1 });
    expect((await api("GET", `/v1/events/${onlyMembers.eventId}/availability`)).body.configs[0]).toMatchObject({ held: 2 });
  });

  it("prices automatic rules on the buyer from their birth date and groups, and applies rule changes to the next order", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const fixture = await ticketedEvent({ quantity: 50 });
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    const senior = await bornOn("1950-03-01");
    const student = await registerUser();
    await groupOf("ETUDIANTS", student.id);
    const young = await bornOn("2001-03-01");
    const buy = async (fan: { token: string }) => (await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token)).body.total;
    expect(await buy(young)).toBe(5_000);

    const rule = (body: Record<string, unknown>) => api("POST", "/v1/pricing-rules", { token: organizer.token, body: { applies_to: "TICKETS", discount_type: "PERCENTAGE", auto_apply: true, ...body } });
    const seniors = await rule({ code: `SEN-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Seniors", rule_type: "SENIOR", discount_value: 3_000 });
    const students = await rule({ code: `STU-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Étudiants", rule_type: "STUDENT", discount_value: 2_000 });
    expect([seniors.status, students.status]).toEqual([201, 201]);
    expect([await buy(senior), await buy(student), await buy(young)]).toEqual([3_500, 4_000, 5_000]);

    // Taken off: the very next order pays full price.
    expect((await api("PATCH", `/v1/pricing-rules/${seniors.body.id}`, { token: organizer.token, body: { is_active: false } })).status).toBe(200);
    expect(await buy(senior)).toBe(5_000);
  });

  it("tells the gate about the holder (groups, birth date) when the order is confirmed", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await bornOn("1990-06-15");
    const away = await groupOf(`AWAY-${crypto.randomUUID().slice(0, 6)}`, fan.id);
    const cashier = await registerMember(fixture.organizationId, "BOX_OFFICE");
    const hold = await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token);
    expect(hold.status).toBe(201);
    const person = () => runInDurableObject(fixture.stub, (_, state) => state.storage.sql.exec("SELECT birth_date, groups FROM people WHERE user_id = ?", fan.id).toArray()[0]);
    // A plain order reads nothing about its buyer...
    expect(await person()).toBeUndefined();
    // ...the confirmation, which issues the rights the gate checks, does.
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders/${hold.body.id}/confirm-cash`, { token: cashier.token })).status).toBe(200);
    expect(await person()).toEqual({ birth_date: "1990-06-15", groups: JSON.stringify([away]) });
  });
});
