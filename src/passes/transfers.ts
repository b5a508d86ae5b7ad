import type { z } from "@hono/zod-openapi";
import { and, desc, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { access_rights } from "../access/schema.ts";
import { resolveRecipient } from "../access/transfers.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { addSeconds, now, toTimestamp } from "../lib/time.ts";
import { notifyUser } from "../notifications/service.ts";
import type { Delivery, PaymentRow } from "../payments/hooks.ts";
import { payments } from "../payments/schema.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { auditAct, insertWhere, type Actor } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { subscription_bookings } from "./bookings-schema.ts";
import { passSources } from "./lifecycle.ts";
import { LIVE_SQL, type PlanRow, type SubscriptionRow, detailOf, heldPass, managedPass, readablePass, today } from "./read.ts";
import { fanOut, passPairs } from "./rights.ts";
import { subscriptions } from "./schema.ts";
import { subscription_transfers } from "./transfers-schema.ts";
import type { PassTransferBody } from "./schemas.ts";
import { checkEligibility } from "./subscribing.ts";

// A whole season pass handed to another person: the old pass TRANSFERRED, a new ACTIVE pass for the
// recipient (same plan, seat and end date), every right still to come moved to it in each event's EventDO.

type Body = z.infer<typeof PassTransferBody>;

/** The plan's transfer rules as the specification's restrictions state them. */
function transferRules(plan: PlanRow) {
  const r = plan.restrictions ?? {};
  const quota = typeof r.max_transfers_per_season === "number" ? r.max_transfers_per_season : null;
  return { fee: r.transfer_fee ?? 0, windowHours: r.transfer_window_hours ?? null, quota };
}

/** Refuses a transfer the plan does not allow now (409): not transferable, quota used, past the deadline before the next event, pass over. */
async function checkTransferable(db: Db, sub: SubscriptionRow, plan: PlanRow, at: string) {
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass can be transferred.`);
  if (!plan.is_transferable) throw problems.conflict("transfer_not_allowed", "This pass cannot be transferred.");
  if (sub.valid_until < today(at)) throw problems.conflict("subscription_expired", "This pass's validity is over.");
  const rules = transferRules(plan);
  if (rules.quota !== null && sub.transfers_used >= rules.quota) {
    throw problems.conflict("transfer_quota_exhausted", `This pass allows ${rules.quota} transfer(s) per season and they are used.`);
  }
  if (rules.windowHours !== null) {
    // The pass's next event, from the events it covers (D1's events, not the rights' projection, which may lag).
    const next = (await passPairs(db, sub.id, false)).map((p) => p.starts_at).filter((start) => start > at).sort()[0];
    if (next && addSeconds(next, -rules.windowHours * 3600) <= at) {
      throw problems.conflict("transfer_window_closed", `Transfers close ${rules.windowHours} hours before the pass's next event (${next}).`);
    }
  }
  return rules;
}

/**
 * The D1 step, one batch: the old pass becomes TRANSFERRED (guarded: still
 * ACTIVE, quota not used), and only then the recipient's ACTIVE pass is
 * inserted (guarded: the old one moved in this batch, the recipient holds no
 * other live pass of the plan for these dates), and the bookings of matches
 * still to come follow it. Of two transfers of one pass at once, the second
 * finds it TRANSFERRED and changes nothing. The plan's count is unchanged:
 * one live pass leaves, one enters.
 */
