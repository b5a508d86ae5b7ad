import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expireTransferOffers } from "../../src/access/transfer-offers.ts";
import { api, expectProblem, registerAdmin, registerUser, verifyEmail, waitForMessage } from "../support/api.ts";
import { orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

type User = Awaited<ReturnType<typeof registerUser>>;

/** A confirmed order of one ticket for `user`; returns its access right id. */
async function boughtRight(fixture: TicketingFixture, user: User): Promise<string> {
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, user.id, 1));
  if (!hold.ok) throw new Error(hold.problem.code);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(confirmed.problem.code);
  return confirmed.rights[0]!.id;
}

const transfer = (fixture: TicketingFixture, rightId: string, user: User, body: unknown, ip?: string) =>
  api("POST", `/v1/events/${fixture.eventId}/access-rights/${rightId}/transfers`, { token: user.token, body, ip, headers: { "User-Agent": "TransfersTest/1.0" } });

const answer = (id: string, step: "accept" | "decline" | "cancel" | "return", user: User, body?: unknown) =>
  api("POST", `/v1/transfers/${id}/${step}`, { token: user.token, body });

const rightStatus = async (id: string) => (await env.DB.prepare("SELECT status, user_id FROM access_rights WHERE id = ?").bind(id).first<{ status: string; user_id: string }>())!;

const transferRow = async (id: string) => (await env.DB.prepare("SELECT * FROM transfers WHERE id = ?").bind(id).first<Record<string, unknown>>())!;

async function setEvent(fixture: TicketingFixture, fields: { commissionBp?: number; metadata?: Record<string, unknown> }) {
  await env.DB.prepare("UPDATE events SET ticketing_commission_bp = ?, metadata = ? WHERE id = ?")
    .bind(fields.commissionBp ?? null, fields.metadata ? JSON.stringify(fields.metadata) : null, fixture.eventId)
    .run();
}

/** A season pass of `holder` on a plan with this transfer quota, and `count` rights issued from it in the event. */
async function seasonPassRights(fixture: TicketingFixture, holder: User, quota: number | "unlimited", count: number) {
  const planId = crypto.randomUUID();
  const subscriptionId = crypto.randomUUID();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO subscription_plans (id, code, name, type, price, currency, restrictions) VALUES (?, ?, 'Saison', 'FULL_SEASON', 100000, 'XOF', ?)").bind(
      planId,
      `SEASON-${planId.slice(0, 8)}`,
      JSON.stringify({ max_transfers_per_season: quota }),
    ),
    env.DB.prepare(
      "INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status) VALUES (?, ?, ?, ?, 100000, 'XOF', '2025-08-01', '2030-06-30', 'ACTIVE')",
    ).bind(subscriptionId, `SUB-${subscriptionId.slice(0, 8)}`, holder.id, planId),
  ]);
  const issued = await fixture.stub.issueRights({
    source_type: "SUBSCRIPTION",
    source_id: subscriptionId,
    holders: Array.from({ length: count }, () => ({ user_id: holder.id, zone_id: null, seat_id: null })),
    config_id: null,
    created_by: null,
  });
  if (!issued.ok) throw new Error(issued.problem.code);
  return { subscriptionId, rights: issued.rights.map((r) => r.id) };
}

const transfersUsed = async (subscriptionId: string) =>
  (await env.DB.prepare("SELECT transfers_used FROM subscriptions WHERE id = ?").bind(subscriptionId).first<{ transfers_used: number }>())!.transfers_used;

