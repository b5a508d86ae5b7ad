import { createRoute, z } from "@hono/zod-openapi";
import { bearerAuth, createRouter, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { DEVICE_HEADER, joinQueue, TICKET_HEADER } from "./waiting-room.ts";

const QueueStatusSchema = z
  .object({
    active: z.boolean().openapi({ description: "Whether the event's on-sale is queued now; false: order directly, no ticket needed." }),
    position: z.number().int().nullable().openapi({ description: "Your place in this queue (from 1); the same on every call." }),
    ahead: z.number().int().nullable().openapi({ description: "People before you not yet admitted." }),
    admitted: z.boolean().openapi({ description: "Your turn has come: order now, with `ticket` in the Queue-Ticket header." }),
    admitted_until: z.string().nullable().openapi({ description: "When your turn lapses if unused (then join again, at the back)." }),
    admits_per_s: z.number().nullable().openapi({ description: "People the queue admits per second now: the hold rate the event's inventory was measured to sustain while saturated (at most the configured ceiling), updated as it changes." }),
    estimated_wait_s: z.number().int().nullable().openapi({ description: "Seconds until your turn: the people ahead of you and you, over `admits_per_s` (0 once admitted)." }),
    ticket: z.string().nullable().openapi({ description: "Your signed queue ticket (a JWT: event, position, you); send it as the Queue-Ticket header of your order." }),
  })
  .openapi("QueueStatus");

export function waitingRoomRoutes() {
  const r = createRouter();
  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/queue",
      operationId: "joinWaitingRoom",
      tags: ["Orders"],
      summary: "Join the event's on-sale queue, or see your place in it",
      description: `While an event's holds queue in its inventory (or its order attempts exceed a configured ceiling), its waiting room is open: an order without an admitted ticket answers 409 \`waiting_room_active\`. Call this to get your place: a signed ticket with your position and an estimated wait. People are admitted in the order they joined, at the hold rate the event's inventory was measured to sustain (\`admits_per_s\`). Calling again (a retry, another tab) returns the same position: one per signed-in account, or for guests one per device (\`${DEVICE_HEADER}\`, required without an account) and IP. Once \`admitted\`, order with the ticket in the \`${TICKET_HEADER}\` header before \`admitted_until\`; the ticket is spent by that order (a refused order gives it back). When there is no rush, \`active\` is false and orders need no ticket.`,
      security: [{}, ...bearerAuth],
      request: { params: z.object({ event_id: z.uuid() }), headers: z.object({ "x-device-id": z.string().optional().openapi({ description: "A guest's device id (8–128 visible ASCII characters), stable across requests." }) }) },
      responses: { 200: jsonResponse(QueueStatusSchema, "Your place, or `active: false`."), ...errors("device_id_required") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      return c.json(await joinQueue(c, event_id), 200);
    },
  );
  return r;
}
