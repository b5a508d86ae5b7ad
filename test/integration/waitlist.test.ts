import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, registerOrganizer, registerUser, waitForMessage } from "../support/api.ts";
import { emailsTo } from "../support/notifications.ts";
import { createUsers, giveFixture, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

const HOUR = 3600_000;

const join = (fixture: TicketingFixture, userId: string, quantity: number, now?: number) =>
  fixture.stub.joinWaitlist({ entry_id: newId(), config_id: fixture.configId, user_id: userId, quantity, now });

/** Holds every unit of the fixture (one hold per buyer), so it is sold out; returns the holds' order ids. */
async function sellOut(fixture: TicketingFixture, units: number, per = 1, now?: number): Promise<string[]> {
  const buyers = await createUsers(Math.ceil(units / per));
  const holds = await Promise.all(buyers.map((b) => fixture.stub.placeOrder(orderRequest(fixture, b, per, now === undefined ? {} : { now }))));
  return holds.map((h) => {
    if (!h.ok) throw new Error(`hold failed: ${h.problem.code}`);
    return h.order.id;
  });
}

/** Runs the object's alarm while it is due (an open offer keeps a later one set, for its lapse, which is not run). */
async function runAlarms(fixture: TicketingFixture) {
  const alarmAt = () => runInDurableObject(fixture.stub, (_, state) => state.storage.getAlarm());
  for (let at = await alarmAt(); at !== null && at <= Date.now() + 1_000; at = await alarmAt()) await runDurableObjectAlarm(fixture.stub);
}

describe("waiting list in the EventDO", () => {
  it("is joined only when sold out, once per person, with positions in order", async () => {
    const fixture = await ticketedEvent({ quantity: 4 });
    const [a, b] = await createUsers(2);
    expect(await join(fixture, a!, 1)).toMatchObject({ ok: false, problem: { status: 409, code: "waitlist_not_sold_out" } });
    // One left: it is bought, not waited for, whatever quantity is asked.
    await sellOut(fixture, 3);
    expect(await join(fixture, a!, 4)).toMatchObject({ ok: false, problem: { code: "waitlist_not_sold_out", detail: expect.stringContaining("1 ticket") } });
    await sellOut(fixture, 1);
    expect(await join(fixture, a!, 4)).toMatchObject({ ok: true, already: false, entry: { status: "WAITING", position: 1, quantity: 4 } });
    expect(await join(fixture, b!, 1)).toMatchObject({ ok: true, entry: { position: 2 } });
    const again = await join(fixture, a!, 2);
    expect(again).toMatchObject({ ok: true, already: true, entry: { position: 1, quantity: 4 } });
    expect(await join(fixture, b!, 5)).toMatchObject({ ok: true, already: true });
    const [c] = await createUsers(1);
    expect(await join(fixture, c!, 5)).toMatchObject({ ok: false, problem: { status: 422, code: "above_maximum" } });
    expect(await fixture.stub.joinWaitlist({ entry_id: newId(), config_id: newId(), user_id: c!, quantity: 1 })).toMatchObject({ ok: false, problem: { code: "config_not_found" } });
    // Leaving moves the others up.
    expect(await fixture.stub.leaveWaitlist(fixture.configId, a!)).toMatchObject({ ok: true, entry: { status: "LEFT", position: null } });
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, b!)).toMatchObject({ position: 1 });
    expect(await fixture.stub.leaveWaitlist(fixture.configId, a!)).toMatchObject({ ok: false, problem: { status: 404, code: "waitlist_entry_not_found" } });
  });

  it("numbers 300 fans joining at once 1..300, one entry each even when they join twice", async () => {
    const fixture = await ticketedEvent({ quantity: 2 });
    await sellOut(fixture, 2);
    const fans = await createUsers(300);
    const results = await Promise.all([...fans, ...fans.slice(0, 50)].map((fan) => join(fixture, fan, 1)));
    const entries = results.map((r) => {
      if (!r.ok) throw new Error(r.problem.code);
      return r.entry;
    });
    // A second join answers the person's entry, wherever it fell in the burst.
    for (let i = 0; i < 50; i++) expect(entries[300 + i]!.id).toBe(entries[i]!.id);
    const list = (await fixture.stub.listWaitlist(fixture.configId))!;
    expect(list).toHaveLength(300);
    expect(list.map((e) => e.position)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(new Set(list.map((e) => e.user_id)).size).toBe(300);
  });

  it("offers returned units to the first in line, in order, never a unit twice, while buyers and returns race", async () => {
    const fixture = await ticketedEvent({ quantity: 20, maxPerTransaction: 2 });
    const holds = await sellOut(fixture, 20, 2); // ten holds of two
    const fans = await createUsers(40);
    const joined = await Promise.all(fans.map((fan, i) => join(fixture, fan, (i % 2) + 1)));
    for (const j of joined) expect(j.ok).toBe(true);
    const order = (await fixture.stub.listWaitlist(fixture.configId))!.map((e) => e.user_id);

    // Ten holds cancelled at once, while forty buyers without an offer try to buy.
    const buyers = await createUsers(40);
    const [cancels, buys] = await Promise.all([
      Promise.all(holds.map((id) => fixture.stub.cancelOrder(id, "changed my mind", null))),
      Promise.all(buyers.map((b) => fixture.stub.placeOrder(orderRequest(fixture, b, 1)))),
    ]);
    for (const c of cancels) expect(c.ok).toBe(true);
    for (const b of buys) expect(b).toMatchObject({ ok: false, problem: { code: "sold_out" } });

    const list = (await fixture.stub.listWaitlist(fixture.configId))!;
    const offered = list.filter((e) => e.status === "OFFERED");
    // The first in line got the twenty units: exactly as many as they asked for, in queue order.
    expect(offered.map((e) => e.user_id)).toEqual(order.slice(0, offered.length));
    expect(offered.reduce((sum, e) => sum + e.offer!.quantity, 0)).toBe(20);
    // Units came back two at a time: an offer short of what its entry asked grew with the next return before anyone behind got one.
    for (const e of offered.slice(0, -1)) expect(e.offer!.quantity).toBe(e.quantity);
    const availability = (await fixture.stub.availability()).configs[0]!;
    expect(availability).toMatchObject({ available: 0, held: 20, sold: 0 });

    // The offered fans order with their offers while the rest (and the buyers) try too: only offers sell.
    const withOffers = offered.map((e) => fixture.stub.placeOrder(orderRequest(fixture, e.user_id, e.offer!.quantity, { waitlist_offer_id: e.id })));
    const others = buyers.slice(0, 20).map((b) => fixture.stub.placeOrder(orderRequest(fixture, b, 1)));
    const [taken, refused] = await Promise.all([Promise.all(withOffers), Promise.all(others)]);
    for (const t of taken) expect(t).toMatchObject({ ok: true, order: { booking_status: "PENDING" } });
    for (const r of refused) expect(r).toMatchObject({ ok: false, problem: { code: "sold_out" } });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 0, held: 20 });
    const after = (await fixture.stub.listWaitlist(fixture.configId))!;
    expect(after.every((e) => e.status === "WAITING")).toBe(true);
    expect(after[0]!.user_id).toBe(order[offered.length]);
    expect(after[0]!.position).toBe(1);
  });

  it("offers the first in line what came back, up to what they asked, and grows the offer before anyone behind gets one", async () => {
    const fixture = await ticketedEvent({ quantity: 3 });
    const holds = await sellOut(fixture, 3);
    const [a, b] = await createUsers(2);
    await join(fixture, a!, 2);
    await join(fixture, b!, 1);
    await fixture.stub.cancelOrder(holds[0]!, "x", null);
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, a!)).toMatchObject({ status: "OFFERED", offer: { quantity: 1 } });
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, b!)).toMatchObject({ status: "WAITING", position: 1 });
    await fixture.stub.cancelOrder(holds[1]!, "x", null);
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, a!)).toMatchObject({ status: "OFFERED", offer: { quantity: 2 } });
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, b!)).toMatchObject({ status: "WAITING", position: 1 });
    await fixture.stub.cancelOrder(holds[2]!, "x", null);
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, b!)).toMatchObject({ status: "OFFERED", offer: { quantity: 1 } });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 0, held: 3 });
  });

  it("refuses an offer that is not the buyer's, not open, too small or already used, and holds nothing then", async () => {
    const fixture = await ticketedEvent({ quantity: 2 });
    const holds = await sellOut(fixture, 2);
    const [fan, next, thief] = await createUsers(3);
    const entry = await join(fixture, fan!, 1);
    const waiting = await join(fixture, next!, 1);
    if (!entry.ok || !waiting.ok) throw new Error("join failed");
    expect(await fixture.stub.placeOrder(orderRequest(fixture, next!, 1, { waitlist_offer_id: waiting.entry.id }))).toMatchObject({ ok: false, problem: { code: "waitlist_offer_not_open" } });
    await fixture.stub.cancelOrder(holds[0]!, "x", null);
    expect(await fixture.stub.placeOrder(orderRequest(fixture, thief!, 1, { waitlist_offer_id: entry.entry.id }))).toMatchObject({ ok: false, problem: { status: 404, code: "waitlist_offer_not_found" } });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, fan!, 1, { waitlist_offer_id: newId() }))).toMatchObject({ ok: false, problem: { status: 404, code: "waitlist_offer_not_found" } });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, fan!, 2, { waitlist_offer_id: entry.entry.id }))).toMatchObject({ ok: false, problem: { status: 422, code: "waitlist_offer_quantity" } });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ held: 2, available: 0 });
    const taken = await fixture.stub.placeOrder(orderRequest(fixture, fan!, 1, { waitlist_offer_id: entry.entry.id }));
    expect(taken).toMatchObject({ ok: true, order: { quantity: 1, user_id: fan } });
    expect(await fixture.stub.placeOrder(orderRequest(fixture, fan!, 1, { waitlist_offer_id: entry.entry.id }))).toMatchObject({ ok: false, problem: { code: "waitlist_offer_taken" } });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ held: 2, available: 0 });
    if (!taken.ok) return;
    // The order is an ordinary hold: paid, it issues the rights.
    expect(await fixture.stub.confirmOrder({ order_id: taken.order.id, payment_id: null, confirmed_by: null })).toMatchObject({ ok: true, rights: [{ user_id: fan }] });
  });

  it("lapses an offer by the alarm and passes its units to the next in line, who is told", async () => {
    const fixture = await ticketedEvent({ quantity: 1 });
    const [hold] = await sellOut(fixture, 1);
    const [first, second] = await Promise.all([registerUser(), registerUser()]);
    await join(fixture, first.id, 1);
    await join(fixture, second.id, 1);
    // The unit came back three hours ago: the two-hour offer made then is over.
    const past = Date.now() - 3 * HOUR;
    await fixture.stub.cancelOrder(hold!, "x", null, past);
    const offered = await fixture.stub.listWaitlist(fixture.configId, past);
    expect(offered![0]).toMatchObject({ user_id: first.id, status: "OFFERED" });
    expect(Date.parse(offered![0]!.offer!.expires_at) - past).toBe(2 * HOUR);
    await runAlarms(fixture);
    // The alarm lapsed it (no request came) and offered the unit to the second, for two hours from now.
    const list = (await fixture.stub.listWaitlist(fixture.configId))!;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ user_id: second.id, status: "OFFERED", offer: { quantity: 1 } });
    expect(Date.parse(list[0]!.offer!.expires_at)).toBeGreaterThan(Date.now() + HOUR);
    expect(await fixture.stub.placeOrder(orderRequest(fixture, first.id, 1, { waitlist_offer_id: offered![0]!.id }))).toMatchObject({ ok: false, problem: { code: "waitlist_offer_expired" } });
    // The first offer lapsed before its notice left: only the second person is told, by the real providers.
    const message = await waitForMessage(second.email, "WAITLIST_OFFER");
    expect(["SENT", "DELIVERED"]).toContain(message.status);
    const [email] = await emailsTo(second.email);
    expect(email!.subject).toContain("Derby");
    expect(email!.text).toContain(list[0]!.id);
    await expect(waitForMessage(first.email, "WAITLIST_OFFER")).rejects.toThrow(/no WAITLIST_OFFER/);
    const inApp = await waitForMessage(second.id, "WAITLIST_OFFER");
    expect(inApp.channel).toBe("IN_APP");
  });

  it("serves the list from every release point: an expired hold, a refund, released blocks, a cancelled grant", async () => {
    const fixture = await ticketedEvent({ quantity: 6, blocked: 2 });
    // One hold placed 20 minutes ago (its 15 minutes are over), the others and the joins 10 minutes ago, when it still held.
    const past = Date.now() - 20 * 60_000;
    const then = Date.now() - 10 * 60_000;
    await sellOut(fixture, 1, 1, past);
    const [paid] = await sellOut(fixture, 3, 1, then);
    await fixture.stub.confirmOrder({ order_id: paid!, payment_id: null, confirmed_by: null, now: then });
    const fans = await createUsers(6);
    for (const fan of fans) {
      const joined = await join(fixture, fan, 1, then);
      if (!joined.ok) throw new Error(JSON.stringify(joined.problem));
    }
    // The expired hold is released by the alarm, whose projection also runs.
    await runAlarms(fixture);
    const statuses = async () => (await fixture.stub.listWaitlist(fixture.configId))!.filter((e) => e.status === "OFFERED").map((e) => e.user_id);
    expect(await statuses()).toEqual(fans.slice(0, 1));
    expect(await fixture.stub.cancelForRefund(paid!, "refund", null, false)).toMatchObject({ ok: true });
    expect(await statuses()).toEqual(fans.slice(0, 2));
    // The organizer releases the two blocked units.
    await env.DB.prepare("UPDATE event_ticket_config SET quantity_blocked = 0 WHERE id = ?").bind(fixture.configId).run();
    await syncEventInventory(env, fixture.eventId);
    expect(await statuses()).toEqual(fans.slice(0, 4));
    // A grant taken from the configuration is refused while the list has nothing left over: every unit is someone's.
    const grant = await fixture.stub.issueRights({ source_type: "COMP", source_id: newId(), holders: [{ user_id: fans[5]!, zone_id: null, seat_id: null }], config_id: fixture.configId, created_by: null });
    expect(grant.ok).toBe(false);
    // An offer given up goes to the next.
    await fixture.stub.leaveWaitlist(fixture.configId, fans[0]!);
    expect(await statuses()).toEqual(fans.slice(1, 5));
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ available: 0, held: 6, sold: 0 });
  });

  it("gives a cancelled grant's unit to the list", async () => {
    const fixture = await ticketedEvent({ quantity: 1 });
    const [guest, fan] = await createUsers(2);
    const batch = newId();
    expect(await fixture.stub.issueRights({ source_type: "COMP", source_id: batch, holders: [{ user_id: guest!, zone_id: null, seat_id: null }], config_id: fixture.configId, created_by: null })).toMatchObject({ ok: true });
    expect(await join(fixture, fan!, 1)).toMatchObject({ ok: true });
    expect(await fixture.stub.setRightsStatus("COMP", batch, "CANCELLED", null, "revoked")).toMatchObject({ ok: true });
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, fan!)).toMatchObject({ status: "OFFERED", offer: { quantity: 1 } });
  });

  it("offers nothing once the configuration's sales have ended", async () => {
    const fixture = await ticketedEvent({ quantity: 1 });
    const [hold] = await sellOut(fixture, 1);
    const [fan] = await createUsers(1);
    await join(fixture, fan!, 1);
    await env.DB.prepare("UPDATE event_ticket_config SET sales_end = ? WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), fixture.configId).run();
    await syncEventInventory(env, fixture.eventId);
    await fixture.stub.cancelOrder(hold!, "x", null);
    expect(await fixture.stub.myWaitlistEntry(fixture.configId, fan!)).toMatchObject({ status: "WAITING" });
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ held: 0 });
  });

  it("closes the list when the event is cancelled, giving back offered units", async () => {
    const fixture = await ticketedEvent({ quantity: 2 });
    const holds = await sellOut(fixture, 2);
    const [a, b] = await createUsers(2);
    await join(fixture, a!, 1);
    await join(fixture, b!, 1);
    await fixture.stub.cancelOrder(holds[0]!, "x", null);
    await fixture.stub.cancelEventSales("storm");
    expect(await fixture.stub.listWaitlist(fixture.configId)).toEqual([]);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ held: 0, sold: 0 });
  });
});

