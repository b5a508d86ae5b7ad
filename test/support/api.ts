import { env, exports } from "cloudflare:workers";
import { and, desc, eq } from "drizzle-orm";
import { createApp, openApiDocument } from "../../src/app.ts";
import { getDb } from "../../src/db/client.ts";
import { message_deliveries, type NotificationType } from "../../src/notifications/schema.ts";
import { deliverPending } from "./notifications.ts";
import { queuesIdle } from "./queues.ts";

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

let ipCounter = 0;
/** A distinct client IP per test helper call, so per-IP rate limits do not couple unrelated tests. */
export const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

interface DocumentedOperation {
  method: string;
  path: string;
  pattern: RegExp;
  params: number;
  operationId: string;
  codes: Map<number, readonly string[]>;
}
let documented: DocumentedOperation[] | undefined;

/** The app's OpenAPI operations, each with the problem codes it documents per status. */
function documentedOperations(): DocumentedOperation[] {
  if (documented) return documented;
  const doc = openApiDocument(createApp()) as unknown as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { "x-problem-codes"?: string[] }> }>> };
  documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
      params: path.split("{").length - 1,
      operationId: operation.operationId,
      codes: new Map(Object.entries(operation.responses).flatMap(([status, response]) => (response["x-problem-codes"] ? [[Number(status), response["x-problem-codes"]]] : []))),
    })),
  );
  return documented;
}

/**
 * Every problem a route answers in a test must be one its OpenAPI document
 * lists for that status (declared with errors(…) on the route, or added for
 * the app's middleware): the documented codes stay true to the code. A route
 * that is not an operation (404 for an unknown path) and 500s are not checked.
 */
function checkDocumented(method: string, url: string, status: number, body: { code?: string }) {
  if (status >= 500 && status !== 502 && status !== 503) return;
  const path = url.split("?")[0]!;
  const candidates = documentedOperations().filter((op) => op.method === method.toUpperCase() && op.pattern.test(path));
  const operation = candidates.sort((a, b) => a.params - b.params)[0];
  if (!operation) return;
  if (!operation.codes.get(status)?.includes(body.code ?? "")) {
    throw new Error(
      `${method} ${operation.path} (operation ${operation.operationId}) answered ${status} ${body.code}, which its OpenAPI document does not list for ${status}: ` +
        `add "${body.code}" to the route's errors(…) (codes and their statuses: src/problem-codes.ts). Documented: ${JSON.stringify(Object.fromEntries(operation.codes))}`,
    );
  }
}

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
  if (type.startsWith("application/problem+json")) checkDocumented(method, path, response.status, parsed as { code?: string });
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

