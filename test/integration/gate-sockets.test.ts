import { env, exports } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GATE_SUBPROTOCOL, type ScanBody, type ScanResult } from "../../durable-objects/event/gate-protocol.ts";
import { syncGateSetup } from "../../src/catalog/sync.ts";
import { signAccessToken } from "../../src/access/signing-keys.ts";
import { getDb } from "../../src/db/client.ts";
import { access_point_zones, access_points, events } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { REVOCATION_FEED_MAX_AGE_MS } from "../../src/auth/revocations.ts";
import { api, expectProblem, login, registerAdmin, registerMember, registerUser } from "../support/api.ts";
import { advanceClock } from "../support/clock.ts";
import { gatedEvent, type GateFixture } from "../support/gate.ts";
import { createUsers } from "../support/ticketing.ts";

const HOUR = 3600_000;

afterEach(() => {
  vi.useRealTimers();
});

type Message = Record<string, any>;

/** The device's end of a gate socket opened inside the runtime: every message kept, scan results indexed by nonce. */
class GateSocket {
  readonly messages: Message[] = [];
  readonly results = new Map<string, ScanResult>();
  closed: { code: number; reason: string } | null = null;
  private wake: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer)) as Message;
      this.messages.push(message);
      if (message.type === "scan_result") this.results.set(message.id, message as ScanResult);
      if (message.type === "scan_batch_result" || message.type === "sync_result") for (const r of message.results as ScanResult[]) this.results.set(r.id, r);
      this.notify();
    });
    ws.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.notify();
    });
  }

  send(message: unknown) {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Resolves with the first truthy value of `check`, re-evaluated on every message and on the close. */
  async until<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      const left = deadline - Date.now();
      const woke =
        left > 0 &&
        (await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), left);
          this.wake.push(() => {
            clearTimeout(timer);
            resolve(true);
          });
        }));
      if (!woke) throw new Error(`timed out waiting for ${what}; last messages: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`);
    }
  }

  /** The first message of `type` at or after index `from`. */
  next(type: string, from = 0, timeoutMs?: number): Promise<Message> {
    return this.until(() => this.messages.slice(from).find((m) => m.type === type), `a ${type} message`, timeoutMs);
  }

  /** Waits for a result for every nonce and returns them in the same order. */
  resultsFor(nonces: string[], timeoutMs?: number): Promise<ScanResult[]> {
    return this.until(() => nonces.every((n) => this.results.has(n)) && nonces.map((n) => this.results.get(n)!), `${nonces.length} results`, timeoutMs);
  }

  private notify() {
    for (const wake of this.wake.splice(0)) wake();
  }
}

/** Asks the Worker to upgrade `GET /v1/events/{id}/gate` as a device (or an observer) would. */
function upgrade(eventId: string, token: string | null, query: string) {
  const headers: Record<string, string> = { Upgrade: "websocket", "CF-Connecting-IP": "203.0.113.50" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return (exports as unknown as { default: Fetcher }).default.fetch(new Request(`https://api.test/v1/events/${eventId}/gate?${query}`, { headers }));
}

async function openGate(fixture: GateFixture, options: { gate?: string; device?: string; token?: string; observe?: boolean } = {}): Promise<GateSocket> {
  const query = options.observe
    ? "observe=true"
    : `device_id=${encodeURIComponent(options.device ?? "SCANNER-A01")}&access_point_id=${options.gate ?? fixture.gateA}`;
  const res = await upgrade(fixture.eventId, options.token ?? fixture.controller.token, query);
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  return new GateSocket(res.webSocket);
}

/** An event whose doors opened an hour ago. */
const live = () => gatedEvent({ startsInMs: HOUR, cancellationAllowed: true });

let nonceCounter = 0;
const nonce = (prefix = "n") => `${prefix}-${++nonceCounter}-${newId().slice(0, 8)}`;

function scan(qr: string, options: Partial<ScanBody> = {}): ScanBody {
  return { id: nonce(), qr, action: "ENTRY", scan_method: options.scan_method ?? (qr.startsWith("E1.") ? "QR_SCANNER" : "MANUAL_ENTRY"), scanned_at: new Date().toISOString(), ...options };
}

interface IssuedRight {
  id: string;
  qr_code: string;
  user_id: string;
}

/** Comp rights in the fixture's main zone, issued straight on the EventDO, `perCall` holders at a time, up to four rights per holder. */
async function issueRights(fixture: GateFixture, count: number, perCall = 2_000): Promise<IssuedRight[]> {
  const holders = await createUsers(Math.ceil(count / 4));
  const rights: IssuedRight[] = [];
  for (let start = 0; start < count; start += perCall) {
    const size = Math.min(perCall, count - start);
    const issued = await fixture.stub.issueRights({
      source_type: "COMP",
      source_id: newId(),
      holders: Array.from({ length: size }, (_, i) => ({ user_id: holders[Math.floor((start + i) / 4)]!, zone_id: fixture.zoneId, seat_id: null })),
      config_id: null,
      created_by: null,
    });
    if (!issued.ok) throw new Error(issued.problem.code);
    rights.push(...issued.rights);
  }
  return rights;
}

/** QR tokens for these rights, signed as the app signs them (`signAccessToken`), 16 at a time. */
async function signTokens(fixture: GateFixture, rights: IssuedRight[]): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < rights.length; i += 16) {
    const chunk = rights.slice(i, i + 16);
    tokens.push(...(await Promise.all(chunk.map(async (r) => (await signAccessToken(env, { id: r.id, event_id: fixture.eventId })).token))));
  }
  return tokens;
}

