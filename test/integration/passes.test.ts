import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pricing_rules } from "../../src/catalog/schema.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { seats } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { expireSubscriptions, syncSeasonPassRights } from "../../src/passes/cron.ts";
import { issueRightsForNewEvent } from "../../src/passes/rights.ts";
import { api, expectProblem, registerAdmin, registerMember, registerOrganizer, registerUser } from "../support/api.ts";
import { plainRule } from "../support/pricing.ts";
import { DAY, type Club, type PlanOptions, activePass, club, coveredOf, dayOf, db, iso, match, plan, planRow, rightsIn, subscribeTo } from "../support/season-passes.ts";
import { createUsers, giveFixture, ticketedEvent } from "../support/ticketing.ts";

describe("coverage", () => {
  it("FULL covers every approved, upcoming event of the group within the pass's dates, and nothing else", async () => {
    const c = await club();
    const home = await match(c, { days: 5 });
    const away = await match(c, { days: 12, home: false, type: "cup" });
    const draft = await match(c, { days: 8, status: "DRAFT" });
    const cancelled = await match(c, { days: 9, status: "CANCELLED" });
    const over = await match(c, { startsAt: iso(Date.now() - 5 * 3600_000) });
    const otherGroup = await match(c, { days: 6, group: null });
    const afterSeason = await match(c, { days: 260 });
    const fan = await registerUser();
    await activePass(c, await plan(c), fan);
    expect((await coveredOf([home, away, draft, cancelled, over, otherGroup, afterSeason], fan.id)).sort()).toEqual([home, away].sort());
  });

  it("HOME_ONLY covers home matches only", async () => {
    const c = await club();
    const home = await match(c, { days: 5 });
    const away = await match(c, { days: 6, home: false });
    const unknown = await match(c, { days: 7, home: null });
    const fan = await registerUser();
    await activePass(c, await plan(c, { access: "HOME_ONLY" }), fan);
    expect(await coveredOf([home, away, unknown], fan.id)).toEqual([home]);
  });

  it("PARTIAL covers the listed match types only; a list narrows HOME_ONLY too; 'all' takes every type", async () => {
    const c = await club();
    const league = await match(c, { days: 5, type: "championship" });
    const cup = await match(c, { days: 6, type: "Cup" });
    const friendly = await match(c, { days: 7, type: "friendly" });
    const awayCup = await match(c, { days: 8, type: "cup", home: false });
    const untyped = await match(c, { days: 9, type: null });
    const all = [league, cup, friendly, awayCup, untyped];
    const [a, b, d, e] = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser()]);
    await activePass(c, await plan(c, { access: "PARTIAL", matchTypes: ["cup"] }), a!);
    await activePass(c, await plan(c, { access: "HOME_ONLY", matchTypes: ["championship", "cup"] }), b!);
    await activePass(c, await plan(c, { access: "PARTIAL", matchTypes: ["all"] }), d!);
    await activePass(c, await plan(c, { access: "PARTIAL", matchTypes: null }), e!);
    expect((await coveredOf(all, a!.id)).sort()).toEqual([cup, awayCup].sort());
    expect((await coveredOf(all, b!.id)).sort()).toEqual([league, cup].sort());
    expect((await coveredOf(all, d!.id)).sort()).toEqual(all.sort());
    expect(await coveredOf(all, e!.id)).toEqual([]);
  });

  it("leaves out excluded events and adds explicit ones, even outside the group", async () => {
    const c = await club();
    const derby = await match(c, { days: 5 });
    const regular = await match(c, { days: 6 });
    const gala = await match(c, { days: 7, group: null, type: "gala" });
    const fan = await registerUser();
    await activePass(c, await plan(c, { excluded: [derby], explicit: [{ event_id: gala }] }), fan);
    expect((await coveredOf([derby, regular, gala], fan.id)).sort()).toEqual([regular, gala].sort());
  });

  it("keeps to the pass's validity: a duration cuts the season", async () => {
    const c = await club();
    const soon = await match(c, { days: 20 });
    const later = await match(c, { days: 75 });
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c, { type: "HALF_SEASON", duration: 2 }), fan);
    expect(pass.valid_from).toBe(dayOf(Date.now()));
    expect(pass.valid_until < dayOf(Date.now() + 75 * DAY)).toBe(true);
    expect(await coveredOf([soon, later], fan.id)).toEqual([soon]);
  });

  it("decides validity on the event's local date, not UTC", async () => {
    const c = await club();
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c), fan);
    // 00:30 in Tunis on the day after valid_until is still 23:30 UTC on valid_until.
    const justAfter = await match(c, { startsAt: `${dayOf(Date.parse(pass.valid_until) + DAY)}T00:30:00+01:00` });
    const lastDay = await match(c, { startsAt: `${pass.valid_until}T20:00:00+01:00` });
    await syncSeasonPassRights(env);
    expect(await coveredOf([justAfter, lastDay], fan.id)).toEqual([lastDay]);
  });
});

