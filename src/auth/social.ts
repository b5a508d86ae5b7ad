import { and, asc, eq, exists, isNotNull, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { createRemoteJWKSet, errors as jose, jwtVerify } from "jose";
import { z } from "zod";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { encryptSecret } from "../lib/crypto/encryption.ts";
import { toHex } from "../lib/crypto/encoding.ts";
import { hmacSha256 } from "../lib/crypto/hash.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { ipKey, type ClientMeta } from "../lib/request.ts";
import { addSeconds, now, toTimestamp } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { users } from "../users/schema.ts";
import { social_accounts, SOCIAL_PROVIDERS } from "./schema.ts";
import { completeFirstFactor, recordFailure } from "./service.ts";
import type { TokenPair } from "./tokens.ts";
import type { MfaRequired } from "./two-factor.ts";

export type SocialProvider = (typeof SOCIAL_PROVIDERS)[number];
type UserRow = typeof users.$inferSelect;
type AccountRow = typeof social_accounts.$inferSelect;

/** What the app sends: a Google ID token (with OAuth tokens to keep, if any) or a Facebook user access token. */
export type SocialCredential =
  | { provider: "GOOGLE"; id_token: string; access_token?: string; refresh_token?: string; expires_in?: number }
  | { provider: "FACEBOOK"; access_token: string };

/** An identity the provider vouched for, and the provider tokens to keep (plaintext until sealed). */
export interface ProviderIdentity {
  provider: SocialProvider;
  social_id: string;
  email: string | null;
  email_verified: boolean;
  full_name: string | null;
  first_name: string;
  last_name: string;
  photo_url: string | null;
  access_token: string | null;
  refresh_token: string | null;
  token_expires_at: string | null;
}

export const ACCESS_TOKEN_PURPOSE = "social_accounts.access_token";
export const REFRESH_TOKEN_PURPOSE = "social_accounts.refresh_token";
const GOOGLE_ISSUERS = ["https://accounts.google.com", "accounts.google.com"];
const PROVIDER_TIMEOUT_MS = 5_000;
const NAME_MAX = 150;
const LABEL: Record<SocialProvider, string> = { GOOGLE: "Google", FACEBOOK: "Facebook" };

const invalidToken = (provider: SocialProvider) =>
  problems.unauthorized(`The ${LABEL[provider]} token is not valid; sign in with ${LABEL[provider]} again.`, "invalid_social_token");
const providerUnavailable = (provider: SocialProvider) =>
  new ProblemError(503, "provider_unavailable", "Service unavailable", `${LABEL[provider]} could not be reached; try again in a moment.`);
const deactivated = () =>
  new ProblemError(403, "account_deactivated", "Account deactivated", "This account is deactivated; ask for a reactivation code.");

/** "Awa Koné Diallo" → first "Awa", last "Koné Diallo", within the users columns' limits. */
function splitName(fullName: string | null): { first_name: string; last_name: string } {
  const [first = "", ...rest] = (fullName ?? "").trim().split(/\s+/);
  return { first_name: first.slice(0, NAME_MAX), last_name: rest.join(" ").slice(0, NAME_MAX) };
}

// One key set per JWKS URL for the isolate's life: jose caches Google's keys and refetches on an unknown kid.
const googleKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function googleKeys(url: string) {
  let keys = googleKeySets.get(url);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(url));
    googleKeySets.set(url, keys);
  }
  return keys;
}

// jose's verdicts on the key set itself (not on the token): Google answered badly or not at all.
const KEY_SET_FAILURES = new Set([jose.JOSEError.code, jose.JWKSTimeout.code, jose.JWKSInvalid.code]);

const GoogleClaims = z.object({
  sub: z.string().min(1).max(255),
  email: z.email().max(254).optional(),
  email_verified: z.union([z.boolean(), z.enum(["true", "false"])]).optional(),
  name: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  picture: z.url().optional(),
});

