/**
 * The reference gate client (scripts/gate-client) against the platform on
 * workerd, over real sockets, with its network in between (NetworkLink):
 * online scans, the link cut and stalled, workerd restarted as by a deploy,
 * and the CLI itself. Every scan must end up in access_control_log once.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSecrets } from "../../scripts/secrets.ts";
import { GateClient, type GateClientOptions, type GateEvent } from "../../scripts/gate-client/client.ts";
import { flushProjection, issueGateRights, nameAttendee, seedGateEvent, type GateSeed } from "../../bench/lib/gate-fixture.ts";
import { applyMigrations, appWorker, bundle, ROOT, startWorkerd, tempDir, type Workerd } from "../../bench/lib/workerd.ts";
import { NetworkLink } from "./network-link.ts";

const secrets = generateSecrets("e2e-key");
let dir: string;
let platform: Workerd;
let db: D1Database;
let helperUrl: URL;
let link: NetworkLink;
const clients: GateClient[] = [];

beforeAll(async () => {
  dir = tempDir("edge-events-e2e-");
  const [appScript, helperScript] = await Promise.all([bundle("src/index.ts", dir), bundle("bench/lib/helper-worker.ts", dir)]);
  const app = appWorker("app", appScript, secrets);
  platform = await startWorkerd([
    app,
    {
      name: "helper",
      scriptPath: helperScript,
      modules: true,
      compatibilityDate: app.compatibilityDate,
      compatibilityFlags: app.compatibilityFlags,
      bindings: app.bindings,
      d1Databases: app.d1Databases,
      durableObjects: { EVENT_DO: { className: "EventDO", scriptName: "app", useSQLite: true } },
    },
  ]);
  await bindPlatform();
  await applyMigrations(db);
  link = new NetworkLink(() => platform.url("app"));
  await link.up();
});

/** Handles on workerd, taken again after a restart (Miniflare's old stubs and ports are gone). */
async function bindPlatform() {
  db = (await platform.mf.getD1Database("DB", "app")) as unknown as D1Database;
  helperUrl = await platform.url("helper");
}

