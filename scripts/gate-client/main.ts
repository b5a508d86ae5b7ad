/**
 * `npm run gate -- --url http://127.0.0.1:8787 --event <id> --token <controller access token>
 *   --device SCANNER-A01 --access-point <id> [--file scans.txt]`
 *
 * The reference gate device. Reads one scan per line from the file or from
 * stdin: `<scanned QR text or printed code>[,ENTRY|EXIT|RE_ENTRY|CHECK]`
 * (blank lines and `#` comments skipped), decides each one online or, with
 * the socket down, offline, prints the result, and before exiting uploads
 * what it decided offline. Exit code 3 if scans are still queued then (they
 * stay in --queue-file when one is given); 4 if the server refused the gate
 * (its status and problem code are printed, and its scans answered ERROR).
 *
 * Options: --refresh-token <t> (rotated when the access token expires),
 * --action EXIT (default action of lines without one), --queue-file <path>,
 * --json (one JSON object per line), --pace-ms <n> (pause between scans),
 * --answer-timeout-ms <n>, --drain-seconds <n> (default 30).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { SCAN_ACTIONS, type ScanAction } from "../../durable-objects/event/gate-protocol.ts";
import { describeRefusal, GateClient, type GateEvent, type Outcome } from "./client.ts";

const ACTIONS = new Set<string>(SCAN_ACTIONS);

export function parseLine(line: string, defaultAction: ScanAction): { qr: string; action: ScanAction } | null {
  const text = line.trim();
  if (!text || text.startsWith("#")) return null;
  const comma = text.lastIndexOf(",");
  const tail = comma > 0 ? text.slice(comma + 1).trim().toUpperCase() : "";
  if (ACTIONS.has(tail)) return { qr: text.slice(0, comma).trim(), action: tail as ScanAction };
  return { qr: text, action: defaultAction };
}

function describeOutcome(o: Outcome, qr: string): string {
  const verdict = o.status === "DENIED" || o.status === "ERROR" ? `${o.status} ${o.denial_reason ?? ""}`.trim() : o.status;
  const shown = qr.length > 24 ? `${qr.slice(0, 21)}…` : qr;
  return [
    new Date().toISOString(),
    o.mode.toUpperCase().padEnd(7),
    o.action.padEnd(8),
    verdict.padEnd(24),
    shown.padEnd(24),
    o.access_right_id ? `right ${o.access_right_id}` : "",
    o.attendee_name ? `name: ${o.attendee_name}` : "",
    o.warning ? `(${o.warning})` : "",
    `${o.ms.toFixed(1)} ms`,
  ]
    .filter(Boolean)
    .join("  ");
}

function describeEvent(e: GateEvent): string {
  switch (e.type) {
    case "connected":
      return "connected";
    case "disconnected":
      return `disconnected (${e.code}${e.reason ? ` ${e.reason}` : ""}); deciding offline, reconnecting in ${e.retry_in_ms} ms`;
    case "retry":
      return `reconnect attempt ${e.attempt} failed (${e.error}); next in ${e.retry_in_ms} ms`;
    case "bundle":
      return `offline bundle ${e.delta ? "delta" : "loaded"}: ${e.rights} rights, version ${e.version}`;
    case "synced":
      return `uploaded ${e.id}: decided ${e.offline_status} offline, recorded ${e.status}${e.denial_reason ? ` ${e.denial_reason}` : ""}${e.conflict ? " — CONFLICT" : ""} (${e.queued} still queued)`;
    case "dropped":
      return `server refused queued scan ${e.id}: ${e.detail}`;
    case "occupancy":
      return `occupancy ${e.zones.map((z) => `${z.name} ${z.occupancy}/${z.capacity}`).join(", ")}`;
    case "policy":
      return "policy changed; refreshing the bundle";
    case "token_refreshed":
      return "access token refreshed";
    case "refused":
      return `server refused the gate: ${describeRefusal(e)}; ${e.retry_in_ms === null ? "not retrying (this cannot succeed as it is)" : `retrying in ${e.retry_in_ms} ms`}`;
    case "error":
      return `error: ${e.message}`;
  }
}

async function main() {
  const { values: opts } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787" },
      event: { type: "string" },
      token: { type: "string" },
      "refresh-token": { type: "string" },
      device: { type: "string" },
      "access-point": { type: "string" },
      file: { type: "string" },
      action: { type: "string", default: "ENTRY" },
      "queue-file": { type: "string" },
      json: { type: "boolean", default: false },
      "pace-ms": { type: "string", default: "0" },
      "answer-timeout-ms": { type: "string", default: "2500" },
      "drain-seconds": { type: "string", default: "30" },
    },
  });
  const missing = ["event", "token", "device", "access-point"].filter((name) => !opts[name as keyof typeof opts]);
  const action = opts.action.toUpperCase();
  if (missing.length || !ACTIONS.has(action)) {
    console.error(`usage: npm run gate -- --url <origin> --event <id> --token <access token> --device <id> --access-point <id> [--file scans.txt] [--action ENTRY|EXIT|RE_ENTRY|CHECK]${missing.length ? `\nmissing: --${missing.join(", --")}` : ""}`);
    process.exit(2);
  }
  const print = (line: string, json: unknown) => console.log(opts.json ? JSON.stringify(json) : line);
  const client = new GateClient({
    url: opts.url,
    eventId: opts.event!,
    token: opts.token!,
    refreshToken: opts["refresh-token"],
    deviceId: opts.device!,
    accessPointId: opts["access-point"]!,
    queueFile: opts["queue-file"],
    answerTimeoutMs: Number(opts["answer-timeout-ms"]),
    onEvent: (event) => print(`# ${describeEvent(event)}`, { event: event.type, ...event }),
  });
  await client.start();

  const pace = Number(opts["pace-ms"]);
  const lines = createInterface({ input: opts.file ? createReadStream(opts.file) : process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const scan = parseLine(line, action as ScanAction);
    if (!scan) continue;
    const outcome = await client.scan(scan.qr, scan.action);
    print(describeOutcome(outcome, scan.qr), { event: "result", ...outcome });
    if (pace > 0) await new Promise((resolve) => setTimeout(resolve, pace));
  }

  const drained = await client.drain(Number(opts["drain-seconds"]) * 1000);
  client.stop();
  if (client.refusal) process.exitCode = 4;
  if (!drained) {
    print(`# ${client.queue.size} offline scan(s) not uploaded${opts["queue-file"] ? ` (kept in ${opts["queue-file"]})` : ""}`, { event: "unsynced", queued: client.queue.size });
    process.exitCode = 3;
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error("gate:", error);
    process.exit(1);
  });
}
