import { createRoute, z } from "@hono/zod-openapi";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { requireAuth } from "../auth/middleware.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import {
  AutoRenewBody,
  PassTransferBody,
  PassTransferSchema,
  PendingPassTransferSchema,
  BookingBody,
  RenewalAttemptSchema,
  BookingSchema,
  bookingParams,
  MySubscriptionsQuery,
  planParam,
  ReasonBody,
  RenewBody,
  SubscribeBody,
  subscriptionParam,
  SubscriptionDetailSchema,
  SubscriptionSchema,
  UpgradeBody,
  UpgradeSchema,
  GuestBody,
} from "./schemas.ts";
import { listUpgrades, requestUpgrade } from "./upgrades.ts";
import { listCardRequests } from "./card-requests.ts";
import { inviteGuest } from "./guests.ts";
import { bookMatch, cancelBooking } from "./bookings.ts";
import { activateWithCash, cancelSubscription, reactivateSubscription, suspendSubscription } from "./lifecycle.ts";
import { listMySubscriptions, readSubscription } from "./read.ts";
import { renewalAttempts, setAutoRenew } from "./renewals.ts";
import { renewSubscription, subscribe } from "./subscribing.ts";
import { listPassTransfers, transferPassAtBoxOffice, transferPassByHolder } from "./transfers.ts";

const tags = ["Season passes"];
const WithPending = SubscriptionDetailSchema.extend({
  rights_pending: z.number().int().openapi({ description: "Covered events whose right could not be issued yet; the periodic reconciliation issues them." }),
});
const TRANSFER_DESC = "Within the plan's rules: `is_transferable`, `restrictions.max_transfers_per_season` (a whole transfer counts one), `restrictions.transfer_window_hours` (closed that long before the pass's next event), and `restrictions.transfer_fee`. The recipient (an account id, or an email: an account is opened for it) must be able to buy the pass (not blacklisted by the club or the platform: 403 `blacklisted`; the plan's age and identity rules) and hold no other live pass of the plan for these dates. In one D1 batch the pass becomes TRANSFERRED and the recipient gets a new ACTIVE pass (same plan, seat and end date, `transferred_from`); of two transfers of one pass at once, one wins. Then, in each event's EventDO, every right still to come moves to the recipient in one step (a new code; the old QR stops working; TRANSFER_DONATION in the transactions log); rights whose doors opened stay with the old pass as history. Both are told (PASS_TRANSFERRED_OUT, PASS_TRANSFERRED_IN).";
const RETRY = "Repeating the request is safe: it re-applies the rights' status, completing a fan-out that was cut short.";

