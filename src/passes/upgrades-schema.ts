import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { checkThat, createdAt, enumCheck, id, json, money, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { ZONE_CATEGORIES } from "../events/schema.ts";
import { payments } from "../payments/schema.ts";
import { users } from "../users/schema.ts";
import { subscriptions } from "./schema.ts";

/**
 * A zone upgrade of a season pass (Entrix `subscription_plan_zones.upgrade_allowed` / `upgrade_fee`):
 * PENDING while its holds in the target zone wait for the payment, APPLIED once paid (each match's
 * right replaced by one in the new zone), EXPIRED when the holds lapsed unpaid.
 */
export const SUBSCRIPTION_UPGRADE_STATUSES = ["PENDING", "APPLIED", "EXPIRED"] as const;
export const SUBSCRIPTION_UPGRADE_SCOPES = ["MATCH", "SEASON"] as const;

export const upgradeEventsSchema = z.array(z.string());

export const subscription_upgrades = sqliteTable(
  "subscription_upgrades",
  {
    id: id(),
    subscription_id: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    zone_category: text("zone_category", { enum: ZONE_CATEGORIES }).notNull(),
    scope: text("scope", { enum: SUBSCRIPTION_UPGRADE_SCOPES }).notNull(),
    event_ids: json("event_ids", upgradeEventsSchema).notNull(), // the matches held, then upgraded
    matches: integer("matches").notNull(),
    unit_fee: money("unit_fee").notNull(), // upgrade_fee of the target zone category, per match
    amount: money("amount").notNull(), // unit_fee × matches
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    status: text("status", { enum: SUBSCRIPTION_UPGRADE_STATUSES }).notNull().default("PENDING"),
    payment_id: text("payment_id").references((): AnySQLiteColumn => payments.id, { onDelete: "set null" }),
    expires_at: timestamp("expires_at").notNull(),
    applied_at: timestamp("applied_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("subscription_upgrades_subscription_idx").on(t.subscription_id, t.created_at),
    enumCheck("subscription_upgrades", t.zone_category, ZONE_CATEGORIES),
    enumCheck("subscription_upgrades", t.scope, SUBSCRIPTION_UPGRADE_SCOPES),
    enumCheck("subscription_upgrades", t.status, SUBSCRIPTION_UPGRADE_STATUSES),
    enumCheck("subscription_upgrades", t.currency, CURRENCY_VALUES),
    checkThat("subscription_upgrades", "amount_is_fee_times_matches", sql`${t.matches} > 0 AND ${t.unit_fee} >= 0 AND ${t.amount} = ${t.unit_fee} * ${t.matches}`),
  ],
);
