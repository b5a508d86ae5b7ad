import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, eq, sql } from "drizzle-orm";
import { adminOnly, requireRole } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { afterCursor, decodeCursor, pageQuery, pageSchema, toPage } from "../lib/pagination.ts";
import { actorOf, auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { event_categories, events } from "./schema.ts";

type CategoryRow = typeof event_categories.$inferSelect;

const categoryFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).nullable().optional(),
  icon: z.string().trim().min(1).max(100).nullable().optional().openapi({ example: "fas fa-futbol" }),
  color: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}$/, { message: "Expected a colour as #RRGGBB." })
    .nullable()
    .optional()
    .openapi({ example: "#1B8A3A" }),
  display_order: z.number().int().min(0).max(100_000).optional(),
  is_active: z.boolean().optional(),
};

const CategoryCreateBody = z.strictObject(categoryFields).openapi("CategoryCreateRequest");
const CategoryUpdateBody = z.strictObject({ ...categoryFields, name: categoryFields.name.optional() }).openapi("CategoryUpdateRequest");

const CategorySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    icon: z.string().nullable(),
    color: z.string().nullable(),
    display_order: z.number().int(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Category");

const toCategory = (row: CategoryRow): z.infer<typeof CategorySchema> => ({
  id: row.id,
  name: row.name,
  description: row.description,
  icon: row.icon,
  color: row.color,
  display_order: row.display_order,
  is_active: row.is_active,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

const categoryIdParam = z.object({ category_id: z.uuid().openapi({ param: { name: "category_id", in: "path" } }) });

const CategoryListQuery = z.object({
  include_inactive: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "Admins only: include inactive categories." }),
  ...pageQuery,
});

const nameTaken = (name: string) => problems.conflict("category_name_taken", `A category named "${name}" exists.`);

async function createCategory(db: Db, actor: Actor, input: z.infer<typeof CategoryCreateBody>): Promise<CategoryRow> {
  try {
    return await auditedInsert(db, actor, event_categories, { id: newId(), ...input });
  } catch (error) {
    if (isUniqueViolation(error, "event_categories.name")) throw nameTaken(input.name);
    throw error;
  }
}

async function updateCategory(db: Db, actor: Actor, id: string, input: z.infer<typeof CategoryUpdateBody>): Promise<CategoryRow> {
  if (Object.keys(input).length === 0) {
    const [row] = await db.select().from(event_categories).where(eq(event_categories.id, id)).limit(1);
    if (!row) throw problems.notFound("Category");
    return row;
  }
  try {
    return (await auditedUpdate(db, actor, event_categories, id, input, { what: "Category" })).after;
  } catch (error) {
    if (input.name && isUniqueViolation(error, "event_categories.name")) throw nameTaken(input.name);
    throw error;
  }
}

const usedByEvents = (id: string) => sql`EXISTS (SELECT 1 FROM ${events} WHERE ${events.category_id} = ${id})`;

/**
 * A category some event uses is not deleted (the events would silently lose
 * it): 409 `category_in_use`, and the way to retire it is `is_active: false`,
 * which hides it from the public list and from new events.
 */
async function deleteCategory(db: Db, actor: Actor, id: string): Promise<void> {
  const [row] = await db.select({ used: sql<number>`${usedByEvents(id)}` }).from(event_categories).where(eq(event_categories.id, id));
  if (!row) throw problems.notFound("Category");
  if (row.used) throw problems.conflict("category_in_use", "Events use this category; deactivate it instead (is_active: false).");
  await auditedDelete(db, actor, event_categories, id, { guard: sql`NOT ${usedByEvents(id)}`, what: "Category" });
}

const tags = ["Categories"];
const noContent = { description: "Done." };

export function categoryRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/categories",
      operationId: "listCategories",
      tags,
      summary: "Event categories",
      description: "Active categories in display order; admins may add `include_inactive=true`.",
      request: { query: CategoryListQuery },
      responses: { 200: jsonResponse(pageSchema(CategorySchema), "One page."), ...errors("forbidden", "unauthorized") },
    }),
    async (c) => {
      const { include_inactive, limit, cursor } = c.req.valid("query");
      if (include_inactive) requireRole(c.get("auth"), "ADMIN");
      const after = decodeCursor(cursor);
      const rows = await getDb(c.env.DB)
        .select()
        .from(event_categories)
        .where(
          and(
            include_inactive ? undefined : eq(event_categories.is_active, true),
            afterCursor(after, event_categories.display_order, event_categories.id),
          ),
        )
        .orderBy(asc(event_categories.display_order), asc(event_categories.id))
        .limit(limit + 1);
      const page = toPage(rows, limit, (row) => ({ k: row.display_order, id: row.id }));
      return c.json({ data: page.data.map(toCategory), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/categories",
      operationId: "createCategory",
      tags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Create a category",
      description: "Names are unique (409 `category_name_taken`).",
      request: { body: jsonBody(CategoryCreateBody) },
      responses: { 201: jsonResponse(CategorySchema, "The category."), ...errors("category_name_taken", "forbidden") },
    }),
    async (c) => c.json(toCategory(await createCategory(getDb(c.env.DB), actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/categories/{category_id}",
      operationId: "updateCategory",
      tags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Update a category",
      description: "`null` clears description, icon or colour; `is_active: false` retires it.",
      request: { params: categoryIdParam, body: jsonBody(CategoryUpdateBody) },
      responses: { 200: jsonResponse(CategorySchema, "The updated category."), ...errors("category_name_taken", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(toCategory(await updateCategory(getDb(c.env.DB), actorOf(c), c.req.valid("param").category_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/categories/{category_id}",
      operationId: "deleteCategory",
      tags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete an unused category",
      description: "Refused (409 `category_in_use`) while events use it: deactivate it instead with `is_active: false`.",
      request: { params: categoryIdParam },
      responses: { 204: noContent, ...errors("category_in_use", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      await deleteCategory(getDb(c.env.DB), actorOf(c), c.req.valid("param").category_id);
      return c.body(null, 204);
    },
  );

  return r;
}
