import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * The rebuild of the five notification tables for the seven new message types
 * (migrations/0019_season_passes_carts_waitlist.sql, generated and hand-edited as 0015 was) and the move of
 * subscriptions.metadata.renewed_from into its column (0020_pass_renewed_from_column.sql, hand-written), on a
 * database holding a campaign with its template, recipients, notifications and deliveries, preferences and a
 * renewed pass: MIGRATION_DB is migrated up to 0019, filled, and migrated through those two, as
 * `wrangler d1 migrations apply` does in production. D1 enforces foreign keys through the rebuild, so dropping
 * a table runs the ON DELETE actions of the tables that point at it: without 0019's hand edits the campaign's
 * recipients and batch links would be lost (or the migration would not apply).
 */
const db = env.MIGRATION_DB;
const index = (name: string) => env.TEST_MIGRATIONS.findIndex((m) => new RegExp(`^\\d+_${name}(\\.sql)?$`).test(m.name));
const first = index("season_passes_carts_waitlist");
const before = env.TEST_MIGRATIONS.slice(0, first);
const migration = env.TEST_MIGRATIONS.slice(first, index("pass_renewed_from_column") + 1);
const id = () => crypto.randomUUID();

const REBUILT = ["message_deliveries", "notification_batches", "notification_preferences", "notification_templates", "notifications"];
/** Not rebuilt, but pointing at two rebuilt tables with ON DELETE actions (batch: cascade; notification: set null). */
const RECIPIENTS = "notification_batch_recipients";

