import { z } from "@hono/zod-openapi";
import { LANGUAGES } from "../db/enums.ts";
import { instant, text } from "../lib/schemas.ts";
import { isTimeZone } from "../lib/time.ts";
import { pageQuery } from "../lib/pagination.ts";
import { CAMPAIGN_TYPES, MAX_CAMPAIGN_RECIPIENTS } from "./campaigns.ts";
import {
  BATCH_STATUSES,
  CHANNELS,
  DELIVERY_STATUSES,
  NOTIFICATION_FREQUENCIES,
  NOTIFICATION_PRIORITIES,
  NOTIFICATION_STATUSES,
  NOTIFICATION_TYPES,
  PUSH_PLATFORMS,
  messageValueSchema,
  targetingCriteriaSchema,
} from "./schema.ts";

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Expected a time of day, HH:MM (00:00–23:59).")
  .openapi({ example: "22:00" });

export const notificationIdParam = z.object({ notification_id: z.uuid() });
export const pushTokenIdParam = z.object({ push_token_id: z.uuid() });
export const templateParams = z.object({ notification_type: z.enum(NOTIFICATION_TYPES), language: z.enum(LANGUAGES) });
export const campaignIdParam = z.object({ campaign_id: z.uuid() });
export const deliveryIdParam = z.object({ delivery_id: z.string().min(1).max(64) });

// ---------------------------------------------------------------- inbox

export const InboxQuery = z.object({ ...pageQuery, unread: z.enum(["true", "false"]).optional().openapi({ description: "`true`: unread only." }) }).strict();

export const InboxItemSchema = z
  .object({
    id: z.string(),
    notification_type: z.enum(NOTIFICATION_TYPES),
    title: z.string(),
    message: z.string(),
    object_type: z.string().nullable(),
    object_id: z.string().nullable(),
    priority: z.enum(NOTIFICATION_PRIORITIES),
    status: z.enum(NOTIFICATION_STATUSES),
    action_url: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    read_at: z.string().nullable(),
  })
  .openapi("InboxNotification");

export const UnreadCountSchema = z.object({ unread: z.number().int() }).openapi("UnreadCount");
export const ReadAllSchema = z.object({ updated: z.number().int() }).openapi("ReadAll");

// ---------------------------------------------------------------- push tokens

const deviceText = (max: number) => z.string().trim().min(1).max(max);

export const PushTokenBody = z
  .object({
    token: z.string().min(16).max(4096).openapi({ description: "The FCM registration token the app got from Firebase Messaging." }),
    platform: z.enum(PUSH_PLATFORMS),
    device_name: deviceText(100).optional(),
    app_version: deviceText(32).optional(),
    os_version: deviceText(32).optional(),
    language: z.enum(LANGUAGES).optional(),
  })
  .strict()
  .openapi("PushTokenRegistration");

export const PushTokenRefreshBody = z
  .object({
    token: z.string().min(16).max(4096).optional().openapi({ description: "The new FCM token (Firebase's onTokenRefresh)." }),
    app_version: deviceText(32).optional(),
    os_version: deviceText(32).optional(),
    language: z.enum(LANGUAGES).optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: "Send at least one field." })
  .openapi("PushTokenRefresh");

