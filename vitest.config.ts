import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { generateSecrets } from "./scripts/secrets.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const secrets = generateSecrets("test-key-1");
  // The fake Facebook started by the global setup checks appsecret_proof with this same app secret.
  process.env.FAKE_FACEBOOK_APP_SECRET = secrets.FACEBOOK_APP_SECRET;
  return {
    plugins: [
      cloudflareTest(({ inject }) => {
        const fakes = inject("fakeProvidersUrl");
        return {
          wrangler: { configPath: "./wrangler.toml" },
          miniflare: {
            bindings: {
              TEST_MIGRATIONS: migrations,
              ...secrets,
              GOOGLE_JWKS_URL: `${fakes}/google/oauth2/v3/certs`,
              FACEBOOK_GRAPH_URL: `${fakes}/facebook`,
            },
          },
        };
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/support/apply-migrations.ts"],
      globalSetup: ["./test/support/global-setup.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
