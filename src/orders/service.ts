import type { z } from "@hono/zod-openapi";
import { eq, fillPlaceholders, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../catalog/sync.ts";
import { buyerGroups, orderRules } from "../catalog/service.ts";
import { getDb, type Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { liveSession, sessionEnded } from "../auth/middleware.ts";
import type { ClientMeta } from "../auth/tokens.ts";
import { ageOn, now } from "../lib/time.ts";
import { accountForEmail } from "../users/accounts.ts";
import { users } from "../users/schema.ts";
import type { PlaceOrderBody } from "./schemas.ts";

const placeholder = sql.placeholder;
// The organizer by subquery, so the event need not be read first.
const organizerOfEvent = sql`(SELECT organizer_id FROM ${events} WHERE ${events.id} = ${placeholder("event_id")})`;

/**
 * An order's reads, built into SQL once per isolate (placeholders for what
 * changes) rather than by drizzle on every order, which cost about a tenth
 * of the order's CPU. Bound per request by `readAll`.
 */
const buildReads = (db: Db) => ({
  session: liveSession(db, placeholder("session_id"), placeholder("user_id"), placeholder("at")).prepare(),
  event: db.select({ id: events.id, organizer_id: events.organizer_id, status: events.status }).from(events).where(eq(events.id, placeholder("event_id"))).limit(1).prepare(),
  birthDate: db.select({ date_of_birth: users.date_of_birth }).from(users).where(eq(users.id, placeholder("user_id"))).limit(1).prepare(),
  groups: buyerGroups(db, placeholder("user_id"), placeholder("at")).prepare(),
  autoRules: orderRules(db, organizerOfEvent, null, placeholder("event_id"), placeholder("user_id")).prepare(),
  rulesWithCode: orderRules(db, organizerOfEvent, placeholder("promo_code"), placeholder("event_id"), placeholder("user_id")).prepare(),
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
 * Everything the EventDO needs to decide an order that lives in D1 (the
 * buyer's groups and age, the candidate pricing rules), read before the call
 * so the decision itself never waits on D1.
 */
export async function placeOrder(env: Env, auth: AuthContext | undefined, eventId: string, body: z.infer<typeof PlaceOrderBody>, meta: ClientMeta) {
  if (!auth && !body.guest_email) {
    throw problems.validation([{ path: "guest_email", message: "Sign in, or give an email address for the tickets.", code: "guest_email_required" }]);
  }
  const read = readsOf(getDb(env.DB));
  const rulesRead = body.promo_code ? read.rulesWithCode : read.autoRules;
  const values = { event_id: eventId, at: now(), promo_code: body.promo_code ?? null };
  // Everything the decision needs from D1 in one round trip; a guest's account is found (or made) once the event is known.
  let event, buyer, groups, rules, userId: string;
  if (auth) {
    userId = auth.userId;
    // The session is checked here, in the same batch (the route declares `checksOwnSession`), and brings the buyer's birth date.
    [[buyer], [event], groups, rules] = await readAll(env.DB, [read.session, read.event, read.groups, rulesRead], { ...values, session_id: auth.sessionId, user_id: userId });
    if (!buyer) throw sessionEnded();
    if (!event || event.status !== "APPROVED") throw problems.notFound("Event");
  } else {
    [event] = await read.event.all(values);
    if (!event || event.status !== "APPROVED") throw problems.notFound("Event");
    userId = await accountForEmail(env, body.guest_email!, body.guest_phone ?? null);
    [[buyer], groups, rules] = await readAll(env.DB, [read.birthDate, read.groups, rulesRead], { ...values, user_id: userId });
  }
  const isGuest = !auth;
  if (body.promo_code && !rules.some((r) => r.promo_code === body.promo_code)) {
    throw problems.validation([{ path: "promo_code", message: "Unknown or inactive promo code.", code: "unknown_promo_code" }]);
  }

  const result = await eventStub(env, eventId).placeOrder({
    order_id: newId(),
    ticket_number: `TKT-${new Date().getUTCFullYear()}-${humanCode(8)}`,
    config_id: body.config_id,
    quantity: body.quantity,
    user_id: userId,
    groups,
    buyer_age: buyer?.date_of_birth ? ageOn(buyer.date_of_birth) : null,
    birth_date: buyer?.date_of_birth ?? null,
    promo_code: body.promo_code ?? null,
    rules: rules.map((r) => ({ ...r })),
    channel: body.channel,
    is_guest: isGuest,
    guest_email: isGuest ? (body.guest_email ?? null) : null,
    guest_phone: isGuest ? (body.guest_phone ?? null) : null,
    ip: meta.ip,
  });
  if (!result.ok) throw problemFrom(result.problem);
  return result.order;
}
