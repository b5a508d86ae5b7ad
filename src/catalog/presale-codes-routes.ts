import { createRoute, z } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { eventIdParam } from "../events/schemas.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { instant } from "../lib/schemas.ts";
import { errors } from "../problem-codes.ts";
import { createPresaleCode, deletePresaleCode, listPresaleCodes, type PresaleCodeRow, updatePresaleCode } from "./presale-codes.ts";
import { noContent } from "./schemas.ts";

const tags = ["Presale codes"];
const codeParams = eventIdParam.extend({ code_id: z.uuid().openapi({ param: { name: "code_id", in: "path" } }) });

const fields = {
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{4,40}$/, "4 to 40 letters, digits, - or _")
    .transform((v) => v.toUpperCase())
    .openapi({ description: "What buyers type; compared upper-cased. Unique in the event." }),
  config_ids: z.array(z.uuid()).min(1).max(50).openapi({ description: "The ticket configurations of the event it unlocks (shown and sold with it); hidden ones (`presale_only`) are sold with a code only." }),
  quota: z.number().int().min(1).max(1_000_000).nullable().openapi({ description: "Tickets it may sell in all (held or sold, counted by the event's inventory); null: no limit." }),
  valid_from: instant.nullable(),
  valid_until: instant.nullable(),
  is_active: z.boolean(),
};

const CreateBody = z
  .strictObject({ ...fields, quota: fields.quota.default(null), valid_from: fields.valid_from.default(null), valid_until: fields.valid_until.default(null), is_active: fields.is_active.default(true) })
  .openapi("PresaleCodeCreateRequest");
const UpdateBody = z.strictObject(fields).partial().openapi("PresaleCodeUpdateRequest", { description: "Only the fields sent change." });

const PresaleCodeSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    code: z.string(),
    config_ids: z.array(z.string()),
    quota: z.number().int().nullable(),
    used: z.number().int().openapi({ description: "Tickets held or sold with it now, live from the event's inventory (expired and cancelled orders give theirs back)." }),
    valid_from: z.string().nullable(),
    valid_until: z.string().nullable(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PresaleCode");

const out = ({ created_by: _by, ...row }: PresaleCodeRow & { used: number }) => row;

/** An event's presale codes (the organizer's). */
export function presaleCodeRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/presale-codes",
      operationId: "createPresaleCode",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Create a presale code for an event",
      description: "Needs `event.manage` on the event (OWNER, MANAGER; admins); another organization's event is 404.",
      request: { params: eventIdParam, body: jsonBody(CreateBody) },
      responses: { 201: jsonResponse(PresaleCodeSchema, "The code."), ...errors("forbidden", "not_found", "presale_code_exists") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      return c.json(out(await createPresaleCode(c.env, c.get("auth"), event_id, c.req.valid("json"))), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/presale-codes",
      operationId: "listPresaleCodes",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "An event's presale codes, with their live use",
      request: { params: eventIdParam },
      responses: { 200: jsonResponse(z.object({ data: z.array(PresaleCodeSchema) }), "The codes, oldest first."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      return c.json({ data: (await listPresaleCodes(c.env, c.get("auth"), event_id)).map(out) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/events/{event_id}/presale-codes/{code_id}",
      operationId: "updatePresaleCode",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a presale code (its quota, window, configurations, or switch it off)",
      description: "A quota lowered below what the code already sold refuses its next orders only.",
      request: { params: codeParams, body: jsonBody(UpdateBody) },
      responses: { 200: jsonResponse(PresaleCodeSchema, "The code."), ...errors("forbidden", "not_found", "presale_code_exists") },
    }),
    async (c) => {
      const { event_id, code_id } = c.req.valid("param");
      return c.json(out(await updatePresaleCode(c.env, c.get("auth"), event_id, code_id, c.req.valid("json"))), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/presale-codes/{code_id}",
      operationId: "deletePresaleCode",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a presale code nobody holds or bought tickets with",
      request: { params: codeParams },
      responses: { 204: noContent, ...errors("forbidden", "not_found", "presale_code_in_use") },
    }),
    async (c) => {
      const { event_id, code_id } = c.req.valid("param");
      await deletePresaleCode(c.env, c.get("auth"), event_id, code_id);
      return c.body(null, 204);
    },
  );

  return r;
}
