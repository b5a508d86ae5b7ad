import { z } from "@hono/zod-openapi";
import { ACCESS_ACTIONS, ACCESS_RIGHT_STATUSES, ACCESS_SOURCE_TYPES, ACCESS_STATUSES, DENIAL_REASONS, SCAN_METHODS, TRANSFER_STATUSES, TRANSFER_TYPES } from "../access/schema.ts";
import { PAYMENT_STATUSES } from "../db/enums.ts";
import { instant, booleanQuery } from "../lib/schemas.ts";
import { CURRENCY_CODES } from "../lib/money.ts";
import { BOOKING_STATUSES, PURCHASE_CHANNELS } from "../orders/schema.ts";
import { SUBSCRIPTION_STATUSES } from "../passes/schema.ts";
import { PAYMENT_METHODS, PAYMENT_PROVIDERS, PAYMENT_TYPES, REFUND_REASONS, REFUND_STATUSES } from "../payments/schema.ts";
import { filter, q, type Column, type ListSpec, type Scope, type Sort, type Sql } from "./list-engine.ts";
import type { SearchTerm } from "./search.ts";

// The back office's lists (src/backoffice/list-engine.ts runs them). Every
// condition and sort here is served by an index named in the table files;
// test/integration/backoffice-plans.test.ts checks each with EXPLAIN QUERY PLAN.

const fullName = (alias: string) => `trim(${alias}.first_name || ' ' || ${alias}.last_name)`;
const person = (prefix: string, alias: string, nullable = false): Column[] => [
  { name: `${prefix}_name`, sql: fullName(alias), kind: "text", nullable },
  { name: `${prefix}_email`, sql: `${alias}.email`, kind: "text", nullable },
  { name: `${prefix}_phone`, sql: `${alias}.phone`, kind: "text", nullable: true },
];
const uuid = z.uuid();
const newest = (alias: string, column = "created_at"): Record<string, Sort> => ({
  "-created_at": { key: `${alias}.${column}`, id: `${alias}.id`, direction: "desc", kind: "text", description: "newest first (default)" },
  created_at: { key: `${alias}.${column}`, id: `${alias}.id`, direction: "asc", kind: "text", description: "oldest first" },
});
const byName = (alias: string, column: string): Record<string, Sort> => ({
  name: { key: `${alias}.${column}`, id: `${alias}.id`, direction: "asc", kind: "text", eventOnly: true, description: "by name, A to Z (accents ignored; in one event)" },
  "-name": { key: `${alias}.${column}`, id: `${alias}.id`, direction: "desc", kind: "text", eventOnly: true, description: "by name, Z to A (in one event)" },
});
const between = (column: string) => ({
  created_from: filter(instant, (v) => q(`${column} >= ?`, v)),
  created_to: filter(instant, (v) => q(`${column} < ?`, v)),
});
const eventFilter = (column: string) => ({ event_id: filter(uuid, (v) => q(`${column} = ?`, v), { narrow: true }) });

/** The values a reference is matched against: as typed, and upper-cased. */
const refs = (term: { value: string }) => [term.value, term.value.toUpperCase()];

/** The accounts a search names, as a subquery over users' unique or indexed columns; null for other kinds of search. */
function accounts(term: SearchTerm): Sql | null {
  switch (term.kind) {
    case "email":
      return q("SELECT id FROM users WHERE email = ?", term.value);
    case "phone":
      return q("SELECT id FROM users WHERE phone = ?", term.value);
    case "name":
      return q("SELECT id FROM users WHERE search_name >= ? AND search_name < ? UNION ALL SELECT id FROM users WHERE search_name_rev >= ? AND search_name_rev < ?", term.from, term.to, term.from, term.to);
    default:
      return null;
  }
}
const within = (column: string, sub: Sql | null): Sql | null => (sub ? q(`${column} IN (${sub.sql})`, ...sub.params) : null);

