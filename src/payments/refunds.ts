import { and, desc, eq, inArray, notExists, or, sql } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { AuthContext, Env } from "../env.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import type { Currency } from "../lib/money.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { tickets } from "../orders/schema.ts";
import { memberRole, organizationsWhere, roleGrants, type OrganizationPermission } from "../organizations/permissions.ts";
import { subscriptions } from "../passes/schema.ts";
import { type Actor, auditAct, auditedUpdate, insertWhere } from "../site/audit.ts";
import { commissionAfterRefund } from "./commissions.ts";
import { transitionSubscription } from "./organizer-subscriptions.ts";
import { paymentProvider } from "./providers/index.ts";
import { orderRefunded, passRefunded } from "./hooks.ts";
import { notifyPayer } from "./payer.ts";
import { ProviderError, type OnlineProvider } from "./providers/types.ts";
import { commissions, payments, refunds } from "./schema.ts";
import type { ApproveRefundBody, RefundsQuery, RejectRefundBody, RequestRefundBody } from "./schemas.ts";

type Payment = typeof payments.$inferSelect;
type Refund = typeof refunds.$inferSelect;

/** A refund still on its way: a payment has at most one at a time. */
const OPEN = ["REQUESTED", "APPROVED", "PROCESSING"] as const;
const REFUNDABLE = ["PAID", "PARTIALLY_REFUNDED"] as const;

const openRefundOf = (db: Db, paymentId: string) =>
  db.select({ id: refunds.id }).from(refunds).where(and(eq(refunds.payment_id, paymentId), inArray(refunds.status, OPEN)));

/** Inserts the refund only if the payment has no open one (checked inside the statement, so concurrent requests make one). */
async function openRefund(db: Db, row: typeof refunds.$inferInsert & { id: string }): Promise<Refund | null> {
  const at = now();
  const [created] = await insertWhere(
    db,
    refunds,
    { status: "REQUESTED", description: null, processed_by: null, admin_comment: null, refund_payment_id: null, processed_at: null, refunded_at: null, requested_at: at, updated_at: at, ...row },
    notExists(openRefundOf(db, row.payment_id)).getSQL(),
  ).returning();
  return created ?? null;
}

/**
 * A payment that bought nothing (the hold expired and the units went to
 * others, the order or pass was already paid by another payment, the event was
 * cancelled) is given back without anyone asking: an APPROVED refund, executed
 * through the provider where it has a refund API.
 */
export async function refundSurplus(env: Env, payment: Payment, why: string): Promise<void> {
  const db = getDb(env.DB);
  await openRefund(db, {
    id: newId(),
    payment_id: payment.id,
    requested_by: null,
    amount: payment.amount - payment.refunded_amount,
    currency: payment.currency,
    reason: "PAYMENT_ERROR",
    description: `Automatic: ${why}`,
    status: "APPROVED",
    processed_at: now(),
  });
  const [open] = await openRefundOf(db, payment.id);
  if (open) await env.PAYMENTS.send({ kind: "refund", refund_id: open.id });
}

// ------------------------------------------------------------ who may see and decide

type Scope = { as: "PAYER" | "MANAGER"; payment: Payment };
type Caller = Pick<AuthContext, "userId" | "role">;

/**
 * The payment for its payer, for members of the organization that sold what
 * it paid for whose role gives `permission` (by default `money.read`: OWNER,
 * FINANCE) and for admins; that organization's other members get 403,
 * anyone else 404.
 */
export async function paymentScope(db: Db, auth: Caller, paymentId: string, permission: OrganizationPermission = "money.read"): Promise<Scope> {
  const [payment] = await db.select().from(payments).where(eq(payments.id, paymentId)).limit(1);
  if (!payment) throw problems.notFound("Payment");
  if (auth.role === "ADMIN") return { as: "MANAGER", payment };
  const seller = await organizationOf(db, payment);
  const role = seller ? await memberRole(db, auth.userId, seller) : null;
  if (roleGrants(role, permission)) return { as: "MANAGER", payment };
  if (payment.user_id === auth.userId) return { as: "PAYER", payment };
  if (role) throw problems.forbidden(`This needs the \`${permission}\` permission, which your role (${role}) does not give.`);
  throw problems.notFound("Payment");
}

