import { createRoute, z } from "@hono/zod-openapi";
import { ownBodyLimit } from "../lib/body-limit.ts";
import { adminOnly, requireAuth, signedIn } from "../auth/middleware.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { actorOf } from "../site/audit.ts";
import { getDb } from "../db/client.ts";
import { binaryContent, IMAGE_TYPES, PHOTO_MAX_BYTES, readImageBody, serveMedia } from "../users/media.ts";
import { readableCoverKey, swapEventCover } from "./covers.ts";
import {
  AdminEventsQuery,
  ApproveEventBody,
  CancelEventBody,
  CreateEventBody,
  EventDetailSchema,
  eventIdParam,
  EventListItemSchema,
  EventListQuery,
  ManagedEventSchema,
  MyEventsQuery,
  MyParticipationSchema,
  MyParticipationsQuery,
  ParticipationBody,
  ParticipationWithCountsSchema,
  PublicEventSchema,
  RejectEventBody,
  ReviewChangesSchema,
  ShareBody,
  ShareSchema,
  toManagedEvent,
  toPublicEvent,
  UpdateEventBody,
  ViewResultSchema,
} from "./schemas.ts";
import { searchEvents } from "./search.ts";
import { reviewChanges } from "./review-changes.ts";
import {
  cancelEvent,
  createEvent,
  deleteEvent,
  feed,
  listEventsForAdmin,
  listOwnEvents,
  listOwnParticipations,
  ownParticipation,
  participationCounts,
  recordView,
  removeParticipation,
  reviewEvent,
  setParticipation,
  submitEvent,
  toParticipation,
  updateEvent,
  visibleEvent,
} from "./service.ts";
import { createShare, shareUrl } from "./shares.ts";

const tags = ["Events"];
const socialTags = ["Event participation and sharing"];
const adminTags = ["Administration"];
const noContent = { description: "Done." };