/** Rows of one event whose name key (`key`, or `key`_rev: last name first) starts with the search: two ranges of the event's name indexes. */
const nameInEvent = (alias: string, table: string, key: string, eventId: string, term: { from: string; to: string }) =>
  q(
    `${alias}.id IN (SELECT id FROM ${table} WHERE event_id = ? AND ${key} >= ? AND ${key} < ? UNION ALL SELECT id FROM ${table} WHERE event_id = ? AND ${key}_rev >= ? AND ${key}_rev < ?)`,
    eventId, term.from, term.to, eventId, term.from, term.to,
  );

/** Rights a search names; within one event a name is looked up in the event's own holder-name indexes. */
function rightsSearch(term: SearchTerm, scope: Scope): Sql | null {
  switch (term.kind) {
    case "id":
      return q(
        "r.id IN (SELECT id FROM access_rights WHERE id = ? UNION ALL SELECT id FROM access_rights WHERE source_type IN ('TICKET', 'SUBSCRIPTION') AND source_id = ? UNION ALL SELECT id FROM access_rights WHERE user_id = ?)",
        term.value, term.value, term.value,
      );
    case "qr_code":
      return q("r.id IN (SELECT id FROM access_rights WHERE qr_code = ?)", term.value);
    case "reference":
      return q(
        `r.id IN (SELECT a.id FROM access_rights a WHERE a.source_type IN ('TICKET', 'SUBSCRIPTION') AND a.source_id IN (
           SELECT id FROM tickets WHERE ticket_number IN (?, ?) UNION ALL SELECT id FROM subscriptions WHERE subscription_number IN (?, ?) UNION ALL SELECT ticket_id FROM payments WHERE internal_reference IN (?, ?)))`,
        ...refs(term), ...refs(term), ...refs(term),
      );
    case "name":
      return scope.kind === "event" ? nameInEvent("r", "access_rights", "holder_name_key", scope.eventId, term) : within("r.user_id", accounts(term));
    default:
      return within("r.user_id", accounts(term));
  }
}

const rightColumns: Column[] = [
  { name: "id", sql: "r.id", kind: "text" },
  { name: "qr_code", sql: "r.qr_code", kind: "text", description: "The printed code (manual entry at the gate)." },
  { name: "event_id", sql: "r.event_id", kind: "text" },
  { name: "status", sql: "r.status", kind: "text", values: ACCESS_RIGHT_STATUSES },
  { name: "source_type", sql: "r.source_type", kind: "text", values: ACCESS_SOURCE_TYPES },
  { name: "source_id", sql: "r.source_id", kind: "text", description: "The order, season pass, grant or previous right it comes from." },
  { name: "holder_id", sql: "r.user_id", kind: "text" },
  ...person("holder", "u"),
  { name: "zone_id", sql: "r.zone_id", kind: "text", nullable: true },
  { name: "zone_name", sql: "z.name", kind: "text", nullable: true },
  { name: "seat_id", sql: "r.seat_id", kind: "text", nullable: true },
  { name: "seat", sql: "CASE WHEN s.id IS NULL THEN NULL ELSE s.section || '-' || s.row || '-' || s.number END", kind: "text", nullable: true, description: "section-row-number" },
  { name: "config_id", sql: "r.config_id", kind: "text", nullable: true },
  { name: "ticket_type_id", sql: "c.ticket_type_id", kind: "text", nullable: true },
  { name: "ticket_type_name", sql: "tt.name", kind: "text", nullable: true },
  { name: "checked_in", sql: "r.entry_count > 0", kind: "bool", description: "Let in at least once." },
  { name: "checked_in_at", sql: "r.used_at", kind: "text", nullable: true, description: "First entry." },
  { name: "is_inside", sql: "r.is_inside", kind: "bool" },
  { name: "entry_count", sql: "r.entry_count", kind: "int" },
  { name: "last_exit_at", sql: "r.last_exit_at", kind: "text", nullable: true },
  { name: "transfer_count", sql: "r.transfer_count", kind: "int" },
  { name: "valid_from", sql: "r.valid_from", kind: "text" },
  { name: "valid_until", sql: "r.valid_until", kind: "text" },
  { name: "created_at", sql: "r.created_at", kind: "text" },
];
const RIGHT_JOINS = `JOIN users u ON u.id = r.user_id LEFT JOIN venue_zones z ON z.id = r.zone_id LEFT JOIN seats s ON s.id = r.seat_id
  LEFT JOIN event_ticket_config c ON c.id = r.config_id LEFT JOIN ticket_types tt ON tt.id = c.ticket_type_id`;
