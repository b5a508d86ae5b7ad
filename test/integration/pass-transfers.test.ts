import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { syncSeasonPassRights } from "../../src/passes/cron.ts";
import { completePassTransfers } from "../../src/passes/transfers.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { passPaymentPaid } from "../../src/passes/paid.ts";
import { settlePayment } from "../../src/payments/service.ts";
import { api, eventually, expectProblem, registerAdmin, registerMember, registerUser, settleAtProvider, waitForMessage } from "../support/api.ts";
import { queuesIdle } from "../support/queues.ts";
import { type PlanOptions, activePass, club, iso, match, plan, planRow, rightsIn } from "../support/season-passes.ts";

const transfer = (passId: string, user: { token: string }, body: Record<string, unknown>) => api("POST", `/v1/subscriptions/${passId}/transfer`, { token: user.token, body });
const passRow = async (id: string) => (await env.DB.prepare("SELECT * FROM subscriptions WHERE id = ?").bind(id).first<{ status: string; user_id: string; seat_id: string | null; transferred_from: string | null; transfers_used: number }>())!;

/** A club, two matches to come and one under way (doors open), and an ACTIVE pass with a seat covering them. */
async function passWithMatches(o: PlanOptions = {}) {
  const c = await club();
  const soon = await match(c, { days: 5 });
  const later = await match(c, { days: 12 });
  const underway = await match(c, { startsAt: iso(Date.now() - 3600_000) });
  const planId = await plan(c, { assigned: true, ...o });
  const holder = await registerUser();
  const pass = await activePass(c, planId, holder, { seat_id: c.seatIds[0] });
  return { c, soon, later, underway, planId, holder, pass };
}

