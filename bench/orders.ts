/**
 * `npm run bench:orders`: holds per second on ONE event's EventDO, through the
 * app Worker over HTTP (`POST /v1/events/{id}/orders`, signed-in buyers, 1–4
 * units each, each with its Idempotency-Key), against workerd served by Miniflare directly. Beside it, in the
 * same workerd, the per-commit ceiling: an HTTP request through a Worker to a
 * Durable Object method making one durable single-row write and nothing else
 * (bench/baseline-worker.ts), with the same concurrency and request count.
 * Then the oversell check, from the EventDO (through the API) and from D1.
 *
 * Options: --attempts 2000 --units 4000 --concurrency 64 --seconds 120 --profile --mode cart
 * (--seconds caps each phase; --profile adds a CPU profile of where an order's time goes).
 * `--mode cart` (`npm run bench:orders -- --mode cart`) adds the cart-with-seats phase: the same
 * number of carts of three lines, each line a ticket type of its own seated zone with its seats
 * named (1, 1 and 2 seats, distinct per cart, as a seat-map client picks free ones), through the
 * same route, as a ratio to the single-line order rate of the same run (target ≥ 0.5), with its
 * own check that no seat was held twice and every cart holds its four seats.
 * The last line of the output is one JSON object:
 * {"holds_per_s", "baseline_per_s", "ratio", "p50_ms", "p99_ms", "oversold"}, and in cart mode
 * also "cart_holds_per_s", "cart_ratio" (cart holds/s ÷ single-line holds/s), "cart_p50_ms",
 * "cart_p99_ms", "seats_held_twice".
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { type CpuBreakdown, type Stage, startCpuProfile, workerdCpuMs } from "./lib/cpu-profile.ts";
import { type Call, type LoadResult, round, runLoad, seededRandom, stats, type Stats } from "./lib/load.ts";
import { type Buyer, checkInventory, eventMaker, type Fixture, holdsOf, outcomes, seedBuyers, synced } from "./lib/orders-fixture.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { startBenchPlatform, type Workerd } from "./lib/workerd.ts";

const { values: opts } = parseArgs({
  options: {
    attempts: { type: "string", default: "2000" },
    units: { type: "string", default: "4000" },
    concurrency: { type: "string", default: "64" },
    seconds: { type: "string", default: "150" },
    profile: { type: "boolean", default: false },
    mode: { type: "string", default: "single" },
  },
});
if (opts.mode !== "single" && opts.mode !== "cart") throw new Error(`--mode is single or cart, not ${opts.mode}`);
const CART_MODE = opts.mode === "cart";
const ATTEMPTS = Number(opts.attempts);
const UNITS = Number(opts.units);
const CONCURRENCY = Number(opts.concurrency);
const PHASE_DEADLINE_MS = Number(opts.seconds) * 1000;
const WARMUP = 300;
// Everything (build, setup, every phase, checks) ends within this, or the run fails.
const WATCHDOG_MS = PHASE_DEADLINE_MS * (opts.profile ? 10 : 6) + 180_000;

const log = (line = "") => console.log(line);

interface CartFixture {
  eventId: string;
  /** Per line: its configuration and the seats of its zone, in order. */
  lines: { configId: string; seats: string[]; perCart: number }[];
}

/**
 * An approved event with three ticket types, each sold in a seated zone of its own holding `carts` carts' worth of seats
 * (1, 1 and 2 per cart), straight into D1.
 */
