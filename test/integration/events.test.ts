import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { completeEndedEvents } from "../../src/events/cron.ts";
import { event_categories, event_groups, events, venues } from "../../src/events/schema.ts";
import { audit_log } from "../../src/site/schema.ts";
import {
  addMember,
  api,
  eventInput,
  expectProblem,
  publishEvent,
  registerAdmin,
  registerMember,
  registerOrganizer,
  registerUser,
  setRole,
  waitForMessage,
} from "../support/api.ts";

const db = () => getDb(env.DB);
const DAY = 86_400_000;

type Caller = { token: string };
const create = (caller: Caller | undefined, overrides: Record<string, unknown> = {}) =>
  api("POST", "/v1/events", { token: caller?.token, body: eventInput(overrides) });
const patch = (caller: Caller | undefined, id: string, body: Record<string, unknown>) => api("PATCH", `/v1/events/${id}`, { token: caller?.token, body });
const submit = (caller: Caller | undefined, id: string) => api("POST", `/v1/events/${id}/submit`, { token: caller?.token });
const approve = (caller: Caller | undefined, id: string, body?: unknown) => api("POST", `/v1/admin/events/${id}/approve`, { token: caller?.token, body });
const reject = (caller: Caller | undefined, id: string, comment?: string) =>
  api("POST", `/v1/admin/events/${id}/reject`, { token: caller?.token, body: comment === undefined ? {} : { comment } });
const cancel = (caller: Caller | undefined, id: string, reason = "Météo dangereuse") => api("POST", `/v1/events/${id}/cancel`, { token: caller?.token, body: { reason } });
const getEvent = (caller: Caller | undefined, id: string) => api("GET", `/v1/events/${id}`, { token: caller?.token });

async function createdDraft(organizer: Caller, overrides: Record<string, unknown> = {}) {
  const res = await create(organizer, overrides);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Record<string, any>;
}

async function eventRow(id: string) {
  const [row] = await db().select().from(events).where(eq(events.id, id));
  return row;
}

const trail = (id: string) => db().select().from(audit_log).where(eq(audit_log.object_id, id)).orderBy(audit_log.created_at);

async function insertVenue(organizationId: string | null, overrides: Partial<typeof venues.$inferInsert> = {}) {
  const id = crypto.randomUUID();
  await db()
    .insert(venues)
    .values({ id, name: "Stade de l'Amitié", address: "Cotonou", latitude: 6.3886, longitude: 2.3844, timezone: "Africa/Porto-Novo", organization_id: organizationId, ...overrides });
  return id;
}

async function insertCategory(isActive = true) {
  const id = crypto.randomUUID();
  await db().insert(event_categories).values({ id, name: `Catégorie ${id.slice(0, 8)}`, is_active: isActive });
  return id;
}

async function insertGroup(organizationId: string | null) {
  const id = crypto.randomUUID();
  await db().insert(event_groups).values({ id, code: `G-${id.slice(0, 8)}`, name: "Championnat 2026-2027", organization_id: organizationId });
  return id;
}

// ---------------------------------------------------------------- creating

