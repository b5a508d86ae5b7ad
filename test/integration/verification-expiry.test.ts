import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { expireVerifications } from "../../src/users/service.ts";
import { api, expectProblem, login, registerAdmin, registerUser } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";

const DAY = 86_400_000;
const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
const WEBP = Uint8Array.from(atob("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="), (ch) => ch.charCodeAt(0));

afterEach(() => {
  vi.useRealTimers();
});

async function submitted(user: { token: string }) {
  const form = new FormData();
  form.append("document", new Blob([PDF]), "id.pdf");
  form.append("selfie", new Blob([WEBP]), "selfie.webp");
  const res = await api("POST", "/v1/me/verification", { token: user.token, rawBody: form });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const verified = async (userId: string) =>
  (await env.DB.prepare("SELECT is_identity_verified, identity_verified_at FROM users WHERE id = ?").bind(userId).first<{ is_identity_verified: number; identity_verified_at: string | null }>())!;

async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController(), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("identity verification EXPIRED", () => {
  it("an approval lasts until the document's expiry; then the cron marks it EXPIRED, the user is no longer verified and may submit again", async () => {
    const [user, admin] = [await registerUser(), await registerAdmin()];
    const id = await submitted(user);
    const documentExpiry = new Date(Date.now() + 30 * DAY).toISOString();
    const approved = await api("POST", `/v1/admin/verifications/${id}/approve`, { token: admin.token, body: { expires_at: documentExpiry.replace("Z", "+00:00") } });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: "APPROVED", expires_at: documentExpiry });
    expect((await verified(user.id)).is_identity_verified).toBe(1);

    advanceClock(29 * DAY);
    await runCron();
    // Tokens do not last a month: the user signs in again to look.
    const mineLater = async () => api("GET", "/v1/me/verification", { token: (await login(user.email)).body.access_token });
    expect((await mineLater()).body.status).toBe("APPROVED");

    advanceClock(2 * DAY);
    await runCron();
    const mine = await mineLater();
    expect(mine.body).toMatchObject({ status: "EXPIRED", expires_at: documentExpiry });
    expect(await verified(user.id)).toEqual({ is_identity_verified: 0, identity_verified_at: null });
    // A second run changes nothing more; the user sends new documents.
    expect(await expireVerifications(env)).toBe(0);
    const again = await submitted({ token: (await login(user.email)).body.access_token });
    expect(again).not.toBe(id);
  });

  it("without a document expiry, lasts for the validity setting (365 days by default, or the admins' setting)", async () => {
    const [user, other, admin] = [await registerUser(), await registerUser(), await registerAdmin()];
    const approved = await api("POST", `/v1/admin/verifications/${await submitted(user)}/approve`, { token: admin.token, body: {} });
    expect(Date.parse(approved.body.expires_at) - Date.parse(approved.body.reviewed_at)).toBe(365 * DAY);

    const setting = await api("POST", "/v1/admin/settings", { token: admin.token, body: { key: "identity_verification.validity_days", value: "10", value_type: "INTEGER" } });
    expect(setting.status, JSON.stringify(setting.body)).toBe(201);
    const short = await api("POST", `/v1/admin/verifications/${await submitted(other)}/approve`, { token: admin.token, body: {} });
    expect(Date.parse(short.body.expires_at) - Date.parse(short.body.reviewed_at)).toBe(10 * DAY);
    expect(await expireVerifications(env, new Date(Date.now() + 11 * DAY).toISOString())).toBeGreaterThanOrEqual(1);
    expect((await verified(other.id)).is_identity_verified).toBe(0);
    expect((await verified(user.id)).is_identity_verified).toBe(1);
    await api("DELETE", "/v1/admin/settings/identity_verification.validity_days", { token: admin.token });
  });

  it("refuses a document already expired, or a date that is not one; a rejection has no expiry", async () => {
    const [user, admin] = [await registerUser(), await registerAdmin()];
    const id = await submitted(user);
    for (const expires_at of [new Date(Date.now() - DAY).toISOString(), "next year", "2030-01-01", 12]) {
      const res = expectProblem(await api("POST", `/v1/admin/verifications/${id}/approve`, { token: admin.token, body: { expires_at } }), 422);
      expect(JSON.stringify(res.errors)).toContain("expires_at");
    }
    const rejected = await api("POST", `/v1/admin/verifications/${id}/reject`, { token: admin.token, body: { comment: "Photo floue" } });
    expect(rejected.body).toMatchObject({ status: "REJECTED", expires_at: null });
  });
});
