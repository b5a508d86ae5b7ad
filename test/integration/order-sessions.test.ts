import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, registerUser, setRole } from "../support/api.ts";
import { ticketedEvent } from "../support/ticketing.ts";

const order = (eventId: string, body: unknown, token?: string, headers?: Record<string, string>) =>
  api("POST", `/v1/events/${eventId}/orders`, { body, token, headers, ip: freshIp() });

describe("orders check the session in their own batch", () => {
  it("refuses a logged-out session at once", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    expect((await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token)).status).toBe(201);
    expect((await api("POST", "/v1/auth/logout", { token: fan.token })).status).toBe(204);
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token), 401, "session_revoked");
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token, { "Idempotency-Key": `k-${crypto.randomUUID()}` }), 401, "session_revoked");
    const availability = await api("GET", `/v1/events/${fixture.eventId}/availability`);
    expect(availability.body.configs[0].available).toBe(9);
  });

  it("leaves the lookup to the order route alone, the one that declares it", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    expect((await api("POST", "/v1/auth/logout", { token: fan.token })).status).toBe(204);
    // The order route validates before its own batch checks the session, so a malformed body is a 422 even then (the sign the lookup moved)...
    const malformed = await order(fixture.eventId, { config_id: "not-a-uuid", quantity: 0 }, fan.token);
    expect(malformed.status).toBe(422);
    // ...while a route that does not declare it has the session checked first: 401 whatever the body.
    expectProblem(await api("PUT", `/v1/events/${fixture.eventId}/participation`, { body: { status: "NOPE" }, token: fan.token }), 401, "session_revoked");
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/orders/${crypto.randomUUID()}`, { token: fan.token }), 401, "session_revoked");
  });

  it("refuses a deactivated account and an expired session", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const a = await registerUser();
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?").bind(a.id).run();
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, a.token), 401, "session_revoked");
    const b = await registerUser();
    await env.DB.prepare("UPDATE auth_sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?").bind(b.id).run();
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, b.token), 401, "session_revoked");
  });

  it("a token naming another user's session is refused", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const a = await registerUser();
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, a.token + "x"), 401, "invalid_token");
  });

  it("revoked session on an unknown event is 401, not 404", async () => {
    const fan = await registerUser();
    expect((await api("POST", "/v1/auth/logout", { token: fan.token })).status).toBe(204);
    expectProblem(await order(crypto.randomUUID(), { config_id: crypto.randomUUID(), quantity: 1 }, fan.token), 401, "session_revoked");
  });

  it("promo codes and groups still reach the decision", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1, promo_code: "NOPE" }, fan.token), 422, "validation_failed");
  });
});
