import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { requireAuth } from "../auth/middleware.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { auditAct } from "../site/audit.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import type { Currency } from "../lib/money.ts";
import { now } from "../lib/time.ts";
import { bannedSubjects, type BanReach } from "../access/blacklist-checks.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { memberRole, roleGrants } from "../organizations/permissions.ts";
import { subscriptions } from "../passes/schema.ts";
import { subscription_instalments } from "../passes/instalments-schema.ts";
import { subscription_upgrades } from "../passes/upgrades-schema.ts";
import { subscription_transfers } from "../passes/transfers-schema.ts";
import { users } from "../users/schema.ts";
import { recordCommission } from "./commissions.ts";
import { orderPaid, orderPaymentFailed, passPaid } from "./hooks.ts";
import { activateOrganizerSubscription, renewOrganizerSubscription } from "./organizer-subscriptions.ts";
import { notifyPayer } from "./payer.ts";
import { paymentProvider } from "./providers/index.ts";
import { ProviderError, type ChargeMethod, type NextAction, type OnlineProvider, type ProviderStatus } from "./providers/types.ts";
import { refundSurplus } from "./refunds.ts";
import { momo_transactions, organizer_plans, organizer_subscriptions, payments, webhook_events } from "./schema.ts";
import type { StartPaymentBody } from "./schemas.ts";
import { webhookSlug } from "./webhooks.ts";
import type { z } from "@hono/zod-openapi";

export type PaymentRow = typeof payments.$inferSelect;
type Target = z.infer<typeof StartPaymentBody>["target"];

/** Statuses in which a payment still waits for the provider. */
export const LIVE_STATUSES = ["PENDING", "PROCESSING"] as const;
/** At most this many payment attempts may wait on one order, pass or plan at once. */
const MAX_LIVE_ATTEMPTS = 3;
/** A season pass or organizer plan payment is offered this long; a ticket payment lives as long as its hold. */
const PAYMENT_TTL_MS = 24 * 3600_000;

/**
 * Which provider takes which method in which currency when the client does not
 * choose: Mobile Money in Benin goes to the operator's own API where we have
 * it (MTN) and through FedaPay otherwise; cards in XOF through FedaPay, in TND
 * through Konnect.
 */
const DEFAULT_PROVIDER: Record<Currency, Partial<Record<ChargeMethod, OnlineProvider>>> = {
  XOF: { MOMO_MTN: "MTN_MOMO", MOMO_MOOV: "FEDAPAY", CARD: "FEDAPAY" },
  TND: { CARD: "KONNECT" },
  EUR: { CARD: "STRIPE" },
  USD: { CARD: "STRIPE" },
};

/** What a payment is for, as read before it starts. */
interface Due {
  type: PaymentRow["type"];
  amount: number;
  currency: Currency;
  user_id: string;
  description: string;
  expires_at: string;
  link: Pick<PaymentRow, "ticket_id" | "subscription_id" | "organizer_subscription_id">;
  metadata: Record<string, unknown>;
  /** A ticket payment references the order's D1 row: the EventDO projects it first. */
  before_insert?: () => Promise<void>;
}

