import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createUsers, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

/** A confirmed order of `quantity` for a fresh buyer; returns the buyer and the rights. */
async function boughtRights(fixture: TicketingFixture, quantity = 1) {
  const [buyer] = await createUsers(1);
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, buyer!, quantity));
  if (!hold.ok) throw new Error(hold.problem.code);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(confirmed.problem.code);
  return { buyer: buyer!, rights: confirmed.rights };
}

const transfer = (fixture: TicketingFixture, rightId: string, from: string, to: string, extra: Record<string, unknown> = {}) =>
  fixture.stub.transferRight({
    transfer_id: crypto.randomUUID(),
    type: "TRANSFER_DONATION",
    access_right_id: rightId,
    from_user_id: from,
    to_user_id: to,
    price: null,
    resale_cap_bp: 10_000,
    no_retransfer: false,
    reason: "cannot attend",
    by: from,
    ...extra,
  });

describe("transfers", () => {
  it("leaves exactly one valid right: the old one TRANSFERRED, a new one with a new code ENABLED", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [friend] = await createUsers(1);
    const result = await transfer(fixture, rights[0]!.id, buyer, friend!);
    if (!result.ok) throw new Error(result.problem.code);
    expect(result.from).toMatchObject({ id: rights[0]!.id, status: "TRANSFERRED" });
    expect(result.to).toMatchObject({ status: "ENABLED", user_id: friend, source_type: "TRANSFER", source_id: rights[0]!.id, original_user_id: buyer, transfer_count: 1 });
    expect(result.to.qr_code).not.toBe(rights[0]!.qr_code);
    const enabled = (await fixture.stub.listRights({ order_id: rights[0]!.order_id! })).filter((r) => r.status === "ENABLED");
    expect(enabled.map((r) => r.id)).toEqual([result.to.id]);
  });

  it("lets exactly one of two simultaneous transfers of one right win", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [a, b] = await createUsers(2);
    const results = await Promise.all([transfer(fixture, rights[0]!.id, buyer, a!), transfer(fixture, rights[0]!.id, buyer, b!)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const loser = results.find((r) => !r.ok);
    expect(loser).toMatchObject({ ok: false, problem: { code: "right_not_transferable" } });
  });

  it("is idempotent per transfer id", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [friend] = await createUsers(1);
    const id = crypto.randomUUID();
    const first = await transfer(fixture, rights[0]!.id, buyer, friend!, { transfer_id: id });
    const again = await transfer(fixture, rights[0]!.id, buyer, friend!, { transfer_id: id });
    expect(again).toMatchObject({ ok: true, already_done: true });
    if (first.ok && again.ok) expect(again.to.id).toBe(first.to.id);
  });

  it("refuses someone else's right, a right marked no-retransfer, and transfers to oneself", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [thief, friend, third] = await createUsers(3);
    expect(await transfer(fixture, rights[0]!.id, thief!, friend!)).toMatchObject({ ok: false, problem: { code: "right_not_found" } });
    expect(await transfer(fixture, rights[0]!.id, buyer, buyer)).toMatchObject({ ok: false, problem: { code: "transfer_to_self" } });
    const moved = await transfer(fixture, rights[0]!.id, buyer, friend!, { no_retransfer: true });
    if (!moved.ok) throw new Error(moved.problem.code);
    expect(await transfer(fixture, moved.to.id, friend!, third!)).toMatchObject({ ok: false, problem: { code: "no_retransfer" } });
  });

  it("caps a resale at the face value", async () => {
    const fixture = await ticketedEvent({ price: 5_000 });
    const { buyer, rights } = await boughtRights(fixture);
    const [buyer2] = await createUsers(1);
    expect(await transfer(fixture, rights[0]!.id, buyer, buyer2!, { type: "TRANSFER_SALE", price: 7_500 })).toMatchObject({ ok: false, problem: { code: "price_above_cap" } });
    expect(await transfer(fixture, rights[0]!.id, buyer, buyer2!, { type: "TRANSFER_SALE", price: 5_000 })).toMatchObject({ ok: true });
  });

  it("closes transfers when the doors open", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [friend] = await createUsers(1);
    const afterDoors = Date.parse(rights[0]!.valid_from) + 60_000;
    expect(await transfer(fixture, rights[0]!.id, buyer, friend!, { now: afterDoors })).toMatchObject({ ok: false, problem: { code: "transfer_window_closed" } });
  });

  it("swaps two rights in one step", async () => {
    const fixture = await ticketedEvent();
    const first = await boughtRights(fixture);
    const second = await boughtRights(fixture);
    const result = await fixture.stub.exchangeRights({
      transfer_id: crypto.randomUUID(),
      first: { access_right_id: first.rights[0]!.id, user_id: first.buyer },
      second: { access_right_id: second.rights[0]!.id, user_id: second.buyer },
      reason: "seats together",
      by: first.buyer,
    });
    if (!result.ok) throw new Error(result.problem.code);
    expect(result.rights.map((r) => r.user_id).sort()).toEqual([first.buyer, second.buyer].sort());
    const olds = [...(await fixture.stub.listRights({ user_id: first.buyer })), ...(await fixture.stub.listRights({ user_id: second.buyer }))];
    expect(olds.filter((r) => r.status === "ENABLED")).toHaveLength(2);
    expect(olds.filter((r) => r.status === "TRANSFERRED")).toHaveLength(2);
  });

  it("lends a right and gets it back on recall", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [borrower] = await createUsers(1);
    const id = crypto.randomUUID();
    const lent = await transfer(fixture, rights[0]!.id, buyer, borrower!, { type: "TRANSFER_LOAN", transfer_id: id });
    if (!lent.ok) throw new Error(lent.problem.code);
    const back = await fixture.stub.returnLoan(id, buyer);
    if (!back.ok) throw new Error(back.problem.code);
    expect(back.right).toMatchObject({ user_id: buyer, status: "ENABLED" });
    const borrowed = (await fixture.stub.listRights({ user_id: borrower! }))[0];
    expect(borrowed!.status).toBe("TRANSFERRED");
    expect(await fixture.stub.returnLoan(id, buyer)).toMatchObject({ ok: false, problem: { code: "loan_closed" } });
  });

  it("projects transfers and their log to D1", async () => {
    const fixture = await ticketedEvent();
    const { buyer, rights } = await boughtRights(fixture);
    const [friend] = await createUsers(1);
    const moved = await transfer(fixture, rights[0]!.id, buyer, friend!);
    if (!moved.ok) throw new Error(moved.problem.code);
    await fixture.stub.flushProjection();
    const old = await env.DB.prepare("SELECT status FROM access_rights WHERE id = ?").bind(rights[0]!.id).first<{ status: string }>();
    expect(old!.status).toBe("TRANSFERRED");
    const log = await env.DB.prepare("SELECT transaction_type, from_user_id, to_user_id FROM access_transactions_log WHERE access_right_id = ?").bind(moved.to.id).first();
    expect(log).toMatchObject({ transaction_type: "TRANSFER_DONATION", from_user_id: buyer, to_user_id: friend });
  });
});

describe("rights outside ticket sales", () => {
  it("issues comps from an allocation once, whatever the retries", async () => {
    const fixture = await ticketedEvent({ quantity: 3 });
    const guests = await createUsers(2);
    const request = { source_type: "COMP" as const, source_id: crypto.randomUUID(), holders: guests.map((user_id) => ({ user_id, zone_id: null, seat_id: null })), config_id: fixture.configId, created_by: fixture.organizerId };
    const [a, b] = await Promise.all([fixture.stub.issueRights(request), fixture.stub.issueRights(request)]);
    if (!a.ok || !b.ok) throw new Error("issue failed");
    expect(a.rights).toHaveLength(2);
    expect(b.rights.map((r) => r.id).sort()).toEqual(a.rights.map((r) => r.id).sort());
    expect(a.rights[0]).toMatchObject({ source_type: "COMP", zone_id: fixture.zoneId });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ sold: 2, available: 1 });
    const more = await fixture.stub.issueRights({ ...request, source_id: crypto.randomUUID(), holders: [...request.holders] });
    expect(more).toMatchObject({ ok: false, problem: { code: "sold_out" } });
  });
});