export function passRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscription-plans/{plan_id}/subscribe",
      operationId: "subscribeToPassPlan",
      tags,
      security: bearerAuth,
      summary: "Subscribe to a season-pass plan",
      description:
        "Creates a PENDING pass, activated once paid. Checks the plan is active and on sale, its places (`max_subscribers`, exact under concurrency), one live pass per person and plan for overlapping dates, the seat (required for assigned-seat plans, free), and the plan's restrictions (age from your date of birth, verified identity); a blacklist entry of the plan's organizer (CLUB) or the platform (GLOBAL) on your account, email, phone or IP is 403 `blacklisted`. Validity comes from the plan's season and/or duration; the price is the plan's. A `promo_code` counts against the per-IP limit `promo-ip`, shared with quotes and orders (429).",
      request: { params: planParam, body: jsonBody(SubscribeBody) },
      responses: { 201: jsonResponse(SubscriptionDetailSchema, "The PENDING pass."), ...errors("age_restriction", "already_subscribed", "blacklisted", "date_of_birth_required", "identity_verification_required", "not_found", "payment_option_unavailable", "plan_full", "plan_not_active", "plan_without_validity", "promo_code_exhausted", "promo_code_not_applicable", "rate_limited", "recipient_email_unverified", "sales_ended", "sales_not_started", "season_over", "seat_taken", "subscription_expired", "subscription_not_pending") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const body = c.req.valid("json");
      const meta = clientMeta(c);
      if (body.promo_code) await enforceRateLimit(c.env, "promo-ip", ipKey(meta));
      const pass = await subscribe(c.env, auth, c.req.valid("param").plan_id, body, meta.ip);
      c.header("Location", `/v1/subscriptions/${pass.id}`);
      return c.json(pass, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/subscriptions",
      operationId: "listMySeasonPasses",
      tags,
      security: bearerAuth,
      summary: "My season passes, newest first",
      request: { query: MySubscriptionsQuery },
      responses: { 200: jsonResponse(pageSchema(SubscriptionSchema), "Passes with their plan and rights count."), ...errors() },
    }),
    async (c) => c.json(await listMySubscriptions(c.env, requireAuth(c.get("auth")), c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{subscription_id}",
      operationId: "getSeasonPass",
      tags,
      security: bearerAuth,
      summary: "One season pass, with its bookings",
      description: "For its holder, members of the plan's organization with `sales.read` (its other members get 403) and admins; 404 for anyone else.",
      request: { params: subscriptionParam },
      responses: { 200: jsonResponse(SubscriptionDetailSchema, "The pass."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await readSubscription(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/activate-cash",
      operationId: "activateSeasonPassCash",
      tags,
      security: bearerAuth,
      summary: "Box office: activate a pass paid in cash",
      description:
        "Box office: `cash.confirm` in the plan's organization (OWNER, BOX_OFFICE; other members 403) and admins. Records a CASH payment, sets the pass ACTIVE and issues one access right per covered event (each event's issuing is idempotent). On an ACTIVE pass it only resumes the issuing, without a new payment. A pass paid in instalments is bought with its first one; a family package with its buyer's pass, for all its passes (a companion's own pass: 409 `paid_with_package`). Audited.",
      request: { params: subscriptionParam },
      responses: { 200: jsonResponse(WithPending, "The ACTIVE pass."), ...errors("forbidden", "not_found", "paid_with_package", "subscription_expired", "subscription_not_pending") },
    }),
    async (c) => c.json(await activateWithCash(c.env, actorOf(c), c.req.valid("param").subscription_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/suspend",
      operationId: "suspendSeasonPass",
      tags,
      security: bearerAuth,
      summary: "Suspend a pass: its rights are blocked",
      description: `Needs \`rights.block\` in the plan's organization (OWNER, MANAGER, SUPERVISOR), or an admin. ACTIVE → SUSPENDED; every right of the pass is BLOCKED at the gates (used or transferred ones are left alone). ${RETRY} Audited.`,
      request: { params: subscriptionParam, body: jsonBody(ReasonBody) },
      responses: { 200: jsonResponse(SubscriptionDetailSchema, "The SUSPENDED pass."), ...errors("concurrent_change", "forbidden", "not_found", "subscription_not_active", "unavailable") },
    }),
    async (c) => c.json(await suspendSubscription(c.env, actorOf(c), c.req.valid("param").subscription_id, c.req.valid("json").reason), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/reactivate",
      operationId: "reactivateSeasonPass",
      tags,
      security: bearerAuth,
      summary: "Reactivate a suspended pass",
      description: `Needs \`rights.block\` in the plan's organization (OWNER, MANAGER, SUPERVISOR), or an admin. SUSPENDED → ACTIVE; its rights are ENABLED again and those of events added meanwhile issued. ${RETRY} Audited.`,
      request: { params: subscriptionParam },
      responses: { 200: jsonResponse(SubscriptionDetailSchema, "The ACTIVE pass."), ...errors("concurrent_change", "forbidden", "not_found", "subscription_expired", "subscription_not_suspended", "unavailable") },
    }),
    async (c) => c.json(await reactivateSubscription(c.env, actorOf(c), c.req.valid("param").subscription_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/cancel",
      operationId: "cancelSeasonPass",
      tags,
      security: bearerAuth,
      summary: "Cancel a pass",
      description: `Its holder may cancel it while PENDING (before paying); members of the plan's organization with \`event.manage\` (OWNER, MANAGER) and admins at any time (audited). Its rights and bookings are cancelled and its place on the plan given back once. ${RETRY}`,
      request: { params: subscriptionParam, body: jsonBody(ReasonBody) },
      responses: { 200: jsonResponse(SubscriptionDetailSchema, "The CANCELLED pass."), ...errors("cancellation_not_allowed", "concurrent_change", "not_found", "subscription_closed", "unavailable") },
    }),
    async (c) => c.json(await cancelSubscription(c.env, actorOf(c), c.req.valid("param").subscription_id, c.req.valid("json").reason), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/renew",
      operationId: "renewSeasonPass",
      tags,
      security: bearerAuth,
      summary: "Renew my pass for next season",
      description:
        "For the holder of an ACTIVE pass on a renewable plan, during the priority window (the last `renewal_priority_days` of its validity, ahead of the public sale). Creates a PENDING pass for the following period on the plan's successor (`metadata.renewal_plan_id`) or the same plan, keeping the seat. A CLUB or GLOBAL blacklist entry on the holder is 403 `blacklisted`.",
      request: { params: subscriptionParam, body: { required: false, content: { "application/json": { schema: RenewBody } } } },
      responses: { 201: jsonResponse(SubscriptionDetailSchema, "The renewal, PENDING."), ...errors("age_restriction", "already_subscribed", "date_of_birth_required", "forbidden", "identity_verification_required", "not_found", "plan_not_renewable", "plan_without_validity", "renewal_needs_next_plan", "renewal_not_open", "renewal_plan_unavailable", "sales_ended", "season_over", "subscription_expired", "subscription_not_active", "subscription_not_pending") },
    }),
    async (c) => {
      const pass = await renewSubscription(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("json")?.auto_renew, clientMeta(c).ip);
      c.header("Location", `/v1/subscriptions/${pass.id}`);
      return c.json(pass, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/subscriptions/{subscription_id}/auto-renew",
      operationId: "setSeasonPassAutoRenew",
      tags,
      security: bearerAuth,
      summary: "Turn automatic renewal on or off, and choose how it charges me",
      description:
        "For the holder of a live pass (PENDING, ACTIVE, SUSPENDED). With `auto_renew` on a renewable plan, a daily cron renews the ACTIVE pass in its priority window onto next season's plan (as `POST …/renew` does, seat kept) and asks for its payment through `renewal_method` (and `renewal_phone` for Mobile Money): a new PENDING payment and a PASS_RENEWAL_REQUESTED message. A failed attempt is told (PASS_RENEWAL_RETRY) and tried again a day later, three attempts in all (then PASS_RENEWAL_FAILED); a pass renewed by hand meanwhile is not renewed again. Without a method, the one that paid the pass is used; a pass paid in cash needs one. `auto_renew: false` is the opt-out.",
      request: { params: subscriptionParam, body: jsonBody(AutoRenewBody) },
      responses: { 200: jsonResponse(SubscriptionDetailSchema, "The pass."), ...errors("concurrent_change", "forbidden", "not_found", "plan_not_renewable", "subscription_closed") },
    }),
    async (c) => c.json(await setAutoRenew(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{subscription_id}/renewal-attempts",
      operationId: "listSeasonPassRenewalAttempts",
      tags,
      security: bearerAuth,
      summary: "The automatic renewal attempts of a pass, newest first",
      description: "For its holder, members of the plan's organization with `sales.read` and admins (as `GET /v1/subscriptions/{subscription_id}`).",
      request: { params: subscriptionParam },
      responses: { 200: jsonResponse(z.object({ data: z.array(RenewalAttemptSchema) }), "Every attempt."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json({ data: await renewalAttempts(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id) }, 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/transfer",
      operationId: "transferSeasonPass",
      tags,
      security: bearerAuth,
      summary: "Hand my whole pass to another person",
      description: `The holder of an ACTIVE pass. ${TRANSFER_DESC} Without a fee the transfer is done at once (200). With \`restrictions.transfer_fee\` the same checks are made and the transfer is recorded PENDING for 30 minutes (202): pay the fee with POST /v1/payments, target \`PASS_TRANSFER\` (\`transfer_id\`), before \`expires_at\`; when the payment is PAID the transfer is carried out as above, its checks made again. If it can no longer be done then (expired, the pass changed, the recipient blacklisted or given a pass meanwhile) it is FAILED (\`failure_reason\`) and the payment refunded in full. One transfer waits per pass (409 \`transfer_pending\`); the same request again (same recipient) answers the one waiting.`,
      request: { params: subscriptionParam, body: jsonBody(PassTransferBody) },
      responses: {
        200: jsonResponse(PassTransferSchema, "The pass handed on, and the recipient's (a plan without a transfer fee)."),
        202: jsonResponse(PendingPassTransferSchema, "The transfer, PENDING until its fee is paid (a plan with a transfer fee)."),
        ...errors("age_restriction", "already_subscribed", "blacklisted", "date_of_birth_required", "forbidden", "identity_verification_required", "not_found", "recipient_email_unverified", "subscription_expired", "subscription_not_active", "transfer_not_allowed", "transfer_pending", "transfer_quota_exhausted", "transfer_window_closed"),
      },
    }),
    async (c) => {
      const result = await transferPassByHolder(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("json"), clientMeta(c).ip);
      return "pending" in result ? c.json(result.pending, 202) : c.json(result.done, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{subscription_id}/transfers",
      operationId: "listSeasonPassTransfers",
      tags,
      security: bearerAuth,
      summary: "A pass's transfers waiting for (or paid with) a fee, newest first",
      description: "The transfers the holder asked for on a plan with a transfer fee (202 of POST /v1/subscriptions/{subscription_id}/transfer): PENDING, PROCESSING, COMPLETED, EXPIRED or FAILED (the payment refunded). For its holder, members of the plan's organization with `sales.read` and admins.",
      request: { params: subscriptionParam },
      responses: { 200: jsonResponse(z.object({ items: z.array(PendingPassTransferSchema) }), "The transfers."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await listPassTransfers(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/transfer-at-box-office",
      operationId: "transferSeasonPassAtBoxOffice",
      tags,
      security: bearerAuth,
      summary: "Box office: transfer a pass for its holder, taking the transfer fee",
      description: `\`cash.confirm\` in the plan's organization (OWNER, BOX_OFFICE) or an admin, for the holder at the desk. ${TRANSFER_DESC} The fee, if any, is recorded as a CASH payment of the holder's: PAID once the pass moved (audited PAYMENT), CANCELLED if it did not.`,
      request: { params: subscriptionParam, body: jsonBody(PassTransferBody) },
      responses: {
        200: jsonResponse(PassTransferSchema, "The pass handed on, and the recipient's."),
        ...errors("age_restriction", "already_subscribed", "blacklisted", "date_of_birth_required", "forbidden", "identity_verification_required", "not_found", "recipient_email_unverified", "subscription_expired", "subscription_not_active", "transfer_not_allowed", "transfer_quota_exhausted", "transfer_window_closed"),
      },
    }),
    async (c) => c.json(await transferPassAtBoxOffice(c.env, actorOf(c), c.req.valid("param").subscription_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/bookings",
      operationId: "bookMatch",
      tags,
      security: bearerAuth,
      summary: "Book a match on my pass",
      description:
        "FLEX passes book their matches (at most `benefits.number_of_matches`, of which `restrictions.peak_matches_limit` peak ones, at least `advance_booking_days` ahead; exact under concurrency); other passes book their booking-only events within `booking_window_days`. The match's access right is issued at once.",
      request: { params: subscriptionParam, body: jsonBody(BookingBody) },
      responses: { 201: jsonResponse(BookingSchema, "The booking, with its access right."), ...errors("already_booked", "booking_limit_reached", "booking_not_open", "booking_too_late", "event_not_covered", "event_started", "forbidden", "not_found", "outside_validity", "peak_limit_reached", "plan_without_match_count", "subscription_not_active") },
    }),
    async (c) => c.json(await bookMatch(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("json").event_id), 201),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/subscriptions/{subscription_id}/bookings/{event_id}",
      operationId: "cancelMatchBooking",
      tags,
      security: bearerAuth,
      summary: "Cancel a booked match",
      description: "By its holder, or a member of the plan's organization with `event.manage`, before the doors open: the match's right is cancelled and the match goes back to the pass.",
      request: { params: bookingParams },
      responses: { 200: jsonResponse(BookingSchema, "The CANCELLED booking."), ...errors("booking_closed", "booking_used", "concurrent_change", "doors_open", "not_found") },
    }),
    async (c) => {
      const { subscription_id, event_id } = c.req.valid("param");
      return c.json(await cancelBooking(c.env, requireAuth(c.get("auth")), subscription_id, event_id), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/upgrades",
      operationId: "upgradeSeasonPass",
      tags,
      security: bearerAuth,
      summary: "Upgrade my pass to a better zone, for one match or the season",
      description:
        "For the holder of an ACTIVE pass (others: 404; the club's members and admins: 403). The plan must allow upgrades to the category (`subscription_plan_zones.upgrade_allowed`, 409 `upgrade_not_allowed`), which must be better than the match's current zone (BASIC < STANDARD < PREMIUM < VIP, 409 `not_a_better_zone`). With `event_id`, that match (not started: 409 `event_started`); without, every covered match ahead not already in that category or better. One place of the category is held in each match's inventory (its EventDO), all or none (409 `zone_sold_out` when one is full, `zone_not_sold` when a match sells none there). The amount is `upgrade_fee` per match; pay it with POST /v1/payments, target `PASS_UPGRADE`, before `expires_at` (30 minutes), after which the places go back on sale. Once paid (or at once when free) each match's right is replaced: the old code stops working and a new right in the new zone is issued.",
      request: { params: subscriptionParam, body: jsonBody(UpgradeBody) },
      responses: {
        201: jsonResponse(UpgradeSchema, "The upgrade: PENDING until paid, or APPLIED when free."),
        ...errors("event_closed", "event_not_covered", "event_started", "forbidden", "hold_expired_sold_out", "no_upcoming_matches", "not_a_better_zone", "not_found", "right_not_found", "right_not_upgradable", "subscription_not_active", "upgrade_not_allowed", "upgrade_not_found", "upgrade_pending", "zone_not_sold", "zone_sold_out"),
      },
    }),
    async (c) => c.json(await requestUpgrade(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{subscription_id}/upgrades",
      operationId: "listSeasonPassUpgrades",
      tags,
      security: bearerAuth,
      summary: "A pass's zone upgrades, newest first",
      description: "For its holder, members of the plan's organization with `sales.read` and admins.",
      request: { params: subscriptionParam },
      responses: { 200: jsonResponse(z.object({ items: z.array(UpgradeSchema) }), "The upgrades."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await listUpgrades(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscription-plans/{plan_id}/card-requests",
      operationId: "listSeasonCardRequests",
      tags,
      security: bearerAuth,
      summary: "Box office: printed cards asked for with a plan's passes",
      description:
        "Needs `tickets.resend` in the plan's organization (OWNER, MANAGER, BOX_OFFICE; admins); its other members 403, anyone else 404. A plan whose `metadata.printed_card` is true records a card request with each pass bought (unless the buyer says `printed_card: false`); printing the pass's card (POST /v1/subscriptions/{subscription_id}/cards) fulfils it (PRINTED). `status` REQUESTED (default) lists those still to print, of ACTIVE or SUSPENDED passes only, oldest first; PRINTED those done. At most 500.",
      request: { params: planParam, query: z.object({ status: z.enum(["REQUESTED", "PRINTED"]).default("REQUESTED") }) },
      responses: {
        200: jsonResponse(
          z.object({
            items: z.array(
              z.object({
                subscription_id: z.string(),
                subscription_number: z.string(),
                subscription_status: z.string(),
                holder: z.object({ id: z.string(), first_name: z.string().nullable(), last_name: z.string().nullable(), email: z.string().nullable() }),
                status: z.enum(["REQUESTED", "PRINTED"]),
                requested_at: z.string(),
                card_id: z.string().nullable(),
                printed_at: z.string().nullable(),
              }),
            ),
          }),
          "The card requests.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => c.json(await listCardRequests(c.env, requireAuth(c.get("auth")), c.req.valid("param").plan_id, c.req.valid("query").status), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/guests",
      operationId: "inviteSeasonPassGuest",
      tags,
      security: bearerAuth,
      summary: "Invite a guest to a match on my pass",
      description:
        "For the holder of an ACTIVE pass whose plan includes guest tickets (`benefits.guest_tickets`, per match; none: 409 `guest_tickets_not_included`), at a match the pass covers (409 `event_not_covered`) where the pass holds a live right (404 `right_not_found`). Issues one right to the guest through the match's EventDO, in the holder's zone, taking a unit of that zone's inventory (409 `zone_sold_out`, `zone_not_sold`); past the plan's number at this match: 409 `guest_limit_reached` (exact under concurrency). The guest is told with the ticket (ACCESS_GRANTED, QR code inline); an email without an account gets a passwordless one. A guest the event's blacklist bans is 422 `holder_blacklisted`.",
      request: { params: subscriptionParam, body: jsonBody(GuestBody) },
      responses: {
        201: jsonResponse(
          z.object({
            access_right: z.object({ id: z.string(), qr_code: z.string(), event_id: z.string(), user_id: z.string(), zone_id: z.string().nullable(), status: z.string(), source_type: z.string(), source_id: z.string() }).passthrough(),
            guest_tickets: z.number().int(),
            guests_left: z.number().int(),
          }),
          "The guest's right.",
        ),
        ...errors("event_closed", "event_not_covered", "forbidden", "guest_limit_reached", "guest_tickets_not_included", "not_found", "recipient_email_unverified", "right_not_found", "subscription_not_active", "zone_not_sold", "zone_sold_out"),
      },
    }),
    async (c) => c.json(await inviteGuest(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("json")), 201),
  );

  return r;
}
