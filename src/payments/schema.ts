import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { NOW_SQL, basisPoints, bool, checkThat, createdAt, enumCheck, id, json, money, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES, PAYMENT_STATUSES, type PaymentStatus } from "../db/enums.ts";
import { events } from "../events/schema.ts";
import { organizations } from "../organizations/schema.ts";
import { tickets } from "../orders/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { users } from "../users/schema.ts";
import { ONLINE_PROVIDERS } from "./providers/types.ts";

export const PAYMENT_TYPES = ["TICKET", "SEASON_PASS", "ORGANIZER_PLAN", "COMMISSION", "REFUND"] as const;
export const PAYMENT_METHODS = ["MOMO_MTN", "MOMO_MOOV", "CARD", "BANK_TRANSFER", "CASH"] as const;
/** Entrix `payment_status` (SpotVibe's statuses translated into it). Forward-only: see PAYMENT_STATUS_TRANSITIONS. */
/** The only moves a payment's status may make; updates are guarded with `WHERE status IN (from...)`. */
export const PAYMENT_STATUS_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  PENDING: ["PROCESSING", "PAID", "FAILED", "CANCELLED"],
  PROCESSING: ["PAID", "FAILED", "CANCELLED"],
  PAID: ["PARTIALLY_REFUNDED", "REFUNDED"],
  PARTIALLY_REFUNDED: ["PARTIALLY_REFUNDED", "REFUNDED"],
  FAILED: [],
  CANCELLED: [],
  REFUNDED: [],
};
/**
 * Who moves the money: the online providers (src/payments/providers), a bank
 * transfer an admin confirms, or cash taken at the box office.
 */
export const PAYMENT_PROVIDERS = [...ONLINE_PROVIDERS, "BANK", "CASH_DESK"] as const;
export const MOMO_OPERATORS = ["MTN", "MOOV"] as const;
export const MOMO_TRANSACTION_TYPES = ["PAYMENT", "REFUND", "TRANSFER"] as const;
export const MOMO_STATUSES = ["PENDING", "SUCCESSFUL", "FAILED"] as const;
export const COMMISSION_TYPES = ["TICKETING", "SUBSCRIPTION", "SERVICE"] as const;
export const COMMISSION_STATUSES = ["PENDING", "CALCULATED", "PAID", "CANCELLED"] as const;
export const REFUND_REASONS = ["EVENT_CANCELLED", "CUSTOMER_REQUEST", "PAYMENT_ERROR", "FRAUD", "OTHER"] as const;
export const REFUND_STATUSES = ["REQUESTED", "PROCESSING", "APPROVED", "REJECTED", "REFUNDED"] as const;
export const WEBHOOK_STATUSES = ["RECEIVED", "PROCESSING", "PROCESSED", "FAILED", "IGNORED"] as const;
export const ORGANIZER_PLAN_TYPES = ["STANDARD", "PREMIUM", "GOLD"] as const;
export const BILLING_PERIODS = ["MONTHLY", "QUARTERLY", "YEARLY"] as const;
export const ORGANIZER_SUBSCRIPTION_STATUSES = ["ACTIVE", "EXPIRED", "CANCELLED", "SUSPENDED", "PENDING"] as const;
export const ORGANIZER_SUBSCRIPTION_ACTIONS = ["SUBSCRIBE", "RENEW", "PLAN_CHANGE", "CANCEL", "SUSPEND", "REACTIVATE"] as const;

export const providerResponseSchema = z.record(z.string(), z.unknown());
export const paymentMetadataSchema = z.record(z.string(), z.unknown());
export const momoWebhookDataSchema = z.record(z.string(), z.unknown());
export const webhookHeadersSchema = z.record(z.string(), z.string());

