import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { events } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { audit_log } from "../../src/site/schema.ts";
import { api, expectProblem, registerAdmin, registerUser, setRole, type ApiResponse } from "../support/api.ts";

const db = () => getDb(env.DB);
const unique = () => crypto.randomUUID().slice(0, 8);
const trail = (objectId: string) => db().select().from(audit_log).where(eq(audit_log.object_id, objectId)).orderBy(audit_log.created_at);

async function newCategory(token: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", "/v1/admin/categories", { token, body: { name: `Catégorie ${unique()}`, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string };
}

/** Every public category, through all pages. */
async function publicCategories(token?: string, query = "") {
  const all: { id: string; display_order: number }[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await api("GET", `/v1/categories?limit=2${query}${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(res.status).toBe(200);
    all.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return all;
}

describe("categories", () => {
  it("lets admins create categories, audited", async () => {
    const admin = await registerAdmin();
    const category = await newCategory(admin.token, { color: "#1B8A3A", icon: "fas fa-futbol", display_order: 3, description: "Matchs" });
    expect(category).toMatchObject({ color: "#1B8A3A", icon: "fas fa-futbol", display_order: 3, is_active: true });
    const [entry] = await trail(category.id);
    expect(entry).toMatchObject({ action: "CREATE", object_type: "event_categories", user_id: admin.id });
  });

  it("keeps category management to admins", async () => {
    const organizer = await registerUser();
    await setRole(organizer.id, "ORGANIZER");
    expectProblem(await api("POST", "/v1/admin/categories", { token: organizer.token, body: { name: "Festival" } }), 403, "forbidden");
    expectProblem(await api("POST", "/v1/admin/categories", { body: { name: "Festival" } }), 401);
    const admin = await registerAdmin();
    const category = await newCategory(admin.token);
    expectProblem(await api("PATCH", `/v1/admin/categories/${category.id}`, { token: organizer.token, body: { name: "X" } }), 403);
    expectProblem(await api("DELETE", `/v1/admin/categories/${category.id}`, { token: organizer.token }), 403);
  });

  it("validates colours, names and unknown fields", async () => {
    const admin = await registerAdmin();
    const post = (body: Record<string, unknown>) => api("POST", "/v1/admin/categories", { token: admin.token, body: { name: `C ${unique()}`, ...body } });
    for (const color of ["red", "#12345", "#1234567", "#GGGGGG", "123456"]) {
      const problem = expectProblem(await post({ color }), 422, "validation_failed");
      expect(problem.errors.map((e: { path: string }) => e.path)).toContain("color");
    }
    expectProblem(await post({ name: "" }), 422, "validation_failed");
    expectProblem(await post({ display_order: -1 }), 422, "validation_failed");
    expectProblem(await post({ id: newId() }), 422, "validation_failed");
  });

  it("refuses a second category with the same name", async () => {
    const admin = await registerAdmin();
    const first = await newCategory(admin.token);
    expectProblem(await api("POST", "/v1/admin/categories", { token: admin.token, body: { name: first.name } }), 409, "category_name_taken");
    const second = await newCategory(admin.token);
    expectProblem(await api("PATCH", `/v1/admin/categories/${second.id}`, { token: admin.token, body: { name: first.name } }), 409, "category_name_taken");
  });

  it("lists active categories publicly, in display order, across pages", async () => {
    const admin = await registerAdmin();
    const late = await newCategory(admin.token, { display_order: 900 });
    const early = await newCategory(admin.token, { display_order: 800 });
    const hidden = await newCategory(admin.token, { display_order: 850, is_active: false });
    const listed = await publicCategories();
    const ids = listed.map((c) => c.id);
    expect(ids.indexOf(early.id)).toBeLessThan(ids.indexOf(late.id));
    expect(ids).not.toContain(hidden.id);
    const orders = listed.map((c) => c.display_order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect((await publicCategories(admin.token, "&include_inactive=true")).map((c) => c.id)).toContain(hidden.id);
    expectProblem(await api("GET", "/v1/categories?include_inactive=true", { token: (await registerUser()).token }), 403);
  });

  it("updates a category with before and after in the audit log; null clears optional fields", async () => {
    const admin = await registerAdmin();
    const category = await newCategory(admin.token, { color: "#007bff", icon: "fas fa-music" });
    const res = await api("PATCH", `/v1/admin/categories/${category.id}`, { token: admin.token, body: { color: null, is_active: false } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ color: null, icon: "fas fa-music", is_active: false });
    const update = (await trail(category.id)).find((e) => e.action === "UPDATE");
    expect(update!.data_before).toMatchObject({ color: "#007bff", is_active: true });
    expect(update!.data_after).toMatchObject({ color: null, is_active: false });
    expectProblem(await api("PATCH", `/v1/admin/categories/${newId()}`, { token: admin.token, body: { icon: "x" } }), 404);
  });

  it("refuses to delete a category events use, and deletes an unused one", async () => {
    const admin = await registerAdmin();
    const used = await newCategory(admin.token);
    await db()
      .insert(events)
      .values({
        id: newId(),
        title: "Concert",
        starts_at: "2030-01-01T18:00:00.000Z",
        ends_at: "2030-01-01T20:00:00.000Z",
        timezone: "Africa/Porto-Novo",
        venue_name: "Palais des congrès",
        organizer_id: admin.id,
        created_by: admin.id,
        currency: "XOF",
        category_id: used.id,
      });
    expectProblem(await api("DELETE", `/v1/admin/categories/${used.id}`, { token: admin.token }), 409, "category_in_use");
    const unused = await newCategory(admin.token);
    expect((await api("DELETE", `/v1/admin/categories/${unused.id}`, { token: admin.token })).status).toBe(204);
    expect((await trail(unused.id)).map((e) => e.action)).toEqual(["CREATE", "DELETE"]);
    expectProblem(await api("DELETE", `/v1/admin/categories/${unused.id}`, { token: admin.token }), 404);
  });
});
