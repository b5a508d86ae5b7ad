import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { event_ticket_config, type PASS_PAYMENT_OPTIONS, subscription_plan_event_groups, subscription_plan_zones, subscription_plans, ticket_types } from "../../src/catalog/schema.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../../src/db/client.ts";
import { event_groups, events, venue_zones, venues } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { message_deliveries } from "../../src/notifications/schema.ts";
import { scheduleFor, splitAmount } from "../../src/passes/instalments.ts";
import { api, expectProblem, registerAdmin, registerOrganizer, registerUser, waitForMessage } from "../support/api.ts";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
const db = () => getDb(env.DB);
type User = Awaited<ReturnType<typeof registerUser>>;

/** A club, its season (200 days), one match in 20 days, and a plan priced `price` paid as `options`. */
async function season(price: number, options: (typeof PASS_PAYMENT_OPTIONS)[number][] | undefined, o: { durationMonths?: number; printedCard?: boolean; guests?: number; places?: number; family?: number } = {}) {
  const organizer = await registerOrganizer();
  const venueId = newId();
  const groupId = newId();
  await db().insert(venues).values({ id: venueId, name: "Stade", city: "Radès", country: "TN", timezone: "Africa/Tunis", owner_id: organizer.id, organization_id: organizer.organizationId });
  await db().insert(venue_zones).values({ id: newId(), venue_id: venueId, code: "virage", name: "Virage", category: "STANDARD", capacity: 20_000 });
  await db().insert(event_groups).values({ id: groupId, code: `S-${groupId.slice(0, 8)}`, name: "Saison", starts_on: day(Date.now() - 10 * DAY), ends_on: day(Date.now() + 200 * DAY), organizer_id: organizer.id, organization_id: organizer.organizationId });
  const matchId = newId();
  const starts = Date.now() + 20 * DAY;
  await db().insert(events).values({
    id: matchId, title: "Match", starts_at: iso(starts), ends_at: iso(starts + 2 * 3600_000), timezone: "Africa/Tunis", venue_id: venueId, venue_name: "Stade",
    organizer_id: organizer.id, organization_id: organizer.organizationId, created_by: organizer.id, currency: "TND", status: "APPROVED", event_group_id: groupId, is_home_match: true,
  });
  const planId = newId();
  await db().insert(subscription_plans).values({
    id: planId, code: `P-${planId.slice(0, 8)}`, name: "Abonnement Virage", organizer_id: organizer.id, organization_id: organizer.organizationId, type: "FULL_SEASON",
    price, currency: "TND", default_zone_category: "STANDARD", duration_months: o.durationMonths ?? null,
    metadata: { ...(options ? { payment_options: options } : {}), ...(o.printedCard ? { printed_card: true } : {}), ...(o.family ? { family_package_available: true, family_package_max_holders: o.family } : {}) },
    benefits: o.guests === undefined ? null : { guest_tickets: o.guests },
  });
  await db().insert(subscription_plan_event_groups).values({ subscription_plan_id: planId, event_group_id: groupId, access_level: "FULL" });
  await db().insert(subscription_plan_zones).values({ subscription_plan_id: planId, zone_category: "STANDARD", is_primary: true });
  if (o.places !== undefined) {
    // The match sells places in the pass's zone: what guests take.
    const typeId = newId();
    await db().insert(ticket_types).values({ id: typeId, code: `VIR-${typeId.slice(0, 6)}`, name: "Virage", base_price: 10_000, currency: "TND", default_zone_category: "STANDARD", organizer_id: organizer.id, organization_id: organizer.organizationId });
    await db().insert(event_ticket_config).values({ id: newId(), event_id: matchId, ticket_type_id: typeId, price: 10_000, currency: "TND", quantity_total: o.places });
    await env.DB.prepare("UPDATE events SET access_type = 'PAID', price = 10000, ticketing_enabled = 1 WHERE id = ?").bind(matchId).run();
    await syncEventInventory(env, matchId);
  }
  return { organizer, planId, matchId };
}

const subscribe = (planId: string, fan: { token: string }, body: Record<string, unknown>) => api("POST", `/v1/subscription-plans/${planId}/subscribe`, { token: fan.token, body });
const passOf = async (fan: { token: string }, id: string) => (await api("GET", `/v1/subscriptions/${id}`, { token: fan.token })).body;

