import { createRoute, z } from "@hono/zod-openapi";
import { sessionEnded } from "../auth/middleware.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { authorizeEvent, roleGrants } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { clientMeta } from "../lib/request.ts";
import { booleanQuery } from "../lib/schemas.ts";
import { staysOpenInMaintenance } from "../site/maintenance.ts";
import { recordGateSocket } from "./gate-sessions.ts";
import { listScans } from "./scan-log.ts";
import { ACCESS_ACTIONS, ACCESS_STATUSES, DENIAL_REASONS, SCAN_METHODS } from "./schema.ts";
import { GATE_HEADERS, type Result, type ScanContext } from "../../durable-objects/event/contract.ts";
import { DeviceIdSchema, gateSubprotocolOf, type GateBundle, ScanBodySchema as GateScanBody, type ScanBody } from "../../durable-objects/event/gate-protocol.ts";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";

const tags = ["Gate"];
const eventParam = z.object({ event_id: z.uuid() });
const deviceFields = {
  device_id: DeviceIdSchema.openapi({ description: "The scanner's id, e.g. SCANNER-A01: 1–100 printable ASCII characters, no space at either end." }),
  access_point_id: z.uuid().openapi({ description: "The gate (access point) the device stands at." }),
};

/** The gate protocol's scan body; over HTTP, unknown fields are refused. */
const ScanBodySchema = GateScanBody.strict().openapi("ScanBody");

export const ScanResultSchema = z
  .object({
    type: z.literal("scan_result"),
    id: z.string(),
    status: z.enum(["SUCCESS", "DENIED", "WARNING", "ERROR"]),
    denial_reason: z.string().nullable(),
    other_event_id: z.string().optional(),
    warning: z.string().optional(),
    access_right: z.record(z.string(), z.unknown()).nullable(),
    zone_id: z.string().nullable(),
    response_time_ms: z.number().int(),
    conflict: z.boolean().optional(),
  })
  .openapi("ScanResult");

const ScanLogQuerySchema = z.object({
  ...pageQuery,
  conflict: booleanQuery.optional().openapi({ description: "Only conflicts (true) or only the others (false)." }),
  status: z.enum(ACCESS_STATUSES).optional(),
  access_right_id: z.uuid().optional(),
  access_point_id: z.uuid().optional(),
});

const ScanLogEntrySchema = z
  .object({
    id: z.string(),
    nonce: z.string().openapi({ description: "The device's id for the attempt." }),
    timestamp: z.string().openapi({ description: "When the scan happened (on the device, for an offline one)." }),
    received_at: z.string(),
    action: z.enum(ACCESS_ACTIONS),
    status: z.enum(ACCESS_STATUSES),
    denial_reason: z.enum(DENIAL_REASONS).nullable(),
    access_right_id: z.string().nullable(),
    user_id: z.string().nullable(),
    access_point_id: z.string(),
    zone_id: z.string().nullable(),
    controller_id: z.string(),
    device_id: z.string(),
    scan_method: z.enum(SCAN_METHODS),
    qr_code_scanned: z.string(),
    response_time_ms: z.number().int().nullable(),
    queue_size: z.number().int().nullable(),
    was_offline: z.boolean(),
    is_conflict: z.boolean(),
  })
  .openapi("ScanLogEntry");

/**
 * The scanning context from the authenticated controller (`gate.scan`): the
 * device never names its controller. A controller assigned to this event at
 * one gate, with no team role that scans, scans only there.
 */
async function scanContext(c: Context<AppEnv>, eventId: string, deviceId: string, accessPointId: string): Promise<ScanContext> {
  const access = await authorizeEvent(c.env, c.get("auth"), eventId, "gate.scan");
  const post = access.staff?.role === "CONTROLLER" ? access.staff.access_point_id : null;
  if (post && post !== accessPointId && access.auth.role !== "ADMIN" && !roleGrants(access.role, "gate.scan")) {
    throw problems.forbidden("You are assigned to another gate.", "wrong_gate");
  }
  return { controller_id: access.auth.userId, session_id: access.auth.sessionId, device_id: deviceId, access_point_id: accessPointId, ip: clientMeta(c).ip };
}

/**
 * The gate socket declines permessage-deflate, which browsers and Node offer
 * on every socket (docs/gate-protocol.md, "Connecting"): a scan's answer is
 * about 480 bytes, one packet with or without it, and deflating every frame
 * costs CPU at both ends for nothing a gate feels. With web_socket_compression
 * (on since 2023-08-15) workerd takes a 101's Sec-WebSocket-Extensions as the
 * extensions it would accept, and agrees with the client on those: an empty
 * value reads as absent (and the client's offer is then taken), so the value
 * names no extension, and the handshake answers none.
 */
