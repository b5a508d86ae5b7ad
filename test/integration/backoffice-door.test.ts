import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, waitForMessage } from "../support/api.ts";
import { backofficeEvent, holderWithRights, type BackofficeFixture } from "../support/backoffice.ts";
import { scanHttp } from "../support/gate.ts";
import { emailsTo } from "../support/notifications.ts";

const admit = (f: BackofficeFixture, rightId: string, options: { token?: string; key?: string; reason?: string; gate?: string; action?: string } = {}) =>
  api("POST", `/v1/events/${f.eventId}/door/admissions`, {
    token: options.token ?? f.supervisor.token,
    headers: options.key ? { "Idempotency-Key": options.key } : undefined,
    body: { access_right_id: rightId, access_point_id: options.gate ?? f.gateA, reason: options.reason ?? "Téléphone déchargé, pièce d'identité vérifiée", ...(options.action ? { action: options.action } : {}) },
  });
const block = (f: BackofficeFixture, rightId: string, action: "block" | "unblock", reason = "Revente frauduleuse signalée", token = f.supervisor.token) =>
  api("POST", `/v1/events/${f.eventId}/access-rights/${rightId}/${action}`, { token, body: { reason } });
const history = async (f: BackofficeFixture, rightId: string) => {
  await f.stub.flushProjection();
  const res = await api("GET", `/v1/events/${f.eventId}/access-rights/${rightId}/history`, { token: f.supervisor.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const doorsOpen = () => backofficeEvent({ startsInMs: 3_600_000 });

describe("at the door: finding a holder", () => {
  it("finds rights by name, phone or code for gate staff, with what the door needs and no more", async () => {
    const f = await doorsOpen();
    const held = await holderWithRights(f, "Mariem", "Ben Romdhane", 2, "+21698765432");
    await holderWithRights(f, "Mehdi", "Sassi");
    const lookup = (q: string, token = f.controller.token) => api("GET", `/v1/events/${f.eventId}/door/holders?q=${encodeURIComponent(q)}`, { token });
    const byName = await lookup("ben rom");
    expect(byName.status).toBe(200);
    expect(byName.body.data.map((r: { id: string }) => r.id).sort()).toEqual(held.rights.map((r) => r.id).sort());
    expect(Object.keys(byName.body.data[0]).sort()).toEqual(
      ["id", "qr_code", "status", "source_type", "holder_name", "holder_phone", "zone_id", "zone_name", "seat", "ticket_type_name", "checked_in", "checked_in_at", "is_inside", "entry_count"].sort(),
    );
    expect(byName.body.data[0]).toMatchObject({ holder_name: "Mariem Ben Romdhane", zone_name: "Tribune Nord", checked_in: false });
    expect((await lookup("98 765 432")).status).toBe(422); // a national number without its country code is not one we can place
    expect((await lookup("+216 98 765 432")).body.data).toHaveLength(2);
    expect((await lookup(held.rights[1]!.qr_code)).body.data.map((r: { id: string }) => r.id)).toEqual([held.rights[1]!.id]);
    expect((await lookup("me", f.supervisor.token)).body.data.map((r: { holder_name: string }) => r.holder_name)).toEqual(["Mehdi Sassi"]);
    expectProblem(await api("GET", `/v1/events/${f.eventId}/door/holders`, { token: f.controller.token }), 422);
  });
});

describe("at the door: letting someone in by hand", () => {
  it("admits through the EventDO with the reason and the supervisor in the gate log, once", async () => {
    const f = await doorsOpen();
    const held = await holderWithRights(f, "Oumar", "Sy", 1);
    const right = held.rights[0]!;
    // A SUPERVISOR of the event's staff works the gates but does not admit by hand: that is the organization's SUPERVISOR's (door.admit).
    expectProblem(await admit(f, right.id, { token: f.staffSupervisor.token }), 403, "forbidden");
    const first = await admit(f, right.id, { key: "door-admission-0001" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "SUCCESS", denial_reason: null, access_right: { id: right.id, entry_count: 1 } });
    // The same request again (a retry) gets the first decision; a new admission is refused like a second QR scan.
    const retried = await admit(f, right.id, { key: "door-admission-0001" });
    expect(retried.body).toEqual({ ...first.body, response_time_ms: retried.body.response_time_ms });
    expect((await admit(f, right.id)).body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });
    expect((await scanHttp(f, right.token)).body).toMatchObject({ status: "DENIED", denial_reason: "ALREADY_USED" });

    const story = await history(f, right.id);
    expect(story.scans).toHaveLength(3);
    expect(story.scans[0]).toMatchObject({ scan_method: "MANUAL_ENTRY", status: "SUCCESS", controller_id: f.supervisor.id, device_id: "BACKOFFICE", reason: "Téléphone déchargé, pièce d'identité vérifiée", access_point_name: "Porte A" });
    expect(story.scans.map((s: { status: string }) => s.status)).toEqual(["SUCCESS", "DENIED", "DENIED"]);
    expect(story.transactions.map((t: { transaction_type: string }) => t.transaction_type)).toEqual(["CREATE"]);
    const row = await env.DB.prepare("SELECT status, entry_count, is_inside FROM access_rights WHERE id = ?").bind(right.id).first();
    expect(row).toEqual({ status: "USED", entry_count: 1, is_inside: 1 });
  });

  it("refuses an Idempotency-Key already used for another right, and lets nobody in with it (docs/api.md, Idempotency keys)", async () => {
    const f = await doorsOpen();
    const [a, b] = [(await holderWithRights(f, "Aïcha", "Diallo", 1)).rights[0]!, (await holderWithRights(f, "Bachir", "Kane", 1)).rights[0]!];
    const key = `door-${crypto.randomUUID()}`;
    expect((await admit(f, a.id, { key })).body).toMatchObject({ status: "SUCCESS", access_right: { id: a.id } });
    expectProblem(await admit(f, b.id, { key }), 422, "idempotency_key_reused");
    // B was not let in: admitted with a key of its own, it is a first entry.
    expect((await admit(f, b.id, { key: `door-${crypto.randomUUID()}` })).body).toMatchObject({ status: "SUCCESS", access_right: { id: b.id, entry_count: 1 } });
  });

  it("never admits a right twice when a QR scan and a manual admission of it arrive at the same moment", async () => {
    const f = await doorsOpen();
    const held = await holderWithRights(f, "Rush", "Hour", 4);
    for (let round = 0; round < 5; round++) {
      const pairs = await Promise.all(
        held.rights.map(async (right) => {
          const [qr, manual] = await Promise.all([scanHttp(f, right.token), admit(f, right.id)]);
          return [qr.body, manual.body] as { status: string; denial_reason: string | null }[];
        }),
      );
      for (const decisions of pairs) {
        const admitted = decisions.filter((d) => d.status === "SUCCESS");
        // Round 0: exactly one of the two lets the holder in; later rounds: they are inside, nobody does.
        expect(admitted).toHaveLength(round === 0 ? 1 : 0);
        expect(decisions.filter((d) => d.denial_reason === "ALREADY_USED")).toHaveLength(round === 0 ? 1 : 2);
      }
    }
    await f.stub.flushProjection();
    const counts = await env.DB.prepare(
      "SELECT sum(status = 'SUCCESS') AS admitted, count(*) AS attempts, (SELECT max(entry_count) FROM access_rights WHERE event_id = ?1) AS most FROM access_control_log WHERE event_id = ?1",
    )
      .bind(f.eventId)
      .first();
    expect(counts).toEqual({ admitted: 4, attempts: 40, most: 1 });
  });

  it("refuses what cannot be admitted with a clear answer", async () => {
    const f = await doorsOpen();
    const held = await holderWithRights(f, "Nadia", "Karoui", 1);
    const other = await backofficeEvent({ startsInMs: 3_600_000 });
    const theirs = await holderWithRights(other, "Someone", "Else");
    expectProblem(await admit(f, theirs.rights[0]!.id), 404, "not_found");
    expectProblem(await admit(f, crypto.randomUUID()), 404, "not_found");
    expectProblem(await admit(f, held.rights[0]!.id, { gate: other.gateA }), 422, "unknown_access_point");
    expectProblem(await admit(f, held.rights[0]!.id, { reason: "" }), 422, "validation_failed");
    expectProblem(await admit(f, held.rights[0]!.id, { reason: "x".repeat(501) }), 422, "validation_failed");
    expectProblem(await admit(f, held.rights[0]!.id, { action: "EXIT" }), 422, "validation_failed");
    expectProblem(await admit(f, held.rights[0]!.id, { key: "short" }), 422, "validation_failed");
    // A blocked right is refused by hand as at the gate.
    expect((await block(f, held.rights[0]!.id, "block")).status).toBe(200);
    expect((await admit(f, held.rights[0]!.id)).body).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
  });
});

describe("at the door: blocking one right", () => {
  it("blocks at every gate and unblocks, each in the journal with who and why", async () => {
    const f = await doorsOpen();
    const held = await holderWithRights(f, "Slim", "Haddad", 2);
    const [right, other] = held.rights;
    const blocked = await block(f, right!.id, "block");
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ changed: true, access_right: { id: right!.id, status: "BLOCKED" } });
    expect((await block(f, right!.id, "block")).body).toMatchObject({ changed: false });
    // Projected at once: the attendee list shows it.
    expect((await api("GET", `/v1/events/${f.eventId}/attendees?status=BLOCKED`, { token: f.supervisor.token })).body.data.map((r: { id: string }) => r.id)).toEqual([right!.id]);
    expect((await scanHttp(f, right!.token)).body).toMatchObject({ status: "DENIED", denial_reason: "BLACKLISTED" });
    expect((await scanHttp(f, other!.token)).body.status).toBe("SUCCESS");

    const unblocked = await block(f, right!.id, "unblock", "Erreur de signalement");
    expect(unblocked.body).toMatchObject({ changed: true, access_right: { status: "ENABLED" } });
    expect((await block(f, right!.id, "unblock", "encore")).body).toMatchObject({ changed: false });
    expect((await scanHttp(f, right!.token)).body.status).toBe("SUCCESS");

    // A right already let in can be blocked (no re-entry) and comes back USED.
    expect((await block(f, other!.id, "block")).body.access_right.status).toBe("BLOCKED");
    expect((await block(f, other!.id, "unblock", "Vérifié")).body.access_right.status).toBe("USED");

    const story = await history(f, right!.id);
    expect(story.transactions.map((t: { transaction_type: string; reason: string; created_by: string }) => [t.transaction_type, t.reason, t.created_by])).toEqual([
      ["CREATE", "TICKET", null],
      ["BLOCK", "Revente frauduleuse signalée", f.supervisor.id],
      ["UNBLOCK", "Erreur de signalement", f.supervisor.id],
    ]);
  });

  it("refuses to block a right that is no longer live, and a bad reason", async () => {
    const f = await backofficeEvent();
    const held = await holderWithRights(f, "Gone", "Away", 1);
    const cancelled = await f.stub.cancelForRefund(held.rights[0]!.order_id!, "refund", null, false);
    expect(cancelled.ok).toBe(true);
    expectProblem(await block(f, held.rights[0]!.id, "block"), 409, "right_not_blockable");
    expectProblem(await block(f, held.rights[0]!.id, "unblock"), 409, "right_not_blockable");
    expectProblem(await block(f, held.rights[0]!.id, "block", "no"), 422, "validation_failed");
    expectProblem(await block(f, crypto.randomUUID(), "block"), 404, "not_found");
  });
});

