/**
 * `npm run openapi:check` (part of `npm test`): the API's OpenAPI document,
 * served by the Worker built from this tree, must
 * 1. lint clean with Redocly's recommended rules and the project's own
 *    (redocly.yaml): every operation has an operationId, every error response
 *    lists its problem codes;
 * 2. agree with the source: every problem code the source makes (read with
 *    scripts/openapi/thrown-codes.ts) is in the catalog (src/problem-codes.ts,
 *    served as the document's `x-problem-codes`) with the status it is made
 *    with, and every catalog code is made somewhere and answered by at least
 *    one operation.
 * The integration tests check the third side: a route answers only codes its
 * operation lists (test/support/api.ts). Runs offline: the Worker in workerd
 * (Miniflare), Redocly's CLI from node_modules.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { appWorker, bundle, ROOT, startWorkerd, tempDir } from "../../bench/lib/workerd.ts";
import { generateSecrets } from "../secrets.ts";
import { thrownCodes } from "./thrown-codes.ts";

type Catalog = Record<string, { status: number | number[]; description: string; everywhere?: true }>;
type Document = {
  "x-problem-codes"?: Catalog;
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, { "x-problem-codes"?: string[] }> }>>;
};

const require = createRequire(import.meta.url);
const REDOCLY = join(dirname(require.resolve("@redocly/cli/package.json")), "bin", "cli.js");
const LINTED = join(ROOT, ".wrangler", "openapi-check", "openapi.json");

async function servedDocument(dir: string): Promise<Document> {
  const script = await bundle("src/index.ts", dir);
  const workerd = await startWorkerd([appWorker("app", script, generateSecrets("openapi-check"))]);
  try {
    const res = await fetch(new URL("/openapi.json", await workerd.url("app")));
    if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`);
    return (await res.json()) as Document;
  } finally {
    await workerd.dispose();
  }
}

/** Redocly's verdict on the document: clean means no error and no warning (the exceptions are in .redocly.lint-ignore.yaml). */
export function lint(file: string): boolean {
  const run = (format: string) =>
    spawnSync(process.execPath, [REDOCLY, "lint", file, "--config", join(ROOT, "redocly.yaml"), "--format", format, "--max-problems", "50"], {
      cwd: ROOT,
      encoding: "utf8",
      // Offline: no usage data, no update check.
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
    });
  const verdict = run("json");
  let totals: { errors: number; warnings: number; ignored: number };
  try {
    totals = (JSON.parse(verdict.stdout) as { totals: typeof totals }).totals;
  } catch {
    console.error(`redocly lint did not report (exit ${verdict.status}):\n${verdict.stdout}${verdict.stderr}`);
    return false;
  }
  console.log(`redocly lint (recommended + edge-events rules): ${totals.errors} errors, ${totals.warnings} warnings, ${totals.ignored} explained exceptions`);
  if (totals.errors + totals.warnings === 0) return true;
  const report = run("codeframe");
  console.error(`${report.stdout}${report.stderr}`.trim());
  return false;
}

/** Where the source and the catalog disagree, one line each. */
export function catalogProblems(doc: Document, root = ROOT): string[] {
  const catalog = doc["x-problem-codes"] ?? {};
  const statuses = (code: string) => [catalog[code]!.status].flat();
  const out: string[] = [];
  const made = thrownCodes(root);
  for (const site of made) {
    const where = `${site.file}:${site.line}`;
    if (site.prefix) {
      if (!Object.keys(catalog).some((code) => code.startsWith(site.code))) out.push(`${where}: codes starting "${site.code}" are made here; none is in src/problem-codes.ts`);
      continue;
    }
    if (!catalog[site.code]) out.push(`${where}: "${site.code}" is made here but not in src/problem-codes.ts`);
    else if (site.status !== null && !statuses(site.code).includes(site.status)) {
      out.push(`${where}: "${site.code}" is made with ${site.status} here; src/problem-codes.ts gives ${statuses(site.code).join(", ")}`);
    }
  }
  const answered = new Set(
    Object.values(doc.paths).flatMap((operations) => Object.values(operations).flatMap((op) => Object.values(op.responses ?? {}).flatMap((r) => r["x-problem-codes"] ?? []))),
  );
  for (const [code, info] of Object.entries(catalog)) {
    if (!made.some((site) => (site.prefix ? code.startsWith(site.code) : site.code === code))) out.push(`src/problem-codes.ts: "${code}" is made nowhere in src/ or durable-objects/: remove it`);
    if (!info.everywhere && !answered.has(code)) out.push(`src/problem-codes.ts: no operation lists "${code}": declare it with errors(…) on the routes that answer it`);
  }
  for (const code of answered) if (!catalog[code]) out.push(`the document lists "${code}", which is not in src/problem-codes.ts`);
  return out;
}

async function main() {
  const dir = tempDir("edge-events-openapi-");
  try {
    const doc = await servedDocument(dir);
    // Where .redocly.lint-ignore.yaml expects it (the exceptions it lists, each explained, are per file).
    mkdirSync(dirname(LINTED), { recursive: true });
    const file = LINTED;
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const operations = Object.values(doc.paths).flatMap((ops) => Object.values(ops)).length;
    console.log(`openapi: ${operations} operations, ${Object.keys(doc["x-problem-codes"] ?? {}).length} problem codes`);
    const linted = lint(file);
    const disagreements = catalogProblems(doc);
    for (const line of disagreements) console.error(`✖ ${line}`);
    if (!linted || disagreements.length) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
