import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { checkThat, createdAt, enumCheck, id, isoDate, money, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { payments } from "../payments/schema.ts";
import { subscriptions } from "./schema.ts";

/** An instalment of a pass's payment schedule: DUE until a payment pays it (PAID); CANCELLED with its pass. */
export const INSTALMENT_STATUSES = ["DUE", "PAID", "CANCELLED"] as const;

/**
 * A season pass bought with a payment option other than `full` (plan metadata `payment_options`, the
 * specification's "3x", "monthly"): one row per instalment, amounts in minor units summing exactly to
 * the pass's price, the first due at purchase (the pass's own payment).
 */
export const subscription_instalments = sqliteTable(
  "subscription_instalments",
  {
    id: id(),
    subscription_id: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    number: integer("number").notNull(), // 1 … count
    count: integer("count").notNull(),
    due_date: text("due_date").notNull(), // YYYY-MM-DD
    amount: money("amount").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    status: text("status", { enum: INSTALMENT_STATUSES }).notNull().default("DUE"),
    payment_id: text("payment_id").references((): AnySQLiteColumn => payments.id, { onDelete: "set null" }),
    paid_at: timestamp("paid_at"),
    reminded_at: timestamp("reminded_at"), // the reminder before the due date, sent once
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("subscription_instalments_number_unique").on(t.subscription_id, t.number),
    index("subscription_instalments_due_idx").on(t.status, t.due_date),
    enumCheck("subscription_instalments", t.status, INSTALMENT_STATUSES),
    enumCheck("subscription_instalments", t.currency, CURRENCY_VALUES),
    checkThat("subscription_instalments", "number_within_count", sql`${t.number} >= 1 AND ${t.number} <= ${t.count}`),
    checkThat("subscription_instalments", "amount_positive", sql`${t.amount} > 0`),
    checkThat("subscription_instalments", "due_date_date", isoDate(t.due_date)),
  ],
);
