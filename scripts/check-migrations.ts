// Fails when the drizzle schema (src/db/schema.ts) and migrations/ disagree:
// drizzle-kit generates into a scratch copy of migrations/, and anything but
// "no schema changes" means a schema change has no migration yet
// (fix: `npm run db:generate`).
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";

const scratch = ".wrangler/migrations-check"; // drizzle-kit wants a path relative to the project
rmSync(scratch, { recursive: true, force: true });
try {
  cpSync("migrations", scratch, { recursive: true });
  const output = execFileSync("drizzle-kit", ["generate", "--dialect", "sqlite", "--schema", "./src/db/schema.ts", "--out", scratch], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (!/No schema changes/i.test(output)) {
    console.error(output);
    console.error("The drizzle schema has changes with no migration. Run `npm run db:generate`.");
    process.exit(1);
  }
  console.log("migrations match the schema");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
