import { and, desc, eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { type Actor, auditedUpdate } from "../site/audit.ts";
import { contentOf, forgetTemplates, templateRows, type TemplateRow } from "./content.ts";
import { enqueueDeliveries } from "./service.ts";
import { defaultContent, fillText, type Language, placeholdersOf, renderEmail, type TemplateContent, variablesOf } from "./render.ts";
import { CHANNELS, type Channel, type MessageData, message_deliveries, type NotificationType, notification_templates } from "./schema.ts";

export type TemplatePatch = Partial<Pick<TemplateRow, "name" | "description" | "email_subject" | "email_body_html" | "push_title" | "push_body" | "sms_body" | "in_app_body" | "active_channels" | "is_active">>;

const TEXT_FIELDS = ["email_subject", "email_body_html", "push_title", "push_body", "sms_body", "in_app_body"] as const;

/** Markup an email body may not carry: scripts, event handlers, `javascript:` links, frames, forms. */
const UNSAFE_HTML = /<\s*(script|iframe|object|embed|form|style)\b|\son[a-z]+\s*=|javascript:/i;

/**
 * Checks an edit before it is stored: placeholders must be variables of the
 * type (a typo would send an empty gap to every reader), the email body
 * carries no active content, the SMS fits one message, channels exist.
 */
export function checkTemplateEdit(type: NotificationType, patch: TemplatePatch, prefix = ""): FieldError[] {
  const allowed = new Set(variablesOf(type));
  const errors: FieldError[] = [];
  for (const field of TEXT_FIELDS) {
    const value = patch[field];
    if (value === undefined || value === null) continue;
    for (const name of placeholdersOf(value)) {
      if (!allowed.has(name)) {
        errors.push({ path: `${prefix}${field}`, message: `Unknown variable {${name}}; ${type} has ${[...allowed].map((v) => `{${v}}`).join(", ")}.`, code: "unknown_variable" });
      }
    }
    if (/\{[^}]*$|^[^{]*\}/.test(value.replace(/\{[a-z_][a-z0-9_]*\}/g, ""))) {
      errors.push({ path: `${prefix}${field}`, message: "A brace is not closed or not opened; variables are written {name}.", code: "malformed_placeholder" });
    }
  }
  if (patch.email_body_html && UNSAFE_HTML.test(patch.email_body_html)) {
    errors.push({ path: `${prefix}email_body_html`, message: "Scripts, event handlers, frames, forms and javascript: links are not allowed in email.", code: "unsafe_html" });
  }
  if (patch.active_channels && patch.active_channels.some((c) => !CHANNELS.includes(c))) {
    errors.push({ path: `${prefix}active_channels`, message: "Unknown channel.", code: "invalid_channel" });
  }
  return errors;
}

/** A row as admins see it: the variables it may use are the type's, as the code defines them now. */
const withVariables = (row: TemplateRow): TemplateRow => ({ ...row, available_variables: variablesOf(row.notification_type) });

export async function listTemplates(env: Env, query: { notification_type?: NotificationType; language?: Language }) {
  await templateRows(env); // seeds the defaults on first use
  const t = notification_templates;
  const rows = await getDb(env.DB)
    .select()
    .from(t)
    .where(and(query.notification_type ? eq(t.notification_type, query.notification_type) : undefined, query.language ? eq(t.language, query.language) : undefined))
    .orderBy(t.notification_type, t.language);
  return rows.map(withVariables);
}

export async function readTemplate(env: Env, type: NotificationType, language: Language): Promise<TemplateRow> {
  const row = (await templateRows(env)).get(`${type}:${language}`);
  if (!row) throw problems.notFound("Template");
  return withVariables(row);
}

export async function updateTemplate(env: Env, actor: Actor, type: NotificationType, language: Language, patch: TemplatePatch): Promise<TemplateRow> {
  const errors = checkTemplateEdit(type, patch);
  if (errors.length) throw problems.validation(errors);
  const current = await readTemplate(env, type, language);
  const { after } = await auditedUpdate(getDb(env.DB), actor, notification_templates, current.id, patch, { what: "Template" });
  forgetTemplates();
  return withVariables(after);
}

/** Back to the default text (and every channel on), audited like an edit. */
export async function resetTemplate(env: Env, actor: Actor, type: NotificationType, language: Language): Promise<TemplateRow> {
  const current = await readTemplate(env, type, language);
  const content = defaultContent(type, language);
  const { after } = await auditedUpdate(getDb(env.DB), actor, notification_templates, current.id, { ...content }, { what: "Template", description: "reset to default" });
  forgetTemplates();
  return withVariables(after);
}

/** Example values for a preview: money and instants where the name says so, else the name itself. */
function sampleData(type: NotificationType): MessageData {
  const data: MessageData = {};
  for (const name of variablesOf(type)) {
    if (name === "amount") data[name] = { amount: 191_250, currency: "TND" };
    else if (name.endsWith("_at")) data[name] = { at: "2026-12-05T19:00:00.000Z", time_zone: "Africa/Tunis" };
    else if (name === "items") data[name] = [{ title: "Nouvel abonné", body: "Awa vous suit désormais." }];
    else if (name === "tickets_url") data[name] = "https://example.com/t/…";
    else data[name] = `{${name}}`;
  }
  return data;
}

/**
 * What each channel would show, with the stored text or unsaved changes, and
 * the given data (examples fill the rest). Nothing is sent or stored.
 */
export async function previewTemplate(env: Env, type: NotificationType, language: Language, body: { data?: MessageData; content?: TemplatePatch }) {
  const errors = [
    ...checkTemplateEdit(type, body.content ?? {}, "content."),
    ...Object.keys(body.data ?? {})
      .filter((name) => !variablesOf(type).includes(name))
      .map((name) => ({ path: `data.${name}`, message: `${type} has no variable ${name}.`, code: "unknown_variable" })),
  ];
  if (errors.length) throw problems.validation(errors);
  const stored = contentOf(await templateRows(env), type, language);
  const content: TemplateContent = { ...stored, ...Object.fromEntries(Object.entries(body.content ?? {}).filter(([, v]) => v !== undefined)) } as TemplateContent;
  const data = { ...sampleData(type), ...(body.data ?? {}) };
  const email = renderEmail(content, data, language, { tickets: [], tickets_url: null, unsubscribe_url: null });
  return {
    email,
    push: { title: fillText(content.push_title, data, language), body: fillText(content.push_body, data, language) },
    sms: content.sms_body ? fillText(content.sms_body, data, language) : null,
    in_app: { title: fillText(content.push_title, data, language), message: fillText(content.in_app_body, data, language) },
    data,
  };
}

// ---------------------------------------------------------------- deliveries, for operations

export async function listDeliveries(
  env: Env,
  query: { limit: number; cursor?: string; status?: (typeof message_deliveries.$inferSelect)["status"]; channel?: Channel; user_id?: string; notification_type?: NotificationType },
) {
  const after = decodeCursor(query.cursor);
  const d = message_deliveries;
  const rows = await getDb(env.DB)
    .select()
    .from(d)
    .where(
      and(
        query.status ? eq(d.status, query.status) : undefined,
        query.channel ? eq(d.channel, query.channel) : undefined,
        query.user_id ? eq(d.user_id, query.user_id) : undefined,
        query.notification_type ? eq(d.notification_type, query.notification_type) : undefined,
        afterCursor(after, d.created_at, d.id, "desc"),
      ),
    )
    .orderBy(desc(d.created_at), desc(d.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

/**
 * Sends a FAILED delivery again (a dead letter, or an outcome the cron could
 * not know): it becomes PENDING and is queued. Anything else is a 409: a
 * delivery that was sent is never sent twice.
 */
export async function resendDelivery(env: Env, actor: Actor, id: string) {
  const [current] = await getDb(env.DB).select().from(message_deliveries).where(eq(message_deliveries.id, id)).limit(1);
  if (!current) throw problems.notFound("Delivery");
  if (current.status !== "FAILED") throw problems.conflict("delivery_not_failed", `This delivery is ${current.status}; only FAILED ones are sent again.`);
  const { after } = await auditedUpdate(
    getDb(env.DB),
    actor,
    message_deliveries,
    id,
    { status: "PENDING", dead_lettered_at: null, error: `resent by an admin at ${now()}` },
    { guard: eq(message_deliveries.status, "FAILED"), what: "Delivery", description: "resend" },
  );
  await enqueueDeliveries(env, [id]);
  return after;
}
