import type { QueueMessage } from "./notifications/messages.ts";
import type { PaymentMessage } from "./payments/messages.ts";

/**
 * Bindings, vars and secrets of the Worker: `Cloudflare.Env`, which `npm run types`
 * (`wrangler types`) generates from wrangler.toml into worker-configuration.d.ts, checked in
 * (`npm test` fails when it is stale). Secrets are the names wrangler.toml lists under
 * `[secrets] required`; their values are in .dev.vars locally, `wrangler secret put` in
 * production. Only what wrangler cannot know is added here: the queues' message types.
 */
export interface Env extends Omit<Cloudflare.Env, "NOTIFICATIONS" | "PAYMENTS"> {
  NOTIFICATIONS: Queue<QueueMessage>;
  PAYMENTS: Queue<PaymentMessage>;
  /**
   * Wallet signing (src/documents), optional: without them the wallet routes answer 503
   * wallet_not_configured, so they are not under `[secrets] required`. PEM, `\n` escapes accepted.
   */
  APPLE_PASS_CERTIFICATE?: string; // the Pass Type ID certificate
  APPLE_PASS_PRIVATE_KEY?: string; // its RSA key, unencrypted PKCS#8
  APPLE_WWDR_CERTIFICATE?: string; // Apple's WWDR intermediate that issued it
  GOOGLE_WALLET_PRIVATE_KEY?: string; // the service account's PKCS#8 key
  /**
   * The Email Sending REST API's token (src/notifications/providers/email.ts), needed only with
   * EMAIL_TRANSPORT = "rest": the default transport is the `send_email` binding, which needs none.
   */
  CLOUDFLARE_EMAIL_API_TOKEN?: string;
}

export interface AuthContext {
  userId: string;
  role: "USER" | "ORGANIZER" | "CONTROLLER" | "ADMIN";
  sessionId: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    auth: AuthContext | undefined;
  };
}