describe("subscribing and activation", () => {
  it("creates a PENDING pass, then the box office activates it and one right per covered event is issued", async () => {
    const c = await club();
    const matches = [await match(c, { days: 5 }), await match(c, { days: 12 }), await match(c, { days: 19 })];
    const planId = await plan(c, { assigned: true });
    const fan = await registerUser();
    const created = await subscribeTo(planId, fan, { seat_id: c.seatIds[0] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "PENDING", user_id: fan.id, seat_id: c.seatIds[0], price_paid: 450_000, currency: "TND", rights_count: 0, plan: { id: planId, type: "FULL_SEASON" } });
    expect(created.body.subscription_number).toMatch(/^SUB-\d{4}-\d{6}$/);
    expect(created.headers.get("Location")).toBe(`/v1/subscriptions/${created.body.id}`);
    expect(await rightsIn(matches[0]!, fan.id)).toEqual([]);
    expect((await planRow(planId)).current_subscribers).toBe(1);

    const activated = await api("POST", `/v1/subscriptions/${created.body.id}/activate-cash`, { token: c.organizer.token });
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ status: "ACTIVE", rights_pending: 0 });
    for (const eventId of matches) {
      const rights = await rightsIn(eventId, fan.id);
      expect(rights).toHaveLength(1);
      expect(rights[0]).toMatchObject({ source_id: created.body.id, zone_id: c.premiumZone, seat_id: c.seatIds[0], status: "ENABLED" });
      await eventStub(env, eventId).flushProjection();
    }
    const payment = await env.DB.prepare("SELECT type, method, status, amount, currency FROM payments WHERE subscription_id = ?").bind(created.body.id).first();
    expect(payment).toMatchObject({ type: "SEASON_PASS", method: "CASH", status: "PAID", amount: 450_000, currency: "TND" });
    const read = await api("GET", `/v1/subscriptions/${created.body.id}`, { token: fan.token });
    expect(read.body).toMatchObject({ status: "ACTIVE", rights_count: 3, payment_id: activated.body.payment_id });
    const audit = await env.DB.prepare("SELECT description FROM audit_log WHERE object_id = ?").bind(created.body.id).all();
    expect(audit.results.map((r) => r.description)).toContain("activate season pass");
  });

  it("gives the plan's primary zone at the venue when the pass has no seat, and activating twice issues nothing more", async () => {
    const c = await club();
    const eventId = await match(c, { days: 5 });
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c, { zone: "STANDARD" }), fan);
    const again = await api("POST", `/v1/subscriptions/${pass.id}/activate-cash`, { token: c.organizer.token });
    expect(again.status).toBe(200);
    const rights = await rightsIn(eventId, fan.id);
    expect(rights).toHaveLength(1);
    expect(rights[0]).toMatchObject({ zone_id: c.standardZone, seat_id: null });
    const payments = await env.DB.prepare("SELECT count(*) AS n FROM payments WHERE subscription_id = ?").bind(pass.id).first<{ n: number }>();
    expect(payments!.n).toBe(1);
  });

  it("never sells more than max_subscribers, whatever the concurrency", async () => {
    const c = await club();
    const planId = await plan(c, { max: 3 });
    const fans = await Promise.all(Array.from({ length: 10 }, () => registerUser()));
    const results = await Promise.all(fans.map((fan) => subscribeTo(planId, fan)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    for (const refused of results.filter((r) => r.status !== 201)) expectProblem(refused, 409, "plan_full");
    expect((await planRow(planId)).current_subscribers).toBe(3);
  });

  it("gives one seat to one pass, even when two fans ask at once, and frees it when that pass is cancelled", async () => {
    const c = await club();
    const planId = await plan(c, { assigned: true });
    const [a, b] = await Promise.all([registerUser(), registerUser()]);
    const results = await Promise.all([subscribeTo(planId, a!, { seat_id: c.seatIds[1] }), subscribeTo(planId, b!, { seat_id: c.seatIds[1] })]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expectProblem(results.find((r) => r.status === 409)!, 409, "seat_taken");
    const winner = results.find((r) => r.status === 201)!;
    const loser = winner === results[0] ? b! : a!;
    // Another plan's pass cannot take the seat for the same dates either.
    expectProblem(await subscribeTo(await plan(c, { assigned: true }), loser, { seat_id: c.seatIds[1] }), 409, "seat_taken");
    const holder = winner === results[0] ? a! : b!;
    expect((await api("POST", `/v1/subscriptions/${winner.body.id}/cancel`, { token: holder.token, body: { reason: "changed my mind" } })).status).toBe(200);
    expect((await subscribeTo(planId, loser, { seat_id: c.seatIds[1] })).status).toBe(201);
  });

  it("checks the seat against the plan", async () => {
    const c = await club();
    const assigned = await plan(c, { assigned: true, zone: "PREMIUM" });
    const open = await plan(c);
    const fan = await registerUser();
    expect(expectProblem(await subscribeTo(assigned, fan), 422, "validation_failed").errors[0]).toMatchObject({ path: "seat_id", code: "seat_required" });
    expect(expectProblem(await subscribeTo(open, fan, { seat_id: c.seatIds[0] }), 422).errors[0]).toMatchObject({ code: "seat_not_applicable" });
    expect(expectProblem(await subscribeTo(assigned, fan, { seat_id: newId() }), 422).errors[0]).toMatchObject({ code: "invalid_reference" });
    const standardSeat = newId();
    await db().insert(seats).values({ id: standardSeat, zone_id: c.standardZone, section: "N", row: "1", number: "1" });
    await env.DB.prepare("DELETE FROM subscription_plans WHERE id = ?").bind(open).run();
    const strict = await plan(c, { assigned: true, zone: "PREMIUM" });
    await env.DB.prepare("UPDATE subscription_plans SET default_zone_category = NULL WHERE id = ?").bind(strict).run();
    expect(expectProblem(await subscribeTo(strict, fan, { seat_id: standardSeat }), 422).errors[0]).toMatchObject({ code: "seat_outside_plan" });
  });

  it("allows one live pass per person and plan", async () => {
    const c = await club();
    const planId = await plan(c);
    const fan = await registerUser();
    const [first, second] = await Promise.all([subscribeTo(planId, fan), subscribeTo(planId, fan)]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    expectProblem(first.status === 409 ? first : second, 409, "already_subscribed");
    expect((await planRow(planId)).current_subscribers).toBe(1);
  });

  it("enforces the sales window and the plan being active", async () => {
    const c = await club();
    const fan = await registerUser();
    expectProblem(await subscribeTo(await plan(c, { salesStart: iso(Date.now() + DAY) }), fan), 409, "sales_not_started");
    expectProblem(await subscribeTo(await plan(c, { salesStart: iso(Date.now() - 2 * DAY), salesEnd: iso(Date.now() - DAY) }), fan), 409, "sales_ended");
    expectProblem(await subscribeTo(await plan(c, { active: false }), fan), 404, "not_found");
    expectProblem(await subscribeTo(newId(), fan), 404, "not_found");
  });

  it("enforces age and identity restrictions", async () => {
    const c = await club();
    const youth = await plan(c, { restrictions: { min_age: 16, max_age: 25 } });
    const verified = await plan(c, { restrictions: { requires_id_verification: true } });
    const fan = await registerUser();
    expectProblem(await subscribeTo(youth, fan), 403, "date_of_birth_required");
    await env.DB.prepare("UPDATE users SET date_of_birth = ? WHERE id = ?").bind(dayOf(Date.now() - 30 * 366 * DAY), fan.id).run();
    expectProblem(await subscribeTo(youth, fan), 403, "age_restriction");
    await env.DB.prepare("UPDATE users SET date_of_birth = ? WHERE id = ?").bind(dayOf(Date.now() - 20 * 366 * DAY), fan.id).run();
    expect((await subscribeTo(youth, fan)).status).toBe(201);
    expectProblem(await subscribeTo(verified, fan), 403, "identity_verification_required");
    await env.DB.prepare("UPDATE users SET is_identity_verified = 1 WHERE id = ?").bind(fan.id).run();
    expect((await subscribeTo(verified, fan)).status).toBe(201);
  });

  it("resumes a fan-out cut short: the cron issues what activation did not", async () => {
    const c = await club();
    const matches = [await match(c, { days: 5 }), await match(c, { days: 6 })];
    const fan = await registerUser();
    const created = await subscribeTo(await plan(c), fan);
    // As if the Worker died right after the status change, before any event was reached.
    await env.DB.prepare("UPDATE subscriptions SET status = 'ACTIVE' WHERE id = ?").bind(created.body.id).run();
    await syncSeasonPassRights(env);
    for (const eventId of matches) expect(await rightsIn(eventId, fan.id, created.body.id)).toHaveLength(1);
    for (const eventId of matches) await eventStub(env, eventId).flushProjection();
    const projected = await env.DB.prepare("SELECT event_id FROM access_rights WHERE source_type = 'SUBSCRIPTION' AND source_id = ?").bind(created.body.id).all();
    expect(projected.results.map((r) => r.event_id).sort()).toEqual([...matches].sort());
    // Nothing left to do: a second run issues nothing for this pass.
    await syncSeasonPassRights(env);
    for (const eventId of matches) expect(await rightsIn(eventId, fan.id)).toHaveLength(1);
  });

  it("issues rights for an event added to the season later, through the cron or the direct hook", async () => {
    const c = await club();
    await match(c, { days: 5 });
    const fans = [await registerUser(), await registerUser()];
    const planId = await plan(c);
    for (const fan of fans) await activePass(c, planId, fan);
    const added = await match(c, { days: 30 });
    expect(await rightsIn(added, fans[0]!.id)).toEqual([]);
    await syncSeasonPassRights(env);
    for (const fan of fans) expect(await rightsIn(added, fan.id)).toHaveLength(1);
    const another = await match(c, { days: 40 });
    expect(await issueRightsForNewEvent(env, another)).toMatchObject({ issued: 2, failed: 0 });
    for (const fan of fans) expect(await rightsIn(another, fan.id)).toHaveLength(1);
  });

  it("a pass paid by bank transfer is activated with its rights, and a refund the club approves cancels it (the payments hooks)", async () => {
    const c = await club();
    const matchId = await match(c, { days: 5 });
    const fan = await registerUser();
    const pass = await subscribeTo(await plan(c), fan);
    expect(pass.status).toBe(201);
    const started = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "SEASON_PASS", subscription_id: pass.body.id }, method: "BANK_TRANSFER" } });
    expect(started.status).toBe(201);
    const paymentId = started.body.payment.id;
    const confirmed = await api("POST", `/v1/admin/payments/${paymentId}/confirm-bank-transfer`, { token: (await registerAdmin()).token, body: {} });
    expect(confirmed.body).toMatchObject({ status: "PAID" });
    expect((await api("GET", `/v1/subscriptions/${pass.body.id}`, { token: fan.token })).body).toMatchObject({ status: "ACTIVE", payment_id: paymentId });
    expect(await rightsIn(matchId, fan.id)).toEqual([expect.objectContaining({ status: "ENABLED" })]);

    const asked = await api("POST", `/v1/payments/${paymentId}/refunds`, { token: fan.token, body: { reason: "CUSTOMER_REQUEST" } });
    expect(asked.status).toBe(201);
    expect((await api("POST", `/v1/refunds/${asked.body.id}/approve`, { token: c.organizer.token, body: {} })).status).toBe(200);
    expect((await api("GET", `/v1/subscriptions/${pass.body.id}`, { token: fan.token })).body).toMatchObject({ status: "CANCELLED" });
    expect(await rightsIn(matchId, fan.id)).toEqual([expect.objectContaining({ status: "CANCELLED" })]);
  });

  it("issues rights the moment an admin approves an event of the season (the event.approved hook)", async () => {
    const c = await club();
    await match(c, { days: 5 });
    const fan = await registerUser();
    await activePass(c, await plan(c), fan);
    const pending = await match(c, { days: 30, status: "PENDING_REVIEW" });
    expect(await rightsIn(pending, fan.id)).toEqual([]);
    const approved = await api("POST", `/v1/admin/events/${pending}/approve`, { token: (await registerAdmin()).token });
    expect(approved.status).toBe(200);
    // No cron ran: the approval itself issued the right.
    expect(await rightsIn(pending, fan.id)).toHaveLength(1);
  });
});

