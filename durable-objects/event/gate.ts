/**
 * The scan decision (docs/gate-protocol.md, "The decision"): which right,
 * which gate, its status, when, who, where, then the action, and its effects
 * and log row written in the same synchronous step (`decideScan`), for a
 * group-commit pass of scans at a time (`decideScanPass`).
 */
import { timingSafeEqual } from "../../src/lib/crypto/hash.ts";
import { newLogId } from "../../src/lib/ids.ts";
import { ageOn } from "../../src/lib/time.ts";
import type { Result, ScanContext, ZoneAccess } from "./contract.ts";
import { MANUAL_CODE, normalizeManualCode, OFFLINE_CLOCK_SKEW_MS, WRONG_DATE_MS, type ActivityMessage, type DenialReason, type ScanBody, type ScanResult } from "./gate-protocol.ts";
import type { Row, Sql } from "./sql.ts";
import { isUnconfirmed, type ScanToken } from "./tokens.ts";

export interface GateEvent {
  id: string;
  status: string;
  starts_at: string;
  ends_at: string;
}

/**
 * What decisions read that only `configureGate` and `setGatePolicy` change
 * (gates, overrides, blacklist), parsed once and held by the EventDO until
 * one of them runs: a scan then reads SQLite only for its right.
 */
export interface GatePolicyState {
  points: Map<string, { is_active: boolean; direction: string; zone_ids: string[] }>;
  /** By `${type}:${identifier}`. */
  blacklist: Map<string, { starts_at: string; ends_at: string | null }[]>;
  /** In insertion order, as the table returns them. */
  overrides: { target_type: string; target_id: string; original_zone_id: string; override_zone_id: string; valid_from: string | null; valid_until: string | null; capacity_impact: number | null }[];
  /** Per configuration, every zone its rights open, in the order a gate tries them (`configure` changes them). */
  configZones: Map<string, ZoneAccess[]>;
}

export function loadGatePolicy(sql: Sql): GatePolicyState {
  const points = new Map<string, { is_active: boolean; direction: string; zone_ids: string[] }>();
  for (const p of sql`SELECT id, direction, zone_ids, is_active FROM access_points`) {
    points.set(String(p.id), { is_active: Boolean(Number(p.is_active)), direction: String(p.direction), zone_ids: JSON.parse(String(p.zone_ids)) as string[] });
  }
  const blacklist = new Map<string, { starts_at: string; ends_at: string | null }[]>();
  for (const b of sql`SELECT type, identifier, starts_at, ends_at FROM blacklist`) {
    const key = `${b.type}:${b.identifier}`;
    const entries = blacklist.get(key) ?? [];
    entries.push({ starts_at: String(b.starts_at), ends_at: (b.ends_at as string | null) ?? null });
    blacklist.set(key, entries);
  }
  const overrides = sql`SELECT target_type, target_id, original_zone_id, override_zone_id, valid_from, valid_until, capacity_impact FROM overrides ORDER BY rowid`
    .toArray()
    .map((o) => ({
      target_type: String(o.target_type),
      target_id: String(o.target_id),
      original_zone_id: String(o.original_zone_id),
      override_zone_id: String(o.override_zone_id),
      valid_from: (o.valid_from as string | null) ?? null,
      valid_until: (o.valid_until as string | null) ?? null,
      capacity_impact: o.capacity_impact === null ? null : Number(o.capacity_impact),
    }));
  const configZones = new Map<string, ZoneAccess[]>();
  for (const c of sql`SELECT id, zone_access FROM configs`) configZones.set(String(c.id), JSON.parse(String(c.zone_access)) as ZoneAccess[]);
  return { points, blacklist, overrides, configZones };
}

interface Decision {
  status: ScanResult["status"];
  reason: DenialReason | null;
  warning?: string;
  other_event_id?: string;
  right: Row | null;
  zone_id: string | null;
  /** Known when the capacity check read the zone; otherwise looked up for the result. */
  zone_name?: string;
  conflict: boolean;
  /** What the scan changes: occupancy moves and the right's new presence. */
  effect: null | { kind: "enter" | "exit"; zone_id: string | null };
}

