/**
 * Named attendees, the Worker's side: the body a holder sends, checked
 * against the questions of the right's configuration (required, type,
 * choices; no unknown question), with zod field paths (`answers.<id>`). The
 * EventDO keeps the attendee and decides who may change it and until when
 * (durable-objects/event/attendees.ts).
 */
import { z } from "@hono/zod-openapi";
import { emailSchema } from "../auth/schemas.ts";
import type { AttendeeQuestion } from "../catalog/schema.ts";
import { inArray } from "drizzle-orm";
import { event_ticket_config } from "../catalog/schema.ts";
import { getDb } from "../db/client.ts";
import type { Env } from "../env.ts";
import { type FieldError, ProblemError, problems } from "../lib/errors.ts";
import { phoneSchema } from "../lib/phone.ts";

export const AttendeeBody = z
  .strictObject({
    name: z.string().trim().min(1).max(120),
    email: emailSchema.nullable().default(null),
    phone: phoneSchema.nullable().default(null),
    answers: z.record(z.string().max(40), z.union([z.string().max(500), z.number(), z.boolean()])).default({}),
  })
  .openapi("AttendeeRequest");

export const AttendeeSchema = z
  .object({
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    answers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .openapi("Attendee");

/** The answer schema one question asks for. */
function answerSchema(q: AttendeeQuestion) {
  switch (q.type) {
    case "TEXT":
      return z.string().trim().min(1).max(500);
    case "NUMBER":
      return z.number().finite();
    case "BOOLEAN":
      return z.boolean();
    case "CHOICE":
      return z.enum(q.choices as [string, ...string[]]);
  }
}

/** The answers checked against the questions; a 422 naming each wrong one (`answers.<id>`) otherwise. */
export function checkAnswers(questions: readonly AttendeeQuestion[], answers: Record<string, unknown>, at = "answers"): Record<string, string | number | boolean> {
  const shape = Object.fromEntries(questions.map((q) => [q.id, q.required ? answerSchema(q) : answerSchema(q).optional()]));
  const parsed = z.strictObject(shape).safeParse(answers);
  if (!parsed.success) {
    throw problems.validation(
      parsed.error.issues.flatMap((issue) => {
        // An unknown key is reported once per key, each on its own path.
        if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: `${at}.${key}`, message: "Not a question of this ticket.", code: "unknown_question" }));
        return [{ path: [at, ...issue.path.map(String)].join("."), message: issue.message, code: issue.code }];
      }),
    );
  }
  return parsed.data as Record<string, string | number | boolean>;
}

/**
 * Attendees sent with an order, checked against the questions of the configuration each one's ticket is of
 * (`configIds[i]` for `attendees[i]`: rights are issued line by line, so the first attendees name the first line's
 * tickets); paths `attendees.<i>.answers.<id>`.
 */
export async function namedAttendees(env: Env, configIds: readonly string[], attendees: { name: string; email: string | null; phone: string | null; answers: Record<string, string | number | boolean> }[]) {
  const distinct = [...new Set(configIds)];
  const rows = await getDb(env.DB).select({ id: event_ticket_config.id, questions: event_ticket_config.attendee_questions }).from(event_ticket_config).where(inArray(event_ticket_config.id, distinct));
  const questions = new Map(rows.map((row) => [row.id, row.questions ?? []]));
  const problemsFound: FieldError[] = [];
  const checked = attendees.map((a, i) => {
    try {
      return { ...a, answers: checkAnswers(questions.get(configIds[i]!) ?? [], a.answers, `attendees.${i}.answers`) };
    } catch (error) {
      if (error instanceof ProblemError && error.errors) problemsFound.push(...error.errors);
      else throw error;
      return a;
    }
  });
  if (problemsFound.length) throw problems.validation(problemsFound);
  return checked;
}
