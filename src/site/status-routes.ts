import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { adminOnly } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { actorOf } from "./audit.ts";
import { PublicStatusSchema, StatusCreateBody, statusIdParam, StatusQuery, StatusUpdateBody, SystemStatusSchema } from "./schemas.ts";
import { noContent } from "./schemas.ts";
import { createStatus, currentStatuses, deleteStatus, endOf, listStatuses, loadStatus, updateStatus, worstState } from "./status.ts";

const tags = ["Site"];
const adminTags = ["Administration"];

/** Health, and the system status (incidents, maintenance) people see and admins set. */
export function statusRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/health",
      operationId: "getHealth",
      tags,
      summary: "Liveness and database check",
      responses: {
        200: jsonResponse(z.object({ status: z.literal("ok"), time: z.string(), database: z.literal("ok") }), "The API and D1 answer."),
        503: jsonResponse(z.object({ status: z.literal("degraded"), time: z.string(), database: z.literal("unreachable") }), "D1 does not answer."),
      },
    }),
    async (c) => {
      c.header("Cache-Control", "no-store");
      const time = new Date().toISOString();
      try {
        await getDb(c.env.DB).run(sql`SELECT 1`);
        return c.json({ status: "ok" as const, time, database: "ok" as const }, 200);
      } catch (error) {
        console.error("health: D1 unreachable", error);
        return c.json({ status: "degraded" as const, time, database: "unreachable" as const }, 503);
      }
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/status",
      operationId: "getCurrentSystemStatus",
      tags,
      summary: "Current system status, for the app's banner",
      description:
        "The statuses whose window covers now (incidents, maintenance), the most serious state among them, and whether access is blocked (then every other /v1 route answers 503 except to admins). Reachable during maintenance.",
      responses: { 200: jsonResponse(PublicStatusSchema, "Now.") },
    }),
    async (c) => {
      const time = now();
      const current = await currentStatuses(c.env, time);
      const blocks = current.filter((row) => row.block_access);
      const ends = blocks.map(endOf);
      c.header("Cache-Control", "public, max-age=5");
      return c.json(
        {
          status: worstState(current),
          access_blocked: blocks.length > 0,
          blocked_until: blocks.length === 0 || ends.includes(null) ? null : ends.sort().at(-1)!,
          current: current.map(({ id, title, description, status, severity, starts_at, expected_end_at, show_banner, block_access }) => ({
            id,
            title,
            description,
            status,
            severity,
            starts_at,
            expected_end_at,
            show_banner,
            block_access,
          })),
          time,
        },
        200,
      );
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/system-statuses",
      operationId: "listSystemStatuses",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Incidents and maintenance windows",
      description: "Latest start first.",
      request: { query: StatusQuery },
      responses: { 200: jsonResponse(pageSchema(SystemStatusSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listStatuses(c.env, c.req.valid("query"));
      return c.json(page, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/system-statuses",
      operationId: "createSystemStatus",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Declare an incident or a maintenance window",
      description:
        "The window runs from `starts_at` (default now) to `ended_at`, else `expected_end_at`, else until ended. With `block_access` the API answers 503 to everyone but admins while it covers now; this isolate applies it at once, others within 5 seconds.",
      request: { body: jsonBody(StatusCreateBody) },
      responses: { 201: jsonResponse(SystemStatusSchema, "Created."), ...errors("forbidden") },
    }),
    async (c) => c.json(await createStatus(c.env, actorOf(c), c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/system-statuses/{status_id}",
      operationId: "getSystemStatus",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One system status",
      request: { params: statusIdParam },
      responses: { 200: jsonResponse(SystemStatusSchema, "The status."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await loadStatus(c.env, c.req.valid("param").status_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/system-statuses/{status_id}",
      operationId: "updateSystemStatus",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Update a system status",
      description: "Set `ended_at` (e.g. now) to lift it; move `expected_end_at` to extend a window. `null` clears an end.",
      request: { params: statusIdParam, body: jsonBody(StatusUpdateBody) },
      responses: { 200: jsonResponse(SystemStatusSchema, "Updated."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(await updateStatus(c.env, actorOf(c), c.req.valid("param").status_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/system-statuses/{status_id}",
      operationId: "deleteSystemStatus",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete a system status",
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found") },
      request: { params: statusIdParam },
    }),
    async (c) => {
      await deleteStatus(c.env, actorOf(c), c.req.valid("param").status_id);
      return c.body(null, 204);
    },
  );

  return r;
}