describe("pricing rules on passes", () => {
  /** A rule of the club's for passes (or both), inserted directly (rules have their own API tests). */
  async function passRule(c: Club, o: { code?: string | null; applies?: "SUBSCRIPTIONS" | "BOTH" | "TICKETS"; bp?: number; total?: number; perUser?: number; conditions?: Record<string, unknown>; auto?: boolean }) {
    const id = newId();
    const code = o.code === undefined ? `P${id.slice(0, 7).toUpperCase()}` : o.code;
    await db().insert(pricing_rules).values({
      ...plainRule(),
      id,
      code: `RULE-${id.slice(0, 8)}`,
      name: "Pass rule",
      organizer_id: c.organizer.id,
      organization_id: c.organizer.organizationId,
      applies_to: o.applies ?? "SUBSCRIPTIONS",
      discount_value: o.bp ?? 3_000,
      promo_code: code,
      auto_apply: o.auto ?? code === null,
      usage_limit_total: o.total ?? null,
      usage_limit_per_user: o.perUser ?? null,
      conditions: o.conditions ?? {},
    });
    return { id, code: code! };
  }
  const usage = async (ruleId: string) => ({
    count: (await env.DB.prepare("SELECT usage_count AS n FROM pricing_rules WHERE id = ?").bind(ruleId).first<{ n: number }>())!.n,
    rows: (await env.DB.prepare("SELECT subscription_id, user_id, discount_amount, released_at IS NOT NULL AS released FROM pricing_rule_usages WHERE rule_id = ? ORDER BY used_at").bind(ruleId).all()).results,
  });

  it("prices a pass with a code for passes of that plan, records the use, and the payment asks for the discounted price", async () => {
    const c = await club();
    const planId = await plan(c);
    const [{ code: planCode }] = (await env.DB.prepare("SELECT code FROM subscription_plans WHERE id = ?").bind(planId).all<{ code: string }>()).results as [{ code: string }];
    const vip = await passRule(c, { total: 500, perUser: 1, conditions: { subscription_plans: [planCode] } });
    const other = await passRule(c, { conditions: { subscription_plans: ["ANOTHER_PLAN"] } });
    const ticketsOnly = await passRule(c, { applies: "TICKETS" });
    const fan = await registerUser();
    expectProblem(await subscribeTo(planId, fan, { promo_code: other.code }), 422, "promo_code_not_applicable");
    for (const code of [ticketsOnly.code, "NOPE-CODE"]) {
      const unknown = await subscribeTo(planId, fan, { promo_code: code });
      expectProblem(unknown, 422, "validation_failed");
      expect(unknown.body.errors).toEqual([expect.objectContaining({ path: "promo_code", code: "unknown_promo_code" })]);
    }

    const pass = await subscribeTo(planId, fan, { promo_code: vip.code.toLowerCase() });
    expect(pass.status).toBe(201);
    expect(pass.body).toMatchObject({ price_paid: 315_000, status: "PENDING" });
    expect(await usage(vip.id)).toEqual({ count: 1, rows: [{ subscription_id: pass.body.id, user_id: fan.id, discount_amount: 135_000, released: 0 }] });
    const payment = await api("POST", "/v1/payments", { token: fan.token, body: { target: { type: "SEASON_PASS", subscription_id: pass.body.id }, method: "CARD" } });
    expect(payment.body.payment).toMatchObject({ amount: 315_000, currency: "TND" });

    // One per person: the same fan is refused the code on another plan; cancelling the unpaid pass gives the use back.
    const second = await plan(c);
    await env.DB.prepare("UPDATE pricing_rules SET conditions = '{}' WHERE id = ?").bind(vip.id).run();
    expectProblem(await subscribeTo(second, fan, { promo_code: vip.code }), 409, "promo_code_exhausted");
    expect((await api("POST", `/v1/subscriptions/${pass.body.id}/cancel`, { token: fan.token, body: { reason: "wrong plan" } })).status).toBe(200);
    expect(await usage(vip.id)).toMatchObject({ count: 0, rows: [{ released: 1 }] });
    expect((await subscribeTo(second, fan, { promo_code: vip.code })).body).toMatchObject({ price_paid: 315_000 });
  });

  it("never lets more passes than its total limit use a code, whatever the concurrency", async () => {
    const c = await club();
    const planId = await plan(c);
    const rule = await passRule(c, { total: 3 });
    const fans = await Promise.all(Array.from({ length: 8 }, () => registerUser()));
    const results = await Promise.all(fans.map((f) => subscribeTo(planId, f, { promo_code: rule.code })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    for (const r of results.filter((r) => r.status !== 201)) expect(r.body.code).toBe("promo_code_exhausted");
    for (const r of results.filter((r) => r.status === 201)) expect(r.body.price_paid).toBe(315_000);
    expect((await usage(rule.id)).count).toBe(3);
    expect((await env.DB.prepare("SELECT current_subscribers AS n FROM subscription_plans WHERE id = ?").bind(planId).first<{ n: number }>())!.n).toBe(3);
  });

  it("counts a rule for tickets and passes (BOTH) over both, and an automatic 100 % rule activates the pass at once", async () => {
    const c = await club();
    const planId = await plan(c);
    const both = await passRule(c, { applies: "BOTH", total: 2 });
    const event = await ticketedEvent({ quantity: 10 });
    await giveFixture(event, c.organizer.organizationId, c.organizer.id);
    const [a, b, d] = [await registerUser(), await registerUser(), await registerUser()];
    expect((await subscribeTo(planId, a, { promo_code: both.code })).status).toBe(201);
    const ticket = await api("POST", `/v1/events/${event.eventId}/orders`, { token: b.token, body: { config_id: event.configId, quantity: 1, promo_code: both.code } });
    expect(ticket.body).toMatchObject({ discount: 1_500 });
    await event.stub.flushProjection();
    expect((await usage(both.id)).count).toBe(2);
    expectProblem(await subscribeTo(planId, d, { promo_code: both.code }), 409, "promo_code_exhausted");
    expectProblem(await api("POST", `/v1/events/${event.eventId}/orders`, { token: d.token, body: { config_id: event.configId, quantity: 1, promo_code: both.code } }), 409, "promo_code_exhausted");

    const giftPlan = await plan(c);
    const [{ code: giftCode }] = (await env.DB.prepare("SELECT code FROM subscription_plans WHERE id = ?").bind(giftPlan).all<{ code: string }>()).results as [{ code: string }];
    await passRule(c, { code: null, bp: 10_000, conditions: { subscription_plans: [giftCode] } });
    const gift = await subscribeTo(giftPlan, d);
    expect(gift.status).toBe(201);
    expect(gift.body).toMatchObject({ price_paid: 0, status: "ACTIVE" });
  });
});

describe("lifecycle", () => {
  it("suspension blocks the rights in every event, reactivation enables them again", async () => {
    const c = await club();
    const matches = [await match(c, { days: 5 }), await match(c, { days: 9 })];
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c), fan);
    const suspended = await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: c.organizer.token, body: { reason: "Comportement" } });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: "SUSPENDED", suspension_reason: "Comportement" });
    for (const eventId of matches) expect((await rightsIn(eventId, fan.id)).map((r) => r.status)).toEqual(["BLOCKED"]);
    // Repeating it is harmless.
    expect((await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: c.organizer.token, body: { reason: "Comportement" } })).status).toBe(200);
    const reactivated = await api("POST", `/v1/subscriptions/${pass.id}/reactivate`, { token: c.organizer.token });
    expect(reactivated.body).toMatchObject({ status: "ACTIVE", suspension_reason: null });
    for (const eventId of matches) {
      expect((await rightsIn(eventId, fan.id)).map((r) => r.status)).toEqual(["ENABLED"]);
      await eventStub(env, eventId).flushProjection();
    }
    const log = await env.DB.prepare(
      "SELECT t.transaction_type AS type FROM access_transactions_log t JOIN access_rights r ON r.id = t.access_right_id WHERE r.source_id = ? ORDER BY t.created_at",
    )
      .bind(pass.id)
      .all();
    const types = log.results.map((r) => r.type);
    expect(types.filter((t) => t === "BLOCK")).toHaveLength(2);
    expect(types.filter((t) => t === "UNBLOCK")).toHaveLength(2);
  });

  it("only the club or an admin suspends; the holder gets 403, others 404; a PENDING pass cannot be suspended", async () => {
    const c = await club();
    const fan = await registerUser();
    const pending = await subscribeTo(await plan(c), fan);
    expectProblem(await api("POST", `/v1/subscriptions/${pending.body.id}/suspend`, { token: c.organizer.token, body: { reason: "x" } }), 409, "subscription_not_active");
    const pass = await activePass(c, await plan(c), fan);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: fan.token, body: { reason: "x" } }), 403);
    const stranger = await registerOrganizer();
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: stranger.token, body: { reason: "x" } }), 404);
    // The club's team: a SUPERVISOR blocks rights, the box office takes cash but blocks nothing, a controller reads nothing.
    const boxOffice = await registerMember(c.organizer.organizationId, "BOX_OFFICE");
    expect(expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: boxOffice.token, body: { reason: "x" } }), 403).detail).toContain("rights.block");
    const controller = await registerMember(c.organizer.organizationId, "CONTROLLER");
    expectProblem(await api("GET", `/v1/subscriptions/${pass.id}`, { token: controller.token }), 403);
    expect((await api("GET", `/v1/subscriptions/${pass.id}`, { token: boxOffice.token })).status).toBe(200);
    const supervisor = await registerMember(c.organizer.organizationId, "SUPERVISOR");
    expect((await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: supervisor.token, body: { reason: "Fumigène" } })).status).toBe(200);
    expect((await api("POST", `/v1/subscriptions/${pass.id}/reactivate`, { token: supervisor.token })).status).toBe(200);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/reactivate`, { token: stranger.token }), 404);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/activate-cash`, { token: stranger.token }), 404);
    const admin = await registerAdmin();
    expect((await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: admin.token, body: { reason: "Impayé" } })).status).toBe(200);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { body: { reason: "x" } }), 401);
  });

  it("the holder cancels before paying; once paid only the club cancels, its rights go and the place is given back once", async () => {
    const c = await club();
    const eventId = await match(c, { days: 5 });
    const planId = await plan(c);
    const fan = await registerUser();
    const pending = await subscribeTo(planId, fan);
    const cancelled = await api("POST", `/v1/subscriptions/${pending.body.id}/cancel`, { token: fan.token, body: { reason: "changed my mind" } });
    expect(cancelled.body).toMatchObject({ status: "CANCELLED", cancellation_reason: "changed my mind" });
    expect((await planRow(planId)).current_subscribers).toBe(0);

    const pass = await activePass(c, planId, fan);
    expect((await planRow(planId)).current_subscribers).toBe(1);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/cancel`, { token: fan.token, body: { reason: "moving" } }), 409, "cancellation_not_allowed");
    const byClub = await Promise.all([
      api("POST", `/v1/subscriptions/${pass.id}/cancel`, { token: c.organizer.token, body: { reason: "Résiliation" } }),
      api("POST", `/v1/subscriptions/${pass.id}/cancel`, { token: c.organizer.token, body: { reason: "Résiliation" } }),
    ]);
    expect(byClub.some((r) => r.status === 200 && r.body.status === "CANCELLED")).toBe(true);
    expect((await api("POST", `/v1/subscriptions/${pass.id}/cancel`, { token: c.organizer.token, body: { reason: "again" } })).status).toBe(200);
    expect((await planRow(planId)).current_subscribers).toBe(0);
    expect((await rightsIn(eventId, fan.id, pass.id)).map((r) => r.status)).toEqual(["CANCELLED"]);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/reactivate`, { token: c.organizer.token }), 409, "subscription_not_suspended");
  });

  it("the cron finishes a suspension cut short: D1 says SUSPENDED, the rights get blocked", async () => {
    const c = await club();
    const eventId = await match(c, { days: 5 });
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c), fan);
    await eventStub(env, eventId).flushProjection();
    // As if the Worker died after the status change, before reaching the event.
    await env.DB.prepare("UPDATE subscriptions SET status = 'SUSPENDED', updated_at = ? WHERE id = ?").bind(iso(Date.now()), pass.id).run();
    expect((await syncSeasonPassRights(env)).corrected).toBe(1);
    expect((await rightsIn(eventId, fan.id)).map((r) => r.status)).toEqual(["BLOCKED"]);
  });

  it("frees a seat in each event before giving it to the next pass, even when the previous cancellation was cut short", async () => {
    const c = await club();
    const eventId = await match(c, { days: 5 });
    const planId = await plan(c, { assigned: true });
    const [first, second] = [await registerUser(), await registerUser()];
    const old = await activePass(c, planId, first, { seat_id: c.seatIds[0] });
    await eventStub(env, eventId).flushProjection();
    // Cancelled in D1 only: its right in the event is still ENABLED on that seat.
    await env.DB.prepare("UPDATE subscriptions SET status = 'CANCELLED' WHERE id = ?").bind(old.id).run();
    const next = await activePass(c, planId, second, { seat_id: c.seatIds[0] });
    expect((await rightsIn(eventId, first.id, old.id)).map((r) => r.status)).toEqual(["CANCELLED"]);
    expect((await rightsIn(eventId, second.id, next.id)).map((r) => r.status)).toEqual(["ENABLED"]);
    // D1 accepts both (one live right per seat and event): the projection is not stuck.
    await eventStub(env, eventId).flushProjection();
    const projected = await env.DB.prepare("SELECT source_id, status FROM access_rights WHERE event_id = ? AND seat_id = ? ORDER BY status").bind(eventId, c.seatIds[0]).all();
    expect(projected.results).toEqual([
      { source_id: old.id, status: "CANCELLED" },
      { source_id: next.id, status: "ENABLED" },
    ]);
  });

  it("the cron expires passes past their validity and unpaid ones, giving their places back", async () => {
    const c = await club();
    const planId = await plan(c);
    const [a, b, d] = [await registerUser(), await registerUser(), await registerUser()];
    const old = await activePass(c, planId, a);
    const unpaid = await subscribeTo(planId, b);
    const fresh = await subscribeTo(planId, d);
    await env.DB.prepare("UPDATE subscriptions SET valid_from = ?, valid_until = ? WHERE id = ?").bind(dayOf(Date.now() - 300 * DAY), dayOf(Date.now() - DAY), old.id).run();
    await env.DB.prepare("UPDATE subscriptions SET created_at = ? WHERE id = ?").bind(iso(Date.now() - 3 * DAY), unpaid.body.id).run();
    expect((await planRow(planId)).current_subscribers).toBe(3);
    await expireSubscriptions(env);
    await expireSubscriptions(env);
    const status = async (id: string) => (await env.DB.prepare("SELECT status FROM subscriptions WHERE id = ?").bind(id).first<{ status: string }>())!.status;
    expect(await status(old.id)).toBe("EXPIRED");
    expect(await status(unpaid.body.id)).toBe("CANCELLED");
    expect(await status(fresh.body.id)).toBe("PENDING");
    expect((await planRow(planId)).current_subscribers).toBe(1);
  });

  it("renews within the priority window onto next season's plan, keeping the seat", async () => {
    const c = await club();
    const next = await plan(c, { group: false, duration: 12, assigned: true, salesStart: iso(Date.now() + 60 * DAY) });
    const current = await plan(c, { assigned: true, metadata: { renewal_plan_id: next } });
    const fan = await registerUser();
    const pass = await activePass(c, current, fan, { seat_id: c.seatIds[2] });
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: fan.token }), 409, "renewal_not_open");
    const until = dayOf(Date.now() + 10 * DAY);
    await env.DB.prepare("UPDATE subscriptions SET valid_until = ? WHERE id = ?").bind(until, pass.id).run();
    const stranger = await registerUser();
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: stranger.token }), 404);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: c.organizer.token }), 403);
    const renewed = await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: fan.token });
    expect(renewed.status).toBe(201);
    expect(renewed.body).toMatchObject({ status: "PENDING", subscription_plan_id: next, seat_id: c.seatIds[2], renewed_from: pass.id, valid_from: dayOf(Date.parse(until) + DAY) });
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: fan.token }), 409, "already_subscribed");
  });

  it("refuses renewing a non-renewable plan, or an assigned seat onto the same plan", async () => {
    const c = await club();
    const fan = await registerUser();
    const soon = dayOf(Date.now() + 5 * DAY);
    const fixed = await activePass(c, await plan(c, { renewable: false }), fan);
    await env.DB.prepare("UPDATE subscriptions SET valid_until = ? WHERE id = ?").bind(soon, fixed.id).run();
    expectProblem(await api("POST", `/v1/subscriptions/${fixed.id}/renew`, { token: fan.token }), 409, "plan_not_renewable");
    const seated = await activePass(c, await plan(c, { assigned: true }), fan, { seat_id: c.seatIds[3] });
    await env.DB.prepare("UPDATE subscriptions SET valid_until = ? WHERE id = ?").bind(soon, seated.id).run();
    expectProblem(await api("POST", `/v1/subscriptions/${seated.id}/renew`, { token: fan.token }), 409, "renewal_needs_next_plan");
  });
});

