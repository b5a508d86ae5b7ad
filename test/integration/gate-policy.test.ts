import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/access/signing-keys.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, registerAdmin, registerOrganizer, registerUser, setRole, waitForMessage } from "../support/api.ts";
import { gatedEvent, rightsWithTokens, scanHttp, type GateFixture } from "../support/gate.ts";
import { type Club, plan } from "../support/season-passes.ts";
import { giveFixture, orderRequest } from "../support/ticketing.ts";

const HOUR = 3600_000;

type Account = { id: string; token: string; organizationId: string };

/** A live event (doors open) of an organizer's organization (with its venue), and a supervisor assigned to it, all with tokens. */
async function liveEvent(organizer?: Account) {
  const fixture = await gatedEvent({ startsInMs: HOUR });
  const owner = organizer ?? (await registerOrganizer());
  await giveFixture(fixture, owner.organizationId, owner.id);
  const supervisor = await registerUser();
  await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'SUPERVISOR')").bind(newId(), fixture.eventId, supervisor.id).run();
  const [venue] = (await env.DB.prepare("SELECT venue_id FROM events WHERE id = ?").bind(fixture.eventId).all<{ venue_id: string }>()).results;
  return { ...fixture, organizer: owner, supervisor, venueId: venue!.venue_id };
}
type Live = Awaited<ReturnType<typeof liveEvent>>;

/** A right held by a fan who has an account (and a token), projected to D1. */
async function fanWithRight(fixture: GateFixture) {
  const fan = await registerUser();
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, 1));
  if (!hold.ok) throw new Error(hold.problem.code);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(confirmed.problem.code);
  const right = confirmed.rights[0]!;
  await fixture.stub.flushProjection();
  return { fan, right: { ...right, token: (await signAccessToken(env, { id: right.id, event_id: fixture.eventId })).token } };
}

/** Rights of a fresh buyer, projected to D1 so overrides may name them. */
async function projectedRights(fixture: GateFixture, quantity = 1) {
  const result = await rightsWithTokens(fixture, quantity);
  await fixture.stub.flushProjection();
  return result;
}

const overridesPath = (fixture: GateFixture) => `/v1/events/${fixture.eventId}/zone-overrides`;
const moveRight = (fixture: GateFixture, rightId: string, extra: Record<string, unknown> = {}) => ({
  access_right_id: rightId,
  original_zone_id: fixture.zoneId,
  override_zone_id: fixture.visitorsZoneId,
  reason: "Travaux tribune nord",
  ...extra,
});

const auditActions = async (objectId: string) =>
  (await env.DB.prepare("SELECT action, user_id FROM audit_log WHERE object_id = ? ORDER BY created_at").bind(objectId).all<{ action: string; user_id: string }>()).results;

const ban = (token: string, body: Record<string, unknown>) =>
  api("POST", "/v1/blacklist", { token, body: { reason: "Violence au stade", severity: "HIGH", ...body } });

/** A gate's WebSocket, opened as the Worker's clients do, with every message it receives and its close code. */
async function openGate(fixture: GateFixture, deviceId: string) {
  const response = await (exports as unknown as { default: Fetcher }).default.fetch(
    new Request(`https://api.test/v1/events/${fixture.eventId}/gate?device_id=${deviceId}&access_point_id=${fixture.gateA}`, {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${fixture.controller.token}`, "CF-Connecting-IP": "203.0.113.7" },
    }),
  );
  if (response.status !== 101 || !response.webSocket) throw new Error(`gate refused: ${response.status}`);
  const ws = response.webSocket;
  const messages: Record<string, unknown>[] = [];
  const waiters: { type: string; resolve: (message: Record<string, unknown>) => void }[] = [];
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of waiters.filter((w) => w.type === message.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  ws.accept();
  /** The first message of `type` this socket received, now or when it comes; fails after 5 s. */
  const waitFor = (type: string) => {
    const found = messages.find((m) => m.type === type);
    if (found) return Promise.resolve(found);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message`)), 5_000);
      waiters.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  };
  await waitFor("hello");
  return { ws, messages, closed, waitFor };
}

