import { inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb } from "../db/client.ts";
import { USER_ROLES } from "../db/enums.ts";
import {
  access_point_zones,
  access_points,
  event_categories,
  event_staff,
  events,
  seats,
  venue_zones,
  venues,
  ZONE_CATEGORIES,
} from "../events/schema.ts";
import { hashPassword, verifyPassword } from "../lib/crypto/passwords.ts";
import { addSeconds, now } from "../lib/time.ts";
import { users } from "../users/schema.ts";

/**
 * Demo data for local development (`npm start`) and its test: one account per
 * role, a stadium with zones, seats and gates, and an approved match there.
 * Ids are fixed and every insert ignores existing rows, so running it again
 * changes nothing. It takes a D1 binding, so it runs the same in Node (through
 * wrangler's platform proxy) and in the Workers runtime.
 */

/** Fixed UUIDs (v4 layout), readable by kind: 5eed<kind>-…-<n>. */
const demoId = (kind: number, n: number) =>
  `5eed${kind.toString(16).padStart(4, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

type Role = (typeof USER_ROLES)[number];

export interface DemoAccount {
  id: string;
  role: Role;
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  language: "fr" | "ar" | "en";
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: demoId(1, 1), role: "ADMIN", email: "admin@example.com", password: "admin-demo-2026", first_name: "Amina", last_name: "Admin", language: "fr" },
  { id: demoId(1, 2), role: "ORGANIZER", email: "organizer@example.com", password: "organizer-demo-2026", first_name: "Olivier", last_name: "Organisateur", language: "fr" },
  { id: demoId(1, 3), role: "CONTROLLER", email: "gate@example.com", password: "gate-demo-2026", first_name: "Ghassen", last_name: "Contrôleur", language: "fr" },
  { id: demoId(1, 4), role: "USER", email: "awa@example.com", password: "fan-demo-2026", first_name: "Awa", last_name: "Mensah", language: "fr" },
  { id: demoId(1, 5), role: "USER", email: "karim@example.com", password: "fan-demo-2026", first_name: "Karim", last_name: "Ben Salah", language: "ar" },
];

const [ADMIN, ORGANIZER, CONTROLLER] = DEMO_ACCOUNTS as [DemoAccount, DemoAccount, DemoAccount, ...DemoAccount[]];

export const DEMO_VENUE_ID = demoId(2, 1);
export const DEMO_CATEGORY_ID = demoId(6, 1);
export const DEMO_EVENT_ID = demoId(7, 1);

interface DemoZone {
  code: string;
  name: string;
  category: (typeof ZONE_CATEGORIES)[number];
  capacity: number;
  is_seated: boolean;
}

const ZONES: readonly DemoZone[] = [
  { code: "tribune_honneur", name: "Tribune d'honneur", category: "VIP", capacity: 1_200, is_seated: true },
  { code: "tribune_presse", name: "Tribune de presse", category: "PRESS", capacity: 300, is_seated: true },
  { code: "tribune_centrale", name: "Tribune centrale", category: "PREMIUM", capacity: 8_000, is_seated: true },
  { code: "virage_nord", name: "Virage Nord", category: "STANDARD", capacity: 16_000, is_seated: false },
  { code: "virage_sud", name: "Virage Sud", category: "STANDARD", capacity: 16_000, is_seated: false },
  { code: "pourtour", name: "Pourtour", category: "BASIC", capacity: 15_500, is_seated: false },
  { code: "parcage_visiteurs", name: "Parcage visiteurs", category: "VISITORS", capacity: 3_000, is_seated: false },
];
const zoneId = (code: string) => demoId(3, ZONES.findIndex((zone) => zone.code === code) + 1);

/** Gates and the zones each opens onto. */
const GATES: readonly { code: string; name: string; zones: string[] }[] = [
  { code: "GATE_A", name: "Porte A (officielle)", zones: ["tribune_honneur", "tribune_presse"] },
  { code: "GATE_B", name: "Porte B", zones: ["tribune_centrale"] },
  { code: "GATE_N", name: "Porte Nord", zones: ["virage_nord", "pourtour"] },
  { code: "GATE_S", name: "Porte Sud", zones: ["virage_sud", "pourtour"] },
  { code: "GATE_V", name: "Porte visiteurs", zones: ["parcage_visiteurs"] },
];
const gateId = (code: string) => demoId(5, GATES.findIndex((gate) => gate.code === code) + 1);

/** A few numbered seats of the VIP stand (rows A and B, 1–10); enough to demo seated tickets. */
const SEAT_ROWS = ["A", "B"] as const;
const SEATS_PER_ROW = 10;

export interface SeedResult {
  /** Rows this run inserted (0 when the demo data was already there). */
  inserted: number;
  /** Demo accounts whose stored password is no longer the printed one (changed through the API, or another pepper). */
  changed_passwords: string[];
}

export async function seedDemoData(d1: D1Database, pepper: string): Promise<SeedResult> {
  const db = getDb(d1);
  const at = now();
  // Two weeks ahead at 19:00 UTC (20:00 in Tunis), the first time the demo is seeded.
  const kickoff = `${addSeconds(at, 14 * 86_400).slice(0, 10)}T19:00:00.000Z`;

  const existing = await db
    .select({ id: users.id, password_hash: users.password_hash })
    .from(users)
    .where(inArray(users.id, DEMO_ACCOUNTS.map((account) => account.id)));
  const stored = new Map(existing.map((row) => [row.id, row.password_hash]));
  const changed: string[] = [];
  for (const account of DEMO_ACCOUNTS) {
    const hash = stored.get(account.id);
    if (hash !== undefined && !(hash && (await verifyPassword(account.password, hash, pepper)))) changed.push(account.email);
  }
  // Only new accounts need a hash; hashing is deliberately slow.
  const newAccounts = await Promise.all(
    DEMO_ACCOUNTS.filter((account) => !stored.has(account.id)).map(async ({ password, ...account }) => ({
      ...account,
      password_hash: await hashPassword(password, pepper),
      email_verified_at: at,
    })),
  );

  const statements: BatchItem<"sqlite">[] = [
    ...newAccounts.map((account) => db.insert(users).values(account).onConflictDoNothing().returning({ id: users.id })),
    db
      .insert(event_categories)
      .values({ id: DEMO_CATEGORY_ID, name: "Football", description: "Matchs de football", icon: "fas fa-futbol", color: "#1B8A3A", display_order: 0 })
      .onConflictDoNothing()
      .returning({ id: event_categories.id }),
    db
      .insert(venues)
      .values({
        id: DEMO_VENUE_ID,
        name: "Stade olympique de Radès",
        address: "Cité olympique, Radès",
        city: "Radès",
        country: "TN",
        latitude: 36.7472,
        longitude: 10.2731,
        timezone: "Africa/Tunis",
        capacity: ZONES.reduce((sum, zone) => sum + zone.capacity, 0),
        owner_id: ORGANIZER.id,
      })
      .onConflictDoNothing()
      .returning({ id: venues.id }),
    db
      .insert(venue_zones)
      .values(ZONES.map((zone) => ({ id: zoneId(zone.code), venue_id: DEMO_VENUE_ID, ...zone })))
      .onConflictDoNothing()
      .returning({ id: venue_zones.id }),
    // One statement per row keeps each under D1's limit of bound parameters.
    ...SEAT_ROWS.map((row, r) =>
      db
        .insert(seats)
        .values(
          Array.from({ length: SEATS_PER_ROW }, (_, i) => ({
            id: demoId(4, r * SEATS_PER_ROW + i + 1),
            zone_id: zoneId("tribune_honneur"),
            section: "H",
            row,
            number: String(i + 1),
            is_accessible: row === "A" && i < 2,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: seats.id }),
    ),
    db
      .insert(access_points)
      .values(GATES.map((gate) => ({ id: gateId(gate.code), venue_id: DEMO_VENUE_ID, code: gate.code, name: gate.name, direction: "BOTH" as const })))
      .onConflictDoNothing()
      .returning({ id: access_points.id }),
    db
      .insert(access_point_zones)
      .values(GATES.flatMap((gate) => gate.zones.map((zone) => ({ access_point_id: gateId(gate.code), zone_id: zoneId(zone) }))))
      .onConflictDoNothing()
      .returning({ id: access_point_zones.access_point_id }),
    db
      .insert(events)
      .values({
        id: DEMO_EVENT_ID,
        title: "Derby de Tunis : Olympique de Radès – Étoile du Lac",
        description: "Match de championnat, 12e journée. Ouverture des portes deux heures avant le coup d'envoi.",
        short_description: "Le derby de la 12e journée.",
        starts_at: kickoff,
        ends_at: addSeconds(kickoff, 2 * 3600),
        doors_open_at: addSeconds(kickoff, -2 * 3600),
        timezone: "Africa/Tunis",
        venue_id: DEMO_VENUE_ID,
        venue_name: "Stade olympique de Radès",
        address: "Cité olympique, Radès",
        latitude: 36.7472,
        longitude: 10.2731,
        match_type: "championship",
        is_home_match: true,
        organizer_id: ORGANIZER.id,
        created_by: ORGANIZER.id,
        category_id: DEMO_CATEGORY_ID,
        access_type: "PAID",
        price: 15_000, // 15.000 TND
        currency: "TND",
        max_capacity: ZONES.reduce((sum, zone) => sum + zone.capacity, 0),
        status: "APPROVED",
        reviewed_at: at,
        reviewed_by: ADMIN.id,
        review_comment: "Données de démonstration.",
      })
      .onConflictDoNothing()
      .returning({ id: events.id }),
    db
      .insert(event_staff)
      .values({
        id: demoId(8, 1),
        event_id: DEMO_EVENT_ID,
        user_id: CONTROLLER.id,
        role: "CONTROLLER",
        access_point_id: gateId("GATE_A"),
        assigned_by: ORGANIZER.id,
      })
      .onConflictDoNothing()
      .returning({ id: event_staff.id }),
  ];

  // One batch: D1 applies it atomically, so an interrupted seed leaves nothing half-done.
  const results = (await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];
  return { inserted: results.reduce((sum, rows) => sum + rows.length, 0), changed_passwords: changed };
}
