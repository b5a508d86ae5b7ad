/**
 * How a benchmark script runs: its `main`, a watchdog that stops workerd and
 * exits (code 2) if the run overstays `watchdogMs`, and on failure the error
 * with the first lines the Workers logged.
 */
import type { Stoppable } from "./workerd.ts";

export interface BenchRun {
  /** Warnings and errors the Workers logged. */
  workerLogs: string[];
  /** The workerd processes to stop if the watchdog fires; set as soon as the first runs. */
  running: Stoppable | undefined;
}

export function runBench(name: string, watchdogMs: number, main: (run: BenchRun) => Promise<void>): void {
  const run: BenchRun = { workerLogs: [], running: undefined };
  const watchdog = setTimeout(() => {
    console.error(`${name}: still running after ${watchdogMs / 1000} s; giving up`);
    setTimeout(() => process.exit(2), 10_000).unref();
    void (run.running?.dispose() ?? Promise.resolve()).finally(() => process.exit(2));
  }, watchdogMs);
  watchdog.unref();
  main(run).catch((error: unknown) => {
    console.error(`${name} failed:`, error);
    for (const line of run.workerLogs.slice(0, 5)) console.error("  worker:", line.slice(0, 500));
    process.exitCode = 1;
  });
}
