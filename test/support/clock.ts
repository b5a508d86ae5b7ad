import { vi } from "vitest";

/**
 * Moves the clock the Worker reads forward by `ms`, at once: the Worker runs
 * in the tests' isolate, so its `Date` is the one vitest mocks. Time then
 * stands still until the next call (which counts from there) or until
 * `vi.useRealTimers()`, which a test file using this calls in `afterEach`.
 * Timers (`setTimeout`) are left alone.
 */
export function advanceClock(ms: number) {
  vi.setSystemTime(Date.now() + ms);
}
