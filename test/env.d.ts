import type { Env as WorkerEnv } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      /** The root CA of the wallet test identity (test/support/wallet-certs.ts) and the Google key's public half. */
      TEST_WALLET_ROOT_CA: string;
      TEST_GOOGLE_WALLET_PUBLIC_KEY: string;
    }
  }
}