/** Pays `target` by bank transfer, confirmed by an admin (the payments flow's PAID and its hook). */
async function payByTransfer(fan: User, target: Record<string, unknown>) {
  const started = await api("POST", "/v1/payments", { token: fan.token, body: { target, method: "BANK_TRANSFER" } });
  if (started.status !== 201) throw new Error(`payment: ${started.status} ${JSON.stringify(started.body)}`);
  const confirmed = await api("POST", `/v1/admin/payments/${started.body.payment.id}/confirm-bank-transfer`, { token: (await registerAdmin()).token, body: {} });
  expect(confirmed.body).toMatchObject({ status: "PAID" });
  return started.body.payment;
}

async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController(), env, ctx);
  await waitOnExecutionContext(ctx);
}

const setDue = (passId: string, number: number, due: string) =>
  env.DB.prepare("UPDATE subscription_instalments SET due_date = ? WHERE subscription_id = ? AND number = ?").bind(due, passId, number).run();

const remindersTo = async (userId: string) =>
  (await db().select().from(message_deliveries).where(and(eq(message_deliveries.recipient, userId), eq(message_deliveries.notification_type, "PASS_INSTALMENT_DUE"), eq(message_deliveries.channel, "IN_APP")))).length;

describe("payment schedules of season passes", () => {
  it("splits a price in integer parts that sum exactly to it, the larger first, one a month from the purchase", () => {
    expect(splitAmount(100, 3)).toEqual([34, 33, 33]);
    expect(splitAmount(450_001, 3)).toEqual([150_001, 150_000, 150_000]);
    expect(splitAmount(10_002, 4)).toEqual([2_501, 2_501, 2_500, 2_500]);
    for (const [total, n] of [[1, 1], [7, 7], [999_999, 12], [450_000, 3]] as const) expect(splitAmount(total, n).reduce((a, b) => a + b, 0)).toBe(total);
    expect(scheduleFor("3x", 100, "2027-01-31", "2027-12-31")).toEqual([
      { number: 1, count: 3, due_date: "2027-01-31", amount: 34 },
      { number: 2, count: 3, due_date: "2027-02-28", amount: 33 },
      { number: 3, count: 3, due_date: "2027-03-31", amount: 33 },
    ]);
    // Monthly: one per month while the pass lasts, at most 12.
    expect(scheduleFor("monthly", 60_000, "2027-01-15", "2027-06-30")!.map((i) => i.due_date)).toEqual(["2027-01-15", "2027-02-15", "2027-03-15", "2027-04-15", "2027-05-15", "2027-06-15"]);
    expect(scheduleFor("monthly", 120_000, "2027-01-15", "2029-01-01")).toHaveLength(12);
    expect(scheduleFor("full", 100, "2027-01-15", "2027-06-30")).toBeNull();
    expect(() => scheduleFor("4x", 100, "2027-01-15", "2027-03-30")).toThrow(/4 months/);
    expect(() => scheduleFor("3x", 2, "2027-01-15", "2027-12-30")).toThrow(/too small/);
  });

  it("a pass bought in 3 instalments: the schedule written with it, the first paid at purchase activates it", async () => {
    const s = await season(450_001, ["full", "3x"]);
    const fan = await registerUser();
    const created = await subscribe(s.planId, fan, { payment_option: "3x" });
    expect(created.status).toBe(201);
    expect(created.body.price_paid).toBe(450_001);
    const today = day(Date.now());
    expect(created.body.instalments).toEqual([
      expect.objectContaining({ number: 1, count: 3, amount: 150_001, due_date: today, status: "DUE" }),
      expect.objectContaining({ number: 2, amount: 150_000, status: "DUE" }),
      expect.objectContaining({ number: 3, amount: 150_000, status: "DUE" }),
    ]);
    const payment = await payByTransfer(fan, { type: "SEASON_PASS", subscription_id: created.body.id });
    expect(payment).toMatchObject({ amount: 150_001, currency: "TND" });
    const pass = await passOf(fan, created.body.id);
    expect(pass).toMatchObject({ status: "ACTIVE", payment_id: payment.id });
    expect(pass.instalments.map((i: { status: string }) => i.status)).toEqual(["PAID", "DUE", "DUE"]);
    expect(pass.instalments[0].payment_id).toBe(payment.id);
    // The next one is paid through the same payment paths.
    const second = await payByTransfer(fan, { type: "PASS_INSTALMENT", instalment_id: pass.instalments[1].id });
    expect(second).toMatchObject({ amount: 150_000, type: "SEASON_PASS", subscription_id: created.body.id });
    expect((await passOf(fan, created.body.id)).instalments.map((i: { status: string }) => i.status)).toEqual(["PAID", "PAID", "DUE"]);
    expectProblem(await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "PASS_INSTALMENT", instalment_id: pass.instalments[1].id }, method: "BANK_TRANSFER" } }), 409, "instalment_not_due");
    expectProblem(await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "PASS_INSTALMENT", instalment_id: pass.instalments[0].id }, method: "BANK_TRANSFER" } }), 409, "instalment_not_due");
    expectProblem(await api("POST", "/v1/payments", { token: (await registerUser()).token, body: { target: { type: "PASS_INSTALMENT", instalment_id: pass.instalments[2].id }, method: "BANK_TRANSFER" } }), 404, "not_found");
  });

  it("the box office takes the first instalment in cash", async () => {
    const s = await season(300_000, ["monthly"]);
    const fan = await registerUser();
    const created = await subscribe(s.planId, fan, { payment_option: "monthly" });
    const count = created.body.instalments.length;
    expect(count).toBeGreaterThanOrEqual(6);
    expect(created.body.instalments.reduce((sum: number, i: { amount: number }) => sum + i.amount, 0)).toBe(300_000);
    const activated = await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: s.organizer.token });
    expect(activated.body.status).toBe("ACTIVE");
    const payments = (await env.DB.prepare("SELECT amount FROM payments WHERE subscription_id = ?").bind(created.body.id).all<{ amount: number }>()).results;
    expect(payments).toEqual([{ amount: created.body.instalments[0].amount }]);
    expect(activated.body.instalments[0]).toMatchObject({ status: "PAID" });
  });

  it("refuses an option the plan does not offer, and one the pass is too short for", async () => {
    const s = await season(450_000, ["full", "4x"], { durationMonths: 2 });
    const fan = await registerUser();
    const refused = await subscribe(s.planId, fan, { payment_option: "3x" });
    expectProblem(refused, 422, "validation_failed");
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: "payment_option", code: "payment_option_not_offered" })]);
    expectProblem(await subscribe(s.planId, fan, { payment_option: "4x" }), 409, "payment_option_unavailable");
    expectProblem(await subscribe(s.planId, fan, { payment_option: "weekly" }), 422, "validation_failed");
    const plain = await season(450_000, undefined);
    expect((await subscribe(plain.planId, fan, {})).body.instalments).toEqual([]);
    expectProblem(await subscribe(plain.planId, await registerUser(), { payment_option: "3x" }), 422, "validation_failed");
    // The plan's options are typed: a plan cannot offer an option that does not exist.
    const bad = await api("PATCH", `/v1/subscription-plans/${s.planId}`, { token: s.organizer.token, body: { metadata: { payment_options: ["full", "10x"] } } });
    expectProblem(bad, 422, "validation_failed");
  });

  it("the cron reminds once before a due date, then suspends the pass when it is overdue; paying it reactivates the pass and its rights", async () => {
    const s = await season(300_000, ["3x"]);
    const fan = await registerUser();
    const created = await subscribe(s.planId, fan, { payment_option: "3x" });
    await payByTransfer(fan, { type: "SEASON_PASS", subscription_id: created.body.id });
    const passId = created.body.id as string;
    expect((await eventStub(env, s.matchId).listRights({ source_id: passId })).map((r) => r.status)).toEqual(["ENABLED"]);

    // Not yet within the reminder's days: nothing.
    await runCron();
    expect(await remindersTo(fan.id)).toBe(0);
    await setDue(passId, 2, day(Date.now() + 2 * DAY));
    await runCron();
    const message = await waitForMessage(fan.id, "PASS_INSTALMENT_DUE");
    expect(message).toMatchObject({ notification_type: "PASS_INSTALMENT_DUE", channel: "IN_APP" });
    await runCron();
    expect(await remindersTo(fan.id)).toBe(1);
    expect((await passOf(fan, passId)).instalments[1].reminded_at).not.toBeNull();

    // Past its due date and unpaid: the pass is suspended and its rights blocked at the gates.
    await setDue(passId, 2, day(Date.now() - DAY));
    await runCron();
    expect(await passOf(fan, passId)).toMatchObject({ status: "SUSPENDED", suspension_reason: "instalment_overdue" });
    expect((await eventStub(env, s.matchId).listRights({ source_id: passId })).map((r) => r.status)).toEqual(["BLOCKED"]);
    const instalment = (await passOf(fan, passId)).instalments[1];
    await payByTransfer(fan, { type: "PASS_INSTALMENT", instalment_id: instalment.id });
    expect(await passOf(fan, passId)).toMatchObject({ status: "ACTIVE", suspension_reason: null });
    expect((await eventStub(env, s.matchId).listRights({ source_id: passId })).map((r) => r.status)).toEqual(["ENABLED"]);
    // The next run leaves it alone: nothing is overdue.
    await runCron();
    expect((await passOf(fan, passId)).status).toBe("ACTIVE");
  });
});

