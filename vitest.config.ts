import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";
import { type FakeNotificationSecrets, workerVarsFor } from "./scripts/fakes/notifications/server.ts";
import type { FakePaymentSecrets } from "./scripts/fakes/payments/server.ts";
import { generateSecrets } from "./scripts/secrets.ts";
import { walletTestIdentity } from "./test/support/wallet-certs.ts";

/**
 * Fixed payment-provider credentials for tests, over the generated ones: the
 * webhook secrets are those of test/fixtures/webhooks, so the fixtures' signed
 * vectors are valid for the Worker. The fake providers check these same values.
 */
const PAYMENT_TEST_CREDENTIALS: FakePaymentSecrets = {
  MTN_MOMO_TARGET_ENVIRONMENT: "mtnbenin",
  MTN_MOMO_SUBSCRIPTION_KEY: "test-mtn-subscription-key",
  MTN_MOMO_API_USER: "0f2b7c1e-4d6a-4b8e-9c3f-5a1d2e3f4a5b",
  MTN_MOMO_API_KEY: "test-mtn-api-key",
  FEDAPAY_SECRET_KEY: "sk_sandbox_test",
  FEDAPAY_WEBHOOK_SECRET: "wh_sandbox_testsecret",
  KKIAPAY_PUBLIC_KEY: "test-kkiapay-public-key",
  KKIAPAY_PRIVATE_KEY: "tpk_test_private",
  KKIAPAY_SECRET: "kkiapay_test_secret",
  KONNECT_API_KEY: "test-konnect-api-key",
  KONNECT_WALLET_ID: "5f7a209aeb3f76490ac4a3d1",
  STRIPE_SECRET_KEY: "sk_test_fake",
  STRIPE_WEBHOOK_SECRET: "whsec_testsecret",
};

/** A production-like Turnstile secret: the fake Siteverify passes only the tokens it issued for it, once each. */
const TURNSTILE_TEST_SECRET = "0x4AAAAAAAtest-siteverify-secret";
/**
 * Fixed notification-provider credentials for tests: the Twilio auth token is
 * the one /work/shared/fixtures/notifications/twilio-status.json was signed
 * with (test/fixtures/notifications), so its vector verifies in the Worker.
 */
