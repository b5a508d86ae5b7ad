import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { subscription_plans } from "../catalog/schema.ts";
import { bool, checkThat, createdAt, enumCheck, id, json, money, timestamp, updatedAt, isoDate } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { seats } from "../events/schema.ts";
import { users } from "../users/schema.ts";

export const SUBSCRIPTION_STATUSES = ["PENDING", "ACTIVE", "SUSPENDED", "EXPIRED", "CANCELLED", "TRANSFERRED"] as const;

export const subscriptionMetadataSchema = z.record(z.string(), z.unknown());

/** How an automatic renewal charges the holder: the online methods of src/payments (cash is taken at the box office). */
export const RENEWAL_METHODS = ["MOMO_MTN", "MOMO_MOOV", "CARD", "BANK_TRANSFER"] as const;

/** Statuses in which a pass holds its seat. */
const LIVE = sql.raw(`('PENDING', 'ACTIVE', 'SUSPENDED')`);

/**
 * Entrix `subscriptions`: a season pass bought by a fan (SpotVibe's organizer subscriptions are
 * organizer_subscriptions). valid_from/valid_until are calendar dates; one access right per
 * covered event is issued when it becomes ACTIVE.
 */
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: id(),
    subscription_number: text("subscription_number").notNull(), // SUB-2025-001234
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    subscription_plan_id: text("subscription_plan_id")
      .notNull()
      .references((): AnySQLiteColumn => subscription_plans.id),
    seat_id: text("seat_id").references(() => seats.id),
    price_paid: money("price_paid").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    // The settling payment, checked by D1 triggers rather than a foreign key, as tickets.payment_id is.
    payment_id: text("payment_id"),
    valid_from: text("valid_from").notNull(), // YYYY-MM-DD
    valid_until: text("valid_until").notNull(), // YYYY-MM-DD
    status: text("status", { enum: SUBSCRIPTION_STATUSES }).notNull().default("PENDING"),
    suspension_reason: text("suspension_reason"),
    suspension_date: timestamp("suspension_date"),
    auto_renew: bool("auto_renew").notNull().default(false),
    renewal_date: text("renewal_date"), // YYYY-MM-DD
    // The holder's chosen payment path for automatic renewals; null: the method (and number) that paid this pass.
    // No CHECK on it: adding one rebuilds the table, which SQLite refuses under the back office's triggers that
    // read subscriptions (0013); the API's zod enum is its only writer.
    renewal_method: text("renewal_method", { enum: RENEWAL_METHODS }),
    renewal_phone: text("renewal_phone"),
    renewed_from: text("renewed_from").references((): AnySQLiteColumn => subscriptions.id), // the pass this one renews (was metadata.renewed_from)
    transferred_from: text("transferred_from").references((): AnySQLiteColumn => subscriptions.id), // the pass handed whole to this holder (its status TRANSFERRED)
    transfers_used: integer("transfers_used").notNull().default(0),
    last_transfer_date: timestamp("last_transfer_date"),
    activation_date: timestamp("activation_date"),
    cancellation_date: timestamp("cancellation_date"),
    cancellation_reason: text("cancellation_reason"),
    metadata: json("metadata", subscriptionMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
    created_by: text("created_by").references(() => users.id),
  },
  (t) => [
    uniqueIndex("subscriptions_number_unique").on(t.subscription_number),
    uniqueIndex("subscriptions_plan_seat_unique")
      .on(t.subscription_plan_id, t.seat_id)
      .where(sql`${t.seat_id} IS NOT NULL AND ${t.status} IN ${LIVE}`),
    index("subscriptions_user_idx").on(t.user_id, t.status),
    index("subscriptions_plan_idx").on(t.subscription_plan_id, t.status),
    index("subscriptions_expiry_idx").on(t.status, t.valid_until),
    index("subscriptions_renewal_idx").on(t.auto_renew, t.renewal_date),
    index("subscriptions_payment_idx").on(t.payment_id),
    index("subscriptions_seat_idx").on(t.seat_id),
    // A pass is handed on once: its one successor.
    uniqueIndex("subscriptions_transferred_from_unique").on(t.transferred_from),
    // One live renewal per pass: an automatic and a manual renewal at once make one pass, so one charge.
    uniqueIndex("subscriptions_renewal_unique")
      .on(t.renewed_from)
      .where(sql`${t.renewed_from} IS NOT NULL AND ${t.status} IN ${LIVE}`),
    enumCheck("subscriptions", t.currency, CURRENCY_VALUES),
    enumCheck("subscriptions", t.status, SUBSCRIPTION_STATUSES),
    checkThat("subscriptions", "price_paid_non_negative", sql`${t.price_paid} >= 0`),
    checkThat("subscriptions", "valid_from_date", isoDate(t.valid_from)),
    checkThat("subscriptions", "valid_until_date", isoDate(t.valid_until)),
    checkThat("subscriptions", "renewal_date_date", sql`${t.renewal_date} IS NULL OR ${isoDate(t.renewal_date)}`),
    checkThat("subscriptions", "validity_ordered", sql`${t.valid_until} >= ${t.valid_from}`),
    checkThat("subscriptions", "transfers_used_non_negative", sql`${t.transfers_used} >= 0`),
  ],
);

