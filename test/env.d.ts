import type { Env as WorkerEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** An empty database of its own, for the data migration test. */
      MIGRATION_DB: D1Database;
    }
  }
}
