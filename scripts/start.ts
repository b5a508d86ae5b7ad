/**
 * `npm start`: the whole platform on this machine, offline, with demo data.
 * 1. creates .dev.vars with fresh local secrets (never overwrites it: the
 *    demo passwords are peppered with its PASSWORD_PEPPER; secrets added
 *    since it was created are appended to it);
 * 2. applies the D1 migrations to the local database;
 * 3. builds the dashboard (dashboard/dist, served by wrangler dev as static assets) and seeds the demo data (insert-or-ignore with fixed ids: a rerun changes nothing);
 * 4. starts the fake payment providers on a fixed loopback port (8790, or
 *    FAKE_PAYMENTS_PORT, or --fake-payments-port) and the fake notification
 *    providers (Email Service, Twilio, FCM) on another (8791, or
 *    FAKE_NOTIFICATIONS_PORT, or --fake-notifications-port), both checking the
 *    credentials of .dev.vars and keeping their state (transactions; every
 *    email, SMS and push received) in .wrangler/state, and runs `wrangler dev`
 *    pointed at them and at a fake Turnstile Siteverify on a free loopback port
 *    (.dev.vars holds Cloudflare's always-pass test secret, so any token passes,
 *    e.g. the test sitekeys' XXXX.DUMMY.TOKEN.XXXX); once it answers,
 * 5. signs in as the demo admin and has each demo event's Durable Object load
 *    its ticket configurations from D1 (the admin inventory sync route), then
 *    sells the demo fans tickets to the friendly whose doors are open now,
 *    paid in cash at the box office, unless they hold valid ones;
 * 6. prints the URLs, the demo logins, the demo events and an order to paste.
 * Options (for running beside another instance, e.g. the end-to-end tests):
 * --port (8787), --state-dir (.wrangler/state; the log goes beside it),
 * --fake-payments-port (8790), --fake-notifications-port (8791),
 * --inspector-port (wrangler dev's, 9229).
 * Every step is safe to repeat. The terminal shows one line per step; what
 * the tools print (wrangler's tables, then the server's log) goes to
 * .wrangler/start.log.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, parseEnv } from "node:util";
import { register } from "tsx/esm/api";
import { getPlatformProxy, unstable_readConfig } from "wrangler";
import { startFakeNotificationProviders, type FakeNotificationProviders } from "./fakes/notifications/server.ts";
import { startFakePaymentProviders, type FakePaymentProviders, type FakePaymentSecrets } from "./fakes/payments/server.ts";
import { startFakeTurnstile, TURNSTILE_DUMMY_TOKEN } from "./fakes/turnstile.ts";
import { generateSecrets } from "./secrets.ts";

// The app's modules use TypeScript that Node cannot merely strip (parameter
// properties, for one); tsx compiles them, so the seed runs the app's own code.
register();
const { DEMO_ACCOUNTS, DEMO_FANS, DEMO_LIVE_CONFIG_IDS, DEMO_LIVE_EVENT_ID, DEMO_STADIUM_GATE_IDS, seedDemoData }: typeof import("../src/demo/seed.ts") = await import("../src/demo/seed.ts");
type SeedResult = import("../src/demo/seed.ts").SeedResult;
type Availability = import("../durable-objects/event/contract.ts").Availability;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEV_VARS = join(ROOT, ".dev.vars");
const MIGRATIONS = join(ROOT, "migrations");
const HOST = "127.0.0.1";

const { values: flags } = parseArgs({
  options: {
    port: { type: "string" },
    "state-dir": { type: "string" },
    "fake-payments-port": { type: "string" },
    "fake-notifications-port": { type: "string" },
    "inspector-port": { type: "string" },
  },
});
const portOption = (name: string, value: string | undefined, fallback: number): number => {
  const port = Number(value ?? fallback);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`✖ ${name} must be a port number`);
    process.exit(1);
  }
  return port;
};
const PORT = portOption("--port", flags.port, 8787);
const BASE = `http://${HOST}:${PORT}`;
const STATE = resolve(ROOT, flags["state-dir"] ?? join(".wrangler", "state"));
const PERSIST = join(STATE, "v3"); // where `wrangler dev` and `wrangler d1 … --local` keep local data
const APPLIED = join(STATE, "applied-migrations.json");
const LOG = join(dirname(STATE), "start.log");
/** The fake providers keep their transactions here, beside the local database that refers to them. */
const FAKE_PAYMENTS_STATE = join(STATE, "fake-payments.json");
/** The fake notification providers keep every email, SMS and push they received here. */
const FAKE_NOTIFICATIONS_STATE = join(STATE, "fake-notifications.json");
/**
 * Fixed ports: the hosted payment pages' URLs the local database keeps, the
 * messages page's address, and the base URLs the Worker is given, stay right
 * across restarts.
 */
