/**
 * One platform and one browser for every dashboard test (vitest globalSetup):
 * the bundled Worker on workerd with the built dashboard as its static assets
 * (as `wrangler deploy` serves them), D1 migrated and the demo data of
 * `npm start` seeded, each demo event's inventory synced; and Debian's
 * Chromium, headless, driven by playwright-core over its own WebSocket.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium, type BrowserServer } from "playwright-core";
import { generateSecrets } from "../../../scripts/secrets.ts";
import { applyMigrations, appWorker, bundle, ROOT, startWorkerd, tempDir, type Workerd } from "../../../bench/lib/workerd.ts";
import { DEMO_ACCOUNTS, seedDemoData } from "../../../src/demo/seed.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// playwright adds --headless itself (headless: true).
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];

export interface Platform {
  url: URL;
  browser: BrowserServer;
  /** The Worker's errors and warnings, for a test that fails to show. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startPlatform(): Promise<Platform> {
  if (!existsSync(join(ROOT, "dashboard", "dist", "index.html"))) throw new Error("dashboard/dist is missing: run `npm run dashboard:build` first");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
  const secrets = generateSecrets("dashboard-e2e");
  const dir = tempDir("edge-events-dashboard-");
  const logs: string[] = [];
  let workerd: Workerd | undefined;
  let browser: BrowserServer | undefined;
  try {
    const script = await bundle("src/index.ts", dir);
    workerd = await startWorkerd([appWorker("app", script, secrets, { assets: true })], { onLog: (line) => logs.push(line) });
    const db = (await workerd.mf.getD1Database("DB", "app")) as unknown as D1Database;
    await applyMigrations(db);
    const seeded = await seedDemoData(db, secrets.PASSWORD_PEPPER);
    const url = await workerd.url("app");
    // As `npm start` does: each demo event's Durable Object loads its catalog.
    const admin = DEMO_ACCOUNTS.find((a) => a.role === "ADMIN")!;
    const login = await fetch(new URL("/v1/auth/login", url), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: admin.email, password: admin.password }) });
    const { access_token } = (await login.json()) as { access_token: string };
    for (const event of seeded.events) {
      const synced = await fetch(new URL(`/v1/admin/events/${event.id}/inventory/sync`, url), { method: "POST", headers: { Authorization: `Bearer ${access_token}` } });
      if (!synced.ok) throw new Error(`inventory sync of ${event.id}: ${synced.status} ${await synced.text()}`);
    }
    browser = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const started = { workerd, browser };
    return {
      url,
      browser,
      logs,
      async stop() {
        await started.browser.close().catch(() => {});
        await started.workerd.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    await workerd?.dispose();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