describe("zone overrides", () => {
  it("moves a right to another zone at the gates, tells its holder, and audits it", async () => {
    const fixture = await liveEvent();
    const { buyer, rights } = await projectedRights(fixture);
    expect((await scanHttp(fixture, rights[0]!.token, { action: "CHECK" })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId });

    const res = await api("POST", overridesPath(fixture), { token: fixture.organizer.token, body: moveRight(fixture, rights[0]!.id) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ access_right_id: rights[0]!.id, approved_by: fixture.organizer.id, requires_notification: true, notification_sent: true, is_active: true });

    expect((await scanHttp(fixture, rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE", zone_id: fixture.visitorsZoneId });
    expect((await scanHttp(fixture, rights[0]!.token, { gate: fixture.gateV })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.visitorsZoneId });

    const inApp = await waitForMessage(buyer, "ZONE_CHANGED");
    expect(inApp.channel).toBe("IN_APP");
    expect(inApp.body).toContain("Visiteurs");
    expect(inApp.body).toContain("Travaux tribune nord");
    expect((await waitForMessage(`${buyer}@buyers.test`, "ZONE_CHANGED")).channel).toBe("EMAIL");
    expect((await auditActions(res.body.id)).map((a) => a.action)).toEqual(["CREATE", "UPDATE"]);
  });

  it("lets the right back into its own zone when the override is deleted or suspended", async () => {
    const fixture = await liveEvent();
    const { rights } = await projectedRights(fixture, 2);
    const a = await api("POST", overridesPath(fixture), { token: fixture.organizer.token, body: moveRight(fixture, rights[0]!.id, { requires_notification: false }) });
    const b = await api("POST", overridesPath(fixture), { token: fixture.organizer.token, body: moveRight(fixture, rights[1]!.id, { requires_notification: false }) });
    expect(a.body.notification_sent).toBe(false);
    expect((await scanHttp(fixture, rights[0]!.token, { action: "CHECK" })).body.denial_reason).toBe("WRONG_ZONE");

    const deleted = await api("DELETE", `${overridesPath(fixture)}/${a.body.id}`, { token: fixture.organizer.token });
    expect(deleted.status).toBe(204);
    expect((await scanHttp(fixture, rights[0]!.token)).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId });
    expect((await auditActions(a.body.id)).map((x) => x.action)).toEqual(["CREATE", "DELETE"]);
    expectProblem(await api("GET", `${overridesPath(fixture)}/${a.body.id}`, { token: fixture.organizer.token }), 404);

    const suspended = await api("PATCH", `${overridesPath(fixture)}/${b.body.id}`, { token: fixture.organizer.token, body: { is_active: false } });
    expect(suspended.body).toMatchObject({ is_active: false });
    expect((await scanHttp(fixture, rights[1]!.token)).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId });
  });

  it("moves every right of an order, and tells the holder again when the new zone changes", async () => {
    const fixture = await liveEvent();
    const { buyer, rights } = await projectedRights(fixture, 2);
    const created = await api("POST", overridesPath(fixture), {
      token: fixture.supervisor.token,
      body: { ticket_id: rights[0]!.order_id, original_zone_id: fixture.zoneId, override_zone_id: fixture.visitorsZoneId, reason: "Séparation des supporters" },
    });
    expect(created.status).toBe(201);
    for (const right of rights) expect((await scanHttp(fixture, right.token, { action: "CHECK" })).body.zone_id).toBe(fixture.visitorsZoneId);
    const first = await waitForMessage(buyer, "ZONE_CHANGED");
    // One message per holder, not per right.
    const count = await env.DB.prepare("SELECT count(*) AS n FROM message_deliveries WHERE recipient = ? AND channel = 'IN_APP' AND notification_type = 'ZONE_CHANGED'").bind(buyer).first<{ n: number }>();
    expect(count!.n).toBe(1);

    const vip = newId();
    await env.DB.prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, 'vip', 'Loge VIP', 'VIP', 50)").bind(vip, fixture.venueId).run();
    const changed = await api("PATCH", `${overridesPath(fixture)}/${created.body.id}`, { token: fixture.organizer.token, body: { override_zone_id: vip } });
    expect(changed.body).toMatchObject({ override_zone_id: vip, notification_sent: true, approved_by: fixture.organizer.id });
    const second = await waitForMessage(buyer, "ZONE_CHANGED", first.id);
    expect(second.body).toContain("Loge VIP");
  });

  it("moves a user group's members and tells them, but not the holders outside it", async () => {
    const fixture = await liveEvent();
    const groupId = newId();
    const member = await registerUser();
    const outsider = await registerUser();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO user_groups (id, code, name) VALUES (?, ?, 'Supporters visiteurs')").bind(groupId, `away-${groupId.slice(0, 8)}`),
      env.DB.prepare("INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?)").bind(groupId, member.id),
    ]);
    const buy = async (userId: string, groups: { id: string; code: string; member_since: string }[]) => {
      const hold = await fixture.stub.placeOrder(orderRequest(fixture, userId, 1));
      if (!hold.ok) throw new Error(hold.problem.code);
      // What confirmation tells the gate about its holder (rememberHolders, from D1).
      await fixture.stub.rememberPeople([{ user_id: userId, birth_date: null, group_ids: groups.map((g) => g.id) }]);
      const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
      if (!confirmed.ok) throw new Error(confirmed.problem.code);
      return (await signAccessToken(env, { id: confirmed.rights[0]!.id, event_id: fixture.eventId })).token;
    };
    const memberToken = await buy(member.id, [{ id: groupId, code: "away", member_since: new Date().toISOString() }]);
    const outsiderToken = await buy(outsider.id, []);
    await fixture.stub.flushProjection();

    const res = await api("POST", overridesPath(fixture), {
      token: fixture.organizer.token,
      body: { user_group_id: groupId, original_zone_id: fixture.zoneId, override_zone_id: fixture.visitorsZoneId, reason: "Mesure sécurité derby" },
    });
    expect(res.status).toBe(201);
    expect((await scanHttp(fixture, memberToken, { gate: fixture.gateV })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.visitorsZoneId });
    expect((await scanHttp(fixture, outsiderToken)).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId });
    await waitForMessage(member.id, "ZONE_CHANGED");
    const told = await env.DB.prepare("SELECT count(*) AS n FROM message_deliveries WHERE recipient = ? AND channel = 'IN_APP' AND notification_type = 'ZONE_CHANGED'").bind(outsider.id).first<{ n: number }>();
    expect(told!.n).toBe(0);
  });

  it("takes capacity_impact off the original zone's capacity at the gate", async () => {
    const fixture = await liveEvent();
    await env.DB.prepare("UPDATE venue_zones SET capacity = 2 WHERE id = ?").bind(fixture.zoneId).run();
    await (await import("../../src/catalog/sync.ts")).syncEventInventory(env, fixture.eventId);
    const moved = await projectedRights(fixture);
    const a = await rightsWithTokens(fixture);
    const b = await rightsWithTokens(fixture);
    const res = await api("POST", overridesPath(fixture), { token: fixture.organizer.token, body: moveRight(fixture, moved.rights[0]!.id, { capacity_impact: -1, requires_notification: false }) });
    expect(res.body.capacity_impact).toBe(-1);
    expect((await scanHttp(fixture, a.rights[0]!.token)).body.status).toBe("SUCCESS");
    expect((await scanHttp(fixture, b.rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "CAPACITY_FULL" });
  });

  it("refuses an override without exactly one target, with foreign zones, a reversed window or no reason", async () => {
    const fixture = await liveEvent();
    const other = await liveEvent();
    const { rights } = await projectedRights(fixture, 2);
    const elsewhere = await projectedRights(other);
    const post = (body: Record<string, unknown>) => api("POST", overridesPath(fixture), { token: fixture.organizer.token, body });
    const { access_right_id: _, ...noTarget } = moveRight(fixture, rights[0]!.id);

    const paths = async (body: Record<string, unknown>) => expectProblem(await post(body), 422).errors.map((e: { path: string; code: string }) => `${e.path}:${e.code}`);
    expect(await paths(noTarget)).toEqual(["access_right_id:custom"]);
    expect(await paths({ ...moveRight(fixture, rights[0]!.id), ticket_id: rights[0]!.order_id })).toEqual(["access_right_id:custom"]);
    expect(await paths(moveRight(fixture, rights[0]!.id, { override_zone_id: other.visitorsZoneId }))).toEqual(["override_zone_id:zone_not_in_venue"]);
    expect(await paths(moveRight(fixture, rights[0]!.id, { override_zone_id: fixture.zoneId }))).toEqual(["override_zone_id:same_zone"]);
    expect(await paths(moveRight(fixture, rights[0]!.id, { valid_from: "2030-01-02T00:00:00Z", valid_until: "2030-01-01T00:00:00Z" }))).toEqual(["valid_until:invalid_window"]);
    expect(await paths(moveRight(fixture, rights[0]!.id, { reason: "   " }))).toEqual(["reason:too_small"]);
    expect(await paths(moveRight(fixture, rights[0]!.id, { approved_by: fixture.supervisor.id }))).toEqual(["approved_by:unrecognized_keys"]);
    expect(await paths(moveRight(fixture, elsewhere.rights[0]!.id))).toEqual(["access_right_id:invalid_reference"]);
    expect(await paths(moveRight(fixture, rights[0]!.id, { original_zone_id: fixture.visitorsZoneId, override_zone_id: fixture.zoneId }))).toEqual(["original_zone_id:zone_mismatch"]);
    expect(await paths({ ...noTarget, user_group_id: newId() })).toEqual(["user_group_id:invalid_reference"]);
    // A season pass: the organization's may be moved; another club's is as unknown as none.
    const passOf = async (organizer: Account) => {
      const planId = await plan({ organizer, groupId: "" } as unknown as Club, { group: false });
      const passId = newId();
      await env.DB.prepare("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until) VALUES (?, ?, ?, ?, 450000, 'TND', '2026-01-01', '2030-12-31')")
        .bind(passId, `SUB-${passId.slice(0, 8)}`, organizer.id, planId)
        .run();
      return passId;
    };
    expect(await paths({ ...noTarget, subscription_id: await passOf(other.organizer) })).toEqual(["subscription_id:invalid_reference"]);
    expect(await paths({ ...noTarget, subscription_id: newId() })).toEqual(["subscription_id:invalid_reference"]);
    const ownPass = await post({ ...noTarget, subscription_id: await passOf(fixture.organizer), requires_notification: false });
    expect(ownPass.status).toBe(201);
    await api("DELETE", `${overridesPath(fixture)}/${ownPass.body.id}`, { token: fixture.organizer.token });
    expect(await paths(moveRight(fixture, rights[0]!.id, { capacity_impact: 1.5 }))).toEqual(["capacity_impact:invalid_type"]);

    const created = await post(moveRight(fixture, rights[1]!.id, { requires_notification: false }));
    const patch = (body: Record<string, unknown>) => api("PATCH", `${overridesPath(fixture)}/${created.body.id}`, { token: fixture.organizer.token, body });
    expectProblem(await patch({ access_right_id: rights[0]!.id }), 422, "validation_failed");
    expectProblem(await patch({}), 422, "validation_failed");
    expectProblem(await patch({ valid_from: "2030-01-02T00:00:00Z", valid_until: "2030-01-01T00:00:00Z" }), 422, "validation_failed");
    expectProblem(await patch({ override_zone_id: other.zoneId }), 422, "validation_failed");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM zone_mapping_overrides WHERE event_id = ?").bind(fixture.eventId).first<{ n: number }>();
    expect(count!.n).toBe(1);
  });

  it("is for the organizer, supervisors and admins: controllers get 403, others 404", async () => {
    const fixture = await liveEvent();
    const other = await liveEvent();
    const { rights } = await projectedRights(fixture, 3);
    const admin = await registerAdmin();
    const fan = await registerUser();
    const body = (i: number) => moveRight(fixture, rights[i]!.id, { requires_notification: false });

    expectProblem(await api("POST", overridesPath(fixture), { token: other.organizer.token, body: body(0) }), 404, "not_found");
    expectProblem(await api("POST", overridesPath(fixture), { token: fan.token, body: body(0) }), 404, "not_found");
    expectProblem(await api("POST", overridesPath(fixture), { token: fixture.controller.token, body: body(0) }), 403, "forbidden");
    expectProblem(await api("POST", overridesPath(fixture), { body: body(0) }), 401);
    const bySupervisor = await api("POST", overridesPath(fixture), { token: fixture.supervisor.token, body: body(0) });
    expect(bySupervisor.status).toBe(201);
    expect(bySupervisor.body.approved_by).toBe(fixture.supervisor.id);
    expect((await api("POST", overridesPath(fixture), { token: admin.token, body: body(1) })).status).toBe(201);
    expect((await api("POST", overridesPath(fixture), { token: fixture.organizer.token, body: body(2) })).status).toBe(201);

    const one = `${overridesPath(fixture)}/${bySupervisor.body.id}`;
    expectProblem(await api("GET", one, { token: other.organizer.token }), 404);
    expectProblem(await api("PATCH", one, { token: other.organizer.token, body: { reason: "pirate" } }), 404);
    expectProblem(await api("DELETE", one, { token: fixture.controller.token }), 403);
    expectProblem(await api("GET", overridesPath(fixture), { token: fan.token }), 404);
    // Another event's override is not reachable through this event.
    expectProblem(await api("GET", `${overridesPath(other)}/${bySupervisor.body.id}`, { token: other.organizer.token }), 404);

    const page1 = await api("GET", `${overridesPath(fixture)}?limit=2`, { token: fixture.organizer.token });
    expect(page1.body.data).toHaveLength(2);
    const page2 = await api("GET", `${overridesPath(fixture)}?limit=2&cursor=${page1.body.next_cursor}`, { token: fixture.organizer.token });
    expect(page2.body.next_cursor).toBeNull();
    expect([...page1.body.data, ...page2.body.data].map((o: { id: string }) => o.id).sort()).toHaveLength(3);
    expectProblem(await api("GET", `${overridesPath(fixture)}?cursor=garbage`, { token: fixture.organizer.token }), 422);
  });
});