afterAll(async () => {
  for (const client of clients) client.stop();
  await link?.cut();
  await platform?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Callers of `until` waiting for a gate client to report something: its state only changes with an event. */
let waiting: (() => void)[] = [];
const reported = () => {
  for (const wake of waiting.splice(0)) wake();
};

/** Resolves once `check` holds, re-checked on every event of a gate client; fails after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    const left = deadline - Date.now();
    const woke =
      left > 0 &&
      (await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), left);
        waiting.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }));
    if (!woke) throw new Error(`timed out waiting for ${what}`);
  }
}

function gateClient(seed: GateSeed, events: GateEvent[], options: Partial<GateClientOptions> = {}) {
  const client = new GateClient({
    url: link.url,
    eventId: seed.eventId,
    token: seed.controller.token,
    deviceId: "SCANNER-A01",
    accessPointId: seed.gates[0]!,
    backoff: { baseMs: 50, capMs: 400 },
    answerTimeoutMs: 1_500,
    onEvent: (event) => {
      events.push(event);
      reported();
    },
    ...options,
  });
  clients.push(client);
  return client;
}

/** The event's scan log in D1, after the EventDO projected everything. */
async function scanLog(eventId: string) {
  await flushProjection(helperUrl, eventId);
  const { results } = await db
    .prepare("SELECT nonce, status, denial_reason, device_id, was_offline, is_conflict FROM access_control_log WHERE event_id = ? ORDER BY timestamp")
    .bind(eventId)
    .all<{ nonce: string; status: string; denial_reason: string | null; device_id: string; was_offline: number; is_conflict: number }>();
  return results;
}

/** Another gate of the event scanning over HTTP, straight to workerd (its network is fine). */
async function scanElsewhere(seed: GateSeed, qr: string) {
  const res = await fetch(new URL(`/v1/events/${seed.eventId}/scans`, await platform.url("app")), {
    method: "POST",
    headers: { Authorization: `Bearer ${seed.controller.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ id: crypto.randomUUID(), qr, action: "ENTRY", scan_method: qr.startsWith("E1.") ? "QR_SCANNER" : "MANUAL_ENTRY", scanned_at: new Date().toISOString(), device_id: "OTHER-GATE", access_point_id: seed.gates[1] ?? seed.gates[0] }),
  });
  return (await res.json()) as { status: string };
}

describe("gate client against workerd", () => {
  it("scans online over the socket: admits once, refuses the second presentation, by token or printed code", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const rights = await issueGateRights(db, helperUrl, seed, 3);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events);
    await client.start();
    await until(() => client.online, "the socket");
    expect(events.map((e) => e.type).slice(0, 2)).toEqual(["bundle", "connected"]);

    expect(await client.scan(rights[0]!.token)).toMatchObject({ mode: "online", status: "SUCCESS", access_right_id: rights[0]!.id, zone_id: seed.zoneId });
    expect(await client.scan(rights[0]!.qr_code.toLowerCase())).toMatchObject({ mode: "online", status: "DENIED", denial_reason: "ALREADY_USED" });
    expect(await client.scan(rights[1]!.qr_code)).toMatchObject({ mode: "online", status: "SUCCESS" });
    expect(await client.scan(rights[1]!.token, "EXIT")).toMatchObject({ mode: "online", status: "SUCCESS" });
    expect(await client.scan("E1.nonsense")).toMatchObject({ mode: "online", status: "DENIED", denial_reason: "INVALID_QR" });
    await until(() => events.some((e) => e.type === "occupancy" && e.zones.some((z) => z.occupancy === 1)), "an occupancy broadcast");
    client.stop();

    const log = await scanLog(seed.eventId);
    expect(log).toHaveLength(5);
    expect(log.every((row) => row.was_offline === 0 && row.device_id === "SCANNER-A01")).toBe(true);
  });

  it("the gate socket declines permessage-deflate, offered as Node and browsers offer it, by a device or a browser's subprotocols", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const base = await platform.url("app");
    const gateUrl = new URL(`/v1/events/${seed.eventId}/gate?device_id=SCANNER-X&access_point_id=${seed.gates[0]}`, base);
    gateUrl.protocol = "ws:";
    const NodeWebSocket = globalThis.WebSocket as unknown as new (url: string, init: { headers?: Record<string, string>; protocols?: string[] }) => WebSocket;
    const open = (init: { headers?: Record<string, string>; protocols?: string[] }) =>
      new Promise<{ extensions: string | null; protocol: string | null }>((resolve, reject) => {
        const ws = new NodeWebSocket(gateUrl.href, init);
        ws.addEventListener("error", () => reject(new Error("the socket did not open")), { once: true });
        ws.addEventListener("message", (event) => {
          if (!String(event.data).includes('"type":"hello"')) return;
          resolve({ extensions: ws.extensions, protocol: ws.protocol });
          ws.close(1000);
        });
      });
    // undici offers `permessage-deflate; client_max_window_bits` on every socket, as browsers do.
    expect(await open({ headers: { Authorization: `Bearer ${seed.controller.token}` } })).toEqual({ extensions: "", protocol: "" });
    expect(await open({ protocols: ["edge-events.gate.v2", `bearer.${seed.controller.token}`] })).toEqual({ extensions: "", protocol: "edge-events.gate.v2" });
  });

  it("network cut: decides offline from the bundle, reconnects with backoff, uploads once; a double admission is flagged", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, { gates: 2 });
    const rights = await issueGateRights(db, helperUrl, seed, 6);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events);
    await client.start();
    await until(() => client.online, "the socket");
    expect(await client.scan(rights[0]!.token)).toMatchObject({ mode: "online", status: "SUCCESS" });

    await link.cut();
    await until(() => !client.online, "the gate to notice");
    // Meanwhile the other gate, still online, admits right 3.
    expect(await scanElsewhere(seed, rights[3]!.token)).toMatchObject({ status: "SUCCESS" });

    const tampered = rights[1]!.token.slice(0, 40) + (rights[1]!.token[40] === "A" ? "B" : "A") + rights[1]!.token.slice(41);
    const offline = [
      [rights[0]!.token, { status: "DENIED", denial_reason: "ALREADY_USED" }], // it saw this one go in, online
      [rights[1]!.token, { status: "SUCCESS" }],
      [rights[1]!.qr_code, { status: "DENIED", denial_reason: "ALREADY_USED" }], // its own offline admission, by the other form
      [tampered, { status: "DENIED", denial_reason: "INVALID_QR" }],
      ["ZZZZ-ZZZZ-ZZZZ", { status: "DENIED", denial_reason: "INVALID_QR" }],
      [rights[3]!.token, { status: "SUCCESS" }], // the gate cannot know the other gate let them in
    ] as const;
    for (const [qr, expected] of offline) expect(await client.scan(qr)).toMatchObject({ mode: "offline", ...expected });
    expect(client.queue.size).toBe(offline.length);
    await until(() => events.filter((e) => e.type === "retry").length >= 2, "reconnection attempts against the cut link");

    await link.up();
    expect(await client.drain(20_000)).toBe(true);
    expect(events.filter((e) => e.type === "retry").length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "connected")).toHaveLength(2);
    const synced = events.filter((e): e is Extract<GateEvent, { type: "synced" }> => e.type === "synced");
    expect(synced).toHaveLength(offline.length);
    expect(synced.filter((e) => e.conflict)).toHaveLength(1);
    client.stop();

    const log = await scanLog(seed.eventId);
    expect(log).toHaveLength(1 + 1 + offline.length);
    expect(new Set(log.map((row) => row.nonce)).size).toBe(log.length);
    expect(log.filter((row) => row.was_offline)).toHaveLength(offline.length);
    expect(log.filter((row) => row.is_conflict)).toEqual([expect.objectContaining({ device_id: "SCANNER-A01", status: "WARNING" })]);
    expect(log.filter((row) => row.status === "SUCCESS")).toHaveLength(3); // rights 0, 3 (elsewhere) and 1
  });

  it("an answer too slow to wait for: decided at the gate, the late answer settles it, recorded once", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const rights = await issueGateRights(db, helperUrl, seed, 2);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { answerTimeoutMs: 300 });
    await client.start();
    await until(() => client.online, "the socket");

    link.stall();
    const outcome = await client.scan(rights[0]!.token);
    expect(outcome).toMatchObject({ mode: "offline", status: "SUCCESS" });
    expect(client.queue.has(outcome.id)).toBe(true);
    link.resume();
    expect(await client.drain(10_000)).toBe(true);
    expect(events.find((e) => e.type === "synced")).toMatchObject({ id: outcome.id, status: "SUCCESS", conflict: false });
    expect(await client.scan(rights[0]!.token)).toMatchObject({ mode: "online", denial_reason: "ALREADY_USED" });
    client.stop();

    const log = await scanLog(seed.eventId);
    expect(log.filter((row) => row.nonce === outcome.id)).toHaveLength(1);
    expect(log).toHaveLength(2);
  });

  it("workerd restarted as by a deploy: the socket closes, the gate reconnects and resumes; offline scans meanwhile are uploaded", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const rights = await issueGateRights(db, helperUrl, seed, 3);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events);
    await client.start();
    await until(() => client.online, "the socket");
    expect(await client.scan(rights[0]!.token)).toMatchObject({ mode: "online", status: "SUCCESS" });

    const restarting = platform.restart();
    await until(() => !client.online, "the socket to close");
    const during = await client.scan(rights[1]!.token);
    expect(during).toMatchObject({ status: "SUCCESS" });
    await restarting;
    await bindPlatform();
    await until(() => client.online, "the gate to reconnect", 30_000);
    expect(await client.drain(20_000)).toBe(true);
    expect(await client.scan(rights[2]!.qr_code)).toMatchObject({ mode: "online", status: "SUCCESS" });
    expect(await client.scan(rights[0]!.qr_code)).toMatchObject({ mode: "online", denial_reason: "ALREADY_USED" });
    expect(events.map((e) => e.type)).toContain("disconnected");
    client.stop();

    const log = await scanLog(seed.eventId);
    expect(log).toHaveLength(4);
    expect(new Set(log.map((row) => row.nonce)).size).toBe(4);
    expect(log.filter((row) => row.status === "SUCCESS")).toHaveLength(3);
  });

  it("rotates an expired access token with the refresh token before reconnecting", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const [right] = await issueGateRights(db, helperUrl, seed, 1);
    const app = await platform.url("app");
    const email = `gate-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await fetch(new URL("/v1/auth/register", app), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: "correct horse battery staple", first_name: "Gate", last_name: "Keeper" }),
    });
    expect(registered.status).toBe(201);
    const { user, tokens } = (await registered.json()) as { user: { id: string }; tokens: { refresh_token: string } };
    await db.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'CONTROLLER')").bind(crypto.randomUUID(), seed.eventId, user.id).run();

    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { token: "expired.access.token", refreshToken: tokens.refresh_token });
    await client.start();
    await until(() => client.online, "the socket");
    expect(events.map((e) => e.type)).toContain("token_refreshed");
    expect(await client.scan(right!.token)).toMatchObject({ mode: "online", status: "SUCCESS" });
    client.stop();
    expect((await scanLog(seed.eventId))[0]).toMatchObject({ status: "SUCCESS" });
  });
});