describe("creating events", () => {
  it("creates a DRAFT owned by the organizer, with dates stored in UTC and a price of 0", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const res = await create(organizer, { starts_at: "2030-06-01T20:00:00+01:00", ends_at: "2030-06-01T23:30:00+01:00", doors_open_at: "2030-06-01T18:30:00+01:00" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "DRAFT",
      organizer_id: organizer.id,
      created_by: organizer.id,
      starts_at: "2030-06-01T19:00:00.000Z",
      ends_at: "2030-06-01T22:30:00.000Z",
      doors_open_at: "2030-06-01T17:30:00.000Z",
      access_type: "FREE",
      price: 0,
      currency: "XOF",
      timezone: "Africa/Porto-Novo",
      view_count: 0,
      share_count: 0,
      cover_url: null,
      reviewed_at: null,
    });
    const [entry] = await trail(res.body.id);
    expect(entry).toMatchObject({ action: "CREATE", object_type: "events", user_id: organizer.id, data_before: null });
    expect(entry!.data_after).toMatchObject({ title: "Festival des Arts de Cotonou", status: "DRAFT" });
  });

  it("is for members who may manage events (OWNER, MANAGER) and admins, in their organization", async () => {
    expectProblem(await create(undefined), 401);
    const user = await registerUser();
    expectProblem(await create(user), 403, "no_organization");
    const controller = await registerUser();
    await setRole(controller.id, "CONTROLLER");
    expectProblem(await create(controller), 403, "no_organization");
    // Checked before the body: a user's invalid request is still a 403.
    expectProblem(await api("POST", "/v1/events", { token: user.token, body: { nope: true } }), 403);

    // Team roles, not the platform role, decide: a MANAGER with a plain USER account creates; BOX_OFFICE cannot.
    const organizer = await registerOrganizer({ plan: null });
    const manager = await registerMember(organizer.organizationId, "MANAGER");
    const created = await create(manager);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ organization_id: organizer.organizationId, organizer_id: manager.id, created_by: manager.id });
    const boxOffice = await registerMember(organizer.organizationId, "BOX_OFFICE");
    expect(expectProblem(await create(boxOffice), 403, "forbidden").detail).toContain("event.manage");
    expectProblem(await api("POST", "/v1/events", { token: boxOffice.token, body: { nope: true } }), 403);

    // Admins name the organization; it is presented under its first owner.
    const admin = await registerAdmin();
    expect(expectProblem(await create(admin), 422).errors[0].path).toBe("organization_id");
    const byAdmin = await create(admin, { organization_id: organizer.organizationId });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body).toMatchObject({ organization_id: organizer.organizationId, organizer_id: organizer.id, created_by: admin.id });
  });

  it("goes to the one organization where the caller may manage events, or the one named", async () => {
    const first = await registerOrganizer({ plan: null });
    const second = await registerOrganizer({ plan: null });
    // `first` also manages events of `second`'s organization, and is a CONTROLLER somewhere else.
    const elsewhere = await registerOrganizer({ plan: null });
    await addMember(second.organizationId, first.id, "MANAGER");
    await addMember(elsewhere.organizationId, first.id, "CONTROLLER");
    expect(expectProblem(await create(first), 422).errors[0]).toMatchObject({ path: "organization_id", code: "required" });
    expect((await create(first, { organization_id: second.organizationId })).body.organization_id).toBe(second.organizationId);
    expect((await create(first, { organization_id: first.organizationId })).body.organization_id).toBe(first.organizationId);
    // One where they only scan: 403; one they do not belong to: 422, as any reference that is not theirs.
    expect(expectProblem(await create(first, { organization_id: elsewhere.organizationId }), 403).detail).toContain("CONTROLLER");
    expect(expectProblem(await create(first, { organization_id: (await registerOrganizer()).organizationId }), 422).errors[0].path).toBe("organization_id");
    // A member of a single organization needs not name it.
    expect((await create(second)).body.organization_id).toBe(second.organizationId);
  });

  it.each([
    ["ends_at", { ends_at: "2020-01-01T00:00:00Z" }],
    ["doors_open_at", { doors_open_at: new Date(Date.now() + 8 * DAY).toISOString() }],
    ["price", { access_type: "PAID" }],
    ["price", { access_type: "PAID", price: 0 }],
    ["price", { access_type: "FREE", price: 5000 }],
    ["price", { access_type: "INVITATION", price: 100 }],
    ["price", { access_type: "PAID", price: 12.5 }],
    ["price", { access_type: "PAID", price: -1 }],
    ["timezone", { timezone: "Africa/Atlantis" }],
    ["timezone", { timezone: "'; DROP TABLE events; --" }],
    ["latitude", { latitude: 91 }],
    ["longitude", { longitude: -181 }],
    ["latitude", { longitude: undefined }],
    ["currency", { currency: "EUR" }],
    ["currency", { currency: undefined }],
    ["starts_at", { starts_at: "2030-06-01T20:00:00" }],
    ["starts_at", { starts_at: "tomorrow" }],
    ["title", { title: "" }],
    ["venue_name", { venue_name: undefined }],
    ["google_maps_url", { google_maps_url: "javascript:alert(1)" }],
    ["max_capacity", { max_capacity: 0 }],
    ["unexpected", { unexpected: "field" }],
  ])("refuses an invalid %s with 422", async (path, overrides) => {
    const organizer = await registerOrganizer({ plan: null });
    const body = expectProblem(await create(organizer, overrides), 422, "validation_failed");
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it("takes the place and time zone from the organizer's own venue", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const venueId = await insertVenue(organizer.organizationId, { timezone: "Africa/Lagos" });
    const res = await create(organizer, { venue_id: venueId, venue_name: undefined, latitude: undefined, longitude: undefined, timezone: undefined });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ venue_id: venueId, venue_name: "Stade de l'Amitié", address: "Cotonou", latitude: 6.3886, longitude: 2.3844, timezone: "Africa/Lagos" });
  });

  it("refuses another organizer's venue, an inactive or unknown one; admins may use any", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const other = await registerOrganizer();
    const theirs = await insertVenue(other.organizationId);
    const inactive = await insertVenue(organizer.organizationId, { is_active: false });
    for (const venueId of [theirs, inactive, crypto.randomUUID(), await insertVenue(null)]) {
      const body = expectProblem(await create(organizer, { venue_id: venueId }), 422);
      expect(body.errors[0].path).toBe("venue_id");
    }
    const admin = await registerAdmin();
    expect((await create(admin, { venue_id: theirs, organization_id: organizer.organizationId })).status).toBe(201);
  });

  it("needs an active category and one of the organizer's event groups", async () => {
    const organizer = await registerOrganizer({ plan: null });
    expect((await create(organizer, { category_id: await insertCategory() })).status).toBe(201);
    expectProblem(await create(organizer, { category_id: await insertCategory(false) }), 422);
    expectProblem(await create(organizer, { category_id: crypto.randomUUID() }), 422);
    expect((await create(organizer, { event_group_id: await insertGroup(organizer.organizationId) })).status).toBe(201);
    const body = expectProblem(await create(organizer, { event_group_id: await insertGroup((await registerOrganizer()).organizationId) }), 422);
    expect(body.errors[0].path).toBe("event_group_id");
  });

  it("lets only admins set the commission or create for another organization", async () => {
    const organizer = await registerOrganizer({ plan: null });
    expectProblem(await create(organizer, { ticketing_commission_bp: 0 }), 403, "admin_only_field");
    expect(expectProblem(await create(organizer, { organization_id: (await registerOrganizer()).organizationId }), 422).errors[0].path).toBe("organization_id");

    const admin = await registerAdmin();
    const res = await create(admin, { organization_id: organizer.organizationId, ticketing_commission_bp: 750 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ organizer_id: organizer.id, organization_id: organizer.organizationId, created_by: admin.id, ticketing_commission_bp: 750 });
    // The organization owns it: it is in their list and they can edit it.
    expect((await patch(organizer, res.body.id, { title: "Repris par l'organisateur" })).status).toBe(200);

    expectProblem(await create(admin, { organization_id: crypto.randomUUID() }), 422);
  });
});

