import { and, desc, eq, gt, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import type { ClientMeta } from "../auth/tokens.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { rememberHolders } from "./gate-sync.ts";
import { eventStub, problemFrom } from "../catalog/sync.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { events } from "../events/schema.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId, newLogId } from "../lib/ids.ts";
import { applyBasisPoints } from "../lib/money.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notify as queueNotification } from "../notifications/service.ts";
import type { NotificationType } from "../notifications/schema.ts";
import { tickets } from "../orders/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { commissionRateBp } from "../payments/commissions.ts";
import { accountForEmail } from "../users/accounts.ts";
import { insertWhere } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import type { Problem } from "../../durable-objects/event/contract.ts";
import { access_rights, access_transactions_log, transfers } from "./schema.ts";
import type { CreateTransferInput, MyTransfersQuery } from "./transfers-schemas.ts";
import type { z } from "@hono/zod-openapi";

type TransferRow = typeof transfers.$inferSelect;
type RightRow = typeof access_rights.$inferSelect;
type EventRow = Pick<typeof events.$inferSelect, "id" | "title" | "organizer_id" | "currency" | "ends_at" | "metadata" | "ticketing_commission_bp">;
type TransferType = TransferRow["transfer_type"];

/** An offer (SALE, EXCHANGE) stays open this long, or until the doors open if sooner. */
const OFFER_TTL_SECONDS = 48 * 3600;
/** An acceptance that has not finished after this long (its worker died) may be driven again by the recipient. */
const STALE_ACCEPT_SECONDS = 60;
/** Without `resale_cap_bp` in the event's metadata, a resale is capped at the face value. */
const DEFAULT_RESALE_CAP_BP = 10_000;

interface SaleFigures {
  face_value: number;
  resale_cap_bp: number;
  commission_bp: number;
  platform_fee: number;
  net_to_seller: number;
}

/** What `transfers.metadata` holds: sale figures, the rights a completion or return created, and who did what from where. */
interface TransferMetadata extends Record<string, unknown> {
  sale?: SaleFigures;
  no_retransfer?: boolean;
  exchange_new_access_right_id?: string;
  returned_access_right_id?: string;
  clients?: Record<string, { ip: string | null; user_agent: string | null; device: string | null; at: string }>;
}

const metadataOf = (row: TransferRow) => (row.metadata ?? {}) as TransferMetadata;

const clientEntry = (client: ClientMeta, at: string) => ({ ip: client.ip, user_agent: client.userAgent, device: client.deviceName ?? null, at });

function withClient(metadata: TransferMetadata, step: string, client: ClientMeta, at: string): TransferMetadata {
  return { ...metadata, clients: { ...metadata.clients, [step]: clientEntry(client, at) } };
}

