import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventStub } from "../../durable-objects/event/client.ts";
import { api, expectProblem, registerMember, registerOrganizer, registerUser, verifyEmail, waitForMessage } from "../support/api.ts";
import { giveFixture, ticketedEvent } from "../support/ticketing.ts";

/** A ticketed event of an organizer's organization (the organizer has an account and a token), at a venue of theirs. */
async function organizedEvent(options: Parameters<typeof ticketedEvent>[0] = {}) {
  const fixture = await ticketedEvent(options);
  const organizer = await registerOrganizer();
  await giveFixture(fixture, organizer.organizationId, organizer.id);
  return { ...fixture, organizer, organizationId: organizer.organizationId };
}
type Organized = Awaited<ReturnType<typeof organizedEvent>>;

const grant = (fixture: Organized, body: unknown, token = fixture.organizer.token, headers?: Record<string, string>) =>
  api("POST", `/v1/events/${fixture.eventId}/grants`, { token, body, headers });
// Live from the EventDO: the public route may answer up to 1 s old (src/onsale/availability-cache.ts).
const availability = async (fixture: Organized) => (await eventStub(env, fixture.eventId).availability()).configs[0];

describe("grants: invitations, staff, media and partner rights", () => {
  it("gives one right per listed person, by account or by email, tells each of them, and the holder gets a working QR", async () => {
    const fixture = await organizedEvent();
    const [mayor, journalist] = [await registerUser(), await registerUser()];
    await verifyEmail(journalist.id);
    const newcomer = `invite-${crypto.randomUUID().slice(0, 8)}@example.bj`;
    const res = await grant(fixture, { source_type: "COMP", holders: [{ user_id: mayor.id }, { user_id: mayor.id }, { email: journalist.email }, { email: newcomer, phone: "+2290197000001" }] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ source_type: "COMP" });
    expect(res.headers.get("Location")).toBe(`/v1/events/${fixture.eventId}/grants/${res.body.grant_id}`);
    const rights = res.body.access_rights as { user_id: string; status: string; source_type: string; source_id: string; zone_id: string | null }[];
    const account = await env.DB.prepare("SELECT id, phone FROM users WHERE email = ?").bind(newcomer).first<{ id: string; phone: string }>();
    expect(account).toMatchObject({ phone: "+2290197000001" });
    expect(rights.map((r) => r.user_id).sort()).toEqual([mayor.id, mayor.id, journalist.id, account!.id].sort());
    for (const r of rights) expect(r).toMatchObject({ status: "ENABLED", source_type: "COMP", source_id: res.body.grant_id, zone_id: null });
    // Every right of the grant is outside the inventory.
    expect(await availability(fixture)).toMatchObject({ sold: 0, held: 0 });

    const message = await waitForMessage(mayor.id, "ACCESS_GRANTED");
    expect(message.data).toMatchObject({ quantity: "2" });
    await waitForMessage(journalist.email, "ACCESS_GRANTED");

    await fixture.stub.flushProjection();
    const mine = await api("GET", "/v1/me/access-rights", { token: journalist.token });
    const theirs = mine.body.data.find((r: { event_id: string }) => r.event_id === fixture.eventId);
    expect(theirs).toMatchObject({ source_type: "COMP" });
    expect((await api("GET", `/v1/me/access-rights/${theirs.id}/token`, { token: journalist.token })).status).toBe(200);

    const read = await api("GET", `/v1/events/${fixture.eventId}/grants/${res.body.grant_id}`, { token: fixture.organizer.token });
    expect(read.status).toBe(200);
    expect(read.body.access_rights).toHaveLength(4);
  });

  it("takes units from a configuration all or none, and a cancelled grant gives them back and stops its QR codes", async () => {
    const fixture = await organizedEvent({ quantity: 5 });
    const guests = await Promise.all([1, 2, 3].map(() => registerUser()));
    const holders = guests.map((g) => ({ user_id: g.id }));
    const res = await grant(fixture, { source_type: "PARTNER", config_id: fixture.configId, holders });
    expect(res.status).toBe(201);
    for (const r of res.body.access_rights) expect(r).toMatchObject({ zone_id: fixture.zoneId });
    expect(await availability(fixture)).toMatchObject({ sold: 3, available: 2 });
    // Three more do not fit in the two left: none is given.
    expectProblem(await grant(fixture, { source_type: "PARTNER", config_id: fixture.configId, holders }), 409, "sold_out");
    expect(await availability(fixture)).toMatchObject({ sold: 3, available: 2 });

    await fixture.stub.flushProjection();
    const cancelled = await api("POST", `/v1/events/${fixture.eventId}/grants/${res.body.grant_id}/cancel`, { token: fixture.organizer.token, body: { reason: "Partenaire absent" } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.cancelled).toBe(3);
    for (const r of cancelled.body.access_rights) expect(r.status).toBe("CANCELLED");
    expect(await availability(fixture)).toMatchObject({ sold: 0, available: 5 });
    const first = res.body.access_rights[0];
    const holder = guests.find((g) => g.id === first.user_id)!;
    expectProblem(await api("GET", `/v1/me/access-rights/${first.id}/token`, { token: holder.token }), 409, "access_right_inactive");
    const again = await api("POST", `/v1/events/${fixture.eventId}/grants/${res.body.grant_id}/cancel`, { token: fixture.organizer.token, body: { reason: "again" } });
    expect(again.body.cancelled).toBe(0);
    expect(await availability(fixture)).toMatchObject({ sold: 0, available: 5 });
  });

  it("lists an event's grants newest first, a page at a time, with their used and cancelled counts", async () => {
    const fixture = await organizedEvent();
    const other = await organizedEvent();
    const fans = await Promise.all([1, 2, 3].map(() => registerUser()));
    const ids: string[] = [];
    for (const [i, type] of (["COMP", "STAFF", "MEDIA"] as const).entries()) {
      const res = await grant(fixture, { source_type: type, holders: fans.slice(0, i + 1).map((f) => ({ user_id: f.id })) });
      ids.push(res.body.grant_id);
    }
    await grant(other, { source_type: "COMP", holders: [{ user_id: fans[0]!.id }] });
    await api("POST", `/v1/events/${fixture.eventId}/grants/${ids[1]}/cancel`, { token: fixture.organizer.token, body: { reason: "staff list changed" } });
    await fixture.stub.flushProjection();
    const list = (cursor?: string) => api("GET", `/v1/events/${fixture.eventId}/grants?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: fixture.organizer.token });
    const first = await list();
    expect(first.status).toBe(200);
    const second = await list(first.body.next_cursor);
    const all = [...first.body.data, ...second.body.data];
    expect(second.body.next_cursor).toBeNull();
    expect(all.map((g: { grant_id: string }) => g.grant_id).sort()).toEqual([...ids].sort());
    expect(all.find((g: { grant_id: string }) => g.grant_id === ids[1])).toMatchObject({ source_type: "STAFF", rights: 2, cancelled: 2, used: 0, created_by: fixture.organizer.id });
    expect(all.find((g: { grant_id: string }) => g.grant_id === ids[2])).toMatchObject({ source_type: "MEDIA", rights: 3, cancelled: 0 });
    const times = all.map((g: { created_at: string }) => g.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/grants`, { token: other.organizer.token }), 404);
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/grants?cursor=nonsense`, { token: fixture.organizer.token }), 422);
  });

  it("returns the same grant to a retry with the same Idempotency-Key, and gives a new one without", async () => {
    const fixture = await organizedEvent();
    const guest = await registerUser();
    const body = { source_type: "MEDIA", holders: [{ user_id: guest.id }] };
    const key = { "Idempotency-Key": `grant-${crypto.randomUUID()}` };
    const [first, retry] = [await grant(fixture, body, undefined, key), await grant(fixture, body, undefined, key)];
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body.grant_id).toBe(first.body.grant_id);
    expect(retry.body.access_rights).toEqual(first.body.access_rights);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    const fresh = await grant(fixture, body);
    expect(fresh.body.grant_id).not.toBe(first.body.grant_id);
    expect(fresh.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("refuses the same Idempotency-Key with another request (other holders or another kind of right) and issues nothing more (docs/api.md, Idempotency keys)", async () => {
    const fixture = await organizedEvent({ quantity: 5 });
    const [guest, other] = [await registerUser(), await registerUser()];
    const key = { "Idempotency-Key": `grant-${crypto.randomUUID()}` };
    const first = await grant(fixture, { source_type: "MEDIA", config_id: fixture.configId, holders: [{ user_id: guest.id }] }, undefined, key);
    expect(first.status).toBe(201);
    const refused = [
      { source_type: "MEDIA", config_id: fixture.configId, holders: [{ user_id: other.id }] },
      { source_type: "MEDIA", config_id: fixture.configId, holders: [{ user_id: guest.id }, { user_id: guest.id }] },
      { source_type: "STAFF", config_id: fixture.configId, holders: [{ user_id: guest.id }] },
      { source_type: "MEDIA", holders: [{ user_id: guest.id }] },
    ];
    for (const body of refused) {
      const res = await grant(fixture, body, undefined, key);
      expect(expectProblem(res, 422).code, JSON.stringify(body)).toBe("idempotency_key_reused");
    }
    // Only the first grant's one right exists under that id, and only its unit left the inventory.
    expect(await eventStub(env, fixture.eventId).listRights({ source_id: first.body.grant_id })).toHaveLength(1);
    expect(await availability(fixture)).toMatchObject({ sold: 1, available: 4 });
    const again = await grant(fixture, { source_type: "MEDIA", config_id: fixture.configId, holders: [{ user_id: guest.id }] }, undefined, key);
    expect(again.status).toBe(201);
    expect(again.body.access_rights).toEqual(first.body.access_rights);
  });

  it("is for who manages the event and admins only, and refuses bad lists, zones and configurations", async () => {
    const fixture = await organizedEvent();
    const other = await organizedEvent();
    const [fan, rival] = [await registerUser(), await registerOrganizer()];
    const one = { source_type: "STAFF", holders: [{ user_id: fan.id }] };
    expectProblem(await grant(fixture, one, fan.token), 404);
    expectProblem(await grant(fixture, one, rival.token), 404);
    // Box office reads the grants (attendees), never gives rights; a controller does neither.
    const boxOffice = await registerMember(fixture.organizationId, "BOX_OFFICE");
    expect(expectProblem(await grant(fixture, one, boxOffice.token), 403).detail).toContain("event.manage");
    expect((await api("GET", `/v1/events/${fixture.eventId}/grants`, { token: boxOffice.token })).status).toBe(200);
    const controller = await registerMember(fixture.organizationId, "CONTROLLER");
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/grants`, { token: controller.token }), 403);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/grants`, { body: one }), 401);

    const field = async (body: unknown, path: string) => {
      const res = await grant(fixture, body);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    };
    await field({ ...one, source_type: "TICKET" }, "source_type");
    await field({ ...one, source_type: "SUBSCRIPTION" }, "source_type");
    await field({ ...one, holders: [] }, "holders");
    await field({ ...one, holders: Array.from({ length: 501 }, () => ({ user_id: fan.id })) }, "holders");
    await field({ ...one, holders: [{ user_id: fan.id, email: "x@example.com" }] }, "holders.0");
    await field({ ...one, holders: [{}] }, "holders.0");
    await field({ ...one, holders: [{ email: "not-an-email" }] }, "holders.0.email");
    await field({ ...one, holders: [{ user_id: fan.id }, { user_id: crypto.randomUUID() }] }, "holders.1.user_id");
    await field({ ...one, zone_id: other.zoneId }, "zone_id");
    await field({ ...one, config_id: other.configId }, "config_id");
    await field({ ...one, price: 0 }, "price");
    expect(await availability(fixture)).toMatchObject({ sold: 0 });

    const given = await grant(fixture, one);
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/grants/${given.body.grant_id}`, { token: rival.token }), 404);
    expectProblem(await api("GET", `/v1/events/${other.eventId}/grants/${given.body.grant_id}`, { token: other.organizer.token }), 404);
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/grants/${crypto.randomUUID()}`, { token: fixture.organizer.token }), 404);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/grants/${given.body.grant_id}/cancel`, { token: fixture.organizer.token, body: {} }), 422);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/grants/${given.body.grant_id}/cancel`, { token: rival.token, body: { reason: "x" } }), 404);
  });

  it("does not reach a ticket order's or a season pass's rights by their id", async () => {
    const fixture = await organizedEvent();
    const fan = await registerUser();
    const hold = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } });
    await api("POST", `/v1/events/${fixture.eventId}/orders/${hold.body.id}/confirm-cash`, { token: fixture.organizer.token });
    // A ticket's rights have the order as their source.
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/grants/${hold.body.id}`, { token: fixture.organizer.token }), 404);
    expectProblem(await api("POST", `/v1/events/${fixture.eventId}/grants/${hold.body.id}/cancel`, { token: fixture.organizer.token, body: { reason: "x" } }), 404);
  });
});
