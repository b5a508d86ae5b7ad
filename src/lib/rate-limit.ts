import type { Env } from "../env.ts";
import type { RateLimitVerdict } from "../../durable-objects/rate-limiter.ts";
import { problems } from "./errors.ts";

export type { RateLimiter } from "../../durable-objects/rate-limiter.ts";

/** Named limits, one place to read and tune them. */
export const LIMITS = {
  "register-ip": { limit: 10, windowSeconds: 3600 },
  "login-ip": { limit: 30, windowSeconds: 300 },
  // Sign-in attempts at one address from one IP: only that IP is slowed, so a stranger cannot lock a fan out.
  "login-ip-account": { limit: 10, windowSeconds: 900 },
  // Sign-in attempts at one address from IPs it never signed in from: past it, a Turnstile token is asked for.
  "login-account": { limit: 10, windowSeconds: 900 },
  "code-send-user": { limit: 5, windowSeconds: 900 },
  "password-reset-ip": { limit: 5, windowSeconds: 900 },
  "contact-ip": { limit: 5, windowSeconds: 3600 },
  "social-ip": { limit: 30, windowSeconds: 300 },
  "event-view-ip": { limit: 300, windowSeconds: 600 },
  "share-user": { limit: 30, windowSeconds: 3600 },
  "transfer-user": { limit: 30, windowSeconds: 3600 },
  "promo-ip": { limit: 60, windowSeconds: 600 },
  "guest-order-ip": { limit: 30, windowSeconds: 3600 },
  "payment-check-user": { limit: 30, windowSeconds: 600 },
  "tickets-resend-right": { limit: 5, windowSeconds: 3600 },
  "invitation-send-user": { limit: 100, windowSeconds: 3600 },
  "invitation-accept-ip": { limit: 30, windowSeconds: 600 },
} as const;

export type LimitName = keyof typeof LIMITS;

/** Counts one use of the named limit for `key`; the verdict says whether it was still within it (a refused use is not counted). */
export async function hitRateLimit(env: Env, name: LimitName, key: string): Promise<RateLimitVerdict> {
  const { limit, windowSeconds } = LIMITS[name];
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`${name}:${key}`)).hit(limit, windowSeconds);
}

/** Throws 429 with Retry-After when `key` has used up the named limit. */
export async function enforceRateLimit(env: Env, name: LimitName, key: string): Promise<void> {
  const verdict = await hitRateLimit(env, name, key);
  if (!verdict.allowed) throw problems.tooManyRequests(verdict.retry_after_seconds);
}