export const PushTokenSchema = z
  .object({
    id: z.string(),
    platform: z.enum(PUSH_PLATFORMS),
    device_name: z.string().nullable(),
    app_version: z.string().nullable(),
    os_version: z.string().nullable(),
    language: z.enum(LANGUAGES).nullable(),
    is_active: z.boolean(),
    last_used_at: z.string().nullable(),
    sent_count: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("PushToken");

// ---------------------------------------------------------------- preferences

export const PreferenceSchema = z
  .object({
    notification_type: z.enum(NOTIFICATION_TYPES),
    channel: z.enum(CHANNELS),
    enabled: z.boolean(),
    frequency: z.enum(NOTIFICATION_FREQUENCIES),
    send_time: z.string().nullable().openapi({ description: "When DAILY and WEEKLY (Mondays) digests of this type go out, HH:MM in `time_zone`; null: 08:00." }),
    locked: z.boolean().openapi({ description: "Codes and security messages: always sent at once, not changeable." }),
  })
  .openapi("NotificationPreference");

export const PreferencesSchema = z
  .object({
    email_enabled: z.boolean().openapi({ description: "`users.notifications_email`: marketing email (change it with PATCH /v1/me). Transactional email is sent anyway." }),
    push_enabled: z.boolean().openapi({ description: "`users.notifications_push`: marketing push (PATCH /v1/me)." }),
    time_zone: z.string(),
    quiet_hours: z.object({ start: z.string(), end: z.string() }).nullable(),
    preferences: z.array(PreferenceSchema),
  })
  .openapi("NotificationPreferences");

export const PreferencesBody = z
  .object({
    time_zone: z
      .string()
      .max(64)
      .refine(isTimeZone, "Unknown time zone; use an IANA name such as Africa/Tunis.")
      .optional(),
    quiet_hours: z
      .object({ start: clockTime, end: clockTime })
      .strict()
      .refine((q) => q.start !== q.end, "Quiet hours must not start and end at the same time.")
      .nullable()
      .optional()
      .openapi({ description: "Push and SMS (not codes) wait until the end; null removes them." }),
    preferences: z
      .array(
        z
          .object({
            notification_type: z.enum(NOTIFICATION_TYPES),
            channel: z.enum(CHANNELS),
            enabled: z.boolean().optional(),
            frequency: z.enum(NOTIFICATION_FREQUENCIES).optional(),
            send_time: clockTime.nullable().optional(),
          })
          .strict(),
      )
      .max(200)
      .optional(),
  })
  .strict()
  .openapi("NotificationPreferencesUpdate");

// ---------------------------------------------------------------- templates

export const TemplateSchema = z
  .object({
    id: z.string(),
    notification_type: z.enum(NOTIFICATION_TYPES),
    language: z.enum(LANGUAGES),
    name: z.string(),
    description: z.string().nullable(),
    email_subject: z.string().nullable(),
    email_body_html: z.string().nullable(),
    push_title: z.string().nullable(),
    push_body: z.string().nullable(),
    sms_body: z.string().nullable(),
    in_app_body: z.string().nullable(),
    active_channels: z.array(z.enum(CHANNELS)),
    available_variables: z.array(z.string()).nullable(),
    is_active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("NotificationTemplate");

export const TemplateQuery = z.object({ notification_type: z.enum(NOTIFICATION_TYPES).optional(), language: z.enum(LANGUAGES).optional() }).strict();

export const TemplateUpdateBody = z
  .object({
    name: text(150).optional(),
    description: z.string().max(1000).nullable().optional(),
    email_subject: text(300).optional(),
    email_body_html: text(50_000).optional(),
    push_title: text(150).optional(),
    push_body: text(500).optional(),
    sms_body: z.string().trim().min(1).max(160).nullable().optional(),
    in_app_body: text(2000).optional(),
    active_channels: z.array(z.enum(CHANNELS)).max(4).optional(),
    is_active: z.boolean().optional(),
  })
  .strict()
  .openapi("NotificationTemplateUpdate");

export const PreviewBody = z
  .object({
    data: z.record(z.string(), messageValueSchema).optional().openapi({ description: "Values for the variables; missing ones get examples." }),
    content: TemplateUpdateBody.optional().openapi({ description: "Unsaved changes to preview instead of the stored text." }),
  })
  .strict()
  .openapi("NotificationTemplatePreviewRequest");

export const PreviewSchema = z
  .object({
    email: z.object({ subject: z.string(), html: z.string(), text: z.string() }),
    push: z.object({ title: z.string(), body: z.string() }),
    sms: z.string().nullable(),
    in_app: z.object({ title: z.string(), message: z.string() }),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("NotificationTemplatePreview");

// ---------------------------------------------------------------- deliveries

export const DeliveryQuery = z
  .object({
    ...pageQuery,
    status: z.enum(DELIVERY_STATUSES).optional(),
    channel: z.enum(CHANNELS).optional(),
    user_id: z.uuid().optional(),
    notification_type: z.enum(NOTIFICATION_TYPES).optional(),
  })
  .strict();

export const DeliverySchema = z
  .object({
    id: z.string(),
    dedupe_key: z.string(),
    channel: z.enum(CHANNELS),
    recipient: z.string(),
    user_id: z.string().nullable(),
    notification_type: z.enum(NOTIFICATION_TYPES),
    language: z.enum(LANGUAGES),
    status: z.enum(DELIVERY_STATUSES),
    subject: z.string().nullable(),
    provider: z.string().nullable(),
    provider_message_id: z.string().nullable(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    batch_id: z.string().nullable(),
    send_after: z.string().nullable(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
  })
  .openapi("MessageDelivery");

// ---------------------------------------------------------------- campaigns

export const CampaignBody = z
  .object({
    name: text(200),
    description: z.string().max(2000).nullable().optional(),
    notification_type: z.enum(CAMPAIGN_TYPES).default("ANNOUNCEMENT"),
    channels: z.array(z.enum(CHANNELS)).min(1).max(4),
    data: z
      .record(z.string().max(64), messageValueSchema)
      .refine((d) => Object.keys(d).length <= 20, "At most 20 variables.")
      .refine((d) => Object.values(d).every((v) => typeof v !== "string" || v.length <= 2000), "Each text is at most 2000 characters.")
      .openapi({ description: "The template's variables: `title` and `message` for ANNOUNCEMENT (plus `starts_at`, `ends_at` for SYSTEM_MAINTENANCE)." }),
    // Rebuilt here: a zod 4 schema has `.openapi` only if made after @hono/zod-openapi loaded, and table files may load first.
    targeting: z.object(targetingCriteriaSchema.shape).strict().openapi({
      description: `Who: audience ALL_USERS (admins), EVENT_HOLDERS / EVENT_PARTICIPANTS (event_id), FOLLOWERS (of the organizer), PASS_HOLDERS (plan_id); narrowed by language, city, category_id (a ticket to or participation in such an event), user_group_id, role (admins). At most CAMPAIGN_MAX_RECIPIENTS people (${MAX_CAMPAIGN_RECIPIENTS} by default).`,
    }),
    scheduled_at: instant.optional(),
  })
  .strict()
  .openapi("CampaignCreate");

export const CampaignSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    notification_type: z.enum(NOTIFICATION_TYPES),
    channels: z.array(z.enum(CHANNELS)),
    data: z.record(z.string(), z.unknown()),
    targeting_criteria: z.record(z.string(), z.unknown()),
    scheduled_at: z.string().nullable(),
    status: z.enum(BATCH_STATUSES),
    recipient_count: z.number().int().openapi({ description: "Targeted people." }),
    sent_count: z.number().int().openapi({ description: "Messages a provider accepted (or delivered)." }),
    delivered_count: z.number().int(),
    failed_count: z.number().int().openapi({ description: "Failed or bounced." }),
    skipped_count: z.number().int().openapi({ description: "Not sent on purpose: opted out, no device or number, cancelled." }),
    read_count: z.number().int().openapi({ description: "In-app notifications opened." }),
    created_by: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("Campaign");

export const CampaignQuery = z.object(pageQuery).strict();
