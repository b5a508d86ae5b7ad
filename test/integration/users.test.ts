import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, login, PASSWORD, registerAdmin, registerUser, waitForMessage } from "../support/api.ts";
import { queuesIdle } from "../support/queues.ts";

// ---------------------------------------------------------------- tiny real files, built inline

const hex = (...parts: string[]) => new Uint8Array(parts.join("").match(/../g)!.map((pair) => parseInt(pair, 16)));
const text = (value: string) => new TextEncoder().encode(value);

/** 1×1 red PNG (IHDR, zlib IDAT, IEND with their CRCs). */
const PNG = hex(
  "89504e470d0a1a0a",
  "0000000d4948445200000001000000010802000000907753de",
  "0000000c49444154789c63f8cfc0000003010100c9fe92ef",
  "0000000049454e44ae426082",
);

/** 1×1 grey baseline JPEG: one quantisation table, one-code Huffman tables, one block (DC 0, EOB). */
const JPEG = hex(
  "ffd8",
  "ffdb004300", "01".repeat(64),
  "ffc0000b080001000101011100",
  "ffc4001400", "01", "00".repeat(15), "00",
  "ffc4001410", "01", "00".repeat(15), "00",
  "ffda000801010000003f00",
  "3f",
  "ffd9",
);

/** 1×1 lossless WebP. */
const WEBP = Uint8Array.from(atob("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="), (ch) => ch.charCodeAt(0));

