import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, sql } from "drizzle-orm";
import { checksSessionByFeed, requireAuth } from "../auth/middleware.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { rememberHolders } from "../catalog/sync.ts";
import { access_rights } from "../access/schema.ts";
import { auditAct } from "../site/audit.ts";
import { visibleEvent } from "../events/service.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { authorizeEvent, type EventPermission } from "../organizations/permissions.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { createdWithKey, idempotencyKeyOf } from "../lib/idempotency.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { afterCursor, decodeCursor, pageQuery, pageSchema, toPage } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { recordCommission } from "../payments/commissions.ts";
import { refundPaidOrder } from "../payments/refunds.ts";
import { payments } from "../payments/schema.ts";
import { actorOf } from "../site/audit.ts";
import type { Context } from "hono";
import { tickets } from "./schema.ts";
import { AccessRightSchema, AvailabilitySchema, enteredPromoCode, eventOrderParams, OrderSchema, PlaceOrderBody } from "./schemas.ts";
import { findPresaleCode, unknownPresaleCode } from "../catalog/presale-codes.ts";
import { codeWindowRefusal } from "../../durable-objects/event/presale.ts";
import { orderTickets } from "./service.ts";
import { availabilityHeaders, notModified, publicAvailability, shownToAnyone } from "../onsale/availability-cache.ts";
import { WAITING_ROOM_CODES, WAITING_ROOM_HEADERS, waitingRoomGuard } from "../onsale/waiting-room.ts";

const tags = ["Orders"];
const eventParam = z.object({ event_id: z.uuid() });

/**
 * The order if the caller bought it, or holds `permission` on the event
 * (reading: `sales.read`; admins always); a member of the event's
 * organization without it gets 403, anyone else 404.
 */
async function readableOrder(c: Context<AppEnv>, eventId: string, orderId: string, permission: EventPermission = "sales.read") {
  const auth = requireAuth(c.get("auth"));
  const order = await eventStub(c.env, eventId).getOrder(orderId);
  if (!order) throw problems.notFound("Order");
  if (order.user_id === auth.userId) return { order, auth, manager: false };
  await authorizeEvent(c.env, auth, eventId, permission).catch((error: unknown) => {
    throw error instanceof ProblemError && error.status === 404 ? problems.notFound("Order") : error;
  });
  return { order, auth, manager: true };
}

