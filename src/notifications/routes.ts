import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAuth, requireRole, roleOnly, signedIn } from "../auth/middleware.ts";
import { ProblemError } from "../lib/errors.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { staysOpenInMaintenance } from "../site/maintenance.ts";
import { cancelCampaign, createCampaign, listCampaigns, readCampaign } from "./campaigns.ts";
import {
  deleteNotification,
  deletePushToken,
  listInbox,
  listPushTokens,
  markAllRead,
  markRead,
  readPreferences,
  refreshPushToken,
  registerPushToken,
  unreadCount,
  unsubscribe,
  updatePreferences,
} from "./inbox.ts";
import { applySmsStatus } from "./provider-events.ts";
import { verifyTwilioSignature } from "./providers/sms.ts";
import {
  CampaignBody,
  campaignIdParam,
  CampaignQuery,
  CampaignSchema,
  DeliveryQuery,
  DeliverySchema,
  deliveryIdParam,
  InboxItemSchema,
  InboxQuery,
  notificationIdParam,
  PreferencesBody,
  PreferencesSchema,
  PreviewBody,
  PreviewSchema,
  PushTokenBody,
  PushTokenRefreshBody,
  pushTokenIdParam,
  PushTokenSchema,
  ReadAllSchema,
  TemplateQuery,
  TemplateSchema,
  TemplateUpdateBody,
  templateParams,
  UnreadCountSchema,
} from "./schemas.ts";
import { listDeliveries, listTemplates, previewTemplate, readTemplate, resendDelivery, resetTemplate, updateTemplate } from "./template-admin.ts";

const tags = ["Notifications"];
const adminTags = ["Notifications: administration"];
const noContent = { description: "Done." };

/** Campaigns are for organizers and admins; checked before the body, so a stranger learns nothing from validation. */
const campaigners = roleOnly("ORGANIZER", "ADMIN");

const toPushToken = (row: z.infer<typeof PushTokenSchema> & { token?: string }) => PushTokenSchema.parse(row);

