import { and, asc, count, desc, eq, inArray, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Env } from "../env.ts";
import { revokeAllSessions } from "../auth/tokens.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { randomToken } from "../lib/crypto/hash.ts";
import { verifyPassword } from "../lib/crypto/passwords.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { definedFields } from "../lib/patch.ts";
import { addSeconds, now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { auditedUpdate, type Actor } from "../site/audit.ts";
import { getSetting } from "../site/settings.ts";
import { sniffImage, sniffType, VERIFICATION_FILE_MAX_BYTES, type DocumentType, type ImageType } from "./media.ts";
import { follows, user_verifications, users, VERIFICATION_STATUSES } from "./schema.ts";
import { toPublicUser, type AdminUserQuery, type AdminUserUpdateBody, type UpdateMeBody } from "./schemas.ts";

type UserRow = typeof users.$inferSelect;
type VerificationRow = typeof user_verifications.$inferSelect;

/** Compare-and-swap retries before a concurrent writer wins the race with a 409. */
const SWAP_ATTEMPTS = 3;

export async function loadUser(env: Env, userId: string): Promise<UserRow> {
  const [user] = await getDb(env.DB).select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user) throw problems.notFound("User");
  return user;
}

/** An active account, or 404: deactivated accounts are invisible to other people. */
async function loadActiveUser(env: Env, userId: string): Promise<UserRow> {
  const [user] = await getDb(env.DB)
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.is_active, true)))
    .limit(1);
  if (!user) throw problems.notFound("User");
  return user;
}

const displayName = (user: UserRow) => `${user.first_name} ${user.last_name}`.trim() || user.username || "SpotVibe";

// ---------------------------------------------------------------- own account

export async function updateProfile(env: Env, userId: string, input: z.infer<typeof UpdateMeBody>): Promise<UserRow> {
  const changes = definedFields(input) as Partial<UserRow>;
  if (Object.keys(changes).length === 0) return loadUser(env, userId);
  try {
    const [user] = await getDb(env.DB).update(users).set(changes).where(eq(users.id, userId)).returning();
    if (!user) throw problems.notFound("User");
    return user;
  } catch (error) {
    if (isUniqueViolation(error, "users.username")) throw problems.conflict("username_taken", "This username is taken.");
    throw error;
  }
}

/** Deactivates the caller's own account after checking the password, and ends every session. */
export async function deactivateOwnAccount(env: Env, userId: string, password: string): Promise<void> {
  const user = await loadUser(env, userId);
  if (!user.password_hash || !(await verifyPassword(password, user.password_hash, env.PASSWORD_PEPPER))) {
    throw problems.unauthorized("Wrong password.", "invalid_credentials");
  }
  await getDb(env.DB).update(users).set({ is_active: false, deactivated_at: now() }).where(eq(users.id, userId));
  await revokeAllSessions(env, userId, "ACCOUNT_DEACTIVATED");
}

/**
 * Points the user at a new photo (or none) and deletes the previous object.
 * The swap is a guarded UPDATE on the key read just before, so two concurrent
 * uploads never delete the object the other one just made current.
 */
export async function swapProfilePhoto(env: Env, userId: string, photo: { bytes: Uint8Array; type: ImageType } | null): Promise<UserRow> {
  const db = getDb(env.DB);
  const key = photo ? `users/${userId}/photo/${randomToken(18)}` : null;
  if (photo && key) await env.MEDIA.put(key, photo.bytes, { httpMetadata: { contentType: photo.type } });
  for (let attempt = 0; attempt < SWAP_ATTEMPTS; attempt++) {
    const [current] = await db.select({ key: users.profile_photo_key }).from(users).where(eq(users.id, userId)).limit(1);
    if (!current) {
      if (key) await env.MEDIA.delete(key);
      throw problems.notFound("User");
    }
    const [updated] = await db
      .update(users)
      .set({ profile_photo_key: key })
      .where(and(eq(users.id, userId), current.key === null ? isNull(users.profile_photo_key) : eq(users.profile_photo_key, current.key)))
      .returning();
    if (updated) {
      if (current.key) await env.MEDIA.delete(current.key);
      return updated;
    }
  }
  if (key) await env.MEDIA.delete(key);
  throw problems.conflict("concurrent_update", "The profile photo changed meanwhile; try again.");
}

