// Builds the Worker exactly as `wrangler deploy` would upload it (`--dry-run`, offline) and
// prints its size, failing when the compressed size is over the Workers Free plan's limit:
// under it, the Worker deploys on any plan. Cloudflare counts the gzip of the upload
// (https://developers.cloudflare.com/workers/platform/limits/#worker-size).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

const KIB = 1024;
const MIB = 1024 * KIB;
const FREE_LIMIT = 3 * MIB; // compressed, Workers Free
const PAID_LIMIT = 10 * MIB; // compressed, Workers Paid
const UNCOMPRESSED_LIMIT = 64 * MIB; // either plan

const require = createRequire(import.meta.url);
const WRANGLER = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

/** Returns the exit code. */
function check(outdir: string): number {
  const run = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout}${run.stderr}`);
    console.error(`wrangler deploy --dry-run failed (exit ${run.status ?? run.signal})`);
    return 1;
  }
  // What is uploaded: every module in the output, not the source maps or wrangler's README.
  const modules = readdirSync(outdir).filter((name) => !name.endsWith(".map") && name !== "README.md");
  let size = 0;
  let gzip = 0;
  for (const name of modules) {
    const bytes = readFileSync(join(outdir, name));
    size += bytes.length;
    gzip += gzipSync(bytes).length;
  }
  const kib = (bytes: number) => `${Math.round(bytes / KIB)} KiB`;
  console.log(`worker bundle: ${kib(size)}, gzip ${kib(gzip)} (limit ${FREE_LIMIT / MIB} MiB free / ${PAID_LIMIT / MIB} MiB paid)`);
  if (gzip > FREE_LIMIT || size > UNCOMPRESSED_LIMIT) {
    console.error(
      `The Worker is over the Workers Free limit (${FREE_LIMIT / MIB} MiB compressed, ${UNCOMPRESSED_LIMIT / MIB} MiB uncompressed): ` +
        "look for a dependency that should not be in the bundle (wrangler deploy --dry-run --outdir dist --metafile).",
    );
    return 1;
  }
  return 0;
}

const outdir = mkdtempSync(join(tmpdir(), "edge-events-bundle-"));
try {
  process.exitCode = check(outdir);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
