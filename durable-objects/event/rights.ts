/**
 * Access rights outside the gate: issuing them (with a confirmed order, or
 * for invitations, staff, press, partners and season passes), moving a
 * whole source between ENABLED, BLOCKED and CANCELLED, blocking or
 * unblocking one right at the door, and transfers (gift,
 * loan and its return, sale, exchange). Each change is one synchronous step
 * with its outbox entries and its `access_transactions_log` row, so the old
 * QR of a transfer stops working in the step the new one starts.
 */
import { ACCESS_SOURCE_TYPES } from "../../src/access/schema.ts";
import { humanCode, newId } from "../../src/lib/ids.ts";
import { toTimestamp } from "../../src/lib/time.ts";
import { fail, type ExchangeRequest, type IssueRightsRequest, type Result, type RightView, type TransferRequest } from "./contract.ts";
import { manualCodeDigest } from "./code-digest.ts";
import { unitsAvailable, zoneShareCheck } from "./inventory.ts";
import { reserveForPass } from "./seats.ts";
import type { Row, SqlValue } from "./sql.ts";
import type { EventStore } from "./store.ts";

/** When rights become valid: the doors' opening, or 3 hours before the start. */
export const validFrom = (event: { doors_open_at: string | null; starts_at: string }) => event.doors_open_at ?? toTimestamp(Date.parse(event.starts_at) - 3 * 3600_000);

export interface NewRight {
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
}

/** Writes a right with a fresh printed code (and, unless it comes from a transfer, its CREATE log row); returns its id. */
export function insertRight(s: EventStore, r: NewRight): string {
  const { sql } = s;
  const id = newId();
  for (;;) {
    const code = `${humanCode(4)}-${humanCode(4)}-${humanCode(4)}`;
    if (sql<{ n: number }>`SELECT count(*) AS n FROM rights WHERE qr_code = ${code}`.one().n) continue;
    sql`INSERT INTO rights (id, qr_code, code_digest, order_id, config_id, user_id, zone_id, seat_id, status, source_type, source_id, original_user_id,
          transfer_count, last_transfer_date, transfer_id, transfer_type, no_retransfer, face_value, currency, valid_from, valid_until, created_by, created_at, updated_at)
        VALUES (${id}, ${code}, ${manualCodeDigest(s.manualCodeKey(), code)}, ${r.order_id}, ${r.config_id}, ${r.user_id}, ${r.zone_id}, ${r.seat_id ?? null}, 'ENABLED', ${r.source_type}, ${r.source_id}, ${r.original_user_id ?? r.user_id},
          ${r.transfer?.count ?? 0}, ${r.transfer ? r.at : null}, ${r.transfer?.id ?? null}, ${r.transfer?.type ?? null}, ${r.transfer?.no_retransfer ? 1 : 0},
          ${r.price}, ${r.currency}, ${r.valid_from}, ${r.valid_until}, ${r.created_by}, ${r.at}, ${r.at})`;
    break;
  }
  s.outbox.enqueue("right", id);
  if (!r.transfer) {
    s.outbox.logTransaction({ right_id: id, type: "CREATE", from_user: null, to_user: r.user_id, by: r.created_by, reason: r.source_type, at: r.at, price: r.price, currency: r.currency });
  }
  return id;
}