/** `count` more gates onto the fixture's main zone, synced to the EventDO. */
async function addGates(fixture: GateFixture, count: number): Promise<string[]> {
  const db = getDb(env.DB);
  const [event] = await db.select({ venue_id: events.venue_id }).from(events).where(eq(events.id, fixture.eventId));
  const ids = Array.from({ length: count }, () => newId());
  await db.insert(access_points).values(ids.map((id, i) => ({ id, venue_id: event!.venue_id!, code: `LANE_${i + 1}`, name: `Couloir ${i + 1}`, direction: "BOTH" as const })));
  await db.insert(access_point_zones).values(ids.map((id) => ({ access_point_id: id, zone_id: fixture.zoneId })));
  await syncGateSetup(env, fixture.eventId, fixture.stub);
  return ids;
}

/** The projected scan log of an event in D1, counted. */
async function logCounts(fixture: GateFixture) {
  await fixture.stub.flushProjection();
  return (await env.DB.prepare(
    `SELECT count(*) AS n, count(DISTINCT nonce) AS nonces, coalesce(sum(status = 'SUCCESS'), 0) AS admitted, coalesce(sum(is_conflict), 0) AS conflicts,
            (SELECT count(*) FROM (SELECT access_right_id FROM access_control_log WHERE event_id = ?1 AND status = 'SUCCESS' GROUP BY access_right_id HAVING count(*) > 1)) AS twice
     FROM access_control_log WHERE event_id = ?1`,
  )
    .bind(fixture.eventId)
    .first<{ n: number; nonces: number; admitted: number; conflicts: number; twice: number }>())!;
}

/** SUCCESS results per right: a right admitted twice would show 2. */
function admissionsPerRight(results: Iterable<ScanResult>): Map<string, number> {
  const admitted = new Map<string, number>();
  for (const r of results) if (r.status === "SUCCESS" && r.access_right) admitted.set(r.access_right.id, (admitted.get(r.access_right.id) ?? 0) + 1);
  return admitted;
}

