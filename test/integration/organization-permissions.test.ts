import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/access/signing-keys.ts";
import { api, expectProblem, registerMember, registerOrganizer, registerUser, type ApiResponse } from "../support/api.ts";
import { gatedEvent, scanHttp } from "../support/gate.ts";
import { giveFixture, orderRequest } from "../support/ticketing.ts";

/**
 * Every route family answers a team's roles as the matrix of
 * src/organizations/permissions.ts says: another organization's objects are
 * 404 (never confirmed), a member whose role lacks the permission gets 403
 * naming it, a role that has it passes. (Events, venues, staff, grants,
 * orders, passes, payments, refunds, commissions, plans, organizations and
 * user groups have the same checks in their own tests.)
 */

const unique = () => crypto.randomUUID().slice(0, 8).toUpperCase();
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

function created(res: ApiResponse) {
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

/** An organization with an event on sale (gates, zones, a ticket type), members in several roles, and another organizer. */
async function team() {
  const owner = await registerOrganizer();
  const fixture = await gatedEvent({ startsInMs: 3_600_000 });
  await giveFixture(fixture, owner.organizationId, owner.id);
  const [manager, boxOffice, finance, supervisor, controller] = await Promise.all(
    (["MANAGER", "BOX_OFFICE", "FINANCE", "SUPERVISOR", "CONTROLLER"] as const).map((role) => registerMember(owner.organizationId, role)),
  );
  return { owner, fixture, manager: manager!, boxOffice: boxOffice!, finance: finance!, supervisor: supervisor!, controller: controller!, outsider: await registerOrganizer() };
}

describe("the catalog, by role", () => {
  it("is changed by OWNER and MANAGER; other members get 403, another organization 404", async () => {
    const t = await team();
    const objects = {
      "/v1/event-groups": created(await api("POST", "/v1/event-groups", { token: t.owner.token, body: { code: `L1-${unique()}`, name: "Ligue 1" } })),
      "/v1/ticket-types": created(await api("POST", "/v1/ticket-types", { token: t.owner.token, body: { code: `T_${unique()}`, name: "Tribune", base_price: 5000, currency: "XOF", default_zone_category: "STANDARD" } })),
      "/v1/pricing-rules": created(
        await api("POST", "/v1/pricing-rules", { token: t.owner.token, body: { code: `R_${unique()}`, name: "Groupe", rule_type: "GROUP", applies_to: "TICKETS", discount_type: "PERCENTAGE", discount_value: 1000, conditions: { min_quantity: 10 } } }),
      ),
      "/v1/subscription-plans": created(
        await api("POST", "/v1/subscription-plans", { token: t.owner.token, body: { code: `P_${unique()}`, name: "Abonnement", type: "FULL_SEASON", price: 100_000, currency: "XOF", sales_start: inDays(-1), sales_end: inDays(60) } }),
      ),
      "/v1/ticket-templates": created(
        await api("POST", "/v1/ticket-templates", { token: t.owner.token, body: { code: `TPL_${unique()}`, name: "Billet", type: "TICKET", format: "PDF", elements: { qr_code: {} }, layout: {}, version: "1.0.0" } }),
      ),
    };
    for (const [path, object] of Object.entries(objects)) {
      const url = `${path}/${object.id}`;
      expectProblem(await api("PATCH", url, { token: t.outsider.token, body: { name: "Pris" } }), 404);
      expectProblem(await api("DELETE", url, { token: t.outsider.token }), 404);
      for (const member of [t.boxOffice, t.finance, t.supervisor, t.controller]) {
        expect(expectProblem(await api("PATCH", url, { token: member.token, body: { name: "Pris" } }), 403).detail, url).toContain("catalog.manage");
      }
      expect((await api("PATCH", url, { token: t.manager.token, body: { name: "Renommé" } })).status, url).toBe(200);
      // Creating in the organization: the same rule, before the body is read.
      expectProblem(await api("POST", path, { token: t.controller.token, body: { nope: true } }), 403);
    }
  });
});

describe("orders, by role", () => {
  it("are read with sales.read (not by gate roles), cancelled for the organization with event.manage", async () => {
    const t = await team();
    const fan = await registerUserWithOrder(t.fixture);
    const url = `/v1/events/${t.fixture.eventId}/orders/${fan.orderId}`;
    for (const member of [t.owner, t.manager, t.boxOffice, t.finance]) expect((await api("GET", url, { token: member.token })).status).toBe(200);
    for (const member of [t.supervisor, t.controller, t.fixture.controller]) expect(expectProblem(await api("GET", url, { token: member.token }), 403).detail).toContain("sales.read");
    expectProblem(await api("GET", url, { token: t.outsider.token }), 404);
    expectProblem(await api("POST", `${url}/cancel`, { token: t.boxOffice.token, body: { reason: "Erreur de caisse" } }), 403);
    expect((await api("POST", `${url}/cancel`, { token: t.manager.token, body: { reason: "Erreur de caisse" } })).body.booking_status).toBe("CANCELLED");
  });
});

async function registerUserWithOrder(fixture: Awaited<ReturnType<typeof gatedEvent>>) {
  const fan = await registerUser();
  const hold = await api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, quantity: 1 } });
  expect(hold.status, JSON.stringify(hold.body)).toBe(201);
  return { ...fan, orderId: hold.body.id as string };
}

