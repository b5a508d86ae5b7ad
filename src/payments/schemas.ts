import { z } from "@hono/zod-openapi";
import { PAYMENT_STATUSES } from "../db/enums.ts";
import { amount, httpUrl, text } from "../lib/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import { phoneSchema } from "../lib/phone.ts";
import { ONLINE_PROVIDERS } from "./providers/types.ts";
import { COMMISSION_STATUSES, PAYMENT_METHODS, PAYMENT_PROVIDERS, PAYMENT_TYPES, REFUND_REASONS, REFUND_STATUSES } from "./schema.ts";

export const StartPaymentBody = z
  .strictObject({
    target: z.discriminatedUnion("type", [
      z.strictObject({ type: z.literal("TICKET"), event_id: z.uuid(), order_id: z.uuid() }),
      z.strictObject({ type: z.literal("SEASON_PASS"), subscription_id: z.uuid() }),
      z.strictObject({ type: z.literal("ORGANIZER_PLAN"), organizer_subscription_id: z.uuid() }),
      z
        .strictObject({ type: z.literal("PASS_INSTALMENT"), instalment_id: z.uuid() })
        .openapi({ description: "A later instalment of a season pass paid in instalments (the first is the pass's own SEASON_PASS payment): a SEASON_PASS payment of that instalment." }),
      z
        .strictObject({ type: z.literal("PASS_UPGRADE"), upgrade_id: z.uuid() })
        .openapi({ description: "A season pass's zone upgrade (POST /v1/subscriptions/{id}/upgrades): a SEASON_PASS payment of the upgrade's amount, applied when PAID." }),
      z
        .strictObject({ type: z.literal("PASS_TRANSFER"), transfer_id: z.uuid() })
        .openapi({ description: "A whole-pass transfer waiting for its fee (POST /v1/subscriptions/{id}/transfer answered 202): a SEASON_PASS payment of the plan's `transfer_fee`, the transfer carried out when PAID (refunded in full if it can no longer be)." }),
    ]),
    method: z.enum(["MOMO_MTN", "MOMO_MOOV", "CARD", "BANK_TRANSFER"]).openapi({ description: "Cash is taken at the box office (confirm-cash routes), not here." }),
    provider: z.enum(ONLINE_PROVIDERS).optional().openapi({ description: "Defaults by method and currency: MTN MoMo for MOMO_MTN, FedaPay for Moov and XOF cards, Konnect for TND." }),
    phone: phoneSchema.optional().openapi({ description: "The Mobile Money number to charge; defaults to the account's phone." }),
    return_url: httpUrl.optional().openapi({ description: "Where a hosted payment page sends the payer back." }),
    guest_email: z.email().max(254).optional().openapi({ description: "A guest order is paid without signing in by giving its email." }),
  })
  .openapi("StartPayment");

export const PaymentSchema = z
  .object({
    id: z.string(),
    type: z.enum(PAYMENT_TYPES),
    amount: z.number().int(),
    fees: z.number().int(),
    net_amount: z.number().int(),
    refunded_amount: z.number().int(),
    currency: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    method: z.enum(PAYMENT_METHODS),
    provider: z.enum(PAYMENT_PROVIDERS),
    internal_reference: z.string(),
    external_reference: z.string().nullable(),
    ticket_id: z.string().nullable(),
    subscription_id: z.string().nullable(),
    organizer_subscription_id: z.string().nullable(),
    original_payment_id: z.string().nullable(),
    description: z.string().nullable(),
    payer_phone: z.string().nullable(),
    card_fingerprint: z.string().nullable().openapi({
      description: "The provider's id of the card that paid, where it reports one (Stripe only): what a CREDIT_CARD blacklist entry names. A card blacklisted where the payment is spent buys nothing: the payment is PAID with `failure_reason` `card_blacklisted` and refunded at once.",
    }),
    failure_reason: z.string().nullable(),
    created_at: z.string(),
    paid_at: z.string().nullable(),
    expires_at: z.string().nullable(),
  })
  .openapi("Payment");

