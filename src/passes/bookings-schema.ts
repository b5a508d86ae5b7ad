import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { access_rights } from "../access/schema.ts";
import { NOW_SQL, checkThat, enumCheck, id, money, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { events, ZONE_CATEGORIES } from "../events/schema.ts";
import { subscriptions } from "./schema.ts";

// Apart from src/passes/schema.ts: a booking references the access right issued
// for it, and src/access/schema.ts references passes (zone overrides).

/** A FLEX pass booking of one match: BOOKED until its access right is used (USED) or the match passes (MISSED). */
export const SUBSCRIPTION_BOOKING_STATUSES = ["BOOKED", "USED", "CANCELLED", "MISSED"] as const;

/** A FLEX (or booking-required) pass's reservation of one event; the access right is issued on booking. */
export const subscription_bookings = sqliteTable(
  "subscription_bookings",
  {
    id: id(),
    subscription_id: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id),
    access_right_id: text("access_right_id").references((): AnySQLiteColumn => access_rights.id, { onDelete: "set null" }),
    status: text("status", { enum: SUBSCRIPTION_BOOKING_STATUSES }).notNull().default("BOOKED"),
    zone_category: text("zone_category", { enum: ZONE_CATEGORIES }), // chosen zone, when the plan allows upgrades
    upgrade_fee: money("upgrade_fee"),
    currency: text("currency", { enum: CURRENCY_VALUES }),
    booked_at: timestamp("booked_at").notNull().default(NOW_SQL),
    cancelled_at: timestamp("cancelled_at"),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("subscription_bookings_live_unique")
      .on(t.subscription_id, t.event_id)
      .where(sql`${t.status} <> 'CANCELLED'`),
    index("subscription_bookings_subscription_idx").on(t.subscription_id, t.status),
    index("subscription_bookings_event_idx").on(t.event_id, t.status),
    index("subscription_bookings_right_idx").on(t.access_right_id),
    enumCheck("subscription_bookings", t.status, SUBSCRIPTION_BOOKING_STATUSES),
    enumCheck("subscription_bookings", t.zone_category, ZONE_CATEGORIES),
    enumCheck("subscription_bookings", t.currency, CURRENCY_VALUES),
    checkThat("subscription_bookings", "upgrade_fee_has_currency", sql`${t.upgrade_fee} IS NULL OR (${t.upgrade_fee} >= 0 AND ${t.currency} IS NOT NULL)`),
  ],
);
