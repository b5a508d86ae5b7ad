import { z } from "@hono/zod-openapi";
import { problems } from "../lib/errors.ts";
import { decodeCursor, encodeCursor, pageQuery, type Cursor } from "../lib/pagination.ts";
import { csvStream, type CsvValue } from "../lib/csv.ts";
import type { SearchTerm } from "./search.ts";
import { searchQuery } from "./search.ts";

/**
 * The back office's lists, each one declared once (`ListSpec`) and served as
 * a JSON page, a CSV export and, for admins, platform-wide. A page is one
 * SQL statement over D1: the event's rows in the order of one index
 * (`sorts`: each sort is an index order, so a page reads its rows and no
 * more), narrowed by filters and at most one search, resumed after the
 * cursor's (key, id) with a row-value comparison the index answers; the
 * page's ids are chosen first, and only its rows are joined to what they show.
 */

/** A fragment of SQL and the values it binds, in order. */
export interface Sql {
  sql: string;
  params: unknown[];
}
export const q = (sql: string, ...params: unknown[]): Sql => ({ sql, params });

export type ColumnKind = "text" | "int" | "bool" | "json";

export interface Column {
  name: string;
  /** Its SQL over the spec's `from`. */
  sql: string;
  kind: ColumnKind;
  nullable?: boolean;
  /** An amount: shown only to callers who may read money (money.read), null for the others. */
  money?: boolean;
  values?: readonly [string, ...string[]];
  description?: string;
}

export interface Sort {
  /** The SQL of the sort key and of the tie-breaker, the last columns of the index that serves the order. */
  key: string;
  id: string;
  direction: "asc" | "desc";
  kind: "text" | "int";
  /** A condition the sort implies (a check-in time sort lists checked-in rights only). */
  only?: string;
  /** Served by an index that starts with the event: not offered platform-wide. */
  eventOnly?: boolean;
  description: string;
}

export interface Filter {
  schema: z.ZodType;
  where: (value: never, scope: Scope) => Sql;
  /** Names a few rows through its own index (an id): platform-wide, it drives the query like a search. */
  narrow?: boolean;
}
/** A filter of a value of `schema`'s output type. */
export const filter = <S extends z.ZodType>(schema: S, where: (value: z.output<S>, scope: Scope) => Sql, options: { narrow?: boolean } = {}): Filter => ({
  schema,
  where: where as Filter["where"],
  ...options,
});

export type Scope = { kind: "event"; eventId: string } | { kind: "platform" };

export interface ListSpec {
  /** The list's name in paths and in the OpenAPI document (`orders`, `attendees`…). */
  name: string;
  schemaName: string;
  /** The listed table and its alias (`tickets t`), and what is joined to each row shown. */
  table: string;
  joins: string;
  /** What the filters or `base` read beyond the table itself (joined while choosing the page's rows). */
  filterJoins?: string;
  /**
   * The index of (sort key, id) that platform-wide pages walk newest first:
   * without a search or a narrowing filter they read it in order, checking
   * the other filters as they go, and stop at the page. Null: never listed
   * platform-wide.
   */
  platformIndex: string | null;
  /** The column naming the event. A search drives the query through its own index, so the event's indexes are then kept out (`+column`). */
  eventColumn: string;
  /** Always true of the list's rows (e.g. season-pass rights only). */
  base?: string;
  columns: Column[];
  filters: Record<string, Filter>;
  sorts: Record<string, Sort>;
  defaultSort: string;
  /** The condition a search term puts on the rows, or null if the list cannot be searched that way. */
  search: (term: SearchTerm, scope: Scope) => Sql | null;
}

export interface ListQuery {
  sort?: string;
  q?: SearchTerm;
  [filter: string]: unknown;
}

export const SEPARATORS = { comma: ",", semicolon: ";", tab: "\t" } as const;

/** The query string of a list's JSON pages: filters, `q`, `sort`, `limit` (1–100) and `cursor`; any other parameter is a 422. */
export function listQuerySchema(spec: ListSpec, scope: Scope["kind"]) {
  return z.strictObject({ ...pageQuery, ...commonQuery(spec, scope) });
}