const NO_COMPRESSION = { "Sec-WebSocket-Extensions": "none" } as const;

export function gateRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/gate",
      operationId: "openGateSession",
      middleware: [staysOpenInMaintenance] as const,
      tags,
      security: bearerAuth,
      summary: "Open a gate session (WebSocket, protocol 2)",
      description:
        "Upgrades to a WebSocket held by the event's Durable Object. Messages are JSON: `scan`, `scan_batch`, `sync` (offline scans) and `ping` from the device; `scan_result`, `scan_batch_result`, `sync_result`, `occupancy`, `policy` and `pong` from the server. Needs `gate.scan` on the event (its staff, and OWNER, MANAGER, SUPERVISOR and CONTROLLER members of its organization; others related 403, anyone else 404); `observe=true` opens a read-only occupancy feed, which needs `gate.supervise` (observers also get an `activity` message with each pass of decided scans). The socket belongs to the sign-in session of the access token: it closes (4003 `session ended`) when that session ends (logout, revocation, password change, deactivation), and 4003 when the person leaves the event's staff or the device is banned (docs/gate-protocol.md). " +
        "A browser, which cannot set headers on a WebSocket, offers the subprotocols `edge-events.gate.v2` and `bearer.<access token>` instead of the Authorization header; the upgrade answers `edge-events.gate.v2`. The former name `edge-events.gate.v1` (same messages) is still accepted and answered to a browser that offers it without `edge-events.gate.v2`.",
      request: {
        params: eventParam,
        query: z.object({
          device_id: deviceFields.device_id.optional(),
          access_point_id: deviceFields.access_point_id.optional(),
          observe: z.enum(["true", "false"]).optional(),
        }),
      },
      responses: { 101: { description: "Switching protocols." }, ...errors("forbidden", "not_found", "upgrade_required", "wrong_gate") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const query = c.req.valid("query");
      if (c.req.header("Upgrade") !== "websocket") throw new ProblemError(426, "upgrade_required", "Upgrade required", "Open this URL as a WebSocket.", undefined, { Upgrade: "websocket" });
      const headers = new Headers({ Upgrade: "websocket" });
      if (query.observe === "true") {
        const access = await authorizeEvent(c.env, c.get("auth"), event_id, "gate.supervise");
        headers.set(GATE_HEADERS.role, "observer");
        headers.set(GATE_HEADERS.controller, access.auth.userId);
        headers.set(GATE_HEADERS.session, access.auth.sessionId);
      } else {
        if (!query.device_id || !query.access_point_id) {
          throw problems.validation([{ path: "query.access_point_id", message: "A gate names its device_id and access_point_id.", code: "required" }]);
        }
        const who = await scanContext(c, event_id, query.device_id, query.access_point_id);
        headers.set(GATE_HEADERS.role, "gate");
        headers.set(GATE_HEADERS.controller, who.controller_id);
        headers.set(GATE_HEADERS.session, who.session_id);
        headers.set(GATE_HEADERS.device, who.device_id);
        headers.set(GATE_HEADERS.accessPoint, who.access_point_id);
        if (who.ip) headers.set(GATE_HEADERS.ip, who.ip);
      }
      // Where the session holds sockets, for closing them when it ends (src/access/gate-sessions.ts).
      if (!(await recordGateSocket(c.env, headers.get(GATE_HEADERS.session)!, event_id))) throw sessionEnded();
      const response = await eventStub(c.env, event_id).fetch(new Request(c.req.url, { headers }));
      if (response.status !== 101 || !response.webSocket) return response;
      // A browser offered its token as a subprotocol beside the gate's own: the handshake must name the one chosen.
      const chosen = gateSubprotocolOf((c.req.header("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim()));
      return new Response(null, { status: 101, webSocket: response.webSocket, headers: { ...NO_COMPRESSION, ...(chosen ? { "Sec-WebSocket-Protocol": chosen } : {}) } });
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/scans",
      operationId: "listScans",
      tags,
      security: bearerAuth,
      summary: "The event's gate log: every scan attempt, newest first",
      description:
        "Needs `gate.supervise` on the event (OWNER, MANAGER, SUPERVISOR members of its organization, its SUPERVISOR staff, admins); its other members and controllers get 403, anyone else 404. `conflict=true` lists the offline admissions the server disagreed with " +
        "(recorded as WARNING, never dropped). The log reaches D1 a fraction of a second after each decision. `qr_code_scanned` shows only the first 8 characters: a token or printed code admits whoever presents it.",
      request: { params: eventParam, query: ScanLogQuerySchema },
      responses: { 200: jsonResponse(pageSchema(ScanLogEntrySchema), "One page."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      c.header("Cache-Control", "private, no-store");
      return c.json(await listScans(c.env, c.get("auth"), c.req.valid("param").event_id, c.req.valid("query")), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/scans",
      operationId: "scan",
      middleware: [staysOpenInMaintenance] as const,
      tags,
      security: bearerAuth,
      summary: "Decide one scan over HTTP (for devices that cannot hold a socket)",
      description: "Needs `gate.scan` on the event, as the WebSocket.",
      request: { params: eventParam, body: jsonBody(ScanBodySchema.extend(deviceFields)) },
      responses: { 200: jsonResponse(ScanResultSchema, "The decision; DENIED carries the reason."), ...errors("forbidden", "not_found", "unknown_access_point", "wrong_gate") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const { device_id, access_point_id, ...scan } = c.req.valid("json");
      const who = await scanContext(c, event_id, device_id, access_point_id);
      const decided = await eventStub(c.env, event_id).scan([scan], who);
      if (!decided.ok) throw problemFrom(decided.problem);
      return c.json(decided.results[0]!, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/scans/sync",
      operationId: "syncOfflineScans",
      middleware: [staysOpenInMaintenance] as const,
      tags,
      security: bearerAuth,
      summary: "Upload scans made while offline",
      description:
        "Needs `gate.scan` on the event. Each scan is recorded once (by nonce), in `scanned_at` order, and judged as of its `scanned_at` if it could have been made then: not later than 2 minutes after this upload reached the server, and not earlier than 2 minutes before the caller's sign-in session first fetched the offline bundle. Any other scan (or any scan of a session that never fetched the bundle) is answered DENIED `TECHNICAL_ERROR` with `conflict: true`, recorded, and changes nothing. An offline admission the server disagrees with is recorded as a WARNING flagged `conflict`.",
      request: {
        params: eventParam,
        body: jsonBody(z.strictObject({ ...deviceFields, scans: z.array(ScanBodySchema).min(1).max(500) })),
      },
      responses: { 200: jsonResponse(z.object({ results: z.array(ScanResultSchema) }), "One result per scan."), ...errors("forbidden", "not_found", "wrong_gate") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const body = c.req.valid("json");
      const who = await scanContext(c, event_id, body.device_id, body.access_point_id);
      const scans = body.scans.map((s): ScanBody => ({ ...s, offline_status: s.offline_status ?? "SUCCESS" })).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
      const decided = await eventStub(c.env, event_id).scan(scans, who);
      if (!decided.ok) throw problemFrom(decided.problem);
      return c.json({ results: decided.results }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/gate/bundle",
      operationId: "getGateBundle",
      middleware: [staysOpenInMaintenance] as const,
      tags,
      security: bearerAuth,
      summary: "What a gate needs to decide offline",
      description:
        "Needs `gate.scan` on the event. The event's status and dates, public keys, zones, gates and the zones each ticket configuration opens, overrides, blacklist (a QR_CODE ban names the right's id), rights to refuse (cancelled, transferred, blocked, expired), rights whose holder is inside, and valid rights. No printed code is listed: each right carries `code_digest`, the first 6 bytes (base64url) of HMAC-SHA256 keyed with `manual_codes.key` over its code `XXXX-XXXX-XXXX`, so a device checks a typed code without reading the list. Pass the previous `version` as `since` to get only the rights changed after it. The first bundle a sign-in session fetches bounds that session's offline scans (see the sync route). 404 `not_configured` for an event whose access control was never set up (not ticketed).",
      request: { params: eventParam, query: z.object({ since: z.iso.datetime().optional() }) },
      responses: { 200: jsonResponse(z.record(z.string(), z.unknown()).openapi("GateBundle"), "The bundle."), ...errors("not_configured", "not_found") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const access = await authorizeEvent(c.env, c.get("auth"), event_id, "gate.scan");
      c.header("Cache-Control", "private, no-store");
      // The RPC stub's mapped type drops the bundle's free-form records (`unknown` is not serializable to it); this is what the object returns.
      const built = (await eventStub(c.env, event_id).gateBundle(c.req.valid("query").since ?? null, access.auth.sessionId)) as unknown as Result<{ bundle: GateBundle }>;
      if (!built.ok) throw problemFrom(built.problem);
      return c.json(built.bundle, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/occupancy",
      operationId: "getOccupancy",
      tags,
      security: bearerAuth,
      summary: "Zone occupancy now",
      description: "Needs `gate.scan` on the event.",
      request: { params: eventParam },
      responses: { 200: jsonResponse(z.object({ type: z.literal("occupancy"), zones: z.array(z.object({ id: z.string(), name: z.string(), capacity: z.number().int(), occupancy: z.number().int() })), at: z.string() }), "Counts per zone."), ...errors("not_found") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      await authorizeEvent(c.env, c.get("auth"), event_id, "gate.scan");
      return c.json(await eventStub(c.env, event_id).occupancy(), 200);
    },
  );

  return r;
}
