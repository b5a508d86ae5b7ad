/**
 * The platform on workerd for benchmarks: Workers bundled with esbuild and
 * served by Miniflare directly (no `wrangler dev` proxy in front), each on its
 * own port on 127.0.0.1, with the bindings declared in wrangler.toml and
 * storage in a temporary directory removed on dispose. A benchmark platform
 * may span several workerd processes (Topology: D1, the app with its Durable
 * Objects, an edge for public reads), joined by Miniflare's shared storage
 * and a dev registry of the run's own.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { cpuBetween, describeSplit, readWorkerdCpu, workerdPids } from "./cpu-profile.ts";

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
  assets?: { directory: string; not_found_handling?: "none" | "single-page-application" | "404-page"; run_worker_first?: boolean | string[] };
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
export function appWorker(name: string, scriptPath: string, secrets: Record<string, string>, options: { assets?: boolean } = {}): V4Worker {
  const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }) as unknown as WranglerConfig;
  // The dashboard as Workers Static Assets (wrangler.toml [assets]), for the browser tests; benchmarks leave it out.
  const assets =
    options.assets && config.assets
      ? {
          assets: {
            directory: resolve(ROOT, config.assets.directory),
            run_worker_first: config.assets.run_worker_first,
            routerConfig: { has_user_worker: true },
            assetConfig: { not_found_handling: config.assets.not_found_handling, html_handling: "auto-trailing-slash" },
          },
        }
      : {};
  const sqliteClasses = new Set(config.migrations.flatMap((m) => m.new_sqlite_classes ?? []));
  return {
    name,
    scriptPath,
    ...assets,
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

/** What a watchdog stops: one workerd, or every process of a platform. */
export interface Stoppable {
  dispose(): Promise<void>;
}

export interface Workerd extends Stoppable {
  mf: Miniflare;
  /** Where a worker answers HTTP directly (its own socket, straight into workerd). */
  url(name: string): Promise<URL>;
  /** Restarts workerd with the same workers and storage, as a deploy does: every socket closes; ports may change. */
  restart(): Promise<void>;
  /** The workerd process's id as started (Linux, a child of this process), for its CPU time; null where it cannot be told. */
  pid: number | null;
}

/**
 * Storage and discovery shared by several workerd processes (Miniflare's
 * `unsafeEnableSharedStorage` and dev registry): D1 and R2 under `root` are
 * served by ONE of them, the storage owner (the instance whose storage
 * candidate entry in `registry` was created first); the others reach them
 * through their dev-registry proxy, over the owner's debug port. A Durable
 * Object binding to a Worker that another instance runs is proxied the same
 * way to that instance's objects. Both directories are this run's own, never
 * the machine-wide registry other sessions use.
 */
export interface SharedStorage {
  root: string;
  registry: string;
}

/**
 * Starts one workerd with these workers; each gets a direct socket on an
 * ephemeral port of 127.0.0.1. With `shared`, it joins the storage and
 * registry of other instances (see SharedStorage); its own Durable Objects
 * are kept in a directory of its own.
 */