async function dueFor(env: Env, db: Db, target: Target, auth: AuthContext | undefined, guestEmail: string | undefined): Promise<Due> {
  switch (target.type) {
    case "TICKET": {
      const stub = eventStub(env, target.event_id);
      const order = await stub.getOrder(target.order_id);
      const guestMatches = !auth && order?.is_guest && guestEmail !== undefined && order.guest_email?.toLowerCase() === guestEmail.toLowerCase();
      if (!order || !(order.user_id === auth?.userId || guestMatches)) throw problems.notFound("Order");
      if (order.booking_status === "CONFIRMED" || order.booking_status === "COMPLETED") throw problems.conflict("already_paid", "This order is already paid.");
      if (order.booking_status !== "PENDING") throw problems.conflict("order_closed", `This order is ${order.booking_status.toLowerCase()}; place a new one.`);
      if (order.total === 0) throw problems.conflict("nothing_to_pay", "This order is free.");
      return {
        type: "TICKET",
        amount: order.total,
        currency: order.currency as Currency,
        user_id: order.user_id,
        description: `Tickets ${order.ticket_number}`,
        expires_at: order.expires_at ?? new Date(Date.now() + PAYMENT_TTL_MS).toISOString(),
        link: { ticket_id: order.id, subscription_id: null, organizer_subscription_id: null },
        metadata: { event_id: target.event_id, order_id: order.id },
        before_insert: () => stub.flushProjection(),
      };
    }
    case "SEASON_PASS": {
      const caller = requireAuth(auth);
      const [pass] = await db.select().from(subscriptions).where(eq(subscriptions.id, target.subscription_id)).limit(1);
      if (!pass || pass.user_id !== caller.userId) throw problems.notFound("Season pass");
      if (pass.status !== "PENDING") throw problems.conflict("subscription_not_pending", `This pass is ${pass.status}; only a PENDING pass is paid.`);
      if (typeof pass.metadata?.package_of === "string") throw problems.conflict("paid_with_package", `This pass is paid with its package's first pass (${pass.metadata.package_of}).`);
      // A family or companion package is paid with its buyer's pass: every pass of it, in one payment.
      const companionIds = Array.isArray(pass.metadata?.companion_subscriptions) ? (pass.metadata.companion_subscriptions as string[]) : [];
      if (companionIds.length > 0) {
        const companions = await db.select({ price: subscriptions.price_paid }).from(subscriptions).where(and(inArray(subscriptions.id, companionIds), eq(subscriptions.status, "PENDING")));
        return {
          type: "SEASON_PASS",
          amount: pass.price_paid + companions.reduce((sum, c) => sum + c.price, 0),
          currency: pass.currency,
          user_id: pass.user_id,
          description: `Season passes ${pass.subscription_number} and ${companions.length} companion(s)`,
          expires_at: new Date(Date.now() + PAYMENT_TTL_MS).toISOString(),
          link: { ticket_id: null, subscription_id: pass.id, organizer_subscription_id: null },
          metadata: { package: companionIds },
        };
      }
      // A pass paid in instalments is bought with its first one.
      const [first] = await db.select().from(subscription_instalments).where(and(eq(subscription_instalments.subscription_id, pass.id), eq(subscription_instalments.number, 1))).limit(1);
      return {
        type: "SEASON_PASS",
        amount: first ? first.amount : pass.price_paid,
        currency: pass.currency,
        user_id: pass.user_id,
        description: first ? `Season pass ${pass.subscription_number}, instalment 1/${first.count}` : `Season pass ${pass.subscription_number}`,
        expires_at: new Date(Date.now() + PAYMENT_TTL_MS).toISOString(),
        link: { ticket_id: null, subscription_id: pass.id, organizer_subscription_id: null },
        metadata: first ? { instalment_id: first.id } : {},
      };
    }
    case "PASS_INSTALMENT": {
      const caller = requireAuth(auth);
      const [row] = await db
        .select({ i: subscription_instalments, pass: subscriptions })
        .from(subscription_instalments)
        .innerJoin(subscriptions, eq(subscriptions.id, subscription_instalments.subscription_id))
        .where(eq(subscription_instalments.id, target.instalment_id))
        .limit(1);
      if (!row || row.pass.user_id !== caller.userId) throw problems.notFound("Instalment");
      if (row.i.status !== "DUE") throw problems.conflict("instalment_not_due", `This instalment is ${row.i.status}.`);
      // The first is the pass's own payment (target SEASON_PASS); the others are paid once the pass is.
      if (row.i.number === 1 || (row.pass.status !== "ACTIVE" && row.pass.status !== "SUSPENDED")) {
        throw problems.conflict("instalment_not_due", row.i.number === 1 ? "The first instalment is the pass's own payment: pay the pass (target SEASON_PASS)." : `This pass is ${row.pass.status}.`);
      }
      return {
        type: "SEASON_PASS",
        amount: row.i.amount,
        currency: row.i.currency,
        user_id: row.pass.user_id,
        description: `Season pass ${row.pass.subscription_number}, instalment ${row.i.number}/${row.i.count}`,
        expires_at: new Date(Date.now() + PAYMENT_TTL_MS).toISOString(),
        link: { ticket_id: null, subscription_id: row.pass.id, organizer_subscription_id: null },
        metadata: { instalment_id: row.i.id },
      };
    }
    case "PASS_UPGRADE": {
      // A zone upgrade is paid like its pass (a SEASON_PASS payment of the pass), told apart by metadata.upgrade_id.
      const caller = requireAuth(auth);
      const [upgrade] = await db.select().from(subscription_upgrades).where(eq(subscription_upgrades.id, target.upgrade_id)).limit(1);
      if (!upgrade || upgrade.user_id !== caller.userId) throw problems.notFound("Upgrade");
      if (upgrade.status !== "PENDING" || upgrade.expires_at <= now()) {
        throw problems.conflict("upgrade_not_payable", `This upgrade is ${upgrade.status === "PENDING" ? "EXPIRED" : upgrade.status}; ask for a new one.`);
      }
      if (upgrade.amount === 0) throw problems.conflict("nothing_to_pay", "This upgrade is free.");
      return {
        type: "SEASON_PASS",
        amount: upgrade.amount,
        currency: upgrade.currency,
        user_id: upgrade.user_id,
        description: `Zone upgrade to ${upgrade.zone_category} (${upgrade.matches} match${upgrade.matches > 1 ? "es" : ""})`,
        expires_at: upgrade.expires_at,
        link: { ticket_id: null, subscription_id: upgrade.subscription_id, organizer_subscription_id: null },
        metadata: { upgrade_id: upgrade.id },
      };
    }
    case "PASS_TRANSFER": {
      // A transfer's fee is paid like its pass (a SEASON_PASS payment of the pass), told apart by metadata.transfer_id.
      const caller = requireAuth(auth);
      const [t] = await db.select().from(subscription_transfers).where(eq(subscription_transfers.id, target.transfer_id)).limit(1);
      if (!t || t.user_id !== caller.userId) throw problems.notFound("Transfer");
      if (t.status !== "PENDING" || t.expires_at <= now()) {
        throw problems.conflict("transfer_not_payable", `This transfer is ${t.status === "PENDING" ? "EXPIRED" : t.status}; ask for a new one.`);
      }
      return {
        type: "SEASON_PASS",
        amount: t.fee,
        currency: t.currency,
        user_id: t.user_id,
        description: "Season pass transfer fee",
        expires_at: t.expires_at,
        link: { ticket_id: null, subscription_id: t.subscription_id, organizer_subscription_id: null },
        // transfer_fee: refunding it takes nothing back (the pass stays where it went), as at the box office.
        metadata: { transfer_id: t.id, transfer_fee: true },
      };
    }
    case "ORGANIZER_PLAN": {
      const caller = requireAuth(auth);
      const [row] = await db
        .select({ sub: organizer_subscriptions, plan: organizer_plans })
        .from(organizer_subscriptions)
        .innerJoin(organizer_plans, eq(organizer_plans.id, organizer_subscriptions.plan_id))
        .where(eq(organizer_subscriptions.id, target.organizer_subscription_id))
        .limit(1);
      // Paid by a member with `plan.manage` in the subscribing organization.
      const role = row?.sub.organization_id ? await memberRole(db, caller.userId, row.sub.organization_id) : null;
      if (!row || !roleGrants(role, "plan.manage")) throw problems.notFound("Organizer subscription");
      // PENDING: a new plan; ACTIVE: the next period of the current one (a renewal extends it).
      if (row.sub.status !== "PENDING" && row.sub.status !== "ACTIVE") {
        throw problems.conflict("subscription_not_payable", `This subscription is ${row.sub.status}.`);
      }
      const renewal = row.sub.status === "ACTIVE";
      return {
        type: "ORGANIZER_PLAN",
        amount: row.plan.price,
        currency: row.plan.currency,
        user_id: caller.userId,
        description: `${renewal ? "Renewal" : "Plan"} ${row.plan.name}`,
        expires_at: new Date(Date.now() + PAYMENT_TTL_MS).toISOString(),
        link: { ticket_id: null, subscription_id: null, organizer_subscription_id: row.sub.id },
        metadata: { renewal, ends_at: row.sub.ends_at },
      };
    }
  }
}

