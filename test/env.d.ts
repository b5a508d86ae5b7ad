declare global {
  namespace Cloudflare {
    // The Worker's own bindings come from worker-configuration.d.ts; vitest.config.ts adds this one.
    interface Env {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    }
  }
}

export {};
