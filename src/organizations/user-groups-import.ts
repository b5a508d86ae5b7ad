import { z } from "@hono/zod-openapi";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { emailSchema } from "../auth/schemas.ts";
import { getDb } from "../db/client.ts";
import { CsvError, parseCsv } from "../lib/csv-parse.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { normalizePhone } from "../lib/phone.ts";
import { now } from "../lib/time.ts";
import { auditWhere, type Actor } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { unprovenEmail } from "../users/accounts.ts";
import { groupMembersChanged } from "./hooks.ts";
import { user_group_members } from "./schema.ts";
import { accountsWithPhone, managedGroup } from "./user-groups.ts";

// Importing a user group's members from a CSV file: all rows or none.

/** What one import may hold: a club's season list fits many times over; more is sent as several files. */
export const IMPORT_MAX_BYTES = 256 * 1024;
export const IMPORT_MAX_ROWS = 5_000;
/** Errors listed in the problem at most; the detail gives the total. */
const MAX_ERRORS_LISTED = 100;
/** Rows per INSERT … SELECT FROM json_each: keeps each bound JSON parameter small. */
const CHUNK = 500;
const chunks = <T>(list: T[]): T[][] => Array.from({ length: Math.ceil(list.length / CHUNK) }, (_, i) => list.slice(i * CHUNK, (i + 1) * CHUNK));

const COLUMNS = ["user_id", "email", "phone", "valid_until"] as const;
const uuid = z.uuid();
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type Named = { line: number; by: "user_id" | "email" | "phone"; value: string; validUntil: string | null };

/** `valid_until` as written: an ISO 8601 instant with an offset, or a date meaning the end of that day (UTC). */
function parseValidUntil(text: string): string | null {
  const value = DATE.test(text) ? `${text}T23:59:59.999Z` : text;
  if (!z.iso.datetime({ offset: true }).safeParse(value).success) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || (DATE.test(text) && date.toISOString().slice(0, 10) !== text) ? null : date.toISOString();
}

/**
 * Adds (or updates) the group's members listed in a CSV file, all or none.
 * The header names the columns: `user_id`, `email`, `phone` (each row names
 * its person by the first of these it fills in) and optional `valid_until`.
 * Every row is checked first (format, accounts, phone numbers that match
 * exactly one account, the same person twice); any error refuses the whole
 * file with 422 and each error's `path` `rows.<line>.<column>`, the line
 * numbered as in the file (the header is line 1). Otherwise one D1 batch
 * creates the passwordless accounts of new addresses, writes every
 * membership (a member already there gets the file's `valid_until`) and the
 * audit entry, so a failure leaves nothing half-imported.
 */
