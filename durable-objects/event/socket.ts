/**
 * The gate socket's side of the protocol (gate-protocol.ts): accepting a
 * gate or observer, reading each frame and dispatching its scans to the
 * object's decision, and what goes to every socket (occupancy, policy).
 * Sockets hibernate between messages; who is at the other end lives in the
 * socket's attachment.
 */
import { GATE_HEADERS, type Result, type ScanContext } from "./contract.ts";
import { occupancy } from "./gate-bundle.ts";
import { CLOSE, MAX_FRAME_CHARS, PROTOCOL_VERSION, readScan, type ActivityMessage, type GateRole, type ScanBody, type ScanRefusal, type ScanResult, type ServerMessage } from "./gate-protocol.ts";
import type { SessionWatch } from "./sessions.ts";
import type { EventStore } from "./store.ts";

/** A socket's attachment. */
export type GateSession = ScanContext & { role: GateRole };

type Decide = (bodies: ScanBody[], who: ScanContext) => Promise<Result<{ results: ScanResult[] }>>;

const send = (ws: WebSocket, message: ServerMessage) => ws.send(JSON.stringify(message));

/** Attachments already read, by socket. A woken object runs in a new isolate, where this starts empty. */
const attached = new WeakMap<WebSocket, GateSession>();

/**
 * Who is at the other end of a socket: its attachment, deserialised once per
 * socket in this isolate rather than on every frame (it never changes after
 * `acceptSocket`).
 */
export function sessionOf(ws: WebSocket): GateSession | null {
  let who = attached.get(ws);
  if (who === undefined) {
    const read = ws.deserializeAttachment() as GateSession | null;
    if (!read) return null;
    attached.set(ws, (who = read));
  }
  return who;
}

/**
 * Opens a socket for the caller the Worker authenticated (its headers): a
 * gate at an active access point, on a device not banned, or an observer;
 * never for a session the object was told has ended.
 */
