import { and, eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { subscription_plans } from "../catalog/schema.ts";
import type { Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { applyBasisPoints } from "../lib/money.ts";
import { tickets } from "../orders/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { commissionRateBp } from "../payments/commissions.ts";
import { access_rights } from "./schema.ts";
import type { SaleFigures } from "./transfer-records.ts";

// What a transfer must respect: the event's resale rules (face value, cap, commission) and a season pass's transfer quota.

export type RightRow = typeof access_rights.$inferSelect;
export type EventRow = Pick<typeof events.$inferSelect, "id" | "title" | "organization_id" | "currency" | "ends_at" | "metadata" | "ticketing_commission_bp">;

/** Without `resale_cap_bp` in the event's metadata, a resale is capped at the face value. */
export const DEFAULT_RESALE_CAP_BP = 10_000;

export async function transferEvent(db: Db, eventId: string): Promise<EventRow> {
  const [event] = await db
    .select({
      id: events.id,
      title: events.title,
      organization_id: events.organization_id,
      currency: events.currency,
      ends_at: events.ends_at,
      metadata: events.metadata,
      ticketing_commission_bp: events.ticketing_commission_bp,
    })
    .from(events)
    .where(eq(events.id, eventId))
    .limit(1);
  if (!event) throw problems.notFound("Event");
  return event;
}

/** The event's resale rules, from its metadata: `resale_cap_bp` (of the face value) and `resale_no_retransfer` (anti-touting, on by default). */
export function resaleRules(event: EventRow) {
  const metadata = event.metadata ?? {};
  const cap = metadata.resale_cap_bp;
  return {
    capBp: typeof cap === "number" && Number.isSafeInteger(cap) && cap >= 0 ? cap : DEFAULT_RESALE_CAP_BP,
    noRetransfer: typeof metadata.resale_no_retransfer === "boolean" ? metadata.resale_no_retransfer : true,
  };
}

/** A right of this event as D1 holds it; call after the event's Durable Object flushed its projection, so D1 is as the object last decided. */
export async function eventRight(db: Db, eventId: string, rightId: string): Promise<RightRow | undefined> {
  const [right] = await db
    .select()
    .from(access_rights)
    .where(and(eq(access_rights.id, rightId), eq(access_rights.event_id, eventId)))
    .limit(1);
  return right;
}

/**
 * Where a right first came from: a TRANSFER right points at the right it
 * replaced (source_id), so the chain stored in access_rights is walked back to
 * the first non-transfer source (a ticket, a season pass, a comp...).
 */
export async function rightOrigin(db: Db, rightId: string): Promise<{ source_type: string; source_id: string }> {
  const origin = await db.get<{ source_type: string; source_id: string } | undefined>(sql`
    WITH RECURSIVE chain(id, source_type, source_id, depth) AS (
      SELECT id, source_type, source_id, 0 FROM ${access_rights} WHERE id = ${rightId}
      UNION ALL
      SELECT a.id, a.source_type, a.source_id, chain.depth + 1
        FROM ${access_rights} a JOIN chain ON chain.source_type = 'TRANSFER' AND a.id = chain.source_id
        WHERE chain.depth < 1000
    )
    SELECT source_type, source_id FROM chain WHERE source_type <> 'TRANSFER' LIMIT 1`);
  if (!origin) throw new Error(`access right ${rightId} has no origin in D1`);
  return origin;
}

/**
 * The face value the event's Durable Object caps a resale against: a ticket's
 * unit price, carried unchanged through every transfer; rights issued outside
 * a sale (season passes, comps) are worth 0. Read here to refuse an offer
 * above the cap when it is made; the Durable Object checks again on acceptance.
 */
export async function faceValue(db: Db, origin: { source_type: string; source_id: string }): Promise<number> {
  if (origin.source_type !== "TICKET") return 0;
  const [ticket] = await db.select({ unit_price: tickets.unit_price }).from(tickets).where(eq(tickets.id, origin.source_id)).limit(1);
  return ticket?.unit_price ?? 0;
}

/** Same rule as the Durable Object: floor(face value × cap / 10 000). */
export const resaleCap = (face: number, capBp: number) => Math.floor((face * capBp) / 10_000);

export async function saleFigures(env: Env, event: EventRow, price: number, face: number, capBp: number): Promise<SaleFigures> {
  const commissionBp = await commissionRateBp(env, event.organization_id, event.ticketing_commission_bp);
  const fee = applyBasisPoints(price, commissionBp);
  return { face_value: face, resale_cap_bp: capBp, commission_bp: commissionBp, platform_fee: fee, net_to_seller: price - fee };
}

/** The season pass a right counts against (its origin is a subscription), or null. */
export async function seasonPassOf(db: Db, rightId: string): Promise<string | null> {
  const origin = await rightOrigin(db, rightId);
  return origin.source_type === "SUBSCRIPTION" ? origin.source_id : null;
}

/**
 * Counts one transfer against a season pass, in one guarded UPDATE, so that
 * concurrent transfers never pass the plan's `max_transfers_per_season`
 * (a number; "unlimited" or absent: no limit). Throws 409 when refused.
 */
async function takeTransferQuota(db: Db, subscriptionId: string): Promise<void> {
  const plan = subscription_plans;
  const quota = sql`json_extract(${plan.restrictions}, '$.max_transfers_per_season')`;
  const taken = await db
    .update(subscriptions)
    // Counting is not an edit: optimistic checks on updated_at must not trip on it.
    .set({ transfers_used: sql`${subscriptions.transfers_used} + 1`, updated_at: sql`${subscriptions.updated_at}` })
    .where(
      and(
        eq(subscriptions.id, subscriptionId),
        eq(subscriptions.status, "ACTIVE"),
        sql`EXISTS (SELECT 1 FROM ${plan} WHERE ${plan.id} = ${subscriptions.subscription_plan_id} AND ${plan.is_transferable} = 1
              AND (json_type(${plan.restrictions}, '$.max_transfers_per_season') IS NOT 'integer' OR ${subscriptions.transfers_used} < ${quota}))`,
      ),
    )
    .returning({ id: subscriptions.id });
  if (taken.length > 0) return;
  const [pass] = await db
    .select({ status: subscriptions.status, transferable: plan.is_transferable, restrictions: plan.restrictions })
    .from(subscriptions)
    .innerJoin(plan, eq(plan.id, subscriptions.subscription_plan_id))
    .where(eq(subscriptions.id, subscriptionId))
    .limit(1);
  if (!pass || pass.status !== "ACTIVE") throw problems.conflict("season_pass_inactive", "The season pass this right comes from is not active.");
  if (!pass.transferable) throw problems.conflict("transfer_not_allowed", "Rights of this season pass cannot be transferred.");
  throw problems.conflict(
    "transfer_quota_exhausted",
    `This season pass allows ${String(pass.restrictions?.max_transfers_per_season)} transfer(s) per season and they are used.`,
  );
}

/** Gives back a unit taken for a transfer the Durable Object then refused. */
export async function giveBackTransferQuota(db: Db, subscriptionIds: string[]): Promise<void> {
  for (const id of subscriptionIds) {
    await db
      .update(subscriptions)
      .set({ transfers_used: sql`${subscriptions.transfers_used} - 1`, updated_at: sql`${subscriptions.updated_at}` })
      .where(and(eq(subscriptions.id, id), sql`${subscriptions.transfers_used} > 0`));
  }
}

/** Takes one unit on each pass, all or none. */
export async function takeQuotas(db: Db, subscriptionIds: string[]): Promise<void> {
  const taken: string[] = [];
  try {
    for (const id of subscriptionIds) {
      await takeTransferQuota(db, id);
      taken.push(id);
    }
  } catch (error) {
    await giveBackTransferQuota(db, taken);
    throw error;
  }
}

export const passesUsed = (db: Db, subscriptionIds: string[], at: string) =>
  subscriptionIds.map((id) => db.update(subscriptions).set({ last_transfer_date: at, updated_at: sql`${subscriptions.updated_at}` }).where(eq(subscriptions.id, id)));
