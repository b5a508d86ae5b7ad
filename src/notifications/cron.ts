import { and, eq, lt, lte, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { newId } from "../lib/ids.ts";
import { addSeconds, localClock, now } from "../lib/time.ts";
import { startDueCampaigns } from "./campaigns.ts";
import { contentOf, templateRows } from "./content.ts";
import { DEFAULT_TIME_ZONE, inJson } from "./deliver.ts";
import { fillText } from "./render.ts";
import { message_deliveries, notification_preferences, notification_settings, type MessageData } from "./schema.ts";
import { enqueueDeliveries } from "./service.ts";

/** Rows one cron run moves per kind of work; the next run (five minutes later) takes the rest. */
const SWEEP_LIMIT = 500;
/** A PENDING delivery untouched this long lost its queue message (a failed send): it is queued again. */
const STALE_PENDING_SECONDS = 10 * 60;
/** The hour digests go out when the person set no send time. */
export const DEFAULT_DIGEST_TIME = "08:00";

/**
 * The notifications cron (every five minutes):
 * - deliveries held for quiet hours whose time has come are queued;
 * - PENDING deliveries whose queue message was lost are queued again (the
 *   consumer's claim makes a duplicate harmless);
 * - a delivery still SENDING after its claim expired belongs to an
 *   invocation that died during the provider call: whether the provider took
 *   it is unknown, so it is not sent again (at most once) but marked FAILED
 *   for an admin to resend (`POST /v1/admin/message-deliveries/{id}/resend`);
 * - scheduled campaigns that are due start;
 * - digests whose send time has come are built and queued.
 */
export async function runNotificationCron(env: Env): Promise<void> {
  const db = getDb(env.DB);
  const at = now();
  const due = await db
    .update(message_deliveries)
    .set({ status: "PENDING", send_after: null })
    .where(
      inJson(
        message_deliveries.id,
        (
          await db
            .select({ id: message_deliveries.id })
            .from(message_deliveries)
            .where(and(eq(message_deliveries.status, "SCHEDULED"), lte(message_deliveries.send_after, at)))
            .limit(SWEEP_LIMIT)
        ).map((r) => r.id),
      ),
    )
    .returning({ id: message_deliveries.id });
  const stale = await db
    .select({ id: message_deliveries.id })
    .from(message_deliveries)
    .where(and(eq(message_deliveries.status, "PENDING"), lt(message_deliveries.updated_at, addSeconds(at, -STALE_PENDING_SECONDS))))
    .limit(SWEEP_LIMIT);
  await enqueueDeliveries(env, [...due, ...stale].map((r) => r.id));
  await db
    .update(message_deliveries)
    .set({ status: "FAILED", claimed_until: null, error: "outcome unknown: the sending invocation ended during the provider call; not sent again" })
    .where(and(eq(message_deliveries.status, "SENDING"), lt(message_deliveries.claimed_until, at)));
  await startDueCampaigns(env);
  await runDigests(env);
}

/** The period a digest covers on the person's clock: the day, or the week starting Monday. */
function periodOf(frequency: "DAILY" | "WEEKLY", clock: { date: string; weekday: number }): string {
  if (frequency === "DAILY") return clock.date;
  const monday = new Date(`${clock.date}T00:00:00Z`);
  monday.setUTCDate(monday.getUTCDate() - ((clock.weekday + 6) % 7));
  return `week-of-${monday.toISOString().slice(0, 10)}`;
}

/**
 * Builds the digests that are due: the messages a person chose to receive
 * DAILY or WEEKLY (held by the consumer) are gathered, per channel and send
 * time, into one DIGEST message once their send time has passed on their
 * clock (weekly ones on Mondays). The digest row is written first, unique per
 * period, then the held rows move into it with one guarded UPDATE, so a
 * concurrent run builds nothing twice and an item is never in two digests.
 */
export async function runDigests(env: Env, at = new Date()): Promise<number> {
  const db = getDb(env.DB);
  const d = message_deliveries;
  const p = notification_preferences;
  const templates = await templateRows(env);
  const queued = await finishDigests(env, templates, at);
  const groups = await db
    .select({
      user_id: d.user_id,
      channel: d.channel,
      frequency: d.digest_frequency,
      language: d.language,
      send_time: sql<string>`coalesce(${p.send_time}, ${DEFAULT_DIGEST_TIME})`,
      time_zone: sql<string>`coalesce(${notification_settings.time_zone}, ${DEFAULT_TIME_ZONE})`,
    })
    .from(d)
    .leftJoin(p, and(eq(p.user_id, d.user_id), eq(p.notification_type, d.notification_type), eq(p.channel, d.channel)))
    .leftJoin(notification_settings, eq(notification_settings.user_id, d.user_id))
    .where(eq(d.status, "HELD"))
    .groupBy(d.user_id, d.channel, d.digest_frequency, sql`coalesce(${p.send_time}, ${DEFAULT_DIGEST_TIME})`)
    .limit(SWEEP_LIMIT);
  for (const group of groups) {
    if (!group.user_id || !group.frequency) continue;
    const clock = localClock(at, group.time_zone);
    const sendAt = Number(group.send_time.slice(0, 2)) * 60 + Number(group.send_time.slice(3, 5));
    if (clock.minutes < sendAt || (group.frequency === "WEEKLY" && clock.weekday !== 1)) continue;
    const period = periodOf(group.frequency, clock);
    const digestId = newId();
    const [digest] = await db
      .insert(d)
      .values({
        id: digestId,
        dedupe_key: `digest:${group.user_id}:${group.frequency}:${period}:${group.send_time}`,
        channel: group.channel,
        recipient: group.channel === "EMAIL" || group.channel === "SMS" ? "" : group.user_id,
        user_id: group.user_id,
        notification_type: "DIGEST",
        language: group.language,
        status: "SCHEDULED", // not sendable until its items are in
        send_after: UNFINISHED,
      })
      .onConflictDoNothing()
      .returning({ id: d.id });
    if (!digest) continue; // this period's digest exists: the rest waits for the next one
    const items = await db
      .update(d)
      .set({ status: "DIGESTED", digest_id: digestId })
      .where(
        and(
          eq(d.status, "HELD"),
          eq(d.user_id, group.user_id),
          eq(d.channel, group.channel),
          eq(d.digest_frequency, group.frequency),
          sql`coalesce((SELECT ${p.send_time} FROM ${p} WHERE ${p.user_id} = ${d.user_id} AND ${p.notification_type} = ${d.notification_type} AND ${p.channel} = ${d.channel}), ${DEFAULT_DIGEST_TIME}) = ${group.send_time}`,
        ),
      )
      .returning();
    if (items.length === 0) {
      await db.delete(d).where(eq(d.id, digestId));
      continue;
    }
    await completeDigest(env, templates, digestId, items);
    queued.push(digestId);
  }
  await enqueueDeliveries(env, queued);
  return queued.length;
}

type Templates = Awaited<ReturnType<typeof templateRows>>;
/** A digest under construction: SCHEDULED with this far `send_after` until its items are in. */
const UNFINISHED = "9999-12-31T00:00:00.000Z";

/** Gives a digest its items' lines (each as its in-app title and text, in the digest's language) and makes it sendable. */
async function completeDigest(env: Env, templates: Templates, digestId: string, items: (typeof message_deliveries.$inferSelect)[]): Promise<void> {
  const language = items[0]!.language;
  const lines = [...items]
    .sort((a, b) => a.created_at.localeCompare(b.created_at))
    .map((item) => {
      const content = contentOf(templates, item.notification_type, language);
      const data: MessageData = item.data ?? {};
      return { title: fillText(content.push_title, data, language), body: fillText(content.in_app_body, data, language) };
    });
  await getDb(env.DB)
    .update(message_deliveries)
    .set({ status: "PENDING", send_after: null, recipient: items[0]!.recipient, data: { items: lines } })
    .where(and(eq(message_deliveries.id, digestId), eq(message_deliveries.status, "SCHEDULED")));
}

/** Digests a run left unfinished (it stopped between taking the items and completing the digest): completed now. */
async function finishDigests(env: Env, templates: Templates, at: Date): Promise<string[]> {
  const db = getDb(env.DB);
  const d = message_deliveries;
  const stuck = await db
    .select({ id: d.id })
    .from(d)
    .where(and(eq(d.notification_type, "DIGEST"), eq(d.status, "SCHEDULED"), eq(d.send_after, UNFINISHED), lt(d.created_at, addSeconds(at, -STALE_PENDING_SECONDS))))
    .limit(SWEEP_LIMIT);
  const done: string[] = [];
  for (const { id } of stuck) {
    const items = await db.select().from(d).where(eq(d.digest_id, id));
    if (items.length === 0) await db.delete(d).where(eq(d.id, id));
    else {
      await completeDigest(env, templates, id, items);
      done.push(id);
    }
  }
  return done;
}
