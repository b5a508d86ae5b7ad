/**
 * `npm run bench:onsale`: an on-sale storm on ONE event. 256 clients send
 * availability reads and holds, ten reads per hold (`GET /v1/events/{id}/availability`
 * anonymously, `POST /v1/events/{id}/orders` as signed-in buyers, 1–4 units,
 * each with its Idempotency-Key), on workerd served by Miniflare directly (no
 * `wrangler dev` proxy). Beside it, in the same run and with the same 256
 * clients, the holds-only rate on another event of the same size: what the
 * EventDO sustains with no reads at all. Then the oversell check on both,
 * from the EventDO (through the API) and from D1.
 *
 * The holds-only rate is measured twice, before the storm and after it, on
 * two more events of the same size, and their mean is the storm's reference:
 * a phase lasts about a second, and the machine's speed drifts.
 *
 * Topology (bench/lib/workerd.ts, Topology): three workerd processes.
 * - edge: the availability reads. The app bundle as a Worker named `edge`,
 *   whose EVENT_DO, WAITING_ROOM and RATE_LIMITER bindings are bound to the
 *   home process's objects through a dev registry of the run's own
 *   (Miniflare's cross-instance Durable Object proxy: the same object ids),
 *   its D1 the shared one. In production a public read is answered by a
 *   Worker isolate in the reader's data centre, not on the EventDO's
 *   machine. workerd runs all of a process's isolates on one thread, and
 *   ten reads cost more CPU than the hold they come with even when served
 *   from memory (both printed per phase), so with the reads in the
 *   EventDO's process they starve the holds whatever the read path does.
 * - home: the holds. The app Worker named `app` and every Durable Object.
 *   The hold's Worker work (auth, D1 reads, validation) stays on the
 *   EventDO's process: conservative, as in production it runs at the edge
 *   too, off the EventDO's thread.
 * - d1: D1 (the shared storage owner, started first), a service apart as in
 *   production.
 * `--single-process` runs the old topology: everything in one workerd. The
 * edge's own answer is checked against home's at the end (the same live
 * EventDO, not an empty object of the edge's own). Not modelled: the
 * machine's 2 cores are shared by the three processes and the load
 * generator (this node process, which also sends the ten reads per hold),
 * whereas production gives the EventDO's machine to itself and spreads
 * reads over many machines; the clients are closed-loop, taking the next
 * request in index order (ten reads, then a hold), so the storm's hold rate
 * is also bounded by how fast this machine gets through the reads. The
 * CPU of each process and of the load generator, and how many of the 2
 * cores were busy, are printed per phase.
 *
 * What the reads measure: availability is served from the isolate's
 * memory and the Cache API for at most 1 s (src/onsale/availability-cache.ts),
 * from memory in front of the app (src/onsale/availability-front.ts).
 * Miniflare implements `caches.default` (a local simulator behind a loopback
 * service), so the Cache API layer runs here, but each workerd runs one
 * isolate per Worker, so nearly every read is answered from that isolate's
 * memory; the counts of where reads were answered (X-Cache) are printed.
 *
 * Options: --holds 2000 --units 8000 --clients 256 --reads-per-hold 10 --seconds 150
 * --single-process --profile (a V8 CPU profile of the isolate answering the reads during a reads-only run: where a read's time goes).
 * After the reads-only phase, the floor: as many requests to a Worker answering one of those
 * reads' exact status, headers and body as a constant (bench/baseline-worker.ts `/constant`, in
 * the home process), with its workerd CPU per request beside the reads'.
 * The last line of the output is one JSON object:
 * {"holds_per_s", "holds_only_per_s" (the mean of the two), "holds_only_before_after_per_s", "ratio", "read_p50_ms", "read_p99_ms", "hold_p99_ms", "reads_only_per_s",
 * "read_cpu_ms" (CPU of all workerd processes per read, reads-only phase), "floor_cpu_ms" (the same for the constant Worker),
 * "reads", "sampled_reads_from_event" (of 2000 reads after the storm), "oversold",
 * "machine_bound_holds_per_s" (this machine's cores over the CPU of one hold with its reads in the storm, every process and the load generator: the most holds/s the mix can have here),
 * "topology" ("edge-home-d1-processes" or "single-process"), "cpu_ms_per_request" (per phase, the holds-only phases included: all workerd processes, each process, the load generator)}.
 */