describe("the printed card as a plan option", () => {
  const cardRequests = (planId: string, user: { token: string }, status?: string) => api("GET", `/v1/subscription-plans/${planId}/card-requests${status ? `?status=${status}` : ""}`, { token: user.token });

  it("a purchase on a plan offering the card records a request, which printing the pass's card fulfils", async () => {
    const s = await season(200_000, undefined, { printedCard: true });
    const [fan, without] = [await registerUser(), await registerUser()];
    const created = await subscribe(s.planId, fan, {});
    expect(created.body.card_request).toMatchObject({ status: "REQUESTED", card_id: null });
    expect((await subscribe(s.planId, without, { printed_card: false })).body.card_request).toBeNull();
    // Unpaid passes are not printed for.
    expect((await cardRequests(s.planId, s.organizer)).body.items).toEqual([]);
    await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: s.organizer.token });
    const listed = await cardRequests(s.planId, s.organizer);
    expect(listed.body.items).toEqual([expect.objectContaining({ subscription_id: created.body.id, status: "REQUESTED", holder: expect.objectContaining({ id: fan.id }) })]);

    const printed = await api("POST", `/v1/subscriptions/${created.body.id}/cards`, { token: s.organizer.token, body: { nfc_uid: "04A23B4C5D6E7F" } });
    expect(printed.status).toBe(201);
    const cardId = printed.headers.get("Season-Card-Id");
    expect((await passOf(fan, created.body.id)).card_request).toMatchObject({ status: "PRINTED", card_id: cardId });
    expect((await cardRequests(s.planId, s.organizer)).body.items).toEqual([]);
    expect((await cardRequests(s.planId, s.organizer, "PRINTED")).body.items).toEqual([expect.objectContaining({ subscription_id: created.body.id, card_id: cardId })]);
    // The box office only: the holder and strangers are refused.
    expectProblem(await cardRequests(s.planId, fan), 404, "not_found");
    expectProblem(await cardRequests(newId(), s.organizer), 404, "not_found");
  });

  it("a plan without the card refuses a request for one", async () => {
    const s = await season(200_000, undefined);
    const refused = await subscribe(s.planId, await registerUser(), { printed_card: true });
    expectProblem(refused, 422, "validation_failed");
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: "printed_card", code: "printed_card_not_offered" })]);
    expect((await subscribe(s.planId, await registerUser(), {})).body.card_request).toBeNull();
  });
});

