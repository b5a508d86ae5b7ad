/**
 * The platform on workerd for benchmarks: Workers bundled with esbuild and
 * served by Miniflare directly (no `wrangler dev` proxy in front), each on its
 * own port on 127.0.0.1, with the bindings declared in wrangler.toml and
 * storage in a temporary directory removed on dispose.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HOST = "127.0.0.1";

type V4Worker = Record<string, unknown> & { name: string; scriptPath: string };

/** The parts of wrangler.toml read here, as `unstable_readConfig` returns them. */
interface WranglerConfig {
  compatibility_date: string;
  compatibility_flags: string[];
  vars: Record<string, string>;
  migrations: { new_sqlite_classes?: string[] }[];
  d1_databases: { binding: string; database_id?: string; database_name: string }[];
  durable_objects: { bindings: { name: string; class_name: string }[] };
  r2_buckets: { binding: string; bucket_name: string }[];
  queues: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number; dead_letter_queue?: string }[];
  };
}

/** Bundles a Worker entry the way wrangler would for workerd: one ES module, `cloudflare:` and `node:` left to the runtime. */
export async function bundle(entry: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${basename(entry, ".ts")}.js`);
  await build({
    entryPoints: [resolve(ROOT, entry)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    // Fonts are Data modules under wrangler (wrangler.toml [[rules]]); bundled here as bytes.
    loader: { ".woff": "binary" },
    logLevel: "error",
  });
  return outfile;
}

/**
 * The app Worker's Miniflare options, read from wrangler.toml (vars, D1, the
 * Durable Objects with SQLite storage, R2, queues) plus the given secrets.
 */
export function appWorker(name: string, scriptPath: string, secrets: Record<string, string>): V4Worker {
  const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }) as unknown as WranglerConfig;
  const sqliteClasses = new Set(config.migrations.flatMap((m) => m.new_sqlite_classes ?? []));
  return {
    name,
    scriptPath,
    modules: true,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    bindings: { ...config.vars, ...secrets },
    d1Databases: Object.fromEntries(config.d1_databases.map((d) => [d.binding, d.database_id ?? d.database_name])),
    durableObjects: Object.fromEntries(
      config.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: sqliteClasses.has(b.class_name) }]),
    ),
    r2Buckets: Object.fromEntries(config.r2_buckets.map((b) => [b.binding, b.bucket_name])),
    queueProducers: Object.fromEntries((config.queues.producers ?? []).map((p) => [p.binding, { queueName: p.queue }])),
    queueConsumers: Object.fromEntries(
      (config.queues.consumers ?? []).map((c) => [
        c.queue,
        { maxBatchSize: c.max_batch_size, maxBatchTimeout: c.max_batch_timeout, maxRetries: c.max_retries, deadLetterQueue: c.dead_letter_queue },
      ]),
    ),
  };
}

export interface Workerd {
  mf: Miniflare;
  /** Where a worker answers HTTP directly (its own socket, straight into workerd). */
  url(name: string): Promise<URL>;
  /** Restarts workerd with the same workers and storage, as a deploy does: every socket closes; ports may change. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts one workerd with these workers; each gets a direct socket on an ephemeral port of 127.0.0.1. */
export async function startWorkerd(workers: V4Worker[], options: { onLog?: (line: string) => void; inspector?: boolean } = {}): Promise<Workerd> {
  const storage = mkdtempSync(join(tmpdir(), "edge-events-bench-"));
  const miniflareOptions = convertV4MiniflareOptions({
    host: HOST,
    port: 0,
    cf: false, // offline: no fetch of the `request.cf` object
    ...(options.inspector ? { inspectorPort: 0, inspectorHost: HOST } : {}),
    resourcePersistencePath: storage,
    log: new Log(LogLevel.WARN),
    handleStructuredLogs: ({ level, message }) => {
      if (level === "error" || level === "warn") options.onLog?.(message);
    },
    workers: workers.map((w) => ({ ...w, modulesRoot: dirname(w.scriptPath), unsafeDirectSockets: [{ host: HOST, port: 0 }] })),
  } as Parameters<typeof convertV4MiniflareOptions>[0]);
  const mf = new Miniflare(miniflareOptions);
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    rmSync(storage, { recursive: true, force: true });
    throw error;
  }
  return {
    mf,
    url: (name) => mf.unsafeGetDirectURL(name),
    restart: () => mf.setOptions(miniflareOptions),
    async dispose() {
      try {
        await mf.dispose();
      } finally {
        rmSync(storage, { recursive: true, force: true });
      }
    },
  };
}

/** Applies migrations/*.sql in order, statement by statement (drizzle-kit's breakpoints). */
export async function applyMigrations(db: D1Database): Promise<void> {
  const dir = join(ROOT, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    const statements = readFileSync(join(dir, file), "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

/** A fresh temporary directory for bundles; the caller removes it. */
export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** The three Workers every benchmark runs side by side: the app, a helper reaching its EventDOs, and the baseline. */
export interface BenchPlatform {
  workerd: Workerd;
  appUrl: URL;
  baselineUrl: URL;
  helperUrl: URL;
  /** The app's D1, migrated. */
  db: D1Database;
  /** The bundled scripts, for the CPU profiler to attribute time. */
  scripts: { app: string; helper: string; baseline: string };
}

/**
 * Bundles and starts the app, bench/lib/helper-worker.ts (bound to the app's
 * EVENT_DO namespace) and bench/baseline-worker.ts in one workerd, then applies
 * the D1 migrations. `onStarted` receives the instance as soon as it runs, so a
 * watchdog can stop it even if setup hangs.
 */
export async function startBenchPlatform(
  secrets: Record<string, string>,
  dir: string,
  options: { onLog?: (line: string) => void; inspector?: boolean; onStarted?: (workerd: Workerd) => void } = {},
): Promise<BenchPlatform> {
  const [appScript, helperScript, baselineScript] = await Promise.all([
    bundle("src/index.ts", dir),
    bundle("bench/lib/helper-worker.ts", dir),
    bundle("bench/baseline-worker.ts", dir),
  ]);
  const app = appWorker("app", appScript, secrets);
  const runtime = { modules: true, compatibilityDate: app.compatibilityDate, compatibilityFlags: app.compatibilityFlags };
  const workerd = await startWorkerd(
    [
      app,
      {
        name: "bench-helper",
        scriptPath: helperScript,
        ...runtime,
        bindings: app.bindings,
        d1Databases: app.d1Databases,
        durableObjects: { EVENT_DO: { className: "EventDO", scriptName: "app", useSQLite: true } },
      },
      { name: "baseline", scriptPath: baselineScript, ...runtime, durableObjects: { BASELINE_DO: { className: "BaselineDO", useSQLite: true } } },
    ],
    { onLog: options.onLog, inspector: options.inspector },
  );
  options.onStarted?.(workerd);
  const db = (await workerd.mf.getD1Database("DB", "app")) as unknown as D1Database;
  await applyMigrations(db);
  return { workerd, appUrl: await workerd.url("app"), baselineUrl: await workerd.url("baseline"), helperUrl: await workerd.url("bench-helper"), db, scripts: { app: appScript, helper: helperScript, baseline: baselineScript } };
}