/**
 * The right a scan names, with everything its decision reads beside it, in
 * one statement: the nonce's first result (a replay), the holder's facts,
 * the ticket type's rules, the right's own zone, and the token issued for it
 * under key `?3` (an `UnconfirmedToken`'s, else null). `?2` is null when the
 * scan names no right (a bad token or code): the row then only says replay.
 */
const loadRight = (by: "id" | "qr_code") => `
  SELECT (SELECT result FROM scans WHERE nonce = ?1) AS replay,
    r.rowid AS right_rowid, r.id, r.qr_code, r.user_id, json_extract(r.attendee, '$.name') AS attendee_name, r.order_id, r.zone_id, r.seat_id, r.status, r.source_type, r.source_id, r.valid_from, r.valid_until, r.used_at, r.is_inside, r.inside_zone_id, r.entry_count,
    p.user_id AS person_user_id, p.birth_date AS person_birth_date, p.groups AS person_groups,
    c.id AS rules_config_id, c.min_age AS rules_min_age, c.requires_id AS rules_requires_id, c.re_entry_allowed AS rules_re_entry_allowed,
    z.name AS zone_name, z.capacity AS zone_capacity, z.occupancy AS zone_occupancy, t.token AS issued
  FROM (SELECT 1) LEFT JOIN rights r ON r.${by} = ?2 LEFT JOIN people p ON p.user_id = r.user_id
    LEFT JOIN configs c ON c.id = r.config_id LEFT JOIN zones z ON z.id = r.zone_id
    LEFT JOIN issued_tokens t ON t.access_right_id = r.id AND t.kid = ?3`;
const LOAD_BY_ID = loadRight("id");
const LOAD_BY_CODE = loadRight("qr_code");

type Zone = { name: string; capacity: number; occupancy: number };

/**
 * Zone occupancy as the scans of one group-commit pass leave it, by zone id:
 * read from the table on a zone's first move in the pass, then kept here and
 * written once when the pass ends (`writeOccupancy`), in the same transaction.
 * A pass of a thousand entries into one stand rewrites its row once, not a
 * thousand times.
 */
export type PassOccupancy = Map<string, number>;

export function writeOccupancy(sql: Sql, occupancy: PassOccupancy): void {
  for (const [zoneId, count] of occupancy) sql`UPDATE zones SET occupancy = ${count} WHERE id = ${zoneId}`;
}

/**
 * Scans decided per savepoint of a group-commit pass (GroupCommit): a scan
 * changes about 2.6 pages (its log row, the nonce index, its right; measured
 * in bench:gate), so four stay within the 64 KiB SQLite keeps of a
 * savepoint's pages in memory before it writes them to a temporary file.
 */
export const SCANS_PER_SAVEPOINT = 4;

/** A message's scans, their tokens checked (a lone scan's maybe unconfirmed), waiting for the next group commit. */
export interface QueuedScans {
  bodies: ScanBody[];
  who: ScanContext;
  checks: (ScanToken | null)[];
  receivedAt: number;
  /** When the scanning session first fetched the bundle (ms), or null if it never did: its offline scans cannot be older. */
  offlineFrom: number | null;
}

export interface DecidedScans {
  answer: Result<{ results: ScanResult[] }>;
  /** Whether a scan moved someone (occupancy to broadcast). */
  moved: boolean;
  /** What observers are shown of these scans. */
  activity: ActivityMessage["scans"];
  /** A lone scan left undecided, nothing written: its token was not the one issued for its right, and must be verified first. */
  unconfirmed?: true;
}

/** The right of this event a token names: verified, or to be confirmed against the token issued for it. */
function named(token: ScanToken | null, eventId: string): string | null {
  if (token === null || !(token.ok || isUnconfirmed(token))) return null;
  return token.event_id === eventId ? token.access_right_id : null;
}

/**
 * One group-commit pass of scans, from any gate, in arrival order. Zone
 * counts are kept across the pass's scans and written once at its end.
 * The event and the policy are read as the pass runs, not when the scans
 * arrived: a policy change that landed meanwhile applies to them.
 */
