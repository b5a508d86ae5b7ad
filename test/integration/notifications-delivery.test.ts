import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { notify } from "../../src/notifications/service.ts";
import { message_deliveries, notification_suppressions, push_tokens } from "../../src/notifications/schema.ts";
import { dead_letters } from "../../src/site/schema.ts";
import { api, expectProblem, freshIp, login, PASSWORD, registerAdmin, registerUser } from "../support/api.ts";
import { deliverPending, deliveriesOf, emailsTo, fakeNotifications, pendingDeliveries, pushesTo, runNotifications, runQueue, smsTo } from "../support/notifications.ts";

const db = () => getDb(env.DB);
const rowsOf = async (id: string) => (await db().select().from(message_deliveries).where(eq(message_deliveries.id, id)))[0]!;
const uniqueEmail = () => `n-${crypto.randomUUID().slice(0, 8)}@example.com`;
const uniquePhone = () => `+22901${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

/** A device registered for push by `user`, with a fresh FCM-like token. */
async function registerDevice(user: { token: string }) {
  const token = `fcm-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const res = await api("POST", "/v1/me/push-tokens", { token: user.token, body: { token, platform: "ANDROID", app_version: "2.4.0", language: "fr" } });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, token };
}

describe("email through Cloudflare Email Service", () => {
  it("sends the sign-up code: the consumer renders it, the provider takes it, the code signs the address in", async () => {
    const email = uniqueEmail();
    const registered = await api("POST", "/v1/auth/register", { body: { email, password: PASSWORD, first_name: "Fatou", last_name: "Diallo" }, ip: freshIp() });
    expect(registered.status).toBe(201);
    // The producer recorded it before queueing it: one PENDING delivery, nothing sent yet.
    const [waiting] = await pendingDeliveries({ recipient: email });
    expect(waiting).toBeDefined();
    expect(await emailsTo(email)).toHaveLength(0);

    const [result] = await deliverPending({ recipient: email });
    expect(result!.explicitAcks).toHaveLength(1);
    expect(result!.retryMessages).toHaveLength(0);

    const [received] = await emailsTo(email);
    expect(received!.subject).toBe("Votre code de vérification");
    const code = /\b(\d{6})\b/.exec(received!.text!)![1]!;
    expect(received!.html).toContain(code);
    expect(received!.html).toContain('dir="ltr"');
    expect(received!.headers["List-Unsubscribe"]).toBeUndefined(); // a code is not marketing

    const row = await rowsOf(waiting!);
    expect(row).toMatchObject({ status: "DELIVERED", provider: "cloudflare-email", provider_message_id: received!.id, channel: "EMAIL", attempts: 1 });
    const verified = await api("POST", "/v1/auth/email/verify", { token: registered.body.tokens.access_token, body: { code } });
    expect(verified.status).toBe(200);
  });

  it("lays Arabic email out right to left, with a plain-text alternative", async () => {
    const email = uniqueEmail();
    const registered = await api("POST", "/v1/auth/register", { body: { email, password: PASSWORD, first_name: "Karim", last_name: "Ben Ali", language: "ar" }, ip: freshIp() });
    expect(registered.status).toBe(201);
    await deliverPending({ recipient: email });
    const [received] = await emailsTo(email);
    expect(received!.subject).toBe("رمز التحقق الخاص بك");
    expect(received!.html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(received!.html).toContain('<body dir="rtl"');
    expect(received!.text).toContain("مرحبًا Karim");
  });

  it("records a permanent bounce, suppresses the address, and sends nothing more to it (codes included)", async () => {
    const email = uniqueEmail();
    await fakeNotifications("POST", "/_control/email/bounce", { address: email });
    const user = await registerUser({ email });
    await deliverPending({ recipient: email });
    const [first] = await deliveriesOf({ recipient: email });
    expect(first).toMatchObject({ status: "BOUNCED", channel: "EMAIL" });
    const [suppressed] = await db().select().from(notification_suppressions).where(and(eq(notification_suppressions.channel, "EMAIL"), eq(notification_suppressions.address, email)));
    expect(suppressed!.reason).toBe("HARD_BOUNCE");

    // A transactional message later (a new code) is not sent to an address known not to work.
    expect((await api("POST", "/v1/auth/email/resend", { token: user.token })).status).toBe(202);
    await deliverPending({ recipient: email });
    const rows = await deliveriesOf({ recipient: email });
    expect(rows.at(-1)).toMatchObject({ status: "SKIPPED", error: "address_suppressed" });
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it("applies Email Sending events from the email-events queue: delivered, then a later hard bounce", async () => {
    const email = uniqueEmail();
    await registerUser({ email });
    await deliverPending({ recipient: email });
    const [row] = await deliveriesOf({ recipient: email });
    expect(row!.status).toBe("DELIVERED");

    // Delivered immediately by the REST answer; a bounce reported later still moves it to BOUNCED once.
    const bounced = await fakeNotifications("POST", "/_control/email/event", { message_id: row!.provider_message_id, type: "bounced" });
    const result = await runQueue("email-events", [bounced, bounced]);
    expect(result.explicitAcks).toHaveLength(2);
    expect((await rowsOf(row!.id)).status).toBe("BOUNCED");
    const [suppressed] = await db().select().from(notification_suppressions).where(eq(notification_suppressions.address, email));
    expect(suppressed!.reason).toBe("HARD_BOUNCE");
    // A late "delivered" never undoes a bounce.
    await runQueue("email-events", [await fakeNotifications("POST", "/_control/email/event", { message_id: row!.provider_message_id, type: "delivered" })]);
    expect((await rowsOf(row!.id)).status).toBe("BOUNCED");
  });
});

describe("the delivery pipeline", () => {
  it("sends each delivery at most once, however often or concurrently its message comes", async () => {
    const email = uniqueEmail();
    await registerUser({ email });
    const ids = await pendingDeliveries({ recipient: email });
    const message = { kind: "deliver" as const, ids };
    const results = await Promise.all([runNotifications([message, message]), runNotifications([message]), runNotifications([message])]);
    for (const result of results) expect(result.retryMessages).toHaveLength(0);
    expect(await emailsTo(email)).toHaveLength(1);
    // And a producer called twice for the same fact records it once.
    const user = (await db().select().from(message_deliveries).where(eq(message_deliveries.id, ids[0]!)))[0]!;
    const again = await notify(env, [{ type: "WELCOME", key: `welcome-test:${user.user_id}`, user_id: user.user_id }]);
    const twice = await notify(env, [{ type: "WELCOME", key: `welcome-test:${user.user_id}`, user_id: user.user_id }]);
    expect(again.length).toBeGreaterThan(0);
    expect(twice).toHaveLength(0);
  });

  it("retries a provider's 429 and 500 with growing delays, then sends once", async () => {
    const email = uniqueEmail();
    await registerUser({ email });
    await fakeNotifications("POST", "/_control/email/fail", { count: 1, status: 429, match: email });
    await fakeNotifications("POST", "/_control/email/fail", { count: 1, status: 500, match: email });
    const ids = await pendingDeliveries({ recipient: email });

    // The queue's verdict says "retry"; the row says when (the delay given to the queue).
    const delayOf = (row: { send_after: string | null; updated_at: string }) => Math.round((Date.parse(row.send_after!) - Date.parse(row.updated_at)) / 1000);
    const first = await runNotifications([{ kind: "deliver", ids }], 1);
    expect(first.retryMessages).toHaveLength(1);
    const afterFirst = await rowsOf(ids[0]!);
    expect(afterFirst).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(afterFirst.error).toContain("429");
    expect(delayOf(afterFirst)).toBe(1); // 1 s base, and the provider's Retry-After: 1

    const second = await runNotifications([{ kind: "deliver", ids }], 2);
    expect(second.retryMessages).toHaveLength(1);
    const afterSecond = await rowsOf(ids[0]!);
    expect(afterSecond.error).toContain("500");
    expect(delayOf(afterSecond)).toBe(2); // doubled at the second attempt

    const third = await runNotifications([{ kind: "deliver", ids }], 3);
    expect(third.explicitAcks).toHaveLength(1);
    expect(await rowsOf(ids[0]!)).toMatchObject({ status: "DELIVERED", attempts: 3 });
    expect(await emailsTo(email)).toHaveLength(1);
  });

  it("dead-letters what keeps failing, and an admin's replay sends it (once)", async () => {
    const email = uniqueEmail();
    await registerUser({ email });
    await fakeNotifications("POST", "/_control/email/fail", { count: 1, status: 503, match: email });
    const ids = await pendingDeliveries({ recipient: email });
    const body = { kind: "deliver" as const, ids };
    expect((await runNotifications([body], 6)).retryMessages).toHaveLength(1);
    // The queue gave up after its last retry: the message reaches notifications-dlq.
    expect((await runQueue("notifications-dlq", [body])).explicitAcks).toHaveLength(1);
    expect(await rowsOf(ids[0]!)).toMatchObject({ status: "FAILED" });
    expect((await rowsOf(ids[0]!)).dead_lettered_at).not.toBeNull();
    expect((await rowsOf(ids[0]!)).error).toMatch(/^dead-lettered after the last retry: .*503/);

    const admin = await registerAdmin();
    const letters = await api("GET", "/v1/admin/dead-letters?queue=notifications&replayed=false", { token: admin.token });
    const letter = letters.body.data.find((d: { body: { ids?: string[] } }) => d.body.ids?.[0] === ids[0]);
    expect(letter).toBeDefined();
    expect((await api("POST", `/v1/admin/dead-letters/${letter.id}/replay`, { token: admin.token })).status).toBe(200);
    // The replay puts the same body back on the queue; the consumer takes the dead-lettered delivery again.
    await runNotifications([letter.body]);
    await runNotifications([letter.body]);
    expect(await rowsOf(ids[0]!)).toMatchObject({ status: "DELIVERED", dead_lettered_at: null });
    expect(await emailsTo(email)).toHaveLength(1);
    const [recorded] = await db().select().from(dead_letters).where(eq(dead_letters.id, letter.id));
    expect(recorded!.replayed_at).not.toBeNull();
  });

  it("lets an admin resend a FAILED delivery, and only a FAILED one", async () => {
    const email = uniqueEmail();
    await registerUser({ email });
    const [id] = await pendingDeliveries({ recipient: email });
    await db().update(message_deliveries).set({ status: "FAILED", error: "outcome unknown" }).where(eq(message_deliveries.id, id!));
    const admin = await registerAdmin();
    const user = await registerUser();
    expectProblem(await api("POST", `/v1/admin/message-deliveries/${id}/resend`, { token: user.token }), 403);
    const resent = await api("POST", `/v1/admin/message-deliveries/${id}/resend`, { token: admin.token });
    expect(resent.status).toBe(200);
    expect(resent.body.status).toBe("PENDING");
    await deliverPending({ ids: [id!] });
    expect((await rowsOf(id!)).status).toBe("DELIVERED");
    expectProblem(await api("POST", `/v1/admin/message-deliveries/${id}/resend`, { token: admin.token }), 409, "delivery_not_failed");
    expectProblem(await api("POST", `/v1/admin/message-deliveries/nope/resend`, { token: admin.token }), 404);
    const listed = await api("GET", `/v1/admin/message-deliveries?status=DELIVERED&channel=EMAIL`, { token: admin.token });
    expect(listed.status).toBe(200);
    expect(listed.body.data.some((d: { id: string }) => d.id === id)).toBe(true);
  });
});

describe("SMS through Twilio", () => {
  it("sends 2FA codes by SMS from the country's sender ID, and the code signs in", async () => {
    const phone = uniquePhone();
    const user = await registerUser({ phone });
    const setup = await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "SMS" } });
    expect(setup.status).toBe(201);
    await deliverPending({ recipient: phone });
    const [setupSms] = await smsTo(phone);
    expect(setupSms!.from).toBe("SpotVibe");
    const setupCode = /\b(\d{6})\b/.exec(setupSms!.body)![1]!;
    expect((await api("POST", "/v1/auth/2fa/enable", { token: user.token, body: { challenge_id: setup.body.challenge_id, code: setupCode } })).status).toBe(200);

    const first = await login(user.email);
    expect(first.body).toMatchObject({ mfa_required: true, method: "SMS" });
    await deliverPending({ recipient: phone });
    const messages = await smsTo(phone);
    expect(messages).toHaveLength(2);
    const code = /\b(\d{6})\b/.exec(messages[1]!.body)![1]!;
    const done = await api("POST", "/v1/auth/login/2fa", { body: { mfa_token: first.body.mfa_token, code } });
    expect(done.status).toBe(200);
    const [row] = (await deliveriesOf({ recipient: phone })).slice(-1);
    expect(row).toMatchObject({ status: "SENT", provider: "twilio", provider_message_id: messages[1]!.sid });
  });

  it("applies Twilio's signed status callbacks to the delivery, and refuses a forged one", async () => {
    const phone = uniquePhone();
    const user = await registerUser({ phone });
    await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "SMS" } });
    await deliverPending({ recipient: phone });
    const [sms] = await smsTo(phone);
    const { callback } = await fakeNotifications("POST", "/_control/sms/status", { sid: sms!.sid, status: "delivered" });
    expect(callback.url).toBe("https://api.test/v1/webhooks/sms/twilio/status");
    const forged = await api("POST", "/v1/webhooks/sms/twilio/status", { rawBody: callback.body.replace("delivered", "failed"), headers: callback.headers });
    expectProblem(forged, 403, "webhook_bad_signature");
    const unsigned = await api("POST", "/v1/webhooks/sms/twilio/status", { rawBody: callback.body, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expectProblem(unsigned, 403, "webhook_bad_signature");
    const applied = await api("POST", "/v1/webhooks/sms/twilio/status", { rawBody: callback.body, headers: callback.headers });
    expect(applied.status).toBe(204);
    const [row] = await deliveriesOf({ recipient: phone });
    expect(row).toMatchObject({ status: "DELIVERED" });
    expect(row!.delivered_at).not.toBeNull();
  });

  it("suppresses a number Twilio says is not a mobile", async () => {
    const phone = uniquePhone();
    await fakeNotifications("POST", "/_control/sms/refuse", { number: phone, code: 21614 });
    const user = await registerUser({ phone });
    await api("POST", "/v1/auth/2fa/setup", { token: user.token, body: { method: "SMS" } });
    await deliverPending({ recipient: phone });
    const [row] = await deliveriesOf({ recipient: phone });
    expect(row).toMatchObject({ status: "BOUNCED" });
    expect(row!.error).toContain("21614");
    const [suppressed] = await db().select().from(notification_suppressions).where(and(eq(notification_suppressions.channel, "SMS"), eq(notification_suppressions.address, phone)));
    expect(suppressed!.reason).toBe("INVALID_ADDRESS");
  });
});

