import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { checkThat, createdAt, enumCheck, id } from "../db/columns.ts";
import { ticket_templates } from "../catalog/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { users } from "../users/schema.ts";

export const SEASON_CARD_STATUSES = ["ACTIVE", "REPLACED"] as const;

/**
 * Plastic cards printed for season passes: the NFC chip id of each (the
 * card printer encodes or reads it), the template it was printed with and
 * who printed it. A pass has one ACTIVE card; printing another replaces it.
 */
export const season_cards = sqliteTable(
  "season_cards",
  {
    id: id(),
    subscription_id: text("subscription_id")
      .notNull()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    nfc_uid: text("nfc_uid"), // ISO 14443 UID, upper-case hex (4, 7 or 10 bytes); null: a card without a chip
    template_id: text("template_id").references(() => ticket_templates.id, { onDelete: "set null" }), // null: the built-in layout
    status: text("status", { enum: SEASON_CARD_STATUSES }).notNull().default("ACTIVE"),
    printed_by: text("printed_by")
      .notNull()
      .references(() => users.id),
    printed_at: createdAt("printed_at"),
  },
  (t) => [
    uniqueIndex("season_cards_nfc_uid_unique").on(t.nfc_uid),
    uniqueIndex("season_cards_active_unique").on(t.subscription_id).where(sql`${t.status} = 'ACTIVE'`),
    index("season_cards_subscription_idx").on(t.subscription_id, t.printed_at),
    enumCheck("season_cards", t.status, SEASON_CARD_STATUSES),
    checkThat("season_cards", "nfc_uid_hex", sql`${t.nfc_uid} IS NULL OR (length(${t.nfc_uid}) IN (8, 14, 20) AND ${t.nfc_uid} NOT GLOB '*[^0-9A-F]*')`),
  ],
);

export const CARD_REQUEST_STATUSES = ["REQUESTED", "PRINTED"] as const;

/**
 * A printed card asked for with a season pass (the plan's `metadata.printed_card`): REQUESTED at
 * purchase, PRINTED when the box office prints the pass's card (POST /v1/subscriptions/{id}/cards).
 */
export const season_card_requests = sqliteTable(
  "season_card_requests",
  {
    subscription_id: text("subscription_id")
      .primaryKey()
      .references(() => subscriptions.id, { onDelete: "cascade" }),
    status: text("status", { enum: CARD_REQUEST_STATUSES }).notNull().default("REQUESTED"),
    requested_at: createdAt("requested_at"),
    card_id: text("card_id").references(() => season_cards.id, { onDelete: "set null" }),
    printed_at: text("printed_at"),
  },
  (t) => [index("season_card_requests_status_idx").on(t.status, t.requested_at), enumCheck("season_card_requests", t.status, CARD_REQUEST_STATUSES)],
);