// ---------------------------------------------------------------- public profiles and follows

export async function publicProfile(env: Env, userId: string, callerId: string | undefined) {
  const user = await loadActiveUser(env, userId);
  const db = getDb(env.DB);
  const countOf = (column: SQLiteColumn, other: SQLiteColumn) =>
    db.select({ n: count() }).from(follows).innerJoin(users, eq(users.id, other)).where(and(eq(column, userId), eq(users.is_active, true)));
  const [[followers], [following]] = await db.batch([countOf(follows.following_id, follows.follower_id), countOf(follows.follower_id, follows.following_id)]);
  const profile = { ...toPublicUser(user), followers_count: followers?.n ?? 0, following_count: following?.n ?? 0 };
  if (!callerId) return profile;
  const [mine] = await db
    .select({ n: count() })
    .from(follows)
    .where(and(eq(follows.follower_id, callerId), eq(follows.following_id, userId)));
  return { ...profile, is_following: (mine?.n ?? 0) > 0 };
}

/** Follows `targetId`; idempotent. `created` tells a new follow from an existing one. */
export async function follow(env: Env, followerId: string, targetId: string, notificationsEnabled: boolean | undefined) {
  if (followerId === targetId) throw new ProblemError(422, "cannot_follow_self", "Validation failed", "You cannot follow yourself.");
  const target = await loadActiveUser(env, targetId);
  const db = getDb(env.DB);
  const [created] = await db
    .insert(follows)
    .values({ follower_id: followerId, following_id: targetId, notifications_enabled: notificationsEnabled ?? true })
    .onConflictDoNothing()
    .returning();
  if (created) {
    const follower = await loadUser(env, followerId);
    await notify(env, [
      {
        type: "NEW_FOLLOWER",
        // Once per pair: unfollowing and following again does not notify twice.
        key: `new-follower:${followerId}:${targetId}`,
        user_id: target.id,
        data: { follower_name: displayName(follower), follower_id: followerId },
      },
    ]);
    return { follow: created, created: true };
  }
  if (notificationsEnabled !== undefined) return { follow: await updateFollow(env, followerId, targetId, notificationsEnabled), created: false };
  const [existing] = await db
    .select()
    .from(follows)
    .where(and(eq(follows.follower_id, followerId), eq(follows.following_id, targetId)))
    .limit(1);
  if (!existing) throw problems.conflict("concurrent_update", "The follow changed meanwhile; try again.");
  return { follow: existing, created: false };
}

export async function updateFollow(env: Env, followerId: string, targetId: string, notificationsEnabled: boolean) {
  const [updated] = await getDb(env.DB)
    .update(follows)
    .set({ notifications_enabled: notificationsEnabled })
    .where(and(eq(follows.follower_id, followerId), eq(follows.following_id, targetId)))
    .returning();
  if (!updated) throw problems.notFound("Follow");
  return updated;
}

export async function unfollow(env: Env, followerId: string, targetId: string): Promise<void> {
  await getDb(env.DB)
    .delete(follows)
    .where(and(eq(follows.follower_id, followerId), eq(follows.following_id, targetId)));
}

