import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import {
  AccessPointCreateBody,
  accessPointParams,
  AccessPointSchema,
  AccessPointUpdateBody,
  EventGroupCreateBody,
  EventGroupListQuery,
  EventGroupSchema,
  EventGroupUpdateBody,
  groupIdParam,
  MAX_SEATS_PER_REQUEST,
  seatParams,
  SeatListQuery,
  SeatSchema,
  SeatsCreateBody,
  SeatsCreatedSchema,
  toSeat,
  toVenue,
  toZone,
  VenueCreateBody,
  VenueDetailSchema,
  venueIdParam,
  VenueListQuery,
  VenueSchema,
  VenueUpdateBody,
  ZoneCreateBody,
  ZoneListQuery,
  zoneParams,
  ZoneSchema,
  ZoneUpdateBody,
} from "./venues-schemas.ts";
import { createAccessPoint, deleteAccessPoint, getAccessPoint, listAccessPoints, updateAccessPoint } from "./access-points.ts";
import { createEventGroup, deleteEventGroup, listEventGroups, updateEventGroup, visibleGroup } from "./event-groups.ts";
import { createSeats, createZone, deleteSeat, deleteZone, listSeats, listZones, updateZone, visibleZone } from "./venue-zones.ts";
import { createVenue, deleteVenue, listVenues, updateVenue, venueDetail } from "./venues.ts";

const venueTags = ["Venues"];
const groupTags = ["Event groups"];
const noContent = { description: "Done." };

const managed = "Needs `catalog.manage` in its organization (OWNER, MANAGER; other members 403); admins manage all. Another organization's object is 404.";

