import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { checkThat, createdAt, enumCheck, id, timestamp, updatedAt } from "../db/columns.ts";
import { payments } from "../payments/schema.ts";
import { RENEWAL_METHODS, subscriptions } from "./schema.ts";

/**
 * An automatic renewal attempt: REQUESTED once its payment is asked of the
 * holder, then PAID or FAILED (told to the holder; FAILED ones are retried
 * from `retry_at`, a bounded number of times).
 */
export const RENEWAL_ATTEMPT_STATUSES = ["REQUESTED", "PAID", "FAILED"] as const;

/** Each automatic renewal attempt of a season pass (the `auto_renew` cron, src/passes/renewals.ts). */
export const subscription_renewal_attempts = sqliteTable(
  "subscription_renewal_attempts",
  {
    id: id(),
    subscription_id: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(), // 1, 2, … per pass
    status: text("status", { enum: RENEWAL_ATTEMPT_STATUSES }).notNull().default("REQUESTED"),
    renewal_id: text("renewal_id").references((): AnySQLiteColumn => subscriptions.id, { onDelete: "set null" }), // the PENDING pass for next season
    payment_id: text("payment_id").references(() => payments.id, { onDelete: "set null" }),
    method: text("method", { enum: RENEWAL_METHODS }),
    failure_reason: text("failure_reason"),
    retry_at: timestamp("retry_at"), // FAILED: when the next attempt may start; null: no more attempts
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    // Two cron runs at once start one attempt: the second insert of the same number fails.
    uniqueIndex("subscription_renewal_attempts_unique").on(t.subscription_id, t.attempt),
    index("subscription_renewal_attempts_status_idx").on(t.status, t.retry_at),
    index("subscription_renewal_attempts_renewal_idx").on(t.renewal_id),
    enumCheck("subscription_renewal_attempts", t.status, RENEWAL_ATTEMPT_STATUSES),
    enumCheck("subscription_renewal_attempts", t.method, RENEWAL_METHODS),
    checkThat("subscription_renewal_attempts", "attempt_positive", sql`${t.attempt} >= 1`),
  ],
);
