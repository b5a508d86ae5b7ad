/**
 * Routes added for the dashboard: what changed in an event since its last
 * review (the moderation screen) and a person's current gate assignments (the
 * gate section of the navigation).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.ts";
import { api, eventInput, expectProblem, publishEvent, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";

describe("GET /v1/admin/events/{event_id}/review-changes", () => {
  it("has no previous state before the first review, then lists each field changed since the last decision with both values", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const created = await api("POST", "/v1/events", { token: organizer.token, body: eventInput() });
    const path = `/v1/admin/events/${created.body.id}/review-changes`;
    expect((await api("GET", path, { token: admin.token })).body).toEqual({ last_review: null, changes: [] });

    await api("POST", `/v1/events/${created.body.id}/submit`, { token: organizer.token });
    await api("POST", `/v1/admin/events/${created.body.id}/approve`, { token: admin.token, body: { comment: "Parfait" } });
    const approved = await api("GET", path, { token: admin.token });
    expect(approved.body).toMatchObject({ last_review: { decision: "APPROVE", by: admin.id, comment: "Parfait" }, changes: [] });

    // The organizer changes the title and the capacity: back to review, and both show.
    const edited = await api("PATCH", `/v1/events/${created.body.id}`, { token: organizer.token, body: { title: "Festival des Arts — nouvelle édition", max_capacity: 800 } });
    expect(edited.body.status).toBe("PENDING_REVIEW");
    const changed = await api("GET", path, { token: admin.token });
    expect(changed.status).toBe(200);
    expect(changed.body.changes).toEqual([
      { field: "title", before: "Festival des Arts de Cotonou", after: "Festival des Arts — nouvelle édition" },
      { field: "max_capacity", before: null, after: 800 },
    ]);

    // Rejected, then edited again: compared with the rejected state.
    await api("POST", `/v1/admin/events/${created.body.id}/reject`, { token: admin.token, body: { comment: "Titre trop long" } });
    await api("PATCH", `/v1/events/${created.body.id}`, { token: organizer.token, body: { title: "Festival des Arts" } });
    const again = await api("GET", path, { token: admin.token });
    expect(again.body.last_review).toMatchObject({ decision: "REJECT", comment: "Titre trop long" });
    expect(again.body.changes).toEqual([{ field: "title", before: "Festival des Arts — nouvelle édition", after: "Festival des Arts" }]);
  });

  it("is for admins only, and 404 for an unknown event", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);
    const path = `/v1/admin/events/${event.id}/review-changes`;
    expectProblem(await api("GET", path), 401);
    expectProblem(await api("GET", path, { token: organizer.token }), 403);
    expectProblem(await api("GET", `/v1/admin/events/${newId()}/review-changes`, { token: admin.token }), 404);
    expectProblem(await api("GET", "/v1/admin/events/not-an-id/review-changes", { token: admin.token }), 422);
  });
});

describe("GET /v1/me/staff-assignments", () => {
  it("lists the caller's active assignments in approved events not yet ended, soonest first, with role and post", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const person = await registerUser();
    const day = 86_400_000;
    const later = await publishEvent(organizer, admin, { title: "Plus tard", starts_at: new Date(Date.now() + 20 * day).toISOString(), ends_at: new Date(Date.now() + 20 * day + 7_200_000).toISOString() });
    const sooner = await publishEvent(organizer, admin, { title: "Bientôt", starts_at: new Date(Date.now() + 2 * day).toISOString(), ends_at: new Date(Date.now() + 2 * day + 7_200_000).toISOString() });
    const draft = await api("POST", "/v1/events", { token: organizer.token, body: eventInput({ title: "Brouillon" }) });
    const other = await publishEvent(organizer, admin, { title: "Pas le mien" });
    expect((await api("POST", `/v1/events/${later.id}/staff`, { token: organizer.token, body: { user_id: person.id } })).status).toBe(201);
    expect((await api("POST", `/v1/events/${sooner.id}/staff`, { token: organizer.token, body: { user_id: person.id, role: "SUPERVISOR" } })).status).toBe(201);
    expect((await api("POST", `/v1/events/${draft.body.id}/staff`, { token: organizer.token, body: { user_id: person.id } })).status).toBe(201);
    // Someone else's assignment, and an ended one.
    await api("POST", `/v1/events/${other.id}/staff`, { token: organizer.token, body: { user_id: (await registerUser()).id } });
    const ended = await publishEvent(organizer, admin, { title: "Fini" });
    await api("POST", `/v1/events/${ended.id}/staff`, { token: organizer.token, body: { user_id: person.id } });
    await env.DB.prepare("UPDATE events SET starts_at = ?, ends_at = ? WHERE id = ?").bind(new Date(Date.now() - 2 * day).toISOString(), new Date(Date.now() - day).toISOString(), ended.id).run();

    const mine = await api("GET", "/v1/me/staff-assignments", { token: person.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((a: { event: { title: string }; role: string }) => [a.event.title, a.role])).toEqual([
      ["Bientôt", "SUPERVISOR"],
      ["Plus tard", "CONTROLLER"],
    ]);
    expect(mine.body.data[0].event).toMatchObject({ id: sooner.id, timezone: sooner.timezone, venue_name: sooner.venue_name });

    const first = await api("GET", "/v1/me/staff-assignments?limit=1", { token: person.token });
    expect(first.body.data).toHaveLength(1);
    const second = await api("GET", `/v1/me/staff-assignments?limit=1&cursor=${first.body.next_cursor}`, { token: person.token });
    expect(second.body.data.map((a: { event: { id: string } }) => a.event.id)).toEqual([later.id]);
    expect(second.body.next_cursor).toBeNull();

    // Unassigned: gone at once.
    await api("DELETE", `/v1/events/${sooner.id}/staff/${person.id}`, { token: organizer.token });
    expect((await api("GET", "/v1/me/staff-assignments", { token: person.token })).body.data.map((a: { event: { id: string } }) => a.event.id)).toEqual([later.id]);
  });

  it("needs a signed-in caller and a sane page query", async () => {
    const user = await registerUser();
    expectProblem(await api("GET", "/v1/me/staff-assignments"), 401);
    expect((await api("GET", "/v1/me/staff-assignments", { token: user.token })).body).toEqual({ data: [], next_cursor: null });
    expectProblem(await api("GET", "/v1/me/staff-assignments?limit=0", { token: user.token }), 422);
    expectProblem(await api("GET", "/v1/me/staff-assignments?cursor=%%%", { token: user.token }), 422);
  });
});
