import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import type { Env } from "../../src/env.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { AVAILABILITY_STALE_MS, forgetAvailability, publicAvailability, REFRESH_AFTER_MS } from "../../src/onsale/availability-cache.ts";
import { withAvailabilityFront } from "../../src/onsale/availability-front.ts";
import { api, freshIp, registerAdmin, registerMember, registerUser } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { ticketedEvent } from "../support/ticketing.ts";

const read = (eventId: string, headers?: Record<string, string>, token?: string) => api("GET", `/v1/events/${eventId}/availability`, { headers, token });
const cacheKey = (eventId: string) => new Request(`https://api.test/v1/events/${eventId}/availability`);
const order = (eventId: string, configId: string, token: string, quantity: number) =>
  api("POST", `/v1/events/${eventId}/orders`, { body: { config_id: configId, quantity }, token, ip: freshIp() });

afterEach(() => vi.useRealTimers());

async function storedEntry(eventId: string): Promise<Response> {
  for (let i = 0; i < 200; i++) {
    const hit = await caches.default.match(cacheKey(eventId));
    if (hit) return hit;
    await scheduler.wait(10);
  }
  throw new Error("the availability was never stored in the Cache API");
}

describe("availability at the edge", () => {
  it("answers reads from the cache without the EventDO, for at most the stated staleness, then shows the hold", async () => {
    vi.setSystemTime(Date.now());
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const first = await read(fixture.eventId);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(first.headers.get("Cache-Control")).toBe("public, max-age=1");
    expect(first.body.configs[0]).toMatchObject({ available: 10, held: 0 });

    expect((await order(fixture.eventId, fixture.configId, fan.token, 3)).status).toBe(201);
    // The EventDO now holds 3; a read before the answer is due for a refresh is the kept answer, not the EventDO's.
    advanceClock(REFRESH_AFTER_MS - 1);
    const cached = await read(fixture.eventId);
    expect(cached.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(cached.body.configs[0]).toMatchObject({ available: 10, held: 0 });
    expect(cached.headers.get("ETag")).toBe(first.headers.get("ETag"));

    // With no read in between to refresh it, at the staleness bound the answer is too old: the EventDO is asked again, and the hold shows.
    advanceClock(AVAILABILITY_STALE_MS - REFRESH_AFTER_MS + 1);
    const after = await read(fixture.eventId);
    expect(after.headers.get("X-Cache")).toBe("MISS");
    expect(after.body.configs[0]).toMatchObject({ available: 7, held: 3 });
    expect(after.headers.get("ETag")).not.toBe(first.headers.get("ETag"));
    expect(after.headers.get("Age")).toBe("0");
  });

  it("stores public answers in the Cache API and serves another isolate's entry only while it is fresh", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    await read(fixture.eventId);
    // The Worker stores it after answering (waitUntil): wait for it to be there.
    const stored = await storedEntry(fixture.eventId);
    expect(((await stored.json()) as { configs: { available: number }[] }).configs[0]!.available).toBe(10);

    // An entry another isolate put (this isolate has never read the event): served while fresh, by its as-of time.
    const other = await ticketedEvent({ quantity: 5 });
    const planted = (asOf: number, available: number) =>
      caches.default.put(
        cacheKey(other.eventId),
        new Response(JSON.stringify({ event_id: other.eventId, access_type: "PAID", status: "APPROVED", configs: [{ id: other.configId, available }] }), {
          headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=60", ETag: '"planted"', "X-Availability-As-Of": String(asOf) },
        }),
      );
    await planted(Date.now() - AVAILABILITY_STALE_MS, 4);
    const stale = await read(other.eventId);
    expect(stale.headers.get("X-Cache")).toBe("MISS");
    expect(stale.body.configs[0].available).toBe(5);

    const third = await ticketedEvent({ quantity: 5 });
    await caches.default.put(
      cacheKey(third.eventId),
      new Response(JSON.stringify({ event_id: third.eventId, access_type: "PAID", status: "APPROVED", configs: [{ id: third.configId, available: 2 }] }), {
        headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=60", ETag: '"planted"', "X-Availability-As-Of": String(Date.now() - 10) },
      }),
    );
    const hit = await read(third.eventId);
    expect(hit.headers.get("X-Cache")).toBe("HIT-CACHE");
    expect(hit.body.configs[0].available).toBe(2);
    expect(hit.headers.get("ETag")).toBe('"planted"');
  });

  it("answers 304 to a client holding the current version", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const first = await read(fixture.eventId);
    const again = await read(fixture.eventId, { "If-None-Match": first.headers.get("ETag")! });
    expect(again.status).toBe(304);
    expect((await read(fixture.eventId, { "If-None-Match": '"other"' })).status).toBe(200);
  });

  it("never caches an INVITATION event's availability: every read asks the EventDO and checks the reader", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    await env.DB.prepare("UPDATE events SET access_type = 'INVITATION', price = 0 WHERE id = ?").bind(fixture.eventId).run();
    await syncEventInventory(env, fixture.eventId);
    const stranger = await registerUser();
    const first = await read(fixture.eventId, undefined, stranger.token);
    expect(first.status).toBe(404);
    const second = await read(fixture.eventId, undefined, stranger.token);
    expect(second.status).toBe(404);
    expect(await caches.default.match(cacheKey(fixture.eventId))).toBeUndefined();
  });

  it("never shows an unpublished event's availability to anyone outside it, nor caches it; its organization still reads it", async () => {
    for (const status of ["DRAFT", "PENDING_REVIEW", "REJECTED"] as const) {
      // Configurations made while the event is a draft reach its EventDO (src/catalog/configurations.ts): it knows the event.
      const fixture = await ticketedEvent({ quantity: 10, status: "DRAFT" });
      await env.DB.prepare("UPDATE events SET status = ? WHERE id = ?").bind(status, fixture.eventId).run();
      await syncEventInventory(env, fixture.eventId);
      const stranger = await registerUser();
      expect((await read(fixture.eventId)).status).toBe(404);
      expect((await read(fixture.eventId, undefined, stranger.token)).status).toBe(404);
      expect((await api("GET", `/v1/events/${fixture.eventId}/availability?presale_code=ANYCODE1`, { token: stranger.token, ip: freshIp() })).status).toBe(422);
      expect(await caches.default.match(cacheKey(fixture.eventId))).toBeUndefined();
      const member = await registerMember(fixture.organizationId, "MANAGER");
      const own = await read(fixture.eventId, undefined, member.token);
      expect([own.status, own.body.status, own.headers.get("Cache-Control")]).toEqual([200, status, "no-store"]);
      expect(own.body.configs[0]).toMatchObject({ id: fixture.configId, on_sale: false });
    }
  });

  it("answers 404 for an event the EventDO does not know, and caches nothing for it", async () => {
    const id = crypto.randomUUID();
    expect((await read(id)).status).toBe(404);
    expect(await caches.default.match(cacheKey(id))).toBeUndefined();
  });
});