/** SpotVibe `SubscriptionPlan` (plans for organizers), renamed. */
export const organizer_plans = sqliteTable(
  "organizer_plans",
  {
    id: id(),
    name: text("name").notNull(),
    plan_type: text("plan_type", { enum: ORGANIZER_PLAN_TYPES }).notNull(),
    price: money("price").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    billing_period: text("billing_period", { enum: BILLING_PERIODS }).notNull(),
    description: text("description"),
    max_events_per_month: integer("max_events_per_month"), // null: unlimited
    reduced_commission_bp: basisPoints("reduced_commission_bp"),
    priority_support: bool("priority_support").notNull().default(false),
    advanced_analytics: bool("advanced_analytics").notNull().default(false),
    event_promotion: bool("event_promotion").notNull().default(false),
    profile_customization: bool("profile_customization").notNull().default(false),
    is_active: bool("is_active").notNull().default(true),
    display_order: integer("display_order").notNull().default(0),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    index("organizer_plans_active_order_idx").on(t.is_active, t.display_order),
    enumCheck("organizer_plans", t.plan_type, ORGANIZER_PLAN_TYPES),
    enumCheck("organizer_plans", t.currency, CURRENCY_VALUES),
    enumCheck("organizer_plans", t.billing_period, BILLING_PERIODS),
    checkThat("organizer_plans", "price_non_negative", sql`${t.price} >= 0`),
    checkThat("organizer_plans", "max_events_positive", sql`${t.max_events_per_month} IS NULL OR ${t.max_events_per_month} > 0`),
    checkThat("organizer_plans", "reduced_commission_bp_range", sql`${t.reduced_commission_bp} IS NULL OR ${t.reduced_commission_bp} BETWEEN 0 AND 10000`),
  ],
);