// ---------------------------------------------------------------- plan limit

describe("organizer plan limit", () => {
  it("stops creations at the plan's monthly limit, with 403 plan_limit_reached", async () => {
    const organizer = await registerOrganizer({ plan: 2 });
    expect((await create(organizer)).status).toBe(201);
    expect((await create(organizer)).status).toBe(201);
    expectProblem(await create(organizer), 403, "plan_limit_reached");
  });

  it("does not count a creation refused for its content", async () => {
    const organizer = await registerOrganizer({ plan: 1 });
    expectProblem(await create(organizer, { ends_at: "2020-01-01T00:00:00Z" }), 422);
    expectProblem(await create(organizer, { category_id: crypto.randomUUID() }), 422);
    expect((await create(organizer)).status).toBe(201);
    expectProblem(await create(organizer), 403, "plan_limit_reached");
  });

  it("applies the free allowance without a plan, and never limits admins", async () => {
    const organizer = await registerOrganizer();
    expect((await create(organizer)).status).toBe(201);
    expect((await create(organizer)).status).toBe(201);
    expectProblem(await create(organizer), 403, "plan_limit_reached");
    const admin = await registerAdmin();
    for (let i = 0; i < 3; i++) expect((await create(admin, { organization_id: organizer.organizationId })).status).toBe(201);
  });

  it("says which allowance is used up and how to get more", async () => {
    const free = await registerOrganizer();
    for (let i = 0; i < 2; i++) expect((await create(free)).status).toBe(201);
    const refused = expectProblem(await create(free), 403, "plan_limit_reached");
    expect(refused.detail).toContain("Without a plan, an organization creates 2 event(s) per calendar month");
    expect(refused.detail).toContain("GET /v1/organizer-plans");
    expect(refused.detail).toContain("POST /v1/me/organizer-subscription");

    const onPlan = await registerOrganizer({ plan: 1 });
    expect((await create(onPlan)).status).toBe(201);
    const detail = expectProblem(await create(onPlan), 403, "plan_limit_reached").detail as string;
    expect(detail).toMatch(/^Your organization's plan "Test plan [0-9a-f]{8}" allows 1 event\(s\) per calendar month/);
  });

  it("lets an admin create events for an organization past its allowance, without counting them against it", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    for (let i = 0; i < 3; i++) expect((await create(admin, { organization_id: organizer.organizationId })).status).toBe(201);
    // The admin's three did not use the organization's own free allowance.
    for (let i = 0; i < 2; i++) expect((await create(organizer)).status).toBe(201);
    expectProblem(await create(organizer), 403, "plan_limit_reached");

    const onPlan = await registerOrganizer({ plan: 1 });
    expect((await create(admin, { organization_id: onPlan.organizationId })).status).toBe(201);
    expect((await create(onPlan)).status).toBe(201);
    expectProblem(await create(onPlan), 403, "plan_limit_reached");
  });
});

