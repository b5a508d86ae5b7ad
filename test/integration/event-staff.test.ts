import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { requireEventStaff } from "../../src/auth/middleware.ts";
import { getDb } from "../../src/db/client.ts";
import type { AuthContext } from "../../src/env.ts";
import { events } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { audit_log } from "../../src/site/schema.ts";
import { users } from "../../src/users/schema.ts";
import { api, expectProblem, registerAdmin, registerUser, setRole } from "../support/api.ts";

const db = () => getDb(env.DB);

async function registerOrganizer() {
  const user = await registerUser();
  await setRole(user.id, "ORGANIZER");
  return user;
}

async function insertEvent(organizerId: string, venueId: string | null = null) {
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
  const eventId = await insertEvent(organizer.id, venue.id);
  return { organizer, venue, gate, eventId, path: `/v1/events/${eventId}/staff` };
}

const roleOf = async (userId: string) => (await db().select({ role: users.role }).from(users).where(eq(users.id, userId)))[0]!.role;
const authOf = (user: { id: string }, role: AuthContext["role"]): AuthContext => ({ userId: user.id, role, sessionId: newId() });

describe("event staff", () => {
  it("assigns a user by email as controller at a gate, promoting a plain USER, audited", async () => {
    const { organizer, gate, eventId, path } = await setup();
    const fan = await registerUser();
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
    await expect(requireEventStaff(db(), authOf(fan, "CONTROLLER"), eventId)).rejects.toMatchObject({ status: 404 });
  });
});

describe("requireEventStaff", () => {
  it("lets admins, the organizer and assigned staff through with their capacity; 404 for everyone else", async () => {
    const { organizer, gate, eventId, path } = await setup();
    const controller = await registerUser();
    const supervisor = await registerUser();
    await api("POST", path, { token: organizer.token, body: { user_id: controller.id, access_point_id: gate.id } });
    await api("POST", path, { token: organizer.token, body: { user_id: supervisor.id, role: "SUPERVISOR" } });
    const admin = await registerAdmin();

    expect(await requireEventStaff(db(), authOf(admin, "ADMIN"), eventId)).toMatchObject({ as: "ADMIN" });
    expect(await requireEventStaff(db(), authOf(organizer, "ORGANIZER"), eventId)).toMatchObject({ as: "ORGANIZER" });
    expect(await requireEventStaff(db(), authOf(controller, "CONTROLLER"), eventId)).toMatchObject({ as: "CONTROLLER", accessPointId: gate.id });
    expect(await requireEventStaff(db(), authOf(supervisor, "CONTROLLER"), eventId)).toMatchObject({ as: "SUPERVISOR", accessPointId: null });

    // A controller of another event, another organizer, a fan: 404, as if the event did not exist.
    const elsewhere = await setup();
    const otherController = await registerUser();
    await api("POST", elsewhere.path, { token: elsewhere.organizer.token, body: { user_id: otherController.id } });
    await expect(requireEventStaff(db(), authOf(otherController, "CONTROLLER"), eventId)).rejects.toMatchObject({ status: 404 });
    await expect(requireEventStaff(db(), authOf(elsewhere.organizer, "ORGANIZER"), eventId)).rejects.toMatchObject({ status: 404 });
    await expect(requireEventStaff(db(), authOf(await registerUser(), "USER"), eventId)).rejects.toMatchObject({ status: 404 });
    await expect(requireEventStaff(db(), authOf(admin, "ADMIN"), newId())).rejects.toMatchObject({ status: 404 });
    await expect(requireEventStaff(db(), undefined, eventId)).rejects.toMatchObject({ status: 401 });
  });
});
