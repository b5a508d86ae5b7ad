import { describe, expect, it } from "vitest";
import { api, buyAndPay, eventually, expectProblem, registerAdmin, registerMember, registerOrganizer, registerUser, sellingEvent, settleAtProvider } from "../support/api.ts";

type User = Awaited<ReturnType<typeof registerUser>>;
type Organizer = Awaited<ReturnType<typeof registerOrganizer>>;
type Admin = Awaited<ReturnType<typeof registerAdmin>>;

/** An event of `organizer` whose ticketing commission an admin set (null: the platform default applies). */
async function eventAt(organizer: Organizer, admin: Admin, commissionBp: number | null, options: Parameters<typeof sellingEvent>[2] = {}) {
  const event = await sellingEvent(organizer, admin, options);
  if (commissionBp !== null) {
    const set = await api("PATCH", `/v1/events/${event.eventId}`, { token: admin.token, body: { ticketing_commission_bp: commissionBp } });
    if (set.status !== 200) throw new Error(`commission: ${set.status} ${JSON.stringify(set.body)}`);
  }
  return event;
}

/** A fresh fan buys `quantity` tickets (5 000 each) by card. */
const sale = async (event: { eventId: string; configId: string }, quantity = 1) => buyAndPay(await registerUser(), event, { quantity });

const myCommissions = (organizer: User, query = "") => api("GET", `/v1/me/commissions${query}`, { token: organizer.token });

async function commissionOf(organizer: User, paymentId: string) {
  const mine = (await myCommissions(organizer)).body.data.filter((c: { payment_id: string }) => c.payment_id === paymentId);
  expect(mine).toHaveLength(1);
  return mine[0];
}

const settle = (token: string, body: Record<string, unknown>) => api("POST", "/v1/admin/commissions/settle", { token, body });

describe("recording commissions", () => {
  it("records one CALCULATED commission at the event's rate for a paid ticket payment", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await eventAt(organizer, admin, 1_000);
    const { payment } = await sale(event, 2);
    expect(await commissionOf(organizer, payment.id)).toMatchObject({
      commission_type: "TICKETING",
      status: "CALCULATED",
      base_amount: 10_000,
      commission_rate_bp: 1_000,
      commission_amount: 1_000,
      currency: "XOF",
      event_id: event.eventId,
      organizer_id: organizer.id,
      organization_id: organizer.organizationId,
      settlement_payment_id: null,
    });
  });

  it("takes the platform default of 500 bp when the event sets no rate", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await eventAt(organizer, admin, null);
    const { payment } = await sale(event, 3);
    expect(await commissionOf(organizer, payment.id)).toMatchObject({ base_amount: 15_000, commission_rate_bp: 500, commission_amount: 750 });
  });

  it("records it once however often the provider calls back and the payer checks", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await eventAt(organizer, admin, null);
    const fan = await registerUser();
    const { payment } = await buyAndPay(fan, event);
    // Stripe sends the completion again (a new event id), and the payer asks for a check.
    const again = await settleAtProvider("stripe", payment.external_reference);
    expect((await again.deliver()).body).toMatchObject({ received: true, duplicate: false });
    expect((await api("POST", `/v1/payments/${payment.id}/check`, { token: fan.token })).body.status).toBe("PAID");
    await eventually(async () => {
      const events = (await api("GET", `/v1/admin/webhook-events?payment_id=${payment.id}`, { token: admin.token })).body.data;
      return events.length === 2 && events.every((e: { status: string }) => e.status === "PROCESSED");
    }, "both webhooks processed");
    await commissionOf(organizer, payment.id);
    const all = (await api("GET", `/v1/admin/commissions?event_id=${event.eventId}`, { token: admin.token })).body.data;
    expect(all).toHaveLength(1);
  });

  it("applies the reduced rate of the organizer's plan, never a higher one", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer();
    const plan = await api("POST", "/v1/admin/organizer-plans", {
      token: admin.token,
      body: { name: `Pro ${crypto.randomUUID().slice(0, 6)}`, plan_type: "PREMIUM", price: 10_000, currency: "XOF", billing_period: "MONTHLY", reduced_commission_bp: 200 },
    });
    expect(plan.status).toBe(201);
    expect((await api("POST", "/v1/admin/organizer-subscriptions", { token: admin.token, body: { organization_id: organizer.organizationId, plan_id: plan.body.id } })).status).toBe(201);

    const standard = await eventAt(organizer, admin, null);
    const { payment } = await sale(standard, 2);
    expect(await commissionOf(organizer, payment.id)).toMatchObject({ commission_rate_bp: 200, commission_amount: 200 });

    // An event already cheaper than the plan's rate keeps its own.
    const cheap = await eventAt(organizer, admin, 100);
    const { payment: cheapPayment } = await sale(cheap, 2);
    expect(await commissionOf(organizer, cheapPayment.id)).toMatchObject({ commission_rate_bp: 100, commission_amount: 100 });
  });
});

