/**
 * A gate device speaking the gate contract (DESIGN.md, protocol 2): scans go
 * over the event's WebSocket while it is up; when it is down, or an answer
 * is late, the gate decides from the offline bundle and queues the scan with
 * its nonce; on reconnection (exponential backoff with jitter) it refreshes
 * the bundle, then uploads the queue with `sync`. A scan keeps its nonce
 * throughout, so whatever is sent twice is recorded once.
 */
import { randomUUID } from "node:crypto";
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
  | { type: "error"; message: string };

export interface Outcome {
  mode: "online" | "offline";
  id: string;
  action: ScanAction;
  status: ScanResult["status"];
  denial_reason: DenialReason | null;
  access_right_id: string | null;
  zone_id: string | null;
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

  /**
   * Loads the bundle (so the gate can decide offline from the first scan),
   * opens the socket and waits up to `connectTimeoutMs` for the server's
   * hello; without it the gate starts offline and keeps trying.
   */
  async start(connectTimeoutMs = 5_000): Promise<void> {
    try {
      await this.refreshBundle();
    } catch (error) {
      this.emit({ type: "error", message: `no offline bundle yet: ${String(error)}` });
    }
    this.open();
    this.bundleTimer = setInterval(() => {
      if (this.connected) this.refreshBundle().catch((error: unknown) => this.emit({ type: "error", message: `bundle refresh failed: ${String(error)}` }));
    }, this.options.bundleRefreshMs ?? 60_000);
    const deadline = Date.now() + connectTimeoutMs;
    while (!this.connected && !this.stopped && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Decides one scan: by the server when it answers in time, else here from the bundle. */
  scan(qr: string, action: ScanAction = "ENTRY"): Promise<Outcome> {
    const id = randomUUID();
    const read = readScan({ id, qr, action, scan_method: qr.startsWith("E1.") ? "QR_SCANNER" : "MANUAL_ENTRY", scanned_at: new Date().toISOString() });
    // A body the server would refuse (`bad_scan`), answered here as it would be, and never queued.
    if (!read.ok) return Promise.resolve({ mode: this.connected ? "online" : "offline", id, action, status: "ERROR", denial_reason: null, access_right_id: null, zone_id: null, warning: read.detail, ms: 0 });
    const body = read.scan;
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

  private open() {
    if (this.stopped) return;
    const url = new URL(`/v1/events/${this.options.eventId}/gate`, this.options.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("device_id", this.options.deviceId);
    url.searchParams.set("access_point_id", this.options.accessPointId);
    const ws = new NodeWebSocket(url.href, { headers: { Authorization: `Bearer ${this.token}` } });
    this.ws = ws;
    ws.addEventListener("message", (event) => this.onMessage(String(event.data)));
    ws.addEventListener("close", (event) => this.onClose(ws, event.code, event.reason));
    ws.addEventListener("error", () => {}); // a close event follows, which schedules the retry
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
  private async reconnect() {
    this.reconnectTimer = null;
    if (this.stopped) return;
    try {
      await this.refreshBundle();
    } catch (error) {
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, this.options.backoff);
      this.emit({ type: "retry", attempt: this.attempt, retry_in_ms: delay, error: String(error) });
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
        this.refreshBundle().catch((error: unknown) => this.emit({ type: "error", message: `bundle refresh failed: ${String(error)}` }));
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
    if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as T;
  }

  private async rotateToken() {
    const res = await fetch(new URL("/v1/auth/refresh", this.options.url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: this.refreshToken }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`token refresh: ${res.status} ${(await res.text()).slice(0, 200)}`);
    const pair = (await res.json()) as { access_token: string; refresh_token: string };
    this.token = pair.access_token;
    this.refreshToken = pair.refresh_token;
    this.emit({ type: "token_refreshed" });
  }

  private emit(event: GateEvent) {
    this.options.onEvent?.(event);
  }
}
