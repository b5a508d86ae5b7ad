/**
 * A gate device speaking the gate contract (DESIGN.md, protocol 2): scans go
 * over the event's WebSocket while it is up; when the server cannot be
 * reached, or an answer is late, the gate decides from the offline bundle and
 * queues the scan with its nonce; on reconnection (exponential backoff with
 * jitter) it refreshes the bundle, then uploads the queue with `sync`. A scan
 * keeps its nonce throughout, so whatever is sent twice is recorded once.
 *
 * A server that answers but refuses the gate (wrong gate, not staff, bad
 * token…) is not an outage: the refusal is reported with its status and
 * problem code, scans are answered ERROR (mode "refused") and never decided
 * offline, and only what can succeed is retried: 401 after refreshing the
 * token, 408 and 429 after their delay; 5xx and network failures are outages.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { readScan, type DenialReason, type GateBundle, type Occupancy, type ScanAction, type ScanBody, type ScanResult, type ServerMessage, type GateError } from "../../durable-objects/event/gate-protocol.ts";
import { type BackoffOptions, backoffDelay } from "./backoff.ts";
import { OfflineGate } from "./offline.ts";
import { OfflineQueue } from "./queue.ts";

export interface GateClientOptions {
  /** The API's origin, e.g. http://127.0.0.1:8787 */
  url: string;
  eventId: string;
  /** A controller's access token for this event. */
  token: string;
  /** Rotated through /v1/auth/refresh when the access token is refused (they last minutes; a match lasts hours). */
  refreshToken?: string;
  deviceId: string;
  accessPointId: string;
  /** Journal of the offline queue, kept across restarts. */
  queueFile?: string;
  /** How long a scan waits for the server before the gate decides it offline. */
  answerTimeoutMs?: number;
  bundleRefreshMs?: number;
  backoff?: BackoffOptions;
  onEvent?: (event: GateEvent) => void;
}

export type GateEvent =
  | { type: "connected" }
  | { type: "disconnected"; code: number; reason: string; retry_in_ms: number }
  | { type: "retry"; attempt: number; retry_in_ms: number; error: string }
  | { type: "bundle"; version: string; delta: boolean; rights: number }
  | { type: "synced"; id: string; offline_status: string; status: string; denial_reason: string | null; conflict: boolean; queued: number }
  | { type: "dropped"; id: string; detail: string }
  | { type: "occupancy"; zones: Occupancy["zones"] }
  | { type: "policy" }
  | { type: "token_refreshed" }
  | { type: "refused"; status: number; code: string | null; detail: string | null; retry_in_ms: number | null }
  | { type: "error"; message: string };

/** What the server answered when it refused the gate: its HTTP status and problem+json (or text). */
export interface Refusal {
  status: number;
  code: string | null;
  detail: string | null;
  /** Retry-After, in ms, when the server gave one. */
  retryAfterMs: number | null;
}

/** A refusal by the server, as thrown by the client's HTTP calls. */
export class RefusedError extends Error {
  readonly refusal: Refusal;
  constructor(refusal: Refusal) {
    super(describeRefusal(refusal));
    this.refusal = refusal;
  }
}

/** Why a call got no answer: fetch's own message ("fetch failed") hides the cause (ECONNREFUSED, a timeout…). */
const failure = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : null;
  return cause ? `${error.message} (${cause})` : error.message;
};

export const describeRefusal = (r: Pick<Refusal, "status" | "code" | "detail">) => `${r.status}${r.code ? ` ${r.code}` : ""}${r.detail ? `: ${r.detail}` : ""}`;

/** Can asking again succeed? Only after a delay the server asks for, or when the server failed rather than refused. */
const isTransient = (r: Refusal) => r.status === 408 || r.status === 429 || r.status >= 500;

async function refusalOf(res: { status: number; headers: { get(name: string): string | null } }, text: string): Promise<Refusal> {
  let code: string | null = null;
  let detail: string | null = text.slice(0, 200) || null;
  if ((res.headers.get("Content-Type") ?? "").includes("json")) {
    try {
      const body = JSON.parse(text) as { code?: unknown; detail?: unknown; title?: unknown };
      code = typeof body.code === "string" ? body.code : null;
      detail = typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : detail;
    } catch {
      // not JSON after all: the text stands
    }
  }
  const after = Number(res.headers.get("Retry-After"));
  return { status: res.status, code, detail, retryAfterMs: Number.isFinite(after) && after >= 0 && res.headers.get("Retry-After") !== null ? after * 1000 : null };
}