/** Marks a user's email verified, as entering the sign-up code does (tickets reach an address by email only once it is proven). */
export async function verifyEmail(userId: string) {
  await env.DB.prepare("UPDATE users SET email_verified_at = ? WHERE id = ?").bind(new Date().toISOString(), userId).run();
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
 * The latest message of type `template` to `recipient` (an address, or the
 * user id for the in-app notification), newer than the message `after` if
 * given, once the notifications consumer handled it; fails when there is none.
 * It first waits for the queues that run in the background (payments) to be
 * idle, since their consumer may be what queues the message; a delivery still
 * waiting in the outbox is then handed to the real notifications consumer
 * (test/support/notifications.ts), which no queue runs in tests.
 */
export async function waitForMessage(recipient: string, template: string, after?: string, timeoutMs?: number) {
  await queuesIdle(timeoutMs);
  const latest = () =>
    getDb(env.DB)
      .select()
      .from(message_deliveries)
      .where(
        and(
          eq(message_deliveries.recipient, recipient),
          eq(message_deliveries.notification_type, template as NotificationType),
          // A user id is the recipient of both the in-app notification and the push: the in-app one is meant.
          recipient.includes("@") || recipient.startsWith("+") ? undefined : eq(message_deliveries.channel, "IN_APP"),
        ),
      )
      .orderBy(desc(message_deliveries.created_at))
      .limit(1);
  let [row] = await latest();
  if (row?.status === "PENDING") {
    await deliverPending({ ids: [row.id] });
    [row] = await latest();
  }
  if (!row || row.id === after) throw new Error(`no ${after ? "new " : ""}${template} message to ${recipient}`);
  return row;
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

// ---------------------------------------------------------------- events

/**
 * Registers a fresh ORGANIZER with an organization of its own (created through
 * the API; it is its OWNER). `plan`: an ACTIVE organizer plan of that
 * organization allowing that many events per month (null: unlimited); without
 * it the free allowance applies.
 */
export async function registerOrganizer(options: { plan?: number | null } = {}) {
  const user = await registerUser();
  await setRole(user.id, "ORGANIZER");
  const created = await api("POST", "/v1/organizations", { token: user.token, body: { name: `Club ${user.id.slice(0, 8)}` } });
  if (created.status !== 201) throw new Error(`create organization failed: ${created.status} ${JSON.stringify(created.body)}`);
  const organizer = { ...user, organizationId: created.body.id as string };
  if (options.plan !== undefined) {
    const planId = crypto.randomUUID();
    const start = new Date(Date.now() - 86_400_000).toISOString();
    const end = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO organizer_plans (id, name, plan_type, price, currency, billing_period, max_events_per_month) VALUES (?, ?, 'STANDARD', 0, 'XOF', 'MONTHLY', ?)",
      ).bind(planId, `Test plan ${planId.slice(0, 8)}`, options.plan),
      env.DB.prepare(
        "INSERT INTO organizer_subscriptions (id, user_id, organization_id, plan_id, starts_at, ends_at, status, price_paid, currency) VALUES (?, ?, ?, ?, ?, ?, 'ACTIVE', 0, 'XOF')",
      ).bind(crypto.randomUUID(), organizer.id, organizer.organizationId, planId, start, end),
    ]);
  }
  return organizer;
}

/** A valid event creation body, a week from now in Cotonou; `overrides` replace fields (undefined removes one). */
export function eventInput(overrides: Record<string, unknown> = {}) {
  const start = Date.now() + 7 * 86_400_000;
  const body: Record<string, unknown> = {
    title: "Festival des Arts de Cotonou",
    description: "Musique, danse et gastronomie au bord de la lagune.",
    starts_at: new Date(start).toISOString(),
    ends_at: new Date(start + 4 * 3_600_000).toISOString(),
    timezone: "Africa/Porto-Novo",
    venue_name: "Place de l'Amazone",
    latitude: 6.3654,
    longitude: 2.4183,
    currency: "XOF",
    ...overrides,
  };
  for (const [key, value] of Object.entries(body)) if (value === undefined) delete body[key];
  return body;
}

/** Creates an event as `organizer`, submits it and has `admin` approve it; returns the approved event. */
export async function publishEvent(organizer: { token: string }, admin: { token: string }, overrides: Record<string, unknown> = {}) {
  const created = await api("POST", "/v1/events", { token: organizer.token, body: eventInput(overrides) });
  if (created.status !== 201) throw new Error(`create event failed: ${created.status} ${JSON.stringify(created.body)}`);
  const submitted = await api("POST", `/v1/events/${created.body.id}/submit`, { token: organizer.token });
  if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const approved = await api("POST", `/v1/admin/events/${created.body.id}/approve`, { token: admin.token });
  if (approved.status !== 200) throw new Error(`approve failed: ${approved.status} ${JSON.stringify(approved.body)}`);
  return approved.body;
}

/**
 * Adds `user` to an organization in `role` directly in D1 (the invitation
 * flow has its own tests), for tests of what each role may do.
 */
