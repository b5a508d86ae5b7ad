import { defineConfig } from "vitest/config";

/**
 * End-to-end tests that run in Node, outside the Workers runtime: the
 * reference gate client (scripts/gate-client) against the platform on
 * workerd (Miniflare, bench/lib), over real sockets; the fake payment
 * providers (scripts/fakes/payments) as `npm start` runs them; and the
 * dashboard in Debian's Chromium (playwright-core) against the Worker serving
 * it, with the demo data (test/e2e/dashboard: one platform and one browser for
 * all its files, started by its global setup). Files end in `.e2e.ts` so the
 * Workers-runtime suite (vitest.config.ts) does not pick them up.
 */
const shared = { environment: "node" as const, fileParallelism: false, testTimeout: 60_000, hookTimeout: 240_000 };

export default defineConfig({
  test: {
    ...shared,
    projects: [
      { test: { ...shared, name: "e2e", include: ["test/e2e/*.e2e.ts"] } },
      { test: { ...shared, name: "dashboard", include: ["test/e2e/dashboard/*.e2e.ts"], globalSetup: ["test/e2e/dashboard/global-setup.ts"] } },
    ],
  },
});