async function seedCartEvent(db: D1Database, organizerId: string, carts: number): Promise<CartFixture> {
  const day = 86_400_000;
  const [venueId, eventId] = [randomUUID(), randomUUID()];
  const startsAt = Date.now() + 7 * day;
  const kinds = [
    { category: "VIP", price: 20_000, perCart: 1 },
    { category: "PREMIUM", price: 10_000, perCart: 1 },
    { category: "STANDARD", price: 5_000, perCart: 2 },
  ] as const;
  const lines = kinds.map((k) => ({ ...k, zoneId: randomUUID(), typeId: randomUUID(), configId: randomUUID(), seats: Array.from({ length: carts * k.perCart }, () => randomUUID()) }));
  await db.batch([
    db.prepare("INSERT INTO venues (id, name, city, country, timezone, owner_id) VALUES (?, 'Stade de Radès', 'Radès', 'TN', 'Africa/Tunis', ?)").bind(venueId, organizerId),
    db
      .prepare(
        `INSERT INTO events (id, title, starts_at, ends_at, doors_open_at, timezone, venue_id, venue_name, organizer_id, created_by, access_type, price, currency, status, ticketing_enabled)
         VALUES (?, 'Derby with seats (bench)', ?, ?, ?, 'Africa/Tunis', ?, 'Stade de Radès', ?, ?, 'PAID', 5000, 'XOF', 'APPROVED', 1)`,
      )
      .bind(eventId, new Date(startsAt).toISOString(), new Date(startsAt + 3 * 3600_000).toISOString(), new Date(startsAt - 2 * 3600_000).toISOString(), venueId, organizerId, organizerId),
    ...lines.flatMap((l) => [
      db
        .prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, ?, ?, ?, 100000)")
        .bind(l.zoneId, venueId, `zone_${l.category.toLowerCase()}`, l.category, l.category),
      db
        .prepare("INSERT INTO ticket_types (id, code, name, base_price, currency, default_zone_category, max_per_transaction, organizer_id) VALUES (?, ?, ?, ?, 'XOF', ?, 4, ?)")
        .bind(l.typeId, `${l.category}-${l.typeId.slice(0, 8)}`, l.category, l.price, l.category, organizerId),
      db
        .prepare("INSERT INTO event_ticket_config (id, event_id, ticket_type_id, price, currency, quantity_total, quantity_blocked) VALUES (?, ?, ?, ?, 'XOF', ?, 0)")
        .bind(l.configId, eventId, l.typeId, l.price, l.seats.length),
    ]),
  ]);
  // Rows of 50 seats, 1 unit apart on the map.
  const insertSeats = db.prepare(
    "INSERT INTO seats (id, zone_id, section, row, number, x, y, rotation) SELECT value ->> 0, ?1, 'A', value ->> 1, value ->> 2, value ->> 3, value ->> 4, 0 FROM json_each(?2)",
  );
  for (const l of lines) {
    const rows = l.seats.map((id, i) => [id, `R${Math.floor(i / 50) + 1}`, String((i % 50) + 1), i % 50, Math.floor(i / 50)]);
    for (let i = 0; i < rows.length; i += 2_000) await db.batch([insertSeats.bind(l.zoneId, JSON.stringify(rows.slice(i, i + 2_000)))]);
  }
  return { eventId, lines: lines.map((l) => ({ configId: l.configId, seats: l.seats, perCart: l.perCart })) };
}

interface Measured extends LoadResult {
  /** CPU of the whole workerd process per request, in ms (null off Linux). */
  cpuPerRequest: number | null;
}

function describe(name: string, result: Measured, samples = result.samples, elapsedMs = result.elapsedMs): Stats {
  const s = stats(samples, elapsedMs);
  const cpu = result.cpuPerRequest === null ? "" : `  workerd CPU ${result.cpuPerRequest.toFixed(2).padStart(6)} ms/req`;
  log(
    `  ${name.padEnd(38)} ${String(s.count).padStart(5)} in ${(elapsedMs / 1000).toFixed(2).padStart(6)} s ${round(s.perSecond).toFixed(1).padStart(8)}/s` +
      `  p50 ${s.p50.toFixed(1).padStart(6)} ms  p99 ${s.p99.toFixed(1).padStart(6)} ms${cpu}${result.timedOut ? "  (stopped at the time cap)" : ""}`,
  );
  return s;
}