describe("donations", () => {
  it("moves a right end to end: the old QR stops, the recipient sees and can show the new one", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    await verifyEmail(bob.id);
    const rightId = await boughtRight(fixture, alice);
    const res = await transfer(fixture, rightId, alice, { type: "DONATION", recipient_email: bob.email.toUpperCase(), message: "Bon match !" }, "198.51.100.77");
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ transfer_type: "TRANSFER_DONATION", status: "COMPLETED", access_right_id: rightId, from_user_id: alice.id, to_user_id: bob.id, message: "Bon match !" });
    expect(res.headers.get("Location")).toBe(`/v1/transfers/${res.body.id}`);
    const newRight = res.body.new_access_right_id as string;

    expect(await rightStatus(rightId)).toEqual({ status: "TRANSFERRED", user_id: alice.id });
    const bobs = await api("GET", "/v1/me/access-rights", { token: bob.token });
    expect(bobs.body.data).toEqual([expect.objectContaining({ id: newRight, status: "ENABLED", source_type: "TRANSFER", source_id: rightId, original_user_id: alice.id, transfer_count: 1 })]);
    expectProblem(await api("GET", `/v1/me/access-rights/${rightId}/token`, { token: alice.token }), 409, "access_right_inactive");
    expect((await api("GET", `/v1/me/access-rights/${newRight}/token`, { token: bob.token })).status).toBe(200);

    const log = await env.DB.prepare("SELECT transaction_type, from_user_id, to_user_id, transfer_id, ip_address, user_agent, status FROM access_transactions_log WHERE access_right_id = ? AND transaction_type <> 'CREATE'")
      .bind(newRight)
      .first();
    expect(log).toEqual({ transaction_type: "TRANSFER_DONATION", from_user_id: alice.id, to_user_id: bob.id, transfer_id: res.body.id, ip_address: "198.51.100.77", user_agent: "TransfersTest/1.0", status: "SUCCESS" });
    const metadata = JSON.parse(String((await transferRow(res.body.id)).metadata));
    expect(metadata.clients.requested).toMatchObject({ ip: "198.51.100.77", user_agent: "TransfersTest/1.0" });
    expect(res.body).not.toHaveProperty("metadata");

    const email = await waitForMessage(bob.email, "TICKET_TRANSFERRED");
    expect(email.channel).toBe("EMAIL");
    expect(email.body).toContain("Derby");
    expect((await waitForMessage(bob.id, "TICKET_TRANSFERRED")).channel).toBe("IN_APP");
  });

  it("opens a passwordless account for an unknown recipient address", async () => {
    const fixture = await ticketedEvent();
    const alice = await registerUser();
    const rightId = await boughtRight(fixture, alice);
    const address = `friend-${crypto.randomUUID().slice(0, 8)}@example.org`;
    const res = await transfer(fixture, rightId, alice, { type: "DONATION", recipient_email: address });
    expect(res.status).toBe(201);
    const account = await env.DB.prepare("SELECT id, password_hash FROM users WHERE email = ?").bind(address).first<{ id: string; password_hash: string | null }>();
    expect(account).toEqual({ id: res.body.to_user_id, password_hash: null });
    expect(res.body.recipient_email).toBe(address);
  });

  it("refuses to hand a ticket by email to an account that never proved the address (one an attacker could have opened with it)", async () => {
    const fixture = await ticketedEvent();
    const alice = await registerUser();
    // Someone signs up with the address of Alice's friend, who never had an account: no code, the address unproven.
    const friend = `friend-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const squatter = await registerUser({ email: friend });
    const rightId = await boughtRight(fixture, alice);
    expectProblem(await transfer(fixture, rightId, alice, { type: "DONATION", recipient_email: friend }), 409, "recipient_email_unverified");
    expect(await rightStatus(rightId)).toMatchObject({ status: "ENABLED", user_id: alice.id });
    expect((await api("GET", "/v1/me/access-rights", { token: squatter.token })).body.data).toEqual([]);
    // Once the address is proven (the code it received), tickets reach it again; by account id they always did.
    await verifyEmail(squatter.id);
    expect((await transfer(fixture, rightId, alice, { type: "DONATION", recipient_email: friend })).status).toBe(201);
  });

  it("lets exactly one of two simultaneous transfers of one right win", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const results = await Promise.all([
      transfer(fixture, rightId, alice, { type: "DONATION", recipient_user_id: bob.id }),
      transfer(fixture, rightId, alice, { type: "DONATION", recipient_user_id: carol.id }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expectProblem(results.find((r) => r.status === 409)!, 409, "right_not_transferable");
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM transfers WHERE access_right_id = ?").bind(rightId).first<{ n: number }>();
    expect(rows!.n).toBe(1);
    const enabled = await env.DB.prepare("SELECT count(*) AS n FROM access_rights WHERE event_id = ? AND status = 'ENABLED'").bind(fixture.eventId).first<{ n: number }>();
    expect(enabled!.n).toBe(1);
  });

  it("refuses a transfer to oneself and once the doors are open", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    await verifyEmail(alice.id);
    const rightId = await boughtRight(fixture, alice);
    expectProblem(await transfer(fixture, rightId, alice, { type: "DONATION", recipient_email: alice.email }), 422, "validation_failed");
    await env.DB.prepare("UPDATE access_rights SET valid_from = ? WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), rightId).run();
    expectProblem(await transfer(fixture, rightId, alice, { type: "DONATION", recipient_user_id: bob.id }), 409, "transfer_window_closed");
  });
});

describe("sales", () => {
  it("turns an accepted offer into a sale with the commission and the seller's net recorded", async () => {
    const fixture = await ticketedEvent({ price: 5_000 });
    await setEvent(fixture, { commissionBp: 1_000 });
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 4_250 });
    expect(offer.status).toBe(201);
    expect(offer.body).toMatchObject({ status: "PENDING", transfer_type: "TRANSFER_SALE", price: 4_250, currency: "XOF", new_access_right_id: null });
    const expiresIn = Date.parse(offer.body.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(47 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(48 * 3600_000);
    expect(await rightStatus(rightId)).toMatchObject({ status: "ENABLED" });
    await waitForMessage(bob.email, "TRANSFER_OFFER");

    expectProblem(await answer(offer.body.id, "accept", alice), 403, "not_your_turn");
    const accepted = await answer(offer.body.id, "accept", bob);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      status: "COMPLETED",
      sale: { face_value: 5_000, resale_cap_bp: 10_000, commission_bp: 1_000, platform_fee: 425, net_to_seller: 3_825 },
    });
    const newRight = accepted.body.new_access_right_id as string;
    expect(await rightStatus(rightId)).toMatchObject({ status: "TRANSFERRED" });
    expect(await rightStatus(newRight)).toEqual({ status: "ENABLED", user_id: bob.id });
    const log = await env.DB.prepare("SELECT price, currency, transfer_id, metadata FROM access_transactions_log WHERE access_right_id = ? AND transaction_type = 'TRANSFER_SALE' AND status = 'SUCCESS'")
      .bind(newRight)
      .first<{ price: number; currency: string; transfer_id: string; metadata: string }>();
    expect(log).toMatchObject({ price: 4_250, currency: "XOF", transfer_id: offer.body.id });
    expect(JSON.parse(log!.metadata)).toMatchObject({ platform_fee: 425, net_to_seller: 3_825 });
    await waitForMessage(alice.email, "TRANSFER_ACCEPTED");

    // Accepting again replays the result; the bought right cannot be resold (anti-touting).
    expect((await answer(offer.body.id, "accept", bob)).body).toMatchObject({ status: "COMPLETED", new_access_right_id: newRight });
    expectProblem(await transfer(fixture, newRight, bob, { type: "DONATION", recipient_user_id: carol.id }), 409, "no_retransfer");
  });

  it("refuses a price above the cap: face value by default, the event's resale_cap_bp otherwise", async () => {
    const fixture = await ticketedEvent({ price: 5_000 });
    const [alice, bob] = [await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    expectProblem(await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 5_001 }), 422, "price_above_cap");
    await setEvent(fixture, { metadata: { resale_cap_bp: 12_000, resale_no_retransfer: false } });
    expectProblem(await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 6_001 }), 422, "price_above_cap");
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 6_000 });
    expect(offer.status).toBe(201);
    const accepted = await answer(offer.body.id, "accept", bob);
    // The event sets no rate of its own: the platform default (500 bp) applies.
    expect(accepted.body).toMatchObject({ status: "COMPLETED", sale: { resale_cap_bp: 12_000, commission_bp: 500, platform_fee: 300, net_to_seller: 5_700 } });
    const [carol] = [await registerUser()];
    // This event allows resold rights to move on.
    expect((await transfer(fixture, accepted.body.new_access_right_id, bob, { type: "DONATION", recipient_user_id: carol.id })).status).toBe(201);
  });

  it("ends an offer whose right changed meanwhile with a 409", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 1_000 });
    const moved = await fixture.stub.transferRight({
      transfer_id: crypto.randomUUID(),
      type: "TRANSFER_DONATION",
      access_right_id: rightId,
      from_user_id: alice.id,
      to_user_id: carol.id,
      price: null,
      resale_cap_bp: 10_000,
      no_retransfer: false,
      reason: null,
      by: alice.id,
    });
    expect(moved.ok).toBe(true);
    expectProblem(await answer(offer.body.id, "accept", bob), 409, "right_not_transferable");
    const ended = await api("GET", `/v1/transfers/${offer.body.id}`, { token: bob.token });
    expect(ended.body).toMatchObject({ status: "CANCELLED", reason: "right_not_transferable", new_access_right_id: null, completed_at: null });
    expectProblem(await answer(offer.body.id, "accept", bob), 409, "offer_closed");
  });

  it("keeps one pending offer per right, and no direct transfer while one is pending", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const offers = await Promise.all([
      transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 100 }),
      transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: carol.id, price: 200 }),
    ]);
    expect(offers.map((r) => r.status).sort()).toEqual([201, 409]);
    expectProblem(offers.find((r) => r.status === 409)!, 409, "offer_pending");
    expectProblem(await transfer(fixture, rightId, alice, { type: "DONATION", recipient_user_id: carol.id }), 409, "offer_pending");
  });
});

describe("exchanges", () => {
  it("swaps two rights of one event when the recipient accepts", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const mine = await boughtRight(fixture, alice);
    const theirs = await boughtRight(fixture, bob);
    const offer = await transfer(fixture, mine, alice, { type: "EXCHANGE", recipient_user_id: bob.id, exchange_access_right_id: theirs, message: "Places côte à côte ?" });
    expect(offer.status).toBe(201);
    expect(offer.body).toMatchObject({ status: "PENDING", transfer_type: "TRANSFER_EXCHANGE", exchange_access_right_id: theirs, price: null });
    const accepted = await answer(offer.body.id, "accept", bob);
    expect(accepted.status).toBe(200);
    expect(await rightStatus(mine)).toMatchObject({ status: "TRANSFERRED" });
    expect(await rightStatus(theirs)).toMatchObject({ status: "TRANSFERRED" });
    expect(await rightStatus(accepted.body.new_access_right_id)).toEqual({ status: "ENABLED", user_id: bob.id });
    expect(await rightStatus(accepted.body.exchange_new_access_right_id)).toEqual({ status: "ENABLED", user_id: alice.id });
    const logged = await env.DB.prepare("SELECT count(*) AS n FROM access_transactions_log WHERE transfer_id = ? AND transaction_type = 'TRANSFER_EXCHANGE' AND status = 'SUCCESS'").bind(offer.body.id).first<{ n: number }>();
    expect(logged!.n).toBe(2);
  });

  it("refuses to ask for a right the recipient does not hold in this event", async () => {
    const fixture = await ticketedEvent();
    const other = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const mine = await boughtRight(fixture, alice);
    const carols = await boughtRight(fixture, carol);
    const bobsElsewhere = await boughtRight(other, bob);
    for (const wanted of [carols, bobsElsewhere, crypto.randomUUID()]) {
      const res = await transfer(fixture, mine, alice, { type: "EXCHANGE", recipient_user_id: bob.id, exchange_access_right_id: wanted });
      expect(expectProblem(res, 422, "validation_failed").errors).toEqual([expect.objectContaining({ path: "exchange_access_right_id", code: "exchange_right_not_found" })]);
    }
  });
});

describe("answering offers", () => {
  it("lets the recipient decline; the sender keeps the right, is told, and may offer again", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 3_000 });
    expectProblem(await answer(offer.body.id, "decline", alice), 403, "not_your_turn");
    const declined = await answer(offer.body.id, "decline", bob, { reason: "Trop cher" });
    expect(declined.body).toMatchObject({ status: "DECLINED", reason: "Trop cher" });
    expect((await waitForMessage(alice.email, "TRANSFER_DECLINED")).body).toContain("Trop cher");
    expectProblem(await answer(offer.body.id, "accept", bob), 409, "offer_closed");
    expectProblem(await answer(offer.body.id, "decline", bob), 409, "offer_closed");
    expect(await rightStatus(rightId)).toEqual({ status: "ENABLED", user_id: alice.id });
    const failed = await env.DB.prepare("SELECT status, error_message FROM access_transactions_log WHERE transfer_id = ? ORDER BY created_at").bind(offer.body.id).all();
    expect(failed.results).toEqual([
      { status: "PENDING", error_message: null },
      { status: "FAILED", error_message: "Trop cher" },
    ]);
    expect((await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 2_000 })).status).toBe(201);
  });

  it("lets the sender withdraw an offer (no body needed), and nobody else", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 3_000 });
    expectProblem(await answer(offer.body.id, "cancel", bob), 403, "not_your_turn");
    const cancelled = await answer(offer.body.id, "cancel", alice);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "CANCELLED", reason: "cancelled by the sender" });
    expectProblem(await answer(offer.body.id, "accept", bob), 409, "offer_closed");
    expectProblem(await answer(offer.body.id, "cancel", alice), 409, "offer_closed");
  });

  it("refuses to cancel an offer while its acceptance is under way", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 3_000 });
    // What an acceptance in flight looks like: claimed, not yet completed.
    await env.DB.prepare("UPDATE transfers SET completed_at = ? WHERE id = ?").bind(new Date().toISOString(), offer.body.id).run();
    expectProblem(await answer(offer.body.id, "cancel", alice), 409, "offer_being_accepted");
    expectProblem(await answer(offer.body.id, "accept", bob), 409, "offer_being_accepted");
    // A claim left by a worker that died is driven again by the recipient.
    await env.DB.prepare("UPDATE transfers SET completed_at = ? WHERE id = ?").bind(new Date(Date.now() - 120_000).toISOString(), offer.body.id).run();
    expect((await answer(offer.body.id, "accept", bob)).body).toMatchObject({ status: "COMPLETED" });
  });

  it("expires offers past their deadline by cron, and on the spot when answered late", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const first = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "SALE", recipient_user_id: bob.id, price: 1_000 });
    const second = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "SALE", recipient_user_id: carol.id, price: 1_000 });
    const fresh = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "SALE", recipient_user_id: carol.id, price: 1_000 });
    const past = new Date(Date.now() - 1_000).toISOString();
    await env.DB.prepare("UPDATE transfers SET expires_at = ? WHERE id IN (?, ?)").bind(past, first.body.id, second.body.id).run();

    expectProblem(await answer(second.body.id, "accept", carol), 410, "offer_expired");
    expect((await transferRow(second.body.id)).status).toBe("EXPIRED");
    expect(await expireTransferOffers(env)).toBeGreaterThanOrEqual(1);
    expect((await transferRow(first.body.id)).status).toBe("EXPIRED");
    expect((await transferRow(fresh.body.id)).status).toBe("PENDING");
    expect(await expireTransferOffers(env)).toBe(0);
    const logs = await env.DB.prepare("SELECT status FROM access_transactions_log WHERE transfer_id = ? ORDER BY created_at").bind(first.body.id).all();
    expect(logs.results).toEqual([{ status: "PENDING" }, { status: "FAILED" }]);
    expectProblem(await answer(first.body.id, "decline", bob), 410, "offer_expired");
  });
});

describe("loans", () => {
  it("lends a right until recalled; the borrower cannot pass it on", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const returnAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const lent = await transfer(fixture, rightId, alice, { type: "LOAN", recipient_user_id: bob.id, loan_return_at: returnAt });
    expect(lent.status).toBe(201);
    expect(lent.body).toMatchObject({ transfer_type: "TRANSFER_LOAN", status: "COMPLETED", loan_return_at: returnAt });
    const borrowed = lent.body.new_access_right_id as string;
    expectProblem(await transfer(fixture, borrowed, bob, { type: "DONATION", recipient_user_id: carol.id }), 409, "no_retransfer");
    expectProblem(await answer(lent.body.id, "accept", bob), 409, "not_an_offer");

    expectProblem(await answer(lent.body.id, "return", bob), 403, "not_your_turn");
    const back = await answer(lent.body.id, "return", alice);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: "RETURNED", returned_access_right_id: expect.any(String) });
    expect(back.body.returned_at).not.toBeNull();
    expect(await rightStatus(borrowed)).toMatchObject({ status: "TRANSFERRED" });
    expect(await rightStatus(back.body.returned_access_right_id)).toEqual({ status: "ENABLED", user_id: alice.id });
    await waitForMessage(bob.email, "LOAN_RETURNED");
    expectProblem(await answer(lent.body.id, "return", alice), 409, "loan_not_active");
  });

  it("needs a return date in the future and before the event ends", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    expectProblem(await transfer(fixture, rightId, alice, { type: "LOAN", recipient_user_id: bob.id }), 422, "validation_failed");
    for (const when of [at(-60_000), at(30 * 86_400_000)]) {
      const res = await transfer(fixture, rightId, alice, { type: "LOAN", recipient_user_id: bob.id, loan_return_at: when });
      expect(expectProblem(res, 422, "validation_failed").errors[0].path).toBe("loan_return_at");
    }
  });

  it("recalls only completed loans, not donations", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const given = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "DONATION", recipient_user_id: bob.id });
    expectProblem(await answer(given.body.id, "return", alice), 409, "not_a_loan");
  });
});

describe("season-pass transfer quota", () => {
  it("holds exactly under concurrency", async () => {
    const fixture = await ticketedEvent();
    const alice = await registerUser();
    const friends = await Promise.all(Array.from({ length: 5 }, () => registerUser()));
    const { subscriptionId, rights } = await seasonPassRights(fixture, alice, 2, 5);
    const results = await Promise.all(rights.map((rightId, i) => transfer(fixture, rightId, alice, { type: "DONATION", recipient_user_id: friends[i]!.id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    for (const refused of results.filter((r) => r.status !== 201)) expectProblem(refused, 409, "transfer_quota_exhausted");
    expect(await transfersUsed(subscriptionId)).toBe(2);
    const last = await env.DB.prepare("SELECT last_transfer_date FROM subscriptions WHERE id = ?").bind(subscriptionId).first<{ last_transfer_date: string | null }>();
    expect(last!.last_transfer_date).not.toBeNull();
  });

  it("gives the unit back when the Durable Object refuses, and counts re-transfers against the original pass", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const { subscriptionId, rights } = await seasonPassRights(fixture, alice, 3, 1);
    expect((await transfer(fixture, rights[0]!, alice, { type: "DONATION", recipient_user_id: bob.id })).status).toBe(201);
    expect(await transfersUsed(subscriptionId)).toBe(1);
    expectProblem(await transfer(fixture, rights[0]!, alice, { type: "DONATION", recipient_user_id: carol.id }), 409, "right_not_transferable");
    expect(await transfersUsed(subscriptionId)).toBe(1);
    const bobs = (await api("GET", "/v1/me/access-rights", { token: bob.token })).body.data[0].id as string;
    expect((await transfer(fixture, bobs, bob, { type: "DONATION", recipient_user_id: carol.id })).status).toBe(201);
    expect(await transfersUsed(subscriptionId)).toBe(2);
  });

  it("counts an accepted offer, not the offer itself", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const { subscriptionId, rights } = await seasonPassRights(fixture, alice, "unlimited", 1);
    const offer = await transfer(fixture, rights[0]!, alice, { type: "SALE", recipient_user_id: bob.id, price: 0 });
    expect(offer.status).toBe(201);
    expect(await transfersUsed(subscriptionId)).toBe(0);
    expect((await answer(offer.body.id, "accept", bob)).body.status).toBe("COMPLETED");
    expect(await transfersUsed(subscriptionId)).toBe(1);
  });

  it("ends an offer the pass can no longer pay for", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const { rights } = await seasonPassRights(fixture, alice, 1, 2);
    const offer = await transfer(fixture, rights[0]!, alice, { type: "SALE", recipient_user_id: bob.id, price: 0 });
    expect((await transfer(fixture, rights[1]!, alice, { type: "DONATION", recipient_user_id: carol.id })).status).toBe(201);
    expectProblem(await answer(offer.body.id, "accept", bob), 409, "transfer_quota_exhausted");
    expect((await transferRow(offer.body.id)).status).toBe("CANCELLED");
    expect(await rightStatus(rights[0]!)).toMatchObject({ status: "ENABLED", user_id: alice.id });
  });
});

describe("authorization", () => {
  it("keeps rights and transfers between their parties (and admins)", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob, mallory] = [await registerUser(), await registerUser(), await registerUser()];
    const admin = await registerAdmin();
    const rightId = await boughtRight(fixture, alice);
    expectProblem(await transfer(fixture, rightId, mallory, { type: "DONATION", recipient_user_id: mallory.id }), 404, "not_found");
    expectProblem(await transfer(fixture, rightId, admin, { type: "DONATION", recipient_user_id: bob.id }), 404, "not_found");
    const offer = await transfer(fixture, rightId, alice, { type: "SALE", recipient_user_id: bob.id, price: 1_000 });
    for (const step of ["accept", "decline", "cancel", "return"] as const) expectProblem(await answer(offer.body.id, step, mallory), 404, "not_found");
    expectProblem(await api("GET", `/v1/transfers/${offer.body.id}`, { token: mallory.token }), 404, "not_found");
    expect((await api("GET", `/v1/transfers/${offer.body.id}`, { token: alice.token })).status).toBe(200);
    expect((await api("GET", `/v1/transfers/${offer.body.id}`, { token: bob.token })).status).toBe(200);
    expect((await api("GET", `/v1/transfers/${offer.body.id}`, { token: admin.token })).status).toBe(200);
    expectProblem(await answer(offer.body.id, "accept", admin), 403, "not_your_turn");
    expect((await api("GET", "/v1/me/transfers", { token: mallory.token })).body.data).toEqual([]);
    expect((await rightStatus(rightId)).status).toBe("ENABLED");
    // A right named under another event is not found either.
    const other = await ticketedEvent();
    expectProblem(await api("POST", `/v1/events/${other.eventId}/access-rights/${rightId}/transfers`, { token: alice.token, body: { type: "DONATION", recipient_user_id: bob.id } }), 404, "not_found");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/access-rights/${rightId}/transfers`, { body: { type: "DONATION", recipient_user_id: bob.id } }), 401);
    expectProblem(await api("GET", "/v1/me/transfers"), 401);
  });
});

