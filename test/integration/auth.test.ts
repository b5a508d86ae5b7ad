import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, freshIp, login, PASSWORD, registerUser, turnstileToken, waitForMessage } from "../support/api.ts";

describe("register", () => {
  it("creates the account, signs it in and emails a 6-digit code", async () => {
    const res = await api("POST", "/v1/auth/register", {
      body: { email: "Fatou.Diallo@Example.com", password: PASSWORD, first_name: "Fatou", last_name: "Diallo", phone: "+229 01 97 12 34 56" },
      ip: freshIp(),
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email: "fatou.diallo@example.com", phone: "+2290197123456", role: "USER", email_verified: false });
    expect(res.body.user).not.toHaveProperty("password_hash");
    expect(res.body.tokens.token_type).toBe("Bearer");
    const message = await waitForMessage("fatou.diallo@example.com", "EMAIL_CODE_SIGNUP");
    expect(message.data?.code).toMatch(/^\d{6}$/);
    expect(message.language).toBe("fr");
    const me = await api("GET", "/v1/me", { token: res.body.tokens.access_token });
    expect(me.body.id).toBe(res.body.user.id);
  });

  it("refuses a second account with the same email, whatever its case", async () => {
    const first = await registerUser();
    const res = await api("POST", "/v1/auth/register", {
      body: { email: first.email.toUpperCase(), password: PASSWORD, first_name: "X", last_name: "Y" },
      ip: freshIp(),
    });
    expectProblem(res, 409, "email_taken");
  });

  it("refuses a taken username", async () => {
    await registerUser({ username: "koffi_b" });
    const res = await api("POST", "/v1/auth/register", {
      body: { email: "other@example.com", password: PASSWORD, first_name: "X", last_name: "Y", username: "koffi_b" },
      ip: freshIp(),
    });
    expectProblem(res, 409, "username_taken");
  });

  it("stores the password as a peppered scrypt hash", async () => {
    const user = await registerUser();
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(user.id).first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row!.password_hash).not.toContain(PASSWORD);
  });

  it("limits sign-ups per IP", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await api("POST", "/v1/auth/register", {
        body: { email: `burst${i}-${crypto.randomUUID().slice(0, 6)}@example.com`, password: PASSWORD, first_name: "B", last_name: "B" },
        ip,
      });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses[10]).toBe(429);
  });
});

describe("login and its throttling", () => {
  it("signs in with the right password and records the attempt", async () => {
    const user = await registerUser();
    const res = await login(user.email);
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBeTypeOf("string");
    const attempts = await api("GET", "/v1/auth/login-attempts", { token: res.body.access_token });
    expect(attempts.body.data[0]).toMatchObject({ status: "SUCCESS", email_attempted: user.email });
  });

  it("answers a wrong password and an unknown email the same way", async () => {
    const user = await registerUser();
    const wrong = await login(user.email, "not the password at all");
    const unknown = await login("nobody-here@example.com", "not the password at all");
    expectProblem(wrong, 401, "invalid_credentials");
    expectProblem(unknown, 401, "invalid_credentials");
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it("answers a known and an unknown address alike, attempt after attempt, whatever the IP", async () => {
    const user = await registerUser();
    const unknown = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
    // One IP probing each address, then many IPs: the same answers, in the same order, for both.
    const probe = async (email: string) => {
      const ip = freshIp();
      const fromOneIp = [];
      for (let i = 0; i < 11; i++) fromOneIp.push(await api("POST", "/v1/auth/login", { body: { email, password: "wrong password!!" }, ip }));
      const fromMany = [];
      for (let i = 0; i < 2; i++) fromMany.push(await api("POST", "/v1/auth/login", { body: { email, password: "wrong password!!" }, ip: freshIp() }));
      return [...fromOneIp, ...fromMany].map((r) => [r.status, r.body.code, r.body.errors?.[0]?.code ?? null, r.headers.has("Retry-After")]);
    };
    const [known, stranger] = [await probe(user.email), await probe(unknown)];
    expect(known).toEqual(stranger);
    // 10 refusals as wrong credentials, then this IP is slowed; then, from elsewhere, the address asks for the check.
    expect(known.map(([status]) => status)).toEqual([...Array(10).fill(401), 429, 422, 422]);
    expect(known[10]).toEqual([429, "rate_limited", null, true]);
    expect(known[11]).toEqual([422, "validation_failed", "turnstile_required", false]);
  });

  it("never locks a fan out: a stranger's wrong passwords leave their own device signing in, and a new one with the check", async () => {
    const user = await registerUser();
    const home = freshIp();
    expect((await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD }, ip: home })).status).toBe(200);
    // Someone else tries the account from many networks, far past any threshold.
    for (let i = 0; i < 25; i++) await api("POST", "/v1/auth/login", { body: { email: user.email, password: `guess number ${i}` }, ip: freshIp() });
    // The fan, at home: signed in at once.
    expect((await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD }, ip: home })).status).toBe(200);
    // On a new network: asked for the check, then signed in with it; a refused token is 403.
    const away = freshIp();
    expectProblem(await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD }, ip: away }), 422, "validation_failed");
    expectProblem(await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD, turnstile_token: "forged" }, ip: away }), 403, "turnstile_failed");
    const solved = await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD, turnstile_token: await turnstileToken() }, ip: away });
    expect(solved.status).toBe(200);
    expect(solved.body.access_token).toBeTypeOf("string");
  });

  it("slows one IP's attempts at one address exactly, under concurrency, and no other IP", async () => {
    const user = await registerUser();
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 14 }, () => api("POST", "/v1/auth/login", { body: { email: user.email, password: "wrong password!!" }, ip })));
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    for (const slowed of results.filter((r) => r.status !== 401)) expectProblem(slowed, 429, "rate_limited");
    // Even the right password waits, from that IP only.
    expectProblem(await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD }, ip }), 429, "rate_limited");
    const checked = await env.DB.prepare("SELECT count(*) AS n FROM login_attempts WHERE user_id = ? AND failure_reason = 'wrong_password'").bind(user.id).first<{ n: number }>();
    expect(checked!.n).toBe(10);
    const row = await env.DB.prepare("SELECT failed_login_count FROM users WHERE id = ?").bind(user.id).first<{ failed_login_count: number }>();
    expect(row!.failed_login_count).toBe(10);
    // Elsewhere, past the address's attempts from unknown networks: with the check.
    expect((await api("POST", "/v1/auth/login", { body: { email: user.email, password: PASSWORD, turnstile_token: await turnstileToken() }, ip: freshIp() })).status).toBe(200);
    expect((await env.DB.prepare("SELECT failed_login_count FROM users WHERE id = ?").bind(user.id).first<{ failed_login_count: number }>())!.failed_login_count).toBe(0);
  });

  it("refuses a deactivated account", async () => {
    const user = await registerUser();
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?").bind(user.id).run();
    expectProblem(await login(user.email), 403, "account_deactivated");
  });
});

