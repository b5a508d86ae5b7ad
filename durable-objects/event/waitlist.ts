/**
 * The waiting list of a sold-out ticket configuration. A fan joins with a
 * quantity (one live entry per person and configuration); when units come
 * back (a hold expired or released, an order cancelled or refunded, blocked
 * units released, a grant cancelled, an offer left or lapsed), `settleWaitlist`
 * reserves them for the first in line: an offer of up to the quantity asked,
 * counted in `configs.quantity_held` so nobody else can buy them, valid for
 * the configuration's offer window (default 2 h). The fan takes it by placing
 * an order with the offer's id (`offerForOrder`, then `takeOffer` when the
 * hold is written); an offer not taken lapses (the alarm, or the next
 * decision) and its units go to the next in line.
 *
 * Every function here is synchronous over the object's SQLite, so positions
 * and offers are exact whatever arrives at once: joins are numbered in the
 * order the object decides them, and units are offered in that order, each
 * unit to one entry at a time. An offer is written with a row in
 * `waitlist_notices` in the same step; the alarm hands those to the
 * notifications pipeline (`sendOfferNotices`, WAITLIST_OFFER) and forgets
 * them once recorded there.
 */
import type { Env } from "../../src/env.ts";
import { notify } from "../../src/notifications/service.ts";
import { toTimestamp } from "../../src/lib/time.ts";
import { fail, type Result, type WaitlistEntryView, type WaitlistJoinRequest } from "./contract.ts";
import { sellable } from "./inventory.ts";
import type { Row } from "./sql.ts";
import type { EventStore } from "./store.ts";

/** How long an offer stays open when its configuration says nothing. */
export const DEFAULT_OFFER_SECONDS = 2 * 3600;

/** Joins the configuration's waiting list (or answers the live entry this person already has there: `already`). */
export function joinWaitlist(s: EventStore, req: WaitlistJoinRequest): Result<{ entry: WaitlistEntryView; already: boolean }> {
  const now = req.now ?? Date.now();
  settleWaitlist(s, now);
  const event = s.event();
  if (!event || event.status !== "APPROVED" || event.access_type === "INVITATION") return fail(409, "event_not_on_sale", "This event is not on sale.");
  // A hidden (presale) configuration has no public list: who holds its code buys it while it lasts.
  const config = s.sql`SELECT * FROM configs WHERE id = ${req.config_id} AND is_active = 1 AND presale_only = 0`.toArray()[0];
  if (!config) return fail(404, "config_not_found", "This ticket is not sold for this event.");
  if (now >= Date.parse(event.ends_at) || (config.sales_end && now >= Date.parse(String(config.sales_end)))) return fail(409, "sales_ended", "Sales for this ticket have ended.");
  const live = s.sql`SELECT * FROM waitlist WHERE config_id = ${req.config_id} AND user_id = ${req.user_id} AND status IN ('WAITING', 'OFFERED')`.toArray()[0];
  if (live) return { ok: true, entry: entryView(s, live), already: true };
  if (req.quantity > Number(config.max_per_transaction)) return fail(422, "above_maximum", `Wait for at most ${config.max_per_transaction} ticket(s) of this kind.`);
  if (req.quantity < Number(config.min_purchase)) return fail(422, "below_minimum", `Wait for at least ${config.min_purchase} ticket(s) of this kind.`);
  // The list is for a sold-out configuration: while any unit is on sale to anyone, it is bought, not waited for
  // (units that come back while people wait are offered to them at once, so none stays on sale then).
  const left = sellable(s, config);
  if (left > 0) return fail(409, "waitlist_not_sold_out", `${left} ticket(s) of this kind are on sale: order them instead of waiting.`);
  const at = toTimestamp(now);
  const row = s.sql`
    INSERT INTO waitlist (id, seq, config_id, user_id, quantity, status, created_at, updated_at)
    VALUES (${req.entry_id}, (SELECT coalesce(max(seq), 0) + 1 FROM waitlist), ${req.config_id}, ${req.user_id}, ${req.quantity}, 'WAITING', ${at}, ${at})
    RETURNING *`.one();
  return { ok: true, entry: entryView(s, row), already: false };
}

