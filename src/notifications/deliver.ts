import { and, eq, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { signJwt } from "../lib/crypto/jwt.ts";
import { newId } from "../lib/ids.ts";
import { renderQrPng } from "../lib/qr-png.ts";
import { addSeconds, localClock, now } from "../lib/time.ts";
import { users } from "../users/schema.ts";
import { contentOf, templateRows } from "./content.ts";
import { type TicketContent, ticketDocumentsForMessage, ticketsForMessage } from "./hooks.ts";
import { sendEmail } from "./providers/email.ts";
import { sendPush } from "./providers/push.ts";
import type { SendResult } from "./providers/shared.ts";
import { sendSms } from "./providers/sms.ts";
import { fillText, type Language, renderEmail, type TemplateContent } from "./render.ts";
import {
  type DeliveryStatus,
  type MessageData,
  message_deliveries,
  notification_batches,
  notification_preferences,
  notification_settings,
  notification_suppressions,
  notifications,
  push_tokens,
  SUPPRESSION_REASONS,
} from "./schema.ts";
import { INTERRUPTING, TYPE_RULES } from "./types.ts";

type DeliveryRow = typeof message_deliveries.$inferSelect;

/** A claim outlives any provider call (10 s timeout) by far; a row still SENDING after it is an invocation that died mid-call (cron.ts). */
export const CLAIM_SECONDS = 120;
/** Provider calls one invocation makes at once (Workers allow six open connections per invocation). */
const CONCURRENCY = 6;
/** Outcome statements per D1 batch. */
const WRITES_PER_BATCH = 100;
/** Devices a push goes to, newest first. */
const MAX_DEVICES = 10;
export const UNSUBSCRIBE_TOKEN_TYPE = "unsub+jwt";
/** Where people are when they have not said: SpotVibe's home, Benin. */
export const DEFAULT_TIME_ZONE = "Africa/Porto-Novo";
const UNSUBSCRIBE_TTL_SECONDS = 365 * 86_400;

/** `column IN (…)` over a JSON array: one bound value, however many ids (D1 binds at most 100). */
export const inJson = (column: SQLiteColumn | SQL, values: readonly string[]) => sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;

/** What became of one delivery in this invocation: `retry` asks the queue to deliver its message again after `delay` seconds. */
export type DeliveryOutcome = { id: string; retry: false } | { id: string; retry: true; delay: number };

interface Recipient {
  id: string;
  email: string;
  phone: string | null;
  first_name: string;
  language: Language;
  is_active: boolean;
  notifications_email: boolean;
  notifications_push: boolean;
  passwordless: boolean;
}

interface Context {
  users: Map<string, Recipient>;
  settings: Map<string, typeof notification_settings.$inferSelect>;
  preferences: Map<string, typeof notification_preferences.$inferSelect>;
  suppressed: Set<string>;
  devices: Map<string, (typeof push_tokens.$inferSelect)[]>;
  cancelled: Set<string>;
  templates: Awaited<ReturnType<typeof templateRows>>;
  /** The outcomes to write, gathered over the invocation and written in a few batches (see `deliver`). */
  writes: BatchItem<"sqlite">[];
}

/** What the consumer decided for a row, before any provider call. */
type Decision =
  | { kind: "send" }
  | { kind: "skip"; reason: string }
  | { kind: "hold"; frequency: "DAILY" | "WEEKLY" }
  | { kind: "schedule"; at: string };

/**
 * Sends the given deliveries, each at most once: one guarded UPDATE claims the
 * rows still PENDING (or dead-lettered, when an admin replays them) for this
 * invocation, so duplicate queue messages and concurrent consumers find
 * nothing to claim. Each claimed row is decided (preferences, opt-outs,
 * suppressed addresses, quiet hours, digests), rendered and sent; the
 * outcomes are written together at the end, a few D1 batches per invocation
 * instead of one round trip per message. If the invocation dies before
 * that, its rows stay SENDING and are never sent again (cron.ts marks them
 * FAILED for an admin): at most once either way.
 */
export async function deliver(env: Env, ids: readonly string[]): Promise<DeliveryOutcome[]> {
  if (ids.length === 0) return [];
  const db = getDb(env.DB);
  const at = now();
  const claimed = await db
    .update(message_deliveries)
    .set({ status: "SENDING", claimed_until: addSeconds(at, CLAIM_SECONDS), attempts: sql`${message_deliveries.attempts} + 1`, dead_lettered_at: null })
    .where(
      and(
        inJson(message_deliveries.id, ids),
        or(eq(message_deliveries.status, "PENDING"), and(eq(message_deliveries.status, "FAILED"), isNotNull(message_deliveries.dead_lettered_at))),
      ),
    )
    .returning();
  if (claimed.length === 0) return [];
  const context = await loadContext(env, claimed);
  const outcomes: DeliveryOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < claimed.length) {
      const row = claimed[next++]!;
      outcomes.push(await deliverOne(env, row, context));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, claimed.length) }, worker));
  for (let i = 0; i < context.writes.length; i += WRITES_PER_BATCH) {
    const chunk = context.writes.slice(i, i + WRITES_PER_BATCH);
    await db.batch(chunk as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  }
  return outcomes;
}

