import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BODY_LIMIT } from "../../src/lib/body-limit.ts";
import { api, expectProblem, freshIp, login, registerUser } from "../support/api.ts";

/** What the HTTP layer answers whatever the route: body limits, media types, caching. */

const webhookCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM webhook_events").first<{ n: number }>())!.n;

describe("one body limit for every route", () => {
  // A webhook reads and signature-checks its body before it can refuse it: no Content-Type may lift the limit there.
  for (const type of ["image/png", "multipart/form-data; boundary=x", "application/pdf", "application/json", "text/plain"]) {
    it(`refuses a body over the limit sent to a webhook as ${type.split(";")[0]} with 413, before the signature check`, async () => {
      const before = await webhookCount();
      const res = await api("POST", "/v1/webhooks/stripe", { rawBody: new Uint8Array(BODY_LIMIT + 1), headers: { "Content-Type": type, "Stripe-Signature": "t=1,v1=00" } });
      expectProblem(res, 413, "payload_too_large");
      expect(await webhookCount()).toBe(before);
    });
  }

  it("refuses a large image body on a JSON route too", async () => {
    expectProblem(await api("POST", "/v1/auth/login", { rawBody: new Uint8Array(BODY_LIMIT + 1), headers: { "Content-Type": "image/png" }, ip: freshIp() }), 413, "payload_too_large");
  });

  it("refuses a large body sent without a Content-Length (streamed)", async () => {
    const chunk = new Uint8Array(16 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > BODY_LIMIT) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    expectProblem(await api("POST", "/v1/webhooks/fedapay", { rawBody: stream, headers: { "Content-Type": "application/pdf" } }), 413, "payload_too_large");
  });

  it("keeps an upload route's own larger limit on that route (a profile photo over 64 KiB is stored)", async () => {
    const user = await registerUser();
    const png = new Uint8Array(BODY_LIMIT * 2);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const res = await api("PUT", "/v1/me/photo", { token: user.token, rawBody: png, headers: { "Content-Type": "image/png" } });
    expect(res.status).toBe(200);
  });
});

describe("media types", () => {
  it("answers a JSON route sent another Content-Type with 415 unsupported_media_type", async () => {
    const res = await api("POST", "/v1/auth/login", { rawBody: JSON.stringify({ email: "a@example.com", password: "x" }), headers: { "Content-Type": "text/plain" }, ip: freshIp() });
    const problem = expectProblem(res, 415, "unsupported_media_type");
    expect(problem.title).toBe("Unsupported media type");
  });

  it("answers a JSON route sent form data with 415 unsupported_media_type", async () => {
    const user = await registerUser();
    const res = await api("PATCH", "/v1/me", { token: user.token, rawBody: "first_name=Awa", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expectProblem(res, 415, "unsupported_media_type");
  });
});

describe("Cache-Control on personal answers", () => {
  const noStore = (res: { headers: Headers }) => expect(res.headers.get("Cache-Control") ?? "").toMatch(/(^|[ ,])no-store($|,)/);

  it("marks tokens from /auth and the account from /me no-store", async () => {
    const user = await registerUser();
    const registered = await api("POST", "/v1/auth/register", { body: { email: `cache-${crypto.randomUUID()}@example.com`, password: "long enough password", first_name: "A", last_name: "B" }, ip: freshIp() });
    expect(registered.status).toBe(201);
    noStore(registered);
    const signedIn = await login(user.email);
    expect(signedIn.status).toBe(200);
    noStore(signedIn);
    const refreshed = await api("POST", "/v1/auth/refresh", { body: { refresh_token: user.refresh } });
    expect(refreshed.status).toBe(200);
    noStore(refreshed);
    const me = await api("GET", "/v1/me", { token: user.token });
    expect(me.status).toBe(200);
    noStore(me);
    noStore(await api("GET", "/v1/me/orders", { token: user.token }));
    noStore(await api("GET", "/v1/auth/sessions", { token: user.token }));
    // Refusals too: a problem about an account is as personal as the account.
    noStore(await api("POST", "/v1/auth/login", { body: { email: user.email, password: "wrong password!" }, ip: freshIp() }));
  });

  it("leaves a route's own public caching as it is", async () => {
    const jwks = await api("GET", "/v1/auth/jwks");
    expect(jwks.headers.get("Cache-Control")).toBe("public, max-age=300");
  });
});