/** Leaves the list: a waiting entry is dropped, an open offer given up (its units go to the next in line). */
export function leaveWaitlist(s: EventStore, configId: string, userId: string, now: number): Result<{ entry: WaitlistEntryView }> {
  settleWaitlist(s, now);
  const entry = s.sql`SELECT * FROM waitlist WHERE config_id = ${configId} AND user_id = ${userId} AND status IN ('WAITING', 'OFFERED')`.toArray()[0];
  if (!entry) return fail(404, "waitlist_entry_not_found", "You are not on this ticket's waiting list.");
  s.storage.transactionSync(() => {
    if (entry.status === "OFFERED") releaseOffer(s, entry);
    s.sql`UPDATE waitlist SET status = 'LEFT', updated_at = ${toTimestamp(now)} WHERE id = ${entry.id}`;
  });
  settleWaitlist(s, now);
  return { ok: true, entry: entryView(s, s.sql`SELECT * FROM waitlist WHERE id = ${entry.id}`.one()) };
}

/** The person's live entry on the configuration's list, with their position, or null. */
export function myWaitlistEntry(s: EventStore, configId: string, userId: string, now: number): WaitlistEntryView | null {
  settleWaitlist(s, now);
  const entry = s.sql`SELECT * FROM waitlist WHERE config_id = ${configId} AND user_id = ${userId} AND status IN ('WAITING', 'OFFERED')`.toArray()[0];
  return entry ? entryView(s, entry) : null;
}

/** The configuration's live entries, offers first then the queue, in order (the organizer's view). */
export function listWaitlist(s: EventStore, configId: string, now: number): WaitlistEntryView[] | null {
  settleWaitlist(s, now);
  if (s.sql`SELECT 1 FROM configs WHERE id = ${configId}`.toArray().length === 0) return null;
  const rows = s.sql`SELECT * FROM waitlist WHERE config_id = ${configId} AND status IN ('WAITING', 'OFFERED') ORDER BY status = 'WAITING', seq`.toArray();
  let position = 0;
  return rows.map((row) => entryView(s, row, row.status === "WAITING" ? ++position : null));
}

/**
 * Lapses the offers past their window and offers the units nobody holds to
 * the first in line of each configuration, in order, while there are units
 * and people waiting. Runs after every step that can give units back, and
 * before every step that takes them, so a returned unit is never sold past
 * the queue. Cheap when nobody waits (one indexed read).
 */
export function settleWaitlist(s: EventStore, now: number): void {
  const at = toTimestamp(now);
  const lapsed = s.sql`SELECT * FROM waitlist WHERE status = 'OFFERED' AND offer_expires_at <= ${at}`.toArray();
  const queued = s.sql<{ config_id: string }>`SELECT DISTINCT config_id FROM waitlist WHERE status = 'WAITING'`.toArray();
  if (lapsed.length === 0 && queued.length === 0) return;
  const event = s.event();
  s.storage.transactionSync(() => {
    for (const entry of lapsed) {
      releaseOffer(s, entry);
      s.sql`UPDATE waitlist SET status = 'EXPIRED', updated_at = ${at} WHERE id = ${entry.id}`;
    }
    if (!event || event.status !== "APPROVED" || now >= Date.parse(event.ends_at)) return;
    const configIds = new Set([...queued.map((q) => q.config_id), ...lapsed.map((l) => String(l.config_id))]);
    for (const configId of configIds) offerUnits(s, configId, now);
  });
}

/**
 * Offers the configuration's free units in queue order: first to an open
 * offer smaller than its entry asked (it grows, keeping its window), then to
 * the first waiting entry, up to what it asked.
 */