const PDF = text("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
const SVG = text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');

const MB = 1024 * 1024;
/** `size` bytes that start like a PNG. */
function bigPng(size: number) {
  const bytes = new Uint8Array(size);
  bytes.set(PNG);
  return bytes;
}

const sameBytes = (a: ArrayBuffer | Uint8Array, b: Uint8Array) => expect([...new Uint8Array(a)]).toEqual([...b]);

async function fetchRaw(path: string, options: { token?: string; headers?: Record<string, string> } = {}) {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  const response = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://api.test${path}`, { headers }));
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const putPhoto = (token: string | undefined, body: Uint8Array, type: string) =>
  api("PUT", "/v1/me/photo", { token, rawBody: body, headers: { "Content-Type": type } });

function verificationForm(document: Uint8Array | null, selfie: Uint8Array | null, extra: Record<string, string> = {}) {
  const form = new FormData();
  if (document) form.append("document", new File([document], "id-card.bin", { type: "image/png" }));
  if (selfie) form.append("selfie", new File([selfie], "selfie.bin", { type: "image/jpeg" }));
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return form;
}

const submitVerification = (token: string | undefined, document: Uint8Array | null = PNG, selfie: Uint8Array | null = JPEG) =>
  api("POST", "/v1/me/verification", { token, rawBody: verificationForm(document, selfie) });

async function verificationRow(id: string) {
  return env.DB.prepare("SELECT * FROM user_verifications WHERE id = ?").bind(id).first<{ document_key: string; selfie_key: string; status: string }>();
}

async function userRow(id: string) {
  return env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

const isoDate = (date: Date) => date.toISOString().slice(0, 10);

/** The audit entries of one object, oldest first, with their snapshots parsed. */
async function auditTrail(objectType: string, objectId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY created_at, rowid")
    .bind(objectType, objectId)
    .all<{ action: string; user_id: string; data_before: string | null; data_after: string | null }>();
  return results.map((row) => ({ ...row, data_before: row.data_before && JSON.parse(row.data_before), data_after: row.data_after && JSON.parse(row.data_after) }));
}

// ---------------------------------------------------------------- PATCH /v1/me

describe("PATCH /v1/me", () => {
  it("updates the profile fields and returns the account", async () => {
    const user = await registerUser();
    const res = await api("PATCH", "/v1/me", {
      token: user.token,
      body: {
        first_name: "Koffi",
        last_name: "Agbo",
        bio: "  Fan de musique  ",
        language: "en",
        notifications_email: false,
        notifications_push: false,
        date_of_birth: "1998-04-17",
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: user.id,
      first_name: "Koffi",
      last_name: "Agbo",
      bio: "Fan de musique",
      language: "en",
      notifications_email: false,
      notifications_push: false,
      date_of_birth: "1998-04-17",
    });
    const me = await api("GET", "/v1/me", { token: user.token });
    expect(me.body).toMatchObject({ first_name: "Koffi", language: "en", date_of_birth: "1998-04-17" });
  });

  it("accepts a 10-digit Benin number (01…) and stores it in E.164", async () => {
    const user = await registerUser();
    const res = await api("PATCH", "/v1/me", { token: user.token, body: { phone: "+229 01 97 12 34 56" } });
    expect(res.status).toBe(200);
    expect(res.body.phone).toBe("+2290197123456");
  });

  it("rejects an old 8-digit Benin number with the field path", async () => {
    const user = await registerUser();
    const res = await api("PATCH", "/v1/me", { token: user.token, body: { phone: "+229 97 12 34 56" } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(["phone"]);
  });

  it("accepts a Tunisian number", async () => {
    const user = await registerUser();
    const res = await api("PATCH", "/v1/me", { token: user.token, body: { phone: "00216 20 123 456" } });
    expect(res.status).toBe(200);
    expect(res.body.phone).toBe("+21620123456");
  });

  it("rejects garbage phone numbers", async () => {
    const user = await registerUser();
    for (const phone of ["call me maybe", "+33612345678", "+2290197", "+216 12 345 678", ""]) {
      const res = await api("PATCH", "/v1/me", { token: user.token, body: { phone } });
      expect(expectProblem(res, 422).errors[0].path).toBe("phone");
    }
    expect((await userRow(user.id))!.phone).toBeNull();
  });

  it("clears optional fields with null", async () => {
    const user = await registerUser({ phone: "+2290197123456" });
    const res = await api("PATCH", "/v1/me", { token: user.token, body: { phone: null, bio: null } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ phone: null, bio: null });
  });

  it("answers 409 username_taken when another account has the username", async () => {
    const taken = `taken_${crypto.randomUUID().slice(0, 8)}`;
    await registerUser({ username: taken });
    const user = await registerUser();
    expectProblem(await api("PATCH", "/v1/me", { token: user.token, body: { username: taken } }), 409, "username_taken");
    const own = await api("PATCH", "/v1/me", { token: user.token, body: { username: `${taken}_2` } });
    expect(own.body.username).toBe(`${taken}_2`);
  });

  it("validates the username format", async () => {
    const user = await registerUser();
    for (const username of ["ab", "has space", "<script>", "x".repeat(31)]) {
      expect(expectProblem(await api("PATCH", "/v1/me", { token: user.token, body: { username } }), 422).errors[0].path).toBe("username");
    }
  });

  it("rejects dates of birth in the future, impossible, or more than 120 years ago", async () => {
    const user = await registerUser();
    const tomorrow = isoDate(new Date(Date.now() + 86_400_000));
    const ancient = isoDate(new Date(Date.UTC(new Date().getUTCFullYear() - 121, 0, 1)));
    for (const date_of_birth of [tomorrow, ancient, "2001-02-30", "17/04/1998", "1998-4-17"]) {
      const res = await api("PATCH", "/v1/me", { token: user.token, body: { date_of_birth } });
      expect(expectProblem(res, 422).errors[0].path).toBe("date_of_birth");
    }
    const today = isoDate(new Date());
    expect((await api("PATCH", "/v1/me", { token: user.token, body: { date_of_birth: today } })).status).toBe(200);
  });

  it("limits the bio to 500 characters and checks the language", async () => {
    const user = await registerUser();
    expect(expectProblem(await api("PATCH", "/v1/me", { token: user.token, body: { bio: "x".repeat(501) } }), 422).errors[0].path).toBe("bio");
    expect((await api("PATCH", "/v1/me", { token: user.token, body: { bio: "x".repeat(500) } })).status).toBe(200);
    expect(expectProblem(await api("PATCH", "/v1/me", { token: user.token, body: { language: "de" } }), 422).errors[0].path).toBe("language");
  });

  it("does not let email, role or password be changed here", async () => {
    const user = await registerUser();
    const res = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email: "evil@example.com", role: "ADMIN", password: "new password 123", is_identity_verified: true },
    });
    const paths = expectProblem(res, 422).errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(["email", "is_identity_verified", "password", "role"]);
    const row = await userRow(user.id);
    expect(row).toMatchObject({ email: user.email, role: "USER", is_identity_verified: 0 });
  });

  it("needs a signed-in caller", async () => {
    expectProblem(await api("PATCH", "/v1/me", { body: { first_name: "X" } }), 401);
    expectProblem(await api("PATCH", "/v1/me", { token: "not.a.jwt", body: { first_name: "X" } }), 401);
  });
});

// ---------------------------------------------------------------- DELETE /v1/me

describe("DELETE /v1/me", () => {
  it("refuses a wrong password and keeps the account", async () => {
    const user = await registerUser();
    expectProblem(await api("DELETE", "/v1/me", { token: user.token, body: { password: "wrong password!!" } }), 401, "invalid_credentials");
    expectProblem(await api("DELETE", "/v1/me", { token: user.token, body: {} }), 422);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });

  it("deactivates the account and ends every session", async () => {
    const user = await registerUser();
    const second = await login(user.email);
    expect(second.status).toBe(200);
    const res = await api("DELETE", "/v1/me", { token: user.token, body: { password: PASSWORD } });
    expect(res.status).toBe(204);

    const row = await userRow(user.id);
    expect(row).toMatchObject({ is_active: 0 });
    expect(row!.deactivated_at).toEqual(expect.any(String));
    expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "session_revoked");
    expectProblem(await api("GET", "/v1/me", { token: second.body.access_token }), 401, "session_revoked");
    expectProblem(await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } }), 401);
    expectProblem(await login(user.email), 403, "account_deactivated");
    expectProblem(await api("GET", `/v1/users/${user.id}`), 404);
    const sessions = await env.DB.prepare("SELECT revoked_reason FROM auth_sessions WHERE user_id = ?").bind(user.id).all();
    expect(sessions.results.map((s) => s.revoked_reason)).toEqual(["ACCOUNT_DEACTIVATED", "ACCOUNT_DEACTIVATED"]);
  });
});

// ---------------------------------------------------------------- profile photo

