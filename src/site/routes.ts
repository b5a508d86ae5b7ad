import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import { adminOnly, requireAuth, signedIn } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse, pick } from "../lib/openapi.ts";
import { afterCursor, decodeCursor, pageQuery, pageSchema, toPage } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { now } from "../lib/time.ts";
import { actorOf } from "./audit.ts";
import { createContactMessage, listContactMessages, loadContactMessage, replyToContactMessage, updateContactMessage } from "./contact.ts";
import { createFaq, deleteFaq, listFaqs, loadFaq, updateFaq, viewFaq, voteFaq, voterKey } from "./faq.ts";
import { audit_log } from "./schema.ts";
import {
  AdminFaqQuery,
  AdminFaqSchema,
  AuditEntrySchema,
  AuditQuery,
  ContactBody,
  contactIdParam,
  ContactMessageSchema,
  ContactQuery,
  ContactReplyBody,
  ContactUpdateBody,
  FaqCreateBody,
  FaqDetailSchema,
  faqIdParam,
  FaqQuery,
  FaqSchema,
  FaqUpdateBody,
  FaqVoteBody,
  OwnContactMessageSchema,
  PublicSettingsSchema,
  PublicStatusSchema,
  SettingCreateBody,
  settingKeyParam,
  SettingQuery,
  SettingSchema,
  SettingUpdateBody,
  StatusCreateBody,
  statusIdParam,
  StatusQuery,
  StatusUpdateBody,
  SystemStatusSchema,
  toAdminFaq,
  toFaq,
  toOwnContactMessage,
  toSetting,
} from "./schemas.ts";
import { createSetting, deleteSetting, listSettings, loadSetting, publicSettings, SETTINGS_TTL_MS, updateSetting } from "./settings.ts";
import { createStatus, currentStatuses, deleteStatus, endOf, listStatuses, loadStatus, updateStatus, worstState } from "./status.ts";

const tags = ["Site"];
const adminTags = ["Administration"];
const noContent = { description: "Done." };

