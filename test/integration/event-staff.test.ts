import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import type { AuthContext } from "../../src/env.ts";
import { events } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { authorizeEvent } from "../../src/organizations/permissions.ts";
import { audit_log } from "../../src/site/schema.ts";
import { users } from "../../src/users/schema.ts";
import { api, expectProblem, registerAdmin, registerMember, registerOrganizer, registerUser, verifyEmail } from "../support/api.ts";

const db = () => getDb(env.DB);

async function insertEvent(organizerId: string, organizationId: string, venueId: string | null = null) {
  const id = newId();
  await db()
    .insert(events)
    .values({
      id,
      title: "Derby",
      starts_at: "2030-01-01T18:00:00.000Z",
      ends_at: "2030-01-01T20:00:00.000Z",
      timezone: "Africa/Tunis",
      venue_name: "Stade",
      venue_id: venueId,
      organizer_id: organizerId,
      organization_id: organizationId,
      created_by: organizerId,
      currency: "TND",
    });
  return id;
}

/** An organizer, their event at their venue with one gate, and the staff path. */
async function setup() {
  const organizer = await registerOrganizer();
  const venue = (await api("POST", "/v1/venues", { token: organizer.token, body: { name: "Stade", timezone: "Africa/Tunis" } })).body;
  const zone = (await api("POST", `/v1/venues/${venue.id}/zones`, { token: organizer.token, body: { name: "Nord", category: "STANDARD", capacity: 100 } })).body;
  const gate = (await api("POST", `/v1/venues/${venue.id}/access-points`, { token: organizer.token, body: { code: "A", name: "Porte A", zone_ids: [zone.id] } })).body;
  const eventId = await insertEvent(organizer.id, organizer.organizationId, venue.id);
  return { organizer, venue, gate, eventId, path: `/v1/events/${eventId}/staff` };
}

const roleOf = async (userId: string) => (await db().select({ role: users.role }).from(users).where(eq(users.id, userId)))[0]!.role;
const authOf = (user: { id: string }, role: AuthContext["role"]): AuthContext => ({ userId: user.id, role, sessionId: newId() });