/** The API's view of a transfer: client details (IPs, user agents) stay internal. */
export function transferView(row: TransferRow) {
  const metadata = metadataOf(row);
  return {
    id: row.id,
    event_id: row.event_id,
    transfer_type: row.transfer_type,
    status: row.status,
    access_right_id: row.access_right_id,
    new_access_right_id: row.new_access_right_id,
    exchange_access_right_id: row.exchange_access_right_id,
    exchange_new_access_right_id: metadata.exchange_new_access_right_id ?? null,
    returned_access_right_id: metadata.returned_access_right_id ?? null,
    from_user_id: row.from_user_id,
    to_user_id: row.to_user_id,
    recipient_email: row.recipient_email,
    price: row.price,
    currency: row.currency,
    sale: metadata.sale ?? null,
    loan_return_at: row.loan_return_at,
    returned_at: row.returned_at,
    message: row.message,
    reason: row.reason,
    expires_at: row.expires_at,
    completed_at: row.status === "PENDING" ? null : row.completed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

// ---------------------------------------------------------------- reading the event, the right and its origin

async function transferEvent(db: Db, eventId: string): Promise<EventRow> {
  const [event] = await db
    .select({
      id: events.id,
      title: events.title,
      organizer_id: events.organizer_id,
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
function resaleRules(event: EventRow) {
  const metadata = event.metadata ?? {};
  const cap = metadata.resale_cap_bp;
  return {
    capBp: typeof cap === "number" && Number.isSafeInteger(cap) && cap >= 0 ? cap : DEFAULT_RESALE_CAP_BP,
    noRetransfer: typeof metadata.resale_no_retransfer === "boolean" ? metadata.resale_no_retransfer : true,
  };
}

/** A right of this event as D1 holds it; call after the event's Durable Object flushed its projection, so D1 is as the object last decided. */
async function eventRight(db: Db, eventId: string, rightId: string): Promise<RightRow | undefined> {
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
async function rightOrigin(db: Db, rightId: string): Promise<{ source_type: string; source_id: string }> {
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
async function faceValue(db: Db, origin: { source_type: string; source_id: string }): Promise<number> {
  if (origin.source_type !== "TICKET") return 0;
  const [ticket] = await db.select({ unit_price: tickets.unit_price }).from(tickets).where(eq(tickets.id, origin.source_id)).limit(1);
  return ticket?.unit_price ?? 0;
}

/** Same rule as the Durable Object: floor(face value × cap / 10 000). */
const resaleCap = (face: number, capBp: number) => Math.floor((face * capBp) / 10_000);

async function saleFigures(env: Env, event: EventRow, price: number, face: number, capBp: number): Promise<SaleFigures> {
  const commissionBp = await commissionRateBp(env, event.organizer_id, event.ticketing_commission_bp);
  const fee = applyBasisPoints(price, commissionBp);
  return { face_value: face, resale_cap_bp: capBp, commission_bp: commissionBp, platform_fee: fee, net_to_seller: price - fee };
}

// ---------------------------------------------------------------- season-pass transfer quota

/** The season pass a right counts against (its origin is a subscription), or null. */
async function seasonPassOf(db: Db, rightId: string): Promise<string | null> {
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
async function giveBackTransferQuota(db: Db, subscriptionIds: string[]): Promise<void> {
  for (const id of subscriptionIds) {
    await db
      .update(subscriptions)
      .set({ transfers_used: sql`${subscriptions.transfers_used} - 1`, updated_at: sql`${subscriptions.updated_at}` })
      .where(and(eq(subscriptions.id, id), sql`${subscriptions.transfers_used} > 0`));
  }
}

/** Takes one unit on each pass, all or none. */
async function takeQuotas(db: Db, subscriptionIds: string[]): Promise<void> {
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

const passesUsed = (db: Db, subscriptionIds: string[], at: string) =>
  subscriptionIds.map((id) => db.update(subscriptions).set({ last_transfer_date: at, updated_at: sql`${subscriptions.updated_at}` }).where(eq(subscriptions.id, id)));

// ---------------------------------------------------------------- the log and notifications

/**
 * The Durable Object logs each executed transfer on the new right; this adds
 * what only the Worker knows: the transfer it belongs to, the client, the figures.
 */
function enrichLog(db: Db, rightIds: string[], type: TransferType, transferId: string, client: ClientMeta, metadata: Record<string, unknown> | null) {
  return db
    .update(access_transactions_log)
    .set({ transfer_id: transferId, ip_address: client.ip, user_agent: client.userAgent, device_id: client.deviceName ?? null, ...(metadata ? { metadata } : {}) })
    .where(and(inArray(access_transactions_log.access_right_id, rightIds), eq(access_transactions_log.transaction_type, type)));
}

type OfferFields = Pick<TransferRow, "id" | "access_right_id" | "transfer_type" | "from_user_id" | "to_user_id" | "event_id" | "price" | "currency" | "message" | "expires_at" | "exchange_access_right_id">;

/** The log row of a step of an offer that does not move the right: made (PENDING), or ended without completing (FAILED). */
function offerLogValues(row: OfferFields, by: string | null, client: ClientMeta | null, outcome: { status: "PENDING" | "FAILED"; error?: string }) {
  return {
    id: newLogId(),
    access_right_id: row.access_right_id,
    transaction_type: row.transfer_type,
    from_user_id: row.from_user_id,
    to_user_id: row.to_user_id,
    event_id: row.event_id,
    transfer_id: row.id,
    price: row.price,
    currency: row.currency,
    reason: row.message,
    ip_address: client?.ip ?? null,
    user_agent: client?.userAgent ?? null,
    device_id: client?.deviceName ?? null,
    status: outcome.status,
    error_message: outcome.error ?? null,
    metadata: { offer: true, expires_at: row.expires_at, exchange_access_right_id: row.exchange_access_right_id },
    created_by: by,
  } satisfies typeof access_transactions_log.$inferInsert;
}

/** A log row that exists only if `condition` holds when its turn in the batch comes. */
const logWhere = (db: Db, values: typeof access_transactions_log.$inferInsert, condition: SQL) =>
  insertWhere(db, access_transactions_log, { created_at: now(), ...values }, condition);

const displayName = (user: { first_name: string; last_name: string; email: string }) => `${user.first_name} ${user.last_name}`.trim() || user.email;

/** One message per channel (in-app and email), once per transfer and step whatever the retries. */
async function notify(env: Env, db: Db, row: TransferRow, to: "sender" | "recipient", template: NotificationType, extra: Record<string, string> = {}) {
  const ids = [row.from_user_id, row.to_user_id].filter((id): id is string => id !== null);
  const people = await db.select({ id: users.id, email: users.email, language: users.language, first_name: users.first_name, last_name: users.last_name }).from(users).where(inArray(users.id, ids));
  const [event] = await db.select({ title: events.title, timezone: events.timezone }).from(events).where(eq(events.id, row.event_id)).limit(1);
  const sender = people.find((p) => p.id === row.from_user_id);
  const recipient = people.find((p) => p.id === row.to_user_id);
  const target = to === "sender" ? sender : recipient;
  if (!target || !sender || !recipient) return;
  await queueNotification(env, [
    {
      type: template,
      key: `transfer:${row.id}:${template.toLowerCase()}`,
      user_id: target.id,
      data: {
        event_title: event?.title ?? "",
        event_id: row.event_id,
        sender_name: displayName(sender),
        recipient_name: displayName(recipient),
        transfer_id: row.id,
        expires_at: row.expires_at ? { at: row.expires_at, time_zone: event?.timezone ?? "UTC" } : "",
        message: row.message ?? "",
        ...extra,
      },
      // The new holder's ticket travels with the message (QR inline, their link if they have no password).
      ...(template === "TICKET_TRANSFERRED" && to === "recipient" ? { tickets: { event_id: row.event_id, right_ids: row.new_access_right_id ? [row.new_access_right_id] : [] } } : {}),
    },
  ]);
}

// ---------------------------------------------------------------- making a transfer

/** The recipient's account: by id, or by email (opened without a password if new). */
async function resolveRecipient(env: Env, body: CreateTransferInput): Promise<string> {
  const db = getDb(env.DB);
  const id = body.recipient_user_id ?? (await accountForEmail(env, body.recipient_email!));
  const [user] = await db.select({ id: users.id, is_active: users.is_active }).from(users).where(eq(users.id, id)).limit(1);
  const path = body.recipient_user_id ? "recipient_user_id" : "recipient_email";
  if (!user) throw problems.validation([{ path, message: "No such account.", code: "recipient_not_found" }]);
  if (!user.is_active) throw problems.validation([{ path, message: "This account is closed.", code: "recipient_inactive" }]);
  return user.id;
}

/**
 * Transfers the caller's right. DONATION and LOAN execute at once in the
 * event's Durable Object (the old right stops working in the same step the new
 * one starts); SALE and EXCHANGE become a PENDING offer the recipient accepts.
 */
export async function createTransfer(env: Env, auth: AuthContext, eventId: string, rightId: string, body: CreateTransferInput, client: ClientMeta) {
  const db = getDb(env.DB);
  const event = await transferEvent(db, eventId);
  await eventStub(env, eventId).flushProjection();
  const right = await eventRight(db, eventId, rightId);
  if (!right || right.user_id !== auth.userId) throw problems.notFound("Access right");
  if (right.status !== "ENABLED") throw problems.conflict("right_not_transferable", `This right is ${right.status.toLowerCase()}.`);
  if (Date.now() >= Date.parse(right.valid_from)) throw problems.conflict("transfer_window_closed", "Transfers are closed once the doors open.");
  const [pending] = await db
    .select({ id: transfers.id })
    .from(transfers)
    .where(and(eq(transfers.access_right_id, rightId), eq(transfers.status, "PENDING")))
    .limit(1);
  if (pending) throw problems.conflict("offer_pending", "This right has a pending offer: cancel it first.");

  const recipientId = await resolveRecipient(env, body);
  const recipientPath = body.recipient_user_id ? "recipient_user_id" : "recipient_email";
  if (recipientId === auth.userId) throw problems.validation([{ path: recipientPath, message: "You already hold this right.", code: "transfer_to_self" }]);
  const base = { event, right, recipientId, recipientEmail: body.recipient_email ?? null, message: body.message ?? null, client };
  switch (body.type) {
    case "DONATION":
      return executeNow(env, auth, { ...base, type: "TRANSFER_DONATION", loanReturnAt: null });
    case "LOAN":
      if (body.loan_return_at <= now()) throw problems.validation([{ path: "loan_return_at", message: "Must be in the future.", code: "loan_return_in_past" }]);
      if (body.loan_return_at >= event.ends_at) throw problems.validation([{ path: "loan_return_at", message: "Must be before the event ends.", code: "loan_return_after_event" }]);
      return executeNow(env, auth, { ...base, type: "TRANSFER_LOAN", loanReturnAt: body.loan_return_at });
    case "SALE":
      return createOffer(env, auth, { ...base, type: "TRANSFER_SALE", price: body.price, exchangeRightId: null });
    case "EXCHANGE":
      return createOffer(env, auth, { ...base, type: "TRANSFER_EXCHANGE", price: null, exchangeRightId: body.exchange_access_right_id });
  }
}

interface TransferPlan {
  event: EventRow;
  right: RightRow;
  recipientId: string;
  recipientEmail: string | null;
  message: string | null;
  client: ClientMeta;
}

async function executeNow(env: Env, auth: AuthContext, plan: TransferPlan & { type: "TRANSFER_DONATION" | "TRANSFER_LOAN"; loanReturnAt: string | null }) {
  const db = getDb(env.DB);
  const stub = eventStub(env, plan.event.id);
  await rememberHolders(env, stub, [plan.recipientId]);
  const pass = await seasonPassOf(db, plan.right.id);
  const passes = pass ? [pass] : [];
  await takeQuotas(db, passes);
  const transferId = newId();
  // A borrowed right cannot be passed on: the lender must be able to recall it.
  const noRetransfer = plan.type === "TRANSFER_LOAN";
  const result = await stub.transferRight({
    transfer_id: transferId,
    type: plan.type,
    access_right_id: plan.right.id,
    from_user_id: auth.userId,
    to_user_id: plan.recipientId,
    price: null,
    resale_cap_bp: DEFAULT_RESALE_CAP_BP,
    no_retransfer: noRetransfer,
    reason: plan.message,
    by: auth.userId,
  });
  if (!result.ok) {
    await giveBackTransferQuota(db, passes);
    throw problemFrom(result.problem);
  }
  // The row references the new right: project it to D1 first.
  await stub.flushProjection();
  const at = now();
  const [row] = await db.batch([
    db
      .insert(transfers)
      .values({
        id: transferId,
        access_right_id: plan.right.id,
        new_access_right_id: result.to.id,
        event_id: plan.event.id,
        transfer_type: plan.type,
        status: "COMPLETED",
        from_user_id: auth.userId,
        to_user_id: plan.recipientId,
        recipient_email: plan.recipientEmail,
        loan_return_at: plan.loanReturnAt,
        message: plan.message,
        completed_at: at,
        metadata: withClient({ no_retransfer: noRetransfer }, "requested", plan.client, at),
      })
      .returning(),
    enrichLog(db, [result.to.id], plan.type, transferId, plan.client, null),
    ...passesUsed(db, passes, at),
  ]);
  const created = row[0]!;
  await notify(env, db, created, "recipient", "TICKET_TRANSFERRED");
  return created;
}

async function createOffer(env: Env, auth: AuthContext, plan: TransferPlan & { type: "TRANSFER_SALE" | "TRANSFER_EXCHANGE"; price: number | null; exchangeRightId: string | null }) {
  const db = getDb(env.DB);
  let metadata: TransferMetadata = {};
  if (plan.type === "TRANSFER_SALE") {
    const rules = resaleRules(plan.event);
    const face = await faceValue(db, await rightOrigin(db, plan.right.id));
    const cap = resaleCap(face, rules.capBp);
    if (plan.price! > cap) {
      throw new ProblemError(422, "price_above_cap", "Refused", `Resale is capped at ${cap} (minor units of ${plan.event.currency}): ${rules.capBp / 100} % of the face value ${face}.`);
    }
    metadata = { sale: await saleFigures(env, plan.event, plan.price!, face, rules.capBp), no_retransfer: rules.noRetransfer };
  } else {
    const theirs = await eventRight(db, plan.event.id, plan.exchangeRightId!);
    if (!theirs || theirs.user_id !== plan.recipientId || theirs.status !== "ENABLED") {
      throw problems.validation([{ path: "exchange_access_right_id", message: "Not a valid right of the recipient in this event.", code: "exchange_right_not_found" }]);
    }
  }
  const at = now();
  const expiresAt = [addSeconds(at, OFFER_TTL_SECONDS), plan.right.valid_from].sort()[0]!;
  const id = newId();
  const values = {
    id,
    access_right_id: plan.right.id,
    exchange_access_right_id: plan.exchangeRightId,
    event_id: plan.event.id,
    transfer_type: plan.type,
    status: "PENDING" as const,
    from_user_id: auth.userId,
    to_user_id: plan.recipientId,
    recipient_email: plan.recipientEmail,
    price: plan.price,
    currency: plan.price === null ? null : plan.event.currency,
    message: plan.message,
    expires_at: expiresAt,
    metadata: withClient(metadata, "requested", plan.client, at),
    created_at: at,
    updated_at: at,
  };
  try {
    await db.batch([db.insert(transfers).values(values), db.insert(access_transactions_log).values(offerLogValues(values, auth.userId, plan.client, { status: "PENDING" }))]);
  } catch (error) {
    if (isUniqueViolation(error)) throw problems.conflict("offer_pending", "This right has a pending offer: cancel it first.");
    throw error;
  }
  const [row] = await db.select().from(transfers).where(eq(transfers.id, id));
  await notify(env, db, row!, "recipient", "TRANSFER_OFFER");
  return row!;
}

// ---------------------------------------------------------------- answering an offer

async function loadTransfer(db: Db, id: string): Promise<TransferRow> {
  const [row] = await db.select().from(transfers).where(eq(transfers.id, id)).limit(1);
  if (!row) throw problems.notFound("Transfer");
  return row;
}

/** The transfer if the caller is its sender, its recipient or an admin; 404 for anyone else. */
export async function readableTransfer(env: Env, auth: AuthContext, id: string): Promise<TransferRow> {
  const row = await loadTransfer(getDb(env.DB), id);
  if (auth.userId !== row.from_user_id && auth.userId !== row.to_user_id && auth.role !== "ADMIN") throw problems.notFound("Transfer");
  return row;
}

/** Only one party acts at each step: the other party and admins see the transfer but get 403; strangers 404. */
async function actingParty(env: Env, auth: AuthContext, id: string, party: "from_user_id" | "to_user_id"): Promise<TransferRow> {
  const row = await readableTransfer(env, auth, id);
  if (row[party] !== auth.userId) {
    throw problems.forbidden(party === "to_user_id" ? "Only the recipient can answer this offer." : "Only the sender can do this.", "not_your_turn");
  }
  return row;
}

/**
 * Ends a PENDING offer (one being accepted only by the acceptance itself:
 * `claimed`), with its FAILED log row in the same batch; null when the offer
 * had already moved on, and then no log row is written either.
 */
async function endOffer(db: Db, row: TransferRow, status: "DECLINED" | "CANCELLED" | "EXPIRED", reason: string, by: string | null, client: ClientMeta | null, claimed = false) {
  const at = now();
  const open = and(eq(transfers.id, row.id), eq(transfers.status, "PENDING"), claimed ? undefined : isNull(transfers.completed_at));
  const metadata = client ? withClient(metadataOf(row), status.toLowerCase(), client, at) : metadataOf(row);
  const [, ended] = await db.batch([
    // First, while the offer is still open: the same condition as the update that follows, in one transaction.
    logWhere(db, offerLogValues(row, by, client, { status: "FAILED", error: reason }), sql`EXISTS (SELECT 1 FROM ${transfers} WHERE ${open})`),
    db.update(transfers).set({ status, reason, completed_at: null, updated_at: at, metadata }).where(open).returning(),
  ]);
  return ended[0] ?? null;
}

/** Returns when the offer can still be answered; one found past its expiry is expired on the spot. */
async function ensureOpen(db: Db, row: TransferRow): Promise<void> {
  const due = row.status === "PENDING" && !row.completed_at && row.expires_at !== null && row.expires_at <= now();
  if (row.status === "PENDING" && !due) return;
  if (due) await endOffer(db, row, "EXPIRED", "expired", null, null);
  await offerMovedOn(db, row.id);
}

/** Why an offer could not be answered: it moved on. */
async function offerMovedOn(db: Db, id: string): Promise<never> {
  const current = await loadTransfer(db, id);
  if (current.status === "EXPIRED") throw problems.gone("offer_expired", "This offer has expired.");
  if (current.status === "PENDING") throw problems.conflict("offer_being_accepted", "The recipient is accepting this offer right now.");
  throw problems.conflict("offer_closed", `This offer is already ${current.status.toLowerCase()}.`);
}

export async function declineTransfer(env: Env, auth: AuthContext, id: string, reason: string | undefined, client: ClientMeta) {
  const db = getDb(env.DB);
  const row = await actingParty(env, auth, id, "to_user_id");
  await ensureOpen(db, row);
  const ended = await endOffer(db, row, "DECLINED", reason ?? "declined by the recipient", auth.userId, client);
  if (!ended) return offerMovedOn(db, id);
  await notify(env, db, ended, "sender", "TRANSFER_DECLINED", { reason: reason ?? "" });
  return ended;
}

export async function cancelTransfer(env: Env, auth: AuthContext, id: string, reason: string | undefined, client: ClientMeta) {
  const db = getDb(env.DB);
  const row = await actingParty(env, auth, id, "from_user_id");
  await ensureOpen(db, row);
  const ended = await endOffer(db, row, "CANCELLED", reason ?? "cancelled by the sender", auth.userId, client);
  if (!ended) return offerMovedOn(db, id);
  return ended;
}

/**
 * Accepts an offer: claims it (so the sender cannot cancel it meanwhile), takes
 * the season-pass quotas, and has the event's Durable Object execute it under
 * the offer's id (idempotent, so a retried acceptance cannot transfer twice).
 * If the right changed since the offer was made, the offer ends with a 409.
 */
export async function acceptTransfer(env: Env, auth: AuthContext, id: string, client: ClientMeta) {
  const db = getDb(env.DB);
  const offer = await actingParty(env, auth, id, "to_user_id");
  if (offer.transfer_type !== "TRANSFER_SALE" && offer.transfer_type !== "TRANSFER_EXCHANGE") throw problems.conflict("not_an_offer", "Donations and loans need no acceptance.");
  if (offer.status === "COMPLETED") return offer;
  await ensureOpen(db, offer);
  const at = now();
  // The claim: on a PENDING offer, completed_at marks an acceptance under way (the status enum has no
  // state for it); cancel, decline and expiry leave such an offer alone, and a stale claim may be retried.
  const [claimed] = await db
    .update(transfers)
    .set({ completed_at: at, updated_at: at })
    .where(
      and(
        eq(transfers.id, id),
        eq(transfers.status, "PENDING"),
        or(and(isNull(transfers.completed_at), gt(transfers.expires_at, at)), lt(transfers.completed_at, addSeconds(at, -STALE_ACCEPT_SECONDS))),
      ),
    )
    .returning();
  if (!claimed) {
    await ensureOpen(db, await loadTransfer(db, id));
    return offerMovedOn(db, id);
  }

  const event = await transferEvent(db, offer.event_id);
  const stub = eventStub(env, offer.event_id);
  await stub.flushProjection();
  const rightIds = [offer.access_right_id, ...(offer.exchange_access_right_id ? [offer.exchange_access_right_id] : [])];
  const passes = (await Promise.all(rightIds.map((rightId) => seasonPassOf(db, rightId)))).filter((p): p is string => p !== null);
  try {
    await takeQuotas(db, passes);
  } catch (error) {
    if (error instanceof ProblemError) await endOffer(db, claimed, "CANCELLED", error.code, auth.userId, client, true);
    throw error;
  }

  await rememberHolders(env, stub, [offer.to_user_id!, offer.from_user_id]);
  let sale: SaleFigures | undefined;
  let outcome: { ok: true; already_done: boolean; recipientRight: string; senderRight: string | null } | { ok: false; problem: Problem };
  if (offer.transfer_type === "TRANSFER_SALE") {
    const rules = resaleRules(event);
    sale = await saleFigures(env, event, offer.price!, await faceValue(db, await rightOrigin(db, offer.access_right_id)), rules.capBp);
    const result = await stub.transferRight({
      transfer_id: offer.id,
      type: "TRANSFER_SALE",
      access_right_id: offer.access_right_id,
      from_user_id: offer.from_user_id,
      to_user_id: offer.to_user_id!,
      price: offer.price,
      resale_cap_bp: rules.capBp,
      no_retransfer: rules.noRetransfer,
      reason: offer.message,
      by: auth.userId,
    });
    outcome = result.ok ? { ok: true, already_done: result.already_done, recipientRight: result.to.id, senderRight: null } : result;
  } else {
    const result = await stub.exchangeRights({
      transfer_id: offer.id,
      first: { access_right_id: offer.access_right_id, user_id: offer.from_user_id },
      second: { access_right_id: offer.exchange_access_right_id!, user_id: offer.to_user_id! },
      reason: offer.message,
      by: auth.userId,
    });
    outcome = result.ok
      ? {
          ok: true,
          already_done: result.already_done,
          recipientRight: result.rights.find((r) => r.user_id === offer.to_user_id)!.id,
          senderRight: result.rights.find((r) => r.user_id === offer.from_user_id)!.id,
        }
      : result;
  }
  if (!outcome.ok) {
    await giveBackTransferQuota(db, passes);
    await endOffer(db, claimed, "CANCELLED", outcome.problem.code, auth.userId, client, true);
    throw new ProblemError(409, outcome.problem.code, "Conflict", `${outcome.problem.detail} The offer has ended.`);
  }
  // A retried acceptance found the transfer done by the first one, which kept its quota units.
  if (outcome.already_done) await giveBackTransferQuota(db, passes);

  await stub.flushProjection();
  const done = now();
  const metadata: TransferMetadata = {
    ...withClient(metadataOf(claimed), "accepted", client, done),
    ...(sale ? { sale } : {}),
    ...(outcome.senderRight ? { exchange_new_access_right_id: outcome.senderRight } : {}),
  };
  const newRights = [outcome.recipientRight, ...(outcome.senderRight ? [outcome.senderRight] : [])];
  const [completed] = await db.batch([
    db
      .update(transfers)
      .set({ status: "COMPLETED", new_access_right_id: outcome.recipientRight, completed_at: done, updated_at: done, metadata })
      .where(and(eq(transfers.id, id), eq(transfers.status, "PENDING")))
      .returning(),
    enrichLog(db, newRights, offer.transfer_type, offer.id, client, sale ? { ...sale } : null),
    ...passesUsed(db, outcome.already_done ? [] : passes, done),
  ]);
  const row = completed[0] ?? (await loadTransfer(db, id));
  await Promise.all([notify(env, db, row, "recipient", "TICKET_TRANSFERRED"), notify(env, db, row, "sender", "TRANSFER_ACCEPTED")]);
  return row;
}

/** The lender recalls a loan: the borrowed right stops working and the lender gets a new one, in one Durable Object step. */
export async function returnLoan(env: Env, auth: AuthContext, id: string, client: ClientMeta) {
  const db = getDb(env.DB);
  const loan = await actingParty(env, auth, id, "from_user_id");
  if (loan.transfer_type !== "TRANSFER_LOAN") throw problems.conflict("not_a_loan", "Only a loan can be recalled.");
  if (loan.status !== "COMPLETED") throw problems.conflict("loan_not_active", `This loan is ${loan.status.toLowerCase()}.`);
  const stub = eventStub(env, loan.event_id);
  const result = await stub.returnLoan(loan.id, auth.userId);
  if (!result.ok) throw problemFrom(result.problem);
  await stub.flushProjection();
  const at = now();
  const metadata = { ...withClient(metadataOf(loan), "returned", client, at), returned_access_right_id: result.right.id };
  const [returned] = await db.batch([
    db
      .update(transfers)
      .set({ status: "RETURNED", returned_at: at, updated_at: at, metadata })
      .where(and(eq(transfers.id, id), eq(transfers.status, "COMPLETED")))
      .returning(),
    enrichLog(db, [result.right.id], "TRANSFER_LOAN", loan.id, client, null),
  ]);
  const row = returned[0] ?? (await loadTransfer(db, id));
  await notify(env, db, row, "recipient", "LOAN_RETURNED");
  return row;
}

// ---------------------------------------------------------------- lists and the cron

export async function listMyTransfers(env: Env, auth: AuthContext, query: z.infer<typeof MyTransfersQuery>) {
  const after = decodeCursor(query.cursor);
  const mine: SQL | undefined =
    query.direction === "sent"
      ? eq(transfers.from_user_id, auth.userId)
      : query.direction === "received"
        ? eq(transfers.to_user_id, auth.userId)
        : or(eq(transfers.from_user_id, auth.userId), eq(transfers.to_user_id, auth.userId));
  const rows = await getDb(env.DB)
    .select()
    .from(transfers)
    .where(
      and(
        mine,
        query.status ? eq(transfers.status, query.status) : undefined,
        afterCursor(after, transfers.created_at, transfers.id, "desc"),
      ),
    )
    .orderBy(desc(transfers.created_at), desc(transfers.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
  return { data: page.data.map(transferView), next_cursor: page.next_cursor };
}

/** Cron: PENDING offers past their expiry become EXPIRED (an acceptance in progress is left to finish). */
export async function expireTransferOffers(env: Env): Promise<number> {
  const db = getDb(env.DB);
  const due = await db
    .select()
    .from(transfers)
    .where(and(eq(transfers.status, "PENDING"), isNull(transfers.completed_at), lte(transfers.expires_at, now())))
    .limit(500);
  let expired = 0;
  for (const row of due) if (await endOffer(db, row, "EXPIRED", "expired", null, null)) expired += 1;
  return expired;
}
