import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../src/env.ts";
import { humanCode, newId, newLogId } from "../../src/lib/ids.ts";
import { ACCESS_SOURCE_TYPES } from "../../src/access/schema.ts";
import { readsBuyer } from "../../src/catalog/pricing.ts";
import { quoteOrder } from "./quote.ts";
import {
  BUYER_FACTS_REQUIRED,
  fail,
  type Availability,
  type ConfigSetup,
  type GateBundle,
  type GatePolicy,
  type GateSetup,
  type Occupancy,
  type Person,
  type ScanBody,
  type ScanContext,
  type ScanResult,
  type ConfirmRequest,
  type EventSetup,
  type ExchangeRequest,
  type IssueRightsRequest,
  type OrderRequest,
  type OrderView,
  type Result,
  type RightView,
  type TransferRequest,
} from "./contract.ts";
import { importVerifyKeys, parseAccessToken, verifyAccessToken, type TokenCheck } from "../../src/access/qr-tokens.ts";
import { timingSafeEqual } from "../../src/lib/crypto/hash.ts";
import { decideScan, loadGatePolicy, writeOccupancy, type GatePolicyState, type PassOccupancy } from "./gate.ts";
import { GroupCommit } from "./group-commit.ts";
import { drainOutbox, projectionPending } from "./projection.ts";
import { migrate } from "./storage.ts";

type Row = Record<string, SqlStorageValue>;
const SOURCE_TYPES_SQL = ACCESS_SOURCE_TYPES.map((t) => `'${t}'`).join(", ");
/** A message's scans, their tokens checked, waiting for the next group commit. */
interface QueuedScans {
  bodies: ScanBody[];
  who: ScanContext;
  checks: (TokenCheck | null)[];
  receivedAt: number;
}
interface DecidedScans {
  answer: Result<{ results: ScanResult[] }>;
  /** Whether a scan moved someone (occupancy to broadcast). */
  moved: boolean;
}
const iso = (ms: number) => new Date(ms).toISOString();
const OUTBOX_DELAY_MS = 200; // coalesce a burst of changes into one D1 batch

/**
 * One per event: the single writer of everything contended within it —
 * inventory per ticket configuration, holds and their expiry, per-buyer
 * limits, pricing-rule uses, and the status of every access right. Each
 * decision reads and writes its own SQLite synchronously (no await between
 * the check and the write), so concurrent requests cannot interleave inside
 * it; D1 receives the results through an outbox drained by the alarm.
 */
