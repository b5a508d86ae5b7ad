import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { access_rights } from "../../src/access/schema.ts";
import { getDb } from "../../src/db/client.ts";
import { events, seats } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { audit_log } from "../../src/site/schema.ts";
import { api, expectProblem, registerAdmin, registerMember, registerOrganizer, registerUser, type ApiResponse } from "../support/api.ts";

const db = () => getDb(env.DB);

const unique = () => crypto.randomUUID().slice(0, 8);

async function newVenue(token: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", "/v1/venues", { token, body: { name: `Stade ${unique()}`, city: "Radès", country: "TN", timezone: "Africa/Tunis", ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; owner_id: string; organization_id: string | null; name: string };
}

async function newZone(token: string, venueId: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/v1/venues/${venueId}/zones`, { token, body: { name: `Zone ${unique()}`, category: "STANDARD", capacity: 500, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; code: string; name: string };
}

async function newGate(token: string, venueId: string, zoneIds: string[], body: Record<string, unknown> = {}) {
  const res = await api("POST", `/v1/venues/${venueId}/access-points`, { token, body: { code: `G_${unique()}`, name: "Porte", zone_ids: zoneIds, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; zone_ids: string[] };
}

async function insertEvent(organizerId: string, fields: Partial<typeof events.$inferInsert> = {}) {
  const id = newId();
  await db()
    .insert(events)
    .values({
      id,
      title: "Match",
      starts_at: "2030-01-01T18:00:00.000Z",
      ends_at: "2030-01-01T20:00:00.000Z",
      timezone: "Africa/Tunis",
      venue_name: "Stade",
      organizer_id: organizerId,
      created_by: organizerId,
      currency: "TND",
      ...fields,
    });
  return id;
}

/** An access right pointing at a zone (and seat): what makes them undeletable. */
async function insertAccessRight(userId: string, eventId: string, zoneId: string, seatId?: string) {
  await db()
    .insert(access_rights)
    .values({
      id: newId(),
      qr_code: `QR${unique()}`,
      user_id: userId,
      event_id: eventId,
      zone_id: zoneId,
      seat_id: seatId ?? null,
      source_type: "COMP",
      source_id: newId(),
      valid_from: "2030-01-01T16:00:00.000Z",
      valid_until: "2030-01-01T22:00:00.000Z",
    });
}

const trail = (objectId: string) => db().select().from(audit_log).where(eq(audit_log.object_id, objectId)).orderBy(audit_log.created_at);

function expectFieldError(res: ApiResponse, path: string) {
  const problem = expectProblem(res, 422, "validation_failed");
  expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
}

describe("venues", () => {
  it("lets an organizer create a venue they manage, audited", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token, { latitude: 36.7472, longitude: 10.2731, capacity: 60000, metadata: { surface: "grass" } });
    expect(venue).toMatchObject({ owner_id: org.id, organization_id: org.organizationId, is_active: true, capacity: 60000, timezone: "Africa/Tunis", metadata: { surface: "grass" } });
    const [entry] = await trail(venue.id);
    expect(entry).toMatchObject({ action: "CREATE", object_type: "venues", user_id: org.id, data_before: null });
    expect(entry!.data_after).toMatchObject({ name: venue.name });
  });

  it("refuses venue creation to plain users, members without catalog.manage and anonymous callers", async () => {
    const user = await registerUser();
    expectProblem(await api("POST", "/v1/venues", { token: user.token, body: { name: "X", timezone: "Africa/Tunis" } }), 403, "no_organization");
    const org = await registerOrganizer();
    const finance = await registerMember(org.organizationId, "FINANCE");
    expectProblem(await api("POST", "/v1/venues", { token: finance.token, body: { name: "X", timezone: "Africa/Tunis" } }), 403, "forbidden");
    // A MANAGER needs no platform role.
    const manager = await registerMember(org.organizationId, "MANAGER");
    expect((await newVenue(manager.token)).organization_id).toBe(org.organizationId);
    expectProblem(await api("POST", "/v1/venues", { body: { name: "X", timezone: "Africa/Tunis" } }), 401);
  });

  it("validates venue fields", async () => {
    const org = await registerOrganizer();
    const post = (body: Record<string, unknown>) => api("POST", "/v1/venues", { token: org.token, body: { name: "Salle", timezone: "Africa/Tunis", ...body } });
    expectFieldError(await post({ timezone: "Mars/Olympus" }), "timezone");
    expectFieldError(await post({ latitude: 36.7 }), "longitude");
    expectFieldError(await post({ latitude: 95, longitude: 10 }), "latitude");
    expectFieldError(await post({ country: "tn" }), "country");
    expectFieldError(await post({ capacity: 0 }), "capacity");
    expectFieldError(await post({ google_maps_url: "javascript:alert(1)" }), "google_maps_url");
    expectFieldError(await post({ is_verified: true }), "is_verified");
    expectFieldError(await post({ name: "   " }), "name");
  });

  it("rejects path ids that are not UUIDs", async () => {
    const org = await registerOrganizer();
    expectFieldError(await api("GET", "/v1/venues/1%20OR%201=1"), "param.venue_id");
    expectFieldError(await api("PATCH", "/v1/venues/abc/zones/def", { token: org.token, body: { capacity: 5 } }), "param.venue_id");
    expectFieldError(await api("GET", "/v1/event-groups/season-2025"), "param.group_id");
  });

  it("lets only admins choose another organization, or none (a platform venue)", async () => {
    const org = await registerOrganizer();
    const other = await registerOrganizer();
    expectFieldError(await api("POST", "/v1/venues", { token: org.token, body: { name: "Salle", timezone: "Africa/Tunis", organization_id: other.organizationId } }), "organization_id");
    expectProblem(await api("POST", "/v1/venues", { token: org.token, body: { name: "Salle", timezone: "Africa/Tunis", organization_id: null } }), 403, "forbidden");
    const admin = await registerAdmin();
    const venue = await newVenue(admin.token, { organization_id: other.organizationId });
    expect(venue).toMatchObject({ organization_id: other.organizationId, owner_id: admin.id });
    expect((await newVenue(admin.token)).organization_id).toBeNull();
    expectFieldError(await api("POST", "/v1/venues", { token: admin.token, body: { name: "Salle", timezone: "Africa/Tunis", organization_id: crypto.randomUUID() } }), "organization_id");
    // The organization it was given to manages it; only admins move it.
    expect((await api("PATCH", `/v1/venues/${venue.id}`, { token: other.token, body: { capacity: 100 } })).status).toBe(200);
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}`, { token: other.token, body: { organization_id: org.organizationId } }), 403);
  });

  it("lists active venues publicly, filtered by city and name, never inactive ones", async () => {
    const org = await registerOrganizer();
    const city = `Ville${unique()}`;
    const active = await newVenue(org.token, { city, name: `Palais ${unique()}` });
    const inactive = await newVenue(org.token, { city, is_active: false });
    const res = await api("GET", `/v1/venues?city=${city.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((v: { id: string }) => v.id)).toEqual([active.id]);
    const byName = await api("GET", `/v1/venues?q=${encodeURIComponent(active.name.slice(7))}`);
    expect(byName.body.data.map((v: { id: string }) => v.id)).toEqual([active.id]);
    const wildcard = await api("GET", `/v1/venues?city=${city}&q=%25`);
    expect(wildcard.body.data).toEqual([]);
    expect((await api("GET", `/v1/venues?city=${city}`, { token: org.token })).body.data.map((v: { id: string }) => v.id)).not.toContain(inactive.id);
  });

  it("lists my venues with mine=true, inactive included, and never another organizer's", async () => {
    const org = await registerOrganizer();
    const other = await registerOrganizer();
    const mine = await newVenue(org.token, { is_active: false });
    const theirs = await newVenue(other.token);
    const res = await api("GET", "/v1/venues?mine=true&limit=100", { token: org.token });
    const ids = res.body.data.map((v: { id: string }) => v.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expectProblem(await api("GET", "/v1/venues?mine=true"), 401);
  });

  it("shows inactive venues in lists only to admins asking for them", async () => {
    const org = await registerOrganizer();
    const city = `Ville${unique()}`;
    const inactive = await newVenue(org.token, { city, is_active: false });
    expectProblem(await api("GET", `/v1/venues?include_inactive=true`, { token: org.token }), 403, "forbidden");
    const admin = await registerAdmin();
    const res = await api("GET", `/v1/venues?include_inactive=true&city=${city}`, { token: admin.token });
    expect(res.body.data.map((v: { id: string }) => v.id)).toEqual([inactive.id]);
  });

  it("pages through venues with a cursor", async () => {
    const org = await registerOrganizer();
    const city = `Ville${unique()}`;
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await newVenue(org.token, { city, name: `Arena ${i}` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await api("GET", `/v1/venues?city=${city}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((v: { id: string }) => v.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(created.map((v) => v.id));
    expectFieldError(await api("GET", "/v1/venues?cursor=garbage"), "query.cursor");
  });

  it("shows a venue with its active zones and gates to everyone, and hides an inactive venue from the public", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const open = await newZone(org.token, venue.id, { name: "Tribune Nord" });
    const closed = await newZone(org.token, venue.id, { name: "Tribune Sud", is_active: false });
    const gate = await newGate(org.token, venue.id, [open.id, closed.id]);
    await newGate(org.token, venue.id, [open.id], { is_active: false });

    const pub = await api("GET", `/v1/venues/${venue.id}`);
    expect(pub.status).toBe(200);
    expect(pub.body.zones.map((z: { id: string }) => z.id)).toEqual([open.id]);
    expect(pub.body.access_points).toHaveLength(1);
    expect(pub.body.access_points[0]).toMatchObject({ id: gate.id, zone_ids: [open.id] });
    const own = await api("GET", `/v1/venues/${venue.id}`, { token: org.token });
    expect(own.body.zones).toHaveLength(2);
    expect(own.body.access_points).toHaveLength(2);

    await api("PATCH", `/v1/venues/${venue.id}`, { token: org.token, body: { is_active: false } });
    expectProblem(await api("GET", `/v1/venues/${venue.id}`), 404, "not_found");
    const other = await registerOrganizer();
    expectProblem(await api("GET", `/v1/venues/${venue.id}`, { token: other.token }), 404, "not_found");
    expectProblem(await api("GET", `/v1/venues/${venue.id}/zones`), 404, "not_found");
    expectProblem(await api("GET", `/v1/venues/${venue.id}/access-points`), 404, "not_found");
    expectProblem(await api("GET", `/v1/venues/${venue.id}/zones/${open.id}/seats`), 404, "not_found");
    expect((await api("GET", `/v1/venues/${venue.id}`, { token: org.token })).status).toBe(200);
    const admin = await registerAdmin();
    expect((await api("GET", `/v1/venues/${venue.id}`, { token: admin.token })).status).toBe(200);
  });

  it("updates a venue with its before and after state in the audit log", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token, { capacity: 1000 });
    const res = await api("PATCH", `/v1/venues/${venue.id}`, { token: org.token, body: { capacity: 1200, address: null }, headers: { "User-Agent": "dashboard-test" }, ip: "41.226.11.9" });
    expect(res.status).toBe(200);
    expect(res.body.capacity).toBe(1200);
    const update = (await trail(venue.id)).find((e) => e.action === "UPDATE");
    expect(update).toMatchObject({ user_id: org.id, ip_address: "41.226.11.9", user_agent: "dashboard-test" });
    expect(update!.data_before).toMatchObject({ capacity: 1000 });
    expect(update!.data_after).toMatchObject({ capacity: 1200 });
  });

  it("answers 404 to another organizer on every venue write, and lets admins through", async () => {
    const owner = await registerOrganizer();
    const other = await registerOrganizer();
    const venue = await newVenue(owner.token);
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}`, { token: other.token, body: { name: "Volé" } }), 404, "not_found");
    expectProblem(await api("DELETE", `/v1/venues/${venue.id}`, { token: other.token }), 404, "not_found");
    expectProblem(await api("POST", `/v1/venues/${venue.id}/zones`, { token: other.token, body: { name: "Z", category: "VIP", capacity: 10 } }), 404, "not_found");
    const admin = await registerAdmin();
    const res = await api("PATCH", `/v1/venues/${venue.id}`, { token: admin.token, body: { name: "Renommé par l'admin" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Renommé par l'admin", owner_id: owner.id, organization_id: owner.organizationId });
    // Members of the organization without `catalog.manage` are refused, not misled.
    const controller = await registerMember(owner.organizationId, "CONTROLLER");
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}`, { token: controller.token, body: { name: "Volé" } }), 403, "forbidden");
    expectProblem(await api("POST", `/v1/venues/${venue.id}/zones`, { token: controller.token, body: { name: "Z", category: "VIP", capacity: 10 } }), 403);
    expectProblem(await api("PATCH", `/v1/venues/${newId()}`, { token: admin.token, body: { name: "X" } }), 404, "not_found");
  });

  it("refuses to delete a venue events take place at, and deletes an unused one", async () => {
    const org = await registerOrganizer();
    const used = await newVenue(org.token);
    await insertEvent(org.id, { venue_id: used.id });
    expectProblem(await api("DELETE", `/v1/venues/${used.id}`, { token: org.token }), 409, "venue_in_use");
    expect((await api("GET", `/v1/venues/${used.id}`)).status).toBe(200);

    const unused = await newVenue(org.token);
    const zone = await newZone(org.token, unused.id);
    await newGate(org.token, unused.id, [zone.id]);
    expect((await api("DELETE", `/v1/venues/${unused.id}`, { token: org.token })).status).toBe(204);
    expectProblem(await api("GET", `/v1/venues/${unused.id}`), 404);
    const entries = await trail(unused.id);
    expect(entries.at(-1)).toMatchObject({ action: "DELETE", data_after: null });
  });
});