describe("guest tickets of a season pass", () => {
  const invite = (fan: { token: string }, passId: string, body: Record<string, unknown>) => api("POST", `/v1/subscriptions/${passId}/guests`, { token: fan.token, body });
  async function activePass(s: Awaited<ReturnType<typeof season>>, fan: User) {
    const created = await subscribe(s.planId, fan, {});
    await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: s.organizer.token });
    return created.body.id as string;
  }

  it("the holder issues up to the plan's guest tickets per match, each a right in the holder's zone taken from its places, sent to the guest", async () => {
    const s = await season(200_000, undefined, { guests: 2, places: 10 });
    const fan = await registerUser();
    const passId = await activePass(s, fan);
    const friend = await registerUser();
    const first = await invite(fan, passId, { event_id: s.matchId, user_id: friend.id });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ guest_tickets: 2, guests_left: 1, access_right: { user_id: friend.id, status: "ENABLED", source_type: "COMP" } });
    const [own] = await eventStub(env, s.matchId).listRights({ source_id: passId });
    expect(first.body.access_right.zone_id).toBe(own!.zone_id);
    await waitForMessage(friend.id, "ACCESS_GRANTED");
    // An email without an account gets one, and the ticket.
    const byEmail = await invite(fan, passId, { event_id: s.matchId, email: `guest-${newId().slice(0, 8)}@example.test` });
    expect(byEmail.body).toMatchObject({ guests_left: 0 });
    await waitForMessage(byEmail.body.access_right.user_id, "ACCESS_GRANTED");
    expectProblem(await invite(fan, passId, { event_id: s.matchId, user_id: (await registerUser()).id }), 409, "guest_limit_reached");
    const config = (await eventStub(env, s.matchId).availability()).configs[0]!;
    expect(config).toMatchObject({ sold: 2, available: 8 });
  });

  it("never issues more guests than the plan allows, nor more than the zone's places, whatever the concurrency", async () => {
    const s = await season(200_000, undefined, { guests: 3, places: 4 });
    const [a, b] = [await registerUser(), await registerUser()];
    const [passA, passB] = [await activePass(s, a), await activePass(s, b)];
    const guests = await Promise.all(Array.from({ length: 8 }, () => registerUser()));
    const results = await Promise.all(guests.map((g, i) => invite(i % 2 ? b : a, i % 2 ? passB : passA, { event_id: s.matchId, user_id: g.id })));
    const ok = results.filter((r) => r.status === 201);
    // 4 places for 2 × 3 guests asked 4 times each: the places run out first.
    expect(ok).toHaveLength(4);
    for (const r of results.filter((r) => r.status !== 201)) expect(["zone_sold_out", "guest_limit_reached"]).toContain(r.body.code);
    for (const pass of [passA, passB]) expect(ok.filter((r) => r.body.access_right.source_id.startsWith(`guest:${pass}:`)).length).toBeLessThanOrEqual(3);
    expect((await eventStub(env, s.matchId).availability()).configs[0]).toMatchObject({ sold: 4, available: 0 });

    // Places to spare: the plan's number per match is what stops one holder's six invitations at once.
    const roomy = await season(200_000, undefined, { guests: 2, places: 50 });
    const holder = await registerUser();
    const passId = await activePass(roomy, holder);
    const many = await Promise.all(Array.from({ length: 6 }, () => registerUser()));
    const answers = await Promise.all(many.map((g) => invite(holder, passId, { event_id: roomy.matchId, user_id: g.id })));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of answers.filter((r) => r.status !== 201)) expect(r.body.code).toBe("guest_limit_reached");
  });

  it("refuses a plan without guests, a match not covered, the holder as guest, someone else's pass, a pass not ACTIVE", async () => {
    const none = await season(200_000, undefined, { places: 5 });
    const fan = await registerUser();
    const plain = await activePass(none, fan);
    expectProblem(await invite(fan, plain, { event_id: none.matchId, user_id: (await registerUser()).id }), 409, "guest_tickets_not_included");
    const s = await season(200_000, undefined, { guests: 1, places: 5 });
    const holder = await registerUser();
    const passId = await activePass(s, holder);
    const guest = await registerUser();
    expectProblem(await invite(holder, passId, { event_id: none.matchId, user_id: guest.id }), 409, "event_not_covered");
    expectProblem(await invite(holder, passId, { event_id: s.matchId, user_id: holder.id }), 422, "validation_failed");
    expectProblem(await invite(holder, passId, { event_id: s.matchId, user_id: guest.id, email: "x@example.test" }), 422, "validation_failed");
    expectProblem(await invite(guest, passId, { event_id: s.matchId, user_id: guest.id }), 404, "not_found");
    expectProblem(await invite(s.organizer, passId, { event_id: s.matchId, user_id: guest.id }), 403, "forbidden");
    expect((await api("POST", `/v1/subscriptions/${passId}/suspend`, { token: s.organizer.token, body: { reason: "test" } })).status).toBe(200);
    expectProblem(await invite(holder, passId, { event_id: s.matchId, user_id: guest.id }), 409, "subscription_not_active");
  });
});