describe("whole season-pass transfer", () => {
  it("hands the pass over: the old one TRANSFERRED, a new ACTIVE one for the recipient with the seat, every right still to come moved with a new code, the match under way left with the holder; both told", async () => {
    const { c, soon, later, underway, planId, holder, pass } = await passWithMatches();
    const [before] = await rightsIn(soon, holder.id, pass.id);
    expect(before).toMatchObject({ status: "ENABLED", seat_id: c.seatIds[0] });
    const recipient = await registerUser();

    const done = await transfer(pass.id, holder, { recipient_user_id: recipient.id, message: "Bonne saison !" });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ subscription: { id: pass.id, status: "TRANSFERRED", transfers_used: 1 }, recipient_user_id: recipient.id, fee: null, rights_moved: 2, rights_pending: 0 });
    const newId = done.body.new_subscription_id as string;
    expect(await passRow(newId)).toMatchObject({ status: "ACTIVE", user_id: recipient.id, seat_id: c.seatIds[0], transferred_from: pass.id, transfers_used: 1 });
    // One live pass left the plan, one entered: the count is unchanged.
    expect((await planRow(planId)).current_subscribers).toBe(1);

    for (const eventId of [soon, later]) {
      const [old] = await rightsIn(eventId, holder.id, pass.id);
      expect(old!.status).toBe("TRANSFERRED");
      const [moved, ...more] = await rightsIn(eventId, recipient.id, newId);
      expect(more).toEqual([]);
      expect(moved).toMatchObject({ status: "ENABLED", seat_id: c.seatIds[0], transfer_count: 1, original_user_id: holder.id });
      expect(moved!.qr_code).not.toBe(old!.qr_code);
    }
    // Doors open: that right stays with the old pass, as history; the cron gives the new pass none there.
    expect(await rightsIn(underway, holder.id, pass.id)).toEqual([expect.objectContaining({ status: "ENABLED" })]);
    for (const eventId of [soon, later, underway]) await eventStub(env, eventId).flushProjection();
    await syncSeasonPassRights(env);
    expect(await rightsIn(underway, recipient.id)).toEqual([]);
    expect(await rightsIn(soon, recipient.id)).toHaveLength(1);

    // The recipient reads their pass; the old holder theirs, closed.
    expect((await api("GET", `/v1/subscriptions/${newId}`, { token: recipient.token })).body).toMatchObject({ status: "ACTIVE", transferred_from: pass.id });
    expect((await api("GET", `/v1/subscriptions/${pass.id}`, { token: holder.token })).body).toMatchObject({ status: "TRANSFERRED" });
    expect((await waitForMessage(holder.id, "PASS_TRANSFERRED_OUT")).data).toMatchObject({ subscription_id: pass.id });
    expect((await waitForMessage(recipient.id, "PASS_TRANSFERRED_IN")).data).toMatchObject({ subscription_id: newId, message: "Bonne saison !" });

    // Once handed on, it is not the holder's to hand again; the recipient may pass it on in turn.
    expectProblem(await transfer(pass.id, holder, { recipient_user_id: (await registerUser()).id }), 409, "subscription_not_active");
    const onward = await transfer(newId, recipient, { recipient_email: `third-${crypto.randomUUID().slice(0, 8)}@example.tn` });
    expect(onward.body).toMatchObject({ subscription: { status: "TRANSFERRED", transfers_used: 2 }, rights_moved: 2 });
  });

  it("the cron moves the rights of a pass handed on whose EventDOs were not reached at the time, once", async () => {
    const { soon, later, holder, pass } = await passWithMatches();
    const recipient = await registerUser();
    // D1 says the pass was handed on, the events' objects were never told (the Worker stopped in between).
    const newId = crypto.randomUUID();
    await env.DB.batch([
      env.DB.prepare("UPDATE subscriptions SET status = 'TRANSFERRED', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").bind(pass.id),
      env.DB.prepare(
        `INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, seat_id, price_paid, currency, valid_from, valid_until, status, auto_renew, transfers_used, transferred_from)
         SELECT ?, 'SUB-T-' || substr(?, 1, 8), ?, subscription_plan_id, seat_id, 0, currency, valid_from, valid_until, 'ACTIVE', 0, 1, id FROM subscriptions WHERE id = ?`,
      ).bind(newId, newId, recipient.id, pass.id),
    ]);
    expect(await rightsIn(soon, recipient.id)).toEqual([]);
    for (const eventId of [soon, later]) await eventStub(env, eventId).flushProjection();
    expect(await completePassTransfers(env)).toMatchObject({ failed: 0 });
    for (const eventId of [soon, later]) {
      expect(await rightsIn(eventId, holder.id, pass.id)).toEqual([expect.objectContaining({ status: "TRANSFERRED" })]);
      expect(await rightsIn(eventId, recipient.id, newId)).toEqual([expect.objectContaining({ status: "ENABLED" })]);
    }
    // Done once: the objects move nothing more.
    const again = await eventStub(env, soon).transferPassRights({ transfer_id: "again", from_source: pass.id, to_source: newId, to_user_id: recipient.id, by: recipient.id });
    expect(again).toMatchObject({ ok: true, moved: [] });
  });
});