async function handOverPass(db: Db, sub: SubscriptionRow, plan: PlanRow, recipientId: string, by: string, at: string, quota: number | null, transferId: string): Promise<SubscriptionRow> {
  const newPassId = newId();
  const validFrom = sub.valid_from > today(at) ? sub.valid_from : today(at);
  const overlaps = sql`o.valid_from <= ${sub.valid_until} AND o.valid_until >= ${validFrom}`;
  // The new pass exists only if the guarded update just before it in the batch moved the old one (changes()).
  const created = sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${newPassId})`;
  for (let attempt = 1; ; attempt++) {
    const number = `SUB-${validFrom.slice(0, 4)}-${humanCode(6, "0123456789")}`;
    const row: typeof subscriptions.$inferInsert = {
      id: newPassId,
      subscription_number: number,
      user_id: recipientId,
      subscription_plan_id: plan.id,
      seat_id: sub.seat_id,
      // The recipient paid the club nothing for it; the old pass keeps what was paid.
      price_paid: 0,
      currency: sub.currency,
      valid_from: validFrom,
      valid_until: sub.valid_until,
      status: "ACTIVE",
      auto_renew: false,
      renewal_date: sub.renewal_date,
      transferred_from: sub.id,
      transfers_used: sub.transfers_used + 1,
      last_transfer_date: at,
      activation_date: at,
      // Which transfer made it: a paid transfer's settlement, run again, knows its own hand-over (carryOutPaid).
      metadata: { transfer_id: transferId },
      created_at: at,
      updated_at: at,
      created_by: by,
    };
    try {
      const [[old]] = await db.batch([
        db
          .update(subscriptions)
          .set({ status: "TRANSFERRED", transfers_used: sql`${subscriptions.transfers_used} + 1`, last_transfer_date: at, auto_renew: false, updated_at: at })
          .where(
            and(
              eq(subscriptions.id, sub.id),
              eq(subscriptions.status, "ACTIVE"),
              quota === null ? undefined : sql`${subscriptions.transfers_used} < ${quota}`,
              sql`NOT EXISTS (SELECT 1 FROM subscriptions o WHERE o.user_id = ${recipientId} AND o.subscription_plan_id = ${plan.id} AND o.status IN ${LIVE_SQL} AND ${overlaps})`,
            ),
          )
          .returning({ id: subscriptions.id }),
        insertWhere(db, subscriptions, row, sql`changes() = 1`),
        db
          .update(subscription_bookings)
          .set({ subscription_id: newPassId, updated_at: at })
          .where(and(eq(subscription_bookings.subscription_id, sub.id), eq(subscription_bookings.status, "BOOKED"), sql`${subscription_bookings.event_id} IN (SELECT id FROM events WHERE starts_at > ${at})`, created)),
      ]);
      if (old) return (await db.select().from(subscriptions).where(eq(subscriptions.id, newPassId)))[0]!;
      break;
    } catch (error) {
      if (attempt < 5 && isUniqueViolation(error, "subscriptions.subscription_number")) continue;
      // A pass is handed on once (subscriptions_transferred_from_unique): another transfer won.
      if (isUniqueViolation(error, "subscriptions.transferred_from")) break;
      throw error;
    }
  }
  const [latest] = await db.select().from(subscriptions).where(eq(subscriptions.id, sub.id)).limit(1);
  if (latest?.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${latest?.status}; only an ACTIVE pass can be transferred.`);
  if (quota !== null && latest.transfers_used >= quota) throw problems.conflict("transfer_quota_exhausted", `This pass allows ${quota} transfer(s) per season and they are used.`);
  throw problems.conflict("already_subscribed", "The recipient already has a pass on this plan for these dates.");
}

/**
 * Moves the rights of the old pass still to come, event by event, in each
 * event's EventDO (the old QR dies in the same step the new one is made).
 * Returns how many moved and how many events could not be reached now (the
 * cron's reconciliation finishes them: completePassTransfers).
 */
async function moveRights(env: Env, from: SubscriptionRow, to: SubscriptionRow, by: string, transferId: string) {
  const sources = await passSources(getDb(env.DB), from);
  const events = [...new Set(sources.map((s) => s.event_id))];
  let moved = 0;
  const failed = await fanOut(events, async (eventId) => {
    const result = await eventStub(env, eventId).transferPassRights({ transfer_id: transferId, from_source: from.id, to_source: to.id, to_user_id: to.user_id, by });
    if (!result.ok) throw problemFrom(result.problem);
    moved += result.moved.length;
  });
  return { moved, pending: failed };
}