/** The query string of a list's CSV export: the list's filters, `q` and `sort`, and the `separator`. */
export function exportQuerySchema(spec: ListSpec, scope: Scope["kind"]) {
  return z.strictObject({
    ...commonQuery(spec, scope),
    separator: z.enum(Object.keys(SEPARATORS) as [keyof typeof SEPARATORS, ...(keyof typeof SEPARATORS)[]]).default("comma").openapi({
      description: "Cell separator: `comma`, or `semicolon` for spreadsheets set to French (and other) locales, or `tab`.",
    }),
  });
}

function commonQuery(spec: ListSpec, scope: Scope["kind"]) {
  const filters = Object.fromEntries(
    Object.entries(spec.filters)
      .filter(([name]) => scope === "platform" || name !== "event_id")
      .map(([name, f]) => [name, f.schema.optional()]),
  );
  const sorts = Object.keys(spec.sorts).filter((s) => scope === "event" || !spec.sorts[s]!.eventOnly) as [string, ...string[]];
  return {
    ...filters,
    q: searchQuery.optional(),
    sort: z
      .enum(sorts)
      .default(spec.defaultSort)
      .openapi({ description: sorts.map((s) => `\`${s}\`: ${spec.sorts[s]!.description}`).join("; ") + "." }),
  };
}

/** The JSON schema of one row, from the spec's columns. */
export function rowSchema(spec: ListSpec) {
  const shape: Record<string, z.ZodType> = {};
  for (const c of spec.columns) {
    let t: z.ZodType =
      c.values ? z.enum(c.values) : c.kind === "int" ? z.number().int() : c.kind === "bool" ? z.boolean() : c.kind === "json" ? z.record(z.string(), z.unknown()) : z.string();
    if (c.nullable || c.money) t = t.nullable();
    const description = [c.description, c.money ? "Null without the money.read permission." : undefined].filter(Boolean).join(" ");
    shape[c.name] = description ? t.openapi({ description }) : t;
  }
  return z.object(shape).openapi(spec.schemaName);
}

type Row = Record<string, unknown>;

/** A page of rows as D1 returns them, after the cursor `after` (or from the start). */
function pageSql(spec: ListSpec, scope: Scope, query: ListQuery, after: Cursor | undefined, limit: number): Sql {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (part: Sql) => {
    where.push(part.sql);
    params.push(...part.params);
  };
  if (scope.kind === "platform" && !spec.platformIndex) throw new Error(`${spec.name} is not listed platform-wide`);
  const search = query.q ? spec.search(query.q, scope) : null;
  if (query.q && !search) {
    throw problems.validation([{ path: "query.q", message: `This list cannot be searched by ${query.q.kind.replace("_", " ")}.`, code: "unsupported_search" }]);
  }
  if (scope.kind === "event") add(q(`${search ? "+" : ""}${spec.eventColumn} = ?`, scope.eventId));
  if (spec.base) add(q(spec.base));
  for (const [name, f] of Object.entries(spec.filters)) {
    if (query[name] !== undefined) add(f.where(query[name] as never, scope));
  }
  if (search) add(search);
  const sortName = query.sort ?? spec.defaultSort;
  const sort = spec.sorts[sortName]!;
  if (sort.only) add(q(sort.only));
  if (after) {
    if (after.s !== sortName || typeof after.k !== (sort.kind === "int" ? "number" : "string")) {
      throw problems.validation([{ path: "query.cursor", message: "This cursor belongs to another sort.", code: "invalid_cursor" }]);
    }
    add(q(`(${sort.key}, ${sort.id}) ${sort.direction === "desc" ? "<" : ">"} (?, ?)`, after.k, after.id));
  }
  const select = [...spec.columns.map((c) => `${c.sql} AS ${c.name}`), `${sort.key} AS _k`, `${sort.id} AS _id`].join(", ");
  const direction = sort.direction.toUpperCase();
  const narrowed = Object.entries(spec.filters).some(([name, f]) => f.narrow && query[name] !== undefined);
  // Platform-wide, a filter on a common value (a status) would otherwise pick its own index and sort every match.
  const walk = scope.kind === "platform" && !search && !narrowed ? ` INDEXED BY ${spec.platformIndex}` : "";
  const order = `ORDER BY ${sort.key} ${direction}, ${sort.id} ${direction}`;
  // The page's ids first, from the table alone; then its rows with what they show. A search sorting a
  // thousand matches joins the page's rows only.
  const alias = spec.table.split(" ")[1]!;
  const page = `SELECT ${alias}.id AS page_id FROM ${spec.table}${walk} ${spec.filterJoins ?? ""} WHERE ${where.join(" AND ") || "true"} ${order} LIMIT ?`;
  return {
    // CROSS JOIN: SQLite keeps the page as the outer loop (it would otherwise walk the table's index in the list's order).
    sql: `SELECT ${select} FROM (${page}) page CROSS JOIN ${spec.table} ON ${alias}.id = page.page_id ${spec.joins} ${order}`,
    params: [...params, limit],
  };
}