/** The payments for the same thing: an order, a pass (its own price or first instalment, a later instalment, one zone upgrade of it, or one transfer's fee), an organizer plan. */
const linkCondition = (due: Due) =>
  due.link.ticket_id
    ? eq(payments.ticket_id, due.link.ticket_id)
    : due.link.subscription_id
      ? and(
          eq(payments.subscription_id, due.link.subscription_id),
          sql`json_extract(${payments.metadata}, '$.upgrade_id') IS ${typeof due.metadata.upgrade_id === "string" ? due.metadata.upgrade_id : null}`,
          sql`json_extract(${payments.metadata}, '$.instalment_id') IS ${typeof due.metadata.instalment_id === "string" ? due.metadata.instalment_id : null}`,
          sql`json_extract(${payments.metadata}, '$.transfer_id') IS ${typeof due.metadata.transfer_id === "string" ? due.metadata.transfer_id : null}`,
        )
      : eq(payments.organizer_subscription_id, due.link.organizer_subscription_id!);

function chooseProvider(method: ChargeMethod, currency: Currency, asked: OnlineProvider | undefined): OnlineProvider {
  const name = asked ?? DEFAULT_PROVIDER[currency][method];
  if (!name) throw fieldProblem("method", `${method} is not offered for ${currency}.`, "method_unavailable");
  return name;
}