describe("my transfers", () => {
  it("lists sent and received transfers, filtered and paginated", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const given = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "DONATION", recipient_user_id: bob.id });
    const offered = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "SALE", recipient_user_id: bob.id, price: 10 });
    const back = await transfer(fixture, await boughtRight(fixture, bob), bob, { type: "DONATION", recipient_user_id: alice.id });
    const sent = await api("GET", "/v1/me/transfers?direction=sent", { token: alice.token });
    expect(sent.body.data.map((t: { id: string }) => t.id)).toEqual([offered.body.id, given.body.id]);
    const received = await api("GET", "/v1/me/transfers?direction=received", { token: alice.token });
    expect(received.body.data.map((t: { id: string }) => t.id)).toEqual([back.body.id]);
    const pending = await api("GET", "/v1/me/transfers?direction=received&status=PENDING", { token: bob.token });
    expect(pending.body.data.map((t: { id: string }) => t.id)).toEqual([offered.body.id]);
    const page1 = await api("GET", "/v1/me/transfers?limit=2", { token: alice.token });
    expect(page1.body.data).toHaveLength(2);
    const page2 = await api("GET", `/v1/me/transfers?limit=2&cursor=${page1.body.next_cursor}`, { token: alice.token });
    expect(page2.body).toMatchObject({ data: [expect.objectContaining({ id: given.body.id })], next_cursor: null });
    expectProblem(await api("GET", "/v1/me/transfers?direction=both", { token: alice.token }), 422, "validation_failed");
    expectProblem(await api("GET", "/v1/me/transfers?status=DONE", { token: alice.token }), 422, "validation_failed");
    expectProblem(await api("GET", "/v1/me/transfers?cursor=garbage", { token: alice.token }), 422, "validation_failed");
  });
});

