import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { totpAt, TOTP_STEP_SECONDS } from "../../src/lib/crypto/totp.ts";
import { api, expectProblem, login, PASSWORD, registerUser, waitForMessage } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";

/** Turns TOTP on for a fresh user; returns the user, the secret and the recovery codes. */
async function userWithTotp() {
  const user = await registerUser();
  const setup = await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "TOTP" } });
  expect(setup.status).toBe(201);
  expect(setup.body.otpauth_url).toContain(`secret=${setup.body.secret}`);
  // Confirm with the previous step's code so the current one is still fresh for the test.
  const code = await totpAt(setup.body.secret, Date.now() - TOTP_STEP_SECONDS * 1000);
  const enabled = await api("POST", "/v1/auth/2fa/enable", { token: user.token, body: { challenge_id: setup.body.challenge_id, code } });
  expect(enabled.status).toBe(200);
  return { user, secret: setup.body.secret as string, recoveryCodes: enabled.body.recovery_codes as string[] };
}

describe("TOTP", () => {
  // Codes change every 30 s and are accepted within one step of the server's clock: with time standing still, a
  // code the test computes is judged at the same instant (a loaded machine crossing a step boundary between the
  // two made the setup's previous-step code two steps old, and the test fail).
  beforeEach(() => advanceClock(0));
  afterEach(() => vi.useRealTimers());

  it("asks for a second factor at login and accepts the current code", async () => {
    const { user, secret, recoveryCodes } = await userWithTotp();
    expect(recoveryCodes).toHaveLength(10);
    const first = await login(user.email);
    expect(first.body).toMatchObject({ mfa_required: true, method: "TOTP" });
    expect(first.body).not.toHaveProperty("access_token");
    const done = await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code: await totpAt(secret) } });
    expect(done.status).toBe(200);
    expect((await api("GET", "/v1/me", { token: done.body.access_token })).status).toBe(200);
  });

  it("never accepts the same code twice", async () => {
    const { user, secret } = await userWithTotp();
    const code = await totpAt(secret);
    const a = await login(user.email);
    expect((await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: a.body.mfa_token, code } })).status).toBe(200);
    const b = await login(user.email);
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: b.body.mfa_token, code } }), 401, "code_already_used");
  });

  it("lets only one of two simultaneous uses of a code through", async () => {
    const { user, secret } = await userWithTotp();
    const [a, b] = await Promise.all([login(user.email), login(user.email)]);
    const code = await totpAt(secret);
    const results = await Promise.all([a, b].map((l) => api("POST", "/v1/auth/login/2fa", { body: { mfa_token: l.body.mfa_token, code } })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("refuses a wrong code and counts the attempt", async () => {
    const { user, secret } = await userWithTotp();
    const first = await login(user.email);
    const right = await totpAt(secret);
    const wrong = right === "123456" ? "654321" : "123456";
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code: wrong } }), 401, "invalid_code");
    const row = await env.DB.prepare("SELECT attempts FROM two_factor_challenges WHERE user_id = ? AND purpose = 'LOGIN'").bind(user.id).first<{ attempts: number }>();
    expect(row!.attempts).toBe(1);
    for (let i = 0; i < 4; i++) await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code: wrong } });
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code: right } }), 400, "challenge_invalid");
  });

  it("accepts each recovery code once", async () => {
    const { user, recoveryCodes } = await userWithTotp();
    const a = await login(user.email);
    expect((await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: a.body.mfa_token, code: recoveryCodes[0] } })).status).toBe(200);
    const b = await login(user.email);
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: b.body.mfa_token, code: recoveryCodes[0] } }), 401, "invalid_code");
    const status = await api("GET", "/v1/auth/2fa", { token: user.token });
    expect(status.body).toMatchObject({ enabled: true, method: "TOTP", recovery_codes_remaining: 9 });
  });

  it("stores the secret encrypted", async () => {
    const { user, secret } = await userWithTotp();
    const row = await env.DB.prepare("SELECT secret_encrypted FROM two_factor_auth WHERE user_id = ?").bind(user.id).first<{ secret_encrypted: string }>();
    expect(row!.secret_encrypted).toMatch(/^v1\./);
    expect(row!.secret_encrypted).not.toContain(secret);
  });

  it("turns off with the password and a code, and not without", async () => {
    const { user, secret } = await userWithTotp();
    expectProblem(await api("POST", "/v1/auth/2fa/disable", { token: user.token, body: { password: PASSWORD } }), 401, "invalid_code");
    expectProblem(await api("POST", "/v1/auth/2fa/disable", { token: user.token, body: { password: "wrong password!!", code: await totpAt(secret) } }), 401, "invalid_credentials");
    expect((await api("POST", "/v1/auth/2fa/disable", { token: user.token, body: { password: PASSWORD, code: await totpAt(secret) } })).status).toBe(204);
    expect((await login(user.email)).body.access_token).toBeTypeOf("string");
  });

  it("refuses a second setup while on, and an mfa token as an access token", async () => {
    const { user } = await userWithTotp();
    expectProblem(await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "EMAIL" } }), 409, "two_factor_enabled");
    const first = await login(user.email);
    expectProblem(await api("GET", "/v1/me", { token: first.body.mfa_token }), 401, "invalid_token");
  });

  it("replaces recovery codes", async () => {
    const { user, recoveryCodes } = await userWithTotp();
    const fresh = await api("POST", "/v1/auth/2fa/recovery-codes", { token: user.token, body: { password: PASSWORD } });
    expect(fresh.body.recovery_codes).toHaveLength(10);
    const a = await login(user.email);
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: a.body.mfa_token, code: recoveryCodes[1] } }), 401, "invalid_code");
  });
});