export function venueRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ venues

  r.openapi(
    createRoute({
      method: "post",
      path: "/venues",
      operationId: "createVenue",
      tags: venueTags,
      security: bearerAuth,
      middleware: [memberWith("catalog.manage")] as const,
      summary: "Create a venue",
      description: "In an organization where the caller has `catalog.manage`, named by `organization_id` (default: the only one); admins name any organization, or none for a platform venue.",
      request: { body: jsonBody(VenueCreateBody) },
      responses: { 201: jsonResponse(VenueSchema, "The venue."), ...errors("forbidden", "no_organization") },
    }),
    async (c) => c.json(toVenue(await createVenue(getDb(c.env.DB), actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues",
      operationId: "listVenues",
      tags: venueTags,
      summary: "List venues",
      description:
        "Active venues by name, filtered by `city` (any case), `country` and `q` (part of the name). `mine=true` (signed in) lists my organizations' venues (any role), inactive ones included, `organization_id` narrowing to one; admins may add `include_inactive=true`.",
      request: { query: VenueListQuery },
      responses: { 200: jsonResponse(pageSchema(VenueSchema), "One page."), ...errors("forbidden", "unauthorized") },
    }),
    async (c) => {
      const page = await listVenues(getDb(c.env.DB), c.get("auth"), c.req.valid("query"));
      return c.json({ data: page.data.map(toVenue), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}",
      operationId: "getVenue",
      tags: venueTags,
      summary: "A venue with its zones and access points",
      description: "Inactive venues, zones and access points are shown only to the members of its organization and admins.",
      request: { params: venueIdParam },
      responses: { 200: jsonResponse(VenueDetailSchema, "The venue."), ...errors("not_found") },
    }),
    async (c) => {
      const detail = await venueDetail(getDb(c.env.DB), c.get("auth"), c.req.valid("param").venue_id);
      return c.json({ ...toVenue(detail.venue), zones: detail.zones.map(toZone), access_points: detail.accessPoints }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/venues/{venue_id}",
      operationId: "updateVenue",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Update a venue",
      description: `${managed} \`null\` clears an optional field; only admins change \`organization_id\`.`,
      request: { params: venueIdParam, body: jsonBody(VenueUpdateBody) },
      responses: { 200: jsonResponse(VenueSchema, "The updated venue."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(toVenue(await updateVenue(getDb(c.env.DB), actorOf(c), c.req.valid("param").venue_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/venues/{venue_id}",
      operationId: "deleteVenue",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a venue",
      description: `${managed} Refused (409 \`venue_in_use\`) while events take place there or tickets, passes or scans refer to its zones, seats or gates: deactivate it instead.`,
      request: { params: venueIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "venue_in_use") },
    }),
    async (c) => {
      await deleteVenue(getDb(c.env.DB), actorOf(c), c.req.valid("param").venue_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ zones

  r.openapi(
    createRoute({
      method: "post",
      path: "/venues/{venue_id}/zones",
      operationId: "createZone",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Add a zone to a venue",
      description: `${managed} Names are unique per venue (any case), and so are codes (derived from the name when omitted).`,
      request: { params: venueIdParam, body: jsonBody(ZoneCreateBody) },
      responses: { 201: jsonResponse(ZoneSchema, "The zone."), ...errors("forbidden", "not_found", "zone_code_taken", "zone_name_taken") },
    }),
    async (c) => c.json(toZone(await createZone(getDb(c.env.DB), actorOf(c), c.req.valid("param").venue_id, c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}/zones",
      operationId: "listZones",
      tags: venueTags,
      summary: "Zones of a venue",
      description: "By code; inactive zones only for the members of its organization and admins.",
      request: { params: venueIdParam, query: ZoneListQuery },
      responses: { 200: jsonResponse(pageSchema(ZoneSchema), "One page."), ...errors("not_found") },
    }),
    async (c) => {
      const page = await listZones(getDb(c.env.DB), c.get("auth"), c.req.valid("param").venue_id, c.req.valid("query"));
      return c.json({ data: page.data.map(toZone), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}/zones/{zone_id}",
      operationId: "getZone",
      tags: venueTags,
      summary: "One zone",
      request: { params: zoneParams },
      responses: { 200: jsonResponse(ZoneSchema, "The zone."), ...errors("not_found") },
    }),
    async (c) => {
      const { venue_id, zone_id } = c.req.valid("param");
      return c.json(toZone(await visibleZone(getDb(c.env.DB), c.get("auth"), venue_id, zone_id)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/venues/{venue_id}/zones/{zone_id}",
      operationId: "updateZone",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Update a zone",
      description: `${managed} The capacity cannot go below the zone's number of seats (409 \`zone_capacity_below_seats\`).`,
      request: { params: zoneParams, body: jsonBody(ZoneUpdateBody) },
      responses: { 200: jsonResponse(ZoneSchema, "The updated zone."), ...errors("concurrent_change", "forbidden", "not_found", "zone_capacity_below_seats", "zone_code_taken", "zone_name_taken") },
    }),
    async (c) => {
      const { venue_id, zone_id } = c.req.valid("param");
      return c.json(toZone(await updateZone(getDb(c.env.DB), actorOf(c), venue_id, zone_id, c.req.valid("json"))), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/venues/{venue_id}/zones/{zone_id}",
      operationId: "deleteZone",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a zone and its seats",
      description: `${managed} Refused (409 \`zone_in_use\`) while tickets, passes, overrides or scans refer to it or its seats.`,
      request: { params: zoneParams },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "zone_in_use") },
    }),
    async (c) => {
      const { venue_id, zone_id } = c.req.valid("param");
      await deleteZone(getDb(c.env.DB), actorOf(c), venue_id, zone_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ seats

  r.openapi(
    createRoute({
      method: "post",
      path: "/venues/{venue_id}/zones/{zone_id}/seats",
      operationId: "createSeats",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Create seats in bulk",
      description:
        `${managed} Either \`seats\` (a list of {section, row, number}) or \`generate\` ({section, rows: ["A","B"] or {from, to}, seats_per_row, first_number?, accessible_rows?}), ` +
        `at most ${MAX_SEATS_PER_REQUEST} seats per request (422 beyond). All are created or none: a seat already in the zone, or listed twice, is a 409 \`duplicate_seat\` naming the first one; ` +
        "the zone's seats never outnumber its capacity (409 `zone_capacity_exceeded`). The zone becomes seated.",
      request: { params: zoneParams, body: jsonBody(SeatsCreateBody) },
      responses: { 201: jsonResponse(SeatsCreatedSchema, "How many seats were created."), ...errors("concurrent_change", "duplicate_seat", "forbidden", "not_found", "zone_capacity_exceeded") },
    }),
    async (c) => {
      const { venue_id, zone_id } = c.req.valid("param");
      const created = await createSeats(getDb(c.env.DB), actorOf(c), venue_id, zone_id, c.req.valid("json"));
      return c.json({ zone_id, created }, 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}/zones/{zone_id}/seats",
      operationId: "listSeats",
      tags: venueTags,
      summary: "Seats of a zone",
      description: "By section, row and number as text (\"10\" before \"2\"), optionally one `section` or `row`.",
      request: { params: zoneParams, query: SeatListQuery },
      responses: { 200: jsonResponse(pageSchema(SeatSchema), "One page."), ...errors("not_found") },
    }),
    async (c) => {
      const { venue_id, zone_id } = c.req.valid("param");
      const page = await listSeats(getDb(c.env.DB), c.get("auth"), venue_id, zone_id, c.req.valid("query"));
      return c.json({ data: page.data.map(toSeat), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/venues/{venue_id}/zones/{zone_id}/seats/{seat_id}",
      operationId: "deleteSeat",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a seat",
      description: `${managed} Refused (409 \`seat_in_use\`) while a ticket or season pass holds it.`,
      request: { params: seatParams },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "seat_in_use") },
    }),
    async (c) => {
      const { venue_id, zone_id, seat_id } = c.req.valid("param");
      await deleteSeat(getDb(c.env.DB), actorOf(c), venue_id, zone_id, seat_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ access points

  r.openapi(
    createRoute({
      method: "post",
      path: "/venues/{venue_id}/access-points",
      operationId: "createAccessPoint",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Add an access point (gate)",
      description: `${managed} \`zone_ids\` are the zones it opens onto, all of this venue (422 naming each other one). Codes are unique per venue.`,
      request: { params: venueIdParam, body: jsonBody(AccessPointCreateBody) },
      responses: { 201: jsonResponse(AccessPointSchema, "The access point."), ...errors("access_point_code_taken", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(await createAccessPoint(getDb(c.env.DB), actorOf(c), c.req.valid("param").venue_id, c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}/access-points",
      operationId: "listAccessPoints",
      tags: venueTags,
      summary: "Access points of a venue",
      description: "By code; inactive ones (and inactive zones) only for the members of its organization and admins.",
      request: { params: venueIdParam, query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(AccessPointSchema), "One page."), ...errors("not_found") },
    }),
    async (c) => c.json(await listAccessPoints(getDb(c.env.DB), c.get("auth"), c.req.valid("param").venue_id, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/venues/{venue_id}/access-points/{access_point_id}",
      operationId: "getAccessPoint",
      tags: venueTags,
      summary: "One access point",
      request: { params: accessPointParams },
      responses: { 200: jsonResponse(AccessPointSchema, "The access point."), ...errors("not_found") },
    }),
    async (c) => {
      const { venue_id, access_point_id } = c.req.valid("param");
      return c.json(await getAccessPoint(getDb(c.env.DB), c.get("auth"), venue_id, access_point_id), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/venues/{venue_id}/access-points/{access_point_id}",
      operationId: "updateAccessPoint",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Update an access point",
      description: `${managed} \`zone_ids\` replaces the whole list.`,
      request: { params: accessPointParams, body: jsonBody(AccessPointUpdateBody) },
      responses: { 200: jsonResponse(AccessPointSchema, "The updated access point."), ...errors("access_point_code_taken", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { venue_id, access_point_id } = c.req.valid("param");
      return c.json(await updateAccessPoint(getDb(c.env.DB), actorOf(c), venue_id, access_point_id, c.req.valid("json")), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/venues/{venue_id}/access-points/{access_point_id}",
      operationId: "deleteAccessPoint",
      tags: venueTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete an access point",
      description: `${managed} Refused (409 \`access_point_in_use\`) once scans were recorded there.`,
      request: { params: accessPointParams },
      responses: { 204: noContent, ...errors("access_point_in_use", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { venue_id, access_point_id } = c.req.valid("param");
      await deleteAccessPoint(getDb(c.env.DB), actorOf(c), venue_id, access_point_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ event groups

  r.openapi(
    createRoute({
      method: "post",
      path: "/event-groups",
      operationId: "createEventGroup",
      tags: groupTags,
      security: bearerAuth,
      middleware: [memberWith("catalog.manage")] as const,
      summary: "Create an event group (season, competition)",
      description: "Codes are unique. In an organization where the caller has `catalog.manage`, named by `organization_id` (default: the only one); admins name any organization, or none for a platform group.",
      request: { body: jsonBody(EventGroupCreateBody) },
      responses: { 201: jsonResponse(EventGroupSchema, "The group."), ...errors("event_group_code_taken", "forbidden", "no_organization") },
    }),
    async (c) => c.json(await createEventGroup(getDb(c.env.DB), actorOf(c), c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/event-groups",
      operationId: "listEventGroups",
      tags: groupTags,
      summary: "List event groups",
      description: "Active groups by name with their published events count. `mine=true` (signed in): my organizations' groups (any role), inactive included, `organization_id` for one of them; admins may add `include_inactive=true`.",
      request: { query: EventGroupListQuery },
      responses: { 200: jsonResponse(pageSchema(EventGroupSchema), "One page."), ...errors("forbidden", "unauthorized") },
    }),
    async (c) => c.json(await listEventGroups(getDb(c.env.DB), c.get("auth"), c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/event-groups/{group_id}",
      operationId: "getEventGroup",
      tags: groupTags,
      summary: "One event group",
      description: "Inactive groups only for the members of its organization and admins.",
      request: { params: groupIdParam },
      responses: { 200: jsonResponse(EventGroupSchema, "The group."), ...errors("not_found") },
    }),
    async (c) => c.json(await visibleGroup(getDb(c.env.DB), c.get("auth"), c.req.valid("param").group_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/event-groups/{group_id}",
      operationId: "updateEventGroup",
      tags: groupTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Update an event group",
      description: `${managed} \`null\` clears an optional field; only admins change \`organization_id\`.`,
      request: { params: groupIdParam, body: jsonBody(EventGroupUpdateBody) },
      responses: { 200: jsonResponse(EventGroupSchema, "The updated group."), ...errors("concurrent_change", "event_group_code_taken", "forbidden", "not_found") },
    }),
    async (c) => c.json(await updateEventGroup(getDb(c.env.DB), actorOf(c), c.req.valid("param").group_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/event-groups/{group_id}",
      operationId: "deleteEventGroup",
      tags: groupTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete an event group",
      description: `${managed} Refused (409 \`event_group_in_use\`) while events belong to it or season-pass plans cover it: deactivate it instead.`,
      request: { params: groupIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "event_group_in_use", "forbidden", "not_found") },
    }),
    async (c) => {
      await deleteEventGroup(getDb(c.env.DB), actorOf(c), c.req.valid("param").group_id);
      return c.body(null, 204);
    },
  );

  return r;
}