export function rightView(s: EventStore, r: Row): RightView {
  return {
    id: String(r.id),
    qr_code: String(r.qr_code),
    event_id: s.event()?.id ?? "",
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

// Every source type, so that (source_type, source_id) is an index lookup per type.
const RIGHTS_OF_SOURCE_ID = `SELECT * FROM rights WHERE source_type IN (${ACCESS_SOURCE_TYPES.map((t) => `'${t}'`).join(", ")}) AND source_id = ? ORDER BY created_at, id`;

export function listRights(s: EventStore, filter: { order_id?: string; user_id?: string; source_id?: string }): RightView[] {
  const { sql } = s;
  const rows = filter.order_id
    ? sql`SELECT * FROM rights WHERE order_id = ${filter.order_id} ORDER BY created_at, id`.toArray()
    : filter.source_id
      ? sql.storage.exec<Row>(RIGHTS_OF_SOURCE_ID, filter.source_id).toArray()
      : sql`SELECT * FROM rights WHERE user_id = ${filter.user_id ?? ""} ORDER BY created_at, id`.toArray();
  return rows.map((r) => rightView(s, r));
}

const rightsOf = (s: EventStore, sourceType: string, sourceId: string) =>
  s.sql`SELECT * FROM rights WHERE source_type = ${sourceType} AND source_id = ${sourceId} ORDER BY created_at, id`.toArray().map((r) => rightView(s, r));

/** Cancels an order's ENABLED rights (CANCEL in the transactions log); inside the caller's step. */
export function cancelOrderRights(s: EventStore, orderId: string, by: string | null, reason: string, at: string): void {
  for (const right of s.sql`SELECT * FROM rights WHERE order_id = ${orderId} AND status = 'ENABLED'`.toArray()) {
    s.sql`UPDATE rights SET status = 'CANCELLED', updated_at = ${at} WHERE id = ${right.id}`;
    s.outbox.enqueue("right", String(right.id));
    s.outbox.logTransaction({ right_id: String(right.id), type: "CANCEL", from_user: String(right.user_id), to_user: null, by, reason, at });
  }
}

/** How many rights of an order have been used at the gate. */
export const usedRights = (s: EventStore, orderId: string): number =>
  s.sql<{ n: number }>`SELECT count(*) AS n FROM rights WHERE order_id = ${orderId} AND (status = 'USED' OR entry_count > 0)`.one().n;

/**
 * Whether a grant's request asks for exactly the rights already issued under its id: the same kind,
 * configuration and holders with their zones (the configuration's when none is named), in any order.
 */
function asksForIssued(s: EventStore, issued: Row[], req: IssueRightsRequest): boolean {
  if (issued.length !== req.holders.length) return false;
  if (issued.some((r) => r.source_type !== req.source_type || (r.config_id ?? null) !== req.config_id)) return false;
  const configZone = req.config_id ? ((s.sql`SELECT zone_id FROM configs WHERE id = ${req.config_id}`.toArray()[0]?.zone_id as string | null | undefined) ?? null) : null;
  const holder = (userId: unknown, zoneId: unknown) => `${String(userId)}|${zoneId === null || zoneId === undefined ? "" : String(zoneId)}`;
  const asked = req.holders.map((h) => holder(h.user_id, h.zone_id ?? configZone)).sort();
  const have = issued.map((r) => holder(r.user_id, r.zone_id)).sort();
  return asked.every((key, i) => key === have[i]);
}

/**
 * Issues rights for invitations, staff, press, partners and season passes; a repeated request returns the first rights.
 * A grant's id comes from its Idempotency-Key (src/access/grants.ts): the same id asked with another request (other
 * holders, zone, configuration or kind of right) is 422 `idempotency_key_reused`, never a second batch under that id.
 */
export function issueRights(s: EventStore, req: IssueRightsRequest): Result<{ rights: RightView[]; already_issued: boolean }> {
  const { sql } = s;
  const now = req.now ?? Date.now();
  const event = s.event();
  if (!event) return fail(404, "not_configured", "This event has no access control set up.");
  if (event.status === "CANCELLED" || now >= Date.parse(event.ends_at)) return fail(409, "event_closed", "This event is over or cancelled.");
  if (req.source_type !== "SUBSCRIPTION") {
    const issued = sql.storage.exec<Row>(RIGHTS_OF_SOURCE_ID, req.source_id).toArray();
    if (issued.length > 0 && !asksForIssued(s, issued, req)) return fail(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request.");
  }
  const existing = rightsOf(s, req.source_type, req.source_id);
  if (existing.length > 0) return { ok: true, rights: existing, already_issued: true };
  const count = req.holders.length;
  let config: Row | undefined;
  if (req.config_id) {
    config = sql`SELECT * FROM configs WHERE id = ${req.config_id}`.toArray()[0];
    if (!config) return fail(404, "config_not_found", "Unknown ticket configuration.");
    const available = unitsAvailable(config);
    if (count > available) return fail(409, "sold_out", `Only ${available} unit(s) left in this allocation.`);
    const overShare = zoneShareCheck(s, config, count);
    if (overShare) return overShare;
  }
  const at = toTimestamp(now);
  const from = validFrom(event);
  s.storage.transactionSync(() => {
    if (config) {
      sql`UPDATE configs SET quantity_sold = quantity_sold + ${count} WHERE id = ${config.id}`;
      s.outbox.enqueue("config", String(config.id));
    }
    for (const holder of req.holders) {
      insertRight(s, {
        order_id: null,
        config_id: req.config_id,
        user_id: holder.user_id,
        zone_id: holder.zone_id ?? ((config?.zone_id as string | null) ?? null),
        seat_id: holder.seat_id,
        source_type: req.source_type,
        source_id: req.source_id,
        valid_from: from,
        valid_until: event.ends_at,
        created_by: req.created_by,
        at,
        price: 0,
        currency: event.currency,
      });
      // A season pass's seat is its holder's at this match: never sold to anyone else.
      if (req.source_type === "SUBSCRIPTION" && holder.seat_id) reserveForPass(s, holder.seat_id);
    }
  });
  s.outbox.projectSoon(now);
  return { ok: true, rights: rightsOf(s, req.source_type, req.source_id), already_issued: false };
}

/**
 * Blocks, re-enables or cancels every right of one source (a season pass
 * being suspended, reactivated or cancelled, a grant taken back) in one
 * synchronous step. Only ENABLED and BLOCKED rights move: a used or
 * transferred right keeps its status, and CANCELLED is final; a cancelled
 * right that took a unit from a configuration gives it back to sale.
 * Repeating a call changes nothing more.
 */
/**
 * Gives a source's CANCELLED rights back (an organizer undoing a grant taken
 * back by mistake): ENABLED again with their codes, each logged RESTORE, the
 * units they took from a configuration taken again, within what is left and
 * the ticket type's share of its zone, all or none. Only before the event
 * ends; rights used or passed on were never cancelled, so are left alone.
 */
export function restoreRights(s: EventStore, sourceType: IssueRightsRequest["source_type"], sourceId: string, by: string | null, reason: string | null, now: number): Result<{ rights: RightView[]; restored: number }> {
  const { sql } = s;
  const event = s.event();
  if (!event) return fail(404, "not_configured", "This event has no access control set up.");
  if (event.status === "CANCELLED" || now >= Date.parse(event.ends_at)) return fail(409, "event_closed", "This event is over or cancelled.");
  const cancelled = sql`SELECT * FROM rights WHERE source_type = ${sourceType} AND source_id = ${sourceId} AND status = 'CANCELLED'`.toArray();
  const units = new Map<string, number>();
  for (const right of cancelled) if (right.config_id !== null && right.order_id === null) units.set(String(right.config_id), (units.get(String(right.config_id)) ?? 0) + 1);
  for (const [configId, count] of units) {
    const config = sql`SELECT * FROM configs WHERE id = ${configId}`.one();
    const available = unitsAvailable(config);
    if (count > available) return fail(409, "sold_out", `Only ${available} unit(s) left in this allocation; ${count} are needed.`);
    const overShare = zoneShareCheck(s, config, count);
    if (overShare) return overShare;
  }
  const at = toTimestamp(now);
  s.storage.transactionSync(() => {
    for (const [configId, count] of units) {
      sql`UPDATE configs SET quantity_sold = quantity_sold + ${count} WHERE id = ${configId}`;
      s.outbox.enqueue("config", configId);
    }
    for (const right of cancelled) {
      sql`UPDATE rights SET status = 'ENABLED', updated_at = ${at} WHERE id = ${right.id}`;
      s.outbox.enqueue("right", String(right.id));
      s.outbox.logTransaction({ right_id: String(right.id), type: "RESTORE", from_user: null, to_user: String(right.user_id), by, reason, at });
    }
  });
  if (cancelled.length > 0) s.outbox.projectSoon(now);
  return { ok: true, rights: rightsOf(s, sourceType, sourceId), restored: cancelled.length };
}

/**
 * The event's dates moved (postponed, doors earlier): every right still
 * live (ENABLED, BLOCKED, USED) takes the new window, the doors' opening to
 * the end, as if issued now, so the gate neither turns its holders away
 * (NOT_YET_VALID, EXPIRED) nor lets them in at the old time; each change is
 * logged MODIFY. Inside `configure`'s transaction. Returns how many changed.
 */
export function redateRights(s: EventStore, event: { doors_open_at: string | null; starts_at: string; ends_at: string }, at: string): number {
  const from = validFrom(event);
  const moved = s.sql`
    UPDATE rights SET valid_from = ${from}, valid_until = ${event.ends_at}, updated_at = ${at}
    WHERE status IN ('ENABLED', 'BLOCKED', 'USED') AND (valid_from <> ${from} OR valid_until <> ${event.ends_at})
    RETURNING id, user_id`.toArray();
  for (const right of moved) {
    s.outbox.enqueue("right", String(right.id));
    s.outbox.logTransaction({ right_id: String(right.id), type: "MODIFY", from_user: String(right.user_id), to_user: String(right.user_id), by: null, reason: `event dates changed: valid ${from} to ${event.ends_at}`, at });
  }
  return moved.length;
}

export function setRightsStatus(
  s: EventStore,
  sourceType: IssueRightsRequest["source_type"],
  sourceId: string,
  status: "BLOCKED" | "ENABLED" | "CANCELLED",
  by: string | null,
  reason: string | null,
  now: number,
): Result<{ rights: RightView[]; changed: number }> {
  const { sql } = s;
  const from = JSON.stringify({ BLOCKED: ["ENABLED"], ENABLED: ["BLOCKED"], CANCELLED: ["ENABLED", "BLOCKED"] }[status]);
  const type = { BLOCKED: "BLOCK", ENABLED: "UNBLOCK", CANCELLED: "CANCEL" }[status];
  const moving = sql`SELECT * FROM rights WHERE source_type = ${sourceType} AND source_id = ${sourceId} AND status IN (SELECT value FROM json_each(${from}))`.toArray();
  const at = toTimestamp(now);
  s.storage.transactionSync(() => {
    for (const right of moving) {
      sql`UPDATE rights SET status = ${status}, updated_at = ${at} WHERE id = ${right.id}`;
      s.outbox.enqueue("right", String(right.id));
      if (status === "CANCELLED" && right.config_id !== null && right.order_id === null) {
        sql`UPDATE configs SET quantity_sold = quantity_sold - 1 WHERE id = ${right.config_id}`;
        s.outbox.enqueue("config", String(right.config_id));
      }
      s.outbox.logTransaction({ right_id: String(right.id), type, from_user: String(right.user_id), to_user: null, by, reason, at });
    }
  });
  if (moving.length > 0) s.outbox.projectSoon(now);
  return { ok: true, rights: rightsOf(s, sourceType, sourceId), changed: moving.length };
}

/**
 * Rights that can no longer admit anyone become EXPIRED: ENABLED ones (never
 * used, or their holder outside) past their `valid_until`. USED rights keep
 * their status, the record of an entry. Returns how many expired; repeating
 * changes nothing more. D1 follows by projection.
 */
export function expireRights(s: EventStore, now: number): { expired: number } {
  const { sql } = s;
  const at = toTimestamp(now);
  const due = sql<{ id: string }>`SELECT id FROM rights WHERE status = 'ENABLED' AND valid_until <= ${at}`.toArray();
  if (due.length === 0) return { expired: 0 };
  s.storage.transactionSync(() => {
    for (const right of due) {
      sql`UPDATE rights SET status = 'EXPIRED', updated_at = ${at} WHERE id = ${right.id}`;
      s.outbox.enqueue("right", right.id);
    }
  });
  s.outbox.projectSoon(now);
  return { expired: due.length };
}

const rightById = (s: EventStore, id: SqlValue) => s.sql`SELECT * FROM rights WHERE id = ${id}`.toArray()[0];

/**
 * Blocks one right at the door (every gate then refuses it, BLACKLISTED)
 * or unblocks it, with BLOCK / UNBLOCK and the reason in its transactions
 * log, in one synchronous step. A right already let in may be blocked too
 * (no re-entry); unblocked, it is USED again. Asking for the state a right
 * is already in changes nothing; a cancelled, expired or transferred right
 * cannot move.
 */
export function setRightStatus(s: EventStore, rightId: string, action: "BLOCK" | "UNBLOCK", by: string | null, reason: string, now: number): Result<{ right: RightView; changed: boolean }> {
  const right = rightById(s, rightId);
  if (!right) return fail(404, "right_not_found", "Access right not found.");
  const status = String(right.status);
  const target = action === "BLOCK" ? "BLOCKED" : Number(right.entry_count) > 0 ? "USED" : "ENABLED";
  if ((action === "BLOCK" && status === "BLOCKED") || (action === "UNBLOCK" && (status === "ENABLED" || status === "USED"))) {
    return { ok: true, right: rightView(s, right), changed: false };
  }
  if (action === "BLOCK" ? status !== "ENABLED" && status !== "USED" : status !== "BLOCKED") {
    return fail(409, "right_not_blockable", `This right is ${status.toLowerCase()}; only enabled, used or blocked rights can be blocked or unblocked.`);
  }
  const at = toTimestamp(now);
  s.storage.transactionSync(() => {
    s.sql`UPDATE rights SET status = ${target}, updated_at = ${at} WHERE id = ${rightId}`;
    s.outbox.enqueue("right", rightId);
    s.outbox.logTransaction({ right_id: rightId, type: action, from_user: String(right.user_id), to_user: null, by, reason, at });
  });
  s.outbox.projectSoon(now);
  return { ok: true, right: rightView(s, rightById(s, rightId)!), changed: true };
}

/** Hands a right to its next holder inside the caller's step: the old one TRANSFERRED, the new one ENABLED with a new code. */
function handOver(s: EventStore, give: Row, to: string, transfer: NonNullable<NewRight["transfer"]>, by: string, at: string): string {
  s.sql`UPDATE rights SET status = 'TRANSFERRED', updated_at = ${at} WHERE id = ${give.id}`;
  s.outbox.enqueue("right", String(give.id));
  return insertRight(s, {
    order_id: (give.order_id as string | null) ?? null,
    config_id: (give.config_id as string | null) ?? null,
    user_id: to,
    zone_id: (give.zone_id as string | null) ?? null,
    seat_id: (give.seat_id as string | null) ?? null,
    source_type: "TRANSFER",
    source_id: String(give.id),
    original_user_id: String(give.original_user_id),
    transfer,
    valid_from: String(give.valid_from),
    valid_until: String(give.valid_until),
    created_by: by,
    at,
    price: (give.face_value as number | null) ?? null,
    currency: (give.currency as string | null) ?? null,
  });
}

/**
 * Moves a right to another person: in one synchronous step the old right
 * becomes TRANSFERRED (its QR stops working) and the new one is ENABLED with
 * a new code. Of two simultaneous transfers of one right, the second finds it
 * already TRANSFERRED.
 */
export function transferRight(s: EventStore, req: TransferRequest): Result<{ from: RightView; to: RightView; already_done: boolean }> {
  const { sql } = s;
  const now = req.now ?? Date.now();
  const done = sql`SELECT * FROM rights WHERE transfer_id = ${req.transfer_id}`.toArray()[0];
  if (done) return { ok: true, from: rightView(s, rightById(s, done.source_id)!), to: rightView(s, done), already_done: true };
  const right = rightById(s, req.access_right_id);
  const refused = checkTransferable(s, right, req.from_user_id, now);
  if (refused) return refused;
  if (req.to_user_id === req.from_user_id) return fail(422, "transfer_to_self", "You already hold this right.");
  const currency = (right!.currency as string | null) ?? s.event()!.currency;
  if (req.type === "TRANSFER_SALE") {
    const faceValue = Number(right!.face_value ?? 0);
    const cap = Math.floor((faceValue * req.resale_cap_bp) / 10_000);
    if (req.price === null || req.price < 0) return fail(422, "price_required", "A sale needs a price.");
    if (req.price > cap) return fail(422, "price_above_cap", `Resale is capped at ${cap} (minor units of ${currency}).`);
  }
  const at = toTimestamp(now);
  let toId = "";
  s.storage.transactionSync(() => {
    // The new right's currency is the old one's, or the event's when the old one had none.
    toId = handOver(s, { ...right!, currency }, req.to_user_id, { id: req.transfer_id, type: req.type, count: Number(right!.transfer_count) + 1, no_retransfer: req.no_retransfer }, req.by, at);
    s.outbox.logTransaction({
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
  s.outbox.projectSoon(now);
  return { ok: true, from: rightView(s, rightById(s, right!.id)!), to: rightView(s, rightById(s, toId)!), already_done: false };
}

/** Two holders swap rights of this event, both or neither. */
export function exchangeRights(s: EventStore, req: ExchangeRequest): Result<{ rights: RightView[]; already_done: boolean }> {
  const now = req.now ?? Date.now();
  const done = s.sql`SELECT * FROM rights WHERE transfer_id IN (${`${req.transfer_id}:1`}, ${`${req.transfer_id}:2`})`.toArray();
  if (done.length === 2) return { ok: true, rights: done.map((r) => rightView(s, r)), already_done: true };
  const first = rightById(s, req.first.access_right_id);
  const second = rightById(s, req.second.access_right_id);
  const refused = checkTransferable(s, first, req.first.user_id, now) ?? checkTransferable(s, second, req.second.user_id, now);
  if (refused) return refused;
  if (req.first.user_id === req.second.user_id) return fail(422, "transfer_to_self", "Both rights belong to the same person.");
  const at = toTimestamp(now);
  const ids: string[] = [];
  s.storage.transactionSync(() => {
    for (const [index, [give, taker]] of ([[first!, req.second.user_id], [second!, req.first.user_id]] as const).entries()) {
      const transfer = { id: `${req.transfer_id}:${index + 1}`, type: "TRANSFER_EXCHANGE", count: Number(give.transfer_count) + 1, no_retransfer: false };
      const id = handOver(s, give, taker, transfer, req.by, at);
      ids.push(id);
      const currency = (give.currency as string | null) ?? null;
      s.outbox.logTransaction({ right_id: id, type: "TRANSFER_EXCHANGE", from_user: String(give.user_id), to_user: taker, by: req.by, reason: req.reason, at, price: 0, currency });
    }
  });
  s.outbox.projectSoon(now);
  return { ok: true, rights: ids.map((id) => rightView(s, rightById(s, id)!)), already_done: false };
}

/** Ends a loan: the borrowed right stops working and the lender gets a fresh one. */
export function returnLoan(s: EventStore, transferId: string, by: string, now: number): Result<{ right: RightView }> {
  const loaned = s.sql`SELECT * FROM rights WHERE transfer_id = ${transferId} AND transfer_type = 'TRANSFER_LOAN'`.toArray()[0];
  if (!loaned) return fail(404, "loan_not_found", "No such loan.");
  if (loaned.status !== "ENABLED") return fail(409, "loan_closed", `The lent right is ${String(loaned.status).toLowerCase()}; it cannot be recalled.`);
  if (Number(loaned.is_inside)) return fail(409, "holder_inside", "The borrower is inside the venue; recall after they leave.");
  const lent = rightById(s, loaned.source_id)!;
  const at = toTimestamp(now);
  let backId = "";
  s.storage.transactionSync(() => {
    // The lender's fresh right is the lent one again: its zone, seat, value and rules, with the loan's count.
    const transfer = { id: `${transferId}:return`, type: "TRANSFER_LOAN", count: Number(loaned.transfer_count) + 1, no_retransfer: Boolean(Number(lent.no_retransfer)) };
    backId = handOver(s, { ...lent, id: String(loaned.id) }, String(lent.user_id), transfer, by, at);
    const currency = (lent.currency as string | null) ?? null;
    s.outbox.logTransaction({ right_id: backId, type: "TRANSFER_LOAN", from_user: String(loaned.user_id), to_user: String(lent.user_id), by, reason: "loan returned", at, price: 0, currency });
  });
  s.outbox.projectSoon(now);
  return { ok: true, right: rightView(s, rightById(s, backId)!) };
}

/** Why a right cannot be transferred by this holder now, or null. */
function checkTransferable(s: EventStore, right: Row | undefined, holderId: string, now: number) {
  if (!right || right.user_id !== holderId) return fail(404, "right_not_found", "Access right not found.");
  if (right.status !== "ENABLED") return fail(409, "right_not_transferable", `This right is ${String(right.status).toLowerCase()}.`);
  if (Number(right.no_retransfer)) return fail(409, "no_retransfer", "This right was itself transferred and may not be passed on again.");
  if (Number(right.entry_count) > 0) return fail(409, "right_used", "This right was already used at the gate.");
  if (right.config_id) {
    const config = s.sql<{ transfer_allowed: number }>`SELECT transfer_allowed FROM configs WHERE id = ${right.config_id}`.toArray()[0];
    if (config && !config.transfer_allowed) return fail(409, "transfer_not_allowed", "This kind of ticket cannot be transferred.");
  }
  // Transfers close when the doors open, so the gate never sees a right change hands mid-entry.
  if (now >= Date.parse(String(right.valid_from))) return fail(409, "transfer_window_closed", "Transfers are closed once the doors open.");
  return null;
}

/**
 * A whole season pass handed to another person (src/passes/transfers.ts):
 * every right of the old pass here (`from_source`, and its booked matches
 * `from_source:<booking>`) that can still change hands (live, never used,
 * doors not open; the pass is ACTIVE, so they are ENABLED) moves in one synchronous step: the old right TRANSFERRED
 * (its QR dead), a new one ENABLED with a new code for the recipient under the
 * new pass's source (`to_source`, or `to_source:<booking>`). Rights whose doors
 * opened stay with the old pass, as history. Repeating it moves nothing more.
 */
export function transferPassRights(s: EventStore, req: { transfer_id: string; from_source: string; to_source: string; to_user_id: string; by: string; now?: number }): Result<{ moved: RightView[] }> {
  const { sql } = s;
  const now = req.now ?? Date.now();
  const at = toTimestamp(now);
  const moving = sql`SELECT * FROM rights WHERE source_type = 'SUBSCRIPTION' AND (source_id = ${req.from_source} OR substr(source_id, 1, ${req.from_source.length + 1}) = ${`${req.from_source}:`})
      AND status = 'ENABLED' AND entry_count = 0 AND valid_from > ${at}`.toArray();
  const ids: string[] = [];
  s.storage.transactionSync(() => {
    for (const right of moving) {
      sql`UPDATE rights SET status = 'TRANSFERRED', updated_at = ${at} WHERE id = ${right.id}`;
      s.outbox.enqueue("right", String(right.id));
      const source = `${req.to_source}${String(right.source_id).slice(req.from_source.length)}`;
      const id = insertRight(s, {
        order_id: null,
        config_id: (right.config_id as string | null) ?? null,
        user_id: req.to_user_id,
        zone_id: (right.zone_id as string | null) ?? null,
        seat_id: (right.seat_id as string | null) ?? null,
        source_type: "SUBSCRIPTION",
        source_id: source,
        original_user_id: String(right.original_user_id),
        transfer: { id: `${req.transfer_id}:${String(right.id)}`, type: "TRANSFER_DONATION", count: Number(right.transfer_count) + 1, no_retransfer: false },
        valid_from: String(right.valid_from),
        valid_until: String(right.valid_until),
        created_by: req.by,
        at,
        price: (right.face_value as number | null) ?? null,
        currency: (right.currency as string | null) ?? null,
      });
      s.outbox.logTransaction({ right_id: id, type: "TRANSFER_DONATION", from_user: String(right.user_id), to_user: req.to_user_id, by: req.by, reason: "season pass transferred", at, price: 0, currency: (right.currency as string | null) ?? null });
      ids.push(id);
    }
  });
  if (ids.length > 0) s.outbox.projectSoon(now);
  return { ok: true, moved: ids.map((id) => rightView(s, rightById(s, id)!)) };
}
