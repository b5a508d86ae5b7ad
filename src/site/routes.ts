import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { createRouter, jsonResponse } from "../lib/openapi.ts";

export function siteRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["Site"],
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

  return r;
}
