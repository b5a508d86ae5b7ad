import { and, asc, eq, gt, inArray, isNull, lt, lte } from "drizzle-orm";
import type { Env } from "../env.ts";
import type { PASS_PAYMENT_OPTIONS } from "../catalog/schema.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import type { Currency } from "../lib/money.ts";
import { addMonths, now } from "../lib/time.ts";
import { notifyUser } from "../notifications/service.ts";
import type { PaymentRow } from "../payments/hooks.ts";
import { addDays, today } from "./read.ts";
import { subscription_instalments } from "./instalments-schema.ts";
import { subscriptions } from "./schema.ts";

// Payment schedules of season passes: instalments, their reminders, and what an overdue one does (suspends the pass).

export type PaymentOption = (typeof PASS_PAYMENT_OPTIONS)[number];
export type InstalmentRow = typeof subscription_instalments.$inferSelect;

/** Days before its due date an instalment's holder is reminded (once). */
export const REMINDER_DAYS = 3;
/** Why a pass is suspended for an unpaid instalment; paying it (and any other overdue one) reactivates the pass. */
export const OVERDUE_REASON = "instalment_overdue";
/** A monthly schedule has at most this many instalments. */
const MAX_MONTHLY = 12;

/**
 * `total` in `count` integer parts summing exactly to it, the larger ones
 * first: 450 000 in 3 is 150 000 × 3, 100 in 3 is 34 + 33 + 33.
 */
export function splitAmount(total: number, count: number): number[] {
  const base = Math.floor(total / count);
  const rest = total - base * count;
  return Array.from({ length: count }, (_, i) => base + (i < rest ? 1 : 0));
}

/**
 * The schedule of a pass bought on `day` with `option`: one instalment a
 * month from `day` (the first paid at purchase), `n` of them for "nx", and for
 * "monthly" one per month until `validUntil` (at most 12). Null for "full".
 * Every due date falls within the pass's validity, and every amount is
 * positive, or the option is refused (409 `payment_option_unavailable`).
 */
export function scheduleFor(option: PaymentOption, total: number, day: string, validUntil: string): { number: number; count: number; due_date: string; amount: number }[] | null {
  if (option === "full" || total === 0) return null;
  const dueOn = (k: number) => addMonths(`${day}T00:00:00.000Z`, k).slice(0, 10);
  let count: number;
  if (option === "monthly") {
    count = 0;
    while (count < MAX_MONTHLY && dueOn(count) <= validUntil) count += 1;
  } else {
    count = Number(option.slice(0, -1));
  }
  if (count < 2 || dueOn(count - 1) > validUntil) throw problems.conflict("payment_option_unavailable", `Paying "${option}" needs ${count < 2 ? "at least two months" : `${count} months`} of validity left; this pass ends on ${validUntil}.`);
  if (total < count) throw problems.conflict("payment_option_unavailable", "This price is too small to be paid in instalments.");
  return splitAmount(total, count).map((amount, i) => ({ number: i + 1, count, due_date: dueOn(i), amount }));
}

/** The pass's first instalment (paid at purchase), if the pass has a schedule. */
export async function firstInstalment(db: Db, subscriptionId: string): Promise<InstalmentRow | null> {
  const [row] = await db.select().from(subscription_instalments).where(and(eq(subscription_instalments.subscription_id, subscriptionId), eq(subscription_instalments.number, 1))).limit(1);
  return row ?? null;
}

export const instalmentIdOf = (payment: PaymentRow): string | null => (typeof payment.metadata?.instalment_id === "string" ? payment.metadata.instalment_id : null);

/** Marks an instalment PAID by `paymentId`, once; true when it is paid by that payment (now or before). */
export async function markInstalmentPaid(db: Db, instalmentId: string, paymentId: string): Promise<boolean> {
  const at = now();
  const [moved] = await db
    .update(subscription_instalments)
    .set({ status: "PAID", payment_id: paymentId, paid_at: at, updated_at: at })
    .where(and(eq(subscription_instalments.id, instalmentId), eq(subscription_instalments.status, "DUE")))
    .returning();
  if (moved) return true;
  const [row] = await db.select({ payment_id: subscription_instalments.payment_id }).from(subscription_instalments).where(eq(subscription_instalments.id, instalmentId)).limit(1);
  return row?.payment_id === paymentId;
}