/** One page of a user's followers or followed accounts (active ones only), newest first. */
export async function listFollows(env: Env, userId: string, direction: "followers" | "following", limit: number, cursor: string | undefined) {
  await loadActiveUser(env, userId);
  const after = decodeCursor(cursor);
  const [mine, other] = direction === "followers" ? [follows.following_id, follows.follower_id] : [follows.follower_id, follows.following_id];
  const rows = await getDb(env.DB)
    .select({ user: users, followed_at: follows.followed_at })
    .from(follows)
    .innerJoin(users, eq(users.id, other))
    .where(
      and(
        eq(mine, userId),
        eq(users.is_active, true),
        afterCursor(after, follows.followed_at, other, "desc"),
      ),
    )
    .orderBy(desc(follows.followed_at), desc(other))
    .limit(limit + 1);
  const page = toPage(rows, limit, (row) => ({ k: row.followed_at, id: row.user.id }));
  return { data: page.data.map((row) => ({ ...toPublicUser(row.user), followed_at: row.followed_at })), next_cursor: page.next_cursor };
}

// ---------------------------------------------------------------- identity verification

export interface VerificationFiles {
  document: File;
  selfie: File;
}

async function readChecked(file: File, field: keyof VerificationFiles, accept: (bytes: Uint8Array) => DocumentType | null) {
  if (file.size > VERIFICATION_FILE_MAX_BYTES) {
    throw problems.payloadTooLarge(`\`${field}\` is larger than ${VERIFICATION_FILE_MAX_BYTES / 1024 / 1024} MB.`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const type = accept(bytes);
  if (!type) {
    const expected = field === "document" ? "a JPEG, PNG or WebP image or a PDF" : "a JPEG, PNG or WebP image";
    throw problems.unsupportedMediaType(`\`${field}\` must be ${expected}.`);
  }
  return { bytes, type };
}

const vaultPut = (env: Env, key: string, file: { bytes: Uint8Array; type: string }, userId: string) =>
  env.VAULT.put(key, file.bytes, { httpMetadata: { contentType: file.type }, customMetadata: { user_id: userId } });

/**
 * Stores the documents under a random folder (never derived from the user id)
 * and records a PENDING verification. A user has at most one verification;
 * a REJECTED or EXPIRED one is replaced in one batch (delete guarded on its
 * id and status, then insert), so two concurrent submissions cannot both win:
 * the loser hits the unique index on user_id and gets 409.
 */
export async function submitVerification(env: Env, userId: string, files: VerificationFiles): Promise<VerificationRow> {
  const document = await readChecked(files.document, "document", sniffType);
  const selfie = await readChecked(files.selfie, "selfie", sniffImage);
  const db = getDb(env.DB);
  const [previous] = await db.select().from(user_verifications).where(eq(user_verifications.user_id, userId)).limit(1);
  if (previous?.status === "PENDING") throw problems.conflict("verification_pending", "A verification is already waiting for review.");
  if (previous?.status === "APPROVED") throw problems.conflict("already_verified", "Your identity is already verified.");

  const folder = `verifications/${crypto.randomUUID()}`;
  const row = {
    id: newId(),
    user_id: userId,
    document_key: `${folder}/document`,
    document_content_type: document.type,
    selfie_key: `${folder}/selfie`,
    selfie_content_type: selfie.type,
    status: "PENDING" as const,
    submitted_at: now(),
  };
  await Promise.all([vaultPut(env, row.document_key, document, userId), vaultPut(env, row.selfie_key, selfie, userId)]);
  const insert = db.insert(user_verifications).values(row).returning();
  try {
    if (previous) {
      const replaceable = inArray(user_verifications.status, ["REJECTED", "EXPIRED"]);
      await db.batch([db.delete(user_verifications).where(and(eq(user_verifications.id, previous.id), replaceable)), insert]);
    } else {
      await insert;
    }
  } catch (error) {
    await env.VAULT.delete([row.document_key, row.selfie_key]);
    if (isUniqueViolation(error, "user_verifications.user_id")) {
      throw problems.conflict("verification_pending", "Another verification was submitted meanwhile.");
    }
    throw error;
  }
  if (previous) await env.VAULT.delete([previous.document_key, previous.selfie_key]);
  return { ...row, reviewed_at: null, reviewer_id: null, admin_comment: null, expires_at: null, updated_at: row.submitted_at };
}

export async function ownVerification(env: Env, userId: string): Promise<VerificationRow> {
  const [row] = await getDb(env.DB).select().from(user_verifications).where(eq(user_verifications.user_id, userId)).limit(1);
  if (!row) throw problems.notFound("Verification");
  return row;
}

const verificationUser = { id: users.id, email: users.email, first_name: users.first_name, last_name: users.last_name, language: users.language };

export async function adminVerification(env: Env, id: string) {
  const [row] = await getDb(env.DB)
    .select({ verification: user_verifications, user: verificationUser })
    .from(user_verifications)
    .innerJoin(users, eq(users.id, user_verifications.user_id))
    .where(eq(user_verifications.id, id))
    .limit(1);
  if (!row) throw problems.notFound("Verification");
  return row;
}

/** The review queue: oldest submissions first, optionally of one status. */
export async function listVerifications(
  env: Env,
  status: (typeof VERIFICATION_STATUSES)[number] | undefined,
  limit: number,
  cursor: string | undefined,
) {
  const after = decodeCursor(cursor);
  const rows = await getDb(env.DB)
    .select({ verification: user_verifications, user: verificationUser })
    .from(user_verifications)
    .innerJoin(users, eq(users.id, user_verifications.user_id))
    .where(
      and(
        status ? eq(user_verifications.status, status) : undefined,
        afterCursor(after, user_verifications.submitted_at, user_verifications.id),
      ),
    )
    .orderBy(asc(user_verifications.submitted_at), asc(user_verifications.id))
    .limit(limit + 1);
  return toPage(rows, limit, (row) => ({ k: row.verification.submitted_at, id: row.verification.id }));
}

/**
 * Approves or rejects a PENDING verification, audited (APPROVE / REJECT) with
 * its before and after state. The status change is guarded on PENDING, so a
 * verification is decided once; an approval marks the user verified in the
 * same batch, only if this very decision was written.
 */
export async function reviewVerification(
  env: Env,
  id: string,
  actor: Actor,
  decision: "APPROVED" | "REJECTED",
  comment: string | undefined,
  expiresAt?: string,
) {
  const db = getDb(env.DB);
  const { verification: current, user } = await adminVerification(env, id);
  if (current.status !== "PENDING") throw problems.conflict("verification_not_pending", `This verification is already ${current.status}.`);
  const at = now();
  // An approval lasts until the document's expiry the reviewer read, else the platform's validity period.
  const validUntil =
    decision === "APPROVED" ? (expiresAt ?? addSeconds(at, (await getSetting(env, VERIFICATION_VALIDITY_SETTING, "INTEGER", DEFAULT_VERIFICATION_VALIDITY_DAYS)) * 86_400)) : null;
  let verification: VerificationRow;
  try {
    ({ after: verification } = await auditedUpdate(
      db,
      actor,
      user_verifications,
      id,
      { status: decision, reviewer_id: actor.userId, reviewed_at: at, admin_comment: comment || null, expires_at: validUntil },
      {
        action: decision === "APPROVED" ? "APPROVE" : "REJECT",
        guard: eq(user_verifications.status, "PENDING"),
        what: "Verification",
        also: (written) =>
          decision === "APPROVED"
            ? [db.update(users).set({ is_identity_verified: true, identity_verified_at: at }).where(and(eq(users.id, current.user_id), written))]
            : [],
      },
    ));
  } catch (error) {
    if (!(error instanceof ProblemError && error.code === "concurrent_change")) throw error;
    const { verification: latest } = await adminVerification(env, id);
    if (latest.status !== "PENDING") throw problems.conflict("verification_not_pending", `This verification is already ${latest.status}.`);
    throw error;
  }
  await notify(env, [
    { type: decision === "APPROVED" ? "VERIFICATION_APPROVED" : "VERIFICATION_REJECTED", key: `verification:${id}:${decision}`, user_id: user.id, data: { comment: comment ?? "" } },
  ]);
  return { verification, user };
}

/** The setting (days) an approval lasts when the reviewer gives no document expiry, and its default. */
export const VERIFICATION_VALIDITY_SETTING = "identity_verification.validity_days";
export const DEFAULT_VERIFICATION_VALIDITY_DAYS = 365;

/**
 * Cron: APPROVED verifications past their `expires_at` become EXPIRED and
 * their users are no longer identity-verified, in one batch (guarded
 * statements: a rerun or an overlapping run changes nothing more). The user
 * may then submit new documents. Returns how many expired.
 */
export async function expireVerifications(env: Env, at: string = now()): Promise<number> {
  const db = getDb(env.DB);
  const v = user_verifications;
  const [expired] = await db.batch([
    db
      .update(v)
      .set({ status: "EXPIRED", updated_at: at })
      .where(and(eq(v.status, "APPROVED"), lte(v.expires_at, at)))
      .returning({ user_id: v.user_id }),
    db
      .update(users)
      .set({ is_identity_verified: false, identity_verified_at: null })
      .where(and(eq(users.is_identity_verified, true), inArray(users.id, db.select({ id: v.user_id }).from(v).where(eq(v.status, "EXPIRED"))))),
  ]);
  return expired.length;
}

// ---------------------------------------------------------------- administration of accounts

/** `LIKE` pattern for a literal prefix: `%`, `_` and `\` in the input match themselves. */
const prefixPattern = (text: string) => `${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

export async function listUsers(env: Env, query: z.infer<typeof AdminUserQuery>) {
  const after = decodeCursor(query.cursor);
  const conditions: (SQL | undefined)[] = [
    query.role ? eq(users.role, query.role) : undefined,
    query.is_active !== undefined ? eq(users.is_active, query.is_active) : undefined,
    afterCursor(after, users.created_at, users.id, "desc"),
  ];
  if (query.q) {
    const pattern = prefixPattern(query.q);
    const like = (column: SQL) => sql`${column} LIKE ${pattern} ESCAPE '\\'`;
    conditions.push(
      or(
        like(sql`${users.email}`),
        like(sql`${users.username}`),
        like(sql`${users.last_name}`),
        like(sql`(${users.first_name} || ' ' || ${users.last_name})`),
      ),
    );
  }
  const rows = await getDb(env.DB)
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(desc(users.created_at), desc(users.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

/**
 * Changes a user's role or active flag, audited with the account's before and
 * after state. Admins cannot demote or deactivate themselves (no lock-out by mistake).
 */
export async function adminUpdateUser(env: Env, actor: Actor, userId: string, input: z.infer<typeof AdminUserUpdateBody>): Promise<UserRow> {
  if (userId === actor.userId && ((input.role !== undefined && input.role !== "ADMIN") || input.is_active === false)) {
    throw problems.conflict("cannot_change_own_admin", "You cannot remove your own administrator role or deactivate your own account.");
  }
  const current = await loadUser(env, userId);
  const changes: Partial<UserRow> = {};
  if (input.role !== undefined) changes.role = input.role;
  if (input.is_active !== undefined) {
    changes.is_active = input.is_active;
    // An already deactivated account keeps the date it was deactivated.
    changes.deactivated_at = input.is_active ? null : (current.deactivated_at ?? now());
  }
  if (Object.keys(changes).length === 0) return current;
  const { after } = await auditedUpdate(getDb(env.DB), actor, users, userId, changes, {
    // The deactivation date was derived from this state.
    guard: current.deactivated_at === null ? isNull(users.deactivated_at) : eq(users.deactivated_at, current.deactivated_at),
    what: "User",
  });
  if (input.is_active === false) await revokeAllSessions(env, userId, "ACCOUNT_DEACTIVATED");
  return after;
}