/** The organization that sold what a payment bought; null for the platform's own sales (organizer plans, platform passes). */
async function organizationOf(db: Db, payment: Payment): Promise<string | null> {
  if (payment.ticket_id) {
    const [row] = await db.select({ id: events.organization_id }).from(tickets).innerJoin(events, eq(events.id, tickets.event_id)).where(eq(tickets.id, payment.ticket_id)).limit(1);
    return row?.id ?? null;
  }
  if (payment.subscription_id) {
    const [row] = await db
      .select({ id: subscription_plans.organization_id })
      .from(subscriptions)
      .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
      .where(eq(subscriptions.id, payment.subscription_id))
      .limit(1);
    return row?.id ?? null;
  }
  return null;
}

async function refundScope(db: Db, auth: Caller, refundId: string, permission: OrganizationPermission = "money.read") {
  const [refund] = await db.select().from(refunds).where(eq(refunds.id, refundId)).limit(1);
  if (!refund) throw problems.notFound("Refund");
  const scope = await paymentScope(db, auth, refund.payment_id, permission).catch((error: unknown) => {
    throw error instanceof ProblemError && error.status === 404 ? problems.notFound("Refund") : error;
  });
  return { refund, ...scope };
}

/** A refund for who decides on it: `refunds.manage` in the selling organization (OWNER, FINANCE), or an admin. */
async function managedRefund(db: Db, auth: Caller, refundId: string) {
  const scope = await refundScope(db, auth, refundId, "refunds.manage");
  if (scope.as !== "MANAGER") throw problems.forbidden("Only the organization that sold this (`refunds.manage`), or an admin, decides on a refund.");
  return scope;
}

// ------------------------------------------------------------ the fan asks, a manager decides

export async function requestRefund(env: Env, auth: AuthContext, paymentId: string, body: z.infer<typeof RequestRefundBody>): Promise<Refund> {
  const db = getDb(env.DB);
  const { payment } = await paymentScope(db, auth, paymentId);
  if (payment.user_id !== auth.userId) throw problems.forbidden("Only the payer can ask for a refund.");
  if (payment.type !== "TICKET" && payment.type !== "SEASON_PASS" && payment.type !== "ORGANIZER_PLAN") {
    throw problems.conflict("not_refundable", "This payment cannot be refunded.");
  }
  if (!(REFUNDABLE as readonly string[]).includes(payment.status)) throw problems.conflict("not_refundable", `This payment is ${payment.status}.`);
  const created = await openRefund(db, {
    id: newId(),
    payment_id: payment.id,
    requested_by: auth.userId,
    amount: payment.amount - payment.refunded_amount,
    currency: payment.currency,
    reason: body.reason,
    description: body.description ?? null,
  });
  if (!created) throw problems.conflict("refund_open", "A refund of this payment is already under way.");
  return created;
}

/**
 * Approving cancels what was bought (the order's rights, the pass, the plan)
 * so a ticket cannot be both refunded and used, then the money goes back
 * through the queue. The decision is recorded first, so a concurrent reject
 * can never leave a rejected refund with its tickets cancelled; a used ticket
 * then blocks the refund and the request waits for a decision again.
 */