export function decideScanPass(sql: Sql, event: GateEvent, policy: GatePolicyState, items: QueuedScans[]): DecidedScans[] {
  const occupancy: PassOccupancy = new Map();
  const decided = items.map((item): DecidedScans => {
    let moved = false;
    const results: ScanResult[] = [];
    for (const [i, body] of item.bodies.entries()) {
      const scan = decideScan(sql, event, policy, body, item.who, item.checks[i]!, item.receivedAt, item.offlineFrom, occupancy);
      if (scan === null) {
        // Only a lone scan's token is confirmed in its decision: a batch is decided whole, its tokens checked before (EventDO.scan).
        if (item.bodies.length > 1) throw new Error("a scan of a batch came with an unconfirmed token");
        return { answer: { ok: true, results: [] }, moved: false, activity: [], unconfirmed: true };
      }
      moved ||= scan.moved;
      results.push(scan.result);
    }
    const activity = results.map((result, i) => ({
      id: result.id,
      access_point_id: item.who.access_point_id,
      action: item.bodies[i]!.action,
      status: result.status,
      denial_reason: result.denial_reason,
      zone_id: result.zone_id,
    }));
    return { answer: { ok: true as const, results }, moved, activity };
  });
  writeOccupancy(sql, occupancy);
  return decided;
}

/**
 * Decides one scan against the event's state and writes its effects and its
 * log row, synchronously: nothing can run between reading the right and
 * writing its new state, so one right admits one person per entry across
 * every gate of the event. A nonce is decided once; a replay gets the first
 * result. `token` is the QR token's check (null for MANUAL_ENTRY).
 *
 * An offline scan is judged as of its `scanned_at`, but only within when it
 * could have been made (`offlineWindow`): not after the server received it,
 * nor before its session first fetched the bundle (each give or take
 * OFFLINE_CLOCK_SKEW_MS). Otherwise it is a refused conflict, recorded and
 * applied to nothing: a device cannot mark tickets used days before the
 * event by dating its uploads.
 *
 * Null, with nothing written, for an `UnconfirmedToken` that is not the
 * token issued for its right: its signature is to be verified first.
 */
