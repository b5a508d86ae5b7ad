import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { login_attempts, social_accounts } from "../../src/auth/schema.ts";
import { signInWithProvider, verifyFacebookToken, verifyGoogleIdToken } from "../../src/auth/social.ts";
import { getDb } from "../../src/db/client.ts";
import { users } from "../../src/users/schema.ts";
import { decryptSecret } from "../../src/lib/crypto/encryption.ts";
import { totpAt } from "../../src/lib/crypto/totp.ts";
import { ProblemError } from "../../src/lib/errors.ts";
import { api, expectProblem, freshIp, login, registerUser, waitForMessage } from "../support/api.ts";

const CLIENT_ID = env.GOOGLE_CLIENT_IDS.split(",")[0]!.trim();
const db = () => getDb(env.DB);
const unique = () => crypto.randomUUID().slice(0, 8);

/** Claims of a Google ID token for a fresh Google user, as Google issues them to our client. */
function googleUser(overrides: Record<string, unknown> = {}) {
  const id = unique();
  return {
    aud: CLIENT_ID,
    sub: `10${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    email: `kofi.${id}@gmail.com`,
    email_verified: true,
    name: "Kofi Mensah",
    given_name: "Kofi",
    family_name: "Mensah",
    picture: `https://lh3.googleusercontent.com/a/${id}`,
    ...overrides,
  };
}

/** Asks the fake Google to sign an ID token (with its published key unless `signer: "unknown"`). */
async function mintGoogle(claims: Record<string, unknown>, options: { header?: Record<string, unknown>; signer?: "unknown" } = {}): Promise<string> {
  const response = await fetch(new URL("/google/mint", env.GOOGLE_JWKS_URL), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ claims, ...options }),
  });
  if (response.status !== 200) throw new Error(`mint failed: ${response.status}`);
  return ((await response.json()) as { id_token: string }).id_token;
}

/** Has the fake Facebook issue a user access token (to our app unless `app_id` says otherwise). */
async function facebookToken(overrides: Record<string, unknown> = {}): Promise<{ token: string; user_id: string; email: string }> {
  const user_id = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const body = { app_id: env.FACEBOOK_APP_ID, user_id, name: "Adjoa Mensah Kouassi", email: `adjoa.${unique()}@example.com`, picture_url: "https://graph.example/p.jpg", ...overrides };
  const response = await fetch(`${env.FACEBOOK_GRAPH_URL}/tokens`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`token failed: ${response.status}`);
  return { token: ((await response.json()) as { access_token: string }).access_token, user_id: body.user_id, email: body.email as string };
}

const signIn = (provider: string, body: unknown, ip = freshIp()) => api("POST", `/v1/auth/social/${provider}`, { body, ip });
const google = async (claims: Record<string, unknown>, extra: Record<string, unknown> = {}) => signIn("google", { id_token: await mintGoogle(claims), ...extra });
const me = async (token: string) => (await api("GET", "/v1/me", { token })).body;

async function accountRow(provider: "GOOGLE" | "FACEBOOK", socialId: string) {
  const [row] = await db()
    .select()
    .from(social_accounts)
    .where(and(eq(social_accounts.provider, provider), eq(social_accounts.social_id, socialId)));
  return row;
}

/** A password user whose email address is verified (with the code the sign-up email carried). */
async function verifiedUser() {
  const user = await registerUser();
  const message = await waitForMessage(user.email, "EMAIL_CODE_SIGNUP");
  const verified = await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: (message.data as { code: string }).code } });
  expect(verified.body.email_verified).toBe(true);
  return user;
}

const expectRejected = async (promise: Promise<unknown>, status: number, code: string) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  expect((error as ProblemError).status).toBe(status);
  expect((error as ProblemError).code).toBe(code);
};

