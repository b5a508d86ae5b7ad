import type { Env } from "../env.ts";
import { problems } from "./errors.ts";

export type { RateLimiter } from "../../durable-objects/rate-limiter.ts";

/** Named limits, one place to read and tune them. */
export const LIMITS = {
  "register-ip": { limit: 10, windowSeconds: 3600 },
  "login-ip": { limit: 30, windowSeconds: 300 },
  "code-send-user": { limit: 5, windowSeconds: 900 },
  "password-reset-ip": { limit: 5, windowSeconds: 900 },
  "contact-ip": { limit: 5, windowSeconds: 3600 },
  "social-ip": { limit: 30, windowSeconds: 300 },
  "event-view-ip": { limit: 300, windowSeconds: 600 },
  "share-user": { limit: 30, windowSeconds: 3600 },
  "transfer-user": { limit: 30, windowSeconds: 3600 },
  "promo-quote-ip": { limit: 60, windowSeconds: 600 },
  "payment-check-user": { limit: 30, windowSeconds: 600 },
  "invitation-send-user": { limit: 100, windowSeconds: 3600 },
  "invitation-accept-ip": { limit: 30, windowSeconds: 600 },
} as const;

export type LimitName = keyof typeof LIMITS;

/** Throws 429 with Retry-After when `key` has used up the named limit. */
export async function enforceRateLimit(env: Env, name: LimitName, key: string): Promise<void> {
  const { limit, windowSeconds } = LIMITS[name];
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${name}:${key}`));
  const verdict = await stub.hit(limit, windowSeconds);
  if (!verdict.allowed) throw problems.tooManyRequests(verdict.retry_after_seconds);
}