// ---------------------------------------------------------------- editing and deleting

describe("editing events", () => {
  it("lets the organizer edit a draft; null clears an optional field", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer, { short_description: "Court" });
    const res = await patch(organizer, draft.id, { title: "Nouveau titre", short_description: null, max_capacity: 500 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: "Nouveau titre", short_description: null, max_capacity: 500, status: "DRAFT" });
    const entries = await trail(draft.id);
    expect(entries.at(-1)).toMatchObject({ action: "UPDATE" });
    expect(entries.at(-1)!.data_before).toMatchObject({ title: "Festival des Arts de Cotonou" });
    expect(entries.at(-1)!.data_after).toMatchObject({ title: "Nouveau titre" });
  });

  it("checks the rules on the event as edited", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    const body = expectProblem(await patch(organizer, draft.id, { ends_at: new Date(Date.parse(draft.starts_at) - 3_600_000).toISOString() }), 422);
    expect(body.errors[0].path).toBe("ends_at");
    expectProblem(await patch(organizer, draft.id, { access_type: "PAID" }), 422);
    expect((await patch(organizer, draft.id, { access_type: "PAID", price: 5000 })).body).toMatchObject({ access_type: "PAID", price: 5000 });
    // Leaving PAID without naming a price makes the event free of charge.
    expect((await patch(organizer, draft.id, { access_type: "FREE" })).body).toMatchObject({ access_type: "FREE", price: 0 });
    expectProblem(await patch(organizer, draft.id, { latitude: null }), 422);
    expectProblem(await patch(organizer, draft.id, { status: "APPROVED" }), 422);
  });

  it("answers 404 to another organizer on every write, and lets admins edit", async () => {
    const owner = await registerOrganizer({ plan: null });
    const other = await registerOrganizer({ plan: null });
    const draft = await createdDraft(owner);
    expectProblem(await patch(other, draft.id, { title: "Piraté" }), 404, "not_found");
    expectProblem(await api("DELETE", `/v1/events/${draft.id}`, { token: other.token }), 404);
    expectProblem(await submit(other, draft.id), 404);
    expectProblem(await cancel(other, draft.id), 404);
    expectProblem(await getEvent(other, draft.id), 404);
    expectProblem(await api("PUT", `/v1/events/${draft.id}/cover`, { token: other.token, rawBody: PNG, headers: { "Content-Type": "image/png" } }), 404);
    expect((await eventRow(draft.id))!.title).toBe("Festival des Arts de Cotonou");

    const admin = await registerAdmin();
    expect((await patch(admin, draft.id, { title: "Corrigé par l'admin" })).status).toBe(200);
  });

  it("sends an approved event back to review when its organizer changes what was reviewed", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);

    // Operational fields keep it published.
    expect((await patch(organizer, event.id, { max_capacity: 800, google_maps_url: "https://maps.google.com/?q=6.36,2.41" })).body.status).toBe("APPROVED");
    // Sending the same value again is not a change.
    expect((await patch(organizer, event.id, { title: event.title })).body.status).toBe("APPROVED");

    const moved = await patch(organizer, event.id, { starts_at: new Date(Date.parse(event.starts_at) + DAY).toISOString(), ends_at: new Date(Date.parse(event.ends_at) + DAY).toISOString() });
    expect(moved.body.status).toBe("PENDING_REVIEW");
    expectProblem(await getEvent(undefined, event.id), 404);
    expect((await api("GET", `/v1/events?organizer_id=${organizer.id}`)).body.data).toEqual([]);
  });

  it("keeps an approved event published when an admin edits it", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);
    expect((await patch(admin, event.id, { title: "Titre corrigé" })).body).toMatchObject({ title: "Titre corrigé", status: "APPROVED" });
  });

  it("freezes an event under review for its organizer, not for admins", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    await submit(organizer, draft.id);
    expectProblem(await patch(organizer, draft.id, { title: "Pendant la revue" }), 409, "event_not_editable");
    expect((await patch(admin, draft.id, { title: "Coquille corrigée" })).body).toMatchObject({ status: "PENDING_REVIEW", title: "Coquille corrigée" });
  });

  it("refuses edits to cancelled and completed events", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);
    await cancel(organizer, event.id);
    expectProblem(await patch(organizer, event.id, { title: "Trop tard" }), 409, "event_not_editable");
    expectProblem(await patch(admin, event.id, { title: "Trop tard" }), 409, "event_not_editable");
  });

  it("deletes drafts only, with an audit entry", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    expect((await api("DELETE", `/v1/events/${draft.id}`, { token: organizer.token })).status).toBe(204);
    expect(await eventRow(draft.id)).toBeUndefined();
    expectProblem(await getEvent(organizer, draft.id), 404);
    expect((await trail(draft.id)).at(-1)).toMatchObject({ action: "DELETE", data_after: null });

    const published = await publishEvent(organizer, admin);
    expectProblem(await api("DELETE", `/v1/events/${published.id}`, { token: organizer.token }), 409, "event_not_deletable");
    expectProblem(await api("DELETE", `/v1/events/${crypto.randomUUID()}`, { token: organizer.token }), 404);
    expectProblem(await api("DELETE", "/v1/events/not-a-uuid", { token: organizer.token }), 422);
  });
});

