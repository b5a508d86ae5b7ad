import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MANUAL_CODE_DIGEST, manualCodeDigest, type GateBundle, type ScanBody, type ScanResult } from "../../durable-objects/event/gate-protocol.ts";
import { signTokenWith } from "../../src/access/qr-tokens.ts";
import { backoffDelay } from "../../scripts/gate-client/backoff.ts";
import { GateClient } from "../../scripts/gate-client/client.ts";
import { parseLine } from "../../scripts/gate-client/main.ts";
import { OfflineGate } from "../../scripts/gate-client/offline.ts";
import { OfflineQueue } from "../../scripts/gate-client/queue.ts";

const HOUR = 3600_000;

describe("backoff", () => {
  it("doubles up to the cap, with half of each delay random", () => {
    const low = (attempt: number) => backoffDelay(attempt, { baseMs: 100, capMs: 5_000, random: () => 0 });
    const high = (attempt: number) => backoffDelay(attempt, { baseMs: 100, capMs: 5_000, random: () => 1 });
    expect([0, 1, 2, 3].map(high)).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map(low)).toEqual([50, 100, 200, 400]);
    expect(high(30)).toBe(5_000);
    expect(low(30)).toBe(2_500);
  });

  it("spreads gates that retry together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4)));
    expect(delays.size).toBeGreaterThan(30);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(2_000);
  });
});

describe("scan lines", () => {
  it("reads `<qr>[,ACTION]`, skipping blanks and comments", () => {
    expect(parseLine("ABCD-EFGH-JKLM", "ENTRY")).toEqual({ qr: "ABCD-EFGH-JKLM", action: "ENTRY" });
    expect(parseLine("  E1.ABCDEFGH.x.y , exit ", "ENTRY")).toEqual({ qr: "E1.ABCDEFGH.x.y", action: "EXIT" });
    expect(parseLine("abcd efgh jklm,RE_ENTRY", "EXIT")).toEqual({ qr: "abcd efgh jklm", action: "RE_ENTRY" });
    expect(parseLine("odd,text", "CHECK")).toEqual({ qr: "odd,text", action: "CHECK" });
    expect(parseLine("   ", "ENTRY")).toBeNull();
    expect(parseLine("# lane 3", "ENTRY")).toBeNull();
  });
});

describe("scan bodies", () => {
  it("answers a scan the server would refuse as malformed at once, as the server would, and never queues it", async () => {
    const client = new GateClient({ url: "http://127.0.0.1:9", eventId: crypto.randomUUID(), token: "t", deviceId: "D1", accessPointId: crypto.randomUUID() });
    const outcome = await client.scan("X".repeat(513));
    expect(outcome).toMatchObject({ status: "ERROR", denial_reason: null, warning: "qr: the scanned text, 1–512 characters" });
    expect(client.queue.size).toBe(0);
  });
});

