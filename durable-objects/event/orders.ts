/**
 * Ticket inventory and orders: the hold decision (`decideHold`), its
 * confirmation into sold units and rights (`confirmOrder`), cancellation and
 * release, and expiry. Each reads and writes the object's SQLite
 * synchronously, with no await between the check and the write; the
 * `configs` CHECK restates invariant 1 underneath.
 */
import { buyerFlags, nextUnitPrice, priceCart, promoCodeRefusal, readsBuyer, type CartQuote, type ZoneCategory } from "../../src/catalog/pricing.ts";
import { bookingWindowRefusal, INVITATION_ONLY } from "../../src/catalog/sale-rules.ts";
import type { Currency } from "../../src/lib/money.ts";
import { toTimestamp } from "../../src/lib/time.ts";
import { BUYER_FACTS_REQUIRED, fail, type Availability, type ConfirmRequest, type OrderLineView, type OrderRequest, type OrderView, type Result, type RightView } from "./contract.ts";
import { sellable, unitsAvailable, zoneShareCheck } from "./inventory.ts";
import { cancelOrderRights, insertRight, listRights, usedRights, validFrom } from "./rights.ts";
import { chooseSeats, releaseOrderSeats, seatsFree, setSeats } from "./seats.ts";
import type { Row } from "./sql.ts";
import type { EventRow, EventStore } from "./store.ts";
import { closeWaitlist, offerForOrder, settleWaitlist, takeOffer } from "./waitlist.ts";
import { presaleLineRefusal, presaleQuotaRefusal, recordPresale } from "./presale.ts";
import { giveOrderAttendees, recordOrderAttendees } from "./attendees.ts";
import { expireUpgradeHolds, nextUpgradeExpiry } from "./upgrades.ts";

export type HoldResult = Result<{ order: OrderView; replayed?: true }>;

/**
 * What guests (anonymous orders) may hold at once in one event, in units of
 * live (PENDING) holds: per IP, per email, and all guests together as a
 * share of the event's sellable units (basis points). One robot with invented
 * emails then holds a handful of tickets, not an allocation; signed-in buyers
 * are held to their per-person caps instead.
 */
export const GUEST_HOLD_LIMITS = { per_ip: 6, per_email: 6, event_share_bp: 2_500 } as const;

export function availability(s: EventStore, now: number): Availability {
  expireHolds(s, now);
  const event = s.event();
  const onSaleStatus = event?.status === "APPROVED";
  const configs = s.sql`SELECT * FROM configs WHERE is_active = 1 ORDER BY price`.toArray().map((c) => {
    // What a buyer can get: the configuration's units, within its ticket type's share of its zone.
    const available = sellable(s, c);
    const tiers = c.price_tiers ? (JSON.parse(String(c.price_tiers)) as NonNullable<Availability["configs"][number]["price_tiers"]>) : null;
    const dynamic = Boolean(Number(c.dynamic_pricing)) && tiers !== null && tiers.length > 0;
    // The next unit's price, as an order placed now would be priced before rules (decideHold counts held and sold units the same way).
    const next = nextUnitPrice({ price: Number(c.price), dynamic_pricing: dynamic, price_tiers: tiers }, Number(c.quantity_held) + Number(c.quantity_sold));
    return {
      id: String(c.id),
      ticket_type_id: String(c.ticket_type_id),
      ticket_type_code: String(c.ticket_type_code),
      price: next.unit_price,
      price_label: next.label,
      base_price: Number(c.price),
      price_tiers: dynamic ? tiers : null,
      currency: String(c.currency),
      available,
      sellable: Number(c.quantity_total) - Number(c.quantity_blocked),
      held: Number(c.quantity_held),
      sold: Number(c.quantity_sold),
      on_sale: onSaleStatus && event!.access_type !== "INVITATION" && salesOpen(c, event!, now) === null && available > 0,
    };
  });
  return { event_id: event?.id ?? "", access_type: event?.access_type ?? "FREE", status: event?.status ?? "", configs };
}

/** A cart's line with its configuration row, and the units of that configuration in the lines before it. */
interface CartLine {
  index: number;
  config: Row;
  quantity: number;
  seat_ids: string[];
  units_before: number;
}

/**
 * The hold decision for a cart, inside a group-commit pass's transaction:
 * checks the sales window, the limits, membership and availability of every
 * line, prices the lines together and writes the hold: all of it, or nothing
 * (every check runs before the first write). Lines of one configuration
 * count together against its limits and units, and lines of one ticket type
 * and zone against the type's share of the zone. A write that throws takes
 * the whole pass back.
 */