describe("gate socket: the session", () => {
  it("greets the device with hello and the current occupancy", async () => {
    const fixture = await live();
    const gate = await openGate(fixture);
    const hello = await gate.next("hello");
    expect(hello).toEqual({ type: "hello", event_id: fixture.eventId, access_point_id: fixture.gateA, role: "gate", protocol: 2 });
    const occupancy = await gate.next("occupancy");
    expect(occupancy.zones).toEqual(expect.arrayContaining([expect.objectContaining({ id: fixture.zoneId, occupancy: 0 })]));
    expect(gate.messages.map((m) => m.type).slice(0, 2)).toEqual(["hello", "occupancy"]);
  });

  it("answers a scan with its scan_result, and a repeated nonce with the first result", async () => {
    const fixture = await live();
    const [right] = await issueRights(fixture, 1);
    const [token] = await signTokens(fixture, [right!]);
    const gate = await openGate(fixture);
    const body = scan(token!);
    gate.send({ type: "scan", ...body });
    const [first] = await gate.resultsFor([body.id]);
    expect(first).toMatchObject({ type: "scan_result", id: body.id, status: "SUCCESS", denial_reason: null, zone_id: fixture.zoneId, access_right: { id: right!.id, entry_count: 1 } });
    const from = gate.messages.length;
    gate.send({ type: "scan", ...body });
    const replay = await gate.until(() => gate.messages.slice(from).find((m) => m.type === "scan_result"), "the replayed result");
    expect(replay).toEqual(first);
  });

  it("answers a scan_batch with one result per scan, in one frame", async () => {
    const fixture = await live();
    const rights = await issueRights(fixture, 3);
    const bodies = [scan(rights[0]!.qr_code), scan(rights[1]!.qr_code), scan(rights[0]!.qr_code), scan("not-a-code")];
    const gate = await openGate(fixture);
    gate.send({ type: "scan_batch", scans: bodies });
    const frame = await gate.next("scan_batch_result");
    expect(frame.results.map((r: ScanResult) => r.id)).toEqual(bodies.map((b) => b.id));
    expect(frame.results.map((r: ScanResult) => [r.status, r.denial_reason])).toEqual([
      ["SUCCESS", null],
      ["SUCCESS", null],
      ["DENIED", "ALREADY_USED"],
      ["DENIED", "INVALID_QR"],
    ]);
  });

  it("answers ping with pong", async () => {
    const fixture = await live();
    const gate = await openGate(fixture);
    gate.send({ type: "ping" });
    const pong = await gate.next("pong");
    expect(Number.isNaN(Date.parse(pong.at))).toBe(false);
  });

  it("answers malformed JSON, unknown types and bad scans with errors and keeps the socket open", async () => {
    const fixture = await live();
    const [right] = await issueRights(fixture, 1);
    const gate = await openGate(fixture);
    gate.send("{not json");
    expect(await gate.next("error")).toMatchObject({ code: "bad_json" });
    let from = gate.messages.length;
    gate.send({ type: "dance" });
    expect(await gate.next("error", from)).toMatchObject({ code: "unknown_type" });
    from = gate.messages.length;
    gate.send({ type: "scan_batch", scans: "everything" });
    expect(await gate.next("error", from)).toMatchObject({ code: "unknown_type" });
    from = gate.messages.length;
    gate.send({ type: "scan", id: "bad-1", qr: "x", action: "DANCE", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString() });
    expect(await gate.next("error", from)).toMatchObject({ code: "bad_scan", id: "bad-1", detail: expect.stringContaining("action") });
    // A batch with one bad scan: that one is refused by id, the others are decided.
    const good = scan(right!.qr_code);
    from = gate.messages.length;
    gate.send({ type: "scan_batch", scans: [{ id: "bad-2", qr: "", action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: "now" }, good, 42] });
    const errors = await gate.until(() => gate.messages.slice(from).filter((m) => m.type === "error").length === 2 && gate.messages.slice(from).filter((m) => m.type === "error"), "two errors");
    expect(errors.map((e) => [e.code, e.id])).toEqual([
      ["bad_scan", "bad-2"],
      ["bad_scan", null],
    ]);
    expect((await gate.resultsFor([good.id]))[0]).toMatchObject({ status: "SUCCESS" });
    from = gate.messages.length;
    gate.ws.send(new TextEncoder().encode(JSON.stringify({ type: "ping" }))); // a binary frame
    expect(await gate.next("pong", from)).toMatchObject({ type: "pong" });
    from = gate.messages.length;
    gate.send(JSON.stringify({ type: "scan_batch", scans: [], pad: "x".repeat(600 * 1024) }));
    expect(await gate.next("error", from)).toMatchObject({ code: "message_too_large" });
    expect(gate.closed).toBeNull();
    // Nothing of the refused messages reached the log; the one good scan did.
    expect(await logCounts(fixture)).toMatchObject({ n: 1, admitted: 1 });
  });

  it("reads a scan body with the one schema the HTTP route uses: a body both refuse, with the same message", async () => {
    const fixture = await live();
    const gate = await openGate(fixture);
    // A date the JavaScript clock reads, but not an ISO time: refused on both transports alike.
    const body = { ...scan("AAAA-BBBB-CCCC", { scan_method: "MANUAL_ENTRY" }), scanned_at: "2026-12-05 18:41" };
    const from = gate.messages.length;
    gate.send({ type: "scan", ...body });
    expect(await gate.next("error", from)).toEqual({ type: "error", code: "bad_scan", id: body.id, detail: "scanned_at: an ISO time" });
    const res = await api("POST", `/v1/events/${fixture.eventId}/scans`, { token: fixture.controller.token, body: { ...body, device_id: "D1", access_point_id: fixture.gateA } });
    expect(expectProblem(res, 422, "validation_failed").errors).toEqual([expect.objectContaining({ path: "scanned_at", message: "an ISO time" })]);
    expect(await logCounts(fixture)).toMatchObject({ n: 0 });
  });

  it("answers JSON that is not an object with an error and keeps the socket open", async () => {
    const fixture = await live();
    const gate = await openGate(fixture);
    for (const text of ["null", "42", '"scan"', "[]"]) {
      const from = gate.messages.length;
      gate.send(text);
      expect(await gate.next("error", from)).toMatchObject({ type: "error" });
    }
    gate.send({ type: "ping" });
    expect(await gate.next("pong")).toMatchObject({ type: "pong" });
    expect(gate.closed).toBeNull();
  });

  it("refuses the upgrade to strangers, other events' controllers, unknown gates and banned devices", async () => {
    const fixture = await live();
    const other = await live();
    const fan = await registerUser();
    const query = `device_id=SCANNER-A01&access_point_id=${fixture.gateA}`;
    expect((await upgrade(fixture.eventId, null, query)).status).toBe(401);
    expect((await upgrade(fixture.eventId, fan.token, query)).status).toBe(404);
    expect((await upgrade(fixture.eventId, other.controller.token, query)).status).toBe(404);
    expect((await upgrade(fixture.eventId, fixture.controller.token, `device_id=SCANNER-A01&access_point_id=${other.gateA}`)).status).toBe(404);
    expect((await upgrade(fixture.eventId, fixture.controller.token, "device_id=SCANNER-A01")).status).toBe(422);
    expect((await upgrade(fixture.eventId, fixture.controller.token, "observe=true")).status).toBe(403);
    const plain = await (exports as unknown as { default: Fetcher }).default.fetch(
      new Request(`https://api.test/v1/events/${fixture.eventId}/gate?${query}`, { headers: { Authorization: `Bearer ${fixture.controller.token}` } }),
    );
    expect(plain.status).toBe(426);
    await fixture.stub.setGatePolicy({ overrides: [], blacklist: [{ id: "dev", type: "DEVICE", identifier: "STOLEN-9", starts_at: new Date(Date.now() - HOUR).toISOString(), ends_at: null }] });
    expect((await upgrade(fixture.eventId, fixture.controller.token, `device_id=STOLEN-9&access_point_id=${fixture.gateA}`)).status).toBe(403);
    expect((await upgrade(fixture.eventId, fixture.controller.token, query)).status).toBe(101);
  });

  it("refuses a device_id the EventDO could not be told (CR, LF, NUL, other control characters) with 422, never 500", async () => {
    const fixture = await live();
    for (const device of ["LANE\r\nX-Gate-Controller: someone", "LANE\u0000", "LANE\t1", " LANE", "\u00e9cran", "x".repeat(101)]) {
      const res = await upgrade(fixture.eventId, fixture.controller.token, `device_id=${encodeURIComponent(device)}&access_point_id=${fixture.gateA}`);
      expect(res.status, JSON.stringify(device)).toBe(422);
      expect((await res.json<{ code: string; errors: { path: string }[] }>()).errors.map((e) => e.path)).toEqual(["query.device_id"]);
      const http = await api("POST", `/v1/events/${fixture.eventId}/scans`, {
        token: fixture.controller.token,
        body: { id: nonce(), qr: "x", action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString(), device_id: device, access_point_id: fixture.gateA },
      });
      expect(expectProblem(http, 422, "validation_failed").errors.map((e: { path: string }) => e.path)).toEqual(["device_id"]);
    }
    expect((await upgrade(fixture.eventId, fixture.controller.token, `device_id=${encodeURIComponent("Lane 3 / Porte A")}&access_point_id=${fixture.gateA}`)).status).toBe(101);
  });
});

