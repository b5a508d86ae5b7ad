/**
 * How loaded the EventDO's hold path is, from its own group commit, in memory
 * only (no storage, nothing awaited): per second of the object's clock, the
 * holds decided and how long each waited in the group commit between
 * `placeOrder` and the pass that decided it.
 *
 * - A second is *saturated* when `saturatedWaiting` holds or more were
 *   waiting in the group commit on average over it (the waits of the holds
 *   decided in it, summed, at least `saturatedWaiting` × 1,000 ms): holds
 *   arrived faster than the object decided them, so they queued. Unlike a
 *   mean wait per hold, this time-average queue length does not count a
 *   lone burst (many holds waiting a moment once) nor the group commit's
 *   timer delay at low load (one hold waiting ~1 ms at a time).
 * - The object is saturated when its last complete second was.
 * - Its *sustained rate* is the holds decided per second over the saturated
 *   seconds of the last WINDOW_S complete seconds: while holds queue, what it
 *   decides per second is what it can sustain (null: no saturated second).
 *
 * The counters live in the object's memory: an eviction (or a restart)
 * forgets them, and the next WINDOW_S seconds of holds measure again.
 */

/** Complete seconds the sustained rate is taken over. */
export const WINDOW_S = 3;

export interface HoldLoad {
  /** When this was measured (ms, the object's clock). */
  at: number;
  /** Whether the last complete second was saturated. */
  saturated: boolean;
  /** Holds decided per second over the window's saturated seconds; null when none was. */
  sustained_per_s: number | null;
  /** Holds decided per second over the whole window. */
  decided_per_s: number;
  /** Holds waiting in the group commit on average over the last complete second (their waits summed, over 1,000 ms). */
  waiting: number;
  /** Mean wait in the group commit of the last complete second's holds (ms). */
  wait_ms: number;
}

interface Second {
  second: number;
  decided: number;
  waitMs: number;
}

export class HoldMeter {
  /** The current second and up to WINDOW_S complete ones before it, oldest first. */
  private readonly seconds: Second[] = [];

  constructor(private readonly saturatedWaiting: number) {}

  /**
   * A pass decided `count` holds at `at`, having waited `waitMs` in all.
   * Returns true when this pass began a new second (the last one is complete).
   */
  record(count: number, waitMs: number, at: number): boolean {
    const second = Math.floor(at / 1000);
    let current = this.seconds.at(-1);
    const rolled = current?.second !== second;
    if (!current || rolled) {
      current = { second, decided: 0, waitMs: 0 };
      this.seconds.push(current);
      if (this.seconds.length > WINDOW_S + 1) this.seconds.shift();
    }
    current.decided += count;
    current.waitMs += waitMs;
    return rolled;
  }

  /** The load over the complete seconds before `now`'s. */
  load(now: number): HoldLoad {
    const second = Math.floor(now / 1000);
    const window = this.seconds.filter((s) => s.second < second && s.second >= second - WINDOW_S);
    const saturated = window.filter((s) => this.isSaturated(s));
    const last = window.find((s) => s.second === second - 1);
    return {
      at: now,
      saturated: last !== undefined && this.isSaturated(last),
      sustained_per_s: saturated.length ? saturated.reduce((sum, s) => sum + s.decided, 0) / saturated.length : null,
      decided_per_s: window.reduce((sum, s) => sum + s.decided, 0) / WINDOW_S,
      waiting: last ? last.waitMs / 1000 : 0,
      wait_ms: last?.decided ? last.waitMs / last.decided : 0,
    };
  }

  private isSaturated(s: Second): boolean {
    return s.waitMs / 1000 >= this.saturatedWaiting;
  }
}
