import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEMO_ACCOUNTS, DEMO_EVENT_ID, DEMO_VENUE_ID, seedDemoData } from "../../src/demo/seed.ts";
import { api, expectProblem, login } from "../support/api.ts";

const TABLES = ["users", "event_categories", "venues", "venue_zones", "seats", "access_points", "access_point_zones", "events", "event_staff"];

async function rowCounts() {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
    counts[table] = row!.n;
  }
  return counts;
}

const all = async <T>(query: string, ...params: unknown[]) => (await env.DB.prepare(query).bind(...params).all<T>()).results;

// Seeding is idempotent, so each test seeds for itself and the order of tests does not matter.
const seed = () => seedDemoData(env.DB, env.PASSWORD_PEPPER);

describe("demo seed", () => {
  it("inserts the demo data, and a second run changes nothing", async () => {
    const before = await rowCounts();
    const first = await seed();
    const afterFirst = await rowCounts();
    const snapshot = await all("SELECT * FROM users ORDER BY id");
    const eventRow = await all("SELECT * FROM events WHERE id = ?", DEMO_EVENT_ID);

    const second = await seed();
    expect(second).toEqual({ inserted: 0, changed_passwords: [] });
    expect(await rowCounts()).toEqual(afterFirst);
    expect(await all("SELECT * FROM users ORDER BY id")).toEqual(snapshot);
    expect(await all("SELECT * FROM events WHERE id = ?", DEMO_EVENT_ID)).toEqual(eventRow);
    // Whichever test ran first seeded; the counts grew by what that run inserted, once.
    if (first.inserted > 0) {
      const grown = TABLES.reduce((sum, table) => sum + afterFirst[table]! - before[table]!, 0);
      expect(grown).toBe(first.inserted);
    }
    expect(afterFirst.seats).toBeGreaterThan(0);
  });

  it("lets every demo account sign in with its printed password and the right role", async () => {
    await seed();
    for (const account of DEMO_ACCOUNTS) {
      const res = await login(account.email, account.password);
      expect(res.status, account.email).toBe(200);
      const me = await api("GET", "/v1/me", { token: res.body.access_token });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: account.id, email: account.email, role: account.role, email_verified: true, is_active: true });
    }
  });

  it("does not accept another demo account's password", async () => {
    await seed();
    const [admin, organizer] = DEMO_ACCOUNTS;
    expectProblem(await login(admin!.email, organizer!.password), 401, "invalid_credentials");
  });

  it("reports demo passwords that no longer match, without overwriting them", async () => {
    await seed();
    const result = await seedDemoData(env.DB, "a-different-pepper");
    expect(result.inserted).toBe(0);
    expect(result.changed_passwords).toEqual(DEMO_ACCOUNTS.map((account) => account.email));
    // The stored hashes were kept: the real pepper still verifies them.
    expect((await seed()).changed_passwords).toEqual([]);
  });

  it("stores passwords as peppered scrypt hashes, never in clear", async () => {
    await seed();
    const rows = await all<{ email: string; password_hash: string }>("SELECT email, password_hash FROM users");
    for (const account of DEMO_ACCOUNTS) {
      const row = rows.find((r) => r.email === account.email)!;
      expect(row.password_hash.startsWith("scrypt$")).toBe(true);
      expect(row.password_hash).not.toContain(account.password);
    }
  });

  it("assigns the gate controller to the demo event only, at one of its venue's gates", async () => {
    await seed();
    const controller = DEMO_ACCOUNTS.find((account) => account.role === "CONTROLLER")!;
    const staff = await all<{ event_id: string; role: string; is_active: number; venue_id: string }>(
      "SELECT s.event_id, s.role, s.is_active, a.venue_id FROM event_staff s JOIN access_points a ON a.id = s.access_point_id WHERE s.user_id = ?",
      controller.id,
    );
    expect(staff).toEqual([{ event_id: DEMO_EVENT_ID, role: "CONTROLLER", is_active: 1, venue_id: DEMO_VENUE_ID }]);
    const others = await all("SELECT user_id FROM event_staff WHERE user_id <> ?", controller.id);
    expect(others).toEqual([]);
  });

  it("builds an approved event at a venue whose zones add up and are each reachable through a gate", async () => {
    await seed();
    const [event] = await all<{ status: string; venue_id: string; organizer_id: string; currency: string; price: number; starts_at: string; ends_at: string }>(
      "SELECT status, venue_id, organizer_id, currency, price, starts_at, ends_at FROM events WHERE id = ?",
      DEMO_EVENT_ID,
    );
    const organizer = DEMO_ACCOUNTS.find((account) => account.role === "ORGANIZER")!;
    expect(event).toMatchObject({ status: "APPROVED", venue_id: DEMO_VENUE_ID, organizer_id: organizer.id, currency: "TND", price: 15_000 });
    expect(event!.ends_at > event!.starts_at).toBe(true);

    const zones = await all<{ id: string; category: string; capacity: number }>("SELECT id, category, capacity FROM venue_zones WHERE venue_id = ?", DEMO_VENUE_ID);
    const [venue] = await all<{ capacity: number }>("SELECT capacity FROM venues WHERE id = ?", DEMO_VENUE_ID);
    expect(zones.length).toBeGreaterThan(1);
    expect(zones.reduce((sum, zone) => sum + zone.capacity, 0)).toBe(venue!.capacity);
    expect(new Set(zones.map((zone) => zone.category)).size).toBeGreaterThan(1);

    const links = await all<{ zone_id: string; gate_venue: string; zone_venue: string }>(
      "SELECT l.zone_id, a.venue_id AS gate_venue, z.venue_id AS zone_venue FROM access_point_zones l JOIN access_points a ON a.id = l.access_point_id JOIN venue_zones z ON z.id = l.zone_id",
    );
    expect(links.every((link) => link.gate_venue === link.zone_venue)).toBe(true);
    expect(new Set(links.map((link) => link.zone_id))).toEqual(new Set(zones.map((zone) => zone.id)));
  });
});
