import type { z } from "@hono/zod-openapi";
import { bannedSubjects } from "./blacklist-checks.ts";
import { and, desc, eq, gt, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import type { Problem } from "../../durable-objects/event/contract.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb, type Db } from "../db/client.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import type { ClientMeta } from "../lib/request.ts";
import { addSeconds, now } from "../lib/time.ts";
import { rememberHolders } from "../catalog/sync.ts";
import { transfers } from "./schema.ts";
import { faceValue, giveBackTransferQuota, passesUsed, resaleRules, rightOrigin, saleFigures, seasonPassOf, takeQuotas, transferEvent } from "./transfer-checks.ts";
import { type SaleFigures, type TransferMetadata, type TransferRow, enrichLog, logWhere, metadataOf, notify, offerLogValues, transferView, withClient } from "./transfer-records.ts";
import type { MyTransfersQuery } from "./transfers-schemas.ts";

// Answering an offer (accept, decline, cancel), returning a loan, the caller's transfers, and the cron that expires offers.

/** An acceptance that has not finished after this long (its worker died) may be driven again by the recipient. */
const STALE_ACCEPT_SECONDS = 60;

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
  // Banned since the offer was made: whoever would receive a right (both sides of an exchange).
  const receivers = [offer.to_user_id!, ...(offer.exchange_access_right_id ? [offer.from_user_id] : [])];
  const banned = await bannedSubjects(db, { event_id: offer.event_id }, receivers.map((user_id) => ({ user_id })));
  if (banned.some(Boolean)) throw problems.forbidden(banned[0] ? "You may not receive tickets for this event." : "The other party cannot receive tickets for this event.", "blacklisted");
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