const DEFAULT_FAKE_PAYMENTS_PORT = 8790;
const DEFAULT_FAKE_NOTIFICATIONS_PORT = 8791;

// Offline: no usage metrics, no fetch of the `request.cf` object.
Object.assign(process.env, { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" });
process.chdir(ROOT);

const require = createRequire(import.meta.url);
const WRANGLER = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const VITE = join(dirname(require.resolve("vite/package.json")), "bin", "vite.js");

const FAKE_PAYMENTS_PORT = portOption("--fake-payments-port / FAKE_PAYMENTS_PORT", flags["fake-payments-port"] ?? process.env.FAKE_PAYMENTS_PORT, DEFAULT_FAKE_PAYMENTS_PORT);
const FAKE_NOTIFICATIONS_PORT = portOption(
  "--fake-notifications-port / FAKE_NOTIFICATIONS_PORT",
  flags["fake-notifications-port"] ?? process.env.FAKE_NOTIFICATIONS_PORT,
  DEFAULT_FAKE_NOTIFICATIONS_PORT,
);
if (FAKE_PAYMENTS_PORT === FAKE_NOTIFICATIONS_PORT) {
  console.error("✖ the fake payment and notification providers need two different ports");
  process.exit(1);
}
const INSPECTOR_PORT = flags["inspector-port"] === undefined ? undefined : portOption("--inspector-port", flags["inspector-port"], 9229);

mkdirSync(dirname(LOG), { recursive: true });
const log = createWriteStream(LOG);
/** A path as the user should type it: relative inside the repository, absolute outside it. */
const shown = (path: string) => (relative(ROOT, path).startsWith("..") ? path : relative(ROOT, path));
const LOG_NAME = shown(LOG);
const STATE_NAME = shown(STATE);

/** Runs wrangler with this Node (22), so the global Node version never matters; what it prints goes to the log. */
function wrangler(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  log.write(`$ wrangler ${args.join(" ")}\n`);
  const child = spawn(process.execPath, [WRANGLER, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  return child;
}

/** Runs a tool with this Node; what it prints goes to the log. */
function run(command: string, args: string[]): Promise<void> {
  log.write(`$ ${args.join(" ")}\n`);
  return new Promise((done, fail) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.on("error", fail).on("exit", (code) => (code === 0 ? done() : fail(new Error(`${args[0]} exited with ${code}`))));
  });
}

function runWrangler(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((done, fail) => {
    wrangler(args, env)
      .on("error", fail)
      .on("exit", (code) => (code === 0 ? done() : fail(new Error(`wrangler ${args.join(" ")} exited with ${code}`))));
  });
}

/** One line in the terminal per step: its name, then what came of it. */
async function step<T>(name: string, run: () => T | Promise<T>, outcome: (result: T) => string): Promise<T> {
  process.stdout.write(`  ${name} … `);
  log.write(`\n▶ ${name}\n`);
  try {
    const result = await run();
    const text = outcome(result);
    console.log(text);
    log.write(`  ${text}\n`);
    return result;
  } catch (error) {
    console.log("failed");
    throw error;
  }
}

/** 1. Local secrets, created once; secrets introduced later are added without touching the others. */
function ensureDevVars(): { vars: Record<string, string | undefined>; outcome: string } {
  let outcome: string;
  if (!existsSync(DEV_VARS)) {
    const secrets = generateSecrets();
    const lines = Object.entries(secrets).map(([name, value]) => `${name}='${value}'`);
    writeFileSync(
      DEV_VARS,
      [
        "# Local secrets for `wrangler dev`, generated by `npm start`. Never commit them; never use them in production.",
        "# Keep this file: the demo passwords in the local database are peppered with PASSWORD_PEPPER.",
        ...lines,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    outcome = "created .dev.vars with fresh local secrets";
  } else {
    outcome = ".dev.vars kept";
    const existing = readFileSync(DEV_VARS, "utf8");
    const present = parseEnv(existing);
    const added = Object.entries(generateSecrets()).filter(([name]) => !present[name]);
    if (added.length) {
      const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
      writeFileSync(DEV_VARS, `${existing}${separator}${added.map(([name, value]) => `${name}='${value}'`).join("\n")}\n`, { mode: 0o600 });
      outcome = `.dev.vars kept; added ${added.map(([name]) => name).join(", ")}`;
    }
  }
  const vars = parseEnv(readFileSync(DEV_VARS, "utf8"));
  const missing = Object.keys(generateSecrets("probe")).filter((name) => !vars[name]);
  if (missing.length) throw new Error(`.dev.vars lacks ${missing.join(", ")}: add them, or delete .dev.vars and ${STATE_NAME} to start afresh.`);
  return { vars, outcome };
}

const fileDigest = (name: string) => createHash("sha256").update(readFileSync(join(MIGRATIONS, name))).digest("hex");

/**
 * wrangler applies each migration file once, by name. A file edited after it
 * was applied (the unreleased schema is regenerated as one 0000_init) would
 * leave the local database behind the code without any error, so say so.
 */
function checkAppliedMigrationsUnchanged() {
  if (!existsSync(APPLIED)) return;
  const applied = JSON.parse(readFileSync(APPLIED, "utf8")) as Record<string, string>;
  const changed = Object.entries(applied)
    .filter(([name, digest]) => !existsSync(join(MIGRATIONS, name)) || fileDigest(name) !== digest)
    .map(([name]) => name);
  if (changed.length) {
    throw new Error(
      `migrations changed after they were applied to the local database (${changed.join(", ")}).\n` +
        `  Delete the local data (rm -rf ${STATE_NAME}) and run \`npm start\` again.`,
    );
  }
}

function recordAppliedMigrations(): number {
  const names = readdirSync(MIGRATIONS).filter((name) => name.endsWith(".sql")).sort();
  mkdirSync(STATE, { recursive: true });
  writeFileSync(APPLIED, `${JSON.stringify(Object.fromEntries(names.map((name) => [name, fileDigest(name)])), null, 2)}\n`);
  return names.length;
}

interface D1Config {
  binding: string;
  database_name: string;
  database_id: string;
}

/**
 * 3. Seeds through wrangler's platform proxy (a local D1 in Node), given a
 * config with only the D1 binding so it does not warn about the Worker's
 * Durable Objects, and the same persistence directory as `wrangler dev`.
 */
async function seed(pepper: string) {
  const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });
  const dir = mkdtempSync(join(tmpdir(), "edge-events-seed-"));
  try {
    const configPath = join(dir, "wrangler.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        name: config.name,
        compatibility_date: config.compatibility_date,
        d1_databases: config.d1_databases.map(({ binding, database_name, database_id }: D1Config) => ({ binding, database_name, database_id })),
      }),
    );
    const proxy = await getPlatformProxy<{ DB: D1Database }>({ configPath, persist: { path: PERSIST }, remoteBindings: false, envFiles: [] });
    try {
      return await seedDemoData(proxy.env.DB, pepper);
    } finally {
      await proxy.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Until `wrangler dev` answers its health check (it has no other signal that it is ready); fails if it exits or takes two minutes. */
async function waitUntilUp(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${BASE}/v1/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  throw new Error(`wrangler dev did not answer on ${BASE} within two minutes`);
}

const accountOf = (role: string) => DEMO_ACCOUNTS.find((account) => account.role === role)!;

async function call(method: "GET" | "POST", path: string, body?: unknown, token?: string): Promise<unknown> {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}
const post = (path: string, body?: unknown, token?: string) => call("POST", path, body, token);

async function signIn(account: { email: string; password: string }): Promise<string> {
  return ((await post("/v1/auth/login", { email: account.email, password: account.password })) as { access_token: string }).access_token;
}

/**
 * 5. The seed writes the ticket catalog to D1 only; each event's Durable
 * Object, which sells, learns it through the admin sync route. Idempotent:
 * counters of tickets already sold are kept. Returns each event's availability.
 */
async function syncInventories(seeded: SeedResult): Promise<Map<string, Availability>> {
  const admin = accountOf("ADMIN");
  if (seeded.changed_passwords.includes(admin.email)) {
    throw new Error(`${admin.email} no longer has its demo password: sync the events yourself (POST /v1/admin/events/{event_id}/inventory/sync)`);
  }
  const access_token = await signIn(admin);
  const availability = new Map<string, Availability>();
  for (const event of seeded.events) {
    availability.set(event.id, (await post(`/v1/admin/events/${event.id}/inventory/sync`, undefined, access_token)) as Availability);
  }
  return availability;
}

/**
 * 5b. Tickets at the friendly for each demo fan (two TRIBUNE, then one VIRAGE),
 * ordered as the fan and paid in cash at the box office by the organizer,
 * unless the fan holds a ticket of it still valid in an hour (its dates move
 * to now when it is over: tickets for its former dates admit no more).
 * Returns what each fan holds.
 */
async function sellLiveTickets(seeded: SeedResult): Promise<string[]> {
  const organizer = accountOf("ORGANIZER");
  const stale = [organizer, ...DEMO_FANS].filter((account) => seeded.changed_passwords.includes(account.email));
  if (stale.length) throw new Error(`${stale.map((account) => account.email).join(", ")} no longer have their demo passwords`);
  let organizerToken: string | undefined;
  const held: string[] = [];
  for (const [i, fan] of DEMO_FANS.entries()) {
    const token = await signIn(fan);
    const rights = (await call("GET", "/v1/me/access-rights?status=ENABLED&limit=100", undefined, token)) as { data: { event_id: string; valid_until: string }[] };
    const valid = rights.data.filter((right) => right.event_id === DEMO_LIVE_EVENT_ID && Date.parse(right.valid_until) > Date.now() + 3_600_000);
    if (valid.length === 0) {
      const quantity = i === 0 ? 2 : 1;
      const config = DEMO_LIVE_CONFIG_IDS[i === 0 ? 1 : 0]!;
      const order = (await post(`/v1/events/${DEMO_LIVE_EVENT_ID}/orders`, { config_id: config, quantity }, token)) as { id: string };
      organizerToken ??= await signIn(organizer);
      await post(`/v1/events/${DEMO_LIVE_EVENT_ID}/orders/${order.id}/confirm-cash`, undefined, organizerToken);
      held.push(`${fan.email} bought ${quantity}`);
    } else {
      held.push(`${fan.email} holds ${valid.length}`);
    }
  }
  return held;
}

/** A shell snippet ordering 2 tickets of the soonest event on sale, as the first demo fan. */
function orderExample(seeded: SeedResult, availability: Map<string, Availability>): string[] {
  const fan = accountOf("USER");
  for (const event of seeded.events) {
    const config = availability.get(event.id)?.configs.find((c) => c.on_sale && c.available >= 2);
    if (!config) continue;
    return [
      ` Order 2 × ${config.ticket_type_code} for "${event.title}" as ${fan.email} (a hold of 15 minutes):`,
      `   TOKEN=$(curl -s ${BASE}/v1/auth/login -H 'Content-Type: application/json' \\`,
      `     -d '{"email":"${fan.email}","password":"${fan.password}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
      `   curl -s ${BASE}/v1/events/${event.id}/orders -H "Authorization: Bearer $TOKEN" \\`,
      `     -H 'Content-Type: application/json' -d '{"config_id":"${config.id}","quantity":2}'`,
      ` Or as a guest (Turnstile's test token passes locally):`,
      `   curl -s ${BASE}/v1/events/${event.id}/orders -H 'Content-Type: application/json' \\`,
      `     -d '{"config_id":"${config.id}","quantity":2,"guest_email":"guest@example.com","turnstile_token":"${TURNSTILE_DUMMY_TOKEN}"}'`,
      "",
    ];
  }
  return [];
}

/**
 * 4. The fake payment providers, checking the credentials the Worker gets from
 * .dev.vars (secrets) and wrangler.toml (public settings), and calling back
 * the local Worker. Returns them and the `--var`s that point the Worker at them.
 */
async function startPaymentProviders(vars: Record<string, string | undefined>): Promise<{ fake: FakePaymentProviders; devVars: string[] }> {
  const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }).vars as Record<string, unknown>;
  const value = (name: keyof FakePaymentSecrets) => String(vars[name] ?? config[name] ?? "");
  const secrets = Object.fromEntries(
    (
      [
        "MTN_MOMO_TARGET_ENVIRONMENT",
        "MTN_MOMO_SUBSCRIPTION_KEY",
        "MTN_MOMO_API_USER",
        "MTN_MOMO_API_KEY",
        "FEDAPAY_SECRET_KEY",
        "FEDAPAY_WEBHOOK_SECRET",
        "KKIAPAY_PUBLIC_KEY",
        "KKIAPAY_PRIVATE_KEY",
        "KKIAPAY_SECRET",
        "KONNECT_API_KEY",
        "KONNECT_WALLET_ID",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
      ] as const
    ).map((name) => [name, value(name)]),
  ) as FakePaymentSecrets;
  const fake = await startFakePaymentProviders({ secrets, webhookBase: BASE, port: FAKE_PAYMENTS_PORT, stateFile: FAKE_PAYMENTS_STATE }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    throw new Error(`port ${FAKE_PAYMENTS_PORT} is in use (another npm start?): stop it, or choose another with --fake-payments-port or FAKE_PAYMENTS_PORT`);
  });
  const bases = { MTN_MOMO: "mtn", FEDAPAY: "fedapay", KKIAPAY: "kkiapay", KONNECT: "konnect", STRIPE: "stripe" };
  const devVars = Object.entries(bases).flatMap(([provider, prefix]) => ["--var", `${provider}_BASE_URL:${fake.url}/${prefix}`]);
  return { fake, devVars };
}

/**
 * 4. The fake notification providers, checking the credentials the Worker has
 * (.dev.vars and wrangler.toml); Twilio calls the local Worker back with each
 * SMS's status. Returns them and the `--var`s that point the Worker at them
 * (email through the Email Sending REST API, since the fake stands in for it).
 */
async function startNotificationProviders(vars: Record<string, string | undefined>): Promise<{ fake: FakeNotificationProviders; devVars: string[] }> {
  const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }).vars as Record<string, unknown>;
  const value = (name: string) => String(vars[name] ?? config[name] ?? "");
  const fake = await startFakeNotificationProviders({
    port: FAKE_NOTIFICATIONS_PORT,
    secrets: {
      CLOUDFLARE_ACCOUNT_ID: value("CLOUDFLARE_ACCOUNT_ID"),
      CLOUDFLARE_EMAIL_API_TOKEN: value("CLOUDFLARE_EMAIL_API_TOKEN"),
      TWILIO_ACCOUNT_SID: value("TWILIO_ACCOUNT_SID"),
      TWILIO_AUTH_TOKEN: value("TWILIO_AUTH_TOKEN"),
      FCM_SERVICE_ACCOUNT: value("FCM_SERVICE_ACCOUNT"),
    },
    stateFile: FAKE_NOTIFICATIONS_STATE,
    autoCallbacks: true,
  }).catch((error: unknown) => {
    if ((error as { code?: string }).code !== "EADDRINUSE") throw error;
    throw new Error(`port ${FAKE_NOTIFICATIONS_PORT} is in use (another npm start?): stop it, or choose another with --fake-notifications-port or FAKE_NOTIFICATIONS_PORT`);
  });
  // Email goes through the REST API to the fake. Its token is an optional secret (src/env.ts), and with
  // `[secrets]` declared wrangler dev loads only the required ones from .dev.vars: it is passed here.
  const worker = { ...fake.workerVars, CLOUDFLARE_EMAIL_API_TOKEN: value("CLOUDFLARE_EMAIL_API_TOKEN") };
  const devVars = Object.entries(worker).flatMap(([name, setting]) => ["--var", `${name}:${setting}`]);
  return { fake, devVars };
}