function offerUnits(s: EventStore, configId: string, now: number): void {
  const at = toTimestamp(now);
  for (;;) {
    const config = s.sql`SELECT * FROM configs WHERE id = ${configId} AND is_active = 1`.toArray()[0];
    // Nothing is offered once the configuration's sales have ended: an offer could not be taken.
    if (!config || (config.sales_end !== null && now >= Date.parse(String(config.sales_end)))) return;
    const free = sellable(s, config);
    if (free <= 0) return;
    const partial = s.sql`SELECT * FROM waitlist WHERE config_id = ${configId} AND status = 'OFFERED' AND offer_quantity < quantity ORDER BY seq LIMIT 1`.toArray()[0];
    if (partial) {
      const more = Math.min(Number(partial.quantity) - Number(partial.offer_quantity), free);
      s.sql`UPDATE configs SET quantity_held = quantity_held + ${more} WHERE id = ${configId}`;
      s.sql`UPDATE waitlist SET offer_quantity = offer_quantity + ${more}, updated_at = ${at} WHERE id = ${partial.id}`;
      s.outbox.enqueue("config", configId);
      continue;
    }
    const head = s.sql`SELECT * FROM waitlist WHERE config_id = ${configId} AND status = 'WAITING' ORDER BY seq LIMIT 1`.toArray()[0];
    if (!head) return;
    const units = Math.min(Number(head.quantity), free);
    const seconds = Number(config.waitlist_offer_seconds ?? DEFAULT_OFFER_SECONDS);
    const expiresAt = toTimestamp(now + seconds * 1000);
    s.sql`UPDATE configs SET quantity_held = quantity_held + ${units} WHERE id = ${configId}`;
    s.sql`UPDATE waitlist SET status = 'OFFERED', offer_quantity = ${units}, offered_at = ${at}, offer_expires_at = ${expiresAt}, updated_at = ${at} WHERE id = ${head.id}`;
    s.sql`INSERT INTO waitlist_notices (entry_id, created_at) VALUES (${head.id}, ${at}) ON CONFLICT DO NOTHING`;
    s.outbox.enqueue("config", configId);
    // The notice leaves with the next alarm; the offer lapses by a later one.
    s.outbox.projectSoon(now);
    s.outbox.wakeBy(Date.parse(expiresAt));
  }
}

/** Gives an open offer's units back to the configuration (inside the caller's step). */
function releaseOffer(s: EventStore, entry: Row): void {
  s.sql`UPDATE configs SET quantity_held = quantity_held - ${entry.offer_quantity} WHERE id = ${entry.config_id}`;
  s.sql`DELETE FROM waitlist_notices WHERE entry_id = ${entry.id}`;
  s.outbox.enqueue("config", String(entry.config_id));
}

/**
 * The hold decision's check of an order placed with an offer: null without
 * one; else the offer's units, which the order's lines of the offer's
 * configuration may take (up to them) even though they count as held.
 * Refused when the offer is not this buyer's, is for a configuration the cart
 * does not buy, is no longer open, or is smaller than what the cart buys of it.
 */
export function offerForOrder(
  s: EventStore,
  req: { waitlist_offer_id?: string | null; user_id: string },
  unitsByConfig: ReadonlyMap<string, number>,
  now: number,
): Result<{ entry_id: string; config_id: string; units: number }> | null {
  if (!req.waitlist_offer_id) return null;
  const entry = s.sql`SELECT * FROM waitlist WHERE id = ${req.waitlist_offer_id} AND user_id = ${req.user_id}`.toArray()[0];
  const quantity = entry ? unitsByConfig.get(String(entry.config_id)) : undefined;
  if (!entry || quantity === undefined) return fail(404, "waitlist_offer_not_found", "No such waiting-list offer of yours for this ticket.");
  if (entry.status === "ORDERED") return fail(409, "waitlist_offer_taken", "This offer was already used for an order.");
  if (entry.status === "WAITING") return fail(409, "waitlist_offer_not_open", "No tickets have been offered to you yet: you are still waiting.");
  if (entry.status !== "OFFERED" || Date.parse(String(entry.offer_expires_at)) <= now) {
    return fail(409, "waitlist_offer_expired", "This offer has expired or was given up; its tickets went to the next person waiting.");
  }
  if (quantity > Number(entry.offer_quantity)) return fail(422, "waitlist_offer_quantity", `This offer is for at most ${entry.offer_quantity} ticket(s).`);
  return { ok: true, entry_id: String(entry.id), config_id: String(entry.config_id), units: Number(entry.offer_quantity) };
}

/** The hold was written: the offer's units leave the reservation (the order now holds what it took; the rest goes to the next in line). */
export function takeOffer(s: EventStore, entryId: string, orderId: string, now: number): void {
  const entry = s.sql`SELECT * FROM waitlist WHERE id = ${entryId} AND status = 'OFFERED'`.one();
  releaseOffer(s, entry);
  s.sql`UPDATE waitlist SET status = 'ORDERED', order_id = ${orderId}, updated_at = ${toTimestamp(now)} WHERE id = ${entryId}`;
}

/** The event was cancelled: open offers give their units back, and nobody waits any more. */
export function closeWaitlist(s: EventStore, now: number): number {
  const live = s.sql`SELECT * FROM waitlist WHERE status IN ('WAITING', 'OFFERED')`.toArray();
  s.storage.transactionSync(() => {
    for (const entry of live) {
      if (entry.status === "OFFERED") releaseOffer(s, entry);
      s.sql`UPDATE waitlist SET status = 'CLOSED', updated_at = ${toTimestamp(now)} WHERE id = ${entry.id}`;
    }
  });
  return live.length;
}

