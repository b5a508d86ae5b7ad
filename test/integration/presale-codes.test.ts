import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PresaleCode } from "../../durable-objects/event/contract.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, freshIp, registerOrganizer, registerUser } from "../support/api.ts";
import { createUsers, giveFixture, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

const HOUR = 3600_000;

/** An organizer's event whose one configuration is hidden (presale only). */
async function hiddenEvent(quantity = 100) {
  const organizer = await registerOrganizer();
  const fixture = await ticketedEvent({ quantity, maxPerTransaction: 4 });
  await giveFixture(fixture, organizer.organizationId, organizer.id);
  await env.DB.prepare("UPDATE event_ticket_config SET presale_only = 1 WHERE id = ?").bind(fixture.configId).run();
  await syncEventInventory(env, fixture.eventId);
  return { organizer, fixture };
}

const createCode = (fixture: TicketingFixture, token: string, body: Record<string, unknown>) => api("POST", `/v1/events/${fixture.eventId}/presale-codes`, { token, body });

const snapshot = (fixture: TicketingFixture, over: Partial<PresaleCode> = {}): PresaleCode => ({
  id: newId(),
  code: "FANCLUB",
  config_ids: [fixture.configId],
  quota: null,
  valid_from: null,
  valid_until: null,
  ...over,
});

describe("presale codes in the EventDO", () => {
  it("sells a hidden configuration only with a code for it, within its window", async () => {
    const { fixture } = await hiddenEvent();
    const [buyer] = await createUsers(1);
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1))).toMatchObject({ ok: false, problem: { status: 403, code: "presale_code_required" } });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { presale: snapshot(fixture, { config_ids: [newId()] }) }))).toMatchObject({ ok: false, problem: { status: 422, code: "presale_code_not_applicable" } });
    const later = new Date(Date.now() + HOUR).toISOString();
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { presale: snapshot(fixture, { valid_from: later }) }))).toMatchObject({ ok: false, problem: { code: "presale_code_not_started" } });
    const earlier = new Date(Date.now() - HOUR).toISOString();
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 1, { presale: snapshot(fixture, { valid_until: earlier }) }))).toMatchObject({ ok: false, problem: { code: "presale_code_expired" } });
    expect((await fixture.stub.availability()).configs[0]).toBeUndefined();
    expect((await fixture.stub.availability(Date.now(), [fixture.configId])).configs[0]).toMatchObject({ available: 100, held: 0 });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2, { presale: snapshot(fixture) }))).toMatchObject({ ok: true, order: { quantity: 2 } });
    // A hidden configuration has no public waiting list.
    expect(await fixture.stub.joinWaitlist({ entry_id: newId(), config_id: fixture.configId, user_id: buyer!, quantity: 1 })).toMatchObject({ ok: false, problem: { code: "config_not_found" } });
  });

  it("never sells past a code's quota: 60 buyers at once for a quota of 10, and a cancelled order gives its tickets back", async () => {
    const { fixture } = await hiddenEvent();
    const code = snapshot(fixture, { quota: 10 });
    const buyers = await createUsers(60);
    const results = await Promise.all(buyers.map((b, i) => fixture.stub.placeOrder(orderRequest(fixture, b, (i % 3) + 1, { presale: code }))));
    const sold = results.reduce((sum, r) => sum + (r.ok ? r.order.quantity : 0), 0);
    expect(sold).toBe(10);
    // Whoever came after the code could fit no more was refused for the code, not for stock (100 units).
    for (const r of results) if (!r.ok) expect(r.problem.code).toBe("presale_code_exhausted");
    expect(await fixture.stub.presaleUses([code.id])).toEqual({ [code.id]: sold });
    const first = results.find((r) => r.ok);
    if (!first?.ok) throw new Error("nothing sold");
    await fixture.stub.cancelOrder(first.order.id, "x", null);
    expect(await fixture.stub.presaleUses([code.id])).toEqual({ [code.id]: sold - first.order.quantity });
  });
});

