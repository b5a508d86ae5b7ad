/**
 * Presale codes of an event (D1 `presale_codes`): the organizer's CRUD, and
 * the lookup the availability and order routes make when a buyer enters a
 * code. The quota is not counted here: the event's EventDO counts it over
 * the orders placed with the code (durable-objects/event/presale.ts).
 */
import { and, asc, eq } from "drizzle-orm";
import { eventStub } from "../../durable-objects/event/client.ts";
import type { PresaleCode } from "../../durable-objects/event/contract.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import type { AuthContext, Env } from "../env.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { authorizeEvent } from "../organizations/permissions.ts";
import { event_ticket_config, presale_codes } from "./schema.ts";

export type PresaleCodeRow = typeof presale_codes.$inferSelect;

export interface PresaleCodeInput {
  code: string;
  config_ids: string[];
  quota: number | null;
  valid_from: string | null;
  valid_until: string | null;
  is_active: boolean;
}

/** The event's active code as the buyer typed it (upper-cased), as the EventDO checks it; null for an unknown or inactive code. */
export async function findPresaleCode(env: Env, eventId: string, code: string): Promise<PresaleCode | null> {
  const [row] = await getDb(env.DB)
    .select()
    .from(presale_codes)
    .where(and(eq(presale_codes.event_id, eventId), eq(presale_codes.code, code), eq(presale_codes.is_active, true)))
    .limit(1);
  return row ? { id: row.id, code: row.code, config_ids: row.config_ids, quota: row.quota, valid_from: row.valid_from, valid_until: row.valid_until } : null;
}

/** An unknown code, named on the field the buyer typed it in. */
export const unknownPresaleCode = (path: string) => problems.validation([{ path, message: "Unknown or inactive presale code.", code: "unknown_presale_code" }]);

async function checkConfigs(env: Env, eventId: string, configIds: string[]) {
  const rows = await getDb(env.DB).select({ id: event_ticket_config.id }).from(event_ticket_config).where(eq(event_ticket_config.event_id, eventId));
  const known = new Set(rows.map((r) => r.id));
  const errors = configIds.flatMap((id, i) => (known.has(id) ? [] : [{ path: `config_ids.${i}`, message: "Not a ticket configuration of this event.", code: "invalid_reference" }]));
  if (errors.length) throw problems.validation(errors);
}

function checkWindow(input: Pick<PresaleCodeInput, "valid_from" | "valid_until">) {
  if (input.valid_from && input.valid_until && Date.parse(input.valid_until) <= Date.parse(input.valid_from)) {
    throw problems.invalidField("valid_until", "Must be after valid_from.", "invalid_value");
  }
}

async function withUses(env: Env, eventId: string, rows: PresaleCodeRow[]) {
  const uses: Record<string, number> = rows.length ? await eventStub(env, eventId).presaleUses(rows.map((r) => r.id)) : {};
  return rows.map((row) => ({ ...row, used: uses[row.id] ?? 0 }));
}

export async function createPresaleCode(env: Env, auth: AuthContext | undefined, eventId: string, input: PresaleCodeInput) {
  const { auth: caller } = await authorizeEvent(env, auth, eventId, "event.manage");
  checkWindow(input);
  await checkConfigs(env, eventId, input.config_ids);
  const row = { id: newId(), event_id: eventId, ...input, created_by: caller.userId };
  try {
    await getDb(env.DB).insert(presale_codes).values(row);
  } catch (error) {
    if (isUniqueViolation(error, "presale_codes.event_id")) throw problems.conflict("presale_code_exists", "This event already has this presale code.");
    throw error;
  }
  return (await withUses(env, eventId, [(await codeOf(env, eventId, row.id))]))[0]!;
}

async function codeOf(env: Env, eventId: string, codeId: string): Promise<PresaleCodeRow> {
  const [row] = await getDb(env.DB).select().from(presale_codes).where(and(eq(presale_codes.id, codeId), eq(presale_codes.event_id, eventId))).limit(1);
  if (!row) throw problems.notFound("Presale code");
  return row;
}

export async function listPresaleCodes(env: Env, auth: AuthContext | undefined, eventId: string) {
  await authorizeEvent(env, auth, eventId, "event.manage");
  const rows = await getDb(env.DB).select().from(presale_codes).where(eq(presale_codes.event_id, eventId)).orderBy(asc(presale_codes.created_at), asc(presale_codes.id));
  return withUses(env, eventId, rows);
}

export async function updatePresaleCode(env: Env, auth: AuthContext | undefined, eventId: string, codeId: string, input: Partial<PresaleCodeInput>) {
  await authorizeEvent(env, auth, eventId, "event.manage");
  const current = await codeOf(env, eventId, codeId);
  const next = { ...current, ...input };
  checkWindow(next);
  if (input.config_ids) await checkConfigs(env, eventId, input.config_ids);
  try {
    await getDb(env.DB)
      .update(presale_codes)
      .set({ ...input, updated_at: new Date().toISOString() })
      .where(eq(presale_codes.id, codeId));
  } catch (error) {
    if (isUniqueViolation(error, "presale_codes.event_id")) throw problems.conflict("presale_code_exists", "This event already has this presale code.");
    throw error;
  }
  return (await withUses(env, eventId, [await codeOf(env, eventId, codeId)]))[0]!;
}

/** Deletes a code nobody used; a used code stays (its orders name it), deactivated. */
export async function deletePresaleCode(env: Env, auth: AuthContext | undefined, eventId: string, codeId: string): Promise<void> {
  await authorizeEvent(env, auth, eventId, "event.manage");
  await codeOf(env, eventId, codeId);
  const uses = await eventStub(env, eventId).presaleUses([codeId]);
  if ((uses[codeId] ?? 0) > 0) throw new ProblemError(409, "presale_code_in_use", "Conflict", "Orders were placed with this code: deactivate it (is_active false) instead.");
  await getDb(env.DB).delete(presale_codes).where(eq(presale_codes.id, codeId));
}
