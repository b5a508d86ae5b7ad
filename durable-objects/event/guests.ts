/**
 * Guest tickets of season passes (the plan's `benefits.guest_tickets`): the
 * holder of a pass right at this match issues up to that many guest rights
 * here, each taking one unit of a configuration in the holder's zone (counted
 * against inventory like any sale), decided in one synchronous step so that
 * concurrent requests never pass the limit or the zone's units.
 */
import { toTimestamp } from "../../src/lib/time.ts";
import { fail, type Result, type RightView } from "./contract.ts";
import { sellable } from "./inventory.ts";
import { insertRight, rightView, validFrom } from "./rights.ts";
import type { EventStore } from "./store.ts";

export interface GuestRightRequest {
  /** This guest right's id (a repeat returns the right already issued). */
  guest_id: string;
  subscription_id: string;
  holder_id: string;
  guest_user_id: string;
  /** The plan's guest tickets per match. */
  limit: number;
  created_by: string;
  now?: number;
}

/** The source of a pass's guest right: `guest:<pass>:<guest>`, so that a pass's guests at a match are one prefix. */
export const guestSource = (subscriptionId: string, guestId: string) => `guest:${subscriptionId}:${guestId}`;

export function issueGuestRight(s: EventStore, req: GuestRightRequest): Result<{ right: RightView; guests_used: number; already_issued: boolean }> {
  const { sql } = s;
  const now = req.now ?? Date.now();
  const prefix = `guest:${req.subscription_id}:`;
  const used = () => sql<{ n: number }>`SELECT count(*) AS n FROM rights WHERE source_type = 'COMP' AND substr(source_id, 1, ${prefix.length}) = ${prefix} AND status <> 'CANCELLED'`.one().n;
  const existing = sql`SELECT * FROM rights WHERE source_type = 'COMP' AND source_id = ${guestSource(req.subscription_id, req.guest_id)}`.toArray()[0];
  if (existing) return { ok: true, right: rightView(s, existing), guests_used: used(), already_issued: true };
  const event = s.event();
  if (!event) return fail(404, "not_configured", "This event has no access control set up.");
  if (event.status === "CANCELLED" || now >= Date.parse(event.ends_at)) return fail(409, "event_closed", "This event is over or cancelled.");
  const own = sql`SELECT * FROM rights WHERE source_type = 'SUBSCRIPTION' AND source_id = ${req.subscription_id} AND user_id = ${req.holder_id} AND status IN ('ENABLED', 'USED') ORDER BY created_at DESC LIMIT 1`.toArray()[0];
  if (!own) return fail(404, "right_not_found", "This pass holds no live right at this match.");
  if (used() >= req.limit) return fail(409, "guest_limit_reached", `This pass brings at most ${req.limit} guest(s) per match.`);
  const configs = sql`SELECT * FROM configs WHERE is_active = 1 AND zone_id = ${own.zone_id} ORDER BY price, id`.toArray();
  if (configs.length === 0) return fail(409, "zone_not_sold", "This match sells no places in the pass's zone.");
  const best = configs.map((c) => ({ c, left: sellable(s, c) })).sort((a, b) => b.left - a.left)[0]!;
  if (best.left < 1) return fail(409, "zone_sold_out", "The pass's zone is sold out for this match.");
  const at = toTimestamp(now);
  let id = "";
  s.storage.transactionSync(() => {
    sql`UPDATE configs SET quantity_sold = quantity_sold + 1 WHERE id = ${best.c.id}`;
    s.outbox.enqueue("config", String(best.c.id));
    id = insertRight(s, {
      order_id: null,
      config_id: String(best.c.id),
      user_id: req.guest_user_id,
      zone_id: (best.c.zone_id as string | null) ?? null,
      seat_id: null,
      source_type: "COMP",
      source_id: guestSource(req.subscription_id, req.guest_id),
      valid_from: validFrom(event),
      valid_until: event.ends_at,
      created_by: req.created_by,
      at,
      price: 0,
      currency: event.currency,
    });
  });
  s.outbox.projectSoon(now);
  return { ok: true, right: rightView(s, sql`SELECT * FROM rights WHERE id = ${id}`.one()), guests_used: used(), already_issued: false };
}
