import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof getDb>;

/** drizzle over D1. No interactive transactions on D1: use `db.batch()` and guarded statements. */
export const getDb = (d1: D1Database) => drizzle(d1, { schema });
