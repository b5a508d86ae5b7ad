/**
 * A CDN in front of the app for the read an on-sale storm repeats:
 * `GET /v1/events/{id}/availability` without credentials. While this isolate
 * keeps a fresh answer for the event (src/onsale/availability-cache.ts, at most
 * AVAILABILITY_STALE_MS old), the answer is given here, before the app routes
 * the request and runs its middleware (request id, security headers, CORS,
 * authentication, the maintenance gate, validation), which cost a read more
 * than the read itself.
 *
 * The answer is the app's own: every header of it is one the app gave to an
 * earlier request for the same URL, from the same Origin (the only request
 * header its headers vary on, `Vary: Origin`), and with the same status (200,
 * or 304 to `If-None-Match`), kept as a CDN keeps a response the app marked
 * `public`. Only what differs between two such answers is set per request,
 * by the same functions the app uses: the request id (src/lib/request-id.ts)
 * and the answer's version, age and source (`availabilityHeaders`); the body
 * is the kept answer's text.
 *
 * Everything else goes to the app, which answers as it always does: another
 * method or URL, a query (`presale_code`), a body, credentials (Authorization,
 * Cookie, a WebSocket upgrade, whose bearer subprotocol authenticates), no
 * fresh answer kept, no answer of the app yet to copy the headers from, and
 * any time a maintenance block refuses visitors (the app answers 503).
 */
import type { Env } from "../env.ts";
import { requestIdFor } from "../lib/request-id.ts";
import { blockingNow } from "../site/maintenance.ts";
import { availabilityHeaders, keptAvailability, notModified } from "./availability-cache.ts";

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** The public availability route, on the whole URL: a query, a trailing slash or an encoded path do not match. */
const ROUTE = /^https?:\/\/[^/]+\/v1\/events\/([0-9A-Za-z-]{1,64})\/availability$/;
/** Request headers that make a request someone's own: never answered here. */
const CREDENTIALS = ["Authorization", "Cookie", "Upgrade"];
/** Headers of the app's answers kept at most (one per event, Origin and status; the oldest goes first). */
const KEPT_LIMIT = 2_000;

/** The app's last shareable answer's headers, by `${status} ${origin} ${event id}`. */
const kept = new Map<string, Headers>();
const keyOf = (status: number, origin: string, eventId: string) => `${status} ${origin} ${eventId}`;

function keep(key: string, headers: Headers) {
  kept.delete(key);
  kept.set(key, new Headers(headers));
  if (kept.size > KEPT_LIMIT) kept.delete(kept.keys().next().value!);
}

/** The app's fetch, with public availability reads answered in front of it while a fresh answer is kept. */
export function withAvailabilityFront(app: Fetch): Fetch {
  return async function availabilityFront(request, env, ctx) {
    const eventId = request.method === "GET" && request.body === null ? ROUTE.exec(request.url)?.[1] : undefined;
    if (eventId === undefined || CREDENTIALS.some((name) => request.headers.has(name))) return app(request, env, ctx);
    const origin = request.headers.get("Origin") ?? "";
    const now = Date.now();
    const served = keptAvailability(env, eventId, now, (p) => ctx.waitUntil(p));
    const status = served && notModified(request.headers.get("If-None-Match"), served) ? 304 : 200;
    const headers = served && kept.get(keyOf(status, origin, eventId));
    if (served && headers && !(await blockingNow(env).catch(() => true))) {
      // The Response copies the kept headers; what is per read is set on its copy.
      const answer = new Response(status === 304 ? null : served.body, { status, headers });
      answer.headers.set("X-Request-Id", requestIdFor(request.headers.get("X-Request-Id")));
      for (const [name, value] of availabilityHeaders(served, now)) answer.headers.set(name, value);
      return answer;
    }
    const response = await app(request, env, ctx);
    // As a CDN would: only an answer the app marks public is kept.
    if ((response.status === 200 || response.status === 304) && response.headers.get("Cache-Control")?.startsWith("public")) {
      keep(keyOf(response.status, origin, eventId), response.headers);
    }
    return response;
  };
}