const rightFilters = {
  status: filter(z.enum(ACCESS_RIGHT_STATUSES), (v) => q("r.status = ?", v)),
  zone_id: filter(uuid, (v) => q("r.zone_id = ?", v)),
  config_id: filter(uuid, (v) => q("r.config_id = ?", v)),
  ticket_type_id: filter(uuid, (v) => q("r.config_id IN (SELECT id FROM event_ticket_config WHERE ticket_type_id = ?)", v)),
  checked_in: filter(booleanQuery, (v) => q(v ? "r.used_at IS NOT NULL" : "r.used_at IS NULL")),
  is_inside: filter(booleanQuery, (v) => q(`r.is_inside = ${v ? 1 : 0}`)),
  seat_id: filter(uuid, (v) => q("r.seat_id = ?", v)),
  holder_id: filter(uuid, (v) => q("r.user_id = ?", v), { narrow: true }),
};
const rightSorts = (alias: string): Record<string, Sort> => ({
  ...newest(alias),
  ...byName(alias, "holder_name_key"),
  "-checked_in_at": { key: `${alias}.used_at`, id: `${alias}.id`, direction: "desc", kind: "text", only: `${alias}.used_at IS NOT NULL`, eventOnly: true, description: "last checked in first (checked-in rights only)" },
  checked_in_at: { key: `${alias}.used_at`, id: `${alias}.id`, direction: "asc", kind: "text", only: `${alias}.used_at IS NOT NULL`, eventOnly: true, description: "first checked in first (checked-in rights only)" },
});

/** Attendees: every access right of the event (one per admitted person), whatever its source. */
export const ATTENDEES: ListSpec = {
  name: "attendees",
  schemaName: "BackofficeAttendee",
  table: "access_rights r",
  joins: RIGHT_JOINS,
  platformIndex: "access_rights_created_idx",
  eventColumn: "r.event_id",
  columns: rightColumns,
  filters: { ...rightFilters, source_type: filter(z.enum(ACCESS_SOURCE_TYPES), (v) => q("r.source_type = ?", v)), ...eventFilter("r.event_id") },
  sorts: rightSorts("r"),
  defaultSort: "-created_at",
  search: rightsSearch,
};