/** A sent campaign on a custom template, a scheduled one, their recipients, notifications and deliveries, preferences, and a renewal that names its pass in metadata. */
async function filled() {
  const ids = {
    admin: id(), fan: id(), other: id(), org: id(), plan: id(), oldPass: id(), renewal: id(), plainPass: id(),
    template: id(), systemTemplate: id(), campaign: id(), scheduled: id(),
    fanNotice: id(), otherNotice: id(), direct: id(), batchEmail: id(), directEmail: id(), directSms: id(), prefDigest: id(), prefOff: id(),
  };
  const run = (query: string, ...params: unknown[]) => db.prepare(query).bind(...params);
  await db.batch([
    run("INSERT INTO users (id, email, role, first_name, last_name) VALUES (?, 'admin@example.com', 'ADMIN', 'Awa', 'Diop')", ids.admin),
    run("INSERT INTO users (id, email, role, first_name, last_name, language) VALUES (?, 'fan@example.com', 'USER', 'Élodie', 'Ben Ali', 'ar')", ids.fan),
    run("INSERT INTO users (id, email, role, phone) VALUES (?, 'other@example.com', 'USER', '+22990000000')", ids.other),
    run(
      "INSERT INTO notification_templates (id, notification_type, language, name, description, email_subject, email_body_html, push_title, push_body, sms_body, in_app_body, active_channels, available_variables, is_active, created_at, updated_at) VALUES (?, 'ANNOUNCEMENT', 'fr', 'Annonce du club', 'Modèle de campagne', 'Derby : {{title}}', '<p>Bonjour {{firstName}}</p>', 'Derby', 'Ouverture des portes à 16h', 'Derby ce soir', 'Portes à 16h', '[\"EMAIL\",\"PUSH\",\"IN_APP\"]', '[\"title\",\"firstName\"]', 1, '2029-05-01T08:00:00.000Z', '2029-05-02T08:00:00.000Z')",
      ids.template,
    ),
    run("INSERT INTO notification_templates (id, notification_type, language, name, active_channels, is_active) VALUES (?, 'EVENT_CANCELLED_PASS', 'en', 'Cancelled (pass)', '[\"EMAIL\"]', 0)", ids.systemTemplate),
    run(
      "INSERT INTO notification_batches (id, name, description, dedupe_key, template_id, notification_type, channels, data, targeting_criteria, scheduled_at, status, recipient_count, sent_count, delivered_count, read_count, failed_count, skipped_count, expand_cursor, expanded_at, release_cursor, step, created_by, created_at, updated_at, started_at, finished_at) VALUES (?, 'Derby', 'Portes', 'campaign:derby', ?, 'ANNOUNCEMENT', '[\"EMAIL\",\"IN_APP\"]', '{\"title\":\"Derby\"}', '{\"roles\":[\"USER\"]}', '2029-06-01T09:00:00.000Z', 'COMPLETED', 2, 2, 1, 1, 1, 0, ?, '2029-06-01T09:00:05.000Z', ?, 3, ?, '2029-05-30T10:00:00.000Z', '2029-06-01T09:10:00.000Z', '2029-06-01T09:00:01.000Z', '2029-06-01T09:10:00.000Z')",
      ids.campaign, ids.template, ids.other, ids.other, ids.admin,
    ),
    run("INSERT INTO notification_batches (id, name, template_id, notification_type, channels, data, targeting_criteria, scheduled_at, created_by) VALUES (?, 'Rappel', ?, 'ANNOUNCEMENT', '[\"PUSH\"]', '{}', '{}', '2030-01-01T08:00:00.000Z', ?)", ids.scheduled, ids.template, ids.admin),
    run(
      "INSERT INTO notifications (id, user_id, notification_type, title, message, object_type, object_id, priority, status, action_url, data, batch_id, dedupe_key, created_at, sent_at, read_at, expires_at) VALUES (?, ?, 'ANNOUNCEMENT', 'Derby', 'Portes à 16h', 'events', 'evt-1', 'HIGH', 'READ', '/events/evt-1', '{\"a\":1}', ?, 'campaign:derby:fan', '2029-06-01T09:00:02.000Z', '2029-06-01T09:00:03.000Z', '2029-06-01T12:00:00.000Z', '2029-07-01T00:00:00.000Z')",
      ids.fanNotice, ids.fan, ids.campaign,
    ),
    run("INSERT INTO notifications (id, user_id, notification_type, title, message, status, batch_id) VALUES (?, ?, 'ANNOUNCEMENT', 'Derby', 'Portes à 16h', 'FAILED', ?)", ids.otherNotice, ids.other, ids.campaign),
    run("INSERT INTO notifications (id, user_id, notification_type, title, message, status) VALUES (?, ?, 'EVENT_CANCELLED_PASS', 'Annulé', 'Match annulé', 'SENT')", ids.direct, ids.fan),
    run(
      "INSERT INTO notification_batch_recipients (batch_id, user_id, status, notification_id, added_at, sent_at) VALUES (?, ?, 'DELIVERED', ?, '2029-06-01T09:00:01.000Z', '2029-06-01T09:00:03.000Z')",
      ids.campaign, ids.fan, ids.fanNotice,
    ),
    run("INSERT INTO notification_batch_recipients (batch_id, user_id, status, notification_id, added_at) VALUES (?, ?, 'FAILED', ?, '2029-06-01T09:00:01.000Z')", ids.campaign, ids.other, ids.otherNotice),
    run("INSERT INTO notification_batch_recipients (batch_id, user_id) VALUES (?, ?)", ids.scheduled, ids.fan),
    run(
      "INSERT INTO message_deliveries (id, dedupe_key, channel, recipient, user_id, notification_type, language, data, priority, status, subject, body, provider, provider_message_id, attempts, sent_to, batch_id, created_at, updated_at, sent_at, delivered_at) VALUES (?, 'campaign:derby:fan', 'EMAIL', 'fan@example.com', ?, 'ANNOUNCEMENT', 'ar', '{\"title\":\"Derby\"}', 'HIGH', 'DELIVERED', 'Derby', '<p>Bonjour</p>', 'cloudflare-email', 'msg-1', 1, 'fan@example.com', ?, '2029-06-01T09:00:02.000Z', '2029-06-01T09:00:04.000Z', '2029-06-01T09:00:03.000Z', '2029-06-01T09:00:04.000Z')",
      ids.batchEmail, ids.fan, ids.campaign,
    ),
    run(
      "INSERT INTO message_deliveries (id, dedupe_key, channel, recipient, user_id, notification_type, language, tickets, status, error, attempts, send_after, dead_lettered_at) VALUES (?, 'cancel:fan', 'EMAIL', 'fan@example.com', ?, 'EVENT_CANCELLED_PASS', 'fr', '[\"TKT-1\"]', 'FAILED', 'bounced', 5, '2029-06-02T00:00:00.000Z', '2029-06-03T00:00:00.000Z')",
      ids.directEmail, ids.fan,
    ),
    run("INSERT INTO message_deliveries (id, dedupe_key, channel, recipient, notification_type, language, status, digest_frequency, digest_id) VALUES (?, 'digest:other', 'SMS', '+22990000000', 'DIGEST', 'fr', 'DIGESTED', 'DAILY', 'dg-1')", ids.directSms),
    run("INSERT INTO notification_preferences (id, user_id, notification_type, channel, is_enabled, frequency, send_time) VALUES (?, ?, 'ANNOUNCEMENT', 'EMAIL', 1, 'DAILY', '07:30')", ids.prefDigest, ids.fan),
    run("INSERT INTO notification_preferences (id, user_id, notification_type, channel, is_enabled, frequency) VALUES (?, ?, 'EVENT_CANCELLED_PASS', 'SMS', 0, 'NEVER')", ids.prefOff, ids.other),
    run("INSERT INTO organizations (id, name, created_by) VALUES (?, 'EST', ?)", ids.org, ids.admin),
    run("INSERT INTO subscription_plans (id, code, name, organization_id, type, price, currency) VALUES (?, 'ABO', 'Abonnement', ?, 'FULL_SEASON', 450000, 'TND')", ids.plan, ids.org),
    run("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status, metadata) VALUES (?, 'SUB-1', ?, ?, 450000, 'TND', '2028-08-01', '2029-06-30', 'EXPIRED', '{\"channel\":\"WEB\"}')", ids.oldPass, ids.fan, ids.plan),
    run(
      "INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status, metadata) VALUES (?, 'SUB-2', ?, ?, 450000, 'TND', '2029-08-01', '2030-06-30', 'ACTIVE', json_object('renewed_from', ?, 'seat', 'A-12'))",
      ids.renewal, ids.fan, ids.plan, ids.oldPass,
    ),
    run("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until) VALUES (?, 'SUB-3', ?, ?, 450000, 'TND', '2029-08-01', '2030-06-30')", ids.plainPass, ids.other, ids.plan),
  ]);
  return ids;
}