describe("FLEX passes", () => {
  const flex = (c: Club, extra: PlanOptions = {}) =>
    plan(c, { type: "FLEX", zone: "STANDARD", benefits: { number_of_matches: 2 }, restrictions: { advance_booking_days: 2, peak_matches_limit: 1 }, ...extra });
  const book = (subscriptionId: string, user: { token: string }, eventId: string) => api("POST", `/v1/subscriptions/${subscriptionId}/bookings`, { token: user.token, body: { event_id: eventId } });

  it("covers nothing automatically; books up to N matches, each with its own right, and gives a cancelled one back", async () => {
    const c = await club();
    const matches = [await match(c, { days: 5 }), await match(c, { days: 6 }), await match(c, { days: 7 })];
    const fan = await registerUser();
    const pass = await activePass(c, await flex(c), fan);
    expect(await coveredOf(matches, fan.id)).toEqual([]);
    expect(pass.matches).toEqual({ total: 2, booked: 0 });
    const first = await book(pass.id, fan, matches[0]!);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: "BOOKED", event_id: matches[0] });
    const rights = await rightsIn(matches[0]!, fan.id, `${pass.id}:${first.body.id}`);
    expect(rights).toHaveLength(1);
    expect(rights[0]).toMatchObject({ id: first.body.access_right_id, zone_id: c.standardZone, status: "ENABLED" });
    expectProblem(await book(pass.id, fan, matches[0]!), 409, "already_booked");
    expect((await book(pass.id, fan, matches[1]!)).status).toBe(201);
    expectProblem(await book(pass.id, fan, matches[2]!), 409, "booking_limit_reached");

    const cancelled = await api("DELETE", `/v1/subscriptions/${pass.id}/bookings/${matches[0]}`, { token: fan.token });
    expect(cancelled.body).toMatchObject({ status: "CANCELLED" });
    expect((await rightsIn(matches[0]!, fan.id, `${pass.id}:${first.body.id}`))[0]!.status).toBe("CANCELLED");
    expect((await book(pass.id, fan, matches[2]!)).status).toBe(201);
    // Booking the cancelled match again gives a new right, not the cancelled one.
    await api("DELETE", `/v1/subscriptions/${pass.id}/bookings/${matches[2]}`, { token: fan.token });
    const rebooked = await book(pass.id, fan, matches[0]!);
    expect(rebooked.status).toBe(201);
    expect((await rightsIn(matches[0]!, fan.id)).map((r) => r.status).sort()).toEqual(["CANCELLED", "ENABLED"]);
    const read = await api("GET", `/v1/subscriptions/${pass.id}`, { token: fan.token });
    expect(read.body.matches).toEqual({ total: 2, booked: 2 });
  });

  it("never books more than N matches, whatever the concurrency", async () => {
    const c = await club();
    const matches = await Promise.all([5, 6, 7, 8, 9, 10].map((days) => match(c, { days })));
    const fan = await registerUser();
    const pass = await activePass(c, await flex(c, { benefits: { number_of_matches: 3 }, restrictions: {} }), fan);
    const results = await Promise.all(matches.map((eventId) => book(pass.id, fan, eventId)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    for (const refused of results.filter((r) => r.status !== 201)) expectProblem(refused, 409, "booking_limit_reached");
    const live = await env.DB.prepare("SELECT count(*) AS n FROM subscription_bookings WHERE subscription_id = ? AND status = 'BOOKED'").bind(pass.id).first<{ n: number }>();
    expect(live!.n).toBe(3);
  });

  it("keeps the plan's booking restrictions: notice, peak matches, coverage, an active pass", async () => {
    const c = await club();
    const tooSoon = await match(c, { days: 1 });
    const peakA = await match(c, { days: 5, peak: true });
    const peakB = await match(c, { days: 6, peak: true });
    const elsewhere = await match(c, { days: 7, group: null });
    const fan = await registerUser();
    const pass = await activePass(c, await flex(c), fan);
    expectProblem(await book(pass.id, fan, tooSoon), 409, "booking_too_late");
    expectProblem(await book(pass.id, fan, elsewhere), 409, "event_not_covered");
    expectProblem(await book(pass.id, fan, newId()), 404);
    expect((await book(pass.id, fan, peakA)).status).toBe(201);
    expectProblem(await book(pass.id, fan, peakB), 409, "peak_limit_reached");
    await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: c.organizer.token, body: { reason: "x" } });
    expect((await rightsIn(peakA, fan.id)).map((r) => r.status)).toEqual(["BLOCKED"]);
    expectProblem(await book(pass.id, fan, await match(c, { days: 8 })), 409, "subscription_not_active");
  });

  it("lets only the holder book", async () => {
    const c = await club();
    const eventId = await match(c, { days: 5 });
    const fan = await registerUser();
    const pass = await activePass(c, await flex(c), fan);
    expectProblem(await book(pass.id, await registerUser(), eventId), 404);
    expectProblem(await book(pass.id, c.organizer, eventId), 403);
    expectProblem(await api("DELETE", `/v1/subscriptions/${pass.id}/bookings/${eventId}`, { token: (await registerUser()).token }), 404);
  });

  it("books a non-FLEX pass's booking-only events within their window", async () => {
    const c = await club();
    const legends = await match(c, { days: 20, group: null, type: "friendly" });
    const nearer = await match(c, { days: 3, group: null, type: "friendly" });
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c, { explicit: [{ event_id: legends, requires_booking: true, booking_window_days: 14 }, { event_id: nearer, requires_booking: true, booking_window_days: 14 }] }), fan);
    expect(await coveredOf([legends, nearer], fan.id)).toEqual([]);
    expectProblem(await book(pass.id, fan, legends), 409, "booking_not_open");
    expect((await book(pass.id, fan, nearer)).status).toBe(201);
  });
});

