/**
 * Reconnection delays: exponential in the number of failed attempts, capped,
 * with "equal jitter" (half fixed, half random) so that the gates of a
 * stadium that lost the server together do not all come back in the same
 * millisecond, and no gate ever retries in a tight loop.
 */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, { baseMs = 250, capMs = 15_000, random = Math.random }: BackoffOptions = {}): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
