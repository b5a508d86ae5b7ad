/**
 * How a benchmark script runs: its `main`, given a temporary folder for its
 * bundles; a watchdog that stops workerd and exits (code 2) if the run
 * overstays `watchdogMs`; on failure the error with the first lines the
 * Workers logged; and, however `main` ends, its workerd processes stopped and
 * its folder removed.
 */
import { rmSync } from "node:fs";
import { type Stoppable, tempDir } from "./workerd.ts";

export interface BenchRun {
  /** Warnings and errors the Workers logged. */
  workerLogs: string[];
  /** The workerd processes to stop when the run ends or the watchdog fires; set as soon as the first runs. */
  running: Stoppable | undefined;
  /** A temporary folder for the run's bundles, removed when it ends. */
  dir: string;
}

export function runBench(name: string, watchdogMs: number, main: (run: BenchRun) => Promise<void>): void {
  const run: BenchRun = { workerLogs: [], running: undefined, dir: tempDir("edge-events-bench-build-") };
  const watchdog = setTimeout(() => {
    console.error(`${name}: still running after ${watchdogMs / 1000} s; giving up`);
    setTimeout(() => process.exit(2), 10_000).unref();
    void (run.running?.dispose() ?? Promise.resolve()).finally(() => process.exit(2));
  }, watchdogMs);
  watchdog.unref();
  main(run)
    .catch((error: unknown) => {
      console.error(`${name} failed:`, error);
      for (const line of run.workerLogs.slice(0, 5)) console.error("  worker:", line.slice(0, 500));
      process.exitCode = 1;
    })
    .finally(async () => {
      await run.running?.dispose();
      rmSync(run.dir, { recursive: true, force: true });
    });
}
