import { and, asc, desc, eq, inArray, isNull, ne, or, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { elementErrors } from "../documents/elements.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { organizationsWhere } from "../organizations/permissions.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, type Actor } from "../site/audit.ts";
import { ticket_templates } from "./schema.ts";
import { type Caller, codeTaken, organizationOfMoved, organizationOfNew, requireCatalogManager, requireReadable } from "./shared.ts";
import type { TemplateCreateInput, TemplateUpdateInput } from "./templates-schemas.ts";

// Ticket templates: layouts per type and format, an organization's own or the platform's, with the defaults admins choose; src/documents renders them.

type TemplateRow = typeof ticket_templates.$inferSelect;

/**
 * The platform's templates (no organization: admins' and seeded ones) are
 * read by every organizer; an organization's by its members and admins.
 */
export async function readTemplate(env: Env, caller: Caller, id: string): Promise<TemplateRow> {
  const db = getDb(env.DB);
  const [template] = await db.select().from(ticket_templates).where(eq(ticket_templates.id, id)).limit(1);
  if (!template) throw problems.notFound("Ticket template");
  await requireReadable(db, caller, template.organization_id, "Ticket template");
  return template;
}

/** A template the caller may change: `catalog.manage` in its organization; the platform's are admins' (403). */
async function managedTemplate(env: Env, caller: Caller, id: string): Promise<TemplateRow> {
  const template = await readTemplate(env, caller, id);
  await requireCatalogManager(getDb(env.DB), caller, template.organization_id, "Ticket template");
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
 * The template a document of an event of this organization is drawn with:
 * the organization's own active template of that type and format (the one
 * changed last, if it keeps several), else the platform's active default,
 * else null (the renderer then uses its built-in layout).
 */
export async function applicableTemplate(env: Env, organizationId: string | null, type: TemplateRow["type"], format: TemplateRow["format"]): Promise<TemplateRow | null> {
  const same = and(eq(ticket_templates.type, type), eq(ticket_templates.format, format), eq(ticket_templates.is_active, true));
  const platformDefault = and(isNull(ticket_templates.organization_id), eq(ticket_templates.is_default, true));
  const rows = await getDb(env.DB)
    .select()
    .from(ticket_templates)
    .where(and(same, organizationId ? or(eq(ticket_templates.organization_id, organizationId), platformDefault) : platformDefault))
    .orderBy(desc(ticket_templates.updated_at), asc(ticket_templates.id));
  return rows.find((row) => organizationId !== null && row.organization_id === organizationId) ?? rows.find((row) => row.organization_id === null) ?? null;
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
  const { organization_id, ...fields } = input;
  const row = {
    ...fields,
    id: newId(),
    organization_id: await organizationOfNew(db, actor, organization_id),
    // Written as not default, then made the default after the previous one is cleared (see makeDefault).
    is_default: false,
    description: input.description ?? null,
    category: input.category ?? null,
    paper_size: input.paper_size ?? null,
    design_url: input.design_url ?? null,
    css_url: input.css_url ?? null,
    requires_printer: input.requires_printer ?? null,
    metadata: input.metadata ?? null,
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
  query: { type?: TemplateRow["type"]; format?: TemplateRow["format"]; is_active?: boolean; mine?: boolean; organization_id?: string; limit: number; cursor?: string },
) {
  const db = getDb(env.DB);
  const mine = inArray(ticket_templates.organization_id, organizationsWhere(db, caller.userId, "event.read"));
  const rows = await db
    .select()
    .from(ticket_templates)
    .where(
      and(
        query.mine ? mine : isAdmin(caller) ? undefined : or(isNull(ticket_templates.organization_id), mine),
        query.organization_id ? eq(ticket_templates.organization_id, query.organization_id) : undefined,
        query.type ? eq(ticket_templates.type, query.type) : undefined,
        query.format ? eq(ticket_templates.format, query.format) : undefined,
        query.is_active === undefined ? undefined : eq(ticket_templates.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), ticket_templates.code, ticket_templates.id),
      ),
    )
    .orderBy(asc(ticket_templates.code), asc(ticket_templates.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.code, id: row.id }));
}

export async function updateTemplate(env: Env, actor: Actor, id: string, input: TemplateUpdateInput): Promise<TemplateRow> {
  const db = getDb(env.DB);
  const template = await managedTemplate(env, actor, id);
  if (input.is_default && !isAdmin(actor)) throw onlyAdminsSetDefaults();
  const { organization_id, ...fields } = input;
  const patch: Partial<TemplateRow> = { ...fields };
  const moved = await organizationOfMoved(db, actor, template.organization_id, organization_id);
  if (moved !== undefined) patch.organization_id = moved;
  const changes = changedFields(template, patch);
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
