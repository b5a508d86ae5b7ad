import { z } from "@hono/zod-openapi";
import { TURNSTILE_TOKEN_MAX } from "../lib/turnstile.ts";
import { phoneSchema } from "../lib/phone.ts";
import { personName } from "../lib/schemas.ts";
import { LANGUAGES } from "../db/enums.ts";
import { TWO_FACTOR_METHODS } from "./schema.ts";

export const emailSchema = z
  .email({ message: "Expected an email address." })
  .max(254)
  .transform((v) => v.toLowerCase())
  .openapi({ type: "string", format: "email", example: "awa@example.com" });

/** 10 to 128 characters; length beats composition rules (NIST SP 800-63B). */
export const passwordSchema = z
  .string()
  .min(10, { message: "Use at least 10 characters." })
  .max(128, { message: "Use at most 128 characters." })
  .openapi({ format: "password", example: "correct horse battery" });

export const RegisterBody = z
  .strictObject({
    email: emailSchema,
    password: passwordSchema,
    first_name: personName,
    last_name: personName,
    username: z.string().regex(/^[a-zA-Z0-9_.]{3,30}$/, { message: "3–30 letters, digits, _ or ." }).optional(),
    phone: phoneSchema.optional(),
    language: z.enum(LANGUAGES).optional(),
  })
  .openapi("RegisterRequest");

export const LoginBody = z
  .strictObject({
    email: emailSchema,
    password: z.string().min(1).max(128),
    turnstile_token: z
      .string()
      .min(1)
      .max(TURNSTILE_TOKEN_MAX)
      .optional()
      .openapi({ description: "Asked for (422 `turnstile_required`) only after many sign-in attempts at this address from networks it never signed in from: the Cloudflare Turnstile widget's token." }),
  })
  .openapi("LoginRequest");

export const TokenPairSchema = z
  .object({
    token_type: z.literal("Bearer"),
    access_token: z.string(),
    expires_in: z.number().int().openapi({ description: "Seconds until the access token expires." }),
    refresh_token: z.string(),
    refresh_expires_at: z.string(),
    session_id: z.string().uuid(),
  })
  .openapi("TokenPair");

export const MfaRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "Present it with the code to /v1/auth/login/2fa within 5 minutes." }),
    method: z.enum(TWO_FACTOR_METHODS),
  })
  .openapi("MfaRequired");

export const RefreshBody = z.strictObject({ refresh_token: z.string().min(16).max(200) }).openapi("RefreshRequest");

export const SessionSchema = z
  .object({
    id: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    expires_at: z.string(),
    ip_address: z.string().nullable(),
    user_agent: z.string().nullable(),
    device_name: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi("Session");

export const CodeBody = z.strictObject({ code: z.string().regex(/^\d{6}$/, { message: "Expected 6 digits." }) });

export const LoginAttemptSchema = z
  .object({
    id: z.string(),
    email_attempted: z.string(),
    status: z.enum(["SUCCESS", "FAILED", "BLOCKED"]),
    failure_reason: z.string().nullable(),
    ip_address: z.string().nullable(),
    user_agent: z.string().nullable(),
    country: z.string().nullable(),
    city: z.string().nullable(),
    session_duration_seconds: z.number().int().nullable(),
    attempted_at: z.string(),
  })
  .openapi("LoginAttempt");