export function decideScan(
  sql: Sql,
  event: GateEvent,
  policy: GatePolicyState,
  body: ScanBody,
  ctx: ScanContext,
  token: ScanToken | null,
  receivedAt: number,
  offlineFrom: number | null,
  occupancy: PassOccupancy,
): { result: ScanResult; moved: boolean } | null {
  const manual = body.scan_method === "MANUAL_ENTRY";
  const unconfirmed = token !== null && isUnconfirmed(token) ? token : null;
  const key = manual
    ? MANUAL_CODE.test(body.qr.trim().toUpperCase().replace(/\s/g, "")) ? normalizeManualCode(body.qr) : null
    : named(token, event.id);
  const row = sql.storage.exec<Row>(manual ? LOAD_BY_CODE : LOAD_BY_ID, body.id, key, unconfirmed?.kid ?? null).one();
  if (row.replay !== null) return { result: replayOf(sql, body.id), moved: false };
  // The issued token, compared whole in constant time (tokens.ts). Naming no right of the event, a token is INVALID_QR, genuine or not.
  let check: ScanToken | null = token;
  if (unconfirmed && row.id !== null) {
    if (row.issued === null || !timingSafeEqual(String(row.issued), body.qr)) return null;
    check = { ok: true, access_right_id: unconfirmed.access_right_id, event_id: unconfirmed.event_id, kid: unconfirmed.kid };
  }

  // The right's zone came with it; an override's zone is read when a decision needs it. Earlier scans of this pass may have moved its count.
  const zoneOf = (id: string): Zone | undefined => {
    const zone =
      id === row.zone_id
        ? row.zone_name === null ? undefined : { name: String(row.zone_name), capacity: Number(row.zone_capacity), occupancy: Number(row.zone_occupancy) }
        : sql<Zone>`SELECT name, capacity, occupancy FROM zones WHERE id = ${id}`.toArray()[0];
    return zone && { ...zone, occupancy: occupancy.get(id) ?? zone.occupancy };
  };

  const offline = body.offline_status !== undefined;
  // An offline scan is judged at the moment it happened, if it could have happened then; a live one now.
  const at = offline ? Date.parse(body.scanned_at) : receivedAt;
  const impossible = offline ? offlineWindow(at, receivedAt, offlineFrom) : null;
  const received = new Date(receivedAt).toISOString();
  // An impossible scan is applied to nothing: its time is read no further.
  const when = offline && !impossible ? new Date(at).toISOString() : received;
  const decision = impossible ?? evaluate(policy, event, body, ctx, check, row.id === null ? undefined : row, zoneOf, at, when);
  // Refused, but logged against the right it names.
  if (impossible && row.id !== null) decision.right = row;

  if (offline && !impossible) reconcileOffline(decision, body.offline_status!);
  if (body.action === "CHECK") decision.effect = null;

  if (decision.effect && decision.right) {
    applyEffect(sql, decision.right, decision.effect, ctx, when, received);
    const zoneId = decision.effect.zone_id;
    const zone = zoneId ? zoneOf(zoneId) : undefined;
    if (zoneId && zone) occupancy.set(zoneId, decision.effect.kind === "enter" ? zone.occupancy + 1 : Math.max(zone.occupancy - 1, 0));
  }

  const right = decision.right;
  const said: Said = {
    warning: decision.warning,
    other_event_id: decision.other_event_id,
    zone_name: decision.zone_name ?? (decision.zone_id ? zoneOf(decision.zone_id)?.name : undefined),
    // The row as read before the effect: an entry is the one field the effect changed that the result shows.
    entry_count: right ? Number(right.entry_count) + (decision.effect?.kind === "enter" ? 1 : 0) : undefined,
  };
  const result = answer({
    nonce: body.id,
    status: decision.status,
    denial_reason: decision.reason,
    access_right_id: right ? String(right.id) : null,
    user_id: right ? String(right.user_id) : null,
    zone_id: decision.zone_id,
    response_time_ms: Math.max(0, Date.now() - receivedAt),
    is_conflict: decision.conflict ? 1 : 0,
    qr_code: right ? String(right.qr_code) : null,
    seat_id: right ? ((right.seat_id as string | null) ?? null) : null,
    source_type: right ? String(right.source_type) : null,
    attendee_name: right ? ((right.attendee_name as string | null) ?? null) : null,
    said,
  });
  // The projection to D1 follows the log by its seq and takes the rights the moved scans name (projection.ts).
  const moved = Boolean(decision.effect && right);
  sql`
    INSERT INTO scans (nonce, id, access_right_id, user_id, access_point_id, zone_id, controller_id, device_id, scan_method, qr_code_scanned, action, status,
      denial_reason, response_time_ms, queue_size, was_offline, is_conflict, scanned_at, received_at, result, moved, metadata)
    VALUES (${body.id}, ${newLogId(receivedAt)}, ${right ? String(right.id) : null}, ${right ? String(right.user_id) : null}, ${ctx.access_point_id}, ${decision.zone_id},
      ${ctx.controller_id}, ${ctx.device_id}, ${body.scan_method}, ${body.qr.slice(0, 200)}, ${body.action}, ${decision.status}, ${decision.reason},
      ${result.response_time_ms}, ${body.queue_size ?? null}, ${offline ? 1 : 0}, ${decision.conflict ? 1 : 0},
      ${new Date(Date.parse(body.scanned_at) || receivedAt).toISOString()}, ${received}, ${JSON.stringify(said)}, ${moved ? 1 : 0},
      ${ctx.reason ? JSON.stringify({ reason: ctx.reason }) : null})`;
  return { result, moved };
}

/**
 * What a scan's answer said that neither its log row's other columns nor its
 * right (whose code, seat and source never change) hold. Kept in
 * `scans.result` to answer a replay exactly as the first time: storing the
 * whole answer made every scan's row a third bigger, and the write slower.
 */
interface Said {
  warning?: string;
  other_event_id?: string;
  zone_name?: string;
  entry_count?: number;
}

