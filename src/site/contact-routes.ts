import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAuth, signedIn } from "../auth/middleware.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageQuery, pageSchema } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { actorOf } from "./audit.ts";
import { createContactMessage, listContactMessages, loadContactMessage, replyToContactMessage, updateContactMessage } from "./contact.ts";
import { ContactBody, contactIdParam, ContactMessageSchema, ContactQuery, ContactReplyBody, ContactUpdateBody, OwnContactMessageSchema, toOwnContactMessage } from "./schemas.ts";

const tags = ["Site"];
const adminTags = ["Administration"];

/** Contact messages: sent by anyone, read and answered by admins. */
export function contactRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/contact",
      operationId: "sendContactMessage",
      tags,
      summary: "Write to the team",
      description:
        "Open to visitors; a signed-in sender's message is linked to their account (see /v1/me/contact-messages). Limited to 5 messages per hour per IP address (429 with Retry-After).",
      request: { body: jsonBody(ContactBody) },
      responses: { 201: jsonResponse(OwnContactMessageSchema, "Received."), ...errors("rate_limited") },
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
      operationId: "listMyContactMessages",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "My messages to the team",
      description: "Those sent while signed in, newest first, with the team's reply.",
      request: { query: z.object(pageQuery) },
      responses: { 200: jsonResponse(pageSchema(OwnContactMessageSchema), "One page."), ...errors() },
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
      operationId: "listContactMessages",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Messages to the team",
      description: "Newest first; filter by status and assignee.",
      request: { query: ContactQuery },
      responses: { 200: jsonResponse(pageSchema(ContactMessageSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => c.json(await listContactMessages(c.env, c.req.valid("query")), 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/contact-messages/{message_id}",
      operationId: "getContactMessage",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One message to the team",
      request: { params: contactIdParam },
      responses: { 200: jsonResponse(ContactMessageSchema, "The message."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(await loadContactMessage(c.env, c.req.valid("param").message_id), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/contact-messages/{message_id}",
      operationId: "updateContactMessage",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Move a message along its workflow or assign it",
      description:
        "Status only forward (NEW → IN_PROGRESS → RESOLVED → CLOSED, steps may be skipped; 409 `invalid_status_transition` backwards). Leaving NEW sets `handled_at`, reaching RESOLVED or CLOSED sets `resolved_at`. `assigned_to` must be an active admin.",
      request: { params: contactIdParam, body: jsonBody(ContactUpdateBody) },
      responses: { 200: jsonResponse(ContactMessageSchema, "Updated."), ...errors("concurrent_change", "forbidden", "invalid_status_transition", "not_found") },
    }),
    async (c) => c.json(await updateContactMessage(c.env, actorOf(c), c.req.valid("param").message_id, c.req.valid("json")), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/contact-messages/{message_id}/reply",
      operationId: "replyToContactMessage",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Reply to a message",
      description:
        "Stores the reply, marks the message RESOLVED (setting its dates; an unassigned message is assigned to the replier) and emails the sender (CONTACT_REPLY, in their language, French for visitors). 409 `contact_message_closed` once CLOSED.",
      request: { params: contactIdParam, body: jsonBody(ContactReplyBody) },
      responses: { 200: jsonResponse(ContactMessageSchema, "Replied."), ...errors("concurrent_change", "contact_message_closed", "forbidden", "not_found") },
    }),
    async (c) => c.json(await replyToContactMessage(c.env, actorOf(c), c.req.valid("param").message_id, c.req.valid("json").reply), 200),
  );

  return r;
}