describe("blacklist", () => {
  it("refuses a banned fan at the gate at once, keeps their right, and admits them once the entry is deleted", async () => {
    const fixture = await liveEvent();
    const admin = await registerAdmin();
    const { buyer, rights } = await rightsWithTokens(fixture);
    const created = await ban(admin.token, { blacklist_type: "USER", identifier: buyer, scope: "GLOBAL" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ identifier: buyer, approved_by: admin.id, reported_by: admin.id, appeal_status: "NONE", is_active: true });
    expect(created.body.gate_sync.events).toBeGreaterThanOrEqual(1);
    expect(created.body.gate_sync.failed).toEqual([]);
    expect((await scanHttp(fixture, rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
    // The right itself is untouched: only the gate refuses it.
    expect((await fixture.stub.listRights({ user_id: buyer }))[0]!.status).toBe("ENABLED");

    const deleted = await api("DELETE", `/v1/blacklist/${created.body.id}`, { token: admin.token });
    expect(deleted.status).toBe(200);
    expect(deleted.body.gate_sync.events).toBeGreaterThanOrEqual(1);
    expect((await scanHttp(fixture, rights[0]!.token)).body).toMatchObject({ status: "SUCCESS" });
    expect((await auditActions(created.body.id)).map((a) => a.action)).toEqual(["CREATE", "DELETE"]);
  });

  it("matches an EMAIL entry on the holder's account, whatever its case", async () => {
    const fixture = await liveEvent();
    const { buyer, rights } = await rightsWithTokens(fixture);
    const created = await ban(fixture.organizer.token, { blacklist_type: "EMAIL", identifier: `  ${buyer.toUpperCase()}@BUYERS.TEST `, scope: "EVENT", scope_id: fixture.eventId });
    expect(created.status).toBe(201);
    expect(created.body.identifier).toBe(`${buyer}@buyers.test`);
    expect((await scanHttp(fixture, rights[0]!.token)).body.denial_reason).toBe("BLACKLISTED");
  });

  it("matches a QR_CODE entry on the printed code, however it was typed, and lifts it with is_active false", async () => {
    const fixture = await liveEvent();
    const { rights } = await rightsWithTokens(fixture);
    const typed = rights[0]!.qr_code.toLowerCase().replace(/-/g, "");
    const created = await ban(fixture.organizer.token, { blacklist_type: "QR_CODE", identifier: typed, scope: "VENUE", scope_id: fixture.venueId, severity: "CRITICAL", is_permanent: true });
    expect(created.body.identifier).toBe(rights[0]!.qr_code);
    expect((await scanHttp(fixture, rights[0]!.token)).body.denial_reason).toBe("BLACKLISTED");
    const lifted = await api("PATCH", `/v1/blacklist/${created.body.id}`, { token: fixture.organizer.token, body: { is_active: false } });
    expect(lifted.body).toMatchObject({ is_active: false, gate_sync: { events: 1 } });
    expect((await scanHttp(fixture, rights[0]!.token)).body.status).toBe("SUCCESS");
    expect((await auditActions(created.body.id)).map((a) => a.action)).toEqual(["CREATE", "UPDATE"]);
  });

  it("reaches every live event of a CLUB entry's organizer, and no ended one", async () => {
    const organizer = await registerOrganizer();
    const first = await liveEvent(organizer);
    const second = await liveEvent(organizer);
    const ended = await liveEvent(organizer);
    await env.DB.prepare("UPDATE events SET starts_at = ?, ends_at = ? WHERE id = ?").bind(new Date(Date.now() - 5 * HOUR).toISOString(), new Date(Date.now() - HOUR).toISOString(), ended.eventId).run();
    const fan = await registerUser();
    const a = await fanWithRight(first);
    const b = await fanWithRight(second);
    const created = await ban(organizer.token, { blacklist_type: "DEVICE", identifier: "CLONED-SCANNER", scope: "CLUB", scope_id: organizer.organizationId });
    expect(created.body.gate_sync).toEqual({ events: 2, failed: [] });
    expect((await scanHttp(first, a.right.token, { device: "CLONED-SCANNER" })).body.denial_reason).toBe("BLACKLISTED");
    expect((await scanHttp(second, b.right.token, { device: "CLONED-SCANNER" })).body.denial_reason).toBe("BLACKLISTED");
    expect((await scanHttp(second, b.right.token)).body.status).toBe("SUCCESS");
    expectProblem(await ban(fan.token, { blacklist_type: "DEVICE", identifier: "X", scope: "CLUB", scope_id: organizer.organizationId }), 403, "no_organization");
  });

  it("keeps organizers within their own events, venues and club", async () => {
    const fixture = await liveEvent();
    const other = await liveEvent();
    const admin = await registerAdmin();
    const controller = fixture.controller;
    await setRole(controller.id, "CONTROLLER");
    const target = { blacklist_type: "DEVICE", identifier: "SCANNER-Z9" };

    expect((await ban(fixture.organizer.token, { ...target, scope: "EVENT", scope_id: fixture.eventId })).status).toBe(201);
    expectProblem(await ban(fixture.organizer.token, { ...target, scope: "EVENT", scope_id: other.eventId }), 422, "validation_failed");
    expectProblem(await ban(fixture.organizer.token, { ...target, scope: "VENUE", scope_id: other.venueId }), 422, "validation_failed");
    expectProblem(await ban(fixture.organizer.token, { ...target, scope: "CLUB", scope_id: other.organizer.organizationId }), 422, "validation_failed");
    // The organizer's account is no scope any more: the organization is.
    expectProblem(await ban(fixture.organizer.token, { ...target, scope: "CLUB", scope_id: fixture.organizer.id }), 422, "validation_failed");
    expectProblem(await ban(fixture.organizer.token, { ...target, scope: "GLOBAL" }), 403, "global_scope_admin_only");
    expectProblem(await ban(controller.token, { ...target, scope: "EVENT", scope_id: fixture.eventId }), 403);
    expectProblem(await ban((await registerUser()).token, { ...target, scope: "EVENT", scope_id: fixture.eventId }), 403);
    expectProblem(await api("GET", "/v1/blacklist", {}), 401);

    const theirs = await ban(other.organizer.token, { ...target, scope: "VENUE", scope_id: other.venueId });
    const global = await ban(admin.token, { ...target, scope: "GLOBAL" });
    for (const id of [theirs.body.id, global.body.id]) {
      expectProblem(await api("GET", `/v1/blacklist/${id}`, { token: fixture.organizer.token }), 404);
      expectProblem(await api("PATCH", `/v1/blacklist/${id}`, { token: fixture.organizer.token, body: { severity: "LOW" } }), 404);
      expectProblem(await api("DELETE", `/v1/blacklist/${id}`, { token: fixture.organizer.token }), 404);
    }
    const mine = await api("GET", "/v1/blacklist?blacklist_type=DEVICE&identifier=SCANNER-Z9", { token: fixture.organizer.token });
    expect(mine.body.data.map((e: { scope_id: string }) => e.scope_id)).toEqual([fixture.eventId]);
    const all = await api("GET", "/v1/blacklist?identifier=SCANNER-Z9&limit=2", { token: admin.token });
    expect(all.body.data).toHaveLength(2);
    const rest = await api("GET", `/v1/blacklist?identifier=SCANNER-Z9&limit=2&cursor=${all.body.next_cursor}`, { token: admin.token });
    expect(rest.body).toMatchObject({ next_cursor: null });
    expect(rest.body.data).toHaveLength(1);
    expect((await api("GET", `/v1/blacklist/${theirs.body.id}`, { token: admin.token })).status).toBe(200);
  });

  it("validates identifiers, scopes and dates, and refuses a duplicate", async () => {
    const fixture = await liveEvent();
    const admin = await registerAdmin();
    const fan = await registerUser();
    const event = { scope: "EVENT", scope_id: fixture.eventId };
    const error = async (body: Record<string, unknown>) => {
      const problem = expectProblem(await ban(admin.token, body), 422);
      return `${problem.errors[0].path}:${problem.errors[0].code}`;
    };
    expect(await error({ blacklist_type: "USER", identifier: newId(), ...event })).toBe("identifier:user_not_found");
    expect(await error({ blacklist_type: "USER", identifier: "robert'); DROP TABLE users;--", ...event })).toBe("identifier:invalid_identifier");
    expect(await error({ blacklist_type: "EMAIL", identifier: "not-an-email", ...event })).toBe("identifier:invalid_identifier");
    expect(await error({ blacklist_type: "PHONE", identifier: "12345", ...event })).toBe("identifier:invalid_identifier");
    expect(await error({ blacklist_type: "IP", identifier: "999.1.1.1", ...event })).toBe("identifier:invalid_identifier");
    expect(await error({ blacklist_type: "CREDIT_CARD", identifier: "4111 1111 1111 1111", ...event })).toBe("identifier:invalid_identifier");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", scope: "EVENT" })).toBe("scope_id:required");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", scope: "GLOBAL", scope_id: fixture.eventId })).toBe("scope_id:unexpected_scope_id");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, scope_id: newId() })).toBe("scope_id:invalid_reference");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, is_permanent: true, end_date: "2030-01-01T00:00:00Z" })).toBe("end_date:permanent_has_end");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, start_date: "2030-01-02T00:00:00Z", end_date: "2030-01-01T00:00:00Z" })).toBe("end_date:invalid_window");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, severity: "APOCALYPTIC" })).toBe("severity:invalid_value");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, appeal_status: "ACCEPTED" })).toBe("appeal_status:unrecognized_keys");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, reported_by: newId() })).toBe("reported_by:invalid_reference");
    expect(await error({ blacklist_type: "DEVICE", identifier: "D1", ...event, evidence: { witness_statements: -1 } })).toBe("evidence.witness_statements:too_small");

    const phone = await ban(admin.token, { blacklist_type: "PHONE", identifier: "+229 01 97 12 34 56", ...event, reported_by: fan.id, evidence: { police_report: "PV-2025-1234", photos: [] } });
    expect(phone.body).toMatchObject({ identifier: "+2290197123456", reported_by: fan.id, evidence: { police_report: "PV-2025-1234" } });
    const ip = await ban(admin.token, { blacklist_type: "IP", identifier: "2001:DB8::1", ...event });
    expect(ip.body.identifier).toBe("2001:db8::1");
    expectProblem(await ban(admin.token, { blacklist_type: "PHONE", identifier: "+2290197123456", ...event }), 409, "already_blacklisted");

    const entry = `/v1/blacklist/${phone.body.id}`;
    expectProblem(await api("PATCH", entry, { token: admin.token, body: { identifier: "+2290197000000" } }), 422);
    expectProblem(await api("PATCH", entry, { token: admin.token, body: { end_date: "2000-01-01T00:00:00Z" } }), 422);
    const permanent = await api("PATCH", entry, { token: admin.token, body: { end_date: "2099-01-01T00:00:00Z" } });
    expect(permanent.body.end_date).toBe("2099-01-01T00:00:00.000Z");
    expect((await api("PATCH", entry, { token: admin.token, body: { is_permanent: true } })).body).toMatchObject({ is_permanent: true, end_date: null });
  });

  it("lets the banned fan appeal once, and an ACCEPTED appeal lifts the ban at the gate", async () => {
    const fixture = await liveEvent();
    const admin = await registerAdmin();
    const { fan, right } = await fanWithRight(fixture);
    const created = await ban(fixture.organizer.token, { blacklist_type: "USER", identifier: fan.id, scope: "EVENT", scope_id: fixture.eventId });
    expect((await scanHttp(fixture, right.token)).body.denial_reason).toBe("BLACKLISTED");

    const own = await api("GET", "/v1/me/blacklist", { token: fan.token });
    expect(own.body.data).toEqual([expect.objectContaining({ id: created.body.id, appeal_status: "NONE", reason: "Violence au stade" })]);
    expect(own.body.data[0]).not.toHaveProperty("evidence");
    const stranger = await registerUser();
    expect((await api("GET", "/v1/me/blacklist", { token: stranger.token })).body.data).toEqual([]);

    const appealPath = `/v1/blacklist/${created.body.id}/appeal`;
    expectProblem(await api("POST", appealPath, { token: stranger.token, body: { message: "Ce n'était pas moi." } }), 404);
    expectProblem(await api("POST", `${appealPath}/decide`, { token: admin.token, body: { decision: "ACCEPTED" } }), 409, "no_pending_appeal");
    const appealed = await api("POST", appealPath, { token: fan.token, body: { message: "Ce n'était pas moi." } });
    expect(appealed.body.appeal_status).toBe("PENDING");
    expectProblem(await api("POST", appealPath, { token: fan.token, body: { message: "Encore moi." } }), 409, "appeal_not_open");
    // Still banned while the appeal is pending.
    expect((await scanHttp(fixture, right.token)).body.denial_reason).toBe("BLACKLISTED");

    expectProblem(await api("POST", `${appealPath}/decide`, { token: fixture.organizer.token, body: { decision: "ACCEPTED" } }), 403);
    expectProblem(await api("POST", `${appealPath}/decide`, { token: admin.token, body: { decision: "MAYBE" } }), 422);
    const decided = await api("POST", `${appealPath}/decide`, { token: admin.token, body: { decision: "ACCEPTED", comment: "Erreur d'identification." } });
    expect(decided.body).toMatchObject({ appeal_status: "ACCEPTED", is_active: false, gate_sync: { events: 1 }, metadata: { appeal: { message: "Ce n'était pas moi.", decided_by: admin.id } } });
    expect((await scanHttp(fixture, right.token)).body.status).toBe("SUCCESS");
    expect((await auditActions(created.body.id)).map((a) => a.action)).toEqual(["CREATE", "UPDATE", "APPROVE"]);
    expectProblem(await api("POST", `${appealPath}/decide`, { token: admin.token, body: { decision: "REJECTED" } }), 409);
  });

  it("keeps the ban when the appeal is rejected", async () => {
    const fixture = await liveEvent();
    const admin = await registerAdmin();
    const { fan, right } = await fanWithRight(fixture);
    const created = await ban(admin.token, { blacklist_type: "USER", identifier: fan.id, scope: "CLUB", scope_id: fixture.organizer.organizationId });
    await api("POST", `/v1/blacklist/${created.body.id}/appeal`, { token: fan.token, body: { message: "Pardon." } });
    const decided = await api("POST", `/v1/blacklist/${created.body.id}/appeal/decide`, { token: admin.token, body: { decision: "REJECTED" } });
    expect(decided.body).toMatchObject({ appeal_status: "REJECTED", is_active: true });
    expect((await scanHttp(fixture, right.token)).body.denial_reason).toBe("BLACKLISTED");
    expectProblem(await api("POST", `/v1/blacklist/${created.body.id}/appeal`, { token: fan.token, body: { message: "Encore." } }), 409, "appeal_not_open");
  });
});

