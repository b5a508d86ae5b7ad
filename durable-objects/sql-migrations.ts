/**
 * A Durable Object's own SQLite schema, as a list of migrations appended in
 * order (the EventDO's EVENT_DO_MIGRATIONS, the waiting room's), each run
 * once, in the order of the list.
 */

/**
 * Applies the migrations this object has not run yet, each in its own
 * transaction with its `_migrations` row: a script that fails part-way leaves
 * nothing of itself behind (SQLite runs a multi-statement `exec` one statement
 * at a time, so without the transaction the statements before the failing one
 * would stay, and the next start would run them again over their own
 * effects). Synchronous: SQLite in a DO is.
 */
export function migrate(storage: DurableObjectStorage, migrations: readonly string[]): void {
  const { sql } = storage;
  sql.exec("CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY)");
  const applied = sql.exec<{ v: number | null }>("SELECT max(version) AS v FROM _migrations").one().v ?? 0;
  migrations.slice(applied).forEach((statements, index) => {
    storage.transactionSync(() => {
      sql.exec(statements);
      sql.exec("INSERT INTO _migrations (version) VALUES (?)", applied + index + 1);
    });
  });
}
