import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  DEMO_ACCOUNTS,
  DEMO_CONCERT_ID,
  DEMO_DERBY_ID,
  DEMO_EVENT_IDS,
  DEMO_HALL_ID,
  DEMO_LIVE_CONFIG_IDS,
  DEMO_LIVE_EVENT_ID,
  DEMO_MATCH_IDS,
  DEMO_ORGANIZATION_ID,
  DEMO_ORGANIZER_PLAN_ID,
  DEMO_SEASON_ID,
  DEMO_STADIUM_GATE_IDS,
  DEMO_VENUE_ID,
  demoCalendarStart,
  seedDemoData,
} from "../../src/demo/seed.ts";
import { api, expectProblem, login, registerAdmin, registerUser } from "../support/api.ts";

const TABLES = [
  "users",
  "organizations",
  "organization_members",
  "event_categories",
  "venues",
  "venue_zones",
  "seats",
  "access_points",
  "access_point_zones",
  "event_groups",
  "events",
  "event_staff",
  "ticket_types",
  "ticket_type_zones",
  "event_ticket_config",
  "pricing_rules",
  "subscription_plans",
  "subscription_plan_event_groups",
  "subscription_plan_zones",
  "organizer_plans",
  "organizer_subscriptions",
  "organizer_subscription_history",
  "faqs",
];

async function rowCounts() {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
    counts[table] = row!.n;
  }
  return counts;
}

const all = async <T = Record<string, unknown>>(query: string, ...params: unknown[]) => (await env.DB.prepare(query).bind(...params).all<T>()).results;

// Seeding is idempotent, so each test seeds for itself and the order of tests does not matter.
const seed = () => seedDemoData(env.DB, env.PASSWORD_PEPPER);

const account = (role: string) => DEMO_ACCOUNTS.find((a) => a.role === role)!;
const [AWA, KARIM] = DEMO_ACCOUNTS.filter((a) => a.role === "USER") as [(typeof DEMO_ACCOUNTS)[number], (typeof DEMO_ACCOUNTS)[number]];

async function tokenOf(demo: { email: string; password: string }) {
  const res = await login(demo.email, demo.password);
  expect(res.status, demo.email).toBe(200);
  return res.body.access_token as string;
}

const sync = (eventId: string, token?: string) => api("POST", `/v1/admin/events/${eventId}/inventory/sync`, { token });

interface Config {
  id: string;
  ticket_type_code: string;
  price: number;
  currency: string;
  available: number;
  sellable: number;
  held: number;
  sold: number;
  on_sale: boolean;
}

