import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { SEAT_STATUSES } from "../../durable-objects/event/contract.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { authorizeEvent } from "../organizations/permissions.ts";
import { errors } from "../problem-codes.ts";
import { seatMapDocument } from "./seat-map.ts";
import { visibleEvent } from "./service.ts";
import { venueDetail } from "./venues.ts";

const tags = ["Seat maps"];
const NOT_MODIFIED = { 304: { description: "Not modified (If-None-Match)." } };

const SeatMapSchema = z
  .object({
    venue_id: z.string(),
    zones: z.array(z.object({ id: z.string(), code: z.string(), name: z.string(), category: z.string() })),
    columns: z.array(z.string()).openapi({ description: 'The fields of each seat\'s array: `["id", "zone", "section", "row", "number", "x", "y", "rotation", "flags"]`.' }),
    seats: z
      .array(z.array(z.union([z.string(), z.number()])))
      .openapi({ description: "One array per seat, in `columns` order: `zone` is an index into `zones`; `flags` bit 0 accessible, bit 1 companion, bit 2 inactive (never sold)." }),
  })
  .openapi("SeatMap");

const SeatAvailabilitySchema = z
  .object({
    version: z.number().int().openapi({ description: "The version of the event's seats this answer is at: send it back as `since`." }),
    since: z.number().int().nullable(),
    seats: z
      .array(z.tuple([z.string(), z.enum(SEAT_STATUSES)]))
      .openapi({ description: "`[seat id, status]`: with `since`, every seat changed after it; without, every seat not AVAILABLE (a seat not listed is AVAILABLE)." }),
  })
  .openapi("SeatAvailability");

export function seatRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}/seat-map",
      operationId: "getVenueSeatMap",
      tags,
      summary: "A venue's seat geometry, one cacheable document",
      description:
        "Every seat of the venue (zone, section, row, number, position x/y and rotation on the map, accessible, companion, inactive) as compact arrays, the same for every event at the venue. Answered with an `ETag` (its digest) and `Cache-Control: public, max-age=300`; send `If-None-Match` to get 304. Seat status per event is `GET /v1/events/{event_id}/seats`. Inactive venues only to their organization's members and admins (404 for others).",
      request: { params: z.object({ venue_id: z.uuid() }) },
      responses: { 200: jsonResponse(SeatMapSchema, "The geometry."), ...NOT_MODIFIED, ...errors("not_found") },
    }),
    async (c) => {
      const { venue_id } = c.req.valid("param");
      await venueDetail(getDb(c.env.DB), c.get("auth"), venue_id);
      const doc = await seatMapDocument(c.env, venue_id);
      const headers = { ETag: doc.etag, "Cache-Control": "public, max-age=300" };
      if (c.req.header("If-None-Match") === doc.etag) return c.body(null, 304, headers);
      return c.body(doc.body, 200, { ...headers, "Content-Type": "application/json" });
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/seats",
      operationId: "getEventSeatAvailability",
      tags,
      summary: "Seat availability for an event, as a versioned delta",
      description:
        "Live from the event's Durable Object. Without `since`: the snapshot, every seat not AVAILABLE (HELD, SOLD, BLOCKED, KILLED, PASS: reserved for a season pass) at `version`. With `since` (a `version` this route gave): only the seats changed after it, each with its status now; any earlier version is answered this way, since each seat keeps the version of its last change. A `since` above the current version was never issued: 409 `seat_version_unknown` (fetch the snapshot again). `ETag` is the version: `If-None-Match` with it answers 304 while nothing changed. Events with access type INVITATION only to who may see them.",
      request: {
        params: z.object({ event_id: z.uuid() }),
        query: z.object({ since: z.coerce.number().int().min(0).optional().openapi({ description: "The `version` of the client's last answer." }) }),
      },
      responses: { 200: jsonResponse(SeatAvailabilitySchema, "The snapshot or the delta."), ...NOT_MODIFIED, ...errors("not_found", "seat_version_unknown") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { since } = c.req.valid("query");
      const stub = eventStub(c.env, event_id);
      const availability = await stub.availability();
      if (!availability.event_id) throw problems.notFound("Event");
      if (availability.access_type === "INVITATION") await visibleEvent(c.env, event_id, c.get("auth"));
      const result = await stub.seatAvailability(since ?? null);
      if (!result.ok) throw problemFrom(result.problem);
      const etag = `"seats-${result.availability.version}"`;
      const headers = { ETag: etag, "Cache-Control": "no-cache" };
      if (c.req.header("If-None-Match") === etag) return c.body(null, 304, headers);
      return c.json(result.availability, 200, headers);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/seats/status",
      operationId: "setEventSeatStatus",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Block, kill or release seats for an event",
      description:
        "Needs `event.manage` on the event (its organization's OWNER and MANAGER, admins; other members 403, anyone else 404). BLOCKED holds seats back (released later with AVAILABLE), KILLED takes them out of sale (a broken seat, a camera position). Seats held, sold or reserved for a season pass are refused (409 `seat_taken`); a seat not of the event's venue is 422 `seat_not_found`; either way nothing changes.",
      request: {
        params: z.object({ event_id: z.uuid() }),
        body: jsonBody(z.strictObject({ seat_ids: z.array(z.uuid()).min(1).max(1000), status: z.enum(["BLOCKED", "KILLED", "AVAILABLE"]) })),
      },
      responses: {
        200: jsonResponse(z.object({ version: z.number().int(), changed: z.number().int() }).openapi("SeatStatusChange"), "The seats' new version and how many changed."),
        ...errors("forbidden", "not_found", "seat_not_found", "seat_taken"),
      },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { seat_ids, status } = c.req.valid("json");
      await authorizeEvent(c.env, c.get("auth"), event_id, "event.manage");
      const result = await eventStub(c.env, event_id).setSeatStatus([...new Set(seat_ids)], status);
      if (!result.ok) throw problemFrom(result.problem);
      return c.json({ version: result.version, changed: result.changed }, 200);
    },
  );

  return r;
}
