import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { definedFields } from "../lib/patch.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "./audit.ts";
import { app_settings, SETTING_VALUE_TYPES } from "./schema.ts";

export type SettingRow = typeof app_settings.$inferSelect;
export type SettingValueType = (typeof SETTING_VALUE_TYPES)[number];
type SettingTypes = { STRING: string; INTEGER: number; FLOAT: number; BOOLEAN: boolean; JSON: unknown };

// ---------------------------------------------------------------- per-isolate cache

/**
 * Read-through cache for what is read on hot paths and almost never written
 * (settings, maintenance windows). It lives in this isolate's memory: a write
 * made here drops the entries at once, other isolates see it when their entry
 * expires (the TTL each caller picks). Only settled values are kept, never
 * promises, so no request waits on I/O started by another.
 */
const entries = new Map<string, { value: unknown; expires: number }>();
let generation = 0;

export async function cached<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
  const hit = entries.get(key);
  if (hit && hit.expires > Date.now()) return hit.value as T;
  const startedAt = generation;
  const value = await load();
  // A write that invalidated meanwhile may have made this value stale: do not keep it.
  if (startedAt === generation) entries.set(key, { value, expires: Date.now() + ttlMs });
  return value;
}

/** Drops every entry whose key starts with `prefix` (after a write). */
export function invalidateCached(prefix: string): void {
  generation += 1;
  for (const key of entries.keys()) if (key.startsWith(prefix)) entries.delete(key);
}

// ---------------------------------------------------------------- typed values

/** Settings are read from this isolate's cache for up to 30 seconds after a write elsewhere. */
export const SETTINGS_TTL_MS = 30_000;
const CACHE_PREFIX = "setting:";

const INTEGER = /^-?\d{1,16}$/;
const DECIMAL = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** The value of a setting's text under its type, or why the text does not fit the type. */
export function parseSettingValue<T extends SettingValueType>(type: T, text: string): { value: SettingTypes[T] } | { error: string } {
  const ok = (value: unknown) => ({ value: value as SettingTypes[T] });
  switch (type) {
    case "STRING":
      return ok(text);
    case "INTEGER":
      return INTEGER.test(text) && Number.isSafeInteger(Number(text)) ? ok(Number(text)) : { error: "Expected an integer such as 42 or -7." };
    case "FLOAT":
      return DECIMAL.test(text) && Number.isFinite(Number(text)) ? ok(Number(text)) : { error: "Expected a finite decimal number such as 2.5." };
    case "BOOLEAN":
      return text === "true" || text === "false" ? ok(text === "true") : { error: "Expected true or false." };
    case "JSON":
      try {
        return ok(JSON.parse(text));
      } catch {
        return { error: "Expected valid JSON." };
      }
  }
  return { error: "Unknown value type." };
}

/** The typed value of a stored setting; null when its text does not fit its type (written outside the API). */
export function typedValue(row: Pick<SettingRow, "value" | "value_type">): unknown {
  const parsed = parseSettingValue(row.value_type, row.value);
  return "value" in parsed ? parsed.value : null;
}

function checkValue(type: SettingValueType, text: string): void {
  const parsed = parseSettingValue(type, text);
  if ("error" in parsed) throw problems.validation([{ path: "value", message: `${parsed.error} (value_type ${type})`, code: "invalid_setting_value" }]);
}

/**
 * A setting for code, typed: `await getSetting(env, "contact.max_open", "INTEGER", 3)`.
 * Missing, or stored under another type, gives `fallback` (the second is logged:
 * it is a configuration mistake), so a bad setting never breaks a request.
 */
export async function getSetting<T extends SettingValueType>(env: Env, key: string, type: T, fallback: SettingTypes[T]): Promise<SettingTypes[T]> {
  const row = await cached(CACHE_PREFIX + key, SETTINGS_TTL_MS, async () => {
    const [found] = await getDb(env.DB).select({ value: app_settings.value, value_type: app_settings.value_type }).from(app_settings).where(eq(app_settings.key, key)).limit(1);
    return found ?? null;
  });
  if (!row) return fallback;
  const parsed = parseSettingValue(type, row.value);
  if (row.value_type !== type || "error" in parsed) {
    console.error(`setting ${key} (${row.value_type}) is not a valid ${type}; using the fallback`);
    return fallback;
  }
  return parsed.value;
}

