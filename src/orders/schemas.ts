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

/** The most lines one cart may have. */
export const CART_MAX_LINES = 10;

export const OrderLineBody = z
  .strictObject({
    config_id: z.uuid().openapi({ description: "An event_ticket_config of this event (see /availability)." }),
    quantity: z.number().int().min(1).max(50),
    seat_ids: z
      .array(z.uuid())
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: "Exactly `quantity` seats of the configuration's zone (see the seat map), held with the order; absent for unseated tickets." }),
  })
  .openapi("OrderLine");

export const PlaceOrderBody = z
  .strictObject({
    lines: z
      .array(OrderLineBody)
      .min(1)
      .max(CART_MAX_LINES)
      .optional()
      .openapi({
        description: `The cart: up to ${CART_MAX_LINES} lines of this event's configurations, priced together and held all-or-none in one payment. Instead of \`config_id\` and \`quantity\` (an order of one line).`,
      }),
    config_id: z.uuid().optional().openapi({ description: "An order of one line: the event_ticket_config to buy from (see /availability), with `quantity`. Not with `lines`." }),
    quantity: z.number().int().min(1).max(50).optional().openapi({ description: "With `config_id`: how many." }),
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
  .superRefine((body, ctx) => {
    if (body.lines && (body.config_id !== undefined || body.quantity !== undefined)) {
      ctx.addIssue({ code: "custom", path: [body.config_id !== undefined ? "config_id" : "quantity"], message: "Send either lines, or config_id and quantity." });
    }
    if (!body.lines) {
      if (body.config_id === undefined) ctx.addIssue({ code: "custom", path: ["config_id"], message: "Send lines, or config_id and quantity." });
      if (body.quantity === undefined) ctx.addIssue({ code: "custom", path: ["quantity"], message: "Send lines, or config_id and quantity." });
      return;
    }
    const seats = new Set<string>();
    body.lines.forEach((line, i) => {
      if (line.seat_ids && line.seat_ids.length !== line.quantity) {
        ctx.addIssue({ code: "custom", path: ["lines", i, "seat_ids"], message: `Name exactly ${line.quantity} seat(s), one per ticket.` });
      }
      (line.seat_ids ?? []).forEach((seat, j) => {
        if (seats.has(seat)) ctx.addIssue({ code: "custom", path: ["lines", i, "seat_ids", j], message: `Seat ${seat} is named twice in this order.` });
        seats.add(seat);
      });
    });
  })
  .openapi("PlaceOrderRequest");

/** The cart of a request: its lines, or its one line (`config_id` and `quantity`). */
export const cartLines = (body: z.infer<typeof PlaceOrderBody>) => body.lines ?? [{ config_id: body.config_id!, quantity: body.quantity! }];

export const OrderLineSchema = z
  .object({
    config_id: z.string(),
    ticket_type_id: z.string(),
    quantity: z.number().int(),
    unit_price: z.number().int().openapi({ description: "The line's first unit's price (price tiers may price later units higher); minor units." }),
    gross: z.number().int(),
    discount: z.number().int().openapi({ description: "The line's share of the order's discount: each applied rule's amount spread over the lines it applies to." }),
    total: z.number().int(),
    seat_ids: z.array(z.string()).openapi({ description: "The seats the line holds (or sold), one per unit; empty for unseated tickets." }),
  })
  .openapi("OrderLineView");

export const OrderSchema = z
  .object({
    id: z.string(),
    ticket_number: z.string(),
    event_id: z.string(),
    config_id: z.string().openapi({ description: "The first line's configuration." }),
    ticket_type_id: z.string().openapi({ description: "The first line's ticket type." }),
    user_id: z.string().nullable().openapi({ description: "The buyer's account; null in the answer to a guest order (an anonymous caller never learns an account id)." }),
    quantity: z.number().int().openapi({ description: "Units over every line." }),
    lines: z.array(OrderLineSchema).openapi({ description: "The cart's lines, in the order sent (an order of one line: one)." }),
    unit_price: z.number().int().openapi({ description: "The first line's first unit's price, in minor units of `currency`." }),
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
    status: z.string().openapi({ description: "The event's status; an unpublished event (DRAFT, PENDING_REVIEW, REJECTED) is 404 to all but its organization, staff and admins, and nothing of it is on sale." }),
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