async function main(run: BenchRun) {
  const { workerLogs } = run;
  const started = performance.now();
  const secrets = generateSecrets("bench-key");
  const { dir } = run;
  log(`bench:orders: ${ATTEMPTS} order attempts (1–4 units) for ${UNITS} units on one event, ${CONCURRENCY} in flight, vs a one-row-write baseline${CART_MODE ? `; then ${ATTEMPTS} carts of three lines with 4 seats` : ""}`);
  // The waiting room would queue a rush over WAITING_ROOM_HOLDS_PER_S, or once the EventDO is saturated: both out of reach here, to measure the EventDO itself.
  const bench = await startBenchPlatform({ ...secrets, WAITING_ROOM_HOLDS_PER_S: "1000000", WAITING_ROOM_SATURATION_WAITING: "1000000" }, dir, {
    onLog: (line) => workerLogs.push(line),
    inspector: opts.profile,
    onStarted: (workerd) => (run.running = workerd),
  });
  const { appUrl, baselineUrl, helperUrl, db } = bench;
  log(`  workerd via Miniflare, no dev proxy: app on ${appUrl.host}, baseline on ${baselineUrl.host}`);

  // ── setup ──────────────────────────────────────────────────────────────
  const { organizerId, createEvent } = await eventMaker(db, helperUrl);
  const warmupEvent = await createEvent(WARMUP * 8);
  const event = await createEvent(UNITS);
  const directEvent = await createEvent(UNITS);
  const createCartEvent = async (carts: number) => synced(helperUrl, await seedCartEvent(db, organizerId, carts));
  const warmupCartEvent = CART_MODE ? await createCartEvent(WARMUP) : null;
  const cartEvent = CART_MODE ? await createCartEvent(ATTEMPTS) : null;
  const buyers = await seedBuyers(db, ATTEMPTS + WARMUP, secrets.JWT_SIGNING_KEYS);
  const random = seededRandom(20_261_117);
  const quantities = Array.from({ length: ATTEMPTS + WARMUP }, () => 1 + Math.floor(random() * 4));
  log(`  setup: D1 migrated, events synced to their EventDOs, ${buyers.length} buyers with sessions (${((performance.now() - started) / 1000).toFixed(1)} s)`);

  const measure = async (base: URL, count: number, call: (i: number) => Call): Promise<Measured> => {
    const before = workerdCpuMs();
    const result = await runLoad({ base, count, concurrency: CONCURRENCY, deadlineMs: PHASE_DEADLINE_MS, call });
    const after = workerdCpuMs();
    return { ...result, cpuPerRequest: before === null || after === null ? null : (after - before) / result.samples.length };
  };
  const orderBody = (fixture: Fixture, i: number) => JSON.stringify({ config_id: fixture.configId, quantity: quantities[i] });
  // Each with its Idempotency-Key, as the API asks clients to send.
  const orderCall = (fixture: Fixture, offset = 0) => (i: number): Call => ({
    method: "POST",
    path: `/v1/events/${fixture.eventId}/orders`,
    headers: { Authorization: `Bearer ${buyers[offset + i]!.token}`, "Content-Type": "application/json", "Idempotency-Key": `bench-${fixture.eventId}-${offset + i}` },
    body: orderBody(fixture, offset + i),
  });
  // The baseline carries the same request body, so both sides move the same bytes.
  const baselineCall = (path: string, object: string) => (i: number): Call => ({
    method: "POST",
    path: `${path}?object=${object}`,
    headers: { "Content-Type": "application/json" },
    body: orderBody(event, i),
  });
  const directCall = (fixture: Fixture) => (i: number): Call => ({
    method: "POST",
    path: `/hold?event_id=${fixture.eventId}`,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ config_id: fixture.configId, quantity: quantities[i], user_id: buyers[i]!.userId }),
  });

  // A cart of three lines, each naming its seats: cart i takes seats i (and 2i, 2i + 1 on the two-seat line), free by construction.
  const cartCall = (fixture: CartFixture, offset = 0) => (i: number): Call => ({
    method: "POST",
    path: `/v1/events/${fixture.eventId}/orders`,
    headers: { Authorization: `Bearer ${buyers[offset + i]!.token}`, "Content-Type": "application/json", "Idempotency-Key": `bench-${fixture.eventId}-${offset + i}` },
    body: JSON.stringify({
      lines: fixture.lines.map((l) => ({ config_id: l.configId, quantity: l.perCart, seat_ids: l.seats.slice(i * l.perCart, (i + 1) * l.perCart) })),
    }),
  });

  // ── warm-up: JIT, isolates and both Durable Object classes, on objects not measured ──
  await measure(appUrl, WARMUP, orderCall(warmupEvent, ATTEMPTS));
  if (warmupCartEvent) await measure(appUrl, WARMUP, cartCall(warmupCartEvent, ATTEMPTS));
  await measure(baselineUrl, WARMUP, baselineCall("/write", "warmup"));
  await measure(baselineUrl, WARMUP, baselineCall("/echo", "warmup"));
  await measure(helperUrl, WARMUP, directCall(warmupEvent));

  // ── measured phases ────────────────────────────────────────────────────
  log("");
  log("  phase                                  count       time       rate      latency (p50, p99)");
  const baseline1 = await measure(baselineUrl, ATTEMPTS, baselineCall("/write", "bench-1"));
  const echo = await measure(baselineUrl, ATTEMPTS, baselineCall("/echo", "bench-1"));
  const orders = await measure(appUrl, ATTEMPTS, orderCall(event));
  const direct = await measure(helperUrl, ATTEMPTS, directCall(directEvent));
  const carts = cartEvent ? await measure(appUrl, ATTEMPTS, cartCall(cartEvent)) : null;
  // A second baseline after the orders; the faster one counts (the stricter ratio).
  const baseline2 = await measure(baselineUrl, ATTEMPTS, baselineCall("/write", "bench-2"));

  const b1 = describe("baseline: Worker → DO, 1-row write", baseline1);
  const b2 = describe("baseline again, after the orders", baseline2);
  describe("echo: Worker → DO, no write", echo);
  describe("orders: every attempt", orders);
  const { accepted, windowMs } = holdsOf(orders);
  const holds = describe("orders: accepted holds (201)", orders, accepted, windowMs);
  log(`    outcomes: ${outcomes(orders.samples)}`);
  const directHolds = holdsOf(direct);
  describe("EventDO.placeOrder alone: holds (201)", direct, directHolds.accepted, directHolds.windowMs);
  log(`    (helper Worker → EventDO.placeOrder on another event: no auth, no D1 reads; outcomes ${outcomes(direct.samples)})`);
  let cartSummary: { holds: Stats; ratio: number; seatsHeldTwice: number; consistent: boolean } | null = null;
  if (carts && cartEvent) {
    const cartHolds = holdsOf(carts);
    const cartStats = describe("carts: 3 lines, 4 seats (201)", carts, cartHolds.accepted, cartHolds.windowMs);
    log(`    outcomes: ${outcomes(carts.samples)}`);
    const seatsHeld = cartHolds.accepted.flatMap((s) => (JSON.parse(s.body) as { lines: { seat_ids: string[] }[] }).lines.flatMap((l) => l.seat_ids));
    const seatsHeldTwice = seatsHeld.length - new Set(seatsHeld).size;
    const snapshot = (await (await fetch(new URL(`/v1/events/${cartEvent.eventId}/seats`, appUrl))).json()) as { seats: [string, string][] };
    const heldInObject = snapshot.seats.filter(([, status]) => status === "HELD").length;
    const consistent = seatsHeld.length === 4 * cartHolds.accepted.length && heldInObject === seatsHeld.length;
    log(`    seats: ${seatsHeld.length} held by ${cartHolds.accepted.length} carts, ${heldInObject} HELD in the EventDO, held twice ${seatsHeldTwice}; ${consistent ? "agree" : "DISAGREE"}`);
    cartSummary = { holds: cartStats, ratio: cartStats.perSecond / holds.perSecond, seatsHeldTwice, consistent };
    log(`    cart holds/s ÷ single-line order holds/s: ${round(cartSummary.ratio, 3)} (target ≥ 0.5)`);
  }
  for (const [name, r] of [["baseline", baseline1], ["echo", echo], ["baseline again", baseline2]] as const) {
    if (r.samples.some((s) => s.status >= 300 || s.status === 0)) log(`    ${name} outcomes: ${outcomes(r.samples)}`);
  }

  // ── oversell check, on both sold-out objects: the EventDO through the API, then its projection in D1 ──
  log("");
  const checks = [await checkInventory("orders", appUrl, db, event, accepted), await checkInventory("direct", appUrl, db, directEvent, directHolds.accepted)];
  const oversold = Math.max(...checks.map((c) => c.oversold));
  const consistent = checks.every((c) => c.consistent);
  if (!orders.samples.some((s) => s.status === 409)) log("  note: the sale did not sell out; raise --attempts or lower --units to reach the sold-out edge");

  if (opts.profile) {
    await profile(bench.workerd, bench.scripts, { appUrl, helperUrl, baselineUrl }, buyers, measure, createEvent);
  }

  const baselinePerS = Math.max(b1.perSecond, b2.perSecond);
  const ratio = holds.perSecond / baselinePerS;
  const failures = [baseline1, echo, baseline2, orders, direct, ...(carts ? [carts] : [])].flatMap((r) => r.samples).filter((s) => s.status === 0 || s.status >= 500).length;
  log("");
  log(
    `  holds/s ${round(holds.perSecond)}, baseline/s ${round(baselinePerS)}: ratio ${round(ratio, 3)} (target ≥ 0.5); ` +
      `hold latency p50 ${round(holds.p50, 1)} ms, p99 ${round(holds.p99, 1)} ms; oversold ${oversold}`,
  );
  if (workerLogs.length) log(`  worker errors/warnings: ${workerLogs.length}; first: ${workerLogs[0]!.slice(0, 300)}`);
  if (failures || !consistent || oversold || (cartSummary && (!cartSummary.consistent || cartSummary.seatsHeldTwice > 0))) process.exitCode = 1;
  log(`  total ${((performance.now() - started) / 1000).toFixed(1)} s${failures ? `; ${failures} failed requests (5xx or connection)` : ""}`);
  log(
    JSON.stringify({
      holds_per_s: round(holds.perSecond),
      baseline_per_s: round(baselinePerS),
      ratio: round(ratio, 3),
      p50_ms: round(holds.p50, 2),
      p99_ms: round(holds.p99, 2),
      oversold,
      ...(cartSummary
        ? {
            cart_holds_per_s: round(cartSummary.holds.perSecond),
            cart_ratio: round(cartSummary.ratio, 3),
            cart_p50_ms: round(cartSummary.holds.p50, 2),
            cart_p99_ms: round(cartSummary.holds.p99, 2),
            seats_held_twice: cartSummary.seatsHeldTwice,
          }
        : {}),
    }),
  );
}

