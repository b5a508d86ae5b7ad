import { createRoute, z } from "@hono/zod-openapi";
import { ownBodyLimit } from "../lib/body-limit.ts";
import { and, eq } from "drizzle-orm";
import { adminOnly, requireAuth, signedIn } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { binaryContent, DOCUMENT_TYPES, IMAGE_TYPES, PHOTO_MAX_BYTES, readImageBody, serveMedia, VERIFICATION_FILE_MAX_BYTES } from "./media.ts";
import { user_verifications, users, VERIFICATION_STATUSES } from "./schema.ts";
import {
  AdminUserQuery,
  AdminUserUpdateBody,
  AdminVerificationSchema,
  FollowBody,
  FollowListItemSchema,
  FollowSchema,
  FollowUpdateBody,
  PasswordConfirmBody,
  PublicProfileSchema,
  RejectBody,
  ReviewBody,
  toAdminVerification,
  toUser,
  toVerification,
  UpdateMeBody,
  UserSchema,
  userIdParam,
  VerificationSchema,
} from "./schemas.ts";
import {
  adminUpdateUser,
  adminVerification,
  deactivateOwnAccount,
  follow,
  listFollows,
  listUsers,
  listVerifications,
  loadUser,
  ownVerification,
  publicProfile,
  reviewVerification,
  submitVerification,
  swapProfilePhoto,
  unfollow,
  updateFollow,
  updateProfile,
} from "./service.ts";

const tags = ["Users"];
const verificationTags = ["Identity verification"];
const adminTags = ["Administration"];
const noContent = { description: "Done." };

const fileField = z.instanceof(File, { message: "Expected a file." }).openapi({ type: "string", format: "binary" });

const VerificationUploadBody = z
  .strictObject({
    document: fileField.openapi({ description: "Identity card, passport or other official document: JPEG, PNG, WebP or PDF, at most 10 MB." }),
    selfie: fileField.openapi({ description: "A photo of you holding the document: JPEG, PNG or WebP, at most 10 MB." }),
  })
  .openapi("VerificationUpload");

const verificationIdParam = z.object({ verification_id: z.uuid() });

