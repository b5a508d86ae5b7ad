import { and, asc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../db/errors.ts";
import { events } from "../events/schema.ts";
import { problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import { organizationsWhere } from "../organizations/permissions.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import { event_ticket_config, ticket_type_zones, ticket_types } from "./schema.ts";
import { type Caller, type TicketTypeRow, codeTaken, fieldErrors, organizationOfMoved, organizationOfNew, requireCatalogManager, requireReadable } from "./shared.ts";
import { syncEventInventory } from "./sync.ts";
import type { TicketTypeCreateInput, TicketTypeUpdateInput } from "./ticket-types-schemas.ts";

// Ticket types: what is sold (price bounds, per-transaction limits, the zone categories it opens), per organization or platform-wide.

type TicketTypeZoneRow = typeof ticket_type_zones.$inferSelect;

async function zonesOf(db: Db, typeIds: string[]): Promise<Map<string, TicketTypeZoneRow[]>> {
  const byType = new Map<string, TicketTypeZoneRow[]>(typeIds.map((id) => [id, []]));
  if (typeIds.length === 0) return byType;
  const rows = await db
    .select()
    .from(ticket_type_zones)
    .where(inArray(ticket_type_zones.ticket_type_id, typeIds))
    .orderBy(asc(ticket_type_zones.ticket_type_id), sql`${ticket_type_zones.is_primary} DESC`, asc(ticket_type_zones.zone_category));
  for (const row of rows) byType.get(row.ticket_type_id)?.push(row);
  return byType;
}

export async function ticketTypeWithZones(db: Db, row: TicketTypeRow) {
  return { type: row, zones: (await zonesOf(db, [row.id])).get(row.id) ?? [] };
}

/** Readable: my organizations', platform-wide ones (every organization may sell them), everything for admins. */
export async function readableTicketType(db: Db, caller: Caller, id: string): Promise<TicketTypeRow> {
  const [row] = await db.select().from(ticket_types).where(eq(ticket_types.id, id)).limit(1);
  if (!row) throw problems.notFound("Ticket type");
  await requireReadable(db, caller, row.organization_id, "Ticket type");
  return row;
}

async function managedTicketType(db: Db, caller: Caller, id: string): Promise<TicketTypeRow> {
  const row = await readableTicketType(db, caller, id);
  await requireCatalogManager(db, caller, row.organization_id, "Ticket type");
  return row;
}

type TicketTypeState = Pick<TicketTypeRow, "base_price" | "min_price" | "max_price" | "min_per_transaction" | "max_per_transaction">;

function checkTicketType(state: TicketTypeState): void {
  const errors: FieldError[] = [];
  if (state.min_price !== null && state.min_price > state.base_price) errors.push({ path: "min_price", message: "The minimum price is above the base price.", code: "inconsistent" });
  if (state.max_price !== null && state.max_price < state.base_price) errors.push({ path: "max_price", message: "The maximum price is below the base price.", code: "inconsistent" });
  if (state.min_per_transaction > state.max_per_transaction) {
    errors.push({ path: "min_per_transaction", message: "The minimum per purchase is above the maximum.", code: "inconsistent" });
  }
  fieldErrors(errors);
}

export async function createTicketType(env: Env, actor: Actor, input: TicketTypeCreateInput) {
  const db = getDb(env.DB);
  const { organization_id, ...fields } = input;
  const organizationId = await organizationOfNew(db, actor, organization_id);
  const row = {
    ...fields,
    id: newId(),
    organizer_id: actor.userId,
    organization_id: organizationId,
    description: fields.description ?? null,
    min_price: fields.min_price ?? null,
    max_price: fields.max_price ?? null,
    capacity_percentage_bp: fields.capacity_percentage_bp ?? null,
    advance_booking_days: fields.advance_booking_days ?? null,
  };
  checkTicketType(row);
  try {
    return ticketTypeWithZones(db, await auditedInsert(db, actor, ticket_types, row));
  } catch (error) {
    if (isUniqueViolation(error, "ticket_types.code")) throw codeTaken("ticket type");
    throw error;
  }
}

export async function listTicketTypes(env: Env, caller: Caller, query: { mine?: boolean; organization_id?: string; is_active?: boolean; limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  const mine = inArray(ticket_types.organization_id, organizationsWhere(db, caller.userId, "event.read"));
  const scope = and(
    query.mine ? mine : isAdmin(caller) ? undefined : or(isNull(ticket_types.organization_id), mine),
    // Another organization's id simply matches nothing for a member.
    query.organization_id ? eq(ticket_types.organization_id, query.organization_id) : undefined,
  );
  const rows = await db
    .select()
    .from(ticket_types)
    .where(
      and(
        scope,
        query.is_active === undefined ? undefined : eq(ticket_types.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), ticket_types.display_order, ticket_types.id),
      ),
    )
    .orderBy(asc(ticket_types.display_order), asc(ticket_types.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.display_order, id: row.id }));
  const zones = await zonesOf(db, page.data.map((row) => row.id));
  return { data: page.data.map((type) => ({ type, zones: zones.get(type.id) ?? [] })), next_cursor: page.next_cursor };
}

/** What the EventDO copies from a ticket type into each configuration it sells (sync.ts). */
const INVENTORY_FIELDS = [
  "code",
  "default_zone_category",
  "min_per_transaction",
  "max_per_transaction",
  "cancellation_allowed",
  "transfer_allowed",
  "is_active",
  "advance_booking_days",
  "capacity_percentage_bp",
] as const;

/** Pushes a ticket type's change to the inventory of every event still to end that sells it. */
async function syncEventsSelling(env: Env, typeId: string): Promise<void> {
  const rows = await getDb(env.DB)
    .selectDistinct({ id: event_ticket_config.event_id })
    .from(event_ticket_config)
    .innerJoin(events, eq(events.id, event_ticket_config.event_id))
    .where(and(eq(event_ticket_config.ticket_type_id, typeId), gt(events.ends_at, now())));
  await Promise.all(rows.map((row) => syncEventInventory(env, row.id)));
}

export async function updateTicketType(env: Env, actor: Actor, id: string, input: TicketTypeUpdateInput) {
  const db = getDb(env.DB);
  const type = await managedTicketType(db, actor, id);
  const { organization_id, ...fields } = input;
  const patch: Partial<TicketTypeRow> = { ...fields };
  const moved = await organizationOfMoved(db, actor, type.organization_id, organization_id);
  if (moved !== undefined) patch.organization_id = moved;
  const changes = changedFields(type, patch);
  if (Object.keys(changes).length === 0) return ticketTypeWithZones(db, type);
  checkTicketType({ ...type, ...changes });
  let after: TicketTypeRow;
  try {
    ({ after } = await auditedUpdate(db, actor, ticket_types, id, changes, { what: "Ticket type" }));
  } catch (error) {
    if (isUniqueViolation(error, "ticket_types.code")) throw codeTaken("ticket type");
    throw error;
  }
  if (INVENTORY_FIELDS.some((field) => field in changes)) await syncEventsSelling(env, id);
  return ticketTypeWithZones(db, after);
}

const configsOfType = (typeId: string) => sql`EXISTS (SELECT 1 FROM ${event_ticket_config} WHERE ${event_ticket_config.ticket_type_id} = ${typeId})`;

export async function deleteTicketType(env: Env, actor: Actor, id: string): Promise<void> {
  const db = getDb(env.DB);
  await managedTicketType(db, actor, id);
  const inUse = () => problems.conflict("ticket_type_in_use", "Events sell this ticket type; deactivate it instead (is_active: false).");
  const [used] = await db.select({ id: event_ticket_config.id }).from(event_ticket_config).where(eq(event_ticket_config.ticket_type_id, id)).limit(1);
  if (used) throw inUse();
  const zones = (await zonesOf(db, [id])).get(id) ?? [];
  try {
    await auditedDelete(db, actor, ticket_types, id, {
      what: "Ticket type",
      guard: sql`NOT ${configsOfType(id)}`,
      // Its zone categories go with it (ON DELETE CASCADE); the audit trail says so.
      also: (written) =>
        zones.length === 0 ? [] : [auditWhere(db, actor, written, { action: "DELETE", table: ticket_type_zones, id, before: { zones }, after: null })],
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw inUse();
    throw error;
  }
}

/** Replaces the zone categories a ticket type opens, in one audited batch. */
export async function replaceTicketTypeZones(
  env: Env,
  actor: Actor,
  id: string,
  input: { zone_category: TicketTypeZoneRow["zone_category"]; is_primary: boolean; access_type: TicketTypeZoneRow["access_type"]; conditions?: TicketTypeZoneRow["conditions"] }[],
) {
  const db = getDb(env.DB);
  await managedTicketType(db, actor, id);
  const current = (await zonesOf(db, [id])).get(id) ?? [];
  const at = now();
  const rows: TicketTypeZoneRow[] = input.map((zone) => ({ ticket_type_id: id, ...zone, conditions: zone.conditions ?? null, created_at: at }));
  const { after } = await auditedUpdate(db, actor, ticket_types, id, {}, {
    what: "Ticket type",
    description: "replace zone categories",
    also: (written) => [
      db.delete(ticket_type_zones).where(and(eq(ticket_type_zones.ticket_type_id, id), written)),
      ...rows.map((row) => insertWhere(db, ticket_type_zones, row, written)),
      auditWhere(db, actor, written, { action: "UPDATE", table: ticket_type_zones, id, before: { zones: current }, after: { zones: rows } }),
    ],
  });
  return ticketTypeWithZones(db, after);
}