interface Answered {
  nonce: string;
  status: ScanResult["status"];
  denial_reason: DenialReason | null;
  access_right_id: string | null;
  user_id: string | null;
  zone_id: string | null;
  response_time_ms: number;
  is_conflict: number;
  qr_code: string | null;
  seat_id: string | null;
  source_type: string | null;
  attendee_name: string | null;
  said: Said;
}

/** The answer to a scan, from what its decision found or, for a replay, from its log row and right. */
function answer(a: Answered): ScanResult {
  return {
    type: "scan_result",
    id: a.nonce,
    status: a.status,
    denial_reason: a.denial_reason,
    ...(a.said.other_event_id ? { other_event_id: a.said.other_event_id } : {}),
    ...(a.said.warning ? { warning: a.said.warning } : {}),
    access_right:
      a.access_right_id === null
        ? null
        : {
            id: a.access_right_id,
            qr_code: String(a.qr_code),
            holder_id: String(a.user_id),
            zone_id: a.zone_id,
            zone_name: a.said.zone_name ?? null,
            seat_id: a.seat_id,
            source_type: String(a.source_type),
            entry_count: Number(a.said.entry_count),
            attendee_name: a.attendee_name,
          },
    zone_id: a.zone_id,
    response_time_ms: a.response_time_ms,
    ...(a.is_conflict ? { conflict: true } : {}),
  };
}

function replayOf(sql: Sql, nonce: string): ScanResult {
  const row = sql<Omit<Answered, "said"> & { result: string }>`
    SELECT s.nonce, s.status, s.denial_reason, s.access_right_id, s.user_id, s.zone_id, s.response_time_ms, s.is_conflict, s.result, r.qr_code, r.seat_id, r.source_type,
      json_extract(r.attendee, '$.name') AS attendee_name
    FROM scans s LEFT JOIN rights r ON r.id = s.access_right_id WHERE s.nonce = ${nonce}`.one();
  return answer({ ...row, said: JSON.parse(row.result) as Said });
}

