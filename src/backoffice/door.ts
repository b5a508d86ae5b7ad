import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { notify } from "../notifications/service.ts";
import { TYPE_RULES } from "../notifications/types.ts";
import { authorizeEvent, grantsOnEvent } from "../organizations/permissions.ts";
import type { ScanAction, ScanResult } from "../../durable-objects/event/gate-protocol.ts";
import { present, readRows } from "./list-engine.ts";
import { ATTENDEES } from "./lists.ts";
import type { SearchTerm } from "./search.ts";

// At the door: find a holder, let them in by hand, block or unblock one right, send their tickets again.

/** How many holders a door lookup shows: a name narrows it, a code or phone finds one. */
export const DOOR_MATCHES = 20;
/** What the door sees of a right. */
export interface DoorHolder {
  id: string;
  qr_code: string;
  status: string;
  source_type: string;
  holder_name: string | null;
  holder_phone: string | null;
  zone_id: string | null;
  zone_name: string | null;
  seat: string | null;
  ticket_type_name: string | null;
  checked_in: boolean | null;
  checked_in_at: string | null;
  is_inside: boolean | null;
  entry_count: number | null;
}
const DOOR_FIELDS: (keyof DoorHolder)[] = ["id", "qr_code", "status", "source_type", "holder_name", "holder_phone", "zone_id", "zone_name", "seat", "ticket_type_name", "checked_in", "checked_in_at", "is_inside", "entry_count"];

/**
 * The rights a search names (name, phone, email, printed code, id), by name,
 * for gate staff (gate.scan): what the door needs to let someone in or turn
 * them away, without the rest of the attendee list.
 */
export async function lookupHolders(env: Env, auth: AuthContext | undefined, eventId: string, term: SearchTerm) {
  await authorizeEvent(env, auth, eventId, "gate.scan");
  const { rows } = await readRows(env.DB, ATTENDEES, { kind: "event", eventId }, { q: term, sort: "name" }, undefined, DOOR_MATCHES);
  return {
    data: rows.map((row) => {
      const shown = present(ATTENDEES, row, false);
      return Object.fromEntries(DOOR_FIELDS.map((field) => [field, shown[field]])) as unknown as DoorHolder;
    }),
  };
}

/** A right of this event as D1 has it (a fraction of a second behind the EventDO), or 404. */
async function rightOf(env: Env, eventId: string, rightId: string) {
  const right = await env.DB.prepare("SELECT id, qr_code, user_id, status, source_type, source_id FROM access_rights WHERE id = ? AND event_id = ?")
    .bind(rightId, eventId)
    .first<{ id: string; qr_code: string; user_id: string; status: string; source_type: string; source_id: string }>();
  if (!right) throw problems.notFound("Access right");
  return right;
}

export interface AdmitInput {
  access_right_id: string;
  access_point_id: string;
  device_id?: string;
  action: Extract<ScanAction, "ENTRY" | "RE_ENTRY">;
  /** Kept in the scan's log row (ScanContext.reason). */
  reason: string;
}

/**
 * Lets a holder in by hand (door.admit): a MANUAL_ENTRY scan of the right's
 * printed code, decided by the event's EventDO like any scan, so it can never
 * admit a right twice (a QR scan of the same right at the same moment is
 * decided one after the other), and logged with the controller and the
 * reason. `nonce` (from the request's Idempotency-Key) names the scan: a
 * retry gets the first decision.
 */
export async function admitByHand(env: Env, auth: AuthContext | undefined, eventId: string, input: AdmitInput, nonce: string | undefined, ip: string | null): Promise<ScanResult> {
  const { auth: caller } = await authorizeEvent(env, auth, eventId, "door.admit");
  const right = await rightOf(env, eventId, input.access_right_id);
  const decided = await eventStub(env, eventId).scan(
    [{ id: `door:${nonce ?? newId()}`, qr: right.qr_code, action: input.action, scan_method: "MANUAL_ENTRY", scanned_at: new Date().toISOString() }],
    { controller_id: caller.userId, session_id: caller.sessionId, device_id: input.device_id ?? "BACKOFFICE", access_point_id: input.access_point_id, ip, reason: input.reason },
  );
  if (!decided.ok) throw problemFrom(decided.problem);
  const result = decided.results[0]!;
  // The key is the scan's nonce, so the EventDO answers a reused key with its first decision, whatever right was asked:
  // another right's decision would read as this one's.
  if (nonce && result.access_right && result.access_right.id !== right.id) {
    throw problems.idempotencyKeyReused();
  }
  return result;
}

