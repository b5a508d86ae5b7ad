import { env, exports } from "cloudflare:workers";
import { and, desc, eq } from "drizzle-orm";
import { getDb } from "../../src/db/client.ts";
import { message_deliveries } from "../../src/notifications/schema.ts";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

let ipCounter = 0;
/** A distinct client IP per test helper call, so per-IP rate limits do not couple unrelated tests. */
export const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

/** Calls the Worker's fetch handler in-process, as a client over HTTPS would. */
export async function api<T = any>(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: BodyInit; token?: string; headers?: Record<string, string>; ip?: string } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  headers.set("CF-Connecting-IP", options.ip ?? "203.0.113.7");
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const response = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://api.test${path}`, { method, headers, body }));
  const text = await response.text();
  let parsed: unknown = text;
  const type = response.headers.get("Content-Type") ?? "";
  if (type.includes("json") && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

let userCounter = 0;
export const PASSWORD = "correct horse battery staple";

/** Registers a fresh user and returns its tokens. */
export async function registerUser(overrides: Record<string, unknown> = {}) {
  userCounter += 1;
  const email = `user${userCounter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const response = await api("POST", "/v1/auth/register", {
    body: { email, password: PASSWORD, first_name: "Awa", last_name: "Test", ...overrides },
    ip: freshIp(),
  });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    id: response.body.user.id as string,
    email: response.body.user.email as string,
    token: response.body.tokens.access_token as string,
    refresh: response.body.tokens.refresh_token as string,
    sessionId: response.body.tokens.session_id as string,
  };
}

/** Signs a user in with the demo password. */
export async function login(email: string, password = PASSWORD) {
  return api("POST", "/v1/auth/login", { body: { email, password }, ip: freshIp() });
}

/** Gives a user a role directly in D1 (role management has its own tests). */
export async function setRole(userId: string, role: "USER" | "ORGANIZER" | "CONTROLLER" | "ADMIN") {
  await env.DB.prepare("UPDATE users SET role = ? WHERE id = ?").bind(role, userId).run();
}

/**
 * Waits for the notifications queue consumer to record a message to
 * `recipient` with `template`, and returns its data (codes, tokens).
 */
export async function waitForMessage(recipient: string, template: string, after?: string, timeoutMs = 10_000) {
  const db = getDb(env.DB);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db
      .select()
      .from(message_deliveries)
      .where(and(eq(message_deliveries.recipient, recipient), eq(message_deliveries.notification_type, template)))
      .orderBy(desc(message_deliveries.created_at))
      .limit(1);
    if (row && (!after || row.id !== after)) return row;
    if (Date.now() > deadline) throw new Error(`no ${template} message to ${recipient}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function expectProblem(response: ApiResponse, status: number, code?: string) {
  if (response.status !== status || !(response.headers.get("Content-Type") ?? "").startsWith("application/problem+json")) {
    throw new Error(`expected problem ${status}${code ? ` ${code}` : ""}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  if (code && response.body.code !== code) throw new Error(`expected code ${code}, got ${response.body.code}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Registers a fresh user and makes it an ADMIN (the role is re-read on every request, so its token works at once). */
export async function registerAdmin() {
  const admin = await registerUser();
  await setRole(admin.id, "ADMIN");
  return admin;
}
