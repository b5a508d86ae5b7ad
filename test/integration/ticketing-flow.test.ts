import { describe, expect, it } from "vitest";
import { api, decodeQrSvg, expectProblem, freshIp, registerAdmin, registerOrganizer, registerUser, eventInput } from "../support/api.ts";

/**
 * The whole ticketing path through the public API: an organizer sets up a
 * paid event, an admin approves it, a fan orders, the box office takes cash,
 * the fan gets a QR that decodes to the signed token.
 */
describe("ticketing through the API", () => {
  it("sells tickets only once the event is approved, then issues scannable QR codes", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const admin = await registerAdmin();
    const fan = await registerUser();

    const type = await api("POST", "/v1/ticket-types", {
      token: organizer.token,
      body: { code: `TRIB-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Tribune", base_price: 5_000, currency: "XOF", default_zone_category: "STANDARD" },
    });
    expect(type.status).toBe(201);
    const event = await api("POST", "/v1/events", { token: organizer.token, body: eventInput({ access_type: "PAID", price: 5_000, ticketing_enabled: true }) });
    expect(event.status).toBe(201);
    const config = await api("POST", `/v1/events/${event.body.id}/ticket-configs`, {
      token: organizer.token,
      body: { ticket_type_id: type.body.id, price: 5_000, quantity_total: 100 },
    });
    expect(config.status).toBe(201);

    // Not on sale while the event is a draft.
    const early = await api("POST", `/v1/events/${event.body.id}/orders`, { token: fan.token, body: { config_id: config.body.id, quantity: 2 }, ip: freshIp() });
    expectProblem(early, 404);

    expect((await api("POST", `/v1/events/${event.body.id}/submit`, { token: organizer.token })).status).toBe(200);
    expect((await api("POST", `/v1/admin/events/${event.body.id}/approve`, { token: admin.token })).status).toBe(200);

    const availability = await api("GET", `/v1/events/${event.body.id}/availability`);
    expect(availability.body.configs[0]).toMatchObject({ id: config.body.id, available: 100, on_sale: true });

    const order = await api("POST", `/v1/events/${event.body.id}/orders`, { token: fan.token, body: { config_id: config.body.id, quantity: 2 }, ip: freshIp() });
    expect(order.status).toBe(201);
    const paid = await api("POST", `/v1/events/${event.body.id}/orders/${order.body.id}/confirm-cash`, { token: organizer.token });
    expect(paid.status).toBe(200);
    expect(paid.body.access_rights).toHaveLength(2);

    const right = paid.body.access_rights[0];
    const token = await api("GET", `/v1/me/access-rights/${right.id}/token`, { token: fan.token });
    expect(token.status).toBe(200);
    const qr = await api("GET", `/v1/me/access-rights/${right.id}/qr`, { token: fan.token });
    expect(qr.headers.get("Content-Type")).toContain("image/svg+xml");
    expect(await decodeQrSvg(qr.body)).toBe(token.body.token);

    // Cancelling the event stops the sale at once.
    expect((await api("POST", `/v1/events/${event.body.id}/cancel`, { token: organizer.token, body: { reason: "storm" } })).status).toBe(200);
    const after = await api("POST", `/v1/events/${event.body.id}/orders`, { token: fan.token, body: { config_id: config.body.id, quantity: 1 }, ip: freshIp() });
    expectProblem(after, 404);
    const live = await api("GET", `/v1/events/${event.body.id}/availability`);
    expect(live.body.configs[0].on_sale).toBe(false);
  });
});