describe("connected gates", () => {
  it("get a policy message when a ban changes, and a blacklisted device's socket is closed with 4003", async () => {
    const fixture = await liveEvent();
    const { buyer } = await rightsWithTokens(fixture);
    const lane1 = await openGate(fixture, "LANE-1");
    const lane2 = await openGate(fixture, "LANE-2");

    expect(lane1.messages.some((m) => m.type === "policy")).toBe(false);
    await ban(fixture.organizer.token, { blacklist_type: "USER", identifier: buyer, scope: "EVENT", scope_id: fixture.eventId });
    // Counts include GLOBAL entries left by other tests of this file.
    expect(await lane1.waitFor("policy")).toMatchObject({ type: "policy", blacklist: expect.any(Number) });
    expect(await lane2.waitFor("policy")).toMatchObject({ type: "policy", blacklist: expect.any(Number) });

    const device = await ban(fixture.organizer.token, { blacklist_type: "DEVICE", identifier: "LANE-1", scope: "EVENT", scope_id: fixture.eventId });
    expect(await lane1.closed).toBe(4003);
    // A round trip on the other lane after the ban: had the ban closed it too, its close would come before the pong.
    lane2.ws.send(JSON.stringify({ type: "ping" }));
    expect(await Promise.race([lane2.closed, lane2.waitFor("pong")])).toMatchObject({ type: "pong" });
    // Reconnecting from the banned device is refused.
    await expect(openGate(fixture, "LANE-1")).rejects.toThrow("gate refused: 403");
    await api("DELETE", `/v1/blacklist/${device.body.id}`, { token: fixture.organizer.token });
    const back = await openGate(fixture, "LANE-1");
    back.ws.close(1000);
    lane2.ws.close(1000);
  });

  it("get a policy message when an override changes", async () => {
    const fixture = await liveEvent();
    const { rights } = await projectedRights(fixture);
    const gate = await openGate(fixture, "LANE-9");
    await api("POST", overridesPath(fixture), { token: fixture.organizer.token, body: moveRight(fixture, rights[0]!.id, { requires_notification: false }) });
    expect(await gate.waitFor("policy")).toMatchObject({ type: "policy", overrides: 1 });
    gate.ws.close(1000);
  });
});

