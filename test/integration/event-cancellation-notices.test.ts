import { env } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../../src/db/client.ts";
import { events } from "../../src/events/schema.ts";
import { eventCancelled } from "../../src/events/hooks.ts";
import { formatMoney } from "../../src/lib/money.ts";
import { recipientsPerStep } from "../../src/notifications/campaigns.ts";
import { message_deliveries } from "../../src/notifications/schema.ts";
import { TYPE_RULES } from "../../src/notifications/types.ts";
import { api, buyAndPay, eventually, freshIp, registerAdmin, registerOrganizer, registerUser, sellingEvent } from "../support/api.ts";
import { deliverPending, emailsTo, runNotifications } from "../support/notifications.ts";
import { createUsers, giveFixture, ticketedEvent } from "../support/ticketing.ts";

/** Every delivery of a cancelled event's holder messages (key `event-cancelled:{event_id}`). */
const noticesOf = (eventId: string) =>
  getDb(env.DB)
    .select()
    .from(message_deliveries)
    .where(eq(message_deliveries.dedupe_key, `event-cancelled:${eventId}`));

const cancelledEmails = async (address: string) => (await emailsTo(address)).filter((e) => /annulé|cancelled|إلغاء/i.test(e.subject));

describe("telling a cancelled event's holders", () => {
  it("tells the paying buyer, a free order's holder, a grant's holder and a pass holder once each, in their language, and a retried cancellation sends nothing again", async () => {
    const organizer = await registerOrganizer({ plan: null });
    const admin = await registerAdmin();
    const event = await sellingEvent(organizer, admin, { price: 12_500, currency: "TND" });
    const [buyer, freeHolder, grantee, subscriber] = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser()]);
    await env.DB.batch([
      env.DB.prepare("UPDATE users SET language = 'en' WHERE id = ?").bind(grantee.id),
      env.DB.prepare("UPDATE users SET language = 'ar' WHERE id = ?").bind(subscriber.id),
    ]);

    // A paid order of two tickets (25.000 TND), a free order of another configuration, a grant and a season-pass right.
    const { payment } = await buyAndPay(buyer, event, { quantity: 2 });
    expect(payment).toMatchObject({ amount: 25_000, currency: "TND", status: "PAID" });
    const freeType = await api("POST", "/v1/ticket-types", {
      token: organizer.token,
      body: { code: `INV-${crypto.randomUUID().slice(0, 6).toUpperCase()}`, name: "Invitation", base_price: 0, currency: "TND", default_zone_category: "STANDARD" },
    });
    expect(freeType.status).toBe(201);
    const freeConfig = await api("POST", `/v1/events/${event.eventId}/ticket-configs`, { token: organizer.token, body: { ticket_type_id: freeType.body.id, price: 0, quantity_total: 10 } });
    expect(freeConfig.status).toBe(201);
    const free = await api("POST", `/v1/events/${event.eventId}/orders`, { token: freeHolder.token, body: { config_id: freeConfig.body.id, quantity: 1 }, ip: freshIp() });
    expect(free.status).toBe(201);
    expect(free.body.booking_status).toBe("CONFIRMED");
    const stub = eventStub(env, event.eventId);
    const grant = await stub.issueRights({ source_type: "COMP", source_id: crypto.randomUUID(), holders: [{ user_id: grantee.id, zone_id: null, seat_id: null }], config_id: null, created_by: organizer.id });
    const pass = await stub.issueRights({ source_type: "SUBSCRIPTION", source_id: crypto.randomUUID(), holders: [{ user_id: subscriber.id, zone_id: null, seat_id: null }], config_id: null, created_by: null });
    expect(grant.ok && pass.ok).toBe(true);
    await stub.flushProjection();

    const cancelled = await api("POST", `/v1/events/${event.eventId}/cancel`, { token: organizer.token, body: { reason: "Stade fermé" } });
    expect(cancelled.status).toBe(200);

    // Small audience: the request itself recorded one message per holder and channel, keyed on the event.
    const notices = await noticesOf(event.eventId);
    const typeOf = (userId: string) => [...new Set(notices.filter((d) => d.user_id === userId).map((d) => d.notification_type))];
    expect(typeOf(buyer.id)).toEqual(["EVENT_CANCELLED_BUYER"]);
    expect(typeOf(freeHolder.id)).toEqual(["EVENT_CANCELLED_HOLDER"]);
    expect(typeOf(grantee.id)).toEqual(["EVENT_CANCELLED_HOLDER"]);
    expect(typeOf(subscriber.id)).toEqual(["EVENT_CANCELLED_PASS"]);
    for (const person of [buyer, freeHolder, grantee, subscriber]) {
      expect(notices.filter((d) => d.user_id === person.id).map((d) => d.channel).sort()).toEqual(["EMAIL", "IN_APP", "PUSH"]);
    }
    // Nobody else: the organizer who cancelled holds nothing.
    expect(new Set(notices.map((d) => d.user_id))).toEqual(new Set([buyer.id, freeHolder.id, grantee.id, subscriber.id]));

    await deliverPending();
    const received = await Promise.all([buyer, freeHolder, grantee, subscriber].map((p) => cancelledEmails(p.email)));
    expect(received.map((e) => e.length)).toEqual([1, 1, 1, 1]);
    const [toBuyer, toFree, toGrantee, toSubscriber] = received as [typeof received[0], typeof received[0], typeof received[0], typeof received[0]];
    const title = (await getDb(env.DB).select({ title: events.title }).from(events).where(eq(events.id, event.eventId)))[0]!.title;
    // The buyer: the amount in TND (three decimals, from minor units) goes back to their payment method.
    expect(toBuyer[0]!.subject).toBe(`Événement annulé : ${title}`);
    expect(toBuyer[0]!.text).toContain("est annulé : Stade fermé. Vos billets ne sont plus valables.");
    expect(toBuyer[0]!.text).toContain(`Les ${formatMoney(25_000, "TND", "fr")} que vous avez payés vous sont remboursés sur le moyen de paiement utilisé`);
    expect(formatMoney(25_000, "TND", "fr")).toMatch(/^25\.000\sTND$/);
    expect(toBuyer[0]!.text).not.toContain("25000");
    // Free order and grant: nothing was charged; the grantee reads English.
    expect(toFree[0]!.text).toContain("Vos billets ne sont plus valables. Rien ne vous a été prélevé pour eux : il n'y a rien à rembourser.");
    expect(toGrantee[0]!.subject).toBe(`Event cancelled: ${title}`);
    expect(toGrantee[0]!.text).toContain("is cancelled: Stade fermé. Your tickets no longer work. Nothing was charged to you for them, so there is nothing to refund.");
    // The pass holder, in Arabic, right to left: the pass stays valid for its other events, this one is neither charged nor refunded.
    expect(toSubscriber[0]!.subject).toBe(`تم إلغاء الفعالية: ${title}`);
    expect(toSubscriber[0]!.html).toContain('dir="rtl"');
    expect(toSubscriber[0]!.text).toContain("ويبقى اشتراكك صالحًا لفعالياته الأخرى");

    // Retried: the whole cancellation reaction runs again, and a queued step for the event arrives; nothing is recorded or sent twice.
    const [row] = await getDb(env.DB).select().from(events).where(eq(events.id, event.eventId));
    await eventCancelled.emit({ env, event: row! });
    await runNotifications([{ kind: "event_cancelled", event_id: event.eventId, after: "" }]);
    expect(await noticesOf(event.eventId)).toHaveLength(notices.length);
    await deliverPending();
    for (const person of [buyer, freeHolder, grantee, subscriber]) expect(await cancelledEmails(person.email)).toHaveLength(1);
    // The refund itself still happens once, and is confirmed by its own message.
    await eventually(async () => (await api("GET", `/v1/payments/${payment.id}`, { token: buyer.token })).body.status === "REFUNDED", "payment refunded");
    expect((await api("GET", "/v1/me/refunds", { token: buyer.token })).body.data).toHaveLength(1);
  });

  it("tells a stadium-sized audience in paced steps on the queue, not inside the cancelling request, each holder once", async () => {
    const fixture = await ticketedEvent({ quantity: 10, price: 0 });
    const organizer = await registerOrganizer({ plan: null });
    await giveFixture(fixture, organizer.organizationId, organizer.id);
    const holders = await createUsers(230);
    const issued = await fixture.stub.issueRights({
      source_type: "COMP",
      source_id: crypto.randomUUID(),
      holders: holders.map((user_id) => ({ user_id, zone_id: null, seat_id: null })),
      config_id: null,
      created_by: null,
    });
    expect(issued.ok).toBe(true);
    await fixture.stub.flushProjection();

    expect((await api("POST", `/v1/events/${fixture.eventId}/cancel`, { token: organizer.token, body: { reason: "Stade fermé" } })).status).toBe(200);
    // Over 200 people: the request queued the first step and recorded no message itself.
    expect(await noticesOf(fixture.eventId)).toHaveLength(0);

    // Each step tells as many people as a campaign releases per step (the slowest channel's rate), in user-id order.
    const perStep = recipientsPerStep(env, TYPE_RULES.EVENT_CANCELLED_HOLDER.channels);
    expect(perStep).toBeLessThan(holders.length);
    const told = async () => new Set((await noticesOf(fixture.eventId)).map((d) => d.user_id!));
    let after = "";
    const sizes: number[] = [];
    for (let step = 0; step < 10; step++) {
      const before = (await told()).size;
      await runNotifications([{ kind: "event_cancelled", event_id: fixture.eventId, after }]);
      const now = await told();
      sizes.push(now.size - before);
      if (now.size === before) break;
      after = [...now].sort().at(-1)!;
    }
    expect(sizes.slice(0, -1)).toEqual([perStep, perStep, holders.length - 2 * perStep]);
    expect(sizes.at(-1)).toBe(0);
    // Every holder once per channel; a repeated first step records nothing more.
    await runNotifications([{ kind: "event_cancelled", event_id: fixture.eventId, after: "" }]);
    const notices = await noticesOf(fixture.eventId);
    expect(notices).toHaveLength(holders.length * 3);
    expect(new Set(notices.map((d) => d.user_id))).toEqual(new Set(holders));
    expect(new Set(notices.map((d) => d.notification_type))).toEqual(new Set(["EVENT_CANCELLED_HOLDER"]));

    // The messages go out through the ordinary consumer.
    const sample = holders.slice(0, 2);
    for (const userId of sample) await deliverPending({ user_id: userId });
    for (const userId of sample) {
      const mail = await cancelledEmails(`${userId}@buyers.test`);
      expect(mail).toHaveLength(1);
      expect(mail[0]!.text).toContain("Rien ne vous a été prélevé");
    }
    const sent = await getDb(env.DB)
      .select()
      .from(message_deliveries)
      .where(and(eq(message_deliveries.dedupe_key, `event-cancelled:${fixture.eventId}`), eq(message_deliveries.channel, "EMAIL"), inArray(message_deliveries.status, ["SENT", "DELIVERED"])));
    expect(sent.map((d) => d.user_id).sort()).toEqual([...sample].sort());
  });
});
