import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { access_rights } from "../access/schema.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { now } from "../lib/time.ts";
import { recordCommission } from "../payments/commissions.ts";
import type { Delivery, PaymentRow } from "../payments/hooks.ts";
import { payments } from "../payments/schema.ts";
import { auditAct, auditedUpdate, type Actor } from "../site/audit.ts";
import { subscription_bookings } from "./bookings-schema.ts";
import { releaseRuleUses } from "./pricing.ts";
import { LIVE, type SubscriptionRow, detailOf, managedPass, readablePass, rightsOfPass, sourceOf, today } from "./read.ts";
import { type RightsStatus, fanOut, issuePairs, passPairs, unfinished } from "./rights.ts";
import { subscriptions } from "./schema.ts";
import { applyPaidUpgrade, upgradeIdOf } from "./upgrades.ts";
import { OVERDUE_REASON, firstInstalment, hasOverdue, instalmentIdOf, markInstalmentPaid } from "./instalments.ts";
import { subscription_instalments } from "./instalments-schema.ts";

// A pass's life: activation (paid online, at the box office, or free), suspension, reactivation, cancellation.

/**
 * Sets the pass ACTIVE once paid (`paymentId`; null for a payment recorded
 * elsewhere) and issues one access right per covered event. Called by the
 * payments flow and by the box office. Activating an ACTIVE pass again only
 * resumes the issuing.
 */
export async function activateSubscription(env: Env, subscriptionId: string, paymentId: string | null, actor?: Actor) {
  const db = getDb(env.DB);
  const [sub] = await db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)).limit(1);
  if (!sub) throw problems.notFound("Season pass");
  let current = sub;
  let alreadyActive = sub.status === "ACTIVE";
  if (!alreadyActive) {
    if (sub.status !== "PENDING") throw problems.conflict("subscription_not_pending", `This pass is ${sub.status}; only a PENDING pass can be activated.`);
    if (sub.valid_until < today()) throw problems.conflict("subscription_expired", "This pass's validity is over.");
    const patch = { status: "ACTIVE" as const, payment_id: paymentId, activation_date: now() };
    const guard = eq(subscriptions.status, "PENDING");
    try {
      current = actor
        ? (await auditedUpdate(db, actor, subscriptions, subscriptionId, patch, { guard, what: "Season pass", description: "activate season pass" })).after
        : ((await db.update(subscriptions).set(patch).where(and(eq(subscriptions.id, subscriptionId), guard)).returning())[0] ?? sub);
    } catch (error) {
      if (!(error instanceof ProblemError && error.code === "concurrent_change")) throw error;
    }
    if (current.status !== "ACTIVE") {
      // Someone else moved it first: activated (then this is a repeat), or not.
      const [latest] = await db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)).limit(1);
      if (latest?.status !== "ACTIVE") throw problems.conflict("subscription_not_pending", `This pass is ${latest?.status}; only a PENDING pass can be activated.`);
      current = latest;
      alreadyActive = true;
    }
  }
  const result = await issuePairs(env, await passPairs(db, subscriptionId, true), actor?.userId ?? null);
  return { subscription: current, already_active: alreadyActive, rights_issued: result.issued, rights_pending: result.failed };
}

/** Every (event, source) where a pass may hold rights: as projected, as covered now (projection lags), and its booked matches. */
export async function passSources(db: Db, sub: SubscriptionRow) {
  const [projected, booked] = await db.batch([
    db.selectDistinct({ event_id: access_rights.event_id, source_id: access_rights.source_id }).from(access_rights).where(rightsOfPass(sub.id)),
    db.select({ event_id: subscription_bookings.event_id, id: subscription_bookings.id }).from(subscription_bookings).where(eq(subscription_bookings.subscription_id, sub.id)),
  ]);
  const covered = await passPairs(db, sub.id, false);
  const all = [
    ...projected,
    ...covered.map((p) => ({ event_id: p.event_id, source_id: sub.id })),
    ...booked.map((b) => ({ event_id: b.event_id, source_id: sourceOf(sub.id, b.id) })),
  ];
  return [...new Map(all.map((s) => [`${s.event_id}|${s.source_id}`, s])).values()];
}

async function setPassRights(env: Env, sub: SubscriptionRow, status: RightsStatus, by: string, reason: string | null) {
  const sources = await passSources(getDb(env.DB), sub);
  const failed = await fanOut(sources, async (source) => {
    const result = await eventStub(env, source.event_id).setRightsStatus("SUBSCRIPTION", source.source_id, status, by, reason);
    if (!result.ok) throw problemFrom(result.problem);
  });
  if (failed > 0) throw unfinished(failed);
}