export async function importGroupMembers(env: Env, actor: Actor, groupId: string, text: string) {
  const db = getDb(env.DB);
  const { group } = await managedGroup(db, actor, groupId);
  const at = now();

  let rows;
  try {
    rows = parseCsv(text, IMPORT_MAX_ROWS);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw problems.validation([{ path: `rows.${error.line}`, message: error.message, code: "invalid_csv" }], "The file cannot be read as CSV.");
  }
  const [header, ...data] = rows;
  const names = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const unknown = names.findIndex((n) => !(COLUMNS as readonly string[]).includes(n));
  if (!header || unknown >= 0 || !names.some((n) => n === "user_id" || n === "email" || n === "phone") || new Set(names).size !== names.length) {
    throw problems.validation(
      [{ path: "rows.1", message: `The first line names the columns, each once: user_id, email or phone (at least one), and optionally valid_until${unknown >= 0 ? `; "${names[unknown]}" is none of them` : ""}.`, code: "invalid_header" }],
      "The file's header is not valid.",
    );
  }
  if (data.length === 0) throw problems.validation([{ path: "rows", message: "The file lists nobody.", code: "empty" }]);
  const column = (row: { fields: string[] }, name: (typeof COLUMNS)[number]) => {
    const i = names.indexOf(name);
    return i < 0 ? "" : (row.fields[i] ?? "").trim();
  };

  const errors: FieldError[] = [];
  const add = (line: number, path: string, message: string, code: string) => errors.push({ path: `rows.${line}.${path}`, message, code });
  const named: Named[] = [];
  const seen = new Map<string, number>();
  const repeated = new Set<number>(); // lines already refused as a repeat
  for (const row of data) {
    if (row.fields.length > names.length) add(row.line, "", `This line has ${row.fields.length} fields; the header names ${names.length}.`, "too_many_fields");
    let validUntil: string | null = null;
    const rawUntil = column(row, "valid_until");
    if (rawUntil) {
      validUntil = parseValidUntil(rawUntil);
      if (!validUntil) add(row.line, "valid_until", "Expected a date (YYYY-MM-DD) or an ISO 8601 instant with an offset.", "invalid_date");
      else if (validUntil <= at) add(row.line, "valid_until", "A membership ends in the future.", "in_past");
    }
    const by = (["user_id", "email", "phone"] as const).find((name) => column(row, name) !== "");
    if (!by) {
      add(row.line, "", "Name the person by user_id, email or phone.", "required");
      continue;
    }
    const raw = column(row, by);
    const value = by === "user_id" ? (uuid.safeParse(raw).success ? raw.toLowerCase() : null) : by === "email" ? (emailSchema.safeParse(raw).data ?? null) : normalizePhone(raw);
    if (value === null) {
      add(row.line, by, by === "user_id" ? "Expected an account id (UUID)." : by === "email" ? "Expected an email address." : "Expected a Benin (+229 01XXXXXXXX) or Tunisia (+216 XXXXXXXX) phone number.", `invalid_${by}`);
      continue;
    }
    const key = `${by}:${value}`;
    const first = seen.get(key);
    if (first !== undefined) {
      add(row.line, by, `Listed already on line ${first}.`, "duplicate");
      repeated.add(row.line);
    } else seen.set(key, row.line);
    named.push({ line: row.line, by, value, validUntil });
  }

  // Who they are: existing accounts by id and email, the one account of each phone number.
  const ids = [...new Set(named.filter((n) => n.by === "user_id").map((n) => n.value))];
  const emails = [...new Set(named.filter((n) => n.by === "email").map((n) => n.value))];
  const phones = [...new Set(named.filter((n) => n.by === "phone").map((n) => n.value))];
  const [activeIds, byEmail, byPhone] = await Promise.all([
    ids.length ? db.select({ id: users.id }).from(users).where(and(sql`${users.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`, eq(users.is_active, true))) : [],
    emails.length
      ? db
          .select({ id: users.id, email: users.email, unproven: unprovenEmail })
          .from(users)
          .where(sql`${users.email} IN (SELECT value FROM json_each(${JSON.stringify(emails)}))`)
      : [],
    accountsWithPhone(db, phones),
  ]);
  const known = new Set(activeIds.map((u) => u.id));
  const emailAccount = new Map(byEmail.map((u) => [u.email, u.id]));
  // An account that never proved its address may not be the address's owner (unprovenEmail).
  const unproven = new Set(byEmail.filter((u) => Number(u.unproven) === 1).map((u) => u.email));
  const resolved = new Map<number, string | null>(); // line → account id (null: a new account for the email)
  for (const n of named) {
    if (n.by === "user_id") {
      if (!known.has(n.value)) add(n.line, "user_id", "No such active account.", "invalid_reference");
      else resolved.set(n.line, n.value);
    } else if (n.by === "email") {
      if (unproven.has(n.value)) add(n.line, "email", "An account uses this address but never verified it: name the person by account id.", "recipient_email_unverified");
      else resolved.set(n.line, emailAccount.get(n.value) ?? null);
    }
    else {
      const found = byPhone.get(n.value) ?? [];
      if (found.length === 0) add(n.line, "phone", "No active account uses this phone number: name the person by email instead.", "unknown_phone");
      else if (found.length > 1) add(n.line, "phone", "Several accounts use this phone number: name the person by account or email instead.", "ambiguous_phone");
      else resolved.set(n.line, found[0]!);
    }
  }
  // The same person named twice in different ways.
  const lineOf = new Map<string, number>();
  for (const n of named) {
    const id = resolved.get(n.line);
    if (!id || repeated.has(n.line)) continue;
    const first = lineOf.get(id);
    if (first !== undefined && first !== n.line) add(n.line, n.by, `The same person as on line ${first}.`, "duplicate");
    else lineOf.set(id, n.line);
  }
  if (errors.length > 0) {
    errors.sort((a, b) => Number(a.path.split(".")[1]) - Number(b.path.split(".")[1]));
    throw problems.validation(
      errors.slice(0, MAX_ERRORS_LISTED),
      `${errors.length} error(s) in the file${errors.length > MAX_ERRORS_LISTED ? ` (the first ${MAX_ERRORS_LISTED} listed)` : ""}; nothing was imported.`,
    );
  }

  // All or none: one batch. Rows travel as one JSON parameter each, read back with json_each.
  const newAccounts = emails.filter((email) => !emailAccount.has(email)).map((email) => ({ id: newId(), email }));
  const entries = named.map((n) => {
    const id = resolved.get(n.line);
    return id ? { user_id: id, valid_until: n.validUntil } : { email: n.value, valid_until: n.validUntil };
  });
  const known_ = [...new Set([...resolved.values()].filter((id): id is string => id !== null))];
  const already = known_.length
    ? await db
        .select({ user_id: user_group_members.user_id })
        .from(user_group_members)
        .where(and(eq(user_group_members.group_id, groupId), inArray(user_group_members.user_id, known_)))
    : [];
  const summary = { rows: data.length, added: entries.length - already.length, updated: already.length, accounts_created: newAccounts.length };
  // Plain D1 statements: drizzle batches only its own builders, and these two are INSERT … SELECT of a few columns.
  const audit = auditWhere(db, actor, sql`1`, { action: "IMPORT", table: user_group_members, id: groupId, before: null, after: { group_code: group.code, ...summary }, description: `import ${data.length} member(s) into ${group.code}` }).toSQL();
  await env.DB.batch([
    env.DB.prepare(audit.sql).bind(...audit.params),
    ...chunks(newAccounts).map((chunk) =>
      env.DB.prepare("INSERT INTO users (id, email) SELECT json_extract(value, '$.id'), json_extract(value, '$.email') FROM json_each(?) WHERE 1 ON CONFLICT (email) DO NOTHING").bind(JSON.stringify(chunk)),
    ),
    ...chunks(entries).map((chunk) =>
      env.DB.prepare(
        `INSERT INTO user_group_members (group_id, user_id, member_since, valid_until, added_by)
         SELECT ?1, coalesce(json_extract(j.value, '$.user_id'), (SELECT u.id FROM users AS u WHERE u.email = json_extract(j.value, '$.email'))), ?2, json_extract(j.value, '$.valid_until'), ?3
         FROM json_each(?4) AS j WHERE 1
         ON CONFLICT (group_id, user_id) DO UPDATE SET valid_until = excluded.valid_until`,
      ).bind(groupId, at, actor.userId, JSON.stringify(chunk)),
    ),
  ]);
  const userIds = (
    await db
      .select({ id: user_group_members.user_id })
      .from(user_group_members)
      .innerJoin(users, eq(users.id, user_group_members.user_id))
      .where(and(eq(user_group_members.group_id, groupId), sql`(${users.id} IN (SELECT value FROM json_each(${JSON.stringify(known_)})) OR ${users.email} IN (SELECT value FROM json_each(${JSON.stringify(emails)})))`))
  ).map((r) => r.id);
  await groupMembersChanged.emit({ env, groupId, userIds });
  return summary;
}