function evaluate(
  policy: GatePolicyState,
  event: GateEvent,
  body: ScanBody,
  ctx: ScanContext,
  check: ScanToken | null,
  right: Row | undefined,
  zoneOf: (id: string) => Zone | undefined,
  at: number,
  when: string,
): Decision {
  const deny = (reason: DenialReason, right: Row | null = null, zone: string | null = null, extra: Partial<Decision> = {}): Decision => ({
    status: "DENIED",
    reason,
    right,
    zone_id: zone,
    conflict: false,
    effect: null,
    ...extra,
  });

  // 1. Which right: the verified token's, or the printed code's (read by decideScan; none for a malformed code).
  if (body.scan_method !== "MANUAL_ENTRY") {
    if (!check || !check.ok) return deny("INVALID_QR");
    if (check.event_id !== event.id) return deny("WRONG_EVENT", null, null, { other_event_id: check.event_id });
  }
  if (!right) return deny("INVALID_QR");

  const point = policy.points.get(ctx.access_point_id);
  if (!point || !point.is_active) return deny("TECHNICAL_ERROR", right, null, { status: "ERROR", warning: "This gate is not part of the event's venue." });

  // 2. The right's own state, and its event's: a cancelled event admits no one.
  if (event.status === "CANCELLED") return deny("CANCELLED", right, null, { warning: "This event was cancelled." });
  switch (right.status) {
    case "CANCELLED":
    case "EXPIRED":
      return deny(right.status === "CANCELLED" ? "CANCELLED" : "EXPIRED", right);
    case "BLOCKED":
      return deny("BLACKLISTED", right);
    case "TRANSFERRED":
      // Its QR stopped working when the new holder's started (invariant 5).
      return deny("INVALID_QR", right, null, { warning: "This ticket was transferred; only the new holder's QR is valid." });
  }

  // 3. When.
  const from = Date.parse(String(right.valid_from));
  if (at < from) return deny(from - at > WRONG_DATE_MS ? "WRONG_DATE" : "NOT_YET_VALID", right);
  if (at > Date.parse(String(right.valid_until))) return deny("EXPIRED", right);

  // 4. Who: the blacklist (entries already scoped to this event by the Worker).
  if (blacklisted(policy, when, right, ctx)) return deny("BLACKLISTED", right);

  // 5. Where: the zones the right opens (its own after overrides, then its ticket type's others), the first this gate opens onto.
  const entering = body.action === "ENTRY" || body.action === "RE_ENTRY" || body.action === "CHECK";
  const where = zoneAtGate(policy, event, right, point.zone_ids, when, at, !entering);
  if (!where.ok) return deny("WRONG_ZONE", right, where.zone_id, where.warning ? { warning: where.warning } : {});
  const zoneId = where.zone_id;
  const direction = point.direction;
  if ((entering && direction === "EXIT") || (body.action === "EXIT" && direction === "ENTRY")) {
    return deny("WRONG_ZONE", right, zoneId, { warning: `This gate is ${direction.toLowerCase()} only.` });
  }

  // 6. The action against presence, capacity and age.
  const rules = right.rules_config_id !== null;
  const reEntryAllowed = rules ? Boolean(Number(right.rules_re_entry_allowed)) : true;
  const inside = Boolean(Number(right.is_inside));
  const entries = Number(right.entry_count);

  if (body.action === "EXIT") {
    if (!inside) return { status: "WARNING", reason: null, warning: "No entry was recorded for this ticket.", right, zone_id: zoneId, conflict: false, effect: null };
    // The count goes down in the zone the holder entered.
    return { status: "SUCCESS", reason: null, right, zone_id: zoneId, conflict: false, effect: { kind: "exit", zone_id: (right.inside_zone_id as string | null) ?? zoneId } };
  }
  if (inside) return deny("ALREADY_USED", right, zoneId, { warning: `Entered at ${right.used_at ?? "an earlier scan"}.` });
  if (entries > 0 && !reEntryAllowed) return deny("ALREADY_USED", right, zoneId, { warning: "Re-entry is not allowed with this ticket." });
  // A RE_ENTRY with no entry before is a first entry: it goes through every check an ENTRY does.
  let warning: string | undefined = [where.warning, body.action === "RE_ENTRY" && entries === 0 ? "First entry recorded as a re-entry." : undefined].filter(Boolean).join(" ") || undefined;
  let zoneName: string | undefined;
  if (zoneId) {
    const zone = zoneOf(zoneId);
    zoneName = zone?.name;
    if (zone && zone.occupancy >= zone.capacity + capacityImpact(policy, zoneId, when)) return deny("CAPACITY_FULL", right, zoneId, { zone_name: zone.name });
  }
  const minAge = !rules || right.rules_min_age === null ? null : Number(right.rules_min_age);
  if (minAge !== null) {
    const birth = right.person_birth_date as string | null;
    if (birth) {
      if (ageOn(birth, new Date(at)) < minAge) return deny("AGE_RESTRICTION", right, zoneId, { warning: `Minimum age ${minAge}.`, zone_name: zoneName });
    } else if (Number(right.rules_requires_id)) {
      warning = [warning, `Age unknown: check an ID (minimum age ${minAge}).`].filter(Boolean).join(" ");
    }
  }
  return { status: warning ? "WARNING" : "SUCCESS", reason: null, warning, right, zone_id: zoneId, zone_name: zoneName, conflict: false, effect: { kind: "enter", zone_id: zoneId } };
}

/**
 * Whether an offline scan dated `at` could have been made by a session that
 * first fetched the bundle at `from`, uploaded at `receivedAt`: null when it
 * could, else its refusal (a conflict, whatever the device decided).
 */
function offlineWindow(at: number, receivedAt: number, from: number | null): Decision | null {
  const latest = receivedAt + OFFLINE_CLOCK_SKEW_MS;
  const earliest = from === null ? null : from - OFFLINE_CLOCK_SKEW_MS;
  if (earliest !== null && at >= earliest && at <= latest) return null;
  const why =
    earliest === null
      ? "this session never fetched the offline bundle"
      : at > latest
        ? `it is dated after the server received it (${new Date(receivedAt).toISOString()})`
        : `it is dated before this session first fetched the offline bundle (${new Date(from!).toISOString()})`;
  return { status: "DENIED", reason: "TECHNICAL_ERROR", warning: `Offline scan not applied: ${why}.`, right: null, zone_id: null, conflict: true, effect: null };
}

