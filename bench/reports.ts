/**
 * `npm run bench:reports`: the back office's lists and reports on ONE event
 * seeded with 60,000 access rights and 200,000 gate log rows (and 28,500
 * orders with their payments: bench/lib/backoffice-fixture.ts), through the
 * app Worker over HTTP as the organizer (or an admin for platform views),
 * against workerd served by Miniflare directly. Beside it, in the same
 * workerd and the same run, the baseline: an HTTP request to a Worker that
 * reads one access right from D1 by its primary key (bench/lib/helper-worker.ts
 * `GET /read`). This machine's speed drifts (other work shares its cores), so
 * each query is measured interleaved with the baseline, request for request,
 * and compared with the baseline of its own window and with the whole
 * run's: each query's p95 must stay under 10× both baselines' p95.
 *
 * Then one full CSV export of the 60,000 rights, timed, with its size.
 *
 * Options: --requests 200 --concurrency 1 --seconds 60 (--seconds caps each query's run).
 * The last line of the output is one JSON object: {"baseline_p50_ms",
 * "baseline_p95_ms" (over all windows), "worst_ratio_p95", "worst",
 * "over_10x", "rights", "scans", "queries": {name: {"p50_ms", "p95_ms",
 * "baseline_p95_ms" (its window's), "ratio_p95" (to it), "ratio_p95_run" (to
 * the run's)}}, "export"}; "worst_ratio_p95" is the larger of the two.
 */
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { seedBackofficeEvent, type BackofficeSeed } from "./lib/backoffice-fixture.ts";
import { type Call, percentile, round, runLoad, type Sample } from "./lib/load.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { startBenchPlatform } from "./lib/workerd.ts";

const { values: opts } = parseArgs({
  options: {
    requests: { type: "string", default: "200" },
    // One request at a time: a latency, not a queue (with more in flight, the baseline waits behind the queries and both measure the queue).
    concurrency: { type: "string", default: "1" },
    seconds: { type: "string", default: "60" },
  },
});
const REQUESTS = Number(opts.requests);
const CONCURRENCY = Number(opts.concurrency);
const DEADLINE_MS = Number(opts.seconds) * 1000;
const WARMUP = 30;
const LIMIT_RATIO = 10;
const WATCHDOG_MS = 60 * DEADLINE_MS + 600_000;

const log = (line = "") => console.log(line);

interface Query {
  name: string;
  path: string;
  token: "organizer" | "admin";
}

/** What the back office asks of the event, one call each: every list (default, filtered, sorted, searched, a later page) and every report. */
function queries(seed: BackofficeSeed, page2: { attendees: string; orders: string }): Query[] {
  const e = `/v1/events/${seed.eventId}`;
  const s = seed.sample;
  const org = (name: string, path: string): Query => ({ name, path, token: "organizer" });
  const admin = (name: string, path: string): Query => ({ name, path, token: "admin" });
  return [
    org("attendees", `${e}/attendees?limit=50`),
    org("attendees page 2", `${e}/attendees?limit=50&cursor=${page2.attendees}`),
    org("attendees status=ENABLED", `${e}/attendees?limit=50&status=ENABLED`),
    org("attendees zone", `${e}/attendees?limit=50&zone_id=${seed.zones[2]}`),
    org("attendees ticket type", `${e}/attendees?limit=50&ticket_type_id=${seed.ticketTypes[1]}`),
    org("attendees source=SUBSCRIPTION", `${e}/attendees?limit=50&source_type=SUBSCRIPTION`),
    org("attendees checked_in=false", `${e}/attendees?limit=50&checked_in=false`),
    org("attendees sort=name", `${e}/attendees?limit=50&sort=name`),
    org("attendees sort=-checked_in_at", `${e}/attendees?limit=50&sort=-checked_in_at`),
    org("attendees q=name prefix", `${e}/attendees?limit=50&q=${s.namePrefix}`),
    org("attendees q=full name", `${e}/attendees?limit=50&q=${encodeURIComponent("mohamed ben ali")}`),
    org("attendees q=phone", `${e}/attendees?limit=50&q=${encodeURIComponent(s.phone)}`),
    org("attendees q=email", `${e}/attendees?limit=50&q=${encodeURIComponent(s.email)}`),
    org("attendees q=qr_code", `${e}/attendees?limit=50&q=${s.qrCode}`),
    org("attendees q=order id", `${e}/attendees?limit=50&q=${s.orderId}`),
    org("orders", `${e}/orders?limit=50`),
    org("orders page 2", `${e}/orders?limit=50&cursor=${page2.orders}`),
    org("orders status=CANCELLED", `${e}/orders?limit=50&status=CANCELLED`),
    org("orders channel=ONSITE", `${e}/orders?limit=50&channel=ONSITE`),
    org("orders sort=name", `${e}/orders?limit=50&sort=name`),
    org("orders q=name prefix", `${e}/orders?limit=50&q=${s.namePrefix}`),
    org("orders q=ticket number", `${e}/orders?limit=50&q=${s.ticketNumber}`),
    org("pass-holders", `${e}/pass-holders?limit=50`),
    org("pass-holders q=name prefix", `${e}/pass-holders?limit=50&q=${s.namePrefix}`),
    org("payments", `${e}/payments?limit=50`),
    org("payments status=REFUNDED", `${e}/payments?limit=50&status=REFUNDED`),
    org("refunds", `${e}/refunds?limit=50`),
    org("transfers", `${e}/transfers?limit=50`),
    org("door lookup", `${e}/door/holders?q=${encodeURIComponent("ben ali moh")}`),
    org("right history", `${e}/access-rights/${s.rightId}/history`),
    org("report sales", `${e}/reports/sales`),
    org("report revenue", `${e}/reports/revenue`),
    org("report attendance", `${e}/reports/attendance`),
    org("report passes", `${e}/reports/passes`),
    admin("admin orders", "/v1/admin/orders?limit=50"),
    admin("admin orders status=CONFIRMED", "/v1/admin/orders?limit=50&status=CONFIRMED"),
    admin("admin attendees q=name prefix", `/v1/admin/attendees?limit=50&q=${s.namePrefix}`),
    admin("admin report volume", `/v1/admin/reports/volume?from=${new Date(Date.now() - 120 * 86_400_000).toISOString().slice(0, 10)}&to=${new Date().toISOString().slice(0, 10)}`),
    admin("admin report commissions", "/v1/admin/reports/commissions"),
  ];
}

