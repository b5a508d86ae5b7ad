/**
 * A gate's decisions while its socket is down, from the event's offline
 * bundle (GET /v1/events/{id}/gate/bundle, protocol 2): the QR signature
 * checked with the bundle's Ed25519 public keys, or a typed code's keyed
 * digest looked up among the bundle's (the bundle holds no printed code),
 * the event's status, the right's state (revoked, inside, dates),
 * blacklisted rights and devices, the zones it opens (after right-level
 * overrides; LIMITED and CONDITIONAL ones with a warning, a CONDITIONAL
 * zone's time limit checked), the gate's direction, zone capacity, and this
 * gate's own admissions not yet uploaded. What the bundle cannot tell
 * (holder bans and groups, age, re-entry rules) the server settles at sync:
 * an offline admission it disagrees with is recorded as a conflict, never
 * dropped.
 */
import {
  MANUAL_CODE,
  manualCodeDigest,
  WRONG_DATE_MS,
  type DenialReason,
  type GateBundle,
  type Occupancy,
  type ScanAction,
  type ScanBody,
  type ScanResult,
  type ZoneAccess,
} from "../../durable-objects/event/gate-protocol.ts";
import { importVerifyKeys, verifyAccessToken } from "../../src/access/qr-tokens.ts";

export interface OfflineDecision {
  status: ScanResult["status"];
  denial_reason: DenialReason | null;
  access_right_id: string | null;
  zone_id: string | null;
  warning?: string;
}

interface RightState {
  id: string;
  status: string; // ENABLED, USED, or why it is revoked
  config_id: string | null;
  zone_id: string | null;
  valid_from: string | null;
  valid_until: string | null;
}

type Presence = "in" | "out";

interface Override {
  target_type: string;
  target_id: string;
  original_zone_id: string | null;
  override_zone_id: string;
  valid_from: string | null;
  valid_until: string | null;
}

interface BlacklistEntry {
  type: string;
  identifier: string;
  starts_at: string;
  ends_at: string | null;
}

const REVOKED_REASON: Record<string, DenialReason> = { CANCELLED: "CANCELLED", BLOCKED: "BLACKLISTED", TRANSFERRED: "INVALID_QR", EXPIRED: "EXPIRED" };

export class OfflineGate {
  private eventId = "";
  private eventStatus = "";
  /** When a CONDITIONAL zone's `halftime` is: halfway between the event's start and end. */
  private halftime = NaN;
  private keys = new Map<string, CryptoKey>();
  private codeKey = "";
  private rights = new Map<string, RightState>();
  private byDigest = new Map<string, string>(); // printed code's digest → right id
  private configZones = new Map<string, ZoneAccess[]>();
  /** Who is inside as the server last said: the bundle, then this gate's online and synced results. */
  private serverInside = new Set<string>();
  /** Presence changed by this gate's offline decisions not uploaded yet: it outranks the server's older view. */
  private unsynced = new Map<string, Presence>();
  private zones = new Map<string, { capacity: number; occupancy: number }>();
  private localEntries = new Map<string, number>(); // per zone: offline admissions not yet uploaded
  private point: GateBundle["access_points"][number] | undefined;
  private overrides: Override[] = [];
  private blacklist: BlacklistEntry[] = [];
  version: string | null = null;
  readonly accessPointId: string;
  readonly deviceId: string;

  constructor(accessPointId: string, deviceId: string) {
    this.accessPointId = accessPointId;
    this.deviceId = deviceId;
  }

  get ready(): boolean {
    return this.version !== null;
  }

  /** Takes a full bundle, or a delta (`since` set) over the one already held. */
  async apply(bundle: GateBundle): Promise<void> {
    if (bundle.since === null) {
      this.rights.clear();
      this.byDigest.clear();
      this.serverInside.clear();
    }
    this.eventId = bundle.event_id;
    this.eventStatus = bundle.status;
    this.halftime = (Date.parse(bundle.starts_at) + Date.parse(bundle.ends_at)) / 2;
    this.keys = await importVerifyKeys(bundle.keys as Parameters<typeof importVerifyKeys>[0]);
    this.codeKey = bundle.manual_codes.key;
    this.configZones = new Map(Object.entries(bundle.config_zones));
    const inside = new Set(bundle.inside);
    const changed = [
      ...bundle.valid.map((r) => ({ id: r.id, code_digest: r.code_digest, status: r.entry_count > 0 ? "USED" : "ENABLED", config_id: r.config_id, zone_id: r.zone_id, valid_from: r.valid_from, valid_until: r.valid_until })),
      ...bundle.revoked.map((r) => ({ id: r.id, code_digest: r.code_digest, status: r.status, config_id: null, zone_id: null, valid_from: null, valid_until: null })),
    ];
    for (const { code_digest, ...right } of changed) {
      this.rights.set(right.id, right);
      this.byDigest.set(code_digest, right.id);
      if (inside.has(right.id)) this.serverInside.add(right.id);
      else this.serverInside.delete(right.id);
    }
    this.noteOccupancy(bundle.zones);
    this.point = bundle.access_points.find((p) => p.id === this.accessPointId);
    this.overrides = bundle.overrides as unknown as Override[];
    this.blacklist = bundle.blacklist as unknown as BlacklistEntry[];
    this.version = bundle.version;
  }

