import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { checkThat, createdAt, enumCheck, id, money, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { payments } from "../payments/schema.ts";
import { users } from "../users/schema.ts";
import { subscriptions } from "./schema.ts";

/**
 * A holder's whole-pass transfer that waits for its fee (Entrix `restrictions.transfer_fee`) to be
 * paid online: PENDING until paid (or EXPIRED, unpaid, after its time), PROCESSING while the paid
 * transfer is carried out (the paying payment claimed it), COMPLETED once the pass moved, FAILED
 * when it could no longer be done at settlement (the payment is refunded).
 */
export const PASS_TRANSFER_STATUSES = ["PENDING", "PROCESSING", "COMPLETED", "EXPIRED", "FAILED"] as const;

export const subscription_transfers = sqliteTable(
  "subscription_transfers",
  {
    id: id(),
    subscription_id: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id), // the holder, who pays
    recipient_user_id: text("recipient_user_id")
      .notNull()
      .references(() => users.id),
    message: text("message"),
    fee: money("fee").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    status: text("status", { enum: PASS_TRANSFER_STATUSES }).notNull().default("PENDING"),
    payment_id: text("payment_id").references((): AnySQLiteColumn => payments.id, { onDelete: "set null" }), // the payment that claimed it
    new_subscription_id: text("new_subscription_id").references((): AnySQLiteColumn => subscriptions.id),
    failure_reason: text("failure_reason"),
    expires_at: timestamp("expires_at").notNull(),
    completed_at: timestamp("completed_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("subscription_transfers_subscription_idx").on(t.subscription_id, t.created_at),
    // At most one transfer waits (or is being carried out) per pass: two requests at once make one.
    uniqueIndex("subscription_transfers_one_open")
      .on(t.subscription_id)
      .where(sql`${t.status} IN ('PENDING', 'PROCESSING')`),
    enumCheck("subscription_transfers", t.status, PASS_TRANSFER_STATUSES),
    enumCheck("subscription_transfers", t.currency, CURRENCY_VALUES),
    checkThat("subscription_transfers", "fee_positive", sql`${t.fee} > 0`),
  ],
);