describe("zones", () => {
  it("creates a zone with a code derived from its name", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const zone = await newZone(org.token, venue.id, { name: "Tribune d'Honneur Nord", category: "VIP", capacity: 1200 });
    expect(zone).toMatchObject({ code: "tribune_d_honneur_nord", category: "VIP", capacity: 1200, venue_id: venue.id, is_seated: false });
    expect((await trail(zone.id))[0]).toMatchObject({ action: "CREATE", object_type: "venue_zones" });
  });

  it("validates zones: capacity, category, code", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const post = (body: Record<string, unknown>) => api("POST", `/v1/venues/${venue.id}/zones`, { token: org.token, body: { name: "Z", category: "STANDARD", capacity: 10, ...body } });
    expectFieldError(await post({ capacity: 0 }), "capacity");
    expectFieldError(await post({ capacity: -5 }), "capacity");
    expectFieldError(await post({ capacity: 1.5 }), "capacity");
    expectFieldError(await post({ category: "ULTRA" }), "category");
    expectFieldError(await post({ code: "Bad Code" }), "code");
    expectFieldError(await post({ name: "المنصة" }), "code");
    expectFieldError(await post({ venue_id: newId() }), "venue_id");
  });

  it("keeps zone names and codes unique per venue", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    await newZone(org.token, venue.id, { name: "Virage Est", code: "virage_est" });
    expectProblem(await api("POST", `/v1/venues/${venue.id}/zones`, { token: org.token, body: { name: "VIRAGE EST", category: "BASIC", capacity: 10, code: "autre" } }), 409, "zone_name_taken");
    expectProblem(await api("POST", `/v1/venues/${venue.id}/zones`, { token: org.token, body: { name: "Autre", category: "BASIC", capacity: 10, code: "virage_est" } }), 409, "zone_code_taken");
    // The same name is fine at another venue.
    const other = await newVenue(org.token);
    await newZone(org.token, other.id, { name: "Virage Est" });
    const second = await newZone(org.token, venue.id, { name: "Virage Ouest" });
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}/zones/${second.id}`, { token: org.token, body: { name: "virage est" } }), 409, "zone_name_taken");
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}/zones/${second.id}`, { token: org.token, body: { code: "virage_est" } }), 409, "zone_code_taken");
  });

  it("lists zones with a category filter and pagination; inactive ones only for the manager", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    await newZone(org.token, venue.id, { code: "a_vip", category: "VIP" });
    await newZone(org.token, venue.id, { code: "b_std" });
    await newZone(org.token, venue.id, { code: "c_std" });
    const hidden = await newZone(org.token, venue.id, { code: "d_std", is_active: false });
    const first = await api("GET", `/v1/venues/${venue.id}/zones?limit=2`);
    expect(first.body.data.map((z: { code: string }) => z.code)).toEqual(["a_vip", "b_std"]);
    const second = await api("GET", `/v1/venues/${venue.id}/zones?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ data: [{ code: "c_std" }], next_cursor: null });
    expect((await api("GET", `/v1/venues/${venue.id}/zones?category=VIP`)).body.data.map((z: { code: string }) => z.code)).toEqual(["a_vip"]);
    expect((await api("GET", `/v1/venues/${venue.id}/zones?limit=10`, { token: org.token })).body.data).toHaveLength(4);
    expectProblem(await api("GET", `/v1/venues/${venue.id}/zones/${hidden.id}`), 404);
    expect((await api("GET", `/v1/venues/${venue.id}/zones/${hidden.id}`, { token: org.token })).status).toBe(200);
  });

  it("does not reach a zone through another venue's path", async () => {
    const org = await registerOrganizer();
    const venueA = await newVenue(org.token);
    const venueB = await newVenue(org.token);
    const zone = await newZone(org.token, venueA.id);
    expectProblem(await api("GET", `/v1/venues/${venueB.id}/zones/${zone.id}`), 404);
    expectProblem(await api("PATCH", `/v1/venues/${venueB.id}/zones/${zone.id}`, { token: org.token, body: { capacity: 9 } }), 404);
    expectProblem(await api("DELETE", `/v1/venues/${venueB.id}/zones/${zone.id}`, { token: org.token }), 404);
  });

  it("isolates zones between organizers, with admin override", async () => {
    const owner = await registerOrganizer();
    const other = await registerOrganizer();
    const venue = await newVenue(owner.token);
    const zone = await newZone(owner.token, venue.id);
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}/zones/${zone.id}`, { token: other.token, body: { capacity: 1 } }), 404);
    expectProblem(await api("DELETE", `/v1/venues/${venue.id}/zones/${zone.id}`, { token: other.token }), 404);
    const admin = await registerAdmin();
    const res = await api("PATCH", `/v1/venues/${venue.id}/zones/${zone.id}`, { token: admin.token, body: { capacity: 750, category: "PREMIUM" } });
    expect(res.body).toMatchObject({ capacity: 750, category: "PREMIUM" });
    const update = (await trail(zone.id)).find((e) => e.action === "UPDATE");
    expect(update).toMatchObject({ user_id: admin.id });
    expect(update!.data_before).toMatchObject({ capacity: 500, category: "STANDARD" });
    expect(update!.data_after).toMatchObject({ capacity: 750, category: "PREMIUM" });
  });

  it("keeps a zone's capacity above its number of seats", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const zone = await newZone(org.token, venue.id, { capacity: 20 });
    await api("POST", `/v1/venues/${venue.id}/zones/${zone.id}/seats`, { token: org.token, body: { generate: { section: "A", rows: ["1"], seats_per_row: 10 } } });
    expectProblem(await api("PATCH", `/v1/venues/${venue.id}/zones/${zone.id}`, { token: org.token, body: { capacity: 9 } }), 409, "zone_capacity_below_seats");
    expect((await api("PATCH", `/v1/venues/${venue.id}/zones/${zone.id}`, { token: org.token, body: { capacity: 10 } })).status).toBe(200);
  });

  it("deletes an unused zone with its seats, and refuses one an access right points at", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const free = await newZone(org.token, venue.id);
    await api("POST", `/v1/venues/${venue.id}/zones/${free.id}/seats`, { token: org.token, body: { seats: [{ section: "A", row: "1", number: "1" }] } });
    expect((await api("DELETE", `/v1/venues/${venue.id}/zones/${free.id}`, { token: org.token })).status).toBe(204);
    expect(await db().select().from(seats).where(eq(seats.zone_id, free.id))).toEqual([]);

    const used = await newZone(org.token, venue.id);
    const eventId = await insertEvent(org.id);
    await insertAccessRight(org.id, eventId, used.id);
    expectProblem(await api("DELETE", `/v1/venues/${venue.id}/zones/${used.id}`, { token: org.token }), 409, "zone_in_use");
    expect((await api("GET", `/v1/venues/${venue.id}/zones/${used.id}`)).status).toBe(200);
    // Nor can the venue go, with it.
    expectProblem(await api("DELETE", `/v1/venues/${venue.id}`, { token: org.token }), 409, "venue_in_use");
  });
});