describe("gate socket: occupancy and policy reach every gate and observer", () => {
  it("broadcasts occupancy to another gate and to an organizer watching; the watcher cannot scan", async () => {
    const fixture = await live();
    // A SUPERVISOR of the organization watches without any assignment to this event.
    const organizer = await registerMember(fixture.organizationId, "SUPERVISOR");
    const [right] = await issueRights(fixture, 1);
    const a = await openGate(fixture, { device: "A" });
    const b = await openGate(fixture, { device: "B", gate: fixture.exitGate });
    const observer = await openGate(fixture, { observe: true, token: organizer.token });
    const admin = await openGate(fixture, { observe: true, token: (await registerAdmin()).token });
    expect(await observer.next("hello")).toMatchObject({ role: "observer" });
    for (const socket of [a, b, observer, admin]) await socket.next("occupancy");
    const marks = [b, observer, admin].map((s) => s.messages.length);

    const body = scan(right!.qr_code);
    a.send({ type: "scan", ...body });
    await a.resultsFor([body.id]);
    for (const [i, socket] of [b, observer, admin].entries()) {
      const update = await socket.until(
        () => socket.messages.slice(marks[i]).find((m) => m.type === "occupancy" && m.zones.some((z: Message) => z.id === fixture.zoneId && z.occupancy === 1)),
        "occupancy 1",
      );
      expect(update.zones.find((z: Message) => z.id === fixture.zoneId)).toMatchObject({ occupancy: 1 });
    }

    const from = observer.messages.length;
    observer.send({ type: "scan", ...scan(right!.qr_code, { action: "EXIT" }) });
    expect(await observer.next("error", from)).toMatchObject({ code: "read_only" });
    observer.send({ type: "ping" });
    expect(await observer.next("pong", from)).toMatchObject({ type: "pong" });
    expect(await logCounts(fixture)).toMatchObject({ n: 1 });
  });

  it("closes the sockets of someone who leaves the event's staff, and refuses them from then on", async () => {
    const fixture = await live();
    const supervisor = await registerUser();
    await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'SUPERVISOR')").bind(newId(), fixture.eventId, supervisor.id).run();
    const gate = await openGate(fixture, { device: "LANE-9", token: supervisor.token });
    const watching = await openGate(fixture, { observe: true, token: supervisor.token });
    const colleague = await openGate(fixture, { device: "LANE-1" });
    await Promise.all([gate.next("occupancy"), watching.next("occupancy"), colleague.next("occupancy")]);
    const admin = await registerAdmin();
    expect((await api("DELETE", `/v1/events/${fixture.eventId}/staff/${supervisor.id}`, { token: admin.token })).status).toBe(204);
    await gate.until(() => gate.closed, "the removed supervisor's gate socket to close");
    await watching.until(() => watching.closed, "the removed supervisor's observer socket to close");
    expect([gate.closed?.code, watching.closed?.code]).toEqual([4003, 4003]);
    expect(colleague.closed).toBeNull();
    await expect(openGate(fixture, { device: "LANE-9", token: supervisor.token })).rejects.toThrow("upgrade refused: 404");
  });

  /** A supervisor of the fixture's event (gates anywhere, and observers), signed in twice: two sessions. */
  async function supervisorTwice(fixture: GateFixture) {
    const first = await registerUser();
    await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'SUPERVISOR')").bind(newId(), fixture.eventId, first.id).run();
    const again = await login(first.email);
    expect(again.status).toBe(200);
    return { id: first.id, first: { token: first.token, sessionId: first.sessionId }, second: { token: again.body.access_token as string, sessionId: again.body.session_id as string } };
  }

  const ended = (socket: GateSocket) => socket.until(() => socket.closed, "the ended session's socket to close", 5_000);

  it("closes a session's gate and observer sockets at logout (4003 session ended), not its other session's, and refuses the session from then on", async () => {
    const fixture = await live();
    const person = await supervisorTwice(fixture);
    const gate = await openGate(fixture, { device: "LANE-9", token: person.first.token });
    const watching = await openGate(fixture, { observe: true, token: person.first.token });
    const otherSession = await openGate(fixture, { device: "LANE-8", token: person.second.token });
    const colleague = await openGate(fixture, { device: "LANE-1" });
    await Promise.all([gate, watching, otherSession, colleague].map((s) => s.next("occupancy")));
    expect((await api("POST", "/v1/auth/logout", { token: person.first.token })).status).toBe(204);
    await Promise.all([ended(gate), ended(watching)]);
    expect([gate.closed, watching.closed]).toEqual([
      { code: 4003, reason: "session ended" },
      { code: 4003, reason: "session ended" },
    ]);
    expect([otherSession.closed, colleague.closed]).toEqual([null, null]);
    expect((await upgrade(fixture.eventId, person.first.token, `device_id=LANE-9&access_point_id=${fixture.gateA}`)).status).toBe(401);
    otherSession.send({ type: "ping" });
    expect(await otherSession.next("pong")).toMatchObject({ type: "pong" });
    // Told, the object has nothing left to be told about the session.
    expect((await env.DB.prepare("SELECT count(*) AS n FROM gate_socket_sessions WHERE session_id = ?").bind(person.first.sessionId).first<{ n: number }>())!.n).toBe(0);
  });

  it("closes them when the session is revoked from another, and when an admin deactivates the account", async () => {
    const fixture = await live();
    const person = await supervisorTwice(fixture);
    const revoked = await openGate(fixture, { device: "LANE-9", token: person.first.token });
    const kept = await openGate(fixture, { observe: true, token: person.second.token });
    await Promise.all([revoked.next("occupancy"), kept.next("occupancy")]);
    expect((await api("DELETE", `/v1/auth/sessions/${person.first.sessionId}`, { token: person.second.token })).status).toBe(204);
    await ended(revoked);
    expect(revoked.closed).toEqual({ code: 4003, reason: "session ended" });
    expect(kept.closed).toBeNull();
    const admin = await registerAdmin();
    expect((await api("PATCH", `/v1/admin/users/${person.id}`, { token: admin.token, body: { is_active: false } })).status).toBe(200);
    await ended(kept);
    expect(kept.closed).toEqual({ code: 4003, reason: "session ended" });
  });

  it("refuses a socket whose session the object was told has ended, even if the Worker still let it through", async () => {
    const fixture = await live();
    const person = await supervisorTwice(fixture);
    // The session's end reaches the object before its socket does (the Worker checked the session just before it ended).
    expect(await fixture.stub.endSession(person.first.sessionId)).toBe(0);
    const res = await upgrade(fixture.eventId, person.first.token, `device_id=LANE-9&access_point_id=${fixture.gateA}`);
    expect([res.status, await res.text()]).toEqual([401, "session ended"]);
    expect((await upgrade(fixture.eventId, person.second.token, `device_id=LANE-9&access_point_id=${fixture.gateA}`)).status).toBe(101);
  });

  it("closes a socket whose session ended without the object being told, at its next frame once it checks D1", async () => {
    const fixture = await live();
    const person = await supervisorTwice(fixture);
    const gate = await openGate(fixture, { device: "LANE-9", token: person.first.token });
    await gate.next("occupancy");
    // The word does not arrive (the object was unreachable): D1 knows the session ended, the object does not.
    await env.DB.prepare("DELETE FROM gate_socket_sessions WHERE session_id = ?").bind(person.first.sessionId).run();
    expect((await api("POST", "/v1/auth/logout", { token: person.first.token })).status).toBe(204);
    expect(gate.closed).toBeNull();
    gate.send({ type: "ping" });
    await gate.next("pong");
    expect(gate.closed).toBeNull(); // checked less than REVOCATION_FEED_MAX_AGE_MS ago (at the upgrade)
    advanceClock(REVOCATION_FEED_MAX_AGE_MS + 1);
    // This frame starts the check (no frame waits for D1); its answer closes the socket.
    gate.send({ type: "ping" });
    await ended(gate);
    expect(gate.closed).toEqual({ code: 4003, reason: "session ended" });
  });

  it("tells every gate of a policy change at once and closes the socket of a device just banned", async () => {
    const fixture = await live();
    const a = await openGate(fixture, { device: "LANE-1" });
    const b = await openGate(fixture, { device: "LANE-2" });
    await Promise.all([a.next("occupancy"), b.next("occupancy")]);
    await fixture.stub.setGatePolicy({ overrides: [], blacklist: [{ id: "ban", type: "DEVICE", identifier: "LANE-2", starts_at: new Date(Date.now() - HOUR).toISOString(), ends_at: null }] });
    expect(await a.next("policy")).toMatchObject({ blacklist: 1, overrides: 0 });
    await b.until(() => b.closed, "the banned device's socket to close");
    expect(b.closed).toMatchObject({ code: 4003 });
    expect(a.closed).toBeNull();
  });
});