  /** Zone counts as the server last told them (bundle or `occupancy` broadcast). */
  noteOccupancy(zones: Occupancy["zones"]): void {
    for (const zone of zones) this.zones.set(zone.id, { capacity: zone.capacity, occupancy: zone.occupancy });
  }

  /** A result from the server (online, or for an uploaded offline scan): the right's presence as it now records it. */
  noteResult(result: ScanResult, action: ScanAction): void {
    if (!result.access_right || result.conflict || (result.status !== "SUCCESS" && result.status !== "WARNING") || action === "CHECK") return;
    if (action === "EXIT") this.serverInside.delete(result.access_right.id);
    else this.serverInside.add(result.access_right.id);
  }

  /** The server has recorded an offline scan of this gate: its own view now includes it (and its occupancy counts the admission). */
  noteSynced(decision: OfflineDecision, action: ScanAction, result: ScanResult): void {
    if (decision.access_right_id) this.unsynced.delete(decision.access_right_id);
    if (action !== "EXIT" && action !== "CHECK" && decision.status !== "DENIED" && decision.status !== "ERROR" && decision.zone_id) {
      this.localEntries.set(decision.zone_id, Math.max(0, (this.localEntries.get(decision.zone_id) ?? 0) - 1));
    }
    this.noteResult(result, action);
  }

  isInside(rightId: string): boolean {
    return (this.unsynced.get(rightId) ?? (this.serverInside.has(rightId) ? "in" : "out")) === "in";
  }

  /** Decides one scan and, when it admits or lets out, records that at this gate. */
  async decide(body: ScanBody, now: number = Date.now()): Promise<OfflineDecision> {
    const decision = await this.evaluate(body, now);
    if (decision.access_right_id && decision.status !== "DENIED" && decision.status !== "ERROR" && body.action !== "CHECK") {
      if (body.action === "EXIT") this.unsynced.set(decision.access_right_id, "out");
      else {
        this.unsynced.set(decision.access_right_id, "in");
        if (decision.zone_id) this.localEntries.set(decision.zone_id, (this.localEntries.get(decision.zone_id) ?? 0) + 1);
      }
    }
    return decision;
  }

