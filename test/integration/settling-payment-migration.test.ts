import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * The rebuild of tickets and subscriptions that drops the foreign keys of their settling-payment links
 * (migrations/0017_settling_payment_links.sql, hand-edited) and the triggers that keep those links
 * (0018_settling_payment_triggers.sql, hand-written), on a database holding what points at both tables:
 * MIGRATION_DB is migrated up to the rebuild, filled, and migrated through those two, as
 * `wrangler d1 migrations apply` does in production (later migrations add their own tables and
 * columns, which this comparison of every row would count as changes).
 */
const db = env.MIGRATION_DB;
const first = env.TEST_MIGRATIONS.findIndex((m) => /^\d+_settling_payment_links(\.sql)?$/.test(m.name));
const before = env.TEST_MIGRATIONS.slice(0, first);
const rebuild = env.TEST_MIGRATIONS.slice(first, env.TEST_MIGRATIONS.findIndex((m) => /^\d+_settling_payment_triggers(\.sql)?$/.test(m.name)) + 1);
const id = () => crypto.randomUUID();

/** Paid orders and passes, with everything that points at them: rule uses, zone overrides, rights, bookings, a season card, a refund. */
async function filled() {
  const ids = {
    buyer: id(), organizer: id(), org: id(), venue: id(), zoneA: id(), zoneB: id(), event: id(), type: id(), config: id(), rule: id(),
    paid: id(), pending: id(), guest: id(), ticketPayment: id(), refund: id(), commission: id(),
    plan: id(), pass: id(), pendingPass: id(), passPayment: id(), template: id(), card: id(),
    ticketUse: id(), passUse: id(), ticketOverride: id(), passOverride: id(), eventOverride: id(), ticketRight: id(), passRight: id(), booking: id(),
  };
  const run = (query: string, ...params: unknown[]) => db.prepare(query).bind(...params);
  await db.batch([
    run("INSERT INTO users (id, email, role, first_name, last_name) VALUES (?, 'fan@example.com', 'USER', 'Élodie', 'Ben Ali')", ids.buyer),
    run("INSERT INTO users (id, email, role) VALUES (?, 'club@est.tn', 'ORGANIZER')", ids.organizer),
    run("INSERT INTO organizations (id, name, created_by) VALUES (?, 'EST', ?)", ids.org, ids.organizer),
    run("INSERT INTO venues (id, name, timezone, country, organization_id) VALUES (?, 'Radès', 'Africa/Tunis', 'TN', ?)", ids.venue, ids.org),
    run("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, 'A', 'Virage', 'STANDARD', 100)", ids.zoneA, ids.venue),
    run("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, 'B', 'Tribune', 'VIP', 50)", ids.zoneB, ids.venue),
    run(
      "INSERT INTO events (id, title, starts_at, ends_at, timezone, venue_id, venue_name, organizer_id, organization_id, created_by, currency, status) VALUES (?, 'Derby', '2030-01-01T18:00:00.000Z', '2030-01-01T20:00:00.000Z', 'Africa/Tunis', ?, 'Radès', ?, ?, ?, 'TND', 'APPROVED')",
      ids.event, ids.venue, ids.organizer, ids.org, ids.organizer,
    ),
    run("INSERT INTO ticket_types (id, code, name, organization_id, base_price, currency, default_zone_category) VALUES (?, 'TRIB', 'Tribune', ?, 15000, 'TND', 'STANDARD')", ids.type, ids.org),
    run("INSERT INTO event_ticket_config (id, event_id, ticket_type_id, price, currency, quantity_total, quantity_sold) VALUES (?, ?, ?, 15000, 'TND', 100, 3)", ids.config, ids.event, ids.type),
    run("INSERT INTO pricing_rules (id, code, name, organization_id, rule_type, applies_to, discount_type, discount_value, conditions) VALUES (?, 'G10', 'Groupe', ?, 'GROUP', 'BOTH', 'PERCENTAGE', 1000, '{}')", ids.rule, ids.org),
    run(
      "INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, event_ticket_config_id, quantity, unit_price, total_price, discount_amount, currency, pricing_rule_id, payment_status, booking_status, purchase_channel, confirmed_at, metadata) VALUES (?, 'TKT-1', ?, ?, ?, ?, 2, 15000, 27000, 3000, 'TND', ?, 'PAID', 'CONFIRMED', 'WEB', '2029-06-01T10:00:00.000Z', '{\"gross\":30000}')",
      ids.paid, ids.buyer, ids.event, ids.type, ids.config, ids.rule,
    ),
    run(
      "INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, event_ticket_config_id, quantity, unit_price, total_price, currency, booking_status, booking_expires_at, purchase_channel) VALUES (?, 'TKT-2', ?, ?, ?, ?, 1, 15000, 15000, 'TND', 'PENDING', '2029-06-01T10:15:00.000Z', 'MOBILE')",
      ids.pending, ids.buyer, ids.event, ids.type, ids.config,
    ),
    run(
      "INSERT INTO tickets (id, ticket_number, event_id, ticket_type_id, event_ticket_config_id, quantity, unit_price, total_price, currency, booking_status, purchase_channel, is_guest_purchase, guest_email, cancelled_at) VALUES (?, 'TKT-3', ?, ?, ?, 1, 15000, 15000, 'TND', 'CANCELLED', 'WEB', 1, 'guest@example.com', '2029-06-02T10:00:00.000Z')",
      ids.guest, ids.event, ids.type, ids.config,
    ),
    run(
      "INSERT INTO payments (id, type, user_id, ticket_id, amount, fees, net_amount, currency, status, method, provider, internal_reference, paid_at) VALUES (?, 'TICKET', ?, ?, 27000, 500, 26500, 'TND', 'PARTIALLY_REFUNDED', 'CARD', 'KONNECT', 'PAY-1', '2029-06-01T10:00:00.000Z')",
      ids.ticketPayment, ids.buyer, ids.paid,
    ),
    run("UPDATE payments SET refunded_amount = 13500 WHERE id = ?", ids.ticketPayment),
    run(
      "INSERT INTO payments (id, type, user_id, original_payment_id, amount, net_amount, currency, status, method, provider, internal_reference) VALUES (?, 'REFUND', ?, ?, 13500, 13500, 'TND', 'PAID', 'CARD', 'KONNECT', 'REF-1')",
      ids.refund, ids.buyer, ids.ticketPayment,
    ),
    run(
      "INSERT INTO commissions (id, payment_id, commission_type, base_amount, commission_rate_bp, commission_amount, currency, event_id, organizer_id, organization_id) VALUES (?, ?, 'TICKETING', 27000, 500, 1350, 'TND', ?, ?, ?)",
      ids.commission, ids.ticketPayment, ids.event, ids.organizer, ids.org,
    ),
    run("UPDATE tickets SET payment_id = ? WHERE id = ?", ids.ticketPayment, ids.paid),
    run("INSERT INTO subscription_plans (id, code, name, organization_id, type, price, currency) VALUES (?, 'ABO', 'Abonnement', ?, 'FULL_SEASON', 450000, 'TND')", ids.plan, ids.org),
    run("INSERT INTO subscription_plan_events (subscription_plan_id, event_id) VALUES (?, ?)", ids.plan, ids.event),
    run(
      "INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status, activation_date) VALUES (?, 'SUB-1', ?, ?, 405000, 'TND', '2029-08-01', '2030-06-30', 'ACTIVE', '2029-07-01T09:00:00.000Z')",
      ids.pass, ids.buyer, ids.plan,
    ),
    run("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until) VALUES (?, 'SUB-2', ?, ?, 450000, 'TND', '2029-08-01', '2030-06-30')", ids.pendingPass, ids.buyer, ids.plan),
    run(
      "INSERT INTO payments (id, type, user_id, subscription_id, amount, net_amount, currency, status, method, provider, internal_reference, paid_at) VALUES (?, 'SEASON_PASS', ?, ?, 405000, 405000, 'TND', 'PAID', 'MOMO_MTN', 'MTN_MOMO', 'PAY-2', '2029-07-01T09:00:00.000Z')",
      ids.passPayment, ids.buyer, ids.pass,
    ),
    run("UPDATE subscriptions SET payment_id = ? WHERE id = ?", ids.passPayment, ids.pass),
    run("INSERT INTO pricing_rule_usages (id, rule_id, user_id, ticket_id, discount_amount, currency) VALUES (?, ?, ?, ?, 3000, 'TND')", ids.ticketUse, ids.rule, ids.buyer, ids.paid),
    run("INSERT INTO pricing_rule_usages (id, rule_id, user_id, subscription_id, discount_amount, currency) VALUES (?, ?, ?, ?, 45000, 'TND')", ids.passUse, ids.rule, ids.buyer, ids.pass),
    run(
      "INSERT INTO access_rights (id, qr_code, user_id, event_id, source_type, source_id, config_id, zone_id, valid_from, valid_until, entry_count, is_inside) VALUES (?, 'QR-T1', ?, ?, 'TICKET', ?, ?, ?, '2030-01-01T16:00:00.000Z', '2030-01-01T20:00:00.000Z', 1, 1)",
      ids.ticketRight, ids.buyer, ids.event, ids.paid, ids.config, ids.zoneA,
    ),
    run(
      "INSERT INTO access_rights (id, qr_code, user_id, event_id, source_type, source_id, zone_id, valid_from, valid_until) VALUES (?, 'QR-S1', ?, ?, 'SUBSCRIPTION', ?, ?, '2030-01-01T16:00:00.000Z', '2030-01-01T20:00:00.000Z')",
      ids.passRight, ids.buyer, ids.event, ids.pass, ids.zoneA,
    ),
    run("INSERT INTO zone_mapping_overrides (id, event_id, ticket_id, original_zone_id, override_zone_id, reason) VALUES (?, ?, ?, ?, ?, 'Upgrade')", ids.ticketOverride, ids.event, ids.paid, ids.zoneA, ids.zoneB),
    run("INSERT INTO zone_mapping_overrides (id, event_id, subscription_id, original_zone_id, override_zone_id, reason) VALUES (?, ?, ?, ?, ?, 'Abonné VIP')", ids.passOverride, ids.event, ids.pass, ids.zoneA, ids.zoneB),
    run("INSERT INTO zone_mapping_overrides (id, event_id, original_zone_id, override_zone_id, reason) VALUES (?, ?, ?, ?, 'Travaux')", ids.eventOverride, ids.event, ids.zoneB, ids.zoneA),
    run("INSERT INTO subscription_bookings (id, subscription_id, event_id, access_right_id, status, zone_category) VALUES (?, ?, ?, ?, 'BOOKED', 'STANDARD')", ids.booking, ids.pass, ids.event, ids.passRight),
    run("INSERT INTO ticket_templates (id, code, name, type, format, elements, layout, version, organization_id) VALUES (?, 'CARD', 'Carte', 'SUBSCRIPTION_CARD', 'PLASTIC_CARD', '{}', '{}', '1.0.0', ?)", ids.template, ids.org),
    run("INSERT INTO season_cards (id, subscription_id, nfc_uid, template_id, printed_by) VALUES (?, ?, '04A1B2C3D4E5F6', ?, ?)", ids.card, ids.pass, ids.template, ids.organizer),
  ]);
  return ids;
}

