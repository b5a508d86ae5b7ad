import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, expectProblem, registerUser } from "../support/api.ts";
import { gatedEvent, rightsWithTokens, scanHttp } from "../support/gate.ts";
import { createUsers, orderRequest, ticketedEvent, type TicketingFixture } from "../support/ticketing.ts";

const QUESTIONS = [
  { id: "shirt", label: "Shirt size", type: "CHOICE", required: true, choices: ["S", "M", "L"] },
  { id: "age", label: "Age", type: "NUMBER", required: false },
  { id: "wheelchair", label: "Wheelchair access", type: "BOOLEAN", required: false },
];

async function withQuestions(fixture: TicketingFixture, editUntil: string | null = null) {
  await env.DB.prepare("UPDATE event_ticket_config SET attendee_questions = ?, attendee_edit_until = ? WHERE id = ?").bind(JSON.stringify(QUESTIONS), editUntil, fixture.configId).run();
  await syncEventInventory(env, fixture.eventId);
}

/** A confirmed right of a registered fan. */
async function rightOf(fixture: TicketingFixture, fan: { id: string }) {
  const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, 1));
  if (!hold.ok) throw new Error(hold.problem.code);
  const confirmed = await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
  if (!confirmed.ok) throw new Error(confirmed.problem.code);
  return confirmed.rights[0]!.id;
}

const path = (fixture: TicketingFixture, rightId: string) => `/v1/events/${fixture.eventId}/access-rights/${rightId}/attendee`;

