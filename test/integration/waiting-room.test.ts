import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { OrderRequest } from "../../durable-objects/event/contract.ts";
import { LOAD_FRESH_MS } from "../../durable-objects/waiting-room.ts";
import { signJwt } from "../../src/lib/crypto/jwt.ts";
import { roomLimits } from "../../src/onsale/waiting-room.ts";
import { api, expectProblem, freshIp, registerUser } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { createUsers, type TicketingFixture, ticketedEvent } from "../support/ticketing.ts";

const room = (eventId: string) => env.WAITING_ROOM.get(env.WAITING_ROOM.idFromName(eventId));
const join = (eventId: string, token?: string, headers?: Record<string, string>, ip?: string) => api("POST", `/v1/events/${eventId}/queue`, { token, headers, ip });
let keys = 0;
const order = (fixture: { eventId: string; configId: string }, token: string | undefined, ticket?: string, key = `wr-order-${++keys}-${crypto.randomUUID()}`) =>
  api("POST", `/v1/events/${fixture.eventId}/orders`, {
    body: { config_id: fixture.configId, quantity: 1 },
    token,
    headers: { "Idempotency-Key": key, ...(ticket ? { "Queue-Ticket": ticket } : {}) },
    ip: freshIp(),
  });

afterEach(() => vi.useRealTimers());

/** An event whose room admits `rate` a second, opened by `rate + 1` order attempts in one second. */
async function rush(rate = 2) {
  vi.setSystemTime(Math.floor(Date.now() / 1000) * 1000);
  const fixture = await ticketedEvent({ quantity: 1000 });
  await room(fixture.eventId).setRate(rate);
  const opener = await registerUser();
  const attempts = [];
  for (let i = 0; i < rate; i++) attempts.push(await order(fixture, opener.token));
  expect(attempts.map((r) => r.status)).toEqual(Array(rate).fill(201));
  expectProblem(await order(fixture, opener.token), 409, "waiting_room_active");
  return fixture;
}

/** A hold of one unit by `userId`, as the Worker asks the EventDO for it. */
const holdRequest = (fixture: TicketingFixture, userId: string): OrderRequest => {
  const id = crypto.randomUUID();
  return {
    order_id: id,
    ticket_number: `TKT-WR-${id.slice(0, 13)}`,
    lines: [{ config_id: fixture.configId, quantity: 1 }],
    user_id: userId,
    buyer: null,
    promo_code: null,
    rules: [],
    channel: "WEB",
    is_guest: false,
    guest_email: null,
    guest_phone: null,
    ip: null,
  };
};

/**
 * `count` holds placed on the event's EventDO together, each having waited
 * `waitMs` in its group commit when their pass decides them at `decidedAt`:
 * the clock is moved between their arrival and their pass, as a busy object
 * would have kept them waiting.
 */
async function holds(fixture: TicketingFixture, count: number, waitMs: number, decidedAt: number) {
  const buyers = await createUsers(count);
  await runInDurableObject(fixture.stub, async (instance) => {
    vi.setSystemTime(decidedAt - waitMs);
    const placed = buyers.map((buyer) => instance.placeOrder(holdRequest(fixture, buyer)));
    vi.setSystemTime(decidedAt);
    const results = await Promise.all(placed);
    expect(results.filter((r) => r.ok)).toHaveLength(count);
  });
}

/** Holds waiting in a group commit, on average over a second, from which the EventDO counts as saturated (vitest.config.ts). */
const SATURATION = Number(env.WAITING_ROOM_SATURATION_WAITING);
/** One second's wait per hold, for `count` holds to make that second saturated (1.5×), or not (0.5×). */
const saturating = (count: number) => (1.5 * SATURATION * 1000) / count;
const calm = (count: number) => (0.5 * SATURATION * 1000) / count;

/** The room's copy of the EventDO's last report, read without stepping the room (which would admit). */
const reportedAt = (eventId: string) => runInDurableObject(room(eventId), (_, state) => state.storage.sql.exec<{ load_at: number }>("SELECT load_at FROM room").one().load_at);

