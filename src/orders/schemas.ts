import { z } from "@hono/zod-openapi";
import { emailSchema } from "../auth/schemas.ts";
import { phoneSchema } from "../lib/phone.ts";
import { TURNSTILE_TOKEN_MAX } from "../lib/turnstile.ts";
import { BOOKING_STATUSES, PURCHASE_CHANNELS } from "./schema.ts";

/** A promo code as a buyer types it (compared upper-cased), on an order or a season pass. */
export const enteredPromoCode = z
  .string()
  .trim()
  .min(2)
  .max(50)
  .transform((v) => v.toUpperCase())
  .optional();

export const PlaceOrderBody = z
  .strictObject({
    config_id: z.uuid().openapi({ description: "The event_ticket_config to buy from (see /availability)." }),
    quantity: z.number().int().min(1).max(50),
    promo_code: enteredPromoCode,
    channel: z.enum(PURCHASE_CHANNELS).default("MOBILE"),
    guest_email: emailSchema.optional().openapi({
      description:
        "Required without a signed-in user: the tickets go to this address's passwordless account. An address whose account has a password or a verified email is refused (409 `sign_in_required`): its owner signs in to order.",
    }),
    guest_phone: phoneSchema.optional(),
    presale_code: enteredPromoCode.openapi({
      description:
        "A presale code of the event: needed for a hidden (`presale_only`) configuration, and counted against the code's quota (422 `unknown_presale_code` in `errors`; 403 `presale_code_required` without one; 409 `presale_code_not_started`, `presale_code_expired`, `presale_code_exhausted`; 422 `presale_code_not_applicable`). Counts against the per-IP limit `promo-ip`.",
    }),
    attendees: z
      .array(
        z.strictObject({
          name: z.string().trim().min(1).max(120),
          email: emailSchema.nullable().default(null),
          phone: phoneSchema.nullable().default(null),
          answers: z.record(z.string().max(40), z.union([z.string().max(500), z.number(), z.boolean()])).default({}),
        }),
      )
      .max(50)
      .optional()
      .openapi({
        description:
          "The people the tickets admit, one per unit at most (`attendees.<i>`), answering the configuration's `attendee_questions` (422 naming `attendees.<i>.answers.<id>`); each confirmed right gets one, in order. Holders may also name or change them later (PUT …/access-rights/{access_right_id}/attendee).",
      }),
    waitlist_offer_id: z.uuid().optional().openapi({
      description:
        "A waiting-list offer made to the signed-in buyer for this configuration (WAITLIST_OFFER): the order takes the tickets it reserved, up to its quantity, while it is open (404 `waitlist_offer_not_found`, 409 `waitlist_offer_expired`, `waitlist_offer_taken`, `waitlist_offer_not_open`, 422 `waitlist_offer_quantity`).",
    }),
    turnstile_token: z
      .string()
      .min(1)
      .max(TURNSTILE_TOKEN_MAX)
      .optional()
      .openapi({ description: "Required without a signed-in user: the token of the Cloudflare Turnstile widget, checked once with Siteverify (403 `turnstile_failed` when refused or already used)." }),
  })
  .openapi("PlaceOrderRequest");

export const OrderSchema = z
  .object({
    id: z.string(),
    ticket_number: z.string(),
    event_id: z.string(),
    config_id: z.string(),
    ticket_type_id: z.string(),
    user_id: z.string().nullable().openapi({ description: "The buyer's account; null in the answer to a guest order (an anonymous caller never learns an account id)." }),
    quantity: z.number().int(),
    unit_price: z.number().int().openapi({ description: "Minor units of `currency`." }),
    gross: z.number().int(),
    discount: z.number().int(),
    total: z.number().int(),
    currency: z.string(),
    applied_rules: z.array(z.object({ id: z.string(), code: z.string(), amount: z.number().int() })),
    booking_status: z.enum(BOOKING_STATUSES),
    payment_status: z.string(),
    payment_id: z.string().nullable(),
    expires_at: z.string().nullable().openapi({ description: "End of the hold while PENDING." }),
    channel: z.string(),
    is_guest: z.boolean(),
    guest_email: z.string().nullable().openapi({ description: "A guest order's email: the tickets go there, and paying needs it." }),
    created_at: z.string(),
    confirmed_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    cancellation_reason: z.string().nullable(),
  })
  .openapi("Order");

export const AccessRightSchema = z
  .object({
    id: z.string(),
    qr_code: z.string().openapi({ description: "Short human code printed under the QR, for MANUAL_ENTRY." }),
    event_id: z.string(),
    order_id: z.string().nullable(),
    user_id: z.string(),
    zone_id: z.string().nullable(),
    seat_id: z.string().nullable(),
    status: z.string(),
    source_type: z.string(),
    source_id: z.string(),
    original_user_id: z.string(),
    transfer_count: z.number().int(),
    valid_from: z.string(),
    valid_until: z.string(),
    used_at: z.string().nullable(),
  })
  .openapi("AccessRight");

export const AvailabilitySchema = z
  .object({
    event_id: z.string(),
    access_type: z.string().openapi({ description: "FREE, PAID or INVITATION: the event's access type; nothing of an INVITATION event is ever on sale." }),
    configs: z.array(
      z.object({
        id: z.string(),
        ticket_type_id: z.string(),
        ticket_type_code: z.string(),
        price: z.number().int().openapi({
          description: "What the next unit sells at, in minor units, before pricing rules: the price of the tier whose `from`..`to` contains the number of units sold or held so far (the next unit's 0-based sequence number), else `base_price`.",
        }),
        price_label: z.string().nullable().openapi({ description: "The label of the tier `price` comes from; null at the base price." }),
        base_price: z.number().int().openapi({ description: "The configuration's price, for units outside every tier." }),
        price_tiers: z
          .array(z.object({ from: z.number().int(), to: z.number().int(), price: z.number().int(), label: z.string().optional() }))
          .nullable()
          .openapi({ description: "Price tiers by units sold or held so far (`from`..`to`, both inclusive, counted from 0), when the configuration is priced by tiers; else null." }),
        currency: z.string(),
        available: z.number().int(),
        sellable: z.number().int(),
        held: z.number().int(),
        sold: z.number().int(),
        on_sale: z.boolean(),
      }),
    ),
  })
  .openapi("Availability");

export const eventOrderParams = z.object({ event_id: z.uuid(), order_id: z.uuid() });
