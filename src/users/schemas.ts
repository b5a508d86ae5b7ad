import { z } from "@hono/zod-openapi";
import { RegisterBody } from "../auth/schemas.ts";
import { LANGUAGES, USER_ROLES } from "../db/enums.ts";
import { pageQuery } from "../lib/pagination.ts";
import { phoneSchema } from "../lib/phone.ts";
import { booleanQuery, instant } from "../lib/schemas.ts";
import { ageOn } from "../lib/time.ts";
import { VERIFICATION_STATUSES, type user_verifications, type users } from "./schema.ts";

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
    created_at: z.string(),
  })
  .openapi("PublicUser", { description: "What anyone may see of an account: no email, phone or role." });

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
    created_at: row.created_at,
  };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date (`YYYY-MM-DD`), not in the future, for an age of 0 to 120 years. */
export const birthDateSchema = z
  .string()
  .regex(DATE, { message: "Expected a date as YYYY-MM-DD." })
  .superRefine((value, ctx) => {
    const date = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
      ctx.addIssue({ code: "custom", message: "This date does not exist." });
      return;
    }
    if (value > new Date().toISOString().slice(0, 10)) {
      ctx.addIssue({ code: "custom", message: "The date of birth cannot be in the future." });
      return;
    }
    if (ageOn(value) > 120) ctx.addIssue({ code: "custom", message: "The date of birth must be within the last 120 years." });
  })
  .openapi({ format: "date", example: "1998-04-17" });

/** Profile fields the account holder may change; email, role and password have their own flows. */
export const UpdateMeBody = z
  .strictObject({
    first_name: RegisterBody.shape.first_name.optional(),
    last_name: RegisterBody.shape.last_name.optional(),
    username: RegisterBody.shape.username.unwrap().nullable().optional(),
    phone: phoneSchema.nullable().optional(),
    date_of_birth: birthDateSchema.nullable().optional(),
    bio: z.string().trim().max(500).nullable().optional(),
    language: z.enum(LANGUAGES).optional(),
    notifications_email: z.boolean().optional(),
    notifications_push: z.boolean().optional(),
  })
  .openapi("UpdateMeRequest");

export const PasswordConfirmBody = z.strictObject({ password: z.string().min(1).max(128) }).openapi("PasswordConfirmRequest");

export const userIdParam = z.object({ user_id: z.uuid().openapi({ param: { name: "user_id", in: "path" } }) });

export const PublicProfileSchema = PublicUserSchema.extend({
  followers_count: z.number().int(),
  following_count: z.number().int(),
  is_following: z.boolean().optional().openapi({ description: "Present when the caller is signed in." }),
}).openapi("PublicProfile");

export const FollowSchema = z
  .object({ follower_id: z.string(), following_id: z.string(), notifications_enabled: z.boolean(), followed_at: z.string() })
  .openapi("Follow");

export const FollowBody = z.strictObject({ notifications_enabled: z.boolean().optional() }).openapi("FollowRequest");
export const FollowUpdateBody = z.strictObject({ notifications_enabled: z.boolean() }).openapi("FollowUpdateRequest");

export const FollowListItemSchema = PublicUserSchema.extend({ followed_at: z.string() }).openapi("FollowListItem");

type VerificationRow = typeof user_verifications.$inferSelect;

/** What the user sees of their own identity verification: never the storage keys. */
export const VerificationSchema = z
  .object({
    id: z.string(),
    status: z.enum(VERIFICATION_STATUSES),
    document_content_type: z.string(),
    selfie_content_type: z.string(),
    submitted_at: z.string(),
    reviewed_at: z.string().nullable(),
    admin_comment: z.string().nullable(),
    expires_at: z.string().nullable().openapi({ description: "Until when an approval holds; then the cron marks it EXPIRED and the account is no longer identity-verified (submit again)." }),
  })
  .openapi("Verification");

export const AdminVerificationSchema = VerificationSchema.extend({
  user: z.object({ id: z.string(), email: z.string(), first_name: z.string(), last_name: z.string() }),
  reviewer_id: z.string().nullable(),
  document_url: z.string(),
  selfie_url: z.string(),
}).openapi("AdminVerification");

export function toVerification(row: VerificationRow): z.infer<typeof VerificationSchema> {
  return {
    id: row.id,
    status: row.status,
    document_content_type: row.document_content_type,
    selfie_content_type: row.selfie_content_type,
    submitted_at: row.submitted_at,
    reviewed_at: row.reviewed_at,
    admin_comment: row.admin_comment,
    expires_at: row.expires_at,
  };
}

export function toAdminVerification(
  row: VerificationRow,
  user: Pick<UserRow, "id" | "email" | "first_name" | "last_name">,
): z.infer<typeof AdminVerificationSchema> {
  return {
    ...toVerification(row),
    user: { id: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name },
    reviewer_id: row.reviewer_id,
    document_url: `/v1/admin/verifications/${row.id}/document`,
    selfie_url: `/v1/admin/verifications/${row.id}/selfie`,
  };
}

export const ReviewBody = z
  .strictObject({
    comment: z.string().trim().max(2000).optional(),
    expires_at: instant
      .refine((t) => Date.parse(t) > Date.now(), { message: "The document must still be valid." })
      .optional()
      .openapi({ description: "The identity document's expiry, as read on it: the approval lasts until then. Without it, for the `identity_verification.validity_days` setting (365 days by default)." }),
  })
  .openapi("VerificationReviewRequest");
export const RejectBody = z
  .strictObject({ comment: z.string().trim().min(1, { message: "Say why the verification is rejected." }).max(2000) })
  .openapi("VerificationRejectRequest");

export const AdminUserQuery = z.object({
  role: z.enum(USER_ROLES).optional(),
  q: z.string().trim().min(1).max(100).optional().openapi({ description: "Prefix of the email, first name, last name or username." }),
  is_active: booleanQuery.optional(),
  ...pageQuery,
});

export const AdminUserUpdateBody = z
  .strictObject({ role: z.enum(USER_ROLES).optional(), is_active: z.boolean().optional() })
  .openapi("AdminUserUpdateRequest");