describe("presale codes over HTTP", () => {
  it("lets the organizer create, list, change and delete codes; others see none of it", async () => {
    const { organizer, fixture } = await hiddenEvent();
    const created = await createCode(fixture, organizer.token, { code: "fan-club_1", config_ids: [fixture.configId], quota: 5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: "FAN-CLUB_1", quota: 5, used: 0, is_active: true, config_ids: [fixture.configId] });
    expectProblem(await createCode(fixture, organizer.token, { code: "FAN-CLUB_1", config_ids: [fixture.configId] }), 409, "presale_code_exists");
    const other = await ticketedEvent();
    const wrong = expectProblem(await createCode(fixture, organizer.token, { code: "OTHER1", config_ids: [fixture.configId, other.configId] }), 422, "validation_failed");
    expect(wrong.errors).toEqual([expect.objectContaining({ path: "config_ids.1" })]);
    for (const body of [{ code: "a b", config_ids: [fixture.configId] }, { code: "OKAY", config_ids: [] }, { code: "OKAY", config_ids: [fixture.configId], quota: 0 }, { code: "OKAY", config_ids: [fixture.configId], extra: 1 }]) {
      expectProblem(await createCode(fixture, organizer.token, body), 422, "validation_failed");
    }
    expectProblem(await createCode(fixture, organizer.token, { code: "OKAY", config_ids: [fixture.configId], valid_from: "2030-01-02T00:00:00Z", valid_until: "2030-01-01T00:00:00Z" }), 422, "validation_failed");

    const stranger = await registerOrganizer();
    const fan = await registerUser();
    for (const who of [stranger, fan]) {
      expectProblem(await api("GET", `/v1/events/${fixture.eventId}/presale-codes`, { token: who.token }), 404);
      expectProblem(await createCode(fixture, who.token, { code: "MINE1", config_ids: [fixture.configId] }), 404);
      expectProblem(await api("PATCH", `/v1/events/${fixture.eventId}/presale-codes/${created.body.id}`, { token: who.token, body: { quota: 100 } }), 404);
      expectProblem(await api("DELETE", `/v1/events/${fixture.eventId}/presale-codes/${created.body.id}`, { token: who.token }), 404);
    }
    // A code of one event is not reachable through another.
    expectProblem(await api("PATCH", `/v1/events/${other.eventId}/presale-codes/${created.body.id}`, { token: organizer.token, body: { quota: 1 } }), 404);

    const patched = await api("PATCH", `/v1/events/${fixture.eventId}/presale-codes/${created.body.id}`, { token: organizer.token, body: { quota: 1 } });
    expect(patched.body).toMatchObject({ quota: 1 });
    const order = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1, presale_code: "fan-club_1" }, ip: freshIp() });
    expect(order.status).toBe(201);
    const list = await api("GET", `/v1/events/${fixture.eventId}/presale-codes`, { token: organizer.token });
    expect(list.body.data).toEqual([expect.objectContaining({ code: "FAN-CLUB_1", used: 1 })]);
    expectProblem(await api("DELETE", `/v1/events/${fixture.eventId}/presale-codes/${created.body.id}`, { token: organizer.token }), 409, "presale_code_in_use");
    const unused = await createCode(fixture, organizer.token, { code: "SPARE1", config_ids: [fixture.configId] });
    expect((await api("DELETE", `/v1/events/${fixture.eventId}/presale-codes/${unused.body.id}`, { token: organizer.token })).status).toBe(204);
  });

  it("shows and sells a hidden configuration only with a valid code, with clear problems for wrong, early, late and used-up codes", async () => {
    const { organizer, fixture } = await hiddenEvent();
    await createCode(fixture, organizer.token, { code: "MEMBERS", config_ids: [fixture.configId], quota: 2 });
    await createCode(fixture, organizer.token, { code: "EARLY", config_ids: [fixture.configId], valid_from: new Date(Date.now() + HOUR).toISOString() });
    await createCode(fixture, organizer.token, { code: "LATE", config_ids: [fixture.configId], valid_until: new Date(Date.now() + 1_000).toISOString() });
    await env.DB.prepare("UPDATE presale_codes SET valid_until = ? WHERE code = 'LATE' AND event_id = ?").bind(new Date(Date.now() - HOUR).toISOString(), fixture.eventId).run();
    const base = `/v1/events/${fixture.eventId}/availability`;
    expect((await api("GET", base)).body.configs).toEqual([]);
    expect((await api("GET", `${base}?presale_code=members`, { ip: freshIp() })).body.configs).toEqual([expect.objectContaining({ id: fixture.configId, available: 100 })]);
    const wrong = expectProblem(await api("GET", `${base}?presale_code=NOPE`, { ip: freshIp() }), 422, "validation_failed");
    expect(wrong.errors).toEqual([expect.objectContaining({ path: "query.presale_code", code: "unknown_presale_code" })]);
    expectProblem(await api("GET", `${base}?presale_code=EARLY`, { ip: freshIp() }), 409, "presale_code_not_started");
    expectProblem(await api("GET", `${base}?presale_code=LATE`, { ip: freshIp() }), 409, "presale_code_expired");
    // The hidden configuration is not listed to the public either.
    expect((await api("GET", `/v1/events/${fixture.eventId}/ticket-configs`)).body.data).toEqual([]);
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/ticket-configs/${fixture.configId}`), 404);

    const fan = await registerUser();
    const order = (body: Record<string, unknown>) => api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1, ...body }, ip: freshIp() });
    expectProblem(await order({}), 403, "presale_code_required");
    expect(expectProblem(await order({ presale_code: "NOPE" }), 422, "validation_failed").errors).toEqual([expect.objectContaining({ path: "presale_code", code: "unknown_presale_code" })]);
    expectProblem(await order({ presale_code: "EARLY" }), 409, "presale_code_not_started");
    expectProblem(await order({ presale_code: "LATE" }), 409, "presale_code_expired");
    expect((await order({ presale_code: "MEMBERS", quantity: 2 })).status).toBe(201);
    expectProblem(await order({ presale_code: "MEMBERS" }), 409, "presale_code_exhausted");
    // A deactivated code is unknown.
    await env.DB.prepare("UPDATE presale_codes SET is_active = 0 WHERE code = 'MEMBERS' AND event_id = ?").bind(fixture.eventId).run();
    expectProblem(await order({ presale_code: "MEMBERS" }), 422, "validation_failed");
  });

  it("rate-limits code guesses per IP like promo codes", async () => {
    const { fixture } = await hiddenEvent();
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await api("GET", `/v1/events/${fixture.eventId}/availability?presale_code=GUESS${i}`, { ip })).status);
    expect(statuses.slice(0, 60).every((s) => s === 422)).toBe(true);
    expect(statuses[60]).toBe(429);
  });
});