async function loadContext(env: Env, rows: DeliveryRow[]): Promise<Context> {
  const db = getDb(env.DB);
  const userIds = [...new Set(rows.map((r) => r.user_id).filter((id): id is string => id !== null))];
  const pushUsers = [...new Set(rows.filter((r) => r.channel === "PUSH" && r.user_id).map((r) => r.user_id!))];
  const addresses = [...new Set(rows.map((r) => r.recipient))];
  const batchIds = [...new Set(rows.map((r) => r.batch_id).filter((id): id is string => id !== null))];
  const [people, settings, preferences, suppressed, devices, batches, templates] = await Promise.all([
    userIds.length
      ? db
          .select({
            id: users.id,
            email: users.email,
            phone: users.phone,
            first_name: users.first_name,
            language: users.language,
            is_active: users.is_active,
            notifications_email: users.notifications_email,
            notifications_push: users.notifications_push,
            passwordless: sql<number>`${users.password_hash} IS NULL`.mapWith((v) => Boolean(v)),
          })
          .from(users)
          .where(inJson(users.id, userIds))
      : [],
    userIds.length ? db.select().from(notification_settings).where(inJson(notification_settings.user_id, userIds)) : [],
    userIds.length ? db.select().from(notification_preferences).where(inJson(notification_preferences.user_id, userIds)) : [],
    db.select({ channel: notification_suppressions.channel, address: notification_suppressions.address }).from(notification_suppressions).where(inJson(notification_suppressions.address, addresses)),
    pushUsers.length
      ? db.select().from(push_tokens).where(and(inJson(push_tokens.user_id, pushUsers), eq(push_tokens.is_active, true))).orderBy(sql`${push_tokens.updated_at} DESC`)
      : [],
    batchIds.length ? db.select({ id: notification_batches.id, status: notification_batches.status }).from(notification_batches).where(inJson(notification_batches.id, batchIds)) : [],
    templateRows(env),
  ]);
  const byUser = new Map<string, (typeof push_tokens.$inferSelect)[]>();
  for (const device of devices) byUser.set(device.user_id, [...(byUser.get(device.user_id) ?? []), device]);
  return {
    users: new Map(people.map((p) => [p.id, p as Recipient])),
    settings: new Map(settings.map((s) => [s.user_id, s])),
    preferences: new Map(preferences.map((p) => [`${p.user_id}:${p.notification_type}:${p.channel}`, p])),
    suppressed: new Set(suppressed.map((s) => `${s.channel}:${s.address}`)),
    devices: byUser,
    cancelled: new Set(batches.filter((b) => b.status === "CANCELLED").map((b) => b.id)),
    templates,
    writes: [],
  };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** When quiet hours end, if `at` falls inside them on the recipient's clock; else null. */
export function quietUntil(settings: { time_zone: string; quiet_hours_start: string | null; quiet_hours_end: string | null } | undefined, at: Date): string | null {
  if (!settings?.quiet_hours_start || !settings.quiet_hours_end) return null;
  const start = minutesOf(settings.quiet_hours_start);
  const end = minutesOf(settings.quiet_hours_end);
  if (start === end) return null;
  const { minutes } = localClock(at, settings.time_zone);
  const inside = start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inside) return null;
  const wait = (end - minutes + 1440) % 1440;
  return addSeconds(new Date(Math.floor(at.getTime() / 60_000) * 60_000), wait * 60);
}