/** Season-pass holders: the event's rights that come from a season pass, with the pass and its plan. */
export const PASS_HOLDERS: ListSpec = {
  name: "pass-holders",
  schemaName: "BackofficePassHolder",
  table: "access_rights r",
  joins: `${RIGHT_JOINS} JOIN subscriptions p ON p.id = r.source_id JOIN subscription_plans pl ON pl.id = p.subscription_plan_id`,
  filterJoins: "JOIN subscriptions p ON p.id = r.source_id",
  platformIndex: "access_rights_created_idx",
  eventColumn: "r.event_id",
  base: "r.source_type = 'SUBSCRIPTION'",
  columns: [
    { name: "access_right_id", sql: "r.id", kind: "text" },
    { name: "qr_code", sql: "r.qr_code", kind: "text" },
    { name: "event_id", sql: "r.event_id", kind: "text" },
    { name: "right_status", sql: "r.status", kind: "text", values: ACCESS_RIGHT_STATUSES },
    { name: "subscription_id", sql: "p.id", kind: "text" },
    { name: "subscription_number", sql: "p.subscription_number", kind: "text" },
    { name: "status", sql: "p.status", kind: "text", values: SUBSCRIPTION_STATUSES, description: "The pass's status." },
    { name: "plan_id", sql: "pl.id", kind: "text" },
    { name: "plan_name", sql: "pl.name", kind: "text" },
    { name: "holder_id", sql: "r.user_id", kind: "text" },
    ...person("holder", "u"),
    { name: "zone_name", sql: "z.name", kind: "text", nullable: true },
    { name: "seat", sql: "CASE WHEN s.id IS NULL THEN NULL ELSE s.section || '-' || s.row || '-' || s.number END", kind: "text", nullable: true },
    { name: "checked_in", sql: "r.entry_count > 0", kind: "bool" },
    { name: "checked_in_at", sql: "r.used_at", kind: "text", nullable: true },
    { name: "price_paid", sql: "p.price_paid", kind: "int", money: true, description: "What the pass cost (minor units)." },
    { name: "currency", sql: "p.currency", kind: "text" },
    { name: "valid_from", sql: "p.valid_from", kind: "text" },
    { name: "valid_until", sql: "p.valid_until", kind: "text" },
    { name: "created_at", sql: "r.created_at", kind: "text" },
  ],
  filters: {
    plan_id: filter(uuid, (v) => q("p.subscription_plan_id = ?", v)),
    status: filter(z.enum(SUBSCRIPTION_STATUSES), (v) => q("p.status = ?", v)),
    right_status: filter(z.enum(ACCESS_RIGHT_STATUSES), (v) => q("r.status = ?", v)),
    checked_in: rightFilters.checked_in,
    ...eventFilter("r.event_id"),
  },
  sorts: { ...newest("r"), ...byName("r", "holder_name_key") },
  defaultSort: "-created_at",
  search: rightsSearch,
};

function ordersSearch(term: SearchTerm, scope: Scope): Sql | null {
  switch (term.kind) {
    case "id":
      return q(
        "t.id IN (SELECT id FROM tickets WHERE id = ? UNION ALL SELECT ticket_id FROM payments WHERE id = ? UNION ALL SELECT id FROM tickets WHERE user_id = ?)",
        term.value, term.value, term.value,
      );
    case "qr_code":
      return q("t.id IN (SELECT source_id FROM access_rights WHERE qr_code = ? AND source_type = 'TICKET')", term.value);
    case "reference":
      return q("t.id IN (SELECT id FROM tickets WHERE ticket_number IN (?, ?) UNION ALL SELECT ticket_id FROM payments WHERE internal_reference IN (?, ?))", ...refs(term), ...refs(term));
    case "name":
      return scope.kind === "event" ? nameInEvent("t", "tickets", "buyer_name_key", scope.eventId, term) : within("t.user_id", accounts(term));
    default:
      return within("t.user_id", accounts(term));
  }
}

