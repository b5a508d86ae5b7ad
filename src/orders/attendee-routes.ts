/** A right's named attendee: its holder names, renames or clears them until the deadline; the gate shows the name. */
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { requireAuth, signedIn } from "../auth/middleware.ts";
import { event_ticket_config } from "../catalog/schema.ts";
import { getDb } from "../db/client.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { AttendeeBody, AttendeeSchema, checkAnswers } from "./attendees.ts";

const tags = ["Access rights"];
const params = z.object({ event_id: z.uuid(), access_right_id: z.uuid() });
const AttendeeAnswer = z.object({ attendee: AttendeeSchema.nullable(), edit_until: z.string().openapi({ description: "Until when the holder may change it." }) }).openapi("AccessRightAttendee");

export function attendeeRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/access-rights/{access_right_id}/attendee",
      operationId: "getAttendee",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "The attendee named on one of my access rights",
      description: "For the right's holder (anyone else: 404), while it is ENABLED (409 `access_right_inactive`) and before the configuration's `attendee_edit_until` (default: the event's start; 409 `attendee_deadline_passed`).",
      request: { params },
      responses: { 200: jsonResponse(AttendeeAnswer, "The attendee (null: none named)."), ...errors("access_right_inactive", "attendee_deadline_passed", "right_not_found") },
    }),
    async (c) => {
      const { event_id, access_right_id } = c.req.valid("param");
      const auth = requireAuth(c.get("auth"));
      const target = await eventStub(c.env, event_id).attendeeOf(access_right_id, auth.userId);
      if (!target.ok) throw problemFrom(target.problem);
      return c.json({ attendee: target.attendee, edit_until: target.edit_until }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/events/{event_id}/access-rights/{access_right_id}/attendee",
      operationId: "setAttendee",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Name (or rename) the person one of my access rights admits",
      description:
        "`answers` answer the questions of the right's ticket configuration (`attendee_questions`): required ones must be there, each of its type (TEXT, NUMBER, BOOLEAN, CHOICE among `choices`), no other key (422 naming `answers.<id>`). The holder only (404 otherwise), while the right is ENABLED, until the deadline. A transfer gives the new holder a right with no attendee. The gate shows the name with the scan result.",
      request: { params, body: jsonBody(AttendeeBody) },
      responses: { 200: jsonResponse(AttendeeAnswer, "The attendee now."), ...errors("access_right_inactive", "attendee_deadline_passed", "right_not_found") },
    }),
    async (c) => {
      const { event_id, access_right_id } = c.req.valid("param");
      const auth = requireAuth(c.get("auth"));
      const body = c.req.valid("json");
      const stub = eventStub(c.env, event_id);
      const target = await stub.attendeeOf(access_right_id, auth.userId);
      if (!target.ok) throw problemFrom(target.problem);
      const [config] = target.config_id
        ? await getDb(c.env.DB).select({ questions: event_ticket_config.attendee_questions }).from(event_ticket_config).where(eq(event_ticket_config.id, target.config_id)).limit(1)
        : [];
      const answers = checkAnswers(config?.questions ?? [], body.answers);
      const result = await stub.setAttendee(access_right_id, auth.userId, { name: body.name, email: body.email, phone: body.phone, answers });
      if (!result.ok) throw problemFrom(result.problem);
      return c.json({ attendee: result.attendee, edit_until: result.edit_until }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/access-rights/{access_right_id}/attendee",
      operationId: "clearAttendee",
      tags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Clear the attendee named on one of my access rights",
      request: { params },
      responses: { 200: jsonResponse(AttendeeAnswer, "No attendee now."), ...errors("access_right_inactive", "attendee_deadline_passed", "right_not_found") },
    }),
    async (c) => {
      const { event_id, access_right_id } = c.req.valid("param");
      const auth = requireAuth(c.get("auth"));
      const result = await eventStub(c.env, event_id).setAttendee(access_right_id, auth.userId, null);
      if (!result.ok) throw problemFrom(result.problem);
      return c.json({ attendee: null, edit_until: result.edit_until }, 200);
    },
  );

  return r;
}