describe("Google sign-in", () => {
  it("creates an account from a new Google identity (201) with a verified address and no password", async () => {
    const claims = googleUser();
    const res = await google(claims);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ token_type: "Bearer", access_token: expect.any(String), refresh_token: expect.any(String) });
    const user = await me(res.body.access_token);
    expect(user).toMatchObject({ email: claims.email, email_verified: true, first_name: "Kofi", last_name: "Mensah", role: "USER" });
    const login = await api("POST", "/v1/auth/login", { body: { email: claims.email, password: "anything at all" }, ip: freshIp() });
    expectProblem(login, 401, "invalid_credentials");
  });

  it("signs a returning Google user in to the same account (200) and records the success", async () => {
    const claims = googleUser();
    const first = await google(claims);
    const second = await google(claims);
    expect(second.status).toBe(200);
    expect((await me(second.body.access_token)).id).toBe((await me(first.body.access_token)).id);
    const attempts = await api("GET", "/v1/auth/login-attempts", { token: second.body.access_token });
    expect(attempts.body.data.filter((a: { status: string }) => a.status === "SUCCESS")).toHaveLength(2);
    expect((await accountRow("GOOGLE", claims.sub))!.last_used_at).not.toBeNull();
  });

  it("links to the existing account with the same address when both sides verified it", async () => {
    const user = await verifiedUser();
    const claims = googleUser({ email: user.email.toUpperCase() });
    const res = await google(claims);
    expect(res.status).toBe(200);
    expect((await me(res.body.access_token)).id).toBe(user.id);
    expect((await accountRow("GOOGLE", claims.sub))!.user_id).toBe(user.id);
  });

  it("refuses (403) an address Google has not verified: it neither links nor creates an account", async () => {
    const user = await verifiedUser();
    expectProblem(await google(googleUser({ email: user.email, email_verified: false })), 403, "verified_email_required");
    const fresh = googleUser({ email_verified: false });
    expectProblem(await google(fresh), 403, "verified_email_required");
    expect(await accountRow("GOOGLE", fresh.sub)).toBeUndefined();
    expect(await db().select().from(users).where(eq(users.email, fresh.email))).toEqual([]);
    expect(await db().select().from(social_accounts).where(eq(social_accounts.user_id, user.id))).toEqual([]);
  });

  it("refuses (409) to link an account whose own address was never verified (pre-registered by someone else)", async () => {
    const squatter = await registerUser();
    const claims = googleUser({ email: squatter.email });
    expectProblem(await google(claims), 409, "email_unverified_account");
    expect(await accountRow("GOOGLE", claims.sub)).toBeUndefined();
  });

  it("refuses (409) to link by address an account already linked to another Google identity", async () => {
    const user = await verifiedUser();
    await api("POST", "/v1/me/social-accounts/google", { token: user.token, body: { id_token: await mintGoogle(googleUser()) }, ip: freshIp() });
    const second = googleUser({ email: user.email });
    expectProblem(await google(second), 409, "provider_already_linked");
    expect(await accountRow("GOOGLE", second.sub)).toBeUndefined();
  });

  it("gives parallel first sign-ins of one identity one account", async () => {
    const claims = googleUser();
    const token = await mintGoogle(claims);
    const results = await Promise.all([signIn("google", { id_token: token }), signIn("google", { id_token: token }), signIn("google", { id_token: token })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const ids = new Set(await Promise.all(results.map(async (r) => (await me(r.body.access_token)).id)));
    expect(ids.size).toBe(1);
    expect(await db().select().from(users).where(eq(users.email, claims.email))).toHaveLength(1);
  });

  it("accepts both issuer spellings Google uses", async () => {
    expect((await google(googleUser({ iss: "accounts.google.com" }))).status).toBe(201);
  });

  it("accepts any audience listed in GOOGLE_CLIENT_IDS", async () => {
    const token = await mintGoogle(googleUser({ aud: "ios-client.apps.googleusercontent.com" }));
    const identity = await verifyGoogleIdToken({ ...env, GOOGLE_CLIENT_IDS: `ios-client.apps.googleusercontent.com, ${CLIENT_ID}` }, token);
    expect(identity.provider).toBe("GOOGLE");
    await expectRejected(verifyGoogleIdToken(env, token), 401, "invalid_social_token");
  });

  it.each([
    ["another app's audience", { aud: "someone-else.apps.googleusercontent.com" }],
    ["a foreign issuer", { iss: "https://accounts.evil.example" }],
    ["an expired token", { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }],
    ["no subject", { sub: undefined }],
  ])("rejects %s with 401", async (_, overrides) => {
    expectProblem(await google(googleUser(overrides)), 401, "invalid_social_token");
  });

  it("rejects a token signed by a key Google never published, under Google's kid or another", async () => {
    expectProblem(await signIn("google", { id_token: await mintGoogle(googleUser(), { signer: "unknown" }) }), 401, "invalid_social_token");
    expectProblem(await signIn("google", { id_token: await mintGoogle(googleUser(), { signer: "unknown", header: { kid: "rotated-away" } }) }), 401, "invalid_social_token");
  });

  it("rejects unsigned (alg none), HMAC-signed and malformed tokens", async () => {
    const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const claims = { ...googleUser(), iss: "https://accounts.google.com", iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 };
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
    expectProblem(await signIn("google", { id_token: unsigned }), 401, "invalid_social_token");
    const jwks = await (await fetch(env.GOOGLE_JWKS_URL)).text();
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(jwks));
    expectProblem(await signIn("google", { id_token: hmac }), 401, "invalid_social_token");
    expectProblem(await signIn("google", { id_token: "not-a-jwt" }), 401, "invalid_social_token");
  });

  it("records a refused token in login_attempts", async () => {
    const ip = freshIp();
    expectProblem(await signIn("google", { id_token: "x.y.z" }, ip), 401, "invalid_social_token");
    const rows = await db().select().from(login_attempts).where(and(eq(login_attempts.ip_address, ip), eq(login_attempts.failure_reason, "invalid_social_token")));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "FAILED", email_attempted: "social:google", user_id: null });
  });

  it("validates the body strictly", async () => {
    const token = await mintGoogle(googleUser());
    expectProblem(await signIn("google", { id_token: token, role: "ADMIN" }), 422, "validation_failed");
    expectProblem(await signIn("google", { access_token: "EAAtoken" }), 422, "validation_failed");
    expectProblem(await signIn("google", { id_token: token, expires_in: 3600 }), 422, "validation_failed");
    expectProblem(await signIn("facebook", { id_token: token }), 422, "validation_failed");
    expectProblem(await signIn("twitter", { id_token: token }), 404, "not_found");
  });

  it("refuses a deactivated account (403) and records why", async () => {
    const claims = googleUser();
    const created = await google(claims);
    const userId = (await me(created.body.access_token)).id;
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?").bind(userId).run();
    expectProblem(await google(claims), 403, "account_deactivated");
    const [attempt] = await db().select().from(login_attempts).where(and(eq(login_attempts.user_id, userId), eq(login_attempts.failure_reason, "account_deactivated")));
    expect(attempt?.status).toBe("FAILED");
  });

  it("refuses a disabled link (403) and does not count it as a way in", async () => {
    const claims = googleUser();
    const token = (await google(claims)).body.access_token;
    const fb = await facebookToken();
    await api("POST", "/v1/me/social-accounts/facebook", { token, body: { access_token: fb.token }, ip: freshIp() });
    await env.DB.prepare("UPDATE social_accounts SET is_active = 0 WHERE provider = 'FACEBOOK' AND social_id = ?").bind(fb.user_id).run();
    expectProblem(await signIn("facebook", { access_token: fb.token }), 403, "social_account_disabled");
    expectProblem(await api("DELETE", "/v1/me/social-accounts/google", { token }), 409, "last_login_method");
    expect((await google(claims)).status).toBe(200);
  });

  it("stores the Google OAuth tokens encrypted, bound to their column", async () => {
    const claims = googleUser();
    const res = await google(claims, { access_token: "ya29.plain-access-token", refresh_token: "1//plain-refresh-token", expires_in: 3600 });
    expect(res.status).toBe(201);
    const row = (await accountRow("GOOGLE", claims.sub))!;
    expect(row.access_token_encrypted).not.toContain("plain");
    expect(row.refresh_token_encrypted).not.toContain("plain");
    expect(await decryptSecret(env.DATA_ENCRYPTION_KEY, "social_accounts.access_token", row.access_token_encrypted!)).toBe("ya29.plain-access-token");
    expect(await decryptSecret(env.DATA_ENCRYPTION_KEY, "social_accounts.refresh_token", row.refresh_token_encrypted!)).toBe("1//plain-refresh-token");
    await expect(decryptSecret(env.DATA_ENCRYPTION_KEY, "social_accounts.refresh_token", row.access_token_encrypted!)).rejects.toThrow();
    const expiresIn = Date.parse(row.token_expires_at!) - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);
    const listed = await api("GET", "/v1/me/social-accounts", { token: res.body.access_token });
    expect(JSON.stringify(listed.body)).not.toMatch(/plain|token/);
  });
});

