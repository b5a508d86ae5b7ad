import { z } from "@hono/zod-openapi";
import { and, eq, gt, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { problems } from "./errors.ts";
import { fromBase64Url, toBase64Url, utf8 } from "./crypto/encoding.ts";

/**
 * Cursor pagination: `?limit=&cursor=`; the response carries `next_cursor`
 * (null on the last page). A cursor is the opaque (sort key, id) of the last
 * row, so pages stay stable while rows are inserted.
 */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size (1–100)." }),
  cursor: z.string().max(500).optional().openapi({ description: "`next_cursor` of the previous page." }),
};

export interface Cursor {
  k: string | number; // sort key of the last row
  id: string; // tie-breaker
  s?: string; // the sort it belongs to, for lists offering several
}

export const encodeCursor = (cursor: Cursor): string => toBase64Url(utf8(JSON.stringify(cursor)));

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(fromBase64Url(text))) as Cursor;
    if ((typeof value.k === "string" || typeof value.k === "number") && typeof value.id === "string" && (value.s === undefined || typeof value.s === "string")) return value;
  } catch {
    // fall through to the problem below
  }
  throw problems.validation([{ path: "query.cursor", message: "Invalid cursor.", code: "invalid_cursor" }]);
}

/**
 * The rows after `cursor` in a list sorted by (key, id), both ascending or
 * both descending: where the next page starts. The cursor's key is compared
 * as the column's type (text or number).
 */
export function afterCursor(cursor: Cursor | undefined, key: SQLiteColumn, id: SQLiteColumn, direction: "asc" | "desc" = "asc"): SQL | undefined {
  if (!cursor) return undefined;
  const beyond = direction === "asc" ? gt : lt;
  const k = key.dataType === "number" ? Number(cursor.k) : String(cursor.k);
  return or(beyond(key, k), and(eq(key, k), beyond(id, cursor.id)));
}

/** Fetch `limit + 1` rows; this turns them into a page and its next cursor. */
export function toPage<T>(rows: T[], limit: number, key: (row: T) => Cursor) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, next_cursor: hasMore && last ? encodeCursor(key(last)) : null };
}

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });
