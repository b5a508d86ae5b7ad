/**
 * Zone upgrades of season passes: one unit held in a configuration of the
 * target zone category until the upgrade is paid, then sold and the pass's
 * right replaced by one in the new zone (the old code dies in the same
 * step), or given back when the hold lapses (the alarm, as for orders). Two
 * upgrades for the last unit of a zone: the first decided holds it, the
 * second is refused `zone_sold_out`.
 */
import { toTimestamp } from "../../src/lib/time.ts";
import { fail, type Result, type RightView } from "./contract.ts";
import { sellable } from "./inventory.ts";
import { insertRight, rightView, validFrom } from "./rights.ts";
import type { Row } from "./sql.ts";
import type { EventStore } from "./store.ts";

export interface UpgradeHoldRequest {
  upgrade_id: string;
  right_id: string;
  user_id: string;
  zone_category: string;
  expires_at: string;
  now?: number;
}

export interface UpgradeHoldView {
  upgrade_id: string;
  right_id: string;
  config_id: string;
  zone_id: string | null;
  status: string;
  expires_at: string;
  new_right_id: string | null;
}

const holdView = (s: EventStore, h: Row): UpgradeHoldView => ({
  upgrade_id: String(h.upgrade_id),
  right_id: String(h.right_id),
  config_id: String(h.config_id),
  zone_id: (s.sql<{ zone_id: string | null }>`SELECT zone_id FROM configs WHERE id = ${h.config_id}`.toArray()[0]?.zone_id as string | null) ?? null,
  status: String(h.status),
  expires_at: String(h.expires_at),
  new_right_id: (h.new_right_id as string | null) ?? null,
});

/** Why this right cannot be upgraded now, or null. */
function rightRefusal(right: Row | undefined, userId: string) {
  if (!right || right.user_id !== userId || right.source_type !== "SUBSCRIPTION") return fail(404, "right_not_found", "This pass holds no right at this match.");
  if (right.status !== "ENABLED" || Number(right.entry_count) > 0) return fail(409, "right_not_upgradable", `This match's right is ${String(right.status).toLowerCase()}${Number(right.entry_count) > 0 ? " and was used" : ""}: it cannot be upgraded.`);
  return null;
}

/** Holds one unit of the target zone category for a pass's right at this match (a repeat returns the first hold). */
export function holdUpgrade(s: EventStore, req: UpgradeHoldRequest): Result<{ hold: UpgradeHoldView }> {
  const { sql } = s;
  const now = req.now ?? Date.now();
  expireUpgradeHolds(s, now);
  const placed = sql`SELECT * FROM upgrade_holds WHERE upgrade_id = ${req.upgrade_id}`.toArray()[0];
  if (placed) return { ok: true, hold: holdView(s, placed) };
  const event = s.event();
  if (!event) return fail(404, "not_configured", "This event has no access control set up.");
  if (event.status === "CANCELLED" || now >= Date.parse(event.ends_at)) return fail(409, "event_closed", "This event is over or cancelled.");
  if (now >= Date.parse(event.starts_at)) return fail(409, "event_started", "This match has started: it can no longer be upgraded.");
  const right = sql`SELECT * FROM rights WHERE id = ${req.right_id}`.toArray()[0];
  const refused = rightRefusal(right, req.user_id);
  if (refused) return refused;
  if (sql`SELECT 1 FROM upgrade_holds WHERE right_id = ${req.right_id} AND status = 'HELD'`.toArray().length > 0) {
    return fail(409, "upgrade_pending", "An upgrade of this match is already waiting for its payment.");
  }
  const configs = sql`SELECT * FROM configs WHERE is_active = 1 AND zone_id IS NOT NULL AND zone_category = ${req.zone_category} ORDER BY price DESC, id`.toArray();
  if (configs.length === 0) return fail(409, "zone_not_sold", `This match sells no places in ${req.zone_category}.`);
  // The unit comes from the configuration with the most left: its own units, within its type's share of the zone.
  const config = configs.map((c) => ({ c, left: sellable(s, c) })).sort((a, b) => b.left - a.left)[0]!;
  if (config.left < 1) return fail(409, "zone_sold_out", `${req.zone_category} is sold out for this match.`);
  const at = toTimestamp(now);
  s.storage.transactionSync(() => {
    sql`UPDATE configs SET quantity_held = quantity_held + 1 WHERE id = ${config.c.id}`;
    sql`INSERT INTO upgrade_holds (upgrade_id, right_id, config_id, user_id, status, expires_at, created_at, updated_at)
        VALUES (${req.upgrade_id}, ${req.right_id}, ${config.c.id}, ${req.user_id}, 'HELD', ${req.expires_at}, ${at}, ${at})`;
    s.outbox.enqueue("config", String(config.c.id));
  });
  s.outbox.projectSoon(now);
  s.outbox.wakeBy(Date.parse(req.expires_at));
  return { ok: true, hold: holdView(s, sql`SELECT * FROM upgrade_holds WHERE upgrade_id = ${req.upgrade_id}`.one()) };
}

/**
 * The upgrade is paid: its unit is sold, the pass's old right CANCELLED (its
 * code dies) and a new right issued in the target zone, in one step; once
 * only (a repeat returns the new right). A hold that lapsed is taken again if
 * the zone still has a unit; otherwise `hold_expired_sold_out` (refunded).
 */