export async function approveRefund(env: Env, actor: Actor, refundId: string, body: z.infer<typeof ApproveRefundBody>): Promise<Refund> {
  const db = getDb(env.DB);
  const { refund, payment } = await managedRefund(db, actor, refundId);
  if (refund.status !== "REQUESTED") throw problems.conflict("refund_not_requested", `This refund is ${refund.status}.`);
  const amount = body.amount ?? refund.amount;
  if (amount > payment.amount - payment.refunded_amount) {
    throw problems.validation([{ path: "amount", message: `At most ${payment.amount - payment.refunded_amount} can still be refunded.`, code: "too_much" }]);
  }
  const { after } = await auditedUpdate(
    db,
    actor,
    refunds,
    refundId,
    { status: "APPROVED", amount, processed_by: actor.userId, processed_at: now(), admin_comment: body.comment ?? null },
    { action: "APPROVE", guard: eq(refunds.status, "REQUESTED"), what: "Refund", description: "approve refund" },
  );
  try {
    await cancelPurchase(env, actor, payment, `Refund ${refund.id}`, false);
  } catch (error) {
    // Nothing was taken back: undo the approval (no queue message was sent, so no money moved).
    await auditedUpdate(
      db,
      actor,
      refunds,
      refundId,
      { status: "REQUESTED", amount: refund.amount, processed_by: refund.processed_by, processed_at: refund.processed_at, admin_comment: refund.admin_comment },
      { guard: eq(refunds.status, "APPROVED"), what: "Refund", description: "approval undone: nothing could be taken back" },
    );
    throw error;
  }
  await env.PAYMENTS.send({ kind: "refund", refund_id: refundId });
  return after;
}

/**
 * A manager cancels an order that a payment paid for (`POST …/orders/{id}/cancel`):
 * it goes through the refund flow rather than keeping the money. The payer's
 * own request still waiting is approved, else a refund of what remains is
 * made (reason OTHER, the cancellation's reason as description) and approved;
 * approving cancels the order and sends the money back as for any refund.
 * Needs `refunds.manage` (OWNER, FINANCE) or an admin. A refund this made is
 * removed again when the approval fails (a used ticket), so nothing is left
 * waiting for a decision nobody asked for.
 */
export async function refundPaidOrder(env: Env, actor: Actor, paymentId: string, reason: string): Promise<Refund> {
  const db = getDb(env.DB);
  const { as, payment } = await paymentScope(db, actor, paymentId, "refunds.manage");
  if (as !== "MANAGER") throw problems.forbidden("Only the organization that sold this (`refunds.manage`), or an admin, refunds it.");
  if (!(REFUNDABLE as readonly string[]).includes(payment.status)) throw problems.conflict("not_refundable", `This payment is ${payment.status}.`);
  const [open] = await db.select().from(refunds).where(and(eq(refunds.payment_id, payment.id), inArray(refunds.status, OPEN))).limit(1);
  if (open && open.status !== "REQUESTED") throw problems.conflict("refund_open", `A refund of this payment is already under way (${open.id}).`);
  const refund =
    open ??
    (await openRefund(db, {
      id: newId(),
      payment_id: payment.id,
      requested_by: actor.userId,
      amount: payment.amount - payment.refunded_amount,
      currency: payment.currency,
      reason: "OTHER",
      description: `Order cancelled: ${reason}`.slice(0, 1000),
    }));
  if (!refund) throw problems.conflict("refund_open", "A refund of this payment is already under way.");
  try {
    return await approveRefund(env, actor, refund.id, { amount: payment.amount - payment.refunded_amount, comment: reason });
  } catch (error) {
    if (!open) await db.delete(refunds).where(and(eq(refunds.id, refund.id), eq(refunds.status, "REQUESTED")));
    throw error;
  }
}

export async function rejectRefund(env: Env, actor: Actor, refundId: string, body: z.infer<typeof RejectRefundBody>): Promise<Refund> {
  const db = getDb(env.DB);
  const { refund, payment } = await managedRefund(db, actor, refundId);
  if (refund.status !== "REQUESTED") throw problems.conflict("refund_not_requested", `This refund is ${refund.status}.`);
  const { after } = await auditedUpdate(
    db,
    actor,
    refunds,
    refundId,
    { status: "REJECTED", processed_by: actor.userId, processed_at: now(), admin_comment: body.comment },
    { action: "REJECT", guard: eq(refunds.status, "REQUESTED"), what: "Refund", description: "reject refund" },
  );
  await notifyPayer(env, payment, "REFUND_REJECTED", { comment: body.comment }, `refund_rejected:${refundId}`);
  return after;
}