/** Orders (tickets): every order of the event, held, confirmed, cancelled or expired. */
export const ORDERS: ListSpec = {
  name: "orders",
  schemaName: "BackofficeOrder",
  table: "tickets t",
  joins: "LEFT JOIN users u ON u.id = t.user_id LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id LEFT JOIN pricing_rules pr ON pr.id = t.pricing_rule_id",
  platformIndex: "tickets_created_idx",
  eventColumn: "t.event_id",
  columns: [
    { name: "id", sql: "t.id", kind: "text" },
    { name: "ticket_number", sql: "t.ticket_number", kind: "text" },
    { name: "event_id", sql: "t.event_id", kind: "text" },
    { name: "booking_status", sql: "t.booking_status", kind: "text", values: BOOKING_STATUSES },
    { name: "payment_status", sql: "t.payment_status", kind: "text", values: PAYMENT_STATUSES },
    { name: "channel", sql: "t.purchase_channel", kind: "text", values: PURCHASE_CHANNELS },
    { name: "buyer_id", sql: "t.user_id", kind: "text", nullable: true },
    ...person("buyer", "u", true),
    { name: "is_guest", sql: "t.is_guest_purchase", kind: "bool" },
    { name: "ticket_type_id", sql: "t.ticket_type_id", kind: "text" },
    { name: "ticket_type_name", sql: "tt.name", kind: "text", nullable: true },
    { name: "config_id", sql: "t.event_ticket_config_id", kind: "text", nullable: true },
    { name: "quantity", sql: "t.quantity", kind: "int" },
    { name: "unit_price", sql: "t.unit_price", kind: "int", money: true },
    { name: "discount_amount", sql: "t.discount_amount", kind: "int", money: true },
    { name: "total_price", sql: "t.total_price", kind: "int", money: true },
    { name: "currency", sql: "t.currency", kind: "text", values: CURRENCY_CODES },
    { name: "promo_code", sql: "pr.promo_code", kind: "text", nullable: true },
    { name: "payment_id", sql: "t.payment_id", kind: "text", nullable: true },
    { name: "created_at", sql: "t.created_at", kind: "text" },
    { name: "confirmed_at", sql: "t.confirmed_at", kind: "text", nullable: true },
    { name: "cancelled_at", sql: "t.cancelled_at", kind: "text", nullable: true },
  ],
  filters: {
    status: filter(z.enum(BOOKING_STATUSES), (v) => q("t.booking_status = ?", v)),
    payment_status: filter(z.enum(PAYMENT_STATUSES), (v) => q("t.payment_status = ?", v)),
    channel: filter(z.enum(PURCHASE_CHANNELS), (v) => q("t.purchase_channel = ?", v)),
    ticket_type_id: filter(uuid, (v) => q("t.ticket_type_id = ?", v)),
    config_id: filter(uuid, (v) => q("t.event_ticket_config_id = ?", v)),
    buyer_id: filter(uuid, (v) => q("t.user_id = ?", v), { narrow: true }),
    promo_code: filter(
      z.string().trim().min(1).max(50).toUpperCase(),
      (v) => q("t.id IN (SELECT u2.ticket_id FROM pricing_rule_usages u2 WHERE u2.rule_id IN (SELECT id FROM pricing_rules WHERE promo_code = ?))", v),
      { narrow: true },
    ),
    ...between("t.created_at"),
    ...eventFilter("t.event_id"),
  },
  sorts: { ...newest("t"), ...byName("t", "buyer_name_key") },
  defaultSort: "-created_at",
  search: ordersSearch,
};

function paymentsSearch(term: SearchTerm): Sql | null {
  switch (term.kind) {
    case "id":
      return q(
        "p.id IN (SELECT id FROM payments WHERE id = ? UNION ALL SELECT id FROM payments WHERE ticket_id = ? UNION ALL SELECT id FROM payments WHERE user_id = ?)",
        term.value, term.value, term.value,
      );
    case "qr_code":
      return q("p.ticket_id IN (SELECT source_id FROM access_rights WHERE qr_code = ? AND source_type = 'TICKET')", term.value);
    case "reference":
      return q("p.id IN (SELECT id FROM payments WHERE internal_reference IN (?, ?) UNION ALL SELECT pp.id FROM tickets t2 JOIN payments pp ON pp.ticket_id = t2.id WHERE t2.ticket_number IN (?, ?))", ...refs(term), ...refs(term));
    default:
      return within("p.user_id", accounts(term));
  }
}

