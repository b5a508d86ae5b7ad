import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { adminOnly, requireAuth } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { booleanQuery } from "../lib/schemas.ts";
import { problems } from "../lib/errors.ts";
import { idempotent } from "../site/idempotency.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { afterCursor, decodeCursor, pageQuery, pageSchema, toPage } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { now } from "../lib/time.ts";
import { chooseOrganization } from "../organizations/permissions.ts";
import { actorOf } from "../site/audit.ts";
import { listDeadLetters, readDeadLetter, replayDeadLetter } from "../site/dead-letters.ts";
import { commissionSummary, listCommissions, settleCommissions } from "./commissions.ts";
import { approveRefund, completeRefundByHand, listRefunds, paymentScope, readRefund, rejectRefund, requestRefund } from "./refunds.ts";
import { payments, webhook_events, WEBHOOK_STATUSES } from "./schema.ts";
import {
  ApproveRefundBody,
  CommissionSchema,
  CommissionsQuery,
  ExternalReferenceBody,
  PaymentSchema,
  PaymentsQuery,
  PaymentStartedSchema,
  RefundSchema,
  RefundsQuery,
  RejectRefundBody,
  RequestRefundBody,
  SettleCommissionsBody,
  StartPaymentBody,
  WidgetReportBody,
} from "./schemas.ts";
import { ProviderError } from "./providers/types.ts";
import { attachWidgetTransaction, fulfil, settlePayment, startPayment, type PaymentRow } from "./service.ts";

const tags = ["Payments"];
const adminTags = ["Administration"];
const paymentParam = z.object({ payment_id: z.uuid() });
const refundParam = z.object({ refund_id: z.uuid() });

/** What a client sees of a payment: never the provider's raw answer or our idempotency key. */
export const toPayment = (p: PaymentRow): z.infer<typeof PaymentSchema> => ({
  id: p.id,
  type: p.type,
  amount: p.amount,
  fees: p.fees,
  net_amount: p.net_amount,
  refunded_amount: p.refunded_amount,
  currency: p.currency,
  status: p.status,
  method: p.method,
  provider: p.provider,
  internal_reference: p.internal_reference,
  external_reference: p.external_reference,
  ticket_id: p.ticket_id,
  subscription_id: p.subscription_id,
  organizer_subscription_id: p.organizer_subscription_id,
  original_payment_id: p.original_payment_id,
  description: p.description,
  payer_phone: p.payer_phone,
  card_fingerprint: p.card_fingerprint,
  failure_reason: p.failure_reason,
  created_at: p.created_at,
  paid_at: p.paid_at,
  expires_at: p.expires_at,
});