describe("waiting list over HTTP", () => {
  async function ownedEvent(quantity = 1) {
    const organizer = await registerOrganizer();
    const fixture = await ticketedEvent({ quantity });
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    return { organizer, fixture };
  }
  const path = (f: TicketingFixture, tail = "") => `/v1/events/${f.eventId}/ticket-configs/${f.configId}/waitlist${tail}`;

  it("lets a signed-in fan join, see their place, take the offer by ordering, and leave; the organizer reads the list", async () => {
    const { organizer, fixture } = await ownedEvent(1);
    const [hold] = await sellOut(fixture, 1);
    const [fan, later] = await Promise.all([registerUser(), registerUser()]);
    expectProblem(await api("POST", path(fixture), { body: { quantity: 1 } }), 401);
    const joined = await api("POST", path(fixture), { token: fan.token, body: { quantity: 1 } });
    expect(joined.status).toBe(201);
    expect(joined.body).toMatchObject({ status: "WAITING", position: 1, quantity: 1, offer: null });
    expect(joined.body.user_id).toBeUndefined();
    expect((await api("POST", path(fixture), { token: fan.token, body: { quantity: 1 } })).status).toBe(200);
    expect((await api("POST", path(fixture), { token: later.token, body: { quantity: 1 } })).body).toMatchObject({ position: 2 });
    expect((await api("GET", path(fixture, "/me"), { token: later.token })).body).toMatchObject({ position: 2, status: "WAITING" });

    const list = await api("GET", path(fixture), { token: organizer.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((e: { user: { email: string } }) => e.user.email)).toEqual([fan.email, later.email]);

    await fixture.stub.cancelOrder(hold!, "x", null);
    const mine = await api("GET", path(fixture, "/me"), { token: fan.token });
    expect(mine.body).toMatchObject({ status: "OFFERED", position: null, offer: { quantity: 1 } });
    const order = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1, waitlist_offer_id: mine.body.id } });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ booking_status: "PENDING", quantity: 1 });
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: later.token, body: { config_id: fixture.configId, quantity: 1, waitlist_offer_id: mine.body.id } }), 404, "waitlist_offer_not_found");
    expectProblem(await api("GET", path(fixture, "/me"), { token: fan.token }), 404, "waitlist_entry_not_found");

    const left = await api("DELETE", path(fixture, "/me"), { token: later.token });
    expect(left.body).toMatchObject({ status: "LEFT" });
    expectProblem(await api("DELETE", path(fixture, "/me"), { token: later.token }), 404, "waitlist_entry_not_found");
  });

  it("hides the list from fans and other organizers, and refuses hostile input", async () => {
    const { fixture } = await ownedEvent(1);
    await sellOut(fixture, 1);
    const [fan, stranger] = await Promise.all([registerUser(), registerOrganizer()]);
    expectProblem(await api("GET", path(fixture), { token: stranger.token }), 404);
    expectProblem(await api("GET", path(fixture), { token: fan.token }), 404);
    for (const body of [{ quantity: 0 }, { quantity: 1.5 }, { quantity: "1" }, { quantity: 1, user_id: stranger.id }, {}, { quantity: 10_000 }]) {
      expectProblem(await api("POST", path(fixture), { token: fan.token, body }), 422, "validation_failed");
    }
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/ticket-configs/not-a-uuid/waitlist`, { token: fan.token, body: { quantity: 1 } }), 422, "validation_failed");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/ticket-configs/${newId()}/waitlist`, { token: fan.token, body: { quantity: 1 } }), 404, "config_not_found");
    expectProblem(await api("POST", `/v1/events/${newId()}/ticket-configs/${fixture.configId}/waitlist`, { token: fan.token, body: { quantity: 1 } }), 404, "not_found");
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1, waitlist_offer_id: "x" } }), 422, "validation_failed");
  });

  it("opens offers for the configuration's window", async () => {
    const { organizer, fixture } = await ownedEvent(1);
    const patched = await api("PATCH", `/v1/events/${fixture.eventId}/ticket-configs/${fixture.configId}`, { token: organizer.token, body: { waitlist_offer_minutes: 30 } });
    expect(patched.status).toBe(200);
    expect(patched.body.waitlist_offer_minutes).toBe(30);
    expectProblem(await api("PATCH", `/v1/events/${fixture.eventId}/ticket-configs/${fixture.configId}`, { token: organizer.token, body: { waitlist_offer_minutes: 1 } }), 422, "validation_failed");
    const [hold] = await sellOut(fixture, 1);
    const [fan] = await createUsers(1);
    await join(fixture, fan!, 1);
    const now = Date.now();
    await fixture.stub.cancelOrder(hold!, "x", null, now);
    const entry = await fixture.stub.myWaitlistEntry(fixture.configId, fan!, now);
    expect(Date.parse(entry!.offer!.expires_at) - now).toBe(30 * 60_000);
  });
});
