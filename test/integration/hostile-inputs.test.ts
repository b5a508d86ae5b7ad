import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SignJWT, generateKeyPair, exportJWK } from "jose";
import { signJwt } from "../../src/lib/crypto/jwt.ts";
import { toBase64Url, utf8 } from "../../src/lib/crypto/encoding.ts";
import { api, expectProblem, freshIp, registerUser, type ApiResponse } from "../support/api.ts";

const register = (body: unknown, headers?: Record<string, string>) => api("POST", "/v1/auth/register", { body, headers, ip: freshIp() });
const valid = { email: "ok@example.com", password: "long enough password", first_name: "A", last_name: "B" };

/** Every hostile request gets a 4xx problem+json, never a 500; field errors name their path. */
function expectFieldError(res: ApiResponse, path: string) {
  const problem = expectProblem(res, 422, "validation_failed");
  expect(problem.errors.map((e: { path: string }) => e.path)).toContain(path);
}

const b64json = (value: unknown) => toBase64Url(utf8(JSON.stringify(value)));

describe("hostile bodies", () => {
  it("wrong types", async () => expectFieldError(await register({ ...valid, email: 123 }), "email"));
  it("an unknown field (privilege escalation attempt)", async () => expectFieldError(await register({ ...valid, role: "ADMIN" }), "role"));
  it("__proto__ smuggling", async () => {
    const res = await api("POST", "/v1/auth/register", { rawBody: `{"email":"p@example.com","password":"long enough password","first_name":"A","last_name":"B","__proto__":{"role":"ADMIN"}}`, headers: { "Content-Type": "application/json" }, ip: freshIp() });
    expectFieldError(res, "__proto__");
  });
  it("an invalid email", async () => expectFieldError(await register({ ...valid, email: "not-an-email" }), "email"));
  it("an invalid phone", async () => expectFieldError(await register({ ...valid, phone: "+229 97 00 00 00" }), "phone"));
  it("a too-long name", async () => expectFieldError(await register({ ...valid, first_name: "x".repeat(5000) }), "first_name"));
  it("a password over 128 characters", async () => expectFieldError(await register({ ...valid, password: "p".repeat(129) }), "password"));
  it("a JSON array instead of an object", async () => expectProblem(await register([valid]), 422, "validation_failed"));
  it("an empty object", async () => expectFieldError(await register({}), "email"));
  it("malformed JSON", async () => {
    const res = await api("POST", "/v1/auth/register", { rawBody: '{"email": "a@b.c",', headers: { "Content-Type": "application/json" }, ip: freshIp() });
    expectProblem(res, 400, "malformed_request");
  });
  it("an oversized body", async () => {
    const res = await register({ ...valid, bio: "x".repeat(100 * 1024) });
    expectProblem(res, 413, "payload_too_large");
  });
  it("JSON sent as text/plain (a 415 with its own code, not the framework's http_error)", async () => {
    const res = await api("POST", "/v1/auth/login", { rawBody: JSON.stringify({ email: "a@example.com", password: "x" }), headers: { "Content-Type": "text/plain" }, ip: freshIp() });
    expectProblem(res, 415, "unsupported_media_type");
  });
  it("deeply nested JSON", async () => {
    let nested: unknown = "x";
    for (let i = 0; i < 2000; i++) nested = { a: nested };
    const res = await api("POST", "/v1/auth/login", { rawBody: JSON.stringify({ email: nested, password: "x" }), headers: { "Content-Type": "application/json" }, ip: freshIp() });
    expectFieldError(res, "email");
  });
  it("a code with letters", async () => {
    const user = await registerUser();
    expectFieldError(await api("POST", "/v1/auth/email/verify", { token: user.token, body: { code: "12a456" } }), "code");
  });
  it("a path id that is not a UUID", async () => {
    const user = await registerUser();
    expectFieldError(await api("DELETE", "/v1/auth/sessions/12345", { token: user.token }), "param.session_id");
  });
  it("a page size out of range", async () => {
    const user = await registerUser();
    expectFieldError(await api("GET", "/v1/auth/login-attempts?limit=1000", { token: user.token }), "query.limit");
  });
  it("a forged cursor", async () => {
    const user = await registerUser();
    expectFieldError(await api("GET", "/v1/auth/login-attempts?cursor=not-a-cursor", { token: user.token }), "query.cursor");
  });
});

describe("hostile tokens", () => {
  const me = (authorization: string) => api("GET", "/v1/me", { headers: { Authorization: authorization } });

  it("a non-Bearer scheme", async () => expectProblem(await me("Basic dXNlcjpwYXNz"), 401, "invalid_authorization_header"));
  it("garbage", async () => expectProblem(await me("Bearer not.a.jwt"), 401, "invalid_token"));
  it("alg: none", async () => {
    const user = await registerUser();
    const header = b64json({ alg: "none", typ: "at+jwt", kid: "test-key-1" });
    const payload = b64json({ sub: user.id, sid: user.sessionId, role: "ADMIN", iss: "edge-events", aud: "edge-events-api", exp: Math.floor(Date.now() / 1000) + 600 });
    expectProblem(await me(`Bearer ${header}.${payload}.`), 401, "invalid_token");
  });
  it("HS256 signed with the public key (algorithm confusion)", async () => {
    const user = await registerUser();
    const publicJwk = JSON.parse(env.JWT_SIGNING_KEYS)[0];
    const secret = utf8(JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x }));
    const token = await new SignJWT({ sid: user.sessionId, role: "ADMIN" })
      .setProtectedHeader({ alg: "HS256", kid: "test-key-1", typ: "at+jwt" })
      .setSubject(user.id).setIssuer("edge-events").setAudience("edge-events-api").setExpirationTime("10m")
      .sign(secret);
    expectProblem(await me(`Bearer ${token}`), 401, "invalid_token");
  });
  it("expired", async () => {
    const user = await registerUser();
    const token = await signJwt(env.JWT_SIGNING_KEYS, { sub: user.id, sid: user.sessionId, role: "USER" }, -60, "at+jwt");
    const problem = expectProblem(await me(`Bearer ${token}`), 401, "invalid_token");
    expect(problem.detail).toContain("expired");
  });
  it("a foreign kid", async () => {
    const user = await registerUser();
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const foreign = JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "attacker-key" }]);
    const token = await signJwt(foreign, { sub: user.id, sid: user.sessionId, role: "ADMIN" }, 600, "at+jwt");
    expectProblem(await me(`Bearer ${token}`), 401, "invalid_token");
  });
  it("our kid on a key that is not ours", async () => {
    const user = await registerUser();
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const impostor = JSON.stringify([{ ...(await exportJWK(privateKey)), kid: "test-key-1" }]);
    const token = await signJwt(impostor, { sub: user.id, sid: user.sessionId, role: "ADMIN" }, 600, "at+jwt");
    expectProblem(await me(`Bearer ${token}`), 401, "invalid_token");
  });
  it("a valid signature on another user's session", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const token = await signJwt(env.JWT_SIGNING_KEYS, { sub: alice.id, sid: bob.sessionId, role: "USER" }, 600, "at+jwt");
    expectProblem(await me(`Bearer ${token}`), 401, "session_revoked");
  });
  it("a role claim is not trusted over the database", async () => {
    const user = await registerUser();
    const token = await signJwt(env.JWT_SIGNING_KEYS, { sub: user.id, sid: user.sessionId, role: "ADMIN" }, 600, "at+jwt");
    const res = await me(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.role).toBe("USER");
  });
});