/**
 * The front (src/onsale/availability-front.ts) around the full app, counting
 * the requests that reach the app: what it answers itself reaches nothing.
 */
function frontOfApp() {
  const app = createApp();
  const reached: string[] = [];
  const call = async (fetcher: (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>, request: Request) => {
    const ctx = createExecutionContext();
    const response = await fetcher(request, env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
  const front = withAvailabilityFront((request, workerEnv, ctx) => {
    reached.push(request.url);
    return app.fetch(request, workerEnv, ctx);
  });
  return {
    reached,
    /** Through the front. */
    front: (request: Request) => call(front, request),
    /** Straight to the full app, middleware and all. */
    app: (request: Request) => call(app.fetch, request),
  };
}

const availabilityRequest = (eventId: string, headers: Record<string, string> = {}, query = "") => new Request(`https://api.test/v1/events/${eventId}/availability${query}`, { headers });

describe("availability answered in front of the app", () => {
  it("gives exactly the full app's answer, header by header, for each Origin, as 200 and as 304", async () => {
    vi.setSystemTime(Date.now());
    const fixture = await ticketedEvent({ quantity: 10 });
    const { reached, front, app } = frontOfApp();
    const allowed = env.APP_ORIGINS.split(",")[0]!.trim();
    for (const [i, origin] of [undefined, allowed, "https://elsewhere.example"].entries()) {
      // The same sane request id to both: each echoes it.
      const headers = { "X-Request-Id": `same-request-id-${i}`, ...(origin ? { Origin: origin } : {}) };
      // The first read for this URL and Origin reaches the app; its headers are kept.
      const first = await front(availabilityRequest(fixture.eventId, headers));
      expect(first.status).toBe(200);
      const before = reached.length;
      const fast = await front(availabilityRequest(fixture.eventId, headers));
      expect(reached.length).toBe(before);
      const full = await app(availabilityRequest(fixture.eventId, headers));
      expect(full.headers.get("X-Cache")).toBe("HIT-MEMORY");
      expect(fast.status).toBe(full.status);
      expect([...fast.headers]).toEqual([...full.headers]);
      expect(await fast.text()).toBe(await full.text());
      // The headers compared are the whole set the app's middleware and route give.
      const names = [...fast.headers.keys()];
      expect(names).toEqual(expect.arrayContaining(["cache-control", "etag", "age", "x-cache", "x-request-id", "strict-transport-security", "x-frame-options", "vary", "access-control-expose-headers", "content-type"]));
      expect(fast.headers.get("Access-Control-Allow-Origin")).toBe(origin === allowed ? allowed : null);

      // If-None-Match with the current version: 304, without a body, the app's own 304 headers.
      const conditional = { ...headers, "If-None-Match": fast.headers.get("ETag")! };
      expect((await front(availabilityRequest(fixture.eventId, conditional))).status).toBe(304);
      const reachedBefore304 = reached.length;
      const fast304 = await front(availabilityRequest(fixture.eventId, conditional));
      expect(reached.length).toBe(reachedBefore304);
      const full304 = await app(availabilityRequest(fixture.eventId, conditional));
      expect(fast304.status).toBe(304);
      expect([...fast304.headers]).toEqual([...full304.headers]);
      expect(await fast304.text()).toBe("");
      // Another version in If-None-Match: the full answer.
      expect((await front(availabilityRequest(fixture.eventId, { ...headers, "If-None-Match": '"other"' }))).status).toBe(200);
    }
  });

  it("gives each answer its own request id, the caller's when sane, as the app does", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const { reached, front } = frontOfApp();
    await front(availabilityRequest(fixture.eventId));
    const before = reached.length;
    const [one, two] = [await front(availabilityRequest(fixture.eventId)), await front(availabilityRequest(fixture.eventId))];
    const insane = await front(availabilityRequest(fixture.eventId, { "X-Request-Id": "no spaces allowed" }));
    expect(reached.length).toBe(before);
    expect(one.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(two.headers.get("X-Request-Id")).not.toBe(one.headers.get("X-Request-Id"));
    expect(insane.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("serves a kept answer for at most the stated staleness, then asks the app, which shows the hold", async () => {
    vi.setSystemTime(Date.now());
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const { reached, front } = frontOfApp();
    await front(availabilityRequest(fixture.eventId));
    expect((await order(fixture.eventId, fixture.configId, fan.token, 3)).status).toBe(201);
    advanceClock(REFRESH_AFTER_MS - 1);
    const before = reached.length;
    const kept = await front(availabilityRequest(fixture.eventId));
    expect(reached.length).toBe(before);
    expect(((await kept.json()) as { configs: { held: number }[] }).configs[0]!.held).toBe(0);
    expect(kept.headers.get("Age")).toBe("0");
    advanceClock(AVAILABILITY_STALE_MS - REFRESH_AFTER_MS + 1);
    const after = await front(availabilityRequest(fixture.eventId));
    expect(reached.length).toBe(before + 1);
    expect(after.headers.get("X-Cache")).toBe("MISS");
    expect(((await after.json()) as { configs: { held: number }[] }).configs[0]!.held).toBe(3);
  });

  it("refreshes a kept answer in the background once it is due, and keeps serving it meanwhile: readers of a busy event never wait at expiry", async () => {
    vi.setSystemTime(Date.now());
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const { reached, front } = frontOfApp();
    const first = await front(availabilityRequest(fixture.eventId));
    expect((await order(fixture.eventId, fixture.configId, fan.token, 3)).status).toBe(201);
    const before = reached.length;
    const held = async (response: Response) => ((await response.json()) as { configs: { held: number }[] }).configs[0]!.held;

    // Due for a refresh: this read is still the kept answer, at once; the refresh runs after it (front() waits for its waitUntil).
    advanceClock(REFRESH_AFTER_MS);
    const due = await front(availabilityRequest(fixture.eventId));
    expect(due.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(due.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(await held(due)).toBe(0);
    // The next read has the EventDO's newer answer, from memory, and nothing reached the app.
    const refreshed = await front(availabilityRequest(fixture.eventId));
    expect(refreshed.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(refreshed.headers.get("ETag")).not.toBe(first.headers.get("ETag"));
    expect(await held(refreshed)).toBe(3);
    // Past the first answer's staleness bound, the refreshed one is served: no read went to the app or waited.
    advanceClock(AVAILABILITY_STALE_MS - REFRESH_AFTER_MS);
    const later = await front(availabilityRequest(fixture.eventId));
    expect(later.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(await held(later)).toBe(3);
    expect(reached.length).toBe(before);
  });

  it("looks the cache up, asks the EventDO and stores the answer once for a burst of reads that find nothing kept", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const { front } = frontOfApp();
    const cache = caches.default;
    const match = vi.spyOn(cache, "match");
    const put = vi.spyOn(cache, "put");
    try {
      const key = cacheKey(fixture.eventId).url;
      const burst = await Promise.all(Array.from({ length: 24 }, () => front(availabilityRequest(fixture.eventId))));
      expect(burst.map((r) => r.status)).toEqual(Array(24).fill(200));
      expect(new Set(burst.map((r) => r.headers.get("ETag"))).size).toBe(1);
      const on = (spy: typeof match | typeof put) => spy.mock.calls.filter(([request]) => (request instanceof Request ? request.url : String(request)) === key).length;
      expect(on(match)).toBe(1);
      expect(on(put)).toBe(1);
    } finally {
      match.mockRestore();
      put.mockRestore();
    }
  });

  it("asks the EventDO once for a refresh and its waiters, also after a waiter's time limit has passed", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    // The app's env with its EventDO binding counting the stubs asked for (each read of the EventDO takes one).
    let stubs = 0;
    const counting = { ...env, EVENT_DO: { idFromName: (name: string) => env.EVENT_DO.idFromName(name), get: (id: DurableObjectId) => (stubs++, env.EVENT_DO.get(id)) } } as unknown as Env;
    const ctx = createExecutionContext();
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const reads = await Promise.all(Array.from({ length: 5 }, () => publicAvailability(counting, fixture.eventId, (p) => ctx.waitUntil(p))));
    expect(reads.map((r) => r.source)).toEqual(Array(5).fill("event"));
    // Past the waiters' limit (AVAILABILITY_STALE_MS): their timers fire, and ask nothing, the refresh having answered.
    expect(vi.getTimerCount()).toBe(4);
    await vi.advanceTimersByTimeAsync(AVAILABILITY_STALE_MS);
    expect(vi.getTimerCount()).toBe(0);
    await waitOnExecutionContext(ctx);
    expect(stubs).toBe(1);
  });

  it("does not keep the answer of a refresh started before the event's catalog changed", async () => {
    vi.setSystemTime(Date.now());
    const fixture = await ticketedEvent({ quantity: 10 });
    const { reached, front } = frontOfApp();
    await front(availabilityRequest(fixture.eventId));
    advanceClock(REFRESH_AFTER_MS);
    // The read that starts the refresh, its waitUntil not awaited yet; the catalog changes meanwhile (src/catalog/sync.ts forgets the answer).
    const ctx = createExecutionContext();
    const front2 = withAvailabilityFront((request, workerEnv, c) => createApp().fetch(request, workerEnv, c));
    expect((await front2(availabilityRequest(fixture.eventId), env, ctx)).headers.get("X-Cache")).toBe("HIT-MEMORY");
    await forgetAvailability(env, fixture.eventId);
    await waitOnExecutionContext(ctx);
    // Nothing kept: the next read reaches the app and asks the EventDO.
    const before = reached.length;
    const next = await front(availabilityRequest(fixture.eventId));
    expect(reached.length).toBe(before + 1);
    expect(next.headers.get("X-Cache")).toBe("MISS");
  });

  it("leaves to the app what is someone's own or not this read: credentials, a query, another route, a body", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const fan = await registerUser();
    const { reached, front } = frontOfApp();
    await front(availabilityRequest(fixture.eventId));
    const before = reached.length;
    const signedIn = await front(availabilityRequest(fixture.eventId, { Authorization: `Bearer ${fan.token}` }));
    expect(signedIn.status).toBe(200);
    // A bad token is the app's 401, never a public answer.
    expect((await front(availabilityRequest(fixture.eventId, { Authorization: "Bearer nonsense" }))).status).toBe(401);
    expect((await front(availabilityRequest(fixture.eventId, { Cookie: "session=x" }))).status).toBe(200);
    expect((await front(availabilityRequest(fixture.eventId, { Upgrade: "websocket" }))).status).toBe(200);
    expect((await front(availabilityRequest(fixture.eventId, {}, "?presale_code=NOPE1234"))).status).toBe(422);
    expect((await front(availabilityRequest(fixture.eventId, {}, "?other=1"))).status).toBe(200);
    expect((await front(new Request(`https://api.test/v1/events/${fixture.eventId}/availability/`))).status).toBe(404);
    expect((await front(new Request(`https://api.test/v1/events/${fixture.eventId}/availability`, { method: "HEAD" }))).status).toBe(200);
    expect(reached.length).toBe(before + 8);
  });

  it("answers what the app answers while a maintenance block refuses visitors (503), and in front again after it", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const admin = await registerAdmin();
    const { reached, front, app } = frontOfApp();
    await front(availabilityRequest(fixture.eventId));
    const created = await api("POST", "/v1/admin/system-statuses", { token: admin.token, body: { title: "Maintenance", status: "MAINTENANCE", block_access: true } });
    expect(created.status).toBe(201);
    try {
      const before = reached.length;
      const blocked = await front(availabilityRequest(fixture.eventId, { "X-Request-Id": "maintenance-read" }));
      expect(reached.length).toBe(before + 1);
      const full = await app(availabilityRequest(fixture.eventId, { "X-Request-Id": "maintenance-read" }));
      expect(blocked.status).toBe(503);
      expect([...blocked.headers]).toEqual([...full.headers]);
      const problem = (await blocked.json()) as { code: string };
      expect(problem.code).toBe("maintenance");
    } finally {
      await api("PATCH", `/v1/admin/system-statuses/${created.body.id}`, { token: admin.token, body: { ended_at: new Date().toISOString() } });
    }
    await front(availabilityRequest(fixture.eventId));
    const before = reached.length;
    expect((await front(availabilityRequest(fixture.eventId))).status).toBe(200);
    expect(reached.length).toBe(before);
  });

  it("stops answering an event whose catalog made it INVITATION: the app's 404", async () => {
    const fixture = await ticketedEvent({ quantity: 10 });
    const { reached, front } = frontOfApp();
    await front(availabilityRequest(fixture.eventId));
    await env.DB.prepare("UPDATE events SET access_type = 'INVITATION', price = 0 WHERE id = ?").bind(fixture.eventId).run();
    await syncEventInventory(env, fixture.eventId);
    const before = reached.length;
    expect((await front(availabilityRequest(fixture.eventId))).status).toBe(404);
    expect(reached.length).toBe(before + 1);
  });
});
