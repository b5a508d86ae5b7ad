import { z } from "@hono/zod-openapi";
import { PASS_PAYMENT_OPTIONS, SUBSCRIPTION_PLAN_TYPES } from "../catalog/schema.ts";
import { INSTALMENT_STATUSES } from "./instalments-schema.ts";
import { PASS_TRANSFER_STATUSES } from "./transfers-schema.ts";
import { pageQuery } from "../lib/pagination.ts";
import { enteredPromoCode } from "../orders/schemas.ts";
import { SUBSCRIPTION_BOOKING_STATUSES } from "./bookings-schema.ts";
import { oneRecipient, recipient } from "../access/transfers-schemas.ts";
import { phoneSchema } from "../lib/phone.ts";
import { RENEWAL_ATTEMPT_STATUSES } from "./renewals-schema.ts";
import { RENEWAL_METHODS, SUBSCRIPTION_STATUSES } from "./schema.ts";
import { SUBSCRIPTION_UPGRADE_SCOPES, SUBSCRIPTION_UPGRADE_STATUSES } from "./upgrades-schema.ts";
import { ZONE_CATEGORIES } from "../events/schema.ts";

export const planParam = z.object({ plan_id: z.uuid() });
export const subscriptionParam = z.object({ subscription_id: z.uuid() });
export const bookingParams = z.object({ subscription_id: z.uuid(), event_id: z.uuid() });

export const SubscribeBody = z
  .strictObject({
    seat_id: z.uuid().optional().openapi({ description: "Required when the plan's metadata says `seat_selection: \"assigned\"`; refused otherwise." }),
    auto_renew: z.boolean().default(false),
    promo_code: enteredPromoCode.openapi({ description: "A code for a pricing rule on passes (applies_to SUBSCRIPTIONS or BOTH)." }),
    payment_option: z
      .enum(PASS_PAYMENT_OPTIONS)
      .default("full")
      .openapi({ description: "One of the plan's `metadata.payment_options` (only `full` when it lists none): `2x`…`4x` monthly instalments, or `monthly` until the pass ends; the first is paid now." }),
    companions: z
      .array(
        z
          .strictObject({ user_id: z.uuid().optional(), email: z.email().max(254).transform((e) => e.toLowerCase()).optional() })
          .refine((c) => (c.user_id === undefined) !== (c.email === undefined), { message: "Give exactly one of user_id and email." }),
      )
      .min(1)
      .max(9)
      .optional()
      .openapi({ description: "A family or companion package (plans with `metadata.family_package_available`): the other holders, each getting their own pass and rights at their own price, paid with the buyer's in one payment. An email without an account gets a passwordless one." }),
    printed_card: z
      .boolean()
      .optional()
      .openapi({ description: "Ask for the printed card the plan offers (`metadata.printed_card`); asked for by default when it does, `false` to go without. `true` on a plan without one is 422." }),
  })
  .openapi("SubscribeRequest");

export const RenewBody = z.strictObject({ auto_renew: z.boolean().optional() }).openapi("RenewRequest");

export const AutoRenewBody = z
  .strictObject({
    auto_renew: z.boolean().openapi({ description: "false: the opt-out; the cron no longer renews this pass (a payment it already asked for stays asked until paid or expired)." }),
    renewal_method: z.enum(RENEWAL_METHODS).nullable().optional().openapi({ description: "How a renewal charges you; null: the method that paid this pass. Cash passes need one to be renewed automatically." }),
    renewal_phone: phoneSchema.nullable().optional().openapi({ description: "The Mobile Money number to charge (MOMO methods only); null: the number that paid this pass, else your account's." }),
  })
  .openapi("SeasonPassAutoRenewRequest");

