import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof build>;

const build = (d1: D1Database) => drizzle(d1, { schema });
const clients = new WeakMap<D1Database, Db>();

/**
 * drizzle over D1, one client per binding: building one walks the relational
 * config of every table, too slow to repeat on each request. No interactive
 * transactions on D1: use `db.batch()` and guarded statements.
 */
export function getDb(d1: D1Database): Db {
  let db = clients.get(d1);
  if (!db) {
    db = build(d1);
    clients.set(d1, db);
  }
  return db;
}