// ---------------------------------------------------------------- visibility

describe("visibility", () => {
  it("hides drafts, pending and rejected events from everyone but their organizer and admins", async () => {
    const admin = await registerAdmin();
    const owner = await registerOrganizer({ plan: null });
    const draft = await createdDraft(owner);
    const pending = await createdDraft(owner);
    await submit(owner, pending.id);
    const rejected = await createdDraft(owner);
    await submit(owner, rejected.id);
    await reject(admin, rejected.id, "Photos manquantes");

    const stranger = await registerUser();
    const rival = await registerOrganizer();
    for (const id of [draft.id, pending.id, rejected.id]) {
      expectProblem(await getEvent(undefined, id), 404);
      expectProblem(await getEvent(stranger, id), 404);
      expectProblem(await getEvent(rival, id), 404);
      expect((await getEvent(owner, id)).status).toBe(200);
      expect((await getEvent(admin, id)).status).toBe(200);
    }
    expect((await getEvent(owner, rejected.id)).body).toMatchObject({ status: "REJECTED", review_comment: "Photos manquantes" });
  });

  it("shows published events to everyone, without the moderation fields", async () => {
    const admin = await registerAdmin();
    const owner = await registerOrganizer({ plan: null });
    const event = await publishEvent(owner, admin);
    const anonymous = await getEvent(undefined, event.id);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toMatchObject({ id: event.id, status: "APPROVED", participation_counts: { INTERESTED: 0, GOING: 0, ATTENDED: 0, CANCELLED: 0 } });
    for (const field of ["review_comment", "reviewed_by", "created_by", "metadata", "ticketing_commission_bp", "my_participation"]) expect(anonymous.body).not.toHaveProperty(field);
    const ownView = await getEvent(owner, event.id);
    expect(ownView.body).toMatchObject({ reviewed_by: admin.id, my_participation: null });
  });

  it("lists the organizer's own events in every status, and only theirs", async () => {
    const admin = await registerAdmin();
    const owner = await registerOrganizer({ plan: null });
    const draft = await createdDraft(owner, { starts_at: new Date(Date.now() + 2 * DAY).toISOString(), ends_at: new Date(Date.now() + 2 * DAY + 3_600_000).toISOString() });
    const published = await publishEvent(owner, admin);
    const other = await registerOrganizer({ plan: null });
    await createdDraft(other);

    const mine = await api("GET", "/v1/me/events", { token: owner.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((e: { id: string }) => e.id)).toEqual([draft.id, published.id]);
    expect(mine.body.data[0]).toHaveProperty("review_comment");
    const drafts = await api("GET", "/v1/me/events?status=DRAFT", { token: owner.token });
    expect(drafts.body.data.map((e: { id: string }) => e.id)).toEqual([draft.id]);
    const paged = await api("GET", "/v1/me/events?limit=1", { token: owner.token });
    const next = await api("GET", `/v1/me/events?limit=1&cursor=${paged.body.next_cursor}`, { token: owner.token });
    expect([...paged.body.data, ...next.body.data].map((e: { id: string }) => e.id)).toEqual([draft.id, published.id]);
    expect(next.body.next_cursor).toBeNull();

    // Every member sees the organization's events, in any role; anyone else has none.
    const controller = await registerMember(owner.organizationId, "CONTROLLER");
    expect((await api("GET", "/v1/me/events", { token: controller.token })).body.data.map((e: { id: string }) => e.id)).toEqual([draft.id, published.id]);
    expect((await api("GET", `/v1/me/events?organization_id=${other.organizationId}`, { token: owner.token })).body.data).toEqual([]);
    expect((await api("GET", "/v1/me/events", { token: (await registerUser()).token })).body.data).toEqual([]);
    expectProblem(await api("GET", "/v1/me/events"), 401);
  });
});

// ---------------------------------------------------------------- moderation

describe("moderation", () => {
  it("submits drafts once, and only events that have not started", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    const res = await submit(organizer, draft.id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("PENDING_REVIEW");
    expectProblem(await submit(organizer, draft.id), 409, "event_not_submittable");

    const past = await createdDraft(organizer, { starts_at: "2024-01-01T18:00:00Z", ends_at: "2024-01-01T22:00:00Z" });
    expectProblem(await submit(organizer, past.id), 409, "event_in_past");
  });

  it("lets only admins approve, notifies the organizer and audits the decision with before and after", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    await submit(organizer, draft.id);

    expectProblem(await approve(organizer, draft.id), 403, "forbidden");
    expectProblem(await approve(await registerUser(), draft.id), 403);
    expectProblem(await approve(undefined, draft.id), 401);

    const res = await approve(admin, draft.id, { comment: "Parfait" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "APPROVED", reviewed_by: admin.id, review_comment: "Parfait" });
    expect(res.body.reviewed_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const entry = (await trail(draft.id)).find((e) => e.action === "APPROVE")!;
    expect(entry).toMatchObject({ user_id: admin.id, object_type: "events" });
    expect(entry.data_before).toMatchObject({ status: "PENDING_REVIEW", reviewed_by: null });
    expect(entry.data_after).toMatchObject({ status: "APPROVED", reviewed_by: admin.id });

    const inApp = await waitForMessage(organizer.id, "EVENT_APPROVED");
    expect(inApp).toMatchObject({ channel: "IN_APP", language: "fr" });
    expect(inApp.body).toContain("Festival des Arts de Cotonou");
    expect(await waitForMessage(organizer.email, "EVENT_APPROVED")).toMatchObject({ channel: "EMAIL", user_id: organizer.id });

    expectProblem(await approve(admin, draft.id), 409, "event_not_pending");
    expectProblem(await reject(admin, draft.id, "Trop tard"), 409, "event_not_pending");
  });

  it("rejects with a required comment; the organizer is told why, edits and submits again", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    await submit(organizer, draft.id);

    expectProblem(await reject(admin, draft.id), 422);
    expectProblem(await reject(admin, draft.id, "   "), 422);
    expectProblem(await reject(organizer, draft.id, "Moi-même"), 403);
    const res = await reject(admin, draft.id, "Adresse incomplète");
    expect(res.body).toMatchObject({ status: "REJECTED", review_comment: "Adresse incomplète", reviewed_by: admin.id });

    const entry = (await trail(draft.id)).find((e) => e.action === "REJECT")!;
    expect(entry.data_before).toMatchObject({ status: "PENDING_REVIEW", review_comment: null });
    expect(entry.data_after).toMatchObject({ status: "REJECTED", review_comment: "Adresse incomplète" });

    const message = await waitForMessage(organizer.id, "EVENT_REJECTED");
    expect(message.body).toContain("Adresse incomplète");

    expect((await patch(organizer, draft.id, { address: "Boulevard de la Marina, Cotonou" })).body.status).toBe("REJECTED");
    expect((await submit(organizer, draft.id)).body.status).toBe("PENDING_REVIEW");
  });

  it("answers 404 for unknown events and 422 for malformed ids", async () => {
    const admin = await registerAdmin();
    expectProblem(await approve(admin, crypto.randomUUID()), 404);
    expectProblem(await approve(admin, "1 OR 1=1"), 422);
  });

  it("queues pending events for admins, oldest submission first", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const first = await createdDraft(organizer);
    const second = await createdDraft(organizer);
    await createdDraft(organizer);
    await submit(organizer, second.id);
    await submit(organizer, first.id);

    const queue = await api("GET", `/v1/admin/events?status=PENDING_REVIEW&organizer_id=${organizer.id}`, { token: admin.token });
    expect(queue.status).toBe(200);
    expect(queue.body.data.map((e: { id: string }) => e.id)).toEqual([second.id, first.id]);
    expectProblem(await api("GET", "/v1/admin/events", { token: organizer.token }), 403);
    expectProblem(await api("GET", "/v1/admin/events?status=LOST", { token: admin.token }), 422);
  });

  it("cancels approved or pending events with a reason, by their organizer or an admin", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);

    expectProblem(await api("POST", `/v1/events/${event.id}/cancel`, { token: organizer.token, body: {} }), 422);
    const res = await cancel(organizer, event.id, "Stade indisponible");
    expect(res.body).toMatchObject({ status: "CANCELLED", cancellation_reason: "Stade indisponible" });
    // Still readable (people need to see it was cancelled), no longer listed.
    expect((await getEvent(undefined, event.id)).body).toMatchObject({ status: "CANCELLED", cancellation_reason: "Stade indisponible" });
    expect((await api("GET", `/v1/events?organizer_id=${organizer.id}`)).body.data).toEqual([]);
    expectProblem(await cancel(organizer, event.id), 409, "event_not_cancellable");

    const draft = await createdDraft(organizer);
    expectProblem(await cancel(organizer, draft.id), 409, "event_not_cancellable");

    const other = await publishEvent(organizer, admin);
    expect((await cancel(admin, other.id, "Contenu contraire aux règles")).body.status).toBe("CANCELLED");
    const message = await waitForMessage(organizer.id, "EVENT_CANCELLED");
    expect(message.body).toContain("Contenu contraire aux règles");
  });
});

