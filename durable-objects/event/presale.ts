/**
 * Presale codes: a hidden (`presale_only`) configuration is shown in the
 * availability and sold only to an order carrying a code that names it, within
 * the code's window, up to the code's quota of tickets. The Worker reads the
 * code from D1 (src/catalog/presale-codes.ts) and sends it with the order; the
 * decision here counts the code's tickets over this event's live orders placed
 * with it (PENDING, CONFIRMED, COMPLETED), in the same synchronous step as the
 * hold, so the quota is exact whatever arrives at once, and a hold that
 * expires or an order cancelled gives its tickets back to the code.
 */
import { fail, type Availability, type PresaleCode } from "./contract.ts";
import type { Row } from "./sql.ts";
import type { EventStore } from "./store.ts";

/**
 * Whether a cart's line of `config` may go on: null, or the refusal (a hidden configuration without its code; a code out
 * of its window, or of other configurations). With a code, every line must be of its configurations. No SQL: it runs
 * once per line, and the quota once per order (`presaleQuotaRefusal`).
 */
export function presaleLineRefusal(config: Row, code: PresaleCode | null | undefined, now: number) {
  if (!code) return Number(config.presale_only) === 1 ? fail(403, "presale_code_required", "These tickets are sold with a presale code only.") : null;
  const refused = codeWindowRefusal(code, now);
  if (refused) return refused;
  if (!code.config_ids.includes(String(config.id))) return fail(422, "presale_code_not_applicable", "This presale code is not for these tickets.");
  return null;
}

/** Whether the code's quota leaves room for the order's `quantity` (all its lines, every one of the code's configurations). */
export function presaleQuotaRefusal(s: EventStore, code: PresaleCode | null | undefined, quantity: number) {
  if (code && code.quota !== null) {
    const used = s.sql<{ n: number | null }>`
      SELECT sum(quantity) AS n FROM orders WHERE presale_code_id = ${code.id} AND booking_status IN ('PENDING', 'CONFIRMED', 'COMPLETED')`.one().n ?? 0;
    if (used + quantity > code.quota) {
      const left = Math.max(0, code.quota - used);
      return fail(409, "presale_code_exhausted", left > 0 ? `This presale code has ${left} ticket(s) left.` : "This presale code has been used up.");
    }
  }
  return null;
}

/** A code before or after its window: the refusal, else null (also what the availability route checks). */
export function codeWindowRefusal(code: Pick<PresaleCode, "valid_from" | "valid_until">, now: number) {
  if (code.valid_from && now < Date.parse(code.valid_from)) return fail(409, "presale_code_not_started", `This presale code opens at ${code.valid_from}.`);
  if (code.valid_until && now >= Date.parse(code.valid_until)) return fail(409, "presale_code_expired", "This presale code has expired.");
  return null;
}

/** The hold was written: it counts against its code's quota. */
export function recordPresale(s: EventStore, orderId: string, code: PresaleCode | null | undefined): void {
  if (code) s.sql`UPDATE orders SET presale_code_id = ${code.id} WHERE id = ${orderId}`;
}

/** Which configurations are hidden, from their setup. */
export function configurePresale(s: EventStore, configs: { id: string; presale_only?: boolean }[]): void {
  for (const c of configs) s.sql`UPDATE configs SET presale_only = ${c.presale_only ? 1 : 0} WHERE id = ${c.id}`;
}

/** The availability without the hidden configurations, except those `unlocked` (a valid code's) names. */
export function visibleAvailability(s: EventStore, availability: Availability, unlocked: readonly string[]): Availability {
  const hidden = new Set(s.sql<{ id: string }>`SELECT id FROM configs WHERE presale_only = 1`.toArray().map((r) => r.id));
  if (hidden.size === 0) return availability;
  return { ...availability, configs: availability.configs.filter((c) => !hidden.has(c.id) || unlocked.includes(c.id)) };
}

/** Tickets a code has sold or holds in this event (the organizer's view). */
export function presaleUses(s: EventStore, codeIds: readonly string[]): Record<string, number> {
  const uses: Record<string, number> = {};
  for (const id of codeIds) {
    uses[id] = s.sql<{ n: number | null }>`SELECT sum(quantity) AS n FROM orders WHERE presale_code_id = ${id} AND booking_status IN ('PENDING', 'CONFIRMED', 'COMPLETED')`.one().n ?? 0;
  }
  return uses;
}
