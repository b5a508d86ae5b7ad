import { describe, expect, it } from "vitest";
import { PERMISSION_ROLES, STAFF_PERMISSIONS, type EventPermission } from "../../src/organizations/permissions.ts";
import { api, expectProblem, registerMember, registerUser } from "../support/api.ts";
import { backofficeEvent, holderWithRights, type BackofficeFixture } from "../support/backoffice.ts";

/** Every back-office route of an event, with the permission it needs (and the second one an export needs). */
interface EventRoute {
  name: string;
  method: "GET" | "POST";
  path: (eventId: string, rightId: string) => string;
  body?: (f: Fixture) => unknown;
  needs: EventPermission[];
  ok: number;
}
const LISTS: [string, EventPermission][] = [
  ["orders", "sales.read"],
  ["attendees", "attendees.read"],
  ["pass-holders", "attendees.read"],
  ["payments", "money.read"],
  ["refunds", "money.read"],
  ["transfers", "attendees.read"],
];
const ROUTES: EventRoute[] = [
  ...LISTS.map(([list, permission]): EventRoute => ({ name: `GET ${list}`, method: "GET", path: (e) => `/v1/events/${e}/${list}`, needs: [permission], ok: 200 })),
  ...[...LISTS, ["access-log", "gate.supervise"] as [string, EventPermission]].map(
    ([list, permission]): EventRoute => ({ name: `export ${list}`, method: "GET", path: (e) => `/v1/events/${e}/exports/${list}.csv`, needs: ["exports.read", permission], ok: 200 }),
  ),
  ...["sales", "attendance", "passes"].map((report): EventRoute => ({ name: `report ${report}`, method: "GET", path: (e) => `/v1/events/${e}/reports/${report}`, needs: ["reports.read"], ok: 200 })),
  { name: "report revenue", method: "GET", path: (e) => `/v1/events/${e}/reports/revenue`, needs: ["reports.read", "money.read"], ok: 200 },
  { name: "door lookup", method: "GET", path: (e) => `/v1/events/${e}/door/holders?q=ndiaye`, needs: ["gate.scan"], ok: 200 },
  {
    name: "door admission",
    method: "POST",
    path: (e) => `/v1/events/${e}/door/admissions`,
    body: (f) => ({ access_right_id: f.rightId, access_point_id: f.gateA, reason: "Phone battery dead, ID checked" }),
    needs: ["door.admit"],
    ok: 200,
  },
  { name: "block", method: "POST", path: (e, r) => `/v1/events/${e}/access-rights/${r}/block`, body: () => ({ reason: "Fraud suspected" }), needs: ["rights.block"], ok: 200 },
  { name: "unblock", method: "POST", path: (e, r) => `/v1/events/${e}/access-rights/${r}/unblock`, body: () => ({ reason: "Cleared" }), needs: ["rights.block"], ok: 200 },
  { name: "resend", method: "POST", path: (e, r) => `/v1/events/${e}/access-rights/${r}/resend`, needs: ["tickets.resend"], ok: 202 },
  { name: "history", method: "GET", path: (e, r) => `/v1/events/${e}/access-rights/${r}/history`, needs: ["attendees.read"], ok: 200 },
];
const ADMIN_ROUTES = [
  ...["orders", "attendees", "pass-holders", "transfers"].map((list) => `/v1/admin/${list}`),
  ...["orders", "attendees", "pass-holders", "transfers", "payments", "refunds"].map((list) => `/v1/admin/exports/${list}.csv`),
  "/v1/admin/reports/volume?from=2026-01-01&to=2026-12-31",
  "/v1/admin/reports/commissions",
];

/** The team roles checked besides OWNER (the fixture's organizer). */
const TEAM_ROLES = ["MANAGER", "BOX_OFFICE", "FINANCE", "SUPERVISOR", "CONTROLLER"] as const;
type TeamRole = (typeof TEAM_ROLES)[number];

