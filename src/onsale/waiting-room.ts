/**
 * The on-sale waiting room as the Worker sees it: who a buyer is to the room
 * (one position per person: a user id, or a guest's device id with their IP),
 * the signed queue ticket that carries a position, and the guard in front of
 * the order route, which asks for an admitted ticket only while the event's
 * room is open. The room itself, its order and its counts, is the event's
 * WaitingRoomDO (durable-objects/waiting-room.ts).
 */
import { z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { JoinResult, RedeemResult, RoomLimits } from "../../durable-objects/waiting-room.ts";
import { roomStub } from "../../durable-objects/waiting-room-client.ts";
import type { AppEnv, Env } from "../env.ts";
import { InvalidTokenError, signJwt, verifyJwt } from "../lib/crypto/jwt.ts";
import { sha256Hex } from "../lib/crypto/hash.ts";
import { ProblemError } from "../lib/errors.ts";
import { idempotencyKeyOf } from "../lib/idempotency.ts";
import { clientMeta } from "../lib/request.ts";

/** What the guard can answer, for the order route's OpenAPI errors. */
export const WAITING_ROOM_CODES = ["waiting_room_active", "queue_not_admitted", "queue_ticket_used", "queue_ticket_expired", "queue_ticket_invalid", "device_id_required"] as const;

/** The order route's headers the guard reads, for its OpenAPI request. */
export const WAITING_ROOM_HEADERS = {
  "queue-ticket": z.string().optional().openapi({
    description: "While the event's waiting room is open (409 `waiting_room_active`): your admitted queue ticket from POST /v1/events/{event_id}/queue, spent by this order.",
  }),
  "x-device-id": z.string().optional().openapi({ description: "A guest's device id, as sent when joining the queue (with a Queue-Ticket only)." }),
};

const TICKET_TYPE = "queue+jwt";
/** A ticket outlives any queue: the room decides whether its position is still good. */
const TICKET_TTL_SECONDS = 6 * 3600;
export const TICKET_HEADER = "Queue-Ticket";
export const DEVICE_HEADER = "X-Device-Id";
const DEVICE_ID = /^[\x21-\x7e]{8,128}$/;

export function roomLimits(env: Env): RoomLimits {
  return { holds_per_s: Number(env.WAITING_ROOM_HOLDS_PER_S) || 1000, admission_seconds: Number(env.WAITING_ROOM_ADMISSION_SECONDS) || 600 };
}

/** The one queue identity of the caller: their account, or for a guest their device id and IP together. */
export async function personOf(c: Context<AppEnv>): Promise<string> {
  const auth = c.get("auth");
  if (auth) return `user:${auth.userId}`;
  const device = c.req.header(DEVICE_HEADER);
  if (!device || !DEVICE_ID.test(device)) {
    throw new ProblemError(422, "device_id_required", "Device id required", `Without a signed-in account, send ${DEVICE_HEADER} (8–128 visible ASCII characters, the same on every request of this device) to queue.`);
  }
  return `guest:${await sha256Hex(`${device}|${clientMeta(c).ip ?? "unknown"}`)}`;
}

export interface QueueStatus {
  active: boolean;
  position: number | null;
  ahead: number | null;
  admitted: boolean;
  admitted_until: string | null;
  admits_per_s: number | null;
  estimated_wait_s: number | null;
  ticket: string | null;
}

/** Joins the event's queue (or finds the caller's place in it) and signs their ticket. */
export async function joinQueue(c: Context<AppEnv>, eventId: string): Promise<QueueStatus> {
  const person = await personOf(c);
  const place = await roomStub(c.env, eventId).join(person, Date.now(), roomLimits(c.env));
  return statusOf(c.env, eventId, person, place);
}

async function statusOf(env: Env, eventId: string, person: string, place: JoinResult): Promise<QueueStatus> {
  if (!place.active) return { active: false, position: null, ahead: null, admitted: false, admitted_until: null, admits_per_s: null, estimated_wait_s: null, ticket: null };
  const ticket = await signJwt(env.JWT_SIGNING_KEYS, { sub: person, evt: eventId, room: place.epoch, pos: place.position }, TICKET_TTL_SECONDS, TICKET_TYPE);
  return {
    active: true,
    position: place.position,
    ahead: place.ahead,
    admitted: place.admitted,
    admitted_until: place.admitted_until === null ? null : new Date(place.admitted_until).toISOString(),
    admits_per_s: place.admits_per_s,
    estimated_wait_s: place.estimated_wait_s,
    ticket,
  };
}

const invalidTicket = (detail: string) => new ProblemError(403, "queue_ticket_invalid", "Invalid queue ticket", detail);

function refusal(result: Exclude<RedeemResult, { ok: true }>): ProblemError {
  switch (result.code) {
    case "queue_ticket_invalid":
      return invalidTicket(result.detail);
    case "queue_ticket_expired":
      return new ProblemError(410, "queue_ticket_expired", "Turn lapsed", result.detail);
    case "queue_ticket_used":
      return new ProblemError(409, "queue_ticket_used", "Queue ticket used", result.detail);
    case "queue_not_admitted":
      return new ProblemError(409, "queue_not_admitted", "Not your turn yet", `${result.detail} Position ${result.place.position}, ${result.place.ahead} ahead, about ${result.place.estimated_wait_s} s.`, undefined, {
        "Retry-After": String(Math.max(1, result.place.estimated_wait_s)),
      });
  }
}

/** How long this isolate trusts the room's last answer, and how often it reports the attempts it let pass meanwhile. */
export const ROOM_STATE_MS = 1_000;
const REPORT_MS = 100;

/** Per event, the room's last answer to this isolate, and the attempts passed here since, not yet reported. */
const lastSeen = new Map<string, { active: boolean; headroom: number; at: number; unreported: number; reporting: boolean }>();

/** Reports `attempts` to the room and keeps its answer (with what passed here meanwhile, still unreported); whether the room is open. */
async function report(room: ReturnType<typeof roomStub>, eventId: string, attempts: number, limits: RoomLimits): Promise<boolean> {
  const { active, headroom } = await room.arrive(Date.now(), limits, attempts);
  const seen = lastSeen.get(eventId);
  if (seen) Object.assign(seen, { active, headroom, at: Date.now(), reporting: false });
  else lastSeen.set(eventId, { active, headroom, at: Date.now(), unreported: 0, reporting: false });
  return active;
}

/**
 * In front of the order route: while the event's room is open, an order needs
 * the caller's own admitted queue ticket (`Queue-Ticket`), spent on that one
 * order (given back if the order is refused); otherwise it passes, counted.
 *
 * Far from a rush an order does not call the room: while the room's last
 * answer here (at most ROOM_STATE_MS old) said it was closed with room for
 * twice the attempts this isolate let pass since, the attempt is counted here
 * and reported with the others every REPORT_MS. Nearer the rate, or with no
 * fresh answer, the order reports and waits, so the attempt over the rate
 * finds the room open: one call to the room per isolate a tenth of a second,
 * instead of one per order.
 */
export const waitingRoomGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  const eventId = c.req.param("event_id") ?? "";
  const room = roomStub(c.env, eventId);
  const limits = roomLimits(c.env);
  const token = c.req.header(TICKET_HEADER);
  if (token === undefined) {
    const now = Date.now();
    const seen = lastSeen.get(eventId);
    const far = seen !== undefined && !seen.active && now - seen.at < ROOM_STATE_MS && (seen.unreported + 1) * 2 <= seen.headroom;
    if (far) {
      seen.unreported += 1;
      if (!seen.reporting && now - seen.at >= REPORT_MS) {
        seen.reporting = true;
        const attempts = seen.unreported;
        seen.unreported = 0;
        // A report that fails is not retried: its attempts are lost to the count, and the next order reports again.
        c.executionCtx.waitUntil(report(room, eventId, attempts, limits).catch(() => lastSeen.delete(eventId)));
      }
      return next();
    }
    const attempts = 1 + (seen?.unreported ?? 0);
    if (seen) seen.unreported = 0;
    if (await report(room, eventId, attempts, limits)) {
      throw new ProblemError(409, "waiting_room_active", "Waiting room", `This on-sale is queued: join the queue (POST /v1/events/${eventId}/queue) and order with your admitted ticket in the ${TICKET_HEADER} header.`);
    }
    return next();
  }
  const person = await personOf(c);
  let claims: Awaited<ReturnType<typeof verifyJwt>>;
  try {
    claims = await verifyJwt(c.env.JWT_SIGNING_KEYS, token, TICKET_TYPE);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw invalidTicket("The queue ticket is forged, expired or not a queue ticket.");
    throw error;
  }
  if (claims.evt !== eventId || claims.sub !== person || typeof claims.room !== "string" || typeof claims.pos !== "number") {
    throw invalidTicket("This queue ticket is for another event or another person.");
  }
  const orderKey = idempotencyKeyOf(c) ?? null;
  const result = await room.redeem(claims.room, claims.pos, person, orderKey, Date.now(), limits);
  if (!result.ok) throw refusal(result);
  await next();
  // A refused order does not cost the turn.
  if (result.needed && c.res.status >= 400) await room.release(claims.room, claims.pos, orderKey);
};

