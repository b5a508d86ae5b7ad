import { z } from "@hono/zod-openapi";
import { LANGUAGES, USER_ROLES } from "../db/enums.ts";
import type { users } from "./schema.ts";

type UserRow = typeof users.$inferSelect;

/** What the account holder (and admins) see. */
export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    email_verified: z.boolean(),
    username: z.string().nullable(),
    first_name: z.string(),
    last_name: z.string(),
    phone: z.string().nullable(),
    date_of_birth: z.string().nullable(),
    bio: z.string().nullable(),
    profile_photo_url: z.string().nullable(),
    role: z.enum(USER_ROLES),
    language: z.enum(LANGUAGES),
    is_active: z.boolean(),
    is_identity_verified: z.boolean(),
    identity_verified_at: z.string().nullable(),
    notifications_email: z.boolean(),
    notifications_push: z.boolean(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("User");

/** What anyone may see of another user. */
export const PublicUserSchema = z
  .object({
    id: z.string(),
    username: z.string().nullable(),
    first_name: z.string(),
    last_name: z.string(),
    bio: z.string().nullable(),
    profile_photo_url: z.string().nullable(),
    is_identity_verified: z.boolean(),
    role: z.enum(USER_ROLES),
    created_at: z.string(),
  })
  .openapi("PublicUser");

export const photoUrl = (row: Pick<UserRow, "id" | "profile_photo_key">): string | null =>
  row.profile_photo_key ? `/v1/users/${row.id}/photo?v=${encodeURIComponent(row.profile_photo_key.split("/").pop()!)}` : null;

export function toUser(row: UserRow): z.infer<typeof UserSchema> {
  return {
    id: row.id,
    email: row.email,
    email_verified: row.email_verified_at !== null,
    username: row.username,
    first_name: row.first_name,
    last_name: row.last_name,
    phone: row.phone,
    date_of_birth: row.date_of_birth,
    bio: row.bio,
    profile_photo_url: photoUrl(row),
    role: row.role,
    language: row.language,
    is_active: row.is_active,
    is_identity_verified: row.is_identity_verified,
    identity_verified_at: row.identity_verified_at,
    notifications_email: row.notifications_email,
    notifications_push: row.notifications_push,
    last_login_at: row.last_login_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toPublicUser(row: UserRow): z.infer<typeof PublicUserSchema> {
  return {
    id: row.id,
    username: row.username,
    first_name: row.first_name,
    last_name: row.last_name,
    bio: row.bio,
    profile_photo_url: photoUrl(row),
    is_identity_verified: row.is_identity_verified,
    role: row.role,
    created_at: row.created_at,
  };
}