describe("profile photo", () => {
  it("stores a PNG under an unguessable key and serves it back with caching headers", async () => {
    const user = await registerUser();
    const res = await putPhoto(user.token, PNG, "image/png");
    expect(res.status).toBe(200);
    expect(res.body.profile_photo_url).toMatch(new RegExp(`^/v1/users/${user.id}/photo\\?v=[A-Za-z0-9_-]{24}$`));

    const key = (await userRow(user.id))!.profile_photo_key as string;
    expect(key).toMatch(new RegExp(`^users/${user.id}/photo/[A-Za-z0-9_-]{24}$`));
    const stored = await env.MEDIA.get(key);
    expect(stored!.httpMetadata!.contentType).toBe("image/png");
    sameBytes(await stored!.arrayBuffer(), PNG);

    const served = await fetchRaw(res.body.profile_photo_url);
    expect(served.status).toBe(200);
    expect(served.headers.get("Content-Type")).toBe("image/png");
    expect(served.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(served.headers.get("ETag")).toBe(stored!.httpEtag);
    sameBytes(served.bytes, PNG);
  });

  it("accepts JPEG and WebP", async () => {
    const user = await registerUser();
    for (const [body, type] of [[JPEG, "image/jpeg"], [WEBP, "image/webp"]] as const) {
      const res = await putPhoto(user.token, body, type);
      expect(res.status).toBe(200);
      const served = await fetchRaw(res.body.profile_photo_url);
      expect(served.headers.get("Content-Type")).toBe(type);
      sameBytes(served.bytes, body);
    }
  });

  it("stores the type read from the content, not the label", async () => {
    const user = await registerUser();
    const res = await putPhoto(user.token, PNG, "image/jpeg");
    expect(res.status).toBe(200);
    expect((await fetchRaw(res.body.profile_photo_url)).headers.get("Content-Type")).toBe("image/png");
  });

  it("answers 415 for content that is not an image, whatever the label", async () => {
    const user = await registerUser();
    expectProblem(await putPhoto(user.token, text("just some text"), "image/png"), 415, "unsupported_media_type");
    expectProblem(await putPhoto(user.token, SVG, "image/png"), 415, "unsupported_media_type");
    expectProblem(await putPhoto(user.token, PDF, "image/jpeg"), 415, "unsupported_media_type");
    expectProblem(await putPhoto(user.token, new Uint8Array(0), "image/png"), 415, "unsupported_media_type");
    expectProblem(await putPhoto(user.token, PNG, "image/svg+xml"), 415, "unsupported_media_type");
    expectProblem(await putPhoto(user.token, PNG, "application/pdf"), 415, "unsupported_media_type");
    expect((await userRow(user.id))!.profile_photo_key).toBeNull();
  });

  it("answers 413 above 5 MB and accepts exactly 5 MB", async () => {
    const user = await registerUser();
    expectProblem(await putPhoto(user.token, bigPng(5 * MB + 1), "image/png"), 413, "payload_too_large");
    expect((await userRow(user.id))!.profile_photo_key).toBeNull();
    expect((await putPhoto(user.token, bigPng(5 * MB), "image/png")).status).toBe(200);
  });

  it("needs a signed-in caller before reading the upload", async () => {
    expectProblem(await putPhoto(undefined, PNG, "image/png"), 401);
    expectProblem(await putPhoto(undefined, bigPng(6 * MB), "image/png"), 401);
    expectProblem(await api("DELETE", "/v1/me/photo"), 401);
  });

  it("deletes the previous object on replacement; the old URL stops working", async () => {
    const user = await registerUser();
    const first = await putPhoto(user.token, PNG, "image/png");
    const firstKey = (await userRow(user.id))!.profile_photo_key as string;
    const second = await putPhoto(user.token, JPEG, "image/jpeg");
    const secondKey = (await userRow(user.id))!.profile_photo_key as string;
    expect(secondKey).not.toBe(firstKey);
    expect(second.body.profile_photo_url).not.toBe(first.body.profile_photo_url);
    expect(await env.MEDIA.head(firstKey)).toBeNull();
    expect(await env.MEDIA.head(secondKey)).not.toBeNull();
    expect((await fetchRaw(first.body.profile_photo_url)).status).toBe(404);
    expect((await fetchRaw(second.body.profile_photo_url)).status).toBe(200);
  });

  it("revalidates the unversioned URL and answers 304 to a matching ETag", async () => {
    const user = await registerUser();
    const res = await putPhoto(user.token, PNG, "image/png");
    const plain = await fetchRaw(`/v1/users/${user.id}/photo`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("Cache-Control")).toBe("public, no-cache");
    const etag = plain.headers.get("ETag")!;
    const again = await fetchRaw(res.body.profile_photo_url, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect((await fetchRaw(res.body.profile_photo_url, { headers: { "If-None-Match": '"other"' } })).status).toBe(200);
  });

  it("removes the photo", async () => {
    const user = await registerUser();
    await putPhoto(user.token, PNG, "image/png");
    const key = (await userRow(user.id))!.profile_photo_key as string;
    expect((await api("DELETE", "/v1/me/photo", { token: user.token })).status).toBe(204);
    expect(await env.MEDIA.head(key)).toBeNull();
    expect((await api("GET", "/v1/me", { token: user.token })).body.profile_photo_url).toBeNull();
    expectProblem(await api("GET", `/v1/users/${user.id}/photo`), 404, "not_found");
    expect((await api("DELETE", "/v1/me/photo", { token: user.token })).status).toBe(204);
  });

  it("answers 404 problem when there is no photo, or for unknown and deactivated users", async () => {
    const user = await registerUser();
    expectProblem(await api("GET", `/v1/users/${user.id}/photo`), 404, "not_found");
    expectProblem(await api("GET", `/v1/users/${crypto.randomUUID()}/photo`), 404, "not_found");
    expectProblem(await api("GET", "/v1/users/not-a-uuid/photo"), 422);

    const gone = await registerUser();
    const res = await putPhoto(gone.token, PNG, "image/png");
    await api("DELETE", "/v1/me", { token: gone.token, body: { password: PASSWORD } });
    expectProblem(await api("GET", res.body.profile_photo_url), 404, "not_found");
  });

  it("only ever changes the caller's own photo", async () => {
    const a = await registerUser();
    const b = await registerUser();
    await putPhoto(a.token, PNG, "image/png");
    const aKey = (await userRow(a.id))!.profile_photo_key;
    await putPhoto(b.token, JPEG, "image/jpeg");
    await api("DELETE", "/v1/me/photo", { token: b.token });
    expect((await userRow(a.id))!.profile_photo_key).toBe(aKey);
    expect(await env.MEDIA.head(aKey as string)).not.toBeNull();
  });
});

// ---------------------------------------------------------------- public profiles

describe("public profiles", () => {
  it("shows only public fields to anonymous callers", async () => {
    const user = await registerUser({ phone: "+2290197123456" });
    const res = await api("GET", `/v1/users/${user.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, first_name: "Awa", followers_count: 0, following_count: 0, is_identity_verified: false });
    for (const hidden of ["email", "phone", "date_of_birth", "last_login_at", "is_following", "notifications_email"]) {
      expect(res.body).not.toHaveProperty(hidden);
    }
  });

  it("tells a signed-in caller whether they follow the user", async () => {
    const target = await registerUser();
    const viewer = await registerUser();
    expect((await api("GET", `/v1/users/${target.id}`, { token: viewer.token })).body.is_following).toBe(false);
    await api("POST", `/v1/users/${target.id}/follow`, { token: viewer.token });
    const res = await api("GET", `/v1/users/${target.id}`, { token: viewer.token });
    expect(res.body).toMatchObject({ is_following: true, followers_count: 1 });
  });

  it("answers 404 for unknown and deactivated users, 422 for malformed ids", async () => {
    expectProblem(await api("GET", `/v1/users/${crypto.randomUUID()}`), 404);
    expectProblem(await api("GET", "/v1/users/1%20OR%201=1"), 422);
    const admin = await registerAdmin();
    const user = await registerUser();
    await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    expectProblem(await api("GET", `/v1/users/${user.id}`), 404);
  });
});

// ---------------------------------------------------------------- follows

describe("follows", () => {
  it("follows idempotently: 201, then 200, one row and one notification", async () => {
    const target = await registerUser({ first_name: "Célia", last_name: "Houénou" });
    const fan = await registerUser({ first_name: "Jules", last_name: "Dossou" });
    const first = await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ follower_id: fan.id, following_id: target.id, notifications_enabled: true });
    const again = await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token, body: {} });
    expect(again.status).toBe(200);
    expect(again.body.followed_at).toBe(first.body.followed_at);

    const message = await waitForMessage(target.id, "NEW_FOLLOWER");
    expect(message).toMatchObject({ channel: "IN_APP", user_id: target.id, body: "Jules Dossou vous suit désormais." });
    expect((await api("GET", `/v1/users/${target.id}`)).body.followers_count).toBe(1);
    expect((await api("GET", `/v1/users/${fan.id}`)).body.following_count).toBe(1);

    // Unfollowing and following again does not notify a second time.
    await api("DELETE", `/v1/users/${target.id}/follow`, { token: fan.token });
    expect((await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token })).status).toBe(201);
    await queuesIdle();
    const { results } = await env.DB.prepare("SELECT id FROM message_deliveries WHERE recipient = ? AND channel = 'IN_APP' AND notification_type = 'NEW_FOLLOWER'").bind(target.id).all();
    expect(results).toHaveLength(1);
  });

  it("sets and changes notifications_enabled", async () => {
    const target = await registerUser();
    const fan = await registerUser();
    const res = await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token, body: { notifications_enabled: false } });
    expect(res.body.notifications_enabled).toBe(false);
    const patched = await api("PATCH", `/v1/users/${target.id}/follow`, { token: fan.token, body: { notifications_enabled: true } });
    expect(patched.status).toBe(200);
    expect(patched.body.notifications_enabled).toBe(true);
    const repost = await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token, body: { notifications_enabled: false } });
    expect(repost.status).toBe(200);
    expect(repost.body.notifications_enabled).toBe(false);
    expectProblem(await api("PATCH", `/v1/users/${target.id}/follow`, { token: fan.token, body: {} }), 422);
    expectProblem(await api("PATCH", `/v1/users/${target.id}/follow`, { token: fan.token, body: { notifications_enabled: "yes" } }), 422);
  });

  it("answers 404 to PATCH when not following", async () => {
    const target = await registerUser();
    const fan = await registerUser();
    expectProblem(await api("PATCH", `/v1/users/${target.id}/follow`, { token: fan.token, body: { notifications_enabled: false } }), 404);
  });

  it("refuses to follow yourself with 422", async () => {
    const user = await registerUser();
    expectProblem(await api("POST", `/v1/users/${user.id}/follow`, { token: user.token }), 422, "cannot_follow_self");
    expect((await api("GET", `/v1/users/${user.id}`)).body.followers_count).toBe(0);
  });

  it("answers 404 for unknown or deactivated users, 401 anonymously, 422 for unknown fields", async () => {
    const fan = await registerUser();
    expectProblem(await api("POST", `/v1/users/${crypto.randomUUID()}/follow`, { token: fan.token }), 404);
    const gone = await registerUser();
    await api("DELETE", "/v1/me", { token: gone.token, body: { password: PASSWORD } });
    expectProblem(await api("POST", `/v1/users/${gone.id}/follow`, { token: fan.token }), 404);
    const target = await registerUser();
    expectProblem(await api("POST", `/v1/users/${target.id}/follow`), 401);
    expectProblem(await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token, body: { follower_id: target.id } }), 422);
  });

  it("unfollows idempotently with 204", async () => {
    const target = await registerUser();
    const fan = await registerUser();
    await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token });
    expect((await api("DELETE", `/v1/users/${target.id}/follow`, { token: fan.token })).status).toBe(204);
    expect((await api("DELETE", `/v1/users/${target.id}/follow`, { token: fan.token })).status).toBe(204);
    expect((await api("GET", `/v1/users/${target.id}`)).body.followers_count).toBe(0);
    expectProblem(await api("DELETE", `/v1/users/${target.id}/follow`), 401);
  });

  it("lists followers newest first across pages of 2, and hides deactivated accounts", async () => {
    const target = await registerUser();
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await registerUser({ first_name: `Fan${i}` });
      await api("POST", `/v1/users/${target.id}/follow`, { token: fan.token });
      fans.push(fan);
    }
    const seen: { id: string; followed_at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: any = await api("GET", `/v1/users/${target.id}/followers?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      for (const item of res.body.data) expect(item).not.toHaveProperty("email");
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((s) => s.id)).toEqual(fans.map((f) => f.id).reverse());
    const times = seen.map((s) => s.followed_at);
    expect([...times].sort().reverse()).toEqual(times);

    await api("DELETE", "/v1/me", { token: fans[4]!.token, body: { password: PASSWORD } });
    const after = await api("GET", `/v1/users/${target.id}/followers?limit=10`);
    expect(after.body.data.map((s: { id: string }) => s.id)).toEqual(fans.slice(0, 4).map((f) => f.id).reverse());
    expect((await api("GET", `/v1/users/${target.id}`)).body.followers_count).toBe(4);
  });

  it("lists whom a user follows across pages", async () => {
    const fan = await registerUser();
    const idols = [];
    for (let i = 0; i < 3; i++) {
      const idol = await registerUser();
      await api("POST", `/v1/users/${idol.id}/follow`, { token: fan.token });
      idols.push(idol);
    }
    const page1 = await api("GET", `/v1/users/${fan.id}/following?limit=2`);
    const page2 = await api("GET", `/v1/users/${fan.id}/following?limit=2&cursor=${page1.body.next_cursor}`);
    expect([...page1.body.data, ...page2.body.data].map((u: { id: string }) => u.id)).toEqual(idols.map((i) => i.id).reverse());
    expect(page2.body.next_cursor).toBeNull();
    expect(page1.body.data[0].followed_at).toEqual(expect.any(String));
  });

  it("rejects bad list parameters and unknown users", async () => {
    const user = await registerUser();
    expectProblem(await api("GET", `/v1/users/${user.id}/followers?cursor=garbage`), 422);
    expectProblem(await api("GET", `/v1/users/${user.id}/followers?limit=0`), 422);
    expectProblem(await api("GET", `/v1/users/${user.id}/following?limit=101`), 422);
    expectProblem(await api("GET", `/v1/users/${crypto.randomUUID()}/followers`), 404);
  });
});

// ---------------------------------------------------------------- identity verification

describe("identity verification", () => {
  it("runs the full flow: submit, admin reviews the files, approves, the user is verified", async () => {
    const user = await registerUser();
    const admin = await registerAdmin();
    const submitted = await submitVerification(user.token, PNG, JPEG);
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({ status: "PENDING", document_content_type: "image/png", selfie_content_type: "image/jpeg", reviewed_at: null });
    const id = submitted.body.id as string;

    // Random storage keys, not derived from the user, never in any JSON.
    const row = (await verificationRow(id))!;
    expect(row.document_key).toMatch(/^verifications\/[0-9a-f-]{36}\/document$/);
    expect(row.selfie_key).toMatch(/^verifications\/[0-9a-f-]{36}\/selfie$/);
    expect(row.document_key).not.toContain(user.id);
    expect(row.document_key).not.toContain(id);
    const document = await env.VAULT.get(row.document_key);
    sameBytes(await document!.arrayBuffer(), PNG);
    expect(document!.httpMetadata!.contentType).toBe("image/png");
    sameBytes(await (await env.VAULT.get(row.selfie_key))!.arrayBuffer(), JPEG);

    const mine = await api("GET", "/v1/me/verification", { token: user.token });
    expect(mine.body).toMatchObject({ id, status: "PENDING" });
    const queue = await api("GET", "/v1/admin/verifications?status=PENDING&limit=100", { token: admin.token });
    const listed = queue.body.data.find((v: { id: string }) => v.id === id);
    expect(listed).toMatchObject({ user: { id: user.id, email: user.email }, document_url: `/v1/admin/verifications/${id}/document` });
    const detail = await api("GET", `/v1/admin/verifications/${id}`, { token: admin.token });
    expect(detail.body.status).toBe("PENDING");
    const folder = row.document_key.split("/")[1]!;
    for (const json of [submitted.body, mine.body, queue.body, detail.body]) {
      const serialized = JSON.stringify(json);
      expect(serialized).not.toContain(folder);
      expect(serialized).not.toContain("_key");
    }

    const file = await fetchRaw(`/v1/admin/verifications/${id}/document`, { token: admin.token });
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Type")).toBe("image/png");
    expect(file.headers.get("Cache-Control")).toBe("private, no-store");
    sameBytes(file.bytes, PNG);
    const selfie = await fetchRaw(`/v1/admin/verifications/${id}/selfie`, { token: admin.token });
    expect(selfie.headers.get("Content-Type")).toBe("image/jpeg");
    sameBytes(selfie.bytes, JPEG);

    const approved = await api("POST", `/v1/admin/verifications/${id}/approve`, { token: admin.token });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: "APPROVED", reviewer_id: admin.id, reviewed_at: expect.any(String) });
    const me = await api("GET", "/v1/me", { token: user.token });
    expect(me.body).toMatchObject({ is_identity_verified: true, identity_verified_at: approved.body.reviewed_at });
    expect((await api("GET", `/v1/users/${user.id}`)).body.is_identity_verified).toBe(true);
    const message = await waitForMessage(user.email, "VERIFICATION_APPROVED");
    expect(message).toMatchObject({ channel: "EMAIL", user_id: user.id, subject: "Identité vérifiée" });

    // Decided once; an approved user cannot submit again.
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/approve`, { token: admin.token }), 409, "verification_not_pending");
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/reject`, { token: admin.token, body: { comment: "late" } }), 409, "verification_not_pending");
    expectProblem(await submitVerification(user.token), 409, "already_verified");

    // Audited once, as an approval by this admin, with the state before and after.
    const trail = await auditTrail("user_verifications", id);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ action: "APPROVE", user_id: admin.id, data_before: { status: "PENDING", reviewer_id: null }, data_after: { status: "APPROVED", reviewer_id: admin.id } });
  });

  it("allows one pending verification at a time", async () => {
    const user = await registerUser();
    expect((await submitVerification(user.token)).status).toBe(201);
    expectProblem(await submitVerification(user.token), 409, "verification_pending");
    const { results } = await env.DB.prepare("SELECT id FROM user_verifications WHERE user_id = ?").bind(user.id).all();
    expect(results).toHaveLength(1);
  });

  it("needs a comment to reject, tells the user why, and lets them submit again", async () => {
    const user = await registerUser({ language: "en" });
    const admin = await registerAdmin();
    const first = await submitVerification(user.token);
    const id = first.body.id as string;
    const oldRow = (await verificationRow(id))!;

    expectProblem(await api("POST", `/v1/admin/verifications/${id}/reject`, { token: admin.token, body: {} }), 422);
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/reject`, { token: admin.token, body: { comment: "   " } }), 422);
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/reject`, { token: admin.token }), 422);
    const rejected = await api("POST", `/v1/admin/verifications/${id}/reject`, { token: admin.token, body: { comment: "Document illisible" } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: "REJECTED", admin_comment: "Document illisible", reviewer_id: admin.id });
    expect((await api("GET", "/v1/me/verification", { token: user.token })).body).toMatchObject({ status: "REJECTED", admin_comment: "Document illisible" });
    expect((await userRow(user.id))!.is_identity_verified).toBe(0);
    const message = await waitForMessage(user.email, "VERIFICATION_REJECTED");
    expect(message.body).toContain("Document illisible");
    const trail = await auditTrail("user_verifications", id);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ action: "REJECT", user_id: admin.id, data_before: { status: "PENDING" }, data_after: { status: "REJECTED", admin_comment: "Document illisible" } });

    const again = await submitVerification(user.token, PDF, WEBP);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ status: "PENDING", admin_comment: null, document_content_type: "application/pdf", selfie_content_type: "image/webp" });
    expect(again.body.id).not.toBe(id);
    expect(await env.VAULT.head(oldRow.document_key)).toBeNull();
    expect(await env.VAULT.head(oldRow.selfie_key)).toBeNull();
    expectProblem(await api("GET", `/v1/admin/verifications/${id}`, { token: admin.token }), 404);
    const pdf = await fetchRaw(`/v1/admin/verifications/${again.body.id}/document`, { token: admin.token });
    expect(pdf.headers.get("Content-Type")).toBe("application/pdf");
    sameBytes(pdf.bytes, PDF);
  });

  it("checks the files by content and size", async () => {
    const user = await registerUser();
    expectProblem(await submitVerification(user.token, text("not a document"), JPEG), 415, "unsupported_media_type");
    expectProblem(await submitVerification(user.token, SVG, JPEG), 415, "unsupported_media_type");
    expectProblem(await submitVerification(user.token, PNG, PDF), 415, "unsupported_media_type");
    expectProblem(await submitVerification(user.token, bigPng(10 * MB + 1), JPEG), 413, "payload_too_large");
    expectProblem(await submitVerification(user.token, PNG, bigPng(10 * MB + 1)), 413, "payload_too_large");
    expect(expectProblem(await submitVerification(user.token, PNG, null), 422).errors[0].path).toBe("selfie");
    expect(expectProblem(await submitVerification(user.token, null, PNG), 422).errors[0].path).toBe("document");
    const extra = await api("POST", "/v1/me/verification", { token: user.token, rawBody: verificationForm(PNG, JPEG, { user_id: crypto.randomUUID() }) });
    expectProblem(extra, 422);
    const asText = new FormData();
    asText.append("document", "PNG");
    asText.append("selfie", "JPEG");
    expectProblem(await api("POST", "/v1/me/verification", { token: user.token, rawBody: asText }), 422);
    expectProblem(await api("POST", "/v1/me/verification", { token: user.token, body: { document: "x", selfie: "y" } }), 415);
    expectProblem(await api("GET", "/v1/me/verification", { token: user.token }), 404);
    expect((await env.VAULT.list({ prefix: "verifications/" })).objects.every((o) => o.customMetadata?.user_id !== user.id)).toBe(true);
  });

  it("keeps users out of each other's verifications and admins-only routes", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const id = (await submitVerification(a.token)).body.id as string;

    expectProblem(await api("GET", "/v1/me/verification", { token: b.token }), 404);
    for (const path of ["/v1/admin/verifications", `/v1/admin/verifications/${id}`, `/v1/admin/verifications/${id}/document`, `/v1/admin/verifications/${id}/selfie`]) {
      expectProblem(await api("GET", path, { token: b.token }), 403, "forbidden");
      expectProblem(await api("GET", path, { token: a.token }), 403, "forbidden");
      expectProblem(await api("GET", path), 401);
    }
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/approve`, { token: b.token }), 403);
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/approve`, { token: a.token }), 403);
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/reject`, { token: b.token, body: { comment: "no" } }), 403);
    // Non-admins get 403 before their input is even looked at.
    expectProblem(await api("POST", `/v1/admin/verifications/${id}/reject`, { token: b.token, body: {} }), 403);
    expectProblem(await submitVerification(undefined), 401);
    expect((await verificationRow(id))!.status).toBe("PENDING");
    expect((await userRow(a.id))!.is_identity_verified).toBe(0);
  });

  it("answers 404 for unknown verifications and 422 for malformed ids", async () => {
    const admin = await registerAdmin();
    const unknown = crypto.randomUUID();
    expectProblem(await api("GET", `/v1/admin/verifications/${unknown}`, { token: admin.token }), 404);
    expectProblem(await api("GET", `/v1/admin/verifications/${unknown}/document`, { token: admin.token }), 404);
    expectProblem(await api("POST", `/v1/admin/verifications/${unknown}/approve`, { token: admin.token }), 404);
    expectProblem(await api("GET", "/v1/admin/verifications/abc", { token: admin.token }), 422);
    expectProblem(await api("GET", "/v1/admin/verifications?status=MAYBE", { token: admin.token }), 422);
  });

  it("lists the queue oldest first across pages", async () => {
    const admin = await registerAdmin();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const user = await registerUser();
      ids.push((await submitVerification(user.token)).body.id);
    }
    const seen: { id: string; submitted_at: string; status: string }[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api("GET", `/v1/admin/verifications?status=PENDING&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: admin.token });
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.every((v) => v.status === "PENDING")).toBe(true);
    expect(new Set(seen.map((v) => v.id)).size).toBe(seen.length);
    const times = seen.map((v) => v.submitted_at);
    expect([...times].sort()).toEqual(times);
    expect(seen.map((v) => v.id).filter((id) => ids.includes(id))).toEqual(ids);
  });
});

