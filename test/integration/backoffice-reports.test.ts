import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { salesReport } from "../../src/backoffice/reports.ts";
import { newId } from "../../src/lib/ids.ts";
import { api, buyAndPay, eventually, expectProblem, registerAdmin, registerOrganizer, registerUser, sellingEvent } from "../support/api.ts";
import { backofficeEvent, holderWithRights } from "../support/backoffice.ts";
import { rightsWithTokens, scanHttp } from "../support/gate.ts";
import { plainRule } from "../support/pricing.ts";
import { orderRequest } from "../support/ticketing.ts";

type Row = Record<string, unknown>;
const rows = async (sql: string, ...params: unknown[]) => (await env.DB.prepare(sql).bind(...params).all<Row>()).results;

/**
 * The aggregates the triggers keep equal what a full recount of the rows
 * gives: the definition of each report_* table, checked after a workload.
 */
async function expectAggregatesMatch(eventId: string) {
  const pairs: [string, string][] = [
    [
      `SELECT day, config_id, channel, pricing_rule_id, unit_price, currency, orders, units, gross, discount, net FROM report_sales WHERE event_id = ?1 AND orders <> 0 ORDER BY 1, 2, 3, 4, 5, 6`,
      `SELECT substr(coalesce(confirmed_at, created_at), 1, 10), coalesce(event_ticket_config_id, ''), purchase_channel, coalesce(pricing_rule_id, ''), unit_price, currency,
         count(*), sum(quantity), sum(total_price + discount_amount), sum(discount_amount), sum(total_price)
       FROM tickets WHERE event_id = ?1 AND booking_status IN ('CONFIRMED', 'COMPLETED') GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`,
    ],
    [
      `SELECT source_type, config_id, zone_id, status, entered, rights FROM report_rights WHERE event_id = ?1 AND rights <> 0 ORDER BY 1, 2, 3, 4, 5`,
      `SELECT source_type, coalesce(config_id, ''), coalesce(zone_id, ''), status, entry_count > 0, count(*) FROM access_rights WHERE event_id = ?1 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
    ],
    [
      `SELECT access_point_id, zone_id, action, status, denial_reason, is_conflict, scan_method, sum(scans) FROM report_scans WHERE event_id = ?1 GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7`,
      `SELECT access_point_id, coalesce(zone_id, ''), action, status, coalesce(denial_reason, ''), is_conflict, scan_method, count(*) FROM access_control_log WHERE event_id = ?1 GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7`,
    ],
    [
      `SELECT organization_id, currency, status, commission_type, commissions, base_amount, commission_amount FROM report_commissions WHERE event_id = ?1 AND commissions <> 0 ORDER BY 1, 2, 3, 4`,
      `SELECT coalesce(organization_id, ''), currency, status, commission_type, count(*), sum(base_amount), sum(commission_amount) FROM commissions WHERE event_id = ?1 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    ],
    [
      `SELECT currency, status, reason, refunds, amount FROM report_refunds WHERE event_id = ?1 AND refunds <> 0 ORDER BY 1, 2, 3`,
      `SELECT f.currency, f.status, f.reason, count(*), sum(f.amount) FROM refunds f JOIN payments p ON p.id = f.payment_id WHERE p.event_id = ?1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    ],
  ];
  for (const [aggregate, recount] of pairs) {
    const kept = (await rows(aggregate, eventId)).map(Object.values);
    const counted = (await rows(recount, eventId)).map(Object.values);
    expect(kept, aggregate).toEqual(counted);
  }
}

describe("reports: sales and money", () => {
  it("counts confirmed orders by day, type, channel, tier and promo code, and money per currency with commission and refunds", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const admin = await registerAdmin();
    const event = await sellingEvent(organizer, admin, { price: 5_000 });
    const fans = [await registerUser(), await registerUser(), await registerUser()];
    const paid = [];
    for (const [i, fan] of fans.entries()) paid.push(await buyAndPay(fan, event, { quantity: i + 1 }));
    // Cash at the box office, sold on site.
    const walkIn = await registerUser();
    const onsite = await api("POST", `/v1/events/${event.eventId}/orders`, { token: walkIn.token, body: { config_id: event.configId, quantity: 2, channel: "ONSITE" } });
    expect(onsite.status).toBe(201);
    expect((await api("POST", `/v1/events/${event.eventId}/orders/${onsite.body.id}/confirm-cash`, { token: organizer.token })).status).toBe(200);
    // An order held but not paid is not a sale.
    expect((await api("POST", `/v1/events/${event.eventId}/orders`, { token: (await registerUser()).token, body: { config_id: event.configId, quantity: 4 } })).status).toBe(201);

    const sales = await api("GET", `/v1/events/${event.eventId}/reports/sales`, { token: organizer.token });
    expect(sales.status).toBe(200);
    const day = new Date().toISOString().slice(0, 10);
    expect(sales.body.totals).toEqual([{ currency: "XOF", orders: 4, units: 8, gross: 40_000, discount: 0, net: 40_000 }]);
    expect(sales.body.by_day).toEqual([{ day, currency: "XOF", orders: 4, units: 8, gross: 40_000, discount: 0, net: 40_000 }]);
    expect(sales.body.by_channel).toEqual([
      { channel: "MOBILE", currency: "XOF", orders: 3, units: 6, gross: 30_000, discount: 0, net: 30_000 },
      { channel: "ONSITE", currency: "XOF", orders: 1, units: 2, gross: 10_000, discount: 0, net: 10_000 },
    ]);
    expect(sales.body.by_ticket_type).toEqual([expect.objectContaining({ label: "Tribune", orders: 4, units: 8 })]);
    expect(sales.body.by_price_tier).toEqual([{ unit_price: 5_000, currency: "XOF", orders: 4, units: 8, gross: 40_000, discount: 0, net: 40_000 }]);

    // Money: commission on every paid order (online and cash), none refunded yet.
    const commissions = await rows("SELECT sum(commission_amount) AS total FROM commissions WHERE event_id = ? AND status <> 'CANCELLED'", event.eventId);
    const revenue = await api("GET", `/v1/events/${event.eventId}/reports/revenue`, { token: organizer.token });
    expect(revenue.status).toBe(200);
    const commission = Number(commissions[0]!.total);
    expect(commission).toBeGreaterThan(0);
    expect(revenue.body.currencies).toEqual([
      { currency: "XOF", orders: 4, units: 8, gross: 40_000, discount: 0, net: 40_000, commission, commission_settled: 0, organizer_net: 40_000 - commission, refunded: 0, refunds: [] },
    ]);

    // A refund approved: the order leaves the sales, its refund is listed, its commission cancelled.
    const refund = await api("POST", `/v1/payments/${paid[1]!.payment.id}/refunds`, { token: fans[1]!.token, body: { reason: "CUSTOMER_REQUEST" } });
    expect(refund.status).toBe(201);
    expect((await api("POST", `/v1/refunds/${refund.body.id}/approve`, { token: organizer.token, body: {} })).status).toBe(200);
    const after = await eventually(async () => {
      const res = await api("GET", `/v1/events/${event.eventId}/reports/revenue`, { token: organizer.token });
      return res.body.currencies[0].orders === 3 && res.body.currencies[0].refunds.some((r: { status: string }) => r.status === "REFUNDED") && res.body;
    }, "refund in the report");
    expect(after.currencies[0]).toMatchObject({ orders: 3, units: 6, net: 30_000, refunded: 10_000 });
    expect(after.currencies[0].refunds).toEqual([{ status: "REFUNDED", reason: "CUSTOMER_REQUEST", refunds: 1, amount: 10_000 }]);

    // The payments and refunds lists carry the same money.
    const payments = await api("GET", `/v1/events/${event.eventId}/payments?type=TICKET`, { token: organizer.token });
    expect(payments.body.data).toHaveLength(4);
    expect(payments.body.data.map((p: Row) => p.provider).sort()).toEqual(["CASH_DESK", "STRIPE", "STRIPE", "STRIPE"]);
    expect((await api("GET", `/v1/events/${event.eventId}/payments?provider=CASH_DESK`, { token: organizer.token })).body.data).toEqual([
      expect.objectContaining({ method: "CASH", amount: 10_000, order_id: onsite.body.id, status: "PAID" }),
    ]);
    expect((await api("GET", `/v1/events/${event.eventId}/payments?q=${paid[1]!.payment.internal_reference}`, { token: organizer.token })).body.data.map((p: Row) => p.id)).toContain(paid[1]!.payment.id);
    const refunds = await api("GET", `/v1/events/${event.eventId}/refunds`, { token: organizer.token });
    expect(refunds.body.data).toEqual([expect.objectContaining({ id: refund.body.id, payment_id: paid[1]!.payment.id, amount: 10_000, status: "REFUNDED", requested_by: fans[1]!.id })]);
    expect((await api("GET", `/v1/events/${event.eventId}/refunds?q=${fans[1]!.email}`, { token: organizer.token })).body.data).toHaveLength(1);
    expect((await api("GET", `/v1/events/${event.eventId}/refunds?status=REQUESTED`, { token: organizer.token })).body.data).toHaveLength(0);

    await expectAggregatesMatch(event.eventId);

    // Platform volume (admins): what the payments of the day add up to, per provider and currency.
    const volume = await api("GET", `/v1/admin/reports/volume?from=${day}&to=${day}`, { token: admin.token });
    expect(volume.status).toBe(200);
    const recount = await rows(
      `SELECT provider, currency, count(*) AS payments, sum(amount) AS amount, sum(refunded_amount) AS refunded FROM payments
       WHERE type <> 'REFUND' AND status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED') AND substr(paid_at, 1, 10) = ? GROUP BY 1, 2 ORDER BY 1, 2`,
      day,
    );
    expect(volume.body.by_provider.map((r: Row) => [r.key, r.currency, r.payments, r.amount, r.refunded_amount])).toEqual(recount.map((r) => [r.provider, r.currency, r.payments, r.amount, r.refunded]));
    expect(volume.body.by_country).toEqual(expect.arrayContaining([expect.objectContaining({ currency: "XOF" })]));
    // Money taken is the selling organization's: its aggregate recounts from the payments for its events' orders…
    const sold = `FROM payments p JOIN tickets t ON t.id = p.ticket_id JOIN events e ON e.id = t.event_id
       WHERE e.organization_id = ?1 AND p.type <> 'REFUND' AND p.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')`;
    const kept = await rows("SELECT provider, currency, sum(payments), sum(amount), sum(refunded_amount) FROM report_payments WHERE organization_id = ?1 GROUP BY 1, 2 HAVING sum(payments) <> 0 ORDER BY 1, 2", organizer.organizationId);
    const counted = await rows(`SELECT p.provider, p.currency, count(*), sum(p.amount), sum(p.refunded_amount) ${sold} GROUP BY 1, 2 ORDER BY 1, 2`, organizer.organizationId);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.map(Object.values)).toEqual(counted.map(Object.values));
    // …and counts under the organization's ACTIVE plan (its own here, named after no one else's).
    const [plan] = await rows("SELECT pl.name FROM organizer_subscriptions os JOIN organizer_plans pl ON pl.id = os.plan_id WHERE os.organization_id = ? AND os.status = 'ACTIVE'", organizer.organizationId);
    const [taken] = await rows(`SELECT count(*) AS payments, sum(p.amount) AS amount ${sold} AND substr(p.paid_at, 1, 10) = ?2`, organizer.organizationId, day);
    expect(volume.body.by_organizer_plan).toEqual(expect.arrayContaining([expect.objectContaining({ key: plan!.name, currency: "XOF", payments: taken!.payments, amount: taken!.amount })]));
    // Commissions are owed by the organization, named as it is.
    const commissionsReport = await api("GET", "/v1/admin/reports/commissions", { token: admin.token });
    expect(commissionsReport.status).toBe(200);
    const due = await rows("SELECT count(*) AS n, sum(commission_amount) AS due FROM commissions WHERE organization_id = ? AND status IN ('PENDING', 'CALCULATED')", organizer.organizationId);
    expect(due[0]!.n).toBeGreaterThan(0);
    expect(commissionsReport.body.organizations_due).toEqual(
      expect.arrayContaining([{ organization_id: organizer.organizationId, organization_name: `Club ${organizer.id.slice(0, 8)}`, currency: "XOF", commissions: due[0]!.n, due: due[0]!.due }]),
    );
    const platformDue = await rows("SELECT sum(commission_amount) AS due FROM commissions WHERE currency = 'XOF' AND status IN ('PENDING', 'CALCULATED')");
    expect(commissionsReport.body.currencies).toEqual(expect.arrayContaining([expect.objectContaining({ currency: "XOF", due: platformDue[0]!.due })]));
    expectProblem(await api("GET", `/v1/admin/reports/volume?from=${day}&to=2020-01-01`, { token: admin.token }), 422);
    expectProblem(await api("GET", "/v1/admin/reports/volume?from=2020-01-01&to=2026-01-01", { token: admin.token }), 422);
    expectProblem(await api("GET", "/v1/admin/reports/volume?from=yesterday&to=today", { token: admin.token }), 422);
  });

  it("groups sales by promo code, and hides amounts from a caller without money.read", async () => {
    const f = await backofficeEvent();
    const ruleId = newId();
    await env.DB.prepare(
      "INSERT INTO pricing_rules (id, code, name, rule_type, applies_to, discount_type, discount_value, conditions, promo_code) VALUES (?, ?, 'Étudiants', 'PROMO', 'TICKETS', 'PERCENTAGE', 2000, '{}', ?)",
    )
      .bind(ruleId, `R-${ruleId.slice(0, 8)}`, `ETU${ruleId.slice(0, 4).toUpperCase()}`)
      .run();
    const buyer = await registerUser();
    const rule = { ...plainRule(), id: ruleId, code: `R-${ruleId.slice(0, 8)}`, promo_code: `ETU${ruleId.slice(0, 4).toUpperCase()}`, auto_apply: false, discount_value: 2_000 };
    const hold = await f.stub.placeOrder(orderRequest(f, buyer.id, 2, { promo_code: rule.promo_code, rules: [rule] }));
    expect(hold.ok).toBe(true);
    if (!hold.ok) return;
    expect((await f.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null })).ok).toBe(true);
    await rightsWithTokens(f, 1);
    await f.stub.flushProjection();
    const sales = await api("GET", `/v1/events/${f.eventId}/reports/sales`, { token: f.organizer.token });
    expect(sales.body.by_promo_code).toEqual([{ pricing_rule_id: ruleId, promo_code: rule.promo_code, label: "Étudiants", currency: "XOF", orders: 1, units: 2, gross: 10_000, discount: 2_000, net: 8_000 }]);
    expect(sales.body.by_price_tier).toEqual([{ unit_price: 5_000, currency: "XOF", orders: 2, units: 3, gross: 15_000, discount: 2_000, net: 13_000 }]);
    expect((await api("GET", `/v1/events/${f.eventId}/orders?promo_code=${rule.promo_code.toLowerCase()}`, { token: f.organizer.token })).body.data.map((o: Row) => o.id)).toEqual([hold.order.id]);
    // Today no role reads sales without money (18T's teams will): the report itself, as such a caller.
    const hidden = await salesReport(env, f.eventId, false);
    expect(hidden.totals).toEqual([{ currency: "XOF", orders: 2, units: 3, gross: null, discount: null, net: null }]);
    expect(hidden.by_price_tier).toEqual([{ unit_price: null, currency: "XOF", orders: 2, units: 3, gross: null, discount: null, net: null }]);
    await expectAggregatesMatch(f.eventId);
  });
});

