import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { event_ticket_config, subscription_plan_event_groups, subscription_plan_zones, subscription_plans, ticket_types } from "../../src/catalog/schema.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../../src/db/client.ts";
import { event_groups, events, venue_zones, venues } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const db = () => getDb(env.DB);
type User = Awaited<ReturnType<typeof registerUser>>;

/** A club whose stadium has a STANDARD, a PREMIUM and a VIP zone, and a season running. */
async function club() {
  const organizer = await registerOrganizer();
  const venueId = newId();
  const zones = { STANDARD: newId(), PREMIUM: newId(), VIP: newId() };
  const groupId = newId();
  await db().insert(venues).values({ id: venueId, name: "Stade de Radès", city: "Radès", country: "TN", timezone: "Africa/Tunis", owner_id: organizer.id, organization_id: organizer.organizationId });
  await db().insert(venue_zones).values([
    { id: zones.STANDARD, venue_id: venueId, code: "virage", name: "Virage", category: "STANDARD", capacity: 20_000 },
    { id: zones.PREMIUM, venue_id: venueId, code: "tribune", name: "Tribune", category: "PREMIUM", capacity: 5_000 },
    { id: zones.VIP, venue_id: venueId, code: "loges", name: "Loges", category: "VIP", capacity: 300 },
  ]);
  await db().insert(event_groups).values({
    id: groupId,
    code: `CHAMP-${groupId.slice(0, 8)}`,
    name: "Championnat",
    starts_on: iso(Date.now() - 10 * DAY).slice(0, 10),
    ends_on: iso(Date.now() + 200 * DAY).slice(0, 10),
    organizer_id: organizer.id,
    organization_id: organizer.organizationId,
  });
  // The VIP seats sold by the match: a ticket type whose zone is VIP.
  const vipType = newId();
  await db().insert(ticket_types).values({ id: vipType, code: `VIP-${vipType.slice(0, 6)}`, name: "Loge", base_price: 120_000, currency: "TND", default_zone_category: "VIP", organizer_id: organizer.id, organization_id: organizer.organizationId });
  return { organizer, venueId, zones, groupId, vipType };
}
type Club = Awaited<ReturnType<typeof club>>;

/** A match of the season `days` ahead (or started `startedHoursAgo` hours ago) with `vip` VIP places on sale, synced to its EventDO. */
async function match(c: Club, o: { days?: number; vip?: number; startedHoursAgo?: number } = {}) {
  const id = newId();
  const starts = o.startedHoursAgo !== undefined ? Date.now() - o.startedHoursAgo * 3600_000 : Date.now() + (o.days ?? 7) * DAY;
  await db().insert(events).values({
    id,
    title: `Match ${id.slice(0, 4)}`,
    starts_at: iso(starts),
    ends_at: iso(starts + 3 * 3600_000),
    timezone: "Africa/Tunis",
    venue_id: c.venueId,
    venue_name: "Stade de Radès",
    organizer_id: c.organizer.id,
    organization_id: c.organizer.organizationId,
    created_by: c.organizer.id,
    access_type: "PAID",
    price: 120_000,
    currency: "TND",
    status: "APPROVED",
    ticketing_enabled: true,
    event_group_id: c.groupId,
    match_type: "championship",
    is_home_match: true,
  });
  const configId = newId();
  await db().insert(event_ticket_config).values({ id: configId, event_id: id, ticket_type_id: c.vipType, price: 120_000, currency: "TND", quantity_total: o.vip ?? 10 });
  await syncEventInventory(env, id);
  return { id, configId };
}

/** A STANDARD plan that allows upgrades to VIP at `fee` per match (and lists PREMIUM without upgrades, BASIC with). */
async function plan(c: Club, fee: number | null = 20_000) {
  const id = newId();
  await db().insert(subscription_plans).values({
    id,
    code: `PASS-${id.slice(0, 8)}`,
    name: "Abonnement Virage",
    organizer_id: c.organizer.id,
    organization_id: c.organizer.organizationId,
    type: "FULL_SEASON",
    price: 300_000,
    currency: "TND",
    default_zone_category: "STANDARD",
  });
  await db().insert(subscription_plan_event_groups).values({ subscription_plan_id: id, event_group_id: c.groupId, access_level: "FULL" });
  await db().insert(subscription_plan_zones).values([
    { subscription_plan_id: id, zone_category: "STANDARD", is_primary: true },
    { subscription_plan_id: id, zone_category: "VIP", is_primary: false, upgrade_allowed: true, upgrade_fee: fee, currency: fee === null ? null : "TND" },
    { subscription_plan_id: id, zone_category: "PREMIUM", is_primary: false },
    { subscription_plan_id: id, zone_category: "BASIC", is_primary: false, upgrade_allowed: true, upgrade_fee: 1_000, currency: "TND" },
  ]);
  return id;
}

/** `fan` subscribes and the club takes cash at the box office: an ACTIVE pass with its rights. */
async function activePass(c: Club, planId: string, fan: User) {
  const created = await api("POST", `/v1/subscription-plans/${planId}/subscribe`, { token: fan.token, body: {} });
  if (created.status !== 201) throw new Error(`subscribe: ${created.status} ${JSON.stringify(created.body)}`);
  const activated = await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: c.organizer.token });
  if (activated.status !== 200) throw new Error(`activate: ${activated.status} ${JSON.stringify(activated.body)}`);
  return activated.body.id as string;
}

const upgrade = (fan: { token: string }, passId: string, body: Record<string, unknown>) => api("POST", `/v1/subscriptions/${passId}/upgrades`, { token: fan.token, body });
const rightsOf = async (eventId: string, passId: string) => eventStub(env, eventId).listRights({ source_id: passId });
const vipConfig = async (eventId: string, configId: string) => (await eventStub(env, eventId).availability()).configs.find((x) => x.id === configId)!;

/** Pays `upgradeId` by bank transfer, confirmed by an admin: the payments flow's PAID and its hook. */
async function payByTransfer(fan: User, upgradeId: string) {
  const started = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "PASS_UPGRADE", upgrade_id: upgradeId }, method: "BANK_TRANSFER" } });
  if (started.status !== 201) throw new Error(`payment: ${started.status} ${JSON.stringify(started.body)}`);
  const confirmed = await api("POST", `/v1/admin/payments/${started.body.payment.id}/confirm-bank-transfer`, { token: (await registerAdmin()).token, body: {} });
  expect(confirmed.body).toMatchObject({ status: "PAID" });
  return started.body.payment;
}