/** Payments of the event's orders (and the REFUND payments giving them back). */
export const PAYMENTS: ListSpec = {
  name: "payments",
  schemaName: "BackofficePayment",
  table: "payments p",
  joins: "LEFT JOIN users u ON u.id = p.user_id LEFT JOIN tickets t ON t.id = p.ticket_id",
  platformIndex: "payments_created_idx",
  eventColumn: "p.event_id",
  columns: [
    { name: "id", sql: "p.id", kind: "text" },
    { name: "internal_reference", sql: "p.internal_reference", kind: "text" },
    { name: "external_reference", sql: "p.external_reference", kind: "text", nullable: true },
    { name: "event_id", sql: "p.event_id", kind: "text", nullable: true },
    { name: "type", sql: "p.type", kind: "text", values: PAYMENT_TYPES },
    { name: "status", sql: "p.status", kind: "text", values: PAYMENT_STATUSES },
    { name: "method", sql: "p.method", kind: "text", values: PAYMENT_METHODS },
    { name: "provider", sql: "p.provider", kind: "text", values: PAYMENT_PROVIDERS },
    { name: "amount", sql: "p.amount", kind: "int", money: true },
    { name: "fees", sql: "p.fees", kind: "int", money: true },
    { name: "net_amount", sql: "p.net_amount", kind: "int", money: true },
    { name: "refunded_amount", sql: "p.refunded_amount", kind: "int", money: true },
    { name: "currency", sql: "p.currency", kind: "text", values: CURRENCY_CODES },
    { name: "payer_id", sql: "p.user_id", kind: "text", nullable: true },
    ...person("payer", "u", true),
    { name: "order_id", sql: "p.ticket_id", kind: "text", nullable: true },
    { name: "ticket_number", sql: "t.ticket_number", kind: "text", nullable: true },
    { name: "original_payment_id", sql: "p.original_payment_id", kind: "text", nullable: true },
    { name: "created_at", sql: "p.created_at", kind: "text" },
    { name: "paid_at", sql: "p.paid_at", kind: "text", nullable: true },
  ],
  filters: {
    status: filter(z.enum(PAYMENT_STATUSES), (v) => q("p.status = ?", v)),
    type: filter(z.enum(PAYMENT_TYPES), (v) => q("p.type = ?", v)),
    method: filter(z.enum(PAYMENT_METHODS), (v) => q("p.method = ?", v)),
    provider: filter(z.enum(PAYMENT_PROVIDERS), (v) => q("p.provider = ?", v)),
    ...between("p.created_at"),
    ...eventFilter("p.event_id"),
  },
  sorts: newest("p"),
  defaultSort: "-created_at",
  search: paymentsSearch,
};

/** Refund requests on the event's payments. */
export const REFUNDS: ListSpec = {
  name: "refunds",
  schemaName: "BackofficeRefund",
  table: "refunds f",
  joins: "JOIN payments p ON p.id = f.payment_id LEFT JOIN users u ON u.id = f.requested_by",
  platformIndex: "refunds_requested_idx",
  eventColumn: "f.event_id",
  columns: [
    { name: "id", sql: "f.id", kind: "text" },
    { name: "payment_id", sql: "f.payment_id", kind: "text" },
    { name: "order_id", sql: "p.ticket_id", kind: "text", nullable: true },
    { name: "event_id", sql: "f.event_id", kind: "text", nullable: true },
    { name: "status", sql: "f.status", kind: "text", values: REFUND_STATUSES },
    { name: "reason", sql: "f.reason", kind: "text", values: REFUND_REASONS },
    { name: "description", sql: "f.description", kind: "text", nullable: true },
    { name: "amount", sql: "f.amount", kind: "int", money: true },
    { name: "currency", sql: "f.currency", kind: "text", values: CURRENCY_CODES },
    { name: "requested_by", sql: "f.requested_by", kind: "text", nullable: true },
    ...person("requester", "u", true),
    { name: "admin_comment", sql: "f.admin_comment", kind: "text", nullable: true },
    { name: "requested_at", sql: "f.requested_at", kind: "text" },
    { name: "processed_at", sql: "f.processed_at", kind: "text", nullable: true },
    { name: "refunded_at", sql: "f.refunded_at", kind: "text", nullable: true },
  ],
  filters: {
    status: filter(z.enum(REFUND_STATUSES), (v) => q("f.status = ?", v)),
    reason: filter(z.enum(REFUND_REASONS), (v) => q("f.reason = ?", v)),
    ...eventFilter("f.event_id"),
  },
  sorts: {
    "-requested_at": { key: "f.requested_at", id: "f.id", direction: "desc", kind: "text", description: "newest first (default)" },
    requested_at: { key: "f.requested_at", id: "f.id", direction: "asc", kind: "text", description: "oldest first" },
  },
  defaultSort: "-requested_at",
  search: (term) => {
    switch (term.kind) {
      case "id":
        return q("f.id IN (SELECT id FROM refunds WHERE id = ? UNION ALL SELECT id FROM refunds WHERE payment_id = ?)", term.value, term.value);
      case "reference":
        return q("f.payment_id IN (SELECT id FROM payments WHERE internal_reference IN (?, ?))", ...refs(term));
      case "qr_code":
        return null;
      default:
        return within("f.requested_by", accounts(term));
    }
  },
};

