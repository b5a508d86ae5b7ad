import { eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { access_rights } from "../access/schema.ts";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import type { Currency } from "../lib/money.ts";
import { tickets } from "../orders/schema.ts";
import { payments, refunds } from "../payments/schema.ts";
import { DIRECT_AUDIENCE, recipientsPerStep, STEP_SECONDS } from "./campaigns.ts";
import type { QueueMessage } from "./messages.ts";
import type { NotificationType } from "./schema.ts";
import { notify, type Outgoing } from "./service.ts";
import { TYPE_RULES } from "./types.ts";

/**
 * Telling the holders of a cancelled event. When an event is cancelled, its
 * EventDO cancels every order and right of it as of the event's
 * `cancelled_at` (src/orders/event-cancellation.ts), and the projection
 * writes them to D1. Everyone affected is told once, in their language, on
 * the type's channels:
 * - a buyer who paid (a payment of one of the event's orders, less what was
 *   refunded before the cancellation): EVENT_CANCELLED_BUYER, with the amount
 *   refunded (the payments domain refunds it through its queue);
 * - someone who held a right through a season pass: EVENT_CANCELLED_PASS (the
 *   pass stays; this event is neither charged nor refunded);
 * - anyone else whose tickets were cancelled (free orders, grants, tickets
 *   received by transfer): EVENT_CANCELLED_HOLDER, nothing was charged to them.
 * Every message is keyed `event-cancelled:{event_id}`: a person gets at most
 * one per channel, however often this runs.
 *
 * A small audience is told in the request that cancels; a bigger one (a
 * stadium) in steps on the notifications queue, each the next people in
 * user-id order, as many as a campaign releases per step (CAMPAIGN_RATES),
 * every STEP_SECONDS.
 */
interface Holder {
  user_id: string;
  paid: number;
  currency: string | null;
  pass: number;
}

type CancelledEvent = Pick<typeof events.$inferSelect, "id" | "title" | "starts_at" | "timezone" | "cancelled_at" | "cancellation_reason">;

/** The next `limit` people affected by the event's cancellation after user id `after`, with what they paid and whether they held a pass right. */
async function holdersAfter(env: Env, event: CancelledEvent, after: string, limit: number): Promise<Holder[]> {
  const at = event.cancelled_at!;
  const r = access_rights;
  const t = tickets;
  const p = payments;
  const f = refunds;
  // Rights and orders the cancellation cancelled carry its instant (or, for a concurrent change, a later one); earlier ones were cancelled before.
  return getDb(env.DB).all<Holder>(sql`
    WITH held AS (
      SELECT ${r.user_id} AS user_id, max(${r.source_type} = 'SUBSCRIPTION') AS pass FROM ${r}
      WHERE ${r.event_id} = ${event.id} AND ${r.status} = 'CANCELLED' AND ${r.updated_at} >= ${at}
      GROUP BY ${r.user_id}
    ),
    ordered AS (
      SELECT DISTINCT ${t.user_id} AS user_id FROM ${t}
      WHERE ${t.event_id} = ${event.id} AND ${t.booking_status} = 'CANCELLED' AND ${t.cancelled_at} >= ${at} AND ${t.confirmed_at} IS NOT NULL AND ${t.user_id} IS NOT NULL
    ),
    paid AS (
      SELECT user_id, sum(due) AS paid, max(currency) AS currency FROM (
        SELECT ${t.user_id} AS user_id, ${p.currency} AS currency,
               ${p.amount} - coalesce((SELECT sum(${f.amount}) FROM ${f} WHERE ${f.payment_id} = ${p.id} AND ${f.status} = 'REFUNDED' AND ${f.refunded_at} < ${at}), 0) AS due
        FROM ${t} JOIN ${p} ON ${p.ticket_id} = ${t.id}
        WHERE ${t.event_id} = ${event.id} AND ${t.user_id} IS NOT NULL AND ${p.type} = 'TICKET' AND ${p.status} IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
      ) WHERE due > 0 GROUP BY user_id
    ),
    everyone AS (SELECT user_id FROM held UNION SELECT user_id FROM ordered UNION SELECT user_id FROM paid)
    SELECT e.user_id AS user_id, coalesce(paid.paid, 0) AS paid, paid.currency AS currency, coalesce(held.pass, 0) AS pass
    FROM everyone e LEFT JOIN held ON held.user_id = e.user_id LEFT JOIN paid ON paid.user_id = e.user_id
    WHERE e.user_id > ${after}
    ORDER BY e.user_id LIMIT ${limit}`);
}

/** One holder's message. */
function messageFor(event: CancelledEvent, holder: Holder): Outgoing {
  const type: NotificationType = holder.paid > 0 ? "EVENT_CANCELLED_BUYER" : holder.pass ? "EVENT_CANCELLED_PASS" : "EVENT_CANCELLED_HOLDER";
  return {
    type,
    key: `event-cancelled:${event.id}`,
    user_id: holder.user_id,
    data: {
      event_id: event.id,
      event_title: event.title,
      starts_at: { at: event.starts_at, time_zone: event.timezone },
      reason: event.cancellation_reason ?? "",
      ...(holder.paid > 0 ? { amount: { amount: holder.paid, currency: holder.currency as Currency } } : {}),
    },
  };
}

/** The notifications domain's handler of the events hook `eventCancelled` (attached in src/hooks.ts, after the orders domain cancelled the rights). */
export async function tellHoldersOfCancelledEvent({ env, event }: { env: Env; event: CancelledEvent & { ticketing_enabled: boolean; event_group_id: string | null } }): Promise<void> {
  if ((!event.ticketing_enabled && !event.event_group_id) || !event.cancelled_at) return; // no EventDO: nobody held anything
  const first = await holdersAfter(env, event, "", DIRECT_AUDIENCE + 1);
  if (first.length === 0) return;
  if (first.length <= DIRECT_AUDIENCE) {
    await notify(env, first.map((holder) => messageFor(event, holder)));
    return;
  }
  await env.NOTIFICATIONS.send({ kind: "event_cancelled", event_id: event.id, after: "" } satisfies QueueMessage);
}

/**
 * One step of telling a big audience (the consumer runs it): the next people
 * after `after`, then the following step STEP_SECONDS later while a full page
 * came back. A repeated step records nothing twice (notify's key). Returns
 * roughly how many subrequests it made.
 */
export async function runEventCancelledStep(env: Env, eventId: string, after: string): Promise<number> {
  const [event] = await getDb(env.DB).select().from(events).where(eq(events.id, eventId)).limit(1);
  if (!event || event.status !== "CANCELLED" || !event.cancelled_at) return 1;
  const channels = TYPE_RULES.EVENT_CANCELLED_HOLDER.channels;
  const page = recipientsPerStep(env, channels);
  const holders = await holdersAfter(env, event, after, page);
  if (holders.length > 0) await notify(env, holders.map((holder) => messageFor(event, holder)));
  if (holders.length === page) {
    await env.NOTIFICATIONS.send({ kind: "event_cancelled", event_id: eventId, after: holders.at(-1)!.user_id } satisfies QueueMessage, { delaySeconds: STEP_SECONDS });
  }
  return 4 + Math.ceil(holders.length / 90) + Math.ceil((holders.length * channels.length) / 100);
}