const fieldProblem = (path: string, message: string, code: string) => problems.validation([{ path, message, code }]);

export interface PaymentStarted {
  payment: PaymentRow;
  next_action: NextAction | { type: "bank_transfer"; reference: string; amount: number; currency: string } | null;
}

/**
 * Starts paying for an order, a season pass or an organizer plan: a PENDING
 * payment row first (so nothing the provider does can be lost), then the
 * provider's flow. The same attempt asked again (same provider, method and
 * phone, still waiting) returns the first one.
 */
export async function startPayment(
  env: Env,
  auth: AuthContext | undefined,
  body: z.infer<typeof StartPaymentBody>,
): Promise<PaymentStarted> {
  const db = getDb(env.DB);
  const due = await dueFor(env, db, body.target, auth, body.guest_email);
  const [payer] = await db.select().from(users).where(eq(users.id, due.user_id)).limit(1);
  if (!payer) throw problems.notFound("Account");

  const bank = body.method === "BANK_TRANSFER";
  const provider = bank ? null : paymentProvider(env, chooseProvider(body.method as ChargeMethod, due.currency, body.provider));
  if (provider) {
    if (!provider.methods.includes(body.method as ChargeMethod)) throw fieldProblem("provider", `${provider.name} does not take ${body.method}.`, "method_unavailable");
    if (!provider.currencies.includes(due.currency)) throw fieldProblem("provider", `${provider.name} does not take ${due.currency}.`, "currency_unavailable");
  }
  const momo = body.method === "MOMO_MTN" || body.method === "MOMO_MOOV";
  const phone = body.phone ?? (momo ? payer.phone : null);
  if (momo && !phone) throw fieldProblem("phone", "Give the Mobile Money number to charge.", "phone_required");

  const live = await db
    .select()
    .from(payments)
    .where(and(linkCondition(due), inArray(payments.status, LIVE_STATUSES), sql`${payments.expires_at} > ${now()}`));
  const same = live.find((p) => p.method === body.method && p.provider === (provider?.name ?? "BANK") && p.payer_phone === phone);
  if (same) return { payment: same, next_action: storedNextAction(same) };
  if (live.length >= MAX_LIVE_ATTEMPTS) throw problems.conflict("too_many_attempts", "Several payments are already waiting for this; finish or cancel one first.");

  await due.before_insert?.();
  const id = newId();
  const row = {
    id,
    user_id: due.user_id,
    type: due.type,
    amount: due.amount,
    net_amount: due.amount,
    currency: due.currency,
    method: body.method,
    provider: provider?.name ?? ("BANK" as const),
    internal_reference: `PAY-${humanCode(12)}`,
    idempotency_key: newId(),
    ...due.link,
    description: due.description,
    payer_phone: phone,
    metadata: due.metadata,
    expires_at: due.expires_at,
  };
  await db.batch([
    db.insert(payments).values(row),
    ...(momo
      ? [db.insert(momo_transactions).values({ id: newId(), payment_id: id, operator: body.method === "MOMO_MTN" ? ("MTN" as const) : ("MOOV" as const), phone_number: phone!, transaction_type: "PAYMENT" as const })]
      : []),
  ]);

  if (!provider) {
    const [created] = await db.select().from(payments).where(eq(payments.id, id));
    return { payment: created!, next_action: storedNextAction(created!) };
  }
  const callback = `${env.PUBLIC_API_URL}/v1/webhooks/${webhookSlug(provider.name)}`;
  let started;
  try {
    started = await provider.charge({
      payment_id: id,
      internal_reference: row.internal_reference,
      idempotency_key: row.idempotency_key,
      amount: row.amount,
      currency: row.currency,
      method: body.method as ChargeMethod,
      payer_phone: phone,
      payer_email: payer.email,
      payer_name: [payer.first_name, payer.last_name].filter(Boolean).join(" ") || null,
      description: row.description,
      callback_url: provider.name === "MTN_MOMO" ? `${callback}/${id}` : callback,
      return_url: body.return_url ?? `${env.PUBLIC_API_URL}/v1/payments/${id}`,
    });
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    // The provider never took it: the attempt ends here, the order's hold stays for another one.
    await moveStatus(db, id, LIVE_STATUSES, { status: "FAILED", failure_reason: error.message.slice(0, 500), processed_at: now() });
    throw error.transient
      ? new ProblemError(503, "provider_unavailable", "Payment provider unavailable", `${provider.name} did not answer; try again in a moment.`, undefined, { "Retry-After": "30" })
      : new ProblemError(502, "provider_refused", "Payment refused", `${provider.name} refused the payment: ${error.message}`);
  }
  let updated: PaymentRow | undefined;
  try {
    [updated] = await db
      .update(payments)
      .set({
        status: "PROCESSING",
        external_reference: started.external_reference,
        provider_response: { ...started.provider_response, next_action: started.next_action },
        updated_at: now(),
      })
      .where(and(eq(payments.id, id), eq(payments.status, "PENDING")))
      .returning();
  } catch (error) {
    if (!isUniqueViolation(error, "external_reference")) throw error;
    // The provider handed out an id another payment already has (a provider, or a local fake, that restarted its numbering): this attempt stops, the other payment keeps its id.
    await moveStatus(db, id, LIVE_STATUSES, { status: "FAILED", failure_reason: `provider_reference_conflict: ${provider.name} answered ${started.external_reference}`.slice(0, 500), processed_at: now() });
    throw providerReferenceConflict(provider.name, started.external_reference);
  }
  const payment = updated ?? (await db.select().from(payments).where(eq(payments.id, id)))[0]!;
  return { payment, next_action: started.next_action };
}

