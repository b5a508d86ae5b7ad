/**
 * The public availability of an event, served at the edge without asking the
 * EventDO on every read: the EventDO's answer is kept for at most
 * AVAILABILITY_STALE_MS, in two places, each checked against the time the
 * EventDO gave it (`as_of`), so together they are never older than that:
 *
 * 1. this isolate's memory (one entry per event, and one EventDO call in
 *    flight per event however many reads wait on it);
 * 2. the data centre's Cache API (`caches.default`), shared by the isolates
 *    of one location, under a key of this route's URL without its query.
 *
 * Only answers anyone may read are kept: an INVITATION event's availability is
 * never cached (each read asks the EventDO and checks the caller may see the
 * event). Nothing personal is in this answer, and orders are never cached.
 * A new catalog pushed to the EventDO (prices, quantities, sales windows,
 * the event's status or access type: src/catalog/sync.ts) drops both at once
 * here (`forgetAvailability`); other data centres' copies age out. Holds do
 * not purge (a storm of them would empty the cache): a hold placed now shows
 * in every read within AVAILABILITY_STALE_MS, and the buyer's own hold is in the order
 * answer, read live. The ETag is a digest of the EventDO's answer, so a client
 * polling with If-None-Match gets 304 until something changes.
 */
import { eventStub } from "../../durable-objects/event/client.ts";
import type { Availability } from "../../durable-objects/event/contract.ts";
import type { Env } from "../env.ts";
import { PUBLIC_STATUSES } from "../events/service.ts";

/** How old a public availability answer may be when served: the staleness docs/api.md states. */
export const AVAILABILITY_STALE_MS = 1_000;
/** Events kept in one isolate's memory at most (the oldest goes first). */
const MEMO_LIMIT = 1_000;
/** How long the Cache API keeps an entry; it is served only while younger than AVAILABILITY_STALE_MS. */
const CACHE_ENTRY_TTL_S = 10;
const AS_OF_HEADER = "X-Availability-As-Of";

export interface ServedAvailability {
  availability: Availability;
  /** The answer's JSON text, as sent (and digested into `etag`). */
  body: string;
  /** When the EventDO answered (ms since the epoch). */
  asOf: number;
  /** Where this read was answered from. */
  source: "memory" | "cache" | "event";
  etag: string;
}

type Entry = Omit<ServedAvailability, "source">;

const memo = new Map<string, Entry>();
const inFlight = new Map<string, Promise<Entry>>();

/** FNV-1a over the answer: a short version that changes whenever the EventDO's answer does. */
function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `"a${(h >>> 0).toString(36)}-${text.length.toString(36)}"`;
}

const fresh = (asOf: number, now: number) => now - asOf >= 0 && now - asOf < AVAILABILITY_STALE_MS;
/** The route's public URL under PUBLIC_API_URL, whatever the request's query or host. */
const cacheKey = (env: Env, eventId: string) => new Request(new URL(`/v1/events/${eventId}/availability`, env.PUBLIC_API_URL));

/**
 * An answer anyone may read: a published event's (src/events/service.ts PUBLIC_STATUSES) that is not
 * INVITATION. Any other is read live and shown only to who may see the event (the route asks D1), never kept.
 */
export const shownToAnyone = (availability: Availability): boolean =>
  Boolean(availability.event_id) && availability.access_type !== "INVITATION" && PUBLIC_STATUSES.includes(availability.status as (typeof PUBLIC_STATUSES)[number]);

function remember(eventId: string, entry: Entry) {
  if (!shownToAnyone(entry.availability)) return;
  memo.delete(eventId);
  memo.set(eventId, entry);
  if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value!);
}

const askEvent = async (env: Env, eventId: string): Promise<Entry> => {
  const availability = await eventStub(env, eventId).availability();
  const body = JSON.stringify(availability);
  return { availability, body, asOf: Date.now(), etag: digest(body) };
};

/**
 * One EventDO read per event at a time in this isolate; the others wait on it,
 * but not for longer than AVAILABILITY_STALE_MS: the request that started it
 * may have been cancelled (its client gone), and its read with it.
 */
function readEvent(env: Env, eventId: string): Promise<Entry> {
  const pending = inFlight.get(eventId);
  if (pending) return Promise.race([pending, scheduler.wait(AVAILABILITY_STALE_MS).then(() => askEvent(env, eventId))]);
  const started = askEvent(env, eventId).finally(() => {
    if (inFlight.get(eventId) === started) inFlight.delete(eventId);
  });
  inFlight.set(eventId, started);
  return started;
}

/**
 * The event's availability, no older than AVAILABILITY_STALE_MS (by `now`).
 * `waitUntil` stores a fresh answer in the Cache API after the response.
 */
export async function publicAvailability(env: Env, eventId: string, waitUntil: (p: Promise<unknown>) => void): Promise<ServedAvailability> {
  const now = Date.now();
  const kept = freshAvailability(eventId, now);
  if (kept) return kept;
  const key = cacheKey(env, eventId);
  const cached = await caches.default.match(key);
  if (cached) {
    const asOf = Number(cached.headers.get(AS_OF_HEADER));
    if (fresh(asOf, now)) {
      const body = await cached.text();
      const entry = { availability: JSON.parse(body) as Availability, body, asOf, etag: cached.headers.get("ETag") ?? "" };
      remember(eventId, entry);
      return { ...entry, source: "cache" };
    }
  }
  const entry = await readEvent(env, eventId);
  if (shownToAnyone(entry.availability)) {
    remember(eventId, entry);
    waitUntil(
      caches.default.put(
        key,
        new Response(entry.body, {
          headers: {
            "Content-Type": "application/json",
            // Kept a little longer than it may be served: the as-of time decides, to the millisecond, by this isolate's clock.
            "Cache-Control": `public, max-age=${CACHE_ENTRY_TTL_S}`,
            ETag: entry.etag,
            [AS_OF_HEADER]: String(entry.asOf),
          },
        }),
      ),
    );
  }
  return { ...entry, source: "event" };
}

/**
 * The answer this isolate keeps for the event if it is still fresh at `now`,
 * without asking anything: what src/onsale/availability-front.ts serves before the app runs.
 */
export function freshAvailability(eventId: string, now: number): ServedAvailability | undefined {
  const kept = memo.get(eventId);
  return kept && fresh(kept.asOf, now) ? { ...kept, source: "memory" } : undefined;
}

/** The headers a public availability answer carries besides the app's own (src/app.ts): its caching, version, age and where it came from. */
export function availabilityHeaders(served: ServedAvailability, now: number): [string, string][] {
  return [
    ["Cache-Control", `public, max-age=${AVAILABILITY_STALE_MS / 1000}`],
    ["ETag", served.etag],
    ["Age", String(Math.max(0, Math.floor((now - served.asOf) / 1000)))],
    ["X-Cache", served.source === "event" ? "MISS" : `HIT-${served.source.toUpperCase()}`],
  ];
}

/** Whether the client already holds this version (`If-None-Match`): then the answer is 304 without a body. */
export const notModified = (ifNoneMatch: string | null | undefined, served: ServedAvailability) => ifNoneMatch === served.etag;

/** Drops the event's kept answer here and in this data centre's cache: its catalog changed. */
export async function forgetAvailability(env: Env, eventId: string): Promise<void> {
  memo.delete(eventId);
  await caches.default.delete(cacheKey(env, eventId));
}