export function acceptSocket(ctx: DurableObjectState, s: EventStore, request: Request, sessions: SessionWatch): Response {
  if (request.headers.get("Upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
  const role: GateRole = request.headers.get(GATE_HEADERS.role) === "observer" ? "observer" : "gate";
  const who: GateSession = {
    controller_id: request.headers.get(GATE_HEADERS.controller) ?? "",
    session_id: request.headers.get(GATE_HEADERS.session) ?? "",
    device_id: request.headers.get(GATE_HEADERS.device) ?? "",
    access_point_id: request.headers.get(GATE_HEADERS.accessPoint) ?? "",
    ip: request.headers.get(GATE_HEADERS.ip),
    role,
  };
  if (sessions.isEnded(who.session_id)) return new Response("session ended", { status: 401 });
  if (role === "gate") {
    const point = s.sql<{ is_active: number }>`SELECT is_active FROM access_points WHERE id = ${who.access_point_id}`.toArray()[0];
    if (!point || !point.is_active) return new Response("unknown gate", { status: 404 });
    const now = new Date().toISOString();
    const banned = s.sql<{ n: number }>`SELECT count(*) AS n FROM blacklist WHERE type = 'DEVICE' AND identifier = ${who.device_id}
                                        AND starts_at <= ${now} AND (ends_at IS NULL OR ends_at > ${now})`.one().n;
    if (banned) return new Response("device blacklisted", { status: 403 });
  }
  const pair = new WebSocketPair();
  const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
  ctx.acceptWebSocket(server, [role, `device:${who.device_id}`]);
  server.serializeAttachment(who);
  send(server, { type: "hello", event_id: s.event()?.id, access_point_id: who.access_point_id, role, protocol: PROTOCOL_VERSION });
  send(server, occupancy(s));
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * One frame from a device: a ping, or scans (`scan`, `scan_batch`, `sync`)
 * read with the scan body's schema and decided together by `decide`. A
 * malformed scan is answered `bad_scan` and the frame's other scans are
 * still decided. A frame of a session that has ended closes its socket
 * (4003) unread.
 */
export async function onFrame(ws: WebSocket, message: string | ArrayBuffer, decide: Decide, sessions: SessionWatch): Promise<void> {
  const who = sessionOf(ws);
  if (!who) return ws.close(CLOSE.lostSession.code, CLOSE.lostSession.reason);
  if (sessions.isEnded(who.session_id)) return ws.close(CLOSE.sessionEnded.code, CLOSE.sessionEnded.reason);
  const text = typeof message === "string" ? message : new TextDecoder().decode(message);
  if (text.length > MAX_FRAME_CHARS) return send(ws, { type: "error", code: "message_too_large" });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return send(ws, { type: "error", code: "bad_json" });
  }
  const msg = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { type?: unknown; scans?: unknown };
  if (msg.type === "ping") return send(ws, { type: "pong", at: new Date().toISOString() });
  if (who.role !== "gate") return send(ws, { type: "error", code: "read_only" });
  let bodies: unknown[];
  if (msg.type === "scan") bodies = [parsed];
  else if ((msg.type === "scan_batch" || msg.type === "sync") && Array.isArray(msg.scans)) bodies = msg.scans;
  else return send(ws, { type: "error", code: "unknown_type" });
  const valid: ScanBody[] = [];
  for (const body of bodies) {
    const read = readScan(body);
    if (read.ok) valid.push(read.scan);
    else send(ws, { type: "error", code: "bad_scan", id: (body as { id?: unknown } | null)?.id ?? null, detail: read.detail });
  }
  if (msg.type === "sync") {
    // Offline scans are replayed in the order they happened; each counts as admitted/refused as the device decided.
    valid.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
    for (const body of valid) body.offline_status ??= "SUCCESS";
  }
  if (valid.length === 0) return;
  const decided = await decide(valid, who);
  // EventDO.scan refuses a frame as a whole only with a ScanRefusal.
  if (!decided.ok) return send(ws, { type: "error", code: decided.problem.code as ScanRefusal, detail: decided.problem.detail });
  if (msg.type === "scan") send(ws, decided.results[0]!);
  else send(ws, { type: msg.type === "sync" ? "sync_result" : "scan_batch_result", results: decided.results });
}

/** Echoes a device's close: only 1000 and 3000–4999 may be sent back; 1005/1006 describe how the peer went away. */
export function onClose(ws: WebSocket, code: number, reason: string): void {
  ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason);
}

/** Sends a message to every socket of the event, gates and observers. */
export function broadcast(ctx: DurableObjectState, message: ServerMessage): void {
  const text = JSON.stringify(message);
  for (const ws of ctx.getWebSockets()) {
    try {
      ws.send(text);
    } catch {
      // a socket closing as we send: it will reconnect
    }
  }
}

/** What the last pass of scans did, to the event's observers only (gates never get it). */
export function toObservers(ctx: DurableObjectState, scans: ActivityMessage["scans"]): void {
  if (scans.length === 0) return;
  const observers = ctx.getWebSockets("observer");
  if (observers.length === 0) return;
  const text = JSON.stringify({ type: "activity", scans, at: new Date().toISOString() } satisfies ActivityMessage);
  for (const ws of observers) {
    try {
      ws.send(text);
    } catch {
      // a socket closing as we send: it will reconnect
    }
  }
}

/** Closes the sockets whose session matches; returns how many. */
export function closeSessions(ctx: DurableObjectState, matches: (who: GateSession) => boolean, close: { code: number; reason: string }): number {
  let closed = 0;
  for (const ws of ctx.getWebSockets()) {
    const who = sessionOf(ws);
    if (!who || !matches(who)) continue;
    ws.close(close.code, close.reason);
    closed++;
  }
  return closed;
}

/** Zone counts to every socket after scans that moved someone, at most four times a second. */
export class OccupancyFeed {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly ctx: DurableObjectState;
  private readonly s: EventStore;

  constructor(ctx: DurableObjectState, store: EventStore) {
    this.ctx = ctx;
    this.s = store;
  }

  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      broadcast(this.ctx, occupancy(this.s));
    }, 250);
  }
}
