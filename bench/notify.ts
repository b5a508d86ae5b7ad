/**
 * `npm run bench:notify`: a campaign to 100,000 people through the real
 * notifications pipeline, against workerd served by Miniflare directly (the
 * bundled Worker, its D1 and its queues) and the loopback fakes of the
 * providers (scripts/fakes/notifications/). An admin creates the campaign
 * over HTTP; its steps expand the audience and release deliveries in queue
 * messages; the Worker's own `notifications` consumer sends each one to FCM
 * (one push per person, each with one registered device).
 * Beside it, in the same workerd, the baseline: a consumer that acknowledges
 * the same number of messages of the same shape without sending
 * (bench/notify-baseline-worker.ts), measured before and after the campaign.
 * Then the exactly-once check: every recipient has one SENT delivery in D1,
 * and the fake FCM received exactly one push per device, none twice.
 *
 * Options: --recipients 100000 --seconds 600 (caps the campaign).
 * The last line of the output is one JSON object:
 * {"recipients", "messages_per_s", "baseline_per_s", "ratio", "campaign_s", "sent", "pushes", "duplicates", "missing"}.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { generateSecrets } from "../scripts/secrets.ts";
import { startFakeNotificationProviders } from "../scripts/fakes/notifications/server.ts";
import { signJwt } from "../src/lib/crypto/jwt.ts";
import { round } from "./lib/load.ts";
import { type BenchRun, runBench } from "./lib/run.ts";
import { applyMigrations, appWorker, bundle, startWorkerd } from "./lib/workerd.ts";
import { workerdCpuMs } from "./lib/cpu-profile.ts";

const { values: opts } = parseArgs({
  options: {
    recipients: { type: "string", default: "100000" },
    seconds: { type: "string", default: "900" },
  },
});
const RECIPIENTS = Number(opts.recipients);
const CAMPAIGN_DEADLINE_MS = Number(opts.seconds) * 1000;
const IDS_PER_MESSAGE = 5; // src/notifications/messages.ts DELIVER_IDS_PER_MESSAGE
const WATCHDOG_MS = CAMPAIGN_DEADLINE_MS + 30 * 60_000;

const log = (line = "") => console.log(line);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everyone the campaign reaches: `n` accounts in one user group, each with one Android device registered for push. */
async function seedAudience(db: D1Database, n: number): Promise<string> {
  const groupId = randomUUID();
  await db.prepare("INSERT INTO user_groups (id, code, name) VALUES (?, 'BENCH', 'Bench audience')").bind(groupId).run();
  const CHUNK = 5_000;
  for (let i = 0; i < n; i += CHUNK) {
    const people = JSON.stringify(Array.from({ length: Math.min(CHUNK, n - i) }, (_, k) => ({ id: randomUUID(), n: i + k })));
    await db.batch([
      db.prepare("INSERT INTO users (id, email, first_name) SELECT json_extract(value, '$.id'), json_extract(value, '$.id') || '@bench.test', 'Fan' FROM json_each(?)").bind(people),
      db.prepare("INSERT INTO user_group_members (group_id, user_id) SELECT ?, json_extract(value, '$.id') FROM json_each(?)").bind(groupId, people),
      db
        .prepare("INSERT INTO push_tokens (id, user_id, token, platform) SELECT lower(hex(randomblob(16))), json_extract(value, '$.id'), 'bench-token-' || json_extract(value, '$.n'), 'ANDROID' FROM json_each(?)")
        .bind(people),
    ]);
  }
  return groupId;
}

/** An admin with an open session, and an access token signed with the Worker's key. */
async function seedAdmin(db: D1Database, signingKeys: string): Promise<string> {
  const [id, session] = [randomUUID(), randomUUID()];
  await db.batch([
    db.prepare("INSERT INTO users (id, email, first_name, role) VALUES (?, ?, 'Admin', 'ADMIN')").bind(id, `${id}@bench.test`),
    db.prepare("INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (?, ?, ?)").bind(session, id, new Date(Date.now() + 86_400_000).toISOString()),
  ]);
  return signJwt(signingKeys, { sub: id, sid: session, role: "ADMIN" }, 3 * 3600, "at+jwt");
}

