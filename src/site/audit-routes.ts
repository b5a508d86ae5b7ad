import { createRoute } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt } from "drizzle-orm";
import { adminOnly } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { bearerAuth, createRouter, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { afterCursor, decodeCursor, pageSchema, toPage } from "../lib/pagination.ts";
import { audit_log } from "./schema.ts";
import { AuditEntrySchema, AuditQuery } from "./schemas.ts";

const adminTags = ["Administration"];

/** The audit log, for admins. */
export function auditRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/audit-log",
      operationId: "listAuditLog",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "The audit trail",
      description:
        "Every create, update, delete, approval and rejection made by organizers and admins, with the object's state before and after. Newest first; `from` inclusive, `to` exclusive.",
      request: { query: AuditQuery },
      responses: { 200: jsonResponse(pageSchema(AuditEntrySchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const after = decodeCursor(q.cursor);
      const rows = await getDb(c.env.DB)
        .select()
        .from(audit_log)
        .where(
          and(
            q.object_type ? eq(audit_log.object_type, q.object_type) : undefined,
            q.object_id ? eq(audit_log.object_id, q.object_id) : undefined,
            q.user_id ? eq(audit_log.user_id, q.user_id) : undefined,
            q.action ? eq(audit_log.action, q.action) : undefined,
            q.from ? gte(audit_log.created_at, q.from) : undefined,
            q.to ? lt(audit_log.created_at, q.to) : undefined,
            afterCursor(after, audit_log.created_at, audit_log.id, "desc"),
          ),
        )
        .orderBy(desc(audit_log.created_at), desc(audit_log.id))
        .limit(q.limit + 1);
      return c.json(toPage(rows, q.limit, (row) => ({ k: row.created_at, id: row.id })), 200);
    },
  );

  return r;
}