/** ACTIVE → SUSPENDED (`rights.block`): the pass's rights are BLOCKED in every event. Repeating it re-applies the block. */
export async function suspendSubscription(env: Env, actor: Actor, id: string, reason: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id, "rights.block");
  let current = sub;
  if (sub.status !== "SUSPENDED") {
    if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass can be suspended.`);
    ({ after: current } = await auditedUpdate(db, actor, subscriptions, id, { status: "SUSPENDED", suspension_reason: reason, suspension_date: now() }, {
      guard: eq(subscriptions.status, "ACTIVE"),
      what: "Season pass",
      description: "suspend season pass",
    }));
  }
  await setPassRights(env, current, "BLOCKED", actor.userId, reason);
  return detailOf(db, current, plan);
}

/** SUSPENDED → ACTIVE (`rights.block`): the rights are ENABLED again, and those of events added meanwhile issued. */
export async function reactivateSubscription(env: Env, actor: Actor, id: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id, "rights.block");
  let current = sub;
  if (sub.status !== "ACTIVE") {
    if (sub.status !== "SUSPENDED") throw problems.conflict("subscription_not_suspended", `This pass is ${sub.status}; only a SUSPENDED pass can be reactivated.`);
    if (sub.valid_until < today()) throw problems.conflict("subscription_expired", "This pass's validity is over.");
    ({ after: current } = await auditedUpdate(db, actor, subscriptions, id, { status: "ACTIVE", suspension_reason: null, suspension_date: null }, {
      guard: eq(subscriptions.status, "SUSPENDED"),
      what: "Season pass",
      description: "reactivate season pass",
    }));
  }
  await setPassRights(env, current, "ENABLED", actor.userId, "pass reactivated");
  const { failed } = await issuePairs(env, await passPairs(db, id, true), actor.userId);
  if (failed > 0) throw unfinished(failed);
  return detailOf(db, current, plan);
}

/**
 * Cancels a live pass: by its holder while PENDING (before paying), by its
 * club (`event.manage`) or an admin at any time. Its rights are CANCELLED everywhere, its
 * bookings too, and its place on the plan is given back exactly once (the
 * count moves in the same batch as the status, only if the status moved).
 */
export async function cancelSubscription(env: Env, actor: Actor, id: string, reason: string) {
  const db = getDb(env.DB);
  const { sub, plan, as } = await readablePass(db, actor, id, "event.manage");
  let current = sub;
  if (sub.status !== "CANCELLED") {
    if (!(LIVE as readonly string[]).includes(sub.status)) throw problems.conflict("subscription_closed", `This pass is ${sub.status}.`);
    if (as === "HOLDER" && sub.status !== "PENDING") throw problems.conflict("cancellation_not_allowed", "A paid pass is cancelled by the club that sold it; contact them.");
    const at = now();
    const patch = { status: "CANCELLED" as const, cancellation_date: at, cancellation_reason: reason };
    const also = (written: SQL) => [
      db
        .update(subscription_plans)
        .set({ current_subscribers: sql`${subscription_plans.current_subscribers} - 1`, updated_at: sql`${subscription_plans.updated_at}` })
        .where(and(eq(subscription_plans.id, plan.id), written)),
      db.update(subscription_bookings).set({ status: "CANCELLED", cancelled_at: at, updated_at: at }).where(and(eq(subscription_bookings.subscription_id, id), eq(subscription_bookings.status, "BOOKED"), written)),
      // What was not paid yet of its schedule is no longer owed.
      db.update(subscription_instalments).set({ status: "CANCELLED", updated_at: at }).where(and(eq(subscription_instalments.subscription_id, id), eq(subscription_instalments.status, "DUE"), written)),
      ...releaseRuleUses(db, id, at, written),
    ];
    if (as === "MANAGER") {
      ({ after: current } = await auditedUpdate(db, actor, subscriptions, id, patch, { guard: inArray(subscriptions.status, LIVE), what: "Season pass", description: "cancel season pass", also }));
    } else {
      const [[moved]] = await db.batch([
        db.update(subscriptions).set({ ...patch, updated_at: at }).where(and(eq(subscriptions.id, id), eq(subscriptions.status, "PENDING"))).returning(),
        ...also(sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${id} AND status = 'CANCELLED' AND cancellation_date = ${at})`),
      ]);
      if (!moved) throw problems.conflict("concurrent_change", "This pass changed meanwhile; reload it and try again.");
      current = moved;
    }
  }
  await setPassRights(env, current, "CANCELLED", actor.userId, reason);
  return detailOf(db, current, plan);
}

