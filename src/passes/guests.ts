import type { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { bannedSubjects } from "../access/blacklist-checks.ts";
import { rememberHolders } from "../catalog/sync.ts";
import { getDb } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { notify } from "../notifications/service.ts";
import { accountForEmail } from "../users/accounts.ts";
import { users } from "../users/schema.ts";
import { heldPass } from "./read.ts";
import { passPairs } from "./rights.ts";
import type { GuestBody } from "./schemas.ts";

/**
 * The holder of an ACTIVE pass invites a guest to a match the pass covers:
 * up to the plan's `benefits.guest_tickets` per match, each a right issued by
 * the match's EventDO in the holder's zone and taken from its inventory (the
 * limit and the units exact under concurrency). The guest (an account, or an
 * email, which gets a passwordless account) is sent the ticket (ACCESS_GRANTED,
 * with its QR code).
 */
export async function inviteGuest(env: Env, auth: AuthContext, subscriptionId: string, body: z.infer<typeof GuestBody>) {
  const db = getDb(env.DB);
  const { sub, plan } = await heldPass(db, auth, subscriptionId);
  if (sub.status !== "ACTIVE") throw problems.conflict("subscription_not_active", `This pass is ${sub.status}; only an ACTIVE pass brings guests.`);
  const limit = plan.benefits?.guest_tickets ?? 0;
  if (limit < 1) throw problems.conflict("guest_tickets_not_included", "This pass includes no guest tickets.");
  const covered = await passPairs(db, sub.id, false);
  if (!covered.some((p) => p.event_id === body.event_id)) throw problems.conflict("event_not_covered", "This pass does not cover this match, or it is over.");
  if (body.user_id) {
    const [known] = await db.select({ id: users.id, active: users.is_active }).from(users).where(eq(users.id, body.user_id)).limit(1);
    if (!known?.active) throw problems.validation([{ path: "user_id", message: "No such active account.", code: "invalid_reference" }]);
  }
  if (body.user_id === sub.user_id) throw problems.validation([{ path: "user_id", message: "A guest is someone else.", code: "guest_is_holder" }]);
  const [banned] = await bannedSubjects(db, { event_id: body.event_id }, [{ user_id: body.user_id ?? null, email: body.email ?? null, phone: null }]);
  if (banned) throw problems.validation([{ path: body.user_id ? "user_id" : "email", message: "This person is blacklisted for this event.", code: "holder_blacklisted" }]);
  const guestId = body.user_id ?? (await accountForEmail(env, body.email!));
  if (guestId === sub.user_id) throw problems.validation([{ path: "email", message: "A guest is someone else.", code: "guest_is_holder" }]);
  const stub = eventStub(env, body.event_id);
  await rememberHolders(env, stub, [guestId]);
  const result = await stub.issueGuestRight({ guest_id: newId(), subscription_id: sub.id, holder_id: sub.user_id, guest_user_id: guestId, limit, created_by: auth.userId });
  if (!result.ok) throw problemFrom(result.problem);
  // The guest opens the ticket from the message's link at once: the right goes to D1 now.
  await stub.flushProjection();
  const [event] = await db.select({ title: events.title }).from(events).where(eq(events.id, body.event_id)).limit(1);
  await notify(env, [
    {
      type: "ACCESS_GRANTED",
      key: `pass_guest:${result.right.source_id}`,
      user_id: guestId,
      data: { event_title: event?.title ?? "", quantity: "1", event_id: body.event_id },
      tickets: { event_id: body.event_id, source_id: result.right.source_id },
    },
  ]);
  return { access_right: result.right, guest_tickets: limit, guests_left: Math.max(0, limit - result.guests_used) };
}
