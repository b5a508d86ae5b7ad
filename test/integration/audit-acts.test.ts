import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { settlePayment } from "../../src/payments/service.ts";
import { backofficeEvent } from "../support/backoffice.ts";
import { api, buyAndPay, expectProblem, login, PASSWORD, registerAdmin, registerMember, registerOrganizer, registerUser, sellingEvent } from "../support/api.ts";

interface AuditRow {
  user_id: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  ip_address: string | null;
  description: string;
  data_after: string | null;
}

const auditOf = async (action: string, objectId: string) =>
  (await env.DB.prepare("SELECT * FROM audit_log WHERE action = ? AND object_id = ? ORDER BY created_at").bind(action, objectId).all<AuditRow>()).results;
const auditByUser = async (action: string, userId: string) =>
  (await env.DB.prepare("SELECT * FROM audit_log WHERE action = ? AND user_id = ? ORDER BY created_at").bind(action, userId).all<AuditRow>()).results;

describe("audit actions LOGIN and LOGOUT", () => {
  it("records every sign-in with its session and client, none for a refused one; a sign-out once", async () => {
    const user = await registerUser();
    // Registering opens the first session.
    expect(await auditOf("LOGIN", user.sessionId)).toEqual([expect.objectContaining({ user_id: user.id, object_type: "auth_sessions", description: "sign in" })]);

    const wrong = await login(user.email, "not the password");
    expectProblem(wrong, 401, "invalid_credentials");
    expect(await auditByUser("LOGIN", user.id)).toHaveLength(1);

    const signedIn = await login(user.email, PASSWORD);
    expect(signedIn.status).toBe(200);
    const [entry] = await auditOf("LOGIN", signedIn.body.session_id);
    expect(entry).toMatchObject({ user_id: user.id, object_type: "auth_sessions" });
    expect(entry!.ip_address).toMatch(/^198\.51\.100\./);

    expect((await api("POST", "/v1/auth/logout", { token: signedIn.body.access_token })).status).toBe(204);
    expect(await auditOf("LOGOUT", signedIn.body.session_id)).toEqual([expect.objectContaining({ user_id: user.id, description: "sign out" })]);
    // The session is over: signing out again is refused and records nothing.
    expectProblem(await api("POST", "/v1/auth/logout", { token: signedIn.body.access_token }), 401);
    expect(await auditOf("LOGOUT", signedIn.body.session_id)).toHaveLength(1);

    // Ending another of one's sessions is a sign-out of that session.
    const ended = await api("DELETE", `/v1/auth/sessions/${user.sessionId}`, { token: (await login(user.email, PASSWORD)).body.access_token });
    expect(ended.status, JSON.stringify(ended.body)).toBe(204);
    expect(await auditOf("LOGOUT", user.sessionId)).toEqual([expect.objectContaining({ user_id: user.id, description: "end another session" })]);
  });
});

