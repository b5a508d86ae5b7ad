import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * The data migration to organizations (migrations/0008_organizations_data.sql,
 * hand-written) on a database holding single-organizer data: MIGRATION_DB is
 * migrated up to the state before organizations, filled as the platform was
 * then, and migrated the rest of the way, as `wrangler d1 migrations apply`
 * does in production.
 */
const db = env.MIGRATION_DB;
const first = env.TEST_MIGRATIONS.findIndex((m) => /^\d+_organizations(\.sql)?$/.test(m.name));
const before = env.TEST_MIGRATIONS.slice(0, first);
const organizations = env.TEST_MIGRATIONS.slice(first);
const id = () => crypto.randomUUID();

/** What the platform held before organizations: two organizers' objects, an idle organizer, an admin's platform objects, a fan. */
async function legacyData() {
  const [a, b, idle, admin, fan] = [id(), id(), id(), id(), id()];
  const user = (uid: string, email: string, role: string, first = "", last = "") =>
    db.prepare("INSERT INTO users (id, email, role, first_name, last_name) VALUES (?, ?, ?, ?, ?)").bind(uid, email, role, first, last);
  const ids = { venue: id(), group: id(), event: id(), eventB: id(), type: id(), platformType: id(), rule: id(), plan: id(), userGroup: id(), plans: id(), sub: id(), payment: id(), commission: id(), ban: id(), template: id(), platformTemplate: id() };
  await db.batch([
    user(a, "club@est.tn", "ORGANIZER", "Espérance", "Sportive"),
    user(b, "promo@cotonou.bj", "ORGANIZER"),
    user(idle, "idle@example.com", "ORGANIZER"),
    user(admin, "admin@example.com", "ADMIN"),
    user(fan, "fan@example.com", "USER"),
    db.prepare("INSERT INTO venues (id, name, timezone, owner_id) VALUES (?, 'Radès', 'Africa/Tunis', ?)").bind(ids.venue, a),
    db.prepare("INSERT INTO event_groups (id, code, name, organizer_id) VALUES (?, 'L1', 'Ligue 1', ?)").bind(ids.group, a),
    db
      .prepare("INSERT INTO events (id, title, starts_at, ends_at, timezone, venue_name, organizer_id, created_by, currency) VALUES (?, 'Derby', '2030-01-01T18:00:00.000Z', '2030-01-01T20:00:00.000Z', 'Africa/Tunis', 'Radès', ?, ?, 'TND')")
      .bind(ids.event, a, a),
    db
      .prepare("INSERT INTO events (id, title, starts_at, ends_at, timezone, venue_name, organizer_id, created_by, currency) VALUES (?, 'Concert', '2030-01-01T18:00:00.000Z', '2030-01-01T20:00:00.000Z', 'Africa/Porto-Novo', 'Lagune', ?, ?, 'XOF')")
      .bind(ids.eventB, b, admin),
    db.prepare("INSERT INTO ticket_types (id, code, name, organizer_id, base_price, currency, default_zone_category) VALUES (?, 'TRIB', 'Tribune', ?, 15000, 'TND', 'STANDARD')").bind(ids.type, a),
    db.prepare("INSERT INTO ticket_types (id, code, name, organizer_id, base_price, currency, default_zone_category) VALUES (?, 'STD', 'Standard', NULL, 1000, 'XOF', 'STANDARD')").bind(ids.platformType),
    db.prepare("INSERT INTO pricing_rules (id, code, name, organizer_id, rule_type, applies_to, discount_type, discount_value, conditions) VALUES (?, 'G10', 'Groupe', ?, 'GROUP', 'TICKETS', 'PERCENTAGE', 1500, '{}')").bind(ids.rule, a),
    db.prepare("INSERT INTO subscription_plans (id, code, name, organizer_id, type, price, currency) VALUES (?, 'ABO', 'Abonnement', ?, 'FULL_SEASON', 450000, 'TND')").bind(ids.plan, a),
    db.prepare("INSERT INTO user_groups (id, code, name, owner_id) VALUES (?, 'EST-MEMBRES', 'Membres', ?)").bind(ids.userGroup, a),
    db.prepare("INSERT INTO organizer_plans (id, name, plan_type, price, currency, billing_period) VALUES (?, 'Pro', 'PREMIUM', 10000, 'XOF', 'MONTHLY')").bind(ids.plans),
    db
      .prepare("INSERT INTO organizer_subscriptions (id, user_id, plan_id, starts_at, ends_at, status, price_paid, currency) VALUES (?, ?, ?, '2026-01-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z', 'ACTIVE', 0, 'XOF')")
      .bind(ids.sub, a, ids.plans),
    db.prepare("INSERT INTO payments (id, type, amount, net_amount, currency, status, method, provider, internal_reference) VALUES (?, 'COMMISSION', 500, 500, 'TND', 'PAID', 'CASH', 'CASH_DESK', 'COM-1')").bind(ids.payment),
    db
      .prepare("INSERT INTO commissions (id, payment_id, commission_type, base_amount, commission_rate_bp, commission_amount, currency, event_id, organizer_id) VALUES (?, ?, 'TICKETING', 10000, 500, 500, 'TND', ?, ?)")
      .bind(ids.commission, ids.payment, ids.event, a),
    db.prepare("INSERT INTO blacklist (id, blacklist_type, identifier, reason, severity, scope, scope_id, start_date) VALUES (?, 'DEVICE', 'CLONE', 'Fraude', 'HIGH', 'CLUB', ?, '2026-01-01T00:00:00.000Z')").bind(ids.ban, a),
    db.prepare("INSERT INTO ticket_templates (id, code, name, type, format, elements, layout, version) VALUES (?, 'EST-PDF', 'Billet EST', 'TICKET', 'PDF', '{\"qr\":{}}', '{}', '1.0.0')").bind(ids.template),
    db.prepare("INSERT INTO ticket_templates (id, code, name, type, format, elements, layout, version) VALUES (?, 'PF-PDF', 'Billet', 'TICKET', 'PDF', '{\"qr\":{}}', '{}', '1.0.0')").bind(ids.platformTemplate),
    // Templates had no owner column: their creator is the actor of their audited CREATE.
    db.prepare("INSERT INTO audit_log (id, user_id, action, object_type, object_id) VALUES (?, ?, 'CREATE', 'ticket_templates', ?)").bind(id(), a, ids.template),
    db.prepare("INSERT INTO audit_log (id, user_id, action, object_type, object_id) VALUES (?, ?, 'CREATE', 'ticket_templates', ?)").bind(id(), admin, ids.platformTemplate),
  ]);
  return { a, b, idle, admin, fan, ...ids };
}

