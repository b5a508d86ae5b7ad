import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WINDOWS_TTL_MS } from "../../src/site/status.ts";
import { api, expectProblem, freshIp, login, registerAdmin, registerUser, setRole } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { gatedEvent, rightsWithTokens, scanHttp } from "../support/gate.ts";

const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

afterEach(() => {
  vi.useRealTimers();
});

async function createStatus(token: string, body: Record<string, unknown>) {
  const res = await api("POST", "/v1/admin/system-statuses", { token, body });
  if (res.status !== 201) throw new Error(`create status failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [k: string]: unknown };
}

/** Runs `body` during a maintenance block, and always lifts it afterwards (admins pass the block). */
async function duringBlock(admin: { token: string }, fields: Record<string, unknown>, body: (status: { id: string }) => Promise<void>) {
  const status = await createStatus(admin.token, { title: "Maintenance", status: "MAINTENANCE", block_access: true, show_banner: true, ...fields });
  try {
    await body(status);
  } finally {
    await api("PATCH", `/v1/admin/system-statuses/${status.id}`, { token: admin.token, body: { ended_at: at(0) } });
  }
}

describe("public status", () => {
  it("is operational with nothing current", async () => {
    const res = await api("GET", "/v1/status");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "OPERATIONAL", access_blocked: false, blocked_until: null, current: [] });
  });

  it("shows the statuses covering now, the most serious state first, and none past or upcoming", async () => {
    const admin = await registerAdmin();
    const degraded = await createStatus(admin.token, { title: "Paiements lents", description: "MTN MoMo répond lentement", status: "DEGRADED", severity: "WARNING", show_banner: true, expected_end_at: at(3_600_000) });
    const incident = await createStatus(admin.token, { title: "Panne SMS", status: "INCIDENT", severity: "CRITICAL", starts_at: at(-60_000) });
    const past = await createStatus(admin.token, { title: "Hier", status: "OFFLINE", starts_at: at(-7_200_000), expected_end_at: at(-3_600_000) });
    const endedEarly = await createStatus(admin.token, { title: "Fini", status: "OFFLINE", starts_at: at(-7_200_000), expected_end_at: at(3_600_000), ended_at: at(-60_000) });
    const upcoming = await createStatus(admin.token, { title: "Demain", status: "OFFLINE", starts_at: at(86_400_000) });
    try {
      const res = await api("GET", "/v1/status");
      expect(res.body.status).toBe("INCIDENT");
      expect(res.body.access_blocked).toBe(false);
      const ids = res.body.current.map((s: { id: string }) => s.id);
      expect(ids).toEqual(expect.arrayContaining([degraded.id, incident.id]));
      for (const hidden of [past, endedEarly, upcoming]) expect(ids).not.toContain(hidden.id);
      expect(res.body.current.find((s: { id: string }) => s.id === degraded.id)).toMatchObject({ title: "Paiements lents", description: "MTN MoMo répond lentement", severity: "WARNING", show_banner: true, block_access: false });
      expect(res.body.current[0]).not.toHaveProperty("created_by");
    } finally {
      for (const s of [degraded, incident, upcoming]) await api("DELETE", `/v1/admin/system-statuses/${s.id}`, { token: admin.token });
    }
    expect((await api("GET", "/v1/status")).body.status).toBe("OPERATIONAL");
  });
});

describe("admin system statuses", () => {
  it("creates with defaults, reads, lists current ones and updates", async () => {
    const admin = await registerAdmin();
    const created = await createStatus(admin.token, { title: "Incident", status: "INCIDENT" });
    expect(created).toMatchObject({ severity: "INFO", description: "", show_banner: false, block_access: false, expected_end_at: null, ended_at: null, created_by: admin.id });
    expect(Date.parse(created.starts_at as string)).toBeLessThanOrEqual(Date.now());
    expect((await api("GET", `/v1/admin/system-statuses/${created.id}`, { token: admin.token })).body.id).toBe(created.id);
    const current = await api("GET", "/v1/admin/system-statuses?current=true&limit=100", { token: admin.token });
    expect(current.body.data.map((s: { id: string }) => s.id)).toContain(created.id);

    const ended = await api("PATCH", `/v1/admin/system-statuses/${created.id}`, { token: admin.token, body: { ended_at: at(0), severity: "CRITICAL" } });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ severity: "CRITICAL", ended_at: expect.any(String) });
    const notCurrent = await api("GET", "/v1/admin/system-statuses?current=false&limit=100", { token: admin.token });
    expect(notCurrent.body.data.map((s: { id: string }) => s.id)).toContain(created.id);
    expect((await api("GET", "/v1/admin/system-statuses?current=true&limit=100", { token: admin.token })).body.data.map((s: { id: string }) => s.id)).not.toContain(created.id);
  });

  it("stores instants with offsets in UTC", async () => {
    const admin = await registerAdmin();
    const created = await createStatus(admin.token, { title: "Fuseau", status: "MAINTENANCE", starts_at: "2030-01-01T10:00:00+01:00", expected_end_at: "2030-01-01T12:00:00+01:00" });
    expect(created).toMatchObject({ starts_at: "2030-01-01T09:00:00.000Z", expected_end_at: "2030-01-01T11:00:00.000Z" });
  });

  it("refuses ends before the start, on create and on update, with the field path", async () => {
    const admin = await registerAdmin();
    const early = expectProblem(await api("POST", "/v1/admin/system-statuses", { token: admin.token, body: { title: "X", status: "INCIDENT", starts_at: at(0), expected_end_at: at(-60_000) } }), 422);
    expect(early.errors[0].path).toBe("expected_end_at");
    const ended = expectProblem(await api("POST", "/v1/admin/system-statuses", { token: admin.token, body: { title: "X", status: "INCIDENT", starts_at: at(0), ended_at: at(-60_000) } }), 422);
    expect(ended.errors[0].path).toBe("ended_at");
    const status = await createStatus(admin.token, { title: "X", status: "INCIDENT", starts_at: at(-60_000), expected_end_at: at(60_000) });
    expectProblem(await api("PATCH", `/v1/admin/system-statuses/${status.id}`, { token: admin.token, body: { starts_at: at(120_000) } }), 422);
    expectProblem(await api("PATCH", `/v1/admin/system-statuses/${status.id}`, { token: admin.token, body: { ended_at: at(-120_000) } }), 422);
    expect((await api("GET", `/v1/admin/system-statuses/${status.id}`, { token: admin.token })).body.ended_at).toBeNull();
    await api("DELETE", `/v1/admin/system-statuses/${status.id}`, { token: admin.token });
  });

  it("validates states, severities, dates and unknown fields", async () => {
    const admin = await registerAdmin();
    const post = (body: Record<string, unknown>) => api("POST", "/v1/admin/system-statuses", { token: admin.token, body });
    expectProblem(await post({ title: "X", status: "HORS_LIGNE" }), 422);
    expectProblem(await post({ title: "X", status: "OFFLINE", severity: "ATTENTION" }), 422);
    expectProblem(await post({ title: "X", status: "OFFLINE", starts_at: "tomorrow" }), 422);
    expectProblem(await post({ title: "X", status: "OFFLINE", starts_at: "2030-01-01T10:00:00" }), 422);
    expectProblem(await post({ title: "", status: "OFFLINE" }), 422);
    expectProblem(await post({ title: "X", status: "OFFLINE", created_by: admin.id }), 422);
    expectProblem(await api("PATCH", `/v1/admin/system-statuses/${crypto.randomUUID()}`, { token: admin.token, body: { title: "Y" } }), 404);
    expectProblem(await api("GET", "/v1/admin/system-statuses/not-a-uuid", { token: admin.token }), 422);
    expectProblem(await api("DELETE", `/v1/admin/system-statuses/${crypto.randomUUID()}`, { token: admin.token }), 404);
  });

  it("is for admins only", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    const status = await createStatus(admin.token, { title: "X", status: "DEGRADED", starts_at: at(86_400_000) });
    for (const role of ["USER", "ORGANIZER", "CONTROLLER"] as const) {
      await setRole(user.id, role);
      expectProblem(await api("GET", "/v1/admin/system-statuses", { token: user.token }), 403);
      expectProblem(await api("GET", `/v1/admin/system-statuses/${status.id}`, { token: user.token }), 403);
      expectProblem(await api("POST", "/v1/admin/system-statuses", { token: user.token, body: { title: "X", status: "OFFLINE", block_access: true } }), 403);
      expectProblem(await api("PATCH", `/v1/admin/system-statuses/${status.id}`, { token: user.token, body: { block_access: true } }), 403);
      expectProblem(await api("DELETE", `/v1/admin/system-statuses/${status.id}`, { token: user.token }), 403);
    }
    expectProblem(await api("POST", "/v1/admin/system-statuses", { body: { title: "X", status: "OFFLINE" } }), 401);
    expect((await api("GET", `/v1/admin/system-statuses/${status.id}`, { token: admin.token })).body.block_access).toBe(false);
  });

  it("audits creation, updates and deletion", async () => {
    const admin = await registerAdmin();
    const status = await createStatus(admin.token, { title: "Audit", status: "INCIDENT", starts_at: at(86_400_000) });
    await api("PATCH", `/v1/admin/system-statuses/${status.id}`, { token: admin.token, body: { title: "Audité" } });
    await api("DELETE", `/v1/admin/system-statuses/${status.id}`, { token: admin.token });
    const log = await api("GET", `/v1/admin/audit-log?object_type=system_statuses&object_id=${status.id}`, { token: admin.token });
    expect(log.body.data.map((e: { action: string }) => e.action)).toEqual(["DELETE", "UPDATE", "CREATE"]);
    expect(log.body.data[1]).toMatchObject({ user_id: admin.id, data_before: { title: "Audit" }, data_after: { title: "Audité" } });
  });
});

describe("maintenance mode", () => {
  it("answers 503 problem+json to users and visitors, with Retry-After from the planned end", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    await duringBlock(admin, { title: "Mise à jour", description: "Retour vers 14h", expected_end_at: at(600_000) }, async () => {
      const res = await api("GET", "/v1/me", { token: user.token });
      const problem = expectProblem(res, 503, "maintenance");
      expect(problem.detail).toBe("Mise à jour — Retour vers 14h");
      const retryAfter = Number(res.headers.get("Retry-After"));
      expect(retryAfter).toBeGreaterThan(590);
      expect(retryAfter).toBeLessThanOrEqual(600);
      expectProblem(await api("GET", "/v1/faqs"), 503, "maintenance");
      expectProblem(await api("POST", "/v1/contact", { body: { name: "A", email: "a@example.com", category: "OTHER", subject: "s", message: "m" }, ip: freshIp() }), 503);
      expectProblem(await api("POST", "/v1/auth/register", { body: { email: "late@example.com", password: "long enough password", first_name: "A", last_name: "B" }, ip: freshIp() }), 503);
      // Other roles are not admins.
      await setRole(user.id, "ORGANIZER");
      expectProblem(await api("GET", "/v1/me", { token: user.token }), 503, "maintenance");
    });
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });

  it("lets admins through, and keeps the index, health, status, sign-in, refresh and keys reachable", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    await duringBlock(admin, {}, async (block) => {
      expect((await api("GET", "/v1/me", { token: admin.token })).status).toBe(200);
      expect((await api("GET", "/v1/admin/system-statuses", { token: admin.token })).status).toBe(200);
      expect((await api("GET", "/v1/health")).status).toBe(200);
      expect((await api("GET", "/v1")).status).toBe(200);
      const status = await api("GET", "/v1/status");
      expect(status.body).toMatchObject({ status: "MAINTENANCE", access_blocked: true, blocked_until: null });
      expect(status.body.current.map((s: { id: string }) => s.id)).toContain(block.id);
      expect((await api("GET", "/v1/auth/jwks")).status).toBe(200);

      // An admin signs in and works; a user may sign in but gets nothing else.
      const adminLogin = await login((await api("GET", "/v1/me", { token: admin.token })).body.email);
      expect(adminLogin.status).toBe(200);
      expect((await api("GET", "/v1/admin/users", { token: adminLogin.body.access_token })).status).toBe(200);
      const refreshed = await api("POST", "/v1/auth/refresh", { body: { refresh_token: adminLogin.body.refresh_token }, ip: freshIp() });
      expect(refreshed.status).toBe(200);
      const userLogin = await login(user.email);
      expect(userLogin.status).toBe(200);
      expectProblem(await api("GET", "/v1/me", { token: userLogin.body.access_token }), 503, "maintenance");
      // No planned end: no Retry-After.
      expect((await api("GET", "/v1/me", { token: user.token })).headers.get("Retry-After")).toBeNull();
    });
  });

  it("keeps payment webhooks, the SMS status callback and the gate's routes open: providers do not retry, and a stadium keeps admitting", async () => {
    const admin = await registerAdmin();
    const fixture = await gatedEvent({ startsInMs: 3_600_000 });
    const { rights } = await rightsWithTokens(fixture);
    await duringBlock(admin, {}, async () => {
      // The same request answered 503 to the controller elsewhere.
      expectProblem(await api("GET", "/v1/me", { token: fixture.controller.token }), 503, "maintenance");
      // MTN MoMo's callback is received (and kept) as outside a window.
      const body = JSON.stringify({ financialTransactionId: "1", externalId: "nope", amount: "5000", currency: "XOF", status: "SUCCESSFUL" });
      expect((await api("PUT", `/v1/webhooks/mtn-momo/${crypto.randomUUID()}`, { rawBody: body, headers: { "Content-Type": "application/json" } })).status).toBe(200);
      expect((await api("POST", "/v1/webhooks/stripe", { rawBody: "{}", headers: { "Content-Type": "application/json" } })).status).not.toBe(503);
      // Twilio's SMS status callback reaches its signature check (an unsigned one is refused there, not by the window).
      expectProblem(await api("POST", "/v1/webhooks/sms/twilio/status", { rawBody: "MessageSid=SM1&MessageStatus=delivered", headers: { "Content-Type": "application/x-www-form-urlencoded" } }), 403, "webhook_bad_signature");
      // The gate: a scan, an offline upload, the bundle.
      expect((await scanHttp(fixture, rights[0]!.token)).body).toMatchObject({ status: "SUCCESS" });
      const sync = await api("POST", `/v1/events/${fixture.eventId}/scans/sync`, {
        token: fixture.controller.token,
        body: { device_id: "SCANNER-A01", access_point_id: fixture.gateA, scans: [{ id: crypto.randomUUID(), qr: rights[0]!.token, action: "CHECK", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString(), offline_status: "SUCCESS" }] },
      });
      expect(sync.status).toBe(200);
      expect((await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token })).status).toBe(200);
      // Not the gate's log, which is for people at a desk.
      expectProblem(await api("GET", `/v1/events/${fixture.eventId}/scans`, { token: fixture.controller.token }), 503, "maintenance");
    });
  });

  it("is lifted at once when an admin ends the window", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    const block = await createStatus(admin.token, { title: "M", status: "MAINTENANCE", block_access: true });
    expectProblem(await api("GET", "/v1/me", { token: user.token }), 503);
    await api("PATCH", `/v1/admin/system-statuses/${block.id}`, { token: admin.token, body: { ended_at: at(0) } });
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    expect((await api("GET", "/v1/status")).body.access_blocked).toBe(false);
  });

  it("starts and ends with its window, without any write", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    const start = at(1_000);
    await duringBlock(admin, { starts_at: start, expected_end_at: at(2_500) }, async () => {
      expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
      advanceClock(Date.parse(start) - Date.now() + 100);
      expectProblem(await api("GET", "/v1/me", { token: user.token }), 503, "maintenance");
      advanceClock(1_600); // past the planned end
      expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    });
  });

  it("ignores windows in the past, blocks that ended, and statuses that do not block", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    await createStatus(admin.token, { title: "Old", status: "OFFLINE", block_access: true, starts_at: at(-7_200_000), expected_end_at: at(-3_600_000) });
    await createStatus(admin.token, { title: "Done", status: "OFFLINE", block_access: true, starts_at: at(-7_200_000), ended_at: at(-60_000) });
    await createStatus(admin.token, { title: "Later", status: "MAINTENANCE", block_access: true, starts_at: at(3_600_000) });
    await createStatus(admin.token, { title: "Banner only", status: "DEGRADED", show_banner: true, expected_end_at: at(60_000) });
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    expect((await api("GET", "/v1/status")).body).toMatchObject({ status: "DEGRADED", access_blocked: false });
  });

  it("caches the windows per isolate: a status written behind the API's back applies within seconds", async () => {
    const user = await registerUser();
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    const id = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO system_statuses (id, title, status, starts_at, block_access) VALUES (?, 'Direct', 'OFFLINE', ?, 1)").bind(id, at(-1_000)).run();
    try {
      expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
      advanceClock(WINDOWS_TTL_MS + 1);
      expectProblem(await api("GET", "/v1/me", { token: user.token }), 503, "maintenance");
    } finally {
      await env.DB.prepare("DELETE FROM system_statuses WHERE id = ?").bind(id).run();
    }
    advanceClock(WINDOWS_TTL_MS + 1);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });
});
