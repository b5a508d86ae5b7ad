import { and, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import { addSeconds, now } from "../lib/time.ts";
import { subscription_bookings } from "./bookings-schema.ts";
import { issueMissingBookingRights } from "./bookings.ts";
import { coversAutomatically, eventOpen } from "./coverage.ts";
import { overduePasses, remindInstalments } from "./instalments.ts";
import { suspendOverduePasses } from "./lifecycle.ts";
import { releaseRuleUses } from "./pricing.ts";
import { autoRenewPasses } from "./renewals.ts";
import { completePassTransfers } from "./transfers.ts";
import { type SubscriptionRow, today } from "./read.ts";
import { FANOUT_BUDGET, PLAN_P, type Pair, type RightsStatus, eventPairs, fanOut, issuePairs } from "./rights.ts";
import { subscriptions } from "./schema.ts";

// The season-pass cron: expiries, unpaid passes, finished bookings, then the rights reconciliation.

/** An unpaid pass gives its place back after this long. */
const PENDING_TTL_SECONDS = 48 * 3600;

/** Rows a cron statement handles per run. */
const CRON_BATCH = 200;

/**
 * The cron's reconciliation, bounded per run: rights missing for ACTIVE
 * passes in the events their plans cover (events approved or added to a
 * season later, fan-outs cut short), booked matches without their right,
 * and rights whose status disagrees with their pass (a suspension or
 * cancellation cut short). Everything it does is idempotent.
 */
export async function syncSeasonPassRights(env: Env): Promise<{ issued: number; booked: number; corrected: number; failed: number }> {
  const db = getDb(env.DB);
  const at = now();
  const open = await db
    .select({ id: sql<string>`e.id`.as("id"), starts_at: sql<string>`e.starts_at`.as("starts_at"), timezone: sql<string>`e.timezone`.as("timezone") })
    .from(sql`events e`)
    .where(
      sql`${eventOpen(at)} AND (e.event_group_id IN (SELECT event_group_id FROM subscription_plan_event_groups) OR e.id IN (SELECT event_id FROM subscription_plan_events))
        AND EXISTS (SELECT 1 FROM subscription_plans p WHERE ${coversAutomatically(PLAN_P)} AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.subscription_plan_id = p.id AND s.status = 'ACTIVE'))`,
    )
    .orderBy(sql`e.starts_at`);
  const missing: Pair[] = [];
  for (let i = 0; i < open.length && missing.length < FANOUT_BUDGET; i += 50) {
    const chunk = open.slice(i, i + 50);
    const [first, ...rest] = chunk.map((event) => eventPairs(db, event.id, event));
    for (const rows of await db.batch([first!, ...rest])) missing.push(...rows);
  }
  const passes = await issuePairs(env, missing, null);
  const bookings = await issueMissingBookingRights(env);
  const corrections = await correctRightsStatuses(env, at);
  return { issued: passes.issued, booked: bookings.issued, corrected: corrections.corrected, failed: passes.failed + bookings.failed + corrections.failed };
}

/** Rights whose status disagrees with their pass or booking, recent changes only (older ones were settled by earlier runs). */
async function correctRightsStatuses(env: Env, at: string) {
  const db = getDb(env.DB);
  const since = addSeconds(at, -7 * 86_400);
  const wrong = await db.all<{ event_id: string; source_id: string; target: RightsStatus }>(sql`
    WITH wanted (right_id, target) AS (
      SELECT r.id, CASE s.status WHEN 'ACTIVE' THEN 'ENABLED' WHEN 'SUSPENDED' THEN 'BLOCKED' WHEN 'CANCELLED' THEN 'CANCELLED' END
      FROM subscriptions s JOIN access_rights r ON r.source_type = 'SUBSCRIPTION' AND r.source_id = s.id
      WHERE s.updated_at > ${since}
      UNION ALL
      SELECT b.access_right_id, CASE WHEN b.status = 'CANCELLED' OR s.status = 'CANCELLED' THEN 'CANCELLED' WHEN s.status = 'SUSPENDED' THEN 'BLOCKED' WHEN s.status = 'ACTIVE' THEN 'ENABLED' END
      FROM subscription_bookings b JOIN subscriptions s ON s.id = b.subscription_id
      WHERE b.access_right_id IS NOT NULL AND (b.updated_at > ${since} OR s.updated_at > ${since})
    )
    SELECT DISTINCT r.event_id, r.source_id, w.target FROM wanted w JOIN access_rights r ON r.id = w.right_id
    WHERE (w.target = 'CANCELLED' AND r.status IN ('ENABLED', 'BLOCKED')) OR (w.target = 'BLOCKED' AND r.status = 'ENABLED') OR (w.target = 'ENABLED' AND r.status = 'BLOCKED')
    LIMIT ${FANOUT_BUDGET}`);
  let corrected = 0;
  const failed = await fanOut(wrong, async (row) => {
    const result = await eventStub(env, row.event_id).setRightsStatus("SUBSCRIPTION", row.source_id, row.target, null, "reconciled with the season pass");
    if (!result.ok) throw problemFrom(result.problem);
    corrected += result.changed;
  });
  return { corrected, failed };
}

/**
 * The cron: passes past their validity become EXPIRED, unpaid passes older
 * than PENDING_TTL are cancelled, each giving its place on the plan back in
 * the same batch as its status change; booked matches that are over become
 * USED or MISSED. Rights need no change: each ends with its event.
 */
export async function expireSubscriptions(env: Env, at: string = now()): Promise<{ expired: number; unpaid: number; bookings: number }> {
  const db = getDb(env.DB);
  const day = today(at);
  const [due, unpaid] = await db.batch([
    db.select({ id: subscriptions.id, plan: subscriptions.subscription_plan_id }).from(subscriptions).where(and(inArray(subscriptions.status, ["ACTIVE", "SUSPENDED"]), lt(subscriptions.valid_until, day))).limit(CRON_BATCH),
    db
      .select({ id: subscriptions.id, plan: subscriptions.subscription_plan_id })
      .from(subscriptions)
      .where(and(eq(subscriptions.status, "PENDING"), or(lt(subscriptions.created_at, addSeconds(at, -PENDING_TTL_SECONDS)), lt(subscriptions.valid_until, day))))
      .limit(CRON_BATCH),
  ]);
  const leave = (row: { id: string; plan: string }, from: SubscriptionRow["status"][], patch: Partial<typeof subscriptions.$inferInsert>) => [
    db.update(subscriptions).set({ ...patch, updated_at: at }).where(and(eq(subscriptions.id, row.id), inArray(subscriptions.status, from))),
    db
      .update(subscription_plans)
      .set({ current_subscribers: sql`${subscription_plans.current_subscribers} - 1`, updated_at: sql`${subscription_plans.updated_at}` })
      .where(and(eq(subscription_plans.id, row.plan), sql`changes() = 1`)),
  ];
  const statements = [
    ...due.flatMap((row) => leave(row, ["ACTIVE", "SUSPENDED"], { status: "EXPIRED" })),
    ...unpaid.flatMap((row) => [
      ...leave(row, ["PENDING"], { status: "CANCELLED", cancellation_date: at, cancellation_reason: "Not paid in time." }),
      ...releaseRuleUses(db, row.id, at, sql`EXISTS (SELECT 1 FROM subscriptions WHERE id = ${row.id} AND status = 'CANCELLED')`),
    ]),
  ];
  const finished = db
    .update(subscription_bookings)
    .set({
      status: sql`CASE WHEN EXISTS (SELECT 1 FROM access_rights r WHERE r.id = ${subscription_bookings.access_right_id} AND (r.status IN ('USED', 'TRANSFERRED') OR r.used_at IS NOT NULL OR r.entry_count > 0)) THEN 'USED' ELSE 'MISSED' END`,
      updated_at: at,
    })
    .where(and(eq(subscription_bookings.status, "BOOKED"), sql`${subscription_bookings.event_id} IN (SELECT id FROM events WHERE ends_at <= ${at})`))
    .returning({ id: subscription_bookings.id });
  const results = await db.batch([finished, ...statements]);
  return { expired: due.length, unpaid: unpaid.length, bookings: results[0].length };
}

/**
 * The cron's season-pass work: expiries first, so passes that just ended get nothing more (and unpaid
 * renewals are cancelled before the automatic renewals look at them), then auto_renew, then the rights of
 * passes handed on that could not all be moved at once, then payment schedules (reminders before due
 * dates, passes with an overdue instalment suspended), then the rights reconciliation.
 */
export async function runSeasonPassCron(env: Env): Promise<void> {
  await expireSubscriptions(env);
  await autoRenewPasses(env);
  await completePassTransfers(env);
  await runInstalmentCron(env);
  await syncSeasonPassRights(env);
}

export async function runInstalmentCron(env: Env, at: string = now()): Promise<{ reminded: number; suspended: number }> {
  const reminded = await remindInstalments(env, at);
  const suspended = await suspendOverduePasses(env, await overduePasses(getDb(env.DB), at));
  return { reminded, suspended };
}
