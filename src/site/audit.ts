import { and, eq, getTableColumns, is, sql, SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Context } from "hono";
import type { AppEnv, AuthContext } from "../env.ts";
import type { Db } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { clientMeta } from "../lib/request.ts";
import { now } from "../lib/time.ts";
import { audit_log, AUDIT_ACTIONS } from "./schema.ts";

/**
 * The one way organizers and admins change managed objects: every audited
 * write and its `audit_log` row (before / after state, actor, IP, user agent)
 * go to D1 in one batch, so neither exists without the other. Domains call
 * `auditedInsert` / `auditedUpdate` / `auditedDelete` instead of writing
 * those tables directly.
 */
export interface Actor {
  userId: string;
  role: AuthContext["role"];
  ip: string | null;
  userAgent: string | null;
}

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function actorOf(c: Context<AppEnv>): Actor {
  const auth = c.get("auth");
  if (!auth) throw problems.unauthorized();
  const meta = clientMeta(c);
  return { userId: auth.userId, role: auth.role, ip: meta.ip, userAgent: meta.userAgent };
}

/** Columns never copied into the audit trail. */
const SECRET = /(password|secret|token|_hash|_encrypted|private)/;

function snapshot(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !SECRET.test(key)));
}

type Table = SQLiteTable & { id: SQLiteColumn };
type Row<T extends Table> = T["$inferSelect"];
type Insert<T extends Table> = T["$inferInsert"];

/**
 * Statements that belong with an audited write (history rows, child rows, and
 * their own `auditWhere` entries): they run in its batch, after it. `written`
 * is an SQL condition that holds only if the audited write happened; guard
 * every statement that must not happen without it.
 */
export type AlsoStatements = (written: SQL) => BatchItem<"sqlite">[];

const tableName = (table: SQLiteTable) => (table as unknown as { [k: symbol]: string })[Symbol.for("drizzle:Name")]!;

function auditRow(actor: Actor, action: AuditAction, objectType: string, objectId: string, before: unknown, after: unknown, description?: string) {
  return {
    id: newId(),
    user_id: actor.userId,
    action,
    description: description ?? `${action} ${objectType}`,
    object_type: objectType,
    object_id: objectId,
    ip_address: actor.ip,
    user_agent: actor.userAgent,
    data_before: before === null ? null : snapshot(before as Record<string, unknown>),
    data_after: after === null ? null : snapshot(after as Record<string, unknown>),
    // The Worker's clock for every entry (not the database's default), so entries order as their actions did.
    created_at: now(),
  };
}

/**
 * `INSERT … SELECT <row> WHERE condition`: a row that exists only if
 * `condition` holds when its turn in the batch comes (e.g. `changes() = 1`:
 * the statement just before it changed a row). Values go through their
 * column's encoding, as in a plain insert; SQL values are taken as they are.
 */
export function insertWhere<T extends SQLiteTable>(db: Db, table: T, row: Record<string, unknown>, condition: SQL) {
  // INSERT … SELECT fills every column, in table order: a NOT NULL column left out takes its default, as in a plain insert.
  const values = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const value = row[key] === undefined && column.notNull && column.hasDefault ? (column.defaultFn ? column.defaultFn() : column.default) : row[key];
    return is(value, SQL) ? value : sql.param(value ?? null, column);
  });
  return db.insert(table).select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`);
}

/** The audit row, written only if `condition` holds (by default: the statement just before it in the batch changed a row). */
const insertIfChanged = (db: Db, audit: ReturnType<typeof auditRow>, condition: SQL = sql`changes() = 1`) =>
  insertWhere(db, audit_log, audit, condition);

/** Holds once the audit row `auditId` exists, i.e. once its audited write happened in this batch. */
const auditWritten = (auditId: string) => sql`EXISTS (SELECT 1 FROM ${audit_log} WHERE ${audit_log.id} = ${auditId})`;

/**
 * The audit entry of a secondary object changed in an audited write's
 * `also` statements (e.g. a row inserted alongside), written only if `when` holds.
 */
export function auditWhere(
  db: Db,
  actor: Actor,
  when: SQL,
  entry: { action: AuditAction; table: SQLiteTable; id: string; before: unknown; after: unknown; description?: string },
) {
  return insertIfChanged(db, auditRow(actor, entry.action, tableName(entry.table), entry.id, entry.before, entry.after, entry.description), when);
}

/**
 * The audit entry of an act that is not a managed object's write (a sign-in,
 * a sign-out, a payment, a refund paid back, an export), for the caller's own batch:
 * written only if `when` holds (`sql\`1\`` for always). `who` is the person
 * it concerns (null: the platform itself), with the request's client when
 * there is one.
 */