describe("family and companion packages", () => {
  it("one purchase for several holders: each gets their own pass and rights at their own price, one payment for all", async () => {
    const s = await season(100_000, undefined, { family: 4 });
    const [buyer, partner] = [await registerUser(), await registerUser()];
    const childEmail = `child-${newId().slice(0, 8)}@example.test`;
    const created = await subscribe(s.planId, buyer, { companions: [{ user_id: partner.id }, { email: childEmail }] });
    expect(created.status).toBe(201);
    const companions: string[] = created.body.package.companions;
    expect(companions).toHaveLength(2);
    // A companion's pass is paid with the buyer's: never on its own.
    expectProblem(await api("POST", "/v1/payments", { token: partner.token, body: { target: { type: "SEASON_PASS", subscription_id: companions[0] }, method: "BANK_TRANSFER" } }), 409, "paid_with_package");
    const payment = await payByTransfer(buyer, { type: "SEASON_PASS", subscription_id: created.body.id });
    expect(payment.amount).toBe(300_000);
    const lead = await passOf(buyer, created.body.id);
    expect(lead).toMatchObject({ status: "ACTIVE", payment_id: payment.id });
    const partnerPass = await passOf(partner, companions[0]!);
    expect(partnerPass).toMatchObject({ status: "ACTIVE", user_id: partner.id, payment_id: payment.id, price_paid: 100_000, package: { of: created.body.id, companions: [] } });
    // Each holder has their own right at the match.
    const holders = new Set<string>();
    for (const id of [created.body.id, ...companions]) {
      const rights = await eventStub(env, s.matchId).listRights({ source_id: id });
      expect(rights).toHaveLength(1);
      holders.add(rights[0]!.user_id);
    }
    expect(holders.size).toBe(3);
    expect((await env.DB.prepare("SELECT current_subscribers AS n FROM subscription_plans WHERE id = ?").bind(s.planId).first<{ n: number }>())!.n).toBe(3);

    // A refund the club approves takes the whole package back: every pass it paid for.
    const asked = await api("POST", `/v1/payments/${payment.id}/refunds`, { token: buyer.token, body: { reason: "CUSTOMER_REQUEST" } });
    expect(asked.status).toBe(201);
    expect((await api("POST", `/v1/refunds/${asked.body.id}/approve`, { token: s.organizer.token, body: {} })).status).toBe(200);
    for (const id of [created.body.id, ...companions]) expect((await env.DB.prepare("SELECT status FROM subscriptions WHERE id = ?").bind(id).first<{ status: string }>())!.status).toBe("CANCELLED");
    expect((await env.DB.prepare("SELECT current_subscribers AS n FROM subscription_plans WHERE id = ?").bind(s.planId).first<{ n: number }>())!.n).toBe(0);
  });

  it("the box office takes the whole package in cash", async () => {
    const s = await season(100_000, undefined, { family: 3 });
    const [buyer, partner] = [await registerUser(), await registerUser()];
    const created = await subscribe(s.planId, buyer, { companions: [{ user_id: partner.id }] });
    expectProblem(await api("POST", `/v1/subscriptions/${created.body.package.companions[0]}/activate-cash`, { token: s.organizer.token }), 409, "paid_with_package");
    const activated = await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: s.organizer.token });
    expect(activated.status).toBe(200);
    expect((await env.DB.prepare("SELECT amount FROM payments WHERE subscription_id = ?").bind(created.body.id).first<{ amount: number }>())!.amount).toBe(200_000);
    expect((await passOf(partner, created.body.package.companions[0])).status).toBe("ACTIVE");
  });

  it("refuses packages a plan does not sell, too many holders, a holder twice, instalments; a companion who cannot have a pass undoes the package", async () => {
    const plain = await season(100_000, ["full", "3x"]);
    const buyer = await registerUser();
    const other = await registerUser();
    const code = async (planId: string, body: Record<string, unknown>) => {
      const r = await subscribe(planId, buyer, body);
      expectProblem(r, 422, "validation_failed");
      return r.body.errors[0].code;
    };
    expect(await code(plain.planId, { companions: [{ user_id: other.id }] })).toBe("family_package_not_offered");
    const s = await season(100_000, ["full", "3x"], { family: 2 });
    expect(await code(s.planId, { companions: [{ user_id: other.id }, { user_id: (await registerUser()).id }] })).toBe("too_many_companions");
    expect(await code(s.planId, { companions: [{ user_id: buyer.id }] })).toBe("companion_duplicate");
    expect(await code(s.planId, { companions: [{ user_id: other.id }], payment_option: "3x" })).toBe("package_paid_in_full");
    expect(await code(s.planId, { companions: [{ user_id: newId() }] })).toBe("invalid_reference");
    // The companion already has a pass on the plan: nothing of the package stays.
    expect((await subscribe(s.planId, other, {})).status).toBe(201);
    expectProblem(await subscribe(s.planId, buyer, { companions: [{ user_id: other.id }] }), 409, "already_subscribed");
    expect((await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE user_id = ? AND status = 'PENDING'").bind(buyer.id).first<{ n: number }>())!.n).toBe(0);
    expect((await env.DB.prepare("SELECT current_subscribers AS n FROM subscription_plans WHERE id = ?").bind(s.planId).first<{ n: number }>())!.n).toBe(1);
  });
});
