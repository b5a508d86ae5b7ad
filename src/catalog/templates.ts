import { and, asc, desc, eq, isNull, ne, or, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { elementErrors } from "../documents/elements.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, type Actor } from "../site/audit.ts";
import { ticket_templates } from "./schema.ts";
import { type Caller, codeTaken } from "./shared.ts";
import type { TemplateCreateInput, TemplateUpdateInput } from "./templates-schemas.ts";

// Ticket templates: layouts per type and format, an organizer's own or the platform's, with the defaults admins choose; src/documents renders them.

type TemplateRow = typeof ticket_templates.$inferSelect;

/**
 * A template's owner is its `organizer_id`, set when it is created: the
 * organizer who created it, or null for the platform's (created by an admin,
 * or seeded), which every organizer reads. An organizer's own are theirs
 * alone; a later change of anyone's role changes no template's owner.
 */
const platformTemplate = isNull(ticket_templates.organizer_id);

const visibleTemplates = (caller: Caller) => (isAdmin(caller) ? undefined : or(platformTemplate, eq(ticket_templates.organizer_id, caller.userId)));

export async function readTemplate(env: Env, caller: Caller, id: string): Promise<TemplateRow> {
  const [row] = await getDb(env.DB)
    .select()
    .from(ticket_templates)
    .where(and(eq(ticket_templates.id, id), visibleTemplates(caller)))
    .limit(1);
  if (!row) throw problems.notFound("Ticket template");
  return row;
}

async function managedTemplate(env: Env, caller: Caller, id: string): Promise<TemplateRow> {
  const template = await readTemplate(env, caller, id);
  if (!isAdmin(caller) && template.organizer_id !== caller.userId) throw problems.forbidden("The platform's templates are managed by admins.");
  return template;
}

const onlyAdminsSetDefaults = () => problems.forbidden("Only admins choose the default template of a type and format.");

/**
 * Makes `id` the default template of its type and format, clearing the
 * previous default first (the unique index allows one), each change audited;
 * all only if the audited write they follow happened.
 */
function makeDefault(db: Db, actor: Actor, template: Pick<TemplateRow, "id" | "type" | "format">, previous: TemplateRow[], written: SQL) {
  const same = and(eq(ticket_templates.type, template.type), eq(ticket_templates.format, template.format));
  return [
    db.update(ticket_templates).set({ is_default: false }).where(and(same, eq(ticket_templates.is_default, true), ne(ticket_templates.id, template.id), written)),
    ...previous.map((p) =>
      auditWhere(db, actor, written, { action: "UPDATE", table: ticket_templates, id: p.id, before: { is_default: true }, after: { is_default: false }, description: "default template replaced" }),
    ),
    db.update(ticket_templates).set({ is_default: true }).where(and(eq(ticket_templates.id, template.id), written)),
    auditWhere(db, actor, written, { action: "UPDATE", table: ticket_templates, id: template.id, before: { is_default: false }, after: { is_default: true }, description: "default template" }),
  ];
}

const defaultsOf = (db: Db, type: TemplateRow["type"], format: TemplateRow["format"], except: string) =>
  db
    .select()
    .from(ticket_templates)
    .where(and(eq(ticket_templates.type, type), eq(ticket_templates.format, format), eq(ticket_templates.is_default, true), ne(ticket_templates.id, except)));

function templateConflict(error: unknown): never {
  if (isUniqueViolation(error, "ticket_templates.code")) throw codeTaken("ticket template");
  if (isUniqueViolation(error, "ticket_templates.type")) throw problems.conflict("concurrent_change", "Another default was set at the same time; reload and try again.");
  throw error;
}

const loadTemplate = async (db: Db, id: string) => (await db.select().from(ticket_templates).where(eq(ticket_templates.id, id)).limit(1))[0]!;

/**
 * The template a document of this organizer's event is drawn with: the
 * organizer's own active template of that type and format (the one changed
 * last, if they keep several), else the platform's active default, else
 * null (the renderer then uses its built-in layout).
 */
export async function applicableTemplate(env: Env, organizerId: string, type: TemplateRow["type"], format: TemplateRow["format"]): Promise<TemplateRow | null> {
  const same = and(eq(ticket_templates.type, type), eq(ticket_templates.format, format), eq(ticket_templates.is_active, true));
  const rows = await getDb(env.DB)
    .select()
    .from(ticket_templates)
    .where(and(same, or(eq(ticket_templates.organizer_id, organizerId), and(platformTemplate, eq(ticket_templates.is_default, true)))))
    .orderBy(desc(ticket_templates.updated_at), asc(ticket_templates.id));
  return rows.find((row) => row.organizer_id === organizerId) ?? rows.find((row) => row.organizer_id === null) ?? null;
}

/** A template's elements must be drawable in its format (src/documents/elements.ts), or 422 naming each entry that is not. */
function checkElements(format: TemplateRow["format"], elements: TemplateRow["elements"]) {
  const errors = elementErrors(format, elements);
  if (errors.length > 0) throw problems.validation(errors, `These elements cannot be drawn in the ${format} format.`);
}

export async function createTemplate(env: Env, actor: Actor, input: TemplateCreateInput): Promise<TemplateRow> {
  const db = getDb(env.DB);
  checkElements(input.format, input.elements);
  if (input.is_default && !isAdmin(actor)) throw onlyAdminsSetDefaults();
  const row = {
    ...input,
    id: newId(),
    // Written as not default, then made the default after the previous one is cleared (see makeDefault).
    is_default: false,
    description: input.description ?? null,
    category: input.category ?? null,
    paper_size: input.paper_size ?? null,
    design_url: input.design_url ?? null,
    css_url: input.css_url ?? null,
    requires_printer: input.requires_printer ?? null,
    metadata: input.metadata ?? null,
    organizer_id: isAdmin(actor) ? null : actor.userId,
  };
  const previous = input.is_default ? await defaultsOf(db, row.type, row.format, row.id) : [];
  try {
    await auditedInsert(db, actor, ticket_templates, row, { also: input.is_default ? (written) => makeDefault(db, actor, row, previous, written) : undefined });
  } catch (error) {
    templateConflict(error);
  }
  return loadTemplate(db, row.id);
}

export async function listTemplates(
  env: Env,
  caller: Caller,
  query: { type?: TemplateRow["type"]; format?: TemplateRow["format"]; is_active?: boolean; mine?: boolean; limit: number; cursor?: string },
) {
  const rows = await getDb(env.DB)
    .select()
    .from(ticket_templates)
    .where(
      and(
        visibleTemplates(caller),
        query.mine ? eq(ticket_templates.organizer_id, caller.userId) : undefined,
        query.type ? eq(ticket_templates.type, query.type) : undefined,
        query.format ? eq(ticket_templates.format, query.format) : undefined,
        query.is_active === undefined ? undefined : eq(ticket_templates.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), ticket_templates.code, ticket_templates.id),
      ),
    )
    .orderBy(asc(ticket_templates.code), asc(ticket_templates.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.code, id: row.id }));
  return { data: page.data, next_cursor: page.next_cursor };
}

