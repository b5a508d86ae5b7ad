/**
 * The public availability of an event, served at the edge without asking the
 * EventDO on every read: the EventDO's answer is kept for at most
 * AVAILABILITY_STALE_MS, in two places, each checked against the time the
 * EventDO gave it (`as_of`), so together they are never older than that:
 *
 * 1. this isolate's memory (one entry per event);
 * 2. the data centre's Cache API (`caches.default`), shared by the isolates
 *    of one location, under a key of this route's URL without its query.
 *
 * A newer answer is fetched once per event at a time in an isolate, however
 * many reads want it: one Cache API lookup, then if need be one EventDO call
 * and one Cache API store (`refresh`). A kept answer older than
 * REFRESH_AFTER_MS is still served, and the first read to find it so starts
 * that refresh in the background, so that during a storm reads do not queue
 * behind the EventDO each time the answer expires.
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
/** Past this age a kept answer is refreshed in the background while still served (it stays servable until AVAILABILITY_STALE_MS). */
export const REFRESH_AFTER_MS = 750;
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
/** The refresh in flight per event (one at a time in this isolate). */
const refreshes = new Map<string, Promise<ServedAvailability>>();
/** The refreshes that have answered or failed. */
const settled = new WeakSet<Promise<ServedAvailability>>();
/** Bumped by every `forgetAvailability`: a refresh started before one does not keep its answer, which may predate the new catalog. */
let generation = 0;

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
 * A newer answer than this isolate keeps: the data centre's cache entry if
 * another isolate stored one that does not need refreshing yet, otherwise
 * the EventDO's, then stored in the cache. Answers anyone may read
 * (`shownToAnyone`) are kept here.
 */
async function newerAnswer(env: Env, eventId: string, waitUntil: (p: Promise<unknown>) => void): Promise<ServedAvailability> {
  const startedIn = generation;
  const key = cacheKey(env, eventId);
  const cached = await caches.default.match(key);
  if (cached) {
    const asOf = Number(cached.headers.get(AS_OF_HEADER));
    if (fresh(asOf, Date.now()) && Date.now() - asOf < REFRESH_AFTER_MS) {
      const body = await cached.text();
      const entry = { availability: JSON.parse(body) as Availability, body, asOf, etag: cached.headers.get("ETag") ?? "" };
      if (generation === startedIn) remember(eventId, entry);
      return { ...entry, source: "cache" };
    }
  }
  const entry = await askEvent(env, eventId);
  if (shownToAnyone(entry.availability) && generation === startedIn) {
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
 * The event's newer answer, fetched once at a time per event in this isolate;
 * the reads that need it meanwhile wait on it, but not for longer than
 * AVAILABILITY_STALE_MS: the request that started it may have been cancelled
 * (its client gone), and its calls with it.
 */
function refresh(env: Env, eventId: string, waitUntil: (p: Promise<unknown>) => void): Promise<ServedAvailability> {
  const pending = refreshes.get(eventId);
  if (pending) {
    // The timer outlives the race: once the refresh has settled, it asks nothing.
    const overdue = new Promise((due) => setTimeout(due, AVAILABILITY_STALE_MS)).then(async () =>
      settled.has(pending) ? pending : { ...(await askEvent(env, eventId)), source: "event" as const },
    );
    return Promise.race([pending, overdue]);
  }
  const started = newerAnswer(env, eventId, waitUntil).finally(() => {
    settled.add(started);
    if (refreshes.get(eventId) === started) refreshes.delete(eventId);
  });
  refreshes.set(eventId, started);
  return started;
}

/**
 * The event's availability, no older than AVAILABILITY_STALE_MS (by `now`).
 * `waitUntil` carries the work done after the response: storing a newer
 * answer in the Cache API, refreshing one kept past REFRESH_AFTER_MS.
 */
export async function publicAvailability(env: Env, eventId: string, waitUntil: (p: Promise<unknown>) => void): Promise<ServedAvailability> {
  return keptAvailability(env, eventId, Date.now(), waitUntil) ?? refresh(env, eventId, waitUntil);
}

/**
 * The answer this isolate keeps for the event if it is still fresh at `now`,
 * without waiting on anything: what src/onsale/availability-front.ts serves
 * before the app runs. Past REFRESH_AFTER_MS it starts a refresh in the
 * background (`waitUntil`), unless one is already in flight.
 */
export function keptAvailability(env: Env, eventId: string, now: number, waitUntil: (p: Promise<unknown>) => void): ServedAvailability | undefined {
  const kept = memo.get(eventId);
  if (!kept || !fresh(kept.asOf, now)) return undefined;
  if (now - kept.asOf >= REFRESH_AFTER_MS && !refreshes.has(eventId)) {
    // Its failure is the next read's to see, once the kept answer is too old to serve.
    waitUntil(refresh(env, eventId, waitUntil).catch(() => undefined));
  }
  return { ...kept, source: "memory" };
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
  refreshes.delete(eventId);
  generation++;
  await caches.default.delete(cacheKey(env, eventId));
}