describe("Facebook sign-in", () => {
  it("creates an account from a valid token (201), then signs the same account in (200)", async () => {
    const fb = await facebookToken();
    const created = await signIn("facebook", { access_token: fb.token });
    expect(created.status).toBe(201);
    const user = await me(created.body.access_token);
    expect(user).toMatchObject({ email: fb.email, email_verified: true, first_name: "Adjoa", last_name: "Mensah Kouassi" });
    const again = await signIn("facebook", { access_token: fb.token });
    expect(again.status).toBe(200);
    expect((await me(again.body.access_token)).id).toBe(user.id);
  });

  it("stores the Facebook token encrypted with its expiry", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 5_000_000;
    const fb = await facebookToken({ expires_at: expiresAt });
    expect((await signIn("facebook", { access_token: fb.token })).status).toBe(201);
    const row = (await accountRow("FACEBOOK", fb.user_id))!;
    expect(row.access_token_encrypted).not.toContain(fb.token);
    expect(await decryptSecret(env.DATA_ENCRYPTION_KEY, "social_accounts.access_token", row.access_token_encrypted!)).toBe(fb.token);
    expect(row.token_expires_at).toBe(new Date(expiresAt * 1000).toISOString());
    expect(row).toMatchObject({ email: fb.email, full_name: "Adjoa Mensah Kouassi", photo_url: "https://graph.example/p.jpg" });
  });

  it("rejects a token Facebook issued to another app (401)", async () => {
    const fb = await facebookToken({ app_id: "another-app" });
    expectProblem(await signIn("facebook", { access_token: fb.token }), 401, "invalid_social_token");
    expect(await accountRow("FACEBOOK", fb.user_id)).toBeUndefined();
    // Even when the profile call would succeed (that app's secret equals ours), debug_token's app_id decides.
    const twin = await facebookToken({ app_id: "twin-app", app_secret: env.FACEBOOK_APP_SECRET });
    expectProblem(await signIn("facebook", { access_token: twin.token }), 401, "invalid_social_token");
  });

  it("rejects invalidated and unknown tokens (401)", async () => {
    const fb = await facebookToken({ valid: false });
    expectProblem(await signIn("facebook", { access_token: fb.token }), 401, "invalid_social_token");
    expectProblem(await signIn("facebook", { access_token: "EAAforged" }), 401, "invalid_social_token");
  });

  it("refuses (403) to create an account when Facebook shares no email address", async () => {
    const fb = await facebookToken({ email: null });
    expectProblem(await signIn("facebook", { access_token: fb.token }), 403, "verified_email_required");
  });

  it("links to the verified account with the same address", async () => {
    const user = await verifiedUser();
    const fb = await facebookToken({ email: user.email });
    const res = await signIn("facebook", { access_token: fb.token });
    expect(res.status).toBe(200);
    expect((await me(res.body.access_token)).id).toBe(user.id);
  });

  it("only reaches Facebook with a correct appsecret_proof (the fake checks it like Facebook)", async () => {
    const fb = await facebookToken();
    await expectRejected(verifyFacebookToken({ ...env, FACEBOOK_APP_SECRET: "f".repeat(32) }, fb.token), 401, "invalid_social_token");
    expect((await verifyFacebookToken(env, fb.token)).social_id).toBe(fb.user_id);
  });
});