const nameOf = async (db: Db, userId: string) => {
  const [user] = await db.select({ first: users.first_name, last: users.last_name, email: users.email }).from(users).where(eq(users.id, userId)).limit(1);
  return [user?.first, user?.last].filter(Boolean).join(" ") || user?.email || "";
};

/**
 * The checks of a transfer, as at the request so at a paid transfer's
 * settlement: the plan's rules first (a refused transfer opens no account for
 * an email), then the recipient: not oneself, one who could buy the pass.
 */
async function checkTransfer(db: Db, sub: SubscriptionRow, plan: PlanRow, recipient: () => Promise<string>, path: string, ip: string | null, at: string) {
  const rules = await checkTransferable(db, sub, plan, at);
  const recipientId = await recipient();
  if (recipientId === sub.user_id) throw problems.invalidField(path, "This person already holds the pass.", "transfer_to_self");
  // The recipient must be one who could buy this pass: not banned by the club or the platform, of age, verified if required.
  await checkEligibility(db, plan, recipientId, ip);
  return { ...rules, recipientId };
}

const recipientPath = (body: Body) => (body.recipient_user_id ? "recipient_user_id" : "recipient_email");

/** After the D1 hand-over: the rights moved in each EventDO (idempotent per transfer id) and both parties told (keyed per pass). */
async function finishTransfer(env: Env, sub: SubscriptionRow, plan: PlanRow, created: SubscriptionRow, message: string | undefined | null, by: string, transferId: string) {
  const db = getDb(env.DB);
  // Covered events where the old pass held no right (approved lately) get the new pass's own from the cron's reconciliation.
  const rights = await moveRights(env, sub, created, by, transferId);
  const [old] = await db.select().from(subscriptions).where(eq(subscriptions.id, sub.id));
  const [holderName, recipientName] = await Promise.all([nameOf(db, sub.user_id), nameOf(db, created.user_id)]);
  const common = { plan_name: plan.name, valid_until: created.valid_until };
  await notifyUser(env, sub.user_id, "PASS_TRANSFERRED_OUT", { ...common, subscription_number: sub.subscription_number, recipient_name: recipientName, subscription_id: sub.id }, `pass_transferred_out:${sub.id}`);
  await notifyUser(
    env,
    created.user_id,
    "PASS_TRANSFERRED_IN",
    { ...common, subscription_number: created.subscription_number, holder_name: holderName, subscription_id: created.id, ...(message ? { message } : {}) },
    `pass_transferred_in:${created.id}`,
  );
  return { old: old!, created, rights };
}

/** Checks, hands over, moves the rights and tells both parties: every transfer (free, at the box office, paid online) goes this way. */
async function carryOut(env: Env, sub: SubscriptionRow, plan: PlanRow, recipient: () => Promise<string>, path: string, message: string | undefined | null, by: string, ip: string | null, at: string, transferId: string) {
  const db = getDb(env.DB);
  const rules = await checkTransfer(db, sub, plan, recipient, path, ip, at);
  const created = await handOverPass(db, sub, plan, rules.recipientId, by, at, rules.quota, transferId);
  return { ...(await finishTransfer(env, sub, plan, created, message, by, transferId)), fee: rules.fee };
}

async function transfer(env: Env, sub: SubscriptionRow, plan: PlanRow, body: Body, by: string, ip: string | null, at: string) {
  return carryOut(env, sub, plan, () => resolveRecipient(env, body), recipientPath(body), body.message, by, ip, at, newId());
}

async function transferView(db: Db, result: Awaited<ReturnType<typeof carryOut>>, plan: PlanRow, feePaymentId: string | null) {
  return {
    subscription: await detailOf(db, result.old, plan),
    new_subscription_id: result.created.id,
    recipient_user_id: result.created.user_id,
    fee: result.fee > 0 ? { amount: result.fee, currency: result.old.currency, payment_id: feePaymentId } : null,
    rights_moved: result.rights.moved,
    rights_pending: result.rights.pending,
  };
}

