import { createRoute, z } from "@hono/zod-openapi";
import { eventIdParam } from "../events/schemas.ts";
import { idFromParts } from "../lib/ids.ts";
import { idempotencyKeyOf } from "../lib/idempotency.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { clientMeta } from "../lib/request.ts";
import { requireAuth } from "../auth/middleware.ts";
import { ScanResultSchema } from "../access/gate-routes.ts";
import { ScanBodySchema } from "../../durable-objects/event/gate-protocol.ts";
import { AccessRightSchema } from "../orders/schemas.ts";
import { admitByHand, blockRight, DOOR_MATCHES, lookupHolders, resendTickets, rightHistory } from "./door.ts";
import { searchQuery } from "./search.ts";

const tags = ["Back office: door"];
const rightParams = eventIdParam.extend({ access_right_id: z.uuid() });
const reason = z.string().trim().min(3).max(500).openapi({ description: "Why, as the journal and the authorities will read it." });

export function doorRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/door/holders",
      operationId: "findHoldersAtDoor",
      tags,
      security: bearerAuth,
      summary: "Find a holder at the door",
      description: `Needs gate.scan (gate controllers and supervisors hold it). \`q\`: a name (first or last, at least 2 letters), a phone number, an email, a printed code or an id; at most ${DOOR_MATCHES} rights, by name.`,
      request: { params: eventIdParam, query: z.strictObject({ q: searchQuery }) },
      responses: {
        200: jsonResponse(
          z
            .object({
              data: z.array(
                z.object({
                  id: z.string(),
                  qr_code: z.string(),
                  status: z.string(),
                  source_type: z.string(),
                  holder_name: z.string().nullable(),
                  holder_phone: z.string().nullable(),
                  zone_id: z.string().nullable(),
                  zone_name: z.string().nullable(),
                  seat: z.string().nullable(),
                  ticket_type_name: z.string().nullable(),
                  checked_in: z.boolean().nullable(),
                  checked_in_at: z.string().nullable(),
                  is_inside: z.boolean().nullable(),
                  entry_count: z.number().int().nullable(),
                }),
              ),
            })
            .openapi("DoorHolders"),
          "The matching rights.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => c.json(await lookupHolders(c.env, c.get("auth"), c.req.valid("param").event_id, c.req.valid("query").q), 200, { "Cache-Control": "private, no-store" }),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/door/admissions",
      operationId: "admitAtDoor",
      tags,
      security: bearerAuth,
      summary: "Let a holder in by hand",
      description:
        "Needs door.admit (the organization's OWNER, MANAGER, BOX_OFFICE and SUPERVISOR; admins; not the event's staff). A MANUAL_ENTRY scan of the right at `access_point_id`, decided by the event's Durable Object like any scan (so a right is never admitted twice, whatever scans it at the same moment) and logged with you as the controller and the reason. 200 with the decision, DENIED included. Send an `Idempotency-Key`: a retry gets the first decision; the same key for another right is 422 `idempotency_key_reused`.",
      request: {
        params: eventIdParam,
        headers: z.object({ "idempotency-key": z.string().optional().openapi({ description: "8–255 visible ASCII characters." }) }),
        body: jsonBody(
          z
            .strictObject({
              access_right_id: z.uuid(),
              access_point_id: z.uuid().openapi({ description: "The gate where the holder is let in." }),
              device_id: z.string().min(1).max(100).optional().openapi({ description: "The device used; BACKOFFICE by default." }),
              // The gate protocol's action, narrowed to those that let someone in.
              action: ScanBodySchema.shape.action.extract(["ENTRY", "RE_ENTRY"], { error: "ENTRY or RE_ENTRY" }).default("ENTRY"),
              reason,
            })
            .openapi("DoorAdmissionRequest"),
        ),
      },
      responses: { 200: jsonResponse(ScanResultSchema, "The decision, as a gate gets it."), ...errors("forbidden", "idempotency_key_reused", "not_found", "unknown_access_point") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const key = idempotencyKeyOf(c);
      const nonce = key ? await idFromParts("door", requireAuth(c.get("auth")).userId, key) : undefined;
      return c.json(await admitByHand(c.env, c.get("auth"), event_id, c.req.valid("json"), nonce, clientMeta(c).ip), 200);
    },
  );

  for (const action of ["block", "unblock"] as const) {
    r.openapi(
      createRoute({
        method: "post",
        path: `/events/{event_id}/access-rights/{access_right_id}/${action}`,
        operationId: action === "block" ? "blockAccessRight" : "unblockAccessRight",
        tags,
        security: bearerAuth,
        summary: action === "block" ? "Block one right: every gate refuses it" : "Unblock one right",
        description:
          action === "block"
            ? "Needs rights.block. In the event's Durable Object: the right becomes BLOCKED (gates answer BLACKLISTED), and the journal records BLOCK with you and the reason. An ENABLED or USED right can be blocked; blocking a blocked right changes nothing (`changed: false`); a cancelled, expired or transferred one is 409 `right_not_blockable`."
            : "Needs rights.block. The right is ENABLED again (USED if it was let in before), and the journal records UNBLOCK with you and the reason; unblocking a right that is not blocked changes nothing.",
        request: { params: rightParams, body: jsonBody(z.strictObject({ reason })) },
        responses: { 200: jsonResponse(z.object({ access_right: AccessRightSchema, changed: z.boolean() }), "The right now."), ...errors("forbidden", "not_found", "right_not_blockable", "right_not_found") },
      }),
      async (c) => {
        const { event_id, access_right_id } = c.req.valid("param");
        return c.json(await blockRight(c.env, c.get("auth"), event_id, access_right_id, action === "block" ? "BLOCK" : "UNBLOCK", c.req.valid("json").reason), 200);
      },
    );
  }

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/access-rights/{access_right_id}/resend",
      operationId: "resendTickets",
      tags,
      security: bearerAuth,
      summary: "Send a holder their tickets again",
      description:
        "Needs tickets.resend. Queues the TICKETS_READY message of a confirmation to the right's holder, in the app, by email and by push (`channels`; a channel the holder has no address or device on is skipped), carrying every right they hold in the event: their printed codes, and in the email each QR code inline and the tickets' PDF. Each call is a new message. The right must be ENABLED or USED (409 `access_right_inactive`); at most 5 per right per hour (429).",
      request: { params: rightParams },
      responses: {
        202: jsonResponse(z.object({ access_right_id: z.string(), holder_id: z.string(), rights: z.number().int(), channels: z.array(z.string()) }), "Queued."),
        ...errors("access_right_inactive", "forbidden", "not_found", "rate_limited"),
      },
    }),
    async (c) => {
      const { event_id, access_right_id } = c.req.valid("param");
      const sent = await resendTickets(c.env, c.get("auth"), event_id, access_right_id);
      return c.json({ ...sent, channels: [...sent.channels] }, 202);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/access-rights/{access_right_id}/history",
      operationId: "getAccessRightHistory",
      tags,
      security: bearerAuth,
      summary: "One right's history: its journal and its scans",
      description:
        "Needs attendees.read. The access-rights journal (access_transactions_log: CREATE, transfers, CANCEL, BLOCK, UNBLOCK… with who and why) and every scan of the right (the gate log, with a manual admission's reason), oldest first, at most 500 of each. `transferred_from` is the right it was transferred from. Prices are null without money.read.",
      request: { params: rightParams },
      responses: {
        200: jsonResponse(
          z
            .object({
              access_right_id: z.string(),
              transferred_from: z.string().nullable(),
              transactions: z.array(
                z.object({
                  id: z.string(),
                  transaction_type: z.string(),
                  from_user_id: z.string().nullable(),
                  to_user_id: z.string().nullable(),
                  transfer_id: z.string().nullable(),
                  price: z.number().int().nullable(),
                  currency: z.string().nullable(),
                  reason: z.string().nullable(),
                  status: z.string(),
                  created_at: z.string(),
                  created_by: z.string().nullable(),
                }),
              ),
              transactions_truncated: z.boolean(),
              scans: z.array(
                z.object({
                  id: z.string(),
                  timestamp: z.string(),
                  received_at: z.string(),
                  action: z.string(),
                  status: z.string(),
                  denial_reason: z.string().nullable(),
                  access_point_id: z.string(),
                  access_point_name: z.string().nullable(),
                  zone_id: z.string().nullable(),
                  controller_id: z.string(),
                  device_id: z.string(),
                  scan_method: z.string(),
                  reason: z.string().nullable(),
                  was_offline: z.boolean(),
                  is_conflict: z.boolean(),
                }),
              ),
              scans_truncated: z.boolean(),
            })
            .openapi("AccessRightHistory"),
          "The history.",
        ),
        ...errors("forbidden", "not_found"),
      },
    }),
    async (c) => {
      const { event_id, access_right_id } = c.req.valid("param");
      return c.json((await rightHistory(c.env, c.get("auth"), event_id, access_right_id)) as never, 200, { "Cache-Control": "private, no-store" });
    },
  );

  return r;
}
