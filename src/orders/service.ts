import type { z } from "@hono/zod-openapi";
import { namedAttendees } from "./attendees.ts";
import { findPresaleCode, unknownPresaleCode } from "../catalog/presale-codes.ts";
import { eq, fillPlaceholders, inArray, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { BUYER_FACTS_REQUIRED, type BuyerFacts, type RuleSnapshot } from "../../durable-objects/event/contract.ts";
import { readsBuyer } from "../catalog/pricing.ts";
import { saleContext } from "../catalog/sale-context.ts";
import { INVITATION_ONLY } from "../catalog/sale-rules.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { buyerGroups, candidateRules, orderRules } from "../catalog/pricing-rules.ts";
import { getDb, type Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { event_ticket_config } from "../catalog/schema.ts";
import { visibleEvent } from "../events/service.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { sha256Hex } from "../lib/crypto/hash.ts";
import { humanCode, idFromParts, newId } from "../lib/ids.ts";
import { rememberHolders } from "../catalog/sync.ts";
import { notifyUser } from "../notifications/service.ts";
import { ageOn, now } from "../lib/time.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { ipKey, type ClientMeta } from "../lib/request.ts";
import { verifyTurnstile } from "../lib/turnstile.ts";
import { guestAccount } from "../users/accounts.ts";
import { users } from "../users/schema.ts";
import { cartLines, type PlaceOrderBody } from "./schemas.ts";

const placeholder = sql.placeholder;
// The organization by subquery, so the event need not be read first.
const organizationOfEvent = sql`(SELECT organization_id FROM ${events} WHERE ${events.id} = ${placeholder("event_id")})`;

/**
 * An order's reads, built into SQL once per isolate (placeholders for what
 * changes) rather than by drizzle on every order, which cost about a tenth
 * of the order's CPU. Bound per request by `readAll`.
 */
const buildReads = (db: Db) => ({
  event: db.select({ id: events.id, organization_id: events.organization_id, status: events.status, title: events.title }).from(events).where(eq(events.id, placeholder("event_id"))).limit(1).prepare(),
  autoRules: candidateRules(db, organizationOfEvent, null).prepare(),
  person: db.select({ date_of_birth: users.date_of_birth, email: users.email, phone: users.phone }).from(users).where(eq(users.id, placeholder("user_id"))).limit(1).prepare(),
  groups: buyerGroups(db, placeholder("user_id"), placeholder("at")).prepare(),
  countedRules: orderRules(db, organizationOfEvent, null, placeholder("event_id"), placeholder("user_id")).prepare(),
  rulesWithCode: orderRules(db, organizationOfEvent, placeholder("promo_code"), placeholder("event_id"), placeholder("user_id")).prepare(),
});
const reads = new WeakMap<Db, ReturnType<typeof buildReads>>();
function readsOf(db: Db) {
  let built = reads.get(db);
  if (!built) reads.set(db, (built = buildReads(db)));
  return built;
}

type Prepared = { getQuery(): { sql: string; params: unknown[] }; mapResult(response: unknown, isFromBatch?: boolean): unknown; all(values?: Record<string, unknown>): Promise<unknown> };

/** Prepared reads in one D1 batch (one round trip), each result mapped by drizzle as `db.batch` would. */
async function readAll<const Q extends readonly Prepared[]>(d1: D1Database, queries: Q, values: Record<string, unknown>) {
  const results = await d1.batch(
    queries.map((query) => {
      const { sql: text, params } = query.getQuery();
      return d1.prepare(text).bind(...fillPlaceholders(params, values));
    }),
  );
  return results.map((result, i) => queries[i]!.mapResult(result, true)) as { -readonly [K in keyof Q]: Awaited<ReturnType<Q[K]["all"]>> };
}

/**
 * An anonymous order must come from a person: an email for the tickets, a
 * Turnstile token that Siteverify accepts, and at most `guest-order-ip`
 * guest orders per IP (the EventDO then caps what guests hold in the event,
 * GUEST_HOLD_LIMITS). Both checks run at once; a signed-in buyer pays neither.
 */
async function admitGuest(env: Env, body: z.infer<typeof PlaceOrderBody>, meta: ClientMeta): Promise<void> {
  const missing = [
    ...(body.guest_email ? [] : [{ path: "guest_email", message: "Sign in, or give an email address for the tickets.", code: "guest_email_required" }]),
    ...(body.turnstile_token ? [] : [{ path: "turnstile_token", message: "Without signing in, solve the anti-robot check and send its token.", code: "turnstile_required" }]),
  ];
  if (missing.length) throw problems.validation(missing);
  await Promise.all([verifyTurnstile(env, body.turnstile_token!, meta.ip), enforceRateLimit(env, "guest-order-ip", ipKey(meta))]);
}

/** 422 `cart_mixes_events` naming the first line whose configuration belongs to another event; nothing when none does. */
async function refuseOtherEvents(env: Env, eventId: string, lines: { config_id: string }[], asLines: boolean): Promise<void> {
  const ids = [...new Set(lines.map((l) => l.config_id))];
  const found = await getDb(env.DB)
    .select({ id: event_ticket_config.id, event_id: event_ticket_config.event_id })
    .from(event_ticket_config)
    .where(inArray(event_ticket_config.id, ids));
  const elsewhere = new Set(found.filter((c) => c.event_id !== eventId).map((c) => c.id));
  const index = lines.findIndex((l) => elsewhere.has(l.config_id));
  if (index < 0) return;
  const path = asLines ? `lines.${index}.config_id` : "config_id";
  throw new ProblemError(422, "cart_mixes_events", "Cart mixes events", `${path} is a ticket of another event: one order is of one event.`, [
    { path, message: "This ticket configuration belongs to another event.", code: "cart_mixes_events" },
  ]);
}

/**
 * Orders tickets (`POST /v1/events/{event_id}/orders`): the Worker's half of
 * placing an order. The path is route → `orderTickets` → `EventDO.placeOrder`
 * (one group commit) → `decideHold` (durable-objects/event/orders.ts), which
 * decides and writes the hold. What the decision needs from D1 is read
 * here, before the call, so the decision never waits on D1, and read per
 * order only when the order needs it: the event and its automatic rules come
 * from the isolate's sale context (src/catalog/sale-context.ts) and the
 * session from the revocation feed (the route declares
 * `checksSessionByFeed`), so an order under plain prices makes no D1 round
 * trip. A promo code, or a rule on the buyer or with limits, reads the
 * buyer's groups and age and the rules' current counts; a config sold to
 * members has the EventDO ask for them.
 */
export async function orderTickets(
  env: Env,
  auth: AuthContext | undefined,
  eventId: string,
  body: z.infer<typeof PlaceOrderBody>,
  meta: ClientMeta,
  idempotencyKey?: string,
) {
  if (!auth) await admitGuest(env, body, meta);
  const read = readsOf(getDb(env.DB));
  const context = await saleContext(env.DB, eventId, async () => {
    const [[event], autoRules] = await readAll(env.DB, [read.event, read.autoRules], { event_id: eventId });
    return event?.status === "APPROVED" ? { event, autoRules } : null;
  });
  if (!context) throw problems.notFound("Event");
  // A guest's account is found (or made) once the event is known; never a registered person's.
  const userId = auth ? auth.userId : await guestAccount(env, body.guest_email!, body.guest_phone ?? null);
  const promoCode = body.promo_code ?? null;

  let buyer: BuyerFacts | null = null;
  let rules: RuleSnapshot[] = context.autoRules;
  const readBuyer = async () => {
    const [[person], groups, counted] = await readAll(env.DB, [read.person, read.groups, promoCode ? read.rulesWithCode : read.countedRules], {
      event_id: eventId,
      user_id: userId,
      at: now(),
      promo_code: promoCode,
    });
    buyer = { groups, age: person?.date_of_birth ? ageOn(person.date_of_birth) : null, email: person?.email ?? null, phone: person?.phone ?? null };
    rules = counted;
  };
  if (promoCode || context.autoRules.some(readsBuyer)) await readBuyer();
  if (promoCode && !rules.some((r) => r.promo_code === promoCode)) {
    throw problems.validation([{ path: "promo_code", message: "Unknown or inactive promo code.", code: "unknown_promo_code" }]);
  }

  // A presale code is read here (D1) and checked by the object: its window, its configurations and its quota.
  const presale = body.presale_code ? await findPresaleCode(env, eventId, body.presale_code) : null;
  if (body.presale_code && !presale) throw unknownPresaleCode("presale_code");

  // Attendees named with the order: one per unit at most, their answers checked against the configuration's questions.
  // Rights are issued line by line, so attendee i names the i-th unit of the cart.
  const units = cartLines(body).flatMap((line) => Array<string>(line.quantity).fill(line.config_id));
  if (body.attendees && body.attendees.length > units.length) throw problems.invalidField("attendees", `At most ${units.length} attendee(s) for ${units.length} ticket(s).`, "too_big");
  const attendees = body.attendees?.length ? await namedAttendees(env, units, body.attendees) : null;

  const isGuest = !auth;
  const request = {
    // A key names one order of this buyer in this event: a retry finds it in the EventDO (`replayed`), with no D1 record of its own.
    order_id: idempotencyKey ? await idFromParts(eventId, userId, idempotencyKey) : newId(),
    request_hash: idempotencyKey ? await sha256Hex(JSON.stringify(body)) : null,
    ticket_number: `TKT-${new Date().getUTCFullYear()}-${humanCode(8)}`,
    lines: cartLines(body),
    user_id: userId,
    promo_code: promoCode,
    channel: body.channel,
    is_guest: isGuest,
    guest_email: isGuest ? (body.guest_email ?? null) : null,
    guest_phone: isGuest ? (body.guest_phone ?? null) : null,
    ip: meta.ip,
    waitlist_offer_id: body.waitlist_offer_id ?? null,
    presale,
    attendees,
  };
  const stub = eventStub(env, eventId);
  const place = () => stub.placeOrder({ ...request, buyer, rules: rules.map((r) => ({ ...r })) });
  let result = await place();
  if (!result.ok && result.problem.code === BUYER_FACTS_REQUIRED && !buyer) {
    await readBuyer();
    result = await place();
  }
  // A configuration this event does not sell: when it is another event's, the cart mixes events (read only on this refusal).
  if (!result.ok && result.problem.code === "config_not_found") await refuseOtherEvents(env, eventId, request.lines, body.lines !== undefined);
  // The object knew the event had left sale before this isolate's context did: the same answer either way.
  if (!result.ok && result.problem.code === "event_not_on_sale") throw problems.notFound("Event");
  // An invitation-only event is not sold; to anyone but its guests and organization it does not exist.
  if (!result.ok && result.problem.code === INVITATION_ONLY.code) await visibleEvent(env, eventId, auth);
  if (!result.ok) throw problemFrom(result.problem);
  const replayed = result.replayed === true;
  // Nothing to pay (free tickets, a 100 % code): the tickets are issued at once, as a paid order's are.
  if (result.order.total === 0 && result.order.booking_status === "PENDING") {
    await rememberHolders(env, stub, [userId]);
    const confirmed = await stub.confirmOrder({ order_id: result.order.id, payment_id: null, confirmed_by: null });
    if (!confirmed.ok) throw problemFrom(confirmed.problem);
    // The holder opens their tickets right away: the rights go to D1 now, not at the next alarm.
    await stub.flushProjection();
    await notifyUser(
      env,
      userId,
      "TICKETS_READY",
      { event_title: context.event.title, quantity: String(confirmed.order.quantity), ticket_number: confirmed.order.ticket_number, order_id: confirmed.order.id, event_id: context.event.id },
      `tickets-ready:${confirmed.order.id}`,
      { tickets: { event_id: context.event.id, order_id: confirmed.order.id } },
    );
    return { order: confirmed.order, replayed };
  }
  return { order: result.order, replayed };
}