export const NextActionSchema = z
  .union([
    z.object({ type: z.literal("approve_on_phone"), message: z.string() }),
    z.object({ type: z.literal("redirect"), url: z.string() }),
    z.object({ type: z.literal("widget"), provider: z.string(), params: z.record(z.string(), z.union([z.string(), z.number()])) }),
    z.object({ type: z.literal("bank_transfer"), reference: z.string(), amount: z.number().int(), currency: z.string() }),
  ])
  .nullable()
  .openapi("PaymentNextAction", { description: "What the payer does next: approve on their phone, follow a link, open the provider's widget, or wire the money with the reference." });

export const PaymentStartedSchema = z.object({ payment: PaymentSchema, next_action: NextActionSchema }).openapi("PaymentStarted");

export const PaymentsQuery = z.object({
  ...pageQuery,
  status: z.enum(PAYMENT_STATUSES).optional(),
  type: z.enum(PAYMENT_TYPES).optional(),
  provider: z.enum(PAYMENT_PROVIDERS).optional(),
});

export const WidgetReportBody = z
  .strictObject({ transaction_id: text(100).openapi({ description: "The provider's transaction id its widget returned." }) })
  .openapi("WidgetReport");

export const RefundSchema = z
  .object({
    id: z.string(),
    payment_id: z.string(),
    requested_by: z.string().nullable(),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.enum(REFUND_REASONS),
    description: z.string().nullable(),
    status: z.enum(REFUND_STATUSES),
    processed_by: z.string().nullable(),
    admin_comment: z.string().nullable(),
    refund_payment_id: z.string().nullable(),
    requested_at: z.string(),
    processed_at: z.string().nullable(),
    refunded_at: z.string().nullable(),
  })
  .openapi("Refund");

export const RequestRefundBody = z
  .strictObject({
    reason: z.enum(["CUSTOMER_REQUEST", "PAYMENT_ERROR", "FRAUD", "OTHER"]),
    description: text(1000).optional(),
  })
  .openapi("RequestRefund");

export const ApproveRefundBody = z
  .strictObject({
    amount: amount.min(1).optional().openapi({ description: "Less than asked keeps part (fees); defaults to the amount asked." }),
    comment: text(1000).optional(),
  })
  .openapi("ApproveRefund");

export const RejectRefundBody = z.strictObject({ comment: text(1000) }).openapi("RejectRefund");

export const ExternalReferenceBody = z
  .strictObject({ external_reference: text(200).optional().openapi({ description: "The bank or transfer reference of the money that moved outside the platform." }) })
  .openapi("ExternalReference");

export const RefundsQuery = z.object({ ...pageQuery, status: z.enum(REFUND_STATUSES).optional() });

export const CommissionSchema = z
  .object({
    id: z.string(),
    payment_id: z.string(),
    commission_type: z.string(),
    base_amount: z.number().int(),
    commission_rate_bp: z.number().int(),
    commission_amount: z.number().int(),
    currency: z.string(),
    status: z.enum(COMMISSION_STATUSES),
    event_id: z.string().nullable(),
    organizer_id: z.string().openapi({ description: "The account the event (or pass plan) belongs to: its creator." }),
    organization_id: z.string().nullable().openapi({ description: "The organization that owes it." }),
    settlement_payment_id: z.string().nullable(),
    calculated_at: z.string().nullable(),
    paid_at: z.string().nullable(),
    notes: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("Commission");

export const CommissionsQuery = z.object({
  ...pageQuery,
  status: z.enum(COMMISSION_STATUSES).optional(),
  organization_id: z.uuid().optional().openapi({ description: "Admins: one organization's; `/me/commissions`: which of mine (default: the only one where I have `money.read`)." }),
  organizer_id: z.uuid().optional().openapi({ description: "Admins only: those of one organizer account's events." }),
  event_id: z.uuid().optional(),
});

export const SettleCommissionsBody = z
  .strictObject({
    organization_id: z.uuid(),
    commission_ids: z.array(z.uuid()).min(1).max(500),
    method: z.enum(["BANK_TRANSFER", "CASH", "MOMO_MTN", "MOMO_MOOV"]),
    external_reference: text(200).optional(),
  })
  .openapi("SettleCommissions");