/** Takes back what a payment bought: orders and passes through their domain (src/payments/hooks.ts), organizer plans here. */
async function cancelPurchase(env: Env, actor: Actor | null, payment: Payment, reason: string, eventCancelled: boolean): Promise<void> {
  if (payment.type === "TICKET" && payment.ticket_id) {
    await orderRefunded.ask({ env, actor, payment, reason, eventCancelled });
    return;
  }
  if (!actor) return;
  if (payment.type === "SEASON_PASS" && payment.subscription_id) {
    await passRefunded.ask({ env, actor, payment, reason });
    return;
  }
  if (payment.type === "ORGANIZER_PLAN" && payment.organizer_subscription_id) {
    try {
      await transitionSubscription(env, actor, payment.organizer_subscription_id, "cancel", reason);
    } catch (error) {
      // Already over or cancelled: nothing left to take back.
      if (!(error instanceof ProblemError && error.code === "invalid_transition")) throw error;
    }
  }
}

// ------------------------------------------------------------ the money goes back

/**
 * Executes an APPROVED refund through the provider's refund API (Stripe,
 * KkiaPay). Providers without one (MTN Collection, FedaPay, Konnect) and cash
 * or bank payments are paid back by hand: the refund stays APPROVED until a
 * manager records it with `completeRefund`.
 */
export async function executeRefund(env: Env, refundId: string): Promise<void> {
  const db = getDb(env.DB);
  const [refund] = await db.select().from(refunds).where(eq(refunds.id, refundId)).limit(1);
  if (!refund || (refund.status !== "APPROVED" && refund.status !== "PROCESSING")) return;
  const [payment] = await db.select().from(payments).where(eq(payments.id, refund.payment_id)).limit(1);
  if (!payment) return;
  const online = payment.provider !== "BANK" && payment.provider !== "CASH_DESK";
  const provider = online ? paymentProvider(env, payment.provider as OnlineProvider) : null;
  if (!provider?.refund || !payment.external_reference) return;
  await db.update(refunds).set({ status: "PROCESSING", updated_at: now() }).where(and(eq(refunds.id, refundId), eq(refunds.status, "APPROVED")));
  let result;
  try {
    result = await provider.refund({ external_reference: payment.external_reference, amount: refund.amount, currency: payment.currency, idempotency_key: refund.id, reason: refund.reason });
  } catch (error) {
    // Refused for good (e.g. already refunded at the provider): a person looks at it; transient errors are retried by the queue.
    if (error instanceof ProviderError && !error.transient) {
      await db.update(refunds).set({ admin_comment: `Provider refused: ${error.message}`.slice(0, 1000), updated_at: now() }).where(eq(refunds.id, refundId));
      return;
    }
    throw error;
  }
  if (result.status === "REFUNDED") await completeRefund(env, null, refundId, result.external_reference);
}

/**
 * The money is back with the payer: a REFUND payment records it, the original
 * payment's refunded amount and status move forward, its commission follows,
 * all in one batch that happens once (guarded on the refund's status).
 */
