/** What the object shows gates without a decision: zone occupancy, and the offline bundle. */
import type { GateBundle, Occupancy } from "./gate-protocol.ts";
import type { EventStore } from "./store.ts";

export function occupancy(s: EventStore): Occupancy {
  const zones = s.sql<{ id: string; name: string; capacity: number; occupancy: number }>`SELECT id, name, capacity, occupancy FROM zones ORDER BY name`.toArray();
  return { type: "occupancy", zones: zones.map((z) => ({ ...z })), at: new Date().toISOString() };
}

/**
 * What a gate needs to decide offline: verification keys, zones, gates,
 * overrides, blacklist, and the rights that must be refused (cancelled,
 * transferred, blocked, expired) or are already inside. `since` (a previous
 * bundle's version) limits the rights to those changed after it.
 */
export function gateBundle(s: EventStore, since: string | null): GateBundle {
  const { sql } = s;
  const version = new Date().toISOString();
  const rights = sql`SELECT id, qr_code, status, zone_id, is_inside, entry_count, valid_from, valid_until, updated_at FROM rights
                     WHERE (${since} IS NULL OR updated_at > ${since}) ORDER BY updated_at`.toArray();
  return {
    event_id: s.event()?.id ?? "",
    version,
    since,
    keys: sql<{ jwk: string }>`SELECT jwk FROM signing_keys`.toArray().map((k) => JSON.parse(k.jwk)),
    zones: occupancy(s).zones,
    access_points: sql`SELECT * FROM access_points`
      .toArray()
      .map((p) => ({ id: String(p.id), name: String(p.name), direction: String(p.direction), zone_ids: JSON.parse(String(p.zone_ids)) as string[], is_active: Boolean(Number(p.is_active)) })),
    overrides: sql`SELECT * FROM overrides`.toArray().map((o) => ({ ...o }) as Record<string, unknown>),
    // EMAIL and PHONE entries stay in the object (purchases match them); a gate matches the accounts they were resolved to.
    blacklist: sql`SELECT * FROM blacklist WHERE type NOT IN ('EMAIL', 'PHONE')`.toArray().map((b) => ({ ...b }) as Record<string, unknown>),
    revoked: rights.filter((r) => r.status !== "ENABLED" && r.status !== "USED").map((r) => ({ id: String(r.id), qr_code: String(r.qr_code), status: String(r.status) })),
    inside: rights.filter((r) => Number(r.is_inside)).map((r) => String(r.id)),
    valid: rights
      .filter((r) => r.status === "ENABLED" || r.status === "USED")
      .map((r) => ({ id: String(r.id), qr_code: String(r.qr_code), zone_id: (r.zone_id as string | null) ?? null, entry_count: Number(r.entry_count), valid_from: String(r.valid_from), valid_until: String(r.valid_until) })),
  };
}