describe("event staff", () => {
  it("never makes gate staff, by email, of an account that signed up with the address but never proved it", async () => {
    const { organizer, path } = await setup();
    // Someone signs up with the steward's address before the steward does: the address is unproven.
    const squatter = await registerUser();
    expectProblem(await api("POST", path, { token: organizer.token, body: { email: squatter.email } }), 409, "recipient_email_unverified");
    expect(await roleOf(squatter.id)).toBe("USER");
    expect((await api("GET", path, { token: organizer.token })).body.data).toEqual([]);
  });

  it("assigns a user by email as controller at a gate, promoting a plain USER, audited", async () => {
    const { organizer, gate, eventId, path } = await setup();
    const fan = await registerUser();
    await verifyEmail(fan.id);
    const res = await api("POST", path, { token: organizer.token, body: { email: fan.email.toUpperCase(), access_point_id: gate.id } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ event_id: eventId, role: "CONTROLLER", access_point_id: gate.id, assigned_by: organizer.id, user: { id: fan.id, email: fan.email } });
    expect(await roleOf(fan.id)).toBe("CONTROLLER");
    const staffEntries = await db().select().from(audit_log).where(eq(audit_log.object_id, res.body.id));
    expect(staffEntries[0]).toMatchObject({ action: "CREATE", object_type: "event_staff", user_id: organizer.id });
    const [promotion] = await db().select().from(audit_log).where(eq(audit_log.object_id, fan.id));
    expect(promotion).toMatchObject({ action: "UPDATE", object_type: "users", user_id: organizer.id });
    expect(promotion!.data_before).toMatchObject({ role: "USER" });
    expect(promotion!.data_after).toMatchObject({ role: "CONTROLLER" });
  });

  it("assigns by id as supervisor and keeps organizer and admin roles", async () => {
    const { organizer, path } = await setup();
    const colleague = await registerOrganizer();
    const res = await api("POST", path, { token: organizer.token, body: { user_id: colleague.id, role: "SUPERVISOR" } });
    expect(res.status).toBe(201);
    expect(res.body.role).toBe("SUPERVISOR");
    expect(await roleOf(colleague.id)).toBe("ORGANIZER");
    const admin = await registerAdmin();
    expect((await api("POST", path, { token: organizer.token, body: { user_id: admin.id } })).status).toBe(201);
    expect(await roleOf(admin.id)).toBe("ADMIN");
  });

  it("refuses a second assignment of the same person", async () => {
    const { organizer, path } = await setup();
    const fan = await registerUser();
    await verifyEmail(fan.id);
    await api("POST", path, { token: organizer.token, body: { user_id: fan.id } });
    expectProblem(await api("POST", path, { token: organizer.token, body: { email: fan.email, role: "SUPERVISOR" } }), 409, "already_assigned");
  });

  it("validates the assignment", async () => {
    const { organizer, path } = await setup();
    const fan = await registerUser();
    expectProblem(await api("POST", path, { token: organizer.token, body: {} }), 422, "validation_failed");
    expectProblem(await api("POST", path, { token: organizer.token, body: { user_id: fan.id, email: fan.email } }), 422, "validation_failed");
    expectProblem(await api("POST", path, { token: organizer.token, body: { user_id: fan.id, role: "ADMIN" } }), 422, "validation_failed");
    expectProblem(await api("POST", path, { token: organizer.token, body: { email: "nobody-here@example.com" } }), 404, "not_found");
    expectProblem(await api("POST", path, { token: organizer.token, body: { user_id: newId() } }), 404, "not_found");
    // A gate of another venue is not a post at this event.
    const other = await setup();
    const problem = expectProblem(await api("POST", path, { token: organizer.token, body: { user_id: fan.id, access_point_id: other.gate.id } }), 422, "validation_failed");
    expect(problem.errors[0].path).toBe("access_point_id");
    expect(await roleOf(fan.id)).toBe("USER");
  });

  it("lists staff with pagination", async () => {
    const { organizer, path } = await setup();
    const people = [await registerUser(), await registerUser(), await registerUser()];
    for (const person of people) await api("POST", path, { token: organizer.token, body: { user_id: person.id } });
    const first = await api("GET", `${path}?limit=2`, { token: organizer.token });
    expect(first.body.data).toHaveLength(2);
    const second = await api("GET", `${path}?limit=2&cursor=${first.body.next_cursor}`, { token: organizer.token });
    expect(second.body.next_cursor).toBeNull();
    expect([...first.body.data, ...second.body.data].map((s: { user: { id: string } }) => s.user.id).sort()).toEqual(people.map((p) => p.id).sort());
  });

  it("lets a MANAGER assign staff; other team roles get 403", async () => {
    const { organizer, path } = await setup();
    const manager = await registerMember(organizer.organizationId, "MANAGER");
    const fan = await registerUser();
    expect((await api("POST", path, { token: manager.token, body: { user_id: fan.id } })).status).toBe(201);
    for (const role of ["BOX_OFFICE", "FINANCE", "SUPERVISOR", "CONTROLLER"] as const) {
      const member = await registerMember(organizer.organizationId, role);
      expect(expectProblem(await api("GET", path, { token: member.token }), 403, "forbidden").detail).toContain("team.manage");
      expectProblem(await api("POST", path, { token: member.token, body: { user_id: member.id } }), 403);
      expectProblem(await api("DELETE", `${path}/${fan.id}`, { token: member.token }), 403);
    }
  });

  it("answers 404 to another organizer on every staff route, and lets admins through", async () => {
    const { organizer, path } = await setup();
    const fan = await registerUser();
    await api("POST", path, { token: organizer.token, body: { user_id: fan.id } });
    const other = await registerOrganizer();
    expectProblem(await api("GET", path, { token: other.token }), 404, "not_found");
    expectProblem(await api("POST", path, { token: other.token, body: { user_id: other.id } }), 404, "not_found");
    expectProblem(await api("DELETE", `${path}/${fan.id}`, { token: other.token }), 404, "not_found");
    expectProblem(await api("GET", path, { token: fan.token }), 403);
    expectProblem(await api("GET", path), 401);
    expectProblem(await api("GET", `/v1/events/${newId()}/staff`, { token: organizer.token }), 404);
    const admin = await registerAdmin();
    expect((await api("GET", path, { token: admin.token })).body.data).toHaveLength(1);
    expect((await api("DELETE", `${path}/${fan.id}`, { token: admin.token })).status).toBe(204);
  });

  it("unassigns staff, audited, keeping their account role", async () => {
    const { organizer, path, eventId } = await setup();
    const fan = await registerUser();
    const assigned = await api("POST", path, { token: organizer.token, body: { user_id: fan.id } });
    expect((await api("DELETE", `${path}/${fan.id}`, { token: organizer.token })).status).toBe(204);
    expect((await api("GET", path, { token: organizer.token })).body.data).toEqual([]);
    expectProblem(await api("DELETE", `${path}/${fan.id}`, { token: organizer.token }), 404);
    const entries = await db().select().from(audit_log).where(eq(audit_log.object_id, assigned.body.id));
    expect(entries.map((e) => e.action).sort()).toEqual(["CREATE", "DELETE"]);
    expect(await roleOf(fan.id)).toBe("CONTROLLER");
    await expect(authorizeEvent(env, authOf(fan, "CONTROLLER"), eventId, "gate.scan")).rejects.toMatchObject({ status: 404 });
  });
});