export function siteRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags,
      summary: "Liveness and database check",
      responses: {
        200: jsonResponse(z.object({ status: z.literal("ok"), time: z.string(), database: z.literal("ok") }), "The API and D1 answer."),
        503: jsonResponse(z.object({ status: z.literal("degraded"), time: z.string(), database: z.literal("unreachable") }), "D1 does not answer."),
      },
    }),
    async (c) => {
      c.header("Cache-Control", "no-store");
      const time = new Date().toISOString();
      try {
        await getDb(c.env.DB).run(sql`SELECT 1`);
        return c.json({ status: "ok" as const, time, database: "ok" as const }, 200);
      } catch (error) {
        console.error("health: D1 unreachable", error);
        return c.json({ status: "degraded" as const, time, database: "unreachable" as const }, 503);
      }
    },
  );

  // ------------------------------------------------------------ system status

  r.openapi(
    createRoute({
      method: "get",
      path: "/status",
      tags,
      summary: "Current system status, for the app's banner",
      description:
        "The statuses whose window covers now (incidents, maintenance), the most serious state among them, and whether access is blocked (then every other /v1 route answers 503 except to admins). Reachable during maintenance.",
      responses: { 200: jsonResponse(PublicStatusSchema, "Now.") },
    }),
    async (c) => {
      const time = now();
      const current = await currentStatuses(c.env, time);
      const blocks = current.filter((row) => row.block_access);
      const ends = blocks.map(endOf);
      c.header("Cache-Control", "public, max-age=5");
      return c.json(
        {
          status: worstState(current),
          access_blocked: blocks.length > 0,
          blocked_until: blocks.length === 0 || ends.includes(null) ? null : ends.sort().at(-1)!,
          current: current.map(({ id, title, description, status, severity, starts_at, expected_end_at, show_banner, block_access }) => ({
            id,
            title,
            description,
            status,
            severity,
            starts_at,
            expected_end_at,
            show_banner,
            block_access,
          })),
          time,
        },
        200,
      );
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/system-statuses",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Incidents and maintenance windows",
      description: "Latest start first.",
      request: { query: StatusQuery },
      responses: { 200: jsonResponse(pageSchema(SystemStatusSchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const page = await listStatuses(c.env, c.req.valid("query"));
      return c.json(page, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/system-statuses",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Declare an incident or a maintenance window",
      description:
        "The window runs from `starts_at` (default now) to `ended_at`, else `expected_end_at`, else until ended. With `block_access` the API answers 503 to everyone but admins while it covers now; this isolate applies it at once, others within 5 seconds.",
      request: { body: jsonBody(StatusCreateBody) },
      responses: { 201: jsonResponse(SystemStatusSchema, "Created."), ...pick(400, 401, 403, 413, 415, 422) },
    }),
    async (c) => c.json(await createStatus(c.env, actorOf(c), c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/system-statuses/{status_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One system status",
      request: { params: statusIdParam },
      responses: { 200: jsonResponse(SystemStatusSchema, "The status."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => c.json(await loadStatus(c.env, c.req.valid("param").status_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/system-statuses/{status_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Update a system status",
      description: "Set `ended_at` (e.g. now) to lift it; move `expected_end_at` to extend a window. `null` clears an end.",
      request: { params: statusIdParam, body: jsonBody(StatusUpdateBody) },
      responses: { 200: jsonResponse(SystemStatusSchema, "Updated."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(await updateStatus(c.env, actorOf(c), c.req.valid("param").status_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/system-statuses/{status_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete a system status",
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
      request: { params: statusIdParam },
    }),
    async (c) => {
      await deleteStatus(c.env, actorOf(c), c.req.valid("param").status_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ settings

  r.openapi(
    createRoute({
      method: "get",
      path: "/settings/public",
      tags,
      summary: "Public app settings",
      description: `The settings of category \`public\` as \`{ key: typed value }\`. Served from a per-isolate cache: a change shows within ${SETTINGS_TTL_MS / 1000} seconds.`,
      responses: { 200: jsonResponse(PublicSettingsSchema, "Key → value.") },
    }),
    async (c) => {
      c.header("Cache-Control", "public, max-age=30");
      return c.json(await publicSettings(c.env), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/settings",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "App settings",
      description: "By key; optionally of one category.",
      request: { query: SettingQuery },
      responses: { 200: jsonResponse(pageSchema(SettingSchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const page = await listSettings(c.env, c.req.valid("query"));
      return c.json({ data: page.data.map(toSetting), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/settings",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Create a setting",
      description: "The value is checked against its `value_type` (422 otherwise). Audited.",
      request: { body: jsonBody(SettingCreateBody) },
      responses: { 201: jsonResponse(SettingSchema, "Created."), ...pick(400, 401, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toSetting(await createSetting(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/settings/{key}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One setting",
      request: { params: settingKeyParam },
      responses: { 200: jsonResponse(SettingSchema, "The setting."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => c.json(toSetting(await loadSetting(c.env, c.req.valid("param").key)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/settings/{key}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Change a setting",
      description:
        "Only settings with `is_editable` (403 `setting_not_editable` otherwise). The value is checked against the (new) `value_type`. Audited as CONFIG. Code reading it through `getSetting` sees the change at once in this isolate, within 30 seconds elsewhere.",
      request: { params: settingKeyParam, body: jsonBody(SettingUpdateBody) },
      responses: { 200: jsonResponse(SettingSchema, "Updated."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toSetting(await updateSetting(c.env, actorOf(c), c.req.valid("param").key, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/settings/{key}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete a setting",
      description: "Only settings with `is_editable`; code falls back to its default.",
      request: { params: settingKeyParam },
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      await deleteSetting(c.env, actorOf(c), c.req.valid("param").key);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ audit log

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/audit-log",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "The audit trail",
      description:
        "Every create, update, delete, approval and rejection made by organizers and admins, with the object's state before and after. Newest first; `from` inclusive, `to` exclusive.",
      request: { query: AuditQuery },
      responses: { 200: jsonResponse(pageSchema(AuditEntrySchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const after = decodeCursor(q.cursor);
      const rows = await getDb(c.env.DB)
        .select()
        .from(audit_log)
        .where(
          and(
            q.object_type ? eq(audit_log.object_type, q.object_type) : undefined,
            q.object_id ? eq(audit_log.object_id, q.object_id) : undefined,
            q.user_id ? eq(audit_log.user_id, q.user_id) : undefined,
            q.action ? eq(audit_log.action, q.action) : undefined,
            q.from ? gte(audit_log.created_at, q.from) : undefined,
            q.to ? lt(audit_log.created_at, q.to) : undefined,
            afterCursor(after, audit_log.created_at, audit_log.id, "desc"),
          ),
        )
        .orderBy(desc(audit_log.created_at), desc(audit_log.id))
        .limit(q.limit + 1);
      return c.json(toPage(rows, q.limit, (row) => ({ k: row.created_at, id: row.id })), 200);
    },
  );

  // ------------------------------------------------------------ contact messages

  r.openapi(
    createRoute({
      method: "post",
      path: "/contact",
      tags,
      summary: "Write to the team",
      description:
        "Open to visitors; a signed-in sender's message is linked to their account (see /v1/me/contact-messages). Limited to 5 messages per hour per IP address (429 with Retry-After).",
      request: { body: jsonBody(ContactBody) },
      responses: { 201: jsonResponse(OwnContactMessageSchema, "Received."), ...pick(400, 401, 413, 415, 422, 429) },
    }),
    async (c) => {
      const meta = clientMeta(c);
      await enforceRateLimit(c.env, "contact-ip", ipKey(meta));
      const row = await createContactMessage(c.env, c.req.valid("json"), { userId: c.get("auth")?.userId ?? null, ip: meta.ip });
      return c.json(toOwnContactMessage(row), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/contact-messages",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My messages to the team",
      description: "Those sent while signed in, newest first, with the team's reply.",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(OwnContactMessageSchema), "One page."), ...pick(401, 422) },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const page = await listContactMessages(c.env, { ...c.req.valid("query"), user_id: auth.userId });
      return c.json({ data: page.data.map(toOwnContactMessage), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/contact-messages",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Messages to the team",
      description: "Newest first; filter by status and assignee.",
      request: { query: ContactQuery },
      responses: { 200: jsonResponse(pageSchema(ContactMessageSchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => c.json(await listContactMessages(c.env, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/contact-messages/{message_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One message to the team",
      request: { params: contactIdParam },
      responses: { 200: jsonResponse(ContactMessageSchema, "The message."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => c.json(await loadContactMessage(c.env, c.req.valid("param").message_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/contact-messages/{message_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Move a message along its workflow or assign it",
      description:
        "Status only forward (NEW → IN_PROGRESS → RESOLVED → CLOSED, steps may be skipped; 409 `invalid_status_transition` backwards). Leaving NEW sets `handled_at`, reaching RESOLVED or CLOSED sets `resolved_at`. `assigned_to` must be an active admin.",
      request: { params: contactIdParam, body: jsonBody(ContactUpdateBody) },
      responses: { 200: jsonResponse(ContactMessageSchema, "Updated."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(await updateContactMessage(c.env, actorOf(c), c.req.valid("param").message_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/contact-messages/{message_id}/reply",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Reply to a message",
      description:
        "Stores the reply, marks the message RESOLVED (setting its dates; an unassigned message is assigned to the replier) and emails the sender (CONTACT_REPLY, in their language, French for visitors). 409 `contact_message_closed` once CLOSED.",
      request: { params: contactIdParam, body: jsonBody(ContactReplyBody) },
      responses: { 200: jsonResponse(ContactMessageSchema, "Replied."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(await replyToContactMessage(c.env, actorOf(c), c.req.valid("param").message_id, c.req.valid("json").reply), 200),
  );

  // ------------------------------------------------------------ FAQ

  r.openapi(
    createRoute({
      method: "get",
      path: "/faqs",
      tags,
      summary: "Frequently asked questions",
      description: "Active questions of one language (default fr), optionally of one category, in display order.",
      request: { query: FaqQuery },
      responses: { 200: jsonResponse(pageSchema(FaqSchema), "One page."), ...pick(422) },
    }),
    async (c) => {
      const page = await listFaqs(c.env, { ...c.req.valid("query"), is_active: true });
      c.header("Cache-Control", "public, max-age=60");
      return c.json({ data: page.data.map(toFaq), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/faqs/{faq_id}",
      tags,
      summary: "One question (counts a view)",
      description: "With the caller's own vote (`my_vote`): by account when signed in, else by device.",
      request: { params: faqIdParam },
      responses: { 200: jsonResponse(FaqDetailSchema, "The question."), ...pick(401, 404, 422) },
    }),
    async (c) => {
      const voter = await voterKey(c.env, c.get("auth")?.userId, clientMeta(c));
      const row = await viewFaq(c.env, c.req.valid("param").faq_id, voter);
      c.header("Cache-Control", "private, no-store");
      return c.json({ ...toFaq(row), my_vote: row.my_vote }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/faqs/{faq_id}/vote",
      tags,
      summary: "Say whether a question helped",
      description:
        "One vote per person (the account when signed in, else the device: IP and user agent); voting again changes the vote, the counters moving with it.",
      request: { params: faqIdParam, body: jsonBody(FaqVoteBody) },
      responses: { 200: jsonResponse(FaqDetailSchema, "The question with its counters."), ...pick(400, 401, 404, 413, 415, 422) },
    }),
    async (c) => {
      const userId = c.get("auth")?.userId;
      const voter = await voterKey(c.env, userId, clientMeta(c));
      const row = await voteFaq(c.env, c.req.valid("param").faq_id, voter, userId ?? null, c.req.valid("json").helpful);
      return c.json({ ...toFaq(row), my_vote: row.my_vote }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/faqs",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "All questions, active or not",
      request: { query: AdminFaqQuery },
      responses: { 200: jsonResponse(pageSchema(AdminFaqSchema), "One page, in display order."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const page = await listFaqs(c.env, c.req.valid("query"));
      return c.json({ data: page.data.map(toAdminFaq), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/faqs",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Add a question",
      request: { body: jsonBody(FaqCreateBody) },
      responses: { 201: jsonResponse(AdminFaqSchema, "Created."), ...pick(400, 401, 403, 413, 415, 422) },
    }),
    async (c) => c.json(toAdminFaq(await createFaq(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/faqs/{faq_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One question, active or not",
      request: { params: faqIdParam },
      responses: { 200: jsonResponse(AdminFaqSchema, "The question."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => c.json(toAdminFaq(await loadFaq(c.env, c.req.valid("param").faq_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/faqs/{faq_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Edit a question",
      description: "Counters are not editable; `is_active: false` hides it from the public.",
      request: { params: faqIdParam, body: jsonBody(FaqUpdateBody) },
      responses: { 200: jsonResponse(AdminFaqSchema, "Updated."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toAdminFaq(await updateFaq(c.env, actorOf(c), c.req.valid("param").faq_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/faqs/{faq_id}",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete a question and its votes",
      request: { params: faqIdParam },
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      await deleteFaq(c.env, actorOf(c), c.req.valid("param").faq_id);
      return c.body(null, 204);
    },
  );

  return r;
}