function decide(row: DeliveryRow, context: Context, content: TemplateContent): Decision {
  const rules = TYPE_RULES[row.notification_type];
  const person = row.user_id ? context.users.get(row.user_id) : undefined;
  if (row.batch_id && context.cancelled.has(row.batch_id)) return { kind: "skip", reason: "campaign_cancelled" };
  if (!content.is_active || !content.active_channels.includes(row.channel)) return { kind: "skip", reason: "template_channel_off" };
  if (row.user_id && !person) return { kind: "skip", reason: "account_gone" };
  if (person && !person.is_active && rules.category !== "SECURITY") return { kind: "skip", reason: "account_inactive" };
  if (context.suppressed.has(`${row.channel}:${row.recipient}`)) return { kind: "skip", reason: "address_suppressed" };
  if (rules.category === "SECURITY" || !person) return { kind: "send" };
  const preference = context.preferences.get(`${person.id}:${row.notification_type}:${row.channel}`);
  if (preference && (!preference.is_enabled || preference.frequency === "NEVER")) return { kind: "skip", reason: "preference_off" };
  if (rules.category === "MARKETING") {
    if (row.channel === "EMAIL" && !person.notifications_email) return { kind: "skip", reason: "opted_out" };
    if (row.channel === "PUSH" && !person.notifications_push) return { kind: "skip", reason: "opted_out" };
  }
  if (row.notification_type !== "DIGEST" && (preference?.frequency === "DAILY" || preference?.frequency === "WEEKLY")) {
    return { kind: "hold", frequency: preference.frequency };
  }
  if (INTERRUPTING.includes(row.channel) && row.priority !== "URGENT") {
    const until = quietUntil(context.settings.get(person.id), new Date());
    if (until) return { kind: "schedule", at: until };
  }
  return { kind: "send" };
}

/** The row's outcome (and what goes with it), to be written while this invocation still holds the claim. */
function settle(env: Env, context: Context, row: DeliveryRow, values: Partial<typeof message_deliveries.$inferInsert>, also: BatchItem<"sqlite">[] = []): void {
  const update = getDb(env.DB)
    .update(message_deliveries)
    .set({ claimed_until: null, updated_at: now(), ...values })
    .where(and(eq(message_deliveries.id, row.id), eq(message_deliveries.status, "SENDING")));
  context.writes.push(update as BatchItem<"sqlite">, ...also);
}

function retryDelay(env: Env, attempts: number, hint: number | undefined): number {
  const base = Number(env.NOTIFICATION_RETRY_BASE_SECONDS || "2");
  const backoff = base > 0 ? Math.min(300, base * 2 ** Math.max(0, attempts - 1)) : 0;
  return Math.min(300, Math.max(backoff, hint ?? 0));
}

async function deliverOne(env: Env, row: DeliveryRow, context: Context): Promise<DeliveryOutcome> {
  try {
    return await attempt(env, row, context);
  } catch (error) {
    // Our own fault (a bug, D1 out of reach): leave the row to be tried again, like a provider outage.
    const message = error instanceof Error ? error.message : String(error);
    console.error("notification delivery failed", row.id, error);
    const delay = retryDelay(env, row.attempts, undefined);
    settle(env, context, row, { status: "PENDING", error: message.slice(0, 500), send_after: addSeconds(now(), delay) });
    return { id: row.id, retry: true, delay };
  }
}

