import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { noContent, owned } from "./schemas.ts";
import { TemplateCreateBody, templateIdParam, TemplateListQuery, TemplateSchema, TemplateUpdateBody, toTemplate } from "./templates-schemas.ts";
import { createTemplate, deleteTemplate, listTemplates, readTemplate, updateTemplate } from "./templates.ts";

const templateTags = ["Ticket templates"];

/** Ticket templates. */
export function templateRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/ticket-templates",
      operationId: "createTicketTemplate",
      tags: templateTags,
      security: bearerAuth,
      middleware: [memberWith("catalog.manage")] as const,
      summary: "Create a ticket template",
      description:
        "Layout of printed and electronic tickets, season cards and VIP passes, in an organization where the caller has `catalog.manage` (`organization_id`, default: the only one). Admins' templates are the platform's unless they name an organization; `is_default` (admins only) makes it the default of its type and format, clearing the previous one in the same batch. Audited.",
      request: { body: jsonBody(TemplateCreateBody) },
      responses: { 201: jsonResponse(TemplateSchema, "The template."), ...errors("concurrent_change", "forbidden", "no_organization") },
    }),
    async (c) => c.json(toTemplate(await createTemplate(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-templates",
      operationId: "listTicketTemplates",
      tags: templateTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "List ticket templates",
      description: "The platform's and my organizations' (admins: all), by code.",
      request: { query: TemplateListQuery },
      responses: { 200: jsonResponse(pageSchema(TemplateSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listTemplates(c.env, actorOf(c), c.req.valid("query"));
      return c.json({ data: page.data.map(toTemplate), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-templates/{template_id}",
      operationId: "getTicketTemplate",
      tags: templateTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "One ticket template",
      request: { params: templateIdParam },
      responses: { 200: jsonResponse(TemplateSchema, "The template."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(toTemplate(await readTemplate(c.env, actorOf(c), c.req.valid("param").template_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/ticket-templates/{template_id}",
      operationId: "updateTicketTemplate",
      tags: templateTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a ticket template",
      description: `${owned} The platform's templates are admins' (403 for organizers); other members of the organization than OWNER and MANAGER get 403. Audited; a concurrent change is 409.`,
      request: { params: templateIdParam, body: jsonBody(TemplateUpdateBody) },
      responses: { 200: jsonResponse(TemplateSchema, "The template."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(toTemplate(await updateTemplate(c.env, actorOf(c), c.req.valid("param").template_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/ticket-templates/{template_id}",
      operationId: "deleteTicketTemplate",
      tags: templateTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a ticket template",
      description: `${owned} Audited.`,
      request: { params: templateIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      await deleteTemplate(c.env, actorOf(c), c.req.valid("param").template_id);
      return c.body(null, 204);
    },
  );

  return r;
}
