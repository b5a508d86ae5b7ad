/**
 * The gate wire protocol (version 2, docs/gate-protocol.md): every message a
 * device and the server exchange over the gate socket, the scan body, which
 * HTTP scans (`POST /v1/events/{event_id}/scans`) share, and the offline
 * bundle. One module that the Worker's routes, the EventDO and the reference
 * gate client (scripts/gate-client) all import; it imports nothing of theirs.
 */
import { z } from "zod";

/** 2: the bundle carries keyed digests of the printed codes instead of the codes (version 1). */
export const PROTOCOL_VERSION = 2;
/**
 * The WebSocket subprotocol a browser offers (with `bearer.<access token>`,
 * since it cannot set an Authorization header) and the upgrade answers,
 * named after PROTOCOL_VERSION.
 */
export const GATE_SUBPROTOCOL = `edge-events.gate.v${PROTOCOL_VERSION}`;
/**
 * Its former name, which dashboards built before the rename still offer
 * (the messages are the same): accepted, and answered to whoever offers it
 * without the current one (docs/gate-protocol.md).
 */
export const LEGACY_GATE_SUBPROTOCOLS = ["edge-events.gate.v1"] as const;

/** Of the subprotocols a browser offered, the one the upgrade answers: the current name first, else a legacy one, else none. */
export function gateSubprotocolOf(offered: readonly string[]): string | undefined {
  return [GATE_SUBPROTOCOL, ...LEGACY_GATE_SUBPROTOCOLS].find((name) => offered.includes(name));
}

export const SCAN_ACTIONS = ["ENTRY", "EXIT", "RE_ENTRY", "CHECK"] as const;
export const SCAN_METHODS = ["QR_SCANNER", "MANUAL_ENTRY", "NFC"] as const;
export const SCAN_STATUSES = ["SUCCESS", "DENIED", "WARNING", "ERROR"] as const;
export const DENIAL_REASONS = [
  "INVALID_QR",
  "ALREADY_USED",
  "WRONG_EVENT",
  "WRONG_DATE",
  "WRONG_ZONE",
  "EXPIRED",
  "NOT_YET_VALID",
  "BLACKLISTED",
  "CANCELLED",
  "CAPACITY_FULL",
  "AGE_RESTRICTION",
  "TECHNICAL_ERROR",
] as const;
export type ScanAction = (typeof SCAN_ACTIONS)[number];
export type ScanMethod = (typeof SCAN_METHODS)[number];
export type ScanStatus = (typeof SCAN_STATUSES)[number];
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** A frame longer than this many characters is refused (`message_too_large`). */
export const MAX_FRAME_CHARS = 512 * 1024;

/** A printed code as MANUAL_ENTRY accepts it (`XXXX-XXXX-XXXX`, dashes optional; never O or I). */
export const MANUAL_CODE = /^[A-Z2-9]{4}-?[A-Z2-9]{4}-?[A-Z2-9]{4}$/;

