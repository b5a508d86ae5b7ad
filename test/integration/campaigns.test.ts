import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { getDb } from "../../src/db/client.ts";
import { message_deliveries, notification_batch_recipients, notification_batches } from "../../src/notifications/schema.ts";
import { api, expectProblem, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";
import { deliverPending, emailsTo, runCampaign, runNotifications } from "../support/notifications.ts";
import { orderRequest, ticketedEvent } from "../support/ticketing.ts";

const db = () => getDb(env.DB);

/** `n` accounts straight into D1, members of a fresh user group (owned by `ownerId`): an audience to target by group. */
async function groupOf(n: number, ownerId: string | null, language: "fr" | "ar" | "en" = "fr") {
  const groupId = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO user_groups (id, code, name, owner_id) VALUES (?, ?, 'Campaign test', ?)").bind(groupId, `G-${groupId.slice(0, 8)}`, ownerId).run();
  const ids: string[] = [];
  for (let i = 0; i < n; i += 40) {
    const chunk = Array.from({ length: Math.min(40, n - i) }, () => crypto.randomUUID());
    ids.push(...chunk);
    await env.DB.batch(
      chunk.flatMap((id) => [
        env.DB.prepare("INSERT INTO users (id, email, first_name, language) VALUES (?, ?, 'Fan', ?)").bind(id, `${id}@campaign.test`, language),
        env.DB.prepare("INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?)").bind(groupId, id),
      ]),
    );
  }
  return { groupId, ids };
}

const create = (token: string, body: Record<string, unknown>) =>
  api("POST", "/v1/campaigns", { token, body: { name: "Test", channels: ["IN_APP"], data: { title: "Bonjour", message: "Une nouvelle saison commence." }, ...body } });

const deliveriesOfCampaign = async (id: string) =>
  (await db().select({ n: count() }).from(message_deliveries).where(eq(message_deliveries.batch_id, id)))[0]!.n;

describe("campaigns", () => {
  it("reach an admin's audience once each, with counts of sent, delivered, skipped and read", async () => {
    const admin = await registerAdmin();
    const { groupId, ids } = await groupOf(12, null);
    const reader = await registerUser();
    await env.DB.prepare("INSERT INTO user_group_members (group_id, user_id) VALUES (?, ?)").bind(groupId, reader.id).run();
    // One of them opted out of marketing email.
    await env.DB.prepare("UPDATE users SET notifications_email = 0 WHERE id = ?").bind(ids[0]).run();
    const created = await create(admin.token, { channels: ["IN_APP", "EMAIL"], targeting: { audience: "ALL_USERS", user_group_id: groupId }, data: { title: "Saison <2027>", message: "Abonnements ouverts." } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "SCHEDULED", recipient_count: 13, notification_type: "ANNOUNCEMENT" });
    await runCampaign(created.body.id);
    // A duplicate of any step changes nothing: each step runs once.
    await runNotifications([{ kind: "campaign", batch_id: created.body.id, step: 0 }, { kind: "campaign", batch_id: created.body.id, step: 1 }]);

    const emails = await emailsTo(`${ids[1]}@campaign.test`);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.subject).toBe("Saison <2027>");
    expect(emails[0]!.html).toContain("Saison &lt;2027&gt;"); // user text is escaped, never markup
    expect(emails[0]!.headers["List-Unsubscribe"]).toMatch(/^<https:\/\/api\.test\/v1\/notifications\/unsubscribe\?token=/);
    expect(await emailsTo(`${ids[0]}@campaign.test`)).toHaveLength(0);
    expect(await deliveriesOfCampaign(created.body.id)).toBe(26);

    const [notification] = (await api("GET", "/v1/me/notifications", { token: reader.token })).body.data;
    expect(notification).toMatchObject({ notification_type: "ANNOUNCEMENT", title: "Saison <2027>" });
    expect((await api("POST", `/v1/me/notifications/${notification.id}/read`, { token: reader.token })).status).toBe(200);
    const read = await api("GET", `/v1/campaigns/${created.body.id}`, { token: admin.token });
    expect(read.body).toMatchObject({ status: "COMPLETED", recipient_count: 13, sent_count: 25, delivered_count: 25, skipped_count: 1, failed_count: 0, read_count: 1 });
    const recipients = await db().select().from(notification_batch_recipients).where(eq(notification_batch_recipients.batch_id, created.body.id));
    expect(recipients).toHaveLength(13);
    expect(recipients.every((r) => r.status === "SENT")).toBe(true);
  });

  it("let organizers write to their own audiences only", async () => {
    const organizer = await registerOrganizer();
    const fixture = await ticketedEvent();
    const fan = await registerUser();
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, fan.id, 1));
    if (!hold.ok) throw new Error(hold.problem.code);
    await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null });
    await fixture.stub.flushProjection();
    // Someone else's event is a 404; then it becomes theirs.
    expectProblem(await create(organizer.token, { targeting: { audience: "EVENT_HOLDERS", event_id: fixture.eventId } }), 404);
    await env.DB.prepare("UPDATE events SET organizer_id = ? WHERE id = ?").bind(organizer.id, fixture.eventId).run();
    const mine = await create(organizer.token, { targeting: { audience: "EVENT_HOLDERS", event_id: fixture.eventId }, data: { title: "Derby", message: "Venez tôt." } });
    expect(mine.status).toBe(201);
    expect(mine.body.recipient_count).toBe(1);
    await runCampaign(mine.body.id);
    const inbox = (await api("GET", "/v1/me/notifications", { token: fan.token })).body.data;
    expect(inbox[0]).toMatchObject({ notification_type: "ANNOUNCEMENT", title: "Derby", message: "Venez tôt." });

    expectProblem(await create(organizer.token, { targeting: { audience: "ALL_USERS" } }), 403, "audience_not_allowed");
    expectProblem(await create(organizer.token, { targeting: { audience: "FOLLOWERS", role: "ADMIN" } }), 403, "audience_not_allowed");
    expectProblem(await create(organizer.token, { notification_type: "SYSTEM_MAINTENANCE", targeting: { audience: "FOLLOWERS" } }), 422);
    const { groupId } = await groupOf(1, null);
    expectProblem(await create(organizer.token, { targeting: { audience: "FOLLOWERS", user_group_id: groupId } }), 404);
    expectProblem(await create(fan.token, { targeting: { audience: "FOLLOWERS" } }), 403);
    expectProblem(await api("POST", "/v1/campaigns", { body: {} }), 401);
    // Their campaigns are theirs: another organizer sees none of them.
    const other = await registerOrganizer();
    expectProblem(await api("GET", `/v1/campaigns/${mine.body.id}`, { token: other.token }), 404);
    expectProblem(await api("POST", `/v1/campaigns/${mine.body.id}/cancel`, { token: other.token }), 404);
    expect((await api("GET", "/v1/campaigns", { token: other.token })).body.data).toHaveLength(0);
    expect((await api("GET", "/v1/campaigns", { token: organizer.token })).body.data.map((c: { id: string }) => c.id)).toEqual([mine.body.id]);
  });

  it("refuse bad input with a clear problem: unknown variables, missing ones, oversized audiences and texts", async () => {
    const admin = await registerAdmin();
    const unknown = await create(admin.token, { targeting: { audience: "ALL_USERS" }, data: { title: "x", message: "y", promo: "z" } });
    expect(expectProblem(unknown, 422).errors).toEqual([expect.objectContaining({ path: "data.promo", code: "unknown_variable" })]);
    expect(expectProblem(await create(admin.token, { targeting: { audience: "ALL_USERS" }, data: { title: "x" } }), 422).errors[0]).toMatchObject({ path: "data.message", code: "required" });
    const { groupId } = await groupOf(301, null);
    const tooMany = await create(admin.token, { targeting: { audience: "ALL_USERS", user_group_id: groupId } });
    expect(expectProblem(tooMany, 422, "campaign_too_large").detail).toContain("301");
    expectProblem(await create(admin.token, { targeting: { audience: "ALL_USERS" }, data: { title: "x", message: "y".repeat(2001) } }), 422);
    expectProblem(await create(admin.token, { targeting: { audience: "EVENT_HOLDERS" } }), 422);
    expectProblem(await create(admin.token, { targeting: { audience: "EVERYONE" } }), 422);
    expectProblem(await create(admin.token, { channels: [] , targeting: { audience: "ALL_USERS" } }), 422);
    expect(await db().select({ n: count() }).from(notification_batches).where(eq(notification_batches.created_by, admin.id))).toEqual([{ n: 0 }]);
  });

  it("are throttled: each step releases what the slowest channel may send, and a cancel stops the rest", async () => {
    const admin = await registerAdmin();
    const { groupId } = await groupOf(250, null);
    const created = await create(admin.token, { channels: ["EMAIL", "IN_APP"], targeting: { audience: "ALL_USERS", user_group_id: groupId } });
    const id = created.body.id;
    const step = async () => {
      const [batch] = await db().select().from(notification_batches).where(eq(notification_batches.id, id));
      await runNotifications([{ kind: "campaign", batch_id: id, step: batch!.step }]);
    };
    await step(); // expansion: the 250 recipients
    expect(await deliveriesOfCampaign(id)).toBe(0);
    await step(); // EMAIL at 20/s × 5 s: 100 recipients, on both channels
    expect(await deliveriesOfCampaign(id)).toBe(200);
    await deliverPending({ batch_id: id });
    const cancelled = await api("POST", `/v1/campaigns/${id}/cancel`, { token: admin.token });
    expect(cancelled.body).toMatchObject({ status: "CANCELLED", sent_count: 200 });
    await step(); // nothing more is released
    expect(await deliveriesOfCampaign(id)).toBe(200);
    expectProblem(await api("POST", `/v1/campaigns/${id}/cancel`, { token: admin.token }), 409, "campaign_finished");
  });

  it("skip what was queued but not yet sent when cancelled", async () => {
    const admin = await registerAdmin();
    const { groupId } = await groupOf(5, null);
    const created = await create(admin.token, { targeting: { audience: "ALL_USERS", user_group_id: groupId } });
    const id = created.body.id;
    await runNotifications([{ kind: "campaign", batch_id: id, step: 0 }]);
    await runNotifications([{ kind: "campaign", batch_id: id, step: 1 }]);
    expect((await api("POST", `/v1/campaigns/${id}/cancel`, { token: admin.token })).body).toMatchObject({ status: "CANCELLED", skipped_count: 5, sent_count: 0 });
    await deliverPending({ batch_id: id });
    const statuses = await db().select({ status: message_deliveries.status }).from(message_deliveries).where(eq(message_deliveries.batch_id, id));
    expect(statuses.every((s) => s.status === "SKIPPED")).toBe(true);
  });

  it("wait for their time when scheduled, and the cron starts them", async () => {
    const admin = await registerAdmin();
    const { groupId } = await groupOf(2, null);
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const created = await create(admin.token, { targeting: { audience: "ALL_USERS", user_group_id: groupId }, scheduled_at: later });
    expect(created.body).toMatchObject({ status: "SCHEDULED", scheduled_at: later });
    const id = created.body.id;
    await runNotifications([{ kind: "campaign", batch_id: id, step: 0 }]); // early (a delayed message arriving before its time): nothing happens
    expect((await db().select().from(notification_batches).where(eq(notification_batches.id, id)))[0]).toMatchObject({ status: "SCHEDULED", step: 0 });
    await env.DB.prepare("UPDATE notification_batches SET scheduled_at = ? WHERE id = ?").bind(new Date(Date.now() - 1000).toISOString(), id).run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController(), env, ctx);
    await waitOnExecutionContext(ctx);
    await runCampaign(id);
    expect((await db().select().from(notification_batches).where(and(eq(notification_batches.id, id))))[0]).toMatchObject({ status: "COMPLETED", delivered_count: 2 });
  });
});