type Row = Record<string, unknown>;
const rows = async (query: string, ...params: unknown[]) => (await db.prepare(query).bind(...params).all<Row>()).results;
const tables = async () =>
  (await rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations' ORDER BY name")).map((r) => r.name as string);
const columns = async (table: string) => (await rows("SELECT name FROM pragma_table_info(?) ORDER BY cid", table)).map((r) => r.name as string);

/** Every row of every table, by column name (keys sorted: a rebuild may put columns in another order), each table's rows in a stable order. */
async function everything(only?: Record<string, string[]>) {
  const all: Record<string, string[]> = {};
  const text = (row: Row) => JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))));
  for (const table of only ? Object.keys(only) : await tables()) {
    const list = only ? only[table]!.map((c) => `"${c}"`).join(", ") : "*";
    all[table] = (await rows(`SELECT ${list} FROM "${table}"`)).map(text).sort();
  }
  return all;
}

/** The indexes of a table as SQLite sees them (automatic ones included), with their columns, and the foreign keys that leave it. */
async function shape(table: string) {
  const indexes = await rows("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY name", table);
  for (const index of indexes) index.columns = (await rows("SELECT name FROM pragma_index_info(?) ORDER BY seqno", index.name)).map((r) => r.name);
  const keys = await rows('SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY "from"', table);
  return { indexes, keys };
}

const definitions = async (type: "index" | "trigger") =>
  Object.fromEntries((await rows("SELECT name, sql FROM sqlite_master WHERE type = ? AND sql IS NOT NULL ORDER BY name", type)).map((r) => [r.name, r.sql]));

