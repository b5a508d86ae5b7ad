import { env } from "cloudflare:workers";
import { inject } from "vitest";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GUEST_HOLD_LIMITS } from "../../durable-objects/event/orders.ts";
import { LIMITS } from "../../src/lib/rate-limit.ts";
import { api, expectProblem, freshIp, guestOrder, registerUser, turnstileToken } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { ticketedEvent } from "../support/ticketing.ts";

/** Anonymous (guest) checkout: who may hold, how much, and what a guest learns. */

const availability = async (eventId: string) => (await api("GET", `/v1/events/${eventId}/availability`)).body.configs[0] as { held: number; available: number; sold: number };
const invented = () => `guest-${crypto.randomUUID().slice(0, 12)}@example.com`;
const turnstile = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${inject("fakeTurnstileUrl")}${path}`, { method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await response.json()) as any;
};

afterEach(() => vi.useRealTimers());

describe("anonymous hoarding", () => {
  it("lets twelve concurrent guest orders from one IP with invented emails hold at most the per-IP cap, not the allocation", async () => {
    const fixture = await ticketedEvent({ quantity: 40 });
    const ip = freshIp();
    const tokens = await Promise.all(Array.from({ length: 12 }, () => turnstileToken()));
    const results = await Promise.all(
      tokens.map((token) => api("POST", `/v1/events/${fixture.eventId}/orders`, { body: { config_id: fixture.configId, quantity: 4, guest_email: invented(), turnstile_token: token }, ip })),
    );
    const held = results.filter((r) => r.status === 201);
    // 4 units fit under the cap of 6; the next order of 4 would pass it.
    expect(held).toHaveLength(1);
    for (const refused of results.filter((r) => r.status !== 201)) expectProblem(refused, 409, "guest_hold_limit");
    expect(await availability(fixture.eventId)).toMatchObject({ held: 4, available: 36 });
    // Up to the cap exactly, then no more.
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 2, guest_email: invented() }, { ip })).status).toBe(201);
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: invented() }, { ip }), 409, "guest_hold_limit");
    expect(GUEST_HOLD_LIMITS.per_ip).toBe(6);
  });

  it("caps one email's live guest holds in an event, whatever the IP", async () => {
    const fixture = await ticketedEvent({ quantity: 40 });
    const email = invented();
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 4, guest_email: email })).status).toBe(201);
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 2, guest_email: email.toUpperCase() })).status).toBe(201);
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email }), 409, "guest_hold_limit");
    expect((await availability(fixture.eventId)).held).toBe(6);
  });

  it("caps what all guests together hold at a quarter of the event's sellable units, under concurrency from many IPs", async () => {
    const fixture = await ticketedEvent({ quantity: 40 });
    const tokens = await Promise.all(Array.from({ length: 12 }, () => turnstileToken()));
    const results = await Promise.all(
      tokens.map((token) => api("POST", `/v1/events/${fixture.eventId}/orders`, { body: { config_id: fixture.configId, quantity: 2, guest_email: invented(), turnstile_token: token }, ip: freshIp() })),
    );
    // 25 % of 40 = 10 units: five orders of two.
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    for (const refused of results.filter((r) => r.status !== 201)) expectProblem(refused, 409, "guest_hold_limit");
    expect((await availability(fixture.eventId)).held).toBe(10);
    // Signed-in buyers are not guests: the rest stays on sale to them.
    const fan = await registerUser();
    const signedIn = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 4 }, ip: freshIp() });
    expect(signedIn.status).toBe(201);
  });

  it("gives the allowance back when guest holds expire", async () => {
    const fixture = await ticketedEvent({ quantity: 40 });
    const ip = freshIp();
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 4, guest_email: invented() }, { ip })).status).toBe(201);
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 4, guest_email: invented() }, { ip }), 409, "guest_hold_limit");
    advanceClock(16 * 60_000);
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 4, guest_email: invented() }, { ip })).status).toBe(201);
    expect((await availability(fixture.eventId)).held).toBe(4);
  });

  it("limits guest orders per IP across events (guest-order-ip), and signed-in buyers not at all", async () => {
    const fixture = await ticketedEvent({ quantity: 40 });
    const ip = freshIp();
    const { limit, windowSeconds } = LIMITS["guest-order-ip"];
    // The IP has used its allowance elsewhere (other events).
    await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`guest-order-ip:${ip}`)).hit(limit, windowSeconds, limit);
    const refused = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: invented() }, { ip });
    expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await availability(fixture.eventId)).held).toBe(0);
    const fan = await registerUser();
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 }, ip })).status).toBe(201);
  });
});

describe("Turnstile on guest checkout", () => {
  it("requires a token without signing in, and holds nothing without one", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const res = await api("POST", `/v1/events/${fixture.eventId}/orders`, { body: { config_id: fixture.configId, quantity: 1, guest_email: invented() }, ip: freshIp() });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([expect.objectContaining({ path: "turnstile_token", code: "turnstile_required" })]);
    expect((await availability(fixture.eventId)).held).toBe(0);
  });

  it("sends Siteverify the secret, the token and the visitor's IP, and refuses a forged, replayed or foreign token", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const ip = freshIp();
    const token = await turnstileToken();
    const body = { config_id: fixture.configId, quantity: 1, guest_email: invented(), turnstile_token: token };
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders`, { body, ip })).status).toBe(201);
    const { requests } = await turnstile("GET", "/_control/requests");
    expect(requests.find((r: Record<string, string>) => r.response === token)).toMatchObject({ secret: env.TURNSTILE_SECRET_KEY, remoteip: ip, idempotency_key: expect.any(String) });

    // The same token again: spent.
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { body: { ...body, guest_email: invented() }, ip }), 403, "turnstile_failed");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { body: { ...body, turnstile_token: "XXXX.DUMMY.TOKEN.XXXX" }, ip }), 403, "turnstile_failed");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { body: { ...body, turnstile_token: "x".repeat(2049) }, ip }), 422, "validation_failed");
    expect((await availability(fixture.eventId)).held).toBe(1);
  });

  it("fails closed with 503 when Siteverify does not answer", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    await turnstile("POST", "/_control/fail", { count: 1, status: 502 });
    const res = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: invented() });
    expectProblem(res, 503, "turnstile_unavailable");
    expect(res.headers.get("Retry-After")).toBe("10");
    expect((await availability(fixture.eventId)).held).toBe(0);
  });

  it("asks nothing of signed-in buyers", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 }, ip: freshIp() })).status).toBe(201);
  });
});