export function eventRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ organizers: create, edit, delete, submit, cancel

  r.openapi(
    createRoute({
      method: "post",
      path: "/events",
      operationId: "createEvent",
      tags,
      security: bearerAuth,
      middleware: [memberWith("event.manage")] as const,
      summary: "Create an event (DRAFT)",
      description:
        "In an organization where the caller may manage events (`event.manage`: OWNER, MANAGER), named by `organization_id` (default: the only one; 422 if several, 403 `no_organization` if none); admins name any organization. Dates are ISO 8601 with an offset and stored in UTC; `timezone` (IANA) says how to show them. With `venue_id` (one of the organization's venues), the venue's name, address, coordinates, maps link and time zone fill what you leave out. Prices are integer minor units of `currency` (XOF or TND) and 0 unless the event is PAID. Counts against the organization's plan's events per month (403 `plan_limit_reached`).",
      request: { body: jsonBody(CreateEventBody) },
      responses: { 201: jsonResponse(ManagedEventSchema, "The draft."), ...errors("admin_only_field", "forbidden", "no_organization", "plan_limit_reached") },
    }),
    async (c) => c.json(toManagedEvent(await createEvent(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/events/{event_id}",
      operationId: "updateEvent",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Edit an event of my organization",
      description:
        "DRAFT, REJECTED and APPROVED events (admins: also PENDING_REVIEW); `null` clears an optional field. Changing the title, descriptions, dates, time zone, place, access type, price or currency of an APPROVED event sends it back to PENDING_REVIEW (unless an admin edits it). Needs `event.manage` (OWNER, MANAGER; other members 403); other organizations' events are 404.",
      request: { params: eventIdParam, body: jsonBody(UpdateEventBody) },
      responses: { 200: jsonResponse(ManagedEventSchema, "The event."), ...errors("admin_only_field", "concurrent_change", "forbidden", "event_not_editable", "not_found", "tickets_sold") },
    }),
    async (c) => c.json(toManagedEvent(await updateEvent(c.env, actorOf(c), c.req.valid("param").event_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}",
      operationId: "deleteEvent",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a draft",
      description: "Only DRAFT events; anything submitted has a history and is cancelled instead. Needs `event.manage`.",
      request: { params: eventIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "event_not_deletable", "forbidden", "not_found") },
    }),
    async (c) => {
      await deleteEvent(c.env, actorOf(c), c.req.valid("param").event_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/submit",
      operationId: "submitEvent",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Submit an event for review",
      description: "DRAFT or REJECTED → PENDING_REVIEW, for an event that has not started. It cannot be edited until reviewed. Needs `event.manage`.",
      request: { params: eventIdParam },
      responses: { 200: jsonResponse(ManagedEventSchema, "Waiting for review."), ...errors("concurrent_change", "event_in_past", "event_not_submittable", "forbidden", "not_found") },
    }),
    async (c) => c.json(toManagedEvent(await submitEvent(c.env, actorOf(c), c.req.valid("param").event_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/cancel",
      operationId: "cancelEvent",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Cancel an event",
      description:
        "APPROVED or PENDING_REVIEW → CANCELLED, by its organization (`event.manage`) or an admin, with a reason shown on the event. Every order and right of the event is cancelled (holds released, free and paid orders, grants, season-pass rights; CANCEL in the transactions log) and every paid order is refunded through the payments queue. Every person whose orders or rights were cancelled is told once, in their language, in the app, by email and push (EVENT_CANCELLED_BUYER with the amount refunded to their payment method, EVENT_CANCELLED_PASS: the season pass stays valid for its other events, EVENT_CANCELLED_HOLDER: nothing was charged); more than 200 people are told after the request, in paced steps on the notifications queue. An admin's cancellation is notified to the account the event is presented under (EVENT_CANCELLED).",
      request: { params: eventIdParam, body: jsonBody(CancelEventBody) },
      responses: { 200: jsonResponse(ManagedEventSchema, "Cancelled."), ...errors("concurrent_change", "event_not_cancellable", "forbidden", "not_found") },
    }),
    async (c) => c.json(toManagedEvent(await cancelEvent(c.env, actorOf(c), c.req.valid("param").event_id, c.req.valid("json").reason)), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/events",
      operationId: "listMyEvents",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "The events of my organizations",
      description: "Every organization I belong to, in any role (or the one named by `organization_id`): every status, soonest first, with moderation fields.",
      request: { query: MyEventsQuery },
      responses: { 200: jsonResponse(pageSchema(ManagedEventSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listOwnEvents(c.env, requireAuth(c.get("auth")).userId, c.req.valid("query")), 200),
  );

  // ------------------------------------------------------------ cover image

  r.openapi(
    createRoute({
      method: "put",
      path: "/events/{event_id}/cover",
      operationId: "uploadEventCover",
      tags,
      security: bearerAuth,
      summary: "Upload the event's cover image",
      description: "Needs `event.manage`. The raw image is the body (JPEG, PNG or WebP by its content, at most 5 MB); the previous cover is deleted. Not for CANCELLED or COMPLETED events; an APPROVED event stays published.",
      middleware: [signedIn, ownBodyLimit(PHOTO_MAX_BYTES, "A cover image")] as const,
      request: { params: eventIdParam, body: { required: true, content: binaryContent(IMAGE_TYPES) } },
      responses: { 200: jsonResponse(ManagedEventSchema, "The event with its new `cover_url`."), ...errors("concurrent_change", "event_not_editable", "forbidden", "not_found", "payload_too_large", "unsupported_media_type") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      return c.json(toManagedEvent(await swapEventCover(c.env, actorOf(c), event_id, await readImageBody(c))), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/cover",
      operationId: "deleteEventCover",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Remove the event's cover image",
      description: "Needs `event.manage`.",
      request: { params: eventIdParam },
      responses: { 200: jsonResponse(ManagedEventSchema, "The event without a cover."), ...errors("concurrent_change", "event_not_editable", "forbidden", "not_found") },
    }),
    async (c) => c.json(toManagedEvent(await swapEventCover(c.env, actorOf(c), c.req.valid("param").event_id, null)), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/cover",
      operationId: "getEventCover",
      tags,
      summary: "An event's cover image",
      description:
        "With `v` (as in `cover_url`) the response is immutable and cached for a year, and a replaced cover's `v` is 404; without `v` only published events' covers are served, revalidated with the ETag.",
      request: { params: eventIdParam, query: z.object({ v: z.string().max(100).optional() }) },
      responses: {
        200: { description: "The image.", content: binaryContent(IMAGE_TYPES) },
        304: { description: "Not modified (If-None-Match)." },
        ...errors("not_found"),
      },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { v } = c.req.valid("query");
      return serveMedia(c, await readableCoverKey(c.env, event_id, v), v !== undefined, "Cover");
    },
  );

  // ------------------------------------------------------------ public listing, detail, feed

  r.openapi(
    createRoute({
      method: "get",
      path: "/events",
      operationId: "searchEvents",
      tags,
      summary: "Find events",
      description:
        "APPROVED events not over yet (or still running after `from`). Events with access type INVITATION are listed only to their invitees (holders of a right to them), their staff, their organization's members and admins. Filters combine; `q` searches title and descriptions (accents ignored, every word required, word prefixes match) ranked by relevance, a title hit first; `lat`, `lng` and `radius_km` keep events within that distance, nearest first, each with `distance_km`.",
      request: { query: EventListQuery },
      responses: { 200: jsonResponse(pageSchema(EventListItemSchema), "One page."), ...errors() },
    }),
    async (c) => c.json(await searchEvents(c.env, c.req.valid("query"), c.get("auth")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}",
      operationId: "getEvent",
      tags,
      summary: "One event",
      description:
        "Published events (APPROVED, COMPLETED, CANCELLED) for everyone; drafts, events under review and rejected ones only for the members of its organization and admins (404 for others), who also see its managed fields. An event with access type INVITATION only for its invitees (holders of a right to it, neither cancelled nor transferred), its staff, its organization's members and admins (404 for others). With participation counts, and the caller's own participation when signed in.",
      request: { params: eventIdParam },
      responses: { 200: jsonResponse(EventDetailSchema, "The event."), ...errors("not_found") },
    }),
    async (c) => {
      const auth = c.get("auth");
      const { event, managed } = await visibleEvent(c.env, c.req.valid("param").event_id, auth);
      const [counts, mine] = await Promise.all([participationCounts(c.env, event.id), auth ? ownParticipation(c.env, event.id, auth.userId) : undefined]);
      return c.json(
        {
          ...(managed ? toManagedEvent(event) : toPublicEvent(event)),
          participation_counts: counts,
          ...(auth ? { my_participation: mine?.status ?? null } : {}),
        },
        200,
      );
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/feed",
      operationId: "getMyFeed",
      tags,
      security: bearerAuth,
      summary: "Events from organizers I follow",
      description: "APPROVED events not over yet, soonest first.",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(PublicEventSchema), "One page."), ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { limit, cursor } = c.req.valid("query");
      return c.json(await feed(c.env, auth.userId, limit, cursor), 200);
    },
  );

  // ------------------------------------------------------------ views, participation, shares

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/views",
      operationId: "countEventView",
      tags: socialTags,
      summary: "Count a view of an event",
      description:
        "Call when the event's page is shown. Counted once per viewer per UTC day (the account when signed in, else the device's IP and user agent) and only for APPROVED events.",
      request: { params: eventIdParam },
      responses: { 200: jsonResponse(ViewResultSchema, "Whether this view counted, and the total."), ...errors("not_found", "rate_limited") },
    }),
    async (c) => {
      const meta = clientMeta(c);
      await enforceRateLimit(c.env, "event-view-ip", ipKey(meta));
      return c.json(await recordView(c.env, c.req.valid("param").event_id, c.get("auth"), meta), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/events/{event_id}/participation",
      operationId: "setParticipation",
      tags: socialTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Say I am interested, going, or no longer going",
      description:
        "INTERESTED and GOING need an APPROVED event not over yet; GOING is refused (409 `event_full`) once GOING participants reach `max_capacity` on events without ticketing, and always for an event with access type INVITATION (409 `invitation_only`: its guests are the organizer's grants). ATTENDED is recorded by the gate and cannot be changed. An omitted `comment` keeps the previous one.",
      request: { params: eventIdParam, body: jsonBody(ParticipationBody) },
      responses: { 200: jsonResponse(ParticipationWithCountsSchema, "My participation and the event's counts."), ...errors("already_attended", "event_full", "event_not_open", "invitation_only", "not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { event_id } = c.req.valid("param");
      const row = await setParticipation(c.env, auth, event_id, c.req.valid("json"));
      return c.json({ ...toParticipation(row), participation_counts: await participationCounts(c.env, event_id) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/participation",
      operationId: "deleteParticipation",
      tags: socialTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Remove my participation",
      description: "Idempotent; an ATTENDED participation stays (409).",
      request: { params: eventIdParam },
      responses: { 204: noContent, ...errors("already_attended", "not_found") },
    }),
    async (c) => {
      await removeParticipation(c.env, requireAuth(c.get("auth")), c.req.valid("param").event_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/participations",
      operationId: "listMyParticipations",
      tags: socialTags,
      security: bearerAuth,
      summary: "My participations",
      description: "In published events, most recently changed first, each with its event (invitation-only events only while the caller may see them).",
      request: { query: MyParticipationsQuery },
      responses: { 200: jsonResponse(pageSchema(MyParticipationSchema), "One page."), ...errors() },
    }),
    async (c) => c.json(await listOwnParticipations(c.env, requireAuth(c.get("auth")).userId, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/shares",
      operationId: "shareEvent",
      tags: socialTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Share an event",
      description: "Creates a tracked short link (`url`, `/s/{code}` on the configured origin `PUBLIC_API_URL`, never the request's Host) for one platform; the event's `share_count` goes up by one. APPROVED events only, never an invitation-only one (409 `event_not_shareable`).",
      request: { params: eventIdParam, body: jsonBody(ShareBody) },
      responses: { 201: jsonResponse(ShareSchema, "The share and its link."), ...errors("event_not_shareable", "not_found", "rate_limited") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { event_id } = c.req.valid("param");
      // Published or not, other people's unpublished events stay 404.
      await visibleEvent(c.env, event_id, auth);
      await enforceRateLimit(c.env, "share-user", auth.userId);
      const share = await createShare(c.env, auth.userId, event_id, c.req.valid("json").platform);
      return c.json(
        {
          id: share.id,
          event_id: share.event_id,
          platform: share.platform,
          code: share.code,
          url: shareUrl(c.env, share.code),
          click_count: share.click_count,
          created_at: share.created_at,
        },
        201,
      );
    },
  );

  // ------------------------------------------------------------ moderation

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/events",
      operationId: "listEventsForModeration",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Events for moderation",
      description: "Every status; oldest change first, so `status=PENDING_REVIEW` is the review queue in submission order.",
      request: { query: AdminEventsQuery },
      responses: { 200: jsonResponse(pageSchema(ManagedEventSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listEventsForAdmin(c.env, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/events/{event_id}/approve",
      operationId: "approveEvent",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Approve an event waiting for review",
      description: "PENDING_REVIEW → APPROVED: the event is published. The organizer is notified in the app and by email (EVENT_APPROVED). Audited (APPROVE).",
      request: { params: eventIdParam, body: { ...jsonBody(ApproveEventBody), required: false } },
      responses: { 200: jsonResponse(ManagedEventSchema, "Approved."), ...errors("concurrent_change", "event_not_pending", "forbidden", "not_found") },
    }),
    async (c) => c.json(toManagedEvent(await reviewEvent(c.env, actorOf(c), c.req.valid("param").event_id, "APPROVED", c.req.valid("json").comment)), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/events/{event_id}/reject",
      operationId: "rejectEvent",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Reject an event waiting for review",
      description: "PENDING_REVIEW → REJECTED with a required comment sent to the organizer (EVENT_REJECTED), who may edit and submit again. Audited (REJECT).",
      request: { params: eventIdParam, body: jsonBody(RejectEventBody) },
      responses: { 200: jsonResponse(ManagedEventSchema, "Rejected."), ...errors("concurrent_change", "event_not_pending", "forbidden", "not_found") },
    }),
    async (c) => c.json(toManagedEvent(await reviewEvent(c.env, actorOf(c), c.req.valid("param").event_id, "REJECTED", c.req.valid("json").comment)), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/events/{event_id}/review-changes",
      operationId: "getEventReviewChanges",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "What changed since the last review",
      description:
        "The last decision on the event (APPROVE or REJECT, when, by whom, its comment; null if it was never reviewed) and each field whose value now differs from the one that decision saw " +
        "(the reviewed fields plus doors, capacity, category, group and cover), with both values. What a reviewer reads before deciding on an event sent back to review.",
      request: { params: eventIdParam },
      responses: { 200: jsonResponse(ReviewChangesSchema, "The last review and the changes since."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await reviewChanges(getDb(c.env.DB), c.req.valid("param").event_id), 200),
  );

  return r;
}