describe("the waiting room and the EventDO's measured load", () => {
  it("opens when the EventDO reports its holds saturated, not while they only pass through", async () => {
    const fixture = await ticketedEvent({ quantity: 1000 });
    const base = Math.floor(Date.now() / 1000) * 1000 + 1000;
    // Three seconds of holds that wait, but fewer than SATURATION on average: not saturated, nothing reported.
    for (let s = 0; s < 3; s++) await holds(fixture, 4, calm(4), base + s * 1000 + 500);
    await holds(fixture, 1, 0, base + 3_500);
    const calmLoad = await fixture.stub.holdLoad(base + 3_500);
    expect(calmLoad).toMatchObject({ saturated: false, sustained_per_s: null, decided_per_s: 4 });
    expect(calmLoad.waiting).toBeCloseTo(SATURATION / 2);
    const buyer = await registerUser();
    expect((await order(fixture, buyer.token)).status).toBe(201);
    expect((await join(fixture.eventId, buyer.token)).body).toMatchObject({ active: false });

    // Then three seconds where they queue: the first pass of the next second reports it, and the room opens.
    for (let s = 4; s < 7; s++) await holds(fixture, 4, saturating(4), base + s * 1000 + 500);
    await holds(fixture, 1, 0, base + 7_500);
    expect(await fixture.stub.holdLoad(base + 7_500)).toMatchObject({ saturated: true, sustained_per_s: 4 });
    await vi.waitFor(async () => expect(await reportedAt(fixture.eventId)).toBe(base + 7_500));
    // One attempt, far under the configured ceiling of attempts: queued all the same.
    expectProblem(await order(fixture, buyer.token), 409, "waiting_room_active");
    expect((await join(fixture.eventId, buyer.token)).body).toMatchObject({ active: true, position: 1, admits_per_s: 4 });

    // The measure is memory: an evicted EventDO has forgotten it and measures again from nothing.
    await evictDurableObject(fixture.stub);
    expect(await fixture.stub.holdLoad(base + 7_500)).toMatchObject({ saturated: false, sustained_per_s: null, decided_per_s: 0 });
  });

  it("admits at the rate the EventDO measured, follows a new measurement, and estimates the wait with it", async () => {
    const fixture = await ticketedEvent({ quantity: 1000 });
    const base = Math.floor(Date.now() / 1000) * 1000 + 1000;
    for (let s = 0; s < 3; s++) await holds(fixture, 4, saturating(4), base + s * 1000 + 500);
    await holds(fixture, 1, 0, base + 3_500);
    await vi.waitFor(async () => expect(await reportedAt(fixture.eventId)).toBe(base + 3_500));

    // Twelve fans, each from two tabs at once: twelve distinct positions, one per fan, at 4 a second.
    const fans = await Promise.all(Array.from({ length: 12 }, () => registerUser()));
    vi.setSystemTime(base + 3_500);
    const joins = await Promise.all(fans.flatMap((fan) => [1, 2].map(() => join(fixture.eventId, fan.token))));
    const positionOf = new Map(fans.map((fan, i) => [fan.id, new Set([joins[2 * i]!.body.position, joins[2 * i + 1]!.body.position])]));
    expect([...positionOf.values()].every((set) => set.size === 1)).toBe(true);
    expect([...positionOf.values()].map((set) => [...set][0]).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const fan = new Map(fans.map((f) => [[...positionOf.get(f.id)!][0]!, f]));
    expect((await join(fixture.eventId, fan.get(12)!.token)).body).toMatchObject({ position: 12, ahead: 11, admits_per_s: 4, estimated_wait_s: 3 });

    // One second: exactly four admitted.
    vi.setSystemTime(base + 4_500);
    const second = await Promise.all([1, 4, 5].map((p) => join(fixture.eventId, fan.get(p)!.token)));
    expect(second.map((r) => [r.body.position, r.body.admitted])).toEqual([[1, true], [4, true], [5, false]]);
    // Position 1's admitted ticket in four orders at once: one hold, three refusals; its retry keeps the place.
    const spent = await Promise.all(Array.from({ length: 4 }, () => order(fixture, fan.get(1)!.token, second[0]!.body.ticket)));
    expect(spent.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of spent.filter((r) => r.status !== 201)) expectProblem(r, 409, "queue_ticket_used");
    expect((await join(fixture.eventId, fan.get(1)!.token)).body).toMatchObject({ position: 1, admitted: true });

    // The EventDO now sustains one hold a second (measured in three saturated seconds): the room follows.
    for (let s = 5; s < 8; s++) await holds(fixture, 1, saturating(1), base + s * 1000 + 500);
    await holds(fixture, 1, 0, base + 8_500);
    expect(await fixture.stub.holdLoad(base + 8_500)).toMatchObject({ saturated: true, sustained_per_s: 1 });
    await vi.waitFor(async () => expect(await reportedAt(fixture.eventId)).toBe(base + 8_500));
    // Four seconds since the last admission, at one a second: positions 5 to 8, not 9.
    const later = await Promise.all([8, 9, 12].map((p) => join(fixture.eventId, fan.get(p)!.token)));
    expect(later.map((r) => [r.body.position, r.body.admitted, r.body.admits_per_s])).toEqual([[8, true, 1], [9, false, 1], [12, false, 1]]);
    expect(later[2]!.body).toMatchObject({ ahead: 3, estimated_wait_s: 4 });
    expectProblem(await order(fixture, fan.get(9)!.token, later[1]!.body.ticket), 409, "queue_not_admitted");
    expect((await order(fixture, fan.get(8)!.token, later[0]!.body.ticket)).status).toBe(201);

    // The EventDO stops reporting (its holds stopped, or it was evicted): the room keeps the last measured rate.
    vi.setSystemTime(base + 8_500 + LOAD_FRESH_MS + 1_000);
    const stale = await join(fixture.eventId, fan.get(12)!.token);
    expect(stale.body).toMatchObject({ active: true, admits_per_s: 1, admitted: true });
  });

  it("admits at most the configured ceiling, whatever the EventDO measured", async () => {
    const ceiling = roomLimits(env).holds_per_s;
    const fixture = await ticketedEvent({ quantity: 2 * ceiling });
    const base = Math.floor(Date.now() / 1000) * 1000 + 1000;
    await holds(fixture, ceiling + 200, saturating(ceiling + 200), base + 500);
    await holds(fixture, 1, 0, base + 1_500);
    expect(await fixture.stub.holdLoad(base + 1_500)).toMatchObject({ saturated: true, sustained_per_s: ceiling + 200 });
    await vi.waitFor(async () => expect(await reportedAt(fixture.eventId)).toBe(base + 1_500));
    const fan = await registerUser();
    expect((await join(fixture.eventId, fan.token)).body).toMatchObject({ active: true, position: 1, admits_per_s: ceiling, estimated_wait_s: 1 });
  });
});

describe("the on-sale waiting room", () => {
  it("is off when there is no rush: orders need no ticket and joining says so", async () => {
    const fixture = await ticketedEvent({ quantity: 100 });
    const fan = await registerUser();
    expect((await order(fixture, fan.token)).status).toBe(201);
    const status = await join(fixture.eventId, fan.token);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ active: false, position: null, ticket: null });
  });

  it("counts the attempts a Worker lets pass without asking the room, and still opens at the attempt over the rate", async () => {
    vi.setSystemTime(Math.floor(Date.now() / 1000) * 1000);
    const fixture = await ticketedEvent({ quantity: 1000 });
    await room(fixture.eventId).setRate(40);
    const buyer = await registerUser();
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await order(fixture, buyer.token)).status);
    // Forty orders pass (most counted in the Worker and reported together), the forty-first finds the room open.
    expect(statuses).toEqual([...Array(40).fill(201), ...Array(5).fill(409)]);
  });

  it("gives each person one position under concurrency, keeps it across retries and tabs, and admits in arrival order", async () => {
    const fixture = await rush(2);
    const fans = await Promise.all(Array.from({ length: 8 }, () => registerUser()));
    // Every fan joins from three tabs at once.
    const joins = await Promise.all(fans.flatMap((fan) => [1, 2, 3].map(() => join(fixture.eventId, fan.token))));
    expect(joins.every((r) => r.status === 200 && r.body.active === true)).toBe(true);
    const positionOf = new Map<string, Set<number>>();
    joins.forEach((r, i) => {
      const id = fans[Math.floor(i / 3)]!.id;
      positionOf.set(id, (positionOf.get(id) ?? new Set()).add(r.body.position));
    });
    expect([...positionOf.values()].every((set) => set.size === 1)).toBe(true);
    const positions = [...positionOf.values()].map((set) => [...set][0]!).sort((a, b) => a - b);
    expect(positions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const byPosition = new Map(fans.map((fan) => [[...positionOf.get(fan.id)!][0]!, fan]));
    const last = await join(fixture.eventId, byPosition.get(8)!.token);
    expect(last.body).toMatchObject({ position: 8, ahead: 7, admitted: false, estimated_wait_s: 4 });

    // Nobody is admitted before their time; the retry keeps the place.
    expectProblem(await order(fixture, byPosition.get(1)!.token, last.body.ticket), 403, "queue_ticket_invalid");
    const early = await join(fixture.eventId, byPosition.get(1)!.token);
    expectProblem(await order(fixture, byPosition.get(1)!.token, early.body.ticket), 409, "queue_not_admitted");

    // One second at 2 a second: positions 1 and 2, not 3.
    advanceClock(1_000);
    const statuses = await Promise.all([1, 2, 3].map((p) => join(fixture.eventId, byPosition.get(p)!.token)));
    expect(statuses.map((s) => [s.body.position, s.body.admitted])).toEqual([[1, true], [2, true], [3, false]]);
    expectProblem(await order(fixture, byPosition.get(3)!.token, statuses[2]!.body.ticket), 409, "queue_not_admitted");
    // A ticket is its holder's: position 1's ticket does not buy for position 3's account.
    expectProblem(await order(fixture, byPosition.get(3)!.token, statuses[0]!.body.ticket), 403, "queue_ticket_invalid");

    // Position 2's admitted ticket in five orders at once (different keys): one order, four refusals.
    const spent = await Promise.all(Array.from({ length: 5 }, () => order(fixture, byPosition.get(2)!.token, statuses[1]!.body.ticket)));
    expect(spent.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of spent.filter((r) => r.status !== 201)) expectProblem(r, 409, "queue_ticket_used");

    // Position 1: a refused order gives the turn back; then it is spent once; the same key replays it.
    const refused = await api("POST", `/v1/events/${fixture.eventId}/orders`, {
      body: { config_id: crypto.randomUUID(), quantity: 1 },
      token: byPosition.get(1)!.token,
      headers: { "Queue-Ticket": statuses[0]!.body.ticket, "Idempotency-Key": "wr-refused-order-1" },
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const key = `wr-kept-${crypto.randomUUID()}`;
    const bought = await order(fixture, byPosition.get(1)!.token, statuses[0]!.body.ticket, key);
    expect(bought.status).toBe(201);
    const replay = await order(fixture, byPosition.get(1)!.token, statuses[0]!.body.ticket, key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(bought.body.id);
    expectProblem(await order(fixture, byPosition.get(1)!.token, statuses[0]!.body.ticket), 409, "queue_ticket_used");
  });

  it("lets an admitted turn lapse unused, refuses forged tickets, and queues guests by device", async () => {
    const fixture = await rush(2);
    const [first, second] = [await registerUser(), await registerUser()];
    const a = await join(fixture.eventId, first.token);
    await join(fixture.eventId, second.token);
    const guest = await join(fixture.eventId, undefined, { "X-Device-Id": "device-0001-abcdef" }, "198.51.100.77");
    expect(guest.body.position).toBe(3);
    // The same device from the same IP: the same place; no device id: refused.
    expect((await join(fixture.eventId, undefined, { "X-Device-Id": "device-0001-abcdef" }, "198.51.100.77")).body.position).toBe(3);
    expectProblem(await join(fixture.eventId, undefined, {}, "198.51.100.77"), 422, "device_id_required");

    // A ticket signed with another key, or of another type, is refused.
    const forged = await signJwt(JSON.stringify([{ ...JSON.parse(env.JWT_SIGNING_KEYS)[0], kid: "other" }]), { sub: `user:${first.id}`, evt: fixture.eventId, room: "x", pos: 1 }, 60, "queue+jwt");
    expectProblem(await order(fixture, first.token, forged), 403, "queue_ticket_invalid");
    expectProblem(await order(fixture, first.token, first.token), 403, "queue_ticket_invalid");

    advanceClock(1_000);
    expect((await join(fixture.eventId, first.token)).body.admitted).toBe(true);
    // Admissions stop (a slower rate); the turn lapses after the configured admission time.
    await room(fixture.eventId).setRate(0.0001);
    advanceClock(Number(env.WAITING_ROOM_ADMISSION_SECONDS) * 1000 + 1);
    expectProblem(await order(fixture, first.token, a.body.ticket), 410, "queue_ticket_expired");
  });

  it("closes once everyone queued was admitted and the rush is over: orders need no ticket again", async () => {
    const fixture = await rush(2);
    const fan = await registerUser();
    expect((await join(fixture.eventId, fan.token)).body.position).toBe(1);
    advanceClock(11_000);
    const status = await join(fixture.eventId, fan.token);
    expect(status.body.active).toBe(false);
    expect((await order(fixture, fan.token)).status).toBe(201);
  });
});