export async function updateTemplate(env: Env, actor: Actor, id: string, input: TemplateUpdateInput): Promise<TemplateRow> {
  const db = getDb(env.DB);
  const template = await managedTemplate(env, actor, id);
  if (input.is_default && !isAdmin(actor)) throw onlyAdminsSetDefaults();
  const changes = changedFields(template, input as Partial<TemplateRow>);
  if (Object.keys(changes).length === 0) return template;
  const state = { ...template, ...changes };
  if (changes.elements !== undefined || changes.format !== undefined) checkElements(state.format, state.elements);
  // Becoming the default of a (type, format): the previous default is cleared first.
  const becomesDefault = state.is_default && (changes.is_default === true || changes.type !== undefined || changes.format !== undefined);
  const previous = becomesDefault ? await defaultsOf(db, state.type, state.format, id) : [];
  try {
    await auditedUpdate(db, actor, ticket_templates, id, becomesDefault ? { ...changes, is_default: false } : changes, {
      what: "Ticket template",
      also: becomesDefault ? (written) => makeDefault(db, actor, state, previous, written) : undefined,
    });
  } catch (error) {
    templateConflict(error);
  }
  return loadTemplate(db, id);
}

export async function deleteTemplate(env: Env, actor: Actor, id: string): Promise<void> {
  await managedTemplate(env, actor, id);
  await auditedDelete(getDb(env.DB), actor, ticket_templates, id, { what: "Ticket template" });
}