/** How long a transfer waits for its fee to be paid online; its payment is offered as long. */
export const TRANSFER_PAYMENT_MS = 30 * 60_000;

export type PendingTransferRow = typeof subscription_transfers.$inferSelect;

export const pendingTransferView = (t: PendingTransferRow) => ({
  id: t.id,
  subscription_id: t.subscription_id,
  recipient_user_id: t.recipient_user_id,
  // A PENDING transfer past its time is EXPIRED, whether or not a request has written so yet.
  status: t.status === "PENDING" && t.expires_at <= now() ? ("EXPIRED" as const) : t.status,
  fee: { amount: t.fee, currency: t.currency },
  payment_id: t.payment_id,
  new_subscription_id: t.new_subscription_id,
  failure_reason: t.failure_reason,
  expires_at: t.expires_at,
  created_at: t.created_at,
});

/**
 * The holder hands their pass on. Without a fee it is done at once (200).
 * With one, the request is checked as a transfer is and recorded PENDING
 * (202) for TRANSFER_PAYMENT_MS: the holder pays the fee (POST /v1/payments,
 * target PASS_TRANSFER) and the transfer is carried out when the payment is
 * PAID (carryOutPaid). One transfer waits per pass; the same request again
 * (same recipient) answers the one waiting.
 */
export async function transferPassByHolder(env: Env, auth: AuthContext, id: string, body: Body, ip: string | null) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, id);
  const { fee } = transferRules(plan);
  const at = now();
  if (fee === 0) return { done: await transferView(db, await transfer(env, sub, plan, body, auth.userId, ip, at), plan, null) };
  const { recipientId } = await checkTransfer(db, sub, plan, () => resolveRecipient(env, body), recipientPath(body), ip, at);
  const open = async () => (await db.select().from(subscription_transfers).where(and(eq(subscription_transfers.subscription_id, sub.id), inArray(subscription_transfers.status, ["PENDING", "PROCESSING"]))).limit(1))[0];
  const waiting = await open();
  if (waiting && waiting.status === "PENDING" && waiting.expires_at > at && waiting.recipient_user_id === recipientId) return { pending: pendingTransferView(waiting) };
  // A transfer that waited past its time gives way to the new one.
  await db
    .update(subscription_transfers)
    .set({ status: "EXPIRED", updated_at: at })
    .where(and(eq(subscription_transfers.subscription_id, sub.id), eq(subscription_transfers.status, "PENDING"), lte(subscription_transfers.expires_at, at)));
  try {
    const [row] = await db
      .insert(subscription_transfers)
      .values({ id: newId(), subscription_id: sub.id, user_id: sub.user_id, recipient_user_id: recipientId, message: body.message ?? null, fee, currency: plan.currency, expires_at: toTimestamp(Date.parse(at) + TRANSFER_PAYMENT_MS), created_at: at, updated_at: at })
      .returning();
    return { pending: pendingTransferView(row!) };
  } catch (error) {
    if (!isUniqueViolation(error, "subscription_transfers.subscription_id")) throw error;
    // Another request of this pass is waiting (made at the same moment): the same recipient's is this one.
    const other = await open();
    if (other && other.status === "PENDING" && other.recipient_user_id === recipientId) return { pending: pendingTransferView(other) };
    throw problems.conflict("transfer_pending", "Another transfer of this pass is waiting for its fee to be paid; pay it or wait until it expires.");
  }
}

/** A pass's transfers that waited (or wait) for their fee, newest first: its holder, the club with `sales.read`, admins. */
export async function listPassTransfers(env: Env, auth: AuthContext, subscriptionId: string) {
  const db = getDb(env.DB);
  await readablePass(db, auth, subscriptionId);
  const rows = await db.select().from(subscription_transfers).where(eq(subscription_transfers.subscription_id, subscriptionId)).orderBy(desc(subscription_transfers.created_at), desc(subscription_transfers.id));
  return { items: rows.map(pendingTransferView) };
}