describe("reading passes", () => {
  it("shows a pass to its holder, its club and admins only", async () => {
    const c = await club();
    const fan = await registerUser();
    const pass = await activePass(c, await plan(c), fan);
    expect((await api("GET", `/v1/subscriptions/${pass.id}`, { token: fan.token })).status).toBe(200);
    expect((await api("GET", `/v1/subscriptions/${pass.id}`, { token: c.organizer.token })).status).toBe(200);
    expect((await api("GET", `/v1/subscriptions/${pass.id}`, { token: (await registerAdmin()).token })).status).toBe(200);
    expectProblem(await api("GET", `/v1/subscriptions/${pass.id}`, { token: (await registerUser()).token }), 404);
    expectProblem(await api("GET", `/v1/subscriptions/${pass.id}`, { token: (await registerOrganizer()).token }), 404);
    expectProblem(await api("GET", `/v1/subscriptions/${pass.id}`), 401);
  });

  it("lists my passes with their plan and rights, and only mine", async () => {
    const c = await club();
    const eventId = await match(c, { days: 5 });
    const fan = await registerUser();
    const other = await registerUser();
    const planA = await plan(c);
    const planB = await plan(c);
    const active = await activePass(c, planA, fan);
    await subscribeTo(planB, fan);
    await subscribeTo(planA, other);
    await eventStub(env, eventId).flushProjection();
    const page1 = await api("GET", "/v1/me/subscriptions?limit=1", { token: fan.token });
    expect(page1.body.data).toHaveLength(1);
    expect(page1.body.data[0]).toMatchObject({ subscription_plan_id: planB, status: "PENDING", rights_count: 0 });
    const page2 = await api("GET", `/v1/me/subscriptions?limit=1&cursor=${page1.body.next_cursor}`, { token: fan.token });
    expect(page2.body.data[0]).toMatchObject({ id: active.id, rights_count: 1, plan: { id: planA, code: expect.stringMatching(/^PASS-/) } });
    expect(page2.body.next_cursor).toBeNull();
    const onlyActive = await api("GET", "/v1/me/subscriptions?status=ACTIVE", { token: fan.token });
    expect(onlyActive.body.data.map((p: { id: string }) => p.id)).toEqual([active.id]);
  });
});

