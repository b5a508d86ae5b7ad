import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { NOW_SQL, checkThat, enumCheck, id, money, projectionVersion, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES } from "../db/enums.ts";
import { events } from "../events/schema.ts";
import { tickets } from "../orders/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { users } from "../users/schema.ts";
import { pricing_rules } from "./schema.ts";

// A pricing rule's uses: their tables (apart from src/catalog/schema.ts, since a
// use references the order or pass priced with the rule, and those reference
// the catalog) and how D1 counts them against the rule's limits.

/**
 * A rule's uses in one event's orders (held or confirmed), as that event's
 * EventDO counts them and projects them. `pricing_rules.usage_count` is
 * their sum; an order reads the other events' rows (`orderRules`), since its
 * own event's object counts its own uses exactly.
 */
export const pricing_rule_event_uses = sqliteTable(
  "pricing_rule_event_uses",
  {
    rule_id: text("rule_id")
      .notNull()
      .references(() => pricing_rules.id, { onDelete: "cascade" }),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    uses: integer("uses").notNull(),
    updated_at: updatedAt(),
    projection_version: projectionVersion(),
  },
  (t) => [primaryKey({ columns: [t.rule_id, t.event_id] }), checkThat("pricing_rule_event_uses", "uses_non_negative", sql`${t.uses} >= 0`)],
);

/** Each application of a pricing rule, for per-user limits; released_at set when the hold lapses or the order is cancelled. */
export const pricing_rule_usages = sqliteTable(
  "pricing_rule_usages",
  {
    id: id(),
    rule_id: text("rule_id")
      .notNull()
      .references(() => pricing_rules.id, { onDelete: "cascade" }),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }), // null for guest purchases
    ticket_id: text("ticket_id").references((): AnySQLiteColumn => tickets.id, { onDelete: "cascade" }),
    subscription_id: text("subscription_id").references((): AnySQLiteColumn => subscriptions.id, { onDelete: "cascade" }),
    discount_amount: money("discount_amount").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    used_at: timestamp("used_at").notNull().default(NOW_SQL),
    released_at: timestamp("released_at"),
    projection_version: projectionVersion(),
  },
  (t) => [
    uniqueIndex("pricing_rule_usages_rule_ticket_unique").on(t.rule_id, t.ticket_id),
    uniqueIndex("pricing_rule_usages_rule_subscription_unique").on(t.rule_id, t.subscription_id),
    index("pricing_rule_usages_rule_user_idx").on(t.rule_id, t.user_id, t.released_at),
    index("pricing_rule_usages_ticket_idx").on(t.ticket_id),
    index("pricing_rule_usages_subscription_idx").on(t.subscription_id),
    enumCheck("pricing_rule_usages", t.currency, CURRENCY_VALUES),
    checkThat("pricing_rule_usages", "one_target", sql`(${t.ticket_id} IS NULL) <> (${t.subscription_id} IS NULL)`),
    checkThat("pricing_rule_usages", "discount_non_negative", sql`${t.discount_amount} >= 0`),
  ],
);

/**
 * How D1 counts a pricing rule's uses against its limits, in SQL over a row
 * of `pricing_rules`: each event's uses, as its EventDO projects them
 * (`pricing_rule_event_uses`), plus the season passes priced with it and not
 * released (`pricing_rule_usages` rows with a subscription). An order adds its
 * own event's exact count in the EventDO; a pass is counted here.
 */
export const PASS_USES_SQL =
  "(SELECT count(*) FROM pricing_rule_usages pu WHERE pu.rule_id = pricing_rules.id AND pu.subscription_id IS NOT NULL AND pu.released_at IS NULL)";
export const EVENT_USES_SQL = "(SELECT coalesce(sum(eu.uses), 0) FROM pricing_rule_event_uses eu WHERE eu.rule_id = pricing_rules.id)";

/** `pricing_rules.usage_count`: every use, capped at the limit (D1 checks usage_count <= usage_limit_total). */
export const USAGE_COUNT_SQL = `min(coalesce(pricing_rules.usage_limit_total, 9223372036854775807), ${EVENT_USES_SQL} + ${PASS_USES_SQL})`;