/** Verifies a Google ID token: RS256 by one of Google's published keys, Google's issuer, one of our client ids, unexpired. */
export async function verifyGoogleIdToken(env: Env, idToken: string): Promise<ProviderIdentity> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(idToken, googleKeys(env.GOOGLE_JWKS_URL), {
      algorithms: ["RS256"],
      issuer: GOOGLE_ISSUERS,
      audience: env.GOOGLE_CLIENT_IDS.split(",").map((id) => id.trim()).filter(Boolean),
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (error) {
    // Anything but a jose verdict on the token (a network error, a timeout, a bad JWKS answer) means Google is unreachable.
    if (!(error instanceof jose.JOSEError) || KEY_SET_FAILURES.has(error.code)) throw providerUnavailable("GOOGLE");
    throw invalidToken("GOOGLE");
  }
  const claims = GoogleClaims.safeParse(payload);
  if (!claims.success) throw invalidToken("GOOGLE");
  const { sub, email, email_verified, name, given_name, family_name, picture } = claims.data;
  const split = splitName(name ?? null);
  return {
    provider: "GOOGLE",
    social_id: sub,
    email: email?.toLowerCase() ?? null,
    email_verified: email_verified === true || email_verified === "true",
    full_name: name ?? null,
    first_name: given_name?.trim().slice(0, NAME_MAX) || split.first_name,
    last_name: family_name?.trim().slice(0, NAME_MAX) || split.last_name,
    photo_url: picture ?? null,
    access_token: null,
    refresh_token: null,
    token_expires_at: null,
  };
}

/** GET on the Graph API: a 5xx, a timeout or no answer is Facebook being unavailable; 4xx is returned to the caller. */
async function graphGet(url: URL): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch {
    throw providerUnavailable("FACEBOOK");
  }
  if (response.status >= 500) throw providerUnavailable("FACEBOOK");
  try {
    return { status: response.status, body: await response.json() };
  } catch {
    throw providerUnavailable("FACEBOOK");
  }
}

const DebugToken = z.object({
  data: z.object({
    is_valid: z.boolean(),
    app_id: z.string().optional(),
    user_id: z.string().optional(),
    expires_at: z.number().int().nonnegative().optional(), // 0: never expires
  }),
});

const FacebookMe = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  email: z.email().max(254).optional(),
  picture: z.object({ data: z.object({ url: z.url().optional() }) }).optional(),
});

/**
 * Verifies a Facebook user access token the way Facebook asks servers to:
 * `debug_token` with our app token proves it is valid and was issued to OUR
 * app (a token issued to another app must not sign anyone in here), then
 * `/me` signed with `appsecret_proof` reads the profile of that same user.
 */
export async function verifyFacebookToken(env: Env, accessToken: string): Promise<ProviderIdentity> {
  const graph = env.FACEBOOK_GRAPH_URL.replace(/\/+$/, "");
  const debugUrl = new URL(`${graph}/debug_token`);
  debugUrl.searchParams.set("input_token", accessToken);
  debugUrl.searchParams.set("access_token", `${env.FACEBOOK_APP_ID}|${env.FACEBOOK_APP_SECRET}`);
  const debug = await graphGet(debugUrl);
  if (debug.status !== 200) throw invalidToken("FACEBOOK");
  const inspected = DebugToken.safeParse(debug.body);
  if (!inspected.success) throw providerUnavailable("FACEBOOK");
  const { is_valid, app_id, user_id, expires_at } = inspected.data.data;
  if (!is_valid || app_id !== env.FACEBOOK_APP_ID || !user_id) throw invalidToken("FACEBOOK");

  const meUrl = new URL(`${graph}/me`);
  meUrl.searchParams.set("fields", "id,name,email,picture");
  meUrl.searchParams.set("access_token", accessToken);
  meUrl.searchParams.set("appsecret_proof", toHex(await hmacSha256(env.FACEBOOK_APP_SECRET, accessToken)));
  const me = await graphGet(meUrl);
  if (me.status !== 200) throw invalidToken("FACEBOOK");
  const profile = FacebookMe.safeParse(me.body);
  if (!profile.success) throw providerUnavailable("FACEBOOK");
  if (profile.data.id !== user_id) throw invalidToken("FACEBOOK");

  const { name, email, picture } = profile.data;
  return {
    provider: "FACEBOOK",
    social_id: user_id,
    email: email?.toLowerCase() ?? null,
    // Facebook only returns an address its owner confirmed.
    email_verified: email !== undefined,
    full_name: name ?? null,
    ...splitName(name ?? null),
    photo_url: picture?.data.url ?? null,
    access_token: accessToken,
    refresh_token: null,
    token_expires_at: expires_at ? toTimestamp(expires_at * 1000) : null,
  };
}