describe("the gate, by role", () => {
  it("lets team CONTROLLERs and SUPERVISORs scan at every event of the organization without an assignment; only supervising roles read the log and move zones", async () => {
    const t = await team();
    const hold = await t.fixture.stub.placeOrder(orderRequest(t.fixture, t.owner.id, 2));
    if (!hold.ok) throw new Error(hold.problem.code);
    const confirmed = await t.fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    if (!confirmed.ok) throw new Error(confirmed.problem.code);
    await t.fixture.stub.flushProjection();
    const [first, second] = await Promise.all(confirmed.rights.map((right) => signAccessToken(env, { id: right.id, event_id: t.fixture.eventId })));

    expect((await scanHttp(t.fixture, first!.token, { token: t.controller.token, gate: t.fixture.gateA })).body.status).toBe("SUCCESS");
    expect((await scanHttp(t.fixture, second!.token, { token: t.supervisor.token, gate: t.fixture.gateA })).body.status).toBe("SUCCESS");
    for (const member of [t.boxOffice, t.finance]) expect(expectProblem(await scanHttp(t.fixture, first!.token, { token: member.token }), 403).detail).toContain("gate.scan");
    expectProblem(await scanHttp(t.fixture, first!.token, { token: t.outsider.token }), 404);

    await t.fixture.stub.flushProjection();
    const log = (token: string) => api("GET", `/v1/events/${t.fixture.eventId}/scans`, { token });
    expect((await log(t.supervisor.token)).body.data.length).toBeGreaterThanOrEqual(2);
    expectProblem(await log(t.controller.token), 403);
    expectProblem(await log(t.boxOffice.token), 403);
    expectProblem(await log(t.outsider.token), 404);

    const override = (token: string) =>
      api("POST", `/v1/events/${t.fixture.eventId}/zone-overrides`, {
        token,
        body: { access_right_id: confirmed.rights[1]!.id, original_zone_id: t.fixture.zoneId, override_zone_id: t.fixture.visitorsZoneId, reason: "Travaux", requires_notification: false },
      });
    expect(expectProblem(await override(t.boxOffice.token), 403).detail).toContain("gate.supervise");
    expectProblem(await override(t.controller.token), 403);
    expectProblem(await override(t.outsider.token), 404);
    expect((await override(t.supervisor.token)).status).toBe(201);
  });

  it("keeps bans to roles that block rights: SUPERVISOR and MANAGER ban in the organization, BOX_OFFICE gets 403, another organization 404", async () => {
    const t = await team();
    const ban = (token: string, scope: Record<string, unknown>) =>
      api("POST", "/v1/blacklist", { token, body: { blacklist_type: "DEVICE", identifier: `LANE-${unique()}`, reason: "Fraude", severity: "HIGH", ...scope } });
    const event = { scope: "EVENT", scope_id: t.fixture.eventId };
    expect(expectProblem(await ban(t.boxOffice.token, event), 403).detail).toContain("rights.block");
    const entry = created(await ban(t.supervisor.token, event));
    expect((await ban(t.manager.token, { scope: "CLUB", scope_id: t.owner.organizationId })).status).toBe(201);
    // The outsider names this organization's event: not among theirs.
    expectProblem(await ban(t.outsider.token, event), 422);
    expectProblem(await api("GET", `/v1/blacklist/${entry.id}`, { token: t.outsider.token }), 404);
    expectProblem(await api("GET", `/v1/blacklist/${entry.id}`, { token: t.boxOffice.token }), 404);
    expect((await api("GET", `/v1/blacklist/${entry.id}`, { token: t.manager.token })).status).toBe(200);
  });
});