describe("provider outages", () => {
  const meta = { ip: "192.0.2.50", userAgent: null, country: null, city: null };

  it("answers 503 provider_unavailable when Facebook is unreachable or failing", async () => {
    const fb = await facebookToken();
    await expectRejected(signInWithProvider({ ...env, FACEBOOK_GRAPH_URL: "http://127.0.0.1:1/facebook" }, { provider: "FACEBOOK", access_token: fb.token }, meta), 503, "provider_unavailable");
    const failing = `${new URL(env.FACEBOOK_GRAPH_URL).origin}/unavailable/facebook`;
    await expectRejected(verifyFacebookToken({ ...env, FACEBOOK_GRAPH_URL: failing }, fb.token), 503, "provider_unavailable");
  });

  it("answers 503 provider_unavailable when Google's keys cannot be fetched", async () => {
    const token = await mintGoogle(googleUser());
    await expectRejected(verifyGoogleIdToken({ ...env, GOOGLE_JWKS_URL: "http://127.0.0.1:1/oauth2/v3/certs" }, token), 503, "provider_unavailable");
    const failing = `${new URL(env.GOOGLE_JWKS_URL).origin}/unavailable/oauth2/v3/certs`;
    await expectRejected(verifyGoogleIdToken({ ...env, GOOGLE_JWKS_URL: failing }, token), 503, "provider_unavailable");
  });
});

