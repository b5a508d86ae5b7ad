import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly } from "../auth/middleware.ts";
import { bearerAuth, createRouter, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { AvailabilitySchema } from "../orders/schemas.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { syncEventInventory } from "./sync.ts";

const adminTags = ["Administration"];

export function inventoryRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/events/{event_id}/inventory/sync",
      operationId: "syncEventInventory",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Rebuild an event's live inventory from D1",
      description:
        "Operations tool: pushes the event's status, dates and ticket configurations from D1 to its Durable Object, which keeps the held and sold counters, and returns what is on sale. " +
        "Use it for an event whose catalog was written to D1 directly (demo data, a restore, a hand-made fix). Idempotent: the counters are kept; " +
        "409 `quantity_below_sold` if a configuration would end with fewer units than are already held or sold.",
      request: { params: z.object({ event_id: z.uuid() }) },
      responses: { 200: jsonResponse(AvailabilitySchema, "The event's availability after the sync."), ...errors("forbidden", "not_found", "quantity_below_sold", "sales_ended", "wrong_event") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      await syncEventInventory(c.env, event_id);
      c.header("Cache-Control", "no-store");
      return c.json(await eventStub(c.env, event_id).availability(), 200);
    },
  );

  return r;
}