export function auditAct(
  db: Db,
  who: { userId: string | null; ip?: string | null; userAgent?: string | null },
  when: SQL,
  entry: { action: AuditAction; table: SQLiteTable | null; id: string | null; after?: unknown; description: string },
) {
  const row = {
    id: newId(),
    user_id: who.userId,
    action: entry.action,
    description: entry.description,
    // An act on no one row (a platform-wide export) names none.
    object_type: entry.table ? tableName(entry.table) : null,
    object_id: entry.id,
    ip_address: who.ip ?? null,
    user_agent: who.userAgent ?? null,
    data_before: null,
    data_after: entry.after === undefined || entry.after === null ? null : snapshot(entry.after as Record<string, unknown>),
    created_at: now(),
  };
  return insertIfChanged(db, row as ReturnType<typeof auditRow>, when);
}

export async function auditedInsert<T extends Table>(
  db: Db,
  actor: Actor,
  table: T,
  values: Insert<T> & { id: string },
  options: { action?: AuditAction; description?: string; also?: AlsoStatements } = {},
): Promise<Row<T>> {
  const audit = auditRow(actor, options.action ?? "CREATE", tableName(table), values.id, null, values, options.description);
  const [inserted] = await db.batch([
    db.insert(table).values(values).returning(),
    db.insert(audit_log).values(audit),
    ...(options.also?.(auditWritten(audit.id)) ?? []),
  ]);
  return (inserted as Row<T>[])[0]!;
}

/**
 * Updates one row by id with plain values. The update is guarded by the
 * row's `updated_at` as read (and by `guard`, e.g. a status precondition), so a
 * concurrent change makes this one fail with 409 instead of being overwritten;
 * the audit row is written only when the update matched (`changes() = 1`).
 */
export async function auditedUpdate<T extends Table>(
  db: Db,
  actor: Actor,
  table: T,
  id: string,
  patch: Partial<Insert<T>>,
  options: { action?: AuditAction; description?: string; guard?: SQL; what?: string; also?: AlsoStatements } = {},
): Promise<{ before: Row<T>; after: Row<T> }> {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const [before] = (await db.select().from(table as SQLiteTable).where(eq(table.id, id)).limit(1)) as Row<T>[];
  if (!before) throw problems.notFound(options.what ?? "Resource");
  const stamped: Record<string, unknown> = { ...patch };
  const versioned = "updated_at" in columns;
  if (versioned) stamped.updated_at = now();
  const after = { ...(before as Record<string, unknown>), ...stamped };
  const guards = [eq(table.id, id), options.guard];
  if (versioned) guards.push(eq(columns.updated_at!, (before as Record<string, unknown>).updated_at as string));
  const audit = auditRow(actor, options.action ?? "UPDATE", tableName(table), id, before, after, options.description);

  const [updated] = await db.batch([
    db.update(table).set(stamped as never).where(and(...guards)).returning(),
    insertIfChanged(db, audit),
    ...(options.also?.(auditWritten(audit.id)) ?? []),
  ]);
  const row = (updated as Row<T>[])[0];
  if (!row) throw problems.conflict("concurrent_change", "This object changed or no longer allows this; reload it and try again.");
  return { before, after: row };
}

export async function auditedDelete<T extends Table>(
  db: Db,
  actor: Actor,
  table: T,
  id: string,
  options: { description?: string; guard?: SQL; what?: string; also?: AlsoStatements } = {},
): Promise<Row<T>> {
  const [before] = (await db.select().from(table as SQLiteTable).where(eq(table.id, id)).limit(1)) as Row<T>[];
  if (!before) throw problems.notFound(options.what ?? "Resource");
  const audit = auditRow(actor, "DELETE", tableName(table), id, before, null, options.description);
  const [deleted] = await db.batch([
    db.delete(table).where(and(eq(table.id, id), options.guard)).returning(),
    insertIfChanged(db, audit),
    ...(options.also?.(auditWritten(audit.id)) ?? []),
  ]);
  const row = (deleted as Row<T>[])[0];
  if (!row) throw problems.conflict("concurrent_change", "This object changed or can no longer be deleted.");
  return before;
}