/** Box office (`cash.confirm`): records a cash payment and activates the pass. */
export async function activateWithCash(env: Env, actor: Actor, id: string) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id, "cash.confirm");
  if (sub.status === "ACTIVE") {
    const resumed = await activateSubscription(env, id, sub.payment_id, actor);
    return { ...(await detailOf(db, resumed.subscription, plan)), rights_pending: resumed.rights_pending };
  }
  if (sub.status !== "PENDING") throw problems.conflict("subscription_not_pending", `This pass is ${sub.status}; only a PENDING pass can be activated.`);
  const paymentId = newId();
  if (typeof sub.metadata?.package_of === "string") throw problems.conflict("paid_with_package", `This pass is paid with its package's first pass (${sub.metadata.package_of}).`);
  // A pass paid in instalments is bought with its first one, in cash as online; a package with its companions' passes.
  const first = await firstInstalment(db, id);
  const companions = companionsOf(sub);
  const companionPrices = companions.length
    ? (await db.select({ price: subscriptions.price_paid }).from(subscriptions).where(and(inArray(subscriptions.id, companions), eq(subscriptions.status, "PENDING")))).reduce((sum, c) => sum + c.price, 0)
    : 0;
  const amount = (first ? first.amount : sub.price_paid) + companionPrices;
  await db.insert(payments).values({
    id: paymentId,
    user_id: sub.user_id,
    type: "SEASON_PASS",
    amount,
    net_amount: amount,
    currency: sub.currency,
    status: "PENDING",
    method: "CASH",
    provider: "CASH_DESK",
    internal_reference: `CASH-${humanCode(10)}`,
    subscription_id: id,
    description: `Box office, season pass ${sub.subscription_number}${first ? `, instalment 1/${first.count}` : ""}, received by ${actor.userId}`,
    metadata: first ? { instalment_id: first.id } : null,
  });
  // Payment states only move forward: PENDING, then PAID once the pass is ours, or CANCELLED (the cash is not taken).
  const settle = (patch: Partial<typeof payments.$inferInsert>) =>
    db.update(payments).set(patch).where(and(eq(payments.id, paymentId), eq(payments.status, "PENDING")));
  let result;
  try {
    result = await activateSubscription(env, id, paymentId, actor);
  } catch (error) {
    await settle({ status: "CANCELLED", failure_reason: error instanceof ProblemError ? error.code : "activation_failed" });
    throw error;
  }
  if (result.already_active && result.subscription.payment_id !== paymentId) await settle({ status: "CANCELLED", failure_reason: "already_active" });
  else {
    const [[paid]] = await db.batch([
      settle({ status: "PAID", paid_at: now() }).returning(),
      // The cash taken, audited for who took it (PAYMENT), with the PAID write.
      auditAct(db, actor, sql`changes() = 1`, {
        action: "PAYMENT",
        table: payments,
        id: paymentId,
        after: { type: "SEASON_PASS", amount, currency: sub.currency, method: "CASH", subscription_id: id },
        description: "cash received at the box office",
      }),
    ]);
    // Cash sales owe the platform its commission like online ones.
    if (paid) await recordCommission(env, paid, { subscription_id: id });
    if (paid && first) await markInstalmentPaid(db, first.id, paymentId);
    if (paid) await activateCompanions(env, result.subscription, paymentId, actor);
  }
  return { ...(await detailOf(db, result.subscription, plan)), rights_pending: result.rights_pending };
}

/**
 * Paid (payments hook): the pass becomes ACTIVE and its rights are issued; one already paid by another payment, or no longer
 * PENDING, is not. A zone upgrade's payment (metadata.upgrade_id) applies the upgrade instead.
 */
export async function activatePaidPass({ env, payment }: { env: Env; payment: PaymentRow }): Promise<Delivery> {
  const upgradeId = upgradeIdOf(payment);
  if (upgradeId) return applyPaidUpgrade(env, payment, upgradeId);
  const instalmentId = instalmentIdOf(payment);
  const db = getDb(env.DB);
  const [instalment] = instalmentId ? await db.select().from(subscription_instalments).where(eq(subscription_instalments.id, instalmentId)).limit(1) : [];
  if (instalment && instalment.number > 1) return payInstalment(env, payment, instalment.id);
  let result;
  try {
    result = await activateSubscription(env, payment.subscription_id!, payment.id);
  } catch (error) {
    if (error instanceof ProblemError && error.status === 409) return { delivered: false, reason: error.code };
    throw error;
  }
  if (result.subscription.payment_id !== payment.id) return { delivered: false, reason: "pass_paid_by_another_payment" };
  if (instalment) await markInstalmentPaid(db, instalment.id, payment.id);
  await activateCompanions(env, result.subscription, payment.id);
  return { delivered: true, commission: { subscription_id: payment.subscription_id! }, message: { template: "PAYMENT_SUCCESS", data: {} } };
}