export function applyUpgrade(s: EventStore, upgradeId: string, by: string | null, now: number): Result<{ right: RightView; already_applied: boolean }> {
  const { sql } = s;
  expireUpgradeHolds(s, now);
  const hold = sql`SELECT * FROM upgrade_holds WHERE upgrade_id = ${upgradeId}`.toArray()[0];
  if (!hold) return fail(404, "upgrade_not_found", "No such upgrade at this match.");
  if (hold.status === "APPLIED") return { ok: true, right: rightView(s, sql`SELECT * FROM rights WHERE id = ${hold.new_right_id}`.one()), already_applied: true };
  const event = s.event()!;
  if (event.status === "CANCELLED" || now >= Date.parse(event.ends_at)) return fail(409, "event_closed", "This event is over or cancelled.");
  const right = sql`SELECT * FROM rights WHERE id = ${hold.right_id}`.toArray()[0];
  const refused = rightRefusal(right, String(hold.user_id));
  const config = sql`SELECT * FROM configs WHERE id = ${hold.config_id}`.one();
  if (refused) {
    releaseUpgrade(s, upgradeId, now);
    return refused;
  }
  const held = hold.status === "HELD";
  if (!held && sellable(s, config) < 1) return fail(409, "hold_expired_sold_out", "The upgrade's hold expired and the zone sold out meanwhile: the payment is refunded.");
  const at = toTimestamp(now);
  let newId = "";
  s.storage.transactionSync(() => {
    if (held) sql`UPDATE configs SET quantity_held = quantity_held - 1, quantity_sold = quantity_sold + 1 WHERE id = ${config.id}`;
    else sql`UPDATE configs SET quantity_sold = quantity_sold + 1 WHERE id = ${config.id}`;
    s.outbox.enqueue("config", String(config.id));
    sql`UPDATE rights SET status = 'CANCELLED', updated_at = ${at} WHERE id = ${right!.id}`;
    s.outbox.enqueue("right", String(right!.id));
    // A right already upgraded once took a unit of its own: it goes back on sale.
    if (right!.config_id !== null && right!.order_id === null) {
      sql`UPDATE configs SET quantity_sold = quantity_sold - 1 WHERE id = ${right!.config_id}`;
      s.outbox.enqueue("config", String(right!.config_id));
    }
    s.outbox.logTransaction({ right_id: String(right!.id), type: "CANCEL", from_user: String(right!.user_id), to_user: null, by, reason: `zone upgrade to ${String(config.zone_category)}`, at });
    newId = insertRight(s, {
      order_id: null,
      config_id: String(config.id),
      user_id: String(right!.user_id),
      zone_id: (config.zone_id as string | null) ?? null,
      seat_id: null,
      source_type: String(right!.source_type),
      source_id: String(right!.source_id),
      valid_from: validFrom(event),
      valid_until: event.ends_at,
      created_by: by,
      at,
      price: 0,
      currency: event.currency,
    });
    sql`UPDATE upgrade_holds SET status = 'APPLIED', new_right_id = ${newId}, updated_at = ${at} WHERE upgrade_id = ${upgradeId}`;
  });
  s.outbox.projectSoon(now);
  return { ok: true, right: rightView(s, sql`SELECT * FROM rights WHERE id = ${newId}`.one()), already_applied: false };
}

/** Gives a HELD unit back (a sibling match of a season upgrade was refused); anything else is left as it is. */
export function releaseUpgrade(s: EventStore, upgradeId: string, now: number): { released: boolean } {
  const hold = s.sql`SELECT * FROM upgrade_holds WHERE upgrade_id = ${upgradeId} AND status = 'HELD'`.toArray()[0];
  if (!hold) return { released: false };
  settle(s, [hold], "RELEASED", now);
  return { released: true };
}

/** Returns the units of upgrade holds past their expiry (with the orders' holds, before decisions and on the alarm). */
export function expireUpgradeHolds(s: EventStore, now: number): void {
  const due = s.sql`SELECT * FROM upgrade_holds WHERE status = 'HELD' AND expires_at <= ${toTimestamp(now)}`.toArray();
  if (due.length > 0) settle(s, due, "EXPIRED", now);
}

function settle(s: EventStore, holds: Row[], status: "EXPIRED" | "RELEASED", now: number) {
  const at = toTimestamp(now);
  s.storage.transactionSync(() => {
    for (const hold of holds) {
      s.sql`UPDATE configs SET quantity_held = quantity_held - 1 WHERE id = ${hold.config_id}`;
      s.sql`UPDATE upgrade_holds SET status = ${status}, updated_at = ${at} WHERE upgrade_id = ${hold.upgrade_id}`;
      s.outbox.enqueue("config", String(hold.config_id));
    }
  });
  s.outbox.projectSoon(now);
}

/** When the next upgrade hold lapses (ISO), or null. */
export const nextUpgradeExpiry = (s: EventStore): string | null =>
  s.sql<{ t: string | null }>`SELECT min(expires_at) AS t FROM upgrade_holds WHERE status = 'HELD'`.one().t;
