import type { TokenCheck } from "../../src/access/qr-tokens.ts";
import { newId } from "../../src/lib/ids.ts";
import { ageOn } from "../../src/lib/time.ts";
import type { DenialReason, ScanBody, ScanContext, ScanResult } from "./contract.ts";

type Row = Record<string, SqlStorageValue>;

export interface GateEvent {
  id: string;
  status: string;
}

/** Before this long ahead of the doors, a scan is on the wrong day rather than early. (The reference gate client decides offline with it too.) */
export const WRONG_DATE_MS = 12 * 3600_000;

export const MANUAL_CODE = /^[A-Z2-9]{4}-?[A-Z2-9]{4}-?[A-Z2-9]{4}$/;

export const normalizeManualCode = (text: string) => {
  const compact = text.trim().toUpperCase().replace(/[\s-]/g, "");
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8, 12)}`;
};

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
 * Decides one scan against the event's state and writes its effects and its
 * log row, synchronously: nothing can run between reading the right and
 * writing its new state, so one right admits one person per entry across
 * every gate of the event. A nonce is decided once; a replay gets the first
 * result. `check` is the verified QR token (null for MANUAL_ENTRY).
 */
export function decideScan(
  sql: SqlStorage,
  event: GateEvent,
  body: ScanBody,
  ctx: ScanContext,
  check: TokenCheck | null,
  receivedAt: number,
): { result: ScanResult; changed: boolean } {
  const replay = sql.exec<{ result: string }>("SELECT result FROM scans WHERE nonce = ?", body.id).toArray()[0];
  if (replay) return { result: JSON.parse(replay.result) as ScanResult, changed: false };

  const offline = body.offline_status !== undefined;
  // An offline scan is judged at the moment it happened; a live one now.
  const at = offline ? Date.parse(body.scanned_at) : receivedAt;
  const decision = evaluate(sql, event, body, ctx, check, at);

  if (offline) reconcileOffline(decision, body.offline_status!);
  if (body.action === "CHECK") decision.effect = null;

  if (decision.effect && decision.right) applyEffect(sql, decision.right, decision.effect, ctx, at, receivedAt);

  const right = decision.right;
  const zoneName = decision.zone_name ?? (decision.zone_id ? sql.exec<{ name: string }>("SELECT name FROM zones WHERE id = ?", decision.zone_id).toArray()[0]?.name : undefined);
  const result: ScanResult = {
    type: "scan_result",
    id: body.id,
    status: decision.status,
    denial_reason: decision.reason,
    ...(decision.other_event_id ? { other_event_id: decision.other_event_id } : {}),
    ...(decision.warning ? { warning: decision.warning } : {}),
    // The row as read before the effect: an entry is the one field the effect changed that the result shows.
    access_right: right
      ? {
          id: String(right.id),
          qr_code: String(right.qr_code),
          holder_id: String(right.user_id),
          zone_id: decision.zone_id,
          zone_name: zoneName ?? null,
          seat_id: (right.seat_id as string | null) ?? null,
          source_type: String(right.source_type),
          entry_count: Number(right.entry_count) + (decision.effect?.kind === "enter" ? 1 : 0),
        }
      : null,
    zone_id: decision.zone_id,
    response_time_ms: Math.max(0, Date.now() - receivedAt),
    ...(decision.conflict ? { conflict: true } : {}),
  };
  sql.exec(
    `INSERT INTO scans (nonce, id, access_right_id, user_id, access_point_id, zone_id, controller_id, device_id, scan_method, qr_code_scanned, action, status,
       denial_reason, response_time_ms, queue_size, was_offline, is_conflict, scanned_at, received_at, result)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    body.id, newId(), right ? String(right.id) : null, right ? String(right.user_id) : null, ctx.access_point_id, decision.zone_id, ctx.controller_id,
    ctx.device_id, body.scan_method, body.qr.slice(0, 200), body.action, decision.status, decision.reason, result.response_time_ms, body.queue_size ?? null,
    offline ? 1 : 0, decision.conflict ? 1 : 0, new Date(Date.parse(body.scanned_at) || receivedAt).toISOString(), new Date(receivedAt).toISOString(),
    JSON.stringify(result),
  );
  sql.exec("INSERT INTO outbox (kind, entity_id, created_at) VALUES ('scan', ?, ?)", body.id, new Date(receivedAt).toISOString());
  return { result, changed: Boolean(decision.effect) };
}

