/** What the object shows gates without a decision: zone occupancy, and the offline bundle. */
import { MANUAL_CODE_DIGEST, manualCodeDigest, type GateBundle, type Occupancy, type ZoneAccess } from "./gate-protocol.ts";
import type { EventStore } from "./store.ts";

/** When this sign-in session first fetched the bundle (ms), or null if it never did. */
export function bundleFetchedAt(s: EventStore, sessionId: string): number | null {
  const row = s.sql<{ first_at: string }>`SELECT first_at FROM bundle_sessions WHERE session_id = ${sessionId}`.toArray()[0];
  return row ? Date.parse(row.first_at) : null;
}

export function occupancy(s: EventStore): Occupancy {
  const zones = s.sql<{ id: string; name: string; capacity: number; occupancy: number }>`SELECT id, name, capacity, occupancy FROM zones ORDER BY name`.toArray();
  return { type: "occupancy", zones: zones.map((z) => ({ ...z })), at: new Date().toISOString() };
}

/**
 * What a gate needs to decide offline: verification keys, zones, gates and
 * the zones each configuration opens, overrides, blacklist, and the rights
 * that must be refused (cancelled, transferred, blocked, expired) or are
 * already inside. Printed codes are given as keyed digests
 * (`manualCodeDigest`): a device checks a typed code, it cannot read the
 * list. `since` (a previous bundle's version) limits the rights to those
 * changed after it. The first bundle a sign-in session fetches is recorded:
 * that session's offline scans cannot be older (gate.ts).
 */
export function gateBundle(s: EventStore, since: string | null, sessionId: string | null): GateBundle {
  const { sql } = s;
  const version = new Date().toISOString();
  if (sessionId) sql`INSERT INTO bundle_sessions (session_id, first_at) VALUES (${sessionId}, ${version}) ON CONFLICT (session_id) DO NOTHING`;
  const key = s.manualCodeKey();
  // Rights issued before digests existed get theirs once.
  const undigested = sql<{ id: string; qr_code: string }>`SELECT id, qr_code FROM rights WHERE code_digest IS NULL`.toArray();
  if (undigested.length > 0) {
    s.storage.transactionSync(() => {
      for (const r of undigested) sql`UPDATE rights SET code_digest = ${manualCodeDigest(key, r.qr_code)} WHERE id = ${r.id}`;
    });
  }
  const rights = sql`SELECT id, code_digest, config_id, status, zone_id, is_inside, entry_count, valid_from, valid_until, updated_at FROM rights
                     WHERE (${since} IS NULL OR updated_at > ${since}) ORDER BY updated_at`.toArray();
  const event = s.event();
  return {
    event_id: event?.id ?? "",
    status: event?.status ?? "",
    starts_at: event?.starts_at ?? "",
    ends_at: event?.ends_at ?? "",
    version,
    since,
    keys: sql<{ jwk: string }>`SELECT jwk FROM signing_keys`.toArray().map((k) => JSON.parse(k.jwk)),
    manual_codes: { ...MANUAL_CODE_DIGEST, key },
    zones: occupancy(s).zones,
    access_points: sql`SELECT * FROM access_points`
      .toArray()
      .map((p) => ({ id: String(p.id), name: String(p.name), direction: String(p.direction), zone_ids: JSON.parse(String(p.zone_ids)) as string[], is_active: Boolean(Number(p.is_active)) })),
    config_zones: Object.fromEntries(sql<{ id: string; zone_access: string }>`SELECT id, zone_access FROM configs`.toArray().map((c) => [c.id, JSON.parse(c.zone_access) as ZoneAccess[]])),
    overrides: sql`SELECT * FROM overrides`.toArray().map((o) => ({ ...o }) as Record<string, unknown>),
    // EMAIL and PHONE entries stay in the object (purchases match them); a gate matches the accounts they were resolved to.
    blacklist: sql`SELECT * FROM blacklist WHERE type NOT IN ('EMAIL', 'PHONE')`.toArray().flatMap((b) => {
      if (b.type !== "QR_CODE") return [{ ...b } as Record<string, unknown>];
      // A ban on a printed code names the right instead: the bundle never carries a code. A code of no right here matches nothing.
      const right = sql<{ id: string }>`SELECT id FROM rights WHERE id = ${b.identifier} OR qr_code = ${b.identifier}`.toArray()[0];
      return right ? [{ ...b, identifier: right.id } as Record<string, unknown>] : [];
    }),
    revoked: rights.filter((r) => r.status !== "ENABLED" && r.status !== "USED").map((r) => ({ id: String(r.id), code_digest: String(r.code_digest), status: String(r.status) })),
    inside: rights.filter((r) => Number(r.is_inside)).map((r) => String(r.id)),
    valid: rights
      .filter((r) => r.status === "ENABLED" || r.status === "USED")
      .map((r) => ({
        id: String(r.id),
        code_digest: String(r.code_digest),
        config_id: (r.config_id as string | null) ?? null,
        zone_id: (r.zone_id as string | null) ?? null,
        entry_count: Number(r.entry_count),
        valid_from: String(r.valid_from),
        valid_until: String(r.valid_until),
      })),
  };
}