/** SpotVibe `SubscriptionFeature`: a line of an organizer plan's feature list. */
export const organizer_plan_features = sqliteTable(
  "organizer_plan_features",
  {
    id: id(),
    plan_id: text("plan_id")
      .notNull()
      .references(() => organizer_plans.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    is_included: bool("is_included").notNull().default(true),
    limit_label: text("limit_label"), // "10 par mois", "Illimité"
    display_order: integer("display_order").notNull().default(0),
    created_at: createdAt(),
  },
  (t) => [index("organizer_plan_features_plan_idx").on(t.plan_id, t.display_order)],
);

/** SpotVibe `Subscription`: an organizer's plan subscription, with the monthly event counter. */
export const organizer_subscriptions = sqliteTable(
  "organizer_subscriptions",
  {
    id: id(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id), // the account that subscribed
    organization_id: text("organization_id").references(() => organizations.id), // the organization on the plan
    plan_id: text("plan_id")
      .notNull()
      .references(() => organizer_plans.id),
    starts_at: timestamp("starts_at").notNull(),
    ends_at: timestamp("ends_at").notNull(),
    status: text("status", { enum: ORGANIZER_SUBSCRIPTION_STATUSES }).notNull().default("PENDING"),
    price_paid: money("price_paid").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    auto_renew: bool("auto_renew").notNull().default(false),
    payment_reference: text("payment_reference"), // Mobile Money reference of the last payment
    events_created_this_month: integer("events_created_this_month").notNull().default(0),
    counter_reset_at: timestamp("counter_reset_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("organizer_subscriptions_one_active_per_organization").on(t.organization_id).where(sql`${t.status} = 'ACTIVE'`),
    index("organizer_subscriptions_user_idx").on(t.user_id, t.created_at),
    index("organizer_subscriptions_expiry_idx").on(t.status, t.ends_at),
    index("organizer_subscriptions_plan_idx").on(t.plan_id),
    enumCheck("organizer_subscriptions", t.status, ORGANIZER_SUBSCRIPTION_STATUSES),
    enumCheck("organizer_subscriptions", t.currency, CURRENCY_VALUES),
    checkThat("organizer_subscriptions", "ends_after_start", sql`${t.ends_at} > ${t.starts_at}`),
    checkThat("organizer_subscriptions", "price_paid_non_negative", sql`${t.price_paid} >= 0`),
    checkThat("organizer_subscriptions", "events_counter_non_negative", sql`${t.events_created_this_month} >= 0`),
  ],
);

/** SpotVibe `SubscriptionHistory`: every status change of an organizer subscription. */
export const organizer_subscription_history = sqliteTable(
  "organizer_subscription_history",
  {
    id: id(),
    organizer_subscription_id: text("organizer_subscription_id")
      .notNull()
      .references(() => organizer_subscriptions.id, { onDelete: "cascade" }),
    action: text("action", { enum: ORGANIZER_SUBSCRIPTION_ACTIONS }).notNull(),
    previous_status: text("previous_status", { enum: ORGANIZER_SUBSCRIPTION_STATUSES }),
    new_status: text("new_status", { enum: ORGANIZER_SUBSCRIPTION_STATUSES }).notNull(),
    comment: text("comment"),
    performed_by: text("performed_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
  },
  (t) => [
    index("organizer_subscription_history_subscription_idx").on(t.organizer_subscription_id, t.created_at),
    enumCheck("organizer_subscription_history", t.action, ORGANIZER_SUBSCRIPTION_ACTIONS),
    enumCheck("organizer_subscription_history", t.previous_status, ORGANIZER_SUBSCRIPTION_STATUSES),
    enumCheck("organizer_subscription_history", t.new_status, ORGANIZER_SUBSCRIPTION_STATUSES),
  ],
);

/**
 * SpotVibe `Payment` with Entrix's payment_status: one attempt to move money for a ticket order,
 * a season pass, an organizer plan, a commission settlement, or a refund (REFUND rows point at
 * original_payment_id). net_amount = amount - fees. Status only moves forward.
 */
export const payments = sqliteTable(
  "payments",
  {
    id: id(),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }), // null: guest purchase
    type: text("type", { enum: PAYMENT_TYPES }).notNull(),
    amount: money("amount").notNull(),
    fees: money("fees").notNull().default(0),
    net_amount: money("net_amount").notNull(),
    refunded_amount: money("refunded_amount").notNull().default(0),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull().default("PENDING"),
    method: text("method", { enum: PAYMENT_METHODS }).notNull(),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    internal_reference: text("internal_reference").notNull(),
    external_reference: text("external_reference"),
    idempotency_key: text("idempotency_key"), // sent to the provider (e.g. MTN X-Reference-Id)
    ticket_id: text("ticket_id").references((): AnySQLiteColumn => tickets.id, { onDelete: "set null" }),
    subscription_id: text("subscription_id").references((): AnySQLiteColumn => subscriptions.id, { onDelete: "set null" }),
    organizer_subscription_id: text("organizer_subscription_id").references(() => organizer_subscriptions.id, { onDelete: "set null" }),
    original_payment_id: text("original_payment_id").references((): AnySQLiteColumn => payments.id),
    // The event of a ticket payment (or of the payment a REFUND gives back), set by a D1 trigger: the event's payment list.
    event_id: text("event_id").references(() => events.id),
    description: text("description"),
    payer_phone: text("payer_phone"), // E.164 Mobile Money number
    card_fingerprint: text("card_fingerprint"), // the provider's id of the card that paid (Stripe), matched against CREDIT_CARD blacklist entries
    provider_response: json("provider_response", providerResponseSchema),
    failure_reason: text("failure_reason"),
    metadata: json("metadata", paymentMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
    processed_at: timestamp("processed_at"),
    paid_at: timestamp("paid_at"),
    expires_at: timestamp("expires_at"),
    /** When the poller last asked the provider, and how often: it backs off instead of asking every run. */
    checked_at: timestamp("checked_at"),
    check_count: integer("check_count").notNull().default(0),
  },
  (t) => [
    uniqueIndex("payments_internal_reference_unique").on(t.internal_reference),
    uniqueIndex("payments_provider_external_reference_unique").on(t.provider, t.external_reference),
    uniqueIndex("payments_idempotency_key_unique").on(t.idempotency_key),
    index("payments_user_idx").on(t.user_id, t.created_at),
    index("payments_status_idx").on(t.status, t.created_at),
    index("payments_pending_expiry_idx").on(t.status, t.expires_at),
    index("payments_provider_status_idx").on(t.provider, t.status),
    index("payments_ticket_idx").on(t.ticket_id),
    index("payments_subscription_idx").on(t.subscription_id),
    index("payments_organizer_subscription_idx").on(t.organizer_subscription_id),
    index("payments_original_idx").on(t.original_payment_id),
    index("payments_event_created_idx").on(t.event_id, t.created_at, t.id),
    index("payments_event_status_idx").on(t.event_id, t.status, t.created_at, t.id),
    index("payments_created_idx").on(t.created_at, t.id),
    enumCheck("payments", t.type, PAYMENT_TYPES),
    enumCheck("payments", t.currency, CURRENCY_VALUES),
    enumCheck("payments", t.status, PAYMENT_STATUSES),
    enumCheck("payments", t.method, PAYMENT_METHODS),
    enumCheck("payments", t.provider, PAYMENT_PROVIDERS),
    checkThat("payments", "amounts_non_negative", sql`${t.amount} >= 0 AND ${t.fees} >= 0`),
    checkThat("payments", "net_amount_is_amount_minus_fees", sql`${t.net_amount} = ${t.amount} - ${t.fees}`),
    checkThat("payments", "refunded_within_amount", sql`${t.refunded_amount} >= 0 AND ${t.refunded_amount} <= ${t.amount}`),
    checkThat(
      "payments",
      "target_matches_type",
      sql`(${t.type} <> 'TICKET' OR ${t.ticket_id} IS NOT NULL) AND (${t.type} <> 'SEASON_PASS' OR ${t.subscription_id} IS NOT NULL) AND (${t.type} <> 'ORGANIZER_PLAN' OR ${t.organizer_subscription_id} IS NOT NULL) AND (${t.type} <> 'REFUND' OR ${t.original_payment_id} IS NOT NULL)`,
    ),
  ],
);

/** SpotVibe `MomoTransaction`: the Mobile Money leg of a payment (one per payment). */
export const momo_transactions = sqliteTable(
  "momo_transactions",
  {
    id: id(),
    payment_id: text("payment_id")
      .notNull()
      .references(() => payments.id, { onDelete: "cascade" }),
    operator: text("operator", { enum: MOMO_OPERATORS }).notNull(),
    phone_number: text("phone_number").notNull(), // E.164
    transaction_type: text("transaction_type", { enum: MOMO_TRANSACTION_TYPES }).notNull(),
    operator_transaction_id: text("operator_transaction_id"),
    operator_reference: text("operator_reference"),
    status: text("status", { enum: MOMO_STATUSES }).notNull().default("PENDING"),
    response_code: text("response_code"),
    response_message: text("response_message"),
    initiated_at: timestamp("initiated_at").notNull().default(NOW_SQL),
    confirmed_at: timestamp("confirmed_at"),
    webhook_received: bool("webhook_received").notNull().default(false),
    webhook_data: json("webhook_data", momoWebhookDataSchema),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("momo_transactions_payment_unique").on(t.payment_id),
    uniqueIndex("momo_transactions_operator_transaction_unique").on(t.operator, t.operator_transaction_id),
    index("momo_transactions_status_idx").on(t.status, t.initiated_at),
    enumCheck("momo_transactions", t.operator, MOMO_OPERATORS),
    enumCheck("momo_transactions", t.transaction_type, MOMO_TRANSACTION_TYPES),
    enumCheck("momo_transactions", t.status, MOMO_STATUSES),
  ],
);

/** SpotVibe `Commission`: the platform's cut of a payment, owed by the event's organizer. */
export const commissions = sqliteTable(
  "commissions",
  {
    id: id(),
    payment_id: text("payment_id")
      .notNull()
      .references(() => payments.id),
    commission_type: text("commission_type", { enum: COMMISSION_TYPES }).notNull(),
    base_amount: money("base_amount").notNull(),
    commission_rate_bp: basisPoints("commission_rate_bp").notNull(),
    commission_amount: money("commission_amount").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    status: text("status", { enum: COMMISSION_STATUSES }).notNull().default("PENDING"),
    event_id: text("event_id").references(() => events.id, { onDelete: "set null" }),
    organizer_id: text("organizer_id")
      .notNull()
      .references(() => users.id), // the event's (or plan's creating) organizer account
    organization_id: text("organization_id").references(() => organizations.id), // who owes it
    settlement_payment_id: text("settlement_payment_id").references(() => payments.id), // COMMISSION payment that settled it
    calculated_at: timestamp("calculated_at"),
    paid_at: timestamp("paid_at"),
    notes: text("notes"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("commissions_payment_type_unique").on(t.payment_id, t.commission_type),
    index("commissions_organizer_idx").on(t.organizer_id, t.status, t.created_at),
    index("commissions_organization_idx").on(t.organization_id, t.status, t.created_at),
    index("commissions_event_idx").on(t.event_id),
    index("commissions_status_idx").on(t.status, t.created_at),
    enumCheck("commissions", t.commission_type, COMMISSION_TYPES),
    enumCheck("commissions", t.currency, CURRENCY_VALUES),
    enumCheck("commissions", t.status, COMMISSION_STATUSES),
    checkThat("commissions", "amounts_non_negative", sql`${t.base_amount} >= 0 AND ${t.commission_amount} >= 0`),
    checkThat("commissions", "rate_bp_range", sql`${t.commission_rate_bp} BETWEEN 0 AND 10000`),
    checkThat("commissions", "amount_within_base", sql`${t.commission_amount} <= ${t.base_amount}`),
  ],
);

/** SpotVibe `Refund`: a request to give money back on a payment; refund_payment_id is the REFUND payment that did it. */
export const refunds = sqliteTable(
  "refunds",
  {
    id: id(),
    payment_id: text("payment_id")
      .notNull()
      .references(() => payments.id),
    requested_by: text("requested_by").references(() => users.id, { onDelete: "set null" }),
    amount: money("amount").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    reason: text("reason", { enum: REFUND_REASONS }).notNull(),
    description: text("description"),
    status: text("status", { enum: REFUND_STATUSES }).notNull().default("REQUESTED"),
    processed_by: text("processed_by").references(() => users.id, { onDelete: "set null" }),
    admin_comment: text("admin_comment"),
    refund_payment_id: text("refund_payment_id").references(() => payments.id),
    event_id: text("event_id").references(() => events.id), // its payment's, set by a D1 trigger
    requested_at: timestamp("requested_at").notNull().default(NOW_SQL),
    processed_at: timestamp("processed_at"),
    refunded_at: timestamp("refunded_at"),
    updated_at: updatedAt(),
  },
  (t) => [
    index("refunds_payment_idx").on(t.payment_id),
    index("refunds_status_idx").on(t.status, t.requested_at),
    index("refunds_requested_by_idx").on(t.requested_by, t.requested_at),
    index("refunds_event_requested_idx").on(t.event_id, t.requested_at, t.id),
    index("refunds_requested_idx").on(t.requested_at, t.id),
    enumCheck("refunds", t.currency, CURRENCY_VALUES),
    enumCheck("refunds", t.reason, REFUND_REASONS),
    enumCheck("refunds", t.status, REFUND_STATUSES),
    checkThat("refunds", "amount_positive", sql`${t.amount} > 0`),
  ],
);

/**
 * Every provider webhook as received (raw body kept for re-verification and replay), deduplicated
 * on (provider, provider_event_id); providers without an event id get a digest of the body.
 */
export const webhook_events = sqliteTable(
  "webhook_events",
  {
    id: id(),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    provider_event_id: text("provider_event_id").notNull(),
    event_type: text("event_type"),
    raw_body: text("raw_body").notNull(),
    headers: json("headers", webhookHeadersSchema).notNull(),
    signature_valid: bool("signature_valid").notNull(),
    status: text("status", { enum: WEBHOOK_STATUSES }).notNull().default("RECEIVED"),
    payment_id: text("payment_id").references(() => payments.id, { onDelete: "set null" }),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    received_at: timestamp("received_at").notNull().default(NOW_SQL),
    processed_at: timestamp("processed_at"),
  },
  (t) => [
    uniqueIndex("webhook_events_provider_event_unique").on(t.provider, t.provider_event_id),
    index("webhook_events_status_idx").on(t.status, t.received_at),
    index("webhook_events_payment_idx").on(t.payment_id),
    enumCheck("webhook_events", t.provider, PAYMENT_PROVIDERS),
    enumCheck("webhook_events", t.status, WEBHOOK_STATUSES),
    checkThat("webhook_events", "attempts_non_negative", sql`${t.attempts} >= 0`),
  ],
);