const providerReferenceConflict = (provider: string, reference: string | null) =>
  new ProblemError(502, "provider_reference_conflict", "Payment provider error", `${provider} answered transaction ${reference}, which another payment already has; nothing was charged on this attempt's behalf here. Try again.`);

/**
 * A widget payment (KkiaPay) learns its transaction id from the payer's app:
 * the id is attached only once the provider's status API says that
 * transaction carries this payment's reference, so a wrong or foreign id
 * never pins the payment (its genuine transaction and signed webhook still
 * confirm it); then settles it as far as the provider says.
 */
export async function attachWidgetTransaction(env: Env, payment: PaymentRow, transactionId: string): Promise<void> {
  const db = getDb(env.DB);
  if (payment.external_reference && payment.external_reference !== transactionId) {
    throw problems.conflict("transaction_already_known", "Another transaction, confirmed by the provider, is already attached to this payment.");
  }
  if (!payment.external_reference) {
    const provider = paymentProvider(env, payment.provider as OnlineProvider);
    let status: ProviderStatus;
    try {
      status = await provider.status({ external_reference: transactionId, internal_reference: payment.internal_reference, idempotency_key: payment.idempotency_key ?? payment.id });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      if (error.transient) throw problems.unavailable("The payment provider did not answer; try again in a moment.");
      throw problems.validation([{ path: "transaction_id", message: `${provider.name} does not know this transaction.`, code: "transaction_unknown" }]);
    }
    if (status.internal_reference !== payment.internal_reference) {
      throw problems.validation([{ path: "transaction_id", message: `This ${provider.name} transaction is not this payment's.`, code: "transaction_mismatch" }]);
    }
    try {
      await db.update(payments).set({ external_reference: transactionId, updated_at: now() }).where(and(eq(payments.id, payment.id), isNull(payments.external_reference)));
    } catch (error) {
      if (!isUniqueViolation(error, "external_reference")) throw error;
      throw providerReferenceConflict(provider.name, transactionId);
    }
  }
  await settlePayment(env, payment.id);
}