/**
 * Rounds of frames sent at once on every socket, each round answered before
 * the next: the two presentations of a duplicated right travel in the same
 * round on two different sockets, so the DO sees them at the same moment.
 */
async function stream(gates: GateSocket[], rounds: ScanBody[][][], type: "scan_batch" | "sync" = "scan_batch") {
  for (const frames of rounds) {
    frames.forEach((scans, i) => scans.length && gates[i]!.send({ type, scans }));
    await Promise.all(frames.map((scans, i) => gates[i]!.resultsFor(scans.map((s) => s.id), 60_000)));
  }
}

describe("gate socket: 16 gates at once", () => {
  const GATES = 16;
  const RIGHTS = 16_000;
  const DUPLICATES = 4_000; // 20 % of the 20,000 presentations
  const FRAME = 50;
  const TOKENS = 2_000; // signed QR tokens; the other rights are presented by their printed code (MANUAL_ENTRY)

  it(
    "admits each of 16,000 rights exactly once among 20,000 scans (20 % duplicates at other gates at the same moment) and logs every attempt once",
    async () => {
      const started = Date.now();
      const fixture = await live();
      const lanes = await addGates(fixture, GATES);
      const rights = await issueRights(fixture, RIGHTS);
      const issuedAt = Date.now();
      const tokens = await signTokens(fixture, rights.slice(0, TOKENS));
      const signedAt = Date.now();
      console.log(`setup ${issuedAt - started} ms; ${TOKENS} tokens signed with signAccessToken in ${signedAt - issuedAt} ms (${((signedAt - issuedAt) / TOKENS).toFixed(2)} ms each)`);

      // How each right is presented: its token (QR_SCANNER) or its printed code, in the forms people type it.
      const present = (i: number, second: boolean): ScanBody => {
        const right = rights[i]!;
        const code = second ? right.qr_code.replace(/-/g, "").toLowerCase() : right.qr_code;
        const byToken = i < TOKENS && !(second && i % 2 === 1); // half the duplicated token rights come back by their code
        return byToken ? scan(tokens[i]!, { scan_method: "QR_SCANNER" }) : scan(code, { scan_method: "MANUAL_ENTRY" });
      };
      const perRound = GATES * FRAME;
      const pairsPerRound = (DUPLICATES / (RIGHTS + DUPLICATES)) * perRound;
      const rounds: ScanBody[][][] = [];
      let pair = 0;
      let single = DUPLICATES;
      while (pair < DUPLICATES || single < RIGHTS) {
        const frames: ScanBody[][] = Array.from({ length: GATES }, () => []);
        for (let j = 0; j < pairsPerRound && pair < DUPLICATES; j++, pair++) {
          const first = j % GATES;
          const second = (first + 1 + Math.floor(j / GATES)) % GATES; // always another gate
          frames[first]!.push(present(pair, false));
          frames[second]!.push(present(pair, true));
        }
        for (const frame of frames) while (frame.length < FRAME && single < RIGHTS) frame.push(present(single++, false));
        rounds.push(frames);
      }
      const sent = rounds.flat(2);
      expect(sent).toHaveLength(RIGHTS + DUPLICATES);

      const gates = await Promise.all(lanes.map((gate, i) => openGate(fixture, { gate, device: `LANE-${i + 1}` })));
      await stream(gates, rounds);
      const streamedAt = Date.now();

      const results = gates.flatMap((g) => [...g.results.values()]);
      expect(results).toHaveLength(sent.length);
      const admitted = admissionsPerRight(results);
      expect(admitted.size).toBe(RIGHTS);
      expect([...admitted.values()].every((n) => n === 1)).toBe(true);
      const refused = results.filter((r) => r.status !== "SUCCESS");
      expect(refused).toHaveLength(DUPLICATES);
      expect(refused.every((r) => r.denial_reason === "ALREADY_USED")).toBe(true);

      expect(await logCounts(fixture)).toEqual({ n: sent.length, nonces: sent.length, admitted: RIGHTS, conflicts: 0, twice: 0 });
      const inside = await env.DB.prepare("SELECT count(*) AS n, sum(entry_count) AS entries FROM access_rights WHERE event_id = ? AND is_inside = 1").bind(fixture.eventId).first();
      expect(inside).toEqual({ n: RIGHTS, entries: RIGHTS });
      console.log(`stream ${streamedAt - signedAt} ms (${Math.round((sent.length * 1000) / (streamedAt - signedAt))} scans/s); projection flushed ${Date.now() - streamedAt} ms; total ${Date.now() - started} ms`);
    },
    240_000,
  );
});