export async function completeRefund(env: Env, actor: Actor | null, refundId: string, externalReference: string | null): Promise<Refund> {
  const db = getDb(env.DB);
  const [refund] = await db.select().from(refunds).where(eq(refunds.id, refundId)).limit(1);
  if (!refund) throw problems.notFound("Refund");
  if (refund.status === "REFUNDED") return refund;
  if (refund.status !== "APPROVED" && refund.status !== "PROCESSING") throw problems.conflict("refund_not_approved", `This refund is ${refund.status}.`);
  const [payment] = await db.select().from(payments).where(eq(payments.id, refund.payment_id)).limit(1);
  if (!payment) throw problems.notFound("Payment");
  const at = now();
  const refundPaymentId = newId();
  const refundedTotal = payment.refunded_amount + refund.amount;
  const stillApproved = sql`EXISTS (SELECT 1 FROM ${refunds} WHERE ${refunds.id} = ${refundId} AND ${refunds.status} IN ('APPROVED', 'PROCESSING'))`;
  const made = sql`EXISTS (SELECT 1 FROM ${payments} WHERE ${payments.id} = ${refundPaymentId})`;
  const commission = commissionAfterRefund(payment.id, payment.amount, refundedTotal);
  const [inserted] = await db.batch([
    insertWhere(
      db,
      payments,
      {
        id: refundPaymentId,
        user_id: payment.user_id,
        type: "REFUND",
        amount: refund.amount,
        fees: 0,
        net_amount: refund.amount,
        refunded_amount: 0,
        currency: payment.currency,
        status: "PAID",
        method: payment.method,
        provider: payment.provider,
        internal_reference: `REF-${humanCode(12)}`,
        external_reference: externalReference,
        original_payment_id: payment.id,
        description: `Refund of ${payment.internal_reference}`,
        check_count: 0,
        created_at: at,
        updated_at: at,
        processed_at: at,
        paid_at: at,
      },
      sql`${stillApproved} AND (SELECT ${payments.refunded_amount} + ${refund.amount} <= ${payments.amount} FROM ${payments} WHERE ${payments.id} = ${payment.id})`,
    ).returning({ id: payments.id }),
    db
      .update(refunds)
      .set({ status: "REFUNDED", refund_payment_id: refundPaymentId, refunded_at: at, updated_at: at, ...(actor ? { processed_by: actor.userId } : {}) })
      .where(and(eq(refunds.id, refundId), inArray(refunds.status, ["APPROVED", "PROCESSING"]), made)),
    db
      .update(payments)
      .set({
        refunded_amount: sql`${payments.refunded_amount} + ${refund.amount}`,
        status: sql`CASE WHEN ${payments.refunded_amount} + ${refund.amount} >= ${payments.amount} THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END`,
        updated_at: at,
      })
      .where(and(eq(payments.id, payment.id), inArray(payments.status, REFUNDABLE), made)),
    db.update(commissions).set(commission.set).where(and(commission.where, made)),
    // The money given back, audited (REFUND) for who recorded it, or the payer when the provider did.
    auditAct(db, actor ?? { userId: payment.user_id }, made, {
      action: "REFUND",
      table: refunds,
      id: refundId,
      after: { payment_id: payment.id, refund_payment_id: refundPaymentId, amount: refund.amount, currency: payment.currency, external_reference: externalReference },
      description: actor ? "refund paid back (recorded by hand)" : "refund paid back by the provider",
    }),
  ]);
  const [after] = await db.select().from(refunds).where(eq(refunds.id, refundId));
  if (inserted.length === 0 && after?.status !== "REFUNDED") throw problems.conflict("refund_exceeds_payment", "This refund would give back more than was paid.");
  if (inserted.length > 0) await notifyPayer(env, payment, "REFUND_COMPLETED", { amount: { amount: refund.amount, currency: payment.currency as Currency }, reason: refund.description ?? "" }, `refund_completed:${refundId}`);
  return after!;
}

/** A manager records a refund paid back by hand (cash, bank, or a provider without a refund API). */
export async function completeRefundByHand(env: Env, actor: Actor, refundId: string, externalReference: string | null): Promise<Refund> {
  await managedRefund(getDb(env.DB), actor, refundId);
  return completeRefund(env, actor, refundId, externalReference);
}

// ------------------------------------------------------------ a cancelled event

/** An event was cancelled (events hook): every paid order of it is refunded, through the payments queue (a big event takes several messages). */
export async function refundOnCancellation({ env, event }: { env: Env; event: { id: string; ticketing_enabled: boolean } }): Promise<void> {
  if (event.ticketing_enabled) await env.PAYMENTS.send({ kind: "refund_event", event_id: event.id });
}

/** Orders refunded per queue message; a bigger event continues in the next message. */
const EVENT_REFUND_PAGE = 100;