export async function addMember(organizationId: string, userId: string, role: "OWNER" | "MANAGER" | "BOX_OFFICE" | "FINANCE" | "SUPERVISOR" | "CONTROLLER") {
  await env.DB.prepare("INSERT INTO organization_members (id, organization_id, user_id, role) VALUES (?, ?, ?, ?)").bind(crypto.randomUUID(), organizationId, userId, role).run();
}

/** A fresh account that is a member of `organizationId` in `role` (no platform role needed). */
export async function registerMember(organizationId: string, role: Parameters<typeof addMember>[2]) {
  const user = await registerUser();
  await addMember(organizationId, user.id, role);
  return user;
}

// ---------------------------------------------------------------- QR codes

/**
 * Reads a QR SVG as src/access/qr-svg.ts draws it (a viewBox of n×n modules,
 * one path of `M x y h w v1 h-w z` runs) back into its module grid; every
 * character of the path must be accounted for.
 */
export function qrModules(svg: string): boolean[][] {
  const box = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  const path = /<path d="([^"]*)"/.exec(svg);
  if (!box || !path || box[1] !== box[2]) throw new Error("not a square QR SVG");
  const size = Number(box[1]);
  const grid = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const rest = path[1]!.replace(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g, (_, x: string, y: string, w: string, back: string) => {
    if (w !== back) throw new Error(`run not closed: ${w} ≠ ${back}`);
    for (let i = 0; i < Number(w); i++) grid[Number(y)]![Number(x) + i] = true;
    return "";
  });
  if (rest !== "") throw new Error(`unparsed path: ${rest.slice(0, 40)}`);
  return grid;
}

/** Decodes a QR SVG with jsQR, an independent decoder, from RGBA pixels at 4 pixels per module. */
export async function decodeQrSvg(svg: string): Promise<string | null> {
  const { default: jsQR } = await import("jsqr");
  const grid = qrModules(svg);
  const scale = 4;
  const width = grid.length * scale;
  const pixels = new Uint8ClampedArray(width * width * 4).fill(255);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      if (!grid[Math.floor(y / scale)]![Math.floor(x / scale)]) continue;
      const at = (y * width + x) * 4;
      pixels[at] = pixels[at + 1] = pixels[at + 2] = 0;
    }
  }
  return jsQR(pixels, width, width)?.data ?? null;
}

// ---------------------------------------------------------------- anonymous checks

