import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { AVAILABILITY_STALE_MS } from "../../src/onsale/availability-cache.ts";
import { api, freshIp, registerUser } from "../support/api.ts";
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
    // The EventDO now holds 3; a read inside the staleness bound is the cached answer, not the EventDO's.
    advanceClock(AVAILABILITY_STALE_MS - 1);
    const cached = await read(fixture.eventId);
    expect(cached.headers.get("X-Cache")).toBe("HIT-MEMORY");
    expect(cached.body.configs[0]).toMatchObject({ available: 10, held: 0 });
    expect(cached.headers.get("ETag")).toBe(first.headers.get("ETag"));

    // One millisecond later the answer is too old: the EventDO is asked again, and the hold shows.
    advanceClock(1);
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
        new Response(JSON.stringify({ event_id: other.eventId, access_type: "PAID", configs: [{ id: other.configId, available }] }), {
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
      new Response(JSON.stringify({ event_id: third.eventId, access_type: "PAID", configs: [{ id: third.configId, available: 2 }] }), {
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

  it("answers 404 for an event the EventDO does not know, and caches nothing for it", async () => {
    const id = crypto.randomUUID();
    expect((await read(id)).status).toBe(404);
    expect(await caches.default.match(cacheKey(id))).toBeUndefined();
  });
});
