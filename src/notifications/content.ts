import { sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { LANGUAGES } from "../db/enums.ts";
import { newId } from "../lib/ids.ts";
import { defaultContent, type Language, type TemplateContent, variablesOf } from "./render.ts";
import { NOTIFICATION_TYPES, type NotificationType, notification_templates } from "./schema.ts";

export type TemplateRow = typeof notification_templates.$inferSelect;

/** Templates are read at most this often per isolate; an edit through this isolate is seen at once. */
const TEMPLATE_CACHE_MS = 30_000;
let cache: { loaded_at: number; rows: Map<string, TemplateRow> } | null = null;

const keyOf = (type: string, language: string) => `${type}:${language}`;

export function forgetTemplates(): void {
  cache = null;
}

/** A type's display name in the template list. */
const nameOf = (type: NotificationType) => type.toLowerCase().replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/**
 * Inserts the default template of every type and language that has no row
 * yet (insert-or-ignore on the unique (type, language)): the table is seeded
 * from the defaults the first time anything reads it, and types added later
 * get theirs the same way. Rows admins edited are never touched.
 */
export async function seedTemplates(env: Env): Promise<number> {
  const rows = NOTIFICATION_TYPES.flatMap((type) =>
    LANGUAGES.map((language) => {
      const content = defaultContent(type, language);
      return {
        id: newId(),
        notification_type: type,
        language,
        name: nameOf(type),
        email_subject: content.email_subject,
        email_body_html: content.email_body_html,
        push_title: content.push_title,
        push_body: content.push_body,
        sms_body: content.sms_body,
        in_app_body: content.in_app_body,
        active_channels: JSON.stringify(content.active_channels),
        available_variables: JSON.stringify(variablesOf(type)),
      };
    }),
  );
  const t = notification_templates;
  const f = (name: string) => sql.raw(`json_extract(j.value, '$.${name}')`);
  const inserted = await getDb(env.DB).all<{ id: string }>(sql`
    INSERT INTO ${t} (id, notification_type, language, name, email_subject, email_body_html, push_title, push_body, sms_body, in_app_body, active_channels, available_variables)
    SELECT ${f("id")}, ${f("notification_type")}, ${f("language")}, ${f("name")}, ${f("email_subject")}, ${f("email_body_html")}, ${f("push_title")},
           ${f("push_body")}, ${f("sms_body")}, ${f("in_app_body")}, ${f("active_channels")}, ${f("available_variables")}
    FROM json_each(${JSON.stringify(rows)}) AS j WHERE true
    ON CONFLICT (notification_type, language) DO NOTHING
    RETURNING id`);
  return inserted.length;
}

/** Every template row, keyed `TYPE:language`, seeded first if any is missing; cached briefly per isolate. */
export async function templateRows(env: Env): Promise<Map<string, TemplateRow>> {
  if (cache && Date.now() - cache.loaded_at < TEMPLATE_CACHE_MS) return cache.rows;
  const db = getDb(env.DB);
  let rows = await db.select().from(notification_templates);
  if (rows.length < NOTIFICATION_TYPES.length * LANGUAGES.length) {
    await seedTemplates(env);
    rows = await db.select().from(notification_templates);
  }
  cache = { loaded_at: Date.now(), rows: new Map(rows.map((row) => [keyOf(row.notification_type, row.language), row])) };
  return cache.rows;
}

/** The content to send for a type in a language, as stored (or the default when the row is somehow missing). */
export function contentOf(rows: Map<string, TemplateRow>, type: NotificationType, language: Language): TemplateContent {
  const row = rows.get(keyOf(type, language));
  if (!row) return defaultContent(type, language);
  const fallback = defaultContent(type, language);
  return {
    email_subject: row.email_subject ?? fallback.email_subject,
    email_body_html: row.email_body_html ?? fallback.email_body_html,
    push_title: row.push_title ?? fallback.push_title,
    push_body: row.push_body ?? fallback.push_body,
    sms_body: row.sms_body,
    in_app_body: row.in_app_body ?? fallback.in_app_body,
    active_channels: row.active_channels,
    is_active: row.is_active,
  };
}