import { Agent, request as httpRequest } from "node:http";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { cpuBetween, type CpuSplit, describeSplit, readWorkerdCpu, startCpuProfile } from "./lib/cpu-profile.ts";
import { type Call, type LoadResult, round, runLoad, seededRandom, stats, type Sample, type Stats } from "./lib/load.ts";
import { checkInventory, eventMaker, holdsOf, liveAvailability, outcomes, seedBuyers } from "./lib/orders-fixture.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { checkD1Placement, SINGLE_PROCESS, startBenchPlatform, type Topology } from "./lib/workerd.ts";

const { values: opts } = parseArgs({
  options: {
    holds: { type: "string", default: "2000" },
    units: { type: "string", default: "8000" },
    clients: { type: "string", default: "256" },
    "reads-per-hold": { type: "string", default: "10" },
    seconds: { type: "string", default: "150" },
    profile: { type: "boolean", default: false },
    "single-process": { type: "boolean", default: false },
  },
});
// Reads at an edge process, holds at the EventDO's home process, D1 in a process of its own (see the header); --single-process: all in one workerd.
const TOPOLOGY: Topology = opts["single-process"] ? SINGLE_PROCESS : { d1: "own-process", edge: true };
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
async function readSources(readsUrl: URL, eventId: string, count: number): Promise<Map<string, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const counts = new Map<string, number>();
  const one = () =>
    new Promise<void>((done, fail) => {
      const req = httpRequest({ host: readsUrl.hostname, port: readsUrl.port, path: `/v1/events/${eventId}/availability`, agent }, (res) => {
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

/** Whether the edge's live read and home's give the same configurations (held and sold included): both asked the same EventDO. */
async function sameAnswer(edgeUrl: URL, appUrl: URL, eventId: string): Promise<boolean> {
  const configs = async (base: URL) => JSON.stringify((await liveAvailability(base, eventId)).configs);
  const [edge, home] = [await configs(edgeUrl), await configs(appUrl)];
  log(`  edge: its live availability of the storm's event ${edge === home ? "is" : "DIFFERS FROM"} home's (the same EventDO, through the dev registry)${edge === home ? "" : `: edge ${edge.slice(0, 200)}, home ${home.slice(0, 200)}`}`);
  return edge === home;
}

async function main(run: BenchRun) {
  const { workerLogs } = run;
  const started = performance.now();
  const secrets = generateSecrets("bench-key");
  const { dir } = run;
  log(`bench:onsale: ${HOLDS} hold attempts (1–4 units) with ${READS_PER_HOLD} availability reads each, ${CLIENTS} clients, on one event of ${UNITS} units; beside it the holds-only rate`);
  // The room would open at WAITING_ROOM_HOLDS_PER_S, or on the EventDO saturated, and queue the storm: both out of reach here, to measure the EventDO itself.
  const bench = await startBenchPlatform({ ...secrets, WAITING_ROOM_HOLDS_PER_S: "1000000", WAITING_ROOM_SATURATION_WAITING: "1000000" }, dir, {
    onLog: (line) => workerLogs.push(line),
    inspector: opts.profile,
    onStarted: (running) => (run.running = running),
    topology: TOPOLOGY,
  });
  const { appUrl, helperUrl, baselineUrl, db } = bench;
  // Availability reads at the edge Worker where there is one; holds always at the home process's app Worker.
  const readsUrl = bench.edge?.url ?? appUrl;
  log(`  workerd via Miniflare, no dev proxy: holds to the app on ${appUrl.host}, availability reads to ${bench.edge ? `the edge on ${readsUrl.host}` : "the same app"}`);
  log(`  topology: ${bench.edge ? "edge, home and D1 in their own processes" : "single process (--single-process)"}: ${bench.describe}`);
  log(`  ${await checkD1Placement(bench)}`);

  const { createEvent } = await eventMaker(db, helperUrl);
  const warmupEvent = await createEvent(WARMUP * 8);
  const holdsOnlyEvent = await createEvent(UNITS);
  const holdsOnlyAfterEvent = await createEvent(UNITS);
  const stormEvent = await createEvent(UNITS);
  const buyers = await seedBuyers(db, 3 * HOLDS + WARMUP, secrets.JWT_SIGNING_KEYS);
  const random = seededRandom(20_261_204);
  const quantities = Array.from({ length: 3 * HOLDS + WARMUP }, () => 1 + Math.floor(random() * 4));
  log(`  setup: D1 migrated, events synced to their EventDOs, ${buyers.length} buyers with sessions (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  const hold = (fixture: { eventId: string; configId: string }, buyer: number): Call => ({
    method: "POST",
    path: `/v1/events/${fixture.eventId}/orders`,
    headers: { Authorization: `Bearer ${buyers[buyer]!.token}`, "Content-Type": "application/json", "Idempotency-Key": `bench-${fixture.eventId}-${buyer}` },
    body: JSON.stringify({ config_id: fixture.configId, quantity: quantities[buyer] }),
  });
  const read = (fixture: { eventId: string }): Call => ({ method: "GET", base: readsUrl, path: `/v1/events/${fixture.eventId}/availability` });
  const every = READS_PER_HOLD + 1;
  // In index order: ten reads, then a hold, and so on; the clients take the next index as they free up.
  const storm = (fixture: { eventId: string; configId: string }, buyerOffset: number) => (i: number): Call =>
    i % every === READS_PER_HOLD ? hold(fixture, buyerOffset + Math.floor(i / every)) : read(fixture);
  const cpuOf = new Map<LoadResult, { workerd: CpuSplit | null; clientMs: number }>();
  const load = async (count: number, call: (i: number) => Call): Promise<LoadResult> => {
    const before = readWorkerdCpu();
    const client = process.cpuUsage();
    const result = await runLoad({ base: appUrl, count, concurrency: CLIENTS, deadlineMs: PHASE_DEADLINE_MS, call });
    const { user, system } = process.cpuUsage(client);
    cpuOf.set(result, { workerd: cpuBetween(before, readWorkerdCpu(), bench.processes), clientMs: (user + system) / 1000 });
    return result;
  };
  // CPU of all workerd processes summed, per request (null where /proc cannot be read).
  const cpuMs = (result: LoadResult) => {
    const split = cpuOf.get(result)?.workerd;
    return split ? round(split.totalMs / result.samples.length, 3) : null;
  };
  // CPU of all workerd processes summed, per request, and each process's part; and the load generator's, on the same 2 cores.
  const cpu = (result: LoadResult) => {
    const { workerd: split, clientMs } = cpuOf.get(result)!;
    const n = result.samples.length;
    const busy = ((split?.totalMs ?? 0) + clientMs) / result.elapsedMs;
    return split
      ? `    CPU ${(split.totalMs / n).toFixed(3)} ms per request, all workerd processes${bench.processes.length > 1 ? ` (${describeSplit(split, n, 3)})` : ""}; ` +
          `the load generator (node) ${(clientMs / n).toFixed(3)}; ${busy.toFixed(2)} of the machine's ${availableParallelism()} cores busy`
      : "";
  };

  // Warm-up on an event not measured: JIT, isolates, the EventDO class.
  await load(WARMUP * every, storm(warmupEvent, 3 * HOLDS));

  log("");
  log("  phase                                   count       time       rate      latency (p50, p99)");
  const holdsOnly = await load(HOLDS, (i) => hold(holdsOnlyEvent, i));
  const mixed = await load(HOLDS * every, storm(stormEvent, HOLDS));
  const holdsOnlyAfter = await load(HOLDS, (i) => hold(holdsOnlyAfterEvent, 2 * HOLDS + i));
  // Reads alone, on the storm's event: what one read costs here.
  const readsOnly = await load(HOLDS * READS_PER_HOLD, () => read(stormEvent));
  // The floor: a Worker (bench/baseline-worker.ts) answering one of these reads' exact bytes as a constant, doing nothing else.
  const sample = await fetch(new URL(`/v1/events/${stormEvent.eventId}/availability`, appUrl));
  const sampleHeaders = [...sample.headers].filter(([name]) => !HOP_BY_HOP.has(name));
  await fetch(new URL("/constant", baselineUrl), { method: "PUT", body: JSON.stringify({ status: sample.status, headers: sampleHeaders, body: await sample.text() }) });
  const floor = await load(HOLDS * READS_PER_HOLD, () => ({ method: "GET", base: baselineUrl, path: "/constant" }));

  const onlyHolds = holdsOf(holdsOnly);
  describe("holds only: every attempt", holdsOnly.samples, holdsOnly.elapsedMs, holdsOnly.timedOut);
  const before = describe("holds only: accepted holds (201)", onlyHolds.accepted, onlyHolds.windowMs);
  log(`    outcomes: ${outcomes(holdsOnly.samples)}${cpu(holdsOnly)}`);
  const onlyHoldsAfter = holdsOf(holdsOnlyAfter);
  describe("holds only after the storm: every attempt", holdsOnlyAfter.samples, holdsOnlyAfter.elapsedMs, holdsOnlyAfter.timedOut);
  const after = describe("holds only after: accepted holds (201)", onlyHoldsAfter.accepted, onlyHoldsAfter.windowMs);
  log(`    outcomes: ${outcomes(holdsOnlyAfter.samples)}${cpu(holdsOnlyAfter)}`);
  // The storm's reference: the mean of the holds-only rates measured before and after it.
  const baseline = { perSecond: (before.perSecond + after.perSecond) / 2 };
  describe("storm: every request", mixed.samples, mixed.elapsedMs, mixed.timedOut);
  const stormHolds = mixed.samples.filter((s) => s.index % every === READS_PER_HOLD);
  const stormReads = mixed.samples.filter((s) => s.index % every !== READS_PER_HOLD);
  const accepted = holdsOf({ samples: stormHolds, elapsedMs: mixed.elapsedMs });
  const holds = describe("storm: accepted holds (201)", accepted.accepted, accepted.windowMs);
  log(`    hold outcomes: ${outcomes(stormHolds)}`);
  const reads = describe("storm: availability reads", stormReads, mixed.elapsedMs);
  log(`    read outcomes: ${outcomes(stormReads)}${cpu(mixed)} (reads and holds together)`);
  // What this machine can give the mix at most: all its cores over the CPU one hold costs with its reads (every process, the load generator).
  const stormCpu = cpuOf.get(mixed)!;
  const cyclesPerS = stormCpu.workerd ? (availableParallelism() * 1000) / ((stormCpu.workerd.totalMs + stormCpu.clientMs) / stormHolds.length) : null;
  if (cyclesPerS !== null)
    log(
      `    this machine's bound for the mix: ${availableParallelism()} cores / ${(((stormCpu.workerd!.totalMs + stormCpu.clientMs) / stormHolds.length)).toFixed(2)} ms of CPU per hold with its ${READS_PER_HOLD} reads ` +
        `(all processes and the load generator) = ${round(cyclesPerS)} holds/s, ${round(cyclesPerS / baseline.perSecond, 2)}× the holds-only rate`,
    );
  const alone = describe("reads only (same event, after)", readsOnly.samples, readsOnly.elapsedMs, readsOnly.timedOut);
  log(`    outcomes: ${outcomes(readsOnly.samples)}${cpu(readsOnly)}`);
  describe("floor: same bytes, constant Worker", floor.samples, floor.elapsedMs, floor.timedOut);
  log(`    outcomes: ${outcomes(floor.samples)}${cpu(floor)} (${sampleHeaders.length} headers, ${sample.headers.get("Content-Length") ?? "?"} bytes of body)`);
  // Where reads are answered, on a fresh sample after the storm (the load generator does not keep headers).
  const sources = await readSources(readsUrl, stormEvent.eventId, 2_000);
  const fromEvent = sources.get("MISS") ?? 0;
  log(`    where 2000 reads after the storm were answered (X-Cache): ${[...sources].map(([k, n]) => `${k}×${n}`).join(", ")}`);

  if (opts.profile) {
    // The isolate that answers the reads: the edge's where there is one.
    const readsWorker = bench.edge ? { workerd: bench.edge.workerd, name: "edge" } : { workerd: bench.workerd, name: "app" };
    const profiler = await startCpuProfile(await readsWorker.workerd.mf.getInspectorURL(), readsWorker.name, bench.scripts.app, [
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
    log(`  profile of ${n} reads: ${readsWorker.name} isolate busy ${((breakdown.wallMs - idle) / n).toFixed(3)} ms per read`);
    for (const st of breakdown.stages) log(`    ${(st.ms / n).toFixed(3)} ms  ${st.label}`);
    for (const p of breakdown.packages.filter((p) => p.name !== "(idle)").slice(0, 8)) log(`    ${(p.ms / n).toFixed(3)} ms  ${p.name} (self)`);
    for (const f of breakdown.functions.filter((f) => !f.name.startsWith("(idle)")).slice(0, 8)) log(`    ${(f.ms / n).toFixed(3)} ms  ${f.name} (self)`);
  }

  log("");
  const checks = [await checkInventory("holds only", appUrl, db, holdsOnlyEvent, onlyHolds.accepted),
    await checkInventory("holds only after", appUrl, db, holdsOnlyAfterEvent, onlyHoldsAfter.accepted),
    await checkInventory("storm", appUrl, db, stormEvent, accepted.accepted)];
  // The edge's reads reach home's EventDO itself (the same object, not an empty one of the edge's own): its live answer is home's.
  const edgeAgrees = bench.edge ? await sameAnswer(bench.edge.url, appUrl, stormEvent.eventId) : true;
  const oversold = Math.max(...checks.map((c) => c.oversold));
  const consistent = checks.every((c) => c.consistent) && edgeAgrees;
  const ratio = holds.perSecond / baseline.perSecond;
  const failures = [holdsOnly, mixed, holdsOnlyAfter, readsOnly].flatMap((r) => r.samples).filter((s) => s.status === 0 || s.status >= 500).length;
  log("");
  log(
    `  holds/s under ${READS_PER_HOLD} reads per hold ${round(holds.perSecond)}, holds-only ${round(baseline.perSecond)} (before ${round(before.perSecond)}, after ${round(after.perSecond)}): ratio ${round(ratio, 3)} (target ≥ 0.8); ` +
      `read p50 ${round(reads.p50, 1)} ms, p99 ${round(reads.p99, 1)} ms; hold p99 ${round(holds.p99, 1)} ms; oversold ${oversold}`,
  );
  if (workerLogs.length) log(`  worker errors/warnings: ${workerLogs.length}; first: ${workerLogs[0]!.slice(0, 300)}`);
  if (failures || !consistent || oversold) process.exitCode = 1;
  log(`  total ${((performance.now() - started) / 1000).toFixed(1)} s${failures ? `; ${failures} failed requests (5xx or connection)` : ""}`);
  log(
    JSON.stringify({
      holds_per_s: round(holds.perSecond),
      holds_only_per_s: round(baseline.perSecond),
      holds_only_before_after_per_s: [round(before.perSecond), round(after.perSecond)],
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
      machine_bound_holds_per_s: cyclesPerS === null ? null : round(cyclesPerS),
      topology: bench.edge ? "edge-home-d1-processes" : "single-process",
      cpu_ms_per_request: Object.fromEntries(
        (
          [
            ["holds_only", holdsOnly],
            ["holds_only_after", holdsOnlyAfter],
            ["storm", mixed],
            ["reads_only", readsOnly],
          ] as const
        ).map(([phase, result]) => {
          const { workerd: split, clientMs } = cpuOf.get(result)!;
          const n = result.samples.length;
          return [phase, split ? { all: round(split.totalMs / n, 3), ...Object.fromEntries(split.byRole.map((r) => [r.role, round(r.ms / n, 3)])), load_generator: round(clientMs / n, 3) } : null];
        }),
      ),
    }),
  );
}

runBench("bench:onsale", WATCHDOG_MS, main);
