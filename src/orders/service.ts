import type { z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../catalog/sync.ts";
import { buyerGroups, candidateRules } from "../catalog/service.ts";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import type { ClientMeta } from "../auth/tokens.ts";
import { ageOn, now } from "../lib/time.ts";
import { accountForEmail } from "../users/accounts.ts";
import { users } from "../users/schema.ts";
import type { PlaceOrderBody } from "./schemas.ts";

/**
 * Everything the EventDO needs to decide an order that lives in D1 (the
 * buyer's groups and age, the candidate pricing rules), read before the call
 * so the decision itself never waits on D1.
 */
export async function placeOrder(env: Env, auth: AuthContext | undefined, eventId: string, body: z.infer<typeof PlaceOrderBody>, meta: ClientMeta) {
  const db = getDb(env.DB);
  if (!auth && !body.guest_email) {
    throw problems.validation([{ path: "guest_email", message: "Sign in, or give an email address for the tickets.", code: "guest_email_required" }]);
  }
  const at = now();
  const eventRow = db.select({ id: events.id, organizer_id: events.organizer_id, status: events.status }).from(events).where(eq(events.id, eventId)).limit(1);
  const facts = (userId: string) =>
    [
      db.select({ date_of_birth: users.date_of_birth }).from(users).where(eq(users.id, userId)).limit(1),
      buyerGroups(db, userId, at),
      // The organizer by subquery, so the event need not be read first.
      candidateRules(db, sql`(SELECT organizer_id FROM events WHERE id = ${eventId})`, body.promo_code ?? null),
    ] as const;
  // Everything the decision needs from D1 in one round trip; a guest's account is found (or made) once the event is known.
  let event, buyer, groups, rules, userId: string;
  if (auth) {
    userId = auth.userId;
    [[event], [buyer], groups, rules] = await db.batch([eventRow, ...facts(userId)]);
    if (!event || event.status !== "APPROVED") throw problems.notFound("Event");
  } else {
    [event] = await eventRow;
    if (!event || event.status !== "APPROVED") throw problems.notFound("Event");
    userId = await accountForEmail(env, body.guest_email!, body.guest_phone ?? null);
    [[buyer], groups, rules] = await db.batch(facts(userId));
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