export const transferIdOf = (payment: PaymentRow): string | null => (typeof payment.metadata?.transfer_id === "string" ? payment.metadata.transfer_id : null);

/**
 * A transfer's fee is PAID (the passes' payment hook): the payment claims the
 * transfer (PENDING and not expired → PROCESSING, once) and it is carried out
 * as any transfer, checks again included; COMPLETED. When it can no longer be
 * done (expired, another payment paid it, the pass changed, the recipient
 * banned or taken meanwhile) the transfer is FAILED and the payment refunded
 * in full (payments' refundSurplus, on `delivered: false`). Run again (a
 * webhook replayed, a crash half-way), it finishes its own transfer and never
 * carries out another.
 */
export async function carryOutPaid(env: Env, payment: PaymentRow, transferId: string): Promise<Delivery> {
  const db = getDb(env.DB);
  const at = now();
  await db
    .update(subscription_transfers)
    .set({ status: "PROCESSING", payment_id: payment.id, updated_at: at })
    .where(and(eq(subscription_transfers.id, transferId), eq(subscription_transfers.status, "PENDING"), gt(subscription_transfers.expires_at, at)));
  const [t] = await db.select().from(subscription_transfers).where(eq(subscription_transfers.id, transferId)).limit(1);
  if (!t) return { delivered: false, reason: "transfer_not_found" };
  const delivered: Delivery = { delivered: true, commission: { subscription_id: t.subscription_id }, message: { template: "PAYMENT_SUCCESS", data: {} } };
  if (t.payment_id !== payment.id) return { delivered: false, reason: t.payment_id ? "transfer_paid_by_another_payment" : t.status === "PENDING" ? "transfer_expired" : `transfer_${t.status.toLowerCase()}` };
  if (t.status === "COMPLETED") return delivered;
  if (t.status === "FAILED") return { delivered: false, reason: t.failure_reason ?? "transfer_failed" };
  const [sub] = await db.select().from(subscriptions).where(eq(subscriptions.id, t.subscription_id)).limit(1);
  const [plan] = sub ? await db.select().from(subscription_plans).where(eq(subscription_plans.id, sub.subscription_plan_id)).limit(1) : [];
  // The pass this transfer made, if its hand-over is done: a run cut short after it finishes it; of two runs at once, the one that lost the hand-over finds the other's.
  const madeByIt = async () =>
    sub ? (await db.select().from(subscriptions).where(and(eq(subscriptions.transferred_from, sub.id), sql`json_extract(${subscriptions.metadata}, '$.transfer_id') = ${t.id}`)).limit(1))[0] : undefined;
  let created: SubscriptionRow | undefined;
  try {
    if (!sub || !plan) throw problems.conflict("subscription_not_active", "The pass is gone.");
    created = await madeByIt();
    if (created) await finishTransfer(env, sub, plan, created, t.message, t.user_id, t.id);
    else created = (await carryOut(env, sub, plan, async () => t.recipient_user_id, "recipient_user_id", t.message, t.user_id, null, at, t.id)).created;
  } catch (error) {
    if (!(error instanceof ProblemError && error.status < 500)) throw error;
    created = await madeByIt();
    if (!created) {
      await db
        .update(subscription_transfers)
        .set({ status: "FAILED", failure_reason: error.code, updated_at: now() })
        .where(and(eq(subscription_transfers.id, t.id), eq(subscription_transfers.status, "PROCESSING")));
      return { delivered: false, reason: error.code };
    }
  }
  await db
    .update(subscription_transfers)
    .set({ status: "COMPLETED", new_subscription_id: created.id, completed_at: now(), updated_at: now() })
    .where(and(eq(subscription_transfers.id, t.id), eq(subscription_transfers.status, "PROCESSING")));
  return delivered;
}

