/**
 * `npm run bench:onsale`: an on-sale storm on ONE event. 256 clients send
 * availability reads and holds, ten reads per hold (`GET /v1/events/{id}/availability`
 * anonymously, `POST /v1/events/{id}/orders` as signed-in buyers, 1–4 units,
 * each with its Idempotency-Key), through the app Worker on workerd served by
 * Miniflare directly (no `wrangler dev` proxy). Beside it, in the same run and
 * with the same 256 clients, the holds-only rate on another event of the same
 * size: what the EventDO sustains with no reads at all. Then the oversell
 * check on both, from the EventDO (through the API) and from D1.
 *
 * What the reads measure locally: availability is served from the isolate's
 * memory and the Cache API for at most 1 s (src/onsale/availability-cache.ts),
 * from memory in front of the app (src/onsale/availability-front.ts).
 * Miniflare implements `caches.default` (a local simulator behind a loopback
 * service), so the Cache API layer runs here, but workerd runs one isolate, so
 * nearly every read is answered from that isolate's memory; the counts of
 * where reads were answered (X-Cache) are printed.
 *
 * Options: --holds 2000 --units 8000 --clients 256 --reads-per-hold 10 --seconds 150
 * --profile (a V8 CPU profile of the app isolate during a reads-only run: where a read's time goes).
 * After the reads-only phase, the floor: as many requests to a Worker answering one of those
 * reads' exact status, headers and body as a constant (bench/baseline-worker.ts `/constant`),
 * with its workerd CPU per request beside the reads'.
 * The last line of the output is one JSON object:
 * {"holds_per_s", "holds_only_per_s", "ratio", "read_p50_ms", "read_p99_ms", "hold_p99_ms", "reads_only_per_s", "read_cpu_ms" (workerd CPU per read, reads-only phase), "floor_cpu_ms" (the same for the constant Worker), "reads", "sampled_reads_from_event" (of 2000 reads after the storm), "oversold"}.
 */
import { rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { startCpuProfile, workerdCpuMs } from "./lib/cpu-profile.ts";
import { type Call, type LoadResult, round, runLoad, seededRandom, stats, type Sample, type Stats } from "./lib/load.ts";
import { checkInventory, eventMaker, holdsOf, outcomes, seedBuyers } from "./lib/orders-fixture.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { startBenchPlatform, tempDir, type Workerd } from "./lib/workerd.ts";

const { values: opts } = parseArgs({
  options: {
    holds: { type: "string", default: "2000" },
    units: { type: "string", default: "8000" },
    clients: { type: "string", default: "256" },
    "reads-per-hold": { type: "string", default: "10" },
    seconds: { type: "string", default: "150" },
    profile: { type: "boolean", default: false },
  },
});
const HOLDS = Number(opts.holds);
const UNITS = Number(opts.units);
const CLIENTS = Number(opts.clients);
const READS_PER_HOLD = Number(opts["reads-per-hold"]);
const PHASE_DEADLINE_MS = Number(opts.seconds) * 1000;
const WARMUP = 300;
const WATCHDOG_MS = PHASE_DEADLINE_MS * 5 + 180_000;

const log = (line = "") => console.log(line);
/** Headers of the connection, not of the answer: the floor's Worker does not give them. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

function describe(name: string, samples: Sample[], elapsedMs: number, timedOut = false): Stats {
  const s = stats(samples, elapsedMs);
  log(
    `  ${name.padEnd(38)} ${String(s.count).padStart(6)} in ${(elapsedMs / 1000).toFixed(2).padStart(6)} s ${round(s.perSecond).toFixed(1).padStart(8)}/s` +
      `  p50 ${s.p50.toFixed(1).padStart(6)} ms  p99 ${s.p99.toFixed(1).padStart(6)} ms${timedOut ? "  (stopped at the time cap)" : ""}`,
  );
  return s;
}

/** Where each read was answered (the X-Cache header): MISS is the EventDO. */
async function readSources(appUrl: URL, eventId: string, count: number): Promise<Map<string, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const counts = new Map<string, number>();
  const one = () =>
    new Promise<void>((done, fail) => {
      const req = httpRequest({ host: appUrl.hostname, port: appUrl.port, path: `/v1/events/${eventId}/availability`, agent }, (res) => {
        const source = String(res.headers["x-cache"] ?? res.statusCode);
        counts.set(source, (counts.get(source) ?? 0) + 1);
        res.resume();
        res.on("end", done);
      });
      req.on("error", fail);
      req.end();
    });
  for (let i = 0; i < count; i += 32) await Promise.all(Array.from({ length: Math.min(32, count - i) }, one));
  agent.destroy();
  return counts;
}