// ---------------------------------------------------------------- completion cron

describe("completion cron", () => {
  it("completes approved events that have ended, and only those", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const ended = await publishEvent(organizer, admin);
    const cancelled = await publishEvent(organizer, admin);
    await cancel(organizer, cancelled.id);
    const upcoming = await publishEvent(organizer, admin);
    const draft = await createdDraft(organizer);
    const past = { starts_at: new Date(Date.now() - 2 * DAY).toISOString(), ends_at: new Date(Date.now() - DAY).toISOString() };
    for (const id of [ended.id, cancelled.id, draft.id]) await db().update(events).set(past).where(eq(events.id, id));

    expect(await completeEndedEvents(env)).toBeGreaterThanOrEqual(1);
    expect((await eventRow(ended.id))!.status).toBe("COMPLETED");
    expect((await eventRow(cancelled.id))!.status).toBe("CANCELLED");
    expect((await eventRow(upcoming.id))!.status).toBe("APPROVED");
    expect((await eventRow(draft.id))!.status).toBe("DRAFT");
    expect(await completeEndedEvents(env)).toBe(0);

    expect((await getEvent(undefined, ended.id)).body.status).toBe("COMPLETED");
    expectProblem(await cancel(organizer, ended.id), 409, "event_not_cancellable");
  });
});