function storedNextAction(payment: PaymentRow): PaymentStarted["next_action"] {
  if (payment.provider === "BANK") return { type: "bank_transfer", reference: payment.internal_reference, amount: payment.amount, currency: payment.currency };
  return (payment.provider_response?.next_action as NextAction | undefined) ?? null;
}

/** Guarded forward move: only from `from`, so a late or repeated update changes nothing. */
async function moveStatus(db: Db, id: string, from: readonly PaymentRow["status"][], patch: Partial<typeof payments.$inferInsert>): Promise<PaymentRow | undefined> {
  const [row] = await db
    .update(payments)
    .set({ ...patch, updated_at: now() })
    .where(and(eq(payments.id, id), inArray(payments.status, from)))
    .returning();
  return row;
}

/** What a settle run did, for the webhook log and the tests. */
export type SettleOutcome = "paid" | "failed" | "pending" | "mismatch" | "already_settled" | "not_online";

/**
 * Settles a payment on the provider's own word, never on a webhook's: asks the
 * provider, checks amount, currency and reference, moves the status forward
 * only, then fulfils what was bought (the order confirmed in its EventDO,
 * exactly once) or, on failure, releases the hold. Safe to run any number of
 * times, concurrently, in any order.
 */
export async function settlePayment(env: Env, paymentId: string): Promise<SettleOutcome> {
  const db = getDb(env.DB);
  const [payment] = await db.select().from(payments).where(eq(payments.id, paymentId)).limit(1);
  if (!payment) throw problems.notFound("Payment");
  if (payment.provider === "BANK" || payment.provider === "CASH_DESK") return "not_online";
  if (payment.status === "PAID") {
    // Paid earlier; fulfilling again is a no-op unless a crash stopped it half-way.
    await fulfil(env, payment);
    return "already_settled";
  }
  if (!(LIVE_STATUSES as readonly string[]).includes(payment.status)) return "already_settled";

  // KkiaPay's widget reports its transaction id later (webhook or the payer's app): nothing to ask until then.
  if (!payment.external_reference && payment.provider !== "MTN_MOMO") return "pending";
  const provider = paymentProvider(env, payment.provider as OnlineProvider);
  const status = await provider.status({ external_reference: payment.external_reference, internal_reference: payment.internal_reference, idempotency_key: payment.idempotency_key ?? payment.id });
  const at = now();
  await db
    .update(payments)
    .set({ checked_at: at, check_count: sql`${payments.check_count} + 1` })
    .where(eq(payments.id, paymentId));

  if (status.status === "PENDING") return "pending";
  const mismatch = status.status === "PAID" ? mismatchOf(payment, status) : null;
  if (mismatch) {
    // Money moved, but not what we asked: nothing is issued; an admin settles it by hand (the payment stays visible as FAILED).
    await moveStatus(db, paymentId, LIVE_STATUSES, { status: "FAILED", failure_reason: mismatch, provider_response: status.raw, processed_at: at });
    await settleMomo(db, paymentId, status, "FAILED");
    console.error(`payment ${paymentId}: ${mismatch}`);
    return "mismatch";
  }
  if (status.status === "FAILED") {
    const failed = await moveStatus(db, paymentId, LIVE_STATUSES, { status: "FAILED", failure_reason: status.reason ?? "failed_at_provider", provider_response: status.raw, processed_at: at });
    await settleMomo(db, paymentId, status, "FAILED");
    if (failed) await afterFailure(env, failed);
    return "failed";
  }
  const fees = Math.min(status.fees ?? 0, payment.amount);
  // A card blacklisted where this sells: the money is in, but it buys nothing and goes back (fulfil). Decided once, with the move to PAID.
  const cardBanned = status.card_fingerprint !== null && (await bannedSubjects(db, await banReachOf(db, payment), [{ card_fingerprint: status.card_fingerprint }]))[0] === true;
  // The move to PAID and its audit entry (PAYMENT, for the payer) in one batch: exactly one settle run makes both.
  const [[paid]] = await db.batch([
    db
      .update(payments)
      .set({
        status: "PAID",
        external_reference: payment.external_reference ?? status.external_reference,
        fees,
        net_amount: payment.amount - fees,
        provider_response: status.raw,
        card_fingerprint: status.card_fingerprint,
        ...(cardBanned ? { failure_reason: CARD_BLACKLISTED } : {}),
        paid_at: at,
        processed_at: at,
        updated_at: now(),
      })
      .where(and(eq(payments.id, paymentId), inArray(payments.status, LIVE_STATUSES)))
      .returning(),
    auditAct(db, { userId: payment.user_id }, sql`changes() = 1`, {
      action: "PAYMENT",
      table: payments,
      id: paymentId,
      after: { type: payment.type, amount: payment.amount, currency: payment.currency, method: payment.method, provider: payment.provider },
      description: `payment received (${payment.provider})`,
    }),
  ]);
  await settleMomo(db, paymentId, status, "SUCCESSFUL");
  const [current] = paid ? [paid] : await db.select().from(payments).where(eq(payments.id, paymentId));
  if (current?.status === "PAID") await fulfil(env, current);
  return "paid";
}

