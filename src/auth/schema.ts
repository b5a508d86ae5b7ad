import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, checkThat, createdAt, enumCheck, id, timestamp, updatedAt } from "../db/columns.ts";
import { users } from "../users/schema.ts";

export const SOCIAL_PROVIDERS = ["GOOGLE", "FACEBOOK"] as const;
export const LOGIN_STATUSES = ["SUCCESS", "FAILED", "BLOCKED"] as const;
export const PASSWORD_RESET_STATUSES = ["ACTIVE", "USED", "EXPIRED", "CANCELLED"] as const;
export const EMAIL_VERIFICATION_TYPES = ["SIGNUP", "EMAIL_CHANGE", "REACTIVATION"] as const;
export const EMAIL_VERIFICATION_STATUSES = ["PENDING", "VERIFIED", "EXPIRED", "CANCELLED"] as const;
export const TWO_FACTOR_METHODS = ["SMS", "EMAIL", "TOTP"] as const;
export const SESSION_REVOKE_REASONS = ["LOGOUT", "REVOKED", "REUSE_DETECTED", "PASSWORD_CHANGED", "ACCOUNT_DEACTIVATED"] as const;

const userRef = () =>
  text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" });

/** SpotVibe `SocialAccount`: provider tokens are encrypted at rest (lib/crypto/encryption.ts). */
export const social_accounts = sqliteTable(
  "social_accounts",
  {
    id: id(),
    user_id: userRef(),
    provider: text("provider", { enum: SOCIAL_PROVIDERS }).notNull(),
    social_id: text("social_id").notNull(),
    email: text("email"),
    full_name: text("full_name"),
    photo_url: text("photo_url"),
    access_token_encrypted: text("access_token_encrypted"),
    refresh_token_encrypted: text("refresh_token_encrypted"),
    token_expires_at: timestamp("token_expires_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
    last_used_at: timestamp("last_used_at"),
    is_active: bool("is_active").notNull().default(true),
  },
  (t) => [
    uniqueIndex("social_accounts_provider_social_id_unique").on(t.provider, t.social_id),
    uniqueIndex("social_accounts_user_provider_unique").on(t.user_id, t.provider),
    enumCheck("social_accounts", t.provider, SOCIAL_PROVIDERS),
  ],
);

/** SpotVibe `LoginAttempt`: every attempt, successful or not. */
export const login_attempts = sqliteTable(
  "login_attempts",
  {
    id: id(),
    user_id: text("user_id").references(() => users.id, { onDelete: "set null" }),
    email_attempted: text("email_attempted").notNull(),
    status: text("status", { enum: LOGIN_STATUSES }).notNull(),
    failure_reason: text("failure_reason"),
    ip_address: text("ip_address"),
    user_agent: text("user_agent"),
    country: text("country"),
    city: text("city"),
    session_id: text("session_id"), // the session a successful attempt opened
    session_duration_seconds: integer("session_duration_seconds"), // set when that session ends
    attempted_at: createdAt("attempted_at"),
  },
  (t) => [
    index("login_attempts_user_idx").on(t.user_id, t.attempted_at),
    index("login_attempts_email_idx").on(t.email_attempted, t.attempted_at),
    index("login_attempts_session_idx").on(t.session_id),
    enumCheck("login_attempts", t.status, LOGIN_STATUSES),
  ],
);

/** SpotVibe `PasswordReset`: single-use tokens, stored as SHA-256 digests. */
export const password_resets = sqliteTable(
  "password_resets",
  {
    id: id(),
    user_id: userRef(),
    token_hash: text("token_hash").notNull(),
    status: text("status", { enum: PASSWORD_RESET_STATUSES }).notNull().default("ACTIVE"),
    created_at: createdAt(),
    expires_at: timestamp("expires_at").notNull(),
    used_at: timestamp("used_at"),
    created_ip: text("created_ip"),
    used_ip: text("used_ip"),
  },
  (t) => [
    uniqueIndex("password_resets_token_hash_unique").on(t.token_hash),
    index("password_resets_user_idx").on(t.user_id, t.status),
    enumCheck("password_resets", t.status, PASSWORD_RESET_STATUSES),
  ],
);

/** SpotVibe `EmailVerification`: 6-digit codes, keyed digests at rest, bounded attempts. */
export const email_verifications = sqliteTable(
  "email_verifications",
  {
    id: id(),
    user_id: userRef(),
    email: text("email").notNull(),
    code_hash: text("code_hash").notNull(),
    verification_type: text("verification_type", { enum: EMAIL_VERIFICATION_TYPES }).notNull(),
    status: text("status", { enum: EMAIL_VERIFICATION_STATUSES }).notNull().default("PENDING"),
    created_at: createdAt(),
    expires_at: timestamp("expires_at").notNull(),
    verified_at: timestamp("verified_at"),
    attempts: integer("attempts").notNull().default(0),
    max_attempts: integer("max_attempts").notNull().default(5),
    ip_address: text("ip_address"),
  },
  (t) => [
    index("email_verifications_user_idx").on(t.user_id, t.verification_type, t.status),
    enumCheck("email_verifications", t.verification_type, EMAIL_VERIFICATION_TYPES),
    enumCheck("email_verifications", t.status, EMAIL_VERIFICATION_STATUSES),
    checkThat("email_verifications", "attempts_bounded", sql`${t.attempts} >= 0 AND ${t.attempts} <= ${t.max_attempts}`),
  ],
);

/** SpotVibe `TwoFactorAuth`: one row per user; the TOTP secret encrypted at rest. */
export const two_factor_auth = sqliteTable(
  "two_factor_auth",
  {
    user_id: text("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    is_enabled: bool("is_enabled").notNull().default(false),
    method: text("method", { enum: TWO_FACTOR_METHODS }).notNull(),
    secret_encrypted: text("secret_encrypted"),
    last_totp_step: integer("last_totp_step"), // a TOTP step is accepted once, ever
    last_used_at: timestamp("last_used_at"),
    activated_at: timestamp("activated_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [enumCheck("two_factor_auth", t.method, TWO_FACTOR_METHODS)],
);

/** SpotVibe `TwoFactorAuth.codes_recuperation`, one row per code so each is consumed atomically. */
export const two_factor_recovery_codes = sqliteTable(
  "two_factor_recovery_codes",
  {
    id: id(),
    user_id: userRef(),
    code_hash: text("code_hash").notNull(),
    used_at: timestamp("used_at"),
    created_at: createdAt(),
  },
  (t) => [uniqueIndex("two_factor_recovery_codes_user_code_unique").on(t.user_id, t.code_hash)],
);

/** A pending second-factor check: the EMAIL or SMS code sent at login, or the code confirming a new method. */
export const two_factor_challenges = sqliteTable(
  "two_factor_challenges",
  {
    id: id(),
    user_id: userRef(),
    method: text("method", { enum: TWO_FACTOR_METHODS }).notNull(),
    purpose: text("purpose", { enum: ["LOGIN", "ENABLE"] }).notNull(),
    code_hash: text("code_hash"), // null for TOTP, which needs no sent code
    pending_secret_encrypted: text("pending_secret_encrypted"), // TOTP secret until confirmed
    expires_at: timestamp("expires_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    max_attempts: integer("max_attempts").notNull().default(5),
    consumed_at: timestamp("consumed_at"),
    created_at: createdAt(),
  },
  (t) => [
    index("two_factor_challenges_user_idx").on(t.user_id, t.created_at),
    enumCheck("two_factor_challenges", t.method, TWO_FACTOR_METHODS),
    enumCheck("two_factor_challenges", t.purpose, ["LOGIN", "ENABLE"]),
  ],
);

/** A login session: one refresh-token family. Revoking it ends every token of the family. */
export const auth_sessions = sqliteTable(
  "auth_sessions",
  {
    id: id(),
    user_id: userRef(),
    created_at: createdAt(),
    last_used_at: timestamp("last_used_at"),
    expires_at: timestamp("expires_at").notNull(),
    revoked_at: timestamp("revoked_at"),
    revoked_reason: text("revoked_reason", { enum: SESSION_REVOKE_REASONS }),
    ip_address: text("ip_address"),
    user_agent: text("user_agent"),
    device_name: text("device_name"),
  },
  (t) => [
    index("auth_sessions_user_idx").on(t.user_id, t.created_at),
    // The recently ended sessions every isolate reads (src/auth/revocations.ts).
    index("auth_sessions_revoked_idx").on(t.revoked_at).where(sql`${t.revoked_at} IS NOT NULL`),
    enumCheck("auth_sessions", t.revoked_reason, SESSION_REVOKE_REASONS),
  ],
);

/** Refresh tokens, rotated on every use; presenting a used one revokes its whole session. */
export const refresh_tokens = sqliteTable(
  "refresh_tokens",
  {
    id: id(),
    session_id: text("session_id")
      .notNull()
      .references(() => auth_sessions.id, { onDelete: "cascade" }),
    token_hash: text("token_hash").notNull(),
    created_at: createdAt(),
    expires_at: timestamp("expires_at").notNull(),
    used_at: timestamp("used_at"),
  },
  (t) => [uniqueIndex("refresh_tokens_token_hash_unique").on(t.token_hash), index("refresh_tokens_session_idx").on(t.session_id)],
);
