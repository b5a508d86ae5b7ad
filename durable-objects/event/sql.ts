/**
 * Statements on the EventDO's SQLite as tagged templates: in
 * sql`UPDATE rights SET status = ${status} WHERE id = ${id}` each
 * interpolated value is bound to a `?` in its place, so a statement reads
 * with its values where they go instead of twenty values bound by position
 * after it. Values are always bound, never spliced into the text: SQL built
 * at load time (numbered parameters, the projection's bulk statements) goes
 * through `sql.storage.exec`.
 *
 * Same semantics as `SqlStorage.exec`: synchronous, returns its cursor. The
 * text of a template is joined once: the strings array of a call site is the
 * same object at every call, so it keys a cache, and a statement on a hot
 * path costs one map lookup more than `exec` with a constant string.
 */
export type Row = Record<string, SqlStorageValue>;

/** A bound value: `undefined` is allowed for a column read from a `Row` (the type of any key), and binds as `exec` binds it. */
export type SqlValue = SqlStorageValue | undefined;

export interface Sql {
  <T extends Record<string, SqlStorageValue> = Row>(strings: TemplateStringsArray, ...values: SqlValue[]): SqlStorageCursor<T>;
  /** The storage itself, for statements built at load time. */
  readonly storage: SqlStorage;
}

const texts = new WeakMap<TemplateStringsArray, string>();

function textOf(strings: TemplateStringsArray): string {
  let text = texts.get(strings);
  if (text === undefined) {
    text = strings.join("?");
    texts.set(strings, text);
  }
  return text;
}

export function sqlOf(storage: SqlStorage): Sql {
  const sql = <T extends Record<string, SqlStorageValue> = Row>(strings: TemplateStringsArray, ...values: SqlValue[]) => storage.exec<T>(textOf(strings), ...values);
  return Object.assign(sql, { storage });
}