/** Transfers of the event's rights: gifts, loans, sales and exchanges, pending or done. */
export const TRANSFERS: ListSpec = {
  name: "transfers",
  schemaName: "BackofficeTransfer",
  table: "transfers x",
  joins: "JOIN users fu ON fu.id = x.from_user_id LEFT JOIN users tu ON tu.id = x.to_user_id",
  platformIndex: "transfers_created_idx",
  eventColumn: "x.event_id",
  columns: [
    { name: "id", sql: "x.id", kind: "text" },
    { name: "event_id", sql: "x.event_id", kind: "text" },
    { name: "transfer_type", sql: "x.transfer_type", kind: "text", values: TRANSFER_TYPES },
    { name: "status", sql: "x.status", kind: "text", values: TRANSFER_STATUSES },
    { name: "access_right_id", sql: "x.access_right_id", kind: "text" },
    { name: "new_access_right_id", sql: "x.new_access_right_id", kind: "text", nullable: true },
    { name: "from_user_id", sql: "x.from_user_id", kind: "text" },
    ...person("from", "fu"),
    { name: "to_user_id", sql: "x.to_user_id", kind: "text", nullable: true },
    ...person("to", "tu", true),
    { name: "recipient_email", sql: "x.recipient_email", kind: "text", nullable: true },
    { name: "price", sql: "x.price", kind: "int", money: true },
    { name: "currency", sql: "x.currency", kind: "text", nullable: true },
    { name: "created_at", sql: "x.created_at", kind: "text" },
    { name: "completed_at", sql: "x.completed_at", kind: "text", nullable: true },
    { name: "expires_at", sql: "x.expires_at", kind: "text", nullable: true },
  ],
  filters: {
    status: filter(z.enum(TRANSFER_STATUSES), (v) => q("x.status = ?", v)),
    transfer_type: filter(z.enum(TRANSFER_TYPES), (v) => q("x.transfer_type = ?", v)),
    ...eventFilter("x.event_id"),
  },
  sorts: newest("x"),
  defaultSort: "-created_at",
  search: (term) => {
    switch (term.kind) {
      case "id":
        return q("x.id IN (SELECT id FROM transfers WHERE id = ? UNION ALL SELECT id FROM transfers WHERE access_right_id = ?)", term.value, term.value);
      case "qr_code":
        return q("x.access_right_id IN (SELECT id FROM access_rights WHERE qr_code = ?)", term.value);
      case "reference":
        return null;
      default: {
        const who = accounts(term)!;
        return q(`x.id IN (SELECT id FROM transfers WHERE from_user_id IN (${who.sql}) UNION ALL SELECT id FROM transfers WHERE to_user_id IN (${who.sql}))`, ...who.params, ...who.params);
      }
    }
  },
};

/**
 * The detailed gate log for the authorities: every attempt with the holder,
 * the gate, the zone, the controller and a manual admission's reason. The
 * scanned text itself is cut to 8 characters, as in the gate log (it admits
 * whoever presents it).
 */
