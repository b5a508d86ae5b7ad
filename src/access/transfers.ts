import { and, eq } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import type { ClientMeta } from "../lib/request.ts";
import { addSeconds, now } from "../lib/time.ts";
import { accountForEmail } from "../users/accounts.ts";
import { refuseBanned } from "./blacklist-checks.ts";
import { users } from "../users/schema.ts";
import { rememberHolders } from "../catalog/sync.ts";
import { access_transactions_log, transfers } from "./schema.ts";
import { DEFAULT_RESALE_CAP_BP, type EventRow, type RightRow, eventRight, faceValue, giveBackTransferQuota, passesUsed, resaleCap, resaleRules, rightOrigin, saleFigures, seasonPassOf, takeQuotas, transferEvent } from "./transfer-checks.ts";
import { type TransferMetadata, enrichLog, notify, offerLogValues, withClient } from "./transfer-records.ts";
import type { CreateTransferInput } from "./transfers-schemas.ts";

// Making a transfer: a gift or a loan moves the right at once; a sale or an exchange is an offer the recipient answers (transfer-offers.ts).

/** An offer (SALE, EXCHANGE) stays open this long, or until the doors open if sooner. */
const OFFER_TTL_SECONDS = 48 * 3600;

/** The recipient's account: by id, or by email (opened without a password if new). */
export async function resolveRecipient(env: Env, body: { recipient_user_id?: string; recipient_email?: string }): Promise<string> {
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
  await refuseBanned(db, { event_id: eventId }, { user_id: recipientId, email: body.recipient_email ?? null }, "This person cannot receive tickets for this event.");
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
