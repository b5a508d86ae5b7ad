import type { z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, lte } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { subscription_plan_zones } from "../catalog/schema.ts";
import { getDb, type Db } from "../db/client.ts";
import { events, venue_zones, type ZONE_CATEGORIES } from "../events/schema.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { now, toTimestamp } from "../lib/time.ts";
import type { Delivery, PaymentRow } from "../payments/hooks.ts";
import { heldPass, readablePass } from "./read.ts";
import { passPairs } from "./rights.ts";
import type { UpgradeBody } from "./schemas.ts";
import { subscription_upgrades } from "./upgrades-schema.ts";

// Zone upgrades of a season pass (subscription_plan_zones.upgrade_allowed / upgrade_fee): held in each match's EventDO, applied when paid.

type ZoneCategory = (typeof ZONE_CATEGORIES)[number];
export type UpgradeRow = typeof subscription_upgrades.$inferSelect;

/** How long an upgrade's holds wait for the payment; its payment is offered as long. */
export const UPGRADE_HOLD_MS = 30 * 60_000;

/**
 * Which zone categories are better than which: a seat category's rank. The
 * others (COMPLIMENTARY, VISITORS, PRESS, STAFF) are not places one buys a
 * way into, so nothing upgrades to or from them.
 */
const RANK: Partial<Record<ZoneCategory, number>> = { BASIC: 1, STANDARD: 2, PREMIUM: 3, VIP: 4 };

export const upgradeView = (u: UpgradeRow) => {
  const { user_id: _u, updated_at: _t, ...fields } = u;
  // A PENDING upgrade whose holds lapsed is EXPIRED, whether or not a read has written so yet.
  return { ...fields, status: u.status === "PENDING" && u.expires_at <= now() ? ("EXPIRED" as const) : u.status };
};

/** The pass's live right at one match (from its EventDO, which decides), with its zone's category. */
async function rightAt(env: Env, db: Db, subscriptionId: string, userId: string, eventId: string) {
  const rights = await eventStub(env, eventId).listRights({ source_id: subscriptionId });
  const right = rights.filter((r) => r.user_id === userId && r.status === "ENABLED").at(-1);
  if (!right) return null;
  const [zone] = right.zone_id ? await db.select({ category: venue_zones.category }).from(venue_zones).where(eq(venue_zones.id, right.zone_id)).limit(1) : [];
  return { right, category: zone?.category ?? null };
}

/**
 * A pass holder asks to upgrade one match (`event_id`) or every match still
 * ahead (the season) to a better zone category the plan allows upgrades to
 * (`upgrade_allowed`), at `upgrade_fee` per match. One unit of the target
 * zone is held in each match's EventDO (all or none); the upgrade applies when
 * paid (POST /v1/payments, target PASS_UPGRADE), at once when free.
 */
export async function requestUpgrade(env: Env, auth: AuthContext, subscriptionId: string, body: z.infer<typeof UpgradeBody>) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, subscriptionId);
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass can be upgraded.`);
  const target = body.zone_category;
  const [zone] = await db
    .select()
    .from(subscription_plan_zones)
    .where(and(eq(subscription_plan_zones.subscription_plan_id, plan.id), eq(subscription_plan_zones.zone_category, target)))
    .limit(1);
  if (!zone?.upgrade_allowed) throw problems.conflict("upgrade_not_allowed", `This pass does not offer upgrades to ${target}.`);
  if (RANK[target] === undefined) throw problems.conflict("not_a_better_zone", `${target} is not a seat category one upgrades to.`);
  const at = now();
  const covered = (await passPairs(db, sub.id, false)).filter((p) => p.starts_at > at);
  let eventIds: string[];
  if (body.event_id) {
    if (!covered.some((p) => p.event_id === body.event_id)) {
      const [event] = await db.select({ starts_at: events.starts_at }).from(events).where(eq(events.id, body.event_id)).limit(1);
      if (event && event.starts_at <= at) throw problems.conflict("event_started", "This match has started or is over: it can no longer be upgraded.");
      throw problems.conflict("event_not_covered", "This pass does not cover this match.");
    }
    eventIds = [body.event_id];
  } else {
    eventIds = covered.map((p) => p.event_id);
    if (eventIds.length === 0) throw problems.conflict("no_upcoming_matches", "This pass has no match ahead to upgrade.");
  }
  const rights = [];
  for (const eventId of eventIds) {
    const found = await rightAt(env, db, sub.id, sub.user_id, eventId);
    if (!found) {
      if (body.event_id) throw problems.conflict("right_not_upgradable", "This pass holds no usable right at this match yet.");
      continue;
    }
    const current = found.category ? RANK[found.category] : undefined;
    // A season upgrade leaves out matches already in the target zone or better.
    if (current === undefined || current >= RANK[target]!) {
      if (body.event_id) throw problems.conflict("not_a_better_zone", `This match's place is already ${found.category ?? "outside the ranked zones"}; ${target} is not better.`);
      continue;
    }
    rights.push({ event_id: eventId, right_id: found.right.id });
  }
  if (rights.length === 0) throw problems.conflict("not_a_better_zone", `Every match ahead is already in ${target} or better.`);

  const id = newId();
  const expiresAt = toTimestamp(Date.now() + UPGRADE_HOLD_MS);
  const unitFee = zone.upgrade_fee ?? 0;
  const held: string[] = [];
  let refused: ProblemError | null = null;
  for (const r of rights) {
    const result = await eventStub(env, r.event_id).holdUpgrade({ upgrade_id: id, right_id: r.right_id, user_id: sub.user_id, zone_category: target, expires_at: expiresAt });
    if (!result.ok) {
      refused = problemFrom(result.problem);
      break;
    }
    held.push(r.event_id);
  }
  if (refused) {
    // All or none: the matches already held are given back.
    await Promise.all(held.map((eventId) => eventStub(env, eventId).releaseUpgrade(id)));
    throw refused;
  }
  const [row] = await db
    .insert(subscription_upgrades)
    .values({
      id,
      subscription_id: sub.id,
      user_id: sub.user_id,
      zone_category: target,
      scope: body.event_id ? "MATCH" : "SEASON",
      event_ids: held,
      matches: held.length,
      unit_fee: unitFee,
      amount: unitFee * held.length,
      currency: plan.currency,
      expires_at: expiresAt,
    })
    .returning();
  if (row!.amount === 0) return upgradeView(await applyUpgrade(env, row!, null, auth.userId));
  return upgradeView(row!);
}