function banner(seeded: SeedResult, availability: Map<string, Availability>, payments: string, messages: string) {
  const controller = accountOf("CONTROLLER");
  const width = Math.max(...DEMO_ACCOUNTS.map((account) => account.email.length));
  const titleWidth = Math.max(...seeded.events.map((event) => event.title.length));
  const role = (r: string) => r.padEnd(10);
  const onSale = (id: string) => {
    const configs = availability.get(id)?.configs;
    return configs ? `${configs.filter((c) => c.on_sale).length} ticket types on sale` : "inventory not synced";
  };
  console.log(
    [
      "",
      "════════════════════════════════════════════════════════════════════",
      ` Edge events platform, running locally at ${BASE}`,
      "",
      `   Dashboard    ${BASE}/   (sign in with an account below; French, English, Arabic)`,
      `   API base     ${BASE}/v1   (its index: name, version, links)`,
      `   Health       ${BASE}/v1/health`,
      `   OpenAPI      ${BASE}/openapi.json`,
      `   API docs     ${BASE}/docs`,
      `   Cron (test)  ${BASE}/__scheduled`,
      `   Payments     ${payments}   (fake MTN MoMo, FedaPay, KkiaPay, Konnect, Stripe: approve or decline here)`,
      `   Messages     ${messages}   (fake Email Service, Twilio, FCM: every email, SMS and push sent)`,
      `   Logs         ${LOG_NAME}   (wrangler dev and the Worker's console: tail -f ${LOG_NAME})`,
      "",
      " Demo accounts (POST /v1/auth/login with {\"email\", \"password\"}):",
      ...DEMO_ACCOUNTS.map(
        (account) =>
          `   ${role(account.team_role ?? account.role)} ${account.email.padEnd(width)}  ${account.password}${account.team_role ? `   (${account.team_role} of the demo organization; platform role ${account.role})` : ""}${
            seeded.changed_passwords.includes(account.email) ? "   (changed since it was seeded)" : ""
          }`,
      ),
      "",
      ` Demo events (APPROVED; times UTC; ${controller.email} is CONTROLLER of the matches at Porte A, of the friendly at every gate):`,
      ...seeded.events.map(
        (event) =>
          `   ${event.starts_at.slice(0, 16).replace("T", " ")}  ${event.title.padEnd(titleWidth)}  ${event.id}  ${event.currency}, ${onSale(event.id)}${event.id === DEMO_LIVE_EVENT_ID ? "  ← doors open now" : ""}`,
      ),
      ` Stadium gates (access points, for npm run gate --access-point): ${DEMO_STADIUM_GATE_IDS.join(", ")} (Porte A first)`,
      " The first hour (order, pay, QR, gate, scan log), step by step: README.md, \"The first hour\".",
      "",
      ...orderExample(seeded, availability),
      " Codes, tickets and every other message sent by email, SMS or push are on the Messages page.",
      ` Stop with Ctrl-C. Local data, the fake providers' payments and messages included: ${STATE_NAME} (delete it to start afresh).`,
      "════════════════════════════════════════════════════════════════════",
      "",
    ].join("\n"),
  );
}

