import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { event_categories, event_groups, venues } from "../../src/events/schema.ts";
import { api, eventInput, expectProblem, publishEvent, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const at = (offset: number) => new Date(Date.now() + offset).toISOString();
/** An event `days` from now, lasting three hours. */
const when = (days: number) => ({ starts_at: at(days * DAY), ends_at: at(days * DAY + 3 * HOUR) });

const CITIES = {
  cotonou: { latitude: 6.3654, longitude: 2.4183 },
  portoNovo: { latitude: 6.4969, longitude: 2.6289 },
  tunis: { latitude: 36.8065, longitude: 10.1815 },
};

type Caller = { token: string; id: string };
const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((event) => event.id);

async function setup() {
  return { admin: await registerAdmin(), organizer: await registerOrganizer({ plan: null }) };
}

const list = (query: string, caller?: { token: string }) => api("GET", `/v1/events?${query}`, { token: caller?.token });

/** Lists this organizer's published events only, so tests sharing the database do not see each other. */
const listOf = (organizer: Caller, query = "") => list(`organizer_id=${organizer.id}${query ? `&${query}` : ""}`);

async function walk(organizer: Caller, query: string) {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await listOf(organizer, `${query}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    seen.push(...ids(res));
    cursor = res.body.next_cursor;
  } while (cursor);
  return seen;
}

// ---------------------------------------------------------------- listing

describe("public listing", () => {
  it("lists approved events only, soonest first", async () => {
    const { admin, organizer } = await setup();
    const later = await publishEvent(organizer, admin, when(9));
    const sooner = await publishEvent(organizer, admin, when(3));
    await api("POST", "/v1/events", { token: organizer.token, body: eventInput(when(4)) });
    const pending = await api("POST", "/v1/events", { token: organizer.token, body: eventInput(when(5)) });
    await api("POST", `/v1/events/${pending.body.id}/submit`, { token: organizer.token });
    const cancelled = await publishEvent(organizer, admin, when(6));
    await api("POST", `/v1/events/${cancelled.id}/cancel`, { token: organizer.token, body: { reason: "Annulé" } });

    const res = await listOf(organizer);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([sooner.id, later.id]);
    expect(res.body.data[0]).toMatchObject({ status: "APPROVED", distance_km: null });
    expect(res.body.data[0]).not.toHaveProperty("review_comment");
    // The organizer sees nothing more in the public listing.
    expect(ids(await list(`organizer_id=${organizer.id}`, organizer))).toEqual([sooner.id, later.id]);
  });

  it("pages with a cursor without gaps or repeats", async () => {
    const { admin, organizer } = await setup();
    const created: { id: string; starts_at: string }[] = [];
    for (const days of [5, 2, 8, 2, 3]) created.push(await publishEvent(organizer, admin, when(days)));
    const seen = await walk(organizer, "sort=starts_at");
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const starts = seen.map((id) => created.find((event) => event.id === id)!.starts_at);
    expect([...starts].sort()).toEqual(starts);
  });

  it("filters by category, group, venue, price and dates", async () => {
    const { admin, organizer } = await setup();
    const db = getDb(env.DB);
    const [category, group, venue] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await db.insert(event_categories).values({ id: category, name: `Concerts ${category.slice(0, 6)}` });
    await db.insert(event_groups).values({ id: group, code: `S-${group.slice(0, 8)}`, name: "Saison", organizer_id: organizer.id, organization_id: organizer.organizationId });
    await db.insert(venues).values({ id: venue, name: "Canal Olympia", timezone: "Africa/Porto-Novo", owner_id: organizer.id, organization_id: organizer.organizationId });

    const concert = await publishEvent(organizer, admin, { ...when(2), category_id: category });
    const match = await publishEvent(organizer, admin, { ...when(10), event_group_id: group, access_type: "PAID", price: 2000 });
    const atVenue = await publishEvent(organizer, admin, { ...when(20), venue_id: venue });

    expect(ids(await listOf(organizer, `category_id=${category}`))).toEqual([concert.id]);
    expect(ids(await listOf(organizer, `event_group_id=${group}`))).toEqual([match.id]);
    expect(ids(await listOf(organizer, `venue_id=${venue}`))).toEqual([atVenue.id]);
    expect(ids(await list(`organization_id=${organizer.organizationId}&sort=starts_at`))).toEqual([concert.id, match.id, atVenue.id]);
    expect(ids(await listOf(organizer, "is_free=false"))).toEqual([match.id]);
    expect(ids(await listOf(organizer, "is_free=true"))).toEqual([concert.id, atVenue.id]);
    expect(ids(await listOf(organizer, `from=${encodeURIComponent(at(5 * DAY))}&to=${encodeURIComponent(at(15 * DAY))}`))).toEqual([match.id]);
    expect(ids(await listOf(organizer, `to=${encodeURIComponent(at(3 * DAY))}`))).toEqual([concert.id]);
  });

  it("refuses invalid queries with 422", async () => {
    for (const query of [
      "lat=6.3",
      "lng=2.4",
      "radius_km=5",
      "lat=91&lng=2",
      "lat=6&lng=2&radius_km=0",
      "lat=6&lng=2&radius_km=501",
      "sort=relevance",
      "sort=distance",
      "sort=random",
      "is_free=yes",
      "category_id=1%20OR%201=1",
      "from=yesterday",
      `from=${encodeURIComponent(at(2 * DAY))}&to=${encodeURIComponent(at(DAY))}`,
      "limit=0",
      "limit=101",
      "cursor=not-a-cursor",
      "q=%22%2A%28%29",
    ]) {
      expectProblem(await list(query), 422);
    }
  });

  it("refuses a cursor from another sort order", async () => {
    const { admin, organizer } = await setup();
    await publishEvent(organizer, admin, { ...when(2), title: "Marathon de Cotonou" });
    await publishEvent(organizer, admin, { ...when(3), title: "Marathon de Porto-Novo" });
    const page = await listOf(organizer, "limit=1");
    expectProblem(await listOf(organizer, `q=marathon&limit=1&cursor=${page.body.next_cursor}`), 422);
  });
});

// ---------------------------------------------------------------- full-text search

describe("full-text search", () => {
  it("ranks a title match above a description match", async () => {
    const { admin, organizer } = await setup();
    const inDescription = await publishEvent(organizer, admin, { ...when(2), title: "Soirée lagunaire", description: "Avec un concert de kora en fin de soirée." });
    const inTitle = await publishEvent(organizer, admin, { ...when(9), title: "Concert de kora", description: "Musique mandingue." });
    await publishEvent(organizer, admin, { ...when(4), title: "Foire artisanale", description: "Tissus et poteries." });

    const res = await listOf(organizer, "q=kora");
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([inTitle.id, inDescription.id]);
    // Asked for by date, the same matches come soonest first.
    expect(ids(await listOf(organizer, "q=kora&sort=starts_at"))).toEqual([inDescription.id, inTitle.id]);
  });

  it("ignores accents both ways and matches word prefixes", async () => {
    const { admin, organizer } = await setup();
    const accented = await publishEvent(organizer, admin, { ...when(2), title: "Grand Événement Culturel" });
    const plain = await publishEvent(organizer, admin, { ...when(3), title: "Petit evenement sportif" });
    expect(ids(await listOf(organizer, "q=evenement&sort=starts_at"))).toEqual([accented.id, plain.id]);
    expect(ids(await listOf(organizer, `q=${encodeURIComponent("ÉVÉNEMENT")}&sort=starts_at`))).toEqual([accented.id, plain.id]);
    expect(ids(await listOf(organizer, "q=cultur"))).toEqual([accented.id]);
    // Every word is required.
    expect(ids(await listOf(organizer, "q=evenement%20sportif"))).toEqual([plain.id]);
  });

  it("searches the short description too", async () => {
    const { admin, organizer } = await setup();
    const event = await publishEvent(organizer, admin, { ...when(2), title: "Nuit blanche", short_description: "Vodoun jazz et afrobeat" });
    expect(ids(await listOf(organizer, "q=afrobeat"))).toEqual([event.id]);
  });

  it("never finds unpublished events", async () => {
    const { admin, organizer } = await setup();
    await api("POST", "/v1/events", { token: organizer.token, body: eventInput({ ...when(2), title: "Brouillon zanzibarien" }) });
    await publishEvent(organizer, admin, { ...when(2), title: "Autre chose" });
    expect(ids(await list("q=zanzibarien"))).toEqual([]);
  });

  it("follows edits: the index holds the current title only", async () => {
    const { admin, organizer } = await setup();
    const event = await publishEvent(organizer, admin, { ...when(2), title: "Tournoi de pétanque" });
    await api("PATCH", `/v1/events/${event.id}`, { token: admin.token, body: { title: "Tournoi de scrabble" } });
    expect(ids(await listOf(organizer, "q=petanque"))).toEqual([]);
    expect(ids(await listOf(organizer, "q=scrabble"))).toEqual([event.id]);
  });

  it("treats FTS syntax in the query as plain words", async () => {
    const { admin, organizer } = await setup();
    const event = await publishEvent(organizer, admin, { ...when(2), title: "Gala des étoiles" });
    for (const q of ['gala"', "gala OR x", "NEAR(gala", "title:gala", "gala*", "-gala", "gala AND", "^gala", "(gala)"]) {
      const res = await listOf(organizer, `q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
    expect(ids(await listOf(organizer, `q=${encodeURIComponent('"gala" ')}`))).toEqual([event.id]);
  });

  it("pages relevance results with a cursor", async () => {
    const { admin, organizer } = await setup();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await publishEvent(organizer, admin, { ...when(2 + i), title: `Salon ${i}`, description: "salon ".repeat(i + 1) })).id);
    const seen = await walk(organizer, "q=salon");
    expect([...seen].sort()).toEqual([...created].sort());
  });
});