/**
 * Applies a held upgrade in each of its matches (paid, or free): the unit
 * sold, the old right's code dead, a new right in the new zone. Idempotent per
 * match. Returns the row APPLIED, or throws the EventDO's refusal when no
 * match could be applied (the payment is then refunded).
 */
async function applyUpgrade(env: Env, upgrade: UpgradeRow, paymentId: string | null, by: string | null): Promise<UpgradeRow> {
  const db = getDb(env.DB);
  let applied = 0;
  let refusal: ProblemError | null = null;
  for (const eventId of upgrade.event_ids) {
    const result = await eventStub(env, eventId).applyUpgrade(upgrade.id, by);
    if (result.ok) applied += 1;
    else refusal ??= problemFrom(result.problem);
  }
  if (applied === 0 && refusal) throw refusal;
  const [row] = await db
    .update(subscription_upgrades)
    .set({ status: "APPLIED", payment_id: paymentId, applied_at: now(), updated_at: now() })
    .where(and(eq(subscription_upgrades.id, upgrade.id), inArray(subscription_upgrades.status, ["PENDING", "EXPIRED"])))
    .returning();
  return row ?? (await db.select().from(subscription_upgrades).where(eq(subscription_upgrades.id, upgrade.id)))[0]!;
}

/** The upgrade a payment is for (payments' `dueFor`): the holder's own, still waiting for its payment. */
export async function payableUpgrade(db: Db, userId: string, upgradeId: string) {
  const [upgrade] = await db.select().from(subscription_upgrades).where(eq(subscription_upgrades.id, upgradeId)).limit(1);
  if (!upgrade || upgrade.user_id !== userId) throw problems.notFound("Upgrade");
  if (upgradeView(upgrade).status !== "PENDING") throw problems.conflict("upgrade_not_payable", `This upgrade is ${upgradeView(upgrade).status}; ask for a new one.`);
  return upgrade;
}

/** An upgrade's payment is PAID (the passes' payment hook): the upgrade applies, or the payment is refunded when nothing could be upgraded. */
export async function applyPaidUpgrade(env: Env, payment: PaymentRow, upgradeId: string): Promise<Delivery> {
  const db = getDb(env.DB);
  const [upgrade] = await db.select().from(subscription_upgrades).where(eq(subscription_upgrades.id, upgradeId)).limit(1);
  if (!upgrade) return { delivered: false, reason: "upgrade_not_found" };
  if (upgrade.status === "APPLIED" && upgrade.payment_id !== payment.id) return { delivered: false, reason: "upgrade_paid_by_another_payment" };
  try {
    await applyUpgrade(env, upgrade, payment.id, null);
  } catch (error) {
    if (error instanceof ProblemError && error.status < 500) return { delivered: false, reason: error.code };
    throw error;
  }
  return { delivered: true, commission: { subscription_id: upgrade.subscription_id }, message: { template: "PAYMENT_SUCCESS", data: {} } };
}

/** A pass's upgrades, newest first (its holder, the club with `sales.read`, admins); lapsed ones are written EXPIRED on the way. */
export async function listUpgrades(env: Env, auth: AuthContext, subscriptionId: string) {
  const db = getDb(env.DB);
  await readablePass(db, auth, subscriptionId);
  await db
    .update(subscription_upgrades)
    .set({ status: "EXPIRED", updated_at: now() })
    .where(and(eq(subscription_upgrades.subscription_id, subscriptionId), eq(subscription_upgrades.status, "PENDING"), lte(subscription_upgrades.expires_at, now())));
  const rows = await db.select().from(subscription_upgrades).where(eq(subscription_upgrades.subscription_id, subscriptionId)).orderBy(desc(subscription_upgrades.created_at), desc(subscription_upgrades.id));
  return { items: rows.map(upgradeView) };
}

export const upgradeIdOf = (payment: PaymentRow): string | null => (typeof payment.metadata?.upgrade_id === "string" ? payment.metadata.upgrade_id : null);