// ---------------------------------------------------------------- administration of accounts

describe("admin users", () => {
  it("is for admins only", async () => {
    const user = await registerUser();
    for (const role of ["USER", "ORGANIZER", "CONTROLLER"] as const) {
      await env.DB.prepare("UPDATE users SET role = ? WHERE id = ?").bind(role, user.id).run();
      expectProblem(await api("GET", "/v1/admin/users", { token: user.token }), 403);
      expectProblem(await api("GET", `/v1/admin/users/${user.id}`, { token: user.token }), 403);
      expectProblem(await api("PATCH", `/v1/admin/users/${user.id}`, { token: user.token, body: { role: "ADMIN" } }), 403);
    }
    expect((await userRow(user.id))!.role).toBe("CONTROLLER");
    expectProblem(await api("GET", "/v1/admin/users"), 401);
  });

  it("searches by email, name or username prefix, role and activity", async () => {
    const admin = await registerAdmin();
    const tag = crypto.randomUUID().slice(0, 6);
    const user = await registerUser({ first_name: `Zoé${tag}`, last_name: `Kpade${tag}`, username: `zk_${tag}` });
    const byEmail = await api("GET", `/v1/admin/users?q=${encodeURIComponent(user.email.slice(0, 12))}&limit=100`, { token: admin.token });
    expect(byEmail.body.data.map((u: { id: string }) => u.id)).toContain(user.id);
    for (const q of [`Zoé${tag}`, `kpade${tag}`, `zk_${tag}`, `Zoé${tag} Kpa`]) {
      const res = await api("GET", `/v1/admin/users?q=${encodeURIComponent(q)}`, { token: admin.token });
      expect(res.body.data.map((u: { id: string }) => u.id)).toEqual([user.id]);
    }
    expect((await api("GET", `/v1/admin/users?q=${encodeURIComponent(tag)}`, { token: admin.token })).body.data).toEqual([]);
    expect((await api("GET", `/v1/admin/users?q=%25${tag}`, { token: admin.token })).body.data).toEqual([]);
    expect((await api("GET", `/v1/admin/users?q=zk%5F${tag}`, { token: admin.token })).body.data).toHaveLength(1);

    const admins = await api("GET", "/v1/admin/users?role=ADMIN&limit=100", { token: admin.token });
    expect(admins.body.data.every((u: { role: string }) => u.role === "ADMIN")).toBe(true);
    expect(admins.body.data.map((u: { id: string }) => u.id)).toContain(admin.id);

    await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    const inactive = await api("GET", `/v1/admin/users?is_active=false&q=zk_${tag}`, { token: admin.token });
    expect(inactive.body.data.map((u: { id: string }) => u.id)).toEqual([user.id]);
    expect((await api("GET", `/v1/admin/users?is_active=true&q=zk_${tag}`, { token: admin.token })).body.data).toEqual([]);
    expectProblem(await api("GET", "/v1/admin/users?is_active=maybe", { token: admin.token }), 422);
    expectProblem(await api("GET", "/v1/admin/users?role=KING", { token: admin.token }), 422);
  });

  it("pages through accounts newest first without repeats", async () => {
    const admin = await registerAdmin();
    const seen: { id: string; created_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api("GET", `/v1/admin/users?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: admin.token });
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM users").all<{ n: number }>();
    expect(seen).toHaveLength(results[0]!.n);
    expect(new Set(seen.map((u) => u.id)).size).toBe(seen.length);
    const times = seen.map((u) => u.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it("shows the full account", async () => {
    const admin = await registerAdmin();
    const user = await registerUser({ phone: "+21620123456" });
    const res = await api("GET", `/v1/admin/users/${user.id}`, { token: admin.token });
    expect(res.body).toMatchObject({ id: user.id, email: user.email, phone: "+21620123456", role: "USER", is_active: true });
    expectProblem(await api("GET", `/v1/admin/users/${crypto.randomUUID()}`, { token: admin.token }), 404);
  });

  it("changes a role with effect on the very next request of the same token", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    expectProblem(await api("GET", "/v1/admin/users", { token: user.token }), 403);
    const promoted = await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { role: "ADMIN" } });
    expect(promoted.body.role).toBe("ADMIN");
    expect((await api("GET", "/v1/admin/users", { token: user.token })).status).toBe(200);
    await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { role: "ORGANIZER" } });
    expectProblem(await api("GET", "/v1/admin/users", { token: user.token }), 403);
    expect((await api("GET", "/v1/me", { token: user.token })).body.role).toBe("ORGANIZER");
    const trail = await auditTrail("users", user.id);
    expect(trail.map((entry) => [entry.action, entry.user_id, entry.data_before.role, entry.data_after.role])).toEqual([
      ["UPDATE", admin.id, "USER", "ADMIN"],
      ["UPDATE", admin.id, "ADMIN", "ORGANIZER"],
    ]);
    expect(trail[0]!.data_after).not.toHaveProperty("password_hash");
  });

  it("deactivation ends the account's sessions; reactivation lets it sign in again", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    const res = await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    expect(res.body.is_active).toBe(false);
    expectProblem(await api("GET", "/v1/me", { token: user.token }), 401);
    expectProblem(await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh }, ip: freshIp() }), 401);
    expectProblem(await login(user.email), 403, "account_deactivated");
    const deactivatedAt = (await userRow(user.id))!.deactivated_at;
    expect(deactivatedAt).toEqual(expect.any(String));

    const again = await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: false } });
    expect(again.status).toBe(200);
    expect((await userRow(user.id))!.deactivated_at).toBe(deactivatedAt);

    const back = await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { is_active: true } });
    expect(back.body.is_active).toBe(true);
    expect((await userRow(user.id))!.deactivated_at).toBeNull();
    const trail = await auditTrail("users", user.id);
    expect(trail.map((entry) => [entry.data_before.is_active, entry.data_after.is_active])).toEqual([
      [true, false],
      [false, false],
      [false, true],
    ]);
    expect(trail[0]!.data_after.deactivated_at).toBe(deactivatedAt);
    expectProblem(await api("GET", "/v1/me", { token: user.token }), 401);
    expect((await login(user.email)).status).toBe(200);
  });

  it("does not let an admin demote or deactivate themselves", async () => {
    const admin = await registerAdmin();
    expectProblem(await api("PATCH", `/v1/admin/users/${admin.id}`, { token: admin.token, body: { role: "USER" } }), 409, "cannot_change_own_admin");
    expectProblem(await api("PATCH", `/v1/admin/users/${admin.id}`, { token: admin.token, body: { is_active: false } }), 409, "cannot_change_own_admin");
    expect((await api("PATCH", `/v1/admin/users/${admin.id}`, { token: admin.token, body: { role: "ADMIN" } })).status).toBe(200);
    expect((await api("GET", "/v1/admin/users", { token: admin.token })).status).toBe(200);
    expect(await userRow(admin.id)).toMatchObject({ role: "ADMIN", is_active: 1 });
  });

  it("validates the update", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    expectProblem(await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { role: "GOD" } }), 422);
    expectProblem(await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { email: "x@example.com" } }), 422);
    expectProblem(await api("PATCH", `/v1/admin/users/${crypto.randomUUID()}`, { token: admin.token, body: { role: "USER" } }), 404);
  });
});

describe("OpenAPI", () => {
  it("documents every users route", async () => {
    const res = await api("GET", "/openapi.json");
    const paths = Object.keys(res.body.paths);
    for (const path of [
      "/v1/me",
      "/v1/me/photo",
      "/v1/me/verification",
      "/v1/users/{user_id}",
      "/v1/users/{user_id}/photo",
      "/v1/users/{user_id}/follow",
      "/v1/users/{user_id}/followers",
      "/v1/users/{user_id}/following",
      "/v1/admin/verifications",
      "/v1/admin/verifications/{verification_id}",
      "/v1/admin/verifications/{verification_id}/document",
      "/v1/admin/verifications/{verification_id}/selfie",
      "/v1/admin/verifications/{verification_id}/approve",
      "/v1/admin/verifications/{verification_id}/reject",
      "/v1/admin/users",
      "/v1/admin/users/{user_id}",
    ]) {
      expect(paths).toContain(path);
    }
    expect(Object.keys(res.body.paths["/v1/me/photo"].put.requestBody.content)).toEqual(["image/jpeg", "image/png", "image/webp"]);
    const upload = res.body.components.schemas.VerificationUpload;
    expect(upload.properties.document).toMatchObject({ type: "string", format: "binary" });
    expect(upload.required).toEqual(["document", "selfie"]);
  });
});
