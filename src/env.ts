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