describe("two-factor authentication", () => {
  it("applies to social sign-ins: mfa_required, then the TOTP code opens the session", async () => {
    const claims = googleUser();
    const created = await google(claims);
    const token = created.body.access_token;
    const setup = await api("POST", "/v1/auth/2fa/setup", { token, body: { method: "TOTP" } });
    expect(setup.status).toBe(201);
    const enabled = await api("POST", "/v1/auth/2fa/enable", { token, body: { challenge_id: setup.body.challenge_id, code: await totpAt(setup.body.secret) } });
    expect(enabled.status).toBe(200);

    const res = await google(claims);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mfa_required: true, method: "TOTP", mfa_token: expect.any(String) });
    expect(res.body.access_token).toBeUndefined();
    const done = await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: res.body.mfa_token, code: await totpAt(setup.body.secret, Date.now() + 30_000) }, ip: freshIp() });
    expect(done.status).toBe(200);
    expect((await me(done.body.access_token)).id).toBe((await me(token)).id);
  });
});

describe("linked accounts", () => {
  it("links Google to the signed-in user, lists it without tokens, and signs in through it", async () => {
    const user = await registerUser();
    const claims = googleUser();
    const linked = await api("POST", "/v1/me/social-accounts/google", { token: user.token, body: { id_token: await mintGoogle(claims), access_token: "ya29.secret" }, ip: freshIp() });
    expect(linked.status).toBe(201);
    expect(linked.body).toEqual({ provider: "GOOGLE", email: claims.email, full_name: "Kofi Mensah", photo_url: claims.picture, linked_at: expect.any(String), last_used_at: expect.any(String) });
    const list = await api("GET", "/v1/me/social-accounts", { token: user.token });
    expect(list.body.data).toEqual([linked.body]);
    const res = await google(claims);
    expect(res.status).toBe(200);
    expect((await me(res.body.access_token)).id).toBe(user.id);
  });

  it("refuses to link an identity linked to someone else, or a second one of the same provider (409)", async () => {
    const owner = await registerUser();
    const other = await registerUser();
    const claims = googleUser();
    expect((await api("POST", "/v1/me/social-accounts/google", { token: owner.token, body: { id_token: await mintGoogle(claims) }, ip: freshIp() })).status).toBe(201);
    expectProblem(await api("POST", "/v1/me/social-accounts/google", { token: other.token, body: { id_token: await mintGoogle(claims) }, ip: freshIp() }), 409, "social_account_taken");
    expectProblem(await api("POST", "/v1/me/social-accounts/google", { token: owner.token, body: { id_token: await mintGoogle(googleUser()) }, ip: freshIp() }), 409, "provider_already_linked");
    expectProblem(await api("POST", "/v1/me/social-accounts/google", { token: owner.token, body: { id_token: await mintGoogle(claims) }, ip: freshIp() }), 409, "provider_already_linked");
  });

  it("needs a signed-in user and a valid provider token", async () => {
    const user = await registerUser();
    expectProblem(await api("POST", "/v1/me/social-accounts/google", { body: { id_token: await mintGoogle(googleUser()) }, ip: freshIp() }), 401);
    expectProblem(await api("GET", "/v1/me/social-accounts"), 401);
    expectProblem(await api("POST", "/v1/me/social-accounts/facebook", { token: user.token, body: { access_token: "EAAforged" }, ip: freshIp() }), 401, "invalid_social_token");
    expectProblem(await api("DELETE", "/v1/me/social-accounts/google"), 401);
  });

  it("never unlinks the last way in (409 last_login_method)", async () => {
    const created = await google(googleUser());
    const token = created.body.access_token;
    expectProblem(await api("DELETE", "/v1/me/social-accounts/google", { token }), 409, "last_login_method");
    const fb = await facebookToken();
    expect((await api("POST", "/v1/me/social-accounts/facebook", { token, body: { access_token: fb.token }, ip: freshIp() })).status).toBe(201);
    expect((await api("DELETE", "/v1/me/social-accounts/google", { token })).status).toBe(204);
    expect((await api("GET", "/v1/me/social-accounts", { token })).body.data.map((a: { provider: string }) => a.provider)).toEqual(["FACEBOOK"]);
    expectProblem(await api("DELETE", "/v1/me/social-accounts/facebook", { token }), 409, "last_login_method");
    expectProblem(await api("DELETE", "/v1/me/social-accounts/google", { token }), 404, "not_found");
    expectProblem(await api("DELETE", "/v1/me/social-accounts/twitter", { token }), 422, "validation_failed");
  });

  it("lets a user with a password unlink their only provider", async () => {
    const user = await registerUser();
    const claims = googleUser();
    await api("POST", "/v1/me/social-accounts/google", { token: user.token, body: { id_token: await mintGoogle(claims) }, ip: freshIp() });
    expect((await api("DELETE", "/v1/me/social-accounts/google", { token: user.token })).status).toBe(204);
    expect(await accountRow("GOOGLE", claims.sub)).toBeUndefined();
    expect((await login(user.email)).status).toBe(200);
  });

  it("keeps another user away from my links", async () => {
    const mine = await registerUser();
    const intruder = await registerUser();
    const claims = googleUser();
    await api("POST", "/v1/me/social-accounts/google", { token: mine.token, body: { id_token: await mintGoogle(claims) }, ip: freshIp() });
    expectProblem(await api("DELETE", "/v1/me/social-accounts/google", { token: intruder.token }), 404, "not_found");
    expect((await api("GET", "/v1/me/social-accounts", { token: intruder.token })).body.data).toEqual([]);
    expect((await accountRow("GOOGLE", claims.sub))!.user_id).toBe(mine.id);
  });
});

describe("social sign-in limits", () => {
  it("rate-limits sign-in attempts per IP (social-ip)", async () => {
    const ip = freshIp();
    for (let i = 0; i < 30; i++) expectProblem(await signIn("google", { id_token: "x.y.z" }, ip), 401, "invalid_social_token");
    const limited = await signIn("google", { id_token: "x.y.z" }, ip);
    expectProblem(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
  });
});