  private async evaluate(body: ScanBody, now: number): Promise<OfflineDecision> {
    const deny = (reason: DenialReason, rightId: string | null = null, zoneId: string | null = null, warning?: string): OfflineDecision => ({
      status: "DENIED",
      denial_reason: reason,
      access_right_id: rightId,
      zone_id: zoneId,
      ...(warning ? { warning } : {}),
    });
    if (!this.ready) return { status: "ERROR", denial_reason: "TECHNICAL_ERROR", access_right_id: null, zone_id: null, warning: "No offline bundle yet." };

    // 1. Which right: the signed token's, or the printed code's (by its digest).
    let rightId: string | undefined;
    if (body.scan_method === "MANUAL_ENTRY") {
      if (!MANUAL_CODE.test(body.qr.trim().toUpperCase().replace(/\s/g, ""))) return deny("INVALID_QR");
      rightId = this.byDigest.get(manualCodeDigest(this.codeKey, body.qr));
      if (!rightId) return deny("INVALID_QR");
    } else {
      const check = await verifyAccessToken(body.qr, this.keys);
      if (!check.ok) return deny("INVALID_QR");
      if (check.event_id !== this.eventId) return deny("WRONG_EVENT");
      rightId = check.access_right_id;
    }
    if (!this.point || !this.point.is_active) return { ...deny("TECHNICAL_ERROR", rightId), status: "ERROR", warning: "This gate is not in the offline bundle." };

    // 2. Its state, and its event's. A right signed for this event but newer than the bundle is let in on its signature: the server settles it at sync.
    if (this.eventStatus === "CANCELLED") return deny("CANCELLED", rightId, null, "This event was cancelled.");
    const right = this.rights.get(rightId);
    const revoked = right ? REVOKED_REASON[right.status] : undefined;
    if (revoked) return deny(revoked, rightId, null, right!.status === "TRANSFERRED" ? "This ticket was transferred; only the new holder's QR is valid." : undefined);

    // 3. When.
    if (right?.valid_from) {
      const from = Date.parse(right.valid_from);
      if (now < from) return deny(from - now > WRONG_DATE_MS ? "WRONG_DATE" : "NOT_YET_VALID", rightId);
    }
    if (right?.valid_until && now > Date.parse(right.valid_until)) return deny("EXPIRED", rightId);

    // 4. Who: the bans a gate can check without knowing the holder.
    const at = new Date(now).toISOString();
    const banned = this.blacklist.some(
      (b) =>
        b.starts_at <= at &&
        (b.ends_at === null || b.ends_at > at) &&
        ((b.type === "QR_CODE" && b.identifier === rightId) || (b.type === "DEVICE" && b.identifier === this.deviceId)),
    );
    if (banned) return deny("BLACKLISTED", rightId);

    // 5. Where: the zones it opens (its own after its right-level override, else also its configuration's), the first this gate opens onto, in this direction.
    const zone = right?.zone_id ?? null;
    const override = this.overrides.find(
      (o) =>
        o.target_type === "ACCESS_RIGHT" &&
        o.target_id === rightId &&
        (zone === null || o.original_zone_id === zone) &&
        (o.valid_from === null || o.valid_from <= at) &&
        (o.valid_until === null || o.valid_until > at),
    );
    const entering = body.action !== "EXIT";
    const candidates: ZoneAccess[] = override
      ? [{ zone_id: override.override_zone_id, access: "FULL", conditions: null }]
      : [...(zone ? [{ zone_id: zone, access: "FULL" as const, conditions: null }] : []), ...((right?.config_id && this.configZones.get(right.config_id)) || [])];
    const open = candidates.find((c) => this.point!.zone_ids.includes(c.zone_id) && (c.access !== "CONDITIONAL" || !entering || !(now > this.timeLimit(c))));
    if (candidates.length > 0 && !open) return deny("WRONG_ZONE", rightId, candidates[0]!.zone_id);
    const zoneId = open?.zone_id ?? null;
    const zoneWarning = open && open.access !== "FULL" ? `${open.access === "LIMITED" ? "Limited" : "Conditional"} access to this zone: check its conditions.` : undefined;
    if ((entering && this.point.direction === "EXIT") || (!entering && this.point.direction === "ENTRY")) {
      return deny("WRONG_ZONE", rightId, zoneId, `This gate is ${this.point.direction.toLowerCase()} only.`);
    }

    // 6. The action against presence and capacity.
    const inside = this.isInside(rightId);
    const admit = (said?: string): OfflineDecision => {
      const warning = [zoneWarning, said].filter(Boolean).join(" ") || undefined;
      return { status: warning ? "WARNING" : "SUCCESS", denial_reason: null, access_right_id: rightId, zone_id: zoneId, ...(warning ? { warning } : {}) };
    };
    if (body.action === "CHECK") return admit();
    if (body.action === "EXIT") return inside ? admit() : admit("No entry was recorded for this ticket.");
    if (inside) return deny("ALREADY_USED", rightId, zoneId);
    if (zoneId) {
      const counts = this.zones.get(zoneId);
      if (counts && counts.occupancy + (this.localEntries.get(zoneId) ?? 0) >= counts.capacity) return deny("CAPACITY_FULL", rightId, zoneId);
    }
    if (!right) return admit("Not in the offline list yet; admitted on its signature.");
    if (body.action === "RE_ENTRY" && right.status === "ENABLED") return admit("First entry recorded as a re-entry.");
    return admit();
  }

  /** A CONDITIONAL zone's time limit (ms): an ISO time, or halftime; NaN (never passed) when it has none this gate can read. */
  private timeLimit(c: ZoneAccess): number {
    const limit = c.conditions?.time_limit;
    if (limit === "halftime") return this.halftime;
    return typeof limit === "string" && /^\d{4}-\d{2}-\d{2}T/.test(limit) ? Date.parse(limit) : NaN;
  }
}