describe("a server that refuses the gate", () => {
  /** The controller is staff of the event, assigned to its first gate only. */
  async function assignedToFirstGate(seed: GateSeed) {
    await db.prepare("UPDATE event_staff SET access_point_id = ? WHERE event_id = ? AND user_id = ?").bind(seed.gates[0], seed.eventId, seed.controller.id).run();
  }
  const refusals = (events: GateEvent[]) => events.filter((e): e is Extract<GateEvent, { type: "refused" }> => e.type === "refused");

  it("at another gate than the controller's: reports 403 wrong_gate, does not retry, and answers scans ERROR without deciding them offline", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, { gates: 2 });
    await assignedToFirstGate(seed);
    const [right] = await issueGateRights(db, helperUrl, seed, 1);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { accessPointId: seed.gates[1]! });
    await client.start();
    await until(() => refusals(events).length > 0, "the refusal");
    expect(refusals(events)).toEqual([expect.objectContaining({ status: 403, code: "wrong_gate", detail: "You are assigned to another gate.", retry_in_ms: null })]);
    expect(client.online).toBe(false);
    expect(client.refusal).toMatchObject({ status: 403, code: "wrong_gate" });

    const outcome = await client.scan(right!.token);
    expect(outcome).toMatchObject({ mode: "refused", status: "ERROR", denial_reason: null, warning: "gate refused: 403 wrong_gate: You are assigned to another gate." });
    expect(client.queue.size).toBe(0);
    expect(events.filter((e) => e.type === "retry" || e.type === "connected")).toEqual([]);
    client.stop();
    expect(await scanLog(seed.eventId)).toEqual([]);

    // At the gate it is assigned to, the same controller connects and scans.
    const atItsGate = gateClient(seed, [], { accessPointId: seed.gates[0]! });
    await atItsGate.start();
    await until(() => atItsGate.online, "the socket at the controller's gate");
    expect(await atItsGate.scan(right!.token)).toMatchObject({ mode: "online", status: "SUCCESS" });
    atItsGate.stop();
  });

  it("to someone who is not staff of the event: reports the bundle's 404 not_found and never opens the socket", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    await db.prepare("DELETE FROM event_staff WHERE event_id = ?").bind(seed.eventId).run();
    const events: GateEvent[] = [];
    const client = gateClient(seed, events);
    await client.start();
    expect(refusals(events)).toEqual([expect.objectContaining({ status: 404, code: "not_found", retry_in_ms: null })]);
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "refused", status: "ERROR" });
    expect(events.map((e) => e.type)).toEqual(["refused"]);
    client.stop();
  });

  it("with a token it does not accept and no refresh token: reports 401 invalid_token once", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { token: "not.a.token" });
    await client.start();
    expect(refusals(events)).toEqual([expect.objectContaining({ status: 401, code: "invalid_token", retry_in_ms: null })]);
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "refused" });
    client.stop();
  });

  it("refusing the socket itself (the bundle was served): probes the handshake for its status and code", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, { gates: 2 });
    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { accessPointId: seed.gates[1]! });
    await client.start();
    await until(() => client.online, "the socket");
    // Assigned elsewhere while connected: the next connection is refused after the bundle loads.
    await assignedToFirstGate(seed);
    await link.cut();
    await until(() => !client.online, "the gate to notice");
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "offline" }); // unreachable: an outage
    await link.up();
    await until(() => refusals(events).length > 0, "the refusal after the outage");
    expect(refusals(events)[0]).toMatchObject({ status: 403, code: "wrong_gate", retry_in_ms: null });
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "refused", status: "ERROR" });
    client.stop();
  });
});

