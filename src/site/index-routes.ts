import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, jsonResponse } from "../lib/openapi.ts";

const IndexSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    links: z.object({
      api: z.string().describe("The API's base path."),
      docs: z.string().describe("The browsable API reference."),
      openapi: z.string().describe("The OpenAPI 3.1 document."),
      health: z.string().describe("Liveness and database check."),
    }),
  })
  .openapi("ApiIndex");

/**
 * What someone who opens the API's address finds: its name and version and
 * where to go next. Mounted at `/v1` (`/` is the dashboard); the paths are on this origin.
 */
export function indexRoutes(info: { title: string; version: string }) {
  const r = createRouter();
  r.openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "getApiIndex",
      tags: ["Site"],
      summary: "The API's name, version and links",
      responses: { 200: jsonResponse(IndexSchema, "Where to go next.") },
    }),
    (c) => {
      c.header("Cache-Control", "public, max-age=300");
      return c.json({ name: info.title, version: info.version, links: { api: "/v1", docs: "/docs", openapi: "/openapi.json", health: "/v1/health" } }, 200);
    },
  );
  return r;
}