/** Asks the provider who the credential belongs to. */
export async function verifyCredential(env: Env, credential: SocialCredential): Promise<ProviderIdentity> {
  if (credential.provider === "FACEBOOK") return verifyFacebookToken(env, credential.access_token);
  const identity = await verifyGoogleIdToken(env, credential.id_token);
  return {
    ...identity,
    access_token: credential.access_token ?? null,
    refresh_token: credential.refresh_token ?? null,
    token_expires_at: credential.access_token && credential.expires_in ? addSeconds(now(), credential.expires_in) : null,
  };
}

/** The provider's profile and tokens as social_accounts columns; tokens sealed, absent ones left as they are. */
async function accountColumns(env: Env, identity: ProviderIdentity) {
  return {
    email: identity.email,
    full_name: identity.full_name,
    photo_url: identity.photo_url,
    last_used_at: now(),
    ...(identity.access_token && {
      access_token_encrypted: await encryptSecret(env.DATA_ENCRYPTION_KEY, ACCESS_TOKEN_PURPOSE, identity.access_token),
      token_expires_at: identity.token_expires_at,
    }),
    ...(identity.refresh_token && {
      refresh_token_encrypted: await encryptSecret(env.DATA_ENCRYPTION_KEY, REFRESH_TOKEN_PURPOSE, identity.refresh_token),
    }),
  };
}

const attemptedAs = (identity: Pick<ProviderIdentity, "provider" | "email">) => identity.email ?? `social:${identity.provider.toLowerCase()}`;

/**
 * The account a verified identity signs in to, linking or creating it:
 * 1. the identity is linked → its user;
 * 2. else a user with the same address, when BOTH sides proved it: the
 *    provider says the address is verified, and the local account verified it
 *    too (otherwise someone who registered a victim's address in advance, or
 *    owns a provider account with an unconfirmed address, would share the account);
 * 3. else a new user, only from a verified address (an unverified one would
 *    let someone claim an address before its owner signs up).
 */
async function resolveUser(env: Env, identity: ProviderIdentity, meta: ClientMeta): Promise<{ user: UserRow; created: boolean }> {
  const db = getDb(env.DB);
  const fail = async (userId: string | null, reason: string, error: ProblemError) => {
    await recordFailure(env, attemptedAs(identity), userId, "FAILED", reason, meta);
    return error;
  };

  const [linked] = await db
    .select({ account: social_accounts, user: users })
    .from(social_accounts)
    .innerJoin(users, eq(users.id, social_accounts.user_id))
    .where(and(eq(social_accounts.provider, identity.provider), eq(social_accounts.social_id, identity.social_id)))
    .limit(1);
  if (linked) {
    if (!linked.user.is_active) throw await fail(linked.user.id, "account_deactivated", deactivated());
    if (!linked.account.is_active) {
      throw await fail(linked.user.id, "social_account_disabled", problems.forbidden(`This ${LABEL[identity.provider]} link is disabled.`, "social_account_disabled"));
    }
    await db.update(social_accounts).set(await accountColumns(env, identity)).where(eq(social_accounts.id, linked.account.id));
    return { user: linked.user, created: false };
  }

  if (!identity.email || !identity.email_verified) {
    const detail = identity.email
      ? `${LABEL[identity.provider]} has not verified this email address; verify it there, or sign up with a password.`
      : `${LABEL[identity.provider]} did not share an email address; allow it, or sign up with a password.`;
    throw await fail(null, "social_email_unverified", problems.forbidden(detail, "verified_email_required"));
  }

  const [existing] = await db.select().from(users).where(eq(users.email, identity.email)).limit(1);
  if (existing) {
    if (!existing.is_active) throw await fail(existing.id, "account_deactivated", deactivated());
    if (!existing.email_verified_at) {
      throw await fail(
        existing.id,
        "local_email_unverified",
        problems.conflict("email_unverified_account", "An account uses this address but never verified it; sign in with its password, or reset the password, then link this provider."),
      );
    }
    try {
      await db.insert(social_accounts).values({ id: newId(), user_id: existing.id, provider: identity.provider, social_id: identity.social_id, ...(await accountColumns(env, identity)) });
    } catch (error) {
      if (isUniqueViolation(error, "social_accounts.user_id")) {
        throw await fail(existing.id, "provider_already_linked", problems.conflict("provider_already_linked", `This account is linked to another ${LABEL[identity.provider]} account.`));
      }
      throw error;
    }
    return { user: existing, created: false };
  }

  const userId = newId();
  const [[user]] = await db.batch([
    db
      .insert(users)
      .values({ id: userId, email: identity.email, first_name: identity.first_name, last_name: identity.last_name, email_verified_at: now() })
      .returning(),
    db.insert(social_accounts).values({ id: newId(), user_id: userId, provider: identity.provider, social_id: identity.social_id, ...(await accountColumns(env, identity)) }),
  ]);
  return { user: user!, created: true };
}