describe("a server that cannot be reached or fails", () => {
  it("unreachable from the start: retries with backoff, decides scans offline (no refusal), and connects once the network is back", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const [right] = await issueGateRights(db, helperUrl, seed, 1);
    await link.cut();
    const events: GateEvent[] = [];
    const client = gateClient(seed, events);
    await client.start();
    await until(() => events.filter((e) => e.type === "retry").length >= 2, "two retries");
    expect(events.filter((e) => e.type === "retry")).toEqual(expect.arrayContaining([expect.objectContaining({ error: expect.stringMatching(/^cannot reach the server: /) })]));
    expect(events.some((e) => e.type === "refused")).toBe(false);
    expect(client.refusal).toBeNull();
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "offline" });
    await link.up();
    await until(() => client.online, "the socket once the network is back");
    expect(await client.scan(right!.token)).toMatchObject({ mode: "online", status: "SUCCESS" });
    client.stop();
  });

  /** A server answering every request with `status` (problem+json, and Retry-After when given); counts the requests. */
  async function failingServer(status: number, code: string, retryAfter?: number) {
    const server: Server = createServer((req, res) => {
      served.push(req.url ?? "");
      res.writeHead(status, { "Content-Type": "application/problem+json", ...(retryAfter === undefined ? {} : { "Retry-After": String(retryAfter) }) });
      res.end(JSON.stringify({ type: "about:blank", title: "Refused", status, code, detail: `a ${status}` }));
    });
    const served: string[] = [];
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, served, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it("a server error (503) is an outage: reported, retried with backoff, scans decided offline", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const server = await failingServer(503, "maintenance");
    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { url: server.url });
    await client.start();
    await until(() => events.filter((e) => e.type === "refused").length >= 2, "a retry after the 503");
    expect(events.filter((e) => e.type === "refused")[0]).toMatchObject({ status: 503, code: "maintenance", detail: "a 503", retry_in_ms: expect.any(Number) });
    expect(client.refusal).toBeNull();
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "offline" });
    client.stop();
    await server.close();
    expect(server.served.every((url) => url.startsWith(`/v1/events/${seed.eventId}/gate/bundle`))).toBe(true);
  });

  it("429: retried no sooner than Retry-After, scans answered ERROR meanwhile (the server answers: not an outage)", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const server = await failingServer(429, "rate_limited", 1);
    const events: GateEvent[] = [];
    const client = gateClient(seed, events, { url: server.url });
    await client.start();
    const refused = () => events.filter((e): e is Extract<GateEvent, { type: "refused" }> => e.type === "refused");
    expect(refused()).toEqual([expect.objectContaining({ status: 429, code: "rate_limited" })]);
    expect(refused()[0]!.retry_in_ms).toBeGreaterThanOrEqual(1000);
    expect(await client.scan("ABCD-EFGH-JKLM")).toMatchObject({ mode: "refused", status: "ERROR", warning: "gate refused: 429 rate_limited: a 429" });
    await until(() => refused().length >= 2, "the retry after Retry-After");
    expect(server.served.length).toBe(2);
    client.stop();
    await server.close();
  });
});