/**
 * Node's WebSocket reports a refused handshake as an `error` without its
 * status: the same upgrade request sent over plain HTTP reads the answer.
 * Resolves with the refusal, `null` when the server would accept the socket
 * now (the probe's socket is closed at once), or rejects when it cannot be reached.
 */
function probeUpgrade(url: URL, token: string): Promise<Refusal | null> {
  const http = url.protocol === "wss:" || url.protocol === "https:" ? httpsRequest : httpRequest;
  const target = new URL(url);
  target.protocol = target.protocol === "wss:" ? "https:" : target.protocol === "ws:" ? "http:" : target.protocol;
  return new Promise((resolve, reject) => {
    const req = http(target, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        Authorization: `Bearer ${token}`,
      },
      timeout: 10_000,
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve(null);
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => void refusalOf({ status: res.statusCode ?? 0, headers: { get: (name) => String(res.headers[name.toLowerCase()] ?? "") || null } }, text).then(resolve));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", reject);
    req.end();
  });
}

export interface Outcome {
  /** `refused`: the server answers but refuses this gate; the scan was neither decided nor queued. */
  mode: "online" | "offline" | "refused";
  id: string;
  action: ScanAction;
  status: ScanResult["status"];
  denial_reason: DenialReason | null;
  access_right_id: string | null;
  zone_id: string | null;
  /** Online answers: the person the ticket admits, as its holder named them, for the steward to check. */
  attendee_name?: string;
  warning?: string;
  conflict?: boolean;
  /** From the scan to the decision at the gate. */
  ms: number;
}

interface Pending {
  body: ScanBody;
  started: number;
  timer: ReturnType<typeof setTimeout>;
  resolve: (outcome: Outcome) => void;
}

const SYNC_BATCH = 200;
// Node's WebSocket (undici) takes request headers: the controller's token goes in Authorization, as for every API call.
const NodeWebSocket = globalThis.WebSocket as unknown as new (url: string, init: { headers: Record<string, string> }) => WebSocket;

export class GateClient {
  readonly offline: OfflineGate;
  readonly queue: OfflineQueue;
  private token: string;
  private refreshToken: string | undefined;
  private ws: WebSocket | null = null;
  private connected = false;
  /** The server's refusal of this gate while it holds (cleared when a connection succeeds). */
  private refusedBy: Refusal | null = null;
  /** The first attempt to connect came to something: connected, refused, or found the server unreachable. */
  private settled = false;
  private lastRotation = 0;
  private stopped = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private bundleTimer: ReturnType<typeof setInterval> | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly uploading = new Set<string>();
  private readonly drained = new Set<() => void>();

  private readonly options: GateClientOptions;

  constructor(options: GateClientOptions) {
    this.options = options;
    this.token = options.token;
    this.refreshToken = options.refreshToken;
    this.offline = new OfflineGate(options.accessPointId, options.deviceId);
    this.queue = new OfflineQueue(options.queueFile);
  }

  get online(): boolean {
    return this.connected;
  }

  /** The server's current refusal of this gate, if any. */
  get refusal(): Refusal | null {
    return this.refusedBy;
  }

