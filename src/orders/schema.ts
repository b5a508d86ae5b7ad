import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { bool, checkThat, createdAt, enumCheck, id, json, money, projectionVersion, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES, PAYMENT_STATUSES } from "../db/enums.ts";
import { event_ticket_config, pricing_rules, ticket_types } from "../catalog/schema.ts";
import { events } from "../events/schema.ts";
import { users } from "../users/schema.ts";

/** Entrix `booking_status`: the order's hold/confirmation state, independent of payment. */
export const BOOKING_STATUSES = ["PENDING", "CONFIRMED", "CANCELLED", "EXPIRED", "COMPLETED"] as const;
export const PURCHASE_CHANNELS = ["WEB", "MOBILE", "ONSITE", "PARTNER"] as const;

export const ticketMetadataSchema = z.record(z.string(), z.unknown());

/**
 * Entrix `tickets`: one order of `quantity` places for one event and ticket type; each place
 * becomes an access_rights row (one QR each) once paid. SpotVibe `EventTicket` lives here plus
 * in access_rights. A PENDING booking is a hold until booking_expires_at.
 */
export const tickets = sqliteTable(
  "tickets",
  {
    id: id(),
    ticket_number: text("ticket_number").notNull(), // TKT-2025-001234
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }), // null: guest purchase
    event_id: text("event_id")
      .notNull()
      .references(() => events.id),
    ticket_type_id: text("ticket_type_id")
      .notNull()
      .references(() => ticket_types.id),
    event_ticket_config_id: text("event_ticket_config_id").references(() => event_ticket_config.id),
    quantity: integer("quantity").notNull(),
    unit_price: money("unit_price").notNull(),
    total_price: money("total_price").notNull(),
    discount_amount: money("discount_amount").notNull().default(0),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    pricing_rule_id: text("pricing_rule_id").references(() => pricing_rules.id, { onDelete: "set null" }),
    // The settling payment. The payment names what it pays for (payments.ticket_id, a foreign key); this
    // link back has no foreign key so that the table files stay acyclic: D1 triggers
    // (migrations/*_settling_payment_triggers.sql) refuse a missing payment and null it when the payment goes.
    payment_id: text("payment_id"),
    payment_status: text("payment_status", { enum: PAYMENT_STATUSES }).notNull().default("PENDING"),
    booking_status: text("booking_status", { enum: BOOKING_STATUSES }).notNull().default("PENDING"),
    booking_expires_at: timestamp("booking_expires_at"),
    purchase_channel: text("purchase_channel", { enum: PURCHASE_CHANNELS }).notNull(),
    purchase_ip: text("purchase_ip"),
    is_guest_purchase: bool("is_guest_purchase").notNull().default(false),
    guest_email: text("guest_email"),
    guest_phone: text("guest_phone"), // E.164
    metadata: json("metadata", ticketMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
    confirmed_at: timestamp("confirmed_at"),
    cancelled_at: timestamp("cancelled_at"),
    cancellation_reason: text("cancellation_reason"),
    projection_version: projectionVersion(),
    // The buyer's users.search_name and search_name_rev, copied by D1 triggers (the back office's name search).
    buyer_name_key: text("buyer_name_key").notNull().default(""),
    buyer_name_key_rev: text("buyer_name_key_rev").notNull().default(""),
  },
  (t) => [
    uniqueIndex("tickets_ticket_number_unique").on(t.ticket_number),
    index("tickets_user_idx").on(t.user_id, t.created_at),
    index("tickets_event_status_idx").on(t.event_id, t.booking_status, t.created_at, t.id),
    index("tickets_event_created_idx").on(t.event_id, t.created_at, t.id),
    index("tickets_event_buyer_idx").on(t.event_id, t.buyer_name_key, t.id),
    index("tickets_event_buyer_rev_idx").on(t.event_id, t.buyer_name_key_rev, t.id),
    index("tickets_created_idx").on(t.created_at, t.id),
    index("tickets_hold_expiry_idx").on(t.booking_status, t.booking_expires_at),
    index("tickets_payment_idx").on(t.payment_id),
    index("tickets_config_idx").on(t.event_ticket_config_id),
    index("tickets_guest_email_idx").on(t.guest_email),
    enumCheck("tickets", t.currency, CURRENCY_VALUES),
    enumCheck("tickets", t.payment_status, PAYMENT_STATUSES),
    enumCheck("tickets", t.booking_status, BOOKING_STATUSES),
    enumCheck("tickets", t.purchase_channel, PURCHASE_CHANNELS),
    checkThat("tickets", "quantity_positive", sql`${t.quantity} > 0`),
    checkThat(
      "tickets",
      "amounts_non_negative",
      sql`${t.unit_price} >= 0 AND ${t.total_price} >= 0 AND ${t.discount_amount} >= 0`,
    ),
    checkThat(
      "tickets",
      "buyer_known",
      sql`${t.user_id} IS NOT NULL OR (${t.is_guest_purchase} = 1 AND (${t.guest_email} IS NOT NULL OR ${t.guest_phone} IS NOT NULL))`,
    ),
    checkThat("tickets", "pending_hold_expires", sql`${t.booking_status} <> 'PENDING' OR ${t.booking_expires_at} IS NOT NULL`),
  ],
);
