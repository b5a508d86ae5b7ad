import { and, asc, eq, gt, gte, lte, or, sql, type SQL } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { afterCursor, type Cursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { events } from "./schema.ts";
import { toPublicEvent, type EventListQueryInput } from "./schemas.ts";
import type { EventRow } from "./service.ts";
import { listedTo } from "./visibility.ts";

const EARTH_RADIUS_KM = 6371.0088;
const DEFAULT_RADIUS_KM = 25;
/**
 * Near-me searches rank in the Worker: at most this many events of the
 * bounding box are read, nearest first by a flat-earth estimate, so a dense
 * area can only ever lose its farthest matches.
 */
const NEAR_CANDIDATES = 1000;
const MAX_TERMS = 12;
/** bm25 column weights, in events_fts column order: a title hit counts ten times a description hit. */
const BM25 = sql.raw("bm25(events_fts, 10.0, 1.0, 4.0)");

const rad = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance in km (haversine). */
export function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLng = rad(lng2 - lng1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** The smallest latitude/longitude box holding every point within `radiusKm` of the centre. */
function boundingBox(lat: number, lng: number, radiusKm: number): SQL {
  const angular = radiusKm / EARTH_RADIUS_KM;
  const dLat = (angular * 180) / Math.PI;
  const latitude = and(gte(events.latitude, lat - dLat), lte(events.latitude, lat + dLat))!;
  // Near a pole the circle covers every longitude.
  if (Math.abs(lat) + dLat >= 90) return latitude;
  const dLng = (Math.asin(Math.sin(angular) / Math.cos(rad(lat))) * 180) / Math.PI;
  const [west, east] = [lng - dLng, lng + dLng];
  // Across the antimeridian the longitude range wraps.
  const longitude =
    west < -180
      ? or(gte(events.longitude, west + 360), lte(events.longitude, east))
      : east > 180
        ? or(gte(events.longitude, west), lte(events.longitude, east - 360))
        : and(gte(events.longitude, west), lte(events.longitude, east));
  return and(latitude, longitude)!;
}

/**
 * The user's words as an FTS5 query: letters and digits only (no operators,
 * quotes or column filters get through), each a quoted prefix, all required.
 */
export function ftsQuery(text: string): string {
  const terms = text.normalize("NFC").match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_TERMS) ?? [];
  if (terms.length === 0) throw problems.validation([{ path: "query.q", message: "Search with at least one letter or digit.", code: "invalid_search" }]);
  return terms.map((term) => `"${term}"*`).join(" ");
}

type Sort = "starts_at" | "relevance" | "distance";
interface Hit {
  event: EventRow;
  rank: number | null;
  distance_km: number | null;
}

const sortKey = (hit: Hit, sort: Sort): string | number => (sort === "starts_at" ? hit.event.starts_at : sort === "relevance" ? hit.rank! : hit.distance_km!);

function checkCursor(cursor: Cursor | undefined, sort: Sort): Cursor | undefined {
  if (cursor && typeof cursor.k !== (sort === "starts_at" ? "string" : "number")) {
    throw problems.validation([{ path: "query.cursor", message: "This cursor belongs to another sort order.", code: "invalid_cursor" }]);
  }
  return cursor;
}

/**
 * The public listing: APPROVED events not over yet (or running after `from`),
 * with filters, full-text search (`q`, ranked by bm25) and "near me" (`lat`,
 * `lng`, `radius_km`: a bounding-box prefilter in SQL, then the exact distance
 * here). Without a point, pages are keyset queries in SQL; near a point, the
 * candidates are ranked here and paged by the same (key, id) cursors.
 */
export async function searchEvents(env: Env, query: EventListQueryInput, caller?: Pick<AuthContext, "userId" | "role">) {
  const near = query.lat !== undefined && query.lng !== undefined ? { lat: query.lat, lng: query.lng, radius: query.radius_km ?? DEFAULT_RADIUS_KM } : undefined;
  const sort: Sort = query.sort ?? (near ? "distance" : query.q ? "relevance" : "starts_at");
  const after = checkCursor(decodeCursor(query.cursor), sort);
  const db = getDb(env.DB);

  const filters: (SQL | undefined)[] = [
    eq(events.status, "APPROVED"),
    gte(events.ends_at, query.from ?? now()),
    query.to ? lte(events.starts_at, query.to) : undefined,
    query.category_id ? eq(events.category_id, query.category_id) : undefined,
    query.event_group_id ? eq(events.event_group_id, query.event_group_id) : undefined,
    query.venue_id ? eq(events.venue_id, query.venue_id) : undefined,
    query.organizer_id ? eq(events.organizer_id, query.organizer_id) : undefined,
    query.organization_id ? eq(events.organization_id, query.organization_id) : undefined,
    query.is_free === undefined ? undefined : eq(events.access_type, query.is_free ? "FREE" : "PAID"),
    // Invitation-only events: to their invitees, staff, organization and admins only.
    listedTo(db, caller),
    near ? boundingBox(near.lat, near.lng, near.radius) : undefined,
  ];

  // The FTS index is joined through a subquery: bm25() needs the MATCH in its own SELECT.
  const matches = query.q
    ? sql`(SELECT rowid AS rid, ${BM25} AS rank FROM events_fts WHERE events_fts MATCH ${ftsQuery(query.q)}) AS ranked`
    : undefined;
  const rank = matches ? sql<number>`ranked.rank` : sql<null>`NULL`;
  const base = db.select({ event: events, rank }).from(events);
  const joined = matches ? base.innerJoin(matches, sql`ranked.rid = ${events}.rowid`) : base;

  if (!near) {
    const keyset =
      after &&
      (sort === "relevance"
        ? or(sql`ranked.rank > ${after.k}`, and(sql`ranked.rank = ${after.k}`, gt(events.id, after.id)))
        : afterCursor(after, events.starts_at, events.id));
    const rows = await joined
      .where(and(...filters, keyset))
      .orderBy(...(sort === "relevance" ? [sql`ranked.rank`, asc(events.id)] : [asc(events.starts_at), asc(events.id)]))
      .limit(query.limit + 1);
    const page = toPage(rows, query.limit, (row) => ({ k: sort === "relevance" ? row.rank! : row.event.starts_at, id: row.event.id }));
    return { data: page.data.map((row) => ({ ...toPublicEvent(row.event), distance_km: null })), next_cursor: page.next_cursor };
  }

  // Flat-earth squared distance, good enough to choose which candidates to read.
  const scale = Math.cos(rad(near.lat));
  const approx = sql`((${events.latitude} - ${near.lat}) * (${events.latitude} - ${near.lat}) + ((${events.longitude} - ${near.lng}) * ${scale}) * ((${events.longitude} - ${near.lng}) * ${scale}))`;
  const candidates = await joined.where(and(...filters)).orderBy(approx).limit(NEAR_CANDIDATES);
  const hits: Hit[] = candidates
    .map((row) => ({ event: row.event, rank: row.rank, distance_km: haversineKm(near.lat, near.lng, row.event.latitude!, row.event.longitude!) }))
    .filter((hit) => hit.distance_km <= near.radius);
  const compare = (a: { k: string | number; id: string }, b: { k: string | number; id: string }) =>
    a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  const keyed = hits.map((hit) => ({ hit, key: { k: sortKey(hit, sort), id: hit.event.id } })).sort((a, b) => compare(a.key, b.key));
  const rest = after ? keyed.filter((item) => compare(item.key, after) > 0) : keyed;
  const page = toPage(rest.slice(0, query.limit + 1), query.limit, (item) => item.key);
  return {
    data: page.data.map(({ hit }) => ({ ...toPublicEvent(hit.event), distance_km: Math.round(hit.distance_km! * 1000) / 1000 })),
    next_cursor: page.next_cursor,
  };
}