export function userRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ my account

  r.openapi(
    createRoute({ method: "get", path: "/me", operationId: "getMe", tags, security: bearerAuth, summary: "My account", responses: { 200: jsonResponse(UserSchema, "The signed-in user."), ...errors() } }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(toUser(await loadUser(c.env, auth.userId)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/me",
      operationId: "updateMe",
      tags,
      security: bearerAuth,
      summary: "Update my profile",
      description:
        "Names, username, phone (Benin +229 01XXXXXXXX or Tunisia +216 XXXXXXXX), date of birth, bio, language and notification preferences; `null` clears an optional field. Email, password and role have their own flows.",
      request: { body: jsonBody(UpdateMeBody) },
      responses: { 200: jsonResponse(UserSchema, "The updated account."), ...errors("username_taken") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(toUser(await updateProfile(c.env, auth.userId, c.req.valid("json"))), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/me",
      operationId: "deactivateMe",
      tags,
      security: bearerAuth,
      summary: "Deactivate my account",
      description: "Needs the password. Ends every session, closing their gate and observer sockets (4003); the account can be reactivated with /v1/auth/reactivation/request.",
      request: { body: jsonBody(PasswordConfirmBody) },
      responses: { 204: noContent, ...errors("invalid_credentials") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await deactivateOwnAccount(c.env, auth.userId, c.req.valid("json").password);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ profile photo

  r.openapi(
    createRoute({
      method: "put",
      path: "/me/photo",
      operationId: "uploadMyPhoto",
      tags,
      security: bearerAuth,
      summary: "Upload my profile photo",
      description:
        "The raw image is the body (JPEG, PNG or WebP, at most 5 MB). Its type is read from its content; the previous photo is deleted.",
      middleware: [signedIn, ownBodyLimit(PHOTO_MAX_BYTES, "A profile photo")] as const,
      request: { body: { required: true, content: binaryContent(IMAGE_TYPES) } },
      responses: { 200: jsonResponse(UserSchema, "The account with its new `profile_photo_url`."), ...errors("concurrent_update", "payload_too_large", "unsupported_media_type") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(toUser(await swapProfilePhoto(c.env, auth.userId, await readImageBody(c))), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/me/photo",
      operationId: "deleteMyPhoto",
      tags,
      security: bearerAuth,
      summary: "Remove my profile photo",
      responses: { 204: noContent, ...errors("concurrent_update") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await swapProfilePhoto(c.env, auth.userId, null);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/users/{user_id}/photo",
      operationId: "getUserPhoto",
      tags,
      summary: "A user's profile photo",
      description:
        "Public. With `v` (as in `profile_photo_url`) the response is immutable and cached for a year; a `v` of a replaced photo is 404. Without `v` caches revalidate with the ETag.",
      request: { params: userIdParam, query: z.object({ v: z.string().max(100).optional() }) },
      responses: {
        200: { description: "The image.", content: binaryContent(IMAGE_TYPES) },
        304: { description: "Not modified (If-None-Match)." },
        ...errors("not_found"),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid("param");
      const { v } = c.req.valid("query");
      const [user] = await getDb(c.env.DB)
        .select({ key: users.profile_photo_key })
        .from(users)
        .where(and(eq(users.id, user_id), eq(users.is_active, true)))
        .limit(1);
      const key = user?.key;
      if (!key || (v !== undefined && v !== key.split("/").pop())) throw problems.notFound("Photo");
      return serveMedia(c, key, v !== undefined, "Photo");
    },
  );

  // ------------------------------------------------------------ public profiles and follows

  r.openapi(
    createRoute({
      method: "get",
      path: "/users/{user_id}",
      operationId: "getUserProfile",
      tags,
      summary: "A user's public profile",
      description: "Name, username, bio, photo, whether the identity is verified, and since when; with follower counts, and `is_following` when the caller is signed in. Never the email, phone or role. Deactivated accounts are 404.",
      request: { params: userIdParam },
      responses: { 200: jsonResponse(PublicProfileSchema, "The profile."), ...errors("not_found") },
    }),
    async (c) => c.json(await publicProfile(c.env, c.req.valid("param").user_id, c.get("auth")?.userId), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/users/{user_id}/follow",
      operationId: "followUser",
      tags,
      security: bearerAuth,
      summary: "Follow a user",
      description: "Idempotent: 201 for a new follow, 200 when already following. The followed user gets a NEW_FOLLOWER notification once.",
      request: { params: userIdParam, body: { ...jsonBody(FollowBody), required: false } },
      responses: {
        200: jsonResponse(FollowSchema, "Already following."),
        201: jsonResponse(FollowSchema, "Now following."),
        ...errors("cannot_follow_self", "not_found"),
      },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const result = await follow(c.env, auth.userId, c.req.valid("param").user_id, c.req.valid("json").notifications_enabled);
      return result.created ? c.json(result.follow, 201) : c.json(result.follow, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/users/{user_id}/follow",
      operationId: "updateFollow",
      tags,
      security: bearerAuth,
      summary: "Turn notifications for a followed user on or off",
      request: { params: userIdParam, body: jsonBody(FollowUpdateBody) },
      responses: { 200: jsonResponse(FollowSchema, "Updated."), ...errors("not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(await updateFollow(c.env, auth.userId, c.req.valid("param").user_id, c.req.valid("json").notifications_enabled), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/users/{user_id}/follow",
      operationId: "unfollowUser",
      tags,
      security: bearerAuth,
      summary: "Unfollow a user",
      description: "Idempotent.",
      request: { params: userIdParam },
      responses: { 204: noContent, ...errors() },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      await unfollow(c.env, auth.userId, c.req.valid("param").user_id);
      return c.body(null, 204);
    },
  );

  for (const direction of ["followers", "following"] as const) {
    r.openapi(
      createRoute({
        method: "get",
        path: `/users/{user_id}/${direction}`,
        operationId: direction === "followers" ? "listFollowers" : "listFollowing",
        tags,
        summary: direction === "followers" ? "Who follows a user" : "Whom a user follows",
        request: { params: userIdParam, query: z.object(pageQuery) },
        responses: { 200: jsonResponse(pageSchema(FollowListItemSchema), "Newest first."), ...errors("not_found") },
      }),
      async (c) => {
        const { limit, cursor } = c.req.valid("query");
        return c.json(await listFollows(c.env, c.req.valid("param").user_id, direction, limit, cursor), 200);
      },
    );
  }

  // ------------------------------------------------------------ identity verification

  r.openapi(
    createRoute({
      method: "post",
      path: "/me/verification",
      operationId: "submitIdentityVerification",
      tags: verificationTags,
      security: bearerAuth,
      summary: "Submit my identity documents",
      description:
        "multipart/form-data with `document` and `selfie`. Types are read from the files' content. Allowed when there is no verification or the last one was REJECTED or EXPIRED.",
      middleware: [signedIn, ownBodyLimit(2 * VERIFICATION_FILE_MAX_BYTES + 64 * 1024, "A verification upload")] as const,
      request: { body: { required: true, content: { "multipart/form-data": { schema: VerificationUploadBody } } } },
      responses: { 201: jsonResponse(VerificationSchema, "Submitted; waiting for review."), ...errors("already_verified", "payload_too_large", "unsupported_media_type", "verification_pending") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(toVerification(await submitVerification(c.env, auth.userId, c.req.valid("form"))), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/verification",
      operationId: "getMyIdentityVerification",
      tags: verificationTags,
      security: bearerAuth,
      summary: "My identity verification",
      responses: { 200: jsonResponse(VerificationSchema, "Its status and review."), ...errors("not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return c.json(toVerification(await ownVerification(c.env, auth.userId)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/verifications",
      operationId: "listIdentityVerifications",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Identity verifications to review",
      description: "Oldest submission first; filter with `status=PENDING` for the review queue.",
      request: { query: z.object({ status: z.enum(VERIFICATION_STATUSES).optional(), ...pageQuery }) },
      responses: { 200: jsonResponse(pageSchema(AdminVerificationSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const { status, limit, cursor } = c.req.valid("query");
      const page = await listVerifications(c.env, status, limit, cursor);
      return c.json({ data: page.data.map((row) => toAdminVerification(row.verification, row.user)), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/verifications/{verification_id}",
      operationId: "getIdentityVerification",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One identity verification",
      request: { params: verificationIdParam },
      responses: { 200: jsonResponse(AdminVerificationSchema, "The verification."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { verification, user } = await adminVerification(c.env, c.req.valid("param").verification_id);
      return c.json(toAdminVerification(verification, user), 200);
    },
  );

  for (const file of ["document", "selfie"] as const) {
    r.openapi(
      createRoute({
        method: "get",
        path: `/admin/verifications/{verification_id}/${file}`,
        operationId: file === "document" ? "getVerificationDocument" : "getVerificationSelfie",
        tags: adminTags,
        security: bearerAuth,
        summary: file === "document" ? "The identity document of a verification" : "The selfie of a verification",
        description: "Streamed from private storage; never cached.",
        middleware: [adminOnly] as const,
        request: { params: verificationIdParam },
        responses: {
          200: { description: "The file.", content: binaryContent(file === "document" ? DOCUMENT_TYPES : IMAGE_TYPES) },
          ...errors("forbidden", "not_found"),
        },
      }),
      async (c) => {
        const [row] = await getDb(c.env.DB)
          .select({ key: user_verifications[`${file}_key`], type: user_verifications[`${file}_content_type`] })
          .from(user_verifications)
          .where(eq(user_verifications.id, c.req.valid("param").verification_id))
          .limit(1);
        const object = row ? await c.env.VAULT.get(row.key) : null;
        if (!row || !object) throw problems.notFound("File");
        return c.body(object.body, 200, {
          "Content-Type": row.type,
          "Content-Disposition": `inline; filename="${file}"`,
          "Cache-Control": "private, no-store",
        });
      },
    );
  }

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/verifications/{verification_id}/approve",
      operationId: "approveIdentityVerification",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Approve a pending identity verification",
      description:
        "Marks the user identity-verified and emails them (VERIFICATION_APPROVED). The approval lasts until `expires_at` (the document's expiry), else for the `identity_verification.validity_days` setting (365 days by default); then the cron marks it EXPIRED and the user is no longer identity-verified.",
      request: { params: verificationIdParam, body: { ...jsonBody(ReviewBody), required: false } },
      responses: { 200: jsonResponse(AdminVerificationSchema, "Approved."), ...errors("concurrent_change", "forbidden", "not_found", "verification_not_pending") },
    }),
    async (c) => {
      const { verification, user } = await reviewVerification(c.env, c.req.valid("param").verification_id, actorOf(c), "APPROVED", c.req.valid("json").comment, c.req.valid("json").expires_at);
      return c.json(toAdminVerification(verification, user), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/verifications/{verification_id}/reject",
      operationId: "rejectIdentityVerification",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Reject a pending identity verification",
      description: "The comment is required and sent to the user (VERIFICATION_REJECTED); they may submit again.",
      request: { params: verificationIdParam, body: jsonBody(RejectBody) },
      responses: { 200: jsonResponse(AdminVerificationSchema, "Rejected."), ...errors("concurrent_change", "forbidden", "not_found", "verification_not_pending") },
    }),
    async (c) => {
      const { verification, user } = await reviewVerification(c.env, c.req.valid("param").verification_id, actorOf(c), "REJECTED", c.req.valid("json").comment);
      return c.json(toAdminVerification(verification, user), 200);
    },
  );

  // ------------------------------------------------------------ administration of accounts

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/users",
      operationId: "searchUsers",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Search accounts",
      description: "`q` matches the start of the email, first name, last name, full name or username. Newest accounts first.",
      request: { query: AdminUserQuery },
      responses: { 200: jsonResponse(pageSchema(UserSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listUsers(c.env, c.req.valid("query"));
      return c.json({ data: page.data.map(toUser), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/users/{user_id}",
      operationId: "getUser",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One account",
      request: { params: userIdParam },
      responses: { 200: jsonResponse(UserSchema, "The account."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      return c.json(toUser(await loadUser(c.env, c.req.valid("param").user_id)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/users/{user_id}",
      operationId: "updateUser",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Change an account's role or deactivate it",
      description: "Takes effect on the account's next request. Deactivation ends its sessions and closes their gate and observer sockets (4003). Admins cannot demote or deactivate themselves.",
      request: { params: userIdParam, body: jsonBody(AdminUserUpdateBody) },
      responses: { 200: jsonResponse(UserSchema, "The updated account."), ...errors("cannot_change_own_admin", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      return c.json(toUser(await adminUpdateUser(c.env, actorOf(c), c.req.valid("param").user_id, c.req.valid("json"))), 200);
    },
  );

  return r;
}
