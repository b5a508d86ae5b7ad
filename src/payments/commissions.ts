import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { Env } from "../env.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { applyBasisPoints } from "../lib/money.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { firstOwner } from "../organizations/owners.ts";
import { subscriptions } from "../passes/schema.ts";
import { type Actor, auditWhere, insertWhere } from "../site/audit.ts";
import { getSetting } from "../site/settings.ts";
import { effectiveCommissionBp } from "./organizer-plan-limits.ts";
import { commissions, payments } from "./schema.ts";
import type { CommissionsQuery, SettleCommissionsBody } from "./schemas.ts";

/** The platform's ticketing rate when an event sets none (5 %), an app setting admins can change. */
export const DEFAULT_COMMISSION_SETTING = "payments.default_commission_bp";
const DEFAULT_COMMISSION_BP = 500;

type Payment = typeof payments.$inferSelect;

/**
 * The platform's cut of a ticket or season-pass payment, owed by the
 * organizer: the event's rate (or the platform default), reduced by the
 * organizer's plan. One per payment and type, whatever the retries.
 */
/**
 * The rate an organization pays on a sale: the event's own rate, or the
 * platform default when it has none, lowered by the organization's plan.
 * Ticket sales, season passes and resales all use it.
 */
export async function commissionRateBp(env: Env, organizationId: string | null, eventRateBp: number | null): Promise<number> {
  const rate = eventRateBp ?? (await getSetting(env, DEFAULT_COMMISSION_SETTING, "INTEGER", DEFAULT_COMMISSION_BP));
  return organizationId === null ? rate : effectiveCommissionBp(env, organizationId, rate);
}

export async function recordCommission(env: Env, payment: Payment, of: { event_id: string } | { subscription_id: string }): Promise<void> {
  const db = getDb(env.DB);
  let owner: { organization_id: string | null; organizer_id: string | null; rate: number | null; event_id: string | null } | undefined;
  if ("event_id" in of) {
    const [event] = await db
      .select({ organization_id: events.organization_id, organizer_id: events.organizer_id, rate: events.ticketing_commission_bp })
      .from(events)
      .where(eq(events.id, of.event_id))
      .limit(1);
    owner = event && { ...event, event_id: of.event_id };
  } else {
    const [plan] = await db
      .select({ organization_id: subscription_plans.organization_id, organizer_id: subscription_plans.organizer_id })
      .from(subscriptions)
      .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
      .where(eq(subscriptions.id, of.subscription_id))
      .limit(1);
    owner = plan && { ...plan, rate: null, event_id: null };
  }
  // A platform pass (no organization) is the platform's own sale: nothing is owed.
  if (!owner?.organization_id || !owner.organizer_id) return;
  const rate = await commissionRateBp(env, owner.organization_id, owner.rate);
  const at = now();
  await db
    .insert(commissions)
    .values({
      id: newId(),
      payment_id: payment.id,
      commission_type: "event_id" in of ? "TICKETING" : "SUBSCRIPTION",
      base_amount: payment.amount,
      commission_rate_bp: rate,
      commission_amount: applyBasisPoints(payment.amount, rate),
      currency: payment.currency,
      status: "CALCULATED",
      event_id: owner.event_id,
      organizer_id: owner.organizer_id,
      organization_id: owner.organization_id,
      calculated_at: at,
    })
    .onConflictDoNothing();
}

/** After a refund of `refunded` out of `amount`: the commission follows what the organizer kept. */
export function commissionAfterRefund(paymentId: string, amount: number, refundedTotal: number) {
  const kept = amount - refundedTotal;
  return {
    where: and(eq(commissions.payment_id, paymentId), inArray(commissions.status, ["PENDING", "CALCULATED"])),
    set:
      kept <= 0
        ? { status: "CANCELLED" as const, notes: "Payment refunded", updated_at: now() }
        : {
            base_amount: kept,
            // D1 binds JS numbers as REAL: cast so the division stays integral (half up, as applyBasisPoints rounds a non-negative amount).
            commission_amount: sql`(CAST(${kept} AS INTEGER) * ${commissions.commission_rate_bp} + 5000) / 10000`,
            notes: `Partly refunded: ${refundedTotal} of ${amount}`,
            updated_at: now(),
          },
  };
}

