import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { subscription_plan_event_groups, subscription_plan_zones, subscription_plans } from "../../src/catalog/schema.ts";
import { getDb } from "../../src/db/client.ts";
import { event_groups } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import type { GateBundle } from "../../durable-objects/event/gate-protocol.ts";
import type { Result } from "../../durable-objects/event/contract.ts";
import { api, deliverWebhook, eventually, expectProblem, fakePayments, freshIp, guestOrder, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";
import { giveFixture, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

/** The blacklist beyond the gate: purchases, season passes, transfers, grants and cards. */

type User = Awaited<ReturnType<typeof registerUser>>;

const ban = async (admin: User, body: Record<string, unknown>) => {
  const res = await api("POST", "/v1/blacklist", { token: admin.token, body: { reason: "Violence au stade", severity: "HIGH", ...body } });
  if (res.status !== 201) throw new Error(`ban: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
};
const order = (fixture: TicketingFixture, fan: User, ip = freshIp()) => api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 }, ip });
const held = async (fixture: TicketingFixture) => (await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs[0].held as number;
const email = () => `banned-${crypto.randomUUID().slice(0, 10)}@example.tn`;

describe("purchases", () => {
  it("refuse a banned account, and sell again once the ban is lifted", async () => {
    const [admin, fixture, fan] = [await registerAdmin(), await ticketedEvent({ quantity: 50 }), await registerUser()];
    const entry = await ban(admin, { blacklist_type: "USER", identifier: fan.id, scope: "EVENT", scope_id: fixture.eventId });
    const refused = await order(fixture, fan);
    expectProblem(refused, 403, "blacklisted");
    expect(await held(fixture)).toBe(0);
    expect((await api("PATCH", `/v1/blacklist/${entry.id}`, { token: admin.token, body: { is_active: false } })).status).toBe(200);
    expect((await order(fixture, fan)).status).toBe(201);
  });

  it("refuse a banned IP (the organization's club), signed in or not", async () => {
    const [admin, fixture, fan] = [await registerAdmin(), await ticketedEvent({ quantity: 50 }), await registerUser()];
    const ip = freshIp();
    await ban(admin, { blacklist_type: "IP", identifier: ip, scope: "CLUB", scope_id: fixture.organizationId });
    expectProblem(await order(fixture, fan, ip), 403, "blacklisted");
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email() }, { ip }), 403, "blacklisted");
    expect((await order(fixture, fan)).status).toBe(201);
  });

  it("refuse a guest whose email or phone is banned, though no account had them when the ban was pushed", async () => {
    const [admin, fixture] = [await registerAdmin(), await ticketedEvent({ quantity: 50 })];
    const address = email();
    await ban(admin, { blacklist_type: "EMAIL", identifier: address.toUpperCase(), scope: "EVENT", scope_id: fixture.eventId });
    await ban(admin, { blacklist_type: "PHONE", identifier: "+216 20 123 456", scope: "EVENT", scope_id: fixture.eventId });
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: address }), 403, "blacklisted");
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email(), guest_phone: "+21620123456" }), 403, "blacklisted");
    expect(await held(fixture)).toBe(0);
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email() })).status).toBe(201);
  });

  it("refuse an account that took a banned email after the ban reached the event", async () => {
    const [admin, fixture] = [await registerAdmin(), await ticketedEvent({ quantity: 50 })];
    const address = email();
    await ban(admin, { blacklist_type: "EMAIL", identifier: address, scope: "EVENT", scope_id: fixture.eventId });
    const late = await registerUser({ email: address });
    expectProblem(await order(fixture, late), 403, "blacklisted");
    expect((await order(fixture, await registerUser())).status).toBe(201);
  });

  it("keep EMAIL and PHONE entries out of the gate's offline bundle, which names the accounts they resolve to", async () => {
    const [admin, fixture, fan] = [await registerAdmin(), await ticketedEvent({ quantity: 50 }), await registerUser()];
    await ban(admin, { blacklist_type: "EMAIL", identifier: fan.email, scope: "EVENT", scope_id: fixture.eventId });
    const built = (await fixture.stub.gateBundle(null, null)) as unknown as Result<{ bundle: GateBundle }>;
    if (!built.ok) throw new Error(built.problem.code);
    const bundle = built.bundle;
    expect(bundle.blacklist.map((b) => b.type)).toEqual(["USER"]);
    expect(bundle.blacklist[0]).toMatchObject({ identifier: fan.id });
    expect(JSON.stringify(bundle)).not.toContain(fan.email);
  });
});

describe("season passes", () => {
  async function passPlan() {
    const organizer = await registerOrganizer();
    const groupId = newId();
    const planId = newId();
    const db = getDb(env.DB);
    await db.insert(event_groups).values({ id: groupId, code: `G-${groupId.slice(0, 8)}`, name: "Saison", starts_on: "2020-01-01", ends_on: "2099-12-31", organizer_id: organizer.id, organization_id: organizer.organizationId });
    await db.insert(subscription_plans).values({ id: planId, code: `P-${planId.slice(0, 8)}`, name: "Abonnement", organizer_id: organizer.id, organization_id: organizer.organizationId, type: "FULL_SEASON", price: 450_000, currency: "TND", duration_months: 12, default_zone_category: "STANDARD" });
    await db.insert(subscription_plan_event_groups).values({ subscription_plan_id: planId, event_group_id: groupId, access_level: "FULL" });
    await db.insert(subscription_plan_zones).values({ subscription_plan_id: planId, zone_category: "STANDARD", is_primary: true });
    return { organizer, planId };
  }
  const subscribe = (planId: string, fan: User, ip = freshIp()) => api("POST", `/v1/subscription-plans/${planId}/subscribe`, { token: fan.token, body: {}, ip });

  it("refuse a person the plan's organization (CLUB) or the platform (GLOBAL) banned, by account, email or IP; not a ban of one event", async () => {
    const admin = await registerAdmin();
    const { organizer, planId } = await passPlan();
    const [byAccount, byEmail, byIp, elsewhere] = [await registerUser(), await registerUser(), await registerUser(), await registerUser()];
    const ip = freshIp();
    const otherEvent = await ticketedEvent();
    await ban(admin, { blacklist_type: "USER", identifier: byAccount.id, scope: "GLOBAL" });
    await ban(admin, { blacklist_type: "EMAIL", identifier: byEmail.email, scope: "CLUB", scope_id: organizer.organizationId });
    await ban(admin, { blacklist_type: "IP", identifier: ip, scope: "CLUB", scope_id: organizer.organizationId });
    await ban(admin, { blacklist_type: "USER", identifier: elsewhere.id, scope: "EVENT", scope_id: otherEvent.eventId });
    expectProblem(await subscribe(planId, byAccount), 403, "blacklisted");
    expectProblem(await subscribe(planId, byEmail), 403, "blacklisted");
    expectProblem(await subscribe(planId, byIp, ip), 403, "blacklisted");
    expect((await subscribe(planId, byIp)).status).toBe(201);
    expect((await subscribe(planId, elsewhere)).status).toBe(201);
    const passes = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE subscription_plan_id = ?").bind(planId).first<{ n: number }>();
    expect(passes!.n).toBe(2);
  });
});

describe("transfers", () => {
  async function rightOf(fixture: TicketingFixture, fan: User) {
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, 1, { buyer: { groups: [], age: null, email: fan.email, phone: null } }));
    if (!hold.ok) throw new Error(hold.problem.code);
    const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    if (!confirmed.ok) throw new Error(confirmed.problem.code);
    await fixture.stub.flushProjection();
    return confirmed.rights[0]!.id;
  }
  const transfer = (fixture: TicketingFixture, rightId: string, from: User, body: Record<string, unknown>) =>
    api("POST", `/v1/events/${fixture.eventId}/access-rights/${rightId}/transfers`, { token: from.token, body });

  it("refuse a banned recipient, by account or by address, and leave the right with its holder", async () => {
    const [admin, fixture, sender, banned] = [await registerAdmin(), await ticketedEvent(), await registerUser(), await registerUser()];
    const rightId = await rightOf(fixture, sender);
    const address = email();
    await ban(admin, { blacklist_type: "USER", identifier: banned.id, scope: "EVENT", scope_id: fixture.eventId });
    await ban(admin, { blacklist_type: "EMAIL", identifier: address, scope: "VENUE", scope_id: (await env.DB.prepare("SELECT venue_id FROM events WHERE id = ?").bind(fixture.eventId).first<{ venue_id: string }>())!.venue_id });
    expectProblem(await transfer(fixture, rightId, sender, { type: "DONATION", recipient_user_id: banned.id }), 403, "blacklisted");
    expectProblem(await transfer(fixture, rightId, sender, { type: "DONATION", recipient_email: address }), 403, "blacklisted");
    expect((await fixture.stub.listRights({ user_id: sender.id }))[0]).toMatchObject({ id: rightId, status: "ENABLED" });
  });

  it("refuse an acceptance by a recipient banned since the offer, and keep the offer open", async () => {
    const [admin, fixture, seller, buyer] = [await registerAdmin(), await ticketedEvent(), await registerUser(), await registerUser()];
    const rightId = await rightOf(fixture, seller);
    const offer = await transfer(fixture, rightId, seller, { type: "SALE", recipient_user_id: buyer.id, price: 5_000 });
    expect(offer.status).toBe(201);
    await ban(admin, { blacklist_type: "USER", identifier: buyer.id, scope: "GLOBAL" });
    expectProblem(await api("POST", `/v1/transfers/${offer.body.id}/accept`, { token: buyer.token }), 403, "blacklisted");
    expect((await env.DB.prepare("SELECT status FROM transfers WHERE id = ?").bind(offer.body.id).first<{ status: string }>())!.status).toBe("PENDING");
    expect((await fixture.stub.listRights({ user_id: buyer.id })).length).toBe(0);
  });
});

describe("grants", () => {
  it("refuse a grant naming a banned person, with the holder's index, and issue nothing", async () => {
    const [admin, fixture, ok, banned] = [await registerAdmin(), await ticketedEvent(), await registerUser(), await registerUser()];
    const organizer = await registerOrganizer();
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    await ban(admin, { blacklist_type: "PHONE", identifier: "+2290197654321", scope: "EVENT", scope_id: fixture.eventId });
    await env.DB.prepare("UPDATE users SET phone = '+2290197654321' WHERE id = ?").bind(banned.id).run();
    const res = await api("POST", `/v1/events/${fixture.eventId}/grants`, { token: organizer.token, body: { source_type: "COMP", holders: [{ user_id: ok.id }, { user_id: banned.id }] } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([expect.objectContaining({ path: "holders.1", code: "holder_blacklisted" })]);
    expect((await fixture.stub.listRights({ user_id: ok.id })).length).toBe(0);
    const byAddress = await api("POST", `/v1/events/${fixture.eventId}/grants`, { token: organizer.token, body: { source_type: "COMP", holders: [{ email: email(), phone: "+2290197654321" }] } });
    expect(expectProblem(byAddress, 422, "validation_failed").errors[0].path).toBe("holders.0");
  });
});

describe("cards (Stripe fingerprints)", () => {
  async function payByCard(fixture: TicketingFixture, fan: User, fingerprint: string) {
    const placed = await order(fixture, fan);
    const started = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "TICKET", event_id: fixture.eventId, order_id: placed.body.id }, method: "CARD", provider: "STRIPE" } });
    expect(started.status).toBe(201);
    const { webhook } = await fakePayments<{ webhook: Parameters<typeof deliverWebhook>[0] }>("POST", "/_control/stripe/settle", { reference: started.body.payment.external_reference, status: "PAID", card_fingerprint: fingerprint });
    expect((await deliverWebhook(webhook)).status).toBe(200);
    return { orderId: placed.body.id as string, paymentId: started.body.payment.id as string };
  }

  it("refund a payment by a banned card and issue nothing; another card buys as usual", async () => {
    const [admin, fixture, fan] = [await registerAdmin(), await ticketedEvent({ quantity: 50 }), await registerUser()];
    await ban(admin, { blacklist_type: "CREDIT_CARD", identifier: "Fp7Ab3Cd9Ef1Gh2K", scope: "EVENT", scope_id: fixture.eventId });
    const banned = await payByCard(fixture, fan, "Fp7Ab3Cd9Ef1Gh2K");
    const payment = await eventually(async () => {
      const row = await env.DB.prepare("SELECT status, failure_reason, card_fingerprint FROM payments WHERE id = ?").bind(banned.paymentId).first<Record<string, string>>();
      return row?.status === "REFUNDED" ? row : null;
    }, "the payment refunded");
    expect(payment).toMatchObject({ failure_reason: "card_blacklisted", card_fingerprint: "Fp7Ab3Cd9Ef1Gh2K" });
    expect((await api("GET", `/v1/events/${fixture.eventId}/orders/${banned.orderId}`, { token: fan.token })).body).toMatchObject({ booking_status: "PENDING", access_rights: [] });
    const refund = await env.DB.prepare("SELECT status, description FROM refunds WHERE payment_id = ?").bind(banned.paymentId).first<Record<string, string>>();
    expect(refund).toMatchObject({ status: "REFUNDED", description: "Automatic: card_blacklisted" });

    const fine = await payByCard(fixture, fan, "Zz9Yy8Xx7Ww6Vv5U");
    const confirmed = await eventually(async () => {
      const read = await api("GET", `/v1/events/${fixture.eventId}/orders/${fine.orderId}`, { token: fan.token });
      return read.body.booking_status === "CONFIRMED" ? read.body : null;
    }, "the order confirmed");
    expect(confirmed.access_rights).toHaveLength(1);
    expect((await api("GET", `/v1/payments/${fine.paymentId}`, { token: fan.token })).body).toMatchObject({ status: "PAID", card_fingerprint: "Zz9Yy8Xx7Ww6Vv5U", failure_reason: null });
  });
});