export function notificationRoutes() {
  const r = createRouter();

  // ---------------------------------------------------------------- inbox

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/notifications",
      operationId: "listMyNotifications",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My in-app notifications",
      description: "Newest first, cursor pages; `unread=true` for the unread ones only.",
      request: { query: InboxQuery },
      responses: { 200: jsonResponse(pageSchema(InboxItemSchema), "One page.") },
    }),
    async (c) => c.json(await listInbox(c.env, requireAuth(c.get("auth")).userId, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/notifications/unread-count",
      operationId: "countMyUnreadNotifications",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "How many of my notifications are unread",
      responses: { 200: jsonResponse(UnreadCountSchema, "The count (the app's badge).") },
    }),
    async (c) => c.json({ unread: await unreadCount(c.env, requireAuth(c.get("auth")).userId) }, 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/me/notifications/read-all",
      operationId: "markAllMyNotificationsRead",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Mark all my notifications read",
      responses: { 200: jsonResponse(ReadAllSchema, "How many were unread.") },
    }),
    async (c) => c.json({ updated: await markAllRead(c.env, requireAuth(c.get("auth")).userId) }, 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/me/notifications/{notification_id}/read",
      operationId: "markMyNotificationRead",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Mark one of my notifications read",
      description: "Idempotent: reading it again keeps the first `read_at`. Someone else's notification is a 404.",
      request: { params: notificationIdParam },
      responses: { 200: jsonResponse(InboxItemSchema, "The notification."), ...errors("not_found") },
    }),
    async (c) => c.json(await markRead(c.env, requireAuth(c.get("auth")).userId, c.req.valid("param").notification_id), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/me/notifications/{notification_id}",
      operationId: "deleteMyNotification",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete one of my notifications",
      request: { params: notificationIdParam },
      responses: { 204: noContent, ...errors("not_found") },
    }),
    async (c) => {
      await deleteNotification(c.env, requireAuth(c.get("auth")).userId, c.req.valid("param").notification_id);
      return c.body(null, 204);
    },
  );

  // ---------------------------------------------------------------- push tokens

  r.openapi(
    createRoute({
      method: "post",
      path: "/me/push-tokens",
      operationId: "registerPushToken",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Register this device for push",
      description:
        "The app sends the FCM registration token Firebase Messaging gave it (Android, iOS through APNs, or web). Registering a token again updates it; a token registered by another account moves to the caller (one device, whoever is signed in on it). Tokens FCM reports unregistered are deleted when a push is refused.",
      request: { body: jsonBody(PushTokenBody) },
      responses: { 200: jsonResponse(PushTokenSchema, "Already registered; updated."), 201: jsonResponse(PushTokenSchema, "Registered.") },
    }),
    async (c) => {
      const { token, created } = await registerPushToken(c.env, requireAuth(c.get("auth")).userId, c.req.valid("json"));
      return created ? c.json(toPushToken(token), 201) : c.json(toPushToken(token), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/push-tokens",
      operationId: "listMyPushTokens",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My devices registered for push",
      description: "The tokens themselves are not returned.",
      responses: { 200: jsonResponse(z.object({ data: z.array(PushTokenSchema) }), "My devices.") },
    }),
    async (c) => c.json({ data: (await listPushTokens(c.env, requireAuth(c.get("auth")).userId)).map(toPushToken) }, 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/me/push-tokens/{push_token_id}",
      operationId: "updatePushToken",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Refresh a device's push token",
      description: "When Firebase rotates the token (onTokenRefresh) or the app is updated: the same device keeps its id.",
      request: { params: pushTokenIdParam, body: jsonBody(PushTokenRefreshBody) },
      responses: { 200: jsonResponse(PushTokenSchema, "Updated."), ...errors("not_found") },
    }),
    async (c) => c.json(toPushToken(await refreshPushToken(c.env, requireAuth(c.get("auth")).userId, c.req.valid("param").push_token_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/me/push-tokens/{push_token_id}",
      operationId: "deletePushToken",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Unregister a device (on sign-out)",
      request: { params: pushTokenIdParam },
      responses: { 204: noContent, ...errors("not_found") },
    }),
    async (c) => {
      await deletePushToken(c.env, requireAuth(c.get("auth")).userId, c.req.valid("param").push_token_id);
      return c.body(null, 204);
    },
  );

  // ---------------------------------------------------------------- preferences

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/notification-preferences",
      operationId: "getMyNotificationPreferences",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My notification preferences",
      description: "Every type × channel I can receive, with my choice or the default (enabled, IMMEDIATE); my time zone and quiet hours; the marketing opt-outs of my account.",
      responses: { 200: jsonResponse(PreferencesSchema, "My preferences."), ...errors("not_found") },
    }),
    async (c) => c.json(await readPreferences(c.env, requireAuth(c.get("auth")).userId), 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/me/notification-preferences",
      operationId: "updateMyNotificationPreferences",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change my notification preferences",
      description:
        "Per type × channel: `enabled`, `frequency` (IMMEDIATE, DAILY or WEEKLY digests, NEVER) and the digests' `send_time` (HH:MM in my time zone; weekly ones on Mondays). `quiet_hours` delay push and SMS (not codes) until they end. Codes and security messages cannot be changed (422 `preference_locked`). Only the listed entries change.",
      request: { body: jsonBody(PreferencesBody) },
      responses: { 200: jsonResponse(PreferencesSchema, "My preferences now."), ...errors("not_found") },
    }),
    async (c) => c.json(await updatePreferences(c.env, requireAuth(c.get("auth")).userId, c.req.valid("json")), 200),
  );

  const unsubscribeRoute = (method: "get" | "post") =>
    createRoute({
      method,
      path: "/notifications/unsubscribe",
      operationId: method === "post" ? "unsubscribeOneClick" : "unsubscribe",
      tags,
      summary: method === "post" ? "One-click unsubscribe (RFC 8058, List-Unsubscribe-Post)" : "Unsubscribe from a marketing email",
      description: "The link of a marketing email's List-Unsubscribe header: that type of email is switched off for its recipient. No sign-in: the link is signed and names the person.",
      request: { query: z.object({ token: z.string().min(10).max(2000) }) },
      responses: {
        200: {
          description: "Unsubscribed.",
          content: {
            "application/json": { schema: z.object({ unsubscribed: z.literal(true), notification_type: z.string(), channel: z.string() }) },
            "text/html": { schema: z.string() },
          },
        },
        ...errors("invalid_unsubscribe_link"),
      },
    });
  for (const method of ["get", "post"] as const) {
    r.openapi(unsubscribeRoute(method), async (c) => {
      const done = await unsubscribe(c.env, c.req.valid("query").token);
      if (method === "get" && (c.req.header("Accept") ?? "").includes("text/html")) {
        return c.html("<!doctype html><meta charset=utf-8><title>SpotVibe</title><p>Vous ne recevrez plus ces e-mails. / You will not receive these emails any more.</p>", 200);
      }
      return c.json({ unsubscribed: true as const, ...done }, 200);
    });
  }

  // ---------------------------------------------------------------- provider callbacks

  r.openapi(
    createRoute({
      method: "post",
      path: "/webhooks/sms/twilio/status",
      operationId: "twilioSmsStatusWebhook",
      // Twilio does not retry a refused status callback by default: refused during a maintenance window, a delivery would stay SENT.
      middleware: [staysOpenInMaintenance] as const,
      tags,
      summary: "Twilio's SMS status callback",
      description:
        "Twilio posts each message's status (form-encoded) to the StatusCallback given when it was sent, signed with X-Twilio-Signature (HMAC-SHA1 of the URL and sorted parameters, keyed with the auth token). Verified, then applied to the delivery: delivered, undelivered or failed (an unreachable or landline number is suppressed).",
      responses: { 204: { description: "Applied (or nothing to apply)." }, ...errors("webhook_bad_signature") },
    }),
    async (c) => {
      const body = await c.req.text();
      const params = new URLSearchParams(body);
      if (!(await verifyTwilioSignature(c.env.TWILIO_AUTH_TOKEN, c.req.url, params, c.req.header("X-Twilio-Signature")))) {
        throw new ProblemError(403, "webhook_bad_signature", "Webhook refused", "The X-Twilio-Signature does not match this request.");
      }
      await applySmsStatus(c.env, params);
      return c.body(null, 204);
    },
  );

  // ---------------------------------------------------------------- templates (admins)

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/notification-templates",
      operationId: "listNotificationTemplates",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Message templates",
      description: "One per type and language (fr, ar, en), seeded from the defaults on first use.",
      request: { query: TemplateQuery },
      responses: { 200: jsonResponse(z.object({ data: z.array(TemplateSchema) }), "The templates."), ...errors("forbidden") },
    }),
    async (c) => c.json({ data: await listTemplates(c.env, c.req.valid("query")) }, 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/notification-templates/{notification_type}/{language}",
      operationId: "getNotificationTemplate",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One template",
      description: "`available_variables` lists the `{name}` placeholders its texts may use.",
      request: { params: templateParams },
      responses: { 200: jsonResponse(TemplateSchema, "The template."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { notification_type, language } = c.req.valid("param");
      return c.json(await readTemplate(c.env, notification_type, language), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/admin/notification-templates/{notification_type}/{language}",
      operationId: "updateNotificationTemplate",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Edit a template",
      description:
        "Texts use `{name}` placeholders among `available_variables` (anything else is 422 `unknown_variable`); values are escaped in email HTML. The email body may not carry scripts, event handlers, frames or forms (`unsafe_html`); the SMS text fits 160 characters. `active_channels` switches channels off. Audited; in effect within 30 seconds everywhere.",
      request: { params: templateParams, body: jsonBody(TemplateUpdateBody) },
      responses: { 200: jsonResponse(TemplateSchema, "Updated."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { notification_type, language } = c.req.valid("param");
      return c.json(await updateTemplate(c.env, actorOf(c), notification_type, language, c.req.valid("json")), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/notification-templates/{notification_type}/{language}/reset",
      operationId: "resetNotificationTemplate",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Put a template back to its default text",
      request: { params: templateParams },
      responses: { 200: jsonResponse(TemplateSchema, "Reset."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const { notification_type, language } = c.req.valid("param");
      return c.json(await resetTemplate(c.env, actorOf(c), notification_type, language), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/notification-templates/{notification_type}/{language}/preview",
      operationId: "previewNotificationTemplate",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Preview a template on every channel",
      description: "With the stored text or unsaved `content`, and `data` for its variables (examples fill the others). Validated like an edit; nothing is sent.",
      request: { params: templateParams, body: jsonBody(PreviewBody) },
      responses: { 200: jsonResponse(PreviewSchema, "What each channel would show."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const { notification_type, language } = c.req.valid("param");
      return c.json(await previewTemplate(c.env, notification_type, language, c.req.valid("json")), 200);
    },
  );

  // ---------------------------------------------------------------- deliveries (admins)

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/message-deliveries",
      operationId: "listMessageDeliveries",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Messages sent, held or failed",
      description: "Newest first; filter by status, channel, person or type. What each provider answered is in `provider_message_id` and `error`.",
      request: { query: DeliveryQuery },
      responses: { 200: jsonResponse(pageSchema(DeliverySchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listDeliveries(c.env, c.req.valid("query"));
      return c.json({ data: page.data.map((row) => DeliverySchema.parse(row)), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/message-deliveries/{delivery_id}/resend",
      operationId: "resendMessageDelivery",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Send a FAILED message again",
      description: "For a delivery that failed (dead-lettered, or whose outcome was lost): it is queued again. Any other status is 409: nothing is sent twice.",
      request: { params: deliveryIdParam },
      responses: { 200: jsonResponse(DeliverySchema, "Queued again."), ...errors("delivery_not_failed", "forbidden", "not_found") },
    }),
    async (c) => c.json(DeliverySchema.parse(await resendDelivery(c.env, actorOf(c), c.req.valid("param").delivery_id)), 200),
  );

  // ---------------------------------------------------------------- campaigns

  r.openapi(
    createRoute({
      method: "post",
      path: "/campaigns",
      operationId: "createCampaign",
      tags,
      security: bearerAuth,
      middleware: [campaigners] as const,
      summary: "Send a campaign",
      description:
        "Admins to any audience; organizers to their own (their events' ticket holders or participants, their followers, their season passes' holders). Sent now or at `scheduled_at`, throttled per provider, in queue batches; opt-outs and preferences apply to each recipient at send time. An audience over the maximum is 422 `campaign_too_large`; someone else's event, plan or group is 404.",
      request: { body: jsonBody(CampaignBody) },
      responses: { 201: jsonResponse(CampaignSchema, "Created (and started if due)."), ...errors("audience_not_allowed", "campaign_too_large", "forbidden", "not_found") },
    }),
    async (c) => {
      const auth = requireRole(c.get("auth"), "ORGANIZER", "ADMIN");
      return c.json(CampaignSchema.parse(await createCampaign(c.env, auth, c.req.valid("json"))), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/campaigns",
      operationId: "listCampaigns",
      tags,
      security: bearerAuth,
      middleware: [campaigners] as const,
      summary: "My campaigns (all of them for admins)",
      request: { query: CampaignQuery },
      responses: { 200: jsonResponse(pageSchema(CampaignSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const auth = requireRole(c.get("auth"), "ORGANIZER", "ADMIN");
      const page = await listCampaigns(c.env, auth, c.req.valid("query"));
      return c.json({ data: page.data.map((row) => CampaignSchema.parse(row)), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/campaigns/{campaign_id}",
      operationId: "getCampaign",
      tags,
      security: bearerAuth,
      middleware: [campaigners] as const,
      summary: "A campaign and its counts",
      description: "Targeted, sent, delivered, failed, skipped and read (in-app) counts, refreshed while it runs.",
      request: { params: campaignIdParam },
      responses: { 200: jsonResponse(CampaignSchema, "The campaign."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const auth = requireRole(c.get("auth"), "ORGANIZER", "ADMIN");
      return c.json(CampaignSchema.parse(await readCampaign(c.env, auth, c.req.valid("param").campaign_id)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/campaigns/{campaign_id}/cancel",
      operationId: "cancelCampaign",
      tags,
      security: bearerAuth,
      middleware: [campaigners] as const,
      summary: "Cancel a campaign",
      description: "No more messages are released; those queued but not sent yet are skipped. A finished campaign is 409.",
      request: { params: campaignIdParam },
      responses: { 200: jsonResponse(CampaignSchema, "Cancelled."), ...errors("campaign_finished", "concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      const auth = requireRole(c.get("auth"), "ORGANIZER", "ADMIN");
      return c.json(CampaignSchema.parse(await cancelCampaign(c.env, auth, c.req.valid("param").campaign_id)), 200);
    },
  );

  return r;
}
