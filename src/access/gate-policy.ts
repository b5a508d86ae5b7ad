import type { Env } from "../env.ts";
import { syncGatePolicy } from "../catalog/sync.ts";
import { eventStub } from "../../durable-objects/event/client.ts";

/** Events pushed at once by a policy change (a blacklist entry can reach many); the next chunk waits for this one. */
const PUSH_CHUNK = 20;

/**
 * Pushes the current overrides and blacklist of each event to its EventDO,
 * which swaps its copy and tells its connected gates in the same call. At
 * most PUSH_CHUNK pushes run at a time. A push that fails leaves that event
 * on its previous policy until its next sync (any later change or
 * reconfiguration): it is reported, never retried here, so one unreachable
 * object does not hold up the rest.
 */
export async function pushGatePolicy(env: Env, eventIds: string[]): Promise<{ events: number; failed: string[] }> {
  const failed: string[] = [];
  for (let i = 0; i < eventIds.length; i += PUSH_CHUNK) {
    const chunk = eventIds.slice(i, i + PUSH_CHUNK);
    const results = await Promise.allSettled(chunk.map((id) => syncGatePolicy(env, id, eventStub(env, id))));
    results.forEach((result, j) => {
      if (result.status === "rejected") {
        console.error("gate policy push failed", chunk[j], result.reason);
        failed.push(chunk[j]!);
      }
    });
  }
  return { events: eventIds.length - failed.length, failed };
}