/** A fresh Turnstile token, as the widget would hand a visitor, issued by the fake Siteverify (scripts/fakes/turnstile.ts) for the Worker's secret. */
export async function turnstileToken(): Promise<string> {
  const { inject } = await import("vitest");
  const response = await fetch(`${inject("fakeTurnstileUrl")}/_control/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ secret: env.TURNSTILE_SECRET_KEY }),
  });
  if (response.status !== 201) throw new Error(`fake turnstile: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** A guest (anonymous) order: an email for the tickets and a fresh Turnstile token, from a fresh IP unless given. */
export async function guestOrder(eventId: string, body: Record<string, unknown>, options: { ip?: string; headers?: Record<string, string> } = {}) {
  return api("POST", `/v1/events/${eventId}/orders`, { body: { turnstile_token: await turnstileToken(), ...body }, ip: options.ip ?? freshIp(), headers: options.headers });
}

// ---------------------------------------------------------------- payments

/** Calls the fake payment providers (scripts/fakes/payments/), e.g. its `/_control` API; fails on a non-2xx answer. */
export async function fakePayments<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const { inject } = await import("vitest");
  const response = await fetch(`${inject("fakePaymentsUrl")}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`fake payments ${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The payer pays (or not) at the fake provider, and the callback it builds reaches the Worker as the provider would send it. */
export async function settleAtProvider(provider: "mtn" | "fedapay" | "kkiapay" | "konnect" | "stripe", reference: string, status: "PAID" | "FAILED" = "PAID") {
  const { webhook } = await fakePayments<{ webhook: { url: string; method: string; headers: Record<string, string>; body: string } | null }>("POST", `/_control/${provider}/settle`, { reference, status });
  if (!webhook) throw new Error(`${provider} sends no callback for ${reference}`);
  return { webhook, deliver: () => deliverWebhook(webhook) };
}

/** Hands a webhook the fake built to the Worker (the fake cannot reach it in tests). */
export function deliverWebhook(webhook: { url: string; method: string; headers: Record<string, string>; body: string }) {
  const url = new URL(webhook.url);
  return api(webhook.method, url.pathname + url.search, { rawBody: webhook.method === "GET" ? undefined : webhook.body, headers: webhook.headers });
}

/**
 * What `check` returns once the queues' consumers have handled every message
 * sent so far (test/support/queues.ts); fails if that is nothing truthy, since
 * nothing more is going to happen.
 */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs?: number): Promise<T> {
  await queuesIdle(timeoutMs);
  const value = await check();
  if (!value) throw new Error(`${what}: not so once the queues were idle`);
  return value;
}

/** An approved, ticketed event of `organizer` with one ticket configuration on sale, set up through the API. */
export async function sellingEvent(organizer: { token: string }, admin: { token: string }, options: { price?: number; quantity?: number; currency?: "XOF" | "TND"; cancellationAllowed?: boolean } = {}) {
  const price = options.price ?? 5_000;
  const currency = options.currency ?? "XOF";
  const type = await api("POST", "/v1/ticket-types", {
    token: organizer.token,
    body: { code: `TRIB-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Tribune", base_price: price, currency, default_zone_category: "STANDARD", cancellation_allowed: options.cancellationAllowed ?? false },
  });
  if (type.status !== 201) throw new Error(`ticket type: ${type.status} ${JSON.stringify(type.body)}`);
  const event = await publishEvent(organizer, admin, { access_type: "PAID", price, currency, ticketing_enabled: true });
  const config = await api("POST", `/v1/events/${event.id}/ticket-configs`, {
    token: organizer.token,
    body: { ticket_type_id: type.body.id, price, quantity_total: options.quantity ?? 100 },
  });
  if (config.status !== 201) throw new Error(`ticket config: ${config.status} ${JSON.stringify(config.body)}`);
  return { eventId: event.id as string, configId: config.body.id as string };
}

/**
 * `fan` orders `quantity` tickets and pays online (Stripe card by default, or
 * MTN MoMo); the provider's webhook is delivered and the queue consumer
 * settles it. Returns once the payer was told (the last step of fulfilment).
 */
export async function buyAndPay(fan: { id: string; token: string }, event: { eventId: string; configId: string }, options: { quantity?: number; provider?: "STRIPE" | "MTN_MOMO" } = {}) {
  const order = await api("POST", `/v1/events/${event.eventId}/orders`, { token: fan.token, body: { config_id: event.configId, quantity: options.quantity ?? 1 }, ip: freshIp() });
  if (order.status !== 201) throw new Error(`order: ${order.status} ${JSON.stringify(order.body)}`);
  const mtn = options.provider === "MTN_MOMO";
  const started = await api("POST", "/v1/payments", {
    token: fan.token,
    body: { target: { type: "TICKET", event_id: event.eventId, order_id: order.body.id }, ...(mtn ? { method: "MOMO_MTN", phone: "+2290197000001" } : { method: "CARD", provider: "STRIPE" }) },
  });
  if (started.status !== 201) throw new Error(`payment: ${started.status} ${JSON.stringify(started.body)}`);
  const settled = await settleAtProvider(mtn ? "mtn" : "stripe", started.body.payment.external_reference);
  const delivered = await settled.deliver();
  if (delivered.status !== 200) throw new Error(`webhook: ${delivered.status} ${JSON.stringify(delivered.body)}`);
  await waitForMessage(fan.id, "TICKET_PURCHASED");
  const payment = await api("GET", `/v1/payments/${started.body.payment.id}`, { token: fan.token });
  return { orderId: order.body.id as string, payment: payment.body };
}