const APP_STAGES: Stage[] = [
  { label: "authenticate (JWT verify + revocation feed)", module: "src/auth/middleware.ts", fn: "authenticate" },
  { label: "orders service (sale context; no D1 read for plain prices)", module: "src/orders/service.ts", fn: "orderTickets" },
  { label: "getDb = drizzle(d1, { schema }), every call (auth + service)", module: "src/db/client.ts", fn: "getDb" },
  { label: "EventDO hold decision (decideHold: checks, price, writes)", module: "durable-objects/event/orders.ts", fn: "decideHold" },
  { label: "EventDO alarm: outbox → D1 projection", module: "durable-objects/event/projection.ts", fn: "drainOutbox" },
];

function printBreakdown(name: string, breakdown: CpuBreakdown, requests: number, worker: string) {
  const idle = breakdown.modules.find((m) => m.name === "(idle)")?.ms ?? 0;
  const busy = breakdown.wallMs - idle;
  const per = (ms: number) => `${(ms / requests).toFixed(3).padStart(7)} ms`;
  const share = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  log(`    ${name}: the ${worker} isolate is busy ${(busy / requests).toFixed(2)} ms per request (${((busy / breakdown.wallMs) * 100).toFixed(0)}% of the wall time)`);
  if (breakdown.stages.length) {
    log("    by stage (inclusive, per request):");
    for (const s of breakdown.stages) log(`      ${per(s.ms)} ${share(s.ms)}  ${s.label}`);
  }
  log("    by package (self, per request):");
  for (const p of breakdown.packages.filter((p) => p.name !== "(idle)").slice(0, 10)) log(`      ${per(p.ms)} ${share(p.ms)}  ${p.name}`);
  log("    hottest functions (self, per request):");
  for (const f of breakdown.functions.filter((f) => !f.name.startsWith("(idle)")).slice(0, 10)) log(`      ${per(f.ms)} ${share(f.ms)}  ${f.name}`);
}