/** The end of the log, for when something failed. */
function logTail(lines = 20): string {
  const text = existsSync(LOG) ? readFileSync(LOG, "utf8").trimEnd().split("\n") : [];
  return text.slice(-lines).map((line) => `    ${line}`).join("\n");
}

async function main() {
  console.log(`Edge events platform, locally (what the tools print: ${LOG_NAME})`);
  const { vars } = await step("Local secrets", ensureDevVars, (result) => result.outcome);

  await step(
    "D1 migrations",
    async () => {
      checkAppliedMigrationsUnchanged();
      // CI=true: apply without the interactive confirmation.
      await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", STATE], { ...process.env, CI: "true" });
      return recordAppliedMigrations();
    },
    (count) => `all ${count} applied`,
  );

  // wrangler dev serves dashboard/dist as the Worker's static assets (wrangler.toml [assets]): built from the sources each time.
  await step(
    "Dashboard",
    () => run(process.execPath, [VITE, "build", "--config", "dashboard/vite.config.ts", "--logLevel", "warn"]),
    () => {
      const report = JSON.parse(readFileSync(join(ROOT, "dashboard", "dist", "build-report.json"), "utf8")) as { initial_js_gzip_bytes: number; lazy_chunks: number };
      return `built (initial JavaScript ${(report.initial_js_gzip_bytes / 1024).toFixed(1)} KB gzip, ${report.lazy_chunks} screens loaded lazily)`;
    },
  );

  const seeded = await step("Demo data", () => seed(vars.PASSWORD_PEPPER!), (result) => (result.inserted ? `inserted ${result.inserted} rows` : "already there"));

  const payments = await step("Fake payment providers", () => startPaymentProviders(vars), (result) => `${result.fake.url} (their state: ${shown(FAKE_PAYMENTS_STATE)})`);
  // Guest checkout is checked with Turnstile: locally, Siteverify is a fake that honours Cloudflare's test secrets.
  const turnstile = await step("Fake Turnstile Siteverify", () => startFakeTurnstile(), (fake) => `${fake.url} (secret ${vars.TURNSTILE_SECRET_KEY === "1x0000000000000000000000000000000AA" ? "always passes" : "from .dev.vars"})`);
  const notifications = await step(
    "Fake notification providers",
    () => startNotificationProviders(vars),
    (result) => `${result.fake.url} (their state: ${shown(FAKE_NOTIFICATIONS_STATE)})`,
  );

  const dev = wrangler([
    "dev",
    "--local",
    "--ip",
    HOST,
    "--port",
    String(PORT),
    "--persist-to",
    STATE,
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...(INSPECTOR_PORT === undefined ? [] : ["--inspector-port", String(INSPECTOR_PORT)]),
    // The Worker's own origin on this port: providers call back to it and send payers back to it; the browser origins allowed.
    "--var",
    `PUBLIC_API_URL:${BASE}`,
    "--var",
    `APP_ORIGINS:http://localhost:${PORT},${BASE}`,
    ...payments.devVars,
    "--var",
    `TURNSTILE_BASE_URL:${turnstile.url}`,
    ...notifications.devVars,
  ]);
  let up = false;
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      stopping = true;
      dev.kill(signal);
    });
  }
  dev.on("exit", (code, signal) => {
    if (!up && !stopping) return; // still starting: main() reports it, with the log's last lines
    if (code && !stopping) console.error(`\n✖ wrangler dev exited with ${code}; its last lines (all in ${LOG_NAME}):\n${logTail()}`);
    void Promise.allSettled([payments.fake.close(), notifications.fake.close(), turnstile.close()]).finally(() => process.exit(code ?? (signal ? 1 : 0)));
  });
  await step(`wrangler dev`, () => waitUntilUp(dev), () => `answering on ${BASE}`);
  up = true;

  const availability = await step(
    "Ticket inventories (each event's Durable Object, from D1)",
    // The platform still runs without them; only the demo events are not on sale yet.
    () => syncInventories(seeded).catch((error: unknown) => error as Error),
    (result) => (result instanceof Error ? `not synced: ${result.message}` : `${result.size} events synced`),
  );
  if (!(availability instanceof Error)) {
    await step(
      "Tickets at the friendly (doors open now)",
      // The platform runs without them too; the walkthrough buys its own.
      () => sellLiveTickets(seeded).catch((error: unknown) => error as Error),
      (result) => (result instanceof Error ? `not sold: ${result.message}` : result.join(", ")),
    );
  }
  banner(seeded, availability instanceof Error ? new Map() : availability, payments.fake.url, notifications.fake.url);
}

main().catch((error: unknown) => {
  console.error(`\n✖ npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  log.end(() => {
    const tail = logTail();
    if (tail) console.error(`  The last lines of ${LOG_NAME}:\n${tail}`);
    process.exit(1);
  });
});