/** Set on a PAID payment whose card a CREDIT_CARD blacklist entry bans where it was spent: it buys nothing and is refunded. */
const CARD_BLACKLISTED = "card_blacklisted";

/** Where a payment is spent, for the blacklist: the order's event, the pass's organization, or the platform (organizer plans). */
async function banReachOf(db: Db, payment: PaymentRow): Promise<BanReach> {
  if (payment.type === "TICKET" && typeof payment.metadata?.event_id === "string") return { event_id: payment.metadata.event_id };
  if (payment.type === "SEASON_PASS" && payment.subscription_id) {
    const [plan] = await db
      .select({ organization_id: subscription_plans.organization_id })
      .from(subscriptions)
      .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
      .where(eq(subscriptions.id, payment.subscription_id))
      .limit(1);
    return { organization_id: plan?.organization_id ?? null };
  }
  return { organization_id: null };
}

function mismatchOf(payment: PaymentRow, status: ProviderStatus): string | null {
  if (status.currency?.toUpperCase() !== payment.currency) return `currency_mismatch: expected ${payment.currency}, provider says ${status.currency}`;
  if (status.amount !== payment.amount) return `amount_mismatch: expected ${payment.amount}, provider says ${status.amount}`;
  if (status.internal_reference !== null && status.internal_reference !== payment.internal_reference) {
    return `reference_mismatch: expected ${payment.internal_reference}, provider says ${status.internal_reference}`;
  }
  return null;
}