describe("refresh tokens", () => {
  it("rotates on every use", async () => {
    const user = await registerUser();
    const first = await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(user.refresh);
    expect(first.body.session_id).toBe(user.sessionId);
    const second = await api("POST", "/v1/auth/refresh", { body: { refresh_token: first.body.refresh_token } });
    expect(second.status).toBe(200);
    expect((await api("GET", "/v1/me", { token: second.body.access_token })).status).toBe(200);
  });

  it("closes the whole session when a used refresh token comes back", async () => {
    const user = await registerUser();
    const rotated = await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } });
    const replay = await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } });
    expectProblem(replay, 401, "refresh_token_reused");
    // The legitimate holder's newer token and access token die with the family.
    expectProblem(await api("POST", "/v1/auth/refresh", { body: { refresh_token: rotated.body.refresh_token } }), 401, "session_revoked");
    expectProblem(await api("GET", "/v1/me", { token: rotated.body.access_token }), 401, "session_revoked");
    const alert = await waitForMessage(user.email, "SECURITY_ALERT");
    expect(alert.body).toContain("refresh token reuse");
  });

  it("lets exactly one of two simultaneous refreshes win", async () => {
    const user = await registerUser();
    const results = await Promise.all([1, 2].map(() => api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("rejects unknown and expired refresh tokens", async () => {
    expectProblem(await api("POST", "/v1/auth/refresh", { body: { refresh_token: "x".repeat(43) } }), 401, "invalid_refresh_token");
    const user = await registerUser();
    await env.DB.prepare("UPDATE refresh_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE session_id = ?").bind(user.sessionId).run();
    expectProblem(await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } }), 401, "refresh_token_expired");
  });
});

describe("sessions", () => {
  it("logout ends the session at once", async () => {
    const user = await registerUser();
    expect((await api("POST", "/v1/auth/logout", { token: user.token })).status).toBe(204);
    expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "session_revoked");
    expectProblem(await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } }), 401, "session_revoked");
    const row = await env.DB.prepare("SELECT session_duration_seconds AS d FROM login_attempts WHERE session_id = ?").bind(user.sessionId).first<{ d: number | null }>();
    expect(row!.d).not.toBeNull();
  });

  it("lists my sessions and ends another one of mine", async () => {
    const user = await registerUser();
    const phone = await login(user.email);
    const list = await api("GET", "/v1/auth/sessions", { token: user.token });
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data.find((s: { current: boolean }) => s.current).id).toBe(user.sessionId);
    expect((await api("DELETE", `/v1/auth/sessions/${phone.body.session_id}`, { token: user.token })).status).toBe(204);
    expectProblem(await api("GET", "/v1/me", { token: phone.body.access_token }), 401, "session_revoked");
  });

  it("never reaches another user's session", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    expectProblem(await api("DELETE", `/v1/auth/sessions/${bob.sessionId}`, { token: alice.token }), 404, "not_found");
    expect((await api("GET", "/v1/me", { token: bob.token })).status).toBe(200);
    const list = await api("GET", "/v1/auth/sessions", { token: alice.token });
    expect(list.body.data.map((s: { id: string }) => s.id)).not.toContain(bob.sessionId);
  });
});