type Row = Record<string, unknown>;
const rows = async (query: string, ...params: unknown[]) => (await db.prepare(query).bind(...params).all<Row>()).results;

/** Every row of every table (the migrations' own bookkeeping aside), each table's rows in a stable order. */
async function everything() {
  const tables = await rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations' ORDER BY name");
  const all: Record<string, string[]> = {};
  // Keys sorted: a rebuild puts columns in the schema's order (tickets.projection_version was appended by ALTER TABLE).
  const text = (row: Row) => JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))));
  for (const { name } of tables) all[name as string] = (await rows(`SELECT * FROM "${name as string}"`)).map(text).sort();
  return all;
}

/** The definitions the rebuild must leave as they were: indexes and triggers (on every table: a rename can rewrite the bodies that name it). */
const definitions = async (type: "index" | "trigger") =>
  Object.fromEntries((await rows("SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL ORDER BY name", type)).map((r) => [r.name, r.sql]));

describe("migrating the settling-payment links off foreign keys", () => {
  it("keeps every row, link, index, trigger and report row; then refuses a link to a missing payment and clears the links of a deleted payment", async () => {
    await applyD1Migrations(db, before);
    const ids = await filled();
    const data = await everything();
    const [indexes, triggers] = [await definitions("index"), await definitions("trigger")];
    // The data reaches everything the rebuild touches.
    for (const table of ["tickets", "subscriptions", "pricing_rule_usages", "zone_mapping_overrides", "subscription_bookings", "season_cards", "access_rights", "report_sales", "report_payments", "report_rights"]) {
      expect(data[table]!.length, table).toBeGreaterThan(0);
    }

    await applyD1Migrations(db, rebuild);

    expect(await everything()).toEqual(data);
    expect(await definitions("index")).toEqual(indexes);
    const after = await definitions("trigger");
    expect(Object.fromEntries(Object.entries(after).filter(([name]) => name in triggers))).toEqual(triggers);
    expect(Object.keys(after).filter((name) => !(name in triggers)).sort()).toEqual([
      "payments_settling_delete",
      "payments_settling_id_update",
      "subscriptions_payment_exists_insert",
      "subscriptions_payment_exists_update",
      "tickets_payment_exists_insert",
      "tickets_payment_exists_update",
    ]);
    const fks = async (table: string) => (await rows(`SELECT "table" AS parent, "from" AS col, on_delete FROM pragma_foreign_key_list('${table}') ORDER BY "from"`)).map((r) => `${r.col as string}→${r.parent as string} ${r.on_delete as string}`);
    expect(await fks("tickets")).not.toContain("payment_id→payments SET NULL");
    expect(await fks("subscriptions")).not.toContain("payment_id→payments SET NULL");
    expect(await fks("payments")).toEqual(expect.arrayContaining(["ticket_id→tickets SET NULL", "subscription_id→subscriptions SET NULL"]));
    expect(await rows("SELECT * FROM pragma_foreign_key_check")).toEqual([]);

    // A link to a payment that does not exist is refused, inserted, updated or upserted, as the foreign key refused it.
    const missing = id();
    await expect(
      db
        .prepare("INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, quantity, unit_price, total_price, currency, booking_status, purchase_channel, payment_id) VALUES (?, 'TKT-9', ?, ?, ?, 1, 15000, 15000, 'TND', 'CONFIRMED', 'WEB', ?)")
        .bind(id(), ids.buyer, ids.event, ids.type, missing)
        .run(),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    await expect(db.prepare("UPDATE tickets SET payment_id = ? WHERE id = ?").bind(missing, ids.pending).run()).rejects.toThrow(/FOREIGN KEY constraint failed/);
    await expect(
      db
        .prepare("INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, quantity, unit_price, total_price, currency, booking_status, booking_expires_at, purchase_channel, payment_id) VALUES (?, 'TKT-2', ?, ?, ?, 1, 15000, 15000, 'TND', 'PENDING', '2029-06-01T10:15:00.000Z', 'MOBILE', ?) ON CONFLICT (id) DO UPDATE SET payment_id = excluded.payment_id")
        .bind(ids.pending, ids.buyer, ids.event, ids.type, missing)
        .run(),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    // As with the foreign key, only a row written is judged: a stale projection replay whose update is skipped passes.
    await db
      .prepare("INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, quantity, unit_price, total_price, currency, booking_status, booking_expires_at, purchase_channel, payment_id, projection_version) VALUES (?, 'TKT-2', ?, ?, ?, 1, 15000, 15000, 'TND', 'PENDING', '2029-06-01T10:15:00.000Z', 'MOBILE', ?, -1) ON CONFLICT (id) DO UPDATE SET payment_id = excluded.payment_id WHERE excluded.projection_version >= tickets.projection_version")
      .bind(ids.pending, ids.buyer, ids.event, ids.type, missing)
      .run();
    await expect(
      db
        .prepare("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, payment_id) VALUES (?, 'SUB-9', ?, ?, 1, 'TND', '2029-08-01', '2030-06-30', ?)")
        .bind(id(), ids.buyer, ids.plan, missing)
        .run(),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    await expect(db.prepare("UPDATE subscriptions SET payment_id = ? WHERE id = ?").bind(missing, ids.pendingPass).run()).rejects.toThrow(/FOREIGN KEY constraint failed/);
    // A settling payment keeps its id.
    await expect(db.prepare("UPDATE payments SET id = ? WHERE id = ?").bind(missing, ids.passPayment).run()).rejects.toThrow(/FOREIGN KEY constraint failed/);
    expect(await everything()).toEqual(data);

    // An existing payment is accepted; deleting it clears the links to it (ON DELETE SET NULL), and nothing else.
    const settling = id();
    await db.batch([
      db.prepare("INSERT INTO payments (id, type, ticket_id, amount, net_amount, currency, method, provider, internal_reference) VALUES (?, 'TICKET', ?, 15000, 15000, 'TND', 'CASH', 'CASH_DESK', 'PAY-3')").bind(settling, ids.pending),
      db.prepare("UPDATE tickets SET payment_id = ? WHERE id = ?").bind(settling, ids.pending),
      db.prepare("UPDATE subscriptions SET payment_id = ? WHERE id = ?").bind(settling, ids.pendingPass),
    ]);
    expect(await rows("SELECT id FROM tickets WHERE payment_id = ? UNION ALL SELECT id FROM subscriptions WHERE payment_id = ?", settling, settling)).toHaveLength(2);
    await db.prepare("DELETE FROM payments WHERE id = ?").bind(settling).run();
    expect(await everything()).toEqual(data);

    // 0013's triggers on tickets are back, counting once: a confirmed order is in the sales report, its buyer's name keyed.
    const sales = () => rows("SELECT orders, units, net FROM report_sales WHERE event_id = ? AND config_id = ''", ids.event);
    expect(await sales()).toEqual([]);
    const order = id();
    await db
      .prepare("INSERT INTO tickets (id, ticket_number, user_id, event_id, ticket_type_id, quantity, unit_price, total_price, currency, booking_status, purchase_channel, payment_id) VALUES (?, 'TKT-9', ?, ?, ?, 2, 15000, 30000, 'TND', 'CONFIRMED', 'ONSITE', ?)")
      .bind(order, ids.buyer, ids.event, ids.type, ids.passPayment)
      .run();
    expect(await sales()).toEqual([{ orders: 1, units: 2, net: 30000 }]);
    expect(await rows("SELECT buyer_name_key FROM tickets WHERE id = ?", order)).toEqual([{ buyer_name_key: "elodie ben ali" }]);
    await db.prepare("DELETE FROM tickets WHERE id = ?").bind(order).run();
    expect(await sales()).toEqual([{ orders: 0, units: 0, net: 0 }]);
  });
});