/** Frames of `size` from `bodies`, dealt round-robin to `gates` sockets: one round per `gates × size` scans. */
function deal(bodies: ScanBody[], gates: number, size: number): ScanBody[][][] {
  const rounds: ScanBody[][][] = [];
  for (let start = 0; start < bodies.length; start += gates * size) {
    const part = bodies.slice(start, start + gates * size);
    rounds.push(Array.from({ length: gates }, (_, g) => part.filter((_, i) => i % gates === g)));
  }
  return rounds;
}

/** Each right presented once, and the first `duplicates` of them a second time at the next gate of the round. */
function presentations(rights: IssuedRight[], tokens: string[], duplicates: number): ScanBody[] {
  const bodies: ScanBody[] = [];
  rights.forEach((right, i) => {
    bodies.push(i < tokens.length ? scan(tokens[i]!) : scan(right.qr_code));
    if (i < duplicates) bodies.push(scan(right.qr_code.toLowerCase()));
  });
  return bodies;
}

describe("gate socket: evictions and deploys", () => {
  it("loses nothing when the object is evicted in the middle of a stream: hibernated sockets keep working", async () => {
    const fixture = await live();
    const rights = await issueRights(fixture, 480);
    const tokens = await signTokens(fixture, rights.slice(0, 60));
    const bodies = presentations(rights, tokens, 120);
    const [before, during, after] = [bodies.slice(0, 200), bodies.slice(200, 400), bodies.slice(400)];
    const gates = await Promise.all([1, 2, 3, 4].map((i) => openGate(fixture, { device: `LANE-${i}` })));
    await stream(gates, deal(before, 4, 50));

    // Frames in flight while the object goes away (eviction lets them finish), then more frames on the same sockets.
    deal(during, 4, 50)[0]!.forEach((scans, i) => gates[i]!.send({ type: "scan_batch", scans }));
    await evictDurableObject(fixture.stub);
    await stream(gates, deal(after, 4, 50));
    await Promise.all(deal(during, 4, 50)[0]!.map((scans, i) => gates[i]!.resultsFor(scans.map((s) => s.id))));

    expect(gates.every((g) => g.closed === null)).toBe(true);
    expect(gates.every((g) => g.messages.filter((m) => m.type === "hello").length === 1)).toBe(true);
    const results = gates.flatMap((g) => [...g.results.values()]);
    expect(results).toHaveLength(bodies.length);
    const admitted = admissionsPerRight(results);
    expect(admitted.size).toBe(rights.length);
    expect([...admitted.values()].every((n) => n === 1)).toBe(true);
    expect(results.filter((r) => r.status !== "SUCCESS").every((r) => r.denial_reason === "ALREADY_USED")).toBe(true);
    expect(await logCounts(fixture)).toEqual({ n: bodies.length, nonces: bodies.length, admitted: rights.length, conflicts: 0, twice: 0 });
  });

  it("sockets closed as by a deploy: the gate reconnects, resends with the same nonces and gets the first results, logged once", async () => {
    const fixture = await live();
    const rights = await issueRights(fixture, 240);
    const tokens = await signTokens(fixture, rights.slice(0, 40));
    const bodies = presentations(rights, tokens, 60);
    const [answered, cut] = [bodies.slice(0, 150), bodies.slice(150)];
    let gates = await Promise.all([1, 2].map((i) => openGate(fixture, { device: `LANE-${i}` })));
    await stream(gates, deal(answered, 2, 25));
    const firstResults = new Map(gates.flatMap((g) => [...g.results]));

    deal(cut, 2, 75)[0]!.forEach((scans, i) => gates[i]!.send({ type: "scan_batch", scans }));
    await evictDurableObject(fixture.stub, { webSockets: "close" });
    await Promise.all(gates.map((g) => g.until(() => g.closed, "the socket to close")));

    // The device does not know which of its last frames were decided: it reconnects and sends everything again, same nonces.
    gates = await Promise.all([1, 2].map((i) => openGate(fixture, { device: `LANE-${i}` })));
    await Promise.all(gates.map((g) => g.next("hello")));
    await stream(gates, deal(bodies, 2, 50));
    const results = new Map(gates.flatMap((g) => [...g.results]));
    expect(results.size).toBe(bodies.length);
    for (const [id, first] of firstResults) expect(results.get(id)).toEqual(first);
    const admitted = admissionsPerRight(results.values());
    expect(admitted.size).toBe(rights.length);
    expect([...admitted.values()].every((n) => n === 1)).toBe(true);
    expect(await logCounts(fixture)).toEqual({ n: bodies.length, nonces: bodies.length, admitted: rights.length, conflicts: 0, twice: 0 });
  });
});