/**
 * An offline gate already let the person in (or not). Its admission is a
 * fact: if the server would have admitted too, the entry is applied; if not,
 * it is recorded as a WARNING flagged as a conflict, never dropped. An offline
 * refusal is recorded as a refusal.
 */
function reconcileOffline(decision: Decision, deviceStatus: NonNullable<ScanBody["offline_status"]>) {
  const deviceAdmitted = deviceStatus === "SUCCESS" || deviceStatus === "WARNING";
  if (deviceAdmitted && decision.status === "DENIED") {
    decision.conflict = true;
    decision.warning = `Admitted offline, but the server says ${decision.reason}.`;
    decision.status = "WARNING";
    decision.effect = null;
  } else if (!deviceAdmitted && decision.status !== "DENIED") {
    decision.status = "DENIED";
    decision.reason = "TECHNICAL_ERROR";
    decision.warning = "Refused offline although the ticket was valid.";
    decision.conflict = true;
    decision.effect = null;
  }
}

/**
 * `when` is when the scan happened (an offline one: in the past); `updated_at`
 * (`changed`, when the scan was received) is when the row changed, which is what a gate's bundle delta (`since`)
 * asks about, so offline scans synced late still reach the other gates.
 * D1 learns of the change from the scan's log row (`moved`, projection.ts);
 * the zone's count is the caller's (`PassOccupancy`).
 */
function applyEffect(sql: Sql, right: Row, effect: NonNullable<Decision["effect"]>, ctx: ScanContext, when: string, changed: string) {
  // By rowid, read with the right in the same transaction: one B-tree fewer than by id.
  if (effect.kind === "enter") {
    sql`UPDATE rights SET is_inside = 1, inside_zone_id = ${effect.zone_id}, entry_count = entry_count + 1, status = 'USED', used_at = coalesce(used_at, ${when}),
          used_at_access_point = coalesce(used_at_access_point, ${ctx.access_point_id}), updated_at = ${changed} WHERE rowid = ${right.right_rowid}`;
  } else {
    sql`UPDATE rights SET is_inside = 0, inside_zone_id = NULL, last_exit_at = ${when}, updated_at = ${changed} WHERE rowid = ${right.right_rowid}`;
  }
}

const inWindow = (from: string | null, until: string | null, when: string) => (from === null || from <= when) && (until === null || until > when);

/** Whether the holder, the right (by code or id), the device or the IP is banned at that moment (`when`, ISO). */
function blacklisted(policy: GatePolicyState, when: string, right: Row, ctx: ScanContext): boolean {
  if (policy.blacklist.size === 0) return false;
  const keys = [`USER:${right.user_id}`, `QR_CODE:${right.qr_code}`, `QR_CODE:${right.id}`, ctx.device_id ? `DEVICE:${ctx.device_id}` : "", ctx.ip ? `IP:${ctx.ip}` : ""];
  return keys.some((key) => policy.blacklist.get(key)?.some((b) => inWindow(b.starts_at, b.ends_at, when)));
}

/**
 * Where a right may pass at a gate that opens onto `gateZones`: its own zone
 * after overrides, then the other zones its configuration opens (its ticket
 * type's zones: FULL, LIMITED, CONDITIONAL), the first the gate opens onto.
 * An override moves the holder to its zone alone. LIMITED and CONDITIONAL
 * zones admit with a warning naming their conditions (a steward checks
 * them); a CONDITIONAL zone's `time_limit` (an ISO time, or `halftime`:
 * halfway between the event's start and end) is checked here, for entries
 * (a holder may always leave). A right that opens no zone passes anywhere.
 */