/** Category whose settings anyone may read (the app's own configuration: links, limits shown to users). */
export const PUBLIC_CATEGORY = "public";

/** The public settings as `{ key: typed value }`, through the cache. */
export function publicSettings(env: Env): Promise<Record<string, unknown>> {
  return cached(`${CACHE_PREFIX}@${PUBLIC_CATEGORY}`, SETTINGS_TTL_MS, async () => {
    const rows = await getDb(env.DB).select().from(app_settings).where(eq(app_settings.category, PUBLIC_CATEGORY)).orderBy(asc(app_settings.key));
    return Object.fromEntries(rows.map((row) => [row.key, typedValue(row)]));
  });
}

// ---------------------------------------------------------------- administration

export async function loadSetting(env: Env, key: string): Promise<SettingRow> {
  const [row] = await getDb(env.DB).select().from(app_settings).where(eq(app_settings.key, key)).limit(1);
  if (!row) throw problems.notFound("Setting");
  return row;
}

export async function listSettings(env: Env, query: { category?: string; limit: number; cursor?: string }) {
  const after = decodeCursor(query.cursor);
  const conditions: (SQL | undefined)[] = [query.category ? eq(app_settings.category, query.category) : undefined, after ? gt(app_settings.key, String(after.k)) : undefined];
  const rows = await getDb(env.DB)
    .select()
    .from(app_settings)
    .where(and(...conditions))
    .orderBy(asc(app_settings.key))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.key, id: row.id }));
}

export interface SettingInput {
  key: string;
  value: string;
  value_type: SettingValueType;
  description?: string | null;
  category?: string;
  is_editable?: boolean;
}

export async function createSetting(env: Env, actor: Actor, input: SettingInput): Promise<SettingRow> {
  checkValue(input.value_type, input.value);
  try {
    const row = await auditedInsert(getDb(env.DB), actor, app_settings, { id: newId(), ...input });
    invalidateCached(CACHE_PREFIX);
    return row;
  } catch (error) {
    if (isUniqueViolation(error, "app_settings.key")) throw problems.conflict("setting_exists", "A setting with this key exists; change it with PATCH.");
    throw error;
  }
}

/**
 * Changes an editable setting. The value is checked against the (possibly new)
 * type; a setting marked not editable is managed by deployments, never here.
 * Setting `is_editable` to false locks it for good.
 */
export async function updateSetting(
  env: Env,
  actor: Actor,
  key: string,
  input: { value?: string; value_type?: SettingValueType; description?: string | null; category?: string; is_editable?: boolean },
): Promise<SettingRow> {
  const current = await loadSetting(env, key);
  if (!current.is_editable) throw problems.forbidden("This setting is not editable through the API.", "setting_not_editable");
  const patch = definedFields(input) as Partial<SettingRow>;
  if (Object.keys(patch).length === 0) return current;
  if (input.value !== undefined || input.value_type !== undefined) checkValue(input.value_type ?? current.value_type, input.value ?? current.value);
  const { after } = await auditedUpdate(getDb(env.DB), actor, app_settings, current.id, patch, {
    action: "CONFIG",
    description: `CONFIG app_settings ${key}`,
    guard: eq(app_settings.is_editable, true),
    what: "Setting",
  });
  invalidateCached(CACHE_PREFIX);
  return after;
}

export async function deleteSetting(env: Env, actor: Actor, key: string): Promise<void> {
  const current = await loadSetting(env, key);
  if (!current.is_editable) throw problems.forbidden("This setting is not editable through the API.", "setting_not_editable");
  await auditedDelete(getDb(env.DB), actor, app_settings, current.id, { guard: eq(app_settings.is_editable, true), what: "Setting" });
  invalidateCached(CACHE_PREFIX);
}