async function syncedAsAdmin(eventId: string): Promise<Config[]> {
  const admin = await registerAdmin();
  const res = await sync(eventId, admin.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.configs;
}

const configOf = (configs: Config[], code: string) => configs.find((c) => c.ticket_type_code === code)!;

describe("demo seed", () => {
  it("inserts the demo data, and a second run changes nothing", async () => {
    const before = await rowCounts();
    const first = await seed();
    const afterFirst = await rowCounts();
    const users = await all("SELECT * FROM users ORDER BY id");
    const eventRows = await all("SELECT * FROM events ORDER BY id");
    const catalog = await all("SELECT id, event_id, ticket_type_id, price, currency, quantity_total, quantity_blocked, price_tiers FROM event_ticket_config ORDER BY id");
    expect(KARIM.identity_verified).toBe(true);

    const second = await seed();
    expect(second).toEqual({ inserted: 0, changed_passwords: [], events: first.events, live_moved: false });
    expect(await rowCounts()).toEqual(afterFirst);
    expect(await all("SELECT * FROM users ORDER BY id")).toEqual(users);
    expect(await all("SELECT * FROM events ORDER BY id")).toEqual(eventRows);
    expect(
      await all("SELECT id, event_id, ticket_type_id, price, currency, quantity_total, quantity_blocked, price_tiers FROM event_ticket_config ORDER BY id"),
    ).toEqual(catalog);
    // Whichever test ran first seeded; the counts grew by what that run inserted, once.
    if (first.inserted > 0) {
      const grown = TABLES.reduce((sum, table) => sum + afterFirst[table]! - before[table]!, 0);
      expect(grown).toBe(first.inserted);
    }
    for (const table of TABLES) expect(afterFirst[table], table).toBeGreaterThan(0);
  });

  it("returns the seven demo events as stored, soonest first", async () => {
    const { events } = await seed();
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(DEMO_EVENT_IDS));
    expect(events.map((e) => e.starts_at)).toEqual([...events.map((e) => e.starts_at)].sort());
  });

  it("lets every demo account sign in with its printed password and the right role", async () => {
    await seed();
    for (const demo of DEMO_ACCOUNTS) {
      const me = await api("GET", "/v1/me", { token: await tokenOf(demo) });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: demo.id, email: demo.email, role: demo.role, email_verified: true, is_active: true });
    }
  });

  it("gives the demo organizer an organization owning every demo object, with a box-office member who sells for cash and a gate controller who cannot", async () => {
    await seed();
    expect(await all("SELECT user_id, role FROM organization_members WHERE organization_id = ? ORDER BY role", DEMO_ORGANIZATION_ID)).toEqual([
      { user_id: DEMO_ACCOUNTS.find((a) => a.team_role === "BOX_OFFICE")!.id, role: "BOX_OFFICE" },
      { user_id: account("ORGANIZER").id, role: "OWNER" },
    ]);
    for (const table of ["venues", "event_groups", "events", "ticket_types", "pricing_rules", "subscription_plans"]) {
      expect(await all(`SELECT DISTINCT organization_id FROM ${table}`), table).toEqual([{ organization_id: DEMO_ORGANIZATION_ID }]);
    }
    const boxOffice = DEMO_ACCOUNTS.find((a) => a.team_role === "BOX_OFFICE")!;
    expect(boxOffice).toMatchObject({ email: "boxoffice@example.com", password: "boxoffice-demo-2026", role: "USER" });
    const cashier = await tokenOf(boxOffice);
    expect((await api("GET", `/v1/organizations/${DEMO_ORGANIZATION_ID}`, { token: cashier })).body).toMatchObject({ name: "Olympique de Radès", my_role: "BOX_OFFICE" });

    const eventId = DEMO_MATCH_IDS[0]!;
    const configs = await syncedAsAdmin(eventId);
    const hold = await api("POST", `/v1/events/${eventId}/orders`, { token: await tokenOf(AWA), body: { config_id: configOf(configs, "VIRAGE").id, quantity: 1 } });
    expect(hold.status, JSON.stringify(hold.body)).toBe(201);
    const confirm = (token: string) => api("POST", `/v1/events/${eventId}/orders/${hold.body.id}/confirm-cash`, { token });
    expectProblem(await confirm(await tokenOf(account("CONTROLLER"))), 403, "forbidden");
    expect((await confirm(cashier)).body.booking_status).toBe("CONFIRMED");
    // The box office takes cash; it does not manage the catalog.
    expectProblem(await api("PATCH", `/v1/events/${eventId}`, { token: cashier, body: { title: "Pris" } }), 403);
  });

  it("does not accept another demo account's password", async () => {
    await seed();
    expectProblem(await login(account("ADMIN").email, account("ORGANIZER").password), 401, "invalid_credentials");
  });

  it("reports demo passwords that no longer match, without overwriting them", async () => {
    await seed();
    const result = await seedDemoData(env.DB, "a-different-pepper");
    expect(result.inserted).toBe(0);
    expect(result.changed_passwords).toEqual(DEMO_ACCOUNTS.map((a) => a.email));
    // The stored hashes were kept: the real pepper still verifies them.
    expect((await seed()).changed_passwords).toEqual([]);
  });

  it("stores passwords as peppered scrypt hashes, never in clear", async () => {
    await seed();
    const rows = await all<{ email: string; password_hash: string }>("SELECT email, password_hash FROM users");
    for (const demo of DEMO_ACCOUNTS) {
      const row = rows.find((r) => r.email === demo.email)!;
      expect(row.password_hash.startsWith("scrypt$")).toBe(true);
      expect(row.password_hash).not.toContain(demo.password);
    }
  });

  it("schedules a season of five approved home matches at the stadium, three weeks apart from the first of a month", async () => {
    await seed();
    const [group] = await all<{ name: string; group_type: string; season: string; starts_on: string; ends_on: string }>(
      "SELECT name, group_type, season, starts_on, ends_on FROM event_groups WHERE id = ?",
      DEMO_SEASON_ID,
    );
    expect(group).toMatchObject({ name: `Ligue 1 ${group!.season}`, group_type: "SEASON" });
    expect(group!.season).toMatch(/^(\d{4})-(\d{4})$/);

    const matches = await all<{ id: string; starts_at: string; status: string; venue_id: string; ticketing_enabled: number; is_home_match: number; match_type: string; currency: string }>(
      "SELECT id, starts_at, status, venue_id, ticketing_enabled, is_home_match, match_type, currency FROM events WHERE event_group_id = ? ORDER BY starts_at",
      DEMO_SEASON_ID,
    );
    expect(matches.map((m) => m.id).sort()).toEqual([...DEMO_MATCH_IDS].sort());
    for (const match of matches) {
      expect(match).toMatchObject({ status: "APPROVED", venue_id: DEMO_VENUE_ID, ticketing_enabled: 1, is_home_match: 1, match_type: "championship", currency: "TND" });
    }
    const first = matches[0]!.starts_at;
    expect(first).toMatch(/^\d{4}-\d{2}-01T19:00:00\.000Z$/);
    expect(first > new Date().toISOString()).toBe(true);
    const gaps = matches.slice(1).map((m, i) => (Date.parse(m.starts_at) - Date.parse(matches[i]!.starts_at)) / 86_400_000);
    expect(gaps).toEqual([21, 21, 21, 21]);
    expect([group!.starts_on, group!.ends_on]).toEqual([first.slice(0, 10), matches[4]!.starts_at.slice(0, 10)]);
  });

  it("anchors the demo calendar to the first day of the next month, in UTC", () => {
    expect(demoCalendarStart("2026-11-22T00:23:31.000Z")).toBe("2026-12-01T00:00:00.000Z");
    expect(demoCalendarStart("2026-12-31T23:59:59.999Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(demoCalendarStart("2027-01-01T00:00:00.000Z")).toBe("2027-02-01T00:00:00.000Z");
  });

  it("flags exactly one match as the derby, priced higher and limited to four tickets per person", async () => {
    await seed();
    const derbies = await all<{ id: string; title: string }>(
      "SELECT id, title FROM events WHERE event_group_id = ? AND json_extract(metadata, '$.derby') = 1",
      DEMO_SEASON_ID,
    );
    expect(derbies).toEqual([{ id: DEMO_DERBY_ID, title: expect.stringMatching(/^Derby /) }]);
    expect(await all("SELECT id FROM events WHERE title LIKE 'Derby%'")).toEqual([{ id: DEMO_DERBY_ID }]);
    const prices = await all<{ event_id: string; code: string; price: number; max_purchase: number | null }>(
      "SELECT c.event_id, t.code, c.price, c.max_purchase FROM event_ticket_config c JOIN ticket_types t ON t.id = c.ticket_type_id WHERE c.event_id IN (?, ?)",
      DEMO_DERBY_ID,
      DEMO_MATCH_IDS[0],
    );
    for (const code of ["VIRAGE", "TRIBUNE", "VIP", "VISITEURS"]) {
      const derby = prices.find((p) => p.event_id === DEMO_DERBY_ID && p.code === code)!;
      const normal = prices.find((p) => p.event_id === DEMO_MATCH_IDS[0] && p.code === code)!;
      expect(derby.price, code).toBeGreaterThan(normal.price);
      expect([derby.max_purchase, normal.max_purchase]).toEqual([4, null]);
    }
  });

  it("holds one concert, at another venue in another country and currency", async () => {
    await seed();
    const [concert] = await all<{ venue_id: string; event_group_id: string | null; match_type: string | null; currency: string; status: string; category: string; country: string }>(
      "SELECT e.venue_id, e.event_group_id, e.match_type, e.currency, e.status, c.name AS category, v.country FROM events e JOIN event_categories c ON c.id = e.category_id JOIN venues v ON v.id = e.venue_id WHERE e.id = ?",
      DEMO_CONCERT_ID,
    );
    expect(concert).toEqual({ venue_id: DEMO_HALL_ID, event_group_id: null, match_type: null, currency: "XOF", status: "APPROVED", category: "Concerts", country: "BJ" });
    const concerts = await all("SELECT e.id FROM events e JOIN event_categories c ON c.id = e.category_id WHERE c.name = 'Concerts'");
    expect(concerts).toEqual([{ id: DEMO_CONCERT_ID }]);
  });

  it("lists the seven events publicly, and the season and the hall through their filters", async () => {
    await seed();
    const listed = await api("GET", "/v1/events?limit=50");
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((e: { id: string }) => e.id).sort()).toEqual([...DEMO_EVENT_IDS].sort());
    const season = await api("GET", `/v1/events?event_group_id=${DEMO_SEASON_ID}`);
    expect(season.body.data).toHaveLength(5);
    const hall = await api("GET", `/v1/events?venue_id=${DEMO_HALL_ID}`);
    expect(hall.body.data.map((e: { id: string }) => e.id)).toEqual([DEMO_CONCERT_ID]);
  });

  it("creates four ordered categories with an icon and a #RRGGBB colour", async () => {
    await seed();
    const categories = await all<{ name: string; icon: string; color: string; display_order: number }>(
      "SELECT name, icon, color, display_order FROM event_categories WHERE id LIKE '5eed%' ORDER BY display_order",
    );
    expect(categories.map((c) => c.name)).toEqual(["Football", "Concerts", "Festivals", "Conférences"]);
    expect(categories.map((c) => c.display_order)).toEqual([0, 1, 2, 3]);
    for (const category of categories) {
      expect(category.icon).toMatch(/^fas fa-/);
      expect(category.color).toMatch(/^#[0-9A-F]{6}$/);
    }
  });

  it("numbers a few hundred seats by row in a seated zone of the stadium", async () => {
    await seed();
    const seats = await all<{ row: string; number: string; is_seated: number; category: string; venue_id: string }>(
      "SELECT s.row, s.number, z.is_seated, z.category, z.venue_id FROM seats s JOIN venue_zones z ON z.id = s.zone_id",
    );
    expect(seats.length).toBeGreaterThanOrEqual(200);
    expect(seats.every((s) => s.is_seated === 1 && s.venue_id === DEMO_VENUE_ID)).toBe(true);
    expect(new Set(seats.map((s) => s.row)).size).toBeGreaterThan(5);
    expect(new Set(seats.map((s) => `${s.row}-${s.number}`)).size).toBe(seats.length);
  });

  it("gives each venue zones that add up to its capacity, each reachable through one of its gates", async () => {
    await seed();
    for (const venueId of [DEMO_VENUE_ID, DEMO_HALL_ID]) {
      const zones = await all<{ id: string; category: string; capacity: number }>("SELECT id, category, capacity FROM venue_zones WHERE venue_id = ?", venueId);
      const [venue] = await all<{ capacity: number }>("SELECT capacity FROM venues WHERE id = ?", venueId);
      expect(zones.length).toBeGreaterThan(1);
      expect(zones.reduce((sum, zone) => sum + zone.capacity, 0)).toBe(venue!.capacity);
      const reachable = await all<{ zone_id: string; gate_venue: string }>(
        "SELECT l.zone_id, a.venue_id AS gate_venue FROM access_point_zones l JOIN access_points a ON a.id = l.access_point_id JOIN venue_zones z ON z.id = l.zone_id WHERE z.venue_id = ?",
        venueId,
      );
      expect(reachable.every((link) => link.gate_venue === venueId)).toBe(true);
      expect(new Set(reachable.map((link) => link.zone_id))).toEqual(new Set(zones.map((zone) => zone.id)));
    }
    const stadiumCategories = await all<{ category: string }>("SELECT DISTINCT category FROM venue_zones WHERE venue_id = ?", DEMO_VENUE_ID);
    expect(stadiumCategories.map((c) => c.category)).toEqual(expect.arrayContaining(["VIP", "PREMIUM", "STANDARD", "VISITORS"]));
  });

  it("assigns the gate controller to the five matches at the stadium's Porte A, and to the friendly at every gate", async () => {
    await seed();
    const controller = account("CONTROLLER");
    const staff = await all<{ event_id: string; role: string; is_active: number; access_point_id: string | null }>(
      "SELECT s.event_id, s.role, s.is_active, s.access_point_id FROM event_staff s WHERE s.user_id = ? ORDER BY s.event_id",
      controller.id,
    );
    expect(staff).toEqual(
      [...DEMO_MATCH_IDS, DEMO_LIVE_EVENT_ID].sort().map((event_id) => ({ event_id, role: "CONTROLLER", is_active: 1, access_point_id: event_id === DEMO_LIVE_EVENT_ID ? null : DEMO_STADIUM_GATE_IDS[0] })),
    );
    expect(await all("SELECT venue_id FROM access_points WHERE id = ?", DEMO_STADIUM_GATE_IDS[0])).toEqual([{ venue_id: DEMO_VENUE_ID }]);
    expect(await all("SELECT user_id FROM event_staff WHERE user_id <> ?", controller.id)).toEqual([]);
  });

  it("puts the demo organizer on a plan that lets them create events, and offers plans to the others", async () => {
    await seed();
    const organizer = await tokenOf(account("ORGANIZER"));
    const mine = await api("GET", "/v1/me/organizer-subscription", { token: organizer });
    expect(mine.status).toBe(200);
    expect(mine.body.subscription).toMatchObject({ plan_id: DEMO_ORGANIZER_PLAN_ID, status: "ACTIVE" });
    expect(Date.parse(mine.body.subscription.ends_at)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const start = new Date(Date.now() + 30 * 86_400_000);
    const created = await api("POST", "/v1/events", {
      token: organizer,
      body: { title: "Tournoi des écoles", starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 3 * 3_600_000).toISOString(), timezone: "Africa/Tunis", venue_id: DEMO_VENUE_ID, currency: "TND" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const plans = await api("GET", "/v1/organizer-plans");
    expect(plans.body.data.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["Pro", "Stade"]));
  });

  it("verifies one demo fan's identity, who alone may buy the season pass that requires it", async () => {
    await seed();
    const [plan] = await all<{ id: string }>("SELECT id FROM subscription_plans WHERE code = 'ABONNEMENT-TRIBUNE'");
    expectProblem(await api("POST", `/v1/subscription-plans/${plan!.id}/subscribe`, { token: await tokenOf(AWA), body: {} }), 403, "identity_verification_required");
    const karim = await api("POST", `/v1/subscription-plans/${plan!.id}/subscribe`, { token: await tokenOf(KARIM), body: {} });
    expect(karim.status, JSON.stringify(karim.body)).toBe(201);
  });

  it("configures tickets for every event in its own currency, within its zones, with one priced by tiers", async () => {
    await seed();
    const configs = await all<{ event_id: string; currency: string; event_currency: string; type_currency: string; quantity_total: number; quantity_blocked: number; zones: number; price_tiers: string | null; dynamic_pricing: number }>(
      `SELECT c.event_id, c.currency, e.currency AS event_currency, t.currency AS type_currency, c.quantity_total, c.quantity_blocked, c.price_tiers, c.dynamic_pricing,
              (SELECT sum(z.capacity) FROM venue_zones z, json_each(c.zone_mapping, '$.' || t.default_zone_category) m WHERE z.venue_id = e.venue_id AND z.code = m.value) AS zones
         FROM event_ticket_config c JOIN events e ON e.id = c.event_id JOIN ticket_types t ON t.id = c.ticket_type_id`,
    );
    expect(new Set(configs.map((c) => c.event_id))).toEqual(new Set(DEMO_EVENT_IDS));
    for (const config of configs) {
      expect(config.currency).toBe(config.event_currency);
      expect(config.type_currency).toBe(config.event_currency);
      expect(config.quantity_total).toBeLessThanOrEqual(config.zones);
      expect(config.quantity_blocked).toBeLessThan(config.quantity_total);
    }
    const tiered = configs.filter((c) => c.price_tiers);
    expect(tiered).toHaveLength(1);
    expect(tiered[0]).toMatchObject({ event_id: DEMO_CONCERT_ID, dynamic_pricing: 1 });
  });

  it("offers a group discount of 15 % from ten tickets and a full-season pass in PREMIUM", async () => {
    await seed();
    const rules = await all<{ rule_type: string; discount_type: string; discount_value: number; conditions: string; auto_apply: number; is_active: number }>(
      "SELECT rule_type, discount_type, discount_value, conditions, auto_apply, is_active FROM pricing_rules",
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ rule_type: "GROUP", discount_type: "PERCENTAGE", discount_value: 1_500, auto_apply: 1, is_active: 1 });
    expect(JSON.parse(rules[0]!.conditions)).toMatchObject({ min_quantity: 10 });

    const plans = await all<{ id: string; type: string; default_zone_category: string; currency: string }>("SELECT id, type, default_zone_category, currency FROM subscription_plans");
    expect(plans).toEqual([{ id: expect.any(String), type: "FULL_SEASON", default_zone_category: "PREMIUM", currency: "TND" }]);
    expect(await all("SELECT event_group_id, access_level FROM subscription_plan_event_groups WHERE subscription_plan_id = ?", plans[0]!.id)).toEqual([
      { event_group_id: DEMO_SEASON_ID, access_level: "FULL" },
    ]);
    expect(await all("SELECT zone_category, is_primary FROM subscription_plan_zones WHERE subscription_plan_id = ?", plans[0]!.id)).toEqual([
      { zone_category: "PREMIUM", is_primary: 1 },
    ]);
  });

  it("publishes the same FAQ in French, Arabic and English across several categories", async () => {
    await seed();
    const byLanguage: Record<string, { category: string; question: string }[]> = {};
    for (const language of ["fr", "ar", "en"]) {
      const res = await api("GET", `/v1/faqs?language=${language}&limit=100`);
      expect(res.status).toBe(200);
      byLanguage[language] = res.body.data;
    }
    const categories = (language: string) => byLanguage[language]!.map((f) => f.category);
    expect(byLanguage.fr!.length).toBeGreaterThanOrEqual(5);
    expect(new Set(categories("fr")).size).toBeGreaterThanOrEqual(4);
    expect(categories("ar")).toEqual(categories("fr"));
    expect(categories("en")).toEqual(categories("fr"));
    expect(byLanguage.ar!.every((f) => /[\u0600-\u06FF]/.test(f.question))).toBe(true);
    const fr = await api("GET", "/v1/faqs?category=PAYMENTS");
    expect(fr.body.data.length).toBeGreaterThan(0);
  });
});

describe("the friendly whose doors are open now", () => {
  const window = async () => (await all<{ doors_open_at: string; starts_at: string; ends_at: string; status: string }>("SELECT doors_open_at, starts_at, ends_at, status FROM events WHERE id = ?", DEMO_LIVE_EVENT_ID))[0]!;

  it("opened its doors before now and ends more than an hour from now, on sale until its end", async () => {
    await seed();
    const event = await window();
    const now = Date.now();
    expect(event.status).toBe("APPROVED");
    expect(Date.parse(event.doors_open_at)).toBeLessThanOrEqual(now);
    expect(Date.parse(event.ends_at)).toBeGreaterThan(now + 3_600_000);
    const sales = await all<{ sales_end: string }>(`SELECT sales_end FROM event_ticket_config WHERE id IN (${DEMO_LIVE_CONFIG_IDS.map(() => "?").join(", ")})`, ...DEMO_LIVE_CONFIG_IDS);
    expect(sales.map((row) => row.sales_end)).toEqual(DEMO_LIVE_CONFIG_IDS.map(() => event.ends_at));
  });

  it("moves to now at the next seed once it is over (approved again if the cron completed it), and not before", async () => {
    await seed();
    const kept = await window();
    expect((await seed()).live_moved).toBe(false);
    expect(await window()).toEqual(kept);
    await env.DB.prepare("UPDATE events SET doors_open_at = ?, starts_at = ?, ends_at = ?, status = 'COMPLETED' WHERE id = ?")
      .bind("2026-01-01T17:00:00.000Z", "2026-01-01T19:00:00.000Z", "2026-01-01T21:00:00.000Z", DEMO_LIVE_EVENT_ID)
      .run();
    await env.DB.prepare(`UPDATE event_ticket_config SET sales_end = ? WHERE id IN (${DEMO_LIVE_CONFIG_IDS.map(() => "?").join(", ")})`).bind("2026-01-01T21:00:00.000Z", ...DEMO_LIVE_CONFIG_IDS).run();
    const result = await seed();
    expect(result.live_moved).toBe(true);
    const moved = await window();
    expect(moved.status).toBe("APPROVED");
    expect(Date.parse(moved.doors_open_at)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(moved.ends_at)).toBeGreaterThan(Date.now() + 3_600_000);
    expect(result.events.find((e) => e.id === DEMO_LIVE_EVENT_ID)?.starts_at).toBe(moved.starts_at);
  });

  it("admits a fan's ticket at any gate of the stadium in the first minute", async () => {
    await seed();
    const [virage] = await syncedAsAdmin(DEMO_LIVE_EVENT_ID).then((configs) => configs.filter((c) => c.id === DEMO_LIVE_CONFIG_IDS[0]));
    expect(virage).toMatchObject({ ticket_type_code: "VIRAGE", on_sale: true });
    const fan = await tokenOf(AWA);
    const order = await api("POST", `/v1/events/${DEMO_LIVE_EVENT_ID}/orders`, { token: fan, body: { config_id: virage!.id, quantity: 1 } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const organizer = await tokenOf(account("ORGANIZER"));
    const paid = await api("POST", `/v1/events/${DEMO_LIVE_EVENT_ID}/orders/${order.body.id}/confirm-cash`, { token: organizer, body: {} });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    const right = paid.body.access_rights[0] as { qr_code: string };
    const gate = await tokenOf(account("CONTROLLER"));
    // Porte Nord: not the controller's gate at the matches, and any gate is theirs at the friendly.
    const scan = (qr: string) =>
      api("POST", `/v1/events/${DEMO_LIVE_EVENT_ID}/scans`, {
        token: gate,
        body: { id: crypto.randomUUID(), qr, action: "ENTRY", scan_method: "MANUAL_ENTRY", scanned_at: new Date().toISOString(), device_id: "DEMO-1", access_point_id: DEMO_STADIUM_GATE_IDS[2] },
      });
    expect((await scan(right.qr_code)).body).toMatchObject({ status: "SUCCESS" });
    expect((await scan(right.qr_code)).body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });
});

describe("admin inventory sync", () => {
  it("loads a match's ticket configurations into its Durable Object and puts them on sale", async () => {
    await seed();
    const eventId = DEMO_MATCH_IDS[3]!;
    expectProblem(await api("GET", `/v1/events/${eventId}/availability`), 404, "not_found");
    const configs = await syncedAsAdmin(eventId);
    expect(configs.map((c) => c.ticket_type_code).sort()).toEqual(["TRIBUNE", "VIP", "VIRAGE", "VISITEURS"]);
    expect(configs.every((c) => c.on_sale && c.currency === "TND" && c.available === c.sellable && c.available > 0)).toBe(true);
    expect(configOf(configs, "TRIBUNE")).toMatchObject({ price: 15_000, sellable: 7_800 });
    const availability = await api("GET", `/v1/events/${eventId}/availability`);
    expect(availability.status).toBe(200);
    expect(availability.body.configs).toEqual(configs);
  });

  it("is refused to everyone but admins, before touching the event", async () => {
    await seed();
    const eventId = DEMO_MATCH_IDS[4]!;
    expectProblem(await sync(eventId), 401);
    expectProblem(await sync(eventId, (await registerUser()).token), 403, "forbidden");
    // Not even the event's own organizer or its gate controller.
    expectProblem(await sync(eventId, await tokenOf(account("ORGANIZER"))), 403, "forbidden");
    expectProblem(await sync(eventId, await tokenOf(account("CONTROLLER"))), 403, "forbidden");
    expectProblem(await api("GET", `/v1/events/${eventId}/availability`), 404, "not_found");
  });

  it("answers 404 for an unknown event and 422 for a malformed id", async () => {
    const admin = await registerAdmin();
    expectProblem(await sync(crypto.randomUUID(), admin.token), 404, "not_found");
    expectProblem(await sync("not-an-id", admin.token), 422, "validation_failed");
  });

  it("can be run again without losing the units already held", async () => {
    await seed();
    const configs = await syncedAsAdmin(DEMO_DERBY_ID);
    const virage = configOf(configs, "VIRAGE");
    const order = await api("POST", `/v1/events/${DEMO_DERBY_ID}/orders`, { token: await tokenOf(AWA), body: { config_id: virage.id, quantity: 2 } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body).toMatchObject({ quantity: 2, unit_price: virage.price, total: 2 * virage.price, currency: "TND", booking_status: "PENDING" });

    const again = configOf(await syncedAsAdmin(DEMO_DERBY_ID), "VIRAGE");
    expect(again).toMatchObject({ held: virage.held + 2, available: virage.available - 2 });
    // The derby's four-per-person limit counts the hold.
    expectProblem(
      await api("POST", `/v1/events/${DEMO_DERBY_ID}/orders`, { token: await tokenOf(AWA), body: { config_id: virage.id, quantity: 3 } }),
      409,
      "purchase_limit",
    );
  });

  it("applies the group discount from ten tickets: 15 at 15.000 TND cost 191.250 TND", async () => {
    await seed();
    const tribune = configOf(await syncedAsAdmin(DEMO_MATCH_IDS[0]!), "TRIBUNE");
    const token = await tokenOf(KARIM);
    const nine = await api("POST", `/v1/events/${DEMO_MATCH_IDS[0]}/orders`, { token, body: { config_id: tribune.id, quantity: 9 } });
    expect(nine.status, JSON.stringify(nine.body)).toBe(201);
    expect(nine.body).toMatchObject({ total: 135_000, discount: 0, applied_rules: [] });
    const group = await api("POST", `/v1/events/${DEMO_MATCH_IDS[0]}/orders`, { token, body: { config_id: tribune.id, quantity: 15 } });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    expect(group.body).toMatchObject({ gross: 225_000, discount: 33_750, total: 191_250, applied_rules: [{ code: "GROUPE-10", amount: 33_750 }] });
  });

  it("prices the concert's standing tickets at the presale tier first", async () => {
    await seed();
    const configs = await syncedAsAdmin(DEMO_CONCERT_ID);
    expect(configs.every((c) => c.on_sale && c.currency === "XOF")).toBe(true);
    const fosse = configOf(configs, "FOSSE");
    const order = await api("POST", `/v1/events/${DEMO_CONCERT_ID}/orders`, { token: await tokenOf(AWA), body: { config_id: fosse.id, quantity: 2 } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body).toMatchObject({ unit_price: 10_000, total: 20_000, currency: "XOF" });
  });
});
