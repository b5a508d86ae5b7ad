import { createRoute } from "@hono/zod-openapi";
import { adminOnly } from "../auth/middleware.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { clientMeta } from "../lib/request.ts";
import { actorOf } from "./audit.ts";
import { createFaq, deleteFaq, listFaqs, loadFaq, updateFaq, viewFaq, voteFaq, voterKey } from "./faq.ts";
import { AdminFaqQuery, AdminFaqSchema, FaqCreateBody, FaqDetailSchema, faqIdParam, FaqQuery, FaqSchema, FaqUpdateBody, FaqVoteBody, toAdminFaq, toFaq } from "./schemas.ts";
import { noContent } from "./schemas.ts";

const tags = ["Site"];
const adminTags = ["Administration"];

/** The FAQ: read and voted on by anyone, written by admins. */
export function faqRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/faqs",
      operationId: "listFaqs",
      tags,
      summary: "Frequently asked questions",
      description: "Active questions of one language (default fr), optionally of one category, in display order.",
      request: { query: FaqQuery },
      responses: { 200: jsonResponse(pageSchema(FaqSchema), "One page."), ...errors() },
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
      operationId: "getFaq",
      tags,
      summary: "One question (counts a view)",
      description: "With the caller's own vote (`my_vote`): by account when signed in, else by device.",
      request: { params: faqIdParam },
      responses: { 200: jsonResponse(FaqDetailSchema, "The question."), ...errors("not_found") },
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
      operationId: "voteOnFaq",
      tags,
      summary: "Say whether a question helped",
      description:
        "One vote per person (the account when signed in, else the device: IP and user agent); voting again changes the vote, the counters moving with it.",
      request: { params: faqIdParam, body: jsonBody(FaqVoteBody) },
      responses: { 200: jsonResponse(FaqDetailSchema, "The question with its counters."), ...errors("not_found") },
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
      operationId: "listAllFaqs",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "All questions, active or not",
      request: { query: AdminFaqQuery },
      responses: { 200: jsonResponse(pageSchema(AdminFaqSchema), "One page, in display order."), ...errors("forbidden") },
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
      operationId: "createFaq",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Add a question",
      request: { body: jsonBody(FaqCreateBody) },
      responses: { 201: jsonResponse(AdminFaqSchema, "Created."), ...errors("forbidden") },
    }),
    async (c) => c.json(toAdminFaq(await createFaq(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/faqs/{faq_id}",
      operationId: "getAnyFaq",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One question, active or not",
      request: { params: faqIdParam },
      responses: { 200: jsonResponse(AdminFaqSchema, "The question."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(toAdminFaq(await loadFaq(c.env, c.req.valid("param").faq_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/faqs/{faq_id}",
      operationId: "updateFaq",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Edit a question",
      description: "Counters are not editable; `is_active: false` hides it from the public.",
      request: { params: faqIdParam, body: jsonBody(FaqUpdateBody) },
      responses: { 200: jsonResponse(AdminFaqSchema, "Updated."), ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => c.json(toAdminFaq(await updateFaq(c.env, actorOf(c), c.req.valid("param").faq_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/faqs/{faq_id}",
      operationId: "deleteFaq",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete a question and its votes",
      request: { params: faqIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found") },
    }),
    async (c) => {
      await deleteFaq(c.env, actorOf(c), c.req.valid("param").faq_id);
      return c.body(null, 204);
    },
  );

  return r;
}
