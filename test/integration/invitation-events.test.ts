import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventStub } from "../../durable-objects/event/client.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { getDb } from "../../src/db/client.ts";
import { eventOpen } from "../../src/passes/coverage.ts";
import { api, expectProblem, guestOrder, publishEvent, registerAdmin, registerMember, registerOrganizer, registerUser } from "../support/api.ts";
import { createUsers, orderRequest, ticketedEvent } from "../support/ticketing.ts";

/** An approved INVITATION event of a fresh organization, with a ticket configuration (grants may draw from it), and one invitee. */
async function invitationEvent() {
  const [organizer, admin] = await Promise.all([registerOrganizer(), registerAdmin()]);
  const type = await api("POST", "/v1/ticket-types", {
    token: organizer.token,
    body: { code: `GALA-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Gala", base_price: 0, currency: "XOF", default_zone_category: "VIP" },
  });
  expect(type.status, JSON.stringify(type.body)).toBe(201);
  const event = await publishEvent(organizer, admin, { title: "Gala privé", access_type: "INVITATION", ticketing_enabled: true });
  const config = await api("POST", `/v1/events/${event.id}/ticket-configs`, { token: organizer.token, body: { ticket_type_id: type.body.id, price: 0, quantity_total: 50 } });
  expect(config.status, JSON.stringify(config.body)).toBe(201);
  const invitee = await registerUser();
  const grant = await api("POST", `/v1/events/${event.id}/grants`, { token: organizer.token, body: { source_type: "COMP", config_id: config.body.id, holders: [{ user_id: invitee.id }] } });
  expect(grant.status, JSON.stringify(grant.body)).toBe(201);
  return { organizer, admin, eventId: event.id as string, configId: config.body.id as string, invitee, grantId: grant.body.grant_id as string };
}

const listed = async (token: string | undefined, organizationId: string) =>
  ((await api("GET", `/v1/events?organization_id=${organizationId}`, { token })).body.data as { id: string }[]).map((e) => e.id);

describe("events with access type INVITATION", () => {
  it("are read and listed only by invitees, the organization's members, staff and admins; 404 and absent for everyone else", async () => {
    const f = await invitationEvent();
    const [stranger, controller, staff] = [await registerUser(), await registerMember(f.organizer.organizationId, "CONTROLLER"), await registerUser()];
    await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'CONTROLLER')").bind(crypto.randomUUID(), f.eventId, staff.id).run();

    for (const token of [undefined, stranger.token]) {
      expectProblem(await api("GET", `/v1/events/${f.eventId}`, { token }), 404);
      expect(await listed(token, f.organizer.organizationId)).not.toContain(f.eventId);
      expectProblem(await api("GET", `/v1/events/${f.eventId}/availability`, { token }), 404);
    }
    for (const who of [f.invitee, controller, staff, f.organizer, f.admin]) {
      const read = await api("GET", `/v1/events/${f.eventId}`, { token: who.token });
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      expect(read.body.access_type).toBe("INVITATION");
      expect(await listed(who.token, f.organizer.organizationId)).toContain(f.eventId);
    }
    // A full-text search finds it only for those who may see it.
    const search = (token?: string) => api("GET", `/v1/events?q=${encodeURIComponent("Gala privé")}&organization_id=${f.organizer.organizationId}`, { token });
    expect((await search(stranger.token)).body.data).toEqual([]);
    expect((await search(f.invitee.token)).body.data.map((e: { id: string }) => e.id)).toEqual([f.eventId]);
  });

  it("an invitee whose grant is taken back no longer sees it", async () => {
    const f = await invitationEvent();
    const cancelled = await api("POST", `/v1/events/${f.eventId}/grants/${f.grantId}/cancel`, { token: f.organizer.token, body: { reason: "Liste revue" } });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await eventStub(env, f.eventId).flushProjection();
    expectProblem(await api("GET", `/v1/events/${f.eventId}`, { token: f.invitee.token }), 404);
    expect(await listed(f.invitee.token, f.organizer.organizationId)).not.toContain(f.eventId);
  });

  it("are never sold: orders and quotes get 409 invitation_only for those who see it, 404 for others; the EventDO refuses holds itself", async () => {
    const f = await invitationEvent();
    const stranger = await registerUser();
    const order = await api("POST", `/v1/events/${f.eventId}/orders`, { token: f.invitee.token, body: { config_id: f.configId, quantity: 1 } });
    expectProblem(order, 409, "invitation_only");
    expectProblem(await api("POST", `/v1/events/${f.eventId}/orders`, { token: stranger.token, body: { config_id: f.configId, quantity: 1 } }), 404);
    expectProblem(await guestOrder(f.eventId, { config_id: f.configId, quantity: 1, guest_email: `guest-${crypto.randomUUID().slice(0, 8)}@example.bj` }), 404);
    expectProblem(await api("POST", "/v1/pricing-rules/quote", { token: f.invitee.token, body: { event_id: f.eventId, config_id: f.configId, quantity: 1 } }), 409, "invitation_only");
    expectProblem(await api("POST", "/v1/pricing-rules/quote", { token: stranger.token, body: { event_id: f.eventId, config_id: f.configId, quantity: 1 } }), 404);
    // The box office cannot sell it either (same decision), and nothing was held.
    const avail = await api("GET", `/v1/events/${f.eventId}/availability`, { token: f.organizer.token });
    expect(avail.body.configs[0]).toMatchObject({ held: 0, sold: 1, on_sale: false });
  });

  it("nobody says GOING, not even an invitee or its organizer; INTERESTED stays possible for who sees it", async () => {
    const f = await invitationEvent();
    for (const who of [f.invitee, f.organizer]) {
      expectProblem(await api("PUT", `/v1/events/${f.eventId}/participation`, { token: who.token, body: { status: "GOING" } }), 409, "invitation_only");
    }
    const interested = await api("PUT", `/v1/events/${f.eventId}/participation`, { token: f.invitee.token, body: { status: "INTERESTED" } });
    expect(interested.status, JSON.stringify(interested.body)).toBe(200);
    expectProblem(await api("PUT", `/v1/events/${f.eventId}/participation`, { token: (await registerUser()).token, body: { status: "INTERESTED" } }), 404);
    expectProblem(await api("POST", `/v1/events/${f.eventId}/shares`, { token: f.invitee.token, body: { platform: "WHATSAPP" } }), 409, "event_not_shareable");
  });

  it("an event whose tickets were ordered cannot become invitation-only; one with none can, and its EventDO stops selling at once", async () => {
    const [organizer, admin, fan] = [await registerOrganizer(), await registerAdmin(), await registerUser()];
    const type = await api("POST", "/v1/ticket-types", {
      token: organizer.token,
      body: { code: `TRIB-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Tribune", base_price: 1_000, currency: "XOF", default_zone_category: "STANDARD" },
    });
    const sold = await publishEvent(organizer, admin, { access_type: "PAID", price: 1_000, ticketing_enabled: true });
    const config = await api("POST", `/v1/events/${sold.id}/ticket-configs`, { token: organizer.token, body: { ticket_type_id: type.body.id, price: 1_000, quantity_total: 10 } });
    expect((await api("POST", `/v1/events/${sold.id}/orders`, { token: fan.token, body: { config_id: config.body.id, quantity: 1 } })).status).toBe(201);
    await eventStub(env, sold.id).flushProjection();
    expectProblem(await api("PATCH", `/v1/events/${sold.id}`, { token: organizer.token, body: { access_type: "INVITATION", price: 0 } }), 409, "tickets_sold");

    const unsold = await ticketedEvent();
    const [buyer] = await createUsers(1);
    await env.DB.prepare("UPDATE events SET access_type = 'INVITATION', price = 0 WHERE id = ?").bind(unsold.eventId).run();
    await syncEventInventory(env, unsold.eventId);
    expect(await unsold.stub.placeOrder(orderRequest(unsold, buyer!, 1))).toMatchObject({ ok: false, problem: { status: 409, code: "invitation_only" } });
    expect((await unsold.stub.availability()).configs[0]).toMatchObject({ on_sale: false });
  });

  it("no season pass covers it: coverage leaves invitation-only events out", async () => {
    const paid = await ticketedEvent();
    const invitation = await ticketedEvent();
    await env.DB.prepare("UPDATE events SET access_type = 'INVITATION', price = 0 WHERE id = ?").bind(invitation.eventId).run();
    const open = await getDb(env.DB).all<{ id: string }>(sql`SELECT e.id FROM events e WHERE e.id IN (${paid.eventId}, ${invitation.eventId}) AND ${eventOpen(new Date().toISOString())}`);
    expect(open.map((r) => r.id)).toEqual([paid.eventId]);
  });
});