describe("gate socket: offline gates", () => {
  it("two gates offline with overlapping rights, then sync: every scan recorded once, conflicts flagged, in scanned_at order", async () => {
    const fixture = await live();
    const rights = await issueRights(fixture, 30);
    const tokens = await signTokens(fixture, rights.slice(0, 10));
    const qr = (i: number) => (i < 10 ? tokens[i]! : rights[i]!.qr_code);
    // What a third gate holds: a bundle taken before the gates went offline (the controller's session's first), refreshed with a delta after the uploads.
    const before = await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token });
    const since = Date.now(); // both gates lost the network then, and come back ten minutes later
    advanceClock(10 * 60_000);
    const at = (second: number) => new Date(since + second * 1000).toISOString();
    const offline = (i: number, second: number, status: ScanBody["offline_status"] = "SUCCESS") =>
      scan(qr(i), { scanned_at: at(second), offline_status: status, scan_method: i < 10 ? "QR_SCANNER" : "MANUAL_ENTRY" });

    // Gate A admitted rights 0–19, gate B rights 10–29: rights 10–19 went in twice (a shared screenshot).
    const a = Array.from({ length: 20 }, (_, i) => offline(i, 2 * i));
    const b = Array.from({ length: 20 }, (_, k) => offline(k + 10, 2 * (k + 10) + 1));
    // Gate A also let right 0 in a second time, later, and refused a code it did not know.
    const again = offline(0, 100);
    const unknown = scan("ZZZZ-ZZZZ-ZZZZ", { scanned_at: at(50), offline_status: "DENIED" });
    const syncA = [again, ...[...a].reverse(), unknown]; // uploaded out of order: the server replays by scanned_at
    const syncB = [...b.filter((_, k) => k % 2 === 1), ...b.filter((_, k) => k % 2 === 0)];

    const gateA = await openGate(fixture, { device: "A" });
    const gateB = await openGate(fixture, { device: "B" });
    gateA.send({ type: "sync", scans: syncA });
    gateB.send({ type: "sync", scans: syncB });
    const [resultsA, resultsB] = await Promise.all([gateA.resultsFor(syncA.map((s) => s.id)), gateB.resultsFor(syncB.map((s) => s.id))]);
    expect((await gateA.next("sync_result")).results.map((r: ScanResult) => r.id)).toEqual([...syncA].sort((x, y) => x.scanned_at.localeCompare(y.scanned_at)).map((s) => s.id));

    const all = [...resultsA, ...resultsB];
    // Every right is admitted once; each second admission is recorded as a conflict, never dropped.
    const admitted = admissionsPerRight(all);
    expect(admitted.size).toBe(30);
    expect([...admitted.values()].every((n) => n === 1)).toBe(true);
    const conflicts = all.filter((r) => r.conflict);
    expect(conflicts).toHaveLength(11);
    expect(conflicts.every((r) => r.status === "WARNING")).toBe(true);
    expect(new Set(conflicts.map((r) => r.access_right!.id))).toEqual(new Set([0, ...Array.from({ length: 10 }, (_, k) => k + 10)].map((i) => rights[i]!.id)));
    // In scanned_at order: right 0's earlier admission stands, the later one is the conflict.
    expect(gateA.results.get(a[0]!.id)).toMatchObject({ status: "SUCCESS" });
    expect(gateA.results.get(again.id)).toMatchObject({ status: "WARNING", conflict: true });
    expect(gateA.results.get(unknown.id)).toMatchObject({ status: "DENIED", denial_reason: "INVALID_QR" });

    // Scans made before that bundle but uploaded after it are in the delta: the third gate knows who is inside.
    const delta = await api("GET", `/v1/events/${fixture.eventId}/gate/bundle?since=${before.body.version}`, { token: fixture.controller.token });
    expect(new Set(delta.body.inside)).toEqual(new Set(rights.map((r) => r.id)));

    // The upload is retried (its answer was lost): same results, nothing logged twice.
    const from = gateA.messages.length;
    gateA.send({ type: "sync", scans: syncA });
    const retried = (await gateA.next("sync_result", from)).results as ScanResult[];
    expect(retried).toHaveLength(syncA.length);
    for (const result of retried) expect(result).toEqual(resultsA.find((r) => r.id === result.id));

    const total = syncA.length + syncB.length;
    expect(await logCounts(fixture)).toEqual({ n: total, nonces: total, admitted: 30, conflicts: 11, twice: 0 });
    const log = await env.DB.prepare("SELECT nonce, timestamp, was_offline, is_conflict FROM access_control_log WHERE event_id = ?").bind(fixture.eventId).all<{ nonce: string; timestamp: string; was_offline: number; is_conflict: number }>();
    const sent = new Map([...syncA, ...syncB].map((s) => [s.id, s]));
    for (const row of log.results) {
      expect(row.was_offline).toBe(1);
      expect(row.timestamp).toBe(sent.get(row.nonce)!.scanned_at);
      expect(row.is_conflict).toBe(conflicts.some((c) => c.id === row.nonce) ? 1 : 0);
    }
    // Back online, the server's state knows who is inside.
    const online = scan(qr(15));
    gateA.send({ type: "scan", ...online });
    expect((await gateA.resultsFor([online.id]))[0]).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });
});