describe("hostile requests", () => {
  it("rejects malformed and contradictory bodies without touching the right", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const rightId = await boughtRight(fixture, alice);
    const to = { recipient_user_id: bob.id };
    const bad: [unknown, string?][] = [
      [{ type: "DONATION", ...to, admin: true }, "admin"],
      [{ type: "DONATION", ...to, price: 100 }, "price"],
      [{ type: "DONATION", ...to, loan_return_at: new Date(Date.now() + 86_400_000).toISOString() }, "loan_return_at"],
      [{ type: "SALE", ...to }, "price"],
      [{ type: "SALE", ...to, price: -1 }, "price"],
      [{ type: "SALE", ...to, price: 10.5 }, "price"],
      [{ type: "SALE", ...to, price: "100" }, "price"],
      [{ type: "SALE", ...to, price: 1e16 }, "price"],
      [{ type: "EXCHANGE", ...to }, "exchange_access_right_id"],
      [{ type: "EXCHANGE", ...to, exchange_access_right_id: "' OR 1=1 --" }, "exchange_access_right_id"],
      [{ type: "GIFT", ...to }],
      [{ ...to }],
      [{ type: "DONATION" }, "recipient_email"],
      [{ type: "DONATION", ...to, recipient_email: bob.email }, "recipient_email"],
      [{ type: "DONATION", recipient_email: "not-an-email" }, "recipient_email"],
      [{ type: "DONATION", recipient_user_id: "bob" }, "recipient_user_id"],
      [{ type: "DONATION", ...to, message: "x".repeat(501) }, "message"],
      [{ type: "LOAN", ...to, loan_return_at: "tomorrow" }, "loan_return_at"],
      [[], undefined],
      [null, undefined],
    ];
    for (const [body, path] of bad) {
      const problem = expectProblem(await transfer(fixture, rightId, alice, body), 422, "validation_failed");
      if (path) expect(problem.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
    const unknownRecipient = await transfer(fixture, rightId, alice, { type: "DONATION", recipient_user_id: crypto.randomUUID() });
    expect(expectProblem(unknownRecipient, 422, "validation_failed").errors[0].code).toBe("recipient_not_found");
    expectProblem(
      await api("POST", `/v1/events/${fixture.eventId}/access-rights/${rightId}/transfers`, { token: alice.token, rawBody: "{not json", headers: { "Content-Type": "application/json" } }),
      400,
    );
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/access-rights/not-a-uuid/transfers`, { token: alice.token, body: { type: "DONATION", ...to } }), 422);
    expectProblem(await api("POST", "/v1/transfers/not-a-uuid/accept", { token: bob.token }), 422);
    expectProblem(await api("POST", `/v1/transfers/${crypto.randomUUID()}/accept`, { token: bob.token }), 404);
    expect(await rightStatus(rightId)).toEqual({ status: "ENABLED", user_id: alice.id });
    const count = await env.DB.prepare("SELECT count(*) AS n FROM transfers WHERE access_right_id = ?").bind(rightId).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("rejects unknown fields and wrong types in answers", async () => {
    const fixture = await ticketedEvent();
    const [alice, bob] = [await registerUser(), await registerUser()];
    const offer = await transfer(fixture, await boughtRight(fixture, alice), alice, { type: "SALE", recipient_user_id: bob.id, price: 10 });
    expectProblem(await answer(offer.body.id, "decline", bob, { reason: "no", status: "COMPLETED" }), 422, "validation_failed");
    expectProblem(await answer(offer.body.id, "decline", bob, { reason: 42 }), 422, "validation_failed");
    expectProblem(await api("POST", `/v1/transfers/${offer.body.id}/decline`, { token: bob.token, rawBody: "reason=no" }), 415, "unsupported_media_type");
    expect((await transferRow(offer.body.id)).status).toBe("PENDING");
  });
});
