import { and, count, desc, eq, isNull, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { users } from "../users/schema.ts";
import { verifyJwt } from "../lib/crypto/jwt.ts";
import { CAMPAIGN_TYPES } from "./campaigns.ts";
import { DEFAULT_TIME_ZONE, UNSUBSCRIBE_TOKEN_TYPE } from "./deliver.ts";
import {
  type Channel,
  CHANNELS,
  NOTIFICATION_TYPES,
  notification_batches,
  notification_preferences,
  notification_settings,
  notifications,
  type NotificationType,
  push_tokens,
  PUSH_PLATFORMS,
} from "./schema.ts";
import { isLocked, TYPE_RULES } from "./types.ts";

// ---------------------------------------------------------------- the in-app inbox

/** The person's in-app notifications, newest first (cursor pages); `unread` keeps the unread ones. */
export async function listInbox(env: Env, userId: string, query: { limit: number; cursor?: string; unread?: "true" | "false" }) {
  const after = decodeCursor(query.cursor);
  const n = notifications;
  const rows = await getDb(env.DB)
    .select()
    .from(n)
    .where(and(eq(n.user_id, userId), query.unread === "true" ? isNull(n.read_at) : undefined, afterCursor(after, n.created_at, n.id, "desc")))
    .orderBy(desc(n.created_at), desc(n.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

export async function unreadCount(env: Env, userId: string): Promise<number> {
  const [row] = await getDb(env.DB)
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.user_id, userId), isNull(notifications.read_at)));
  return row?.n ?? 0;
}

/**
 * Marks one of the person's notifications read, once: the first read also
 * counts for its campaign (read_count). Someone else's is a 404.
 */
export async function markRead(env: Env, userId: string, id: string) {
  const db = getDb(env.DB);
  const at = now();
  const [read] = await db
    .update(notifications)
    .set({ status: "READ", read_at: at })
    .where(and(eq(notifications.id, id), eq(notifications.user_id, userId), isNull(notifications.read_at)))
    .returning();
  if (read) {
    if (read.batch_id) {
      await db
        .update(notification_batches)
        .set({ read_count: sql`${notification_batches.read_count} + 1` })
        .where(eq(notification_batches.id, read.batch_id));
    }
    return read;
  }
  const [existing] = await db.select().from(notifications).where(and(eq(notifications.id, id), eq(notifications.user_id, userId))).limit(1);
  if (!existing) throw problems.notFound("Notification");
  return existing;
}

export async function markAllRead(env: Env, userId: string): Promise<number> {
  const db = getDb(env.DB);
  const read = await db
    .update(notifications)
    .set({ status: "READ", read_at: now() })
    .where(and(eq(notifications.user_id, userId), isNull(notifications.read_at)))
    .returning({ batch_id: notifications.batch_id });
  const perBatch = new Map<string, number>();
  for (const r of read) if (r.batch_id) perBatch.set(r.batch_id, (perBatch.get(r.batch_id) ?? 0) + 1);
  for (const [batchId, n] of perBatch) {
    await db
      .update(notification_batches)
      .set({ read_count: sql`${notification_batches.read_count} + ${n}` })
      .where(eq(notification_batches.id, batchId));
  }
  return read.length;
}

export async function deleteNotification(env: Env, userId: string, id: string): Promise<void> {
  const deleted = await getDb(env.DB)
    .delete(notifications)
    .where(and(eq(notifications.id, id), eq(notifications.user_id, userId)))
    .returning({ id: notifications.id });
  if (deleted.length === 0) throw problems.notFound("Notification");
}

// ---------------------------------------------------------------- push tokens

type PushToken = typeof push_tokens.$inferSelect;

/**
 * Registers the device's FCM token for the caller. A token is one device: if
 * it was registered by another account (the phone changed hands, or someone
 * signed in there), it moves to the caller, so pushes follow whoever is
 * signed in on that device.
 */
export async function registerPushToken(
  env: Env,
  userId: string,
  body: { token: string; platform: (typeof PUSH_PLATFORMS)[number]; device_name?: string; app_version?: string; os_version?: string; language?: "fr" | "ar" | "en" },
): Promise<{ token: PushToken; created: boolean }> {
  const db = getDb(env.DB);
  const at = now();
  const values = {
    user_id: userId,
    platform: body.platform,
    device_name: body.device_name ?? null,
    app_version: body.app_version ?? null,
    os_version: body.os_version ?? null,
    language: body.language ?? null,
    is_active: true,
    updated_at: at,
  };
  const id = newId();
  const [row] = await db
    .insert(push_tokens)
    .values({ id, token: body.token, ...values })
    .onConflictDoUpdate({ target: push_tokens.token, set: values })
    .returning();
  return { token: row!, created: row!.id === id };
}

async function ownToken(env: Env, userId: string, id: string): Promise<PushToken> {
  const [row] = await getDb(env.DB).select().from(push_tokens).where(and(eq(push_tokens.id, id), eq(push_tokens.user_id, userId))).limit(1);
  if (!row) throw problems.notFound("Push token");
  return row;
}

export async function listPushTokens(env: Env, userId: string): Promise<PushToken[]> {
  return getDb(env.DB).select().from(push_tokens).where(eq(push_tokens.user_id, userId)).orderBy(desc(push_tokens.updated_at));
}

/** A token rotated by Firebase (or the app updated): the same device, its new token and details. */
export async function refreshPushToken(env: Env, userId: string, id: string, body: { token?: string; app_version?: string; os_version?: string; language?: "fr" | "ar" | "en" }) {
  await ownToken(env, userId, id);
  const db = getDb(env.DB);
  if (body.token) {
    // The new token may already be registered (the app registered it before refreshing): that row gives way.
    await db.delete(push_tokens).where(and(eq(push_tokens.token, body.token), sql`${push_tokens.id} <> ${id}`));
  }
  const [row] = await db
    .update(push_tokens)
    .set({ ...body, is_active: true })
    .where(and(eq(push_tokens.id, id), eq(push_tokens.user_id, userId)))
    .returning();
  if (!row) throw problems.notFound("Push token");
  return row;
}

export async function deletePushToken(env: Env, userId: string, id: string): Promise<void> {
  const deleted = await getDb(env.DB)
    .delete(push_tokens)
    .where(and(eq(push_tokens.id, id), eq(push_tokens.user_id, userId)))
    .returning({ id: push_tokens.id });
  if (deleted.length === 0) throw problems.notFound("Push token");
}

// ---------------------------------------------------------------- preferences


/** Every type × channel the person can receive, with their choice or the default, and their settings. */
export async function readPreferences(env: Env, userId: string) {
  const db = getDb(env.DB);
  const [[user], [settings], rows] = await db.batch([
    db.select({ email: users.notifications_email, push: users.notifications_push }).from(users).where(eq(users.id, userId)).limit(1),
    db.select().from(notification_settings).where(eq(notification_settings.user_id, userId)).limit(1),
    db.select().from(notification_preferences).where(eq(notification_preferences.user_id, userId)),
  ]);
  if (!user) throw problems.notFound("User");
  const chosen = new Map(rows.map((r) => [`${r.notification_type}:${r.channel}`, r]));
  const preferences = NOTIFICATION_TYPES.filter((type) => type !== "DIGEST").flatMap((type) =>
    channelsOf(type).map((channel) => {
      const row = chosen.get(`${type}:${channel}`);
      return {
        notification_type: type,
        channel,
        enabled: row?.is_enabled ?? true,
        frequency: row?.frequency ?? "IMMEDIATE",
        send_time: row?.send_time ?? null,
        locked: isLocked(type),
      };
    }),
  );
  return {
    email_enabled: user.email,
    push_enabled: user.push,
    time_zone: settings?.time_zone ?? DEFAULT_TIME_ZONE,
    quiet_hours: settings?.quiet_hours_start && settings.quiet_hours_end ? { start: settings.quiet_hours_start, end: settings.quiet_hours_end } : null,
    preferences,
  };
}

/** The channels a type reaches people on: its own, SMS for 2FA codes, any channel a campaign picks for campaign types. */
function channelsOf(type: NotificationType): Channel[] {
  const channels = new Set<Channel>(TYPE_RULES[type].channels);
  if (type === "TWO_FACTOR_CODE") channels.add("SMS");
  if ((CAMPAIGN_TYPES as readonly string[]).includes(type)) for (const channel of CHANNELS) channels.add(channel);
  return CHANNELS.filter((c) => channels.has(c));
}

export async function updatePreferences(
  env: Env,
  userId: string,
  body: {
    time_zone?: string;
    quiet_hours?: { start: string; end: string } | null;
    preferences?: { notification_type: NotificationType; channel: Channel; enabled?: boolean; frequency?: "IMMEDIATE" | "DAILY" | "WEEKLY" | "NEVER"; send_time?: string | null }[];
  },
) {
  const errors: FieldError[] = [];
  (body.preferences ?? []).forEach((p, i) => {
    if (isLocked(p.notification_type)) {
      errors.push({ path: `preferences.${i}.notification_type`, message: `${p.notification_type} is a code or security message: it is always sent at once.`, code: "preference_locked" });
    } else if (!channelsOf(p.notification_type).includes(p.channel)) {
      errors.push({ path: `preferences.${i}.channel`, message: `${p.notification_type} is not sent by ${p.channel}.`, code: "channel_not_used" });
    }
  });
  if (errors.length) throw problems.validation(errors);
  const db = getDb(env.DB);
  const at = now();
  const statements = [];
  if (body.time_zone !== undefined || body.quiet_hours !== undefined) {
    const values: Partial<typeof notification_settings.$inferInsert> = { updated_at: at };
    if (body.time_zone !== undefined) values.time_zone = body.time_zone;
    if (body.quiet_hours !== undefined) {
      values.quiet_hours_start = body.quiet_hours?.start ?? null;
      values.quiet_hours_end = body.quiet_hours?.end ?? null;
    }
    statements.push(
      db
        .insert(notification_settings)
        .values({ user_id: userId, ...values })
        .onConflictDoUpdate({ target: notification_settings.user_id, set: values }),
    );
  }
  for (const p of body.preferences ?? []) {
    const set: Partial<typeof notification_preferences.$inferInsert> = { updated_at: at };
    if (p.enabled !== undefined) set.is_enabled = p.enabled;
    if (p.frequency !== undefined) set.frequency = p.frequency;
    if (p.send_time !== undefined) set.send_time = p.send_time;
    statements.push(
      db
        .insert(notification_preferences)
        .values({ id: newId(), user_id: userId, notification_type: p.notification_type, channel: p.channel, ...set })
        .onConflictDoUpdate({ target: [notification_preferences.user_id, notification_preferences.notification_type, notification_preferences.channel], set }),
    );
  }
  if (statements.length) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  return readPreferences(env, userId);
}

/**
 * One-click unsubscribe (RFC 8058) from a marketing email's List-Unsubscribe
 * link: that type of email is switched off for its recipient. The link is a
 * signed token naming the person, the type and the channel.
 */
export async function unsubscribe(env: Env, token: string): Promise<{ notification_type: NotificationType; channel: Channel }> {
  let claims: Awaited<ReturnType<typeof verifyJwt>>;
  try {
    claims = await verifyJwt(env.JWT_SIGNING_KEYS, token, UNSUBSCRIBE_TOKEN_TYPE);
  } catch {
    throw problems.badRequest("invalid_unsubscribe_link", "This unsubscribe link is invalid or expired.");
  }
  const type = claims.nt as NotificationType;
  const channel = claims.ch as Channel;
  if (!NOTIFICATION_TYPES.includes(type) || !CHANNELS.includes(channel) || isLocked(type)) {
    throw problems.badRequest("invalid_unsubscribe_link", "This unsubscribe link is invalid or expired.");
  }
  const set = { is_enabled: false, updated_at: now() };
  await getDb(env.DB)
    .insert(notification_preferences)
    .values({ id: newId(), user_id: claims.sub, notification_type: type, channel, ...set })
    .onConflictDoUpdate({ target: [notification_preferences.user_id, notification_preferences.notification_type, notification_preferences.channel], set });
  return { notification_type: type, channel };
}