describe("migrating the notification tables for the pass, cart and waiting-list message types", () => {
  it("keeps every row and link of the notification tables and campaigns, their indexes and keys; moves renewed_from out of metadata", async () => {
    await applyD1Migrations(db, before);
    const ids = await filled();
    const oldTables = await tables();
    const oldColumns = Object.fromEntries(await Promise.all(oldTables.map(async (t) => [t, await columns(t)] as const)));
    const data = await everything();
    const shapes = Object.fromEntries(await Promise.all([...REBUILT, RECIPIENTS].map(async (t) => [t, await shape(t)] as const)));
    const [indexes, triggers] = [await definitions("index"), await definitions("trigger")];
    for (const table of [...REBUILT, RECIPIENTS]) expect(data[table]!.length, table).toBeGreaterThan(1);
    // The old CHECKs refuse the new types: this is what the rebuild is for.
    const newType = (nid: string) => db.prepare("INSERT INTO notifications (id, user_id, notification_type, title, message) VALUES (?, ?, 'PASS_RENEWAL_REQUESTED', 'Renouvellement', 'Votre abonnement')").bind(nid, ids.fan);
    await expect(newType(id()).run()).rejects.toThrow(/CHECK constraint failed/);

    await applyD1Migrations(db, migration);

    // The tables: the old ones and 0019's new ones, none of the rebuild's kept-aside copies left.
    expect(await tables()).toEqual(
      [...oldTables, "presale_codes", "season_card_requests", "subscription_instalments", "subscription_renewal_attempts", "subscription_upgrades"].sort(),
    );
    // Every row of every old table, by its old columns: the same, but for the renewal's metadata (0020).
    const renewal = (await rows("SELECT * FROM subscriptions WHERE id = ?", ids.renewal))[0]!;
    expect(renewal.renewed_from).toBe(ids.oldPass);
    expect(JSON.parse(renewal.metadata as string)).toEqual({ seat: "A-12" });
    const after = await everything(oldColumns);
    const moved = (list: string[]) =>
      list.map((r) => {
        const row = JSON.parse(r) as Row;
        return row.id === ids.renewal ? JSON.stringify({ ...row, metadata: JSON.stringify({ seat: "A-12" }) }) : r;
      });
    expect({ ...after, subscriptions: moved(after.subscriptions!) }).toEqual({ ...data, subscriptions: moved(data.subscriptions!) });
    expect(after.subscriptions).not.toEqual(data.subscriptions);
    // Spelled out for the tables the rebuild touches (the whole-database comparison above holds them too).
    for (const table of [...REBUILT, RECIPIENTS]) expect(after[table], table).toEqual(data[table]);
    expect(await rows("SELECT id, renewed_from, metadata FROM subscriptions WHERE id <> ? ORDER BY subscription_number", ids.renewal)).toEqual([
      { id: ids.oldPass, renewed_from: null, metadata: '{"channel":"WEB"}' },
      { id: ids.plainPass, renewed_from: null, metadata: null },
    ]);

    // The links: campaigns to their template, recipients to their campaign and notification, notifications and deliveries to their campaign.
    expect(await rows("SELECT b.id, t.name FROM notification_batches b JOIN notification_templates t ON t.id = b.template_id ORDER BY b.name")).toEqual([
      { id: ids.campaign, name: "Annonce du club" },
      { id: ids.scheduled, name: "Annonce du club" },
    ]);
    expect(
      await rows("SELECT r.batch_id, r.user_id, n.id AS notification FROM notification_batch_recipients r JOIN notification_batches b ON b.id = r.batch_id LEFT JOIN notifications n ON n.id = r.notification_id ORDER BY b.name, r.status"),
    ).toEqual([
      { batch_id: ids.campaign, user_id: ids.fan, notification: ids.fanNotice },
      { batch_id: ids.campaign, user_id: ids.other, notification: ids.otherNotice },
      { batch_id: ids.scheduled, user_id: ids.fan, notification: null },
    ]);
    expect(await rows("SELECT id, batch_id FROM notifications ORDER BY id")).toEqual(
      [
        { id: ids.fanNotice, batch_id: ids.campaign },
        { id: ids.otherNotice, batch_id: ids.campaign },
        { id: ids.direct, batch_id: null },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await rows("SELECT id, batch_id FROM message_deliveries ORDER BY id")).toEqual(
      [
        { id: ids.batchEmail, batch_id: ids.campaign },
        { id: ids.directEmail, batch_id: null },
        { id: ids.directSms, batch_id: null },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(await rows("SELECT * FROM pragma_foreign_key_check")).toEqual([]);

    // Indexes (automatic ones too) and foreign keys of the rebuilt tables and the recipients: as they were.
    for (const table of [...REBUILT, RECIPIENTS]) expect(await shape(table), table).toEqual(shapes[table]);
    // Every index definition as it was, plus 0019's own; no trigger changed, none added.
    const afterIndexes = await definitions("index");
    expect(Object.fromEntries(Object.entries(afterIndexes).filter(([name]) => name in indexes))).toEqual(indexes);
    expect(Object.keys(afterIndexes).filter((name) => !(name in indexes)).sort()).toEqual([
      "presale_codes_event_code_unique",
      "season_card_requests_status_idx",
      "subscription_instalments_due_idx",
      "subscription_instalments_number_unique",
      "subscription_renewal_attempts_renewal_idx",
      "subscription_renewal_attempts_status_idx",
      "subscription_renewal_attempts_unique",
      "subscription_upgrades_subscription_idx",
      "subscriptions_renewal_unique",
      "subscriptions_transferred_from_unique",
    ]);
    expect(await definitions("trigger")).toEqual(triggers);

    // The new types are accepted now; the keys still hold: a campaign on a missing template, a renewal of a missing pass are refused.
    await newType(id()).run();
    await expect(
      db.prepare("INSERT INTO notification_batches (id, name, template_id, notification_type, channels, data, targeting_criteria) VALUES (?, 'X', ?, 'ANNOUNCEMENT', '[]', '{}', '{}')").bind(id(), id()).run(),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    await expect(db.prepare("UPDATE subscriptions SET renewed_from = ? WHERE id = ?").bind(id(), ids.plainPass).run()).rejects.toThrow(/FOREIGN KEY constraint failed/);
    // A second renewal of the same pass while the first is active is refused (subscriptions_renewal_unique over the moved value).
    await expect(db.prepare("UPDATE subscriptions SET renewed_from = ? WHERE id = ?").bind(ids.oldPass, ids.plainPass).run()).rejects.toThrow(/UNIQUE constraint failed/);
  });
});
