import type { EventDO } from "../durable-objects/event/event-do.ts";
import type { RateLimiter } from "../durable-objects/rate-limiter.ts";
import type { NotificationsConfig } from "./notifications/config.ts";
import type { QueueMessage } from "./notifications/messages.ts";
import type { PaymentMessage } from "./payments/messages.ts";
import type { ProvidersConfig } from "./payments/providers/types.ts";

/** Bindings and configuration of the Worker (wrangler.toml, secrets in .dev.vars). */
export interface Env extends ProvidersConfig, NotificationsConfig {
  DB: D1Database;
  MEDIA: R2Bucket;
  VAULT: R2Bucket;
  NOTIFICATIONS: Queue<QueueMessage>;
  PAYMENTS: Queue<PaymentMessage>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  EVENT_DO: DurableObjectNamespace<EventDO>;

  APP_ORIGINS: string;
  ACCESS_TOKEN_TTL_SECONDS: string;
  REFRESH_TOKEN_TTL_DAYS: string;
  GOOGLE_CLIENT_IDS: string;
  GOOGLE_JWKS_URL: string;
  FACEBOOK_APP_ID: string;
  FACEBOOK_GRAPH_URL: string;
  EVENT_PAGE_URL: string; // share links redirect here; `{event_id}` is replaced
  PUBLIC_API_URL: string; // this Worker's public origin, for provider callbacks and return URLs
  PAYMENT_RETRY_BASE_SECONDS: string;

  /** Secrets. */
  JWT_SIGNING_KEYS: string; // JSON array of private Ed25519 JWKs with `kid`; the first signs
  PASSWORD_PEPPER: string;
  DATA_ENCRYPTION_KEY: string; // base64 of 32 bytes, AES-256-GCM for secrets at rest
  FACEBOOK_APP_SECRET: string;
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