async function attempt(env: Env, row: DeliveryRow, context: Context): Promise<DeliveryOutcome> {
  const done = { id: row.id, retry: false } as const;
  const content = contentOf(context.templates, row.notification_type, row.language);
  const decision = decide(row, context, content);
  if (decision.kind === "skip") {
    settle(env, context, row, { status: "SKIPPED", error: decision.reason });
    return done;
  }
  if (decision.kind === "hold") {
    settle(env, context, row, { status: "HELD", digest_frequency: decision.frequency });
    return done;
  }
  if (decision.kind === "schedule") {
    settle(env, context, row, { status: "SCHEDULED", send_after: decision.at });
    return done;
  }
  const person = row.user_id ? context.users.get(row.user_id) : undefined;
  const rules = TYPE_RULES[row.notification_type];
  const data: MessageData = { first_name: person?.first_name ?? "", ...(row.data ?? {}) };
  // Instants meant for the reader's own clock (a platform-wide maintenance window) take their time zone.
  const readerZone = (person && context.settings.get(person.id)?.time_zone) || DEFAULT_TIME_ZONE;
  for (const [name, value] of Object.entries(data)) {
    if (value && typeof value === "object" && "time_zone" in value && value.time_zone === "reader") data[name] = { ...value, time_zone: readerZone };
  }
  const language = row.language;
  let tickets: TicketContent = { tickets: [], link: null };
  if (rules.tickets && row.tickets && row.user_id && (row.channel === "EMAIL" || row.channel === "SMS")) {
    tickets = await ticketsForMessage.ask({ env, userId: row.user_id, ref: row.tickets });
    if (tickets.link) data.tickets_url = tickets.link;
  }
  data.tickets_url ??= "";

  switch (row.channel) {
    case "IN_APP": {
      const title = fillText(content.push_title, data, language);
      const message = fillText(content.in_app_body, data, language);
      const object = rules.object && typeof row.data?.[rules.object.field] === "string" ? { type: rules.object.type, id: row.data[rules.object.field] as string } : null;
      const at = now();
      settle(env, context, row, { status: "DELIVERED", provider: "inbox", provider_message_id: row.id, subject: title, body: message, sent_at: at, delivered_at: at, error: null }, [
        getDb(env.DB)
          .insert(notifications)
          .values({
            id: newId(),
            user_id: row.user_id!,
            notification_type: row.notification_type,
            title,
            message,
            object_type: object?.type ?? null,
            object_id: object?.id ?? null,
            priority: row.priority,
            status: "DELIVERED",
            data: Object.fromEntries(Object.entries(row.data ?? {}).filter(([, v]) => typeof v === "string")),
            batch_id: row.batch_id,
            dedupe_key: `delivery:${row.id}`,
            // Dated when what it tells happened, not when the batch that carried it was written.
            created_at: row.created_at,
            sent_at: at,
          })
          .onConflictDoNothing(),
      ]);
      return done;
    }
    case "EMAIL": {
      const unsubscribe =
        rules.category === "MARKETING" && row.user_id
          ? `${env.PUBLIC_API_URL.replace(/\/+$/, "")}/v1/notifications/unsubscribe?token=${await signJwt(
              env.JWT_SIGNING_KEYS,
              { sub: row.user_id, nt: row.notification_type, ch: "EMAIL" },
              UNSUBSCRIBE_TTL_SECONDS,
              UNSUBSCRIBE_TOKEN_TYPE,
            )}`
          : null;
      // The tickets' PDF and wallet links (the documents domain), with the QR codes inline.
      const documents =
        tickets.tickets.length > 0 && row.tickets && row.user_id
          ? await ticketDocumentsForMessage.ask({ env, userId: row.user_id, ref: row.tickets, rights: tickets.tickets.map((t) => t.access_right_id), link: tickets.link })
          : null;
      const shown = tickets.tickets.map((t, i) => {
        const wallet = documents?.wallets.find((w) => w.access_right_id === t.access_right_id);
        return { ...t, content_id: `qr-${i + 1}-${t.qr_code.toLowerCase()}`, apple_wallet: wallet?.apple_wallet ?? null, google_wallet: wallet?.google_wallet ?? null };
      });
      const email = renderEmail(content, data, language, {
        tickets: shown,
        tickets_url: tickets.link,
        unsubscribe_url: unsubscribe,
        documents: documents ? { attached: documents.attachments.map((a) => a.filename), pdf_url: documents.pdf_url } : null,
      });
      const attachments = [
        ...shown.map((t) => ({ filename: `${t.qr_code}.png`, type: "image/png", content: renderQrPng(t.token), content_id: t.content_id })),
        ...(documents?.attachments ?? []),
      ];
      const headers: Record<string, string> = unsubscribe ? { "List-Unsubscribe": `<${unsubscribe}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" } : {};
      const result = await sendEmail(env, { to: row.recipient, subject: email.subject, html: email.html, text: email.text, headers, attachments });
      return record(env, context, row, result, "cloudflare-email", email.subject, email.text);
    }
    case "SMS": {
      const text = fillText(content.sms_body ?? content.in_app_body, data, language);
      const callback = `${env.PUBLIC_API_URL.replace(/\/+$/, "")}/v1/webhooks/sms/twilio/status`;
      return record(env, context, row, await sendSms(env, row.recipient, text, callback), "twilio", null, text);
    }
    case "PUSH":
      return push(env, row, context, content, data);
  }
}

/** Writes a provider's answer on the row; a bounce also suppresses the address. */
function record(env: Env, context: Context, row: DeliveryRow, result: SendResult, provider: string, subject: string | null, body: string): DeliveryOutcome {
  const at = now();
  switch (result.outcome) {
    case "sent":
      settle(env, context, row, {
        send_after: null,
        status: result.delivered ? "DELIVERED" : "SENT",
        provider,
        provider_message_id: result.id,
        subject,
        body,
        error: null,
        sent_at: at,
        delivered_at: result.delivered ? at : null,
      });
      return { id: row.id, retry: false };
    case "retry": {
      const delay = retryDelay(env, row.attempts, result.retry_after_seconds);
      // send_after records when the queue will bring it back (the queue, not this column, schedules it).
      settle(env, context, row, { status: "PENDING", provider, error: result.error.slice(0, 500), send_after: addSeconds(at, delay) });
      return { id: row.id, retry: true, delay };
    }
    case "failed":
      settle(env, context, row, { status: "FAILED", provider, subject, body, error: result.error.slice(0, 500) });
      return { id: row.id, retry: false };
    case "bounced":
      settle(
        env,
        context,
        row,
        { status: "BOUNCED", provider, subject, body, error: result.error.slice(0, 500) },
        result.suppress ? [suppress(env, row.channel, row.recipient, result.suppress, result.error)] : [],
      );
      return { id: row.id, retry: false };
  }
}

export function suppress(env: Env, channel: DeliveryRow["channel"], address: string, reason: (typeof SUPPRESSION_REASONS)[number], detail: string) {
  return getDb(env.DB).insert(notification_suppressions).values({ channel, address, reason, detail: detail.slice(0, 300) }).onConflictDoNothing();
}

/**
 * A push to each of the person's devices not already sent to by an earlier
 * try of this row. A token FCM calls unregistered (or invalid) is deleted at
 * once; the row is SENT if any device took it, retried if one may still
 * take it, FAILED if none exists any more.
 */
async function push(env: Env, row: DeliveryRow, context: Context, content: TemplateContent, data: MessageData): Promise<DeliveryOutcome> {
  const db = getDb(env.DB);
  const devices = (context.devices.get(row.user_id ?? "") ?? []).slice(0, MAX_DEVICES);
  const alreadySent = new Set(row.sent_to ?? []);
  const pending = devices.filter((d) => !alreadySent.has(d.id));
  const title = fillText(content.push_title, data, row.language);
  const body = fillText(content.push_body, data, row.language);
  if (devices.length === 0 && alreadySent.size === 0) {
    settle(env, context, row, { status: "SKIPPED", error: "no_device", subject: title, body });
    return { id: row.id, retry: false };
  }
  const rules = TYPE_RULES[row.notification_type];
  const payload: Record<string, string> = { type: row.notification_type, delivery_id: row.id };
  if (rules.object && typeof row.data?.[rules.object.field] === "string") Object.assign(payload, { object_type: rules.object.type, object_id: row.data[rules.object.field] as string });
  const ids: string[] = row.provider_message_id ? row.provider_message_id.split(" ") : [];
  const errors: string[] = [];
  let retryHint: number | undefined;
  let retry = false;
  const pruned: string[] = [];
  const sentTo = [...alreadySent];
  for (const device of pending) {
    const result = await sendPush(env, { token: device.token, title, body, data: payload, high_priority: row.priority === "HIGH" || row.priority === "URGENT" });
    if (result.outcome === "sent") {
      ids.push(result.id);
      sentTo.push(device.id);
      context.writes.push(
        db
          .update(push_tokens)
          .set({ sent_count: sql`${push_tokens.sent_count} + 1`, last_used_at: now() })
          .where(eq(push_tokens.id, device.id)) as BatchItem<"sqlite">,
      );
    } else if (result.outcome === "unregistered") {
      pruned.push(device.id);
      errors.push(result.error);
    } else {
      if (result.outcome === "retry") {
        retry = true;
        retryHint = Math.max(retryHint ?? 0, result.retry_after_seconds ?? 0);
      }
      errors.push(result.error);
    }
  }
  // Pruned in this invocation's writes: no later push (this batch's other rows included, they read the devices first) waits on them.
  if (pruned.length) context.writes.push(db.delete(push_tokens).where(inArray(push_tokens.id, pruned)) as BatchItem<"sqlite">);
  const error = errors.length ? errors.join("; ").slice(0, 500) : null;
  const common = { provider: "fcm", subject: title, body, sent_to: sentTo, provider_message_id: ids.length ? ids.join(" ") : null, error };
  let status: DeliveryStatus;
  if (retry) status = "PENDING";
  else if (sentTo.length > 0) status = "SENT";
  else status = "FAILED";
  const delay = retryDelay(env, row.attempts, retryHint);
  settle(env, context, row, { ...common, status, sent_at: status === "SENT" ? now() : null, send_after: retry ? addSeconds(now(), delay) : null });
  return retry ? { id: row.id, retry: true, delay } : { id: row.id, retry: false };
}
