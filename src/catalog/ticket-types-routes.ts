import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { noContent, owned } from "./schemas.ts";
import { TicketTypeCreateBody, ticketTypeIdParam, TicketTypeListQuery, TicketTypeSchema, TicketTypeUpdateBody, TicketTypeZonesBody, toTicketType } from "./ticket-types-schemas.ts";
import { createTicketType, deleteTicketType, listTicketTypes, readableTicketType, replaceTicketTypeZones, ticketTypeWithZones, updateTicketType } from "./ticket-types.ts";

const typeTags = ["Ticket types"];
type TypeView = Awaited<ReturnType<typeof ticketTypeWithZones>>;
const typeOut = (view: TypeView) => toTicketType(view.type, view.zones);

/** Ticket types. */
export function ticketTypeRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/ticket-types",
      operationId: "createTicketType",
      tags: typeTags,
      security: bearerAuth,
      middleware: [memberWith("catalog.manage")] as const,
      summary: "Create a ticket type",
      description:
        "A reusable kind of ticket (TRIBUNE, VIP_MATCH). Prices in minor units of `currency`, min ≤ base ≤ max. In an organization where the caller has `catalog.manage` (`organization_id`, default: the only one). Admins may leave it platform-wide (`organization_id` null, the default for them) or give it to an organization. Audited.",
      request: { body: jsonBody(TicketTypeCreateBody) },
      responses: { 201: jsonResponse(TicketTypeSchema, "The ticket type."), ...errors("code_taken", "forbidden", "no_organization") },
    }),
    async (c) => c.json(typeOut(await createTicketType(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-types",
      operationId: "listTicketTypes",
      tags: typeTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "List ticket types",
      description: "My organizations' and the platform-wide ones (admins: all), by display order, with their zone categories.",
      request: { query: TicketTypeListQuery },
      responses: { 200: jsonResponse(pageSchema(TicketTypeSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listTicketTypes(c.env, actorOf(c), c.req.valid("query"));
      return c.json({ data: page.data.map(typeOut), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-types/{ticket_type_id}",
      operationId: "getTicketType",
      tags: typeTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "One ticket type",
      request: { params: ticketTypeIdParam },
      responses: { 200: jsonResponse(TicketTypeSchema, "The ticket type."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const db = getDb(c.env.DB);
      const type = await readableTicketType(db, actorOf(c), c.req.valid("param").ticket_type_id);
      return c.json(typeOut(await ticketTypeWithZones(db, type)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/ticket-types/{ticket_type_id}",
      operationId: "updateTicketType",
      tags: typeTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a ticket type",
      description: `${owned} Platform-wide types are admins' (403 for organizers). Changes reach the inventory of every event still selling the type. Audited; a concurrent change is 409.`,
      request: { params: ticketTypeIdParam, body: jsonBody(TicketTypeUpdateBody) },
      responses: { 200: jsonResponse(TicketTypeSchema, "The ticket type."), ...errors("code_taken", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(typeOut(await updateTicketType(c.env, actorOf(c), c.req.valid("param").ticket_type_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/ticket-types/{ticket_type_id}",
      operationId: "deleteTicketType",
      tags: typeTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a ticket type no event sells",
      description: "Needs `catalog.manage`. A type used by any event's configuration is 409 `ticket_type_in_use`: deactivate it instead. Audited.",
      request: { params: ticketTypeIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "ticket_type_in_use") },
    }),
    async (c) => {
      await deleteTicketType(c.env, actorOf(c), c.req.valid("param").ticket_type_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/ticket-types/{ticket_type_id}/zones",
      operationId: "setTicketTypeZones",
      tags: typeTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Replace the zone categories a ticket type opens",
      description: "Needs `catalog.manage`. The whole list: each category once, at most one primary. Audited as one change.",
      request: { params: ticketTypeIdParam, body: jsonBody(TicketTypeZonesBody) },
      responses: { 200: jsonResponse(TicketTypeSchema, "The ticket type with its zones."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(typeOut(await replaceTicketTypeZones(c.env, actorOf(c), c.req.valid("param").ticket_type_id, c.req.valid("json").zones)), 200),
  );

  return r;
}
