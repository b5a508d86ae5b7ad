import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { requireAuth } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonResponse, pick } from "../lib/openapi.ts";
import { users } from "./schema.ts";
import { toUser, UserSchema } from "./schemas.ts";

const tags = ["Users"];

export function userRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({ method: "get", path: "/me", tags, security: bearerAuth, summary: "My account", responses: { 200: jsonResponse(UserSchema, "The signed-in user."), ...pick(401) } }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const [user] = await getDb(c.env.DB).select().from(users).where(eq(users.id, auth.userId)).limit(1);
      if (!user) throw problems.notFound("User");
      return c.json(toUser(user), 200);
    },
  );

  return r;
}