function evaluate(sql: SqlStorage, event: GateEvent, body: ScanBody, ctx: ScanContext, check: TokenCheck | null, at: number): Decision {
  const deny = (reason: DenialReason, right: Row | null = null, zone: string | null = null, extra: Partial<Decision> = {}): Decision => ({
    status: "DENIED",
    reason,
    right,
    zone_id: zone,
    conflict: false,
    effect: null,
    ...extra,
  });

  // 1. Which right: the verified token's, or the printed code's.
  let right: Row | undefined;
  if (body.scan_method === "MANUAL_ENTRY") {
    if (!MANUAL_CODE.test(body.qr.trim().toUpperCase().replace(/\s/g, ""))) return deny("INVALID_QR");
    right = sql.exec<Row>("SELECT * FROM rights WHERE qr_code = ?", normalizeManualCode(body.qr)).toArray()[0];
    if (!right) return deny("INVALID_QR");
  } else {
    if (!check || !check.ok) return deny("INVALID_QR");
    if (check.event_id !== event.id) return deny("WRONG_EVENT", null, null, { other_event_id: check.event_id });
    right = sql.exec<Row>("SELECT * FROM rights WHERE id = ?", check.access_right_id).toArray()[0];
    if (!right) return deny("INVALID_QR");
  }

  const point = sql.exec<Row>("SELECT * FROM access_points WHERE id = ?", ctx.access_point_id).toArray()[0];
  if (!point || !Number(point.is_active)) return deny("TECHNICAL_ERROR", right, null, { status: "ERROR", warning: "This gate is not part of the event's venue." });

  // 2. The right's own state.
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
  if (blacklisted(sql, at, right, ctx)) return deny("BLACKLISTED", right);

  // 5. Where: the right's zone after overrides, and this gate must open onto it.
  const person = sql.exec<Row>("SELECT * FROM people WHERE user_id = ?", right.user_id).toArray()[0];
  const zoneId = effectiveZone(sql, right, person, at);
  const pointZones = JSON.parse(String(point.zone_ids)) as string[];
  if (zoneId && !pointZones.includes(zoneId)) return deny("WRONG_ZONE", right, zoneId);
  const entering = body.action === "ENTRY" || body.action === "RE_ENTRY" || body.action === "CHECK";
  const direction = String(point.direction);
  if ((entering && direction === "EXIT") || (body.action === "EXIT" && direction === "ENTRY")) {
    return deny("WRONG_ZONE", right, zoneId, { warning: `This gate is ${direction.toLowerCase()} only.` });
  }

  // 6. The action against presence, capacity and age.
  const rules = right.config_id
    ? sql.exec<Row>("SELECT min_age, requires_id, re_entry_allowed FROM configs WHERE id = ?", right.config_id).toArray()[0]
    : undefined;
  const reEntryAllowed = rules ? Boolean(Number(rules.re_entry_allowed)) : true;
  const inside = Boolean(Number(right.is_inside));
  const entries = Number(right.entry_count);

  if (body.action === "EXIT") {
    if (!inside) return { status: "WARNING", reason: null, warning: "No entry was recorded for this ticket.", right, zone_id: zoneId, conflict: false, effect: null };
    return { status: "SUCCESS", reason: null, right, zone_id: zoneId, conflict: false, effect: { kind: "exit", zone_id: zoneId } };
  }
  if (inside) return deny("ALREADY_USED", right, zoneId, { warning: `Entered at ${right.used_at ?? "an earlier scan"}.` });
  if (entries > 0 && !reEntryAllowed) return deny("ALREADY_USED", right, zoneId, { warning: "Re-entry is not allowed with this ticket." });
  // A RE_ENTRY with no entry before is a first entry: it goes through every check an ENTRY does.
  let warning: string | undefined = body.action === "RE_ENTRY" && entries === 0 ? "First entry recorded as a re-entry." : undefined;
  let zoneName: string | undefined;
  if (zoneId) {
    const zone = zoneWithImpact(sql, zoneId, at);
    zoneName = zone?.name;
    if (zone && zone.occupancy >= zone.capacity + zone.impact) return deny("CAPACITY_FULL", right, zoneId, { zone_name: zone.name });
  }
  const minAge = rules?.min_age === null || rules?.min_age === undefined ? null : Number(rules.min_age);
  if (minAge !== null) {
    const birth = person?.birth_date as string | null | undefined;
    if (birth) {
      if (ageOn(birth, new Date(at)) < minAge) return deny("AGE_RESTRICTION", right, zoneId, { warning: `Minimum age ${minAge}.`, zone_name: zoneName });
    } else if (Number(rules?.requires_id)) {
      warning = `Age unknown: check an ID (minimum age ${minAge}).`;
    }
  }
  return { status: warning ? "WARNING" : "SUCCESS", reason: null, warning, right, zone_id: zoneId, zone_name: zoneName, conflict: false, effect: { kind: "enter", zone_id: zoneId } };
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
 * `at` is when the scan happened (an offline one: in the past); `updated_at`
 * is when the row changed, which is what a gate's bundle delta (`since`)
 * asks about, so offline scans synced late still reach the other gates.
 */
function applyEffect(sql: SqlStorage, right: Row, effect: NonNullable<Decision["effect"]>, ctx: ScanContext, at: number, receivedAt: number) {
  const when = new Date(at).toISOString();
  const changed = new Date(receivedAt).toISOString();
  if (effect.kind === "enter") {
    sql.exec(
      `UPDATE rights SET is_inside = 1, entry_count = entry_count + 1, status = 'USED', used_at = coalesce(used_at, ?),
         used_at_access_point = coalesce(used_at_access_point, ?), updated_at = ? WHERE id = ?`,
      when, ctx.access_point_id, changed, right.id,
    );
    if (effect.zone_id) sql.exec("UPDATE zones SET occupancy = occupancy + 1 WHERE id = ?", effect.zone_id);
  } else {
    sql.exec("UPDATE rights SET is_inside = 0, last_exit_at = ?, updated_at = ? WHERE id = ?", when, changed, right.id);
    if (effect.zone_id) sql.exec("UPDATE zones SET occupancy = max(occupancy - 1, 0) WHERE id = ?", effect.zone_id);
  }
  sql.exec("INSERT INTO outbox (kind, entity_id, created_at) VALUES ('right', ?, ?)", right.id, when);
}

/** Whether the holder, the right (by code or id), the device or the IP is banned at that moment: one indexed lookup per kind, one statement. */
function blacklisted(sql: SqlStorage, at: number, right: Row, ctx: ScanContext): boolean {
  return (
    sql
      .exec(
        `SELECT 1 FROM blacklist WHERE ((type = 'USER' AND identifier = ?1) OR (type = 'QR_CODE' AND identifier IN (?2, ?3))
           OR (type = 'DEVICE' AND identifier = ?4) OR (type = 'IP' AND identifier = ?5)) AND starts_at <= ?6 AND (ends_at IS NULL OR ends_at > ?6) LIMIT 1`,
        String(right.user_id), String(right.qr_code), String(right.id), ctx.device_id || null, ctx.ip || null, new Date(at).toISOString(),
      )
      .toArray().length > 0
  );
}

/** The zone after overrides, by priority: access right > ticket > subscription > user group. */
function effectiveZone(sql: SqlStorage, right: Row, person: Row | undefined, at: number): string | null {
  const zone = (right.zone_id as string | null) ?? null;
  const when = new Date(at).toISOString();
  const groups = person ? (JSON.parse(String(person.groups)) as string[]) : [];
  const targets: [string, string[]][] = [
    ["ACCESS_RIGHT", [String(right.id)]],
    ["TICKET", right.order_id ? [String(right.order_id)] : []],
    ["SUBSCRIPTION", right.source_type === "SUBSCRIPTION" ? [String(right.source_id).split(":")[0]!] : []],
    ["USER_GROUP", groups],
  ];
  // Every candidate in one statement (one indexed lookup per target); the priority is applied here.
  const pairs = targets.flatMap(([type, ids]) => ids.map((id) => [type, id] as const));
  const found = sql
    .exec<{ target_type: string; target_id: string; override_zone_id: string }>(
      `SELECT target_type, target_id, override_zone_id FROM overrides WHERE (${pairs.map(() => "(target_type = ? AND target_id = ?)").join(" OR ")})
         AND (original_zone_id = ? OR ? IS NULL) AND (valid_from IS NULL OR valid_from <= ?) AND (valid_until IS NULL OR valid_until > ?)`,
      ...pairs.flat(), zone, zone, when, when,
    )
    .toArray();
  for (const [type, id] of pairs) {
    const override = found.find((o) => o.target_type === type && o.target_id === id);
    if (override) return override.override_zone_id;
  }
  return zone;
}

/** A zone's name, capacity and occupancy, with the seats active overrides take out of (negative) or add to it. */
function zoneWithImpact(sql: SqlStorage, zoneId: string, at: number) {
  return sql
    .exec<{ name: string; capacity: number; occupancy: number; impact: number }>(
      `SELECT name, capacity, occupancy, (SELECT coalesce(sum(capacity_impact), 0) FROM overrides WHERE original_zone_id = ?1
         AND (valid_from IS NULL OR valid_from <= ?2) AND (valid_until IS NULL OR valid_until > ?2)) AS impact FROM zones WHERE id = ?1`,
      zoneId, new Date(at).toISOString(),
    )
    .toArray()[0];
}

