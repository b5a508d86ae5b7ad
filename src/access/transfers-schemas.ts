import { z } from "@hono/zod-openapi";
import { emailSchema } from "../auth/schemas.ts";
import { pageQuery } from "../lib/pagination.ts";
import { amount, instant } from "../lib/schemas.ts";
import { TRANSFER_STATUSES, TRANSFER_TYPES } from "./schema.ts";

/** Who receives the right (or a whole season pass): an account id, or an email address (an account is opened for it if none exists). */
export const recipient = {
  recipient_email: emailSchema.optional().openapi({
    description: "The recipient's email; an account without a password is opened for it if none exists. An account that signed up with it but never verified it is 409 `recipient_email_unverified`.",
  }),
  recipient_user_id: z.uuid().optional().openapi({ description: "The recipient's account id (instead of `recipient_email`)." }),
  message: z.string().trim().min(1).max(500).optional().openapi({ description: "A note shown to the recipient." }),
};

/** Exactly one of the two ways of naming the recipient. */
export function oneRecipient(body: { recipient_email?: string; recipient_user_id?: string }, ctx: z.RefinementCtx) {
  if ((body.recipient_email === undefined) === (body.recipient_user_id === undefined)) {
    ctx.addIssue({ code: "custom", path: ["recipient_email"], message: "Give exactly one of recipient_email and recipient_user_id." });
  }
}

export const CreateTransferBody = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("DONATION"), ...recipient }),
    z.strictObject({
      type: z.literal("LOAN"),
      ...recipient,
      loan_return_at: instant.openapi({ description: "When the right is due back; before the event ends. The lender can recall it earlier." }),
    }),
    z.strictObject({
      type: z.literal("SALE"),
      ...recipient,
      price: amount.openapi({ description: "Minor units of the event's currency; at most the face value × the event's resale cap." }),
    }),
    z.strictObject({
      type: z.literal("EXCHANGE"),
      ...recipient,
      exchange_access_right_id: z.uuid().openapi({ description: "The recipient's right in the same event, given in return." }),
    }),
  ])
  .superRefine(oneRecipient)
  .openapi("CreateTransferRequest");

export type CreateTransferInput = z.infer<typeof CreateTransferBody>;

export const TransferSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    transfer_type: z.enum(TRANSFER_TYPES),
    status: z.enum(TRANSFER_STATUSES),
    access_right_id: z.string().openapi({ description: "The sender's right being transferred." }),
    new_access_right_id: z.string().nullable().openapi({ description: "The recipient's new right, once COMPLETED." }),
    exchange_access_right_id: z.string().nullable().openapi({ description: "EXCHANGE: the recipient's right given in return." }),
    exchange_new_access_right_id: z.string().nullable().openapi({ description: "EXCHANGE: the sender's new right, once COMPLETED." }),
    returned_access_right_id: z.string().nullable().openapi({ description: "LOAN: the lender's new right, once RETURNED." }),
    from_user_id: z.string(),
    to_user_id: z.string().nullable(),
    recipient_email: z.string().nullable(),
    price: z.number().int().nullable().openapi({ description: "SALE: minor units of `currency`." }),
    currency: z.string().nullable(),
    sale: z
      .object({
        face_value: z.number().int(),
        resale_cap_bp: z.number().int(),
        commission_bp: z.number().int(),
        platform_fee: z.number().int(),
        net_to_seller: z.number().int(),
      })
      .nullable()
      .openapi({ description: "SALE: the platform commission (basis points, minor units) and the seller's net; fixed when the offer is accepted." }),
    loan_return_at: z.string().nullable(),
    returned_at: z.string().nullable(),
    message: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: "Why an offer ended without completing (declined, cancelled, or the right changed)." }),
    expires_at: z.string().nullable().openapi({ description: "End of a PENDING offer: 48 hours, or the doors opening if sooner." }),
    completed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Transfer");

export const transferParam = z.object({ transfer_id: z.uuid() });
export const rightTransferParams = z.object({ event_id: z.uuid(), access_right_id: z.uuid() });

export const MyTransfersQuery = z.object({
  ...pageQuery,
  direction: z.enum(["sent", "received"]).optional().openapi({ description: "Sent by me, received by me; both when omitted." }),
  status: z.enum(TRANSFER_STATUSES).optional(),
});

export const EndOfferBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).openapi("EndTransferOfferRequest");