describe("hostile requests", () => {
  it("rejects unknown fields, bad ids, bad types and malformed bodies with problems", async () => {
    const c = await club();
    const planId = await plan(c);
    const fan = await registerUser();
    expectProblem(await subscribeTo(planId, fan, { auto_renew: true, price_paid: 0 }), 422, "validation_failed");
    expectProblem(await subscribeTo(planId, fan, { seat_id: "../../etc" }), 422, "validation_failed");
    expectProblem(await subscribeTo(planId, fan, { auto_renew: "yes" }), 422, "validation_failed");
    expectProblem(await api("POST", `/v1/subscription-plans/${planId}/subscribe`, { token: fan.token, rawBody: "{not json", headers: { "Content-Type": "application/json" } }), 400);
    expectProblem(await api("POST", "/v1/subscription-plans/not-a-uuid/subscribe", { token: fan.token, body: {} }), 422);
    expectProblem(await subscribeTo(planId, { token: "" }), 401);
    const pass = await activePass(c, planId, fan);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: c.organizer.token, body: { reason: "" } }), 422);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/suspend`, { token: c.organizer.token, body: { reason: "x".repeat(501) } }), 422);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/cancel`, { token: c.organizer.token, body: { reason: "x", status: "ACTIVE" } }), 422);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/bookings`, { token: fan.token, body: { event_id: 42 } }), 422);
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/renew`, { token: fan.token, body: { valid_until: "2099-01-01" } }), 422);
    expectProblem(await api("GET", "/v1/me/subscriptions?status=BOGUS", { token: fan.token }), 422);
    expectProblem(await api("GET", "/v1/me/subscriptions?cursor=%%%", { token: fan.token }), 422);
  });
});

