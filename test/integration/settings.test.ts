import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getSetting, parseSettingValue } from "../../src/site/settings.ts";
import { api, expectProblem, registerAdmin, registerUser, setRole } from "../support/api.ts";

let counter = 0;
const uniqueKey = (prefix = "test") => `${prefix}.k${++counter}_${crypto.randomUUID().slice(0, 8)}`;

async function createSetting(token: string, body: Record<string, unknown>) {
  const res = await api("POST", "/v1/admin/settings", { token, body });
  if (res.status !== 201) throw new Error(`create setting failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const rawUpdate = (key: string, value: string) => env.DB.prepare("UPDATE app_settings SET value = ? WHERE key = ?").bind(value, key).run();

describe("typed setting values", () => {
  it("accepts each type's canonical text and parses it", () => {
    expect(parseSettingValue("STRING", " any text ")).toEqual({ value: " any text " });
    expect(parseSettingValue("INTEGER", "-42")).toEqual({ value: -42 });
    expect(parseSettingValue("FLOAT", "2.5e3")).toEqual({ value: 2500 });
    expect(parseSettingValue("BOOLEAN", "false")).toEqual({ value: false });
    expect(parseSettingValue("JSON", '{"a":[1,2]}')).toEqual({ value: { a: [1, 2] } });
  });

  it("refuses text that does not fit the type", () => {
    for (const text of ["4.2", "", " 4", "1e3", "0x10", "12345678901234567", "abc", "NaN"]) expect(parseSettingValue("INTEGER", text), text).toHaveProperty("error");
    for (const text of ["", "Infinity", "NaN", "1e999", "1,5", " 1", "0x1"]) expect(parseSettingValue("FLOAT", text), text).toHaveProperty("error");
    for (const text of ["True", "1", "yes", ""]) expect(parseSettingValue("BOOLEAN", text), text).toHaveProperty("error");
    for (const text of ["{", "", "{a:1}", "undefined"]) expect(parseSettingValue("JSON", text), text).toHaveProperty("error");
  });
});

describe("admin settings API", () => {
  it("creates, reads, lists and updates a setting, with its typed value", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey("limits");
    const created = await createSetting(admin.token, { key, value: "5", value_type: "INTEGER", description: "Max things", category: "limits" });
    expect(created).toMatchObject({ key, value: "5", value_type: "INTEGER", typed_value: 5, is_editable: true, category: "limits", description: "Max things" });
    expect((await api("GET", `/v1/admin/settings/${key}`, { token: admin.token })).body.typed_value).toBe(5);
    const listed = await api("GET", "/v1/admin/settings?category=limits&limit=100", { token: admin.token });
    expect(listed.body.data.map((s: { key: string }) => s.key)).toContain(key);
    expect(listed.body.data.every((s: { category: string }) => s.category === "limits")).toBe(true);

    const updated = await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value: "7" } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ value: "7", typed_value: 7 });
    const changedType = await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value: '{"max":7}', value_type: "JSON" } });
    expect(changedType.body).toMatchObject({ value_type: "JSON", typed_value: { max: 7 } });
  });

  it("defaults to STRING in category general", async () => {
    const admin = await registerAdmin();
    const created = await createSetting(admin.token, { key: uniqueKey(), value: "hello" });
    expect(created).toMatchObject({ value_type: "STRING", category: "general", typed_value: "hello", description: null });
  });

  it("validates values against their type on create and update, with the field path", async () => {
    const admin = await registerAdmin();
    const cases: [string, string][] = [
      ["INTEGER", "4.5"],
      ["INTEGER", "ten"],
      ["FLOAT", "Infinity"],
      ["BOOLEAN", "yes"],
      ["JSON", "{not json"],
    ];
    for (const [value_type, value] of cases) {
      const problem = expectProblem(await api("POST", "/v1/admin/settings", { token: admin.token, body: { key: uniqueKey(), value, value_type } }), 422);
      expect(problem.errors[0]).toMatchObject({ path: "value", code: "invalid_setting_value" });
    }
    const key = uniqueKey();
    await createSetting(admin.token, { key, value: "true", value_type: "BOOLEAN" });
    expectProblem(await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value: "maybe" } }), 422);
    // A new type is checked against the stored value too.
    expectProblem(await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value_type: "INTEGER" } }), 422);
    expect((await api("GET", `/v1/admin/settings/${key}`, { token: admin.token })).body).toMatchObject({ value: "true", value_type: "BOOLEAN" });
  });

  it("rejects bad keys, unknown fields and unknown types", async () => {
    const admin = await registerAdmin();
    for (const key of ["Upper", "1digit", "has space", "x".repeat(101), ""]) {
      expectProblem(await api("POST", "/v1/admin/settings", { token: admin.token, body: { key, value: "v" } }), 422);
    }
    expectProblem(await api("POST", "/v1/admin/settings", { token: admin.token, body: { key: uniqueKey(), value: "v", id: crypto.randomUUID() } }), 422);
    expectProblem(await api("POST", "/v1/admin/settings", { token: admin.token, body: { key: uniqueKey(), value: "v", value_type: "DATE" } }), 422);
    expectProblem(await api("POST", "/v1/admin/settings", { token: admin.token, body: { key: uniqueKey(), value: 5 } }), 422);
    expectProblem(await api("GET", "/v1/admin/settings/Bad%20Key", { token: admin.token }), 422);
  });

  it("answers 409 for a duplicate key and 404 for unknown ones", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey();
    await createSetting(admin.token, { key, value: "a" });
    expectProblem(await api("POST", "/v1/admin/settings", { token: admin.token, body: { key, value: "b" } }), 409, "setting_exists");
    expectProblem(await api("GET", `/v1/admin/settings/${uniqueKey()}`, { token: admin.token }), 404);
    expectProblem(await api("PATCH", `/v1/admin/settings/${uniqueKey()}`, { token: admin.token, body: { value: "x" } }), 404);
    expectProblem(await api("DELETE", `/v1/admin/settings/${uniqueKey()}`, { token: admin.token }), 404);
  });

  it("never changes or deletes a setting that is not editable, and locking is for good", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey();
    await createSetting(admin.token, { key, value: "1", value_type: "INTEGER" });
    const locked = await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { is_editable: false } });
    expect(locked.body.is_editable).toBe(false);
    expectProblem(await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value: "2" } }), 403, "setting_not_editable");
    expectProblem(await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { is_editable: true } }), 403, "setting_not_editable");
    expectProblem(await api("DELETE", `/v1/admin/settings/${key}`, { token: admin.token }), 403, "setting_not_editable");
    expect((await api("GET", `/v1/admin/settings/${key}`, { token: admin.token })).body).toMatchObject({ value: "1", is_editable: false });
  });

  it("deletes an editable setting", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey();
    await createSetting(admin.token, { key, value: "bye" });
    expect((await api("DELETE", `/v1/admin/settings/${key}`, { token: admin.token })).status).toBe(204);
    expectProblem(await api("GET", `/v1/admin/settings/${key}`, { token: admin.token }), 404);
  });

  it("audits every change with before and after", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey();
    const created = await createSetting(admin.token, { key, value: "1", value_type: "INTEGER" });
    await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value: "2" } });
    await api("DELETE", `/v1/admin/settings/${key}`, { token: admin.token });
    const { results } = await env.DB.prepare("SELECT action, user_id, data_before, data_after FROM audit_log WHERE object_type = 'app_settings' AND object_id = ? ORDER BY created_at, rowid")
      .bind(created.id)
      .all<{ action: string; user_id: string; data_before: string | null; data_after: string | null }>();
    expect(results.map((r) => r.action)).toEqual(["CREATE", "CONFIG", "DELETE"]);
    expect(results.every((r) => r.user_id === admin.id)).toBe(true);
    expect(JSON.parse(results[1]!.data_before!)).toMatchObject({ value: "1" });
    expect(JSON.parse(results[1]!.data_after!)).toMatchObject({ value: "2" });
  });

  it("is for admins only, checked before the input", async () => {
    const user = await registerUser();
    const admin = await registerAdmin();
    const key = uniqueKey();
    await createSetting(admin.token, { key, value: "x" });
    for (const role of ["USER", "ORGANIZER", "CONTROLLER"] as const) {
      await setRole(user.id, role);
      expectProblem(await api("GET", "/v1/admin/settings", { token: user.token }), 403);
      expectProblem(await api("GET", `/v1/admin/settings/${key}`, { token: user.token }), 403);
      expectProblem(await api("POST", "/v1/admin/settings", { token: user.token, body: { key: uniqueKey(), value: "x" } }), 403);
      expectProblem(await api("POST", "/v1/admin/settings", { token: user.token, body: { nonsense: true } }), 403);
      expectProblem(await api("PATCH", `/v1/admin/settings/${key}`, { token: user.token, body: { value: "y" } }), 403);
      expectProblem(await api("DELETE", `/v1/admin/settings/${key}`, { token: user.token }), 403);
    }
    expectProblem(await api("GET", "/v1/admin/settings"), 401);
    expectProblem(await api("PATCH", `/v1/admin/settings/${key}`, { body: { value: "y" } }), 401);
    expect((await api("GET", `/v1/admin/settings/${key}`, { token: admin.token })).body.value).toBe("x");
  });

  it("pages through settings by key", async () => {
    const admin = await registerAdmin();
    for (let i = 0; i < 3; i++) await createSetting(admin.token, { key: uniqueKey("paging"), value: String(i), category: "paging" });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api("GET", `/v1/admin/settings?category=paging&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: admin.token });
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((s: { key: string }) => s.key));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(3);
    expect([...seen].sort()).toEqual(seen);
    expectProblem(await api("GET", "/v1/admin/settings?cursor=garbage", { token: admin.token }), 422);
  });
});

