import { and, count, desc, eq, inArray, lte, or, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { access_rights } from "../access/schema.ts";
import { subscription_plans } from "../catalog/schema.ts";
import { getDb } from "../db/client.ts";
import { event_participations, events, venues } from "../events/schema.ts";
import { ProblemError, problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { addSeconds, now } from "../lib/time.ts";
import { subscriptions } from "../passes/schema.ts";
import { user_group_members, user_groups } from "../organizations/schema.ts";
import { follows, users } from "../users/schema.ts";
import { templateRows } from "./content.ts";
import type { QueueMessage } from "./messages.ts";
import { variablesOf } from "./render.ts";
import {
  type Channel,
  type MessageData,
  message_deliveries,
  notification_batch_recipients,
  notification_batches,
  notifications,
  type NotificationType,
  type TargetingCriteria,
} from "./schema.ts";
import { enqueueDeliveries, notify } from "./service.ts";
import { TYPE_RULES } from "./types.ts";

/**
 * Campaigns (SpotVibe `NotificationBatch`): one message type with its data,
 * on chosen channels, to an audience. Work happens in steps on the
 * notifications queue, each a few D1 statements whatever the audience size:
 * 1. expansion: recipients are copied into notification_batch_recipients
 *    by INSERT … SELECT in user-id order, EXPAND_CHUNK at a time, a few chunks a step;
 * 2. release: every STEP_SECONDS, as many recipients as the slowest of the
 *    campaign's channels may take in that time (CAMPAIGN_RATES) get their
 *    deliveries (one INSERT … SELECT) and are queued, a few per message, for
 *    the ordinary consumer, which sends each at most once and honours
 *    opt-outs at send time;
 * 3. completion: once nothing is left to send, the counters are final.
 * A step runs once: it advances `step` with a guarded UPDATE, so a duplicate
 * queue message does nothing. Cancelling stops the steps and skips what was
 * queued but not sent.
 */
export type Campaign = typeof notification_batches.$inferSelect;

/** Recipients a campaign may have unless CAMPAIGN_MAX_RECIPIENTS says otherwise: bigger audiences are refused when it is created. */
export const MAX_CAMPAIGN_RECIPIENTS = 200_000;
const maxRecipients = (env: Env) => Number(env.CAMPAIGN_MAX_RECIPIENTS) || MAX_CAMPAIGN_RECIPIENTS;
const EXPAND_CHUNK = 5_000;
const EXPAND_CHUNKS_PER_STEP = 5;
export const STEP_SECONDS = 5;
/** Recipients released in one step at most, whatever the rates: one INSERT … SELECT and its queue sends stay small. */
const MAX_RELEASE_PER_STEP = 25_000;
/** Types campaigns send: announcements by anyone allowed, maintenance notices by admins. */
export const CAMPAIGN_TYPES = ["ANNOUNCEMENT", "SYSTEM_MAINTENANCE"] as const;

export interface CampaignInput {
  name: string;
  description?: string | null;
  notification_type: (typeof CAMPAIGN_TYPES)[number];
  channels: Channel[];
  data: MessageData;
  targeting: TargetingCriteria;
  scheduled_at?: string | null;
}

interface Actor {
  userId: string;
  role: "USER" | "ORGANIZER" | "CONTROLLER" | "ADMIN";
}

/** The SQL condition on `users` that selects a campaign's audience. */
function audienceCondition(t: TargetingCriteria): SQL {
  const u = users;
  const conditions: (SQL | undefined)[] = [eq(u.is_active, true)];
  switch (t.audience) {
    case "ALL_USERS":
      break;
    case "EVENT_HOLDERS":
      conditions.push(
        sql`EXISTS (SELECT 1 FROM ${access_rights} WHERE ${access_rights.event_id} = ${t.event_id!} AND ${access_rights.user_id} = ${u.id} AND ${access_rights.status} IN ('ENABLED', 'USED'))`,
      );
      break;
    case "EVENT_ATTENDEES":
      // Ticket holders and people who said they are going: who an event reminder is for.
      conditions.push(
        sql`(EXISTS (SELECT 1 FROM ${access_rights} WHERE ${access_rights.event_id} = ${t.event_id!} AND ${access_rights.user_id} = ${u.id} AND ${access_rights.status} IN ('ENABLED', 'USED'))
          OR EXISTS (SELECT 1 FROM ${event_participations} WHERE ${event_participations.event_id} = ${t.event_id!} AND ${event_participations.user_id} = ${u.id} AND ${event_participations.status} = 'GOING'))`,
      );
      break;
    case "EVENT_PARTICIPANTS":
      conditions.push(
        sql`EXISTS (SELECT 1 FROM ${event_participations} WHERE ${event_participations.event_id} = ${t.event_id!} AND ${event_participations.user_id} = ${u.id} AND ${event_participations.status} IN ('GOING', 'INTERESTED'))`,
      );
      break;
    case "FOLLOWERS":
      conditions.push(
        sql`EXISTS (SELECT 1 FROM ${follows} WHERE ${follows.following_id} = ${t.followed_id!} AND ${follows.follower_id} = ${u.id} AND ${follows.notifications_enabled} = 1)`,
      );
      break;
    case "PASS_HOLDERS":
      conditions.push(
        sql`EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${subscriptions.subscription_plan_id} = ${t.plan_id!} AND ${subscriptions.user_id} = ${u.id} AND ${subscriptions.status} = 'ACTIVE')`,
      );
      break;
  }
  if (t.language) conditions.push(eq(u.language, t.language));
  if (t.role) conditions.push(eq(u.role, t.role));
  if (t.user_group_id) {
    conditions.push(sql`EXISTS (SELECT 1 FROM ${user_group_members} WHERE ${user_group_members.group_id} = ${t.user_group_id} AND ${user_group_members.user_id} = ${u.id})`);
  }
  // City and category: people who hold a ticket to, or said they go to, an event there or of that category.
  if (t.city || t.category_id) {
    const place = and(
      t.city ? sql`lower(${venues.city}) = lower(${t.city})` : undefined,
      t.category_id ? eq(events.category_id, t.category_id) : undefined,
    );
    conditions.push(sql`(
      EXISTS (SELECT 1 FROM ${access_rights} JOIN ${events} ON ${events.id} = ${access_rights.event_id} LEFT JOIN ${venues} ON ${venues.id} = ${events.venue_id}
              WHERE ${access_rights.user_id} = ${u.id} AND ${place})
      OR EXISTS (SELECT 1 FROM ${event_participations} JOIN ${events} ON ${events.id} = ${event_participations.event_id} LEFT JOIN ${venues} ON ${venues.id} = ${events.venue_id}
              WHERE ${event_participations.user_id} = ${u.id} AND ${place}))`);
  }
  return and(...conditions)!;
}

/**
 * Who may send what to whom: admins to any audience; organizers only to
 * their own people (their events' holders and participants, their
 * followers, their passes' holders, optionally narrowed to their own user
 * groups). Someone else's event, plan or group is a 404.
 */
async function checkAudience(env: Env, actor: Actor, input: CampaignInput): Promise<TargetingCriteria> {
  const db = getDb(env.DB);
  const t = { ...input.targeting };
  const errors: FieldError[] = [];
  const need = (field: "event_id" | "plan_id", audience: string) => {
    if (!t[field]) errors.push({ path: `targeting.${field}`, message: `${audience} needs ${field}.`, code: "required" });
  };
  if (t.audience === "EVENT_HOLDERS" || t.audience === "EVENT_PARTICIPANTS" || t.audience === "EVENT_ATTENDEES") need("event_id", t.audience);
  if (t.audience === "PASS_HOLDERS") need("plan_id", t.audience);
  if (input.notification_type === "SYSTEM_MAINTENANCE" && actor.role !== "ADMIN") {
    errors.push({ path: "notification_type", message: "Only admins announce maintenance.", code: "not_allowed" });
  }
  if (errors.length) throw problems.validation(errors);
  const admin = actor.role === "ADMIN";
  if (!admin && actor.role !== "ORGANIZER") throw problems.forbidden("Only organizers and admins send campaigns.");
  if (t.audience === "ALL_USERS" && !admin) throw problems.forbidden("Only admins write to every user; organizers write to their own audiences.", "audience_not_allowed");
  if (t.audience === "FOLLOWERS") {
    if (!admin || !t.followed_id) t.followed_id = actor.userId;
  }
  if (t.event_id) {
    const [event] = await db.select({ organizer_id: events.organizer_id }).from(events).where(eq(events.id, t.event_id)).limit(1);
    if (!event || (!admin && event.organizer_id !== actor.userId)) throw problems.notFound("Event");
  }
  if (t.plan_id) {
    const [plan] = await db.select({ organizer_id: subscription_plans.organizer_id }).from(subscription_plans).where(eq(subscription_plans.id, t.plan_id)).limit(1);
    if (!plan || (!admin && plan.organizer_id !== actor.userId)) throw problems.notFound("Season-pass plan");
  }
  if (t.user_group_id) {
    const [group] = await db.select({ owner_id: user_groups.owner_id }).from(user_groups).where(eq(user_groups.id, t.user_group_id)).limit(1);
    if (!group || (!admin && group.owner_id !== actor.userId)) throw problems.notFound("User group");
  }
  if (!admin && t.role) throw problems.forbidden("Only admins target by role.", "audience_not_allowed");
  return t;
}

/** The campaign's data must fill its type's variables and nothing else. */
function checkData(type: NotificationType, data: MessageData): void {
  const allowed = new Set(variablesOf(type));
  const errors: FieldError[] = Object.keys(data)
    .filter((name) => !allowed.has(name))
    .map((name) => ({ path: `data.${name}`, message: `${type} has no variable ${name}; it has ${[...allowed].join(", ")}.`, code: "unknown_variable" }));
  const required = type === "ANNOUNCEMENT" ? ["title", "message"] : ["title", "message", "starts_at", "ends_at"];
  for (const name of required) if (data[name] === undefined) errors.push({ path: `data.${name}`, message: `${type} needs ${name}.`, code: "required" });
  if (errors.length) throw problems.validation(errors);
}

export async function createCampaign(env: Env, actor: Actor, input: CampaignInput): Promise<Campaign> {
  checkData(input.notification_type, input.data);
  const targeting = await checkAudience(env, actor, input);
  const db = getDb(env.DB);
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(users).where(audienceCondition(targeting));
  if (n > maxRecipients(env)) {
    throw new ProblemError(422, "campaign_too_large", "Campaign too large", `This audience has ${n} people; a campaign reaches at most ${maxRecipients(env)}. Narrow the targeting.`);
  }
  const template = (await templateRows(env)).get(`${input.notification_type}:fr`);
  if (!template) throw new Error(`no template for ${input.notification_type}`);
  const at = now();
  const [campaign] = await db
    .insert(notification_batches)
    .values({
      id: newId(),
      name: input.name,
      description: input.description ?? null,
      template_id: template.id,
      notification_type: input.notification_type,
      channels: [...new Set(input.channels)],
      data: input.data,
      targeting_criteria: targeting,
      scheduled_at: input.scheduled_at ?? at,
      recipient_count: n,
      created_by: actor.userId,
    })
    .returning();
  await startIfDue(env, campaign!);
  return campaign!;
}

/**
 * A message the platform itself sends to an audience (an event's followers,
 * its attendees, everyone): a campaign without a creator, started at once,
 * once per `key` whatever the retries of what caused it. The campaign
 * machinery keeps a big audience inside each invocation's limits.
 */
export async function fanOut(
  env: Env,
  input: { key: string; name: string; type: NotificationType; targeting: TargetingCriteria; data: MessageData; channels?: readonly Channel[]; scheduled_at?: string },
): Promise<Campaign | null> {
  const template = (await templateRows(env)).get(`${input.type}:fr`);
  if (!template) throw new Error(`no template for ${input.type}`);
  const [campaign] = await getDb(env.DB)
    .insert(notification_batches)
    .values({
      id: newId(),
      name: input.name.slice(0, 200),
      dedupe_key: input.key,
      template_id: template.id,
      notification_type: input.type,
      channels: [...(input.channels ?? TYPE_RULES[input.type].channels)],
      data: input.data,
      targeting_criteria: input.targeting,
      scheduled_at: input.scheduled_at ?? now(),
    })
    .onConflictDoNothing()
    .returning();
  if (campaign) await startIfDue(env, campaign);
  return campaign ?? null;
}

/** Audiences up to this size are told directly (one `notify`); bigger ones go through a campaign's steps. */
export const DIRECT_AUDIENCE = 200;

/**
 * Tells an audience something the platform noticed (an organizer's new event,
 * a friend going out, a maintenance window): directly when it is small, as a
 * campaign (fanOut) when it is big, once per `key` either way.
 */
export async function notifyAudience(env: Env, input: Parameters<typeof fanOut>[1]): Promise<void> {
  const people = await getDb(env.DB)
    .select({ id: users.id })
    .from(users)
    .where(audienceCondition(input.targeting))
    .orderBy(users.id)
    .limit(DIRECT_AUDIENCE + 1);
  if (people.length > DIRECT_AUDIENCE) {
    await fanOut(env, input);
    return;
  }
  await notify(
    env,
    people.map((p) => ({ type: input.type, key: input.key, user_id: p.id, data: input.data, ...(input.channels ? { channels: input.channels } : {}) })),
  );
}

/** Queues a campaign's first step when it is due within the queue's reach; later ones are started by the cron. */
async function startIfDue(env: Env, campaign: Campaign): Promise<void> {
  const wait = Math.ceil((Date.parse(campaign.scheduled_at ?? now()) - Date.now()) / 1000);
  if (wait > 12 * 3600) return; // beyond a queue message's longest delay: the cron starts it
  await env.NOTIFICATIONS.send({ kind: "campaign", batch_id: campaign.id, step: 0 } satisfies QueueMessage, wait > 0 ? { delaySeconds: wait } : undefined);
}

/** Scheduled campaigns now due and never started, queued again (the cron): step 0 runs once whatever the copies. */
export async function startDueCampaigns(env: Env): Promise<number> {
  const due = await getDb(env.DB)
    .select()
    .from(notification_batches)
    .where(and(eq(notification_batches.status, "SCHEDULED"), eq(notification_batches.step, 0), lte(notification_batches.scheduled_at, now())))
    .limit(50);
  for (const campaign of due) await startIfDue(env, campaign);
  return due.length;
}

function rates(env: Env): Record<Channel, number> {
  const fallback: Record<Channel, number> = { EMAIL: 20, SMS: 5, PUSH: 200, IN_APP: 500 };
  try {
    const parsed = JSON.parse(env.CAMPAIGN_RATES) as Partial<Record<Channel, number>>;
    for (const channel of Object.keys(fallback) as Channel[]) {
      const value = parsed[channel];
      if (typeof value === "number" && value > 0) fallback[channel] = value;
    }
  } catch {
    // keep the defaults
  }
  return fallback;
}

/** People a step may release (one step every STEP_SECONDS): as many as the slowest of `channels` may take in that time (CAMPAIGN_RATES). */
export function recipientsPerStep(env: Env, channels: readonly Channel[]): number {
  const limits = rates(env);
  return Math.min(MAX_RELEASE_PER_STEP, Math.max(1, Math.floor(Math.min(...channels.map((c) => limits[c])) * STEP_SECONDS)));
}

/**
 * Runs step `step` of a campaign, once. Returns roughly how many subrequests
 * it made, which the consumer counts against its budget.
 */
export async function runCampaignStep(env: Env, batchId: string, step: number): Promise<number> {
  const db = getDb(env.DB);
  const at = now();
  const [campaign] = await db
    .update(notification_batches)
    .set({ step: step + 1, status: "IN_PROGRESS", started_at: sql`coalesce(${notification_batches.started_at}, ${at})` })
    .where(
      and(
        eq(notification_batches.id, batchId),
        eq(notification_batches.step, step),
        inArray(notification_batches.status, ["SCHEDULED", "IN_PROGRESS"]),
        or(sql`${notification_batches.scheduled_at} IS NULL`, lte(notification_batches.scheduled_at, addSeconds(at, 1))),
      ),
    )
    .returning();
  if (!campaign) return 1; // a copy of a step already run, a cancelled campaign, or one not due yet
  const next = (delaySeconds: number) => env.NOTIFICATIONS.send({ kind: "campaign", batch_id: batchId, step: step + 1 } satisfies QueueMessage, delaySeconds ? { delaySeconds } : undefined);

  if (!campaign.expanded_at) {
    // A few chunks per step: each is one statement, so a step stays small, and a 100,000-person audience takes a handful of steps.
    let cursor = campaign.expand_cursor ?? "";
    let finished = false;
    for (let chunk = 0; chunk < EXPAND_CHUNKS_PER_STEP && !finished; chunk++) {
      const added = await db.all<{ user_id: string }>(sql`
        INSERT INTO ${notification_batch_recipients} (batch_id, user_id)
        SELECT ${batchId}, ${users.id} FROM ${users}
        WHERE ${audienceCondition(campaign.targeting_criteria)} AND ${users.id} > ${cursor}
        ORDER BY ${users.id} LIMIT ${EXPAND_CHUNK}
        ON CONFLICT DO NOTHING
        RETURNING user_id`);
      cursor = added.reduce((max, r) => (r.user_id > max ? r.user_id : max), cursor);
      finished = added.length < EXPAND_CHUNK;
    }
    if (finished) {
      const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(notification_batch_recipients).where(eq(notification_batch_recipients.batch_id, batchId));
      await db.update(notification_batches).set({ expand_cursor: cursor || null, expanded_at: now(), recipient_count: n }).where(eq(notification_batches.id, batchId));
    } else {
      await db.update(notification_batches).set({ expand_cursor: cursor }).where(eq(notification_batches.id, batchId));
    }
    await next(0);
    return 3 + EXPAND_CHUNKS_PER_STEP;
  }

  const perStep = recipientsPerStep(env, campaign.channels);
  const cursor = campaign.release_cursor ?? "";
  const [window] = await db.all<{ last: string | null }>(sql`
    SELECT max(user_id) AS last FROM (
      SELECT ${notification_batch_recipients.user_id} AS user_id FROM ${notification_batch_recipients}
      WHERE ${notification_batch_recipients.batch_id} = ${batchId} AND ${notification_batch_recipients.user_id} > ${cursor}
      ORDER BY ${notification_batch_recipients.user_id} LIMIT ${perStep})`);
  const last = window?.last ?? null;
  if (last) {
    const r = notification_batch_recipients;
    const priority = TYPE_RULES[campaign.notification_type].priority;
    const released = await db.all<{ id: string }>(sql`
      INSERT INTO ${message_deliveries} (id, dedupe_key, channel, recipient, user_id, notification_type, language, data, priority, batch_id)
      -- A random UUID v4 per delivery, made in SQL: the rows never pass through the Worker.
      SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
             ${`campaign:${batchId}`}, c.value,
             CASE c.value WHEN 'EMAIL' THEN ${users.email} WHEN 'SMS' THEN ${users.phone} ELSE ${users.id} END,
             ${users.id}, ${campaign.notification_type}, ${users.language}, ${JSON.stringify(campaign.data)}, ${priority}, ${batchId}
      FROM ${r} JOIN ${users} ON ${users.id} = ${r.user_id} JOIN json_each(${JSON.stringify(campaign.channels)}) AS c
      WHERE ${r.batch_id} = ${batchId} AND ${r.user_id} > ${cursor} AND ${r.user_id} <= ${last}
        AND (c.value <> 'SMS' OR ${users.phone} IS NOT NULL)
      ON CONFLICT (dedupe_key, channel, recipient) DO NOTHING
      RETURNING id`);
    await db.batch([
      db
        .update(r)
        .set({ status: "SENT", sent_at: now() })
        .where(and(eq(r.batch_id, batchId), sql`${r.user_id} > ${cursor}`, lte(r.user_id, last))),
      db.update(notification_batches).set({ release_cursor: last }).where(eq(notification_batches.id, batchId)),
    ]);
    await enqueueDeliveries(env, released.map((d) => d.id));
    await tally(env, batchId);
    await next(STEP_SECONDS);
    return 6 + Math.ceil(released.length / 500);
  }

  const open = await tally(env, batchId);
  if (open > 0) {
    await next(STEP_SECONDS);
    return 3;
  }
  await db
    .update(notification_batches)
    .set({ status: "COMPLETED", finished_at: now() })
    .where(and(eq(notification_batches.id, batchId), eq(notification_batches.status, "IN_PROGRESS")));
  return 3;
}

/**
 * Refreshes a campaign's counters from its deliveries (sent: accepted by a
 * provider or delivered; delivered; failed: failed or bounced; skipped) and
 * its in-app notifications read; returns how many deliveries are not settled yet.
 */
export async function tally(env: Env, batchId: string): Promise<number> {
  const db = getDb(env.DB);
  const d = message_deliveries;
  const [counts, reads] = await db.batch([
    db.select({ status: d.status, n: count() }).from(d).where(eq(d.batch_id, batchId)).groupBy(d.status),
    db.select({ n: count() }).from(notifications).where(and(eq(notifications.batch_id, batchId), sql`${notifications.read_at} IS NOT NULL`)),
  ]);
  const by = Object.fromEntries(counts.map((c) => [c.status, c.n])) as Partial<Record<(typeof counts)[number]["status"], number>>;
  const n = (...statuses: (keyof typeof by)[]) => statuses.reduce((sum, s) => sum + (by[s] ?? 0), 0);
  await db
    .update(notification_batches)
    .set({
      sent_count: n("SENT", "DELIVERED"),
      delivered_count: n("DELIVERED"),
      failed_count: n("FAILED", "BOUNCED"),
      skipped_count: n("SKIPPED"),
      read_count: reads[0]?.n ?? 0,
    })
    .where(eq(notification_batches.id, batchId));
  return n("PENDING", "SENDING", "SCHEDULED");
}

/** A campaign its creator (or an admin) may see; anyone else's is a 404. */
export async function campaignFor(env: Env, actor: Actor, id: string): Promise<Campaign> {
  const [campaign] = await getDb(env.DB).select().from(notification_batches).where(eq(notification_batches.id, id)).limit(1);
  if (!campaign || (actor.role !== "ADMIN" && campaign.created_by !== actor.userId)) throw problems.notFound("Campaign");
  return campaign;
}

export async function readCampaign(env: Env, actor: Actor, id: string): Promise<Campaign> {
  const campaign = await campaignFor(env, actor, id);
  if (campaign.status === "IN_PROGRESS" || campaign.status === "CANCELLED") {
    await tally(env, id);
    return campaignFor(env, actor, id);
  }
  return campaign;
}

export async function listCampaigns(env: Env, actor: Actor, query: { limit: number; cursor?: string }) {
  const after = decodeCursor(query.cursor);
  const b = notification_batches;
  const rows = await getDb(env.DB)
    .select()
    .from(b)
    .where(and(actor.role === "ADMIN" ? undefined : eq(b.created_by, actor.userId), afterCursor(after, b.created_at, b.id, "desc")))
    .orderBy(desc(b.created_at), desc(b.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

/**
 * Stops a campaign: no more steps, and what was queued but not sent yet is
 * skipped when the consumer reaches it (deliver.ts). Finished campaigns
 * cannot be cancelled.
 */
export async function cancelCampaign(env: Env, actor: Actor, id: string): Promise<Campaign> {
  await campaignFor(env, actor, id);
  const db = getDb(env.DB);
  const [cancelled] = await db
    .update(notification_batches)
    .set({ status: "CANCELLED", finished_at: now() })
    .where(and(eq(notification_batches.id, id), inArray(notification_batches.status, ["SCHEDULED", "IN_PROGRESS"])))
    .returning();
  if (!cancelled) {
    const current = await campaignFor(env, actor, id);
    throw problems.conflict("campaign_finished", `This campaign is ${current.status}; it cannot be cancelled.`);
  }
  await db
    .update(message_deliveries)
    .set({ status: "SKIPPED", error: "campaign_cancelled" })
    .where(and(eq(message_deliveries.batch_id, id), inArray(message_deliveries.status, ["PENDING", "SCHEDULED", "HELD"])));
  await tally(env, id);
  return campaignFor(env, actor, id);
}

