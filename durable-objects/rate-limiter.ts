import { DurableObject } from "cloudflare:workers";

export interface RateLimitVerdict {
  allowed: boolean;
  remaining: number;
  retry_after_seconds: number;
}

/**
 * One object per rate-limited key (e.g. `login-ip:41.226.11.226`): it counts
 * serially, so the limit is exact under any concurrency, unlike a
 * read-then-write counter in D1. Fixed windows, kept in the object's storage
 * so an eviction does not reset them.
 */
export class RateLimiter extends DurableObject {
  async hit(limit: number, windowSeconds: number, cost = 1): Promise<RateLimitVerdict> {
    const now = Date.now();
    const window = Math.floor(now / (windowSeconds * 1000));
    const state = (await this.ctx.storage.get<{ window: number; count: number }>("w")) ?? { window, count: 0 };
    const count = state.window === window ? state.count : 0;
    const retryAfter = Math.ceil(((window + 1) * windowSeconds * 1000 - now) / 1000);
    if (count + cost > limit) return { allowed: false, remaining: Math.max(0, limit - count), retry_after_seconds: retryAfter };
    await this.ctx.storage.put("w", { window, count: count + cost });
    // Nothing to keep once the window is over.
    await this.ctx.storage.setAlarm((window + 1) * windowSeconds * 1000);
    return { allowed: true, remaining: limit - count - cost, retry_after_seconds: 0 };
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