async function listPayments(db: ReturnType<typeof getDb>, query: z.infer<typeof PaymentsQuery>, userId: string | null) {
  const after = decodeCursor(query.cursor);
  const rows = await db
    .select()
    .from(payments)
    .where(
      and(
        userId ? eq(payments.user_id, userId) : undefined,
        query.status ? eq(payments.status, query.status) : undefined,
        query.type ? eq(payments.type, query.type) : undefined,
        query.provider ? eq(payments.provider, query.provider) : undefined,
        afterCursor(after, payments.created_at, payments.id, "desc"),
      ),
    )
    .orderBy(desc(payments.created_at), desc(payments.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
  return { data: page.data.map(toPayment), next_cursor: page.next_cursor };
}

export function paymentRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ paying

  r.openapi(
    createRoute({
      method: "post",
      path: "/payments",
      operationId: "startPayment",
      tags,
      middleware: [idempotent] as const,
      security: [{}, ...bearerAuth],
      summary: "Pay for an order, a season pass or an organizer plan",
      description:
        "Creates the payment and starts the provider's flow; `next_action` says what the payer does next (approve the Mobile Money prompt on their phone, follow a link, open a widget, or wire the money with the reference). The result arrives by the provider's webhook, or by the poller when the webhook never comes. Send an `Idempotency-Key`; the same attempt asked twice returns the first one. A guest order is paid without signing in by giving its `guest_email`.",
      request: {
        headers: z.object({ "idempotency-key": z.string().optional() }),
        body: jsonBody(StartPaymentBody),
      },
      responses: { 201: jsonResponse(PaymentStartedSchema, "Started."), ...errors("already_paid", "idempotency_in_progress", "idempotency_key_reused", "instalment_not_due", "not_found", "nothing_to_pay", "order_closed", "paid_with_package", "provider_reference_conflict", "provider_refused", "provider_unavailable", "subscription_not_payable", "subscription_not_pending", "too_many_attempts", "transfer_not_payable", "upgrade_not_payable") },
    }),
    async (c) => {
      const started = await startPayment(c.env, c.get("auth"), c.req.valid("json"));
      c.header("Location", `/v1/payments/${started.payment.id}`);
      return c.json({ payment: toPayment(started.payment), next_action: started.next_action }, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/payments/{payment_id}",
      operationId: "getPayment",
      tags,
      security: bearerAuth,
      summary: "One payment",
      description: "For its payer, members with `money.read` (OWNER, FINANCE) of the organization that sold what it paid for (its other members get 403), and admins.",
      request: { params: paymentParam },
      responses: { 200: jsonResponse(PaymentSchema, "The payment."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { payment } = await paymentScope(getDb(c.env.DB), requireAuth(c.get("auth")), c.req.valid("param").payment_id);
      return c.json(toPayment(payment), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/payments/{payment_id}/check",
      operationId: "checkPayment",
      tags,
      security: bearerAuth,
      summary: "Ask the provider now",
      description: "The payer approved on their phone and does not want to wait for the callback: the provider is asked at once and the payment settled as a webhook would. Rate limited.",
      request: { params: paymentParam },
      responses: { 200: jsonResponse(PaymentSchema, "The payment as it stands now."), ...errors("not_found", "rate_limited", "unavailable") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const db = getDb(c.env.DB);
      const { payment_id } = c.req.valid("param");
      await paymentScope(db, auth, payment_id);
      await enforceRateLimit(c.env, "payment-check-user", auth.userId);
      await settleOrUnavailable(c.env, payment_id);
      const [after] = await db.select().from(payments).where(eq(payments.id, payment_id));
      return c.json(toPayment(after!), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/payments/{payment_id}/widget",
      operationId: "reportWidgetTransaction",
      tags,
      security: bearerAuth,
      summary: "Report the transaction a provider's widget made (KkiaPay)",
      description:
        "The app passes on the transaction id the widget returned. It is attached to the payment only once the provider's status API says that transaction carries this payment's reference: an id the provider does not know is 422 `transaction_unknown`, another payment's transaction 422 `transaction_mismatch` (at `transaction_id`), and neither changes the payment, so its genuine transaction and signed webhook still confirm it. Once attached, amount and currency are checked before anything is issued; a different id after that is 409 `transaction_already_known`; an id another payment already holds is 502 `provider_reference_conflict`; the provider unreachable is 503.",
      request: { params: paymentParam, body: jsonBody(WidgetReportBody) },
      responses: { 200: jsonResponse(PaymentSchema, "The payment as it stands now."), ...errors("no_widget", "not_found", "provider_reference_conflict", "rate_limited", "transaction_already_known", "unavailable") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const db = getDb(c.env.DB);
      const { payment_id } = c.req.valid("param");
      const { payment, as } = await paymentScope(db, auth, payment_id);
      if (as !== "PAYER") throw problems.notFound("Payment");
      if (payment.provider !== "KKIAPAY") throw problems.conflict("no_widget", "This payment is not made in a widget.");
      await enforceRateLimit(c.env, "payment-check-user", auth.userId);
      try {
        await attachWidgetTransaction(c.env, payment, c.req.valid("json").transaction_id);
      } catch (error) {
        if (error instanceof ProviderError) throw problems.unavailable("The payment provider did not answer; try again in a moment.");
        throw error;
      }
      const [after] = await db.select().from(payments).where(eq(payments.id, payment_id));
      return c.json(toPayment(after!), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/payments",
      operationId: "listMyPayments",
      tags,
      security: bearerAuth,
      summary: "My payments, newest first",
      request: { query: PaymentsQuery },
      responses: { 200: jsonResponse(pageSchema(PaymentSchema), "Payments."), ...errors() },
    }),
    async (c) => c.json(await listPayments(getDb(c.env.DB), c.req.valid("query"), requireAuth(c.get("auth")).userId), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/payments",
      operationId: "listPayments",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "All payments, newest first",
      request: { query: PaymentsQuery },
      responses: { 200: jsonResponse(pageSchema(PaymentSchema), "Payments."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listPayments(getDb(c.env.DB), c.req.valid("query"), null), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/payments/{payment_id}/confirm-bank-transfer",
      operationId: "confirmBankTransfer",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "Record a bank transfer as received",
      description: "The money arrived on the platform's account with this payment's reference: the payment becomes PAID and what it paid for is issued, exactly once.",
      request: { params: paymentParam, body: jsonBody(ExternalReferenceBody) },
      responses: { 200: jsonResponse(PaymentSchema, "The payment."), ...errors("concurrent_change", "forbidden", "invalid_transition", "not_a_bank_transfer", "not_found", "payment_closed") },
    }),
    async (c) => {
      const db = getDb(c.env.DB);
      const { payment_id } = c.req.valid("param");
      const [payment] = await db.select().from(payments).where(eq(payments.id, payment_id)).limit(1);
      if (!payment) throw problems.notFound("Payment");
      if (payment.provider !== "BANK" || payment.type === "COMMISSION" || payment.type === "REFUND") throw problems.conflict("not_a_bank_transfer", "This payment is not a bank transfer to confirm.");
      const at = now();
      const [paid] = await db
        .update(payments)
        .set({ status: "PAID", paid_at: at, processed_at: at, updated_at: at, external_reference: c.req.valid("json").external_reference ?? null })
        .where(and(eq(payments.id, payment_id), eq(payments.status, "PENDING")))
        .returning();
      if (!paid && payment.status !== "PAID") throw problems.conflict("payment_closed", `This payment is ${payment.status}.`);
      const current = paid ?? payment;
      await fulfil(c.env, current);
      const [after] = await db.select().from(payments).where(eq(payments.id, payment_id));
      return c.json(toPayment(after!), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/webhook-events",
      operationId: "listWebhookEvents",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "Provider webhooks as received",
      request: { query: z.object({ ...pageQuery, status: z.enum(WEBHOOK_STATUSES).optional(), payment_id: z.uuid().optional() }) },
      responses: {
        200: jsonResponse(
          pageSchema(
            z.object({
              id: z.string(),
              provider: z.string(),
              provider_event_id: z.string(),
              event_type: z.string().nullable(),
              raw_body: z.string(),
              signature_valid: z.boolean(),
              status: z.string(),
              payment_id: z.string().nullable(),
              attempts: z.number().int(),
              error: z.string().nullable(),
              received_at: z.string(),
              processed_at: z.string().nullable(),
            }),
          ),
          "Webhook events.",
        ),
        ...errors("forbidden"),
      },
    }),
    async (c) => {
      const { limit, cursor, status, payment_id } = c.req.valid("query");
      const after = decodeCursor(cursor);
      const rows = await getDb(c.env.DB)
        .select()
        .from(webhook_events)
        .where(and(status ? eq(webhook_events.status, status) : undefined, payment_id ? eq(webhook_events.payment_id, payment_id) : undefined, afterCursor(after, webhook_events.received_at, webhook_events.id, "desc")))
        .orderBy(desc(webhook_events.received_at), desc(webhook_events.id))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => ({ k: row.received_at, id: row.id }));
      return c.json({ data: page.data.map(({ headers: _headers, ...row }) => row), next_cursor: page.next_cursor }, 200);
    },
  );

  // ------------------------------------------------------------ refunds

  r.openapi(
    createRoute({
      method: "post",
      path: "/payments/{payment_id}/refunds",
      operationId: "requestRefund",
      tags,
      security: bearerAuth,
      summary: "Ask for a refund",
      description: "By the payer, for the whole amount still paid. The organization that sold it (`refunds.manage`: OWNER, FINANCE) or an admin approves or rejects it.",
      request: { params: paymentParam, body: jsonBody(RequestRefundBody) },
      responses: { 201: jsonResponse(RefundSchema, "Requested."), ...errors("forbidden", "not_found", "not_refundable", "refund_open") },
    }),
    async (c) => c.json(await requestRefund(c.env, requireAuth(c.get("auth")), c.req.valid("param").payment_id, c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/refunds",
      operationId: "listMyRefunds",
      tags,
      security: bearerAuth,
      summary: "My refund requests",
      request: { query: RefundsQuery },
      responses: { 200: jsonResponse(pageSchema(RefundSchema), "Refunds."), ...errors() },
    }),
    async (c) => c.json(await listRefunds(c.env, requireAuth(c.get("auth")), c.req.valid("query"), true), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/refunds",
      operationId: "listRefunds",
      tags,
      security: bearerAuth,
      summary: "Refunds to decide on",
      description: "Refunds of what my organizations sold, where I have `money.read` (OWNER, FINANCE); admins: all.",
      request: { query: RefundsQuery },
      responses: { 200: jsonResponse(pageSchema(RefundSchema), "Refunds."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listRefunds(c.env, requireAuth(c.get("auth")), c.req.valid("query"), false), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/refunds/{refund_id}",
      operationId: "getRefund",
      tags,
      security: bearerAuth,
      summary: "One refund",
      description: "For its payer, members with `money.read` of the selling organization, and admins.",
      request: { params: refundParam },
      responses: { 200: jsonResponse(RefundSchema, "The refund."), ...errors("not_found") },
    }),
    async (c) => c.json(await readRefund(c.env, requireAuth(c.get("auth")), c.req.valid("param").refund_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/refunds/{refund_id}/approve",
      operationId: "approveRefund",
      tags,
      security: bearerAuth,
      summary: "Approve a refund",
      description: "Needs `refunds.manage` in the selling organization (OWNER, FINANCE; its other members 403), or an admin. Cancels what was bought first (the order's access rights, the pass, the plan), then pays back through the provider's refund API where it has one (Stripe, KkiaPay); otherwise the refund waits APPROVED until it is recorded as paid back by hand.",
      request: { params: refundParam, body: jsonBody(ApproveRefundBody) },
      responses: { 200: jsonResponse(RefundSchema, "Approved."), ...errors("concurrent_change", "forbidden", "not_found", "refund_not_requested", "tickets_used", "upgrade_not_refundable") },
    }),
    async (c) => {
      requireAuth(c.get("auth"));
      return c.json(await approveRefund(c.env, actorOf(c), c.req.valid("param").refund_id, c.req.valid("json")), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/refunds/{refund_id}/reject",
      operationId: "rejectRefund",
      tags,
      security: bearerAuth,
      summary: "Reject a refund",
      description: "Needs `refunds.manage` in the selling organization, or an admin.",
      request: { params: refundParam, body: jsonBody(RejectRefundBody) },
      responses: { 200: jsonResponse(RefundSchema, "Rejected."), ...errors("concurrent_change", "forbidden", "not_found", "refund_not_requested") },
    }),
    async (c) => {
      requireAuth(c.get("auth"));
      return c.json(await rejectRefund(c.env, actorOf(c), c.req.valid("param").refund_id, c.req.valid("json")), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/refunds/{refund_id}/complete",
      operationId: "completeRefund",
      tags,
      security: bearerAuth,
      summary: "Record a refund paid back by hand",
      description: "Needs `refunds.manage` in the selling organization, or an admin. For cash, bank transfers and providers without a refund API: the money went back to the payer outside the platform.",
      request: { params: refundParam, body: jsonBody(ExternalReferenceBody) },
      responses: { 200: jsonResponse(RefundSchema, "Refunded."), ...errors("forbidden", "not_found", "refund_exceeds_payment", "refund_not_approved") },
    }),
    async (c) => {
      requireAuth(c.get("auth"));
      return c.json(await completeRefundByHand(c.env, actorOf(c), c.req.valid("param").refund_id, c.req.valid("json").external_reference ?? null), 200);
    },
  );

  // ------------------------------------------------------------ commissions

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/commissions",
      operationId: "listMyCommissions",
      tags,
      security: bearerAuth,
      summary: "Commissions my organization owes the platform",
      description: "Needs `money.read` (OWNER, FINANCE) in the organization, named by `organization_id` (default: the only one where I have it).",
      request: { query: CommissionsQuery.omit({ organizer_id: true }) },
      responses: {
        200: jsonResponse(
          pageSchema(CommissionSchema).extend({ summary: z.array(z.object({ currency: z.string(), status: z.string(), count: z.number().int(), amount: z.number().int() })) }),
          "Commissions, with totals per currency and status.",
        ),
        ...errors("forbidden", "no_organization"),
      },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const query = c.req.valid("query");
      const organizationId = (await chooseOrganization(getDb(c.env.DB), auth, query.organization_id, "money.read", { platformWide: false }))!;
      const [page, summary] = await Promise.all([listCommissions(c.env, query, organizationId), commissionSummary(c.env, organizationId)]);
      return c.json({ ...page, summary }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/commissions",
      operationId: "listCommissions",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "Commissions owed by organizations",
      request: { query: CommissionsQuery },
      responses: { 200: jsonResponse(pageSchema(CommissionSchema), "Commissions."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listCommissions(c.env, c.req.valid("query"), null), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/commissions/settle",
      operationId: "settleCommissions",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "Record that an organization paid commissions",
      request: { body: jsonBody(SettleCommissionsBody) },
      responses: {
        200: jsonResponse(z.object({ payment_id: z.string(), amount: z.number().int(), currency: z.string(), commissions: z.number().int() }), "Settled."),
        ...errors("commission_not_due", "concurrent_change", "forbidden"),
      },
    }),
    async (c) => c.json(await settleCommissions(c.env, actorOf(c), c.req.valid("json")), 200),
  );

  // ------------------------------------------------------------ dead letters

  const DeadLetterSchema = z
    .object({ id: z.string(), queue: z.string(), message_id: z.string(), body: z.unknown(), attempts: z.number().int(), received_at: z.string(), replayed_at: z.string().nullable() })
    .openapi("DeadLetter");

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/dead-letters",
      operationId: "listDeadLetters",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "Queue messages given up on after their retries",
      request: { query: z.object({ ...pageQuery, queue: z.enum(["payments", "notifications"]).optional(), replayed: booleanQuery.optional() }) },
      responses: { 200: jsonResponse(pageSchema(DeadLetterSchema), "Dead letters."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listDeadLetters(c.env, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/dead-letters/{dead_letter_id}",
      operationId: "getDeadLetter",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "One dead letter",
      request: { params: z.object({ dead_letter_id: z.uuid() }) },
      responses: { 200: jsonResponse(DeadLetterSchema, "The dead letter."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await readDeadLetter(c.env, c.req.valid("param").dead_letter_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/dead-letters/{dead_letter_id}/replay",
      operationId: "replayDeadLetter",
      tags: adminTags,
      middleware: [adminOnly] as const,
      security: bearerAuth,
      summary: "Put a dead letter back on its queue",
      description: "Consumers are idempotent: a replay of something that meanwhile succeeded changes nothing.",
      request: { params: z.object({ dead_letter_id: z.uuid() }) },
      responses: { 200: jsonResponse(DeadLetterSchema, "Replayed."), ...errors("forbidden", "not_found", "queue_unknown") },
    }),
    async (c) => c.json(await replayDeadLetter(c.env, actorOf(c), c.req.valid("param").dead_letter_id), 200),
  );

  return r;
}

/** Settles inline for a payer who asks; a provider that does not answer is a 503 to retry, not a 500. */
async function settleOrUnavailable(env: Parameters<typeof settlePayment>[0], paymentId: string): Promise<void> {
  try {
    await settlePayment(env, paymentId);
  } catch (error) {
    if (error instanceof ProviderError) throw problems.unavailable("The payment provider did not answer; try again in a moment.");
    throw error;
  }
}