/** Blocks or unblocks one right (rights.block), in its EventDO; the journal records BLOCK / UNBLOCK with the reason. */
export async function blockRight(env: Env, auth: AuthContext | undefined, eventId: string, rightId: string, action: "BLOCK" | "UNBLOCK", reason: string) {
  const { auth: caller } = await authorizeEvent(env, auth, eventId, "rights.block");
  const stub = eventStub(env, eventId);
  const result = await stub.setRightStatus(rightId, action, caller.userId, reason);
  if (!result.ok) throw problemFrom(result.problem.code === "right_not_found" ? { ...result.problem, code: "not_found", detail: "Access right not found." } : result.problem);
  // The lists read D1: project the change now, so the next page shows it.
  if (result.changed) await stub.flushProjection();
  return { access_right: result.right, changed: result.changed };
}

/**
 * Sends a holder their tickets again (tickets.resend): the TICKETS_READY
 * message of a confirmation through notify(), on the type's channels (in the
 * app, by email, by push), carrying every right they hold in the event now:
 * their printed codes in the text, and in the email each QR code inline and
 * the tickets' documents (the notifications domain asks the access domain for
 * them when it sends). Each resend is a new message. At most 5 per right per hour.
 */
export async function resendTickets(env: Env, auth: AuthContext | undefined, eventId: string, rightId: string) {
  const { event } = await authorizeEvent(env, auth, eventId, "tickets.resend");
  const right = await rightOf(env, eventId, rightId);
  if (right.status !== "ENABLED" && right.status !== "USED") throw problems.conflict("access_right_inactive", `This right is ${right.status.toLowerCase()}; there is nothing to send.`);
  await enforceRateLimit(env, "tickets-resend-right", rightId);
  const { results } = await env.DB.prepare("SELECT qr_code FROM access_rights WHERE user_id = ? AND event_id = ? AND status IN ('ENABLED', 'USED') ORDER BY created_at, id")
    .bind(right.user_id, eventId)
    .all<{ qr_code: string }>();
  await notify(env, [
    {
      type: "TICKETS_READY",
      key: `tickets-resent:${rightId}:${newId()}`,
      user_id: right.user_id,
      data: { event_title: event.title, event_id: eventId, quantity: String(results.length), ticket_number: results.map((r) => r.qr_code).join(", ") },
      tickets: { event_id: eventId },
    },
  ]);
  return { access_right_id: rightId, holder_id: right.user_id, rights: results.length, channels: TYPE_RULES.TICKETS_READY.channels };
}

/**
 * One right's history (attendees.read): its journal (access_transactions_log:
 * creation, transfers, cancellation, blocks, each with who and why) and its
 * gate log (every scan of it), oldest first, at most 500 of each; the right
 * it was transferred from, if any. Prices need money.read.
 */
export async function rightHistory(env: Env, auth: AuthContext | undefined, eventId: string, rightId: string) {
  const access = await authorizeEvent(env, auth, eventId, "attendees.read");
  const right = await rightOf(env, eventId, rightId);
  const money = grantsOnEvent(access.auth, access, "money.read");
  const [transactions, scans] = await env.DB.batch([
    env.DB.prepare(
      `SELECT id, transaction_type, from_user_id, to_user_id, transfer_id, price, currency, reason, status, created_at, created_by
       FROM access_transactions_log WHERE access_right_id = ? ORDER BY created_at, id LIMIT 501`,
    ).bind(rightId),
    env.DB.prepare(
      `SELECT l.id, l.timestamp, l.received_at, l.action, l.status, l.denial_reason, l.access_point_id, ap.name AS access_point_name, l.zone_id, l.controller_id,
         l.device_id, l.scan_method, l.metadata ->> '$.reason' AS reason, l.was_offline, l.is_conflict
       FROM access_control_log l LEFT JOIN access_points ap ON ap.id = l.access_point_id WHERE l.access_right_id = ? ORDER BY l.timestamp, l.id LIMIT 501`,
    ).bind(rightId),
  ]);
  const journal = transactions!.results as Record<string, unknown>[];
  const gate = scans!.results as Record<string, unknown>[];
  return {
    access_right_id: rightId,
    transferred_from: right.source_type === "TRANSFER" ? right.source_id : null,
    transactions: journal.slice(0, 500).map((t) => ({ ...t, price: money ? t.price : null })),
    transactions_truncated: journal.length > 500,
    scans: gate.slice(0, 500).map((s) => ({ ...s, was_offline: Boolean(s.was_offline), is_conflict: Boolean(s.is_conflict) })),
    scans_truncated: gate.length > 500,
  };
}
