declare global {
  namespace Cloudflare {
    // The Worker's own bindings come from worker-configuration.d.ts; vitest.config.ts adds these.
    interface Env {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** An empty database of its own, for the data migration test. */
      MIGRATION_DB: D1Database;
      /** wrangler.toml's queues, for test/support/queues.ts. */
      TEST_QUEUES: {
        producers: Record<string, string>;
        consumers: Record<string, { max_retries?: number; dead_letter_queue?: string }>;
      };
      /** The root CA of the wallet test identity (test/support/wallet-certs.ts) and the Google key's public half. */
      TEST_WALLET_ROOT_CA: string;
      TEST_GOOGLE_WALLET_PUBLIC_KEY: string;
    }
  }
}

export {};