describe("a guest never acts as a registered person", () => {
  it("refuses a guest order in the name of an account with a password: nothing held, no id learnt", async () => {
    const fixture = await ticketedEvent({ quantity: 10, maxPurchase: 2 });
    const fan = await registerUser();
    const res = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 2, guest_email: fan.email.toUpperCase() });
    const problem = expectProblem(res, 409, "sign_in_required");
    expect(JSON.stringify(problem)).not.toContain(fan.id);
    expect((await availability(fixture.eventId)).held).toBe(0);
    // Their own per-person cap is intact.
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 2 }, ip: freshIp() })).status).toBe(201);
  });

  it("refuses an account with a verified email but no password (social sign-in), and a deactivated one", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const social = invented();
    const closed = invented();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO users (id, email, first_name, email_verified_at) VALUES (?, ?, 'Awa', ?)").bind(crypto.randomUUID(), social, new Date().toISOString()),
      env.DB.prepare("INSERT INTO users (id, email, first_name, is_active) VALUES (?, ?, 'Ex', 0)").bind(crypto.randomUUID(), closed),
    ]);
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: social }), 409, "sign_in_required");
    expectProblem(await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: closed }), 409, "sign_in_required");
  });

  it("orders again into the same passwordless guest account", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const email = invented();
    expect((await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email })).status).toBe(201);
    const again = await guestOrder(fixture.eventId, { config_id: fixture.configId, quantity: 1, guest_email: email });
    expect(again.status).toBe(201);
    expect(again.body.user_id).toBeNull();
    const accounts = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE email = ?").bind(email).first<{ n: number }>();
    expect(accounts!.n).toBe(1);
  });

  it("shows no role on public profiles", async () => {
    const organizer = await registerUser();
    await env.DB.prepare("UPDATE users SET role = 'ADMIN' WHERE id = ?").bind(organizer.id).run();
    const profile = await api("GET", `/v1/users/${organizer.id}`);
    expect(profile.status).toBe(200);
    expect(profile.body).not.toHaveProperty("role");
    expect(profile.body).not.toHaveProperty("email");
    const doc = (await api("GET", "/openapi.json")).body;
    expect(doc.components.schemas.PublicUser.properties).not.toHaveProperty("role");
  });
});

describe("wrong promo codes", () => {
  it("share one per-IP limit between quotes, orders and season passes", async () => {
    const fixture = await ticketedEvent({ quantity: 100 });
    const ip = freshIp();
    const { limit, windowSeconds } = LIMITS["promo-ip"];
    // The limiter counts in fixed windows: start this run of guesses just after one opens, with time standing
    // still, so a slow machine never crosses into the next window half-way (and sees the count start over).
    const windowMs = windowSeconds * 1000;
    advanceClock(windowMs - (Date.now() % windowMs) + 1000);
    const fan = await registerUser();
    for (let i = 0; i < limit - 1; i++) {
      const quote = await api("POST", "/v1/pricing-rules/quote", { body: { event_id: fixture.eventId, config_id: fixture.configId, quantity: 1, promo_code: `GUESS${i}` }, ip });
      expectProblem(quote, 422, "validation_failed");
    }
    // The last allowed guess, on the order route: refused as a code, counted.
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1, promo_code: "GUESSLAST" }, ip }), 422, "validation_failed");
    const limited = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1, promo_code: "GUESSMORE" }, ip });
    expectProblem(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    expectProblem(await api("POST", "/v1/pricing-rules/quote", { body: { event_id: fixture.eventId, config_id: fixture.configId, quantity: 1, promo_code: "GUESS" }, ip }), 429, "rate_limited");
    expectProblem(await api("POST", `/v1/subscription-plans/${crypto.randomUUID()}/subscribe`, { token: fan.token, body: { promo_code: "GUESS" }, ip }), 429, "rate_limited");
    // An order without a code is not a guess.
    expect((await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 }, ip })).status).toBe(201);
  });
});
