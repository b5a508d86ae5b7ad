import { and, asc, desc, eq, gt, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { definedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import { fanOut } from "../notifications/campaigns.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "./audit.ts";
import { cached, invalidateCached } from "./settings.ts";
import { SYSTEM_STATES, system_statuses } from "./schema.ts";

export type StatusRow = typeof system_statuses.$inferSelect;
type StatusInsert = typeof system_statuses.$inferInsert;

/**
 * A status's window is [starts_at, end), its end being the actual end when
 * recorded, else the planned end, else open. So a maintenance lifts itself at
 * its planned end; one that overruns needs its planned end moved.
 */
const windowEnd = sql`COALESCE(${system_statuses.ended_at}, ${system_statuses.expected_end_at})`;
export const endOf = (row: Pick<StatusRow, "ended_at" | "expected_end_at">): string | null => row.ended_at ?? row.expected_end_at;
export const covers = (row: StatusRow, at: string): boolean => row.starts_at <= at && (endOf(row) === null || at < endOf(row)!);

/** How long an isolate trusts its list of windows; writes made in the isolate refresh it at once. */
export const WINDOWS_TTL_MS = 5_000;
const WINDOWS_KEY = "system-status:windows";
/** More live or upcoming windows than this would be a mistake; the earliest ones are the ones that matter. */
const WINDOWS_MAX = 50;

/**
 * Statuses whose window has not ended (live or upcoming), earliest first,
 * through the per-isolate cache. Callers decide against the clock on every
 * request, so a window starts and ends on time whatever the cache's age.
 */
export function openWindows(env: Env): Promise<StatusRow[]> {
  return cached(WINDOWS_KEY, WINDOWS_TTL_MS, () =>
    getDb(env.DB)
      .select()
      .from(system_statuses)
      .where(or(sql`${windowEnd} IS NULL`, gt(windowEnd, now())))
      .orderBy(asc(system_statuses.starts_at), asc(system_statuses.id))
      .limit(WINDOWS_MAX),
  );
}

/** The statuses covering this instant. */
export async function currentStatuses(env: Env, at = now()): Promise<StatusRow[]> {
  return (await openWindows(env)).filter((row) => covers(row, at));
}

/** The blocking status covering this instant, if any (the one ending last when several overlap). */
export async function activeBlock(env: Env, at = now()): Promise<StatusRow | undefined> {
  const blocking = (await currentStatuses(env, at)).filter((row) => row.block_access);
  // An open-ended block outlasts any other.
  return blocking.sort((a, b) => (endOf(b) ?? "~").localeCompare(endOf(a) ?? "~"))[0];
}

/** The most serious state among `rows` (SYSTEM_STATES is ordered from OPERATIONAL to OFFLINE). */
export const worstState = (rows: Pick<StatusRow, "status">[]) =>
  rows.reduce<(typeof SYSTEM_STATES)[number]>((worst, row) => (SYSTEM_STATES.indexOf(row.status) > SYSTEM_STATES.indexOf(worst) ? row.status : worst), "OPERATIONAL");

// ---------------------------------------------------------------- administration

function checkDates(row: Pick<StatusRow, "starts_at" | "expected_end_at" | "ended_at">): void {
  const errors: FieldError[] = [];
  if (row.expected_end_at !== null && row.expected_end_at < row.starts_at) {
    errors.push({ path: "expected_end_at", message: "The planned end must not be before the start.", code: "end_before_start" });
  }
  if (row.ended_at !== null && row.ended_at < row.starts_at) {
    errors.push({ path: "ended_at", message: "The actual end must not be before the start.", code: "end_before_start" });
  }
  if (errors.length) throw problems.validation(errors);
}

export async function loadStatus(env: Env, id: string): Promise<StatusRow> {
  const [row] = await getDb(env.DB).select().from(system_statuses).where(eq(system_statuses.id, id)).limit(1);
  if (!row) throw problems.notFound("System status");
  return row;
}

/** Admin listing, latest start first; `current` keeps those covering now. */
export async function listStatuses(env: Env, query: { current?: boolean; limit: number; cursor?: string }) {
  const after = decodeCursor(query.cursor);
  const at = now();
  const conditions: (SQL | undefined)[] = [
    query.current === undefined
      ? undefined
      : query.current
        ? and(sql`${system_statuses.starts_at} <= ${at}`, or(sql`${windowEnd} IS NULL`, gt(windowEnd, at)))
        : or(gt(system_statuses.starts_at, at), sql`${windowEnd} <= ${at}`),
    afterCursor(after, system_statuses.starts_at, system_statuses.id, "desc"),
  ];
  const rows = await getDb(env.DB)
    .select()
    .from(system_statuses)
    .where(and(...conditions))
    .orderBy(desc(system_statuses.starts_at), desc(system_statuses.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.starts_at, id: row.id }));
}

export type StatusInput = Omit<StatusInsert, "id" | "created_by" | "created_at" | "updated_at">;

export async function createStatus(env: Env, actor: Actor, input: Partial<StatusInput> & Pick<StatusInput, "title" | "status">): Promise<StatusRow> {
  const values = { expected_end_at: null, ended_at: null, ...input, starts_at: input.starts_at ?? now(), id: newId(), created_by: actor.userId };
  checkDates(values);
  const row = await auditedInsert(getDb(env.DB), actor, system_statuses, values);
  invalidateCached(WINDOWS_KEY);
  if (row.status === "MAINTENANCE") await announceMaintenance(env, row);
  return row;
}

/** A maintenance window is announced to every active account (SYSTEM_MAINTENANCE, in the app and by push), once per window, its times on each reader's clock. */
async function announceMaintenance(env: Env, row: StatusRow): Promise<void> {
  const zone = "reader";
  await fanOut(env, {
    key: `maintenance:${row.id}`,
    name: `SYSTEM_MAINTENANCE: ${row.title}`,
    type: "SYSTEM_MAINTENANCE",
    targeting: { audience: "ALL_USERS" },
    data: {
      title: row.title,
      message: row.description,
      starts_at: { at: row.starts_at, time_zone: zone },
      ends_at: row.expected_end_at ? { at: row.expected_end_at, time_zone: zone } : "—",
    },
  });
}

export async function updateStatus(env: Env, actor: Actor, id: string, input: Partial<StatusInput>): Promise<StatusRow> {
  const current = await loadStatus(env, id);
  const patch = definedFields(input);
  if (Object.keys(patch).length === 0) return current;
  checkDates({ ...current, ...patch });
  // The dates were checked against this state; a concurrent change makes this one a 409.
  const { after } = await auditedUpdate(getDb(env.DB), actor, system_statuses, id, patch, {
    guard: and(
      eq(system_statuses.starts_at, current.starts_at),
      current.expected_end_at === null ? isNull(system_statuses.expected_end_at) : eq(system_statuses.expected_end_at, current.expected_end_at),
      current.ended_at === null ? isNull(system_statuses.ended_at) : eq(system_statuses.ended_at, current.ended_at),
    ),
    what: "System status",
  });
  invalidateCached(WINDOWS_KEY);
  return after;
}

export async function deleteStatus(env: Env, actor: Actor, id: string): Promise<void> {
  await auditedDelete(getDb(env.DB), actor, system_statuses, id, { what: "System status" });
  invalidateCached(WINDOWS_KEY);
}