describe("offline queue", () => {
  const body = (id: string, at: string): ScanBody => ({ id, qr: "X", action: "ENTRY", scan_method: "MANUAL_ENTRY", scanned_at: at, offline_status: "SUCCESS" });
  const decision = { status: "SUCCESS" as const, denial_reason: null, access_right_id: null, zone_id: null };

  it("gives the oldest scans first and forgets acknowledged ones", () => {
    const queue = new OfflineQueue();
    queue.add({ body: body("b", "2026-11-21T18:00:02.000Z"), decision });
    queue.add({ body: body("a", "2026-11-21T18:00:01.000Z"), decision });
    queue.add({ body: body("c", "2026-11-21T18:00:03.000Z"), decision });
    expect(queue.oldest(2).map((e) => e.body.id)).toEqual(["a", "b"]);
    expect(queue.ack("a")?.body.id).toBe("a");
    expect(queue.ack("a")).toBeUndefined();
    expect(queue.size).toBe(2);
  });

  it("survives a restart of the client through its journal, and compacts it", () => {
    const dir = mkdtempSync(join(tmpdir(), "gate-queue-"));
    try {
      const file = join(dir, "queue.jsonl");
      const first = new OfflineQueue(file);
      first.add({ body: body("a", "2026-11-21T18:00:01.000Z"), decision });
      first.add({ body: body("b", "2026-11-21T18:00:02.000Z"), decision });
      first.ack("a");
      const second = new OfflineQueue(file);
      expect(second.oldest(10).map((e) => e.body.id)).toEqual(["b"]);
      expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A bundle as the EventDO serves it, for an event signed with a fresh key. */
async function fixture() {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  const kid = "ABCDEFGH";
  const eventId = crypto.randomUUID();
  const [zone, visitors, gate, exitGate, entryOnly] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  const now = Date.now();
  const window = { valid_from: new Date(now - HOUR).toISOString(), valid_until: new Date(now + 4 * HOUR).toISOString() };
  // The event's key for the printed codes' digests: the bundle lists digests, the tests type the codes.
  const codeKey = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const right = (code: string, extra: Partial<GateBundle["valid"][number]> = {}) => ({ id: crypto.randomUUID(), qr_code: code, config_id: null, zone_id: zone, entry_count: 0, ...window, ...extra });
  const listed = <T extends { qr_code: string }>({ qr_code, ...rest }: T) => ({ ...rest, code_digest: manualCodeDigest(codeKey, qr_code) });
  const rights = {
    fresh: right("AAAA-BBBB-CCCC"),
    inside: right("DDDD-EEEE-FFFF", { entry_count: 1 }),
    early: right("GGGG-HHHH-JJJJ", { valid_from: new Date(now + HOUR).toISOString() }),
    tomorrow: right("KKKK-LLLL-MMMM", { valid_from: new Date(now + 30 * HOUR).toISOString() }),
    over: right("NNNN-PPPP-QQQQ", { valid_until: new Date(now - 60_000).toISOString() }),
    visitor: right("RRRR-SSSS-TTTT", { zone_id: visitors }),
    moved: right("UUUU-VVVV-WWWW", { zone_id: visitors }),
    banned: right("XXXX-YYYY-ZZZZ"),
  };
  const revoked = {
    cancelled: { id: crypto.randomUUID(), qr_code: "2222-3333-4444", status: "CANCELLED" },
    transferred: { id: crypto.randomUUID(), qr_code: "5555-6666-7777", status: "TRANSFERRED" },
    blocked: { id: crypto.randomUUID(), qr_code: "8888-9999-2222", status: "BLOCKED" },
  };
  const bundle: GateBundle = {
    event_id: eventId,
    status: "APPROVED",
    starts_at: new Date(now - HOUR).toISOString(),
    ends_at: new Date(now + 3 * HOUR).toISOString(),
    version: new Date(now - 1000).toISOString(),
    since: null,
    keys: [{ kid, kty: "OKP", crv: "Ed25519", x: jwk.x! }],
    manual_codes: { ...MANUAL_CODE_DIGEST, key: codeKey },
    config_zones: {},
    zones: [
      { id: zone, name: "Tribune Nord", capacity: 100, occupancy: 10 },
      { id: visitors, name: "Visiteurs", capacity: 1, occupancy: 1 },
    ],
    access_points: [
      { id: gate, name: "Porte A", direction: "BOTH", zone_ids: [zone], is_active: true },
      { id: exitGate, name: "Sortie", direction: "EXIT", zone_ids: [zone], is_active: true },
      { id: entryOnly, name: "Porte V", direction: "ENTRY", zone_ids: [zone, visitors], is_active: true },
    ],
    overrides: [{ id: "o1", target_type: "ACCESS_RIGHT", target_id: rights.moved.id, original_zone_id: visitors, override_zone_id: zone, valid_from: null, valid_until: null, capacity_impact: null }],
    blacklist: [
      { id: "b1", type: "QR_CODE", identifier: rights.banned.id, starts_at: new Date(now - HOUR).toISOString(), ends_at: null },
      { id: "b2", type: "DEVICE", identifier: "STOLEN", starts_at: new Date(now - HOUR).toISOString(), ends_at: null },
      { id: "b3", type: "QR_CODE", identifier: rights.fresh.id, starts_at: new Date(now - 2 * HOUR).toISOString(), ends_at: new Date(now - HOUR).toISOString() },
    ],
    revoked: Object.values(revoked).map(listed),
    inside: [rights.inside.id],
    valid: Object.values(rights).map(listed),
  };
  const sign = (id: string, event = eventId) => signTokenWith(kid, pair.privateKey, { id, event_id: event });
  const gateAt = async (point: string, device = "SCANNER-A01") => {
    const offline = new OfflineGate(point, device);
    await offline.apply(structuredClone(bundle));
    return offline;
  };
  return { bundle, rights, revoked, listed, sign, gateAt, points: { gate, exitGate, entryOnly }, zones: { zone, visitors }, eventId };
}

let n = 0;
const scanOf = (qr: string, action: ScanBody["action"] = "ENTRY"): ScanBody => ({
  id: `s${++n}`,
  qr,
  action,
  scan_method: qr.startsWith("E1.") ? "QR_SCANNER" : "MANUAL_ENTRY",
  scanned_at: new Date().toISOString(),
});

describe("offline decisions from the bundle", () => {
  it("admits a valid signed token once, then refuses it and its printed code as ALREADY_USED", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    const token = await f.sign(f.rights.fresh.id);
    expect(await gate.decide(scanOf(token))).toEqual({ status: "SUCCESS", denial_reason: null, access_right_id: f.rights.fresh.id, zone_id: f.zones.zone });
    expect(await gate.decide(scanOf(token))).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
    expect(await gate.decide(scanOf("aaaa bbbb cccc"))).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });

  it("refuses a tampered token, a token of another event's key or event, and an unknown code as INVALID_QR / WRONG_EVENT", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    const token = await f.sign(f.rights.fresh.id);
    const tampered = token.slice(0, 30) + (token[30] === "A" ? "B" : "A") + token.slice(31);
    expect(await gate.decide(scanOf(tampered))).toMatchObject({ denial_reason: "INVALID_QR" });
    expect(await gate.decide(scanOf(token.replace("ABCDEFGH", "ZZZZZZZZ")))).toMatchObject({ denial_reason: "INVALID_QR" });
    expect(await gate.decide(scanOf(await f.sign(f.rights.fresh.id, crypto.randomUUID())))).toMatchObject({ denial_reason: "WRONG_EVENT" });
    expect(await gate.decide(scanOf("ABCD-EFGH-2345"))).toMatchObject({ denial_reason: "INVALID_QR", access_right_id: null });
    expect(await gate.decide(scanOf("hello"))).toMatchObject({ denial_reason: "INVALID_QR" });
  });

  it("checks a typed code against the bundle's digests: the bundle holds no printed code", async () => {
    const f = await fixture();
    const sent = JSON.stringify(f.bundle);
    for (const r of [...Object.values(f.rights), ...Object.values(f.revoked)]) expect(sent).not.toContain(r.qr_code);
    const gate = await f.gateAt(f.points.gate);
    expect(await gate.decide(scanOf(" aaaa-bbbb cccc "))).toMatchObject({ status: "SUCCESS", access_right_id: f.rights.fresh.id });
    expect(await gate.decide(scanOf("AAAA-BBBB-CCCD"))).toMatchObject({ denial_reason: "INVALID_QR", access_right_id: null });
    // Another key (another event's bundle) does not read these digests.
    const foreign = await f.gateAt(f.points.gate);
    await foreign.apply({ ...structuredClone(f.bundle), manual_codes: { ...f.bundle.manual_codes, key: Buffer.alloc(32, 7).toString("base64url") } });
    expect(await foreign.decide(scanOf("AAAA-BBBB-CCCC"))).toMatchObject({ denial_reason: "INVALID_QR" });
  });

  it("refuses every right of a cancelled event, and opens the zones of a right's configuration as their access type says", async () => {
    const f = await fixture();
    const cancelled = await f.gateAt(f.points.gate);
    await cancelled.apply({ ...structuredClone(f.bundle), status: "CANCELLED" });
    expect(await cancelled.decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "CANCELLED" });
    // A right of a configuration that also opens the visitors' zone (LIMITED) and the main one after a time limit already past.
    const configId = crypto.randomUUID();
    const vip = { ...f.rights.fresh, id: crypto.randomUUID(), qr_code: "ABAB-CDCD-EFEF", config_id: configId, zone_id: null };
    const limited = structuredClone(f.bundle);
    limited.valid.push(f.listed(vip));
    limited.config_zones[configId] = [
      { zone_id: f.zones.zone, access: "CONDITIONAL", conditions: { time_limit: new Date(Date.now() - 60_000).toISOString() } },
      { zone_id: f.zones.visitors, access: "LIMITED", conditions: { requires_vip_band: true } },
    ];
    const main = await f.gateAt(f.points.gate);
    await main.apply(structuredClone(limited));
    expect(await main.decide(scanOf(vip.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE" });
    const both = await f.gateAt(f.points.entryOnly);
    await both.apply(structuredClone(limited));
    both.noteOccupancy([{ id: f.zones.visitors, name: "Visiteurs", capacity: 5, occupancy: 1 }]);
    expect(await both.decide(scanOf(vip.qr_code))).toMatchObject({ status: "WARNING", zone_id: f.zones.visitors });
  });

  it("refuses revoked rights with their reasons", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    expect(await gate.decide(scanOf(await f.sign(f.revoked.cancelled.id)))).toMatchObject({ status: "DENIED", denial_reason: "CANCELLED" });
    expect(await gate.decide(scanOf(f.revoked.transferred.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "INVALID_QR" });
    expect(await gate.decide(scanOf(f.revoked.blocked.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
  });

  it("refuses by date: NOT_YET_VALID, WRONG_DATE and EXPIRED", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    expect(await gate.decide(scanOf(f.rights.early.qr_code))).toMatchObject({ denial_reason: "NOT_YET_VALID" });
    expect(await gate.decide(scanOf(f.rights.tomorrow.qr_code))).toMatchObject({ denial_reason: "WRONG_DATE" });
    expect(await gate.decide(scanOf(f.rights.over.qr_code))).toMatchObject({ denial_reason: "EXPIRED" });
  });

  it("refuses a banned QR code and everything at a banned device, but not after a ban ended", async () => {
    const f = await fixture();
    expect(await (await f.gateAt(f.points.gate)).decide(scanOf(f.rights.banned.qr_code))).toMatchObject({ denial_reason: "BLACKLISTED" });
    expect(await (await f.gateAt(f.points.gate, "STOLEN")).decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ denial_reason: "BLACKLISTED" });
    expect(await (await f.gateAt(f.points.gate)).decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ status: "SUCCESS" });
  });

  it("places the right in its zone after its override, at a gate opening onto it, in the gate's direction", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    expect(await gate.decide(scanOf(f.rights.visitor.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE", zone_id: f.zones.visitors });
    expect(await gate.decide(scanOf(f.rights.moved.qr_code))).toMatchObject({ status: "SUCCESS", zone_id: f.zones.zone });
    const exit = await f.gateAt(f.points.exitGate);
    expect(await exit.decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE" });
    const entry = await f.gateAt(f.points.entryOnly);
    expect(await entry.decide(scanOf(f.rights.inside.qr_code, "EXIT"))).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE" });
  });

  it("counts the zone's capacity with its own admissions", async () => {
    const f = await fixture();
    const entry = await f.gateAt(f.points.entryOnly);
    // Visiteurs holds 1 and has 1: full.
    expect(await entry.decide(scanOf(f.rights.visitor.qr_code))).toMatchObject({ status: "DENIED", denial_reason: "CAPACITY_FULL" });
    entry.noteOccupancy([{ id: f.zones.visitors, name: "Visiteurs", capacity: 2, occupancy: 1 }]);
    expect(await entry.decide(scanOf(f.rights.visitor.qr_code))).toMatchObject({ status: "SUCCESS" });
    expect(await entry.decide(scanOf(f.rights.moved.qr_code, "ENTRY"))).toMatchObject({ zone_id: f.zones.zone });
  });

  it("lets the holder out and back in, and warns on an exit with no entry", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    expect(await gate.decide(scanOf(f.rights.inside.qr_code))).toMatchObject({ denial_reason: "ALREADY_USED" });
    expect(await gate.decide(scanOf(f.rights.inside.qr_code, "EXIT"))).toMatchObject({ status: "SUCCESS" });
    expect(await gate.decide(scanOf(f.rights.inside.qr_code, "RE_ENTRY"))).toMatchObject({ status: "SUCCESS" });
    expect(await gate.decide(scanOf(f.rights.fresh.qr_code, "EXIT"))).toMatchObject({ status: "WARNING" });
    expect(await gate.decide(scanOf(f.rights.fresh.qr_code, "CHECK"))).toMatchObject({ status: "SUCCESS" });
    expect(gate.isInside(f.rights.fresh.id)).toBe(false);
  });

  it("admits a signed right newer than its bundle with a warning, and answers ERROR without a bundle", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    expect(await gate.decide(scanOf(await f.sign(crypto.randomUUID())))).toMatchObject({ status: "WARNING", denial_reason: null });
    expect(await new OfflineGate(f.points.gate, "X").decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ status: "ERROR", denial_reason: "TECHNICAL_ERROR" });
    expect(await (await f.gateAt(crypto.randomUUID())).decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ status: "ERROR" });
  });

  it("follows deltas: a right revoked later, a holder who left at another gate", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    const delta: GateBundle = {
      ...f.bundle,
      since: f.bundle.version,
      version: new Date().toISOString(),
      revoked: [f.listed({ id: f.rights.fresh.id, qr_code: f.rights.fresh.qr_code, status: "CANCELLED" })],
      inside: [],
      valid: [f.listed(f.rights.inside)],
    };
    await gate.apply(delta);
    expect(await gate.decide(scanOf(f.rights.fresh.qr_code))).toMatchObject({ denial_reason: "CANCELLED" });
    expect(await gate.decide(scanOf(f.rights.inside.qr_code))).toMatchObject({ status: "SUCCESS" });
    // Rights the delta does not mention keep their state.
    expect(await gate.decide(scanOf(f.rights.over.qr_code))).toMatchObject({ denial_reason: "EXPIRED" });
  });

  it("takes the server's word once a scan is uploaded, and an online admission elsewhere in the meantime", async () => {
    const f = await fixture();
    const gate = await f.gateAt(f.points.gate);
    const body = scanOf(f.rights.fresh.qr_code);
    const decision = await gate.decide(body);
    const recorded: ScanResult = {
      type: "scan_result",
      id: body.id,
      status: "SUCCESS",
      denial_reason: null,
      access_right: { id: f.rights.fresh.id, qr_code: f.rights.fresh.qr_code, holder_id: "h", zone_id: f.zones.zone, zone_name: "Tribune Nord", seat_id: null, source_type: "COMP", entry_count: 1 },
      zone_id: f.zones.zone,
      response_time_ms: 0,
    };
    gate.noteSynced(decision, "ENTRY", recorded);
    expect(gate.isInside(f.rights.fresh.id)).toBe(true);
    gate.noteResult({ ...recorded, id: "other" }, "EXIT");
    expect(gate.isInside(f.rights.fresh.id)).toBe(false);
  });
});