/**
 * Sign-in (or sign-up) with a provider. The provider is one first factor:
 * a user with two-factor authentication gets `mfa_required` like after a password.
 */
export async function signInWithProvider(
  env: Env,
  credential: SocialCredential,
  meta: ClientMeta,
): Promise<{ created: boolean; result: TokenPair | MfaRequired }> {
  await enforceRateLimit(env, "social-ip", ipKey(meta));
  let identity: ProviderIdentity;
  try {
    identity = await verifyCredential(env, credential);
  } catch (error) {
    if (error instanceof ProblemError && error.code === "invalid_social_token") {
      await recordFailure(env, attemptedAs({ provider: credential.provider, email: null }), null, "FAILED", "invalid_social_token", meta);
    }
    throw error;
  }
  let resolved: { user: UserRow; created: boolean };
  try {
    resolved = await resolveUser(env, identity, meta);
  } catch (error) {
    // A concurrent first sign-in of the same identity or address won the insert: take its result.
    if (!isUniqueViolation(error)) throw error;
    resolved = await resolveUser(env, identity, meta);
  }
  if (resolved.created) await notify(env, [{ type: "WELCOME", key: `welcome:${resolved.user.id}`, user_id: resolved.user.id }]);
  return { created: resolved.created, result: await completeFirstFactor(env, resolved.user, meta) };
}

/** Links a provider identity to the signed-in user. */
export async function linkProvider(env: Env, userId: string, credential: SocialCredential, meta: ClientMeta): Promise<AccountRow> {
  await enforceRateLimit(env, "social-ip", ipKey(meta));
  const identity = await verifyCredential(env, credential);
  const db = getDb(env.DB);
  try {
    const [account] = await db
      .insert(social_accounts)
      .values({ id: newId(), user_id: userId, provider: identity.provider, social_id: identity.social_id, ...(await accountColumns(env, identity)) })
      .returning();
    return account!;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const [owner] = await db
      .select({ user_id: social_accounts.user_id })
      .from(social_accounts)
      .where(and(eq(social_accounts.provider, identity.provider), eq(social_accounts.social_id, identity.social_id)))
      .limit(1);
    if (owner && owner.user_id !== userId) {
      throw problems.conflict("social_account_taken", `This ${LABEL[identity.provider]} account is linked to another account.`);
    }
    throw problems.conflict("provider_already_linked", `Your account is already linked to ${LABEL[identity.provider]}; unlink it first.`);
  }
}

export async function listProviders(env: Env, userId: string): Promise<AccountRow[]> {
  return getDb(env.DB).select().from(social_accounts).where(eq(social_accounts.user_id, userId)).orderBy(asc(social_accounts.created_at));
}

/**
 * Unlinks a provider, unless it is the last way into the account (no password
 * and no other active provider). One guarded DELETE, so two parallel unlinks
 * cannot both remove the last two ways in.
 */
export async function unlinkProvider(env: Env, userId: string, provider: SocialProvider): Promise<void> {
  const db = getDb(env.DB);
  const other = alias(social_accounts, "other");
  const [removed] = await db
    .delete(social_accounts)
    .where(
      and(
        eq(social_accounts.user_id, userId),
        eq(social_accounts.provider, provider),
        sql`(${exists(db.select({ one: sql`1` }).from(users).where(and(eq(users.id, userId), isNotNull(users.password_hash))))} OR ${exists(
          db
            .select({ one: sql`1` })
            .from(other)
            .where(and(eq(other.user_id, userId), ne(other.provider, provider), eq(other.is_active, true))),
        )})`,
      ),
    )
    .returning({ id: social_accounts.id });
  if (removed) return;
  const [kept] = await db
    .select({ id: social_accounts.id })
    .from(social_accounts)
    .where(and(eq(social_accounts.user_id, userId), eq(social_accounts.provider, provider)))
    .limit(1);
  if (!kept) throw problems.notFound("Social account");
  throw problems.conflict("last_login_method", "This is your only way to sign in; set a password or link another provider first.");
}