describe("whole season-pass transfer: refusals", () => {
  it("refuses what the plan or the people do not allow", async () => {
    const { c, soon, holder, pass } = await passWithMatches();
    const recipient = await registerUser();
    expectProblem(await transfer(pass.id, await registerUser(), { recipient_user_id: recipient.id }), 404, "not_found");
    expectProblem(await transfer(pass.id, c.organizer, { recipient_user_id: recipient.id }), 403, "forbidden");
    const self = await transfer(pass.id, holder, { recipient_user_id: holder.id });
    expectProblem(self, 422, "validation_failed");
    expect(self.body.errors).toEqual([expect.objectContaining({ path: "recipient_user_id", code: "transfer_to_self" })]);
    expectProblem(await transfer(pass.id, holder, {}), 422, "validation_failed");
    expectProblem(await transfer(pass.id, holder, { recipient_user_id: recipient.id, recipient_email: "x@example.tn" }), 422, "validation_failed");
    expectProblem(await transfer(pass.id, holder, { recipient_user_id: crypto.randomUUID() }), 422, "validation_failed");

    // A recipient banned by the platform.
    const banned = await registerUser();
    const admin = await registerAdmin();
    const ban = await api("POST", "/v1/blacklist", { token: admin.token, body: { reason: "Violence au stade", severity: "HIGH", blacklist_type: "USER", identifier: banned.id, scope: "GLOBAL" } });
    expect(ban.status, JSON.stringify(ban.body)).toBe(201);
    expectProblem(await transfer(pass.id, holder, { recipient_user_id: banned.id }), 403, "blacklisted");

    // A recipient who already holds a pass of the plan.
    const other = await registerUser();
    await activePass(c, pass.subscription_plan_id, other, { seat_id: c.seatIds[1] });
    expectProblem(await transfer(pass.id, holder, { recipient_user_id: other.id }), 409, "already_subscribed");

    // Nothing moved through all this.
    expect((await passRow(pass.id)).status).toBe("ACTIVE");
    expect(await rightsIn(soon, holder.id, pass.id)).toEqual([expect.objectContaining({ status: "ENABLED" })]);
  });

  it("keeps to the plan's transfer rules: not transferable, the quota, the deadline before the next match", async () => {
    const recipient = await registerUser();
    const fixed = await passWithMatches();
    await env.DB.prepare("UPDATE subscription_plans SET is_transferable = 0 WHERE id = ?").bind(fixed.planId).run();
    expectProblem(await transfer(fixed.pass.id, fixed.holder, { recipient_user_id: recipient.id }), 409, "transfer_not_allowed");

    const none = await passWithMatches({ restrictions: { max_transfers_per_season: 0 } });
    expectProblem(await transfer(none.pass.id, none.holder, { recipient_user_id: recipient.id }), 409, "transfer_quota_exhausted");

    // The next match is in 5 days: a 200-hour deadline has passed, a 48-hour one has not.
    const late = await passWithMatches({ restrictions: { transfer_window_hours: 200 } });
    expectProblem(await transfer(late.pass.id, late.holder, { recipient_user_id: recipient.id }), 409, "transfer_window_closed");
    const inTime = await passWithMatches({ restrictions: { transfer_window_hours: 48 } });
    expect((await transfer(inTime.pass.id, inTime.holder, { recipient_user_id: recipient.id })).status).toBe(200);
  });

  it("a plan with a transfer fee is transferred at the box office, which takes the fee as a CASH payment", async () => {
    const { c, holder, pass } = await passWithMatches({ restrictions: { transfer_fee: 50_000 } });
    const recipient = await registerUser();
    const cashier = await registerMember(c.organizer.organizationId, "BOX_OFFICE");
    expectProblem(await api("POST", `/v1/subscriptions/${pass.id}/transfer-at-box-office`, { token: holder.token, body: { recipient_user_id: recipient.id } }), 403, "forbidden");
    const done = await api("POST", `/v1/subscriptions/${pass.id}/transfer-at-box-office`, { token: cashier.token, body: { recipient_user_id: recipient.id } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.fee).toMatchObject({ amount: 50_000, currency: "TND" });
    const payment = await env.DB.prepare("SELECT * FROM payments WHERE id = ?").bind(done.body.fee.payment_id).first<{ status: string; method: string; amount: number; user_id: string; subscription_id: string }>();
    expect(payment).toMatchObject({ status: "PAID", method: "CASH", amount: 50_000, user_id: holder.id, subscription_id: pass.id });
    const audit = await env.DB.prepare("SELECT user_id FROM audit_log WHERE action = 'PAYMENT' AND object_id = ?").bind(done.body.fee.payment_id).all();
    expect(audit.results).toEqual([{ user_id: cashier.id }]);
    // A refused transfer takes no fee: the payment is CANCELLED.
    const second = await api("POST", `/v1/subscriptions/${pass.id}/transfer-at-box-office`, { token: cashier.token, body: { recipient_user_id: (await registerUser()).id } });
    expectProblem(second, 409, "subscription_not_active");
    const cancelled = await env.DB.prepare("SELECT status FROM payments WHERE subscription_id = ? AND method = 'CASH' ORDER BY created_at").bind(pass.id).all<{ status: string }>();
    expect(cancelled.results.map((p) => p.status)).toEqual(["PAID", "PAID", "CANCELLED"]);
    // The fee refunded takes nothing back: the recipient keeps the pass, and so it does when the pass's own payment is refunded.
    for (const paymentId of [done.body.fee.payment_id, pass.payment_id]) {
      const asked = await api("POST", `/v1/payments/${paymentId}/refunds`, { token: holder.token, body: { reason: "CUSTOMER_REQUEST" } });
      expect(asked.status, JSON.stringify(asked.body)).toBe(201);
      const approved = await api("POST", `/v1/refunds/${asked.body.id}/approve`, { token: c.organizer.token, body: {} });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    }
    expect(await passRow(done.body.new_subscription_id)).toMatchObject({ status: "ACTIVE", user_id: recipient.id });
    expect((await passRow(pass.id)).status).toBe("TRANSFERRED");
  });
});

describe("whole season-pass transfer under concurrency", () => {
  it("two transfers of one pass at once: one wins, one new pass, one live right per event", async () => {
    for (let round = 0; round < 3; round++) {
      const { soon, holder, pass } = await passWithMatches();
      const [a, b] = [await registerUser(), await registerUser()];
      const results = await Promise.all([transfer(pass.id, holder, { recipient_user_id: a.id }), transfer(pass.id, holder, { recipient_user_id: b.id })]);
      const won = results.filter((r) => r.status === 200);
      expect(won, JSON.stringify(results.map((r) => r.body))).toHaveLength(1);
      const lost = results.find((r) => r.status !== 200)!;
      expectProblem(lost, 409, "subscription_not_active");
      const successors = await env.DB.prepare("SELECT id, user_id FROM subscriptions WHERE transferred_from = ?").bind(pass.id).all<{ id: string; user_id: string }>();
      expect(successors.results).toHaveLength(1);
      const stub = eventStub(env, soon);
      const rights = [...(await stub.listRights({ source_id: pass.id })), ...(await stub.listRights({ source_id: successors.results[0]!.id }))];
      const live = rights.filter((r) => r.status === "ENABLED");
      expect(live).toEqual([expect.objectContaining({ user_id: successors.results[0]!.user_id })]);
    }
  });
});

// ------------------------------------------------------------ a transfer fee paid online

const FEE = 50_000;
const transferRow = async (id: string) =>
  (await env.DB.prepare("SELECT * FROM subscription_transfers WHERE id = ?").bind(id).first<{ status: string; payment_id: string | null; new_subscription_id: string | null; failure_reason: string | null; recipient_user_id: string }>())!;
const successorsOf = async (passId: string) => (await env.DB.prepare("SELECT id, user_id FROM subscriptions WHERE transferred_from = ?").bind(passId).all<{ id: string; user_id: string }>()).results;
const refundsOf = async (paymentId: string) => (await env.DB.prepare("SELECT reason, description, amount FROM refunds WHERE payment_id = ?").bind(paymentId).all<{ reason: string; description: string; amount: number }>()).results;
const payTransfer = (user: { token: string }, transferId: string, method = "CARD") => api("POST", "/v1/payments", { token: user.token, body: { target: { type: "PASS_TRANSFER", transfer_id: transferId }, method } });

/** A pass whose plan charges a transfer fee, and its holder's request to hand it to a new fan: 202, PENDING. */
async function pendingTransfer() {
  const fixture = await passWithMatches({ restrictions: { transfer_fee: FEE } });
  const recipient = await registerUser();
  const asked = await transfer(fixture.pass.id, fixture.holder, { recipient_user_id: recipient.id, message: "À toi !" });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  return { ...fixture, recipient, pending: asked.body as { id: string; status: string; expires_at: string } };
}

/** The holder pays on Konnect's page (TND cards) and Konnect's callback reaches the Worker; the payment, once the queues are idle. */
async function payOnline(holder: { token: string }, transferId: string) {
  const started = await payTransfer(holder, transferId);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const paid = await settleAtProvider("konnect", started.body.payment.external_reference);
  expect((await paid.deliver()).status).toBe(200);
  await queuesIdle();
  return { payment: started.body.payment as { id: string; external_reference: string }, replay: paid.deliver };
}

describe("whole season-pass transfer with a fee paid online", () => {
  it("the holder's request is PENDING (202), paid through POST /v1/payments, and carried out once PAID: pass and rights moved, both told; replays settle once, a second payment is refused", async () => {
    const { soon, later, holder, pass, recipient, pending } = await pendingTransfer();
    expect(pending).toMatchObject({ status: "PENDING", subscription_id: pass.id, recipient_user_id: recipient.id, fee: { amount: FEE, currency: "TND" }, payment_id: null, new_subscription_id: null });
    const ttl = Date.parse(pending.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000);
    // The same request again answers the same transfer; nothing moved yet.
    const again = await transfer(pass.id, holder, { recipient_user_id: recipient.id });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(pending.id);
    expect((await passRow(pass.id)).status).toBe("ACTIVE");
    expect(await rightsIn(soon, holder.id, pass.id)).toEqual([expect.objectContaining({ status: "ENABLED" })]);

    const { payment, replay } = await payOnline(holder, pending.id);
    const paid = await env.DB.prepare("SELECT * FROM payments WHERE id = ?").bind(payment.id).first<{ status: string; type: string; amount: number; subscription_id: string; user_id: string; metadata: string }>();
    expect(paid).toMatchObject({ status: "PAID", type: "SEASON_PASS", amount: FEE, subscription_id: pass.id, user_id: holder.id });
    expect(JSON.parse(paid!.metadata)).toMatchObject({ transfer_id: pending.id, transfer_fee: true });

    const [successor, ...more] = await successorsOf(pass.id);
    expect(more).toEqual([]);
    expect(successor!.user_id).toBe(recipient.id);
    expect(await transferRow(pending.id)).toMatchObject({ status: "COMPLETED", payment_id: payment.id, new_subscription_id: successor!.id });
    expect(await passRow(pass.id)).toMatchObject({ status: "TRANSFERRED", transfers_used: 1 });
    for (const eventId of [soon, later]) {
      expect(await rightsIn(eventId, holder.id, pass.id)).toEqual([expect.objectContaining({ status: "TRANSFERRED" })]);
      expect(await rightsIn(eventId, recipient.id, successor!.id)).toEqual([expect.objectContaining({ status: "ENABLED" })]);
    }
    expect((await waitForMessage(holder.id, "PASS_TRANSFERRED_OUT")).data).toMatchObject({ subscription_id: pass.id });
    expect((await waitForMessage(recipient.id, "PASS_TRANSFERRED_IN")).data).toMatchObject({ subscription_id: successor!.id, message: "À toi !" });
    await waitForMessage(holder.id, "PAYMENT_SUCCESS");

    // Konnect's callback replayed, and the payment settled again by hand: nothing more happens, nothing refunded.
    expect((await replay()).status).toBe(200);
    await queuesIdle();
    expect(await settlePayment(env, payment.id)).toBe("already_settled");
    expect(await successorsOf(pass.id)).toHaveLength(1);
    expect(await refundsOf(payment.id)).toEqual([]);
    expect((await transferRow(pending.id)).status).toBe("COMPLETED");
    // Done: it is not paid twice.
    expectProblem(await payTransfer(holder, pending.id), 409, "transfer_not_payable");
  });

  it("two payments of one transfer both PAID: the first carries it out, the second is refunded in full", async () => {
    const { holder, pass, recipient, pending } = await pendingTransfer();
    const byBank = await payTransfer(holder, pending.id, "BANK_TRANSFER");
    expect(byBank.status, JSON.stringify(byBank.body)).toBe(201);
    const { payment } = await payOnline(holder, pending.id);
    expect((await transferRow(pending.id)).status).toBe("COMPLETED");
    const confirmed = await api("POST", `/v1/admin/payments/${byBank.body.payment.id}/confirm-bank-transfer`, { token: (await registerAdmin()).token, body: {} });
    expect(confirmed.body).toMatchObject({ status: "PAID" });
    await queuesIdle();
    expect(await refundsOf(byBank.body.payment.id)).toEqual([expect.objectContaining({ reason: "PAYMENT_ERROR", amount: FEE, description: "Automatic: transfer_paid_by_another_payment" })]);
    expect(await refundsOf(payment.id)).toEqual([]);
    expect(await successorsOf(pass.id)).toEqual([expect.objectContaining({ user_id: recipient.id })]);
    expect(await transferRow(pending.id)).toMatchObject({ status: "COMPLETED", payment_id: payment.id });
  });

  it("refuses to pay another's transfer, or one that expired; a new request replaces an expired one; the pass's transfers are listed", async () => {
    const { c, holder, pass, pending } = await pendingTransfer();
    const stranger = await registerUser();
    expectProblem(await payTransfer(stranger, pending.id), 404, "not_found");
    expectProblem(await payTransfer(holder, crypto.randomUUID()), 404, "not_found");
    expectProblem(await api("POST", "/v1/payments", { token: holder.token, body: { target: { type: "PASS_TRANSFER", transfer_id: "nope" }, method: "CARD" } }), 422, "validation_failed");

    await env.DB.prepare("UPDATE subscription_transfers SET expires_at = ? WHERE id = ?").bind(iso(Date.now() - 1000), pending.id).run();
    expectProblem(await payTransfer(holder, pending.id), 409, "transfer_not_payable");
    // Lapsed, it gives way to a new request (to another person).
    const other = await registerUser();
    const renewed = await transfer(pass.id, holder, { recipient_user_id: other.id });
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(202);
    expect(renewed.body.id).not.toBe(pending.id);
    expect((await transferRow(pending.id)).status).toBe("EXPIRED");
    // While that one waits, a transfer to someone else is refused.
    expectProblem(await transfer(pass.id, holder, { recipient_user_id: (await registerUser()).id }), 409, "transfer_pending");
    // The pass's transfers, newest first: its holder and the club read them, nobody else.
    const listed = await api("GET", `/v1/subscriptions/${pass.id}/transfers`, { token: holder.token });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: renewed.body.id, status: "PENDING", recipient_user_id: other.id }), expect.objectContaining({ id: pending.id, status: "EXPIRED" })]);
    expect((await api("GET", `/v1/subscriptions/${pass.id}/transfers`, { token: c.organizer.token })).body.items).toHaveLength(2);
    expectProblem(await api("GET", `/v1/subscriptions/${pass.id}/transfers`, { token: stranger.token }), 404, "not_found");
  });

  it("a payment settled after the transfer expired, or once the recipient was blacklisted meanwhile, moves nothing and is refunded in full", async () => {
    // Expired between the payment's start and its settlement.
    const late = await pendingTransfer();
    const started = await payTransfer(late.holder, late.pending.id);
    expect(started.status).toBe(201);
    await env.DB.prepare("UPDATE subscription_transfers SET expires_at = ? WHERE id = ?").bind(iso(Date.now() - 1000), late.pending.id).run();
    expect((await (await settleAtProvider("konnect", started.body.payment.external_reference)).deliver()).status).toBe(200);
    await queuesIdle();
    expect(await refundsOf(started.body.payment.id)).toEqual([expect.objectContaining({ amount: FEE, description: "Automatic: transfer_expired" })]);
    expect((await passRow(late.pass.id)).status).toBe("ACTIVE");
    expect(await successorsOf(late.pass.id)).toEqual([]);

    // The recipient blacklisted by the platform between the request and the payment.
    const { soon, holder, pass, recipient, pending } = await pendingTransfer();
    const admin = await registerAdmin();
    const ban = await api("POST", "/v1/blacklist", { token: admin.token, body: { reason: "Violence au stade", severity: "HIGH", blacklist_type: "USER", identifier: recipient.id, scope: "GLOBAL" } });
    expect(ban.status, JSON.stringify(ban.body)).toBe(201);
    const { payment } = await payOnline(holder, pending.id);
    expect(await transferRow(pending.id)).toMatchObject({ status: "FAILED", payment_id: payment.id, failure_reason: "blacklisted", new_subscription_id: null });
    expect(await refundsOf(payment.id)).toEqual([expect.objectContaining({ reason: "PAYMENT_ERROR", amount: FEE, description: "Automatic: blacklisted" })]);
    expect((await passRow(pass.id)).status).toBe("ACTIVE");
    expect(await successorsOf(pass.id)).toEqual([]);
    expect(await rightsIn(soon, holder.id, pass.id)).toEqual([expect.objectContaining({ status: "ENABLED" })]);
    // Failed, it is not paid again; the holder may ask anew.
    expectProblem(await payTransfer(holder, pending.id), 409, "transfer_not_payable");
    expect((await transfer(pass.id, holder, { recipient_user_id: (await registerUser()).id })).status).toBe(202);
  });

  it("a pass transferred at the box office meanwhile: the online payment is refunded", async () => {
    const { c, holder, pass, pending } = await pendingTransfer();
    const started = await payTransfer(holder, pending.id);
    const cashier = await registerMember(c.organizer.organizationId, "BOX_OFFICE");
    const desk = await api("POST", `/v1/subscriptions/${pass.id}/transfer-at-box-office`, { token: cashier.token, body: { recipient_user_id: (await registerUser()).id } });
    expect(desk.status, JSON.stringify(desk.body)).toBe(200);
    expect((await (await settleAtProvider("konnect", started.body.payment.external_reference)).deliver()).status).toBe(200);
    await queuesIdle();
    expect(await transferRow(pending.id)).toMatchObject({ status: "FAILED", failure_reason: "subscription_not_active" });
    expect(await refundsOf(started.body.payment.id)).toEqual([expect.objectContaining({ amount: FEE })]);
    expect(await successorsOf(pass.id)).toEqual([expect.objectContaining({ user_id: desk.body.recipient_user_id })]);
  });
});

