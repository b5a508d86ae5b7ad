import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { runDigests } from "../../src/notifications/cron.ts";
import { message_deliveries } from "../../src/notifications/schema.ts";
import { notify } from "../../src/notifications/service.ts";
import { api, expectProblem, freshIp, PASSWORD, registerAdmin, registerUser } from "../support/api.ts";
import { deliverPending, deliveriesOf, emailsTo, pushesTo, runQueue } from "../support/notifications.ts";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index.ts";

const db = () => getDb(env.DB);

async function registerDevice(user: { token: string }) {
  const token = `fcm-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const res = await api("POST", "/v1/me/push-tokens", { token: user.token, body: { token, platform: "IOS", app_version: "2.4.0" } });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, token };
}

/** `follower` follows `user`: NEW_FOLLOWER for `user` (in the app and by push). */
const follow = (follower: { token: string }, user: { id: string }) => api("POST", `/v1/users/${user.id}/follow`, { token: follower.token });

describe("the inbox", () => {
  it("lists my notifications newest first with cursor pages, counts and marks them read, deletes them", async () => {
    const user = await registerUser();
    for (let i = 0; i < 3; i++) expect((await follow(await registerUser({ first_name: `F${i}` }), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    const first = await api("GET", "/v1/me/notifications?limit=2", { token: user.token });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data[0]).toMatchObject({ notification_type: "NEW_FOLLOWER", title: "Nouvel abonné", status: "DELIVERED", read_at: null, object_type: "user" });
    expect(first.body.data[0].message).toContain("F2 Test");
    const second = await api("GET", `/v1/me/notifications?limit=2&cursor=${first.body.next_cursor}`, { token: user.token });
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    expect((await api("GET", "/v1/me/notifications/unread-count", { token: user.token })).body).toEqual({ unread: 3 });

    const id = first.body.data[0].id;
    const read = await api("POST", `/v1/me/notifications/${id}/read`, { token: user.token });
    expect(read.body).toMatchObject({ status: "READ" });
    const again = await api("POST", `/v1/me/notifications/${id}/read`, { token: user.token });
    expect(again.body.read_at).toBe(read.body.read_at);
    expect((await api("GET", "/v1/me/notifications?unread=true", { token: user.token })).body.data).toHaveLength(2);
    expect((await api("POST", "/v1/me/notifications/read-all", { token: user.token })).body).toEqual({ updated: 2 });
    expect((await api("GET", "/v1/me/notifications/unread-count", { token: user.token })).body).toEqual({ unread: 0 });
    expect((await api("DELETE", `/v1/me/notifications/${id}`, { token: user.token })).status).toBe(204);
    expect((await api("GET", "/v1/me/notifications", { token: user.token })).body.data).toHaveLength(2);
  });

  it("keeps everyone's inbox their own", async () => {
    const user = await registerUser();
    expect((await follow(await registerUser(), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    const [mine] = (await api("GET", "/v1/me/notifications", { token: user.token })).body.data;
    const other = await registerUser();
    expectProblem(await api("POST", `/v1/me/notifications/${mine.id}/read`, { token: other.token }), 404);
    expectProblem(await api("DELETE", `/v1/me/notifications/${mine.id}`, { token: other.token }), 404);
    expect((await api("GET", "/v1/me/notifications", { token: other.token })).body.data).toHaveLength(0);
    expectProblem(await api("GET", "/v1/me/notifications"), 401);
    expectProblem(await api("POST", "/v1/me/notifications/not-a-uuid/read", { token: user.token }), 422);
    expectProblem(await api("GET", "/v1/me/notifications?cursor=garbage", { token: user.token }), 422);
  });
});

describe("push tokens", () => {
  it("registers, re-registers, refreshes, lists and deletes a device", async () => {
    const user = await registerUser();
    const device = await registerDevice(user);
    const again = await api("POST", "/v1/me/push-tokens", { token: user.token, body: { token: device.token, platform: "IOS", app_version: "2.5.0", language: "ar" } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: device.id, app_version: "2.5.0", language: "ar" });
    expect(again.body).not.toHaveProperty("token");
    const rotated = `fcm-${crypto.randomUUID()}-rotated-${crypto.randomUUID()}`;
    const refreshed = await api("PUT", `/v1/me/push-tokens/${device.id}`, { token: user.token, body: { token: rotated } });
    expect(refreshed.status).toBe(200);
    const list = await api("GET", "/v1/me/push-tokens", { token: user.token });
    expect(list.body.data.map((d: { id: string }) => d.id)).toEqual([device.id]);

    // Pushes go to the rotated token, not the old one.
    expect((await follow(await registerUser(), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    expect(await pushesTo(rotated)).toHaveLength(1);
    expect(await pushesTo(device.token)).toHaveLength(0);

    expect((await api("DELETE", `/v1/me/push-tokens/${device.id}`, { token: user.token })).status).toBe(204);
    expectProblem(await api("DELETE", `/v1/me/push-tokens/${device.id}`, { token: user.token }), 404);
  });

  it("moves a device to whoever signs in on it, and checks every field", async () => {
    const first = await registerUser();
    const second = await registerUser();
    const device = await registerDevice(first);
    const moved = await api("POST", "/v1/me/push-tokens", { token: second.token, body: { token: device.token, platform: "IOS" } });
    expect(moved.status).toBe(200);
    expect((await api("GET", "/v1/me/push-tokens", { token: first.token })).body.data).toHaveLength(0);
    expectProblem(await api("PUT", `/v1/me/push-tokens/${device.id}`, { token: first.token, body: { app_version: "1" } }), 404);
    expectProblem(await api("POST", "/v1/me/push-tokens", { token: first.token, body: { token: "short", platform: "IOS" } }), 422);
    expectProblem(await api("POST", "/v1/me/push-tokens", { token: first.token, body: { token: "x".repeat(40), platform: "SYMBIAN" } }), 422);
    expectProblem(await api("POST", "/v1/me/push-tokens", { token: first.token, body: { token: "x".repeat(40), platform: "IOS", extra: 1 } }), 422);
    expectProblem(await api("PUT", `/v1/me/push-tokens/${device.id}`, { token: second.token, body: {} }), 422);
    expectProblem(await api("POST", "/v1/me/push-tokens", { body: { token: "x".repeat(40), platform: "IOS" } }), 401);
  });
});

describe("preferences", () => {
  it("lists every type × channel with its default, and refuses to switch off codes", async () => {
    const user = await registerUser();
    const read = await api("GET", "/v1/me/notification-preferences", { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ email_enabled: true, push_enabled: true, time_zone: "Africa/Porto-Novo", quiet_hours: null });
    expect(read.body.preferences).toContainEqual({ notification_type: "NEW_FOLLOWER", channel: "PUSH", enabled: true, frequency: "IMMEDIATE", send_time: null, locked: false });
    expect(read.body.preferences).toContainEqual(expect.objectContaining({ notification_type: "TWO_FACTOR_CODE", channel: "SMS", locked: true }));
    const locked = await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { preferences: [{ notification_type: "TWO_FACTOR_CODE", channel: "SMS", enabled: false }] } });
    expect(expectProblem(locked, 422).errors).toEqual([expect.objectContaining({ path: "preferences.0.notification_type", code: "preference_locked" })]);
    const unused = await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { preferences: [{ notification_type: "NEW_FOLLOWER", channel: "SMS", enabled: false }] } });
    expect(expectProblem(unused, 422).errors[0].code).toBe("channel_not_used");
    expectProblem(await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { time_zone: "Mars/Olympus" } }), 422);
    expectProblem(await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { quiet_hours: { start: "25:00", end: "07:00" } } }), 422);
    expectProblem(await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { quiet_hours: { start: "07:00", end: "07:00" } } }), 422);
  });

  it("switching a type off on a channel stops it there, not elsewhere", async () => {
    const user = await registerUser();
    const device = await registerDevice(user);
    const updated = await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { preferences: [{ notification_type: "NEW_FOLLOWER", channel: "PUSH", enabled: false }] } });
    expect(updated.status).toBe(200);
    expect(updated.body.preferences).toContainEqual(expect.objectContaining({ notification_type: "NEW_FOLLOWER", channel: "PUSH", enabled: false }));
    expect((await follow(await registerUser(), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    const rows = await deliveriesOf({ user_id: user.id });
    expect(rows.find((r) => r.notification_type === "NEW_FOLLOWER" && r.channel === "PUSH")).toMatchObject({ status: "SKIPPED", error: "preference_off" });
    expect(rows.find((r) => r.notification_type === "NEW_FOLLOWER" && r.channel === "IN_APP")).toMatchObject({ status: "DELIVERED" });
    expect(await pushesTo(device.token)).toHaveLength(0);
  });

  it("never sends marketing to someone who opted out, but still sends what they bought and their codes", async () => {
    const user = await registerUser();
    const device = await registerDevice(user);
    expect((await api("PATCH", "/v1/me", { token: user.token, body: { notifications_email: false, notifications_push: false } })).status).toBe(200);
    await notify(env, [
      { type: "ANNOUNCEMENT", key: `ad:${user.id}`, user_id: user.id, channels: ["EMAIL", "PUSH"], data: { title: "Promo", message: "-50 %" } },
      { type: "PAYMENT_SUCCESS", key: `paid:${user.id}`, user_id: user.id, channels: ["EMAIL", "PUSH"], data: { amount: { amount: 60_000, currency: "TND" }, reference: "PAY-9" } },
    ]);
    await deliverPending({ user_id: user.id });
    const rows = await deliveriesOf({ user_id: user.id });
    expect(rows.filter((r) => r.notification_type === "ANNOUNCEMENT").map((r) => [r.channel, r.status, r.error])).toEqual([
      ["EMAIL", "SKIPPED", "opted_out"],
      ["PUSH", "SKIPPED", "opted_out"],
    ]);
    expect(rows.filter((r) => r.notification_type === "PAYMENT_SUCCESS").map((r) => r.status).sort()).toEqual(["DELIVERED", "SENT"]);
    const emails = await emailsTo(user.email);
    expect(emails.map((e) => e.subject)).toEqual(["Votre code de vérification", "Paiement confirmé"]);
    expect(emails[1]!.text!.replace(/\s/g, " ")).toContain("60.000 TND");
    expect(await pushesTo(device.token)).toHaveLength(1);
  });

  it("holds push for quiet hours, and the cron sends it when they end", async () => {
    const user = await registerUser();
    const device = await registerDevice(user);
    // Quiet hours around now, whenever the test runs (across midnight too).
    const now = Date.now();
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const quiet = { start: hhmm(now - 60_000), end: hhmm(now + 3 * 60_000) };
    expect((await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { time_zone: "UTC", quiet_hours: quiet } })).status).toBe(200);
    expect((await follow(await registerUser(), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    const push = (await deliveriesOf({ user_id: user.id })).find((r) => r.channel === "PUSH")!;
    expect(push.status).toBe("SCHEDULED");
    expect(Date.parse(push.send_after!)).toBeGreaterThan(Date.now());
    expect((await deliveriesOf({ user_id: user.id })).find((r) => r.channel === "IN_APP")!.status).toBe("DELIVERED"); // the inbox does not buzz
    expect(await pushesTo(device.token)).toHaveLength(0);

    // Time passes: the quiet hours are over (moved away from now) and the delivery is due. The cron queues it, the consumer sends it.
    const later = { start: hhmm(now + 10 * 60_000), end: hhmm(now + 11 * 60_000) };
    expect((await api("PUT", "/v1/me/notification-preferences", { token: user.token, body: { quiet_hours: later } })).status).toBe(200);
    await db().update(message_deliveries).set({ send_after: new Date(Date.now() - 1000).toISOString() }).where(eq(message_deliveries.id, push.id));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController(), env, ctx);
    await waitOnExecutionContext(ctx);
    await deliverPending({ ids: [push.id] });
    expect((await deliveriesOf({ user_id: user.id })).find((r) => r.id === push.id)!.status).toBe("SENT");
    expect(await pushesTo(device.token)).toHaveLength(1);
  });

  it("gathers DAILY items into one digest at the person's send time", async () => {
    const user = await registerUser();
    expect(
      (
        await api("PUT", "/v1/me/notification-preferences", {
          token: user.token,
          body: { time_zone: "Africa/Tunis", preferences: [{ notification_type: "NEW_FOLLOWER", channel: "IN_APP", frequency: "DAILY", send_time: "18:00" }] },
        })
      ).status,
    ).toBe(200);
    for (const name of ["Amine", "Sarra"]) expect((await follow(await registerUser({ first_name: name }), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    const held = (await deliveriesOf({ user_id: user.id })).filter((r) => r.notification_type === "NEW_FOLLOWER" && r.channel === "IN_APP");
    expect(held.map((r) => r.status)).toEqual(["HELD", "HELD"]);
    expect((await api("GET", "/v1/me/notifications", { token: user.token })).body.data).toHaveLength(0);

    // 17:00 in Tunis: not yet. 18:05: the digest is built once, whatever how often the cron runs.
    expect(await runDigestsFor(user.id, new Date("2026-12-07T16:00:00Z"))).toBe(0);
    expect(await runDigestsFor(user.id, new Date("2026-12-07T17:05:00Z"))).toBe(1);
    expect(await runDigestsFor(user.id, new Date("2026-12-07T17:10:00Z"))).toBe(0);
    await deliverPending({ user_id: user.id });
    const inbox = (await api("GET", "/v1/me/notifications", { token: user.token })).body.data;
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ notification_type: "DIGEST", title: "Votre résumé SpotVibe" });
    expect(inbox[0].message).toContain("Amine Test vous suit désormais.");
    expect(inbox[0].message).toContain("Sarra Test vous suit désormais.");
    const after = (await deliveriesOf({ user_id: user.id })).filter((r) => r.notification_type === "NEW_FOLLOWER" && r.channel === "IN_APP");
    expect(after.map((r) => r.status)).toEqual(["DIGESTED", "DIGESTED"]);
  });
});

describe("weekly digests", () => {
  it("go out on Mondays at the send time, and a digest a run left unfinished is completed by the next", async () => {
    const user = await registerUser();
    await api("PUT", "/v1/me/notification-preferences", {
      token: user.token,
      body: { time_zone: "UTC", preferences: [{ notification_type: "NEW_FOLLOWER", channel: "IN_APP", frequency: "WEEKLY" }] },
    });
    expect((await follow(await registerUser({ first_name: "Lina" }), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    expect(await runDigestsFor(user.id, new Date("2026-12-06T09:00:00Z"))).toBe(0); // a Sunday
    expect(await runDigestsFor(user.id, new Date("2026-12-07T07:00:00Z"))).toBe(0); // Monday, before 08:00
    expect(await runDigestsFor(user.id, new Date("2026-12-07T08:30:00Z"))).toBe(1);
    await deliverPending({ user_id: user.id });
    const [digest] = (await api("GET", "/v1/me/notifications", { token: user.token })).body.data;
    expect(digest).toMatchObject({ notification_type: "DIGEST" });
    expect(digest.message).toContain("Lina Test vous suit désormais.");

    // A run stopped after taking the items: the digest waits unfinished; a later run completes it.
    expect((await follow(await registerUser({ first_name: "Omar" }), user)).status).toBeLessThan(300);
    await deliverPending({ user_id: user.id });
    const [held] = (await deliveriesOf({ user_id: user.id })).filter((r) => r.status === "HELD");
    const stuck = crypto.randomUUID();
    const old = new Date(Date.now() - 3600_000).toISOString();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO message_deliveries (id, dedupe_key, channel, recipient, user_id, notification_type, language, status, send_after, created_at) VALUES (?, ?, 'IN_APP', '', ?, 'DIGEST', 'fr', 'SCHEDULED', '9999-12-31T00:00:00.000Z', ?)",
      ).bind(stuck, `digest-stuck:${stuck}`, user.id, old),
      env.DB.prepare("UPDATE message_deliveries SET status = 'DIGESTED', digest_id = ? WHERE id = ?").bind(stuck, held!.id),
    ]);
    await runDigests(env, new Date("2026-12-08T10:00:00Z"));
    await deliverPending({ user_id: user.id });
    const inbox = (await api("GET", "/v1/me/notifications", { token: user.token })).body.data;
    expect(inbox.filter((n: { notification_type: string }) => n.notification_type === "DIGEST")).toHaveLength(2);
    expect(inbox.some((n: { message: string }) => n.message.includes("Omar Test vous suit désormais."))).toBe(true);
  });
});

/** Runs the digest job until it has nothing more for this user (other tests' held items may be due too). */
async function runDigestsFor(userId: string, at: Date): Promise<number> {
  const before = (await deliveriesOf({ user_id: userId })).filter((r) => r.notification_type === "DIGEST").length;
  await runDigests(env, at);
  return (await deliveriesOf({ user_id: userId })).filter((r) => r.notification_type === "DIGEST").length - before;
}

describe("one-click unsubscribe from marketing email", () => {
  it("is in every marketing email, switches that type of email off, and is refused when forged", async () => {
    const user = await registerUser();
    await notify(env, [{ type: "ANNOUNCEMENT", key: `news:${user.id}`, user_id: user.id, channels: ["EMAIL"], data: { title: "Nouvelle saison", message: "Les abonnements sont ouverts." } }]);
    await deliverPending({ user_id: user.id });
    const email = (await emailsTo(user.email)).find((e) => e.subject === "Nouvelle saison")!;
    expect(email.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const link = /^<(.+)>$/.exec(email.headers["List-Unsubscribe"]!)![1]!;
    expect(email.html).toContain(link.replace(/&/g, "&amp;"));
    const url = new URL(link);
    const done = await api("POST", url.pathname + url.search, { body: "List-Unsubscribe=One-Click", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ unsubscribed: true, notification_type: "ANNOUNCEMENT", channel: "EMAIL" });
    const prefs = await api("GET", "/v1/me/notification-preferences", { token: user.token });
    expect(prefs.body.preferences).toContainEqual(expect.objectContaining({ notification_type: "ANNOUNCEMENT", channel: "EMAIL", enabled: false }));
    expectProblem(await api("GET", `/v1/notifications/unsubscribe?token=${url.searchParams.get("token")}x`), 400, "invalid_unsubscribe_link");
  });
});

describe("templates, edited by admins", () => {
  it("are seeded per type and language, edited with checked variables, and what is sent follows the edit", async () => {
    const admin = await registerAdmin();
    const list = await api("GET", "/v1/admin/notification-templates?notification_type=WELCOME", { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { language: string }) => t.language)).toEqual(["ar", "en", "fr"]);
    const fr = await api("GET", "/v1/admin/notification-templates/WELCOME/fr", { token: admin.token });
    expect(fr.body.available_variables).toEqual(["first_name"]);

    const bad = await api("PUT", "/v1/admin/notification-templates/WELCOME/fr", { token: admin.token, body: { email_subject: "Bienvenue {prenom}" } });
    expect(expectProblem(bad, 422).errors).toEqual([expect.objectContaining({ path: "email_subject", code: "unknown_variable" })]);
    const unsafe = await api("PUT", "/v1/admin/notification-templates/WELCOME/fr", { token: admin.token, body: { email_body_html: "<p>Hi</p><script>steal()</script>" } });
    expect(expectProblem(unsafe, 422).errors[0].code).toBe("unsafe_html");
    expectProblem(await api("PUT", "/v1/admin/notification-templates/WELCOME/fr", { token: admin.token, body: { sms_body: "x".repeat(161) } }), 422);
    expectProblem(await api("PUT", "/v1/admin/notification-templates/NOPE/fr", { token: admin.token, body: {} }), 422);

    const preview = await api("POST", "/v1/admin/notification-templates/WELCOME/fr/preview", { token: admin.token, body: { data: { first_name: "<b>Awa</b>" }, content: { email_subject: "Salut {first_name} !" } } });
    expect(preview.status).toBe(200);
    expect(preview.body.email.subject).toBe("Salut <b>Awa</b> !");
    expect(preview.body.email.html).toContain("&lt;b&gt;Awa&lt;/b&gt;");
    expectProblem(await api("POST", "/v1/admin/notification-templates/WELCOME/fr/preview", { token: admin.token, body: { data: { prenom: "x" } } }), 422);

    const edited = await api("PUT", "/v1/admin/notification-templates/WELCOME/fr", { token: admin.token, body: { email_subject: "Bienvenue chez nous, {first_name}" } });
    expect(edited.status).toBe(200);
    const user = await registerUser({ first_name: "Mariam" });
    await notify(env, [{ type: "WELCOME", key: `welcome-edit:${user.id}`, user_id: user.id, channels: ["EMAIL"] }]);
    await deliverPending({ user_id: user.id });
    expect((await emailsTo(user.email)).map((e) => e.subject)).toContain("Bienvenue chez nous, Mariam");
    const reset = await api("POST", "/v1/admin/notification-templates/WELCOME/fr/reset", { token: admin.token });
    expect(reset.body.email_subject).toBe("Bienvenue sur SpotVibe");

    const someone = await registerUser();
    expectProblem(await api("GET", "/v1/admin/notification-templates", { token: someone.token }), 403);
    expectProblem(await api("PUT", "/v1/admin/notification-templates/WELCOME/fr", { token: someone.token, body: { email_subject: "x" } }), 403);
  });

  it("refuses names that carry markup, so none reaches a message", async () => {
    const res = await api("POST", "/v1/auth/register", { body: { email: `m-${crypto.randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, first_name: "<script>x</script>", last_name: "T" }, ip: freshIp() });
    expect(expectProblem(res, 422).errors[0].path).toBe("first_name");
    const user = await registerUser();
    expectProblem(await api("PATCH", "/v1/me", { token: user.token, body: { last_name: "<img src=x>" } }), 422);
    expect(await runQueue("email-events", [{ type: "cf.email.sending.message.delivered", payload: {} }])).toMatchObject({ explicitAcks: [expect.any(String)] });
  });
});
