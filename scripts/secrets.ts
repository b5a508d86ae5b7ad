import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { TURNSTILE_TEST_SECRETS } from "./fakes/turnstile.ts";

/**
 * Fresh secrets for a test run or a local environment: an Ed25519 signing key
 * with a kid, a password pepper and a data-encryption key, and credentials for
 * the payment providers' loopback fake (scripts/fakes/payments/),
 * which checks whatever it is given, and for the notification providers'
 * fakes (scripts/fakes/notifications/): a Cloudflare API token, a Twilio auth
 * token and a Firebase service account with its own RSA key. Nothing real is
 * reused. In production the provider credentials are the ones each provider
 * issues (MTN's API user and key, FedaPay's, KkiaPay's, Konnect's and
 * Stripe's keys and webhook secrets, Twilio's auth token, the Firebase
 * service account key file, the Email Sending API token when email goes
 * through the REST API, and the Turnstile widget's secret key, for which the
 * local one is Cloudflare's always-pass test secret): replace the generated
 * ones before `wrangler secret bulk`.
 */
/** A Firebase service account key file like the one Firebase issues, with a fresh RSA key. */
function fakeServiceAccount(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return JSON.stringify({
    type: "service_account",
    project_id: "spotvibe-local",
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: "firebase-adminsdk@spotvibe-local.iam.gserviceaccount.com",
    token_uri: "https://oauth2.googleapis.com/token",
  });
}

export function generateSecrets(kid = `local-${Date.now().toString(36)}`) {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = { ...privateKey.export({ format: "jwk" }), kid };
  const token = (bytes = 24) => randomBytes(bytes).toString("hex");
  return {
    JWT_SIGNING_KEYS: JSON.stringify([jwk]),
    PASSWORD_PEPPER: randomBytes(32).toString("base64"),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    FACEBOOK_APP_SECRET: randomBytes(16).toString("hex"),
    MTN_MOMO_SUBSCRIPTION_KEY: token(16),
    MTN_MOMO_API_USER: randomUUID(), // MTN API users are UUIDs
    MTN_MOMO_API_KEY: token(16),
    FEDAPAY_SECRET_KEY: `sk_local_${token()}`,
    FEDAPAY_WEBHOOK_SECRET: `wh_local_${token()}`,
    KKIAPAY_PRIVATE_KEY: `tpk_${token()}`,
    KKIAPAY_SECRET: `tsk_${token()}`,
    KONNECT_API_KEY: `${token(12)}:${randomBytes(24).toString("base64url")}`,
    STRIPE_SECRET_KEY: `sk_test_${token()}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${token()}`,
    // Cloudflare's documented always-pass test secret: locally every Turnstile token passes (the
    // fake Siteverify of `npm start` honours it); production uses the widget's own secret key.
    TURNSTILE_SECRET_KEY: TURNSTILE_TEST_SECRETS.alwaysPasses,
    CLOUDFLARE_EMAIL_API_TOKEN: token(20),
    TWILIO_AUTH_TOKEN: token(16),
    FCM_SERVICE_ACCOUNT: fakeServiceAccount(),
  };
}

/**
 * Secrets issued by Apple and Google, never generated: the Pass Type ID
 * certificate, its PKCS#8 key and Apple's WWDR intermediate (PEM), and the
 * Google Wallet service account's PKCS#8 key. Optional: a deployment
 * without them answers the wallet routes with 503 wallet_not_configured.
 */
export const WALLET_SECRET_NAMES = ["APPLE_PASS_CERTIFICATE", "APPLE_PASS_PRIVATE_KEY", "APPLE_WWDR_CERTIFICATE", "GOOGLE_WALLET_PRIVATE_KEY"] as const;

// `npm run secrets:generate -- <kid>` prints a fresh set as JSON, the input of `wrangler secret bulk`.
if (import.meta.main) console.log(JSON.stringify(generateSecrets(process.argv[2]), null, 2));