export const ACCESS_LOG: ListSpec = {
  name: "access-log",
  schemaName: "BackofficeAccessLogEntry",
  table: "access_control_log l",
  joins: `LEFT JOIN users h ON h.id = l.user_id LEFT JOIN users k ON k.id = l.controller_id
    LEFT JOIN access_points ap ON ap.id = l.access_point_id LEFT JOIN venue_zones z ON z.id = l.zone_id`,
  // One event's log at a time (its export for the authorities): never platform-wide.
  platformIndex: null,
  eventColumn: "l.event_id",
  columns: [
    { name: "id", sql: "l.id", kind: "text" },
    { name: "timestamp", sql: "l.timestamp", kind: "text", description: "When the scan happened (on the device, for an offline one)." },
    { name: "received_at", sql: "l.received_at", kind: "text" },
    { name: "action", sql: "l.action", kind: "text", values: ACCESS_ACTIONS },
    { name: "status", sql: "l.status", kind: "text", values: ACCESS_STATUSES },
    { name: "denial_reason", sql: "l.denial_reason", kind: "text", nullable: true },
    { name: "access_right_id", sql: "l.access_right_id", kind: "text", nullable: true },
    { name: "holder_id", sql: "l.user_id", kind: "text", nullable: true },
    ...person("holder", "h", true),
    { name: "access_point_id", sql: "l.access_point_id", kind: "text" },
    { name: "access_point_name", sql: "ap.name", kind: "text", nullable: true },
    { name: "zone_id", sql: "l.zone_id", kind: "text", nullable: true },
    { name: "zone_name", sql: "z.name", kind: "text", nullable: true },
    { name: "controller_id", sql: "l.controller_id", kind: "text" },
    { name: "controller_name", sql: fullName("k"), kind: "text", nullable: true },
    { name: "device_id", sql: "l.device_id", kind: "text" },
    { name: "scan_method", sql: "l.scan_method", kind: "text", values: SCAN_METHODS },
    { name: "qr_code_scanned", sql: "CASE WHEN length(l.qr_code_scanned) > 8 THEN substr(l.qr_code_scanned, 1, 8) || '…' ELSE l.qr_code_scanned END", kind: "text" },
    { name: "reason", sql: "l.metadata ->> '$.reason'", kind: "text", nullable: true, description: "Why a controller admitted by hand." },
    { name: "was_offline", sql: "l.was_offline", kind: "bool" },
    { name: "is_conflict", sql: "l.is_conflict", kind: "bool" },
    { name: "response_time_ms", sql: "l.response_time_ms", kind: "int", nullable: true },
  ],
  filters: {
    status: filter(z.enum(ACCESS_STATUSES), (v) => q("l.status = ?", v)),
    action: filter(z.enum(ACCESS_ACTIONS), (v) => q("l.action = ?", v)),
    denial_reason: filter(z.enum(DENIAL_REASONS), (v) => q("l.denial_reason = ?", v)),
    scan_method: filter(z.enum(SCAN_METHODS), (v) => q("l.scan_method = ?", v)),
    access_point_id: filter(uuid, (v) => q("l.access_point_id = ?", v)),
    zone_id: filter(uuid, (v) => q("l.zone_id = ?", v)),
    access_right_id: filter(uuid, (v) => q("l.access_right_id = ?", v), { narrow: true }),
    conflict: filter(booleanQuery, (v) => q(v ? "l.is_conflict = 1" : "l.is_conflict = 0")),
    from: filter(instant, (v) => q("l.timestamp >= ?", v)),
    to: filter(instant, (v) => q("l.timestamp < ?", v)),
  },
  sorts: {
    timestamp: { key: "l.timestamp", id: "l.id", direction: "asc", kind: "text", description: "in the order scans happened (default)" },
    "-timestamp": { key: "l.timestamp", id: "l.id", direction: "desc", kind: "text", description: "newest first" },
  },
  defaultSort: "timestamp",
  search: (term, scope) => {
    const rights = rightsSearch(term, scope);
    return rights ? q(`l.access_right_id IN (SELECT r.id FROM access_rights r WHERE ${rights.sql})`, ...rights.params) : null;
  },
};

/** Every list of an event, by the name in its path. */
export const EVENT_LISTS = { orders: ORDERS, attendees: ATTENDEES, "pass-holders": PASS_HOLDERS, payments: PAYMENTS, refunds: REFUNDS, transfers: TRANSFERS, "access-log": ACCESS_LOG } as const;

/** The lists admins read platform-wide as JSON (payments and refunds have theirs: GET /v1/admin/payments, GET /v1/refunds), and as CSV. */
export const PLATFORM_JSON = ["orders", "attendees", "pass-holders", "transfers"] as const;
export const PLATFORM_EXPORTS = ["orders", "attendees", "pass-holders", "transfers", "payments", "refunds"] as const;