describe("reading commissions", () => {
  it("shows an organizer their own commissions with totals, never another organizer's", async () => {
    const admin = await registerAdmin();
    const [alice, bob] = [await registerOrganizer({ plan: null }), await registerOrganizer({ plan: null })];
    const aliceEvent = await eventAt(alice, admin, null);
    const bobEvent = await eventAt(bob, admin, null);
    const first = await sale(aliceEvent, 1);
    const second = await sale(aliceEvent, 2);
    const bobs = await sale(bobEvent, 4);

    const mine = await myCommissions(alice);
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((c: { payment_id: string }) => c.payment_id).sort()).toEqual([first.payment.id, second.payment.id].sort());
    expect(mine.body.summary).toEqual([{ currency: "XOF", status: "CALCULATED", count: 2, amount: 250 + 500 }]);
    // Filtering on another organizer's event does not reach it.
    expect((await myCommissions(alice, `?event_id=${bobEvent.eventId}`)).body.data).toEqual([]);
    expect((await myCommissions(bob)).body.data.map((c: { payment_id: string }) => c.payment_id)).toEqual([bobs.payment.id]);
    // Naming another organizer is ignored: the list stays the caller's; naming another organization is refused.
    const smuggled = await myCommissions(alice, `?organizer_id=${bob.id}`);
    expect(smuggled.body.data.map((c: { organization_id: string }) => c.organization_id)).toEqual([alice.organizationId, alice.organizationId]);
    expect(expectProblem(await myCommissions(alice, `?organization_id=${bob.organizationId}`), 422).errors[0].path).toBe("organization_id");
    // FINANCE sees the organization's money; a MANAGER does not.
    const finance = await registerMember(alice.organizationId, "FINANCE");
    expect((await myCommissions(finance)).body.data).toHaveLength(2);
    const manager = await registerMember(alice.organizationId, "MANAGER");
    expect(expectProblem(await myCommissions(manager), 403).detail).toContain("money.read");
  });

  it("keeps the lists to members with money.read and admins", async () => {
    const fan = await registerUser();
    const organizer = await registerOrganizer({ plan: null });
    expectProblem(await myCommissions(fan), 403, "no_organization");
    expectProblem(await api("GET", "/v1/me/commissions"), 401);
    expectProblem(await api("GET", "/v1/admin/commissions", { token: organizer.token }), 403);
    expectProblem(await api("GET", "/v1/admin/commissions", { token: fan.token }), 403);
  });

  it("lets an admin list one organization's commissions", async () => {
    const admin = await registerAdmin();
    const [alice, bob] = [await registerOrganizer({ plan: null }), await registerOrganizer({ plan: null })];
    const { payment } = await sale(await eventAt(alice, admin, null));
    await sale(await eventAt(bob, admin, null));
    const listed = await api("GET", `/v1/admin/commissions?organization_id=${alice.organizationId}`, { token: admin.token });
    expect(listed.body.data.map((c: { payment_id: string }) => c.payment_id)).toEqual([payment.id]);
    expect((await api("GET", `/v1/admin/commissions?organizer_id=${alice.id}`, { token: admin.token })).body.data.map((c: { payment_id: string }) => c.payment_id)).toEqual([payment.id]);
  });
});

