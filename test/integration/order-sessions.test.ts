import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REVOCATION_FEED_MAX_AGE_MS } from "../../src/auth/revocations.ts";
import { api, expectProblem, freshIp, registerAdmin, registerUser } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { ticketedEvent } from "../support/ticketing.ts";

afterEach(() => {
  vi.useRealTimers();
});

const order = (eventId: string, body: unknown, token?: string, headers?: Record<string, string>) =>
  api("POST", `/v1/events/${eventId}/orders`, { body, token, headers, ip: freshIp() });

describe("orders check the session against the revocation feed", () => {
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

  it("takes the session from the revocation feed on the order route only, at most REVOCATION_FEED_MAX_AGE_MS behind D1", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    expect((await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token)).status).toBe(201);
    // Ended by another isolate: straight in D1, so this isolate only learns of it from D1.
    await env.DB.prepare("UPDATE auth_sessions SET revoked_at = ?, revoked_reason = 'LOGOUT' WHERE id = ?").bind(new Date().toISOString(), fan.sessionId).run();
    // A route that does not declare it reads the session in D1: refused at once, whatever the body.
    expectProblem(await api("PUT", `/v1/events/${fixture.eventId}/participation`, { body: { status: "NOPE" }, token: fan.token }), 401, "session_revoked");
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/orders/${crypto.randomUUID()}`, { token: fan.token }), 401, "session_revoked");
    // The order route, once the feed is read again; still before the body is looked at.
    advanceClock(REVOCATION_FEED_MAX_AGE_MS + 1);
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, fan.token), 401, "session_revoked");
    expectProblem(await order(fixture.eventId, { config_id: "not-a-uuid", quantity: 0 }, fan.token), 401, "session_revoked");
    expect((await api("GET", `/v1/events/${fixture.eventId}/availability`)).body.configs[0].available).toBe(9);
  });

  it("refuses a deactivated account at once, and never takes a token past its session's end", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const admin = await registerAdmin();
    const a = await registerUser();
    expect((await api("PATCH", `/v1/admin/users/${a.id}`, { token: admin.token, body: { is_active: false } })).status).toBe(200);
    expectProblem(await order(fixture.eventId, { config_id: fixture.configId, quantity: 1 }, a.token), 401, "session_revoked");
    // A session ending in 5 s: the access token a refresh gives ends with it.
    const b = await registerUser();
    const ends = new Date(Date.now() + 5_000).toISOString();
    await env.DB.batch([
      env.DB.prepare("UPDATE auth_sessions SET expires_at = ? WHERE id = ?").bind(ends, b.sessionId),
      env.DB.prepare("UPDATE refresh_tokens SET expires_at = ? WHERE session_id = ?").bind(ends, b.sessionId),
    ]);
    const refreshed = await api("POST", "/v1/auth/refresh", { body: { refresh_token: b.refresh } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_in).toBeLessThanOrEqual(5);
    const claims = JSON.parse(atob(refreshed.body.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims.exp).toBeLessThanOrEqual(Math.floor(Date.parse(ends) / 1000));
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