/**
 * The box office (`cash.confirm`) transfers a pass for its holder and takes
 * the plan's transfer fee in cash: a PENDING CASH payment first, PAID once
 * the pass moved (audited PAYMENT for the cashier), CANCELLED if it did not.
 */
export async function transferPassAtBoxOffice(env: Env, actor: Actor, id: string, body: Body) {
  const db = getDb(env.DB);
  const { sub, plan } = await managedPass(db, actor, id, "cash.confirm");
  const { fee } = transferRules(plan);
  const at = now();
  if (fee === 0) return transferView(db, await transfer(env, sub, plan, body, actor.userId, actor.ip, at), plan, null);
  const paymentId = newId();
  await db.insert(payments).values({
    id: paymentId,
    user_id: sub.user_id,
    type: "SEASON_PASS",
    amount: fee,
    net_amount: fee,
    currency: sub.currency,
    status: "PENDING",
    method: "CASH",
    provider: "CASH_DESK",
    internal_reference: `CASH-${humanCode(10)}`,
    subscription_id: sub.id,
    description: `Box office, transfer fee of season pass ${sub.subscription_number}, received by ${actor.userId}`,
    metadata: { transfer_fee: true },
  });
  const settle = (patch: Partial<typeof payments.$inferInsert>) => db.update(payments).set({ ...patch, updated_at: now() }).where(and(eq(payments.id, paymentId), eq(payments.status, "PENDING")));
  let result;
  try {
    result = await transfer(env, sub, plan, body, actor.userId, actor.ip, at);
  } catch (error) {
    await settle({ status: "CANCELLED", failure_reason: error instanceof ProblemError ? error.code : "transfer_failed" });
    throw error;
  }
  await db.batch([
    settle({ status: "PAID", paid_at: now() }),
    auditAct(db, actor, sql`changes() = 1`, {
      action: "PAYMENT",
      table: payments,
      id: paymentId,
      after: { type: "SEASON_PASS", amount: fee, currency: sub.currency, method: "CASH", subscription_id: sub.id, transfer_fee: true },
      description: "season pass transfer fee received at the box office",
    }),
  ]);
  return transferView(db, result, plan, paymentId);
}

/**
 * The cron finishes transfers whose rights could not all be moved at once:
 * rights still ENABLED, doors not open, of TRANSFERRED passes in open events,
 * are moved to the pass that succeeded them. Idempotent.
 */
export async function completePassTransfers(env: Env, at: string = now()): Promise<{ moved: number; failed: number }> {
  const db = getDb(env.DB);
  const left = await db
    .selectDistinct({ event_id: access_rights.event_id, from: subscriptions.id, to: sql<string>`n.id`.as("to_id"), to_user: sql<string>`n.user_id`.as("to_user") })
    .from(subscriptions)
    .innerJoin(sql`subscriptions n`, sql`n.transferred_from = ${subscriptions.id}`)
    .innerJoin(
      access_rights,
      sql`${access_rights.source_type} = 'SUBSCRIPTION' AND (${access_rights.source_id} = ${subscriptions.id} OR substr(${access_rights.source_id}, 1, 37) = ${subscriptions.id} || ':')`,
    )
    .where(and(eq(subscriptions.status, "TRANSFERRED"), eq(access_rights.status, "ENABLED"), gt(access_rights.valid_from, at), sql`${subscriptions.updated_at} > ${addSeconds(at, -7 * 86_400)}`))
    .limit(100);
  let moved = 0;
  const failed = await fanOut(left, async (row) => {
    const result = await eventStub(env, row.event_id).transferPassRights({ transfer_id: `${row.from}:reconciled`, from_source: row.from, to_source: row.to, to_user_id: row.to_user, by: row.to_user });
    if (!result.ok) throw problemFrom(result.problem);
    moved += result.moved.length;
  });
  return { moved, failed };
}