function zoneAtGate(
  policy: GatePolicyState,
  event: GateEvent,
  right: Row,
  gateZones: string[],
  when: string,
  at: number,
  leaving: boolean,
): { ok: true; zone_id: string | null; warning?: string } | { ok: false; zone_id: string | null; warning?: string } {
  const own = (right.zone_id as string | null) ?? null;
  const zone = effectiveZone(policy, right, when);
  const candidates: ZoneAccess[] =
    zone !== own
      ? [{ zone_id: zone!, access: "FULL", conditions: null }]
      : [...(own === null ? [] : [{ zone_id: own, access: "FULL" as const, conditions: null }]), ...(policy.configZones.get(String(right.rules_config_id)) ?? [])];
  if (candidates.length === 0) return { ok: true, zone_id: null };
  // Leaving from the zone the holder is in, where this gate opens onto it.
  const insideZone = (right.inside_zone_id as string | null) ?? null;
  if (leaving && insideZone !== null && gateZones.includes(insideZone)) return { ok: true, zone_id: insideZone };
  let ended: number | undefined;
  for (const c of candidates) {
    if (!gateZones.includes(c.zone_id)) continue;
    if (c.access === "FULL") return { ok: true, zone_id: c.zone_id };
    const limit = timeLimit(c.conditions, event);
    if (limit !== null && at > limit && !leaving) {
      ended ??= limit;
      continue;
    }
    return { ok: true, zone_id: c.zone_id, warning: conditionsWarning(c) };
  }
  return { ok: false, zone_id: zone ?? candidates[0]!.zone_id, warning: ended === undefined ? undefined : `Access to this zone ended at ${new Date(ended).toISOString()}.` };
}

/** A CONDITIONAL zone's time limit in ms, or null when it has none the gate can read. */
function timeLimit(conditions: Record<string, unknown> | null, event: GateEvent): number | null {
  const limit = conditions?.time_limit;
  if (limit === "halftime") return (Date.parse(event.starts_at) + Date.parse(event.ends_at)) / 2;
  if (typeof limit !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(limit)) return null;
  const ms = Date.parse(limit);
  return Number.isNaN(ms) ? null : ms;
}

/** What a steward is told of a LIMITED or CONDITIONAL zone: its conditions, in words. */
function conditionsWarning(c: ZoneAccess): string {
  const said = Object.entries(c.conditions ?? {}).flatMap(([key, value]) => {
    if (key === "reason" && typeof value === "string") return [value];
    if (key === "requires_vip_band") return value === true ? ["VIP band required"] : [];
    if (key === "areas" && Array.isArray(value)) return [`areas: ${value.join(", ")}`];
    if (key === "time_limit") return [`until ${String(value)}`];
    return [`${key}: ${JSON.stringify(value)}`];
  });
  return `${c.access === "LIMITED" ? "Limited" : "Conditional"} access to this zone${said.length ? `: ${said.join("; ")}` : ""}.`;
}

/** The zone after overrides, by priority: access right > ticket > subscription > user group. */
function effectiveZone(policy: GatePolicyState, right: Row, when: string): string | null {
  const zone = (right.zone_id as string | null) ?? null;
  if (policy.overrides.length === 0) return zone;
  const groups = right.person_user_id !== null ? (JSON.parse(String(right.person_groups)) as string[]) : [];
  const targets: [string, string[]][] = [
    ["ACCESS_RIGHT", [String(right.id)]],
    ["TICKET", right.order_id ? [String(right.order_id)] : []],
    ["SUBSCRIPTION", right.source_type === "SUBSCRIPTION" ? [String(right.source_id).split(":")[0]!] : []],
    ["USER_GROUP", groups],
  ];
  for (const [type, ids] of targets) {
    for (const id of ids) {
      const override = policy.overrides.find(
        (o) => o.target_type === type && o.target_id === id && (zone === null || o.original_zone_id === zone) && inWindow(o.valid_from, o.valid_until, when),
      );
      if (override) return override.override_zone_id;
    }
  }
  return zone;
}

/** The seats active overrides take out of (negative) or add to a zone. */
function capacityImpact(policy: GatePolicyState, zoneId: string, when: string): number {
  let impact = 0;
  for (const o of policy.overrides) if (o.original_zone_id === zoneId && inWindow(o.valid_from, o.valid_until, when)) impact += o.capacity_impact ?? 0;
  return impact;
}