describe("settling commissions", () => {
  it("records one COMMISSION payment and marks the commissions PAID, once", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await eventAt(organizer, admin, 1_000);
    await sale(event, 1);
    await sale(event, 3);
    const ids = (await myCommissions(organizer)).body.data.map((c: { id: string }) => c.id);
    expect(ids).toHaveLength(2);

    const settled = await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: ids, method: "BANK_TRANSFER", external_reference: "VIR-2025-001" });
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ amount: 500 + 1_500, currency: "XOF", commissions: 2 });

    const after = await myCommissions(organizer);
    for (const c of after.body.data) expect(c).toMatchObject({ status: "PAID", settlement_payment_id: settled.body.payment_id });
    expect(after.body.summary).toEqual([{ currency: "XOF", status: "PAID", count: 2, amount: 2_000 }]);
    const commissionPayments = (await api("GET", "/v1/admin/payments?type=COMMISSION", { token: admin.token })).body.data;
    expect(commissionPayments.find((p: { id: string }) => p.id === settled.body.payment_id)).toMatchObject({
      type: "COMMISSION",
      status: "PAID",
      amount: 2_000,
      currency: "XOF",
      method: "BANK_TRANSFER",
      provider: "BANK",
      external_reference: "VIR-2025-001",
    });
    // The organizer sees it among their payments.
    expect((await api("GET", "/v1/me/payments?type=COMMISSION", { token: organizer.token })).body.data.map((p: { id: string }) => p.id)).toEqual([settled.body.payment_id]);

    expectProblem(await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: ids, method: "BANK_TRANSFER" }), 409, "commission_not_due");
    expectProblem(await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: [ids[0]], method: "CASH" }), 409, "commission_not_due");
    expect((await api("GET", "/v1/me/payments?type=COMMISSION", { token: organizer.token })).body.data).toHaveLength(1);
  });

  it("settles once when two admins settle the same commissions at the same moment", async () => {
    const admin = await registerAdmin();
    const other = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await eventAt(organizer, admin, null);
    await sale(event, 2);
    const ids = (await myCommissions(organizer)).body.data.map((c: { id: string }) => c.id);
    const results = await Promise.all([
      settle(admin.token, { organization_id: organizer.organizationId, commission_ids: ids, method: "BANK_TRANSFER" }),
      settle(other.token, { organization_id: organizer.organizationId, commission_ids: ids, method: "BANK_TRANSFER" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const mine = await api("GET", "/v1/me/payments?type=COMMISSION", { token: organizer.token });
    expect(mine.body.data).toHaveLength(1);
  });

  it("refuses commissions in two currencies, another organizer's, unknown ones, and non-admins", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    await sale(await eventAt(organizer, admin, null), 1);
    await sale(await eventAt(organizer, admin, null, { currency: "TND", price: 20_000 }), 1);
    const mine = (await myCommissions(organizer)).body.data;
    expect(mine.map((c: { currency: string }) => c.currency).sort()).toEqual(["TND", "XOF"]);
    const ids = mine.map((c: { id: string }) => c.id);

    expect(expectProblem(await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: ids, method: "BANK_TRANSFER" }), 422).errors[0].code).toBe("mixed_currencies");

    const stranger = await registerOrganizer({ plan: null });
    const notHis = await settle(admin.token, { organization_id: stranger.organizationId, commission_ids: [ids[0]], method: "BANK_TRANSFER" });
    expect(expectProblem(notHis, 422).errors[0].code).toBe("unknown_commission");
    expect(expectProblem(await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: [crypto.randomUUID()], method: "CASH" }), 422).errors[0].code).toBe("unknown_commission");
    expectProblem(await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: [], method: "CASH" }), 422);
    expectProblem(await settle(admin.token, { organization_id: organizer.organizationId, commission_ids: [ids[0]], method: "CARD" }), 422);

    expectProblem(await settle(organizer.token, { organization_id: organizer.organizationId, commission_ids: [ids[0]], method: "CASH" }), 403);
    expectProblem(await settle((await registerUser()).token, { organization_id: organizer.organizationId, commission_ids: [ids[0]], method: "CASH" }), 403);
    // Nothing was settled by any of these.
    expect((await myCommissions(organizer)).body.data.every((c: { status: string }) => c.status === "CALCULATED")).toBe(true);
    expect((await api("GET", "/v1/me/payments?type=COMMISSION", { token: organizer.token })).body.data).toEqual([]);
  });
});