function latency(samples: Sample[]) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

async function main(run: BenchRun) {
  const { workerLogs } = run;
  const started = performance.now();
  const secrets = generateSecrets("bench-key");
  const { dir } = run;
  log(`bench:reports: back-office lists and reports on one event of 60,000 rights and 200,000 gate log rows, ${REQUESTS} requests each, ${CONCURRENCY} in flight, vs a primary-key read`);
  const bench = await startBenchPlatform(secrets, dir, { onLog: (line) => workerLogs.push(line), onStarted: (workerd) => (run.running = workerd) });
  const { appUrl, helperUrl, db } = bench;
  log(`  workerd via Miniflare, no dev proxy: app on ${appUrl.host}, baseline on ${helperUrl.host}`);
  log("  seeding:");
  const seed = await seedBackofficeEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, log);
  const tokens = { organizer: seed.organizer.token, admin: seed.admin.token };
  const get = async (path: string, token: string) => {
    const res = await fetch(new URL(path, appUrl), { headers: { Authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    return res.json() as Promise<{ next_cursor: string | null }>;
  };
  const page2 = {
    attendees: (await get(`/v1/events/${seed.eventId}/attendees?limit=50`, tokens.organizer)).next_cursor!,
    orders: (await get(`/v1/events/${seed.eventId}/orders?limit=50`, tokens.organizer)).next_cursor!,
  };

  const measure = async (base: URL, count: number, call: (i: number) => Call) => runLoad({ base, count, concurrency: CONCURRENCY, deadlineMs: DEADLINE_MS, call });
  const baselineCall = (i: number): Call => ({ method: "GET", path: `/read?id=${seed.rightIds[i % seed.rightIds.length]}` });
  const list = queries(seed, page2);
  // Warm-up: JIT, isolates, SQLite's page cache, on every query and the baseline.
  await measure(helperUrl, WARMUP * 3, baselineCall);
  for (const q of list) await measure(appUrl, WARMUP, () => ({ method: "GET", path: q.path, headers: { Authorization: `Bearer ${tokens[q.token]}` } }));

  log("");
  log(`  ${"query (ms)".padEnd(36)} ${"p50".padStart(8)} ${"p95".padStart(8)} ${"base p95".padStart(9)}  p95 ratio: window, run   rows/status`);
  const results: Record<string, { p50_ms: number; p95_ms: number; baseline_p95_ms: number; ratio_p95: number; ratio_p95_run: number }> = {};
  const measured: { name: string; p50: number; p95: number; baseline: { p50: number; p95: number }; failures: number; status: string }[] = [];
  const baselineSamples: Sample[] = [];
  for (const q of list) {
    // Even calls: the query; odd calls: the baseline, in the same moments.
    const run = await measure(appUrl, 2 * REQUESTS, (i) =>
      i % 2 === 0 ? { method: "GET", path: q.path, headers: { Authorization: `Bearer ${tokens[q.token]}` } } : { ...baselineCall(i), base: helperUrl },
    );
    const samples = run.samples.filter((s) => s.index % 2 === 0);
    const base = run.samples.filter((s) => s.index % 2 === 1);
    baselineSamples.push(...base);
    const { p50, p95 } = latency(samples);
    const failures = samples.filter((s) => s.status !== 200).length + base.filter((s) => s.status !== 200).length;
    const first = samples[0]!;
    let shape = String(first.status);
    try {
      const body = JSON.parse(first.body) as { data?: unknown[] };
      if (Array.isArray(body.data)) shape = `${body.data.length} rows`;
    } catch {
      // a non-JSON body: its status says enough
    }
    measured.push({ name: q.name, p50, p95, baseline: latency(base), failures, status: failures ? `${failures} failed: ${(samples.find((s) => s.status !== 200) ?? first).body.slice(0, 120)}` : shape });
  }
  const baseline = latency(baselineSamples);
  log(`  ${"baseline: Worker → D1, primary key".padEnd(36)} ${baseline.p50.toFixed(2).padStart(8)} ${baseline.p95.toFixed(2).padStart(8)}  (all windows)`);
  for (const m of measured) {
    // Against its own window's baseline, and against the whole run's: the larger counts.
    const ratio = m.p95 / m.baseline.p95;
    const ratioRun = m.p95 / baseline.p95;
    const worse = Math.max(ratio, ratioRun);
    results[m.name] = { p50_ms: round(m.p50, 2), p95_ms: round(m.p95, 2), baseline_p95_ms: round(m.baseline.p95, 2), ratio_p95: round(ratio, 2), ratio_p95_run: round(ratioRun, 2) };
    log(
      `  ${m.name.padEnd(36)} ${m.p50.toFixed(2).padStart(8)} ${m.p95.toFixed(2).padStart(8)} ${m.baseline.p95.toFixed(2).padStart(9)}  ${ratio.toFixed(2).padStart(6)}× ${ratioRun.toFixed(2).padStart(6)}×${worse >= LIMIT_RATIO ? " OVER" : "     "}   ${m.status}`,
    );
  }

  // One full export of the event's rights, streamed: its time and size.
  const exportStart = performance.now();
  const res = await fetch(new URL(`/v1/events/${seed.eventId}/exports/attendees.csv`, appUrl), { headers: { Authorization: `Bearer ${tokens.organizer}` } });
  let bytes = 0;
  let lines = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const byte of value) if (byte === 10) lines += 1;
  }
  const exportMs = performance.now() - exportStart;
  log("");
  log(`  export attendees.csv: ${lines - 1} rows, ${(bytes / 1e6).toFixed(1)} MB in ${(exportMs / 1000).toFixed(2)} s (status ${res.status})`);

  const worse = (r: { ratio_p95: number; ratio_p95_run: number }) => Math.max(r.ratio_p95, r.ratio_p95_run);
  const over = Object.entries(results).filter(([, r]) => worse(r) >= LIMIT_RATIO).map(([name]) => name);
  const [worst, worstResult] = Object.entries(results).sort(([, a], [, b]) => worse(b) - worse(a))[0]!;
  const failures = measured.reduce((sum, m) => sum + m.failures, 0);
  log("");
  log(`  worst p95: ${worst} at ${worse(worstResult)}× the baseline's p95 (limit ${LIMIT_RATIO}×); over the limit: ${over.length ? over.join(", ") : "none"}`);
  if (workerLogs.length) log(`  worker errors/warnings: ${workerLogs.length}; first: ${workerLogs[0]!.slice(0, 300)}`);
  log(`  total ${((performance.now() - started) / 1000).toFixed(1)} s${failures ? `; ${failures} failed requests` : ""}`);
  if (over.length || failures || res.status !== 200 || lines - 1 !== seed.counts.rights) process.exitCode = 1;
  log(
    JSON.stringify({
      baseline_p50_ms: round(baseline.p50, 2),
      baseline_p95_ms: round(baseline.p95, 2),
      worst_ratio_p95: worse(worstResult),
      worst,
      over_10x: over,
      rights: seed.counts.rights,
      scans: seed.counts.scans,
      queries: results,
      export: { rows: lines - 1, mb: round(bytes / 1e6, 1), seconds: round(exportMs / 1000, 2) },
    }),
  );
}

runBench("bench:reports", WATCHDOG_MS, main);
