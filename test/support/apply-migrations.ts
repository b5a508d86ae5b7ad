import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Storage is isolated per test file; each file starts from the migrated, empty schema.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// The Worker's hooks (src/hooks.ts), attached as src/index.ts does, for tests that call a service directly.
await import("../../src/hooks.ts");