describe("whole season-pass transfer with a fee under concurrency", () => {
  it("two requests for one pass at once (to two people): one PENDING transfer, the other 409 transfer_pending", async () => {
    for (let round = 0; round < 3; round++) {
      const { holder, pass } = await passWithMatches({ restrictions: { transfer_fee: FEE } });
      const [a, b] = [await registerUser(), await registerUser()];
      const results = await Promise.all([transfer(pass.id, holder, { recipient_user_id: a.id }), transfer(pass.id, holder, { recipient_user_id: b.id })]);
      expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => r.body))).toEqual([202, 409]);
      expectProblem(results.find((r) => r.status === 409)!, 409, "transfer_pending");
      const rows = await env.DB.prepare("SELECT status FROM subscription_transfers WHERE subscription_id = ?").bind(pass.id).all();
      expect(rows.results).toEqual([{ status: "PENDING" }]);
    }
  });

  it("one payment settled by several runs at once (callback, poll, replay) carries the transfer out once and refunds nothing", async () => {
    for (let round = 0; round < 2; round++) {
      const { holder, pass, recipient, pending } = await pendingTransfer();
      const started = await payTransfer(holder, pending.id);
      const paid = await settleAtProvider("konnect", started.body.payment.external_reference);
      const outcomes = await Promise.all([settlePayment(env, started.body.payment.id), settlePayment(env, started.body.payment.id), paid.deliver().then(() => "delivered")]);
      expect(outcomes.filter((o) => o === "paid").length).toBeGreaterThanOrEqual(1);
      await eventually(async () => (await transferRow(pending.id)).status === "COMPLETED", "transfer completed");
      expect(await successorsOf(pass.id)).toEqual([expect.objectContaining({ user_id: recipient.id })]);
      expect(await refundsOf(started.body.payment.id)).toEqual([]);
    }
  });

  it("the paid hook run several times at once for one payment: one hand-over, every run told it was delivered (none refunds)", async () => {
    for (let round = 0; round < 3; round++) {
      const { holder, pass, recipient, pending } = await pendingTransfer();
      const started = await payTransfer(holder, pending.id);
      // The payment PAID as a settle run leaves it; its runs of the passes' hook race from the claim on.
      await env.DB.prepare("UPDATE payments SET status = 'PAID', paid_at = ? WHERE id = ?").bind(iso(Date.now()), started.body.payment.id).run();
      const payment = (await env.DB.prepare("SELECT * FROM payments WHERE id = ?").bind(started.body.payment.id).first<Record<string, unknown>>())!;
      const row = { ...payment, metadata: JSON.parse(payment.metadata as string) } as unknown as Parameters<typeof passPaymentPaid>[0]["payment"];
      const runs = await Promise.all([1, 2, 3].map(() => passPaymentPaid({ env, payment: row })));
      expect(runs.map((r) => r.delivered)).toEqual([true, true, true]);
      expect(await successorsOf(pass.id)).toEqual([expect.objectContaining({ user_id: recipient.id })]);
      expect(await transferRow(pending.id)).toMatchObject({ status: "COMPLETED", payment_id: started.body.payment.id });
    }
  });
});