async function main(run: BenchRun) {
  const { workerLogs } = run;
  const started = performance.now();
  const secrets = generateSecrets("bench-key");
  const dir = tempDir("edge-events-bench-build-");
  let platform: Workerd | undefined;
  try {
    log(`bench:onsale: ${HOLDS} hold attempts (1–4 units) with ${READS_PER_HOLD} availability reads each, ${CLIENTS} clients, on one event of ${UNITS} units; beside it the holds-only rate`);
    // The room would open at WAITING_ROOM_HOLDS_PER_S and queue the storm: out of reach here, to measure the EventDO itself.
    const bench = await startBenchPlatform({ ...secrets, WAITING_ROOM_HOLDS_PER_S: "1000000" }, dir, { onLog: (line) => workerLogs.push(line), inspector: opts.profile, onStarted: (workerd) => (platform = run.running = workerd) });
    const { appUrl, helperUrl, baselineUrl, db } = bench;
    log(`  workerd via Miniflare, no dev proxy: app on ${appUrl.host}`);

    const { createEvent } = await eventMaker(db, helperUrl);
    const warmupEvent = await createEvent(WARMUP * 8);
    const holdsOnlyEvent = await createEvent(UNITS);
    const stormEvent = await createEvent(UNITS);
    const buyers = await seedBuyers(db, 2 * HOLDS + WARMUP, secrets.JWT_SIGNING_KEYS);
    const random = seededRandom(20_261_204);
    const quantities = Array.from({ length: 2 * HOLDS + WARMUP }, () => 1 + Math.floor(random() * 4));
    log(`  setup: D1 migrated, events synced to their EventDOs, ${buyers.length} buyers with sessions (${((performance.now() - started) / 1000).toFixed(1)} s)`);

    const hold = (fixture: { eventId: string; configId: string }, buyer: number): Call => ({
      method: "POST",
      path: `/v1/events/${fixture.eventId}/orders`,
      headers: { Authorization: `Bearer ${buyers[buyer]!.token}`, "Content-Type": "application/json", "Idempotency-Key": `bench-${fixture.eventId}-${buyer}` },
      body: JSON.stringify({ config_id: fixture.configId, quantity: quantities[buyer] }),
    });
    const read = (fixture: { eventId: string }): Call => ({ method: "GET", path: `/v1/events/${fixture.eventId}/availability` });
    const every = READS_PER_HOLD + 1;
    // In index order: ten reads, then a hold, and so on; the clients take the next index as they free up.
    const storm = (fixture: { eventId: string; configId: string }, buyerOffset: number) => (i: number): Call =>
      i % every === READS_PER_HOLD ? hold(fixture, buyerOffset + Math.floor(i / every)) : read(fixture);
    const cpuPerRequest = new Map<LoadResult, number | null>();
    const load = async (count: number, call: (i: number) => Call): Promise<LoadResult> => {
      const before = workerdCpuMs();
      const result = await runLoad({ base: appUrl, count, concurrency: CLIENTS, deadlineMs: PHASE_DEADLINE_MS, call });
      const after = workerdCpuMs();
      cpuPerRequest.set(result, before === null || after === null ? null : (after - before) / result.samples.length);
      return result;
    };
    const cpuMs = (result: LoadResult) => {
      const ms = cpuPerRequest.get(result);
      return ms === null || ms === undefined ? null : round(ms, 3);
    };
    const cpu = (result: LoadResult) => {
      const ms = cpuMs(result);
      return ms === null ? "" : `    workerd CPU ${ms.toFixed(3)} ms per request`;
    };

    // Warm-up on an event not measured: JIT, isolates, the EventDO class.
    await load(WARMUP * every, storm(warmupEvent, 2 * HOLDS));

    log("");
    log("  phase                                   count       time       rate      latency (p50, p99)");
    const holdsOnly = await load(HOLDS, (i) => hold(holdsOnlyEvent, i));
    const mixed = await load(HOLDS * every, storm(stormEvent, HOLDS));
    // Reads alone, on the storm's event: what one read costs here.
    const readsOnly = await load(HOLDS * READS_PER_HOLD, () => read(stormEvent));
    // The floor: a Worker (bench/baseline-worker.ts) answering one of these reads' exact bytes as a constant, doing nothing else.
    const sample = await fetch(new URL(`/v1/events/${stormEvent.eventId}/availability`, appUrl));
    const sampleHeaders = [...sample.headers].filter(([name]) => !HOP_BY_HOP.has(name));
    await fetch(new URL("/constant", baselineUrl), { method: "PUT", body: JSON.stringify({ status: sample.status, headers: sampleHeaders, body: await sample.text() }) });
    const floor = await load(HOLDS * READS_PER_HOLD, () => ({ method: "GET", base: baselineUrl, path: "/constant" }));

    const onlyHolds = holdsOf(holdsOnly);
    describe("holds only: every attempt", holdsOnly.samples, holdsOnly.elapsedMs, holdsOnly.timedOut);
    const baseline = describe("holds only: accepted holds (201)", onlyHolds.accepted, onlyHolds.windowMs);
    log(`    outcomes: ${outcomes(holdsOnly.samples)}${cpu(holdsOnly)}`);
    describe("storm: every request", mixed.samples, mixed.elapsedMs, mixed.timedOut);
    const stormHolds = mixed.samples.filter((s) => s.index % every === READS_PER_HOLD);
    const stormReads = mixed.samples.filter((s) => s.index % every !== READS_PER_HOLD);
    const accepted = holdsOf({ samples: stormHolds, elapsedMs: mixed.elapsedMs });
    const holds = describe("storm: accepted holds (201)", accepted.accepted, accepted.windowMs);
    log(`    hold outcomes: ${outcomes(stormHolds)}`);
    const reads = describe("storm: availability reads", stormReads, mixed.elapsedMs);
    log(`    read outcomes: ${outcomes(stormReads)}${cpu(mixed)} (reads and holds together)`);
    const alone = describe("reads only (same event, after)", readsOnly.samples, readsOnly.elapsedMs, readsOnly.timedOut);
    log(`    outcomes: ${outcomes(readsOnly.samples)}${cpu(readsOnly)}`);
    describe("floor: same bytes, constant Worker", floor.samples, floor.elapsedMs, floor.timedOut);
    log(`    outcomes: ${outcomes(floor.samples)}${cpu(floor)} (${sampleHeaders.length} headers, ${sample.headers.get("Content-Length") ?? "?"} bytes of body)`);
    // Where reads are answered, on a fresh sample after the storm (the load generator does not keep headers).
    const sources = await readSources(appUrl, stormEvent.eventId, 2_000);
    const fromEvent = sources.get("MISS") ?? 0;
    log(`    where 2000 reads after the storm were answered (X-Cache): ${[...sources].map(([k, n]) => `${k}×${n}`).join(", ")}`);

    if (opts.profile) {
      const profiler = await startCpuProfile(await bench.workerd.mf.getInspectorURL(), "app", bench.scripts.app, [
        { label: "availability front (the answer given before the app runs)", module: "src/onsale/availability-front.ts", fn: "availabilityFront" },
        { label: "the app (src/app.ts's Hono app: middleware, routes)", module: "node_modules/hono/dist/hono-base.js", fn: "#dispatch" },
        { label: "availability route handler + publicAvailability", module: "src/onsale/availability-cache.ts", fn: "publicAvailability" },
        { label: "authenticate", module: "src/auth/middleware.ts", fn: "authenticate" },
        { label: "maintenanceGate", module: "src/site/maintenance.ts", fn: "maintenanceGate" },
      ]);
      const profiled = await load(HOLDS * READS_PER_HOLD, () => read(stormEvent));
      const breakdown = await profiler.stop();
      const n = profiled.samples.length;
      const idle = breakdown.modules.find((m) => m.name === "(idle)")?.ms ?? 0;
      log(`  profile of ${n} reads: app isolate busy ${((breakdown.wallMs - idle) / n).toFixed(3)} ms per read`);
      for (const st of breakdown.stages) log(`    ${(st.ms / n).toFixed(3)} ms  ${st.label}`);
      for (const p of breakdown.packages.filter((p) => p.name !== "(idle)").slice(0, 8)) log(`    ${(p.ms / n).toFixed(3)} ms  ${p.name} (self)`);
      for (const f of breakdown.functions.filter((f) => !f.name.startsWith("(idle)")).slice(0, 8)) log(`    ${(f.ms / n).toFixed(3)} ms  ${f.name} (self)`);
    }

    log("");
    const checks = [await checkInventory("holds only", appUrl, db, holdsOnlyEvent, onlyHolds.accepted), await checkInventory("storm", appUrl, db, stormEvent, accepted.accepted)];
    const oversold = Math.max(...checks.map((c) => c.oversold));
    const consistent = checks.every((c) => c.consistent);
    const ratio = holds.perSecond / baseline.perSecond;
    const failures = [holdsOnly, mixed, readsOnly].flatMap((r) => r.samples).filter((s) => s.status === 0 || s.status >= 500).length;
    log("");
    log(
      `  holds/s under ${READS_PER_HOLD} reads per hold ${round(holds.perSecond)}, holds-only ${round(baseline.perSecond)}: ratio ${round(ratio, 3)} (target ≥ 0.8); ` +
        `read p50 ${round(reads.p50, 1)} ms, p99 ${round(reads.p99, 1)} ms; hold p99 ${round(holds.p99, 1)} ms; oversold ${oversold}`,
    );
    if (workerLogs.length) log(`  worker errors/warnings: ${workerLogs.length}; first: ${workerLogs[0]!.slice(0, 300)}`);
    if (failures || !consistent || oversold) process.exitCode = 1;
    log(`  total ${((performance.now() - started) / 1000).toFixed(1)} s${failures ? `; ${failures} failed requests (5xx or connection)` : ""}`);
    log(
      JSON.stringify({
        holds_per_s: round(holds.perSecond),
        holds_only_per_s: round(baseline.perSecond),
        ratio: round(ratio, 3),
        read_p50_ms: round(reads.p50, 2),
        read_p99_ms: round(reads.p99, 2),
        hold_p99_ms: round(holds.p99, 2),
        reads_only_per_s: round(alone.perSecond),
        read_cpu_ms: cpuMs(readsOnly),
        floor_cpu_ms: cpuMs(floor),
        reads: stormReads.length,
        sampled_reads_from_event: fromEvent,
        oversold,
      }),
    );
  } finally {
    await platform?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench("bench:onsale", WATCHDOG_MS, main);