export function orderRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/availability",
      operationId: "getEventAvailability",
      tags,
      summary: "What is on sale for an event, from its inventory, at most 1 s old",
      description:
        "Anyone may read it, except for an event with access type INVITATION: only its invitees, staff, organization and admins (404 for others); nothing of it is on sale. An unpublished event (DRAFT, PENDING_REVIEW, REJECTED) is likewise 404 to all but its organization, staff and admins.\n\nServed from the edge: the event's Durable Object's answer is kept for at most 1 second (this isolate's memory, then the data centre's Cache API), so a hold placed now shows within 1 s. `Age` says how old the answer is (whole seconds), `ETag` is its version (`If-None-Match` answers 304 while it is unchanged), `Cache-Control: public, max-age=1`. An anonymous read (no `Authorization` or `Cookie`, no query) that the isolate's memory can serve is answered before the app's middleware runs, with the same status, body and headers (security and CORS headers for its `Origin`, `X-Request-Id`, 304); during a maintenance block it gets the 503 any request gets. An INVITATION or unpublished event's answer is never cached (`no-store`). Your own order is read live at `GET /v1/events/{event_id}/orders/{order_id}`.\n\nHidden configurations (`presale_only`) appear only with `presale_code`, a code of the event naming them and within its window (422 `unknown_presale_code` in `errors`, 409 `presale_code_not_started`, `presale_code_expired`); such an answer is read live and never cached (`no-store`), and a code counts against the per-IP limit `promo-ip` (429).",
      request: { params: eventParam, query: z.object({ presale_code: enteredPromoCode }) },
      responses: { 200: jsonResponse(AvailabilitySchema, "Per ticket configuration: price, available units, whether on sale."), 304: { description: "Unchanged since the `If-None-Match` ETag." }, ...errors("not_found", "presale_code_expired", "presale_code_not_started", "rate_limited") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { presale_code } = c.req.valid("query");
      if (presale_code) {
        // Guessing codes costs the same here as on orders; what a code unlocks is read live, never cached.
        await enforceRateLimit(c.env, "promo-ip", ipKey(clientMeta(c)));
        const code = await findPresaleCode(c.env, event_id, presale_code);
        if (!code) throw unknownPresaleCode("query.presale_code");
        const refused = codeWindowRefusal(code, Date.now());
        if (refused) throw problemFrom(refused.problem);
        const unlocked = await eventStub(c.env, event_id).availability(Date.now(), code.config_ids);
        if (!unlocked.event_id) throw problems.notFound("Event");
        if (!shownToAnyone(unlocked)) await visibleEvent(c.env, event_id, c.get("auth"));
        c.header("Cache-Control", "no-store");
        return c.json(unlocked, 200);
      }
      const served = await publicAvailability(c.env, event_id, (p) => c.executionCtx.waitUntil(p));
      const { availability } = served;
      if (!availability.event_id) throw problems.notFound("Event");
      if (!shownToAnyone(availability)) {
        // Read from D1 only for an invitation-only or unpublished event, which is 404 to all but its guests, staff and organization.
        await visibleEvent(c.env, event_id, c.get("auth"));
        c.header("Cache-Control", "no-store");
        return c.json(availability, 200);
      }
      for (const [name, value] of availabilityHeaders(served, Date.now())) c.header(name, value);
      if (notModified(c.req.header("If-None-Match"), served)) return c.body(null, 304);
      // The kept JSON text, as the front of the route (src/onsale/availability-front.ts) sends it: the same bytes the ETag digests.
      return c.body(served.body, 200, { "Content-Type": "application/json" });
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/orders",
      operationId: "placeOrder",
      tags,
      middleware: [checksSessionByFeed, waitingRoomGuard] as const,
      summary: "Order tickets (a cart of one or more lines): places a hold",
      description:
        "A cart: `lines`, each a configuration of this event with a quantity (and, for seats, `seat_ids`), or `config_id` and `quantity` for an order of one line. Every line is checked, the lines are priced together (a rule's quantity conditions count the units of every line it applies to) and held all-or-none in one decision: one refusal holds nothing, and its `detail` names the line (`lines[i]: …`) when the cart has several. Lines of one configuration count together against its limits (per order and per person). A configuration of another event is 422 `cart_mixes_events`. Seats: a line of a configuration whose zone has seats names them in `seat_ids` (each of its zone, 422 `seat_not_in_zone`; of the event's venue, 422 `seat_not_found`; free, 409 `seat_taken`), or gets the best available ones (the first run of `quantity` adjacent seats in one row, else the free seats nearest the zone's first free seat; 409 `seats_unavailable`), held with the order and released with it. Checks the sales window, limits, membership and availability in the event's Durable Object (409 `invitation_only` for an event with access type INVITATION, which is never sold; 409 `booking_not_open` before the ticket type's `advance_booking_days` window; 409 `zone_share_sold_out` past its `capacity_percentage_bp` share of its zone), prices the order (tier, then pricing rules) and holds the units for 15 minutes until payment. Send an `Idempotency-Key` header: a retry with the same key and body returns the same order, as it is now, with `Idempotent-Replayed: true`, instead of placing a second one; the same key with another body is 422 `idempotency_key_reused`. A key names one order of its buyer in the event for good. An order with a `promo_code` counts against the per-IP limit `promo-ip` (shared with quotes and season passes; 429).\n\nWithout a signed-in user (guest checkout): `guest_email` and `turnstile_token` are required; the token is checked with Cloudflare Turnstile's Siteverify (403 `turnstile_failed`, 503 `turnstile_unavailable`); an IP places at most 30 guest orders an hour (429); an address whose account has a password or a verified email is refused (409 `sign_in_required`); in one event, live guest holds are capped at 6 units per IP, 6 per email and a quarter of the event's sellable units (409 `guest_hold_limit`); the answer's `user_id` is null.",
      security: [{}, ...bearerAuth],
      request: {
        params: eventParam,
        headers: z.object({
          "idempotency-key": z.string().optional().openapi({ description: "8–255 visible ASCII characters, unique per order attempt." }),
          ...WAITING_ROOM_HEADERS,
        }),
        body: jsonBody(PlaceOrderBody),
      },
      responses: { 201: jsonResponse(OrderSchema, "The hold; pay before `expires_at`."), ...errors("above_maximum", "below_minimum", "blacklisted", "booking_not_open", "cart_mixed_currencies", "cart_mixes_events", "config_not_found", "event_not_on_sale", "guest_hold_limit", "invitation_only", "idempotency_key_reused", "members_only_period", "membership_required", "not_found", "not_on_sale", "presale_code_exhausted", "presale_code_expired", "presale_code_not_applicable", "presale_code_not_started", "presale_code_required", "promo_code_exhausted", "promo_code_not_applicable", "purchase_limit", "rate_limited", "sales_ended", "sales_not_started", "seat_not_found", "seat_not_in_zone", "seat_repeated", "seat_taken", "seats_unavailable", "sign_in_required", "sold_out", "turnstile_failed", "turnstile_unavailable", "waitlist_offer_expired", "waitlist_offer_not_found", "waitlist_offer_not_open", "waitlist_offer_quantity", "waitlist_offer_taken", "zone_share_sold_out", ...WAITING_ROOM_CODES) },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const body = c.req.valid("json");
      const meta = clientMeta(c);
      // Guessing codes costs the same here as on the quote route.
      if (body.promo_code || body.presale_code) await enforceRateLimit(c.env, "promo-ip", ipKey(meta));
      const auth = c.get("auth");
      const { order, replayed } = await orderTickets(c.env, auth, event_id, body, meta, idempotencyKeyOf(c));
      createdWithKey(c, `/v1/events/${event_id}/orders/${order.id}`, replayed);
      return c.json(auth ? order : { ...order, user_id: null }, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/orders/{order_id}",
      operationId: "getOrder",
      tags,
      security: bearerAuth,
      summary: "One order, with its access rights once confirmed",
      description: "For its buyer, and members with `sales.read` on the event (OWNER, MANAGER, BOX_OFFICE, FINANCE; its other members and staff 403) and admins.",
      request: { params: eventOrderParams },
      responses: { 200: jsonResponse(OrderSchema.extend({ access_rights: z.array(AccessRightSchema) }), "The order."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, order_id } = c.req.valid("param");
      const { order } = await readableOrder(c, event_id, order_id);
      const rights = await eventStub(c.env, event_id).listRights({ order_id });
      return c.json({ ...order, access_rights: rights }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/orders/{order_id}/cancel",
      operationId: "cancelOrder",
      tags,
      security: bearerAuth,
      summary: "Cancel an order",
      description:
        "By its buyer, or for the event's organization by members with `event.manage` (OWNER, MANAGER) and admins. A hold can always be released; a free confirmed order only where the ticket type allows cancellation and no ticket was used.\n\nA confirmed order a payment paid for (online, cash) is cancelled only through the refund flow, never with its money kept: its buyer gets 409 `refund_required`, whose `detail` names the payment and the route to ask for a refund (`POST /v1/payments/{payment_id}/refunds`; approving it cancels the order). A manager's cancellation refunds it: the buyer's waiting request is approved, or a refund of what remains is made (reason `OTHER`, `description` from `reason`) and approved, which needs `refunds.manage` (OWNER, FINANCE; a MANAGER gets 403) or an admin; the order is cancelled and the money goes back as for any approved refund (`GET /v1/refunds`). A used ticket blocks it (409 `tickets_used`, no refund left behind); a refund already approved and under way is 409 `refund_open`.",
      request: { params: eventOrderParams, body: jsonBody(z.strictObject({ reason: z.string().trim().min(1).max(500) })) },
      responses: { 200: jsonResponse(OrderSchema, "Cancelled; its units are back on sale (a paid order cancelled by a manager: refunded too)."), ...errors("cancellation_not_allowed", "forbidden", "not_configured", "not_found", "not_refundable", "order_closed", "order_not_found", "refund_open", "refund_required", "tickets_used") },
    }),
    async (c) => {
      const { event_id, order_id } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      const { auth, manager } = await readableOrder(c, event_id, order_id, "event.manage");
      const stub = eventStub(c.env, event_id);
      const result = await stub.cancelOrder(order_id, reason, auth.userId);
      if (result.ok) return c.json(result.order, 200);
      if (result.problem.code !== "refund_required" || !manager) throw problemFrom(result.problem);
      const order = await stub.getOrder(order_id);
      if (!order?.payment_id) throw problemFrom(result.problem);
      await refundPaidOrder(c.env, actorOf(c), order.payment_id, reason);
      return c.json((await stub.getOrder(order_id))!, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/orders/{order_id}/confirm-cash",
      operationId: "confirmCashOrder",
      tags,
      security: bearerAuth,
      summary: "Box office: confirm an order paid in cash",
      description:
        "Needs `cash.confirm` on the event: the OWNER and BOX_OFFICE members of its organization, and admins. Its other members and its gate staff (controllers, supervisors) get 403, anyone else 404. Records a CASH payment and issues the access rights, exactly once.",
      request: { params: eventOrderParams },
      responses: { 200: jsonResponse(OrderSchema.extend({ access_rights: z.array(AccessRightSchema) }), "Confirmed (or already confirmed)."), ...errors("event_cancelled", "forbidden", "hold_expired_sold_out", "not_found", "order_cancelled", "order_not_found") },
    }),
    async (c) => {
      const { event_id, order_id } = c.req.valid("param");
      const db = getDb(c.env.DB);
      // Only roles that take money at a desk (issue 14: gate staff confirmed cash before).
      const access = await authorizeEvent(c.env, c.get("auth"), event_id, "cash.confirm");
      const stub = eventStub(c.env, event_id);
      const order = await stub.getOrder(order_id);
      if (!order) throw problems.notFound("Order");
      if (order.booking_status === "CONFIRMED" || order.booking_status === "COMPLETED") return c.json({ ...order, access_rights: await stub.listRights({ order_id }) }, 200);
      // The payment row references the order's D1 row: project it first.
      await stub.flushProjection();
      // What the gate checks about the holder (birth date, groups), before their rights exist.
      await rememberHolders(c.env, stub, [order.user_id]);
      const paymentId = newId();
      await db.insert(payments).values({
        id: paymentId,
        user_id: order.user_id,
        type: "TICKET",
        amount: order.total,
        net_amount: order.total,
        currency: order.currency as "XOF",
        status: "PENDING",
        method: "CASH",
        provider: "CASH_DESK",
        internal_reference: `CASH-${humanCode(10)}`,
        ticket_id: order_id,
        description: `Box office, confirmed by ${access.auth.userId}`,
      });
      const result = await stub.confirmOrder({ order_id, payment_id: paymentId, confirmed_by: access.auth.userId });
      // Payment states only move forward: PENDING, then PAID once the order is ours, or CANCELLED (the cash is not taken).
      const taken = result.ok && result.order.payment_id === paymentId;
      const [[settled]] = await db.batch([
        db
          .update(payments)
          .set(taken ? { status: "PAID", paid_at: new Date().toISOString() } : { status: "CANCELLED", failure_reason: result.ok ? "already_confirmed" : result.problem.code })
          .where(and(eq(payments.id, paymentId), eq(payments.status, "PENDING")))
          .returning(),
        // The cash taken, audited for who took it (PAYMENT), with the PAID write.
        auditAct(db, { userId: access.auth.userId, ...clientMeta(c) }, taken ? sql`changes() = 1` : sql`0`, {
          action: "PAYMENT",
          table: payments,
          id: paymentId,
          after: { type: "TICKET", amount: order.total, currency: order.currency, method: "CASH", order_id },
          description: "cash received at the box office",
        }),
      ]);
      if (!result.ok) throw problemFrom(result.problem);
      // Cash sales owe the platform its commission like online ones.
      if (taken && settled) await recordCommission(c.env, settled, { event_id });
      // The holder opens their tickets right away: put the rights in D1 now, not at the next alarm.
      await stub.flushProjection();
      return c.json({ ...result.order, access_rights: result.rights }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/orders",
      operationId: "listMyOrders",
      tags,
      security: bearerAuth,
      summary: "My orders, newest first",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(z.object({ id: z.string(), ticket_number: z.string(), event_id: z.string(), quantity: z.number().int(), total_price: z.number().int(), currency: z.string(), booking_status: z.string(), payment_status: z.string(), booking_expires_at: z.string().nullable(), created_at: z.string() })), "Orders."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { limit, cursor } = c.req.valid("query");
      const after = decodeCursor(cursor);
      const rows = await getDb(c.env.DB)
        .select({ id: tickets.id, ticket_number: tickets.ticket_number, event_id: tickets.event_id, quantity: tickets.quantity, total_price: tickets.total_price, currency: tickets.currency, booking_status: tickets.booking_status, payment_status: tickets.payment_status, booking_expires_at: tickets.booking_expires_at, created_at: tickets.created_at })
        .from(tickets)
        .where(and(eq(tickets.user_id, auth.userId), afterCursor(after, tickets.created_at, tickets.id, "desc")))
        .orderBy(desc(tickets.created_at), desc(tickets.id))
        .limit(limit + 1);
      return c.json(toPage(rows, limit, (row) => ({ k: row.created_at, id: row.id })), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights",
      operationId: "listMyAccessRights",
      tags: ["Access rights"],
      security: bearerAuth,
      summary: "My access rights (one per admission), latest event first",
      request: { query: z.object({ ...pageQuery, status: z.enum(["ENABLED", "USED", "TRANSFERRED", "CANCELLED", "EXPIRED", "BLOCKED"]).optional() }) },
      responses: { 200: jsonResponse(pageSchema(AccessRightSchema), "Access rights."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { limit, cursor, status } = c.req.valid("query");
      const after = decodeCursor(cursor);
      const rows = await getDb(c.env.DB)
        .select()
        .from(access_rights)
        .where(
          and(
            eq(access_rights.user_id, auth.userId),
            status ? eq(access_rights.status, status) : undefined,
            afterCursor(after, access_rights.valid_from, access_rights.id, "desc"),
          ),
        )
        .orderBy(desc(access_rights.valid_from), desc(access_rights.id))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => ({ k: row.valid_from, id: row.id }));
      return c.json(
        {
          data: page.data.map((r) => ({
            id: r.id,
            qr_code: r.qr_code,
            event_id: r.event_id,
            order_id: r.source_type === "TICKET" ? r.source_id : null,
            user_id: r.user_id,
            zone_id: r.zone_id,
            seat_id: r.seat_id,
            status: r.status,
            source_type: r.source_type,
            source_id: r.source_id,
            original_user_id: r.original_user_id ?? r.user_id,
            transfer_count: r.transfer_count,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            used_at: r.used_at,
          })),
          next_cursor: page.next_cursor,
        },
        200,
      );
    },
  );

  return r;
}