describe("zone upgrades of a season pass", () => {
  it("upgrades one match: a VIP place held, paid, the old code dead and a new right in the VIP zone", async () => {
    const c = await club();
    const m = await match(c);
    const other = await match(c, { days: 14 });
    const fan = await registerUser();
    const passId = await activePass(c, await plan(c), fan);
    const [before] = await rightsOf(m.id, passId);
    expect(before).toMatchObject({ status: "ENABLED", zone_id: c.zones.STANDARD });

    const asked = await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: "PENDING", scope: "MATCH", event_ids: [m.id], matches: 1, unit_fee: 20_000, amount: 20_000, currency: "TND" });
    expect(await vipConfig(m.id, m.configId)).toMatchObject({ held: 1, available: 9 });
    // Nothing changes for the holder until paid.
    expect(await rightsOf(m.id, passId)).toEqual([expect.objectContaining({ id: before!.id, status: "ENABLED" })]);

    const payment = await payByTransfer(fan, asked.body.id);
    expect(payment).toMatchObject({ type: "SEASON_PASS", amount: 20_000, subscription_id: passId });
    const after = await rightsOf(m.id, passId);
    expect(after).toEqual([
      expect.objectContaining({ id: before!.id, status: "CANCELLED" }),
      expect.objectContaining({ status: "ENABLED", zone_id: c.zones.VIP, user_id: fan.id }),
    ]);
    expect(after[1]!.qr_code).not.toBe(before!.qr_code);
    expect(await vipConfig(m.id, m.configId)).toMatchObject({ held: 0, sold: 1, available: 9 });
    // The other match is untouched.
    expect(await rightsOf(other.id, passId)).toEqual([expect.objectContaining({ status: "ENABLED", zone_id: c.zones.STANDARD })]);
    const listed = await api("GET", `/v1/subscriptions/${passId}/upgrades`, { token: fan.token });
    expect(listed.body.items).toEqual([expect.objectContaining({ id: asked.body.id, status: "APPLIED", payment_id: payment.id })]);
    // Upgraded already: VIP is not better than VIP.
    expectProblem(await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id }), 409, "not_a_better_zone");
    // The upgraded right goes with the pass: suspending it blocks the new right.
    expect((await api("POST", `/v1/subscriptions/${passId}/suspend`, { token: c.organizer.token, body: { reason: "test" } })).status).toBe(200);
    expect((await rightsOf(m.id, passId))[1]).toMatchObject({ status: "BLOCKED" });
  });

  it("upgrades the season: every match ahead held at once, the amount per match, applied to each when paid", async () => {
    const c = await club();
    const [a, b] = [await match(c, { days: 5 }), await match(c, { days: 12 })];
    const fan = await registerUser();
    const passId = await activePass(c, await plan(c), fan);
    const asked = await upgrade(fan, passId, { zone_category: "VIP" });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ scope: "SEASON", matches: 2, amount: 40_000 });
    expect(new Set(asked.body.event_ids)).toEqual(new Set([a.id, b.id]));
    await payByTransfer(fan, asked.body.id);
    for (const m of [a, b]) expect((await rightsOf(m.id, passId)).filter((r) => r.status === "ENABLED")).toEqual([expect.objectContaining({ zone_id: c.zones.VIP })]);
  });

  it("a free upgrade (no upgrade_fee) applies at once, without a payment", async () => {
    const c = await club();
    const m = await match(c);
    const fan = await registerUser();
    const passId = await activePass(c, await plan(c, null), fan);
    const asked = await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id });
    expect(asked.body).toMatchObject({ status: "APPLIED", amount: 0, payment_id: null });
    expect((await rightsOf(m.id, passId)).map((r) => [r.status, r.zone_id])).toEqual([["CANCELLED", c.zones.STANDARD], ["ENABLED", c.zones.VIP]]);
  });

  it("two upgrades for the last VIP place of a match at once: one holds it, the other is refused zone_sold_out", async () => {
    const c = await club();
    const m = await match(c, { vip: 1 });
    const planId = await plan(c);
    const fans = await Promise.all([registerUser(), registerUser()]);
    const passes = await Promise.all(fans.map((f) => activePass(c, planId, f)));
    const results = await Promise.all(fans.map((f, i) => upgrade(f, passes[i]!, { zone_category: "VIP", event_id: m.id })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expectProblem(results.find((r) => r.status === 409)!, 409, "zone_sold_out");
    expect(await vipConfig(m.id, m.configId)).toMatchObject({ held: 1, sold: 0, available: 0 });
  });

  it("a season upgrade is all or none: a full match gives back the places held in the others", async () => {
    const c = await club();
    const open = await match(c, { days: 5, vip: 5 });
    const full = await match(c, { days: 12, vip: 1 });
    const planId = await plan(c);
    const [first, second] = [await registerUser(), await registerUser()];
    const [p1, p2] = [await activePass(c, planId, first), await activePass(c, planId, second)];
    expect((await upgrade(first, p1, { zone_category: "VIP", event_id: full.id })).status).toBe(201);
    expectProblem(await upgrade(second, p2, { zone_category: "VIP" }), 409, "zone_sold_out");
    expect(await vipConfig(open.id, open.configId)).toMatchObject({ held: 0, available: 5 });
  });

  it("unpaid, the holds lapse on the EventDO's alarm: the place goes back on sale and the upgrade can no longer be paid", async () => {
    const c = await club();
    const m = await match(c, { vip: 1 });
    const fan = await registerUser();
    const passId = await activePass(c, await plan(c), fan);
    const asked = await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id });
    expect(await vipConfig(m.id, m.configId)).toMatchObject({ held: 1, available: 0 });
    const past = iso(Date.now() - 1_000);
    const stub = eventStub(env, m.id);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE upgrade_holds SET expires_at = ?", past);
    });
    await env.DB.prepare("UPDATE subscription_upgrades SET expires_at = ? WHERE id = ?").bind(past, asked.body.id).run();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const held = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ status: string }>("SELECT status FROM upgrade_holds").one().status);
    expect(held).toBe("EXPIRED");
    expect(await vipConfig(m.id, m.configId)).toMatchObject({ held: 0, available: 1 });
    expectProblem(await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "PASS_UPGRADE", upgrade_id: asked.body.id }, method: "BANK_TRANSFER" } }), 409, "upgrade_not_payable");
    expect((await api("GET", `/v1/subscriptions/${passId}/upgrades`, { token: fan.token })).body.items).toEqual([expect.objectContaining({ status: "EXPIRED" })]);
    expect(await rightsOf(m.id, passId)).toEqual([expect.objectContaining({ status: "ENABLED", zone_id: c.zones.STANDARD })]);
  });

  it("refuses what may not be upgraded: a zone the plan does not offer, a worse zone, a started match, a match twice, someone else's pass", async () => {
    const c = await club();
    const m = await match(c);
    const started = await match(c, { startedHoursAgo: 1 });
    const fan = await registerUser();
    const passId = await activePass(c, await plan(c), fan);
    expectProblem(await upgrade(fan, passId, { zone_category: "PREMIUM", event_id: m.id }), 409, "upgrade_not_allowed");
    expectProblem(await upgrade(fan, passId, { zone_category: "STAFF", event_id: m.id }), 409, "upgrade_not_allowed");
    expectProblem(await upgrade(fan, passId, { zone_category: "BASIC", event_id: m.id }), 409, "not_a_better_zone");
    expectProblem(await upgrade(fan, passId, { zone_category: "VIP", event_id: started.id }), 409, "event_started");
    expectProblem(await upgrade(fan, passId, { zone_category: "VIP", event_id: newId() }), 409, "event_not_covered");
    expectProblem(await upgrade(fan, passId, { zone_category: "GOLD", event_id: m.id }), 422, "validation_failed");
    expectProblem(await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id, price: 0 }), 422, "validation_failed");
    expect((await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id })).status).toBe(201);
    expectProblem(await upgrade(fan, passId, { zone_category: "VIP", event_id: m.id }), 409, "upgrade_pending");
    expectProblem(await upgrade(await registerUser(), passId, { zone_category: "VIP", event_id: m.id }), 404, "not_found");
    expectProblem(await upgrade(c.organizer, passId, { zone_category: "VIP", event_id: m.id }), 403, "forbidden");
    expectProblem(await api("GET", `/v1/subscriptions/${passId}/upgrades`, { token: (await registerUser()).token }), 404, "not_found");
  });

  it("a pass that is not ACTIVE cannot be upgraded", async () => {
    const c = await club();
    const m = await match(c);
    const fan = await registerUser();
    const created = await api("POST", `/v1/subscription-plans/${await plan(c)}/subscribe`, { token: fan.token, body: {} });
    expectProblem(await upgrade(fan, created.body.id, { zone_category: "VIP", event_id: m.id }), 409, "subscription_not_active");
  });
});
