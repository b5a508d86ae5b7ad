/**
 * What the dashboard tests share: the platform and browser started once by
 * global-setup.ts, pages that record console errors, the axe-core check, and
 * calls to the API for setting up what a test needs.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect, inject } from "vitest";
import { DEMO_ACCOUNTS } from "../../../src/demo/seed.ts";

export const BASE = inject("dashboardUrl");
const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");

export const account = (role: "ADMIN" | "ORGANIZER" | "CONTROLLER" | "USER", nth = 0) => DEMO_ACCOUNTS.filter((a) => a.role === role)[nth]!;

let browser: Browser | undefined;
export async function connect(): Promise<Browser> {
  browser ??= await chromium.connect(inject("browserEndpoint"));
  return browser;
}
export async function disconnect() {
  await browser?.close();
  browser = undefined;
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** console.error and uncaught errors seen on the page. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser context (its own storage) on a tablet-sized screen. It
 * bypasses the dashboard's Content-Security-Policy only so that axe-core can be
 * injected; the policy itself is checked in flows.e2e.ts.
 */
export async function openTab(options: { locale?: string } = {}): Promise<Tab> {
  const context = await (await connect()).newContext({ viewport: { width: 1280, height: 800 }, locale: options.locale ?? "fr-FR", baseURL: BASE, bypassCSP: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors, close: () => context.close() };
}

/** Signs in through the sign-in screen; `code` answers the 2FA step. */
export async function signIn(page: Page, email: string, password: string, code?: () => string) {
  await page.goto("/");
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByLabel("Mot de passe").fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  if (code) {
    await page.getByLabel("Code").fill(code());
    await page.getByRole("button", { name: "Vérifier" }).click();
  }
  await page.getByRole("button", { name: "Se déconnecter" }).waitFor({ timeout: 15_000 });
}

/** Axe-core on the page as it is: violations of impact serious or critical, described. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as { document: unknown; axe: { run: (context: unknown, options: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
    const result = await axe.run(document, {
      resultTypes: ["violations"],
    });
    return result.violations;
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

/** The screen's heading once it has loaded (every screen focuses its h1). */
export async function heading(page: Page): Promise<string> {
  const h1 = page.locator("main h1").first();
  await h1.waitFor({ timeout: 15_000 });
  await page.locator("main .loading").first().waitFor({ state: "detached", timeout: 15_000 }).catch(() => undefined);
  await expect.poll(() => page.locator("main .loading").count(), { timeout: 15_000 }).toBe(0);
  return (await h1.textContent()) ?? "";
}

// ── the API, for what a test sets up around the screens ──────────────────────

export interface Session {
  token: string;
  userId: string;
}

export async function api<T = any>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(new URL(path, BASE), { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: (text && response.headers.get("Content-Type")?.includes("json") ? JSON.parse(text) : text) as T };
}

export async function login(email: string, password: string): Promise<Session> {
  const response = await api<{ access_token: string }>("POST", "/v1/auth/login", { body: { email, password } });
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${JSON.stringify(response.body)}`);
  const me = await api<{ id: string }>("GET", "/v1/me", { token: response.body.access_token });
  return { token: response.body.access_token, userId: me.body.id };
}

export const loginAs = (role: "ADMIN" | "ORGANIZER" | "CONTROLLER" | "USER", nth = 0) => login(account(role, nth).email, account(role, nth).password);

export async function expectOk<T>(response: Promise<{ status: number; body: T }>, status = 200): Promise<T> {
  const result = await response;
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  return result.body;
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret, as an authenticator app computes it. */
export function totp(secret: string, at = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = digest[digest.length - 1]! & 0xf;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A 1×1 PNG: enough for uploads checked by their bytes. */
export const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