// ---------------------------------------------------------------- near me

describe("near me", () => {
  async function cities() {
    const { admin, organizer } = await setup();
    return {
      organizer,
      cotonou: await publishEvent(organizer, admin, { ...when(5), ...CITIES.cotonou, title: "Fête à Cotonou" }),
      portoNovo: await publishEvent(organizer, admin, { ...when(2), ...CITIES.portoNovo, title: "Fête à Porto-Novo" }),
      tunis: await publishEvent(organizer, admin, { ...when(3), ...CITIES.tunis, title: "Fête à Tunis", currency: "TND", timezone: "Africa/Tunis" }),
      nowhere: await publishEvent(organizer, admin, { ...when(4), latitude: undefined, longitude: undefined, title: "Fête sans lieu précis" }),
    };
  }
  const nearCotonou = (radius: number) => `lat=6.3700&lng=2.4200&radius_km=${radius}`;

  it("keeps events within the radius, nearest first, with their distance", async () => {
    const { organizer, cotonou, portoNovo } = await cities();
    const res = await listOf(organizer, nearCotonou(50));
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([cotonou.id, portoNovo.id]);
    const [first, second] = res.body.data;
    expect(first.distance_km).toBeLessThan(1);
    // Cotonou → Porto-Novo is about 27 km as the crow flies.
    expect(second.distance_km).toBeGreaterThan(25);
    expect(second.distance_km).toBeLessThan(30);
  });

  it("excludes events outside the radius, even inside the bounding box", async () => {
    const { organizer, cotonou } = await cities();
    expect(ids(await listOf(organizer, nearCotonou(10)))).toEqual([cotonou.id]);
    // Porto-Novo (about 27 km away) is inside the 26 km bounding box, in its corner, but outside the circle.
    expect(ids(await listOf(organizer, nearCotonou(26)))).toEqual([cotonou.id]);
    expect(ids(await listOf(organizer, "lat=36.8&lng=10.18&radius_km=100")).length).toBe(1);
  });

  it("pages by distance, and can sort the same area by date", async () => {
    const { organizer, cotonou, portoNovo } = await cities();
    const first = await listOf(organizer, `${nearCotonou(50)}&limit=1`);
    expect(ids(first)).toEqual([cotonou.id]);
    const second = await listOf(organizer, `${nearCotonou(50)}&limit=1&cursor=${first.body.next_cursor}`);
    expect(ids(second)).toEqual([portoNovo.id]);
    expect(second.body.next_cursor).toBeNull();
    const byDate = await listOf(organizer, `${nearCotonou(50)}&sort=starts_at`);
    expect(ids(byDate)).toEqual([portoNovo.id, cotonou.id]);
    expect(byDate.body.data[0].distance_km).toBeGreaterThan(25);
  });

  it("combines with text search", async () => {
    const { organizer, portoNovo } = await cities();
    expect(ids(await listOf(organizer, `${nearCotonou(50)}&q=porto`))).toEqual([portoNovo.id]);
  });

  it("handles searches across the antimeridian and near the poles", async () => {
    expect((await list("lat=0&lng=179.9&radius_km=100")).status).toBe(200);
    expect((await list("lat=-89.9&lng=0&radius_km=100")).status).toBe(200);
  });
});