describe("seats", () => {
  async function seatedZone(capacity = 20_000) {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const zone = await newZone(org.token, venue.id, { capacity });
    return { org, venue, zone, path: `/v1/venues/${venue.id}/zones/${zone.id}/seats` };
  }

  it("creates a list of seats and lists them by section, row and number", async () => {
    const { org, path } = await seatedZone();
    const res = await api("POST", path, {
      token: org.token,
      body: { seats: [{ section: "H", row: "A", number: "10" }, { section: "H", row: "A", number: "2" }, { section: "H", row: "A", number: "1", is_accessible: true }] },
    });
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(3);
    const list = await api("GET", path);
    expect(list.body.data.map((s: { number: string }) => s.number)).toEqual(["1", "10", "2"]);
    expect(list.body.data[0]).toMatchObject({ section: "H", row: "A", is_accessible: true, is_active: true });
  });

  it("generates seats from a row range and pages through all of them", async () => {
    const { org, path, venue, zone } = await seatedZone();
    const res = await api("POST", path, { token: org.token, body: { generate: { section: "B", rows: { from: "A", to: "C" }, seats_per_row: 12, accessible_rows: ["A"] } } });
    expect(res.body).toEqual({ zone_id: zone.id, created: 36 });
    const numeric = await api("POST", path, { token: org.token, body: { generate: { section: "C", rows: { from: "8", to: "11" }, seats_per_row: 2, first_number: 101 } } });
    expect(numeric.body.created).toBe(8);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await api("GET", `${path}?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.body.data.map((s: { section: string; row: string; number: string }) => `${s.section}-${s.row}-${s.number}`));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(44);
    expect(new Set(seen).size).toBe(44);
    expect(seen.slice(0, 3)).toEqual(["B-A-1", "B-A-10", "B-A-11"]);
    expect(seen.slice(36, 40)).toEqual(["C-10-101", "C-10-102", "C-11-101", "C-11-102"]);
    const rowC = await api("GET", `${path}?section=B&row=C&limit=100`);
    expect(rowC.body.data).toHaveLength(12);
    const accessible = await api("GET", `${path}?section=B&row=A&limit=100`);
    expect(accessible.body.data.every((s: { is_accessible: boolean }) => s.is_accessible)).toBe(true);
    // The zone is now seated, and its audit trail records the creation once per request.
    expect((await api("GET", `/v1/venues/${venue.id}/zones/${zone.id}`)).body.is_seated).toBe(true);
    const entries = (await trail(zone.id)).filter((e) => e.action === "UPDATE");
    expect(entries).toHaveLength(2);
    expect(entries[0]!.description).toContain("CREATE 36 seats");
  });

  it("creates 10,000 seats in one request", async () => {
    const { org, path, zone } = await seatedZone(10_000);
    const res = await api("POST", path, { token: org.token, body: { generate: { section: "N", rows: { from: "1", to: "100" }, seats_per_row: 100 } } });
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(10_000);
    const [{ n }] = (await env.DB.prepare("SELECT count(*) AS n FROM seats WHERE zone_id = ?").bind(zone.id).all<{ n: number }>()).results as [{ n: number }];
    expect(n).toBe(10_000);
  });

  it("refuses more than 10,000 seats in one request", async () => {
    const { org, path } = await seatedZone();
    expectFieldError(await api("POST", path, { token: org.token, body: { generate: { section: "N", rows: { from: "1", to: "101" }, seats_per_row: 100 } } }), "generate");
    expectFieldError(await api("POST", path, { token: org.token, body: { generate: { section: "N", rows: ["A"], seats_per_row: 10_001 } } }), "generate.seats_per_row");
    expect((await api("GET", path)).body.data).toEqual([]);
  });

  it("validates seat bodies", async () => {
    const { org, path } = await seatedZone();
    const post = (body: unknown) => api("POST", path, { token: org.token, body });
    expectFieldError(await post({}), "body");
    expectFieldError(await post({ seats: [{ section: "A", row: "1", number: "1" }], generate: { section: "A", rows: ["1"], seats_per_row: 1 } }), "body");
    expectFieldError(await post({ seats: [] }), "seats");
    expectFieldError(await post({ seats: [{ section: "A", row: "1" }] }), "seats.0.number");
    expectFieldError(await post({ seats: [{ section: "A", row: "1", number: "<script>" }] }), "seats.0.number");
    expectFieldError(await post({ generate: { section: "A", rows: { from: "F", to: "A" }, seats_per_row: 1 } }), "generate.rows.to");
    expectFieldError(await post({ generate: { section: "A", rows: { from: "A", to: "9" }, seats_per_row: 1 } }), "generate.rows.from");
    expectFieldError(await post({ generate: { section: "A", rows: ["1"], seats_per_row: 0 } }), "generate.seats_per_row");
  });

  it("names the first duplicate seat, in the request or in the zone, and creates none", async () => {
    const { org, path } = await seatedZone();
    const twice = await api("POST", path, { token: org.token, body: { seats: [{ section: "A", row: "1", number: "1" }, { section: "A", row: "1", number: "2" }, { section: "A", row: "1", number: "1" }] } });
    expect(expectProblem(twice, 409, "duplicate_seat").detail).toContain("section A, row 1, seat 1");
    await api("POST", path, { token: org.token, body: { seats: [{ section: "A", row: "2", number: "5" }, { section: "A", row: "3", number: "7" }] } });
    const clash = await api("POST", path, { token: org.token, body: { generate: { section: "A", rows: { from: "1", to: "3" }, seats_per_row: 10 } } });
    expect(expectProblem(clash, 409, "duplicate_seat").detail).toContain("section A, row 2, seat 5");
    expect((await api("GET", `${path}?limit=100`)).body.data).toHaveLength(2);
  });

  it("never puts more seats in a zone than its capacity", async () => {
    const { org, path } = await seatedZone(30);
    expectProblem(await api("POST", path, { token: org.token, body: { generate: { section: "A", rows: ["1", "2", "3", "4"], seats_per_row: 8 } } }), 409, "zone_capacity_exceeded");
    expect((await api("POST", path, { token: org.token, body: { generate: { section: "A", rows: ["1", "2", "3"], seats_per_row: 10 } } })).status).toBe(201);
    expectProblem(await api("POST", path, { token: org.token, body: { seats: [{ section: "B", row: "1", number: "1" }] } }), 409, "zone_capacity_exceeded");
  });

  it("isolates seats between organizers and lets admins manage them", async () => {
    const { org, path, venue } = await seatedZone();
    const other = await registerOrganizer();
    expectProblem(await api("POST", path, { token: other.token, body: { seats: [{ section: "A", row: "1", number: "1" }] } }), 404);
    const admin = await registerAdmin();
    expect((await api("POST", path, { token: admin.token, body: { seats: [{ section: "A", row: "1", number: "1" }] } })).status).toBe(201);
    const seat = (await api("GET", path)).body.data[0];
    expectProblem(await api("DELETE", `${path}/${seat.id}`, { token: other.token }), 404);
    // A seat id reached through another zone of one's own is not found either.
    const ownZone = await newZone(org.token, venue.id);
    expectProblem(await api("DELETE", `/v1/venues/${venue.id}/zones/${ownZone.id}/seats/${seat.id}`, { token: org.token }), 404);
    expect((await api("DELETE", `${path}/${seat.id}`, { token: org.token })).status).toBe(204);
    expectProblem(await api("DELETE", `${path}/${seat.id}`, { token: org.token }), 404);
    expect((await trail(seat.id)).map((e) => e.action)).toEqual(["DELETE"]);
  });

  it("refuses to delete a seat an access right holds", async () => {
    const { org, path, zone } = await seatedZone();
    await api("POST", path, { token: org.token, body: { seats: [{ section: "A", row: "1", number: "1" }] } });
    const seat = (await api("GET", path)).body.data[0];
    await insertAccessRight(org.id, await insertEvent(org.id), zone.id, seat.id);
    expectProblem(await api("DELETE", `${path}/${seat.id}`, { token: org.token }), 409, "seat_in_use");
    expect(await db().select().from(seats).where(and(eq(seats.id, seat.id)))).toHaveLength(1);
  });
});

describe("access points", () => {
  it("creates a gate opening onto zones of its venue", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const a = await newZone(org.token, venue.id);
    const b = await newZone(org.token, venue.id);
    const res = await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "GATE_A", name: "Porte A", zone_ids: [a.id, b.id], latitude: 36.7, longitude: 10.2 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ code: "GATE_A", direction: "BOTH", venue_id: venue.id, zone_ids: [a.id, b.id].sort() });
    const got = await api("GET", `/v1/venues/${venue.id}/access-points/${res.body.id}`);
    expect(got.body.zone_ids).toEqual([a.id, b.id].sort());
    const [entry] = await trail(res.body.id);
    expect(entry).toMatchObject({ action: "CREATE", object_type: "access_points" });
    expect(entry!.description).toContain(a.id);
  });

  it("refuses a gate onto another venue's zone, naming it", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const mine = await newZone(org.token, venue.id);
    const elsewhere = await newZone(org.token, (await newVenue(org.token)).id);
    const res = await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "G1", name: "Porte", zone_ids: [mine.id, elsewhere.id] } });
    expectFieldError(res, "zone_ids.1");
    expectFieldError(await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "G1", name: "Porte", zone_ids: [newId()] } }), "zone_ids.0");
    expectFieldError(await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "G1", name: "Porte", zone_ids: [] } }), "zone_ids");
    expectFieldError(await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "G1", name: "Porte", zone_ids: [mine.id, mine.id] } }), "zone_ids");
    expectFieldError(await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "G1", name: "Porte", zone_ids: [mine.id], direction: "SIDEWAYS" } }), "direction");
    expect((await api("GET", `/v1/venues/${venue.id}/access-points`, { token: org.token })).body.data).toEqual([]);
  });

  it("keeps gate codes unique per venue", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const zone = await newZone(org.token, venue.id);
    await newGate(org.token, venue.id, [zone.id], { code: "NORD" });
    expectProblem(await api("POST", `/v1/venues/${venue.id}/access-points`, { token: org.token, body: { code: "NORD", name: "Autre", zone_ids: [zone.id] } }), 409, "access_point_code_taken");
  });

  it("replaces a gate's zones and direction, audited, only by who manages the venue", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const a = await newZone(org.token, venue.id);
    const b = await newZone(org.token, venue.id);
    const gate = await newGate(org.token, venue.id, [a.id]);
    const path = `/v1/venues/${venue.id}/access-points/${gate.id}`;
    const other = await registerOrganizer();
    expectProblem(await api("PATCH", path, { token: other.token, body: { direction: "EXIT" } }), 404);
    expectFieldError(await api("PATCH", path, { token: org.token, body: { zone_ids: [(await newZone(org.token, (await newVenue(org.token)).id)).id] } }), "zone_ids.0");
    const res = await api("PATCH", path, { token: org.token, body: { zone_ids: [b.id], direction: "ENTRY" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ direction: "ENTRY", zone_ids: [b.id] });
    const update = (await trail(gate.id)).find((e) => e.action === "UPDATE");
    expect(update!.data_before).toMatchObject({ direction: "BOTH" });
    expect(update!.data_after).toMatchObject({ direction: "ENTRY" });
    expect(update!.description).toContain(`${a.id} → ${b.id}`);
    const admin = await registerAdmin();
    expect((await api("PATCH", path, { token: admin.token, body: { name: "Porte principale" } })).body).toMatchObject({ name: "Porte principale", zone_ids: [b.id] });
  });

  it("lists only active gates publicly and deletes them", async () => {
    const org = await registerOrganizer();
    const venue = await newVenue(org.token);
    const zone = await newZone(org.token, venue.id);
    const open = await newGate(org.token, venue.id, [zone.id], { code: "A" });
    const closed = await newGate(org.token, venue.id, [zone.id], { code: "B", is_active: false });
    expect((await api("GET", `/v1/venues/${venue.id}/access-points`)).body.data.map((g: { id: string }) => g.id)).toEqual([open.id]);
    expectProblem(await api("GET", `/v1/venues/${venue.id}/access-points/${closed.id}`), 404);
    const own = await api("GET", `/v1/venues/${venue.id}/access-points?limit=1`, { token: org.token });
    expect(own.body.data.map((g: { id: string }) => g.id)).toEqual([open.id]);
    expect((await api("GET", `/v1/venues/${venue.id}/access-points?limit=1&cursor=${own.body.next_cursor}`, { token: org.token })).body.data[0].id).toBe(closed.id);
    const other = await registerOrganizer();
    expectProblem(await api("DELETE", `/v1/venues/${venue.id}/access-points/${open.id}`, { token: other.token }), 404);
    expect((await api("DELETE", `/v1/venues/${venue.id}/access-points/${open.id}`, { token: org.token })).status).toBe(204);
    expectProblem(await api("GET", `/v1/venues/${venue.id}/access-points/${open.id}`), 404);
  });
});

describe("event groups", () => {
  const groupBody = (over: Record<string, unknown> = {}) => ({ code: `L1-${unique()}`, name: `Ligue 1 ${unique()}`, group_type: "SEASON", sport: "football", season: "2025-2026", starts_on: "2025-08-01", ends_on: "2026-05-31", ...over });

  async function newGroup(token: string, over: Record<string, unknown> = {}) {
    const res = await api("POST", "/v1/event-groups", { token, body: groupBody(over) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; code: string; name: string };
  }

  it("creates a season owned by the organizer, with unique codes", async () => {
    const org = await registerOrganizer();
    const group = await newGroup(org.token, { code: "CHAMP-2025" });
    expect(group).toMatchObject({ organizer_id: org.id, organization_id: org.organizationId, events_count: 0, is_active: true, season: "2025-2026" });
    expectProblem(await api("POST", "/v1/event-groups", { token: org.token, body: groupBody({ code: "CHAMP-2025" }) }), 409, "event_group_code_taken");
    expectProblem(await api("POST", "/v1/event-groups", { token: (await registerUser()).token, body: groupBody() }), 403);
    expect((await trail(group.id))[0]).toMatchObject({ action: "CREATE", object_type: "event_groups" });
  });

  it("validates dates", async () => {
    const org = await registerOrganizer();
    expectFieldError(await api("POST", "/v1/event-groups", { token: org.token, body: groupBody({ starts_on: "2026-01-01", ends_on: "2025-01-01" }) }), "ends_on");
    expectFieldError(await api("POST", "/v1/event-groups", { token: org.token, body: groupBody({ starts_on: "2026-02-30" }) }), "starts_on");
    expectFieldError(await api("POST", "/v1/event-groups", { token: org.token, body: groupBody({ group_type: "LEAGUE" }) }), "group_type");
    const group = await newGroup(org.token);
    expectFieldError(await api("PATCH", `/v1/event-groups/${group.id}`, { token: org.token, body: { ends_on: "2025-07-01" } }), "ends_on");
  });

  it("lists active groups publicly with their published events count", async () => {
    const org = await registerOrganizer();
    const name = `Coupe ${unique()}`;
    const group = await newGroup(org.token, { name });
    const hidden = await newGroup(org.token, { name: `${name} (archive)`, is_active: false });
    await insertEvent(org.id, { event_group_id: group.id, status: "APPROVED" });
    await insertEvent(org.id, { event_group_id: group.id, status: "COMPLETED" });
    await insertEvent(org.id, { event_group_id: group.id, status: "DRAFT" });
    const res = await api("GET", `/v1/event-groups?q=${encodeURIComponent(name)}`);
    expect(res.body.data.map((g: { id: string; events_count: number }) => [g.id, g.events_count])).toEqual([[group.id, 2]]);
    expect((await api("GET", `/v1/event-groups/${group.id}`)).body.events_count).toBe(2);
    expectProblem(await api("GET", `/v1/event-groups/${hidden.id}`), 404);
    expect((await api("GET", `/v1/event-groups/${hidden.id}`, { token: org.token })).status).toBe(200);
    const mine = await api("GET", "/v1/event-groups?mine=true&limit=100", { token: org.token });
    expect(mine.body.data.map((g: { id: string }) => g.id).sort()).toEqual([group.id, hidden.id].sort());
    expect((await api("GET", "/v1/event-groups?mine=true", { token: (await registerOrganizer()).token })).body.data).toEqual([]);
  });

  it("isolates groups between organizers, with admin override and audit", async () => {
    const owner = await registerOrganizer();
    const other = await registerOrganizer();
    const group = await newGroup(owner.token, { is_active: false });
    expectProblem(await api("GET", `/v1/event-groups/${group.id}`, { token: other.token }), 404);
    expectProblem(await api("PATCH", `/v1/event-groups/${group.id}`, { token: other.token, body: { name: "Volé" } }), 404);
    expectProblem(await api("DELETE", `/v1/event-groups/${group.id}`, { token: other.token }), 404);
    expectProblem(await api("PATCH", `/v1/event-groups/${group.id}`, { token: owner.token, body: { organization_id: other.organizationId } }), 403);
    const admin = await registerAdmin();
    const res = await api("PATCH", `/v1/event-groups/${group.id}`, { token: admin.token, body: { is_active: true, organization_id: other.organizationId } });
    expect(res.body).toMatchObject({ is_active: true, organization_id: other.organizationId });
    const update = (await trail(group.id)).find((e) => e.action === "UPDATE");
    expect(update!.data_before).toMatchObject({ is_active: false, organization_id: owner.organizationId });
    expect(update!.data_after).toMatchObject({ is_active: true, organization_id: other.organizationId });
    // Now the other organizer manages it, and the former owner no longer does.
    expect((await api("PATCH", `/v1/event-groups/${group.id}`, { token: other.token, body: { sport: "handball" } })).status).toBe(200);
    expectProblem(await api("PATCH", `/v1/event-groups/${group.id}`, { token: owner.token, body: { sport: "rugby" } }), 404);
  });

  it("refuses to delete a group with events, and deletes an empty one", async () => {
    const org = await registerOrganizer();
    const used = await newGroup(org.token);
    await insertEvent(org.id, { event_group_id: used.id });
    expectProblem(await api("DELETE", `/v1/event-groups/${used.id}`, { token: org.token }), 409, "event_group_in_use");
    const empty = await newGroup(org.token);
    expect((await api("DELETE", `/v1/event-groups/${empty.id}`, { token: org.token })).status).toBe(204);
    expectProblem(await api("GET", `/v1/event-groups/${empty.id}`, { token: org.token }), 404);
  });
});