describe("public settings", () => {
  it("shows only category public, typed, to anyone", async () => {
    const admin = await registerAdmin();
    const pub = uniqueKey("pub");
    const hidden = uniqueKey("hidden");
    await createSetting(admin.token, { key: pub, value: "true", value_type: "BOOLEAN", category: "public" });
    await createSetting(admin.token, { key: hidden, value: "secret", category: "internal" });
    const res = await api("GET", "/v1/settings/public");
    expect(res.status).toBe(200);
    expect(res.body[pub]).toBe(true);
    expect(res.body).not.toHaveProperty(hidden);
  });

  it("is served from the cache until a write through the API invalidates it", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey("cached");
    await createSetting(admin.token, { key, value: "one", category: "public" });
    expect((await api("GET", "/v1/settings/public")).body[key]).toBe("one");
    // Written behind the API's back: this isolate keeps serving what it cached.
    await rawUpdate(key, "two");
    expect((await api("GET", "/v1/settings/public")).body[key]).toBe("one");
    await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { value: "three" } });
    expect((await api("GET", "/v1/settings/public")).body[key]).toBe("three");
  });
});

describe("getSetting", () => {
  it("reads typed values, with the fallback when missing or of another type", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey("typed");
    await createSetting(admin.token, { key, value: "12", value_type: "INTEGER" });
    expect(await getSetting(env, key, "INTEGER", 0)).toBe(12);
    expect(await getSetting(env, uniqueKey("missing"), "INTEGER", 3)).toBe(3);
    expect(await getSetting(env, key, "BOOLEAN", false)).toBe(false);
  });

  it("reads through the cache, and a write through the API invalidates it", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey("flag");
    await createSetting(admin.token, { key, value: "false", value_type: "BOOLEAN" });
    expect(await getSetting(env, key, "BOOLEAN", true)).toBe(false);
    await rawUpdate(key, "true");
    expect(await getSetting(env, key, "BOOLEAN", false)).toBe(false);
    await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { description: "touched" } });
    expect(await getSetting(env, key, "BOOLEAN", false)).toBe(true);
  });

  it("falls back when the stored text was written outside the API and does not fit its type", async () => {
    const admin = await registerAdmin();
    const key = uniqueKey("broken");
    await createSetting(admin.token, { key, value: "5", value_type: "INTEGER" });
    await rawUpdate(key, "five");
    await api("PATCH", `/v1/admin/settings/${key}`, { token: admin.token, body: { description: "refresh the cache" } });
    expect(await getSetting(env, key, "INTEGER", 9)).toBe(9);
    expect((await api("GET", `/v1/admin/settings/${key}`, { token: admin.token })).body.typed_value).toBeNull();
  });
});
