import { afterEach, describe, expect, it, vi } from "vitest";
import { api, expectProblem, registerAdmin, registerUser, setRole } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";

type Entry = { id: string; action: string; user_id: string; object_type: string; object_id: string; created_at: string; data_before: any; data_after: any; ip_address: string | null; user_agent: string | null };

// Entries are ordered and filtered by their millisecond timestamps: the clock moves between actions.
afterEach(() => {
  vi.useRealTimers();
});

const key = () => `audit.k${crypto.randomUUID().slice(0, 8)}`;

async function log(token: string, query: string): Promise<Entry[]> {
  const res = await api("GET", `/v1/admin/audit-log?${query}`, { token });
  if (res.status !== 200) throw new Error(`audit log failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Creates, changes and deletes a setting through the API: three audited actions by `admin`. */
async function settingLifecycle(admin: { token: string }) {
  const k = key();
  const headers = { "User-Agent": "dashboard/1.0" };
  const created = await api("POST", "/v1/admin/settings", { token: admin.token, body: { key: k, value: "1", value_type: "INTEGER" }, ip: "41.85.160.10", headers });
  advanceClock(5);
  await api("PATCH", `/v1/admin/settings/${k}`, { token: admin.token, body: { value: "2" }, ip: "41.85.160.10", headers });
  advanceClock(5);
  await api("DELETE", `/v1/admin/settings/${k}`, { token: admin.token, ip: "41.85.160.10", headers });
  return created.body.id as string;
}

describe("GET /v1/admin/audit-log", () => {
  it("returns an object's trail newest first with actor, IP, user agent and both states", async () => {
    const admin = await registerAdmin();
    const id = await settingLifecycle(admin);
    const entries = await log(admin.token, `object_type=app_settings&object_id=${id}`);
    expect(entries.map((e) => e.action)).toEqual(["DELETE", "CONFIG", "CREATE"]);
    for (const entry of entries) expect(entry).toMatchObject({ user_id: admin.id, object_type: "app_settings", object_id: id, ip_address: "41.85.160.10", user_agent: "dashboard/1.0" });
    expect(entries[0]).toMatchObject({ data_before: { value: "2" }, data_after: null });
    expect(entries[1]).toMatchObject({ data_before: { value: "1" }, data_after: { value: "2" } });
    expect(entries[2]).toMatchObject({ data_before: null, data_after: { value: "1" } });
  });

  it("filters by user, action and time range (from inclusive, to exclusive)", async () => {
    const a = await registerAdmin();
    const b = await registerAdmin();
    const start = new Date().toISOString();
    advanceClock(5);
    const idA = await settingLifecycle(a);
    advanceClock(5);
    const middle = new Date().toISOString();
    advanceClock(5);
    const idB = await settingLifecycle(b);

    // Their sign-ups are in the trail too (LOGIN): the settings' entries are the ones counted.
    const byB = await log(a.token, `user_id=${b.id}&object_type=app_settings&limit=100`);
    expect(byB.length).toBe(3);
    expect(byB.every((e) => e.user_id === b.id && e.object_id === idB)).toBe(true);
    const configs = await log(a.token, `action=CONFIG&object_type=app_settings&limit=100`);
    expect(configs.map((e) => e.object_id)).toEqual(expect.arrayContaining([idA, idB]));
    expect(configs.every((e) => e.action === "CONFIG")).toBe(true);

    const before = await log(a.token, `from=${encodeURIComponent(start)}&to=${encodeURIComponent(middle)}&limit=100`);
    expect(new Set(before.map((e) => e.object_id))).toEqual(new Set([idA]));
    const after = await log(a.token, `from=${encodeURIComponent(middle)}&limit=100`);
    expect(after.map((e) => e.object_id)).toContain(idB);
    expect(after.map((e) => e.object_id)).not.toContain(idA);
    // An entry at exactly `from` is included, one at exactly `to` is not.
    const first = before[before.length - 1]!;
    expect((await log(a.token, `from=${encodeURIComponent(first.created_at)}&object_id=${idA}&action=CREATE`)).map((e) => e.id)).toEqual([first.id]);
    expect(await log(a.token, `to=${encodeURIComponent(first.created_at)}&object_id=${idA}&action=CREATE`)).toEqual([]);
    // Offsets are understood: `start` (to the second) written in Benin time, UTC+1.
    const inBenin = new Date(Date.parse(start) + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "+01:00");
    expect((await log(a.token, `from=${encodeURIComponent(inBenin)}&user_id=${a.id}&object_type=app_settings`)).length).toBe(3);
  });

  it("pages newest first without repeats", async () => {
    const admin = await registerAdmin();
    await settingLifecycle(admin);
    await settingLifecycle(admin);
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api("GET", `/v1/admin/audit-log?user_id=${admin.id}&object_type=app_settings&limit=4${cursor ? `&cursor=${cursor}` : ""}`, { token: admin.token });
      expect(res.body.data.length).toBeLessThanOrEqual(4);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((e) => e.id)).size).toBe(6);
    const times = seen.map((e) => e.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it("validates its filters", async () => {
    const admin = await registerAdmin();
    for (const query of ["action=DESTROY", "from=yesterday", "to=2026-13-01T00:00:00Z", "user_id=42", "object_type=Robert'); DROP TABLE", "limit=0", "limit=101", "cursor=%%%"]) {
      expectProblem(await api("GET", `/v1/admin/audit-log?${query}`, { token: admin.token }), 422);
    }
    const problem = expectProblem(await api("GET", "/v1/admin/audit-log?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", { token: admin.token }), 422);
    expect(problem.errors[0].path).toBe("query.to");
  });

  it("is for admins only", async () => {
    const user = await registerUser();
    for (const role of ["USER", "ORGANIZER", "CONTROLLER"] as const) {
      await setRole(user.id, role);
      expectProblem(await api("GET", "/v1/admin/audit-log", { token: user.token }), 403);
      expectProblem(await api("GET", `/v1/admin/audit-log?user_id=${user.id}`, { token: user.token }), 403);
    }
    expectProblem(await api("GET", "/v1/admin/audit-log"), 401);
  });

  it("records the admin actions of the users domain", async () => {
    const admin = await registerAdmin();
    const user = await registerUser();
    await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: { role: "ORGANIZER" } });
    // Nothing to change: nothing audited.
    await api("PATCH", `/v1/admin/users/${user.id}`, { token: admin.token, body: {} });
    // Refused: nothing audited.
    await api("PATCH", `/v1/admin/users/${admin.id}`, { token: admin.token, body: { role: "USER" } });
    const entries = await log(admin.token, `object_type=users&user_id=${admin.id}`);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: "UPDATE", object_id: user.id, data_before: { role: "USER" }, data_after: { role: "ORGANIZER" } });
    expect(entries[0]!.data_after).not.toHaveProperty("password_hash");
  });
});