describe("push through FCM HTTP v1", () => {
  it("sends to every registered device, caching Google's access token", async () => {
    const user = await registerUser();
    const phone = await registerDevice(user);
    const tablet = await registerDevice(user);
    const follower = await registerUser({ first_name: "Awa" });
    expect((await api("POST", `/v1/users/${user.id}/follow`, { token: follower.token })).status).toBeLessThan(300);
    const before = await fakeNotifications("GET", "/_control/stats");
    await deliverPending({ user_id: user.id });
    const [onPhone] = await pushesTo(phone.token);
    const [onTablet] = await pushesTo(tablet.token);
    expect(onPhone).toMatchObject({ title: "Nouvel abonné", body: "Awa Test vous suit désormais." });
    expect(onPhone!.data).toMatchObject({ type: "NEW_FOLLOWER", object_type: "user", object_id: follower.id });
    expect(onTablet).toBeDefined();
    const row = (await deliveriesOf({ user_id: user.id })).find((r) => r.channel === "PUSH")!;
    expect(row).toMatchObject({ status: "SENT", provider: "fcm" });
    expect(row.provider_message_id!.split(" ")).toHaveLength(2);
    const after = await fakeNotifications("GET", "/_control/stats");
    expect(after.push.token_calls - before.push.token_calls).toBeLessThanOrEqual(1);
  });

  it("prunes a token FCM answers UNREGISTERED or INVALID_ARGUMENT at once, and still reaches the other device", async () => {
    const user = await registerUser();
    const gone = await registerDevice(user);
    const invalid = await registerDevice(user);
    const live = await registerDevice(user);
    await fakeNotifications("POST", "/_control/push/forget", { token: gone.token, code: "UNREGISTERED" });
    await fakeNotifications("POST", "/_control/push/forget", { token: invalid.token, code: "INVALID_ARGUMENT" });
    await notify(env, [{ type: "SYSTEM_MAINTENANCE", key: `maintenance-test:${user.id}`, user_id: user.id, channels: ["PUSH"], data: { title: "Mise à jour", message: "Courte coupure.", starts_at: "demain", ends_at: "ce soir" } }]);
    await deliverPending({ user_id: user.id });
    const tokens = await db().select().from(push_tokens).where(eq(push_tokens.user_id, user.id));
    expect(tokens.map((t) => t.id)).toEqual([live.id]);
    expect(tokens[0]!.sent_count).toBe(1);
    expect(await pushesTo(live.token)).toHaveLength(1);
    const row = (await deliveriesOf({ user_id: user.id })).find((r) => r.channel === "PUSH")!;
    expect(row.status).toBe("SENT");
  });

  it("fails a push whose every device is gone, and skips one to a person with no device", async () => {
    const user = await registerUser();
    const gone = await registerDevice(user);
    await fakeNotifications("POST", "/_control/push/forget", { token: gone.token, code: "UNREGISTERED" });
    await notify(env, [{ type: "SYSTEM_MAINTENANCE", key: `maintenance-gone:${user.id}`, user_id: user.id, channels: ["PUSH"], data: { title: "t", message: "m", starts_at: "a", ends_at: "b" } }]);
    await deliverPending({ user_id: user.id });
    expect((await deliveriesOf({ user_id: user.id })).find((r) => r.channel === "PUSH")).toMatchObject({ status: "FAILED" });
    await notify(env, [{ type: "SYSTEM_MAINTENANCE", key: `maintenance-none:${user.id}`, user_id: user.id, channels: ["PUSH"], data: { title: "t", message: "m", starts_at: "a", ends_at: "b" } }]);
    await deliverPending({ user_id: user.id });
    expect((await deliveriesOf({ user_id: user.id })).filter((r) => r.channel === "PUSH").at(-1)).toMatchObject({ status: "SKIPPED", error: "no_device" });
  });

  it("retries a device FCM could not take without pushing twice to the one that took it", async () => {
    const user = await registerUser();
    const first = await registerDevice(user);
    const second = await registerDevice(user);
    await fakeNotifications("POST", "/_control/push/fail", { count: 1, status: 503, match: second.token });
    const [id] = await notify(env, [{ type: "SYSTEM_MAINTENANCE", key: `maintenance-retry:${user.id}`, user_id: user.id, channels: ["PUSH"], data: { title: "t", message: "m", starts_at: "a", ends_at: "b" } }]);
    const retried = await runNotifications([{ kind: "deliver", ids: [id!] }]);
    expect(retried.retryMessages).toHaveLength(1);
    expect(await rowsOf(id!)).toMatchObject({ status: "PENDING" });
    await runNotifications([{ kind: "deliver", ids: [id!] }], 2);
    expect(await rowsOf(id!)).toMatchObject({ status: "SENT" });
    expect(await pushesTo(first.token)).toHaveLength(1);
    expect(await pushesTo(second.token)).toHaveLength(1);
  });

  it("gets a new access token when Google revoked the cached one", async () => {
    const user = await registerUser();
    const device = await registerDevice(user);
    await fakeNotifications("POST", "/_control/google/expire-tokens");
    await notify(env, [{ type: "SYSTEM_MAINTENANCE", key: `maintenance-expired:${user.id}`, user_id: user.id, channels: ["PUSH"], data: { title: "t", message: "m", starts_at: "a", ends_at: "b" } }]);
    await deliverPending({ user_id: user.id });
    expect(await pushesTo(device.token)).toHaveLength(1);
  });
});