/** When the next open offer lapses (ISO), or null: the alarm wakes for it. */
const nextOfferExpiry = (s: EventStore): string | null =>
  s.sql<{ t: string | null }>`SELECT min(offer_expires_at) AS t FROM waitlist WHERE status = 'OFFERED'`.one().t;

/**
 * Hands the offers made since the last alarm to the notifications pipeline
 * (one WAITLIST_OFFER per offer, keyed by the entry: a retry records nothing
 * twice), then forgets them. An offer given up or lapsed before its notice
 * left is not announced. Returns how many were sent.
 */
async function sendOfferNotices(s: EventStore, env: Env): Promise<number> {
  const rows = s.sql`
    SELECT w.*, c.ticket_type_code FROM waitlist_notices n JOIN waitlist w ON w.id = n.entry_id JOIN configs c ON c.id = w.config_id
    WHERE w.status = 'OFFERED' ORDER BY w.seq LIMIT 100`.toArray();
  const stale = s.sql`SELECT n.entry_id FROM waitlist_notices n JOIN waitlist w ON w.id = n.entry_id WHERE w.status != 'OFFERED'`.toArray();
  for (const row of stale) s.sql`DELETE FROM waitlist_notices WHERE entry_id = ${row.entry_id}`;
  if (rows.length === 0) return 0;
  const event = s.event()!;
  const title = await env.DB.prepare("SELECT title FROM events WHERE id = ?").bind(event.id).first<{ title: string }>();
  await notify(
    env,
    rows.map((row) => ({
      type: "WAITLIST_OFFER" as const,
      key: `waitlist-offer:${String(row.id)}`,
      user_id: String(row.user_id),
      data: {
        event_title: title?.title ?? "",
        event_id: event.id,
        config_id: String(row.config_id),
        ticket_type: String(row.ticket_type_code),
        quantity: Number(row.offer_quantity),
        offer_id: String(row.id),
        expires_at: { at: String(row.offer_expires_at), time_zone: "reader" },
      },
    })),
  );
  for (const row of rows) s.sql`DELETE FROM waitlist_notices WHERE entry_id = ${row.id}`;
  return rows.length;
}

/** Whether offers wait to be announced (the alarm then comes back soon). */
const noticesPending = (s: EventStore): boolean => s.sql`SELECT 1 FROM waitlist_notices LIMIT 1`.toArray().length > 0;

/** The offer window of each configuration, from its setup (null: the default). */
export function configureWaitlist(s: EventStore, configs: { id: string; waitlist_offer_seconds?: number | null }[]): void {
  for (const c of configs) s.sql`UPDATE configs SET waitlist_offer_seconds = ${c.waitlist_offer_seconds ?? null} WHERE id = ${c.id}`;
}

function entryView(s: EventStore, row: Row, position?: number | null): WaitlistEntryView {
  const waiting = row.status === "WAITING";
  return {
    id: String(row.id),
    config_id: String(row.config_id),
    user_id: String(row.user_id),
    quantity: Number(row.quantity),
    status: row.status as WaitlistEntryView["status"],
    position:
      position !== undefined
        ? position
        : waiting
          ? s.sql<{ n: number }>`SELECT count(*) AS n FROM waitlist WHERE config_id = ${row.config_id} AND status = 'WAITING' AND seq <= ${row.seq}`.one().n
          : null,
    offer:
      row.status === "OFFERED" || row.offer_quantity !== null
        ? { quantity: Number(row.offer_quantity), offered_at: String(row.offered_at), expires_at: String(row.offer_expires_at) }
        : null,
    order_id: (row.order_id as string | null) ?? null,
    created_at: String(row.created_at),
  };
}

/**
 * The alarm's part: hands the offers made since to the notifications pipeline (retried in 5 s when that fails, the
 * rest at once when there are more), and wakes for the next offer to lapse.
 */
export async function serveOffers(s: EventStore, env: Env, now: number): Promise<void> {
  try {
    await sendOfferNotices(s, env);
    if (noticesPending(s)) s.outbox.projectSoon(now);
  } catch (error) {
    console.error("EventDO waiting-list notices failed; retrying", error);
    s.outbox.wakeBy(now + 5_000);
  }
  const next = nextOfferExpiry(s);
  if (next) s.outbox.wakeBy(Date.parse(next));
}