/**
 * Cancelling an event refunds every paid order of it: each order cancelled in
 * the EventDO (rights CANCELLED), an APPROVED refund per payment, executed
 * through the queue. A fan's own request still waiting for a decision is
 * granted instead (nobody should have to decide on a refund of an event that
 * will not happen). Idempotent: paid payments that already have a refund
 * approved, under way or done for the cancellation are skipped.
 */
export async function refundCancelledEvent(env: Env, eventId: string): Promise<{ refunds: number; more: boolean }> {
  const db = getDb(env.DB);
  const eventRefund = db
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.payment_id, payments.id), or(inArray(refunds.status, ["APPROVED", "PROCESSING"]), eq(refunds.reason, "EVENT_CANCELLED"))));
  const due = await db
    .select({ payment: payments })
    .from(payments)
    .innerJoin(tickets, eq(tickets.id, payments.ticket_id))
    .where(and(eq(tickets.event_id, eventId), eq(payments.type, "TICKET"), inArray(payments.status, REFUNDABLE), notExists(eventRefund)))
    .orderBy(payments.id)
    .limit(EVENT_REFUND_PAGE + 1);
  let made = 0;
  for (const { payment } of due.slice(0, EVENT_REFUND_PAGE)) {
    await cancelPurchase(env, null, payment, "Event cancelled", true);
    const [granted] = await db
      .update(refunds)
      .set({ status: "APPROVED", amount: payment.amount - payment.refunded_amount, processed_at: now(), updated_at: now(), admin_comment: "The event was cancelled." })
      .where(and(eq(refunds.payment_id, payment.id), eq(refunds.status, "REQUESTED")))
      .returning();
    const refund =
      granted ??
      (await openRefund(db, {
        id: newId(),
        payment_id: payment.id,
        requested_by: null,
        amount: payment.amount - payment.refunded_amount,
        currency: payment.currency,
        reason: "EVENT_CANCELLED",
        description: "The event was cancelled.",
        status: "APPROVED",
        processed_at: now(),
      }));
    if (refund) {
      made++;
      await env.PAYMENTS.send({ kind: "refund", refund_id: refund.id });
    }
  }
  const more = due.length > EVENT_REFUND_PAGE;
  if (more) await env.PAYMENTS.send({ kind: "refund_event", event_id: eventId });
  return { refunds: made, more };
}

// ------------------------------------------------------------ lists

export async function listRefunds(env: Env, auth: AuthContext, query: z.infer<typeof RefundsQuery>, mine: boolean) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  // Members see refunds of what their organizations sold (where they have `money.read`); admins everything; everyone their own (`mine`).
  const mineSold = organizationsWhere(db, auth.userId, "money.read");
  const sold = sql`(
    EXISTS (SELECT 1 FROM ${tickets} JOIN ${events} ON ${events.id} = ${tickets.event_id} WHERE ${tickets.id} = ${payments.ticket_id} AND ${events.organization_id} IN ${mineSold})
    OR EXISTS (SELECT 1 FROM ${subscriptions} JOIN ${subscription_plans} ON ${subscription_plans.id} = ${subscriptions.subscription_plan_id} WHERE ${subscriptions.id} = ${payments.subscription_id} AND ${subscription_plans.organization_id} IN ${mineSold})
  )`;
  const rows = await db
    .select({ refund: refunds })
    .from(refunds)
    .innerJoin(payments, eq(payments.id, refunds.payment_id))
    .where(
      and(
        mine ? eq(payments.user_id, auth.userId) : auth.role === "ADMIN" ? undefined : sold,
        query.status ? eq(refunds.status, query.status) : undefined,
        afterCursor(after, refunds.requested_at, refunds.id, "desc"),
      ),
    )
    .orderBy(desc(refunds.requested_at), desc(refunds.id))
    .limit(query.limit + 1);
  return toPage(
    rows.map((r) => r.refund),
    query.limit,
    (row) => ({ k: row.requested_at, id: row.id }),
  );
}

export async function readRefund(env: Env, auth: AuthContext, refundId: string): Promise<Refund> {
  return (await refundScope(getDb(env.DB), auth, refundId)).refund;
}