async function settleMomo(db: Db, paymentId: string, status: ProviderStatus, to: "SUCCESSFUL" | "FAILED"): Promise<void> {
  await db
    .update(momo_transactions)
    .set({
      status: to,
      operator_transaction_id: status.operator_transaction_id,
      operator_reference: status.external_reference,
      response_code: status.status,
      response_message: status.reason,
      confirmed_at: now(),
      updated_at: now(),
    })
    .where(and(eq(momo_transactions.payment_id, paymentId), eq(momo_transactions.status, "PENDING")));
}

/**
 * Gives the payer what they paid for. Every step is idempotent: the seller
 * hands over once per payment (the EventDO confirms an order once and returns
 * the same rights after; a pass and a plan activate once per payment); the
 * commission and the message are keyed on the payment. A payment that can no
 * longer buy anything (the hold expired and the units are gone, the order was
 * paid twice, or a blacklisted card paid) is refunded.
 */
export async function fulfil(env: Env, payment: PaymentRow): Promise<void> {
  if (payment.failure_reason === CARD_BLACKLISTED) return refundSurplus(env, payment, CARD_BLACKLISTED);
  switch (payment.type) {
    case "TICKET":
    case "SEASON_PASS": {
      // The orders or passes domain hands it over (src/payments/hooks.ts).
      const delivery = await (payment.type === "TICKET" ? orderPaid : passPaid).ask({ env, payment });
      if (!delivery.delivered) return refundSurplus(env, payment, delivery.reason);
      await recordCommission(env, payment, delivery.commission);
      await notifyPayer(env, payment, delivery.message.template, delivery.message.data, undefined, delivery.message.tickets);
      return;
    }
    case "ORGANIZER_PLAN": {
      try {
        if (payment.metadata?.renewal === true) await renewOrganizerSubscription(env, payment.organizer_subscription_id!, payment.internal_reference);
        else await activateOrganizerSubscription(env, payment.organizer_subscription_id!, payment.internal_reference);
      } catch (error) {
        if (error instanceof ProblemError && error.status === 409) return refundSurplus(env, payment, error.code);
        throw error;
      }
      await notifyPayer(env, payment, "PAYMENT_SUCCESS", {});
      return;
    }
    default:
      return;
  }
}

/**
 * A failed payment releases the order's hold so the units go back on sale,
 * unless another attempt for the same order is still waiting. Passes and
 * plans keep their PENDING row for another try (unpaid passes are cancelled
 * by the season-pass cron).
 */
async function afterFailure(env: Env, payment: PaymentRow): Promise<void> {
  const db = getDb(env.DB);
  await notifyPayer(env, payment, "PAYMENT_FAILED", { reason: payment.failure_reason ?? "" });
  if (payment.type !== "TICKET") return;
  const others = await db
    .select({ id: payments.id })
    .from(payments)
    .where(and(eq(payments.ticket_id, payment.ticket_id!), inArray(payments.status, [...LIVE_STATUSES, "PAID"]), sql`${payments.id} <> ${payment.id}`))
    .limit(1);
  if (others.length > 0) return;
  await orderPaymentFailed.ask({ env, payment });
}

/** The webhook row a settle run was prompted by: what came of it. */
export async function recordWebhookOutcome(env: Env, webhookEventId: string, outcome: { status: "PROCESSED" | "FAILED" | "IGNORED"; error?: string | null }): Promise<void> {
  await getDb(env.DB)
    .update(webhook_events)
    .set({ status: outcome.status, error: outcome.error ?? null, processed_at: now(), attempts: sql`${webhook_events.attempts} + 1` })
    .where(eq(webhook_events.id, webhookEventId));
}