/**
 * A refund approved (payments hook): the pass is cancelled, unless it already is or is over, or it was
 * handed on (TRANSFERRED: its new holder's pass is theirs), or the payment was a transfer fee (the
 * pass stays where it went).
 */
export async function cancelRefundedPass({ env, actor, payment, reason }: { env: Env; actor: Actor; payment: PaymentRow; reason: string }): Promise<void> {
  // Refunding an upgrade must not cancel the whole pass, and taking an upgrade back is not built: refused before money moves.
  if (upgradeIdOf(payment)) throw problems.conflict("upgrade_not_refundable", "A zone upgrade's payment is not refunded through the API: the club undoes the upgrade by hand.");
  if (payment.metadata?.transfer_fee === true) return;
  const [pass] = await getDb(env.DB).select({ status: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, payment.subscription_id!)).limit(1);
  if (pass && pass.status !== "CANCELLED" && pass.status !== "EXPIRED" && pass.status !== "TRANSFERRED") await cancelSubscription(env, actor, payment.subscription_id!, reason);
  // A package's payment bought its companions' passes too: they go with it.
  const companions = await getDb(env.DB).select({ id: subscriptions.id, status: subscriptions.status }).from(subscriptions).where(and(eq(subscriptions.payment_id, payment.id), sql`${subscriptions.id} <> ${payment.subscription_id}`));
  for (const companion of companions) if (companion.status !== "CANCELLED" && companion.status !== "EXPIRED" && companion.status !== "TRANSFERRED") await cancelSubscription(env, actor, companion.id, reason);
}

/**
 * A later instalment paid (payments hook): it is PAID once; a pass the cron
 * suspended for an overdue instalment (OVERDUE_REASON) becomes ACTIVE again,
 * its rights ENABLED, once no instalment is overdue any more. An instalment
 * already paid by another payment refunds this one.
 */
async function payInstalment(env: Env, payment: PaymentRow, instalmentId: string): Promise<Delivery> {
  const db = getDb(env.DB);
  if (!(await markInstalmentPaid(db, instalmentId, payment.id))) return { delivered: false, reason: "instalment_paid_by_another_payment" };
  const subscriptionId = payment.subscription_id!;
  const [sub] = await db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId)).limit(1);
  if (sub?.status === "SUSPENDED" && sub.suspension_reason === OVERDUE_REASON && !(await hasOverdue(db, subscriptionId))) {
    const [resumed] = await db
      .update(subscriptions)
      .set({ status: "ACTIVE", suspension_reason: null, suspension_date: null, updated_at: now() })
      .where(and(eq(subscriptions.id, subscriptionId), eq(subscriptions.status, "SUSPENDED"), eq(subscriptions.suspension_reason, OVERDUE_REASON)))
      .returning();
    // The rights follow the status; a repeat of this hook (at-least-once) finds the pass ACTIVE and the rights already ENABLED.
    if (resumed) await setPassRights(env, resumed, "ENABLED", payment.user_id ?? resumed.user_id, "instalment paid");
  }
  return { delivered: true, commission: { subscription_id: subscriptionId }, message: { template: "PAYMENT_SUCCESS", data: {} } };
}

/**
 * The cron: an ACTIVE pass with an instalment unpaid past its due date is
 * SUSPENDED (reason OVERDUE_REASON) and its rights BLOCKED at every gate
 * until it is paid (payInstalment). Returns how many were suspended.
 */
export async function suspendOverduePasses(env: Env, ids: string[]): Promise<number> {
  const db = getDb(env.DB);
  let suspended = 0;
  for (const id of ids) {
    const [moved] = await db
      .update(subscriptions)
      .set({ status: "SUSPENDED", suspension_reason: OVERDUE_REASON, suspension_date: now(), updated_at: now() })
      .where(and(eq(subscriptions.id, id), eq(subscriptions.status, "ACTIVE")))
      .returning();
    if (!moved) continue;
    await setPassRights(env, moved, "BLOCKED", moved.user_id, "instalment overdue");
    suspended += 1;
  }
  return suspended;
}

/** A family or companion package's other passes (the buyer's pass names them). */
const companionsOf = (sub: SubscriptionRow): string[] => (Array.isArray(sub.metadata?.companion_subscriptions) ? (sub.metadata.companion_subscriptions as string[]) : []);

/** The package's payment is the companions' too: each companion pass still PENDING becomes ACTIVE with it, its rights issued. */
async function activateCompanions(env: Env, lead: SubscriptionRow, paymentId: string, actor?: Actor) {
  for (const id of companionsOf(lead)) {
    try {
      await activateSubscription(env, id, paymentId, actor);
    } catch (error) {
      // A companion pass cancelled meanwhile (or over) is not activated; the others are.
      if (!(error instanceof ProblemError && error.status === 409)) throw error;
    }
  }
}
