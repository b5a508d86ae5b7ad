/**
 * The waiting list of a sold-out ticket configuration: a fan joins, sees
 * their place and leaves; the organizer reads the list. The EventDO keeps
 * the list and decides everything (durable-objects/event/waitlist.ts); an
 * offer is taken by placing an order with `waitlist_offer_id` (routes.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { inArray } from "drizzle-orm";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { requireAuth, signedIn } from "../auth/middleware.ts";
import { configParams } from "../catalog/configurations-schemas.ts";
import { getDb } from "../db/client.ts";
import { visibleEvent } from "../events/service.ts";
import { ProblemError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { authorizeEvent } from "../organizations/permissions.ts";
import { errors } from "../problem-codes.ts";
import { users } from "../users/schema.ts";

const tags = ["Waiting list"];

const WaitlistEntrySchema = z
  .object({
    id: z.string().openapi({ description: "The entry; once OFFERED, the `waitlist_offer_id` to order with." }),
    config_id: z.string(),
    quantity: z.number().int().openapi({ description: "Tickets asked for." }),
    status: z.enum(["WAITING", "OFFERED", "ORDERED", "EXPIRED", "LEFT", "CLOSED"]).openapi({
      description: "WAITING in line; OFFERED: tickets reserved for this person until `offer.expires_at`; then ORDERED, EXPIRED (not taken in time), LEFT, or CLOSED (event cancelled).",
    }),
    position: z.number().int().nullable().openapi({ description: "1 for the first in line (among those still waiting for this configuration); null once not waiting." }),
    offer: z
      .object({ quantity: z.number().int(), offered_at: z.string(), expires_at: z.string() })
      .nullable()
      .openapi({ description: "The tickets reserved: up to the quantity asked, as many as had come back." }),
    order_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("WaitlistEntry");

const WaitlistJoinBody = z.strictObject({ quantity: z.number().int().min(1).max(50) }).openapi("WaitlistJoinRequest");

const WaitlistListSchema = z
  .object({
    data: z.array(
      WaitlistEntrySchema.extend({
        user: z.object({ id: z.string(), first_name: z.string(), last_name: z.string(), email: z.string() }).nullable(),
      }),
    ),
  })
  .openapi("WaitlistList");

const entryOut = ({ user_id: _user, ...entry }: { user_id: string } & z.infer<typeof WaitlistEntrySchema>) => entry;

export function waitlistRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/ticket-configs/{config_id}/waitlist",
      operationId: "joinWaitlist",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Join a sold-out ticket configuration's waiting list",
      description:
        "For a signed-in fan, when the quantity asked is not on sale (409 `waitlist_not_sold_out` otherwise, unless others already wait). One entry per person and configuration: joining again answers the entry there is (200). When tickets come back (a hold expires or is released, an order is cancelled or refunded, blocked units are released, a grant is cancelled, an offer lapses or is given up), the event's inventory reserves them for the first in line and sends them a WAITLIST_OFFER (in-app, email, push), open for the configuration's `waitlist_offer_minutes` (default 120); they take it by ordering with `waitlist_offer_id`, else it passes to the next.",
      request: { params: configParams, body: jsonBody(WaitlistJoinBody) },
      responses: {
        201: jsonResponse(WaitlistEntrySchema, "The entry, with its position."),
        200: jsonResponse(WaitlistEntrySchema, "Already on the list: the entry there is."),
        ...errors("above_maximum", "below_minimum", "config_not_found", "event_not_on_sale", "not_found", "sales_ended", "waitlist_not_sold_out"),
      },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const auth = requireAuth(c.get("auth"));
      await visibleEvent(c.env, event_id, auth);
      const result = await eventStub(c.env, event_id).joinWaitlist({ entry_id: newId(), config_id, user_id: auth.userId, quantity: c.req.valid("json").quantity });
      if (!result.ok) throw problemFrom(result.problem);
      return result.already ? c.json(entryOut(result.entry), 200) : c.json(entryOut(result.entry), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/ticket-configs/{config_id}/waitlist/me",
      operationId: "getMyWaitlistEntry",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My place on a configuration's waiting list, and my open offer",
      request: { params: configParams },
      responses: { 200: jsonResponse(WaitlistEntrySchema, "The live entry (WAITING or OFFERED)."), ...errors("not_found", "waitlist_entry_not_found") },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const auth = requireAuth(c.get("auth"));
      await visibleEvent(c.env, event_id, auth);
      const entry = await eventStub(c.env, event_id).myWaitlistEntry(config_id, auth.userId);
      if (!entry) throw new ProblemError(404, "waitlist_entry_not_found", "Not found", "You are not on this ticket's waiting list.");
      c.header("Cache-Control", "no-store");
      return c.json(entryOut(entry), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/ticket-configs/{config_id}/waitlist/me",
      operationId: "leaveWaitlist",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Leave a configuration's waiting list (giving up an open offer)",
      description: "An open offer's tickets go to the next in line at once.",
      request: { params: configParams },
      responses: { 200: jsonResponse(WaitlistEntrySchema, "The entry, now LEFT."), ...errors("not_found", "waitlist_entry_not_found") },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const auth = requireAuth(c.get("auth"));
      await visibleEvent(c.env, event_id, auth);
      const result = await eventStub(c.env, event_id).leaveWaitlist(config_id, auth.userId);
      if (!result.ok) throw problemFrom(result.problem);
      return c.json(entryOut(result.entry), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/ticket-configs/{config_id}/waitlist",
      operationId: "listWaitlist",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "A configuration's waiting list: open offers, then the queue in order",
      description: "Needs `sales.read` on the event (OWNER, MANAGER, BOX_OFFICE, FINANCE; admins); another organization's event is 404.",
      request: { params: configParams },
      responses: { 200: jsonResponse(WaitlistListSchema, "The live entries with who they are."), ...errors("config_not_found", "forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      await authorizeEvent(c.env, c.get("auth"), event_id, "sales.read");
      const entries = await eventStub(c.env, event_id).listWaitlist(config_id);
      if (!entries) throw new ProblemError(404, "config_not_found", "Not found", "This ticket is not sold for this event.");
      const people = new Map<string, { id: string; first_name: string; last_name: string; email: string }>();
      const ids = [...new Set(entries.map((e) => e.user_id))];
      const db = getDb(c.env.DB);
      for (let i = 0; i < ids.length; i += 90) {
        const chunk = ids.slice(i, i + 90);
        for (const u of await db.select({ id: users.id, first_name: users.first_name, last_name: users.last_name, email: users.email }).from(users).where(inArray(users.id, chunk))) {
          people.set(u.id, u);
        }
      }
      c.header("Cache-Control", "no-store");
      return c.json({ data: entries.map((e) => ({ ...entryOut(e), user: people.get(e.user_id) ?? null })) }, 200);
    },
  );

  return r;
}