describe("npm run gate (the CLI)", () => {
  /** Runs the CLI on a file of scan lines; `during` runs as its output arrives. */
  function runCli(seed: GateSeed, lines: string[], extra: string[] = [], during?: (output: Record<string, any>[]) => void, stdin = false) {
    const text = `# lane 1\n${lines.join("\n")}\n`;
    const file = join(dir, `scans-${crypto.randomUUID()}.txt`);
    if (!stdin) writeFileSync(file, text);
    const args = ["scripts/gate-client/main.ts", "--url", link.url, "--event", seed.eventId, "--token", seed.controller.token, "--device", "CLI-1", "--access-point", seed.gates[0]!, ...(stdin ? [] : ["--file", file]), "--json", ...extra];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    child.stdin?.end(text);
    const output: Record<string, any>[] = [];
    let buffer = "";
    let errors = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) if (line.trim()) output.push(JSON.parse(line));
      during?.(output);
    });
    child.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    return new Promise<{ code: number | null; output: Record<string, any>[]; errors: string }>((resolve) => child.on("close", (code) => resolve({ code, output, errors })));
  }

  it("reads scans from a file, prints each result with the attendee's name, and exits 0 with nothing left to upload", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const rights = await issueGateRights(db, helperUrl, seed, 2);
    await nameAttendee(helperUrl, seed, rights[0]!, "Koffi Mensah");
    const run = await runCli(seed, [rights[0]!.token, "", rights[0]!.qr_code, `${rights[1]!.qr_code},CHECK`, "not a ticket", `${rights[0]!.token},EXIT`]);
    expect(run.errors).toBe("");
    expect(run.code).toBe(0);
    const results = run.output.filter((o) => o.event === "result");
    expect(results.map((r) => [r.mode, r.action, r.status, r.denial_reason])).toEqual([
      ["online", "ENTRY", "SUCCESS", null],
      ["online", "ENTRY", "DENIED", "ALREADY_USED"],
      ["online", "CHECK", "SUCCESS", null],
      ["online", "ENTRY", "DENIED", "INVALID_QR"],
      ["online", "EXIT", "SUCCESS", null],
    ]);
    // The steward sees who the named ticket admits; an unnamed one shows no name.
    expect(results[0]!.attendee_name).toBe("Koffi Mensah");
    expect(results[2]!.attendee_name).toBeUndefined();
    expect(await scanLog(seed.eventId)).toHaveLength(5);
  });

  it("reads scans from stdin, with an exit gate's default action", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const rights = await issueGateRights(db, helperUrl, seed, 1);
    const run = await runCli(seed, [`${rights[0]!.token},ENTRY`, rights[0]!.token], ["--action", "EXIT"], undefined, true);
    expect(run.code).toBe(0);
    expect(run.output.filter((o) => o.event === "result").map((r) => [r.mode, r.action, r.status])).toEqual([
      ["online", "ENTRY", "SUCCESS"],
      ["online", "EXIT", "SUCCESS"],
    ]);
  });

  it("prints the server's refusal with its status and code, answers each scan REFUSED, and exits 4", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, { gates: 2 });
    await db.prepare("UPDATE event_staff SET access_point_id = ? WHERE event_id = ?").bind(seed.gates[1], seed.eventId).run();
    const rights = await issueGateRights(db, helperUrl, seed, 1);
    const run = await runCli(seed, [rights[0]!.token, rights[0]!.qr_code]);
    expect(run.code).toBe(4);
    expect(run.output.filter((o) => o.event === "refused")).toEqual([expect.objectContaining({ status: 403, code: "wrong_gate", retry_in_ms: null })]);
    expect(run.output.filter((o) => o.event === "result").map((r) => [r.mode, r.status])).toEqual([
      ["refused", "ERROR"],
      ["refused", "ERROR"],
    ]);
    expect(run.output.some((o) => o.event === "unsynced")).toBe(false);
    expect(await scanLog(seed.eventId)).toEqual([]);
  });

  it("prints the refusal in text mode too", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS, { gates: 2 });
    await db.prepare("UPDATE event_staff SET access_point_id = ? WHERE event_id = ?").bind(seed.gates[1], seed.eventId).run();
    const child = spawn(process.execPath, ["scripts/gate-client/main.ts", "--url", link.url, "--event", seed.eventId, "--token", seed.controller.token, "--device", "CLI-2", "--access-point", seed.gates[0]!], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end("ABCD-EFGH-JKLM\n");
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(4);
    expect(out).toContain("# server refused the gate: 403 wrong_gate: You are assigned to another gate.; not retrying");
    expect(out).toMatch(/REFUSED\s+ENTRY\s+ERROR/);
  });

  it("keeps scanning through a network cut and uploads before it exits", async () => {
    const seed = await seedGateEvent(db, helperUrl, secrets.JWT_SIGNING_KEYS);
    const rights = await issueGateRights(db, helperUrl, seed, 6);
    let cut = false;
    let restored = false;
    const run = await runCli(seed, rights.map((r) => r.token), ["--pace-ms", "300"], (output) => {
      const results = output.filter((o) => o.event === "result").length;
      if (results >= 2 && !cut) {
        cut = true;
        void link.cut();
      }
      if (results >= 4 && !restored) {
        restored = true;
        void link.up();
      }
    });
    expect(run.errors).toBe("");
    expect(run.code).toBe(0);
    const results = run.output.filter((o) => o.event === "result");
    expect(results).toHaveLength(6);
    expect(results.every((r) => r.status === "SUCCESS")).toBe(true);
    expect(results.some((r) => r.mode === "offline")).toBe(true);
    const offline = results.filter((r) => r.mode === "offline").length;
    expect(run.output.filter((o) => o.event === "synced")).toHaveLength(offline);
    const log = await scanLog(seed.eventId);
    expect(log).toHaveLength(6);
    expect(log.filter((row) => row.was_offline)).toHaveLength(offline);
  });
});