describe("at the door: sending tickets again", () => {
  it("queues TICKETS_READY to the holder with every code they hold here, at most 5 times an hour per right", async () => {
    const f = await backofficeEvent();
    const held = await holderWithRights(f, "Ines", "Mabrouk", 2);
    const resend = () => api("POST", `/v1/events/${f.eventId}/access-rights/${held.rights[0]!.id}/resend`, { token: f.organizer.token });
    const sent = await resend();
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ access_right_id: held.rights[0]!.id, holder_id: held.buyer, rights: 2, channels: ["IN_APP", "EMAIL", "PUSH"] });
    const message = await waitForMessage(held.buyer, "TICKETS_READY");
    expect(message.data).toMatchObject({ quantity: "2", event_title: "Derby", event_id: f.eventId });
    for (const right of held.rights) expect(String((message.data as { ticket_number: string }).ticket_number)).toContain(right.qr_code);
    // The email reaches the holder with each of their tickets: its printed code and its QR inline.
    await waitForMessage(`${held.buyer}@buyers.test`, "TICKETS_READY");
    const [email] = (await emailsTo(`${held.buyer}@buyers.test`)).filter((e) => e.subject === "Vos billets sont prêts");
    expect(email!.attachments.filter((a) => a.disposition === "inline" && a.type === "image/png")).toHaveLength(2);
    for (const right of held.rights) expect(email!.text).toContain(right.qr_code);
    // Each resend is a new message, not deduplicated with the first.
    await resend();
    await waitForMessage(held.buyer, "TICKETS_READY", message.id);
    for (let i = 0; i < 3; i++) expect((await resend()).status).toBe(202);
    expectProblem(await resend(), 429, "rate_limited");

    await f.stub.cancelForRefund(held.rights[0]!.order_id!, "refund", null, false);
    await f.stub.flushProjection();
    expectProblem(await api("POST", `/v1/events/${f.eventId}/access-rights/${held.rights[1]!.id}/resend`, { token: f.organizer.token }), 409, "access_right_inactive");
  });
});

describe("a right's history", () => {
  it("follows a transferred right back to the one it came from", async () => {
    const f = await backofficeEvent();
    const held = await holderWithRights(f, "Leila", "Chaabane", 1);
    const moved = await f.stub.transferRight({
      transfer_id: crypto.randomUUID(),
      access_right_id: held.rights[0]!.id,
      from_user_id: held.buyer,
      to_user_id: f.controller.id,
      type: "TRANSFER_SALE",
      price: 4000,
      resale_cap_bp: 10_000,
      no_retransfer: true,
      reason: "resale",
      by: held.buyer,
    });
    expect(moved.ok).toBe(true);
    if (!moved.ok) return;
    await f.stub.flushProjection();
    const res = await api("GET", `/v1/events/${f.eventId}/access-rights/${moved.to.id}/history`, { token: f.organizer.token });
    expect(res.body).toMatchObject({ access_right_id: moved.to.id, transferred_from: held.rights[0]!.id, transactions_truncated: false, scans: [] });
    expect(res.body.transactions).toEqual([expect.objectContaining({ transaction_type: "TRANSFER_SALE", from_user_id: held.buyer, to_user_id: f.controller.id, price: 4000, currency: "XOF" })]);
  });
});