describe("reports: attendance", () => {
  it("counts check-ins, re-entries, exits, denials and manual entries by gate, zone and 15-minute bucket, and occupancy over time", async () => {
    const f = await backofficeEvent({ startsInMs: 3_600_000 });
    const [a, b, c, d] = [
      await holderWithRights(f, "Ali", "A", 1),
      await holderWithRights(f, "Badr", "B", 1),
      await holderWithRights(f, "Chedly", "C", 1),
      await holderWithRights(f, "Dora", "D", 1),
    ];
    const status = async (res: Promise<{ body: { status: string; denial_reason: string | null } }>) => (await res).body;
    expect(await status(scanHttp(f, a.rights[0]!.token))).toMatchObject({ status: "SUCCESS" });
    expect(await status(scanHttp(f, a.rights[0]!.token, { action: "EXIT" }))).toMatchObject({ status: "SUCCESS" });
    expect(await status(scanHttp(f, a.rights[0]!.token, { action: "RE_ENTRY" }))).toMatchObject({ status: "SUCCESS" });
    expect(await status(scanHttp(f, b.rights[0]!.token))).toMatchObject({ status: "SUCCESS" });
    expect(await status(scanHttp(f, b.rights[0]!.token))).toMatchObject({ denial_reason: "ALREADY_USED" });
    expect(await status(scanHttp(f, "E1.garbage.token.here"))).toMatchObject({ denial_reason: "INVALID_QR" });
    const manual = await api("POST", `/v1/events/${f.eventId}/door/admissions`, { token: f.supervisor.token, body: { access_right_id: d.rights[0]!.id, access_point_id: f.gateA, reason: "Billet papier abîmé" } });
    expect(manual.body.status).toBe("SUCCESS");
    await f.stub.flushProjection();

    const res = await api("GET", `/v1/events/${f.eventId}/reports/attendance`, { token: f.organizer.token });
    expect(res.status).toBe(200);
    const report = res.body;
    expect(report.rights).toEqual({ total: 4, valid: 4, checked_in: 3, not_checked_in: 1, no_shows: null, by_status: { ENABLED: 1, USED: 3 }, by_source: { TICKET: 4 } });
    expect(report).toMatchObject({ entries: 4, re_entries: 1, exits: 1, scans: 7, conflicts: 0, manual_entries: 1 });
    expect(report.denials_by_reason).toEqual(expect.arrayContaining([{ reason: "ALREADY_USED", scans: 1 }, { reason: "INVALID_QR", scans: 1 }]));
    expect(report.by_gate).toEqual([{ access_point_id: f.gateA, name: "Porte A", entries: 4, exits: 1, denials: 2, scans: 7 }]);
    expect(report.by_zone).toEqual([{ zone_id: f.zoneId, zone_name: "Tribune Nord", rights: 4, checked_in: 3, entries: 4, exits: 1, denials: 1, scans: 6 }]);
    const bucket = report.buckets.at(-1).bucket as string;
    expect(bucket).toMatch(/^\d{4}-\d\d-\d\dT\d\d:(00|15|30|45):00\.000Z$/);
    expect(report.buckets.reduce((sum: number, b: { scans: number }) => sum + b.scans, 0)).toBe(7);
    const tribune = report.occupancy.find((z: { zone_id: string }) => z.zone_id === f.zoneId);
    expect(tribune.series.at(-1).inside).toBe(3);
    // Live, from the EventDO: the same three inside.
    expect(report.live.zones.find((z: { id: string }) => z.id === f.zoneId)).toMatchObject({ occupancy: 3 });
    expect(c.rights).toHaveLength(1);

    // Replayed projections count nothing twice: the same log rows and unchanged rights again.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO access_control_log SELECT * FROM access_control_log WHERE event_id = ? ON CONFLICT DO NOTHING").bind(f.eventId),
      env.DB.prepare("UPDATE access_rights SET status = status, entry_count = entry_count WHERE event_id = ?").bind(f.eventId),
      env.DB.prepare("UPDATE tickets SET booking_status = booking_status, total_price = total_price WHERE event_id = ?").bind(f.eventId),
    ]);
    expect((await api("GET", `/v1/events/${f.eventId}/reports/attendance`, { token: f.organizer.token })).body).toMatchObject({ entries: 4, scans: 7, rights: { checked_in: 3 } });
    await expectAggregatesMatch(f.eventId);
  });

  it("calls the holders never let in no-shows once the event is over, and reports season passes per plan", async () => {
    const f = await backofficeEvent();
    const planId = newId();
    const passes = [newId(), newId(), newId()];
    const fans = [await registerUser(), await registerUser(), await registerUser()];
    await env.DB.batch([
      env.DB.prepare("INSERT INTO subscription_plans (id, code, name, type, price, currency) VALUES (?, ?, 'Abonnement tribune', 'FULL_SEASON', 90000, 'XOF')").bind(planId, `P-${planId.slice(0, 8)}`),
      ...passes.map((id, i) =>
        env.DB.prepare("INSERT INTO subscriptions (id, subscription_number, user_id, subscription_plan_id, price_paid, currency, valid_from, valid_until, status) VALUES (?, ?, ?, ?, 90000, 'XOF', '2026-08-01', '2027-06-30', ?)").bind(
          id, `SUB-${id.slice(0, 8).toUpperCase()}`, fans[i]!.id, planId, i === 2 ? "SUSPENDED" : "ACTIVE",
        ),
      ),
    ]);
    for (const [i, id] of passes.slice(0, 2).entries()) {
      expect((await f.stub.issueRights({ source_type: "SUBSCRIPTION", source_id: id, holders: [{ user_id: fans[i]!.id, zone_id: f.zoneId, seat_id: null }], config_id: null, created_by: null })).ok).toBe(true);
    }
    await holderWithRights(f, "Ticket", "Holder", 2);
    const report = await api("GET", `/v1/events/${f.eventId}/reports/passes`, { token: f.organizer.token });
    expect(report.body.plans).toEqual([{ plan_id: planId, plan_name: "Abonnement tribune", passes_by_status: { ACTIVE: 2, SUSPENDED: 1 }, rights: 2, valid: 2, checked_in: 0, not_checked_in: 2 }]);
    // After the end: the four never let in are no-shows.
    await env.DB.prepare("UPDATE events SET ends_at = ?, starts_at = ?, doors_open_at = NULL WHERE id = ?").bind(new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() - 3_600_000).toISOString(), f.eventId).run();
    const over = await api("GET", `/v1/events/${f.eventId}/reports/attendance`, { token: f.organizer.token });
    expect(over.body.rights).toMatchObject({ total: 4, not_checked_in: 4, no_shows: 4, by_source: { SUBSCRIPTION: 2, TICKET: 2 } });
    await expectAggregatesMatch(f.eventId);
  });
});