/** The statement of one page, for tests that check its query plan (EXPLAIN QUERY PLAN). */
export const listStatement = (spec: ListSpec, scope: Scope, query: ListQuery, after?: Cursor, limit = 20) => pageSql(spec, scope, query, after, limit);

/** Reads up to `limit` rows after `after`: the rows, and the cursor of the next page (null on the last). */
export async function readRows(db: D1Database, spec: ListSpec, scope: Scope, query: ListQuery, after: Cursor | undefined, limit: number) {
  const statement = pageSql(spec, scope, query, after, limit + 1);
  const { results } = await db.prepare(statement.sql).bind(...statement.params).all<Row>();
  const more = results.length > limit;
  const rows = more ? results.slice(0, limit) : results;
  const last = rows[rows.length - 1];
  return { rows, next: more && last ? ({ k: last._k as string | number, id: String(last._id), s: query.sort ?? spec.defaultSort } satisfies Cursor) : null };
}

/** A row as the API shows it: booleans and JSON decoded, amounts hidden from callers without money.read. */
export function present(spec: ListSpec, row: Row, money: boolean): Row {
  const out: Row = {};
  for (const c of spec.columns) {
    const value = row[c.name];
    out[c.name] =
      value === null || value === undefined ? null : c.money && !money ? null : c.kind === "bool" ? Boolean(value) : c.kind === "json" ? JSON.parse(String(value)) : value;
  }
  return out;
}

/** One JSON page of a list. */
export async function listPage(db: D1Database, spec: ListSpec, scope: Scope, query: ListQuery & { limit: number; cursor?: string }, money: boolean) {
  const { rows, next } = await readRows(db, spec, scope, query, decodeCursor(query.cursor), query.limit);
  return { data: rows.map((row) => present(spec, row, money)), next_cursor: next ? encodeCursor(next) : null };
}

/** Rows per page of an export: one D1 statement each; only the page being written is in memory. */
export const EXPORT_PAGE = 1000;

/**
 * A list as a CSV file, streamed: keyset pages of EXPORT_PAGE rows in the
 * list's order, each written out before the next is read. The first page's
 * statement is built before the response starts, so a query the list cannot
 * run is a 422, not a broken download.
 */
export function exportStream(db: D1Database, spec: ListSpec, scope: Scope, query: ListQuery & { separator: keyof typeof SEPARATORS }, money: boolean): ReadableStream<Uint8Array> {
  pageSql(spec, scope, query, undefined, EXPORT_PAGE);
  let after: Cursor | undefined;
  let done = false;
  return csvStream(
    spec.columns.map((c) => c.name),
    SEPARATORS[query.separator],
    async () => {
      if (done) return null;
      const { rows, next } = await readRows(db, spec, scope, query, after, EXPORT_PAGE);
      if (next) after = next;
      else done = true;
      return rows.map((row) => {
        const shown = present(spec, row, money);
        return spec.columns.map((c) => {
          const value = shown[c.name];
          return c.kind === "json" && value !== null ? JSON.stringify(value) : (value as CsvValue);
        });
      });
    },
  );
}