export const RenewalAttemptSchema = z
  .object({
    id: z.string(),
    subscription_id: z.string(),
    attempt: z.number().int(),
    status: z.enum(RENEWAL_ATTEMPT_STATUSES),
    renewal_id: z.string().nullable().openapi({ description: "The PENDING pass for the next period this attempt asks to pay." }),
    payment_id: z.string().nullable(),
    method: z.enum(RENEWAL_METHODS).nullable(),
    failure_reason: z.string().nullable().openapi({ description: "A problem code (e.g. `provider_refused`, `payment_failed`, `not_paid_in_time`, `no_payment_method`)." }),
    retry_at: z.string().nullable().openapi({ description: "FAILED: when the next attempt may start; null: none will." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SeasonPassRenewalAttempt");

export const PassTransferBody = z
  .strictObject({ ...recipient })
  .superRefine(oneRecipient)
  .openapi("SeasonPassTransferRequest");

export const ReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500) }).openapi("SeasonPassReason");

export const BookingBody = z.strictObject({ event_id: z.uuid() }).openapi("SeasonPassBookingRequest");

export const MySubscriptionsQuery = z.object({ ...pageQuery, status: z.enum(SUBSCRIPTION_STATUSES).optional() });

export const BookingSchema = z
  .object({
    id: z.string(),
    subscription_id: z.string(),
    event_id: z.string(),
    status: z.enum(SUBSCRIPTION_BOOKING_STATUSES),
    access_right_id: z.string().nullable(),
    booked_at: z.string(),
    cancelled_at: z.string().nullable(),
  })
  .openapi("SeasonPassBooking");

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    subscription_number: z.string().openapi({ example: "SUB-2026-004217" }),
    user_id: z.string(),
    subscription_plan_id: z.string(),
    plan: z.object({ id: z.string(), code: z.string(), name: z.string(), type: z.enum(SUBSCRIPTION_PLAN_TYPES), organizer_id: z.string().nullable(), organization_id: z.string().nullable() }),
    seat_id: z.string().nullable(),
    price_paid: z.number().int().openapi({ description: "Minor units of `currency`." }),
    currency: z.string(),
    payment_id: z.string().nullable(),
    valid_from: z.string().openapi({ description: "YYYY-MM-DD" }),
    valid_until: z.string().openapi({ description: "YYYY-MM-DD" }),
    status: z.enum(SUBSCRIPTION_STATUSES),
    suspension_reason: z.string().nullable(),
    suspension_date: z.string().nullable(),
    auto_renew: z.boolean(),
    renewal_date: z.string().nullable().openapi({ description: "First day of the renewal priority window." }),
    renewal_method: z.enum(RENEWAL_METHODS).nullable().openapi({ description: "How an automatic renewal charges the holder; null: the method that paid this pass." }),
    renewal_phone: z.string().nullable().openapi({ description: "The Mobile Money number an automatic renewal charges; null: the number that paid this pass, else the account's." }),
    transferred_from: z.string().nullable().openapi({ description: "The pass handed whole to this holder (now TRANSFERRED)." }),
    transfers_used: z.number().int(),
    activation_date: z.string().nullable(),
    cancellation_date: z.string().nullable(),
    cancellation_reason: z.string().nullable(),
    renewed_from: z.string().nullable().openapi({ description: "The pass this one renews." }),
    rights_count: z.number().int().openapi({ description: "Access rights issued to this pass and not cancelled (as projected; a just-issued right may take a moment)." }),
    matches: z
      .object({ total: z.number().int(), booked: z.number().int() })
      .nullable()
      .openapi({ description: "FLEX passes: matches included and matches booked (cancelled bookings give theirs back)." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SeasonPass");

export const InstalmentSchema = z
  .object({
    id: z.string(),
    number: z.number().int(),
    count: z.number().int(),
    due_date: z.string().openapi({ description: "YYYY-MM-DD. Unpaid after this day, the pass is SUSPENDED (its rights blocked) until it is paid." }),
    amount: z.number().int().openapi({ description: "Minor units; a schedule's amounts sum exactly to the pass's price." }),
    currency: z.string(),
    status: z.enum(INSTALMENT_STATUSES),
    payment_id: z.string().nullable(),
    paid_at: z.string().nullable(),
    reminded_at: z.string().nullable(),
  })
  .openapi("SeasonPassInstalment");

export const SubscriptionDetailSchema = SubscriptionSchema.extend({
  bookings: z.array(BookingSchema),
  instalments: z.array(InstalmentSchema).openapi({ description: "The payment schedule, when the pass is paid in instalments; empty when paid at once." }),
  card_request: z
    .object({ status: z.enum(["REQUESTED", "PRINTED"]), requested_at: z.string(), card_id: z.string().nullable(), printed_at: z.string().nullable() })
    .nullable()
    .openapi({ description: "The printed card asked for with the pass (REQUESTED until the box office prints it), or null." }),
  package: z
    .object({ of: z.string().nullable(), companions: z.array(z.string()) })
    .openapi({ description: "A family or companion package: `companions`, on the buyer's pass, are the other holders' passes it pays for; `of`, on a companion's pass, is the buyer's pass. Empty otherwise." }),
}).openapi("SeasonPassDetail");

export const UpgradeBody = z
  .strictObject({
    zone_category: z.enum(ZONE_CATEGORIES).openapi({ description: "The better zone category (BASIC < STANDARD < PREMIUM < VIP) the plan allows upgrades to (`subscription_plan_zones.upgrade_allowed`)." }),
    event_id: z.uuid().optional().openapi({ description: "The one match to upgrade; absent: every match of the pass still ahead (the season) not already in that category or better." }),
  })
  .openapi("SeasonPassUpgradeRequest");

export const UpgradeSchema = z
  .object({
    id: z.string(),
    subscription_id: z.string(),
    zone_category: z.enum(ZONE_CATEGORIES),
    scope: z.enum(SUBSCRIPTION_UPGRADE_SCOPES),
    event_ids: z.array(z.string()).openapi({ description: "The matches held for the upgrade, then upgraded." }),
    matches: z.number().int(),
    unit_fee: z.number().int().openapi({ description: "The target category's `upgrade_fee` per match, minor units." }),
    amount: z.number().int().openapi({ description: "`unit_fee` × `matches`, minor units: what POST /v1/payments (target PASS_UPGRADE) charges." }),
    currency: z.string(),
    status: z.enum(SUBSCRIPTION_UPGRADE_STATUSES),
    payment_id: z.string().nullable(),
    expires_at: z.string().openapi({ description: "When the holds lapse unpaid (the EventDO's alarm gives the places back)." }),
    applied_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("SeasonPassUpgrade");


export const GuestBody = z
  .strictObject({
    event_id: z.uuid().openapi({ description: "A match the pass covers, not over." }),
    user_id: z.uuid().optional().openapi({ description: "The guest's account." }),
    email: z.email().max(254).transform((e) => e.toLowerCase()).optional().openapi({ description: "Or the guest's email: an address without an account gets a passwordless one, claimed by signing up with it." }),
  })
  .refine((b) => (b.user_id === undefined) !== (b.email === undefined), { message: "Give exactly one of user_id and email.", path: ["user_id"] })
  .openapi("SeasonPassGuestRequest");

export const PassTransferSchema = z
  .object({
    subscription: SubscriptionDetailSchema.openapi({ description: "The pass handed on, now TRANSFERRED (its past rights stay with it)." }),
    new_subscription_id: z.string().openapi({ description: "The recipient's ACTIVE pass: same plan, seat and end date, `transferred_from` this one." }),
    recipient_user_id: z.string(),
    fee: z
      .object({ amount: z.number().int(), currency: z.string(), payment_id: z.string().nullable() })
      .nullable()
      .openapi({ description: "The plan's `restrictions.transfer_fee` taken at the box office (a CASH payment); null when the plan has none (the holder pays a fee online: the 202 answer)." }),
    rights_moved: z.number().int().openapi({ description: "Rights of events still to come moved to the recipient (new codes; the old ones stop working)." }),
    rights_pending: z.number().int().openapi({ description: "Events whose EventDO could not be reached now; the cron moves those rights." }),
  })
  .openapi("SeasonPassTransfer");

export const PendingPassTransferSchema = z
  .object({
    id: z.string().openapi({ description: "Pay it with POST /v1/payments, target `{ type: \"PASS_TRANSFER\", transfer_id }`." }),
    subscription_id: z.string(),
    recipient_user_id: z.string(),
    status: z.enum(PASS_TRANSFER_STATUSES).openapi({ description: "PENDING until paid; PROCESSING while the paid transfer is carried out; COMPLETED; EXPIRED unpaid after `expires_at`; FAILED when it could no longer be done once paid (the payment refunded)." }),
    fee: z.object({ amount: z.number().int(), currency: z.string() }).openapi({ description: "The plan's `restrictions.transfer_fee`, minor units of `currency`." }),
    payment_id: z.string().nullable().openapi({ description: "The payment that paid it." }),
    new_subscription_id: z.string().nullable().openapi({ description: "The recipient's pass, once COMPLETED." }),
    failure_reason: z.string().nullable().openapi({ description: "Why a paid transfer FAILED (a problem code, e.g. `blacklisted`, `subscription_not_active`, `transfer_expired`)." }),
    expires_at: z.string(),
    created_at: z.string(),
  })
  .openapi("SeasonPassPendingTransfer");