/** The baseline: `messages` queued and acknowledged without sending; deliveries (ids) per second, first queued to last acknowledged. */
async function baseline(url: URL, messages: number): Promise<{ perSecond: number; seconds: number }> {
  const before = ((await (await fetch(new URL("/count", url))).json()) as { acked: number }).acked;
  const started = performance.now();
  const queued = await fetch(new URL(`/enqueue?messages=${messages}`, url), { method: "POST" });
  if (!queued.ok) throw new Error(`baseline enqueue: ${queued.status} ${await queued.text()}`);
  for (;;) {
    const { acked } = (await (await fetch(new URL("/count", url))).json()) as { acked: number };
    if (acked - before >= messages) break;
    if (performance.now() - started > CAMPAIGN_DEADLINE_MS) throw new Error(`baseline stalled at ${acked - before}/${messages}`);
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: (messages * IDS_PER_MESSAGE) / seconds, seconds };
}

async function main(run: BenchRun) {
  const started = performance.now();
  const secrets = generateSecrets("bench-key");
  const accounts = { CLOUDFLARE_ACCOUNT_ID: "bench-account", TWILIO_ACCOUNT_SID: "ACbench0000000000000000000000000000" };
  const fakes = await startFakeNotificationProviders({ secrets: { ...secrets, ...accounts } });
  const { dir } = run;
  try {
    log(`bench:notify: a campaign to ${RECIPIENTS} people, pushed through FCM's fake, vs a consumer that acknowledges without sending`);
    const [appScript, baselineScript] = await Promise.all([bundle("src/index.ts", dir), bundle("bench/notify-baseline-worker.ts", dir)]);
    const app = appWorker("app", appScript, {
      ...secrets,
      ...accounts,
      ...fakes.workerVars,
      // No throttle to speak of, so what is measured is the consumer: each step may release its maximum.
      CAMPAIGN_RATES: JSON.stringify({ EMAIL: 1e6, SMS: 1e6, PUSH: 1e6, IN_APP: 1e6 }),
      CAMPAIGN_MAX_RECIPIENTS: String(Math.max(RECIPIENTS, 200_000)),
    });
    const workerd = (run.running = await startWorkerd(
      [
        app,
        {
          name: "baseline",
          scriptPath: baselineScript,
          modules: true,
          compatibilityDate: app.compatibilityDate,
          compatibilityFlags: app.compatibilityFlags,
          durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
          queueProducers: { NOTIFY_BASELINE: { queueName: "notify-baseline" } },
          queueConsumers: { "notify-baseline": { maxBatchSize: 50, maxBatchTimeout: 1 } },
        },
      ],
      { onLog: (line) => run.workerLogs.push(line) },
    ));
    const db = (await workerd.mf.getD1Database("DB", "app")) as unknown as D1Database;
    await applyMigrations(db);
    const [appUrl, baselineUrl] = [await workerd.url("app"), await workerd.url("baseline")];
    const token = await seedAdmin(db, secrets.JWT_SIGNING_KEYS);
    const groupId = await seedAudience(db, RECIPIENTS);
    log(`  workerd via Miniflare: app on ${appUrl.host}, baseline on ${baselineUrl.host}; fakes on ${fakes.url}`);
    log(`  setup: D1 migrated, ${RECIPIENTS} people with a device each (${((performance.now() - started) / 1000).toFixed(1)} s)`);

    const messages = Math.ceil(RECIPIENTS / IDS_PER_MESSAGE);
    await baseline(baselineUrl, 500); // warm-up
    const base1 = await baseline(baselineUrl, messages);
    log(`  baseline: ${messages} messages (${messages * IDS_PER_MESSAGE} ids) acknowledged in ${base1.seconds.toFixed(1)} s: ${round(base1.perSecond)} deliveries/s`);

    // ── the campaign ──────────────────────────────────────────────────────
    const cpuBefore = workerdCpuMs();
    const campaignStarted = performance.now();
    const created = await fetch(new URL("/v1/campaigns", appUrl), {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "Bench: 100,000 people",
        channels: ["PUSH"],
        data: { title: "Nouvelle saison", message: "Les abonnements 2027 sont ouverts." },
        targeting: { audience: "ALL_USERS", user_group_id: groupId },
      }),
    });
    if (created.status !== 201) throw new Error(`campaign: ${created.status} ${await created.text()}`);
    const campaign = (await created.json()) as { id: string; recipient_count: number };
    let firstSentAt: number | null = null;
    let sent = 0;
    let status = "";
    for (let tick = 0; ; tick++) {
      const [batch] = (await db.prepare("SELECT status FROM notification_batches WHERE id = ?").bind(campaign.id).all<{ status: string }>()).results;
      const counts = (await db.prepare("SELECT status, count(*) AS n FROM message_deliveries WHERE batch_id = ? GROUP BY status").bind(campaign.id).all<{ status: string; n: number }>()).results;
      const by = Object.fromEntries(counts.map((c) => [c.status, c.n]));
      sent = by.SENT ?? 0;
      status = batch?.status ?? "?";
      if (sent > 0 && firstSentAt === null) firstSentAt = performance.now();
      if (tick % 10 === 0) log(`    ${((performance.now() - campaignStarted) / 1000).toFixed(0).padStart(4)} s  ${status.padEnd(11)} ${JSON.stringify(by)}`);
      if (status === "COMPLETED" || status === "FAILED" || status === "CANCELLED") break;
      if (performance.now() - campaignStarted > CAMPAIGN_DEADLINE_MS) throw new Error(`the campaign did not finish in ${opts.seconds} s (${sent} sent)`);
      await sleep(500);
    }
    const campaignSeconds = (performance.now() - campaignStarted) / 1000;
    const cpuAfter = workerdCpuMs();
    const sendingSeconds = (performance.now() - (firstSentAt ?? campaignStarted)) / 1000;
    const perSecond = sent / sendingSeconds;
    log(`  campaign ${status}: ${sent} pushes sent in ${campaignSeconds.toFixed(1)} s (${sendingSeconds.toFixed(1)} s from the first to the last): ${round(perSecond)} deliveries/s`);
    if (cpuBefore !== null && cpuAfter !== null) log(`    workerd CPU: ${((cpuAfter - cpuBefore) / sent).toFixed(3)} ms per delivery (the whole process: Worker, D1, queues)`);

    const base2 = await baseline(baselineUrl, messages);
    log(`  baseline again: ${round(base2.perSecond)} deliveries/s`);

    // ── exactly once ──────────────────────────────────────────────────────
    const [check] = (
      await db
        .prepare("SELECT count(*) AS rows, count(DISTINCT user_id) AS people, sum(status = 'SENT') AS sent FROM message_deliveries WHERE batch_id = ?")
        .bind(campaign.id)
        .all<{ rows: number; people: number; sent: number }>()
    ).results;
    const summary = (await (await fetch(`${fakes.url}/_control/summary`)).json()) as { push: { messages: number; recipients: number; max_per_recipient: number } };
    const duplicates = summary.push.messages - summary.push.recipients;
    const missing = RECIPIENTS - summary.push.recipients;
    log(`  D1: ${check!.rows} deliveries for ${check!.people} people, ${check!.sent} SENT; fake FCM: ${summary.push.messages} pushes to ${summary.push.recipients} devices, at most ${summary.push.max_per_recipient} to one`);
    const exact = check!.rows === RECIPIENTS && check!.people === RECIPIENTS && check!.sent === RECIPIENTS && duplicates === 0 && missing === 0 && summary.push.max_per_recipient === 1;
    log(`    every recipient got exactly one message: ${exact ? "yes" : "NO"}`);
    if (run.workerLogs.length) log(`  worker errors/warnings: ${run.workerLogs.length}; first: ${run.workerLogs[0]!.slice(0, 300)}`);
    if (!exact || status !== "COMPLETED") process.exitCode = 1;

    const baselinePerS = Math.max(base1.perSecond, base2.perSecond);
    log(`  total ${((performance.now() - started) / 1000).toFixed(1)} s`);
    log(
      JSON.stringify({
        recipients: RECIPIENTS,
        messages_per_s: round(perSecond),
        baseline_per_s: round(baselinePerS),
        ratio: round(perSecond / baselinePerS, 3),
        campaign_s: round(campaignSeconds),
        sent,
        pushes: summary.push.messages,
        duplicates,
        missing,
      }),
    );
  } finally {
    await fakes.close();
  }
}

runBench("bench:notify", WATCHDOG_MS, main);