  /**
   * Loads the bundle (so the gate can decide offline from the first scan),
   * opens the socket and waits up to `connectTimeoutMs` for the server's
   * hello; without it the gate starts offline and keeps trying.
   */
  async start(connectTimeoutMs = 5_000): Promise<void> {
    try {
      await this.refreshBundle();
    } catch (error) {
      if (error instanceof RefusedError) {
        // A refusal is reported; a transient one schedules the reconnection (bundle, then socket) itself.
        this.onRefused(error.refusal);
        if (!isTransient(error.refusal)) return; // the socket would be refused the same way
      } else {
        this.emit({ type: "error", message: `no offline bundle yet: ${failure(error)}` });
      }
    }
    if (!this.reconnectTimer) this.open();
    this.bundleTimer = setInterval(() => {
      if (this.connected) this.refreshBundle().catch((error: unknown) => this.emit({ type: "error", message: `bundle refresh failed: ${failure(error)}` }));
    }, this.options.bundleRefreshMs ?? 60_000);
    const deadline = Date.now() + connectTimeoutMs;
    while (!this.connected && !this.settled && !this.stopped && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Decides one scan: by the server when it answers in time, else here from the bundle. */
  scan(qr: string, action: ScanAction = "ENTRY"): Promise<Outcome> {
    const id = randomUUID();
    const read = readScan({ id, qr, action, scan_method: qr.startsWith("E1.") ? "QR_SCANNER" : "MANUAL_ENTRY", scanned_at: new Date().toISOString() });
    // A body the server would refuse (`bad_scan`), answered here as it would be, and never queued.
    if (!read.ok) return Promise.resolve({ mode: this.connected ? "online" : "offline", id, action, status: "ERROR", denial_reason: null, access_right_id: null, zone_id: null, warning: read.detail, ms: 0 });
    const body = read.scan;
    // Reachable but refusing: deciding here would admit people the server has not let this gate admit.
    if (this.refusedBy && !this.connected) {
      return Promise.resolve({ mode: "refused", id, action, status: "ERROR", denial_reason: null, access_right_id: null, zone_id: null, warning: `gate refused: ${describeRefusal(this.refusedBy)}`, ms: 0 });
    }
    const ws = this.ws;
    if (!this.connected || !ws || ws.readyState !== WebSocket.OPEN) return this.decideOffline(body, performance.now());
    return new Promise((resolve) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        // Too slow for a queue at the gate: decided here; the nonce makes the server record it once whichever copy it sees.
        if (!this.pending.delete(body.id)) return;
        void this.decideOffline(body, started).then(resolve);
      }, this.options.answerTimeoutMs ?? 2_500);
      this.pending.set(body.id, { body, started, timer, resolve });
      ws.send(JSON.stringify({ type: "scan", ...body }));
    });
  }

  /** Waits until every offline scan is uploaded and acknowledged; false if `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.queue.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.drained.delete(check);
        resolve(ok);
      };
      const check = () => this.queue.size === 0 && done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.drained.add(check);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.bundleTimer) clearInterval(this.bundleTimer);
    this.ws?.close(1000, "gate closed");
  }

  /** Fetches the bundle, only what changed since the one held when there is one. */
  async refreshBundle(): Promise<void> {
    const since = this.offline.version;
    const bundle = await this.request<GateBundle>(`/v1/events/${this.options.eventId}/gate/bundle${since ? `?since=${encodeURIComponent(since)}` : ""}`);
    await this.offline.apply(bundle);
    this.emit({ type: "bundle", version: bundle.version, delta: since !== null, rights: bundle.valid.length + bundle.revoked.length });
  }

  private async decideOffline(body: ScanBody, started: number): Promise<Outcome> {
    const decision = await this.offline.decide(body);
    this.queue.add({ body: { ...body, offline_status: decision.status, queue_size: this.queue.size }, decision });
    this.upload();
    return { mode: "offline", id: body.id, action: body.action, ...decision, ms: performance.now() - started };
  }

  private gateUrl(): URL {
    const url = new URL(`/v1/events/${this.options.eventId}/gate`, this.options.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("device_id", this.options.deviceId);
    url.searchParams.set("access_point_id", this.options.accessPointId);
    return url;
  }

  private open() {
    if (this.stopped) return;
    const ws = new NodeWebSocket(this.gateUrl().href, { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    let opened = false;
    ws.addEventListener("open", () => (opened = true));
    ws.addEventListener("message", (event) => this.onMessage(String(event.data)));
    ws.addEventListener("close", (event) => this.onClose(ws, event.code, event.reason));
    // A refused or failed handshake is an error with no close event and no status: find out what it was.
    ws.addEventListener("error", () => {
      if (!opened && this.ws === ws) void this.onHandshakeFailed();
    });
  }

  private async onHandshakeFailed(): Promise<void> {
    this.ws = null;
    this.connected = false;
    let refusal: Refusal | null;
    try {
      refusal = await probeUpgrade(this.gateUrl(), this.token);
    } catch (error) {
      // Unreachable: an outage, decided offline meanwhile.
      this.settled = true;
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, this.options.backoff);
      this.emit({ type: "retry", attempt: this.attempt, retry_in_ms: delay, error: `cannot reach the server: ${failure(error)}` });
      this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
      return;
    }
    if (this.stopped || this.ws !== null) return;
    if (refusal === null) {
      // It would be accepted now: try again soon.
      const delay = backoffDelay(this.attempt++, this.options.backoff);
      this.emit({ type: "retry", attempt: this.attempt, retry_in_ms: delay, error: "the socket failed, the server answers" });
      this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
      return;
    }
    await this.onRefusal(refusal);
  }

  /** A refusal of the socket or of a call: retried only when that can succeed. */
  private async onRefusal(refusal: Refusal): Promise<void> {
    // A token refreshed moments ago and refused again will not do better for another refresh.
    if (refusal.status === 401 && this.refreshToken && Date.now() - this.lastRotation > 10_000) {
      try {
        await this.rotateToken();
        this.attempt = 0;
        return this.reconnect();
      } catch (error) {
        refusal = error instanceof RefusedError ? error.refusal : refusal;
        if (!(error instanceof RefusedError)) {
          const delay = backoffDelay(this.attempt++, this.options.backoff);
          this.emit({ type: "retry", attempt: this.attempt, retry_in_ms: delay, error: `token refresh: ${failure(error)}` });
          this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
          return;
        }
      }
    }
    this.onRefused(refusal);
  }

  /** Reports a refusal; schedules a retry if it is transient (a 5xx is an outage: decided offline meanwhile). */
  private onRefused(refusal: Refusal) {
    this.settled = true;
    const transient = isTransient(refusal);
    const delay = transient ? Math.max(refusal.retryAfterMs ?? 0, backoffDelay(this.attempt++, this.options.backoff)) : null;
    // A server error is an outage (decide offline); a 4xx is this gate being refused (do not).
    this.refusedBy = refusal.status >= 500 ? null : refusal;
    this.emit({ type: "refused", status: refusal.status, code: refusal.code, detail: refusal.detail, retry_in_ms: delay });
    if (delay !== null && !this.stopped) this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private onClose(ws: WebSocket, code: number, reason: string) {
    if (this.ws !== ws) return;
    this.ws = null;
    const wasConnected = this.connected;
    this.connected = false;
    this.uploading.clear(); // unacknowledged uploads stay queued and go again, same nonces
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      void this.decideOffline(pending.body, pending.started).then(pending.resolve);
    }
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    if (wasConnected) this.emit({ type: "disconnected", code, reason, retry_in_ms: delay });
    else this.emit({ type: "retry", attempt: this.attempt, retry_in_ms: delay, error: `socket closed (${code}${reason ? ` ${reason}` : ""})` });
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  /** The bundle first: it proves the server and the token are back, and freshens the offline view before the socket. */
  private async reconnect(): Promise<void> {
    this.reconnectTimer = null;
    if (this.stopped) return;
    try {
      await this.refreshBundle();
    } catch (error) {
      if (this.stopped) return;
      if (error instanceof RefusedError) return this.onRefusal(error.refusal);
      const delay = backoffDelay(this.attempt++, this.options.backoff);
      this.emit({ type: "retry", attempt: this.attempt, retry_in_ms: delay, error: `cannot reach the server: ${failure(error)}` });
      this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
      return;
    }
    this.open();
  }

  private onMessage(text: string) {
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      return this.emit({ type: "error", message: `unreadable message: ${text.slice(0, 100)}` });
    }
    switch (message.type) {
      case "hello":
        this.connected = true;
        this.settled = true;
        this.refusedBy = null;
        this.attempt = 0;
        this.emit({ type: "connected" });
        return this.upload();
      case "scan_result":
        return this.onResult(message);
      case "scan_batch_result":
      case "sync_result":
        for (const result of message.results) this.onResult(result);
        return;
      case "occupancy":
        this.offline.noteOccupancy(message.zones);
        return this.emit({ type: "occupancy", zones: message.zones });
      case "policy":
        this.emit({ type: "policy" });
        this.refreshBundle().catch((error: unknown) => this.emit({ type: "error", message: `bundle refresh failed: ${failure(error)}` }));
        return;
      case "error":
        return this.onError(message);
      default:
        return; // pong, and message types of later protocol versions
    }
  }

  private onResult(result: ScanResult) {
    const pending = this.pending.get(result.id);
    if (pending) {
      this.pending.delete(result.id);
      clearTimeout(pending.timer);
      this.offline.noteResult(result, pending.body.action);
      pending.resolve({
        mode: "online",
        id: result.id,
        action: pending.body.action,
        status: result.status,
        denial_reason: result.denial_reason,
        access_right_id: result.access_right?.id ?? null,
        zone_id: result.zone_id,
        ...(result.access_right?.attendee_name ? { attendee_name: result.access_right.attendee_name } : {}),
        ...(result.warning ? { warning: result.warning } : {}),
        ...(result.conflict ? { conflict: true } : {}),
        ms: performance.now() - pending.started,
      });
      return;
    }
    // An uploaded offline scan (or a late answer to one decided here): the server has recorded it.
    const queued = this.queue.ack(result.id);
    this.uploading.delete(result.id);
    if (queued) {
      this.offline.noteSynced(queued.decision, queued.body.action, result);
      this.emit({
        type: "synced",
        id: result.id,
        offline_status: queued.body.offline_status ?? "SUCCESS",
        status: result.status,
        denial_reason: result.denial_reason,
        conflict: Boolean(result.conflict),
        queued: this.queue.size,
      });
    }
    this.afterAck();
  }

  private onError(error: GateError) {
    const id = "id" in error && typeof error.id === "string" ? error.id : null;
    const detail = "detail" in error ? error.detail : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (pending && id) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve({ mode: "online", id, action: pending.body.action, status: "ERROR", denial_reason: null, access_right_id: null, zone_id: null, warning: detail ?? error.code, ms: performance.now() - pending.started });
      return;
    }
    if (id && this.queue.ack(id)) {
      // The server refused the body itself: sending it again cannot help.
      this.uploading.delete(id);
      this.emit({ type: "dropped", id, detail: detail ?? error.code });
      this.afterAck();
      return;
    }
    this.emit({ type: "error", message: `server: ${error.code}${detail ? ` ${detail}` : ""}` });
  }

  private afterAck() {
    if (this.uploading.size === 0) this.upload();
    if (this.queue.size === 0) for (const check of [...this.drained]) check();
  }

  /** Sends the oldest queued scans with `sync`, one batch at a time. */
  private upload() {
    const ws = this.ws;
    if (!this.connected || !ws || ws.readyState !== WebSocket.OPEN || this.uploading.size > 0 || this.queue.size === 0) return;
    const batch = this.queue.oldest(SYNC_BATCH);
    for (const entry of batch) this.uploading.add(entry.body.id);
    ws.send(JSON.stringify({ type: "sync", scans: batch.map((entry) => entry.body) }));
  }

  private async request<T>(path: string): Promise<T> {
    const call = () => fetch(new URL(path, this.options.url), { headers: { Authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(10_000) });
    let res = await call();
    if (res.status === 401 && this.refreshToken) {
      await this.rotateToken();
      res = await call();
    }
    if (!res.ok) throw new RefusedError(await refusalOf(res, await res.text()));
    return (await res.json()) as T;
  }

  private async rotateToken() {
    const res = await fetch(new URL("/v1/auth/refresh", this.options.url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: this.refreshToken }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new RefusedError(await refusalOf(res, await res.text()));
    this.lastRotation = Date.now();
    const pair = (await res.json()) as { access_token: string; refresh_token: string };
    this.token = pair.access_token;
    this.refreshToken = pair.refresh_token;
    this.emit({ type: "token_refreshed" });
  }

  private emit(event: GateEvent) {
    this.options.onEvent?.(event);
  }
}