describe("EMAIL and SMS second factors", () => {
  it("sends a sign-in code by email", async () => {
    const user = await registerUser();
    const setup = await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "EMAIL" } });
    expect(setup.body.secret).toBeNull();
    const enableCode = await waitForMessage(user.email, "TWO_FACTOR_CODE");
    expect((await api("POST", "/v1/auth/2fa/enable", { token: user.token, body: { challenge_id: setup.body.challenge_id, code: enableCode.data!.code } })).status).toBe(200);
    const first = await login(user.email);
    expect(first.body.method).toBe("EMAIL");
    const loginCode = await waitForMessage(user.email, "TWO_FACTOR_CODE", enableCode.id);
    const done = await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code: loginCode.data!.code } });
    expect(done.status).toBe(200);
    // The code is consumed with its challenge.
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code: loginCode.data!.code } }), 400, "challenge_invalid");
  });

  it("needs a phone number for SMS", async () => {
    const user = await registerUser();
    const res = await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "SMS" } });
    expect(expectProblem(res, 422, "validation_failed").errors[0]).toMatchObject({ code: "phone_required" });
  });

  it("sends SMS codes to the profile's phone", async () => {
    const user = await registerUser({ phone: "+216 98 765 432" });
    const setup = await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "SMS" } });
    expect(setup.status).toBe(201);
    const sms = await waitForMessage("+21698765432", "TWO_FACTOR_CODE");
    expect(sms.channel).toBe("SMS");
    expect((await api("POST", "/v1/auth/2fa/enable", { token: user.token, body: { challenge_id: setup.body.challenge_id, code: sms.data!.code } })).status).toBe(200);
  });

  it("cannot confirm another user's setup challenge", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const setup = await api("POST", "/v1/auth/2fa/setup", { token: alice.token, body: { method: "TOTP" } });
    const code = await totpAt(setup.body.secret);
    expectProblem(await api("POST", "/v1/auth/2fa/enable", { token: bob.token, body: { challenge_id: setup.body.challenge_id, code } }), 400, "challenge_invalid");
  });
});

describe("resending a sign-in code", () => {
  it("sends a new EMAIL code with a new mfa token", async () => {
    const user = await registerUser();
    const setup = await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "EMAIL" } });
    const enableCode = await waitForMessage(user.email, "TWO_FACTOR_CODE");
    await api("POST", "/v1/auth/2fa/enable", { token: user.token, body: { challenge_id: setup.body.challenge_id, code: enableCode.data!.code } });
    const first = await login(user.email);
    const firstCode = await waitForMessage(user.email, "TWO_FACTOR_CODE", enableCode.id);
    const resent = await api("POST", "/v1/auth/login/2fa/resend", { body: { mfa_token: first.body.mfa_token } });
    expect(resent.body).toMatchObject({ mfa_required: true, method: "EMAIL" });
    const secondCode = await waitForMessage(user.email, "TWO_FACTOR_CODE", firstCode.id);
    expect((await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: resent.body.mfa_token, code: secondCode.data!.code } })).status).toBe(200);
  });

  it("has nothing to send for TOTP, and refuses a forged mfa token", async () => {
    const { user } = await userWithTotp();
    const first = await login(user.email);
    expectProblem(await api("POST", "/v1/auth/login/2fa/resend", { body: { mfa_token: first.body.mfa_token } }), 400, "nothing_to_send");
    expectProblem(await api("POST", "/v1/auth/login/2fa/resend", { body: { mfa_token: "x.y.z" } }), 401, "invalid_mfa_token");
    expectProblem(await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: user.token, code: "123456" } }), 401, "invalid_mfa_token");
  });
});