describe("audit actions PAYMENT and REFUND", () => {
  it("records an online payment once, for its payer, however often it is settled", async () => {
    const [organizer, admin, fan] = [await registerOrganizer({ plan: null }), await registerAdmin(), await registerUser()];
    const event = await sellingEvent(organizer, admin);
    const { payment } = await buyAndPay(fan, event);
    expect(await settlePayment(env, payment.id)).toBe("already_settled");
    const rows = await auditOf("PAYMENT", payment.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: fan.id, object_type: "payments" });
    expect(JSON.parse(rows[0]!.data_after!)).toMatchObject({ type: "TICKET", amount: 5_000, currency: "XOF", provider: "STRIPE" });
  });

  it("records cash taken at the box office for the member who took it, once: confirming again records nothing more", async () => {
    const [organizer, admin, fan] = [await registerOrganizer({ plan: null }), await registerAdmin(), await registerUser()];
    const cashier = await registerMember(organizer.organizationId, "BOX_OFFICE");
    const event = await sellingEvent(organizer, admin);
    const order = await api("POST", `/v1/events/${event.eventId}/orders`, { token: fan.token, body: { config_id: event.configId, quantity: 2 } });
    const confirmed = await api("POST", `/v1/events/${event.eventId}/orders/${order.body.id}/confirm-cash`, { token: cashier.token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const [row] = await auditOf("PAYMENT", confirmed.body.payment_id);
    expect(row).toMatchObject({ user_id: cashier.id, description: "cash received at the box office" });
    expect(JSON.parse(row!.data_after!)).toMatchObject({ method: "CASH", amount: 10_000, order_id: order.body.id });
    // Confirmed again: the same order, no second cash payment or entry.
    expect((await api("POST", `/v1/events/${event.eventId}/orders/${order.body.id}/confirm-cash`, { token: cashier.token })).status).toBe(200);
    expect(await auditByUser("PAYMENT", cashier.id)).toHaveLength(1);
  });

  it("records a refund paid back once, for who recorded it", async () => {
    const [organizer, admin, fan] = [await registerOrganizer({ plan: null }), await registerAdmin(), await registerUser()];
    const event = await sellingEvent(organizer, admin);
    const { payment } = await buyAndPay(fan, event, { provider: "MTN_MOMO" });
    const refund = await api("POST", `/v1/payments/${payment.id}/refunds`, { token: fan.token, body: { reason: "CUSTOMER_REQUEST", description: "Empêché." } });
    expect(refund.status, JSON.stringify(refund.body)).toBe(201);
    expect((await api("POST", `/v1/refunds/${refund.body.id}/approve`, { token: organizer.token, body: {} })).status).toBe(200);
    expect(await auditOf("REFUND", refund.body.id)).toEqual([]);
    for (let i = 0; i < 2; i++) {
      const completed = await api("POST", `/v1/refunds/${refund.body.id}/complete`, { token: organizer.token, body: { external_reference: "MTN-TRANSFER-0099" } });
      expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    }
    const rows = await auditOf("REFUND", refund.body.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: organizer.id, object_type: "refunds" });
    expect(JSON.parse(rows[0]!.data_after!)).toMatchObject({ payment_id: payment.id, amount: payment.amount, external_reference: "MTN-TRANSFER-0099" });
  });
});

describe("audit action EXPORT", () => {
  it("records every CSV export, of an event or platform-wide, with who, the list and its filters; a refused export records nothing", async () => {
    const f = await backofficeEvent();
    const finance = await registerMember(f.organizationId, "FINANCE");
    const supervisor = f.supervisor; // attendees.read but not exports.read

    const attendees = await api("GET", `/v1/events/${f.eventId}/exports/attendees.csv?separator=semicolon&q=zoe`, { token: f.organizer.token });
    expect(attendees.status).toBe(200);
    const orders = await api("GET", `/v1/events/${f.eventId}/exports/orders.csv`, { token: finance.token });
    expect(orders.status).toBe(200);
    expectProblem(await api("GET", `/v1/events/${f.eventId}/exports/attendees.csv`, { token: supervisor.token }), 403);

    const rows = await auditOf("EXPORT", f.eventId);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ user_id: f.organizer.id, object_type: "events", description: "export attendees (CSV)" });
    expect(rows[0]!.ip_address).toBe("203.0.113.7");
    expect(JSON.parse(rows[0]!.data_after!)).toMatchObject({ list: "attendees", format: "csv", scope: "event", query: { separator: "semicolon", q: "zoe" } });
    expect(rows[1]).toMatchObject({ user_id: finance.id, description: "export orders (CSV)" });
    expect(JSON.parse(rows[1]!.data_after!)).toMatchObject({ list: "orders", amounts: true });
    expect(await auditByUser("EXPORT", supervisor.id)).toEqual([]);

    const platform = await api("GET", "/v1/admin/exports/payments.csv?sort=-created_at", { token: f.admin.token });
    expect(platform.status, String(platform.body)).toBe(200);
    const [entry, ...more] = await auditByUser("EXPORT", f.admin.id);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ object_type: null, object_id: null, description: "export payments (CSV)" });
    expect(JSON.parse(entry!.data_after!)).toMatchObject({ list: "payments", scope: "platform", query: { sort: "-created_at" } });
    expectProblem(await api("GET", "/v1/admin/exports/payments.csv", { token: f.organizer.token }), 403);
    expect(await auditByUser("EXPORT", f.organizer.id)).toHaveLength(1);
  });
});