const value = async <T>(query: string, ...params: unknown[]) => (await db.prepare(query).bind(...params).first<{ v: T }>())!.v;

describe("migrating single-organizer data to organizations", () => {
  it("gives each owning account, and each ORGANIZER, one organization it OWNs, holding everything it owned; running again changes nothing", async () => {
    await applyD1Migrations(db, before);
    const legacy = await legacyData();
    await applyD1Migrations(db, organizations);

    const orgs = (await db.prepare("SELECT id, name, contact_email, created_by FROM organizations ORDER BY name").all<{ id: string; name: string; contact_email: string; created_by: string }>()).results;
    // The two organizers and the idle one; not the admin, who created B's event but owned nothing, nor the fan.
    expect(orgs.map((o) => o.created_by).sort()).toEqual([legacy.a, legacy.b, legacy.idle].sort());
    const orgOf = (userId: string) => orgs.find((o) => o.created_by === userId)!.id;
    expect(orgs.find((o) => o.created_by === legacy.a)).toMatchObject({ name: "Espérance Sportive", contact_email: "club@est.tn" });
    expect(orgs.find((o) => o.created_by === legacy.b)!.name).toBe("promo@cotonou.bj");
    const memberships = (await db.prepare("SELECT organization_id, user_id, role FROM organization_members").all<{ organization_id: string; user_id: string; role: string }>()).results;
    expect(memberships.sort((x, y) => x.user_id.localeCompare(y.user_id))).toEqual(
      [legacy.a, legacy.b, legacy.idle].sort().map((u) => ({ organization_id: orgOf(u), user_id: u, role: "OWNER" })),
    );

    const A = orgOf(legacy.a);
    for (const [table, rowId] of [
      ["venues", legacy.venue],
      ["event_groups", legacy.group],
      ["events", legacy.event],
      ["ticket_types", legacy.type],
      ["pricing_rules", legacy.rule],
      ["subscription_plans", legacy.plan],
      ["user_groups", legacy.userGroup],
      ["organizer_subscriptions", legacy.sub],
      ["commissions", legacy.commission],
      ["ticket_templates", legacy.template],
    ] as const) {
      expect(await value(`SELECT organization_id AS v FROM ${table} WHERE id = ?`, rowId), table).toBe(A);
    }
    expect(await value("SELECT organization_id AS v FROM events WHERE id = ?", legacy.eventB)).toBe(orgOf(legacy.b));
    // Platform objects stay the platform's; a CLUB ban now names the organization.
    expect(await value("SELECT organization_id AS v FROM ticket_types WHERE id = ?", legacy.platformType)).toBeNull();
    expect(await value("SELECT organization_id AS v FROM ticket_templates WHERE id = ?", legacy.platformTemplate)).toBeNull();
    expect(await value("SELECT scope_id AS v FROM blacklist WHERE id = ?", legacy.ban)).toBe(A);
    // The old columns keep the account (now: who created it).
    expect(await value("SELECT organizer_id AS v FROM events WHERE id = ?", legacy.event)).toBe(legacy.a);

    // Again (as on a database already migrated): nothing changes.
    const snapshot = async () =>
      JSON.stringify([
        (await db.prepare("SELECT * FROM organizations ORDER BY id").all()).results,
        (await db.prepare("SELECT * FROM organization_members ORDER BY id").all()).results,
        (await db.prepare("SELECT id, organization_id FROM events UNION ALL SELECT id, scope_id FROM blacklist ORDER BY 1").all()).results,
      ]);
    const first = await snapshot();
    const data = env.TEST_MIGRATIONS.find((m) => /^\d+_organizations_data(\.sql)?$/.test(m.name))!;
    await db.batch(data.queries.map((query) => db.prepare(query)));
    expect(await snapshot()).toBe(first);
  });
});