const NOTIFICATION_TEST_CREDENTIALS = {
  CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
  CLOUDFLARE_EMAIL_API_TOKEN: "test-email-sending-token",
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
  TWILIO_AUTH_TOKEN: "twilio_test_auth_token_0123456789",
};

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // The queues' settings, for test/support/queues.ts to know when they have nothing left to do.
  const { queues } = unstable_readConfig({ config: "./wrangler.toml" }) as {
    queues: { producers?: { binding: string; queue: string }[]; consumers?: { queue: string; max_retries?: number; dead_letter_queue?: string }[] };
  };
  // What the Worker sends to these bindings goes, in tests, to a queue with no consumer: tests hand
  // the work to the real consumer themselves (the notifications outbox, test/support/notifications.ts).
  const heldForTests: Record<string, string> = { NOTIFICATIONS: "notifications-held-for-tests" };
  const testQueues = {
    producers: { ...Object.fromEntries((queues.producers ?? []).map((p) => [p.binding, p.queue])), ...heldForTests },
    // JSON: a setting wrangler.toml leaves out is absent, not undefined.
    consumers: Object.fromEntries((queues.consumers ?? []).map((c) => [c.queue, JSON.parse(JSON.stringify({ max_retries: c.max_retries, dead_letter_queue: c.dead_letter_queue })) as Record<string, string | number>])),
  };
  const secrets = generateSecrets("test-key-1");
  // Wallet signing identities made for this run: a test CA chain for Apple, an RSA key for Google.
  const wallet = await walletTestIdentity();
  // The fake Facebook started by the global setup checks appsecret_proof with this same app secret.
  process.env.FAKE_FACEBOOK_APP_SECRET = secrets.FACEBOOK_APP_SECRET;
  // The fake payment providers check the credentials the Worker is given below.
  process.env.FAKE_PAYMENT_CREDENTIALS = JSON.stringify(PAYMENT_TEST_CREDENTIALS);
  process.env.FAKE_TURNSTILE_SECRET = TURNSTILE_TEST_SECRET;
  // The fake notification providers check these, and the service account the Worker signs its FCM assertions with.
  const notificationCredentials: FakeNotificationSecrets = { ...NOTIFICATION_TEST_CREDENTIALS, FCM_SERVICE_ACCOUNT: secrets.FCM_SERVICE_ACCOUNT };
  process.env.FAKE_NOTIFICATION_CREDENTIALS = JSON.stringify(notificationCredentials);
  // wrangler.toml requires these secrets and, without a .dev.vars (CI), warns unless the
  // environment has them; the bindings below set them either way.
  Object.assign(process.env, secrets, PAYMENT_TEST_CREDENTIALS, notificationCredentials, { TURNSTILE_SECRET_KEY: TURNSTILE_TEST_SECRET });
  return {
    plugins: [
      cloudflareTest(({ inject }) => {
        const fakes = inject("fakeProvidersUrl");
        const payments = inject("fakePaymentsUrl");
        const turnstile = inject("fakeTurnstileUrl");
        const notifications = inject("fakeNotificationsUrl");
        return {
          wrangler: { configPath: "./wrangler.toml" },
          miniflare: {
            // A second, empty database: test/integration/organizations-migration.test.ts migrates it step by step.
            d1Databases: { MIGRATION_DB: "migration-test" },
            bindings: {
              TEST_MIGRATIONS: migrations,
              TEST_QUEUES: testQueues,
              // Over whatever wrangler loaded (a developer's .dev.vars is used before the environment).
              ...secrets,
              ...PAYMENT_TEST_CREDENTIALS,
              GOOGLE_JWKS_URL: `${fakes}/google/oauth2/v3/certs`,
              FACEBOOK_GRAPH_URL: `${fakes}/facebook`,
              MTN_MOMO_BASE_URL: `${payments}/mtn`,
              FEDAPAY_BASE_URL: `${payments}/fedapay`,
              KKIAPAY_BASE_URL: `${payments}/kkiapay`,
              KONNECT_BASE_URL: `${payments}/konnect`,
              STRIPE_BASE_URL: `${payments}/stripe`,
              TURNSTILE_BASE_URL: turnstile,
              TURNSTILE_SECRET_KEY: TURNSTILE_TEST_SECRET,
              // Callbacks go to the origin test/support/api.ts calls; failed payment messages are retried at once.
              PUBLIC_API_URL: "https://api.test",
              PAYMENT_RETRY_BASE_SECONDS: "0",
              ...notificationCredentials,
              ...workerVarsFor(notifications),
              NOTIFICATION_RETRY_BASE_SECONDS: "1",
              // Far above what a suite's concurrent orders can make wait in an EventDO's group commit over a whole second
              // on a busy machine, so that no waiting room opens by chance; test/integration/waiting-room.test.ts moves
              // the clock to make holds wait that long (durable-objects/event/hold-load.ts).
              WAITING_ROOM_SATURATION_WAITING: "100",
              // Small enough for a test to build an audience over it (test/integration/campaigns.test.ts).
              CAMPAIGN_MAX_RECIPIENTS: "300",
              ...wallet,
              APPLE_PASS_TYPE_ID: "pass.dev.edge-events.test",
              APPLE_TEAM_ID: "TESTTEAM01",
              GOOGLE_WALLET_ISSUER_ID: "3388000000012345678",
              GOOGLE_WALLET_SERVICE_ACCOUNT: "wallet@edge-events-test.iam.gserviceaccount.com",
            },
            // Tests run the notifications consumer themselves (createMessageBatch, test/support/notifications.ts):
            // what the Worker queues goes to a queue nobody consumes, and the deliveries it names wait in D1.
            queueProducers: Object.fromEntries(Object.entries(heldForTests).map(([binding, queueName]) => [binding, { queueName }])),
          },
        };
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/support/apply-migrations.ts", "./test/support/queues.ts"],
      globalSetup: ["./test/support/global-setup.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