export function decideHold(s: EventStore, req: OrderRequest): HoldResult {
  const { sql } = s;
  const now = req.now ?? Date.now();
  expireHolds(s, now);
  if (req.request_hash) {
    // A retry (same key, so the same id) gets its order as it is now, whatever has sold since.
    const placed = sql`SELECT user_id, request_hash FROM orders WHERE id = ${req.order_id}`.toArray()[0];
    if (placed?.user_id === req.user_id && placed.request_hash === req.request_hash) return { ok: true, order: orderView(s, req.order_id)!, replayed: true };
    if (placed) return fail(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request.");
  }
  const event = s.event();
  if (!event) return fail(404, "not_on_sale", "This event has no tickets on sale.");
  if (event.status !== "APPROVED") return fail(409, "event_not_on_sale", "This event is not on sale.");
  if (event.access_type === "INVITATION") return fail(INVITATION_ONLY.status, INVITATION_ONLY.code, INVITATION_ONLY.detail);
  if (req.lines.length === 0) return fail(422, "validation_failed", "An order has at least one line.");
  // A refusal names its line when the cart has several.
  const several = req.lines.length > 1;
  const onLine = (index: number, refusal: ReturnType<typeof fail>) => (several ? fail(refusal.problem.status, refusal.problem.code, `lines[${index}]: ${refusal.problem.detail}`) : refusal);

  const totalQuantity = req.lines.reduce((sum, l) => sum + l.quantity, 0);
  const lines: CartLine[] = [];
  const byConfig = new Map<string, { config: Row; quantity: number; first: number }>();
  for (const [index, line] of req.lines.entries()) {
    const config = byConfig.get(line.config_id)?.config ?? sql`SELECT * FROM configs WHERE id = ${line.config_id} AND is_active = 1`.toArray()[0];
    if (!config) return onLine(index, fail(404, "config_not_found", "This ticket is not sold for this event."));
    const closed = salesOpen(config, event, now);
    if (closed) return onLine(index, closed);
    // A hidden configuration is sold only with its presale code; with a code, every line is of its configurations
    // (its quota counts the order's units).
    const presale = presaleLineRefusal(config, req.presale, now);
    if (presale) return onLine(index, presale);
    const seen = byConfig.get(line.config_id);
    lines.push({ index, config, quantity: line.quantity, seat_ids: line.seat_ids ?? [], units_before: seen?.quantity ?? 0 });
    byConfig.set(line.config_id, { config, quantity: (seen?.quantity ?? 0) + line.quantity, first: seen?.first ?? index });
  }
  if (lines.some((l) => l.config.currency !== lines[0]!.config.currency)) {
    return fail(422, "cart_mixed_currencies", "The lines of one order are paid in one currency.");
  }
  const quota = presaleQuotaRefusal(s, req.presale, totalQuantity);
  if (quota) return quota;
  const banned = buyerBanned(s, req, now);
  if (banned === "facts_required") return fail(409, BUYER_FACTS_REQUIRED, "This order needs the buyer's contact.");
  if (banned) return fail(403, "blacklisted", "You may not buy tickets for this event.");

  const needsFacts = req.rules.some(readsBuyer) || [...byConfig.values()].some(({ config }) => membersOnly(config, now));
  if (!req.buyer && needsFacts) return fail(409, BUYER_FACTS_REQUIRED, "This order needs the buyer's groups and age.");
  const groups = req.buyer?.groups ?? [];
  // An order placed with a waiting-list offer takes the units the offer reserved for its configuration (already counted
  // as held, and in the zone's share); its other lines are checked as usual.
  const offer = offerForOrder(s, req, new Map([...byConfig].map(([id, c]) => [id, c.quantity])), now);
  if (offer && !offer.ok) return offer;
  const shares = new Map<string, { config: Row; quantity: number; first: number }>();
  for (const { config, quantity, first } of byConfig.values()) {
    if (quantity < Number(config.min_purchase)) return onLine(first, fail(422, "below_minimum", `Buy at least ${config.min_purchase} ticket(s) of this kind.`));
    if (quantity > Number(config.max_per_transaction)) {
      return onLine(first, fail(422, "above_maximum", `Buy at most ${config.max_per_transaction} ticket(s) of this kind at once.`));
    }
    const isMember = config.membership_group_id ? groups.some((g) => g.id === config.membership_group_id) : groups.length > 0;
    if (Number(config.requires_membership) && !isMember) return onLine(first, fail(403, "membership_required", "These tickets are for members only."));
    if (membersOnly(config, now) && !isMember) return onLine(first, fail(403, "members_only_period", `Members only until ${config.member_only_until}.`));
    if (config.max_purchase !== null) {
      const owned = sql<{ units: number }>`SELECT units FROM buyer_units WHERE user_id = ${req.user_id} AND config_id = ${config.id}`.toArray()[0]?.units ?? 0;
      if (owned + quantity > Number(config.max_purchase)) {
        return onLine(first, fail(409, "purchase_limit", `At most ${config.max_purchase} ticket(s) of this kind per person; you already have ${owned}.`));
      }
    }
    if (offer?.config_id === config.id) continue;
    const available = unitsAvailable(config);
    if (quantity > available) return onLine(first, fail(409, "sold_out", available > 0 ? `Only ${available} left.` : "Sold out."));
    const key = `${config.ticket_type_id}|${config.zone_id}`;
    const share = shares.get(key);
    shares.set(key, { config, quantity: (share?.quantity ?? 0) + quantity, first: share?.first ?? first });
  }
  for (const { config, quantity, first } of shares.values()) {
    const overShare = zoneShareCheck(s, config, quantity);
    if (overShare) return onLine(first, overShare);
  }
  if (req.is_guest) {
    const refused = guestHoldRefusal(s, req, totalQuantity);
    if (refused) return refused;
  }

  const seats = chooseSeats(s, lines.map((l) => ({ index: l.index, zone_id: (l.config.zone_id as string | null) ?? null, quantity: l.quantity, seat_ids: l.seat_ids })), several);
  if (!seats.ok) return seats;

  const quote = priceHold(s, lines, event, req, now);
  if (!quote.ok) return quote;

  const at = toTimestamp(now);
  // A group rule may give the buyer longer to pay than the usual hold (its payment_deadline).
  const holdSeconds = quote.payment_deadline_hours ? quote.payment_deadline_hours * 3600 : event.hold_ttl_seconds;
  const expiresAt = toTimestamp(now + holdSeconds * 1000);
  const head = lines[0]!;
  if (offer) takeOffer(s, offer.entry_id, req.order_id, now);
  const placed = sql`
    INSERT INTO orders (id, ticket_number, config_id, user_id, quantity, unit_price, gross, discount, total, currency, pricing_rule_id, applied_rules,
      booking_status, expires_at, channel, is_guest, guest_email, guest_phone, purchase_ip, request_hash, created_at, updated_at)
    VALUES (${req.order_id}, ${req.ticket_number}, ${head.config.id}, ${req.user_id}, ${totalQuantity}, ${quote.lines[0]!.unit_price}, ${quote.gross}, ${quote.discount}, ${quote.total},
      ${head.config.currency}, ${quote.applied[0]?.id ?? null}, ${JSON.stringify(quote.applied)}, 'PENDING', ${expiresAt}, ${req.channel}, ${req.is_guest ? 1 : 0},
      ${req.guest_email}, ${req.guest_phone}, ${req.ip}, ${req.request_hash ?? null}, ${at}, ${at})
    RETURNING *`.one();
  const views: OrderLineView[] = [];
  for (const [i, line] of lines.entries()) {
    const priced = quote.lines[i]!;
    sql`INSERT INTO order_lines (order_id, line_no, config_id, quantity, unit_price, gross, discount, total, seat_ids)
        VALUES (${req.order_id}, ${i}, ${line.config.id}, ${line.quantity}, ${priced.unit_price}, ${priced.gross}, ${priced.discount}, ${priced.total}, ${JSON.stringify(seats.seats[i])})`;
    views.push({ config_id: String(line.config.id), ticket_type_id: String(line.config.ticket_type_id), quantity: line.quantity, unit_price: priced.unit_price, gross: priced.gross, discount: priced.discount, total: priced.total, seat_ids: seats.seats[i]! });
  }
  setSeats(s, seats.seats.flat(), "HELD", req.order_id);
  for (const { config, quantity } of byConfig.values()) {
    sql`UPDATE configs SET quantity_held = quantity_held + ${quantity} WHERE id = ${config.id}`;
    addBuyerUnits(s, req.user_id, String(config.id), quantity);
    s.outbox.enqueue("config", String(config.id));
  }
  recordPresale(s, req.order_id, req.presale);
  recordOrderAttendees(s, req.order_id, req.attendees);
  for (const rule of quote.applied) addRuleUse(s, rule.id, req.user_id);
  s.outbox.enqueue("order", req.order_id);
  // The view from the rows just written (RETURNING), not read again.
  return { ok: true, order: orderView(s, req.order_id, { ...placed, ticket_type_id: String(head.config.ticket_type_id) }, views)! };
}

/** Whether only members may buy the configuration now (always, or until its member-only date). */
const membersOnly = (config: Row, now: number) =>
  Number(config.requires_membership) === 1 || (config.member_only_until !== null && now < Date.parse(String(config.member_only_until)));

/**
 * Whether the event's blacklist (the entries the Worker pushed: this event's,
 * its venue's, its organizer's and global ones) bans the buyer now: their
 * account (USER, and EMAIL or PHONE entries resolved to accounts at the
 * push), their IP, a guest's email and phone, and a signed-in buyer's email
 * and phone as read with their facts, which an event with EMAIL or PHONE
 * entries asks for (an account made or changed since the push is not in
 * the resolved entries).
 */
function buyerBanned(s: EventStore, req: OrderRequest, now: number): boolean | "facts_required" {
  const when = toTimestamp(now);
  const keys: [string, string | null | undefined][] = [
    ["USER", req.user_id],
    ["IP", req.ip],
    ["EMAIL", req.guest_email],
    ["PHONE", req.guest_phone],
    ["EMAIL", req.buyer?.email],
    ["PHONE", req.buyer?.phone],
  ];
  for (const [type, identifier] of keys) {
    if (!identifier) continue;
    const hit = s.sql`SELECT 1 FROM blacklist WHERE type = ${type} AND identifier = ${identifier} AND starts_at <= ${when} AND (ends_at IS NULL OR ends_at > ${when}) LIMIT 1`.toArray();
    if (hit.length > 0) return true;
  }
  if (!req.is_guest && !req.buyer && s.sql`SELECT 1 FROM blacklist WHERE type IN ('EMAIL', 'PHONE') LIMIT 1`.toArray().length > 0) return "facts_required";
  return false;
}

/** A guest order that would take guests' live holds past GUEST_HOLD_LIMITS (expired holds were released just before). */
function guestHoldRefusal(s: EventStore, req: OrderRequest, quantity: number) {
  const { sql } = s;
  const refuse = (detail: string) => fail(409, "guest_hold_limit", `${detail} Sign in to order, or pay for the tickets already held.`);
  const held = (units: number | null) => Number(units ?? 0);
  if (req.ip !== null) {
    const byIp = held(sql<{ n: number | null }>`SELECT sum(quantity) AS n FROM orders WHERE purchase_ip = ${req.ip} AND is_guest = 1 AND booking_status = 'PENDING'`.one().n);
    if (byIp + quantity > GUEST_HOLD_LIMITS.per_ip) return refuse(`Guest orders from this network already hold ${byIp} ticket(s) for this event; at most ${GUEST_HOLD_LIMITS.per_ip} at once.`);
  }
  if (req.guest_email !== null) {
    const byEmail = held(sql<{ n: number | null }>`SELECT sum(quantity) AS n FROM orders WHERE guest_email = ${req.guest_email} AND is_guest = 1 AND booking_status = 'PENDING'`.one().n);
    if (byEmail + quantity > GUEST_HOLD_LIMITS.per_email) return refuse(`Guest orders for this email address already hold ${byEmail} ticket(s) for this event; at most ${GUEST_HOLD_LIMITS.per_email} at once.`);
  }
  const sellable = held(sql<{ n: number | null }>`SELECT sum(quantity_total - quantity_blocked) AS n FROM configs WHERE is_active = 1`.one().n);
  const cap = Math.ceil((sellable * GUEST_HOLD_LIMITS.event_share_bp) / 10_000);
  const byGuests = held(sql<{ n: number | null }>`SELECT sum(quantity) AS n FROM orders WHERE is_guest = 1 AND booking_status = 'PENDING'`.one().n);
  if (byGuests + quantity > cap) return refuse(`Guest orders already hold ${byGuests} ticket(s) for this event, the most guests may hold at once.`);
  return null;
}

/**
 * Prices a hold's lines together with the one pricing function
 * (src/catalog/pricing.ts `priceCart`): each line's tiers from the units of
 * its configuration already committed (sold + held, and the cart's earlier
 * lines of it), then the rules across the lines. A rule's total use is its
 * use elsewhere (as D1 knew it) plus its holds and sales here, counted in
 * `rule_uses`.
 */
function priceHold(s: EventStore, lines: CartLine[], event: EventRow, req: OrderRequest, now: number): Result<Omit<CartQuote, "rejected">> {
  // No facts only when no rule reads them (decideHold asks for them otherwise).
  const { groups, age } = req.buyer ?? { groups: [], age: null };
  const counts = new Map(
    req.rules.map((rule) => [
      rule.id,
      {
        event_total: s.sql<{ n: number | null }>`SELECT sum(uses) AS n FROM rule_uses WHERE rule_id = ${rule.id}`.one().n ?? 0,
        event_user: s.sql<{ uses: number }>`SELECT uses FROM rule_uses WHERE rule_id = ${rule.id} AND user_id = ${req.user_id}`.toArray()[0]?.uses ?? 0,
      },
    ]),
  );
  const rules = req.rules.map((rule) => ({ ...rule, usage_count: rule.usage_count + (counts.get(rule.id)?.event_total ?? 0) }));
  const quote = priceCart({
    lines: lines.map(({ config, quantity, units_before }) => ({
      config: {
        price: Number(config.price),
        currency: String(config.currency) as Currency,
        dynamic_pricing: Boolean(Number(config.dynamic_pricing)),
        price_tiers: config.price_tiers ? JSON.parse(String(config.price_tiers)) : null,
        early_bird_end: (config.early_bird_end as string | null) ?? null,
        ticket_type_code: String(config.ticket_type_code),
        zone_category: String(config.zone_category) as ZoneCategory,
      },
      quantity,
      units_sold: Number(config.quantity_held) + Number(config.quantity_sold) + units_before,
    })),
    order: {
      now: new Date(now).toISOString(),
      event_start: event.starts_at,
      event_id: event.id,
      event_group_id: event.event_group_id,
      event_tags: event.tags,
      promo_code: req.promo_code,
    },
    buyer: {
      user_groups: groups.map((g) => ({ code: g.code, member_since: g.member_since })),
      age,
      ...buyerFlags(age, groups.map((g) => g.code)),
      rule_usage: Object.fromEntries(req.rules.map((rule) => [rule.id, counts.get(rule.id)!.event_user + (rule.user_uses_elsewhere ?? 0)])),
    },
    rules,
  });
  const refused = promoCodeRefusal(quote, rules, req.promo_code);
  if (refused) return fail(refused.status, refused.code, refused.detail);
  const { rejected: _rejected, ...priced } = quote;
  return { ok: true, ...priced };
}

export function getOrder(s: EventStore, orderId: string, now: number): OrderView | null {
  expireHolds(s, now);
  return orderView(s, orderId);
}

/**
 * Turns a hold into sold units and issues one access right per unit,
 * exactly once: a second confirmation returns the rights of the first. A
 * payment that arrives after its hold expired still confirms when the units
 * are available again; otherwise the caller must refund.
 */
export function confirmOrder(s: EventStore, req: ConfirmRequest): Result<{ order: OrderView; rights: RightView[]; already_confirmed: boolean }> {
  const { sql } = s;
  const now = req.now ?? Date.now();
  expireHolds(s, now);
  const order = sql`SELECT * FROM orders WHERE id = ${req.order_id}`.toArray()[0];
  if (!order) return fail(404, "order_not_found", "Order not found.");
  if (order.booking_status === "CONFIRMED" || order.booking_status === "COMPLETED") {
    return { ok: true, order: orderView(s, req.order_id)!, rights: listRights(s, { order_id: req.order_id }), already_confirmed: true };
  }
  if (order.booking_status === "CANCELLED") return fail(409, "order_cancelled", "This order was cancelled.");
  const event = s.event()!;
  // Paid after the event was cancelled: nothing to issue; the payment is refunded.
  if (event.status === "CANCELLED") return fail(409, "event_cancelled", "This event was cancelled.");
  const lines = orderLines(s, req.order_id);
  const configs = new Map(lines.map((l) => [l.config_id, sql`SELECT * FROM configs WHERE id = ${l.config_id}`.one()]));
  const seatIds = lines.flatMap((l) => l.seat_ids);
  if (order.booking_status === "EXPIRED") {
    // Its units (and seats) went back on sale: taken again only if all are still there, and within the types' shares of their zones.
    const gone = [...unitsByConfig(lines)].some(([configId, quantity]) => {
      const config = configs.get(configId)!;
      return unitsAvailable(config) < quantity || zoneShareCheck(s, config, quantity) !== null;
    });
    if (gone || !seatsFree(s, seatIds, req.order_id)) {
      return fail(409, "hold_expired_sold_out", "The hold expired and the tickets were sold to others; the payment must be refunded.");
    }
  }
  const at = toTimestamp(now);
  const from = validFrom(event);
  s.storage.transactionSync(() => {
    for (const [configId, quantity] of unitsByConfig(lines)) {
      if (order.booking_status === "PENDING") {
        sql`UPDATE configs SET quantity_held = quantity_held - ${quantity}, quantity_sold = quantity_sold + ${quantity} WHERE id = ${configId}`;
      } else {
        // Expired hold paid late: take the units again and count them for the buyer.
        sql`UPDATE configs SET quantity_sold = quantity_sold + ${quantity} WHERE id = ${configId}`;
        addBuyerUnits(s, String(order.user_id), configId, quantity);
      }
      s.outbox.enqueue("config", configId);
    }
    if (order.booking_status !== "PENDING") {
      for (const rule of JSON.parse(String(order.applied_rules)) as { id: string }[]) addRuleUse(s, rule.id, String(order.user_id));
    }
    sql`UPDATE orders SET booking_status = 'CONFIRMED', payment_status = 'PAID', payment_id = ${req.payment_id}, confirmed_at = ${at}, updated_at = ${at}, expires_at = NULL
        WHERE id = ${req.order_id}`;
    setSeats(s, seatIds, "SOLD", req.order_id);
    for (const line of lines) {
      const config = configs.get(line.config_id)!;
      for (let i = 0; i < line.quantity; i++) {
        insertRight(s, {
          order_id: String(order.id),
          config_id: line.config_id,
          user_id: String(order.user_id),
          zone_id: (config.zone_id as string | null) ?? null,
          seat_id: line.seat_ids[i] ?? null,
          source_type: "TICKET",
          source_id: String(order.id),
          valid_from: from,
          valid_until: event.ends_at,
          created_by: req.confirmed_by,
          at,
          price: line.unit_price,
          currency: String(order.currency),
        });
      }
    }
    s.outbox.enqueue("order", String(order.id));
    // Attendees named with the order go to its rights as they are issued.
    giveOrderAttendees(s, String(order.id));
  });
  s.outbox.projectSoon(now);
  return { ok: true, order: orderView(s, req.order_id)!, rights: listRights(s, { order_id: req.order_id }), already_confirmed: false };
}

/**
 * Cancels a hold (anyone allowed by the Worker), or a confirmed order where
 * the ticket type allows it. A confirmed order that a payment paid for is
 * never cancelled here with its money kept: it is cancelled by approving a
 * refund (`cancelForRefund`), so this refuses it with `refund_required`.
 */
export function cancelOrder(s: EventStore, orderId: string, reason: string, by: string | null, now: number): Result<{ order: OrderView }> {
  expireHolds(s, now);
  const order = s.sql`SELECT * FROM orders WHERE id = ${orderId}`.toArray()[0];
  if (!order) return fail(404, "order_not_found", "Order not found.");
  if (order.booking_status === "CANCELLED" || order.booking_status === "EXPIRED" || order.booking_status === "COMPLETED") {
    return fail(409, "order_closed", `This order is already ${String(order.booking_status).toLowerCase()}.`);
  }
  const confirmed = order.booking_status === "CONFIRMED";
  if (confirmed && order.payment_id !== null) {
    return fail(409, "refund_required", `This order was paid (payment ${String(order.payment_id)}): it is cancelled through a refund, POST /v1/payments/${String(order.payment_id)}/refunds.`);
  }
  // A cart is cancelled whole: every one of its kinds of ticket must allow it.
  const fixed = confirmed && s.sql<{ n: number }>`SELECT count(*) AS n FROM order_lines l JOIN configs c ON c.id = l.config_id WHERE l.order_id = ${orderId} AND c.cancellation_allowed = 0`.one().n > 0;
  if (fixed) return fail(409, "cancellation_not_allowed", "This kind of ticket cannot be cancelled.");
  if (confirmed && usedRights(s, orderId) > 0) return fail(409, "tickets_used", "A ticket of this order was already used at the gate.");
  cancel(s, order, reason, by, now);
  return { ok: true, order: orderView(s, orderId)! };
}

/** A payment failed: its hold goes back on sale, unless the order is no longer a hold (paid meanwhile, expired, cancelled). */
export function releaseHold(s: EventStore, orderId: string, reason: string, now: number): Result<{ order: OrderView; released: boolean }> {
  expireHolds(s, now);
  const order = s.sql`SELECT * FROM orders WHERE id = ${orderId}`.toArray()[0];
  if (!order) return fail(404, "order_not_found", "Order not found.");
  if (order.booking_status !== "PENDING") return { ok: true, order: orderView(s, orderId)!, released: false };
  cancel(s, order, reason, null, now);
  return { ok: true, order: orderView(s, orderId)!, released: true };
}

/**
 * A refund was approved: the order is cancelled and its rights with it,
 * whatever the ticket type's own cancellation rule (the organizer or an
 * admin decided). A used ticket blocks it, except when the event itself was
 * cancelled. Cancelling an already cancelled order again is not an error.
 */
export function cancelForRefund(s: EventStore, orderId: string, reason: string, by: string | null, eventCancelled: boolean, now: number): Result<{ order: OrderView }> {
  expireHolds(s, now);
  const order = s.sql`SELECT * FROM orders WHERE id = ${orderId}`.toArray()[0];
  if (!order) return fail(404, "order_not_found", "Order not found.");
  if (order.booking_status === "CANCELLED" || order.booking_status === "EXPIRED") return { ok: true, order: orderView(s, orderId)! };
  // A completed order was attended: its tickets were used.
  if (order.booking_status === "COMPLETED") return fail(409, "tickets_used", "This order's event took place and its tickets were used.");
  if (!eventCancelled && usedRights(s, orderId) > 0) return fail(409, "tickets_used", "A ticket of this order was already used at the gate.");
  cancel(s, order, reason, by, now);
  return { ok: true, order: orderView(s, orderId)! };
}

/**
 * The event was cancelled: every live order is cancelled (holds released;
 * confirmed orders, free or paid, with their rights: the payments domain
 * refunds the paid ones, `cancelForRefund` then finding them cancelled), and
 * every right still standing of any other source (grants, season passes)
 * becomes CANCELLED with CANCEL in the transactions log. Running it again
 * changes nothing. Returns the accounts whose rights were cancelled, to be told.
 */
export function cancelEventSales(s: EventStore, reason: string, now: number): { orders: number; rights: number; holders: string[] } {
  expireHolds(s, now);
  const at = toTimestamp(now);
  const holders = new Set<string>();
  const live = s.sql`SELECT * FROM orders WHERE booking_status IN ('PENDING', 'CONFIRMED')`.toArray();
  let rights = 0;
  for (const order of live) {
    for (const right of s.sql<{ user_id: string }>`SELECT user_id FROM rights WHERE order_id = ${order.id} AND status = 'ENABLED'`.toArray()) holders.add(right.user_id);
    rights += s.sql<{ n: number }>`SELECT count(*) AS n FROM rights WHERE order_id = ${order.id} AND status = 'ENABLED'`.one().n;
    cancel(s, order, reason, null, now);
  }
  const standing = s.sql`SELECT * FROM rights WHERE status IN ('ENABLED', 'BLOCKED', 'USED')`.toArray();
  s.storage.transactionSync(() => {
    for (const right of standing) {
      s.sql`UPDATE rights SET status = 'CANCELLED', updated_at = ${at} WHERE id = ${right.id}`;
      s.outbox.enqueue("right", String(right.id));
      // A grant's unit taken from a configuration goes back, as when its grant is cancelled.
      if (right.config_id !== null && right.order_id === null) {
        s.sql`UPDATE configs SET quantity_sold = quantity_sold - 1 WHERE id = ${right.config_id}`;
        s.outbox.enqueue("config", String(right.config_id));
      }
      s.outbox.logTransaction({ right_id: String(right.id), type: "CANCEL", from_user: String(right.user_id), to_user: null, by: null, reason, at });
      holders.add(String(right.user_id));
    }
  });
  s.outbox.projectSoon(now);
  closeWaitlist(s, now);
  return { orders: live.length, rights: rights + standing.length, holders: [...holders] };
}

/** Cancels a PENDING or CONFIRMED order: units back on sale, rights cancelled (CANCEL in the transactions log). */
function cancel(s: EventStore, order: Row, reason: string, by: string | null, now: number): void {
  const { sql } = s;
  const orderId = String(order.id);
  const at = toTimestamp(now);
  const lines = orderLines(s, orderId);
  s.storage.transactionSync(() => {
    for (const [configId, quantity] of unitsByConfig(lines)) {
      if (order.booking_status === "CONFIRMED") sql`UPDATE configs SET quantity_sold = quantity_sold - ${quantity} WHERE id = ${configId}`;
      else sql`UPDATE configs SET quantity_held = quantity_held - ${quantity} WHERE id = ${configId}`;
      s.outbox.enqueue("config", configId);
    }
    releaseBuyer(s, order, lines);
    releaseOrderSeats(s, orderId);
    sql`UPDATE orders SET booking_status = 'CANCELLED', cancelled_at = ${at}, cancellation_reason = ${reason}, updated_at = ${at}, expires_at = NULL,
          payment_status = CASE WHEN payment_status = 'PENDING' THEN 'CANCELLED' ELSE payment_status END
        WHERE id = ${orderId}`;
    cancelOrderRights(s, orderId, by, reason, at);
    s.outbox.enqueue("order", orderId);
  });
  s.outbox.projectSoon(now);
  settleWaitlist(s, now);
}

/**
 * After the event, its CONFIRMED orders of which a ticket was let in at a
 * gate become COMPLETED (the specification's "completed: event past"); orders
 * nobody used stay CONFIRMED, which is how no-shows are told apart. Once the
 * event's end has passed only (before it, nothing changes: 0); idempotent.
 * Returns how many changed.
 */
export function completeAttendedOrders(s: EventStore, now: number): Result<{ completed: number }> {
  const event = s.event();
  if (!event) return fail(404, "not_configured", "This event has no tickets.");
  if (now < Date.parse(event.ends_at)) return { ok: true, completed: 0 };
  const at = toTimestamp(now);
  let completed: string[] = [];
  s.storage.transactionSync(() => {
    completed = s.sql<{ id: string }>`
      UPDATE orders SET booking_status = 'COMPLETED', updated_at = ${at}
      WHERE booking_status = 'CONFIRMED' AND EXISTS (SELECT 1 FROM rights r WHERE r.order_id = orders.id AND r.entry_count > 0)
      RETURNING id`
      .toArray()
      .map((row) => String(row.id));
    for (const id of completed) s.outbox.enqueue("order", id);
  });
  if (completed.length > 0) s.outbox.projectSoon(now);
  return { ok: true, completed: completed.length };
}

/** Returns the units of every hold past its expiry (orders' and zone upgrades'); runs before each decision and on the alarm. */
export function expireHolds(s: EventStore, now: number): void {
  const { sql } = s;
  expireUpgradeHolds(s, now);
  const due = sql`SELECT * FROM orders WHERE booking_status = 'PENDING' AND expires_at <= ${toTimestamp(now)}`.toArray();
  // Units given back (here, or by the step before) go to the waiting list before anyone can buy them.
  if (due.length === 0) return settleWaitlist(s, now);
  s.storage.transactionSync(() => {
    for (const order of due) {
      const lines = orderLines(s, String(order.id));
      for (const [configId, quantity] of unitsByConfig(lines)) {
        sql`UPDATE configs SET quantity_held = quantity_held - ${quantity} WHERE id = ${configId}`;
        s.outbox.enqueue("config", configId);
      }
      releaseBuyer(s, order, lines);
      releaseOrderSeats(s, String(order.id));
      sql`UPDATE orders SET booking_status = 'EXPIRED', updated_at = ${toTimestamp(now)} WHERE id = ${order.id}`;
      s.outbox.enqueue("order", String(order.id));
    }
  });
  s.outbox.projectSoon(now);
  settleWaitlist(s, now);
}

/** When the next hold lapses (ISO), or null: the alarm wakes for it. */
export function nextHoldExpiry(s: EventStore): string | null {
  const order = s.sql<{ t: string | null }>`SELECT min(expires_at) AS t FROM orders WHERE booking_status = 'PENDING'`.one().t;
  const upgrade = nextUpgradeExpiry(s);
  return order === null ? upgrade : upgrade === null ? order : order < upgrade ? order : upgrade;
}

function salesOpen(config: Row, event: EventRow, now: number) {
  if (config.sales_start && now < Date.parse(String(config.sales_start))) return fail(409, "sales_not_started", `Sales open at ${config.sales_start}.`);
  const window = bookingWindowRefusal(event.starts_at, config.advance_booking_days as number | null, now);
  if (window) return fail(window.status, window.code, window.detail);
  if (config.sales_end && now >= Date.parse(String(config.sales_end))) return fail(409, "sales_ended", "Sales for this ticket have ended.");
  if (now >= Date.parse(event.ends_at)) return fail(409, "sales_ended", "This event is over.");
  return null;
}

function addBuyerUnits(s: EventStore, userId: string, configId: string, units: number) {
  s.sql`INSERT INTO buyer_units (user_id, config_id, units) VALUES (${userId}, ${configId}, ${units})
        ON CONFLICT (user_id, config_id) DO UPDATE SET units = units + excluded.units`;
}

function addRuleUse(s: EventStore, ruleId: string, userId: string) {
  s.sql`INSERT INTO rule_uses (rule_id, user_id, uses) VALUES (${ruleId}, ${userId}, 1) ON CONFLICT (rule_id, user_id) DO UPDATE SET uses = uses + excluded.uses`;
}

/** Gives back what an order counted against the buyer's cap and its rules' limits. */
function releaseBuyer(s: EventStore, order: Row, lines: OrderLineView[]) {
  for (const [configId, quantity] of unitsByConfig(lines)) {
    s.sql`UPDATE buyer_units SET units = units - ${quantity} WHERE user_id = ${order.user_id} AND config_id = ${configId}`;
  }
  for (const rule of JSON.parse(String(order.applied_rules)) as { id: string }[]) {
    s.sql`UPDATE rule_uses SET uses = uses - 1 WHERE rule_id = ${rule.id} AND user_id = ${order.user_id}`;
  }
}

/** An order's lines, in cart order. */
export function orderLines(s: EventStore, orderId: string): OrderLineView[] {
  return s.sql`SELECT l.*, c.ticket_type_id FROM order_lines l JOIN configs c ON c.id = l.config_id WHERE l.order_id = ${orderId} ORDER BY l.line_no`.toArray().map((l) => ({
    config_id: String(l.config_id),
    ticket_type_id: String(l.ticket_type_id),
    quantity: Number(l.quantity),
    unit_price: Number(l.unit_price),
    gross: Number(l.gross),
    discount: Number(l.discount),
    total: Number(l.total),
    seat_ids: JSON.parse(String(l.seat_ids)) as string[],
  }));
}

/** Units per configuration over an order's lines (a cart may name one configuration twice). */
function unitsByConfig(lines: OrderLineView[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const l of lines) units.set(l.config_id, (units.get(l.config_id) ?? 0) + l.quantity);
  return units;
}

export function orderView(s: EventStore, orderId: string, row?: Row, lines?: OrderLineView[]): OrderView | null {
  const o = row ?? s.sql`SELECT o.*, c.ticket_type_id FROM orders o JOIN configs c ON c.id = o.config_id WHERE o.id = ${orderId}`.toArray()[0];
  if (!o) return null;
  return {
    id: String(o.id),
    ticket_number: String(o.ticket_number),
    event_id: s.event()?.id ?? "",
    config_id: String(o.config_id),
    ticket_type_id: String(o.ticket_type_id),
    user_id: String(o.user_id),
    quantity: Number(o.quantity),
    lines: lines ?? orderLines(s, String(o.id)),
    unit_price: Number(o.unit_price),
    gross: Number(o.gross),
    discount: Number(o.discount),
    total: Number(o.total),
    currency: String(o.currency),
    applied_rules: JSON.parse(String(o.applied_rules)),
    booking_status: o.booking_status as OrderView["booking_status"],
    payment_status: String(o.payment_status),
    payment_id: (o.payment_id as string | null) ?? null,
    expires_at: (o.expires_at as string | null) ?? null,
    channel: String(o.channel),
    is_guest: Number(o.is_guest) === 1,
    guest_email: (o.guest_email as string | null) ?? null,
    created_at: String(o.created_at),
    confirmed_at: (o.confirmed_at as string | null) ?? null,
    cancelled_at: (o.cancelled_at as string | null) ?? null,
    cancellation_reason: (o.cancellation_reason as string | null) ?? null,
  };
}
