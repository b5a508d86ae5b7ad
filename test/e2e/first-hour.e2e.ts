/**
 * The README's "The first hour", as written: the platform started as
 * `npm start` starts it (scripts/start.ts, on a scratch state directory and
 * free ports), then every ```sh block of that section run in order in one
 * bash session, with the README's addresses pointed at this instance. The
 * commands are read from README.md, so the README cannot drift from what works.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, tempDir } from "../../bench/lib/workerd.ts";

/** The ```sh blocks of a README section, in order. */
export function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

let dir: string;
let platform: ChildProcess | undefined;
let startOutput = "";
let ports: { api: number; payments: number; notifications: number; inspector: number };

beforeAll(async () => {
  dir = tempDir("edge-events-first-hour-");
  ports = { api: await freePort(), payments: await freePort(), notifications: await freePort(), inspector: await freePort() };
  platform = spawn(
    process.execPath,
    ["scripts/start.ts", "--port", String(ports.api), "--state-dir", join(dir, "state"), "--fake-payments-port", String(ports.payments), "--fake-notifications-port", String(ports.notifications), "--inspector-port", String(ports.inspector)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
  platform.stdout!.on("data", (chunk: Buffer) => (startOutput += chunk.toString()));
  platform.stderr!.on("data", (chunk: Buffer) => (startOutput += chunk.toString()));
  // Started: the banner's last line is printed once everything answers.
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (startOutput.includes("Stop with Ctrl-C")) {
        clearInterval(check);
        resolve();
      } else if (platform!.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`npm start exited with ${platform!.exitCode}:\n${startOutput}`));
      }
    }, 200);
  });
});

afterAll(async () => {
  if (platform && platform.exitCode === null) {
    const exited = new Promise((resolve) => platform!.on("exit", resolve));
    platform.kill("SIGINT");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the blocks in one bash, each preceded by a marker line; returns each block's output. */
function runBlocks(blocks: string[]): Promise<{ code: number | null; outputs: string[]; stderr: string }> {
  const script = ["set -eu -o pipefail", ...blocks.flatMap((block, i) => [`echo "@@block ${i}@@"`, block])].join("\n");
  const child = spawn("bash", ["-c", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TMPDIR: dir } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ code, outputs: stdout.split(/@@block \d+@@\n/).slice(1), stderr })),
  );
}

describe("README: the first hour", () => {
  it("started the platform with the demo data: the friendly's doors are open and its fans hold tickets", () => {
    expect(startOutput).toContain("Tickets at the friendly (doors open now) … awa@example.com bought 2, karim@example.com bought 1");
    expect(startOutput).toMatch(/Match amical : Olympique de Radès – Club de Carthage\s+5eed0007-0000-4000-8000-000000000007 {2}TND, 2 ticket types on sale {2}← doors open now/);
  });

  it("runs as written: the organizer creates an event; a fan orders, pays at the fake provider, gets the QR; the gate admits it once; the organizer sees both scans", { timeout: 180_000 }, async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const blocks = shellBlocks(readme, "The first hour").map((block) =>
      block.replaceAll("http://127.0.0.1:8787", `http://127.0.0.1:${ports.api}`).replaceAll("http://127.0.0.1:8790", `http://127.0.0.1:${ports.payments}`),
    );
    expect(blocks).toHaveLength(7);
    const run = await runBlocks(blocks);
    const [setup, organizer, order, payment, ticket, gate, log] = run.outputs as [string, string, string, string, string, string, string];
    expect(run.code, `${run.outputs.join("\n---\n")}\n${run.stderr}`).toBe(0);
    expect(setup).toBe("");
    expect(organizer).toMatch(/^DRAFT [0-9a-f-]{36} Tournoi des écoles\n$/);
    expect(order).toMatch(/^5eed000b-0000-4000-8000-00000000003d VIRAGE 10000 TND \(\d+ left\)\n/);
    expect(order).toMatch(/\norder [0-9a-f-]{36}\n$/);
    expect(payment).toMatch(new RegExp(`^KONNECT PROCESSING: pay at http://127\\.0\\.0\\.1:${ports.payments}/\\S+\nwebhook delivered: 200\n$`));
    expect(ticket).toMatch(/^order CONFIRMED\nQR token: E1\.\S+ \(drawn in .*ticket\.svg\)\n$/);
    expect(readFileSync(join(dir, "ticket.svg"), "utf8")).toMatch(/^<svg /);
    const results = gate.split("\n").filter((line) => / (ONLINE|OFFLINE|REFUSED) /.test(line));
    expect(results).toHaveLength(2);
    expect(results[0]).toMatch(/ ONLINE\s+ENTRY\s+SUCCESS\s/);
    expect(results[1]).toMatch(/ ONLINE\s+ENTRY\s+DENIED ALREADY_USED\s/);
    expect(log.trim().split("\n")).toEqual([
      expect.stringMatching(/ SCANNER-N1 ENTRY DENIED ALREADY_USED$/),
      expect.stringMatching(/ SCANNER-N1 ENTRY SUCCESS\s*$/),
    ]);
  });
});