describe("email codes", () => {
  it("verifies the sign-up address with the emailed code", async () => {
    const user = await registerUser();
    const { data } = await waitForMessage(user.email, "EMAIL_CODE_SIGNUP");
    const res = await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: data!.code } });
    expect(res.status).toBe(200);
    expect(res.body.email_verified).toBe(true);
    expectProblem(await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: data!.code } }), 400, "no_pending_code");
  });

  it("counts wrong codes and stops at the maximum, even when guessed in parallel", async () => {
    const user = await registerUser();
    const { data } = await waitForMessage(user.email, "EMAIL_CODE_SIGNUP");
    const wrong = data!.code === "000000" ? "111111" : "000000";
    const results = await Promise.all(Array.from({ length: 8 }, () => api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: wrong } })));
    expect(results.filter((r) => r.status === 400 && r.body.code === "invalid_code")).toHaveLength(5);
    expect(results.filter((r) => r.status === 429 && r.body.code === "too_many_attempts")).toHaveLength(3);
    // Even the right code is refused once the attempts are spent.
    expectProblem(await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: data!.code } }), 429, "too_many_attempts");
  });

  it("refuses an expired code", async () => {
    const user = await registerUser();
    const { data } = await waitForMessage(user.email, "EMAIL_CODE_SIGNUP");
    await env.DB.prepare("UPDATE email_verifications SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?").bind(user.id).run();
    expectProblem(await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: data!.code } }), 410, "code_expired");
  });

  it("a resent code replaces the previous one", async () => {
    const user = await registerUser();
    const first = await waitForMessage(user.email, "EMAIL_CODE_SIGNUP");
    expect((await api("POST", "/v1/auth/email/resend", { token: user.token })).status).toBe(202);
    const second = await waitForMessage(user.email, "EMAIL_CODE_SIGNUP", first.id);
    if (first.data!.code !== second.data!.code) {
      expectProblem(await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: first.data!.code } }), 400, "invalid_code");
    }
    expect((await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: second.data!.code } })).status).toBe(200);
  });

  it("changes the address only after the new one confirms", async () => {
    const user = await registerUser();
    const newEmail = `new-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expectProblem(await api("POST", "/v1/auth/email/change", { token: user.token, body: { new_email: newEmail, password: "wrong password!!" } }), 401, "invalid_credentials");
    expect((await api("POST", "/v1/auth/email/change", { token: user.token, body: { new_email: newEmail, password: PASSWORD } })).status).toBe(202);
    expect((await api("GET", "/v1/me", { token: user.token })).body.email).toBe(user.email);
    const { data } = await waitForMessage(newEmail, "EMAIL_CODE_EMAIL_CHANGE");
    const res = await api("POST", "/v1/auth/email/change/confirm", { token: user.token, body: { code: data!.code } });
    expect(res.body).toMatchObject({ email: newEmail, email_verified: true });
    expect((await login(newEmail)).status).toBe(200);
  });

  it("refuses to move to an address another account uses", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    expectProblem(await api("POST", "/v1/auth/email/change", { token: alice.token, body: { new_email: bob.email, password: PASSWORD } }), 409, "email_taken");
  });

  it("reactivates a deactivated account with a code", async () => {
    const user = await registerUser();
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE id = ?").bind(user.id).run();
    expect((await api("POST", "/v1/auth/reactivation/request", { body: { email: user.email }, ip: freshIp() })).status).toBe(202);
    const { data } = await waitForMessage(user.email, "EMAIL_CODE_REACTIVATION");
    expect((await api("POST", "/v1/auth/reactivation/confirm", { body: { email: user.email, code: data!.code } })).status).toBe(204);
    expect((await login(user.email)).status).toBe(200);
  });

  it("does not reveal whether an address has an account", async () => {
    const res = await api("POST", "/v1/auth/reactivation/request", { body: { email: "ghost@example.com" }, ip: freshIp() });
    expect(res.status).toBe(202);
    expectProblem(await api("POST", "/v1/auth/reactivation/confirm", { body: { email: "ghost@example.com", code: "123456" } }), 400, "no_pending_code");
  });
});

describe("passwords", () => {
  it("resets with a single-use emailed token and closes every session", async () => {
    const user = await registerUser();
    expect((await api("POST", "/v1/auth/password/forgot", { body: { email: user.email }, ip: freshIp() })).status).toBe(202);
    const { data } = await waitForMessage(user.email, "PASSWORD_RESET");
    const newPassword = "a brand new passphrase";
    expect((await api("POST", "/v1/auth/password/reset", { body: { token: data!.token, new_password: newPassword }, ip: "41.226.11.226" })).status).toBe(204);
    expectProblem(await api("POST", "/v1/auth/password/reset", { body: { token: data!.token, new_password: "yet another passphrase" } }), 400, "invalid_reset_token");
    expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "session_revoked");
    expectProblem(await login(user.email), 401, "invalid_credentials");
    expect((await login(user.email, newPassword)).status).toBe(200);
    const row = await env.DB.prepare("SELECT status, used_ip FROM password_resets WHERE user_id = ?").bind(user.id).first();
    expect(row).toMatchObject({ status: "USED", used_ip: "41.226.11.226" });
  });

  it("answers 202 for unknown addresses without sending anything", async () => {
    const res = await api("POST", "/v1/auth/password/forgot", { body: { email: "nobody-at-all@example.com" }, ip: freshIp() });
    expect(res.status).toBe(202);
    const sent = await env.DB.prepare("SELECT count(*) AS n FROM message_deliveries WHERE recipient = 'nobody-at-all@example.com'").first<{ n: number }>();
    expect(sent!.n).toBe(0);
  });

  it("refuses an expired reset token", async () => {
    const user = await registerUser();
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email }, ip: freshIp() });
    const { data } = await waitForMessage(user.email, "PASSWORD_RESET");
    await env.DB.prepare("UPDATE password_resets SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?").bind(user.id).run();
    expectProblem(await api("POST", "/v1/auth/password/reset", { body: { token: data!.token, new_password: "a brand new passphrase" } }), 400, "invalid_reset_token");
  });

  it("changes the password, keeping this session and closing the others", async () => {
    const user = await registerUser();
    const other = await login(user.email);
    expectProblem(await api("POST", "/v1/auth/password/change", { token: user.token, body: { current_password: "wrong password!!", new_password: "another passphrase" } }), 401, "invalid_credentials");
    expect((await api("POST", "/v1/auth/password/change", { token: user.token, body: { current_password: PASSWORD, new_password: "another passphrase" } })).status).toBe(204);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    expectProblem(await api("GET", "/v1/me", { token: other.body.access_token }), 401, "session_revoked");
  });

  it("refuses passwords that are too short", async () => {
    const user = await registerUser();
    const res = await api("POST", "/v1/auth/password/change", { token: user.token, body: { current_password: PASSWORD, new_password: "short" } });
    expect(expectProblem(res, 422, "validation_failed").errors[0].path).toBe("new_password");
  });
});

describe("token keys", () => {
  it("publishes the public verification keys only, and they verify an access token", async () => {
    const { createLocalJWKSet, jwtVerify } = await import("jose");
    const res = await api("GET", "/v1/auth/jwks");
    expect(res.body.keys).toHaveLength(1);
    expect(res.body.keys[0]).toMatchObject({ kid: "test-key-1", kty: "OKP", crv: "Ed25519", alg: "EdDSA" });
    expect(res.body.keys[0]).not.toHaveProperty("d");
    const user = await registerUser();
    const { payload, protectedHeader } = await jwtVerify(user.token, createLocalJWKSet(res.body), { audience: "edge-events-api", issuer: "edge-events" });
    expect(payload.sub).toBe(user.id);
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", kid: "test-key-1", typ: "at+jwt" });
  });
});

describe("login attempts", () => {
  it("pages through my attempts with a cursor, newest first", async () => {
    const user = await registerUser();
    for (let i = 0; i < 3; i++) await login(user.email, "wrong password!!");
    const first = await api("GET", "/v1/auth/login-attempts?limit=2", { token: user.token });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toBeTypeOf("string");
    const second = await api("GET", `/v1/auth/login-attempts?limit=2&cursor=${first.body.next_cursor}`, { token: user.token });
    expect(second.body.data).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((a: { id: string }) => a.id);
    expect(new Set(ids).size).toBe(4);
    expect(first.body.data[0].attempted_at >= second.body.data[1].attempted_at).toBe(true);
    expect(first.body.data[0]).not.toHaveProperty("user_id");
  });

  it("needs a signed-in user", async () => {
    expectProblem(await api("GET", "/v1/auth/login-attempts"), 401, "unauthorized");
  });
});