export class EventDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private alarmAt: number | null = null;
  private eventState: ReturnType<typeof parseEvent> | null | undefined;
  /** Verification keys and recent token checks, rebuilt after an eviction. */
  private verifyKeys: Promise<Map<string, CryptoKey>> | null = null;
  private readonly tokenChecks = new Map<string, TokenCheck>();
  /** Gates, overrides and blacklist as decisions read them; dropped by configureGate and setGatePolicy. */
  private gatePolicy: GatePolicyState | null = null;
  private occupancyTimer: ReturnType<typeof setTimeout> | null = null;
  /** Gate scans and order holds each share a commit with whatever arrived with them. */
  private readonly scanPasses = new GroupCommit<QueuedScans, DecidedScans>(this.ctx.storage, (items) => this.decideScans(items), (decided) => {
    this.scheduleAlarm(Date.now() + OUTBOX_DELAY_MS);
    if (decided.some((d) => d.moved)) this.occupancyChanged();
  });
  private readonly orderPasses = new GroupCommit<OrderRequest, Result<{ order: OrderView; replayed?: true }>>(this.ctx.storage, (requests) => requests.map((req) => this.decideOrder(req)), (results) => {
    // The alarm projects the new holds, and wakes for the first to lapse.
    const expiries = results.flatMap((r) => (r.ok && !r.replayed ? [Date.parse(r.order.expires_at!)] : []));
    if (expiries.length) this.scheduleAlarm(Math.min(...expiries, Date.now() + OUTBOX_DELAY_MS));
  });

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql);
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ── setup ────────────────────────────────────────────────────────────────

  /** Creates or updates the event and its ticket configurations (from the catalog in D1). */
  configure(event: EventSetup, configs: ConfigSetup[]): Result<{ configs: number }> {
    const current = this.sql.exec<{ id: string }>("SELECT id FROM event").toArray()[0];
    if (current && current.id !== event.id) return fail(409, "wrong_event", "This object belongs to another event.");
    for (const config of configs) {
      const existing = this.sql.exec<{ held: number; sold: number }>("SELECT quantity_held AS held, quantity_sold AS sold FROM configs WHERE id = ?", config.id).toArray()[0];
      if (existing && existing.held + existing.sold > config.quantity_total - config.quantity_blocked) {
        return fail(409, "quantity_below_sold", `Configuration ${config.id} already has ${existing.held + existing.sold} units held or sold.`);
      }
    }
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO event (id, status, currency, starts_at, ends_at, doors_open_at, event_group_id, tags, hold_ttl_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, currency = excluded.currency, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
           doors_open_at = excluded.doors_open_at, event_group_id = excluded.event_group_id, tags = excluded.tags, hold_ttl_seconds = excluded.hold_ttl_seconds`,
        event.id, event.status, event.currency, event.starts_at, event.ends_at, event.doors_open_at, event.event_group_id, JSON.stringify(event.tags), event.hold_ttl_seconds ?? 900,
      );
      for (const c of configs) {
        this.sql.exec(
          `INSERT INTO configs (id, ticket_type_id, ticket_type_code, zone_category, zone_id, price, currency, quantity_total, quantity_blocked, sales_start, sales_end,
             early_bird_end, min_purchase, max_purchase, max_per_transaction, requires_membership, membership_group_id, member_only_until, dynamic_pricing, price_tiers,
             cancellation_allowed, transfer_allowed, is_active)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET ticket_type_code = excluded.ticket_type_code, zone_category = excluded.zone_category, zone_id = excluded.zone_id,
             price = excluded.price, currency = excluded.currency, quantity_total = excluded.quantity_total, quantity_blocked = excluded.quantity_blocked,
             sales_start = excluded.sales_start, sales_end = excluded.sales_end, early_bird_end = excluded.early_bird_end, min_purchase = excluded.min_purchase,
             max_purchase = excluded.max_purchase, max_per_transaction = excluded.max_per_transaction, requires_membership = excluded.requires_membership,
             membership_group_id = excluded.membership_group_id, member_only_until = excluded.member_only_until, dynamic_pricing = excluded.dynamic_pricing,
             price_tiers = excluded.price_tiers, cancellation_allowed = excluded.cancellation_allowed, transfer_allowed = excluded.transfer_allowed,
             is_active = excluded.is_active`,
          c.id, c.ticket_type_id, c.ticket_type_code, c.zone_category, c.zone_id, c.price, c.currency, c.quantity_total, c.quantity_blocked, c.sales_start,
          c.sales_end, c.early_bird_end, c.min_purchase, c.max_purchase, c.max_per_transaction, c.requires_membership ? 1 : 0, c.membership_group_id,
          c.member_only_until, c.dynamic_pricing ? 1 : 0, c.price_tiers ? JSON.stringify(c.price_tiers) : null, c.cancellation_allowed ? 1 : 0,
          c.transfer_allowed ? 1 : 0, c.is_active ? 1 : 0,
        );
        this.enqueue("config", c.id);
      }
    });
    this.eventState = undefined;
    this.scheduleAlarm(Date.now() + OUTBOX_DELAY_MS);
    return { ok: true, configs: configs.length };
  }

  availability(now: number = Date.now()): Availability {
    this.expireHolds(now);
    const event = this.event();
    const onSaleStatus = event?.status === "APPROVED";
    const configs = this.sql
      .exec<Row>("SELECT * FROM configs WHERE is_active = 1 ORDER BY price")
      .toArray()
      .map((c) => {
        const sellable = Number(c.quantity_total) - Number(c.quantity_blocked);
        const available = sellable - Number(c.quantity_held) - Number(c.quantity_sold);
        return {
          id: String(c.id),
          ticket_type_id: String(c.ticket_type_id),
          ticket_type_code: String(c.ticket_type_code),
          price: Number(c.price),
          currency: String(c.currency),
          available,
          sellable,
          held: Number(c.quantity_held),
          sold: Number(c.quantity_sold),
          on_sale: onSaleStatus && this.salesOpen(c, event!, now) === null && available > 0,
        };
      });
    return { event_id: event?.id ?? "", configs };
  }

  // ── orders ───────────────────────────────────────────────────────────────

  /**
   * Places a hold: checks the sales window, the limits, membership and
   * availability, prices the order and writes the hold, all synchronously,
   * in the next group commit.
   */
  placeOrder(req: OrderRequest): Promise<Result<{ order: OrderView; replayed?: true }>> {
    return this.orderPasses.submit(req);
  }

  private decideOrder(req: OrderRequest): Result<{ order: OrderView; replayed?: true }> {
    const now = req.now ?? Date.now();
    this.expireHolds(now);
    if (req.request_hash) {
      // A retry (same key, so the same id) gets its order as it is now, whatever has sold since.
      const placed = this.sql.exec<Row>("SELECT user_id, request_hash FROM orders WHERE id = ?", req.order_id).toArray()[0];
      if (placed?.user_id === req.user_id && placed.request_hash === req.request_hash) return { ok: true, order: this.orderView(req.order_id)!, replayed: true };
      if (placed) return fail(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request.");
    }
    const event = this.event();
    if (!event) return fail(404, "not_on_sale", "This event has no tickets on sale.");
    if (event.status !== "APPROVED") return fail(409, "event_not_on_sale", "This event is not on sale.");
    const config = this.sql.exec<Row>("SELECT * FROM configs WHERE id = ? AND is_active = 1", req.config_id).toArray()[0];
    if (!config) return fail(404, "config_not_found", "This ticket is not sold for this event.");
    const closed = this.salesOpen(config, event, now);
    if (closed) return closed;

    const quantity = req.quantity;
    if (quantity < Number(config.min_purchase)) return fail(422, "below_minimum", `Buy at least ${config.min_purchase} ticket(s) of this kind.`);
    if (quantity > Number(config.max_per_transaction)) {
      return fail(422, "above_maximum", `Buy at most ${config.max_per_transaction} ticket(s) of this kind at once.`);
    }
    const membersOnly = Number(config.requires_membership) === 1 || (config.member_only_until !== null && now < Date.parse(String(config.member_only_until)));
    if (!req.buyer && (membersOnly || req.rules.some(readsBuyer))) return fail(409, BUYER_FACTS_REQUIRED, "This order needs the buyer's groups and age.");
    const groups = req.buyer?.groups ?? [];
    const isMember = config.membership_group_id ? groups.some((g) => g.id === config.membership_group_id) : groups.length > 0;
    if (Number(config.requires_membership) && !isMember) return fail(403, "membership_required", "These tickets are for members only.");
    if (membersOnly && !isMember) return fail(403, "members_only_period", `Members only until ${config.member_only_until}.`);
    if (config.max_purchase !== null) {
      const owned = this.sql.exec<{ units: number }>("SELECT units FROM buyer_units WHERE user_id = ? AND config_id = ?", req.user_id, config.id).toArray()[0]?.units ?? 0;
      if (owned + quantity > Number(config.max_purchase)) {
        return fail(409, "purchase_limit", `At most ${config.max_purchase} ticket(s) of this kind per person; you already have ${owned}.`);
      }
    }
    const sellable = Number(config.quantity_total) - Number(config.quantity_blocked);
    const available = sellable - Number(config.quantity_held) - Number(config.quantity_sold);
    if (quantity > available) return fail(409, "sold_out", available > 0 ? `Only ${available} left.` : "Sold out.");

    const usage = (ruleId: string) => ({
      event_total: this.sql.exec<{ n: number | null }>("SELECT sum(uses) AS n FROM rule_uses WHERE rule_id = ?", ruleId).one().n ?? 0,
      event_user: this.sql.exec<{ uses: number }>("SELECT uses FROM rule_uses WHERE rule_id = ? AND user_id = ?", ruleId, req.user_id).toArray()[0]?.uses ?? 0,
    });
    const quote = quoteOrder({ config, event, req, now, usage });
    if (!quote.ok) return quote;

    const at = iso(now);
    // A group rule may give the buyer longer to pay than the usual hold (its payment_deadline).
    const holdSeconds = quote.payment_deadline_hours ? quote.payment_deadline_hours * 3600 : event.hold_ttl_seconds;
    const expiresAt = iso(now + holdSeconds * 1000);
    // Inside the pass's transaction (GroupCommit): a write that throws takes the whole pass back.
    const placed = this.sql.exec<Row>(
      `INSERT INTO orders (id, ticket_number, config_id, user_id, quantity, unit_price, gross, discount, total, currency, pricing_rule_id, applied_rules,
         booking_status, expires_at, channel, is_guest, guest_email, guest_phone, purchase_ip, request_hash, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      req.order_id, req.ticket_number, config.id, req.user_id, quantity, quote.unit_price, quote.gross, quote.discount, quote.total, config.currency,
      quote.applied[0]?.id ?? null, JSON.stringify(quote.applied), expiresAt, req.channel, req.is_guest ? 1 : 0, req.guest_email, req.guest_phone, req.ip,
      req.request_hash ?? null, at, at,
    ).one();
    this.sql.exec("UPDATE configs SET quantity_held = quantity_held + ? WHERE id = ?", quantity, config.id);
    this.addBuyerUnits(req.user_id, String(config.id), quantity);
    for (const rule of quote.applied) this.addRuleUse(rule.id, req.user_id, 1);
    this.enqueue("order", req.order_id);
    this.enqueue("config", String(config.id));
    // The view from the row just written (RETURNING), not read again.
    return { ok: true, order: this.orderView(req.order_id, { ...placed, ticket_type_id: String(config.ticket_type_id) })! };
  }

  getOrder(orderId: string, now: number = Date.now()): OrderView | null {
    this.expireHolds(now);
    return this.orderView(orderId);
  }

  listRights(filter: { order_id?: string; user_id?: string; source_id?: string }): RightView[] {
    const rows = filter.order_id
      ? this.sql.exec<Row>("SELECT * FROM rights WHERE order_id = ? ORDER BY created_at, id", filter.order_id).toArray()
      : filter.source_id
        ? // Every source type, so that (source_type, source_id) is an index lookup per type.
          this.sql.exec<Row>(`SELECT * FROM rights WHERE source_type IN (${SOURCE_TYPES_SQL}) AND source_id = ? ORDER BY created_at, id`, filter.source_id).toArray()
        : this.sql.exec<Row>("SELECT * FROM rights WHERE user_id = ? ORDER BY created_at, id", filter.user_id ?? "").toArray();
    return rows.map((r) => this.rightView(r));
  }

  /**
   * Turns a hold into sold units and issues one access right per unit,
   * exactly once: a second confirmation returns the rights of the first. A
   * payment that arrives after its hold expired still confirms when the units
   * are available again; otherwise the caller must refund.
   */
  confirmOrder(req: ConfirmRequest): Result<{ order: OrderView; rights: RightView[]; already_confirmed: boolean }> {
    const now = req.now ?? Date.now();
    this.expireHolds(now);
    const order = this.sql.exec<Row>("SELECT * FROM orders WHERE id = ?", req.order_id).toArray()[0];
    if (!order) return fail(404, "order_not_found", "Order not found.");
    if (order.booking_status === "CONFIRMED") {
      return { ok: true, order: this.orderView(req.order_id)!, rights: this.listRights({ order_id: req.order_id }), already_confirmed: true };
    }
    if (order.booking_status === "CANCELLED") return fail(409, "order_cancelled", "This order was cancelled.");
    const event = this.event()!;
    // Paid after the event was cancelled: nothing to issue; the payment is refunded.
    if (event.status === "CANCELLED") return fail(409, "event_cancelled", "This event was cancelled.");
    const config = this.sql.exec<Row>("SELECT * FROM configs WHERE id = ?", order.config_id).toArray()[0]!;
    const quantity = Number(order.quantity);
    if (order.booking_status === "EXPIRED") {
      const available = Number(config.quantity_total) - Number(config.quantity_blocked) - Number(config.quantity_held) - Number(config.quantity_sold);
      if (available < quantity) return fail(409, "hold_expired_sold_out", "The hold expired and the tickets were sold to others; the payment must be refunded.");
    }
    const at = iso(now);
    const validFrom = event.doors_open_at ?? iso(Date.parse(event.starts_at) - 3 * 3600_000);
    this.ctx.storage.transactionSync(() => {
      if (order.booking_status === "PENDING") {
        this.sql.exec("UPDATE configs SET quantity_held = quantity_held - ?, quantity_sold = quantity_sold + ? WHERE id = ?", quantity, quantity, config.id);
      } else {
        // Expired hold paid late: take the units again and count them for the buyer.
        this.sql.exec("UPDATE configs SET quantity_sold = quantity_sold + ? WHERE id = ?", quantity, config.id);
        this.addBuyerUnits(String(order.user_id), String(config.id), quantity);
        for (const rule of JSON.parse(String(order.applied_rules)) as { id: string }[]) this.addRuleUse(rule.id, String(order.user_id), 1);
      }
      this.sql.exec(
        "UPDATE orders SET booking_status = 'CONFIRMED', payment_status = 'PAID', payment_id = ?, confirmed_at = ?, updated_at = ?, expires_at = NULL WHERE id = ?",
        req.payment_id, at, at, req.order_id,
      );
      for (let i = 0; i < quantity; i++) {
        this.insertRight({
          order_id: String(order.id),
          config_id: String(config.id),
          user_id: String(order.user_id),
          zone_id: (config.zone_id as string | null) ?? null,
          source_type: "TICKET",
          source_id: String(order.id),
          valid_from: validFrom,
          valid_until: event.ends_at,
          created_by: req.confirmed_by,
          at,
          price: Number(order.unit_price),
          currency: String(order.currency),
        });
      }
      this.enqueue("order", String(order.id));
      this.enqueue("config", String(config.id));
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    return { ok: true, order: this.orderView(req.order_id)!, rights: this.listRights({ order_id: req.order_id }), already_confirmed: false };
  }

  /** Cancels a hold (anyone allowed by the Worker), or a confirmed order where the ticket type allows it. */
  cancelOrder(orderId: string, reason: string, by: string | null, now: number = Date.now()): Result<{ order: OrderView }> {
    this.expireHolds(now);
    const order = this.sql.exec<Row>("SELECT * FROM orders WHERE id = ?", orderId).toArray()[0];
    if (!order) return fail(404, "order_not_found", "Order not found.");
    if (order.booking_status === "CANCELLED" || order.booking_status === "EXPIRED") return fail(409, "order_closed", `This order is already ${String(order.booking_status).toLowerCase()}.`);
    const config = this.sql.exec<Row>("SELECT * FROM configs WHERE id = ?", order.config_id).toArray()[0]!;
    const confirmed = order.booking_status === "CONFIRMED";
    if (confirmed && !Number(config.cancellation_allowed)) return fail(409, "cancellation_not_allowed", "This kind of ticket cannot be cancelled.");
    if (confirmed && this.usedRights(orderId) > 0) return fail(409, "tickets_used", "A ticket of this order was already used at the gate.");
    this.cancel(order, reason, by, now);
    return { ok: true, order: this.orderView(orderId)! };
  }

  /** A payment failed: its hold goes back on sale, unless the order is no longer a hold (paid meanwhile, expired, cancelled). */
  releaseHold(orderId: string, reason: string, now: number = Date.now()): Result<{ order: OrderView; released: boolean }> {
    this.expireHolds(now);
    const order = this.sql.exec<Row>("SELECT * FROM orders WHERE id = ?", orderId).toArray()[0];
    if (!order) return fail(404, "order_not_found", "Order not found.");
    if (order.booking_status !== "PENDING") return { ok: true, order: this.orderView(orderId)!, released: false };
    this.cancel(order, reason, null, now);
    return { ok: true, order: this.orderView(orderId)!, released: true };
  }

  /**
   * A refund was approved: the order is cancelled and its rights with it,
   * whatever the ticket type's own cancellation rule (the organizer or an
   * admin decided). A used ticket blocks it, except when the event itself was
   * cancelled. Cancelling an already cancelled order again is not an error.
   */
  cancelForRefund(orderId: string, reason: string, by: string | null, eventCancelled: boolean, now: number = Date.now()): Result<{ order: OrderView }> {
    this.expireHolds(now);
    const order = this.sql.exec<Row>("SELECT * FROM orders WHERE id = ?", orderId).toArray()[0];
    if (!order) return fail(404, "order_not_found", "Order not found.");
    if (order.booking_status === "CANCELLED" || order.booking_status === "EXPIRED") return { ok: true, order: this.orderView(orderId)! };
    if (!eventCancelled && this.usedRights(orderId) > 0) return fail(409, "tickets_used", "A ticket of this order was already used at the gate.");
    this.cancel(order, reason, by, now);
    return { ok: true, order: this.orderView(orderId)! };
  }

  private usedRights(orderId: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM rights WHERE order_id = ? AND (status = 'USED' OR entry_count > 0)", orderId).one().n;
  }

  /** Cancels a PENDING or CONFIRMED order: units back on sale, rights cancelled (CANCEL in the transactions log). */
  private cancel(order: Row, reason: string, by: string | null, now: number): void {
    const orderId = String(order.id);
    const confirmed = order.booking_status === "CONFIRMED";
    const at = iso(now);
    const quantity = Number(order.quantity);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        confirmed
          ? "UPDATE configs SET quantity_sold = quantity_sold - ? WHERE id = ?"
          : "UPDATE configs SET quantity_held = quantity_held - ? WHERE id = ?",
        quantity,
        order.config_id,
      );
      this.releaseBuyer(order);
      this.sql.exec(
        "UPDATE orders SET booking_status = 'CANCELLED', cancelled_at = ?, cancellation_reason = ?, updated_at = ?, expires_at = NULL, payment_status = CASE WHEN payment_status = 'PENDING' THEN 'CANCELLED' ELSE payment_status END WHERE id = ?",
        at, reason, at, orderId,
      );
      for (const right of this.sql.exec<Row>("SELECT * FROM rights WHERE order_id = ? AND status = 'ENABLED'", orderId).toArray()) {
        this.sql.exec("UPDATE rights SET status = 'CANCELLED', updated_at = ? WHERE id = ?", at, right.id);
        this.enqueue("right", String(right.id));
        this.logTransaction({ right_id: String(right.id), type: "CANCEL", from_user: String(right.user_id), to_user: null, by, reason, at });
      }
      this.enqueue("order", orderId);
      this.enqueue("config", String(order.config_id));
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
  }

  // ── rights outside ticket sales, transfers ──────────────────────────────

  /** Issues rights for invitations, staff, press, partners and season passes; a repeated request returns the first rights. */
  issueRights(req: IssueRightsRequest): Result<{ rights: RightView[]; already_issued: boolean }> {
    const now = req.now ?? Date.now();
    const event = this.event();
    if (!event) return fail(404, "not_configured", "This event has no access control set up.");
    if (event.status === "CANCELLED" || now >= Date.parse(event.ends_at)) return fail(409, "event_closed", "This event is over or cancelled.");
    const existing = this.sql.exec<Row>("SELECT * FROM rights WHERE source_type = ? AND source_id = ? ORDER BY created_at, id", req.source_type, req.source_id).toArray();
    if (existing.length > 0) return { ok: true, rights: existing.map((r) => this.rightView(r)), already_issued: true };
    const count = req.holders.length;
    let config: Row | undefined;
    if (req.config_id) {
      config = this.sql.exec<Row>("SELECT * FROM configs WHERE id = ?", req.config_id).toArray()[0];
      if (!config) return fail(404, "config_not_found", "Unknown ticket configuration.");
      const available = Number(config.quantity_total) - Number(config.quantity_blocked) - Number(config.quantity_held) - Number(config.quantity_sold);
      if (count > available) return fail(409, "sold_out", `Only ${available} unit(s) left in this allocation.`);
    }
    const at = iso(now);
    const validFrom = event.doors_open_at ?? iso(Date.parse(event.starts_at) - 3 * 3600_000);
    this.ctx.storage.transactionSync(() => {
      if (config) {
        this.sql.exec("UPDATE configs SET quantity_sold = quantity_sold + ? WHERE id = ?", count, config.id);
        this.enqueue("config", String(config.id));
      }
      for (const holder of req.holders) {
        this.insertRight({
          order_id: null,
          config_id: req.config_id,
          user_id: holder.user_id,
          zone_id: holder.zone_id ?? ((config?.zone_id as string | null) ?? null),
          seat_id: holder.seat_id,
          source_type: req.source_type,
          source_id: req.source_id,
          valid_from: validFrom,
          valid_until: event.ends_at,
          created_by: req.created_by,
          at,
          price: 0,
          currency: event.currency,
        });
      }
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    const rights = this.sql.exec<Row>("SELECT * FROM rights WHERE source_type = ? AND source_id = ? ORDER BY created_at, id", req.source_type, req.source_id).toArray();
    return { ok: true, rights: rights.map((r) => this.rightView(r)), already_issued: false };
  }

  /**
   * Blocks, re-enables or cancels every right of one source (a season pass
   * being suspended, reactivated or cancelled, a grant taken back) in one
   * synchronous step. Only ENABLED and BLOCKED rights move: a used or
   * transferred right keeps its status, and CANCELLED is final; a cancelled
   * right that took a unit from a configuration gives it back to sale.
   * Repeating a call changes nothing more.
   */
  setRightsStatus(
    sourceType: IssueRightsRequest["source_type"],
    sourceId: string,
    status: "BLOCKED" | "ENABLED" | "CANCELLED",
    by: string | null,
    reason: string | null,
    now: number = Date.now(),
  ): Result<{ rights: RightView[]; changed: number }> {
    const from = { BLOCKED: ["ENABLED"], ENABLED: ["BLOCKED"], CANCELLED: ["ENABLED", "BLOCKED"] }[status];
    const type = { BLOCKED: "BLOCK", ENABLED: "UNBLOCK", CANCELLED: "CANCEL" }[status];
    const moving = this.sql
      .exec<Row>(`SELECT * FROM rights WHERE source_type = ? AND source_id = ? AND status IN (${from.map(() => "?").join(", ")})`, sourceType, sourceId, ...from)
      .toArray();
    const at = iso(now);
    this.ctx.storage.transactionSync(() => {
      for (const right of moving) {
        this.sql.exec("UPDATE rights SET status = ?, updated_at = ? WHERE id = ?", status, at, right.id);
        this.enqueue("right", String(right.id));
        if (status === "CANCELLED" && right.config_id !== null && right.order_id === null) {
          this.sql.exec("UPDATE configs SET quantity_sold = quantity_sold - 1 WHERE id = ?", right.config_id);
          this.enqueue("config", String(right.config_id));
        }
        this.logTransaction({ right_id: String(right.id), type, from_user: String(right.user_id), to_user: null, by, reason, at });
      }
    });
    if (moving.length > 0) this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    const rights = this.sql.exec<Row>("SELECT * FROM rights WHERE source_type = ? AND source_id = ? ORDER BY created_at, id", sourceType, sourceId).toArray();
    return { ok: true, rights: rights.map((r) => this.rightView(r)), changed: moving.length };
  }

  /**
   * Blocks one right at the door (every gate then refuses it, BLACKLISTED)
   * or unblocks it, with BLOCK / UNBLOCK and the reason in its transactions
   * log, in one synchronous step. A right already let in may be blocked too
   * (no re-entry); unblocked, it is USED again. Asking for the state a right
   * is already in changes nothing; a cancelled, expired or transferred right
   * cannot move.
   */
  setRightStatus(rightId: string, action: "BLOCK" | "UNBLOCK", by: string | null, reason: string, now: number = Date.now()): Result<{ right: RightView; changed: boolean }> {
    const right = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", rightId).toArray()[0];
    if (!right) return fail(404, "right_not_found", "Access right not found.");
    const status = String(right.status);
    const target = action === "BLOCK" ? "BLOCKED" : Number(right.entry_count) > 0 ? "USED" : "ENABLED";
    if ((action === "BLOCK" && status === "BLOCKED") || (action === "UNBLOCK" && (status === "ENABLED" || status === "USED"))) {
      return { ok: true, right: this.rightView(right), changed: false };
    }
    if (action === "BLOCK" ? status !== "ENABLED" && status !== "USED" : status !== "BLOCKED") {
      return fail(409, "right_not_blockable", `This right is ${status.toLowerCase()}; only enabled, used or blocked rights can be blocked or unblocked.`);
    }
    const at = iso(now);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE rights SET status = ?, updated_at = ? WHERE id = ?", target, at, rightId);
      this.enqueue("right", rightId);
      this.logTransaction({ right_id: rightId, type: action, from_user: String(right.user_id), to_user: null, by, reason, at });
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    return { ok: true, right: this.rightView(this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", rightId).one()), changed: true };
  }

  /**
   * Moves a right to another person: in one synchronous step the old right
   * becomes TRANSFERRED (its QR stops working) and the new one is ENABLED with
   * a new code. Of two simultaneous transfers of one right, the second finds it
   * already TRANSFERRED.
   */
  transferRight(req: TransferRequest): Result<{ from: RightView; to: RightView; already_done: boolean }> {
    const now = req.now ?? Date.now();
    const done = this.sql.exec<Row>("SELECT * FROM rights WHERE transfer_id = ?", req.transfer_id).toArray()[0];
    if (done) {
      const from = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", done.source_id).one();
      return { ok: true, from: this.rightView(from), to: this.rightView(done), already_done: true };
    }
    const right = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", req.access_right_id).toArray()[0];
    const refused = this.checkTransferable(right, req.from_user_id, now);
    if (refused) return refused;
    if (req.to_user_id === req.from_user_id) return fail(422, "transfer_to_self", "You already hold this right.");
    const currency = (right!.currency as string | null) ?? this.event()!.currency;
    if (req.type === "TRANSFER_SALE") {
      const faceValue = Number(right!.face_value ?? 0);
      const cap = Math.floor((faceValue * req.resale_cap_bp) / 10_000);
      if (req.price === null || req.price < 0) return fail(422, "price_required", "A sale needs a price.");
      if (req.price > cap) return fail(422, "price_above_cap", `Resale is capped at ${cap} (minor units of ${currency}).`);
    }
    const at = iso(now);
    let toId = "";
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE rights SET status = 'TRANSFERRED', updated_at = ? WHERE id = ?", at, right!.id);
      this.enqueue("right", String(right!.id));
      toId = this.insertRight({
        order_id: (right!.order_id as string | null) ?? null,
        config_id: (right!.config_id as string | null) ?? null,
        user_id: req.to_user_id,
        zone_id: (right!.zone_id as string | null) ?? null,
        seat_id: (right!.seat_id as string | null) ?? null,
        source_type: "TRANSFER",
        source_id: String(right!.id),
        original_user_id: String(right!.original_user_id),
        transfer: { id: req.transfer_id, type: req.type, count: Number(right!.transfer_count) + 1, no_retransfer: req.no_retransfer },
        valid_from: String(right!.valid_from),
        valid_until: String(right!.valid_until),
        created_by: req.by,
        at,
        price: (right!.face_value as number | null) ?? null,
        currency,
      });
      this.logTransaction({
        right_id: toId,
        type: req.type,
        from_user: req.from_user_id,
        to_user: req.to_user_id,
        by: req.by,
        reason: req.reason,
        at,
        price: req.type === "TRANSFER_SALE" ? req.price : 0,
        currency,
      });
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    const from = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", right!.id).one();
    const to = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", toId).one();
    return { ok: true, from: this.rightView(from), to: this.rightView(to), already_done: false };
  }

  /** Two holders swap rights of this event, both or neither. */
  exchangeRights(req: ExchangeRequest): Result<{ rights: RightView[]; already_done: boolean }> {
    const now = req.now ?? Date.now();
    const done = this.sql.exec<Row>("SELECT * FROM rights WHERE transfer_id IN (?, ?)", `${req.transfer_id}:1`, `${req.transfer_id}:2`).toArray();
    if (done.length === 2) return { ok: true, rights: done.map((r) => this.rightView(r)), already_done: true };
    const first = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", req.first.access_right_id).toArray()[0];
    const second = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", req.second.access_right_id).toArray()[0];
    const refused = this.checkTransferable(first, req.first.user_id, now) ?? this.checkTransferable(second, req.second.user_id, now);
    if (refused) return refused;
    if (req.first.user_id === req.second.user_id) return fail(422, "transfer_to_self", "Both rights belong to the same person.");
    const at = iso(now);
    const ids: string[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const [index, [give, taker]] of ([[first!, req.second.user_id], [second!, req.first.user_id]] as const).entries()) {
        this.sql.exec("UPDATE rights SET status = 'TRANSFERRED', updated_at = ? WHERE id = ?", at, give.id);
        this.enqueue("right", String(give.id));
        const id = this.insertRight({
          order_id: (give.order_id as string | null) ?? null,
          config_id: (give.config_id as string | null) ?? null,
          user_id: taker,
          zone_id: (give.zone_id as string | null) ?? null,
          seat_id: (give.seat_id as string | null) ?? null,
          source_type: "TRANSFER",
          source_id: String(give.id),
          original_user_id: String(give.original_user_id),
          transfer: { id: `${req.transfer_id}:${index + 1}`, type: "TRANSFER_EXCHANGE", count: Number(give.transfer_count) + 1, no_retransfer: false },
          valid_from: String(give.valid_from),
          valid_until: String(give.valid_until),
          created_by: req.by,
          at,
          price: (give.face_value as number | null) ?? null,
          currency: (give.currency as string | null) ?? null,
        });
        ids.push(id);
        this.logTransaction({ right_id: id, type: "TRANSFER_EXCHANGE", from_user: String(give.user_id), to_user: taker, by: req.by, reason: req.reason, at, price: 0, currency: (give.currency as string | null) ?? null });
      }
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    return { ok: true, rights: ids.map((id) => this.rightView(this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", id).one())), already_done: false };
  }

  /** Ends a loan: the borrowed right stops working and the lender gets a fresh one. */
  returnLoan(transferId: string, by: string, now: number = Date.now()): Result<{ right: RightView }> {
    const loaned = this.sql.exec<Row>("SELECT * FROM rights WHERE transfer_id = ? AND transfer_type = 'TRANSFER_LOAN'", transferId).toArray()[0];
    if (!loaned) return fail(404, "loan_not_found", "No such loan.");
    if (loaned.status !== "ENABLED") return fail(409, "loan_closed", `The lent right is ${String(loaned.status).toLowerCase()}; it cannot be recalled.`);
    if (Number(loaned.is_inside)) return fail(409, "holder_inside", "The borrower is inside the venue; recall after they leave.");
    const lent = this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", loaned.source_id).one();
    const at = iso(now);
    let backId = "";
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE rights SET status = 'TRANSFERRED', updated_at = ? WHERE id = ?", at, loaned.id);
      this.enqueue("right", String(loaned.id));
      backId = this.insertRight({
        order_id: (lent.order_id as string | null) ?? null,
        config_id: (lent.config_id as string | null) ?? null,
        user_id: String(lent.user_id),
        zone_id: (lent.zone_id as string | null) ?? null,
        seat_id: (lent.seat_id as string | null) ?? null,
        source_type: "TRANSFER",
        source_id: String(loaned.id),
        original_user_id: String(lent.original_user_id),
        transfer: { id: `${transferId}:return`, type: "TRANSFER_LOAN", count: Number(loaned.transfer_count) + 1, no_retransfer: Boolean(Number(lent.no_retransfer)) },
        valid_from: String(lent.valid_from),
        valid_until: String(lent.valid_until),
        created_by: by,
        at,
        price: (lent.face_value as number | null) ?? null,
        currency: (lent.currency as string | null) ?? null,
      });
      this.logTransaction({ right_id: backId, type: "TRANSFER_LOAN", from_user: String(loaned.user_id), to_user: String(lent.user_id), by, reason: "loan returned", at, price: 0, currency: (lent.currency as string | null) ?? null });
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    return { ok: true, right: this.rightView(this.sql.exec<Row>("SELECT * FROM rights WHERE id = ?", backId).one()) };
  }

  /** Why a right cannot be transferred by this holder now, or null. */
  private checkTransferable(right: Row | undefined, holderId: string, now: number) {
    if (!right || right.user_id !== holderId) return fail(404, "right_not_found", "Access right not found.");
    if (right.status !== "ENABLED") return fail(409, "right_not_transferable", `This right is ${String(right.status).toLowerCase()}.`);
    if (Number(right.no_retransfer)) return fail(409, "no_retransfer", "This right was itself transferred and may not be passed on again.");
    if (Number(right.entry_count) > 0) return fail(409, "right_used", "This right was already used at the gate.");
    if (right.config_id) {
      const config = this.sql.exec<{ transfer_allowed: number }>("SELECT transfer_allowed FROM configs WHERE id = ?", right.config_id).toArray()[0];
      if (config && !config.transfer_allowed) return fail(409, "transfer_not_allowed", "This kind of ticket cannot be transferred.");
    }
    // Transfers close when the doors open, so the gate never sees a right change hands mid-entry.
    if (now >= Date.parse(String(right.valid_from))) return fail(409, "transfer_window_closed", "Transfers are closed once the doors open.");
    return null;
  }

  // ── gate ─────────────────────────────────────────────────────────────────

  /** The venue side of access control: zones with capacities, gates and the zones they open onto, signing keys, age and re-entry rules. */
  configureGate(setup: GateSetup): Result<{ zones: number; access_points: number }> {
    if (!this.event()) return fail(409, "not_configured", "Configure the event before its gates.");
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE event SET venue_id = ?, organizer_id = ?", setup.venue_id, setup.organizer_id);
      for (const zone of setup.zones) {
        this.sql.exec(
          "INSERT INTO zones (id, name, capacity) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, capacity = excluded.capacity",
          zone.id, zone.name, zone.capacity,
        );
      }
      this.sql.exec("DELETE FROM access_points");
      for (const point of setup.access_points) {
        this.sql.exec("INSERT INTO access_points (id, name, direction, zone_ids, is_active) VALUES (?, ?, ?, ?, ?)", point.id, point.name, point.direction, JSON.stringify(point.zone_ids), point.is_active ? 1 : 0);
      }
      this.sql.exec("DELETE FROM signing_keys");
      for (const key of setup.keys) this.sql.exec("INSERT INTO signing_keys (kid, jwk) VALUES (?, ?)", key.kid, JSON.stringify(key));
      for (const rule of setup.config_rules) {
        this.sql.exec("UPDATE configs SET min_age = ?, requires_id = ?, re_entry_allowed = ? WHERE id = ?", rule.min_age, rule.requires_id ? 1 : 0, rule.re_entry_allowed ? 1 : 0, rule.config_id);
      }
    });
    this.verifyKeys = null;
    this.tokenChecks.clear();
    this.gatePolicy = null;
    return { ok: true, zones: setup.zones.length, access_points: setup.access_points.length };
  }

  /** Replaces the event's zone overrides and blacklist, and tells every connected gate at once. */
  setGatePolicy(policy: GatePolicy): { overrides: number; blacklist: number } {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM overrides");
      for (const o of policy.overrides) {
        this.sql.exec(
          "INSERT INTO overrides (id, target_type, target_id, original_zone_id, override_zone_id, valid_from, valid_until, capacity_impact) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          o.id, o.target_type, o.target_id, o.original_zone_id, o.override_zone_id, o.valid_from, o.valid_until, o.capacity_impact,
        );
      }
      this.sql.exec("DELETE FROM blacklist");
      for (const b of policy.blacklist) {
        this.sql.exec("INSERT INTO blacklist (id, type, identifier, starts_at, ends_at) VALUES (?, ?, ?, ?, ?)", b.id, b.type, b.identifier, b.starts_at, b.ends_at);
      }
    });
    this.gatePolicy = null;
    this.broadcast({ type: "policy", overrides: policy.overrides.length, blacklist: policy.blacklist.length, at: new Date().toISOString() });
    // A gate standing on a device that was just blacklisted is closed.
    for (const ws of this.ctx.getWebSockets()) {
      const who = ws.deserializeAttachment() as ScanContext | null;
      if (who && policy.blacklist.some((b) => b.type === "DEVICE" && b.identifier === who.device_id)) ws.close(4003, "device blacklisted");
    }
    return { overrides: policy.overrides.length, blacklist: policy.blacklist.length };
  }

  /**
   * Closes the gate and observer sockets of someone who may no longer scan or
   * watch this event (removed from its staff): the Worker checked them only
   * when the socket opened, and refuses them from now on. Returns how many.
   */
  closeSocketsOf(userId: string): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if ((ws.deserializeAttachment() as ScanContext | null)?.controller_id !== userId) continue;
      ws.close(4003, "no longer staff of this event");
      closed++;
    }
    return closed;
  }

  /** Facts about holders a gate needs (birth date for age limits, groups for overrides). */
  rememberPeople(people: Person[]): void {
    for (const p of people) {
      this.sql.exec(
        "INSERT INTO people (user_id, birth_date, groups) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET birth_date = excluded.birth_date, groups = excluded.groups",
        p.user_id, p.birth_date, JSON.stringify(p.group_ids),
      );
    }
  }

  /**
   * Decides scans (HTTP path, and the socket's messages): tokens are verified
   * first, then the scans join the next group commit (`decideScans`).
   */
  async scan(bodies: ScanBody[], who: ScanContext): Promise<Result<{ results: ScanResult[] }>> {
    const receivedAt = Date.now();
    if (!this.event()) return fail(404, "not_configured", "This event has no access control set up.");
    // A scan names a gate of this event's venue; anything else is a bad request, not a scan to record.
    if (!this.policy().points.has(who.access_point_id)) return fail(422, "unknown_access_point", "This access point is not a gate of the event's venue.");
    const checks = await Promise.all(bodies.map((body) => (body.scan_method === "MANUAL_ENTRY" ? null : this.checkToken(body.qr))));
    return (await this.scanPasses.submit({ bodies, who, checks, receivedAt })).answer;
  }

  /**
   * One group-commit pass of scans, from any gate, in arrival order. Zone
   * counts are kept across the pass's scans and written once at its end.
   */
  private decideScans(items: QueuedScans[]): DecidedScans[] {
    // Read now, not when the scans arrived: a policy change that landed meanwhile applies to them.
    const event = this.event()!;
    const policy = this.policy();
    const occupancy: PassOccupancy = new Map();
    const decided = items.map((item) => {
      let moved = false;
      const results = item.bodies.map((body, i) => {
        const scan = decideScan(this.sql, event, policy, body, item.who, item.checks[i]!, item.receivedAt, occupancy);
        moved ||= scan.moved;
        return scan.result;
      });
      return { answer: { ok: true as const, results }, moved };
    });
    writeOccupancy(this.sql, occupancy);
    return decided;
  }

  private policy(): GatePolicyState {
    return (this.gatePolicy ??= loadGatePolicy(this.sql));
  }

  /**
   * What a gate needs to decide offline: verification keys, zones, gates,
   * overrides, blacklist, and the rights that must be refused (cancelled,
   * transferred, blocked, expired) or are already inside. `since` (a previous
   * bundle's version) limits the rights to those changed after it.
   */
  gateBundle(since: string | null): GateBundle {
    const version = new Date().toISOString();
    const rights = this.sql
      .exec<Row>(
        `SELECT id, qr_code, status, zone_id, is_inside, entry_count, valid_from, valid_until, updated_at FROM rights
         WHERE (? IS NULL OR updated_at > ?) ORDER BY updated_at`,
        since, since,
      )
      .toArray();
    return {
      event_id: this.event()?.id ?? "",
      version,
      since,
      keys: this.sql.exec<{ jwk: string }>("SELECT jwk FROM signing_keys").toArray().map((k) => JSON.parse(k.jwk)),
      zones: this.occupancy().zones,
      access_points: this.sql.exec<Row>("SELECT * FROM access_points").toArray().map((p) => ({ id: String(p.id), name: String(p.name), direction: String(p.direction), zone_ids: JSON.parse(String(p.zone_ids)) as string[], is_active: Boolean(Number(p.is_active)) })),
      overrides: this.sql.exec<Row>("SELECT * FROM overrides").toArray().map((o) => ({ ...o }) as Record<string, unknown>),
      blacklist: this.sql.exec<Row>("SELECT * FROM blacklist").toArray().map((b) => ({ ...b }) as Record<string, unknown>),
      revoked: rights.filter((r) => r.status !== "ENABLED" && r.status !== "USED").map((r) => ({ id: String(r.id), qr_code: String(r.qr_code), status: String(r.status) })),
      inside: rights.filter((r) => Number(r.is_inside)).map((r) => String(r.id)),
      valid: rights
        .filter((r) => r.status === "ENABLED" || r.status === "USED")
        .map((r) => ({ id: String(r.id), qr_code: String(r.qr_code), zone_id: (r.zone_id as string | null) ?? null, entry_count: Number(r.entry_count), valid_from: String(r.valid_from), valid_until: String(r.valid_until) })),
    };
  }

  occupancy(): Occupancy {
    const zones = this.sql.exec<{ id: string; name: string; capacity: number; occupancy: number }>("SELECT id, name, capacity, occupancy FROM zones ORDER BY name").toArray();
    return { type: "occupancy", zones: zones.map((z) => ({ ...z })), at: new Date().toISOString() };
  }

  /**
   * The gate socket. The Worker has authenticated the controller and checked
   * their assignment; it passes who is scanning in headers the device cannot
   * set (the Worker overwrites them). Sockets hibernate between messages.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const role = request.headers.get("X-Gate-Role") === "observer" ? "observer" : "gate";
    const who: ScanContext & { role: string } = {
      controller_id: request.headers.get("X-Gate-Controller") ?? "",
      device_id: request.headers.get("X-Gate-Device") ?? "",
      access_point_id: request.headers.get("X-Gate-Access-Point") ?? "",
      ip: request.headers.get("X-Gate-Ip"),
      role,
    };
    if (role === "gate") {
      const point = this.sql.exec<{ is_active: number }>("SELECT is_active FROM access_points WHERE id = ?", who.access_point_id).toArray()[0];
      if (!point || !point.is_active) return new Response("unknown gate", { status: 404 });
      const now = new Date().toISOString();
      const banned = this.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM blacklist WHERE type = 'DEVICE' AND identifier = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)", who.device_id, now, now)
        .one().n;
      if (banned) return new Response("device blacklisted", { status: 403 });
    }
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [role, `device:${who.device_id}`]);
    server.serializeAttachment(who);
    server.send(JSON.stringify({ type: "hello", event_id: this.event()?.id, access_point_id: who.access_point_id, role, protocol: 1 }));
    server.send(JSON.stringify(this.occupancy()));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const who = ws.deserializeAttachment() as (ScanContext & { role: string }) | null;
    if (!who) return ws.close(1011, "lost session");
    const text = typeof message === "string" ? message : new TextDecoder().decode(message);
    if (text.length > 512 * 1024) return ws.send(JSON.stringify({ type: "error", code: "message_too_large" }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return ws.send(JSON.stringify({ type: "error", code: "bad_json" }));
    }
    const msg = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { type?: string; scans?: unknown };
    if (msg.type === "ping") return ws.send(JSON.stringify({ type: "pong", at: new Date().toISOString() }));
    if (who.role !== "gate") return ws.send(JSON.stringify({ type: "error", code: "read_only" }));
    let bodies: ScanBody[];
    if (msg.type === "scan") bodies = [parsed as ScanBody];
    else if ((msg.type === "scan_batch" || msg.type === "sync") && Array.isArray(msg.scans)) bodies = msg.scans as ScanBody[];
    else return ws.send(JSON.stringify({ type: "error", code: "unknown_type" }));
    const invalid = bodies.map(scanBodyError);
    const valid = bodies.filter((_, i) => invalid[i] === null);
    if (msg.type === "sync") {
      // Offline scans are replayed in the order they happened; each counts as admitted/refused as the device decided.
      valid.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
      for (const body of valid) body.offline_status ??= "SUCCESS";
    }
    invalid.forEach((error, i) => {
      if (error) ws.send(JSON.stringify({ type: "error", code: "bad_scan", id: (bodies[i] as { id?: unknown })?.id ?? null, detail: error }));
    });
    if (valid.length === 0) return;
    const decided = await this.scan(valid, who);
    if (!decided.ok) return ws.send(JSON.stringify({ type: "error", code: decided.problem.code, detail: decided.problem.detail }));
    if (msg.type === "scan") ws.send(JSON.stringify(decided.results[0]));
    else ws.send(JSON.stringify({ type: msg.type === "sync" ? "sync_result" : "scan_batch_result", results: decided.results }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Only 1000 and 3000–4999 may be sent back; 1005/1006 describe how the peer went away.
    ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason);
  }

  /**
   * Remembers QR tokens the app signed for this event's rights as it hands
   * them to their holders, so that at the gate, when a stadium fills in an
   * hour, a token is recognised by comparing it with the one issued instead
   * of verifying its signature (the dearest step of a scan). Each is verified
   * once here: the object stores only tokens that are genuine and name one
   * of its rights. Returns how many it holds of those given.
   */
  async registerTokens(tokens: string[]): Promise<number> {
    const keys = await this.keys();
    let held = 0;
    for (const token of tokens) {
      const parsed = parseAccessToken(token);
      if (!parsed || parsed.event_id !== this.event()?.id) continue;
      if (this.issuedToken(parsed.access_right_id, parsed.kid) === token) {
        held++;
        continue;
      }
      if (!(await verifyAccessToken(parsed, keys)).ok) continue;
      if (!this.sql.exec("SELECT 1 FROM rights WHERE id = ?", parsed.access_right_id).toArray().length) continue;
      this.sql.exec("INSERT OR REPLACE INTO issued_tokens (access_right_id, kid, token) VALUES (?, ?, ?)", parsed.access_right_id, parsed.kid, token);
      held++;
    }
    return held;
  }

  private issuedToken(rightId: string, kid: string): string | undefined {
    return this.sql.exec<{ token: string }>("SELECT token FROM issued_tokens WHERE access_right_id = ? AND kid = ?", rightId, kid).toArray()[0]?.token;
  }

  private keys(): Promise<Map<string, CryptoKey>> {
    return (this.verifyKeys ??= importVerifyKeys(this.sql.exec<{ jwk: string }>("SELECT jwk FROM signing_keys").toArray().map((row) => JSON.parse(row.jwk))));
  }

  /**
   * A scanned token: the one this object was given for that right and key
   * (compared in constant time), or else one whose signature verifies.
   */
  private async checkToken(token: string): Promise<TokenCheck> {
    const cached = this.tokenChecks.get(token);
    if (cached) return cached;
    const parsed = parseAccessToken(token);
    if (!parsed) return { ok: false, reason: "malformed" };
    const keys = await this.keys();
    const issued = keys.has(parsed.kid) ? this.issuedToken(parsed.access_right_id, parsed.kid) : undefined;
    let check: TokenCheck =
      issued !== undefined && timingSafeEqual(issued, token)
        ? { ok: true, access_right_id: parsed.access_right_id, event_id: parsed.event_id, kid: parsed.kid }
        : await verifyAccessToken(parsed, keys);
    // Another event's key: the payload (unverified) names the event, which is all a WRONG_EVENT refusal says.
    if (!check.ok && check.reason === "unknown_kid" && parsed.event_id !== this.event()?.id) check = { ok: true, access_right_id: "", event_id: parsed.event_id, kid: "" };
    if (this.tokenChecks.size > 20_000) this.tokenChecks.clear();
    this.tokenChecks.set(token, check);
    return check;
  }

  private broadcast(message: unknown) {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // a socket closing as we send: it will reconnect
      }
    }
  }

  /** Sends zone counts to every gate and observer, at most four times a second. */
  private occupancyChanged() {
    if (this.occupancyTimer) return;
    this.occupancyTimer = setTimeout(() => {
      this.occupancyTimer = null;
      this.broadcast(this.occupancy());
    }, 250);
  }

  // ── alarm: hold expiry and projection to D1 ─────────────────────────────

  /** Projects every pending change to D1 now (before D1 rows that reference them are written). */
  async flushProjection(): Promise<void> {
    this.expireHolds(Date.now());
    while ((await drainOutbox(this.sql, this.env.DB, this.event()?.id ?? "")) > 0) {
      // until the outbox is empty
    }
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    this.expireHolds(now);
    try {
      await drainOutbox(this.sql, this.env.DB, this.event()?.id ?? "");
    } catch (error) {
      console.error("EventDO projection to D1 failed; retrying", error);
      this.scheduleAlarm(now + 5_000);
    }
    const pending = projectionPending(this.sql);
    const nextHold = this.sql.exec<{ t: string | null }>("SELECT min(expires_at) AS t FROM orders WHERE booking_status = 'PENDING'").one().t;
    if (pending) this.scheduleAlarm(now + OUTBOX_DELAY_MS);
    if (nextHold) this.scheduleAlarm(Date.parse(nextHold));
  }

  // ── internals ────────────────────────────────────────────────────────────

  /** The event row, parsed once: every decision and every view reads it, and only `configure` changes it. */
  private event() {
    if (this.eventState !== undefined) return this.eventState;
    const row = this.sql.exec<Row>("SELECT * FROM event").toArray()[0];
    this.eventState = row ? parseEvent(row) : null;
    return this.eventState;
  }

  private salesOpen(config: Row, event: NonNullable<ReturnType<EventDO["event"]>>, now: number) {
    if (config.sales_start && now < Date.parse(String(config.sales_start))) return fail(409, "sales_not_started", `Sales open at ${config.sales_start}.`);
    if (config.sales_end && now >= Date.parse(String(config.sales_end))) return fail(409, "sales_ended", "Sales for this ticket have ended.");
    if (now >= Date.parse(event.ends_at)) return fail(409, "sales_ended", "This event is over.");
    return null;
  }

  /** Returns the units of every hold past its expiry; runs before each decision and on the alarm. */
  private expireHolds(now: number): void {
    const due = this.sql.exec<Row>("SELECT * FROM orders WHERE booking_status = 'PENDING' AND expires_at <= ?", iso(now)).toArray();
    if (due.length === 0) return;
    this.ctx.storage.transactionSync(() => {
      for (const order of due) {
        this.sql.exec("UPDATE configs SET quantity_held = quantity_held - ? WHERE id = ?", order.quantity, order.config_id);
        this.releaseBuyer(order);
        this.sql.exec("UPDATE orders SET booking_status = 'EXPIRED', updated_at = ? WHERE id = ?", iso(now), order.id);
        this.enqueue("order", String(order.id));
        this.enqueue("config", String(order.config_id));
      }
    });
    this.scheduleAlarm(now + OUTBOX_DELAY_MS);
  }

  private addBuyerUnits(userId: string, configId: string, units: number) {
    this.sql.exec(
      "INSERT INTO buyer_units (user_id, config_id, units) VALUES (?, ?, ?) ON CONFLICT (user_id, config_id) DO UPDATE SET units = units + excluded.units",
      userId, configId, units,
    );
  }

  private addRuleUse(ruleId: string, userId: string, uses: number) {
    this.sql.exec(
      "INSERT INTO rule_uses (rule_id, user_id, uses) VALUES (?, ?, ?) ON CONFLICT (rule_id, user_id) DO UPDATE SET uses = uses + excluded.uses",
      ruleId, userId, uses,
    );
  }

  /** Gives back what an order counted against the buyer's cap and its rules' limits. */
  private releaseBuyer(order: Row) {
    this.sql.exec("UPDATE buyer_units SET units = units - ? WHERE user_id = ? AND config_id = ?", order.quantity, order.user_id, order.config_id);
    for (const rule of JSON.parse(String(order.applied_rules)) as { id: string }[]) {
      this.sql.exec("UPDATE rule_uses SET uses = uses - 1 WHERE rule_id = ? AND user_id = ?", rule.id, order.user_id);
    }
  }

  private insertRight(r: {
    order_id: string | null;
    config_id: string | null;
    user_id: string;
    zone_id: string | null;
    seat_id?: string | null;
    source_type: string;
    source_id: string;
    original_user_id?: string;
    transfer?: { id: string; type: string; count: number; no_retransfer: boolean };
    valid_from: string;
    valid_until: string;
    created_by: string | null;
    at: string;
    price: number | null;
    currency: string | null;
  }): string {
    const id = newId();
    for (;;) {
      const code = `${humanCode(4)}-${humanCode(4)}-${humanCode(4)}`;
      const taken = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM rights WHERE qr_code = ?", code).one().n;
      if (taken) continue;
      this.sql.exec(
        `INSERT INTO rights (id, qr_code, order_id, config_id, user_id, zone_id, seat_id, status, source_type, source_id, original_user_id, transfer_count, last_transfer_date,
           transfer_id, transfer_type, no_retransfer, face_value, currency, valid_from, valid_until, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'ENABLED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, code, r.order_id, r.config_id, r.user_id, r.zone_id, r.seat_id ?? null, r.source_type, r.source_id, r.original_user_id ?? r.user_id,
        r.transfer?.count ?? 0, r.transfer ? r.at : null, r.transfer?.id ?? null, r.transfer?.type ?? null, r.transfer?.no_retransfer ? 1 : 0,
        r.price, r.currency, r.valid_from, r.valid_until, r.created_by, r.at, r.at,
      );
      break;
    }
    this.enqueue("right", id);
    if (!r.transfer) {
      this.logTransaction({ right_id: id, type: "CREATE", from_user: null, to_user: r.user_id, by: r.created_by, reason: r.source_type, at: r.at, price: r.price, currency: r.currency });
    }
    return id;
  }

  private logTransaction(t: { right_id: string; type: string; from_user: string | null; to_user: string | null; by: string | null; reason: string | null; at: string; price?: number | null; currency?: string | null }) {
    const id = newLogId(Date.parse(t.at));
    this.sql.exec(
      "INSERT INTO outbox (kind, entity_id, payload, created_at) VALUES ('transaction', ?, ?, ?)",
      id,
      JSON.stringify({ id, access_right_id: t.right_id, transaction_type: t.type, from_user_id: t.from_user, to_user_id: t.to_user, created_by: t.by, reason: t.reason, created_at: t.at, price: t.price ?? null, currency: t.currency ?? null }),
      t.at,
    );
  }

  private enqueue(kind: "order" | "right" | "config", entityId: string) {
    this.sql.exec("INSERT INTO outbox (kind, entity_id, created_at) VALUES (?, ?, ?)", kind, entityId, new Date().toISOString());
  }

  private scheduleAlarm(at: number) {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  private orderView(orderId: string, row?: Row): OrderView | null {
    const o = row ?? this.sql.exec<Row>("SELECT o.*, c.ticket_type_id FROM orders o JOIN configs c ON c.id = o.config_id WHERE o.id = ?", orderId).toArray()[0];
    if (!o) return null;
    return {
      id: String(o.id),
      ticket_number: String(o.ticket_number),
      event_id: this.event()?.id ?? "",
      config_id: String(o.config_id),
      ticket_type_id: String(o.ticket_type_id),
      user_id: String(o.user_id),
      quantity: Number(o.quantity),
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

  private rightView(r: Row): RightView {
    return {
      id: String(r.id),
      qr_code: String(r.qr_code),
      event_id: this.event()?.id ?? "",
      order_id: (r.order_id as string | null) ?? null,
      user_id: String(r.user_id),
      zone_id: (r.zone_id as string | null) ?? null,
      seat_id: (r.seat_id as string | null) ?? null,
      status: String(r.status),
      source_type: String(r.source_type),
      source_id: String(r.source_id),
      original_user_id: String(r.original_user_id),
      transfer_count: Number(r.transfer_count),
      valid_from: String(r.valid_from),
      valid_until: String(r.valid_until),
      used_at: (r.used_at as string | null) ?? null,
    };
  }
}

const ACTIONS = new Set(["ENTRY", "EXIT", "RE_ENTRY", "CHECK"]);
const METHODS = new Set(["QR_SCANNER", "MANUAL_ENTRY", "NFC"]);
const OFFLINE = new Set(["SUCCESS", "DENIED", "WARNING", "ERROR"]);

/** Why a device's scan body is malformed, or null. Hand-written: it runs for every scan. */
export function scanBodyError(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "a scan is an object";
  const s = value as Record<string, unknown>;
  if (typeof s.id !== "string" || s.id.length < 1 || s.id.length > 100) return "id: a nonce of 1–100 characters";
  if (typeof s.qr !== "string" || s.qr.length < 1 || s.qr.length > 512) return "qr: the scanned text, 1–512 characters";
  if (typeof s.action !== "string" || !ACTIONS.has(s.action)) return "action: ENTRY, EXIT, RE_ENTRY or CHECK";
  if (typeof s.scan_method !== "string" || !METHODS.has(s.scan_method)) return "scan_method: QR_SCANNER, MANUAL_ENTRY or NFC";
  if (typeof s.scanned_at !== "string" || Number.isNaN(Date.parse(s.scanned_at))) return "scanned_at: an ISO time";
  if (s.offline_status !== undefined && (typeof s.offline_status !== "string" || !OFFLINE.has(s.offline_status))) return "offline_status: SUCCESS, DENIED, WARNING or ERROR";
  if (s.queue_size !== undefined && (typeof s.queue_size !== "number" || !Number.isInteger(s.queue_size) || s.queue_size < 0)) return "queue_size: a count";
  return null;
}

function parseEvent(row: Row) {
  return {
    id: String(row.id),
    status: String(row.status),
    currency: String(row.currency),
    starts_at: String(row.starts_at),
    ends_at: String(row.ends_at),
    doors_open_at: (row.doors_open_at as string | null) ?? null,
    event_group_id: (row.event_group_id as string | null) ?? null,
    tags: JSON.parse(String(row.tags)) as string[],
    hold_ttl_seconds: Number(row.hold_ttl_seconds),
  };
}