// ---------------------------------------------------------------- feed

describe("feed", () => {
  it("shows upcoming approved events of the organizers I follow, soonest first", async () => {
    const admin = await registerAdmin();
    const followed = await registerOrganizer({ plan: null });
    const notFollowed = await registerOrganizer({ plan: null });
    const fan = await registerUser();
    expect((await api("POST", `/v1/users/${followed.id}/follow`, { token: fan.token })).status).toBe(201);

    const later = await publishEvent(followed, admin, when(6));
    const sooner = await publishEvent(followed, admin, when(1));
    await api("POST", "/v1/events", { token: followed.token, body: eventInput(when(2)) });
    await publishEvent(notFollowed, admin, when(1));

    const res = await api("GET", "/v1/me/feed", { token: fan.token });
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([sooner.id, later.id]);
    const page = await api("GET", "/v1/me/feed?limit=1", { token: fan.token });
    const rest = await api("GET", `/v1/me/feed?limit=1&cursor=${page.body.next_cursor}`, { token: fan.token });
    expect([...ids(page), ...ids(rest)]).toEqual([sooner.id, later.id]);

    expect(ids(await api("GET", "/v1/me/feed", { token: (await registerUser()).token }))).toEqual([]);
    expectProblem(await api("GET", "/v1/me/feed"), 401);
  });
});
