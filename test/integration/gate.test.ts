import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { issueAccessTokens, signAccessToken } from "../../src/access/signing-keys.ts";
import { EVENT_DO_MIGRATIONS } from "../../durable-objects/event/storage.ts";
import { manualCodeDigest } from "../../durable-objects/event/code-digest.ts";
import { MANUAL_CODE_DIGEST } from "../../durable-objects/event/gate-protocol.ts";
import { SCANS_PER_SAVEPOINT } from "../../durable-objects/event/gate.ts";
import type { EventDO } from "../../durable-objects/event/event-do.ts";
import { expireEndedRights } from "../../src/access/rights-expiry.ts";
import { event_ticket_config, ticket_type_zones } from "../../src/catalog/schema.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { getDb } from "../../src/db/client.ts";
import { access_point_zones, access_points, events, venue_zones } from "../../src/events/schema.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, publishEvent, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";
import { gatedEvent, rightsWithTokens, scanHttp } from "../support/gate.ts";

const HOUR = 3600_000;

/** Decides scans straight on the EventDO (offline replays with a chosen time); fails the test on a refused request. */
async function scanDirect(stub: Awaited<ReturnType<typeof gatedEvent>>["stub"], ...args: Parameters<Awaited<ReturnType<typeof gatedEvent>>["stub"]["scan"]>) {
  const decided = await stub.scan(...args);
  if (!decided.ok) throw new Error(decided.problem.code);
  return decided.results;
}

/** The scanning context of the fixture's controller at a gate, under a sign-in session (the Worker names it). */
const who = (fixture: Awaited<ReturnType<typeof gatedEvent>>, gate = fixture.gateA, device = "D1", session = "session-1") => ({ controller_id: fixture.controller.id, session_id: session, device_id: device, access_point_id: gate, ip: null });