export const normalizeManualCode = (text: string) => {
  const compact = text.trim().toUpperCase().replace(/[\s-]/g, "");
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8, 12)}`;
};

/** Before this long ahead of the doors, a scan is on the wrong day rather than early (the server and offline gates alike). */
export const WRONG_DATE_MS = 12 * 3600_000;

/**
 * How far a device's clock may be off the server's: an offline scan may be
 * dated this much after its upload reached the server, or before the
 * device's session first fetched the bundle, and no more.
 */
export const OFFLINE_CLOCK_SKEW_MS = 2 * 60_000;

/** The printed codes' digests in the bundle: the first bytes of an HMAC-SHA256 keyed with the bundle's `manual_codes.key` (code-digest.ts). */
export const MANUAL_CODE_DIGEST = { algorithm: "HMAC-SHA256", bytes: 6 } as const;

/**
 * A device's id: 1–100 printable ASCII characters, no space at either end.
 * It travels in a header from the Worker to the EventDO and is matched
 * against DEVICE blacklist entries: a control character (CR, LF, NUL) cannot
 * be a header value, and other text would not match what the device shows.
 */
export const DeviceIdSchema = z
  .string()
  .regex(/^[\x21-\x7E](?:[\x20-\x7E]{0,98}[\x21-\x7E])?$/, "1–100 printable ASCII characters (no control characters, no space at either end)");

/** Each field's one message, whatever is wrong with it: the socket's `bad_scan` detail is `<field>: <message>`. */
const says = (message: string) => ({ error: message });
const nonce = "a nonce of 1–100 characters";
const scanned = "the scanned text, 1–512 characters";

/**
 * The scan body, the one definition: the socket reads `scan`, `scan_batch`
 * and `sync` scans with it (unknown fields ignored), the HTTP routes with its
 * strict form (unknown fields refused), and its type is `ScanBody`.
 */
export const ScanBodySchema = z.object(
  {
    id: z.string(says(nonce)).min(1, says(nonce)).max(100, says(nonce)).describe("The device's nonce: a repeated nonce returns the first result."),
    qr: z.string(says(scanned)).min(1, says(scanned)).max(512, says(scanned)).describe("The scanned QR token, or the printed code for MANUAL_ENTRY."),
    action: z.enum(SCAN_ACTIONS, says("ENTRY, EXIT, RE_ENTRY or CHECK")),
    scan_method: z.enum(SCAN_METHODS, says("QR_SCANNER, MANUAL_ENTRY or NFC")),
    scanned_at: z.iso.datetime({ offset: true, ...says("an ISO time") }),
    offline_status: z.enum(SCAN_STATUSES, says("SUCCESS, DENIED, WARNING or ERROR")).optional().describe("For replayed offline scans: what the device decided."),
    queue_size: z.number(says("a count")).int(says("a count")).min(0, says("a count")).optional(),
  },
  says("a scan is an object"),
);
export type ScanBody = z.infer<typeof ScanBodySchema>;

/** A scan body read from a frame, or why it is malformed (`field: message`, the `bad_scan` detail). */
export function readScan(value: unknown): { ok: true; scan: ScanBody } | { ok: false; detail: string } {
  const parsed = ScanBodySchema.safeParse(value);
  if (parsed.success) return { ok: true, scan: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, detail: issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message };
}

// ── device → server ─────────────────────────────────────────────────────────

export type ScanMessage = { type: "scan" } & ScanBody;
/** Several scans in one frame (a multi-lane gate), decided in order, together. */
export interface ScanBatchMessage {
  type: "scan_batch";
  scans: ScanBody[];
}
/** Scans made while offline, each with `offline_status` (SUCCESS when omitted); decided in `scanned_at` order. */
export interface SyncMessage {
  type: "sync";
  scans: ScanBody[];
}
export interface PingMessage {
  type: "ping";
}
export type DeviceMessage = ScanMessage | ScanBatchMessage | SyncMessage | PingMessage;

// ── server → device ─────────────────────────────────────────────────────────

export type GateRole = "gate" | "observer";

/** First frame on connect; an observer's `access_point_id` is empty. */
export interface HelloMessage {
  type: "hello";
  event_id: string | undefined;
  access_point_id: string;
  role: GateRole;
  protocol: typeof PROTOCOL_VERSION;
}

export interface ScanResult {
  type: "scan_result";
  id: string;
  status: ScanStatus;
  denial_reason: DenialReason | null;
  /** For WRONG_EVENT: the event the right belongs to. */
  other_event_id?: string;
  warning?: string;
  access_right: {
    id: string;
    qr_code: string;
    holder_id: string;
    zone_id: string | null;
    zone_name: string | null;
    seat_id: string | null;
    source_type: string;
    entry_count: number;
    /** The name of the person the right admits, as its holder named them (null: none named); the steward checks it. */
    attendee_name?: string | null;
  } | null;
  zone_id: string | null;
  response_time_ms: number;
  conflict?: boolean;
}

/** The answer to a `scan_batch` or a `sync` of more than one valid scan (one valid scan: its bare `scan_result`). */
export interface ScanResultsMessage {
  type: "scan_batch_result" | "sync_result";
  results: ScanResult[];
}

/** Zone counts: on connect, and to every socket of the event at most four times a second after scans that moved someone. */
export interface Occupancy {
  type: "occupancy";
  zones: { id: string; name: string; capacity: number; occupancy: number }[];
  at: string;
}

/** The event's zone overrides or blacklist changed (new totals); a device that decides offline fetches its bundle again. */
export interface PolicyMessage {
  type: "policy";
  overrides: number;
  blacklist: number;
  at: string;
}

export interface PongMessage {
  type: "pong";
  at: string;
}

/** A frame that was not processed, or one malformed scan of it (`bad_scan`; the frame's other scans are decided). */
export type GateError =
  | { type: "error"; code: "bad_json" | "message_too_large" | "unknown_type" | "read_only" }
  | { type: "error"; code: "bad_scan"; /** the scan's own `id` as sent, or null */ id: unknown; detail: string }
  /** The EventDO refused the frame's scans as a whole (EventDO.scan). */
  | { type: "error"; code: ScanRefusal; detail: string };

/** Why the EventDO refuses a frame's scans as a whole: the gate left the event after the socket opened, or the event has no access control set up. */
export type ScanRefusal = "unknown_access_point" | "not_configured";

/**
 * To observers only (never to gates): the scans of the last decision pass,
 * from every gate, as they are decided, so a supervisor's live view shows
 * admissions and denials per gate as they happen.
 */
export interface ActivityMessage {
  type: "activity";
  scans: { id: string; access_point_id: string; action: ScanBody["action"]; status: ScanStatus; denial_reason: DenialReason | null; zone_id: string | null }[];
  at: string;
}

export type ServerMessage = HelloMessage | Occupancy | ScanResult | ScanResultsMessage | PolicyMessage | PongMessage | GateError | ActivityMessage;

/** Closes the server makes (docs/gate-protocol.md). */
export const CLOSE = {
  deviceBlacklisted: { code: 4003, reason: "device blacklisted" },
  noLongerStaff: { code: 4003, reason: "no longer staff of this event" },
  sessionEnded: { code: 4003, reason: "session ended" },
  lostSession: { code: 1011, reason: "lost session" },
} as const;

/** A zone a ticket configuration's rights open, and how (docs/gate-protocol.md, "The decision"). */
export interface ZoneAccess {
  zone_id: string;
  access: "FULL" | "LIMITED" | "CONDITIONAL";
  /** ticket_type_zones.conditions, e.g. {"requires_vip_band": true}, {"time_limit": "halftime"}. */
  conditions: Record<string, unknown> | null;
}

/** The offline bundle of a gate (`GET /v1/events/{event_id}/gate/bundle`). */
export interface GateBundle {
  event_id: string;
  /** The event's status: a CANCELLED event admits no one. */
  status: string;
  /** The event's start and end (a CONDITIONAL zone's `halftime` is halfway between). */
  starts_at: string;
  ends_at: string;
  /** Pass it back as `since` to receive only the rights changed after it. */
  version: string;
  since: string | null;
  keys: { kid: string; kty: string; crv: string; x: string }[];
  /** How the rights' `code_digest` are made from printed codes (`manualCodeDigest`); the key is the event's. */
  manual_codes: { algorithm: typeof MANUAL_CODE_DIGEST.algorithm; bytes: typeof MANUAL_CODE_DIGEST.bytes; key: string };
  zones: Occupancy["zones"];
  access_points: { id: string; name: string; direction: string; zone_ids: string[]; is_active: boolean }[];
  /** Per ticket configuration, the zones its rights open, in the order a gate tries them. */
  config_zones: Record<string, ZoneAccess[]>;
  overrides: Record<string, unknown>[];
  /** Blacklist entries as the gate applies them; a QR_CODE entry names the right's id, never its printed code. */
  blacklist: Record<string, unknown>[];
  /** Rights a gate must refuse: cancelled, transferred, blocked, expired. */
  revoked: { id: string; code_digest: string; status: string }[];
  /** Rights whose holder is inside now (an offline ENTRY for them is a second entry). */
  inside: string[];
  /** Valid rights, with their printed code's digest for MANUAL_ENTRY offline. */
  valid: { id: string; code_digest: string; config_id: string | null; zone_id: string | null; entry_count: number; valid_from: string; valid_until: string }[];
}