describe("named attendees", () => {
  it("lets the holder name, rename and clear the attendee, answers checked against the configuration's questions", async () => {
    const fixture = await ticketedEvent();
    await withQuestions(fixture);
    const fan = await registerUser();
    const rightId = await rightOf(fixture, fan);
    expect((await api("GET", path(fixture, rightId), { token: fan.token })).body).toMatchObject({ attendee: null, edit_until: expect.any(String) });
    const named = await api("PUT", path(fixture, rightId), { token: fan.token, body: { name: "Koffi Mensah", email: "koffi@example.com", answers: { shirt: "M", age: 31 } } });
    expect(named.status).toBe(200);
    expect(named.body.attendee).toEqual({ name: "Koffi Mensah", email: "koffi@example.com", phone: null, answers: { shirt: "M", age: 31 } });
    const renamed = await api("PUT", path(fixture, rightId), { token: fan.token, body: { name: "Awa Dossou", answers: { shirt: "S", wheelchair: true } } });
    expect(renamed.body.attendee).toMatchObject({ name: "Awa Dossou", answers: { shirt: "S", wheelchair: true } });
    expect((await api("GET", path(fixture, rightId), { token: fan.token })).body.attendee).toMatchObject({ name: "Awa Dossou" });
    expect((await api("DELETE", path(fixture, rightId), { token: fan.token })).body).toMatchObject({ attendee: null });
  });

  it("names every wrong answer by its path and keeps the attendee as it was", async () => {
    const fixture = await ticketedEvent();
    await withQuestions(fixture);
    const fan = await registerUser();
    const rightId = await rightOf(fixture, fan);
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ["answers.shirt"]],
      [{ shirt: "XL" }, ["answers.shirt"]],
      [{ shirt: "M", age: "31" }, ["answers.age"]],
      [{ shirt: "M", wheelchair: "yes" }, ["answers.wheelchair"]],
      [{ shirt: "M", favourite: "x", other: 1 }, ["answers.favourite", "answers.other"]],
    ];
    for (const [answers, paths] of cases) {
      const problem = expectProblem(await api("PUT", path(fixture, rightId), { token: fan.token, body: { name: "Koffi", answers } }), 422, "validation_failed");
      expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(paths);
    }
    for (const body of [{ name: "" }, { name: "x".repeat(121) }, { name: "Koffi", email: "not-an-email" }, { name: "Koffi", extra: 1 }, { name: "Koffi", answers: { shirt: { nested: 1 } } }]) {
      expectProblem(await api("PUT", path(fixture, rightId), { token: fan.token, body }), 422, "validation_failed");
    }
    expect((await api("GET", path(fixture, rightId), { token: fan.token })).body.attendee).toBeNull();
  });

  it("is the holder's alone, until the deadline, and a transfer gives the new holder a right with no attendee", async () => {
    const fixture = await ticketedEvent();
    await withQuestions(fixture);
    const [fan, other] = await Promise.all([registerUser(), registerUser()]);
    const rightId = await rightOf(fixture, fan);
    const body = { name: "Koffi", answers: { shirt: "L" } };
    expectProblem(await api("PUT", path(fixture, rightId), { token: other.token, body }), 404, "right_not_found");
    expectProblem(await api("GET", path(fixture, newId()), { token: fan.token }), 404, "right_not_found");
    expectProblem(await api("PUT", path(fixture, rightId), { body }), 401);
    // Another event's object does not know the right.
    const elsewhere = await ticketedEvent();
    expectProblem(await api("PUT", path(elsewhere, rightId), { token: fan.token, body }), 404, "right_not_found");

    expect((await api("PUT", path(fixture, rightId), { token: fan.token, body })).status).toBe(200);
    const moved = await fixture.stub.transferRight({
      transfer_id: newId(),
      type: "TRANSFER_DONATION",
      access_right_id: rightId,
      from_user_id: fan.id,
      to_user_id: other.id,
      price: null,
      resale_cap_bp: 10_000,
      no_retransfer: false,
      reason: null,
      by: fan.id,
    });
    if (!moved.ok) throw new Error(moved.problem.code);
    expectProblem(await api("PUT", path(fixture, rightId), { token: fan.token, body }), 409, "access_right_inactive");
    expect((await api("GET", path(fixture, moved.to.id), { token: other.token })).body.attendee).toBeNull();

    // Past the configuration's deadline nobody renames.
    const late = await ticketedEvent();
    await withQuestions(late, new Date(Date.now() - 60_000).toISOString());
    const lateRight = await rightOf(late, fan);
    expectProblem(await api("PUT", path(late, lateRight), { token: fan.token, body }), 409, "attendee_deadline_passed");
  });

  it("takes attendees with the order, checked per line, and gives them to the rights when it is confirmed", async () => {
    const fixture = await ticketedEvent();
    await withQuestions(fixture);
    const fan = await registerUser();
    const order = (body: Record<string, unknown>) => api("POST", `/v1/events/${fixture.eventId}/orders`, { token: fan.token, body: { config_id: fixture.configId, ...body } });
    const bad = expectProblem(await order({ quantity: 2, attendees: [{ name: "Koffi", answers: { shirt: "M" } }, { name: "Awa", answers: { shirt: "XXL", extra: 1 } }] }), 422, "validation_failed");
    expect(bad.errors.map((e: { path: string }) => e.path).sort()).toEqual(["attendees.1.answers.extra", "attendees.1.answers.shirt"]);
    expectProblem(await order({ quantity: 1, attendees: [{ name: "A", answers: { shirt: "M" } }, { name: "B", answers: { shirt: "M" } }] }), 422, "validation_failed");
    expect((await fixture.stub.availability()).configs[0]!.held).toBe(0);
    const placed = await order({ quantity: 3, attendees: [{ name: "Koffi", answers: { shirt: "M" } }, { name: "Awa", email: "awa@example.com", answers: { shirt: "S", age: 9 } }] });
    expect(placed.status).toBe(201);
    const confirmed = await fixture.stub.confirmOrder({ order_id: placed.body.id, payment_id: null, confirmed_by: null });
    if (!confirmed.ok) throw new Error(confirmed.problem.code);
    const named = await Promise.all(confirmed.rights.map(async (r) => (await api("GET", path(fixture, r.id), { token: fan.token })).body.attendee));
    // Two named, in order; the third right has none until its holder names one.
    expect(named.map((a) => a?.name ?? null).sort()).toEqual(["Awa", "Koffi", null]);
    expect(named.find((a) => a?.name === "Awa")).toEqual({ name: "Awa", email: "awa@example.com", phone: null, answers: { shirt: "S", age: 9 } });
  });

  it("shows the attendee's name to the gate with the scan result, and in a replayed result", async () => {
    const fixture = await gatedEvent({ startsInMs: 3600_000 }); // doors open: rights are valid now
    const { buyer, rights } = await rightsWithTokens(fixture, 2);
    expect(await fixture.stub.setAttendee(rights[0]!.id, buyer, { name: "Koffi Mensah", email: null, phone: null, answers: {} })).toMatchObject({ ok: true });
    const scanned = await scanHttp(fixture, rights[0]!.token, { id: "attendee-scan-1" });
    expect(scanned.body).toMatchObject({ status: "SUCCESS", access_right: { id: rights[0]!.id, attendee_name: "Koffi Mensah" } });
    const replay = await scanHttp(fixture, rights[0]!.token, { id: "attendee-scan-1" });
    expect(replay.body).toMatchObject({ access_right: { attendee_name: "Koffi Mensah" } });
    expect((await scanHttp(fixture, rights[1]!.token)).body).toMatchObject({ status: "SUCCESS", access_right: { attendee_name: null } });
    const [stranger] = await createUsers(1);
    expect(await fixture.stub.setAttendee(rights[1]!.id, stranger!, { name: "X", email: null, phone: null, answers: {} })).toMatchObject({ ok: false, problem: { code: "right_not_found" } });
  });
});
