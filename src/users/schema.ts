import { sql } from "drizzle-orm";
import { index, primaryKey, sqliteTable, text, integer, uniqueIndex } from "drizzle-orm/sqlite-core";
import { bool, checkThat, createdAt, enumCheck, id, timestamp, updatedAt } from "../db/columns.ts";
import { LANGUAGES, USER_ROLES } from "../db/enums.ts";

export const VERIFICATION_STATUSES = ["PENDING", "APPROVED", "REJECTED", "EXPIRED"] as const;

/** SpotVibe `User` (an AbstractUser): accounts for fans, organizers, gate staff and admins. */
export const users = sqliteTable(
  "users",
  {
    id: id(),
    email: text("email").notNull(), // stored lower-cased
    username: text("username"),
    password_hash: text("password_hash"), // null for accounts created through social login only
    first_name: text("first_name").notNull().default(""),
    last_name: text("last_name").notNull().default(""),
    // "first last" and "last first", accents folded and lower-cased: the back office's name prefix search. Kept by D1
    // triggers (migrations/0013_backoffice_triggers.sql), which copy them to the rights and orders each person holds.
    search_name: text("search_name").notNull().default(""),
    search_name_rev: text("search_name_rev").notNull().default(""),
    phone: text("phone"), // E.164
    date_of_birth: text("date_of_birth"), // YYYY-MM-DD
    profile_photo_key: text("profile_photo_key"), // R2 MEDIA key
    bio: text("bio"),
    role: text("role", { enum: USER_ROLES }).notNull().default("USER"),
    language: text("language", { enum: LANGUAGES }).notNull().default("fr"),
    is_active: bool("is_active").notNull().default(true),
    is_identity_verified: bool("is_identity_verified").notNull().default(false),
    identity_verified_at: timestamp("identity_verified_at"),
    email_verified_at: timestamp("email_verified_at"),
    notifications_email: bool("notifications_email").notNull().default(true),
    notifications_push: bool("notifications_push").notNull().default(true),
    last_login_at: timestamp("last_login_at"),
    last_login_ip: text("last_login_ip"),
    failed_login_count: integer("failed_login_count").notNull().default(0), // wrong passwords since the last sign-in (a record; throttling is per IP and account in the RateLimiter)
    deactivated_at: timestamp("deactivated_at"),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_unique").on(t.email),
    uniqueIndex("users_username_unique").on(t.username),
    index("users_phone_idx").on(t.phone),
    index("users_search_name_idx").on(t.search_name),
    index("users_search_name_rev_idx").on(t.search_name_rev),
    index("users_role_idx").on(t.role, t.created_at),
    enumCheck("users", t.role, USER_ROLES),
    enumCheck("users", t.language, LANGUAGES),
    checkThat("users", "email_lowercase", sql`${t.email} = lower(${t.email})`),
    checkThat("users", "failed_login_count_non_negative", sql`${t.failed_login_count} >= 0`),
  ],
);

/** SpotVibe `UserVerification`: identity document and selfie, reviewed by an admin. */
export const user_verifications = sqliteTable(
  "user_verifications",
  {
    id: id(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    document_key: text("document_key").notNull(), // R2 VAULT key, random
    document_content_type: text("document_content_type").notNull(),
    selfie_key: text("selfie_key").notNull(),
    selfie_content_type: text("selfie_content_type").notNull(),
    status: text("status", { enum: VERIFICATION_STATUSES }).notNull().default("PENDING"),
    submitted_at: createdAt("submitted_at"),
    reviewed_at: timestamp("reviewed_at"),
    reviewer_id: text("reviewer_id").references(() => users.id),
    admin_comment: text("admin_comment"),
    expires_at: timestamp("expires_at"), // an approval lasts until then (the document's expiry, or the validity setting); the cron then marks it EXPIRED
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("user_verifications_user_unique").on(t.user_id),
    index("user_verifications_status_idx").on(t.status, t.submitted_at),
    enumCheck("user_verifications", t.status, VERIFICATION_STATUSES),
  ],
);

/** SpotVibe `Follow`. */
export const follows = sqliteTable(
  "follows",
  {
    follower_id: text("follower_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    following_id: text("following_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    notifications_enabled: bool("notifications_enabled").notNull().default(true),
    followed_at: createdAt("followed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.follower_id, t.following_id] }),
    index("follows_following_idx").on(t.following_id, t.followed_at),
    index("follows_follower_idx").on(t.follower_id, t.followed_at),
    checkThat("follows", "not_self", sql`${t.follower_id} <> ${t.following_id}`),
  ],
);