/**
 * --profile: where an order's time goes. Routes that each add one layer of the
 * order path, then CPU profiles (V8 sampling, through the inspector) of the
 * app isolate during an order run, of the direct EventDO run and of the
 * baseline, each on a fresh object of the same size.
 */
async function profile(
  platform: Workerd,
  bundles: { app: string; helper: string; baseline: string },
  urls: { appUrl: URL; helperUrl: URL; baselineUrl: URL },
  buyers: Buyer[],
  measure: (base: URL, count: number, call: (i: number) => Call) => Promise<Measured>,
  createEvent: (units: number) => Promise<Fixture>,
) {
  const event = await createEvent(UNITS);
  const availability = (auth: boolean) => (i: number): Call => ({
    method: "GET",
    path: `/v1/events/${event.eventId}/availability`,
    headers: auth ? { Authorization: `Bearer ${buyers[i]!.token}` } : {},
  });
  log("");
  log("  profile: one layer at a time");
  describe("GET availability (Worker → DO read)", await measure(urls.appUrl, ATTEMPTS, availability(false)));
  describe("  same, signed in (JWT + D1 session)", await measure(urls.appUrl, ATTEMPTS, availability(true)));

  const inspector = await platform.mf.getInspectorURL();
  const profiled = async (name: string, worker: string, bundlePath: string, stages: Stage[], base: URL, call: (i: number) => Call) => {
    const cpu = await startCpuProfile(inspector, worker, bundlePath, stages);
    const result = await measure(base, ATTEMPTS, call);
    const breakdown = await cpu.stop();
    describe(`${name} (profiled)`, result);
    printBreakdown(name, breakdown, result.samples.length, worker);
    return result;
  };
  const body = (i: number) => ({ config_id: event.configId, quantity: 1 + (i % 4) });
  const orders = await profiled("orders", "app", bundles.app, APP_STAGES, urls.appUrl, (i) => ({
    method: "POST",
    path: `/v1/events/${event.eventId}/orders`,
    headers: { Authorization: `Bearer ${buyers[i]!.token}`, "Content-Type": "application/json", "Idempotency-Key": `profile-${event.eventId}-${i}` },
    body: JSON.stringify(body(i)),
  }));
  // By quarter of the attempts: a falling rate means the per-order cost grows with the data.
  const sorted = [...orders.samples].sort((a, b) => a.startMs - b.startMs);
  const quarter = Math.ceil(sorted.length / 4);
  const rates = [0, 1, 2, 3].map((q) => {
    const part = sorted.slice(q * quarter, (q + 1) * quarter);
    if (part.length < 2) return "–";
    return `${round(part.length / ((Math.max(...part.map((s) => s.startMs + s.ms)) - part[0]!.startMs) / 1000))}/s`;
  });
  log(`    order rate by quarter of the attempts: ${rates.join(", ")}`);
  const direct = await createEvent(UNITS);
  // The EventDO runs in the app's isolate, whoever calls it.
  await profiled("EventDO.placeOrder alone", "app", bundles.app, APP_STAGES.slice(3), urls.helperUrl, (i) => ({
    method: "POST",
    path: `/hold?event_id=${direct.eventId}`,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...body(i), config_id: direct.configId, user_id: buyers[i]!.userId }),
  }));
  await profiled("baseline write", "baseline", bundles.baseline, [{ label: "BaselineDO.write", module: "bench/baseline-worker.ts", fn: "write" }], urls.baselineUrl, (i) => ({
    method: "POST",
    path: "/write?object=profile",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body(i)),
  }));
}

runBench("bench:orders", WATCHDOG_MS, main);