export async function startWorkerd(
  workers: V4Worker[],
  options: { onLog?: (line: string) => void; inspector?: boolean; shared?: SharedStorage } = {},
): Promise<Workerd> {
  const storage = mkdtempSync(join(tmpdir(), "edge-events-bench-"));
  const { shared } = options;
  const miniflareOptions = {
    ...convertV4MiniflareOptions({
      host: HOST,
      port: 0,
      cf: false, // offline: no fetch of the `request.cf` object
      ...(options.inspector ? { inspectorPort: 0, inspectorHost: HOST } : {}),
      ...(shared ? { resourcePersistencePath: shared.root, isolatedResourcePersistencePath: storage, unsafeDevRegistryPath: shared.registry } : { resourcePersistencePath: storage }),
      log: new Log(LogLevel.WARN),
      handleStructuredLogs: ({ level, message }) => {
        if (level === "error" || level === "warn") options.onLog?.(message);
      },
      workers: workers.map((w) => ({ ...w, modulesRoot: dirname(w.scriptPath), unsafeDirectSockets: [{ host: HOST, port: 0 }] })),
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
    // Not carried by the v4 adapter (convertSharedOptions); a Miniflare 5 option.
    ...(shared ? { unsafeEnableSharedStorage: true } : {}),
  };
  const before = new Set(workerdPids());
  const mf = new Miniflare(miniflareOptions);
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    rmSync(storage, { recursive: true, force: true });
    throw error;
  }
  const started = workerdPids().filter((pid) => !before.has(pid));
  return {
    mf,
    pid: started.length === 1 ? started[0]! : null,
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

/**
 * Which workerd processes a benchmark runs, and what each serves:
 * - `d1: "in-process"`: D1 is served inside the app's workerd (Miniflare's
 *   default), so its SQLite work shares the app's one thread;
 *   `"own-process"`: a workerd of its own, started first, is the shared
 *   storage owner and serves D1 (and R2) to the app's process over its debug
 *   port, as production's D1 is a service apart from the Worker and the
 *   Durable Object that call it.
 * - `edge`: besides the home process (the app Worker named `app`, which hosts
 *   every Durable Object), an `edge` process runs the same app bundle as a
 *   Worker named `edge`, whose Durable Object bindings (EVENT_DO,
 *   WAITING_ROOM, RATE_LIMITER) are bound through the dev registry to the
 *   home process's objects (the same object ids: Miniflare gives the proxy
 *   namespace the target's unique key) and whose D1 is the shared one: a
 *   Worker isolate on another machine than the EventDO's, as production
 *   serves a public read. It consumes no queue (the home process does).
 */
export interface Topology {
  d1: "in-process" | "own-process";
  edge: boolean;
}

export const SINGLE_PROCESS: Topology = { d1: "in-process", edge: false };

/** One workerd process of a platform and what it runs, for its CPU time. */
export interface BenchProcess {
  role: "d1" | "home" | "edge";
  pid: number | null;
}

/** The three Workers every benchmark runs side by side: the app, a helper reaching its EventDOs, and the baseline. */
export interface BenchPlatform extends Stoppable {
  /** The home process: the app and its Durable Objects, the helper and the baseline. */
  workerd: Workerd;
  appUrl: URL;
  baselineUrl: URL;
  helperUrl: URL;
  /** The edge process (Topology.edge) and its Worker's own socket, else null. */
  edge: { workerd: Workerd; url: URL } | null;
  /** Every workerd process of the platform, the home one included. */
  processes: BenchProcess[];
  /** What runs where, in one line for the output. */
  describe: string;
  /** The app's D1, migrated; through the D1 process's own binding when it has one. */
  db: D1Database;
  /** The bundled scripts, for the CPU profiler to attribute time. */
  scripts: { app: string; helper: string; baseline: string };
}

/**
 * Bundles and starts the app, bench/lib/helper-worker.ts (bound to the app's
 * EVENT_DO namespace) and bench/baseline-worker.ts in one workerd (the home
 * process), plus the processes `topology` asks for (started first the D1
 * owner, last the edge), then applies the D1 migrations. `onStarted`
 * receives what stops them all as soon as the first runs, so a watchdog can
 * stop them even if setup hangs.
 */
export async function startBenchPlatform(
  secrets: Record<string, string>,
  dir: string,
  options: { onLog?: (line: string) => void; inspector?: boolean; onStarted?: (running: Stoppable) => void; topology?: Topology } = {},
): Promise<BenchPlatform> {
  const topology = options.topology ?? SINGLE_PROCESS;
  const [appScript, helperScript, baselineScript] = await Promise.all([bundle("src/index.ts", dir), bundle("bench/lib/helper-worker.ts", dir), bundle("bench/baseline-worker.ts", dir)]);
  const app = appWorker("app", appScript, secrets);
  const runtime = { modules: true, compatibilityDate: app.compatibilityDate, compatibilityFlags: app.compatibilityFlags };
  // Several processes share D1 only through Miniflare's shared storage, which needs the dev registry.
  const shared: SharedStorage | undefined =
    topology.d1 === "own-process" || topology.edge ? { root: tempDir("edge-events-bench-shared-"), registry: tempDir("edge-events-bench-registry-") } : undefined;
  const running: { role: BenchProcess["role"]; workerd: Workerd }[] = [];
  const dispose = async () => {
    // The edge, then home, then the storage owner last: the others reach D1 through it.
    for (const { workerd } of [...running].reverse()) await workerd.dispose().catch(() => {});
    if (shared) for (const path of [shared.root, shared.registry]) rmSync(path, { recursive: true, force: true });
  };
  options.onStarted?.({ dispose });
  const start = async (role: BenchProcess["role"], workers: V4Worker[], inspector = false) => {
    const workerd = await startWorkerd(workers, { onLog: options.onLog, inspector, shared });
    running.push({ role, workerd });
    return workerd;
  };
  try {
    // The storage owner is elected by who registered first: it starts, and is ready, before any other process.
    if (topology.d1 === "own-process") await start("d1", [{ name: "d1", scriptPath: await bundle("bench/lib/d1-owner-worker.ts", dir), ...runtime, d1Databases: app.d1Databases }]);
    const home = await start(
      "home",
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
      options.inspector,
    );
    let edge: BenchPlatform["edge"] = null;
    if (topology.edge) {
      const edgeApp = appWorker("edge", appScript, secrets);
      const objects = edgeApp.durableObjects as Record<string, { className: string; useSQLite: boolean }>;
      const edgeWorkerd = await start(
        "edge",
        [
          {
            ...edgeApp,
            durableObjects: Object.fromEntries(Object.entries(objects).map(([binding, object]) => [binding, { ...object, scriptName: "app" }])),
            queueConsumers: {},
          },
        ],
        options.inspector,
      );
      edge = { workerd: edgeWorkerd, url: await edgeWorkerd.url("edge") };
    }
    // The benchmark's own D1 work (seeding, counting the projection's rows) goes straight to the process serving D1, not through home's.
    const d1 = running.find((r) => r.role === "d1")?.workerd;
    const db = (await (d1 ? d1.mf.getD1Database("DB", "d1") : home.mf.getD1Database("DB", "app"))) as unknown as D1Database;
    await applyMigrations(db);
    const where = (role: BenchProcess["role"]) => `${role} (pid ${running.find((r) => r.role === role)?.workerd.pid ?? "?"})`;
    return {
      workerd: home,
      appUrl: await home.url("app"),
      baselineUrl: await home.url("baseline"),
      helperUrl: await home.url("bench-helper"),
      edge,
      processes: running.map(({ role, workerd }) => ({ role, pid: workerd.pid })),
      describe:
        `${running.length} workerd process${running.length > 1 ? "es" : ""}: ` +
        [
          `${where("home")}: app, its Durable Objects, helper, baseline${topology.d1 === "in-process" ? ", D1" : ""}`,
          ...(topology.d1 === "own-process" ? [`${where("d1")}: D1 (the shared storage owner)`] : []),
          ...(topology.edge ? [`${where("edge")}: the app as Worker "edge", its Durable Object bindings to home's objects`] : []),
        ].join("; "),
      db,
      scripts: { app: appScript, helper: helperScript, baseline: baselineScript },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * Which process does a D1 query's SQLite work, measured rather than assumed:
 * `queries` recursive queries of `rows` rows each, one after the other, from
 * the helper Worker's DB binding in the home process (`GET /d1-load`), and
 * each workerd process's CPU over them. With D1 in its own process, at least
 * 80 % of that CPU must be the D1 process's, or the topology is not the one
 * described and this throws. Returns the line to print.
 */
export async function checkD1Placement(platform: BenchPlatform, queries = 8, rows = 200_000): Promise<string> {
  const before = readWorkerdCpu();
  for (let i = 0; i < queries; i++) {
    const res = await fetch(new URL(`/d1-load?rows=${rows}`, platform.helperUrl));
    if (!res.ok) throw new Error(`D1 check: /d1-load answered ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  const split = cpuBetween(before, readWorkerdCpu(), platform.processes);
  if (!split) return "D1 check: no /proc CPU figures on this system";
  const d1 = split.byRole.find((r) => r.role === "d1");
  const line = `D1 check: ${queries} recursive queries of ${rows} rows from the home process's DB binding used ${(split.totalMs / queries).toFixed(1)} ms CPU each: ${describeSplit(split, queries, 1)}`;
  if (d1 && d1.ms < 0.8 * split.totalMs) throw new Error(`${line}; D1's own process did not do the SQLite work`);
  return line;
}