/** One organization's commissions (`organizationId`), or for admins any (filtered by the query). */
export async function listCommissions(env: Env, query: z.infer<typeof CommissionsQuery>, organizationId: string | null) {
  const after = decodeCursor(query.cursor);
  const rows = await getDb(env.DB)
    .select()
    .from(commissions)
    .where(
      and(
        organizationId ? eq(commissions.organization_id, organizationId) : query.organization_id ? eq(commissions.organization_id, query.organization_id) : undefined,
        query.organizer_id ? eq(commissions.organizer_id, query.organizer_id) : undefined,
        query.status ? eq(commissions.status, query.status) : undefined,
        query.event_id ? eq(commissions.event_id, query.event_id) : undefined,
        afterCursor(after, commissions.created_at, commissions.id, "desc"),
      ),
    )
    .orderBy(desc(commissions.created_at), desc(commissions.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

/** What an organization owes and has paid, per currency. */
export async function commissionSummary(env: Env, organizationId: string) {
  return getDb(env.DB)
    .select({
      currency: commissions.currency,
      status: commissions.status,
      count: sql<number>`count(*)`,
      amount: sql<number>`coalesce(sum(${commissions.commission_amount}), 0)`,
    })
    .from(commissions)
    .where(eq(commissions.organization_id, organizationId))
    .groupBy(commissions.currency, commissions.status)
    .orderBy(commissions.currency, commissions.status);
}

/**
 * An admin records that an organization paid what it owed: one COMMISSION
 * payment for the total (its payer the organization's first owner), and the
 * commissions PAID and pointing at it, in one batch. Only CALCULATED
 * commissions of that organization, all in one currency, are settled; a
 * commission settled meanwhile fails the whole batch.
 */
export async function settleCommissions(env: Env, actor: Actor, body: z.infer<typeof SettleCommissionsBody>) {
  const db = getDb(env.DB);
  const ids = [...new Set(body.commission_ids)];
  const rows = await db.select().from(commissions).where(inArray(commissions.id, ids));
  if (rows.length !== ids.length || rows.some((r) => r.organization_id !== body.organization_id)) {
    throw problems.validation([{ path: "commission_ids", message: "Every commission must exist and be owed by this organization.", code: "unknown_commission" }]);
  }
  if (rows.some((r) => r.status !== "CALCULATED")) throw problems.conflict("commission_not_due", "Only CALCULATED commissions can be settled.");
  const currencies = new Set(rows.map((r) => r.currency));
  if (currencies.size > 1) throw problems.validation([{ path: "commission_ids", message: "Settle one currency at a time.", code: "mixed_currencies" }]);
  const total = rows.reduce((sum, r) => sum + r.commission_amount, 0);
  const paymentId = newId();
  const at = now();
  const payment = {
    id: paymentId,
    user_id: (await firstOwner(db, body.organization_id)) ?? null,
    type: "COMMISSION" as const,
    amount: total,
    net_amount: total,
    currency: rows[0]!.currency,
    status: "PAID" as const,
    method: body.method,
    provider: body.method === "CASH" ? ("CASH_DESK" as const) : ("BANK" as const),
    internal_reference: `COM-${humanCode(12)}`,
    external_reference: body.external_reference ?? null,
    description: `Commissions settled (${rows.length})`,
    paid_at: at,
    processed_at: at,
  };
  // All or nothing, decided inside the batch: the payment exists only if every commission is still due when its turn comes.
  const allDue = sql`(SELECT count(*) FROM ${commissions} WHERE ${inArray(commissions.id, ids)} AND ${commissions.status} = 'CALCULATED') = ${ids.length}`;
  const paymentExists = sql`EXISTS (SELECT 1 FROM ${payments} WHERE ${payments.id} = ${paymentId})`;
  const [inserted] = await db.batch([
    insertWhere(db, payments, { ...payment, fees: 0, refunded_amount: 0, check_count: 0, created_at: at, updated_at: at }, allDue).returning({ id: payments.id }),
    db
      .update(commissions)
      .set({ status: "PAID", settlement_payment_id: paymentId, paid_at: at, updated_at: at })
      .where(and(inArray(commissions.id, ids), eq(commissions.status, "CALCULATED"), paymentExists)),
    auditWhere(db, actor, paymentExists, { action: "PAYMENT", table: payments, id: paymentId, before: null, after: payment, description: `Settle ${rows.length} commission(s)` }),
  ]);
  if (inserted.length === 0) throw problems.conflict("concurrent_change", "Some of these commissions were settled meanwhile; reload and try again.");
  return { payment_id: paymentId, amount: total, currency: payment.currency, commissions: ids.length };
}
