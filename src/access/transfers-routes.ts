import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../auth/middleware.ts";
import { idempotent } from "../site/idempotency.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta } from "../lib/request.ts";
import { acceptTransfer, cancelTransfer, declineTransfer, listMyTransfers, readableTransfer, returnLoan } from "./transfer-offers.ts";
import { transferView } from "./transfer-records.ts";
import { createTransfer } from "./transfers.ts";
import { CreateTransferBody, EndOfferBody, MyTransfersQuery, rightTransferParams, TransferSchema, transferParam } from "./transfers-schemas.ts";

const tags = ["Transfers"];
const optionalBody = { ...jsonBody(EndOfferBody), required: false };

export function transferRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/access-rights/{access_right_id}/transfers",
      operationId: "transferAccessRight",
      tags,
      security: bearerAuth,
      middleware: [idempotent] as const,
      summary: "Transfer one of my access rights: give, lend, sell or exchange it",
      description: [
        "Only the right's holder can transfer it, until the doors open.",
        "**DONATION** and **LOAN** execute at once: in one step of the event's Durable Object the old right becomes TRANSFERRED (its QR stops working) and the recipient's new right is ENABLED with a new code. A borrowed right cannot be passed on; the lender recalls it with `/v1/transfers/{transfer_id}/return`.",
        "**SALE** and **EXCHANGE** create a PENDING offer (one per right) that the recipient accepts or declines within 48 hours, or before the doors open if sooner. A sale price is capped at the face value × the event's `resale_cap_bp` (its metadata; 100 % by default) and the new right cannot be resold unless the event's metadata sets `resale_no_retransfer: false`. **No money moves yet**: the commission and the seller's net are recorded on acceptance, and collecting the price from the buyer comes with the payments issue.",
        "Rights from a season pass count against the plan's `max_transfers_per_season`.",
        "The recipient is an account id, or an email address (an account without a password is opened for it if none exists; its owner claims it with a password reset). A recipient the event's blacklist bans (a USER, EMAIL or PHONE entry of the event, its venue, its organizer or global) is refused with 403 `blacklisted`. Send an `Idempotency-Key` header to make retries safe.",
      ].join("\n\n"),
      request: {
        params: rightTransferParams,
        headers: z.object({ "idempotency-key": z.string().optional().openapi({ description: "8–255 visible ASCII characters, unique per transfer attempt." }) }),
        body: jsonBody(CreateTransferBody),
      },
      responses: {
        201: jsonResponse(TransferSchema, "COMPLETED for a donation or loan, PENDING for an offer."),
        ...errors("blacklisted", "idempotency_in_progress", "idempotency_key_reused", "no_retransfer", "not_found", "offer_pending", "price_above_cap", "rate_limited", "recipient_email_unverified", "right_not_transferable", "right_used", "transfer_not_allowed", "transfer_quota_exhausted", "transfer_window_closed"),
      },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await enforceRateLimit(c.env, "transfer-user", auth.userId);
      const { event_id, access_right_id } = c.req.valid("param");
      const row = await createTransfer(c.env, auth, event_id, access_right_id, c.req.valid("json"), clientMeta(c));
      c.header("Location", `/v1/transfers/${row.id}`);
      return c.json(transferView(row), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/transfers/{transfer_id}/accept",
      operationId: "acceptTransfer",
      tags,
      security: bearerAuth,
      summary: "Accept an offer made to me",
      description:
        "For the recipient only. Executes the sale or exchange in the event's Durable Object: the sender's right (and, for an exchange, mine) stops working in the same step the new ones start. For a sale, the platform commission (basis points of the price, the event's rate reduced by the organizer's plan) and the seller's net are recorded on the transfer and in the access log; the payment itself comes with the payments issue. If a right changed since the offer was made (transferred, used, no longer transferable, transfers closed), the offer ends and the answer is 409. A party who would receive a right and is banned by the event's blacklist since (the recipient, or either side of an exchange) is 403 `blacklisted`, and the offer stays open until it is cancelled, declined or expires. Accepting again returns the completed transfer.",
      request: { params: transferParam },
      responses: { 200: jsonResponse(TransferSchema, "COMPLETED."), ...errors("blacklisted", "loan_closed", "loan_not_found", "not_an_offer", "not_found", "not_your_turn", "offer_being_accepted", "offer_closed", "offer_expired", "price_above_cap", "price_required", "right_not_transferable", "transfer_quota_exhausted", "transfer_to_self", "unknown_access_point") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const row = await acceptTransfer(c.env, auth, c.req.valid("param").transfer_id, clientMeta(c));
      return c.json(transferView(row), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/transfers/{transfer_id}/decline",
      operationId: "declineTransfer",
      tags,
      security: bearerAuth,
      summary: "Decline an offer made to me",
      description: "For the recipient only, while the offer is PENDING. The sender keeps the right and is told.",
      request: { params: transferParam, body: optionalBody },
      responses: { 200: jsonResponse(TransferSchema, "DECLINED."), ...errors("not_found", "not_your_turn", "offer_being_accepted", "offer_closed", "offer_expired") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const row = await declineTransfer(c.env, auth, c.req.valid("param").transfer_id, c.req.valid("json").reason, clientMeta(c));
      return c.json(transferView(row), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/transfers/{transfer_id}/cancel",
      operationId: "cancelTransfer",
      tags,
      security: bearerAuth,
      summary: "Withdraw an offer I made",
      description: "For the sender only, while the offer is PENDING and the recipient is not accepting it at that moment.",
      request: { params: transferParam, body: optionalBody },
      responses: { 200: jsonResponse(TransferSchema, "CANCELLED."), ...errors("not_found", "not_your_turn", "offer_being_accepted", "offer_closed", "offer_expired") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const row = await cancelTransfer(c.env, auth, c.req.valid("param").transfer_id, c.req.valid("json").reason, clientMeta(c));
      return c.json(transferView(row), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/transfers/{transfer_id}/return",
      operationId: "returnLoan",
      tags,
      security: bearerAuth,
      summary: "Recall a ticket I lent",
      description: "For the lender only, while the borrower is not inside the venue. The borrowed right stops working and the lender gets a new right (new code) in the same step.",
      request: { params: transferParam },
      responses: { 200: jsonResponse(TransferSchema, "RETURNED; `returned_access_right_id` is the lender's new right."), ...errors("holder_inside", "loan_not_active", "not_a_loan", "not_found", "not_your_turn", "right_not_found", "right_not_transferable") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const row = await returnLoan(c.env, auth, c.req.valid("param").transfer_id, clientMeta(c));
      return c.json(transferView(row), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/transfers",
      operationId: "listMyTransfers",
      tags,
      security: bearerAuth,
      summary: "Transfers I sent or received, newest first",
      request: { query: MyTransfersQuery },
      responses: { 200: jsonResponse(pageSchema(TransferSchema), "Transfers."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(await listMyTransfers(c.env, auth, c.req.valid("query")), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/transfers/{transfer_id}",
      operationId: "getTransfer",
      tags,
      security: bearerAuth,
      summary: "One transfer",
      description: "For its sender, its recipient and admins; anyone else gets 404.",
      request: { params: transferParam },
      responses: { 200: jsonResponse(TransferSchema, "The transfer."), ...errors("not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(transferView(await readableTransfer(c.env, auth, c.req.valid("param").transfer_id)), 200);
    },
  );

  return r;
}
