import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { eventIdParam } from "../events/schemas.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { ConfigCreateBody, ConfigDeletedSchema, ConfigListQuery, configParams, ConfigSchema, ConfigUpdateBody, toConfig } from "./configurations-schemas.ts";
import { createConfig, deleteConfig, listConfigs, readConfig, updateConfig } from "./configurations.ts";
import { noContent } from "./schemas.ts";

const configTags = ["Ticket configurations"];

/** An event's ticket configurations. */
export function configRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/ticket-configs",
      operationId: "createTicketConfig",
      tags: configTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Put a ticket type on sale for an event",
      description:
        "Needs `event.manage` on the event (OWNER, MANAGER of its organization; admins). The currency is the event's; the sales window, early-bird end and member-only period lie within the event's dates; price tiers number units 0..quantity_total−1; zone mapping names zones of the event's venue. The event's inventory receives it at once. Audited.",
      request: { params: eventIdParam, body: jsonBody(ConfigCreateBody) },
      responses: { 201: jsonResponse(ConfigSchema, "The configuration, with its live counts."), ...errors("concurrent_change", "config_exists", "event_closed", "forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const view = await createConfig(c.env, actorOf(c), event_id, c.req.valid("json"));
      c.header("Location", `/v1/events/${event_id}/ticket-configs/${view.config.id}`);
      return c.json(toConfig(view.config, view.type, true, view.counts), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/ticket-configs",
      operationId: "listTicketConfigs",
      tags: configTags,
      security: [{}, ...bearerAuth],
      summary: "What an event sells",
      description:
        "Public for published events: active configurations by price, with their sales window and price tiers. Members of its organization with `sales.read` and admins also see inactive ones, quantities (sold and held live from the inventory), zone mapping and metadata.",
      request: { params: eventIdParam, query: ConfigListQuery },
      responses: { 200: jsonResponse(pageSchema(ConfigSchema), "One page."), ...errors("not_found") },
    }),
    async (c) => {
      const page = await listConfigs(c.env, c.get("auth"), c.req.valid("param").event_id, c.req.valid("query"));
      return c.json({ data: page.data.map((row) => toConfig(row.config, row.type, page.managed, row.counts)), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/ticket-configs/{config_id}",
      operationId: "getTicketConfig",
      tags: configTags,
      security: [{}, ...bearerAuth],
      summary: "One ticket configuration of an event",
      description: "As in the list: public fields for everyone on a published event, everything for members with `sales.read` and admins.",
      request: { params: configParams },
      responses: { 200: jsonResponse(ConfigSchema, "The configuration."), ...errors("not_found") },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const view = await readConfig(c.env, c.get("auth"), event_id, config_id);
      return c.json(toConfig(view.config, view.type, view.managed, view.counts), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/events/{event_id}/ticket-configs/{config_id}",
      operationId: "updateTicketConfig",
      tags: configTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a ticket configuration",
      description:
        "Needs `event.manage`. Only the fields sent change, checked with the rest as they would be after the change. The sellable quantity (total − blocked) never goes below the units already held or sold: 409 `quantity_below_sold`, and nothing changes. The event's inventory receives the change at once. Audited; a concurrent change is 409.",
      request: { params: configParams, body: jsonBody(ConfigUpdateBody) },
      responses: { 200: jsonResponse(ConfigSchema, "The configuration."), ...errors("concurrent_change", "event_closed", "forbidden", "not_found", "quantity_below_sold") },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const view = await updateConfig(c.env, actorOf(c), event_id, config_id, c.req.valid("json"));
      return c.json(toConfig(view.config, view.type, true, view.counts), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/ticket-configs/{config_id}",
      operationId: "deleteTicketConfig",
      tags: configTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a ticket configuration, or take it off sale",
      description:
        "Needs `event.manage`. Taken off sale first; then deleted (204) when no unit was ever held or sold, else kept deactivated (200 with the configuration). Audited.",
      request: { params: configParams },
      responses: { 200: jsonResponse(ConfigDeletedSchema, "Units were held or sold: deactivated instead."), 204: noContent, ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const kept = await deleteConfig(c.env, actorOf(c), event_id, config_id);
      if (!kept) return c.body(null, 204);
      return c.json({ deleted: false as const, config: toConfig(kept.config, kept.type, true, kept.counts) }, 200);
    },
  );

  return r;
}