describe("authorizeEvent", () => {
  it("gives staff the gate of their event only, team members what their role allows on every event of the organization", async () => {
    const { organizer, gate, eventId, path } = await setup();
    const controller = await registerUser();
    const supervisor = await registerUser();
    await api("POST", path, { token: organizer.token, body: { user_id: controller.id, access_point_id: gate.id } });
    await api("POST", path, { token: organizer.token, body: { user_id: supervisor.id, role: "SUPERVISOR" } });
    const admin = await registerAdmin();
    const teamController = await registerMember(organizer.organizationId, "CONTROLLER");
    const boxOffice = await registerMember(organizer.organizationId, "BOX_OFFICE");

    expect(await authorizeEvent(env, authOf(admin, "ADMIN"), eventId, "team.manage")).toMatchObject({ role: null, staff: null, event: { id: eventId } });
    expect(await authorizeEvent(env, authOf(organizer, "ORGANIZER"), eventId, "cash.confirm")).toMatchObject({ role: "OWNER" });
    expect(await authorizeEvent(env, authOf(controller, "CONTROLLER"), eventId, "gate.scan")).toMatchObject({ role: null, staff: { role: "CONTROLLER", access_point_id: gate.id } });
    expect(await authorizeEvent(env, authOf(supervisor, "CONTROLLER"), eventId, "gate.supervise")).toMatchObject({ staff: { role: "SUPERVISOR", access_point_id: null } });
    // A team CONTROLLER scans at every event of the organization without an assignment.
    expect(await authorizeEvent(env, authOf(teamController, "USER"), eventId, "gate.scan")).toMatchObject({ role: "CONTROLLER", staff: null });

    // Related but without the permission: 403 naming it.
    await expect(authorizeEvent(env, authOf(controller, "CONTROLLER"), eventId, "gate.supervise")).rejects.toMatchObject({ status: 403 });
    await expect(authorizeEvent(env, authOf(controller, "CONTROLLER"), eventId, "cash.confirm")).rejects.toMatchObject({ status: 403, detail: expect.stringContaining("cash.confirm") });
    await expect(authorizeEvent(env, authOf(teamController, "USER"), eventId, "sales.read")).rejects.toMatchObject({ status: 403 });
    await expect(authorizeEvent(env, authOf(boxOffice, "USER"), eventId, "gate.scan")).rejects.toMatchObject({ status: 403 });

    // A controller of another event, another organizer, a fan: 404, as if the event did not exist.
    const elsewhere = await setup();
    const otherController = await registerUser();
    await api("POST", elsewhere.path, { token: elsewhere.organizer.token, body: { user_id: otherController.id } });
    await expect(authorizeEvent(env, authOf(otherController, "CONTROLLER"), eventId, "gate.scan")).rejects.toMatchObject({ status: 404 });
    await expect(authorizeEvent(env, authOf(elsewhere.organizer, "ORGANIZER"), eventId, "gate.scan")).rejects.toMatchObject({ status: 404 });
    await expect(authorizeEvent(env, authOf(await registerUser(), "USER"), eventId, "event.read")).rejects.toMatchObject({ status: 404 });
    await expect(authorizeEvent(env, authOf(admin, "ADMIN"), newId(), "event.read")).rejects.toMatchObject({ status: 404 });
    await expect(authorizeEvent(env, undefined, eventId, "event.read")).rejects.toMatchObject({ status: 401 });
  });
});
