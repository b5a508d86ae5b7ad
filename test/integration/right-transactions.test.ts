import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { api, expectProblem, registerMember, registerOrganizer, registerUser, waitForMessage } from "../support/api.ts";
import { createUsers, giveFixture, orderRequest, ticketedEvent } from "../support/ticketing.ts";

const HOUR = 3600_000;

const transactions = async (rightIds: string[], type: string) =>
  (
    await env.DB.prepare(`SELECT access_right_id, to_user_id, created_by, reason FROM access_transactions_log WHERE transaction_type = ? AND access_right_id IN (SELECT value FROM json_each(?))`)
      .bind(type, JSON.stringify(rightIds))
      .all<{ access_right_id: string; to_user_id: string | null; created_by: string | null; reason: string | null }>()
  ).results;

async function organizedEvent(options: Parameters<typeof ticketedEvent>[0] = {}) {
  const fixture = await ticketedEvent(options);
  const organizer = await registerOrganizer();
  await giveFixture(fixture, organizer.organizationId, organizer.id);
  return { ...fixture, organizer };
}

describe("access transaction RESTORE: a grant taken back, given back", () => {
  it("re-enables the cancelled rights with their codes, takes their units again, logs RESTORE and tells the holders; once", async () => {
    const fixture = await organizedEvent({ quantity: 10 });
    const [guest, other] = [await registerUser(), await registerUser()];
    const granted = await api("POST", `/v1/events/${fixture.eventId}/grants`, {
      token: fixture.organizer.token,
      body: { source_type: "COMP", config_id: fixture.configId, holders: [{ user_id: guest.id }, { user_id: other.id }] },
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    const grantId = granted.body.grant_id as string;
    const rightIds = (granted.body.access_rights as { id: string }[]).map((r) => r.id);
    const codes = (granted.body.access_rights as { qr_code: string }[]).map((r) => r.qr_code).sort();
    const firstMessage = await waitForMessage(guest.id, "ACCESS_GRANTED");
    const path = `/v1/events/${fixture.eventId}/grants/${grantId}`;
    expect((await api("POST", `${path}/cancel`, { token: fixture.organizer.token, body: { reason: "Liste revue" } })).body.cancelled).toBe(2);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ sold: 0 });

    const restored = await api("POST", `${path}/restore`, { token: fixture.organizer.token, body: { reason: "Annulation par erreur" } });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body.restored).toBe(2);
    for (const r of restored.body.access_rights) expect(r.status).toBe("ENABLED");
    expect((restored.body.access_rights as { qr_code: string }[]).map((r) => r.qr_code).sort()).toEqual(codes);
    expect((await fixture.stub.availability()).configs[0]).toMatchObject({ sold: 2 });
    const logged = await transactions(rightIds, "RESTORE");
    expect(logged).toHaveLength(2);
    for (const row of logged) expect(row).toMatchObject({ created_by: fixture.organizer.id, reason: "Annulation par erreur" });
    expect((await waitForMessage(guest.id, "ACCESS_GRANTED", firstMessage.id)).id).not.toBe(firstMessage.id);
    expect((await env.DB.prepare("SELECT status FROM access_rights WHERE id = ?").bind(rightIds[0]).first<{ status: string }>())?.status).toBe("ENABLED");

    const again = await api("POST", `${path}/restore`, { token: fixture.organizer.token, body: { reason: "encore" } });
    expect(again.body.restored).toBe(0);
    expect(await transactions(rightIds, "RESTORE")).toHaveLength(2);
  });

  it("restores nothing when the units were sold meanwhile; refuses strangers, members without event.manage and bad bodies", async () => {
    const fixture = await organizedEvent({ quantity: 3 });
    const guest = await registerUser();
    const granted = await api("POST", `/v1/events/${fixture.eventId}/grants`, {
      token: fixture.organizer.token,
      body: { source_type: "PARTNER", config_id: fixture.configId, holders: [{ user_id: guest.id }, { user_id: guest.id }] },
    });
    const path = `/v1/events/${fixture.eventId}/grants/${granted.body.grant_id}`;
    await api("POST", `${path}/cancel`, { token: fixture.organizer.token, body: { reason: "Partenaire absent" } });
    const [buyer] = await createUsers(1);
    expect(await fixture.stub.placeOrder(orderRequest(fixture, buyer!, 2))).toMatchObject({ ok: true });

    expectProblem(await api("POST", `${path}/restore`, { token: fixture.organizer.token, body: { reason: "retour" } }), 409, "sold_out");
    expect((await fixture.stub.listRights({ source_id: granted.body.grant_id })).map((r) => r.status)).toEqual(["CANCELLED", "CANCELLED"]);

    const cashier = await registerMember(fixture.organizer.organizationId, "BOX_OFFICE");
    expectProblem(await api("POST", `${path}/restore`, { token: cashier.token, body: { reason: "retour" } }), 403);
    expectProblem(await api("POST", `${path}/restore`, { token: (await registerOrganizer()).token, body: { reason: "retour" } }), 404);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/grants/${crypto.randomUUID()}/restore`, { token: fixture.organizer.token, body: { reason: "retour" } }), 404);
    expectProblem(await api("POST", `${path}/restore`, { token: fixture.organizer.token, body: { reason: " " } }), 422);
    expectProblem(await api("POST", `${path}/restore`, { token: fixture.organizer.token, body: { reason: "retour", extra: 1 } }), 422);
    expectProblem(await api("POST", `${path}/restore`, { body: { reason: "retour" } }), 401);
  });
});

describe("access transaction MODIFY: the event's dates move", () => {
  it("moves every live right's window to the new dates, logs MODIFY once per right, and leaves cancelled rights alone", async () => {
    const fixture = await ticketedEvent({ startsInMs: 10 * 86_400_000 });
    const [a, b] = await createUsers(2);
    const held = await fixture.stub.placeOrder(orderRequest(fixture, a!, 2));
    const other = await fixture.stub.placeOrder(orderRequest(fixture, b!, 1));
    if (!held.ok || !other.ok) throw new Error("holds");
    const kept = await fixture.stub.confirmOrder({ order_id: held.order.id, payment_id: null, confirmed_by: null });
    await fixture.stub.confirmOrder({ order_id: other.order.id, payment_id: null, confirmed_by: null });
    await fixture.stub.cancelForRefund(other.order.id, "refund", null, false);
    if (!kept.ok) throw new Error("confirm");
    const cancelledRight = (await fixture.stub.listRights({ order_id: other.order.id }))[0]!;

    // Postponed by a day, doors an hour earlier than before.
    const event = (await env.DB.prepare("SELECT starts_at, ends_at, doors_open_at FROM events WHERE id = ?").bind(fixture.eventId).first<{ starts_at: string; ends_at: string; doors_open_at: string }>())!;
    const shift = (t: string, ms: number) => new Date(Date.parse(t) + ms).toISOString();
    const moved = { starts_at: shift(event.starts_at, 24 * HOUR), ends_at: shift(event.ends_at, 24 * HOUR), doors_open_at: shift(event.doors_open_at, 23 * HOUR) };
    await env.DB.prepare("UPDATE events SET starts_at = ?, ends_at = ?, doors_open_at = ? WHERE id = ?").bind(moved.starts_at, moved.ends_at, moved.doors_open_at, fixture.eventId).run();
    await syncEventInventory(env, fixture.eventId);

    const rights = await fixture.stub.listRights({ order_id: held.order.id });
    for (const r of rights) expect(r).toMatchObject({ valid_from: moved.doors_open_at, valid_until: moved.ends_at });
    expect((await fixture.stub.listRights({ order_id: other.order.id }))[0]).toMatchObject({ status: "CANCELLED", valid_from: cancelledRight.valid_from });
    await fixture.stub.flushProjection();
    const ids = rights.map((r) => r.id);
    const logged = await transactions(ids, "MODIFY");
    expect(logged.map((r) => r.access_right_id).sort()).toEqual([...ids].sort());
    expect(logged[0]!.reason).toContain(moved.ends_at);
    expect(await transactions([cancelledRight.id], "MODIFY")).toEqual([]);
    const projected = await env.DB.prepare("SELECT valid_from, valid_until FROM access_rights WHERE id = ?").bind(ids[0]).first();
    expect(projected).toEqual({ valid_from: moved.doors_open_at, valid_until: moved.ends_at });

    // The same dates pushed again change nothing.
    await syncEventInventory(env, fixture.eventId);
    await fixture.stub.flushProjection();
    expect(await transactions(ids, "MODIFY")).toHaveLength(2);
  });
});