describe("the gate log", () => {
  const logOf = (fixture: Live, token: string | undefined, query = "") => api("GET", `/v1/events/${fixture.eventId}/scans${query}`, { token });

  it("shows the organizer and supervisors every attempt, newest first, filtered and paged", async () => {
    const fixture = await liveEvent();
    const { rights } = await rightsWithTokens(fixture, 2);
    const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();
    const scan = async (id: string, scannedAt: string, device: string, offline?: "SUCCESS") => {
      const decided = await fixture.stub.scan(
        [{ id, qr: rights[0]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: scannedAt, ...(offline ? { offline_status: offline } : {}) }],
        { controller_id: fixture.controller.id, session_id: "session-1", device_id: device, access_point_id: fixture.gateA, ip: null },
      );
      if (!decided.ok) throw new Error(decided.problem.code);
      return decided.results[0]!;
    };
    await fixture.stub.gateBundle(null, "session-1"); // the device that goes offline took its bundle
    expect(await scan("log-1", at(3), "LANE-1")).toMatchObject({ status: "SUCCESS" });
    expect(await scan("log-2", at(2), "LANE-2")).toMatchObject({ denial_reason: "ALREADY_USED" });
    // A device that was offline let the same holder in: the server disagrees, and says so.
    expect(await scan("log-3", at(1), "OFFLINE-1", "SUCCESS")).toMatchObject({ status: "WARNING", conflict: true });
    await fixture.stub.flushProjection();

    const all = await logOf(fixture, fixture.organizer.token);
    expect(all.status).toBe(200);
    expect(all.body.data.map((e: { nonce: string }) => e.nonce)).toEqual(["log-3", "log-2", "log-1"]);
    expect(all.body.data[2]).toMatchObject({
      status: "SUCCESS", denial_reason: null, access_right_id: rights[0]!.id, access_point_id: fixture.gateA, controller_id: fixture.controller.id,
      device_id: "LANE-1", is_conflict: false, was_offline: false, qr_code_scanned: `${rights[0]!.token.slice(0, 8)}…`,
    });
    expect(all.headers.get("Cache-Control")).toBe("private, no-store");

    const conflicts = await logOf(fixture, fixture.supervisor.token, "?conflict=true");
    expect(conflicts.body.data).toEqual([expect.objectContaining({ nonce: "log-3", status: "WARNING", is_conflict: true, was_offline: true, device_id: "OFFLINE-1" })]);
    expect((await logOf(fixture, fixture.organizer.token, "?conflict=false")).body.data.map((e: { nonce: string }) => e.nonce)).toEqual(["log-2", "log-1"]);
    expect((await logOf(fixture, fixture.organizer.token, "?status=DENIED")).body.data.map((e: { nonce: string }) => e.nonce)).toEqual(["log-2"]);
    expect((await logOf(fixture, fixture.organizer.token, `?access_right_id=${rights[1]!.id}`)).body.data).toEqual([]);
    expect((await logOf(fixture, fixture.organizer.token, `?access_point_id=${fixture.exitGate}`)).body.data).toEqual([]);

    const first = await logOf(fixture, fixture.organizer.token, "?limit=2");
    expect(first.body.data.map((e: { nonce: string }) => e.nonce)).toEqual(["log-3", "log-2"]);
    const second = await logOf(fixture, fixture.organizer.token, `?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ data: [expect.objectContaining({ nonce: "log-1" })], next_cursor: null });
  });

  it("is closed to controllers, other people and bad queries", async () => {
    const fixture = await liveEvent();
    expectProblem(await logOf(fixture, fixture.controller.token), 403, "forbidden");
    expectProblem(await logOf(fixture, (await registerOrganizer()).token), 404);
    expectProblem(await logOf(fixture, undefined), 401);
    const problem = expectProblem(await logOf(fixture, fixture.organizer.token, "?status=NOPE&limit=0&access_right_id=x&conflict=maybe"), 422, "validation_failed");
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["query.access_right_id", "query.conflict", "query.limit", "query.status"]);
    expectProblem(await logOf(fixture, fixture.organizer.token, "?cursor=not-a-cursor"), 422, "validation_failed");
  });
});
