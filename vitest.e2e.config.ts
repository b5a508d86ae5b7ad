import { defineConfig } from "vitest/config";

/**
 * End-to-end tests that run in Node, outside the Workers runtime: the
 * reference gate client (scripts/gate-client) against the platform on
 * workerd (Miniflare, bench/lib), over real sockets; the fake payment
 * providers (scripts/fakes/payments) as `npm start` runs them. Files end in `.e2e.ts`
 * so the Workers-runtime suite (vitest.config.ts) does not pick them up.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
