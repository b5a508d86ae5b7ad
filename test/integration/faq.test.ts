import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, registerAdmin, registerUser, setRole } from "../support/api.ts";

type Faq = { id: string; helpful_yes_count: number; helpful_no_count: number; view_count: number; [k: string]: unknown };

let admin: { id: string; token: string } | undefined;
async function adminToken() {
  admin ??= await registerAdmin();
  return admin.token;
}

async function createFaq(body: Record<string, unknown> = {}): Promise<Faq> {
  const res = await api("POST", "/v1/admin/faqs", { token: await adminToken(), body: { question: "Comment acheter un billet ?", answer: "Depuis la page de l'événement.", ...body } });
  if (res.status !== 201) throw new Error(`create faq failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** An anonymous visitor: one device (IP + user agent). */
const visitor = (ip: string, userAgent = "Mozilla/5.0 test") => ({ ip, headers: { "User-Agent": userAgent } });

const vote = (id: string, helpful: boolean, who: { token?: string; ip?: string; headers?: Record<string, string> }) =>
  api("POST", `/v1/faqs/${id}/vote`, { body: { helpful }, ...who });

const counters = (id: string) => env.DB.prepare("SELECT helpful_yes_count AS yes, helpful_no_count AS no, view_count AS views FROM faqs WHERE id = ?").bind(id).first<{ yes: number; no: number; views: number }>();
const votes = (id: string) => env.DB.prepare("SELECT voter_key, user_id, is_helpful FROM faq_votes WHERE faq_id = ?").bind(id).all<{ voter_key: string; user_id: string | null; is_helpful: number }>();

describe("public FAQ", () => {
  it("lists active questions of a language in display order, by category", async () => {
    const category = "TECHNICAL";
    const second = await createFaq({ category, display_order: 20, question: "Deuxième" });
    const first = await createFaq({ category, display_order: 10, question: "Première" });
    const hidden = await createFaq({ category, display_order: 15, is_active: false });
    const english = await createFaq({ category, display_order: 5, language: "en" });
    const other = await createFaq({ category: "PAYMENTS", display_order: 1 });

    const res = await api("GET", `/v1/faqs?category=${category}&limit=100`);
    expect(res.status).toBe(200);
    const ids = res.body.data.map((f: Faq) => f.id);
    expect(ids).toEqual([first.id, second.id]);
    for (const excluded of [hidden, english, other]) expect(ids).not.toContain(excluded.id);
    expect(res.body.data[0]).not.toHaveProperty("is_active");
    expect(res.headers.get("Cache-Control")).toContain("public");
    expect((await api("GET", `/v1/faqs?category=${category}&language=en`)).body.data.map((f: Faq) => f.id)).toEqual([english.id]);
    const all = (await api("GET", "/v1/faqs?limit=100")).body.data.map((f: Faq) => f.id);
    expect(all).toEqual(expect.arrayContaining([first.id, second.id, other.id]));
  });

  it("pages in display order without repeats", async () => {
    for (let i = 0; i < 5; i++) await createFaq({ category: "SUBSCRIPTIONS", display_order: i % 2 });
    const seen: Faq[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api("GET", `/v1/faqs?category=SUBSCRIPTIONS&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((f) => f.id)).size).toBe(5);
    const orders = seen.map((f) => f.display_order as number);
    expect([...orders].sort((a, b) => a - b)).toEqual(orders);
  });

  it("rejects unknown categories and languages", async () => {
    expectProblem(await api("GET", "/v1/faqs?category=COMPTE"), 422);
    expectProblem(await api("GET", "/v1/faqs?language=de"), 422);
  });

  it("counts a view on each read of an active question, and hides inactive ones", async () => {
    const faq = await createFaq();
    const first = await api("GET", `/v1/faqs/${faq.id}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: faq.id, view_count: 1, my_vote: null });
    expect((await api("GET", `/v1/faqs/${faq.id}`)).body.view_count).toBe(2);
    expect((await counters(faq.id))!.views).toBe(2);

    const hidden = await createFaq({ is_active: false });
    expectProblem(await api("GET", `/v1/faqs/${hidden.id}`), 404);
    expect((await counters(hidden.id))!.views).toBe(0);
    expectProblem(await api("GET", `/v1/faqs/${crypto.randomUUID()}`), 404);
    expectProblem(await api("GET", "/v1/faqs/123"), 422);
  });
});

describe("FAQ votes", () => {
  it("counts one vote per signed-in user, and moves the counters when the vote changes", async () => {
    const faq = await createFaq();
    const user = await registerUser();
    const yes = await vote(faq.id, true, { token: user.token });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({ helpful_yes_count: 1, helpful_no_count: 0, my_vote: true });
    expect((await vote(faq.id, true, { token: user.token })).body).toMatchObject({ helpful_yes_count: 1, helpful_no_count: 0 });
    expect((await vote(faq.id, false, { token: user.token })).body).toMatchObject({ helpful_yes_count: 0, helpful_no_count: 1, my_vote: false });
    expect((await vote(faq.id, true, { token: user.token })).body).toMatchObject({ helpful_yes_count: 1, helpful_no_count: 0 });
    const { results } = await votes(faq.id);
    expect(results).toEqual([{ voter_key: `u:${user.id}`, user_id: user.id, is_helpful: 1 }]);
    expect((await api("GET", `/v1/faqs/${faq.id}`, { token: user.token })).body.my_vote).toBe(true);
  });

  it("keys anonymous votes by device (IP and user agent), never storing the IP", async () => {
    const faq = await createFaq();
    const phone = visitor("198.18.0.1", "Phone");
    expect((await vote(faq.id, true, phone)).body.helpful_yes_count).toBe(1);
    expect((await vote(faq.id, true, phone)).body.helpful_yes_count).toBe(1);
    expect((await vote(faq.id, true, visitor("198.18.0.1", "Laptop"))).body.helpful_yes_count).toBe(2);
    expect((await vote(faq.id, false, visitor("198.18.0.2", "Phone"))).body).toMatchObject({ helpful_yes_count: 2, helpful_no_count: 1 });
    expect((await api("GET", `/v1/faqs/${faq.id}`, phone)).body.my_vote).toBe(true);
    expect((await api("GET", `/v1/faqs/${faq.id}`, visitor("198.18.0.3", "Phone"))).body.my_vote).toBeNull();
    const { results } = await votes(faq.id);
    expect(results).toHaveLength(3);
    for (const row of results) {
      expect(row.voter_key).toMatch(/^f:[0-9a-f]{64}$/);
      expect(row.voter_key).not.toContain("198.18");
      expect(row.user_id).toBeNull();
    }
  });

  it("counts two parallel votes of the same person once", async () => {
    const faq = await createFaq();
    const user = await registerUser();
    const results = await Promise.all(Array.from({ length: 4 }, () => vote(faq.id, true, { token: user.token })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await counters(faq.id)).toMatchObject({ yes: 1, no: 0 });
    expect((await votes(faq.id)).results).toHaveLength(1);
  });

  it("keeps the counters equal to the stored votes when a person flips their vote in parallel", async () => {
    const faq = await createFaq();
    const user = await registerUser();
    const device = visitor("198.18.1.1");
    await vote(faq.id, true, { token: user.token });
    await Promise.all([
      vote(faq.id, false, { token: user.token }),
      vote(faq.id, true, { token: user.token }),
      vote(faq.id, false, { token: user.token }),
      vote(faq.id, true, device),
      vote(faq.id, false, device),
    ]);
    const { results } = await votes(faq.id);
    expect(results).toHaveLength(2);
    const yes = results.filter((r) => r.is_helpful === 1).length;
    expect(await counters(faq.id)).toMatchObject({ yes, no: 2 - yes });
  });

  it("refuses votes on inactive or unknown questions and malformed bodies", async () => {
    const hidden = await createFaq({ is_active: false });
    const user = await registerUser();
    expectProblem(await vote(hidden.id, true, { token: user.token }), 404);
    expect((await votes(hidden.id)).results).toHaveLength(0);
    expectProblem(await vote(crypto.randomUUID(), true, { token: user.token }), 404);
    const faq = await createFaq();
    expectProblem(await api("POST", `/v1/faqs/${faq.id}/vote`, { body: { helpful: "yes" } }), 422);
    expectProblem(await api("POST", `/v1/faqs/${faq.id}/vote`, { body: {} }), 422);
    expectProblem(await api("POST", `/v1/faqs/${faq.id}/vote`, { body: { helpful: true, voter: "x" } }), 422);
    expect(await counters(faq.id)).toMatchObject({ yes: 0, no: 0 });
  });

  it("does not make an admin's edit fail because of votes and views in between", async () => {
    const faq = await createFaq();
    const before = (await api("GET", `/v1/admin/faqs/${faq.id}`, { token: await adminToken() })).body;
    await vote(faq.id, true, visitor("198.18.2.1"));
    await api("GET", `/v1/faqs/${faq.id}`);
    const after = (await api("GET", `/v1/admin/faqs/${faq.id}`, { token: await adminToken() })).body;
    expect(after.updated_at).toBe(before.updated_at);
    const edited = await api("PATCH", `/v1/admin/faqs/${faq.id}`, { token: await adminToken(), body: { answer: "Nouvelle réponse" } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ answer: "Nouvelle réponse", helpful_yes_count: 1, view_count: 1 });
  });
});

describe("admin FAQ", () => {
  it("creates with defaults, edits, lists inactive ones and deletes with the votes", async () => {
    const token = await adminToken();
    const created = await createFaq({ question: "Q?", answer: "R." });
    expect(created).toMatchObject({ category: "GENERAL", language: "fr", display_order: 0, is_active: true, created_by: admin!.id, view_count: 0 });
    const edited = await api("PATCH", `/v1/admin/faqs/${created.id}`, { token, body: { is_active: false, category: "ACCOUNT", display_order: 3 } });
    expect(edited.body).toMatchObject({ is_active: false, category: "ACCOUNT", display_order: 3, question: "Q?" });
    const inactive = await api("GET", "/v1/admin/faqs?is_active=false&category=ACCOUNT&limit=100", { token });
    expect(inactive.body.data.map((f: Faq) => f.id)).toContain(created.id);
    expect((await api("GET", "/v1/faqs?category=ACCOUNT&limit=100")).body.data.map((f: Faq) => f.id)).not.toContain(created.id);

    await api("PATCH", `/v1/admin/faqs/${created.id}`, { token, body: { is_active: true } });
    await vote(created.id, true, visitor("198.18.3.1"));
    expect((await api("DELETE", `/v1/admin/faqs/${created.id}`, { token })).status).toBe(204);
    expectProblem(await api("GET", `/v1/admin/faqs/${created.id}`, { token }), 404);
    expect((await votes(created.id)).results).toHaveLength(0);
    expectProblem(await api("DELETE", `/v1/admin/faqs/${created.id}`, { token }), 404);
  });

  it("validates the question and never lets counters be set", async () => {
    const token = await adminToken();
    const post = (body: Record<string, unknown>) => api("POST", "/v1/admin/faqs", { token, body: { question: "Q?", answer: "R.", ...body } });
    expectProblem(await post({ question: "" }), 422);
    expectProblem(await post({ question: "x".repeat(501) }), 422);
    expectProblem(await post({ category: "COMPTE" }), 422);
    expectProblem(await post({ display_order: -1 }), 422);
    expectProblem(await post({ display_order: 1.5 }), 422);
    expectProblem(await post({ view_count: 1000 }), 422);
    const faq = await createFaq();
    expectProblem(await api("PATCH", `/v1/admin/faqs/${faq.id}`, { token, body: { helpful_yes_count: 99 } }), 422);
    expectProblem(await api("PATCH", `/v1/admin/faqs/${crypto.randomUUID()}`, { token, body: { question: "x" } }), 404);
  });

  it("audits creation, edits and deletion with before and after", async () => {
    const token = await adminToken();
    const faq = await createFaq({ question: "Avant ?" });
    await api("PATCH", `/v1/admin/faqs/${faq.id}`, { token, body: { question: "Après ?" } });
    await api("DELETE", `/v1/admin/faqs/${faq.id}`, { token });
    const log = await api("GET", `/v1/admin/audit-log?object_type=faqs&object_id=${faq.id}`, { token });
    expect(log.body.data.map((e: { action: string }) => e.action)).toEqual(["DELETE", "UPDATE", "CREATE"]);
    expect(log.body.data[1]).toMatchObject({ data_before: { question: "Avant ?" }, data_after: { question: "Après ?" } });
  });

  it("is for admins only, checked before the input", async () => {
    const faq = await createFaq();
    const user = await registerUser();
    for (const role of ["USER", "ORGANIZER", "CONTROLLER"] as const) {
      await setRole(user.id, role);
      expectProblem(await api("GET", "/v1/admin/faqs", { token: user.token }), 403);
      expectProblem(await api("GET", `/v1/admin/faqs/${faq.id}`, { token: user.token }), 403);
      expectProblem(await api("POST", "/v1/admin/faqs", { token: user.token, body: { question: "Q", answer: "R" } }), 403);
      expectProblem(await api("POST", "/v1/admin/faqs", { token: user.token, body: {} }), 403);
      expectProblem(await api("PATCH", `/v1/admin/faqs/${faq.id}`, { token: user.token, body: { is_active: false } }), 403);
      expectProblem(await api("DELETE", `/v1/admin/faqs/${faq.id}`, { token: user.token }), 403);
    }
    expectProblem(await api("POST", "/v1/admin/faqs", { body: { question: "Q", answer: "R" } }), 401);
    expect((await api("GET", `/v1/faqs/${faq.id}`)).status).toBe(200);
  });
});
