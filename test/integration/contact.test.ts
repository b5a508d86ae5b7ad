import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, registerAdmin, registerUser, setRole, waitForMessage } from "../support/api.ts";

let ipCounter = 0;
/** Each message from its own address, so the per-IP contact limit only bites where a test wants it. */
const contactIp = () => `192.0.2.${(ipCounter++ % 250) + 1}`;

const form = (overrides: Record<string, unknown> = {}) => ({
  name: "Awa Dossou",
  email: `awa-${crypto.randomUUID().slice(0, 8)}@example.com`,
  category: "SUPPORT",
  subject: "Billet introuvable",
  message: "Je ne retrouve pas mon billet pour le concert.",
  ...overrides,
});

async function send(body: Record<string, unknown>, options: { token?: string; ip?: string } = {}) {
  const res = await api("POST", "/v1/contact", { body, token: options.token, ip: options.ip ?? contactIp(), headers: { "User-Agent": "contact-test" } });
  if (res.status !== 201) throw new Error(`contact failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [k: string]: unknown };
}

const row = (id: string) => env.DB.prepare("SELECT * FROM contact_messages WHERE id = ?").bind(id).first<Record<string, unknown>>();

describe("POST /v1/contact", () => {
  it("records a visitor's message with its IP, as NEW, normalising email and phone", async () => {
    const sent = await send(form({ email: "Visitor@Example.COM", phone: "+229 01 97 12 34 56", category: "BILLING" }), { ip: "192.0.2.251" });
    expect(sent).toMatchObject({ status: "NEW", email: "visitor@example.com", phone: "+2290197123456", category: "BILLING", response: null, handled_at: null, resolved_at: null });
    expect(sent).not.toHaveProperty("ip_address");
    expect(sent).not.toHaveProperty("assigned_to");
    expect(await row(sent.id)).toMatchObject({ user_id: null, ip_address: "192.0.2.251", status: "NEW" });
  });

  it("links a signed-in sender's message to their account", async () => {
    const user = await registerUser();
    const sent = await send(form(), { token: user.token });
    expect((await row(sent.id))!.user_id).toBe(user.id);
  });

  it("validates every field and refuses unknown ones", async () => {
    const post = (body: Record<string, unknown>) => api("POST", "/v1/contact", { body, ip: contactIp() });
    const path = async (body: Record<string, unknown>) => expectProblem(await post(body), 422).errors[0].path;
    expect(await path(form({ email: "not-an-email" }))).toBe("email");
    expect(await path(form({ phone: "12345" }))).toBe("phone");
    expect(await path(form({ category: "PLAINTE" }))).toBe("category");
    expect(await path(form({ message: "x".repeat(5001) }))).toBe("message");
    expect(await path(form({ subject: "   " }))).toBe("subject");
    expect(await path(form({ name: "" }))).toBe("name");
    expect(await path(form({ status: "RESOLVED" }))).toBe("status");
    expect(await path(form({ user_id: crypto.randomUUID() }))).toBe("user_id");
    const { name: _n, ...withoutName } = form();
    expect(await path(withoutName)).toBe("name");
    expect((await post(form({ message: "x".repeat(5000) }))).status).toBe(201);
    expectProblem(await api("POST", "/v1/contact", { rawBody: "{not json", headers: { "Content-Type": "application/json" }, ip: contactIp() }), 400);
  });

  it("accepts every category the specification names", async () => {
    for (const category of ["SUPPORT", "BILLING", "SUGGESTION", "COMPLAINT", "OTHER"]) {
      expect((await send(form({ category }))).category).toBe(category);
    }
  });

  it("limits each IP to 5 messages an hour, with Retry-After", async () => {
    const ip = "192.0.2.254";
    for (let i = 0; i < 5; i++) await send(form(), { ip });
    const limited = await api("POST", "/v1/contact", { body: form(), ip });
    expectProblem(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    const user = await registerUser();
    expectProblem(await api("POST", "/v1/contact", { body: form(), ip, token: user.token }), 429);
    expect((await api("POST", "/v1/contact", { body: form(), ip: "192.0.2.253" })).status).toBe(201);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM contact_messages WHERE ip_address = ?").bind(ip).all<{ n: number }>();
    expect(results[0]!.n).toBe(5);
  });
});

describe("GET /v1/me/contact-messages", () => {
  it("lists only the caller's own messages, newest first, with the reply", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const admin = await registerAdmin();
    const first = await send(form({ subject: "Premier" }), { token: a.token });
    const second = await send(form({ subject: "Second" }), { token: a.token });
    await send(form(), { token: b.token });
    await send(form({ email: (await api("GET", "/v1/me", { token: a.token })).body.email }));
    await api("POST", `/v1/admin/contact-messages/${first.id}/reply`, { token: admin.token, body: { reply: "C'est réglé." } });

    const mine = await api("GET", "/v1/me/contact-messages", { token: a.token });
    expect(mine.body.data.map((m: { id: string }) => m.id)).toEqual([second.id, first.id]);
    expect(mine.body.data[1]).toMatchObject({ status: "RESOLVED", response: "C'est réglé." });
    expect(mine.body.data[0]).not.toHaveProperty("ip_address");
    const page = await api("GET", "/v1/me/contact-messages?limit=1", { token: a.token });
    expect(page.body.data).toHaveLength(1);
    const next = await api("GET", `/v1/me/contact-messages?limit=1&cursor=${page.body.next_cursor}`, { token: a.token });
    expect(next.body.data.map((m: { id: string }) => m.id)).toEqual([first.id]);
    expectProblem(await api("GET", "/v1/me/contact-messages"), 401);
  });
});

describe("staff workflow", () => {
  it("moves a message forward only, setting the dates once", async () => {
    const admin = await registerAdmin();
    const { id } = await send(form());
    const taken = await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "IN_PROGRESS" } });
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ status: "IN_PROGRESS", handled_at: expect.any(String), resolved_at: null });
    expectProblem(await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "NEW" } }), 409, "invalid_status_transition");
    const resolved = await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "RESOLVED" } });
    expect(resolved.body).toMatchObject({ status: "RESOLVED", handled_at: taken.body.handled_at, resolved_at: expect.any(String) });
    const closed = await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "CLOSED" } });
    expect(closed.body).toMatchObject({ status: "CLOSED", resolved_at: resolved.body.resolved_at });
    for (const status of ["NEW", "IN_PROGRESS", "RESOLVED"]) {
      expectProblem(await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status } }), 409, "invalid_status_transition");
    }
    expect((await row(id))!.status).toBe("CLOSED");
  });

  it("may skip steps forward (spam straight to CLOSED), setting both dates", async () => {
    const admin = await registerAdmin();
    const { id } = await send(form());
    const closed = await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "CLOSED" } });
    expect(closed.body).toMatchObject({ status: "CLOSED", handled_at: expect.any(String), resolved_at: expect.any(String) });
  });

  it("lets one of two admins moving the same message from the same state win", async () => {
    const a = await registerAdmin();
    const b = await registerAdmin();
    const { id } = await send(form());
    const results = await Promise.all([
      api("PATCH", `/v1/admin/contact-messages/${id}`, { token: a.token, body: { status: "IN_PROGRESS", assigned_to: a.id } }),
      api("PATCH", `/v1/admin/contact-messages/${id}`, { token: b.token, body: { status: "IN_PROGRESS", assigned_to: b.id } }),
    ]);
    // Both may win only if they ran one after the other (the second then only reassigns).
    const won = results.filter((r) => r.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of results) if (r.status !== 200) expectProblem(r, 409, "concurrent_change");
    const { results: audits } = await env.DB.prepare("SELECT user_id FROM audit_log WHERE object_type = 'contact_messages' AND object_id = ?").bind(id).all<{ user_id: string }>();
    expect(audits).toHaveLength(won.length);
    expect((await row(id))!.status).toBe("IN_PROGRESS");
    expect([a.id, b.id]).toContain((await row(id))!.assigned_to);
  });

  it("assigns only to active admins, and unassigns", async () => {
    const admin = await registerAdmin();
    const other = await registerAdmin();
    const user = await registerUser();
    const { id } = await send(form());
    const assigned = await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { assigned_to: other.id } });
    expect(assigned.body.assigned_to).toBe(other.id);
    expect((await api("GET", `/v1/admin/contact-messages?assigned_to=${other.id}`, { token: admin.token })).body.data.map((m: { id: string }) => m.id)).toEqual([id]);
    for (const target of [user.id, crypto.randomUUID()]) {
      const problem = expectProblem(await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { assigned_to: target } }), 422);
      expect(problem.errors[0]).toMatchObject({ path: "assigned_to", code: "not_staff" });
    }
    await api("PATCH", `/v1/admin/users/${other.id}`, { token: admin.token, body: { is_active: false } });
    const another = await send(form());
    expectProblem(await api("PATCH", `/v1/admin/contact-messages/${another.id}`, { token: admin.token, body: { assigned_to: other.id } }), 422);
    const unassigned = await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { assigned_to: null } });
    expect(unassigned.body.assigned_to).toBeNull();
    expectProblem(await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { assigned_to: "bob" } }), 422);
  });

  it("replies: stored, resolved with dates, assigned to the replier, emailed in French to a visitor", async () => {
    const admin = await registerAdmin();
    const sent = await send(form({ name: "Kossi", subject: "Remboursement" }));
    const replied = await api("POST", `/v1/admin/contact-messages/${sent.id}/reply`, { token: admin.token, body: { reply: "Votre remboursement est parti. {name}" } });
    expect(replied.status).toBe(200);
    expect(replied.body).toMatchObject({ status: "RESOLVED", response: "Votre remboursement est parti. {name}", assigned_to: admin.id, handled_at: expect.any(String), resolved_at: expect.any(String) });
    const email = await waitForMessage(sent.email as string, "CONTACT_REPLY");
    expect(email).toMatchObject({ channel: "EMAIL", language: "fr", user_id: null, subject: "Re : Remboursement" });
    expect(email.body).toContain("Bonjour Kossi");
    // The reply is data, never template text.
    expect(email.body).toContain("Votre remboursement est parti. {name}");
  });

  it("emails a signed-in sender in their language, and accepts a follow-up reply", async () => {
    const admin = await registerAdmin();
    const user = await registerUser({ language: "ar" });
    const sent = await send(form(), { token: user.token });
    await api("POST", `/v1/admin/contact-messages/${sent.id}/reply`, { token: admin.token, body: { reply: "شكرا" } });
    const first = await waitForMessage(sent.email as string, "CONTACT_REPLY");
    expect(first).toMatchObject({ language: "ar", user_id: user.id });
    const again = await api("POST", `/v1/admin/contact-messages/${sent.id}/reply`, { token: admin.token, body: { reply: "Second" } });
    expect(again.body.response).toBe("Second");
    const second = await waitForMessage(sent.email as string, "CONTACT_REPLY", first.id);
    expect(second.body).toContain("Second");
  });

  it("refuses replies to closed messages and empty replies", async () => {
    const admin = await registerAdmin();
    const { id } = await send(form());
    expectProblem(await api("POST", `/v1/admin/contact-messages/${id}/reply`, { token: admin.token, body: { reply: "  " } }), 422);
    expectProblem(await api("POST", `/v1/admin/contact-messages/${id}/reply`, { token: admin.token, body: {} }), 422);
    await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "CLOSED" } });
    expectProblem(await api("POST", `/v1/admin/contact-messages/${id}/reply`, { token: admin.token, body: { reply: "Trop tard" } }), 409, "contact_message_closed");
    expect((await row(id))!.response).toBeNull();
    expectProblem(await api("POST", `/v1/admin/contact-messages/${crypto.randomUUID()}/reply`, { token: admin.token, body: { reply: "x" } }), 404);
  });

  it("lists by status, newest first, and shows one message with its IP", async () => {
    const admin = await registerAdmin();
    const a = await send(form(), { ip: "192.0.2.252" });
    const b = await send(form());
    await api("PATCH", `/v1/admin/contact-messages/${b.id}`, { token: admin.token, body: { status: "IN_PROGRESS" } });
    const fresh = await api("GET", "/v1/admin/contact-messages?status=NEW&limit=100", { token: admin.token });
    const ids = fresh.body.data.map((m: { id: string }) => m.id);
    expect(ids).toContain(a.id);
    expect(ids).not.toContain(b.id);
    expect(fresh.body.data.every((m: { status: string }) => m.status === "NEW")).toBe(true);
    const times = fresh.body.data.map((m: { created_at: string }) => m.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    const one = await api("GET", `/v1/admin/contact-messages/${a.id}`, { token: admin.token });
    expect(one.body).toMatchObject({ id: a.id, ip_address: "192.0.2.252", status: "NEW" });
    expectProblem(await api("GET", "/v1/admin/contact-messages?status=NOUVEAU", { token: admin.token }), 422);
    expectProblem(await api("GET", `/v1/admin/contact-messages/${crypto.randomUUID()}`, { token: admin.token }), 404);
  });

  it("audits each staff change with before and after", async () => {
    const admin = await registerAdmin();
    const { id } = await send(form());
    await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: admin.token, body: { status: "IN_PROGRESS" } });
    await api("POST", `/v1/admin/contact-messages/${id}/reply`, { token: admin.token, body: { reply: "Fait" } });
    const log = await api("GET", `/v1/admin/audit-log?object_type=contact_messages&object_id=${id}`, { token: admin.token });
    expect(log.body.data).toHaveLength(2);
    expect(log.body.data[0]).toMatchObject({ action: "UPDATE", user_id: admin.id, data_before: { status: "IN_PROGRESS", response: null }, data_after: { status: "RESOLVED", response: "Fait" } });
    expect(log.body.data[1]).toMatchObject({ data_before: { status: "NEW" }, data_after: { status: "IN_PROGRESS" } });
  });

  it("is for admins only, checked before the input", async () => {
    const user = await registerUser();
    const { id } = await send(form(), { token: user.token });
    for (const role of ["USER", "ORGANIZER", "CONTROLLER"] as const) {
      await setRole(user.id, role);
      expectProblem(await api("GET", "/v1/admin/contact-messages", { token: user.token }), 403);
      expectProblem(await api("GET", `/v1/admin/contact-messages/${id}`, { token: user.token }), 403);
      expectProblem(await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: user.token, body: { status: "CLOSED" } }), 403);
      expectProblem(await api("PATCH", `/v1/admin/contact-messages/${id}`, { token: user.token, body: { junk: 1 } }), 403);
      expectProblem(await api("POST", `/v1/admin/contact-messages/${id}/reply`, { token: user.token, body: { reply: "x" } }), 403);
    }
    expectProblem(await api("GET", "/v1/admin/contact-messages"), 401);
    expect(await row(id)).toMatchObject({ status: "NEW", response: null });
  });
});