type Fixture = BackofficeFixture & { rightId: string; strangerRightId: string; members: Record<TeamRole, { id: string; token: string }>; strangerMember: { id: string; token: string } };
let shared: Promise<Fixture> | undefined;
/** One fixture for the whole matrix: a right in the event and one in the stranger's, a member of the event's organization in each team role, and a MANAGER of the stranger's. */
function fixture(): Promise<Fixture> {
  return (shared ??= (async () => {
    const f = await backofficeEvent();
    const held = await holderWithRights(f, "Aminata", "N'Diaye", 1, "+2290197000123");
    const other = await backofficeEvent();
    const theirs = await holderWithRights(other, "Karim", "Trabelsi");
    const members = Object.fromEntries(await Promise.all(TEAM_ROLES.map(async (role) => [role, await registerMember(f.organizationId, role)]))) as Fixture["members"];
    return { ...f, rightId: held.rights[0]!.id, strangerRightId: theirs.rights[0]!.id, members, strangerMember: await registerMember(f.stranger.organizationId, "MANAGER") };
  })());
}

function expectAllowedOrForbidden(res: Awaited<ReturnType<typeof api>>, route: EventRoute, allowed: boolean) {
  if (allowed) expect(res.status, JSON.stringify(res.body)).toBe(route.ok);
  else {
    const problem = expectProblem(res, 403, "forbidden");
    expect(route.needs.some((p) => problem.detail.includes(p))).toBe(true);
  }
}

const call = (f: Fixture, route: EventRoute, token: string | undefined, eventId = f.eventId, rightId = f.rightId) =>
  api(route.method, route.path(eventId, rightId), { token, body: route.body?.(f) });

describe("back office: who may call what", () => {
  for (const route of ROUTES) {
    describe(route.name, () => {
      it("needs a signed-in caller (401)", async () => {
        const f = await fixture();
        expectProblem(await call(f, route, undefined), 401, "unauthorized");
      });

      it("is a 404 for another organization's owner and members, for staff of another event, and for a signed-in stranger", async () => {
        const f = await fixture();
        expectProblem(await call(f, route, f.stranger.token), 404, "not_found");
        expectProblem(await call(f, route, f.strangerMember.token), 404, "not_found");
        const nobody = await registerUser();
        expectProblem(await call(f, route, nobody.token), 404, "not_found");
        // This event's staff and this organization's members on the stranger's event: no relation there.
        for (const token of [f.staffSupervisor.token, f.controller.token, f.supervisor.token, f.members.FINANCE.token, f.members.MANAGER.token]) {
          expectProblem(await call(f, route, token, f.strangerEventId, f.strangerRightId), 404, "not_found");
        }
      });

      if (route.path("e", "r").includes("/r/")) {
        it("is a 404 for a right of another event, even to this event's organizer", async () => {
          const f = await fixture();
          expectProblem(await call(f, route, f.organizer.token, f.eventId, f.strangerRightId), 404);
        });
      }

      for (const role of ["SUPERVISOR", "CONTROLLER"] as const) {
        const allowed = route.needs.every((p) => STAFF_PERMISSIONS[role].includes(p));
        it(`${allowed ? "lets" : "refuses (403, naming the permission)"} a ${role} of the event's staff`, async () => {
          const f = await fixture();
          expectAllowedOrForbidden(await call(f, route, role === "SUPERVISOR" ? f.staffSupervisor.token : f.controller.token), route, allowed);
        });
      }

      for (const role of TEAM_ROLES) {
        const allowed = route.needs.every((p) => PERMISSION_ROLES[p].includes(role));
        it(`${allowed ? "lets" : "refuses (403, naming the permission)"} a ${role} of the organization`, async () => {
          const f = await fixture();
          expectAllowedOrForbidden(await call(f, route, f.members[role].token), route, allowed);
        });
      }

      it("lets the organizer and an admin", async () => {
        const f = await fixture();
        for (const token of [f.organizer.token, f.admin.token]) {
          const res = await call(f, route, token);
          expect(res.status, JSON.stringify(res.body)).toBe(route.ok);
        }
      });
    });
  }

  it("platform-wide lists, exports and reports are for admins only", async () => {
    const f = await fixture();
    for (const path of ADMIN_ROUTES) {
      expectProblem(await api("GET", path), 401);
      expectProblem(await api("GET", path, { token: f.organizer.token }), 403);
      expectProblem(await api("GET", path, { token: f.supervisor.token }), 403);
      expectProblem(await api("GET", path, { token: f.staffSupervisor.token }), 403);
      expect((await api("GET", path, { token: f.admin.token })).status, path).toBe(200);
    }
  });
});