// ---------------------------------------------------------------- cover images

const hex = (...parts: string[]) => new Uint8Array(parts.join("").match(/../g)!.map((pair) => parseInt(pair, 16)));
/** 1×1 red PNG. */
const PNG = hex(
  "89504e470d0a1a0a",
  "0000000d4948445200000001000000010802000000907753de",
  "0000000c49444154789c63f8cfc0000003010100c9fe92ef",
  "0000000049454e44ae426082",
);
/** 1×1 lossless WebP. */
const WEBP = Uint8Array.from(atob("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="), (ch) => ch.charCodeAt(0));
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
const MB = 1024 * 1024;

const putCover = (caller: Caller | undefined, id: string, body: Uint8Array, type = "image/png") =>
  api("PUT", `/v1/events/${id}/cover`, { token: caller?.token, rawBody: body, headers: { "Content-Type": type } });

async function fetchRaw(path: string, headers: Record<string, string> = {}) {
  const response = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://api.test${path}`, { headers }));
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

describe("cover images", () => {
  it("stores the image under a random key and serves it immutable by its versioned URL", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);
    const res = await putCover(organizer, event.id, PNG);
    expect(res.status).toBe(200);
    expect(res.body.cover_url).toMatch(new RegExp(`^/v1/events/${event.id}/cover\\?v=[A-Za-z0-9_-]{24}$`));
    const key = (await eventRow(event.id))!.cover_image_key!;
    expect(key).toMatch(new RegExp(`^events/${event.id}/cover/[A-Za-z0-9_-]{24}$`));
    expect(res.body.status).toBe("APPROVED");

    const served = await fetchRaw(res.body.cover_url);
    expect(served.status).toBe(200);
    expect(served.headers.get("Content-Type")).toBe("image/png");
    expect(served.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect([...served.bytes]).toEqual([...PNG]);
    const etag = served.headers.get("ETag")!;
    expect((await fetchRaw(res.body.cover_url, { "If-None-Match": etag })).status).toBe(304);

    const plain = await fetchRaw(`/v1/events/${event.id}/cover`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("Cache-Control")).toBe("public, no-cache");
    expect((await getEvent(undefined, event.id)).body.cover_url).toBe(res.body.cover_url);
    expect((await trail(event.id)).at(-1)!.data_after).toMatchObject({ cover_image_key: key });
  });

  it("replaces the previous cover and deletes it", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    const first = await putCover(organizer, draft.id, PNG);
    const firstKey = (await eventRow(draft.id))!.cover_image_key!;
    const second = await putCover(organizer, draft.id, WEBP, "image/webp");
    expect(second.status).toBe(200);
    expect(await env.MEDIA.head(firstKey)).toBeNull();
    expect((await fetchRaw(first.body.cover_url)).status).toBe(404);
    const served = await fetchRaw(second.body.cover_url);
    expect(served.headers.get("Content-Type")).toBe("image/webp");

    const removed = await api("DELETE", `/v1/events/${draft.id}/cover`, { token: organizer.token });
    expect(removed.body.cover_url).toBeNull();
    expect((await fetchRaw(second.body.cover_url)).status).toBe(404);
  });

  it("serves a draft's cover only through its versioned URL", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    const res = await putCover(organizer, draft.id, PNG);
    expect((await fetchRaw(res.body.cover_url)).status).toBe(200);
    expect((await fetchRaw(`/v1/events/${draft.id}/cover`)).status).toBe(404);
    expect((await fetchRaw(`/v1/events/${draft.id}/cover?v=guessed`)).status).toBe(404);
  });

  it("checks the content, the size and the caller", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    expectProblem(await putCover(organizer, draft.id, SVG), 415, "unsupported_media_type");
    expectProblem(await putCover(organizer, draft.id, new TextEncoder().encode("not an image")), 415);
    expectProblem(await putCover(organizer, draft.id, PNG, "image/svg+xml"), 415);
    const big = new Uint8Array(5 * MB + 1);
    big.set(PNG);
    expectProblem(await putCover(organizer, draft.id, big), 413, "payload_too_large");
    expect((await eventRow(draft.id))!.cover_image_key).toBeNull();

    expectProblem(await putCover(undefined, draft.id, big), 401);
    // A stranger (plain user or another organizer) never learns the draft exists; a member without `event.manage` is refused.
    expectProblem(await putCover(await registerUser(), draft.id, PNG), 404);
    expectProblem(await putCover(await registerOrganizer(), draft.id, PNG), 404);
    expectProblem(await putCover(await registerMember(organizer.organizationId, "FINANCE"), draft.id, PNG), 403);
  });

  it("refuses a new cover on a cancelled event", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin);
    await cancel(organizer, event.id);
    expectProblem(await putCover(organizer, event.id, PNG), 409, "event_not_editable");
    expect((await env.MEDIA.list({ prefix: `events/${event.id}/` })).objects).toEqual([]);
  });

  it("deletes the cover with its draft", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const draft = await createdDraft(organizer);
    await putCover(organizer, draft.id, PNG);
    const key = (await eventRow(draft.id))!.cover_image_key!;
    await api("DELETE", `/v1/events/${draft.id}`, { token: organizer.token });
    expect(await env.MEDIA.head(key)).toBeNull();
  });
});