/** Whether the pass still has an instalment past its due date unpaid. */
export async function hasOverdue(db: Db, subscriptionId: string, day: string = today()): Promise<boolean> {
  const [row] = await db
    .select({ id: subscription_instalments.id })
    .from(subscription_instalments)
    .where(and(eq(subscription_instalments.subscription_id, subscriptionId), eq(subscription_instalments.status, "DUE"), lt(subscription_instalments.due_date, day)))
    .limit(1);
  return Boolean(row);
}

export async function instalmentsOf(db: Db, subscriptionId: string): Promise<InstalmentRow[]> {
  return db.select().from(subscription_instalments).where(eq(subscription_instalments.subscription_id, subscriptionId)).orderBy(asc(subscription_instalments.number));
}

export const instalmentView = (i: InstalmentRow) => ({
  id: i.id,
  number: i.number,
  count: i.count,
  due_date: i.due_date,
  amount: i.amount,
  currency: i.currency,
  status: i.status,
  payment_id: i.payment_id,
  paid_at: i.paid_at,
  reminded_at: i.reminded_at,
});

/**
 * The cron: each instalment still DUE whose due date is within REMINDER_DAYS
 * is reminded once (the guarded write of `reminded_at` decides who sends it,
 * and the message's key dedupes it again), through the notifications
 * pipeline (PASS_INSTALMENT_DUE). Returns how many were reminded.
 */
export async function remindInstalments(env: Env, at: string = now()): Promise<number> {
  const db = getDb(env.DB);
  const due = await db
    .select({ i: subscription_instalments, user_id: subscriptions.user_id, plan_name: subscription_plans.name })
    .from(subscription_instalments)
    .innerJoin(subscriptions, eq(subscriptions.id, subscription_instalments.subscription_id))
    .innerJoin(subscription_plans, eq(subscription_plans.id, subscriptions.subscription_plan_id))
    .where(
      and(
        eq(subscription_instalments.status, "DUE"),
        gt(subscription_instalments.number, 1),
        isNull(subscription_instalments.reminded_at),
        lte(subscription_instalments.due_date, addDays(today(at), REMINDER_DAYS)),
        inArray(subscriptions.status, ["ACTIVE", "SUSPENDED"]),
      ),
    )
    .limit(200);
  let sent = 0;
  for (const row of due) {
    const [claimed] = await db
      .update(subscription_instalments)
      .set({ reminded_at: at, updated_at: at })
      .where(and(eq(subscription_instalments.id, row.i.id), isNull(subscription_instalments.reminded_at)))
      .returning({ id: subscription_instalments.id });
    if (!claimed) continue;
    await notifyUser(
      env,
      row.user_id,
      "PASS_INSTALMENT_DUE",
      {
        plan_name: row.plan_name,
        number: String(row.i.number),
        count: String(row.i.count),
        amount: { amount: row.i.amount, currency: row.i.currency as Currency },
        due_date: row.i.due_date,
        instalment_id: row.i.id,
        subscription_id: row.i.subscription_id,
      },
      `pass_instalment_due:${row.i.id}`,
    );
    sent += 1;
  }
  return sent;
}

/** ACTIVE passes with an instalment past its due date and unpaid (the cron suspends them). */
export async function overduePasses(db: Db, at: string = now()): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: subscriptions.id })
    .from(subscriptions)
    .innerJoin(subscription_instalments, eq(subscription_instalments.subscription_id, subscriptions.id))
    .where(and(eq(subscriptions.status, "ACTIVE"), eq(subscription_instalments.status, "DUE"), lt(subscription_instalments.due_date, today(at))))
    .limit(100);
  return rows.map((r) => r.id);
}