describe("gate decisions", () => {
  it("admits a valid right once, then refuses it as ALREADY_USED at every gate", async () => {
    const fixture = await gatedEvent();
    const { rights } = await rightsWithTokens(fixture);
    try {
      // An hour after the doors opened.
      vi.setSystemTime(Date.parse(rights[0]!.valid_from) + HOUR);
      await fixture.stub.rememberPeople([]); // no-op: holders without facts
      await fixture.stub.gateBundle(null, "session-1"); // the device that goes offline took its bundle
      const first = await scanDirect(fixture.stub, [{ id: "a1", qr: rights[0]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString() }], who(fixture));
      expect(first[0]).toMatchObject({ status: "SUCCESS", denial_reason: null, zone_id: fixture.zoneId });
      const second = await scanDirect(fixture.stub, [{ id: "a2", qr: rights[0]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date(Date.now() - 1000).toISOString(), offline_status: "SUCCESS" }], who(fixture, fixture.gateA, "D2"));
      // Replayed offline: the device let them in, the server says already used → recorded as a conflict.
      expect(second[0]).toMatchObject({ status: "WARNING", conflict: true, denial_reason: "ALREADY_USED" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers NOT_YET_VALID before the doors and WRONG_DATE on another day", async () => {
    const fixture = await gatedEvent();
    const { rights } = await rightsWithTokens(fixture);
    // The fixture's event is a week away: scanning now is the wrong day.
    const res = await scanHttp(fixture, rights[0]!.token);
    expect(res.body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_DATE" });
    try {
      vi.setSystemTime(Date.parse(rights[0]!.valid_from) - HOUR);
      const early = await scanDirect(fixture.stub, [{ id: "early", qr: rights[0]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString() }], who(fixture));
      expect(early[0]).toMatchObject({ status: "DENIED", denial_reason: "NOT_YET_VALID" });
    } finally {
      vi.useRealTimers();
    }
  });
});

/** An event whose doors opened an hour ago. */
const live = (options: Parameters<typeof gatedEvent>[0] = {}) => gatedEvent({ startsInMs: HOUR, cancellationAllowed: true, ...options });

describe("offline scans, bounded to when they could have happened", () => {
  const offlineScan = (id: string, qr: string, scannedAt: number, method: "QR_SCANNER" | "MANUAL_ENTRY" = "QR_SCANNER") => ({
    id,
    qr,
    action: "ENTRY" as const,
    scan_method: method,
    scanned_at: new Date(scannedAt).toISOString(),
    offline_status: "SUCCESS" as const,
  });

  it("refuses, as conflicts that change nothing, scans dated after their upload: no ticket burnt days early", async () => {
    const fixture = await gatedEvent(); // a week away
    const { rights } = await rightsWithTokens(fixture, 3);
    await fixture.stub.gateBundle(null, "session-1");
    const start = Date.parse(rights[0]!.valid_from) + HOUR;
    // A stolen device token uploads every code "scanned at the start", days before it: by token and by printed code.
    const forged = await scanDirect(fixture.stub, [offlineScan("f1", rights[0]!.token, start), offlineScan("f2", rights[1]!.qr_code, start, "MANUAL_ENTRY")], who(fixture));
    for (const result of forged) {
      expect(result).toMatchObject({ status: "DENIED", denial_reason: "TECHNICAL_ERROR", conflict: true });
      expect(result.warning).toMatch(/^Offline scan not applied: it is dated after the server received it/);
    }
    expect(forged.map((r) => r.access_right?.id)).toEqual([rights[0]!.id, rights[1]!.id]);
    // Recorded once each (invariant 4), flagged as conflicts, and nothing moved.
    await fixture.stub.flushProjection();
    const log = await env.DB.prepare("SELECT nonce, status, is_conflict, was_offline FROM access_control_log WHERE event_id = ? ORDER BY nonce").bind(fixture.eventId).all();
    expect(log.results).toEqual([
      { nonce: "f1", status: "DENIED", is_conflict: 1, was_offline: 1 },
      { nonce: "f2", status: "DENIED", is_conflict: 1, was_offline: 1 },
    ]);
    const used = await env.DB.prepare("SELECT count(*) AS n FROM access_rights WHERE event_id = ? AND (status = 'USED' OR entry_count > 0)").bind(fixture.eventId).first<{ n: number }>();
    expect(used!.n).toBe(0);
    // On the day, the real holders walk in.
    try {
      vi.setSystemTime(start);
      for (const right of rights.slice(0, 2)) expect((await scanDirect(fixture.stub, [{ ...offlineScan(`live-${right.id}`, right.token, start), offline_status: undefined }], who(fixture)))[0]).toMatchObject({ status: "SUCCESS" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses scans dated before the session first fetched the bundle, or from a session that never did (the object, and HTTP sync)", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 3);
    const now = Date.now();
    // No bundle was ever fetched by this session: it cannot have decided offline.
    const blind = await scanDirect(fixture.stub, [offlineScan("b1", rights[0]!.token, now - 1000)], who(fixture, fixture.gateA, "D1", "never-fetched"));
    expect(blind[0]).toMatchObject({ status: "DENIED", conflict: true, warning: "Offline scan not applied: this session never fetched the offline bundle." });
    // Through the API: the controller's session fetches its bundle now; a scan dated an hour ago is older than it.
    const bundle = await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token });
    expect(bundle.status).toBe(200);
    const sync = (scans: ReturnType<typeof offlineScan>[]) =>
      api("POST", `/v1/events/${fixture.eventId}/scans/sync`, { token: fixture.controller.token, body: { device_id: "D1", access_point_id: fixture.gateA, scans } });
    const backdated = await sync([offlineScan("old-1", rights[0]!.token, now - HOUR)]);
    expect(backdated.body.results[0]).toMatchObject({ status: "DENIED", denial_reason: "TECHNICAL_ERROR", conflict: true });
    expect(backdated.body.results[0].warning).toMatch(/^Offline scan not applied: it is dated before this session first fetched the offline bundle/);
    // Within the window (a device clock a minute behind is within the allowed skew): judged as of its time and applied.
    const fair = await sync([offlineScan("ok-1", rights[1]!.token, Date.now() - 60_000)]);
    expect(fair.body.results[0]).toMatchObject({ status: "SUCCESS", access_right: { id: rights[1]!.id } });
    const future = await sync([offlineScan("late-1", rights[2]!.token, Date.now() + HOUR)]);
    expect(future.body.results[0]).toMatchObject({ status: "DENIED", conflict: true });
    // A later bundle does not move the bound.
    await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token });
    expect((await sync([offlineScan("ok-2", rights[0]!.token, Date.now() - 30_000)])).body.results[0]).toMatchObject({ status: "SUCCESS" });
  });
});

describe("group commit", () => {
  it("decides scans arriving together in one pass; one that throws fails alone and leaves nothing half-written", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 2);
    const at = new Date().toISOString();
    // The Worker always names the controller; without one, the log row's NOT NULL fails after the entry was applied.
    const faulty = { ...who(fixture), controller_id: null as unknown as string };
    const [broken, sound] = await Promise.allSettled([
      fixture.stub.scan([{ id: "broken-1", qr: rights[0]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: at }], faulty),
      fixture.stub.scan([{ id: "sound-1", qr: rights[1]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: at }], who(fixture, fixture.gateA, "D2")),
    ]);
    expect(broken.status).toBe("rejected");
    expect(sound).toMatchObject({ status: "fulfilled", value: { ok: true, results: [{ id: "sound-1", status: "SUCCESS" }] } });
    const state = await runInDurableObject(fixture.stub, (_instance, s) => ({
      nonces: s.storage.sql.exec<{ nonce: string }>("SELECT nonce FROM scans").toArray().map((r) => r.nonce),
      rights: s.storage.sql.exec<{ id: string; status: string; is_inside: number }>("SELECT id, status, is_inside FROM rights ORDER BY id").toArray().map((r) => ({ ...r })),
      occupancy: s.storage.sql.exec<{ n: number }>("SELECT occupancy AS n FROM zones WHERE id = ?", fixture.zoneId).one().n,
    }));
    // The faulty scan's entry was rolled back with it: one log row, one holder inside, the zone counts one.
    expect(state.nonces).toEqual(["sound-1"]);
    expect(state.rights.find((r) => r.id === rights[0]!.id)).toMatchObject({ status: "ENABLED", is_inside: 0 });
    expect(state.rights.find((r) => r.id === rights[1]!.id)).toMatchObject({ status: "USED", is_inside: 1 });
    expect(state.occupancy).toBe(1);
  });
});

describe("group commit in savepoints", () => {
  it(`decides a pass SCANS_PER_SAVEPOINT (${SCANS_PER_SAVEPOINT}) scans per savepoint: a throw in a later group fails that scan alone, the groups before it stand`, async () => {
    const fixture = await live();
    const count = SCANS_PER_SAVEPOINT + 2;
    // Two buyers: an order holds at most 4.
    const rights = [...(await rightsWithTokens(fixture, 3)).rights, ...(await rightsWithTokens(fixture, count - 3)).rights];
    const at = new Date().toISOString();
    // The first scan of the second group has no controller: its log row's NOT NULL fails after its entry was applied.
    const faultyAt = SCANS_PER_SAVEPOINT;
    const outcomes = await Promise.allSettled(
      rights.map((right, i) =>
        fixture.stub.scan(
          [{ id: `scan-${i}`, qr: right.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: at }],
          i === faultyAt ? { ...who(fixture), controller_id: null as unknown as string } : who(fixture, fixture.gateA, `D${i}`),
        ),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(rights.map((_, i) => (i === faultyAt ? "rejected" : "fulfilled")));
    const state = await runInDurableObject(fixture.stub, (_instance, s) => ({
      nonces: s.storage.sql.exec<{ nonce: string }>("SELECT nonce FROM scans ORDER BY seq").toArray().map((r) => r.nonce),
      inside: s.storage.sql.exec<{ id: string }>("SELECT id FROM rights WHERE is_inside = 1").toArray().map((r) => r.id),
      occupancy: s.storage.sql.exec<{ n: number }>("SELECT occupancy AS n FROM zones WHERE id = ?", fixture.zoneId).one().n,
    }));
    const sound = rights.filter((_, i) => i !== faultyAt);
    expect([...state.nonces].sort()).toEqual(rights.flatMap((_, i) => (i === faultyAt ? [] : [`scan-${i}`])).sort());
    expect([...state.inside].sort()).toEqual(sound.map((r) => r.id).sort());
    expect(state.occupancy).toBe(count - 1);
  });
});

describe("zone occupancy within one pass", () => {
  it("counts every scan of a pass: of two entries into the last seat decided together, one is refused, and an exit frees it", async () => {
    const fixture = await live({ zoneCapacity: 2 });
    const { rights } = await rightsWithTokens(fixture, 3);
    const at = new Date().toISOString();
    const enter = (id: string, i: number, gate = fixture.gateA) => fixture.stub.scan([{ id, qr: rights[i]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: at }], who(fixture, gate, id));
    expect((await scanOne(fixture, "seat-1", rights[0]!.token))[0]).toMatchObject({ status: "SUCCESS" });
    // Called together, these join one group commit: the second reads the count the first left, not the table's.
    const together = await Promise.all([enter("seat-2", 1), enter("seat-3", 2)]);
    expect(together.map((d) => d.ok && d.results[0]!.status)).toEqual(["SUCCESS", "DENIED"]);
    expect(together[1]!.ok && together[1]!.results[0]!.denial_reason).toBe("CAPACITY_FULL");
    // An exit and the refused entry in one pass: the seat it frees is taken at once.
    const [exit, retry] = await Promise.all([
      fixture.stub.scan([{ id: "seat-out", qr: rights[0]!.token, action: "EXIT", scan_method: "QR_SCANNER", scanned_at: at }], who(fixture, fixture.exitGate, "OUT")),
      enter("seat-4", 2),
    ]);
    expect([exit.ok && exit.results[0]!.status, retry.ok && retry.results[0]!.status]).toEqual(["SUCCESS", "SUCCESS"]);
    expect((await fixture.stub.occupancy()).zones.find((z) => z.id === fixture.zoneId)).toMatchObject({ capacity: 2, occupancy: 2 });
  });
});

describe("every denial reason, live", () => {
  it("admits, refuses a second entry anywhere, lets the holder out and back in", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    const token = rights[0]!.token;
    expect((await scanHttp(fixture, token)).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId, access_right: { id: rights[0]!.id, entry_count: 1 } });
    expect((await scanHttp(fixture, token, { device: "D9" })).body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
    expect((await scanHttp(fixture, token, { action: "EXIT", gate: fixture.exitGate })).body).toMatchObject({ status: "SUCCESS" });
    expect((await scanHttp(fixture, token, { action: "RE_ENTRY" })).body).toMatchObject({ status: "SUCCESS", access_right: { entry_count: 2 } });
    expect((await scanHttp(fixture, token, { action: "RE_ENTRY" })).body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });

  it("refuses re-entry when the ticket type forbids it", async () => {
    const fixture = await live({ restrictions: { re_entry_allowed: false } });
    const { rights } = await rightsWithTokens(fixture);
    await scanHttp(fixture, rights[0]!.token);
    await scanHttp(fixture, rights[0]!.token, { action: "EXIT", gate: fixture.exitGate });
    expect((await scanHttp(fixture, rights[0]!.token, { action: "RE_ENTRY" })).body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });

  it("answers INVALID_QR for garbage, a tampered token and an unknown printed code", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    const token = rights[0]!.token;
    const tampered = token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21);
    expect((await scanHttp(fixture, "not a ticket")).body.denial_reason).toBe("INVALID_QR");
    expect((await scanHttp(fixture, tampered)).body.denial_reason).toBe("INVALID_QR");
    expect((await scanHttp(fixture, "ABCD-EFGH-JKLM", { method: "MANUAL_ENTRY" })).body.denial_reason).toBe("INVALID_QR");
    expect((await scanHttp(fixture, rights[0]!.qr_code, { method: "MANUAL_ENTRY" })).body).toMatchObject({ status: "SUCCESS" });
  });

  it("names the other event for WRONG_EVENT", async () => {
    const fixture = await live();
    const other = await live();
    const { rights } = await rightsWithTokens(other);
    expect((await scanHttp(fixture, rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_EVENT", other_event_id: other.eventId, access_right: null });
  });

  it("refuses a scan from a gate that is not the venue's, without recording it", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    expectProblem(await scanHttp(fixture, rights[0]!.token, { gate: crypto.randomUUID() }), 422, "unknown_access_point");
    await fixture.stub.flushProjection();
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM access_control_log WHERE event_id = ?").bind(fixture.eventId).first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  it("puts a first RE_ENTRY through the capacity check", async () => {
    const fixture = await live({ zoneCapacity: 1 });
    const a = await rightsWithTokens(fixture);
    const b = await rightsWithTokens(fixture);
    expect((await scanHttp(fixture, a.rights[0]!.token)).body.status).toBe("SUCCESS");
    expect((await scanHttp(fixture, b.rights[0]!.token, { action: "RE_ENTRY" })).body).toMatchObject({ status: "DENIED", denial_reason: "CAPACITY_FULL" });
  });

  it("answers CANCELLED for a cancelled order's rights and INVALID_QR for a transferred one", async () => {
    const fixture = await live();
    const a = await rightsWithTokens(fixture);
    await fixture.stub.cancelOrder(a.rights[0]!.order_id!, "refund", null);
    expect((await scanHttp(fixture, a.rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "CANCELLED" });

    const b = await rightsWithTokens(fixture);
    const [friend] = await (await import("../support/ticketing.ts")).createUsers(1);
    const moved = await fixture.stub.transferRight({ transfer_id: newId(), type: "TRANSFER_DONATION", access_right_id: b.rights[0]!.id, from_user_id: b.buyer, to_user_id: friend!, price: null, resale_cap_bp: 10_000, no_retransfer: false, reason: null, by: b.buyer, now: Date.parse(b.rights[0]!.valid_from) - HOUR });
    if (!moved.ok) throw new Error(moved.problem.code);
    expect((await scanHttp(fixture, b.rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "INVALID_QR" });
    const fresh = await signAccessToken(env, { id: moved.to.id, event_id: fixture.eventId });
    expect((await scanHttp(fixture, fresh.token)).body).toMatchObject({ status: "SUCCESS" });
  });

  it("answers BLACKLISTED for a banned holder or device while the ban runs", async () => {
    const fixture = await live();
    const banned = await rightsWithTokens(fixture);
    const ok = await rightsWithTokens(fixture);
    const past = new Date(Date.now() - 2 * HOUR).toISOString();
    await fixture.stub.setGatePolicy({
      overrides: [],
      blacklist: [
        { id: "b1", type: "USER", identifier: banned.buyer, starts_at: past, ends_at: null },
        { id: "b2", type: "DEVICE", identifier: "STOLEN-01", starts_at: past, ends_at: null },
        { id: "b3", type: "USER", identifier: ok.buyer, starts_at: past, ends_at: new Date(Date.now() - HOUR).toISOString() },
      ],
    });
    expect((await scanHttp(fixture, banned.rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
    expect((await scanHttp(fixture, ok.rights[0]!.token, { device: "STOLEN-01" })).body).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
    expect((await scanHttp(fixture, ok.rights[0]!.token)).body).toMatchObject({ status: "SUCCESS" });
  });

  it("answers WRONG_ZONE at a gate that does not open onto the right's zone, and follows overrides by priority", async () => {
    const fixture = await live();
    const { buyer, rights } = await rightsWithTokens(fixture, 2);
    expect((await scanHttp(fixture, rights[0]!.token, { gate: fixture.gateV })).body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE" });
    await fixture.stub.rememberPeople([{ user_id: buyer, birth_date: null, group_ids: ["away-fans"] }]);
    await fixture.stub.setGatePolicy({
      blacklist: [],
      overrides: [
        // The group goes to the visitors' stand, but this one right is moved back by a right-level override.
        { id: "o1", target_type: "USER_GROUP", target_id: "away-fans", original_zone_id: fixture.zoneId, override_zone_id: fixture.visitorsZoneId, valid_from: null, valid_until: null, capacity_impact: null },
        { id: "o2", target_type: "ACCESS_RIGHT", target_id: rights[1]!.id, original_zone_id: fixture.zoneId, override_zone_id: fixture.zoneId, valid_from: null, valid_until: null, capacity_impact: null },
      ],
    });
    expect((await scanHttp(fixture, rights[0]!.token, { gate: fixture.gateA })).body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE", zone_id: fixture.visitorsZoneId });
    expect((await scanHttp(fixture, rights[0]!.token, { gate: fixture.gateV })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.visitorsZoneId });
    expect((await scanHttp(fixture, rights[1]!.token, { gate: fixture.gateA })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId });
  });

  it("opens every zone of the configuration's mapping but its excluded sections, and the ticket type's other zones as their access type says", async () => {
    const fixture = await live();
    const db = getDb(env.DB);
    const [event] = await db.select({ venue_id: events.venue_id, starts_at: events.starts_at }).from(events).where(eq(events.id, fixture.eventId));
    const venueId = event!.venue_id!;
    // The venue's other zones, each behind a gate of its own.
    const zone = async (code: string, category: "STANDARD" | "VIP" | "PRESS" | "BASIC") => {
      const id = newId();
      await db.insert(venue_zones).values({ id, venue_id: venueId, code, name: code, category, capacity: 100 });
      const gate = newId();
      await db.insert(access_points).values({ id: gate, venue_id: venueId, code: `G_${code}`, name: `Porte ${code}`, direction: "BOTH" });
      await db.insert(access_point_zones).values({ access_point_id: gate, zone_id: id });
      return { id, gate };
    };
    const sud = await zone("tribune_sud", "STANDARD");
    const awayPen = await zone("tribune_nord_visiteurs", "STANDARD");
    const lounge = await zone("vip_lounge", "VIP");
    const press = await zone("tribune_presse", "PRESS");
    const basic = await zone("pelouse", "BASIC");
    // Tribune Sud first: the rights are issued there, and Tribune Nord is still theirs.
    await db.update(event_ticket_config).set({ zone_mapping: { STANDARD: ["tribune_sud", "tribune_nord", "tribune_nord_visiteurs"], excluded_sections: ["tribune_nord_visiteurs"] } }).where(eq(event_ticket_config.id, fixture.configId));
    await db.insert(ticket_type_zones).values([
      { ticket_type_id: fixture.ticketTypeId, zone_category: "VIP", is_primary: false, access_type: "LIMITED", conditions: { reason: "VIP overflow seating", requires_vip_band: true } },
      { ticket_type_id: fixture.ticketTypeId, zone_category: "PRESS", is_primary: false, access_type: "CONDITIONAL", conditions: { time_limit: new Date(Date.now() - 60_000).toISOString() } },
      { ticket_type_id: fixture.ticketTypeId, zone_category: "BASIC", is_primary: false, access_type: "FULL" },
    ]);
    await syncEventInventory(env, fixture.eventId);
    const rights = [...(await rightsWithTokens(fixture, 3)).rights, ...(await rightsWithTokens(fixture, 3)).rights];
    expect(rights.every((r) => r.zone_id === sud.id)).toBe(true);
    const [atNord, atSud, atPen, atLounge, atPress, atBasic] = rights;

    expect((await scanHttp(fixture, atNord!.token, { gate: fixture.gateA })).body).toMatchObject({ status: "SUCCESS", zone_id: fixture.zoneId });
    expect((await scanHttp(fixture, atSud!.token, { gate: sud.gate })).body).toMatchObject({ status: "SUCCESS", zone_id: sud.id });
    expect((await scanHttp(fixture, atPen!.token, { gate: awayPen.gate })).body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE" });
    const limited = await scanHttp(fixture, atLounge!.token, { gate: lounge.gate });
    expect(limited.body).toMatchObject({ status: "WARNING", denial_reason: null, zone_id: lounge.id });
    expect(limited.body.warning).toBe("Limited access to this zone: VIP overflow seating; VIP band required.");
    const ended = await scanHttp(fixture, atPress!.token, { gate: press.gate });
    expect(ended.body).toMatchObject({ status: "DENIED", denial_reason: "WRONG_ZONE" });
    expect(ended.body.warning).toMatch(/^Access to this zone ended at /);
    expect((await scanHttp(fixture, atBasic!.token, { gate: basic.gate })).body).toMatchObject({ status: "SUCCESS", zone_id: basic.id });
    // Counted where they went in, and counted out of it wherever they leave.
    const occupancy = async (...ids: string[]) => {
      const counts = new Map(((await fixture.stub.occupancy()).zones as { id: string; occupancy: number }[]).map((z) => [z.id, z.occupancy]));
      return ids.map((id) => counts.get(id));
    };
    expect(await occupancy(fixture.zoneId, sud.id, lounge.id, basic.id, press.id, awayPen.id)).toEqual([1, 1, 1, 1, 0, 0]);
    expect((await scanHttp(fixture, atLounge!.token, { action: "EXIT", gate: lounge.gate })).body.status).toBe("SUCCESS");
    expect((await scanHttp(fixture, atNord!.token, { action: "EXIT", gate: fixture.exitGate })).body.status).toBe("SUCCESS");
    expect(await occupancy(fixture.zoneId, lounge.id)).toEqual([0, 0]);
    // A CONDITIONAL zone until half-time admits before it.
    await db.update(ticket_type_zones).set({ conditions: { time_limit: "halftime" } }).where(and(eq(ticket_type_zones.ticket_type_id, fixture.ticketTypeId), eq(ticket_type_zones.zone_category, "PRESS")));
    await syncEventInventory(env, fixture.eventId);
    expect((await scanHttp(fixture, atPress!.token, { gate: press.gate })).body).toMatchObject({ status: "WARNING", zone_id: press.id, warning: "Conditional access to this zone: until halftime." });
  });

  it("refuses every right of a cancelled event as CANCELLED", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 2);
    expect((await scanHttp(fixture, rights[0]!.token)).body.status).toBe("SUCCESS");
    await env.DB.prepare("UPDATE events SET status = 'CANCELLED' WHERE id = ?").bind(fixture.eventId).run();
    await syncEventInventory(env, fixture.eventId);
    expect((await scanHttp(fixture, rights[1]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "CANCELLED", warning: "This event was cancelled." });
    expect((await scanHttp(fixture, rights[0]!.token, { action: "RE_ENTRY" })).body).toMatchObject({ status: "DENIED", denial_reason: "CANCELLED" });
  });

  it("answers CAPACITY_FULL when the zone is full, until someone leaves", async () => {
    const fixture = await live({ zoneCapacity: 1 });
    const a = await rightsWithTokens(fixture);
    const b = await rightsWithTokens(fixture);
    expect((await scanHttp(fixture, a.rights[0]!.token)).body.status).toBe("SUCCESS");
    expect((await scanHttp(fixture, b.rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "CAPACITY_FULL" });
    await scanHttp(fixture, a.rights[0]!.token, { action: "EXIT", gate: fixture.exitGate });
    expect((await scanHttp(fixture, b.rights[0]!.token)).body.status).toBe("SUCCESS");
    const occupancy = await api("GET", `/v1/events/${fixture.eventId}/occupancy`, { token: fixture.controller.token });
    expect(occupancy.body.zones.find((z: { id: string }) => z.id === fixture.zoneId)).toMatchObject({ capacity: 1, occupancy: 1 });
  });

  it("answers AGE_RESTRICTION for a minor, and warns when the age is unknown and an ID is required", async () => {
    const fixture = await live({ restrictions: { min_age: 18, requires_id: true } });
    const minor = await rightsWithTokens(fixture);
    const unknown = await rightsWithTokens(fixture);
    await fixture.stub.rememberPeople([{ user_id: minor.buyer, birth_date: "2012-05-01", group_ids: [] }]);
    expect((await scanHttp(fixture, minor.rights[0]!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "AGE_RESTRICTION" });
    expect((await scanHttp(fixture, unknown.rights[0]!.token)).body).toMatchObject({ status: "WARNING", denial_reason: null });
  });

  it("answers EXPIRED after the event and changes nothing on CHECK", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    try {
      vi.setSystemTime(Date.parse(rights[0]!.valid_until) + HOUR);
      const late = await scanDirect(fixture.stub, [{ id: "late", qr: rights[0]!.token, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString() }], who(fixture));
      expect(late[0]).toMatchObject({ status: "DENIED", denial_reason: "EXPIRED" });
    } finally {
      vi.useRealTimers();
    }
    expect((await scanHttp(fixture, rights[0]!.token, { action: "CHECK" })).body).toMatchObject({ status: "SUCCESS", access_right: { entry_count: 0 } });
    expect((await scanHttp(fixture, rights[0]!.token)).body.status).toBe("SUCCESS");
  });
});

const scanOne = (fixture: Awaited<ReturnType<typeof gatedEvent>>, id: string, qr: string) =>
  scanDirect(fixture.stub, [{ id, qr, action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString() }], who(fixture));

describe("tokens handed to holders", () => {
  it("are recognised without verifying a signature; any other token is verified", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 3);
    // As the QR and token routes hand them out: signed, then registered with the event's object.
    const [issued] = await issueAccessTokens(env, fixture.eventId, [rights[0]!.id]);
    expect(issued!.token).toBe(rights[0]!.token); // Ed25519 is deterministic: the same token the holder has
    const verify = vi.spyOn(crypto.subtle, "verify");
    try {
      expect((await scanOne(fixture, "issued-1", rights[0]!.token))[0]).toMatchObject({ status: "SUCCESS" });
      expect(verify).not.toHaveBeenCalled();
      expect((await scanOne(fixture, "plain-1", rights[1]!.token))[0]).toMatchObject({ status: "SUCCESS" });
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it("a lone scan of a token not issued is decided once its signature verifies, replayed as first answered; a batch mixing both is decided whole, in order", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 3);
    await issueAccessTokens(env, fixture.eventId, [rights[0]!.id]);
    const scan = (id: string, qr: string) => ({ id, qr, action: "ENTRY" as const, scan_method: "QR_SCANNER" as const, scanned_at: new Date().toISOString() });
    const verify = vi.spyOn(crypto.subtle, "verify");
    try {
      const batch = await scanDirect(fixture.stub, [scan("mix-1", rights[0]!.token), scan("mix-2", rights[1]!.token), scan("mix-3", rights[0]!.token)], who(fixture));
      expect(batch.map((r) => [r.id, r.status, r.denial_reason, r.access_right?.id])).toEqual([
        ["mix-1", "SUCCESS", null, rights[0]!.id],
        ["mix-2", "SUCCESS", null, rights[1]!.id],
        ["mix-3", "DENIED", "ALREADY_USED", rights[0]!.id],
      ]);
      expect(verify).toHaveBeenCalledTimes(1); // the token not issued
      const lone = await scanOne(fixture, "lone-1", rights[2]!.token);
      expect(lone[0]).toMatchObject({ status: "SUCCESS", access_right: { id: rights[2]!.id, entry_count: 1 } });
      expect(verify).toHaveBeenCalledTimes(2);
      expect(await scanOne(fixture, "lone-1", rights[2]!.token)).toEqual(lone);
      expect((await scanOne(fixture, "lone-2", rights[2]!.token))[0]).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
      expect(verify).toHaveBeenCalledTimes(2); // its check is kept
    } finally {
      verify.mockRestore();
    }
    const logged = await runInDurableObject(fixture.stub, (_, state) => state.storage.sql.exec("SELECT nonce, status FROM scans ORDER BY seq").toArray());
    expect(logged).toEqual([
      { nonce: "mix-1", status: "SUCCESS" },
      { nonce: "mix-2", status: "SUCCESS" },
      { nonce: "mix-3", status: "DENIED" },
      { nonce: "lone-1", status: "SUCCESS" },
      { nonce: "lone-2", status: "DENIED" },
    ]);
  });

  it("compare whole: an issued token changed in one character is refused", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    await issueAccessTokens(env, fixture.eventId, [rights[0]!.id]);
    const token = rights[0]!.token;
    // Same right and key, another signature (the last character keeps the base64url canonical).
    const at = token.length - 2;
    const altered = token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
    expect((await scanOne(fixture, "altered-1", altered))[0]).toMatchObject({ status: "DENIED", denial_reason: "INVALID_QR" });
    expect((await scanOne(fixture, "genuine-1", token))[0]).toMatchObject({ status: "SUCCESS" });
  });

  it("are kept only when genuine and of one of the object's rights", async () => {
    const fixture = await live();
    const other = await live();
    const { rights } = await rightsWithTokens(fixture, 2);
    const theirs = (await rightsWithTokens(other)).rights[0]!;
    const [a, b] = [rights[0]!.token, rights[1]!.token];
    // a's right and key with b's signature: well-formed, not genuine.
    const spliced = a.slice(0, a.lastIndexOf(".")) + b.slice(b.lastIndexOf("."));
    const unknownRight = (await signAccessToken(env, { id: newId(), event_id: fixture.eventId })).token;
    expect(await fixture.stub.registerTokens([spliced, theirs.token, unknownRight, "E1.garbage"])).toBe(0);
    expect(await fixture.stub.registerTokens([a, a])).toBe(2); // the second is already held
    const held = await runInDurableObject(fixture.stub, (_, state) => state.storage.sql.exec("SELECT access_right_id, token FROM issued_tokens").toArray());
    expect(held).toEqual([{ access_right_id: rights[0]!.id, token: a }]);
    expect((await scanOne(fixture, "spliced-1", spliced))[0]).toMatchObject({ status: "DENIED", denial_reason: "INVALID_QR" });
  });
});

describe("the scan log's projection", () => {
  it("follows the log by its seq: each attempt reaches D1 once, with the right it moved", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 2);
    await scanOne(fixture, "p-1", rights[0]!.token);
    await fixture.stub.flushProjection();
    await scanOne(fixture, "p-2", rights[0]!.token);
    await scanOne(fixture, "p-3", rights[1]!.token);
    await fixture.stub.flushProjection();
    await fixture.stub.flushProjection();
    const log = await env.DB.prepare("SELECT nonce, status FROM access_control_log WHERE event_id = ? ORDER BY nonce").bind(fixture.eventId).all();
    expect(log.results).toEqual([
      { nonce: "p-1", status: "SUCCESS" },
      { nonce: "p-2", status: "DENIED" },
      { nonce: "p-3", status: "SUCCESS" },
    ]);
    const projected = await env.DB.prepare("SELECT id, status, is_inside, entry_count FROM access_rights WHERE event_id = ? ORDER BY id").bind(fixture.eventId).all();
    expect(projected.results).toEqual(
      rights.map((r) => ({ id: r.id, status: "USED", is_inside: 1, entry_count: 1 })).sort((x, y) => x.id.localeCompare(y.id)),
    );
    const cursor = await runInDurableObject(fixture.stub, (_, state) => ({
      upto: state.storage.sql.exec("SELECT upto FROM projection_cursors WHERE name = 'scans'").one().upto,
      last: state.storage.sql.exec("SELECT max(seq) AS s FROM scans").one().s,
      outbox: state.storage.sql.exec("SELECT count(*) AS n FROM outbox").one().n,
    }));
    expect(cursor).toEqual({ upto: cursor.last, last: 3, outbox: 0 });
  });

  it("records the holders let in as having attended, and no one else", async () => {
    const fixture = await live();
    const going = await rightsWithTokens(fixture, 1);
    const newcomer = await rightsWithTokens(fixture, 1);
    const checkedOnly = await rightsWithTokens(fixture, 1);
    const at = new Date().toISOString();
    await env.DB.prepare("INSERT INTO event_participations (id, user_id, event_id, status, created_at, updated_at) VALUES (?, ?, ?, 'GOING', ?, ?)")
      .bind(newId(), going.buyer, fixture.eventId, at, at)
      .run();
    await scanOne(fixture, "att-1", going.rights[0]!.token);
    await scanOne(fixture, "att-2", newcomer.rights[0]!.token);
    // A CHECK changes nothing, and a refused entry lets no one in.
    await scanDirect(fixture.stub, [{ id: "att-3", qr: checkedOnly.rights[0]!.token, action: "CHECK", scan_method: "QR_SCANNER", scanned_at: at }], who(fixture));
    await scanOne(fixture, "att-4", `${newcomer.rights[0]!.token.slice(0, -2)}AA`);
    await fixture.stub.flushProjection();
    const rows = await env.DB.prepare("SELECT user_id, status FROM event_participations WHERE event_id = ? ORDER BY user_id").bind(fixture.eventId).all();
    expect(rows.results).toEqual(
      [going.buyer, newcomer.buyer].sort().map((user_id) => ({ user_id, status: "ATTENDED" })),
    );
    const made = await env.DB.prepare("SELECT id FROM event_participations WHERE event_id = ? AND user_id = ?").bind(fixture.eventId, newcomer.buyer).first<{ id: string }>();
    expect(made!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A second entry (after an exit) keeps the one row.
    await scanDirect(fixture.stub, [{ id: "att-5", qr: going.rights[0]!.token, action: "EXIT", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString() }], who(fixture));
    await scanOne(fixture, "att-6", going.rights[0]!.token);
    await fixture.stub.flushProjection();
    const again = await env.DB.prepare("SELECT count(*) AS n FROM event_participations WHERE event_id = ? AND status = 'ATTENDED'").bind(fixture.eventId).first<{ n: number }>();
    expect(again!.n).toBe(2);
  });

  it("writes a right missing from D1 whole when its scans are drained, before their log rows", async () => {
    const fixture = await live();
    // A right D1 refused at first (its holder was not in D1 yet), then would accept.
    const holder = newId();
    const issued = await fixture.stub.issueRights({ source_type: "COMP", source_id: newId(), holders: [{ user_id: holder, zone_id: fixture.zoneId, seat_id: null }], config_id: null, created_by: null });
    if (!issued.ok) throw new Error(issued.problem.code);
    const right = issued.rights[0]!;
    await fixture.stub.flushProjection();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM access_rights WHERE id = ?").bind(right.id).first()).toEqual({ n: 0 });
    await env.DB.prepare("INSERT INTO users (id, email, first_name) VALUES (?, ?, 'Late')").bind(holder, `${holder}@test.local`).run();
    const { token } = await signAccessToken(env, { id: right.id, event_id: fixture.eventId });
    expect((await scanOne(fixture, "late-1", token))[0]).toMatchObject({ status: "SUCCESS" });
    await fixture.stub.flushProjection();
    expect(await env.DB.prepare("SELECT status, is_inside, entry_count, user_id FROM access_rights WHERE id = ?").bind(right.id).first()).toEqual({ status: "USED", is_inside: 1, entry_count: 1, user_id: holder });
    expect(await env.DB.prepare("SELECT nonce, access_right_id FROM access_control_log WHERE event_id = ?").bind(fixture.eventId).all().then((r) => r.results)).toEqual([{ nonce: "late-1", access_right_id: right.id }]);
  });

  it("picks up, after the upgrade, the scans an older object's outbox still named", async () => {
    const fixture = await live();
    // The migration that replaced the outbox rows of scans, found by what it creates (not by its place in the list).
    const cursorMigration = EVENT_DO_MIGRATIONS.find((m) => m.includes("CREATE TABLE projection_cursors"))!;
    const upgraded = await runInDurableObject(fixture.stub, (_, state) => {
      const sql = state.storage.sql;
      // The log as the previous version kept it: three scans, the last two not yet projected.
      sql.exec("DROP TABLE scans; DROP TABLE projection_cursors");
      sql.exec(`CREATE TABLE scans (nonce TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, access_right_id TEXT, user_id TEXT, access_point_id TEXT NOT NULL, zone_id TEXT,
        controller_id TEXT NOT NULL, device_id TEXT NOT NULL, scan_method TEXT NOT NULL, qr_code_scanned TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL,
        denial_reason TEXT, response_time_ms INTEGER, queue_size INTEGER, was_offline INTEGER NOT NULL DEFAULT 0, is_conflict INTEGER NOT NULL DEFAULT 0,
        scanned_at TEXT NOT NULL, received_at TEXT NOT NULL, result TEXT NOT NULL)`);
      for (const nonce of ["old-1", "old-2", "old-3"]) {
        sql.exec(
          "INSERT INTO scans (nonce, id, access_point_id, controller_id, device_id, scan_method, qr_code_scanned, action, status, denial_reason, scanned_at, received_at, result) VALUES (?, ?, ?, ?, 'D1', 'QR_SCANNER', 'x', 'ENTRY', 'DENIED', 'INVALID_QR', ?, ?, '{}')",
          nonce, newId(), fixture.gateA, fixture.controller.id, new Date().toISOString(), new Date().toISOString(),
        );
      }
      sql.exec("INSERT INTO outbox (kind, entity_id, created_at) VALUES ('scan', 'old-2', ?), ('scan', 'old-3', ?)", new Date().toISOString(), new Date().toISOString());
      sql.exec(cursorMigration);
      // And the later ones that change the log (an upgrading object runs every migration after it).
      for (const later of EVENT_DO_MIGRATIONS.slice(EVENT_DO_MIGRATIONS.indexOf(cursorMigration) + 1)) if (later.includes("ALTER TABLE scans")) sql.exec(later);
      return {
        upto: sql.exec("SELECT upto FROM projection_cursors WHERE name = 'scans'").one().upto,
        seqs: sql.exec("SELECT seq, nonce FROM scans ORDER BY seq").toArray(),
        outbox: sql.exec("SELECT count(*) AS n FROM outbox WHERE kind = 'scan'").one().n,
      };
    });
    expect(upgraded).toEqual({ upto: 1, seqs: [{ seq: 1, nonce: "old-1" }, { seq: 2, nonce: "old-2" }, { seq: 3, nonce: "old-3" }], outbox: 0 });
    await fixture.stub.flushProjection();
    const log = await env.DB.prepare("SELECT nonce FROM access_control_log WHERE event_id = ? ORDER BY nonce").bind(fixture.eventId).all();
    expect(log.results).toEqual([{ nonce: "old-2" }, { nonce: "old-3" }]);
  });
});

describe("gate sessions and logs", () => {
  it("decides a nonce once and logs every attempt once", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    const first = await scanHttp(fixture, rights[0]!.token, { id: "same-nonce" });
    const replay = await scanHttp(fixture, rights[0]!.token, { id: "same-nonce" });
    expect(replay.body).toEqual(first.body);
    await scanHttp(fixture, rights[0]!.token);
    await fixture.stub.flushProjection();
    const rows = await env.DB.prepare("SELECT status, denial_reason, controller_id, device_id FROM access_control_log WHERE event_id = ? ORDER BY timestamp").bind(fixture.eventId).all();
    expect(rows.results).toHaveLength(2);
    expect(rows.results[0]).toMatchObject({ status: "SUCCESS", controller_id: fixture.controller.id, device_id: "SCANNER-A01" });
    expect(rows.results[1]).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
  });

  it("admits one right exactly once when 16 gates scan it at the same moment", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => scanHttp(fixture, rights[0]!.token, { device: `LANE-${i}` })));
    expect(results.filter((r) => r.body.status === "SUCCESS")).toHaveLength(1);
    expect(results.filter((r) => r.body.denial_reason === "ALREADY_USED")).toHaveLength(15);
  });

  it("lets only the event's staff scan", async () => {
    const fixture = await live();
    const other = await live();
    const { rights } = await rightsWithTokens(fixture);
    const fan = await registerUser();
    expectProblem(await scanHttp(fixture, rights[0]!.token, { token: fan.token }), 404, "not_found");
    expectProblem(await scanHttp(fixture, rights[0]!.token, { token: other.controller.token }), 404, "not_found");
    const anonymous = await api("POST", `/v1/events/${fixture.eventId}/scans`, { body: { id: "x", qr: "x", action: "ENTRY", scan_method: "QR_SCANNER", scanned_at: new Date().toISOString(), device_id: "D", access_point_id: fixture.gateA } });
    expectProblem(anonymous, 401);
  });

  it("rejects malformed scan bodies with field paths", async () => {
    const fixture = await live();
    const res = await api("POST", `/v1/events/${fixture.eventId}/scans`, { token: fixture.controller.token, body: { id: "x", qr: "x", action: "DANCE", scan_method: "QR_SCANNER", scanned_at: "yesterday", device_id: "D", access_point_id: fixture.gateA } });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["action", "scanned_at"]));
  });
});


describe("after the event", () => {
  it("expires the rights that can no longer admit anyone, through the EventDO, and D1 follows", async () => {
    const fixture = await live();
    const { rights } = await rightsWithTokens(fixture, 3);
    const [used, unused, alsoUnused] = rights;
    expect((await scanHttp(fixture, used!.token)).body.status).toBe("SUCCESS");
    const grant = await fixture.stub.issueRights({ source_type: "COMP", source_id: newId(), holders: [{ user_id: used!.user_id, zone_id: fixture.zoneId, seat_id: null }], config_id: null, created_by: null });
    if (!grant.ok) throw new Error(grant.problem.code);
    await fixture.stub.setRightsStatus("COMP", grant.rights[0]!.source_id, "CANCELLED", null, "taken back");
    await fixture.stub.flushProjection();
    const statusIn = async (id: string) => (await env.DB.prepare("SELECT status FROM access_rights WHERE id = ?").bind(id).first<{ status: string }>())!.status;
    // While the event runs, nothing of it expires.
    await expireEndedRights(env);
    await fixture.stub.flushProjection();
    expect(await statusIn(unused!.id)).toBe("ENABLED");
    try {
      vi.setSystemTime(Date.parse(used!.valid_until) + HOUR);
      expect(await expireEndedRights(env)).toBeGreaterThanOrEqual(2);
      await fixture.stub.flushProjection();
      expect(await statusIn(unused!.id)).toBe("EXPIRED");
      expect(await statusIn(alsoUnused!.id)).toBe("EXPIRED");
      expect(await statusIn(used!.id)).toBe("USED");
      expect(await statusIn(grant.rights[0]!.id)).toBe("CANCELLED");
      // The documented filter finds them; a second run changes nothing.
      const expired = await env.DB.prepare("SELECT id FROM access_rights WHERE event_id = ? AND status = 'EXPIRED' ORDER BY id").bind(fixture.eventId).all<{ id: string }>();
      expect(expired.results.map((r) => r.id)).toEqual([unused!.id, alsoUnused!.id].sort());
      expect(await fixture.stub.expireRights()).toEqual({ expired: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("offline bundle", () => {
  it("gives a gate the keys, zones, gates and the rights to refuse, and deltas since a version", async () => {
    const fixture = await live();
    const rights = [...(await rightsWithTokens(fixture)).rights, ...(await rightsWithTokens(fixture)).rights];
    const full = await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token });
    expect(full.status).toBe(200);
    expect(full.body.keys.length).toBeGreaterThan(0);
    expect(full.body.access_points.map((p: { id: string }) => p.id)).toContain(fixture.gateA);
    expect(full.body.valid.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(rights.map((r) => r.id)));
    await scanHttp(fixture, rights[0]!.token);
    await fixture.stub.cancelOrder(rights[1]!.order_id!, "refund", null);
    const delta = await api("GET", `/v1/events/${fixture.eventId}/gate/bundle?since=${full.body.version}`, { token: fixture.controller.token });
    expect(delta.body.inside).toEqual([rights[0]!.id]);
    expect(delta.body.revoked.map((r: { id: string }) => r.id)).toContain(rights[1]!.id);
    const fan = await registerUser();
    expectProblem(await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fan.token }), 404);
  });

  it("lists printed codes as keyed digests, never the codes, and a ban of a printed code by the right it names", async () => {
    const fixture = await live();
    const rights = [...(await rightsWithTokens(fixture, 2)).rights, ...(await rightsWithTokens(fixture)).rights];
    // A right issued before digests existed has none yet: the bundle gives it one.
    await runInDurableObject(fixture.stub, (_: EventDO, state) => {
      state.storage.sql.exec("UPDATE rights SET code_digest = NULL WHERE id = ?", rights[2]!.id);
    });
    await fixture.stub.setGatePolicy({
      overrides: [],
      blacklist: [
        { id: "by-code", type: "QR_CODE", identifier: rights[1]!.qr_code, starts_at: new Date(Date.now() - HOUR).toISOString(), ends_at: null },
        { id: "stranger", type: "QR_CODE", identifier: "ZZZZ-ZZZZ-ZZZZ", starts_at: new Date(Date.now() - HOUR).toISOString(), ends_at: null },
      ],
    });
    await fixture.stub.cancelOrder(rights[2]!.order_id!, "refund", null);
    const { status, body } = await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token });
    expect(status).toBe(200);
    const sent = JSON.stringify(body);
    for (const r of rights) expect(sent).not.toContain(r.qr_code);
    expect(sent).not.toContain("ZZZZ-ZZZZ-ZZZZ");
    expect(body.manual_codes).toMatchObject({ ...MANUAL_CODE_DIGEST, key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const listed = new Map([...body.valid, ...body.revoked].map((r: { id: string; code_digest: string }) => [r.id, r.code_digest]));
    for (const r of rights) expect(listed.get(r.id)).toBe(manualCodeDigest(body.manual_codes.key, r.qr_code));
    expect(body.revoked.map((r: { id: string }) => r.id)).toEqual([rights[2]!.id]);
    expect(body.blacklist.map((b: { id: string; identifier: string }) => [b.id, b.identifier])).toEqual([["by-code", rights[1]!.id]]);
    // The key is the event's: the next bundle has the same.
    expect((await api("GET", `/v1/events/${fixture.eventId}/gate/bundle`, { token: fixture.controller.token })).body.manual_codes.key).toBe(body.manual_codes.key);
  });

  it("answers 404 not_configured, not a 500, for an event whose access control was never set up", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    // Approved and the organizer's own (gate.scan), but not ticketed: its EventDO holds no event.
    const event = await publishEvent(organizer, admin);
    expectProblem(await api("GET", `/v1/events/${event.id}/gate/bundle`, { token: organizer.token }), 404, "not_configured");
  });
});