describe("gate socket: browsers and the observers' activity feed", () => {
  /** An upgrade as a browser sends it: no Authorization header, the token offered as a subprotocol beside the gate's. */
  function browserUpgrade(eventId: string, protocols: string[], query = "observe=true") {
    return (exports as unknown as { default: Fetcher }).default.fetch(
      new Request(`https://api.test/v1/events/${eventId}/gate?${query}`, { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": protocols.join(", ") } }),
    );
  }

  it("authenticates a browser by its bearer subprotocol and answers the gate's", async () => {
    const fixture = await live();
    const admin = await registerAdmin();
    const opened = await browserUpgrade(fixture.eventId, [GATE_SUBPROTOCOL, `bearer.${admin.token}`]);
    expect(opened.status).toBe(101);
    expect(opened.headers.get("Sec-WebSocket-Protocol")).toBe(GATE_SUBPROTOCOL);
    opened.webSocket!.accept();
    const observer = new GateSocket(opened.webSocket!);
    expect(await observer.next("hello")).toMatchObject({ role: "observer" });
    observer.ws.close(1000);

    // A bad token is a 401 as in a header, and so is none; a controller may not observe.
    expect((await browserUpgrade(fixture.eventId, [GATE_SUBPROTOCOL, "bearer.not-a-token"])).status).toBe(401);
    expect((await browserUpgrade(fixture.eventId, [GATE_SUBPROTOCOL])).status).toBe(401);
    expect((await browserUpgrade(fixture.eventId, [GATE_SUBPROTOCOL, `bearer.${fixture.controller.token}`])).status).toBe(403);
    // A controller's browser at its gate.
    const gate = await browserUpgrade(fixture.eventId, [GATE_SUBPROTOCOL, `bearer.${fixture.controller.token}`], `device_id=BROWSER-1&access_point_id=${fixture.gateA}`);
    expect(gate.status).toBe(101);
    gate.webSocket!.accept();
    gate.webSocket!.close(1000);
    // Only an upgrade reads the subprotocol: a plain request with it is anonymous.
    const plain = await (exports as unknown as { default: Fetcher }).default.fetch(
      new Request("https://api.test/v1/me", { headers: { "Sec-WebSocket-Protocol": `${GATE_SUBPROTOCOL}, bearer.${admin.token}` } }),
    );
    expect(plain.status).toBe(401);
  });

  it("names its subprotocol after the protocol's version, and still answers the former name to a browser offering only that", async () => {
    const fixture = await live();
    const admin = await registerAdmin();
    expect(GATE_SUBPROTOCOL).toBe("edge-events.gate.v2");
    const current = await browserUpgrade(fixture.eventId, [GATE_SUBPROTOCOL, `bearer.${admin.token}`]);
    expect(current.headers.get("Sec-WebSocket-Protocol")).toBe("edge-events.gate.v2");
    current.webSocket!.accept();
    expect(await new GateSocket(current.webSocket!).next("hello")).toMatchObject({ protocol: 2 });
    current.webSocket!.close(1000);
    // A dashboard built before the rename.
    const legacy = await browserUpgrade(fixture.eventId, ["edge-events.gate.v1", `bearer.${admin.token}`]);
    expect([legacy.status, legacy.headers.get("Sec-WebSocket-Protocol")]).toEqual([101, "edge-events.gate.v1"]);
    legacy.webSocket!.accept();
    legacy.webSocket!.close(1000);
    // Offered both, the current name wins.
    const both = await browserUpgrade(fixture.eventId, ["edge-events.gate.v1", GATE_SUBPROTOCOL, `bearer.${admin.token}`]);
    expect(both.headers.get("Sec-WebSocket-Protocol")).toBe("edge-events.gate.v2");
    both.webSocket!.accept();
    both.webSocket!.close(1000);
  });

  it("tells observers, and only them, what each scan at any gate decided", async () => {
    const fixture = await live();
    const [right] = await issueRights(fixture, 1);
    const gate = await openGate(fixture, { device: "A" });
    const other = await openGate(fixture, { device: "B", gate: fixture.exitGate });
    const observer = await openGate(fixture, { observe: true, token: (await registerAdmin()).token });
    await Promise.all([gate.next("occupancy"), other.next("occupancy"), observer.next("occupancy")]);
    const admitted = scan(right!.qr_code);
    const again = scan(right!.qr_code);
    gate.send({ type: "scan", ...admitted });
    await gate.resultsFor([admitted.id]);
    gate.send({ type: "scan", ...again });
    await gate.resultsFor([again.id]);
    const seen = await observer.until(() => {
      const scans = observer.messages.filter((m) => m.type === "activity").flatMap((m) => m.scans as Message[]);
      return scans.length >= 2 && scans;
    }, "two scans in the activity feed");
    expect(seen).toEqual([
      { id: admitted.id, access_point_id: fixture.gateA, action: "ENTRY", status: "SUCCESS", denial_reason: null, zone_id: fixture.zoneId },
      { id: again.id, access_point_id: fixture.gateA, action: "ENTRY", status: "DENIED", denial_reason: "ALREADY_USED", zone_id: fixture.zoneId },
    ]);
    // Gates are not sent the feed: a ping answered after both scans shows nothing came before it.
    for (const socket of [gate, other]) {
      const from = socket.messages.length;
      socket.send({ type: "ping" });
      await socket.next("pong", from);
      expect(socket.messages.some((m) => m.type === "activity")).toBe(false);
    }
  });
});
