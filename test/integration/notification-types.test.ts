import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client.ts";
import { sendEventReminders } from "../../src/events/cron.ts";
import { notification_batches } from "../../src/notifications/schema.ts";
import { expireOrganizerSubscriptions } from "../../src/payments/organizer-subscriptions.ts";
import { api, freshIp, PASSWORD, publishEvent, registerAdmin, registerOrganizer, registerUser } from "../support/api.ts";
import { deliverPending, deliveriesOf, emailsTo, runCampaign } from "../support/notifications.ts";
import { orderRequest, ticketedEvent } from "../support/ticketing.ts";

const db = () => getDb(env.DB);
const inbox = async (user: { token: string }) => (await api("GET", "/v1/me/notifications", { token: user.token })).body.data as { notification_type: string; title: string; message: string; object_id: string | null }[];
const batchOf = async (key: string) => (await db().select().from(notification_batches).where(eq(notification_batches.dedupe_key, key)))[0];

describe("the types SpotVibe specifies and nothing produced before", () => {
  it("WELCOME: a new account is welcomed once its address is verified", async () => {
    const email = `w-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await api("POST", "/v1/auth/register", { body: { email, password: PASSWORD, first_name: "Nadia", last_name: "K" }, ip: freshIp() });
    await deliverPending({ recipient: email });
    const code = /\b(\d{6})\b/.exec((await emailsTo(email))[0]!.text!)![1]!;
    expect((await api("POST", "/v1/auth/email/verify", { token: registered.body.tokens.access_token, body: { code } })).status).toBe(200);
    await deliverPending({ user_id: registered.body.user.id });
    expect((await emailsTo(email)).map((e) => e.subject)).toEqual(["Votre code de vérification", "Bienvenue sur SpotVibe"]);
    expect((await inbox({ token: registered.body.tokens.access_token })).map((n) => n.notification_type)).toEqual(["WELCOME"]);
  });

  it("EVENT_CREATED: an organizer's followers hear of their newly approved event, dated on the event's clock", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const fan = await registerUser();
    const muted = await registerUser();
    expect((await api("POST", `/v1/users/${organizer.id}/follow`, { token: fan.token })).status).toBe(201);
    expect((await api("POST", `/v1/users/${organizer.id}/follow`, { token: muted.token, body: { notifications_enabled: false } })).status).toBe(201);
    const event = await publishEvent(organizer, admin, { title: "Nuit du Jazz", starts_at: "2027-03-06T19:30:00.000Z", ends_at: "2027-03-06T23:00:00.000Z", timezone: "Africa/Tunis" });
    await deliverPending({ user_id: fan.id });
    const [news] = (await inbox(fan)).filter((n) => n.notification_type === "EVENT_CREATED");
    expect(news).toMatchObject({ title: "Nouvel événement de Awa Test", object_id: event.id });
    expect(news!.message).toBe("Awa Test publie « Nuit du Jazz », le samedi 6 mars 2027 à 20:30.");
    await deliverPending({ user_id: muted.id });
    expect((await inbox(muted)).filter((n) => n.notification_type === "EVENT_CREATED")).toHaveLength(0);
  });

  it("FOLLOW_EVENT: someone's followers hear that they are going, once", async () => {
    const admin = await registerAdmin();
    const organizer = await registerOrganizer({ plan: null });
    const event = await publishEvent(organizer, admin, { title: "Festival de Ouidah" });
    const goer = await registerUser({ first_name: "Koffi" });
    const friend = await registerUser();
    expect((await api("POST", `/v1/users/${goer.id}/follow`, { token: friend.token })).status).toBe(201);
    for (const status of ["GOING", "INTERESTED", "GOING"]) {
      expect((await api("PUT", `/v1/events/${event.id}/participation`, { token: goer.token, body: { status } })).status).toBe(200);
    }
    await deliverPending({ user_id: friend.id });
    const told = (await inbox(friend)).filter((n) => n.notification_type === "FOLLOW_EVENT");
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ title: "Koffi Test participe à un événement", object_id: event.id });
  });

  it("EVENT_REMINDER: ticket holders and GOING participants are reminded 24 h before the doors, once, and not those only interested", async () => {
    const fixture = await ticketedEvent({ startsInMs: 20 * 3600_000 }); // doors in 18 h
    const holder = await registerUser();
    const going = await registerUser();
    const curious = await registerUser();
    const hold = await fixture.stub.placeOrder(orderRequest(fixture, holder.id, 1));
    if (!hold.ok) throw new Error(hold.problem.code);
    if (!(await fixture.stub.confirmOrder({ order_id: hold.order.id, payment_id: null, confirmed_by: null })).ok) throw new Error("confirm");
    await fixture.stub.flushProjection();
    expect((await api("PUT", `/v1/events/${fixture.eventId}/participation`, { token: going.token, body: { status: "GOING" } })).status).toBe(200);
    expect((await api("PUT", `/v1/events/${fixture.eventId}/participation`, { token: curious.token, body: { status: "INTERESTED" } })).status).toBe(200);

    expect(await sendEventReminders(env)).toBeGreaterThanOrEqual(1);
    const campaign = await batchOf(`event-reminder:24h:${fixture.eventId}`);
    expect(campaign).toBeDefined();
    expect(await batchOf(`event-reminder:2h:${fixture.eventId}`)).toBeUndefined();
    await sendEventReminders(env); // the cron again: nothing new for this event
    expect((await db().select().from(notification_batches).where(eq(notification_batches.dedupe_key, `event-reminder:24h:${fixture.eventId}`)))).toHaveLength(1);
    await runCampaign(campaign!.id);

    for (const person of [holder, going]) {
      const [reminder] = (await inbox(person)).filter((n) => n.notification_type === "EVENT_REMINDER");
      expect(reminder).toMatchObject({ title: "Rappel : Derby", object_id: fixture.eventId });
      expect(reminder!.message).toContain("les portes ouvrent le");
    }
    expect((await inbox(curious)).filter((n) => n.notification_type === "EVENT_REMINDER")).toHaveLength(0);
    const [done] = await db().select().from(notification_batches).where(eq(notification_batches.id, campaign!.id));
    expect(done).toMatchObject({ status: "COMPLETED", recipient_count: 2 });
  });

  it("EVENT_REMINDER: an event whose doors open within two hours gets only the 2-hour reminder", async () => {
    const fixture = await ticketedEvent({ startsInMs: 3 * 3600_000 }); // doors in 1 h
    await sendEventReminders(env);
    expect(await batchOf(`event-reminder:2h:${fixture.eventId}`)).toBeDefined();
    expect(await batchOf(`event-reminder:24h:${fixture.eventId}`)).toBeUndefined();
  });

  it("SUBSCRIPTION_EXPIRED: an organizer is told when their plan expires, once", async () => {
    const organizer = await registerOrganizer({ plan: 3 });
    const ended = new Date(Date.now() - 60_000).toISOString();
    await env.DB.prepare("UPDATE organizer_subscriptions SET ends_at = ? WHERE user_id = ?").bind(ended, organizer.id).run();
    expect(await expireOrganizerSubscriptions(env)).toBeGreaterThanOrEqual(1);
    expect(await expireOrganizerSubscriptions(env)).toBe(0);
    await deliverPending({ user_id: organizer.id });
    const rows = (await deliveriesOf({ user_id: organizer.id })).filter((r) => r.notification_type === "SUBSCRIPTION_EXPIRED");
    expect(rows.map((r) => r.channel).sort()).toEqual(["EMAIL", "IN_APP"]);
    const [message] = (await inbox(organizer)).filter((n) => n.notification_type === "SUBSCRIPTION_EXPIRED");
    expect(message!.title).toBe("Votre abonnement a expiré");
  });

  it("SYSTEM_MAINTENANCE: a maintenance window is announced to everyone, on each reader's clock", async () => {
    const admin = await registerAdmin();
    const tunis = await registerUser();
    expect((await api("PUT", "/v1/me/notification-preferences", { token: tunis.token, body: { time_zone: "Africa/Tunis" } })).status).toBe(200);
    const created = await api("POST", "/v1/admin/system-statuses", {
      token: admin.token,
      body: { title: "Mise à jour", description: "Le paiement sera indisponible.", status: "MAINTENANCE", starts_at: "2027-01-10T01:00:00Z", expected_end_at: "2027-01-10T02:00:00Z" },
    });
    expect(created.status).toBe(201);
    const campaign = await batchOf(`maintenance:${created.body.id}`);
    expect(campaign).toMatchObject({ notification_type: "SYSTEM_MAINTENANCE", created_by: null });
    await runCampaign(campaign!.id);
    const [notice] = (await inbox(tunis)).filter((n) => n.notification_type === "SYSTEM_MAINTENANCE");
    expect(notice!.title).toBe("Maintenance : Mise à jour");
    expect(notice!.message).toBe("Le paiement sera indisponible. Du dimanche 10 janvier 2027 à 02:00 au dimanche 10 janvier 2027 à 03:00.");
    const [adminNotice] = (await inbox(admin)).filter((n) => n.notification_type === "SYSTEM_MAINTENANCE");
    expect(adminNotice!.message).toContain("à 02:00"); // the default clock, Porto-Novo, is UTC+1 as well
    const counted = (await db().select().from(notification_batches).where(and(eq(notification_batches.id, campaign!.id))))[0]!;
    expect(counted.status).toBe("COMPLETED");
    expect(counted.recipient_count).toBeGreaterThanOrEqual(2);
  });
});
