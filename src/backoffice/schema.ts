import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { money } from "../db/columns.ts";

/**
 * The back office's report aggregates: counters kept by D1 triggers
 * (migrations/0013_backoffice_triggers.sql) in the same statement as the row
 * they count, so they can neither drift nor count a projected row twice (the
 * EventDO's projection replays batches; an ignored or unchanged row fires
 * nothing). Each trigger takes the row's old contribution out and puts its new
 * one in. Reports read these small tables instead of scanning the event's
 * orders, rights or gate log. Key columns are never NULL (SQLite's primary
 * keys would treat NULLs as distinct): '' stands for "none".
 */

/** Confirmed (or completed) orders, by UTC day of confirmation, configuration, channel, first pricing rule and unit price. */
export const report_sales = sqliteTable(
  "report_sales",
  {
    event_id: text("event_id").notNull(),
    day: text("day").notNull(), // YYYY-MM-DD (UTC) of confirmed_at
    config_id: text("config_id").notNull(),
    channel: text("channel").notNull(),
    pricing_rule_id: text("pricing_rule_id").notNull(),
    unit_price: money("unit_price").notNull(), // the price tier
    currency: text("currency").notNull(),
    orders: integer("orders").notNull().default(0),
    units: integer("units").notNull().default(0),
    gross: money("gross").notNull().default(0),
    discount: money("discount").notNull().default(0),
    net: money("net").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.event_id, t.day, t.config_id, t.channel, t.pricing_rule_id, t.unit_price, t.currency] })],
);

/** Access rights by source, configuration, zone, season-pass plan, status and whether they were ever let in. */
export const report_rights = sqliteTable(
  "report_rights",
  {
    event_id: text("event_id").notNull(),
    source_type: text("source_type").notNull(),
    config_id: text("config_id").notNull(),
    zone_id: text("zone_id").notNull(),
    plan_id: text("plan_id").notNull(), // the season-pass plan of a SUBSCRIPTION right
    status: text("status").notNull(),
    entered: integer("entered").notNull(), // 1: entry_count > 0
    rights: integer("rights").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.event_id, t.source_type, t.config_id, t.zone_id, t.plan_id, t.status, t.entered] })],
);

/** Gate log rows by 15-minute bucket of the scan time, gate, zone, action, outcome, denial reason, conflict and method. */
export const report_scans = sqliteTable(
  "report_scans",
  {
    event_id: text("event_id").notNull(),
    bucket: text("bucket").notNull(), // ISO start of the 15-minute slot of `timestamp`
    access_point_id: text("access_point_id").notNull(),
    zone_id: text("zone_id").notNull(),
    action: text("action").notNull(),
    status: text("status").notNull(),
    denial_reason: text("denial_reason").notNull(),
    is_conflict: integer("is_conflict").notNull(),
    scan_method: text("scan_method").notNull(),
    scans: integer("scans").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.event_id, t.bucket, t.access_point_id, t.zone_id, t.action, t.status, t.denial_reason, t.is_conflict, t.scan_method] })],
);

/** Commissions by event, organization that owes them, currency, status and type. */
export const report_commissions = sqliteTable(
  "report_commissions",
  {
    event_id: text("event_id").notNull(),
    organization_id: text("organization_id").notNull(), // commissions.organization_id; '' none
    currency: text("currency").notNull(),
    status: text("status").notNull(),
    commission_type: text("commission_type").notNull(),
    commissions: integer("commissions").notNull().default(0),
    base_amount: money("base_amount").notNull().default(0),
    commission_amount: money("commission_amount").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.event_id, t.organization_id, t.currency, t.status, t.commission_type] }),
  ],
);

/** Refund requests by event (of the refunded payment), currency, status and reason. */
export const report_refunds = sqliteTable(
  "report_refunds",
  {
    event_id: text("event_id").notNull(),
    currency: text("currency").notNull(),
    status: text("status").notNull(),
    reason: text("reason").notNull(),
    refunds: integer("refunds").notNull().default(0),
    amount: money("amount").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.event_id, t.currency, t.status, t.reason] })],
);

/**
 * Money taken (payments PAID, then possibly refunded; REFUND rows are counted
 * as `refunded_amount` on the payment they give back), by UTC day of payment,
 * currency, provider, method, type, country of the venue and organization:
 * the one that sold the tickets or the season pass, or that paid its
 * organizer plan ('' for a commission settlement and anything else).
 */
export const report_payments = sqliteTable(
  "report_payments",
  {
    day: text("day").notNull(),
    currency: text("currency").notNull(),
    provider: text("provider").notNull(),
    method: text("method").notNull(),
    type: text("type").notNull(),
    country: text("country").notNull(),
    organization_id: text("organization_id").notNull(),
    payments: integer("payments").notNull().default(0),
    amount: money("amount").notNull().default(0),
    fees: money("fees").notNull().default(0),
    refunded_amount: money("refunded_amount").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.currency, t.provider, t.method, t.type, t.country, t.organization_id] })],
);
