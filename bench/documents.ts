/**
 * `npm run bench:documents`: CPU per rendered document, through the app
 * Worker over HTTP on workerd (Miniflare directly), each request drawing a
 * document not cached before (a fresh right or order each time, so every
 * request renders): a one-ticket A4 PDF, a 10-ticket order as one PDF, and
 * an Apple Wallet pass (signed with a throwaway CA chain). The baseline,
 * measured in the same run, is the route that hands a holder their signed
 * QR token (`GET /v1/me/access-rights/{id}/token`: authentication, D1 and
 * the EventDO, as every document route does, without drawing anything).
 * CPU is the whole workerd process's (isolate, SQLite, R2, I/O), read from
 * /proc before and after each phase of sequential requests.
 *
 * Options: --count 20 (documents per phase).
 * The last line of the output is one JSON object:
 * {"pdf_cpu_ms", "order10_cpu_ms", "pkpass_cpu_ms", "cached_pdf_cpu_ms", "baseline_cpu_ms", "pdf_ratio", "order10_ratio", "pkpass_ratio", "pdf_wall_p50_ms", "pdf_bytes", "order10_bytes", "pkpass_bytes"}.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { signJwt } from "../src/lib/crypto/jwt.ts";
import { walletTestIdentity } from "../test/support/wallet-certs.ts";
import { workerdCpuMs } from "./lib/cpu-profile.ts";
import { round } from "./lib/load.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { startBenchPlatform, type BenchPlatform } from "./lib/workerd.ts";

const { values: opts } = parseArgs({ options: { count: { type: "string", default: "20" } } });
const COUNT = Number(opts.count);
const WARMUP = 3;
const log = (line = "") => console.log(line);

interface Seed {
  eventId: string;
  configId: string;
  holder: { id: string; token: string };
}

async function seed(platform: BenchPlatform, signingKeys: string): Promise<Seed> {
  const { db } = platform;
  const [organizerId, holderId, sessionId, venueId, zoneId, eventId, typeId, configId] = Array.from({ length: 8 }, () => randomUUID()) as [string, string, string, string, string, string, string, string];
  const startsAt = Date.now() + 7 * 86_400_000;
  await db.batch([
    db.prepare("INSERT INTO users (id, email, first_name, last_name, role) VALUES (?, ?, 'Espérance', 'Sportive de Tunis', 'ORGANIZER')").bind(organizerId, `${organizerId}@bench.test`),
    db.prepare("INSERT INTO users (id, email, first_name, last_name) VALUES (?, ?, 'Karim', 'Ben Salah')").bind(holderId, `${holderId}@bench.test`),
    db.prepare("INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (?, ?, ?)").bind(sessionId, holderId, new Date(Date.now() + 86_400_000).toISOString()),
    db.prepare("INSERT INTO venues (id, name, city, country, timezone, owner_id) VALUES (?, 'Stade Hammadi Agrebi', 'Radès', 'TN', 'Africa/Tunis', ?)").bind(venueId, organizerId),
    db.prepare("INSERT INTO venue_zones (id, venue_id, code, name, category, capacity) VALUES (?, ?, 'virage_nord', 'Virage Nord', 'STANDARD', 50000)").bind(zoneId, venueId),
    db
      .prepare(
        `INSERT INTO events (id, title, starts_at, ends_at, doors_open_at, timezone, venue_id, venue_name, organizer_id, created_by, access_type, price, currency, status, ticketing_enabled)
         VALUES (?, 'Espérance – Club Africain', ?, ?, ?, 'Africa/Tunis', ?, 'Stade Hammadi Agrebi', ?, ?, 'PAID', 15500, 'TND', 'APPROVED', 1)`,
      )
      .bind(eventId, new Date(startsAt).toISOString(), new Date(startsAt + 3 * 3600_000).toISOString(), new Date(startsAt - 2 * 3600_000).toISOString(), venueId, organizerId, organizerId),
    db.prepare("INSERT INTO ticket_types (id, code, name, base_price, currency, default_zone_category, max_per_transaction, organizer_id) VALUES (?, ?, 'Pelouse', 15500, 'TND', 'STANDARD', 10, ?)").bind(typeId, `PELOUSE-${typeId.slice(0, 8)}`, organizerId),
    db.prepare("INSERT INTO event_ticket_config (id, event_id, ticket_type_id, price, currency, quantity_total, quantity_blocked) VALUES (?, ?, ?, 15500, 'TND', 100000, 0)").bind(configId, eventId, typeId),
  ]);
  const sync = await fetch(new URL(`/sync?event_id=${eventId}`, platform.helperUrl), { method: "POST" });
  if (sync.status !== 204) throw new Error(`sync failed: ${sync.status} ${await sync.text()}`);
  const token = await signJwt(signingKeys, { sub: holderId, sid: sessionId, role: "USER" }, 3600, "at+jwt");
  return { eventId, configId, holder: { id: holderId, token } };
}

/** A confirmed order of `quantity` for the holder, projected to D1: its id and rights. */
async function order(platform: BenchPlatform, s: Seed, quantity: number): Promise<{ orderId: string; rights: string[] }> {
  const helper = (path: string, body: unknown) => fetch(new URL(`${path}?event_id=${s.eventId}`, platform.helperUrl), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const hold = await helper("/hold", { config_id: s.configId, quantity, user_id: s.holder.id });
  if (hold.status !== 201) throw new Error(`hold failed: ${hold.status} ${await hold.text()}`);
  const { id } = (await hold.json()) as { id: string };
  const confirmed = await helper("/confirm", { order_id: id });
  if (confirmed.status !== 201) throw new Error(`confirm failed: ${confirmed.status} ${await confirmed.text()}`);
  const rights = ((await confirmed.json()) as { id: string }[]).map((r) => r.id);
  await helper("/flush", {});
  return { orderId: id, rights };
}

interface Phase {
  cpuMs: number | null;
  p50Ms: number;
  bytes: number;
}

/** GETs each path once, in sequence, and reads workerd's CPU around the whole phase. */
async function phase(platform: BenchPlatform, token: string, paths: string[], expectType: string): Promise<Phase> {
  const walls: number[] = [];
  let bytes = 0;
  const before = workerdCpuMs();
  for (const path of paths) {
    const started = performance.now();
    const res = await fetch(new URL(path, platform.appUrl), { headers: { Authorization: `Bearer ${token}` } });
    const body = new Uint8Array(await res.arrayBuffer());
    walls.push(performance.now() - started);
    if (res.status !== 200 || !(res.headers.get("Content-Type") ?? "").startsWith(expectType)) throw new Error(`${path}: ${res.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
    bytes = body.length;
  }
  const after = workerdCpuMs();
  walls.sort((a, b) => a - b);
  return { cpuMs: before === null || after === null ? null : (after - before) / paths.length, p50Ms: walls[Math.floor(walls.length / 2)]!, bytes };
}

runBench("bench:documents", 15 * 60_000, async (run: BenchRun) => {
  const secrets = { ...generateSecrets("bench-documents"), ...(await walletTestIdentity()), APPLE_PASS_TYPE_ID: "pass.dev.edge-events.bench", APPLE_TEAM_ID: "BENCHTEAM1" };
  const { dir } = run;
  const platform = await startBenchPlatform(secrets, dir, { onLog: (line) => run.workerLogs.push(line), onStarted: (w) => (run.running = w) });
  const s = await seed(platform, secrets.JWT_SIGNING_KEYS);
  log(`bench:documents: ${COUNT} documents per phase, each drawn fresh (a new right or order each time), sequential`);
  const singles = await Promise.all(Array.from({ length: 3 * COUNT + 3 * WARMUP }, () => order(platform, s, 1)));
  const tens = [];
  for (let i = 0; i < COUNT + WARMUP; i++) tens.push(await order(platform, s, 10));
  const take = (from: number, n: number) => singles.slice(from, from + n).map((o) => o.rights[0]!);

  // Warm the isolate (fonts parsed, shaping tables loaded, keys imported) before any phase is measured.
  await phase(platform, s.holder.token, take(0, WARMUP).map((id) => `/v1/me/access-rights/${id}/ticket.pdf`), "application/pdf");
  await phase(platform, s.holder.token, take(WARMUP, WARMUP).map((id) => `/v1/me/access-rights/${id}/wallet.pkpass`), "application/vnd.apple.pkpass");
  await phase(platform, s.holder.token, tens.slice(0, WARMUP).map((o) => `/v1/events/${s.eventId}/orders/${o.orderId}/tickets.pdf`), "application/pdf");

  const rightsForBaseline = take(2 * WARMUP, COUNT);
  const baseline1 = await phase(platform, s.holder.token, rightsForBaseline.map((id) => `/v1/me/access-rights/${id}/token`), "application/json");
  const pdf = await phase(platform, s.holder.token, take(2 * WARMUP + COUNT, COUNT).map((id) => `/v1/me/access-rights/${id}/ticket.pdf`), "application/pdf");
  const cached = await phase(platform, s.holder.token, take(2 * WARMUP + COUNT, COUNT).map((id) => `/v1/me/access-rights/${id}/ticket.pdf`), "application/pdf");
  const order10 = await phase(platform, s.holder.token, tens.slice(WARMUP).map((o) => `/v1/events/${s.eventId}/orders/${o.orderId}/tickets.pdf`), "application/pdf");
  const pkpass = await phase(platform, s.holder.token, take(2 * WARMUP + 2 * COUNT, COUNT).map((id) => `/v1/me/access-rights/${id}/wallet.pkpass`), "application/vnd.apple.pkpass");
  const baseline2 = await phase(platform, s.holder.token, rightsForBaseline.map((id) => `/v1/me/access-rights/${id}/token`), "application/json");

  const baseline = baseline1.cpuMs === null || baseline2.cpuMs === null ? null : (baseline1.cpuMs + baseline2.cpuMs) / 2;
  const show = (name: string, p: Phase) =>
    log(`  ${name.padEnd(34)} workerd CPU ${p.cpuMs === null ? "n/a" : `${p.cpuMs.toFixed(1).padStart(7)} ms`}  wall p50 ${p.p50Ms.toFixed(1).padStart(7)} ms  ${String(p.bytes).padStart(8)} bytes`);
  show("baseline: signed QR token (before)", baseline1);
  show("one-ticket A4 PDF", pdf);
  show("the same PDFs again (from R2)", cached);
  show("10-ticket order, one PDF", order10);
  show("Apple Wallet .pkpass", pkpass);
  show("baseline: signed QR token (after)", baseline2);
  const ratio = (p: Phase) => (p.cpuMs === null || baseline === null ? null : round(p.cpuMs / baseline, 2));
  log(`  per-document CPU over the baseline: PDF ×${ratio(pdf)}, 10-ticket order ×${ratio(order10)} (×${order10.cpuMs === null || baseline === null ? "n/a" : round(order10.cpuMs / 10 / baseline, 2)} per ticket), pkpass ×${ratio(pkpass)}`);
  log(
    JSON.stringify({
      pdf_cpu_ms: pdf.cpuMs === null ? null : round(pdf.cpuMs, 1),
      order10_cpu_ms: order10.cpuMs === null ? null : round(order10.cpuMs, 1),
      pkpass_cpu_ms: pkpass.cpuMs === null ? null : round(pkpass.cpuMs, 1),
      cached_pdf_cpu_ms: cached.cpuMs === null ? null : round(cached.cpuMs, 1),
      baseline_cpu_ms: baseline === null ? null : round(baseline, 2),
      pdf_ratio: ratio(pdf),
      order10_ratio: ratio(order10),
      pkpass_ratio: ratio(pkpass),
      pdf_wall_p50_ms: round(pdf.p50Ms, 1),
      pdf_bytes: pdf.bytes,
      order10_bytes: order10.bytes,
      pkpass_bytes: pkpass.bytes,
    }),
  );
});