describe("EventDO.setRightsStatus", () => {
  it("moves only ENABLED and BLOCKED rights of one source, logs each move, and leaves transferred rights alone", async () => {
    const fixture = await ticketedEvent();
    const [a, b, friend] = await createUsers(3);
    const sourceId = newId();
    const issued = await fixture.stub.issueRights({
      source_type: "SUBSCRIPTION",
      source_id: sourceId,
      holders: [a!, b!].map((user_id) => ({ user_id, zone_id: null, seat_id: null })),
      config_id: null,
      created_by: null,
    });
    if (!issued.ok) throw new Error(issued.problem.code);
    const other = await fixture.stub.issueRights({ source_type: "SUBSCRIPTION", source_id: newId(), holders: [{ user_id: a!, zone_id: null, seat_id: null }], config_id: null, created_by: null });
    const [aRight, bRight] = [a, b].map((user) => issued.rights.find((r) => r.user_id === user)!);
    const moved = await fixture.stub.transferRight({
      transfer_id: newId(),
      type: "TRANSFER_DONATION",
      access_right_id: bRight!.id,
      from_user_id: b!,
      to_user_id: friend!,
      price: null,
      resale_cap_bp: 10_000,
      no_retransfer: false,
      reason: null,
      by: b!,
    });
    if (!moved.ok) throw new Error(moved.problem.code);

    const blocked = await fixture.stub.setRightsStatus("SUBSCRIPTION", sourceId, "BLOCKED", fixture.organizerId, "Impayé");
    if (!blocked.ok) throw new Error(blocked.problem.code);
    expect(blocked.changed).toBe(1);
    expect(Object.fromEntries(blocked.rights.map((r) => [r.id, r.status]))).toEqual({ [aRight!.id]: "BLOCKED", [bRight!.id]: "TRANSFERRED" });
    expect(await fixture.stub.setRightsStatus("SUBSCRIPTION", sourceId, "BLOCKED", null, null)).toMatchObject({ changed: 0 });
    expect((await fixture.stub.listRights({ user_id: friend! }))[0]!.status).toBe("ENABLED");
    if (!other.ok) throw new Error(other.problem.code);
    expect((await fixture.stub.listRights({ user_id: a! })).find((r) => r.id === other.rights[0]!.id)!.status).toBe("ENABLED");

    expect(await fixture.stub.setRightsStatus("SUBSCRIPTION", sourceId, "ENABLED", null, "reactivated")).toMatchObject({ changed: 1 });
    expect(await fixture.stub.setRightsStatus("SUBSCRIPTION", sourceId, "CANCELLED", null, "cancelled")).toMatchObject({ changed: 1 });
    // CANCELLED is final.
    expect(await fixture.stub.setRightsStatus("SUBSCRIPTION", sourceId, "ENABLED", null, null)).toMatchObject({ changed: 0 });

    await fixture.stub.flushProjection();
    const projected = await env.DB.prepare("SELECT status FROM access_rights WHERE id = ?").bind(aRight!.id).first<{ status: string }>();
    expect(projected!.status).toBe("CANCELLED");
    const log = await env.DB.prepare("SELECT transaction_type, created_by, reason FROM access_transactions_log WHERE access_right_id = ? ORDER BY created_at, rowid").bind(aRight!.id).all();
    expect(log.results.map((r) => r.transaction_type)).toEqual(["CREATE", "BLOCK", "UNBLOCK", "CANCEL"]);
    expect(log.results[1]).toMatchObject({ created_by: fixture.organizerId, reason: "Impayé" });
  });
});
