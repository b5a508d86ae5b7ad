import type { EventDO } from "../durable-objects/event/event-do.ts";
import type { RateLimiter } from "../durable-objects/rate-limiter.ts";
import type { QueueMessage } from "./notifications/messages.ts";
import type { PaymentMessage } from "./payments/messages.ts";
import type { ProvidersConfig } from "./payments/providers/types.ts";

/** Bindings and configuration of the Worker (wrangler.toml, secrets in .dev.vars). */
export interface Env extends ProvidersConfig {
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
  /** Wallet passes (src/documents): Apple pass type and team, Google issuer and service account; empty until configured. */
  APPLE_PASS_TYPE_ID?: string;
  APPLE_TEAM_ID?: string;
  GOOGLE_WALLET_ISSUER_ID?: string;
  GOOGLE_WALLET_SERVICE_ACCOUNT?: string;

  /** Secrets. */
  JWT_SIGNING_KEYS: string; // JSON array of private Ed25519 JWKs with `kid`; the first signs
  PASSWORD_PEPPER: string;
  DATA_ENCRYPTION_KEY: string; // base64 of 32 bytes, AES-256-GCM for secrets at rest
  FACEBOOK_APP_SECRET: string;
  /** Wallet signing (optional: without them the wallet routes answer 503 wallet_not_configured). PEM, `\n` escapes accepted. */
  APPLE_PASS_CERTIFICATE?: string; // the Pass Type ID certificate
  APPLE_PASS_PRIVATE_KEY?: string; // its RSA key, unencrypted PKCS#8
  APPLE_WWDR_CERTIFICATE?: string; // Apple's WWDR intermediate that issued it
  GOOGLE_WALLET_PRIVATE_KEY?: string; // the service account's PKCS#8 key
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
