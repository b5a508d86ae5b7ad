import { defineConfig } from "drizzle-kit";

// Migrations are generated from the drizzle schema and applied by wrangler
// (`wrangler d1 migrations apply`), locally in dev and tests, remotely on deploy.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
