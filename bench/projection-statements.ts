/**
 * `npm run bench:projection`: what each statement of a scan drain costs D1,
 * per scan. A gate event with `--rights` rights projected to D1 (the real
 * schema, its indexes, triggers and foreign keys), then, for fresh rights each
 * time (every presence write a first entry, as at the gates), batches of
 * `--batch` scans written as the EventDO's drain writes them (projection.ts's
 * own statements, rows in the shape its bulk reads give), one statement kind
 * at a time. Prints, per kind, the workerd process's CPU (/proc, 10 ms ticks,
 * hence several batches) and wall time per scan, beside `json_each` alone
 * over the same rows (the floor: D1 reading the JSON); the last line is JSON.
 *
 * Options: --rights 8000 --batch 500
 */
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { workerdCpuMs } from "./lib/cpu-profile.ts";
import { flushProjection, issueGateRights, seedGateEvent } from "./lib/gate-fixture.ts";
import { round } from "./lib/load.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { bundle, startBenchPlatform } from "./lib/workerd.ts";
import type { PROJECTION_STATEMENTS as Statements } from "../durable-objects/event/projection.ts";

const { values: opts } = parseArgs({ options: { rights: { type: "string", default: "8000" }, batch: { type: "string", default: "500" } } });
const RIGHTS = Number(opts.rights);
const BATCH = Number(opts.batch);

type Row = Record<string, unknown>;

async function main(run: BenchRun) {
  const secrets = generateSecrets("bench-key");
  const { dir } = run;
  // Node only strips types, and the projection's module uses more of TypeScript: bundled as the Worker is.
  const { PROJECTION_STATEMENTS } = (await import(await bundle("durable-objects/event/projection.ts", dir))) as { PROJECTION_STATEMENTS: typeof Statements };
  const bench = await startBenchPlatform(secrets, dir, { onStarted: (w) => (run.running = w) });
  const { db, helperUrl } = bench;
  const event = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, { gates: 16 });
  await issueGateRights(db, helperUrl, event, RIGHTS);
  await flushProjection(helperUrl, event.eventId);
  const rights = (await db.prepare("SELECT * FROM access_rights WHERE event_id = ? ORDER BY rowid").bind(event.eventId).all<Row>()).results;
  const batches = Math.floor(rights.length / BATCH);
  const kinds = ["presence", "presence_whole"] as const;
  // Each kind gets its own rights, so that every presence write is a right's first entry, as at the gates.
  const perKind = Math.floor(batches / kinds.length);
  const totals = new Map<string, { cpu: number; wall: number; scans: number }>();
  const time = async (name: string, statement: D1PreparedStatement, scans: number) => {
    const cpu0 = workerdCpuMs()!;
    const t0 = performance.now();
    await statement.run();
    const wall = performance.now() - t0;
    const cpu = workerdCpuMs()! - cpu0;
    const t = totals.get(name) ?? { cpu: 0, wall: 0, scans: 0 };
    totals.set(name, { cpu: t.cpu + cpu, wall: t.wall + wall, scans: t.scans + scans });
  };
  let version = Date.now() + 1e9;
  const presenceKinds = kinds;
  for (let b = 0; b < perKind; b++) {
    for (const [k, kind] of presenceKinds.entries()) {
      const slice = rights.slice((b * presenceKinds.length + k) * BATCH, (b * presenceKinds.length + k + 1) * BATCH);
      if (slice.length < BATCH) continue;
      const now = new Date().toISOString();
      const entered: Row[] = slice.map((r) => ({ ...r, status: "USED", used_at: now, used_at_access_point: event.gates[0], is_inside: 1, entry_count: 1, updated_at: now }));
      const spec = PROJECTION_STATEMENTS[kind];
      const rows = JSON.stringify(entered.map((r) => spec.columns.map((c) => r[c] ?? null)));
      version++;
      await time("json_each alone (same rows)", db.prepare("SELECT count(*) FROM json_each(?1)").bind(rows), BATCH);
      await time(kind, db.prepare(spec.write).bind(...[rows, event.eventId, version].slice(0, spec.params)), BATCH);
      const scanSpec = PROJECTION_STATEMENTS.scans;
      const scans = entered.map((r) => ({
        id: crypto.randomUUID(), access_right_id: r.id, user_id: r.user_id, access_point_id: event.gates[0], zone_id: event.zoneId, qr_code_scanned: "token", action: "ENTRY",
        status: "SUCCESS", denial_reason: null, controller_id: event.controller.id, device_id: "LANE-1", scan_method: "QR_SCANNER", response_time_ms: 0, queue_size: null,
        nonce: crypto.randomUUID(), was_offline: 0, is_conflict: 0, timestamp: now, received_at: now, metadata: null,
      }));
      await time("scans", db.prepare(scanSpec.write).bind(JSON.stringify(scans.map((s) => scanSpec.columns.map((c) => (s as Row)[c] ?? null))), event.eventId), BATCH);
      const users = [...new Set(entered.map((r) => String(r.user_id)))];
      await time("attendance", db.prepare(PROJECTION_STATEMENTS.attendance.write).bind(JSON.stringify(users.map((u) => [crypto.randomUUID(), u])), event.eventId), BATCH);
    }
  }
  console.log(`projection statements on D1, ${BATCH} scans per statement (each a right's first entry), per scan:`);
  for (const [name, t] of totals) console.log(`  ${name.padEnd(34)} CPU ${round((t.cpu / t.scans) * 1000).toFixed(0).padStart(5)} µs  wall ${round((t.wall / t.scans) * 1000).toFixed(0).padStart(5)} µs  (${t.scans} scans)`);
  console.log(JSON.stringify(Object.fromEntries([...totals].map(([name, t]) => [name, { cpu_us_per_scan: round((t.cpu / t.scans) * 1000), wall_us_per_scan: round((t.wall / t.scans) * 1000) }]))));
}

runBench("bench/projection-statements", 600_000, main);
