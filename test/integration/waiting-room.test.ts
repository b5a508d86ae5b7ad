import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signJwt } from "../../src/lib/crypto/jwt.ts";
import { api, expectProblem, freshIp, registerUser } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { ticketedEvent } from "../support/ticketing.ts";

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
