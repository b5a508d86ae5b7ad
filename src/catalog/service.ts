import { and, asc, eq, getTableColumns, gt, inArray, isNull, lte, ne, or, sql, type SQL, type SQLWrapper, type Column } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { AuthContext, Env } from "../env.ts";
import { isAdmin, manages } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isCheckViolation, isForeignKeyViolation, isUniqueViolation } from "../db/errors.ts";
import { event_groups, events, venue_zones } from "../events/schema.ts";
import { managedEvent, visibleEvent } from "../events/service.ts";
import { ProblemError, problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import type { Currency } from "../lib/money.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { ageOn, now, type Timestamp } from "../lib/time.ts";
import { tickets } from "../orders/schema.ts";
import { subscriptions } from "../passes/schema.ts";
import { auditedDelete, auditedInsert, auditedUpdate, auditWhere, insertWhere, type Actor } from "../site/audit.ts";
import { audit_log } from "../site/schema.ts";
import { isActiveOrganizer } from "../users/accounts.ts";
import { user_group_members, user_groups, users } from "../users/schema.ts";
import { buyerFlags, priceOrder, type Buyer, type PricingRule } from "./pricing.ts";
import {
  event_ticket_config,
  pricing_rule_usages,
  pricing_rules,
  subscription_plan_event_groups,
  subscription_plan_events,
  subscription_plan_zones,
  subscription_plans,
  ticket_templates,
  ticket_type_zones,
  ticket_types,
} from "./schema.ts";
import type {
  ConfigCreateInput,
  ConfigUpdateInput,
  LiveCounts,
  PlanCreateInput,
  PlanLinks,
  PlanUpdateInput,
  RuleCreateInput,
  RuleUpdateInput,
  TemplateCreateInput,
  TemplateUpdateInput,
  TicketTypeCreateInput,
  TicketTypeUpdateInput,
} from "./schemas.ts";
import { EVENT_USES_SQL, PASS_USES_SQL } from "./rule-uses.ts";
import { forgetSaleContexts } from "./sale-context.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { syncEventInventory } from "./sync.ts";

type Caller = Pick<AuthContext, "userId" | "role">;
type EventRow = typeof events.$inferSelect;
type TicketTypeRow = typeof ticket_types.$inferSelect;
type TicketTypeZoneRow = typeof ticket_type_zones.$inferSelect;
type ConfigRow = typeof event_ticket_config.$inferSelect;
type RuleRow = typeof pricing_rules.$inferSelect;
type PlanRow = typeof subscription_plans.$inferSelect;
type TemplateRow = typeof ticket_templates.$inferSelect;

// ------------------------------------------------------------------ shared

const fieldErrors = (errors: FieldError[]) => {
  if (errors.length > 0) throw problems.validation(errors);
};
const invalid = (path: string, message: string, code = "invalid") => problems.validation([{ path, message, code }]);

/**
 * The owner of a new or reassigned catalog object. Organizers own what they
 * create and cannot hand it to anyone; admins leave it platform-wide (null) or
 * name an active organizer.
 */
async function ownerFor(db: Db, caller: Caller, requested: string | null | undefined): Promise<string | null> {
  if (!isAdmin(caller)) {
    if (requested === undefined || requested === caller.userId) return caller.userId;
    throw problems.forbidden("Only admins choose `organizer_id`.");
  }
  if (requested === undefined || requested === null) return null;
  if (!(await isActiveOrganizer(db, requested))) throw invalid("organizer_id", "Expected an active organizer account.", "invalid_owner");
  return requested;
}

/** The values `row` had for the keys of `changes`: what undoes them. */
const previousValues = <T extends Record<string, unknown>>(row: T, changes: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.keys(changes).map((key) => [key, row[key]])) as Partial<T>;


/** `before ≤ after` for optional instants, reported on `path`. */
function ordered(errors: FieldError[], before: string | null | undefined, after: string | null | undefined, path: string, message: string, strict = false) {
  if (before && after && (strict ? after <= before : after < before)) errors.push({ path, message, code: "inconsistent" });
}

// ------------------------------------------------------------------ ticket types

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

/** Readable: the caller's own, platform-wide ones (every organizer may sell them), everything for admins. */
export async function readableTicketType(db: Db, caller: Caller, id: string): Promise<TicketTypeRow> {
  const [row] = await db.select().from(ticket_types).where(eq(ticket_types.id, id)).limit(1);
  if (!row || (row.organizer_id !== null && !manages(caller, row.organizer_id))) throw problems.notFound("Ticket type");
  return row;
}

async function managedTicketType(db: Db, caller: Caller, id: string): Promise<TicketTypeRow> {
  const row = await readableTicketType(db, caller, id);
  if (!manages(caller, row.organizer_id)) throw problems.forbidden("Platform-wide ticket types are managed by admins.");
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

const codeTaken = (what: string) => problems.conflict("code_taken", `Another ${what} already uses this code.`);

export async function createTicketType(env: Env, actor: Actor, input: TicketTypeCreateInput) {
  const db = getDb(env.DB);
  const { organizer_id, ...fields } = input;
  const owner = await ownerFor(db, actor, organizer_id);
  const row = {
    ...fields,
    id: newId(),
    organizer_id: owner,
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

export async function listTicketTypes(env: Env, caller: Caller, query: { mine?: boolean; organizer_id?: string; is_active?: boolean; limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  if (query.organizer_id && !isAdmin(caller)) throw problems.forbidden("Only admins filter by organizer.");
  const scope = query.mine
    ? eq(ticket_types.organizer_id, caller.userId)
    : query.organizer_id
      ? eq(ticket_types.organizer_id, query.organizer_id)
      : isAdmin(caller)
        ? undefined
        : or(isNull(ticket_types.organizer_id), eq(ticket_types.organizer_id, caller.userId));
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
const INVENTORY_FIELDS = ["code", "default_zone_category", "min_per_transaction", "max_per_transaction", "cancellation_allowed", "transfer_allowed", "is_active"] as const;

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
  const { organizer_id, ...fields } = input;
  const patch: Partial<TicketTypeRow> = { ...fields };
  if (organizer_id !== undefined) patch.organizer_id = await ownerFor(db, actor, organizer_id);
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

// ------------------------------------------------------------------ event ticket configurations

const CLOSED_EVENT_STATUSES: EventRow["status"][] = ["CANCELLED", "COMPLETED"];

/** An event whose configurations the caller may change: theirs (or any, for admins), not cancelled or completed. */
async function editableEvent(env: Env, actor: Actor, eventId: string): Promise<EventRow> {
  const event = await managedEvent(env, eventId, actor);
  if (CLOSED_EVENT_STATUSES.includes(event.status)) throw problems.conflict("event_closed", `The event is ${event.status.toLowerCase()}; its tickets can no longer change.`);
  return event;
}

async function configOf(db: Db, eventId: string, configId: string): Promise<{ config: ConfigRow; type: TicketTypeRow }> {
  const [row] = await db
    .select({ config: event_ticket_config, type: ticket_types })
    .from(event_ticket_config)
    .innerJoin(ticket_types, eq(ticket_types.id, event_ticket_config.ticket_type_id))
    .where(and(eq(event_ticket_config.id, configId), eq(event_ticket_config.event_id, eventId)))
    .limit(1);
  if (!row) throw problems.notFound("Ticket configuration");
  return row;
}

/** Units sold and held per active configuration, live from the event's inventory (its Durable Object). */
async function liveCounts(env: Env, eventId: string): Promise<Map<string, LiveCounts>> {
  const availability = await eventStub(env, eventId).availability();
  return new Map(availability.configs.map((c) => [c.id, { sold: c.sold, held: c.held }]));
}

/** Live counts when the inventory sells the configuration; its last projection in D1 otherwise (inactive ones). */
const countsOf = (config: ConfigRow, live: Map<string, LiveCounts>): LiveCounts =>
  live.get(config.id) ?? { sold: config.quantity_sold, held: config.quantity_reserved };

const belowSold = (committed: number) =>
  problems.conflict("quantity_below_sold", `${committed} unit(s) are already held or sold: the sellable quantity (total − blocked) cannot go below that.`);

type ConfigState = Omit<ConfigRow, "id" | "event_id" | "quantity_sold" | "quantity_reserved" | "created_at" | "updated_at">;

/** Every rule across a configuration's fields, its event, its ticket type, the venue's zones and the membership group. */
async function checkConfig(db: Db, actor: Actor, event: EventRow, type: TicketTypeRow, state: ConfigState): Promise<void> {
  const errors: FieldError[] = [];
  const add = (path: string, message: string, code = "inconsistent") => errors.push({ path, message, code });

  if (state.currency !== event.currency) add("currency", `The event is sold in ${event.currency}.`, "currency_mismatch");
  if (state.quantity_blocked > state.quantity_total) add("quantity_blocked", "More units blocked than the total.");

  ordered(errors, state.sales_start, state.sales_end, "sales_end", "Sales must end after they start.", true);
  ordered(errors, state.sales_end, event.ends_at, "sales_end", "Sales must end by the end of the event.");
  ordered(errors, state.sales_start, event.ends_at, "sales_start", "Sales must start before the event ends.", true);
  for (const field of ["early_bird_end", "member_only_until"] as const) {
    ordered(errors, state.sales_start, state[field], field, "Must fall within the sales window (after sales start).");
    ordered(errors, state[field], state.sales_end ?? event.ends_at, field, "Must fall within the sales window (by sales end).");
  }

  if (state.max_purchase !== null && state.min_purchase > state.max_purchase) add("min_purchase", "The minimum purchase is above the maximum.");
  if (state.min_purchase > type.max_per_transaction) add("min_purchase", `The ticket type allows at most ${type.max_per_transaction} per purchase.`);

  const sameCurrency = type.currency === state.currency;
  const outOfRange = (price: number) => sameCurrency && ((type.min_price !== null && price < type.min_price) || (type.max_price !== null && price > type.max_price));
  const range = `${type.min_price ?? 0}–${type.max_price ?? "∞"} ${type.currency}`;
  if (outOfRange(state.price)) add("price", `The ticket type's prices range ${range} (minor units).`, "price_out_of_range");
  const tiers = state.price_tiers ?? [];
  if (state.dynamic_pricing && tiers.length === 0) add("price_tiers", "Dynamic pricing needs price tiers.");
  tiers.forEach((tier, i) => {
    if (tier.to > state.quantity_total - 1) add(`price_tiers.${i}.to`, `Tiers number units 0 to ${state.quantity_total - 1} (quantity_total − 1).`);
    if (outOfRange(tier.price)) add(`price_tiers.${i}.price`, `The ticket type's prices range ${range} (minor units).`, "price_out_of_range");
  });

  if (state.membership_group_id) {
    const [group] = await db
      .select({ owner_id: user_groups.owner_id })
      .from(user_groups)
      .where(and(eq(user_groups.id, state.membership_group_id), eq(user_groups.is_active, true)))
      .limit(1);
    const usable = group && (group.owner_id === null || group.owner_id === event.organizer_id || isAdmin(actor));
    if (!usable) add("membership_group_id", "No such active user group.", "invalid_reference");
  }

  const mapping = state.zone_mapping;
  if (mapping && Object.keys(mapping).length > 0) {
    if (!event.venue_id) add("zone_mapping", "The event has no venue to map zones of.", "invalid_reference");
    else {
      const zones = await db
        .select({ code: venue_zones.code, category: venue_zones.category })
        .from(venue_zones)
        .where(and(eq(venue_zones.venue_id, event.venue_id), eq(venue_zones.is_active, true)));
      const categoryOf = new Map(zones.map((zone) => [zone.code, zone.category]));
      for (const [key, codes] of Object.entries(mapping)) {
        (codes ?? []).forEach((code, i) => {
          const category = categoryOf.get(code);
          if (category === undefined) add(`zone_mapping.${key}.${i}`, `The venue has no active zone "${code}".`, "invalid_reference");
          else if (key !== "excluded_sections" && category !== key) add(`zone_mapping.${key}.${i}`, `Zone "${code}" is ${category}, not ${key}.`);
        });
      }
    }
  }
  fieldErrors(errors);
}

/**
 * Pushes the event's configurations to its inventory. When the inventory
 * refuses (409, e.g. fewer units than it already sold), `undo` restores D1
 * before the refusal reaches the caller; the inventory itself is unchanged,
 * since it applies a configuration all or nothing.
 */
async function syncOrUndo(env: Env, eventId: string, undo: () => Promise<unknown>): Promise<void> {
  try {
    await syncEventInventory(env, eventId);
  } catch (error) {
    if (error instanceof ProblemError && error.status === 409) await undo();
    throw error;
  }
}

export async function configView(env: Env, eventId: string, configId: string) {
  const db = getDb(env.DB);
  const { config, type } = await configOf(db, eventId, configId);
  return { config, type, counts: countsOf(config, await liveCounts(env, eventId)) };
}

export async function createConfig(env: Env, actor: Actor, eventId: string, input: ConfigCreateInput) {
  const db = getDb(env.DB);
  const event = await editableEvent(env, actor, eventId);
  const [type] = await db.select().from(ticket_types).where(eq(ticket_types.id, input.ticket_type_id)).limit(1);
  // The event's organizer sells their own ticket types and the platform-wide ones.
  if (!type || !type.is_active || (type.organizer_id !== null && type.organizer_id !== event.organizer_id)) {
    throw invalid("ticket_type_id", "No such active ticket type among the organizer's or the platform's.", "invalid_reference");
  }
  const row = {
    ...input,
    id: newId(),
    event_id: eventId,
    currency: input.currency ?? event.currency,
    sales_start: input.sales_start ?? null,
    sales_end: input.sales_end ?? null,
    early_bird_end: input.early_bird_end ?? null,
    max_purchase: input.max_purchase ?? null,
    membership_group_id: input.membership_group_id ?? null,
    member_only_until: input.member_only_until ?? null,
    zone_mapping: input.zone_mapping ?? null,
    price_tiers: input.price_tiers ?? null,
    metadata: input.metadata ?? null,
  };
  await checkConfig(db, actor, event, type, row);
  try {
    await auditedInsert(db, actor, event_ticket_config, row);
  } catch (error) {
    if (isUniqueViolation(error, "event_ticket_config.event_id")) throw problems.conflict("config_exists", "This ticket type is already on sale for this event; change that configuration instead.");
    throw error;
  }
  await syncOrUndo(env, eventId, () => auditedDelete(db, actor, event_ticket_config, row.id, { what: "Ticket configuration", description: "undo: refused by the event's inventory" }));
  return configView(env, eventId, row.id);
}

export async function listConfigs(env: Env, auth: AuthContext | undefined, eventId: string, query: { limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  const { managed } = await visibleEvent(env, eventId, auth);
  const rows = await db
    .select({ config: event_ticket_config, type: ticket_types })
    .from(event_ticket_config)
    .innerJoin(ticket_types, eq(ticket_types.id, event_ticket_config.ticket_type_id))
    .where(
      and(
        eq(event_ticket_config.event_id, eventId),
        managed ? undefined : and(eq(event_ticket_config.is_active, true), eq(ticket_types.is_active, true)),
        afterCursor(decodeCursor(query.cursor), event_ticket_config.price, event_ticket_config.id),
      ),
    )
    .orderBy(asc(event_ticket_config.price), asc(event_ticket_config.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.config.price, id: row.config.id }));
  const live = managed ? await liveCounts(env, eventId) : new Map<string, LiveCounts>();
  return { managed, data: page.data.map((row) => ({ ...row, counts: countsOf(row.config, live) })), next_cursor: page.next_cursor };
}

export async function readConfig(env: Env, auth: AuthContext | undefined, eventId: string, configId: string) {
  const { managed } = await visibleEvent(env, eventId, auth);
  const view = await configView(env, eventId, configId);
  if (!managed && !(view.config.is_active && view.type.is_active)) throw problems.notFound("Ticket configuration");
  return { managed, ...view };
}

export async function updateConfig(env: Env, actor: Actor, eventId: string, configId: string, input: ConfigUpdateInput) {
  const db = getDb(env.DB);
  const event = await editableEvent(env, actor, eventId);
  const { config, type } = await configOf(db, eventId, configId);
  const changes = changedFields(config, input as Partial<ConfigRow>);
  if (Object.keys(changes).length === 0) return configView(env, eventId, configId);
  const state = { ...config, ...changes };
  await checkConfig(db, actor, event, type, state);

  if ("quantity_total" in changes || "quantity_blocked" in changes) {
    // Checked before writing; the inventory checks again when it receives the change.
    const counts = countsOf(config, await liveCounts(env, eventId));
    if (state.quantity_total - state.quantity_blocked < counts.sold + counts.held) throw belowSold(counts.sold + counts.held);
  }
  let before: ConfigRow;
  try {
    ({ before } = await auditedUpdate(db, actor, event_ticket_config, configId, changes, { what: "Ticket configuration" }));
  } catch (error) {
    // D1's projection of the counts refuses it too (units sold after the check above).
    if (isCheckViolation(error, "quantities_within_total")) throw belowSold(config.quantity_sold + config.quantity_reserved);
    throw error;
  }
  await syncOrUndo(env, eventId, () =>
    auditedUpdate(db, actor, event_ticket_config, configId, previousValues(before, changes), {
      what: "Ticket configuration",
      description: "undo: refused by the event's inventory",
    }),
  );
  return configView(env, eventId, configId);
}

const ordersOfConfig = (configId: string) => sql`EXISTS (SELECT 1 FROM ${tickets} WHERE ${tickets.event_ticket_config_id} = ${configId})`;

/**
 * Deletes a configuration nothing was ever held or sold from; otherwise it
 * stays, deactivated. It is first taken off sale in the inventory, whose
 * orders are then all projected to D1, so no order can appear after the check.
 */
export async function deleteConfig(env: Env, actor: Actor, eventId: string, configId: string) {
  const db = getDb(env.DB);
  await managedEvent(env, eventId, actor);
  const { config } = await configOf(db, eventId, configId);
  const what = "Ticket configuration";
  if (config.is_active) {
    await auditedUpdate(db, actor, event_ticket_config, configId, { is_active: false }, { what, description: "take off sale" });
    await syncOrUndo(env, eventId, () => auditedUpdate(db, actor, event_ticket_config, configId, { is_active: true }, { what, description: "undo: refused by the event's inventory" }));
  }
  await eventStub(env, eventId).flushProjection();
  const [used] = await db.select({ id: tickets.id }).from(tickets).where(eq(tickets.event_ticket_config_id, configId)).limit(1);
  if (!used) {
    try {
      await auditedDelete(db, actor, event_ticket_config, configId, { what, guard: sql`NOT ${ordersOfConfig(configId)}` });
      return null;
    } catch (error) {
      const raced = isForeignKeyViolation(error) || (error instanceof ProblemError && error.code === "concurrent_change");
      if (!raced) throw error;
    }
  }
  return configView(env, eventId, configId);
}

// ------------------------------------------------------------------ pricing rules

async function managedRule(db: Db, caller: Caller, id: string): Promise<RuleRow> {
  const [row] = await db.select().from(pricing_rules).where(eq(pricing_rules.id, id)).limit(1);
  // Platform-wide rules (and their promo codes) are admins' objects.
  if (!row || !manages(caller, row.organizer_id)) throw problems.notFound("Pricing rule");
  return row;
}

export const readRule = (env: Env, caller: Caller, id: string) => managedRule(getDb(env.DB), caller, id);

type RuleState = Pick<RuleRow, "discount_type" | "discount_value" | "currency" | "conditions" | "valid_from" | "valid_until" | "usage_limit_total" | "usage_count">;

function checkRule(state: RuleState): void {
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message, code: "inconsistent" });
  const inBasisPoints = state.discount_type === "PERCENTAGE" || state.discount_type === "BUY_X_GET_Y";
  if (inBasisPoints && state.discount_value > 10_000) add("discount_value", `${state.discount_type} is in basis points: at most 10000 (100 %).`);
  if (inBasisPoints && state.currency !== null) add("currency", `${state.discount_type} is a rate: no currency.`);
  if (!inBasisPoints && state.currency === null) add("currency", `${state.discount_type} is an amount: give its currency.`);
  const c = state.conditions;
  if (state.discount_type === "BUY_X_GET_Y") {
    if (c.buy_quantity === undefined) add("conditions.buy_quantity", "BUY_X_GET_Y needs X (buy_quantity).");
    if (c.get_quantity === undefined) add("conditions.get_quantity", "BUY_X_GET_Y needs Y (get_quantity).");
  }
  if (c.min_quantity !== undefined && c.max_quantity !== undefined && c.min_quantity > c.max_quantity) add("conditions.min_quantity", "min_quantity is above max_quantity.");
  if (c.min_age !== undefined && c.max_age !== undefined && c.min_age > c.max_age) add("conditions.min_age", "min_age is above max_age.");
  ordered(errors, state.valid_from, state.valid_until, "valid_until", "The rule must end after it starts.", true);
  if (state.usage_limit_total !== null && state.usage_limit_total < state.usage_count) {
    add("usage_limit_total", `The rule was already used ${state.usage_count} time(s).`);
  }
  fieldErrors(errors);
}

function ruleConflict(error: unknown): never {
  if (isUniqueViolation(error, "pricing_rules.promo_code")) throw problems.conflict("promo_code_taken", "Another rule already uses this promo code.");
  if (isUniqueViolation(error, "pricing_rules.code")) throw codeTaken("pricing rule");
  throw error;
}

export async function createRule(env: Env, actor: Actor, input: RuleCreateInput): Promise<RuleRow> {
  const db = getDb(env.DB);
  const { organizer_id, ...fields } = input;
  const row = {
    ...fields,
    id: newId(),
    organizer_id: await ownerFor(db, actor, organizer_id),
    description: fields.description ?? null,
    currency: fields.currency ?? null,
    valid_from: fields.valid_from ?? null,
    valid_until: fields.valid_until ?? null,
    usage_limit_total: fields.usage_limit_total ?? null,
    usage_limit_per_user: fields.usage_limit_per_user ?? null,
    promo_code: fields.promo_code ?? null,
    metadata: fields.metadata ?? null,
  };
  checkRule({ ...row, usage_count: 0 });
  try {
    return await auditedInsert(db, actor, pricing_rules, row);
  } catch (error) {
    ruleConflict(error);
  } finally {
    forgetSaleContexts(env.DB);
  }
}

export async function listRules(env: Env, caller: Caller, query: { organizer_id?: string; rule_type?: RuleRow["rule_type"]; is_active?: boolean; limit: number; cursor?: string }) {
  if (query.organizer_id && !isAdmin(caller)) throw problems.forbidden("Only admins filter by organizer.");
  const rows = await getDb(env.DB)
    .select()
    .from(pricing_rules)
    .where(
      and(
        isAdmin(caller) ? (query.organizer_id ? eq(pricing_rules.organizer_id, query.organizer_id) : undefined) : eq(pricing_rules.organizer_id, caller.userId),
        query.rule_type ? eq(pricing_rules.rule_type, query.rule_type) : undefined,
        query.is_active === undefined ? undefined : eq(pricing_rules.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), pricing_rules.code, pricing_rules.id),
      ),
    )
    .orderBy(asc(pricing_rules.code), asc(pricing_rules.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.code, id: row.id }));
}

export async function updateRule(env: Env, actor: Actor, id: string, input: RuleUpdateInput): Promise<RuleRow> {
  const db = getDb(env.DB);
  const rule = await managedRule(db, actor, id);
  const { organizer_id, ...fields } = input;
  const patch: Partial<RuleRow> = { ...fields };
  if (organizer_id !== undefined) patch.organizer_id = await ownerFor(db, actor, organizer_id);
  const changes = changedFields(rule, patch);
  if (Object.keys(changes).length === 0) return rule;
  checkRule({ ...rule, ...changes });
  try {
    return (await auditedUpdate(db, actor, pricing_rules, id, changes, { what: "Pricing rule" })).after;
  } catch (error) {
    ruleConflict(error);
  } finally {
    forgetSaleContexts(env.DB);
  }
}

/** Any order or pass priced with the rule, as its first rule or among the ones it stacked. */
const ruleUsed = (id: string) => sql`(
  EXISTS (SELECT 1 FROM ${pricing_rule_usages} WHERE ${pricing_rule_usages.rule_id} = ${id})
  OR EXISTS (SELECT 1 FROM ${tickets} WHERE ${tickets.pricing_rule_id} = ${id})
  OR EXISTS (SELECT 1 FROM ${tickets}, json_each(${tickets.metadata}, '$.applied_rules') AS applied WHERE json_extract(applied.value, '$.id') = ${id}))`;

/**
 * Deletes a rule no order ever used. Active rules are refused: orders read
 * them before their event's inventory decides, so a rule is taken off
 * (is_active: false) before it can go.
 */
export async function deleteRule(env: Env, actor: Actor, id: string): Promise<void> {
  const db = getDb(env.DB);
  const rule = await managedRule(db, actor, id);
  if (rule.is_active) throw problems.conflict("rule_active", "Deactivate the rule (is_active: false) before deleting it.");
  const inUse = () => problems.conflict("rule_in_use", "Orders were priced with this rule; it stays, deactivated.");
  const [used] = await db.select({ used: sql<number>`${ruleUsed(id)}` }).from(pricing_rules).where(eq(pricing_rules.id, id));
  if (rule.usage_count > 0 || used?.used) throw inUse();
  try {
    await auditedDelete(db, actor, pricing_rules, id, {
      what: "Pricing rule",
      guard: and(eq(pricing_rules.is_active, false), eq(pricing_rules.usage_count, 0), sql`NOT ${ruleUsed(id)}`),
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw inUse();
    throw error;
  }
}

/**
 * The rules an order of `organizerId`'s event may use, as the orders API
 * reads them: active, for tickets, the organizer's own or platform-wide, and
 * either automatic or the promo code entered.
 */
export function candidateRules(db: Db, organizerId: string | SQL, promoCode: string | SQLWrapper | null) {
  return db.select().from(pricing_rules).where(candidates(organizerId, promoCode));
}

const candidates = (organizerId: string | SQL, promoCode: string | SQLWrapper | null, target: "TICKETS" | "SUBSCRIPTIONS" = "TICKETS") =>
  and(
    eq(pricing_rules.is_active, true),
    inArray(pricing_rules.applies_to, [target, "BOTH"]),
    or(isNull(pricing_rules.organizer_id), eq(pricing_rules.organizer_id, organizerId)),
    or(eq(pricing_rules.auto_apply, true), promoCode ? eq(pricing_rules.promo_code, promoCode) : sql`0`),
  );

/**
 * The same rules, for an order of `userId` in `eventId`, with their limited
 * uses counted outside this event (the platform's other events and season
 * passes): `usage_count` (as the EventDO's contract says), and
 * `user_uses_elsewhere`, the buyer's. The event's object counts its own uses
 * exactly and adds them.
 */
export function orderRules(db: Db, organizerId: string | SQL, promoCode: string | SQLWrapper | null, eventId: string | SQLWrapper, userId: string | SQLWrapper) {
  const r = pricing_rules;
  // Spelled out: drizzle leaves a one-table select's columns unqualified, and "id" would be ambiguous in the joins.
  const elsewhere = sql<number>`CASE WHEN "pricing_rules"."usage_limit_total" IS NULL THEN 0 ELSE (SELECT coalesce(sum(e."uses"), 0) FROM "pricing_rule_event_uses" e
    WHERE e."rule_id" = "pricing_rules"."id" AND e."event_id" <> ${eventId}) + ${sql.raw(PASS_USES_SQL)} END`;
  const buyerElsewhere = sql<number>`CASE WHEN "pricing_rules"."usage_limit_per_user" IS NULL THEN 0 ELSE (SELECT count(*) FROM "pricing_rule_usages" u LEFT JOIN "tickets" t ON t."id" = u."ticket_id"
    WHERE u."rule_id" = "pricing_rules"."id" AND u."user_id" = ${userId} AND u."released_at" IS NULL AND (t."event_id" IS NULL OR t."event_id" <> ${eventId})) END`;
  return db
    .select({ ...getTableColumns(r), usage_count: elsewhere.mapWith(Number), user_uses_elsewhere: buyerElsewhere.mapWith(Number) })
    .from(r)
    .where(candidates(organizerId, promoCode));
}

/**
 * The rules a season pass of `organizerId`'s plan may use (for passes,
 * active, the organizer's own or platform-wide, automatic or the code
 * entered), with every use counted as D1 knows it: `usage_count` (events and
 * passes) and `user_uses`, the buyer's live uses of it anywhere.
 */
export function passRules(db: Db, organizerId: string, promoCode: string | null, userId: string) {
  const uses = sql<number>`${sql.raw(EVENT_USES_SQL)} + ${sql.raw(PASS_USES_SQL)}`;
  const buyerUses = sql<number>`(SELECT count(*) FROM "pricing_rule_usages" u WHERE u."rule_id" = "pricing_rules"."id" AND u."user_id" = ${userId} AND u."released_at" IS NULL)`;
  return db
    .select({ ...getTableColumns(pricing_rules), usage_count: uses.mapWith(Number), user_uses: buyerUses.mapWith(Number) })
    .from(pricing_rules)
    .where(candidates(organizerId, promoCode, "SUBSCRIPTIONS"));
}

/** A buyer's current memberships of active groups: what pricing rules and the EventDO's membership checks read. */
export const buyerGroups = (db: Db, userId: string | SQLWrapper, at: Timestamp | SQLWrapper) =>
  db
    .select({ id: user_groups.id, code: user_groups.code, member_since: user_group_members.member_since })
    .from(user_group_members)
    .innerJoin(user_groups, eq(user_groups.id, user_group_members.group_id))
    .where(and(eq(user_group_members.user_id, userId), eq(user_groups.is_active, true), or(isNull(user_group_members.valid_until), gt(user_group_members.valid_until, at))));

/** A buyer as the pricing function sees them (groups, age), their rule uses left to the caller. */
export async function buyerOf(db: Db, userId: string | null): Promise<Buyer> {
  // The buyer's own uses are counted by the event's inventory when the order is placed.
  if (!userId) return { user_groups: [], age: null, ...buyerFlags(null, []), rule_usage: {} };
  const [[user], groups] = await db.batch([
    db.select({ date_of_birth: users.date_of_birth }).from(users).where(eq(users.id, userId)).limit(1),
    buyerGroups(db, userId, now()),
  ]);
  const age = user?.date_of_birth ? ageOn(user.date_of_birth) : null;
  return { user_groups: groups, age, ...buyerFlags(age, groups.map((g) => g.code)), rule_usage: {} };
}

/**
 * A price preview with the one pricing function: the tier for the units the
 * inventory has sold or held right now, then the rules. Rejections are shown
 * only for the rule of the promo code entered, never for other codes.
 */
export async function quote(env: Env, auth: AuthContext | undefined, input: { event_id: string; config_id: string; quantity: number; promo_code?: string }) {
  const db = getDb(env.DB);
  const { event } = await visibleEvent(env, input.event_id, auth);
  const { config, type } = await configOf(db, event.id, input.config_id);
  if (!config.is_active || !type.is_active) throw problems.notFound("Ticket configuration");
  const promoCode = input.promo_code ?? null;
  const [rules, live, buyer] = await Promise.all([candidateRules(db, event.organizer_id, promoCode), liveCounts(env, event.id), buyerOf(db, auth?.userId ?? null)]);
  if (promoCode && !rules.some((rule) => rule.promo_code === promoCode)) {
    throw invalid("promo_code", "Unknown or inactive promo code.", "unknown_promo_code");
  }
  const counts = countsOf(config, live);
  const priced = priceOrder({
    config: {
      price: config.price,
      currency: config.currency as Currency,
      dynamic_pricing: config.dynamic_pricing,
      price_tiers: config.price_tiers,
      early_bird_end: config.early_bird_end,
      ticket_type_code: type.code,
      zone_category: type.default_zone_category,
    },
    order: {
      quantity: input.quantity,
      units_sold: counts.sold + counts.held,
      now: now(),
      event_start: event.starts_at,
      event_id: event.id,
      event_group_id: event.event_group_id,
      event_tags: event.match_type ? [event.match_type] : [],
      promo_code: promoCode,
    },
    buyer,
    rules: rules as PricingRule[],
  });
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  return {
    ...priced,
    quantity: input.quantity,
    applied: priced.applied.map((a) => ({ ...a, name: byId.get(a.id)?.name ?? a.code })),
    rejected: priced.rejected.filter((r) => promoCode !== null && byId.get(r.id)?.promo_code === promoCode),
  };
}

// ------------------------------------------------------------------ season-pass plans

async function linksOf(db: Db, planIds: string[]): Promise<Map<string, PlanLinks>> {
  const byPlan = new Map<string, PlanLinks>(planIds.map((id) => [id, { groups: [], events: [], zones: [] }]));
  if (planIds.length === 0) return byPlan;
  const [groups, planEvents, zones] = await db.batch([
    db.select().from(subscription_plan_event_groups).where(inArray(subscription_plan_event_groups.subscription_plan_id, planIds)).orderBy(asc(subscription_plan_event_groups.created_at), asc(subscription_plan_event_groups.event_group_id)),
    db.select().from(subscription_plan_events).where(inArray(subscription_plan_events.subscription_plan_id, planIds)).orderBy(asc(subscription_plan_events.created_at), asc(subscription_plan_events.event_id)),
    db.select().from(subscription_plan_zones).where(inArray(subscription_plan_zones.subscription_plan_id, planIds)).orderBy(sql`${subscription_plan_zones.is_primary} DESC`, asc(subscription_plan_zones.zone_category)),
  ]);
  for (const row of groups) byPlan.get(row.subscription_plan_id)?.groups.push(row);
  for (const row of planEvents) byPlan.get(row.subscription_plan_id)?.events.push(row);
  for (const row of zones) byPlan.get(row.subscription_plan_id)?.zones.push(row);
  return byPlan;
}

async function planWithLinks(db: Db, plan: PlanRow) {
  return { plan, links: (await linksOf(db, [plan.id])).get(plan.id)! };
}

/** On sale: active, and now inside its sales window (open ends allowed). */
const onSale = (at: string) =>
  and(
    eq(subscription_plans.is_active, true),
    or(isNull(subscription_plans.sales_start), lte(subscription_plans.sales_start, at)),
    or(isNull(subscription_plans.sales_end), gt(subscription_plans.sales_end, at)),
  );

async function managedPlan(db: Db, caller: Caller, id: string): Promise<PlanRow> {
  const [row] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, id)).limit(1);
  if (!row || !manages(caller, row.organizer_id)) throw problems.notFound("Season-pass plan");
  return row;
}

/** Plans on sale for everyone; any other state only for who manages the plan. */
export async function readPlan(env: Env, auth: AuthContext | undefined, id: string) {
  const db = getDb(env.DB);
  const [row] = await db.select().from(subscription_plans).where(eq(subscription_plans.id, id)).limit(1);
  if (!row) throw problems.notFound("Season-pass plan");
  const [visible] = await db.select({ id: subscription_plans.id }).from(subscription_plans).where(and(eq(subscription_plans.id, id), onSale(now())));
  if (!visible && !manages(auth, row.organizer_id)) throw problems.notFound("Season-pass plan");
  return planWithLinks(db, row);
}

function checkPlanWindow(state: Pick<PlanRow, "sales_start" | "sales_end">): void {
  const errors: FieldError[] = [];
  ordered(errors, state.sales_start, state.sales_end, "sales_end", "Sales must end after they start.", true);
  fieldErrors(errors);
}

export async function createPlan(env: Env, actor: Actor, input: PlanCreateInput) {
  const db = getDb(env.DB);
  const { organizer_id, ...fields } = input;
  const row = {
    ...fields,
    id: newId(),
    organizer_id: await ownerFor(db, actor, organizer_id),
    description: fields.description ?? null,
    duration_months: fields.duration_months ?? null,
    max_subscribers: fields.max_subscribers ?? null,
    default_zone_category: fields.default_zone_category ?? null,
    benefits: fields.benefits ?? null,
    restrictions: fields.restrictions ?? null,
    sales_start: fields.sales_start ?? null,
    sales_end: fields.sales_end ?? null,
    metadata: fields.metadata ?? null,
  };
  checkPlanWindow(row);
  try {
    return planWithLinks(db, await auditedInsert(db, actor, subscription_plans, row));
  } catch (error) {
    if (isUniqueViolation(error, "subscription_plans.code")) throw codeTaken("season-pass plan");
    throw error;
  }
}

export async function listPlans(env: Env, auth: AuthContext | undefined, query: { mine?: boolean; all?: boolean; limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  let scope: SQL | undefined;
  if (query.all) {
    if (!auth) throw problems.unauthorized();
    if (!isAdmin(auth)) throw problems.forbidden("Only admins list every plan.");
  } else if (query.mine) {
    if (!auth) throw problems.unauthorized();
    scope = eq(subscription_plans.organizer_id, auth.userId);
  } else scope = onSale(now());
  const rows = await db
    .select()
    .from(subscription_plans)
    .where(and(scope, afterCursor(decodeCursor(query.cursor), subscription_plans.price, subscription_plans.id)))
    .orderBy(asc(subscription_plans.price), asc(subscription_plans.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.price, id: row.id }));
  const links = await linksOf(db, page.data.map((row) => row.id));
  return { data: page.data.map((plan) => ({ plan, links: links.get(plan.id)! })), next_cursor: page.next_cursor };
}

export async function updatePlan(env: Env, actor: Actor, id: string, input: PlanUpdateInput) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const { organizer_id, ...fields } = input;
  const patch: Partial<PlanRow> = { ...fields };
  if (organizer_id !== undefined) patch.organizer_id = await ownerFor(db, actor, organizer_id);
  const changes = changedFields(plan, patch);
  if (Object.keys(changes).length === 0) return planWithLinks(db, plan);
  const state = { ...plan, ...changes };
  checkPlanWindow(state);
  if (state.max_subscribers !== null && state.max_subscribers < plan.current_subscribers) {
    throw problems.conflict("below_current_subscribers", `The plan already has ${plan.current_subscribers} subscriber(s).`);
  }
  // Upgrade fees are amounts in the plan's currency: they would silently change value.
  const zoneFees = sql`EXISTS (SELECT 1 FROM ${subscription_plan_zones} WHERE ${subscription_plan_zones.subscription_plan_id} = ${id} AND ${subscription_plan_zones.upgrade_fee} IS NOT NULL)`;
  if (changes.currency) {
    const [row] = await db.select({ fees: sql<number>`${zoneFees}` }).from(subscription_plans).where(eq(subscription_plans.id, id));
    if (row?.fees) throw problems.conflict("currency_in_use", "Zone upgrade fees are priced in the current currency; replace the zones first.");
  }
  try {
    const { after } = await auditedUpdate(db, actor, subscription_plans, id, changes, {
      what: "Season-pass plan",
      guard: changes.currency ? sql`NOT ${zoneFees}` : undefined,
    });
    return planWithLinks(db, after);
  } catch (error) {
    if (isUniqueViolation(error, "subscription_plans.code")) throw codeTaken("season-pass plan");
    if (isCheckViolation(error, "subscribers_within_limit")) throw problems.conflict("below_current_subscribers", "The plan has more subscribers than that.");
    throw error;
  }
}

const subscriptionsOf = (planId: string) => sql`EXISTS (SELECT 1 FROM ${subscriptions} WHERE ${subscriptions.subscription_plan_id} = ${planId})`;

export async function deletePlan(env: Env, actor: Actor, id: string): Promise<void> {
  const db = getDb(env.DB);
  await managedPlan(db, actor, id);
  const inUse = () => problems.conflict("plan_in_use", "Passes were sold on this plan; deactivate it instead (is_active: false).");
  const [sold] = await db.select({ id: subscriptions.id }).from(subscriptions).where(eq(subscriptions.subscription_plan_id, id)).limit(1);
  if (sold) throw inUse();
  const links = (await linksOf(db, [id])).get(id)!;
  const gone = [
    { table: subscription_plan_event_groups, rows: links.groups },
    { table: subscription_plan_events, rows: links.events },
    { table: subscription_plan_zones, rows: links.zones },
  ].filter((link) => link.rows.length > 0);
  try {
    await auditedDelete(db, actor, subscription_plans, id, {
      what: "Season-pass plan",
      guard: sql`NOT ${subscriptionsOf(id)}`,
      // The links go with the plan (ON DELETE CASCADE); the audit trail says so.
      also: (written) => gone.map((link) => auditWhere(db, actor, written, { action: "DELETE", table: link.table, id, before: { links: link.rows }, after: null })),
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw inUse();
    throw error;
  }
}

/** Replaces one list of a plan's links (`table`'s rows of the plan) in one audited batch. */
async function replacePlanLinks<T extends SQLiteTable & { subscription_plan_id: Column }>(
  db: Db,
  actor: Actor,
  plan: PlanRow,
  table: T,
  current: object[],
  rows: Record<string, unknown>[],
  description: string,
) {
  const { after } = await auditedUpdate(db, actor, subscription_plans, plan.id, {}, {
    what: "Season-pass plan",
    description,
    also: (written) => [
      db.delete(table).where(and(eq(table.subscription_plan_id, plan.id), written)),
      ...rows.map((row) => insertWhere(db, table, row, written)),
      auditWhere(db, actor, written, { action: "UPDATE", table, id: plan.id, before: { links: current }, after: { links: rows } }),
    ],
  });
  return planWithLinks(db, after);
}

export async function replacePlanGroups(
  env: Env,
  actor: Actor,
  id: string,
  input: { event_group_id: string; access_level: "FULL" | "HOME_ONLY" | "PARTIAL"; included_match_types?: string[] | null; excluded_events?: string[] | null; metadata?: Record<string, unknown> | null }[],
) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const groupIds = input.map((g) => g.event_group_id);
  const excluded = [...new Set(input.flatMap((g) => g.excluded_events ?? []))];
  const [groups, excludedEvents] = await Promise.all([
    groupIds.length ? db.select({ id: event_groups.id, organizer_id: event_groups.organizer_id }).from(event_groups).where(and(inArray(event_groups.id, groupIds), eq(event_groups.is_active, true))) : [],
    excluded.length ? db.select({ id: events.id, group: events.event_group_id }).from(events).where(inArray(events.id, excluded)) : [],
  ]);
  const groupOwner = new Map(groups.map((g) => [g.id, g.organizer_id]));
  const groupOfEvent = new Map(excludedEvents.map((e) => [e.id, e.group]));
  const errors: FieldError[] = [];
  input.forEach((link, i) => {
    const owner = groupOwner.get(link.event_group_id);
    // A plan covers its own organizer's seasons; admins link any.
    if (owner === undefined || (!isAdmin(actor) && owner !== plan.organizer_id)) {
      errors.push({ path: `event_groups.${i}.event_group_id`, message: "No such active event group among the plan organizer's.", code: "invalid_reference" });
    }
    (link.excluded_events ?? []).forEach((eventId, j) => {
      if (groupOfEvent.get(eventId) !== link.event_group_id) {
        errors.push({ path: `event_groups.${i}.excluded_events.${j}`, message: "Not an event of this group.", code: "invalid_reference" });
      }
    });
  });
  fieldErrors(errors);
  const at = now();
  const rows = input.map((link) => ({
    subscription_plan_id: id,
    event_group_id: link.event_group_id,
    access_level: link.access_level,
    included_match_types: link.included_match_types ?? null,
    excluded_events: link.excluded_events ?? null,
    metadata: link.metadata ?? null,
    created_at: at,
  }));
  return replacePlanLinks(db, actor, plan, subscription_plan_event_groups, (await linksOf(db, [id])).get(id)!.groups, rows, "replace event groups");
}

export async function replacePlanEvents(
  env: Env,
  actor: Actor,
  id: string,
  input: { event_id: string; access_level: "FULL" | "STANDARD" | "RESTRICTED"; requires_booking: boolean; booking_window_days?: number | null; metadata?: Record<string, unknown> | null }[],
) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const eventIds = input.map((e) => e.event_id);
  const found = eventIds.length ? await db.select({ id: events.id, organizer_id: events.organizer_id }).from(events).where(inArray(events.id, eventIds)) : [];
  const organizerOf = new Map(found.map((e) => [e.id, e.organizer_id]));
  const errors: FieldError[] = [];
  input.forEach((link, i) => {
    const organizer = organizerOf.get(link.event_id);
    if (organizer === undefined || (!isAdmin(actor) && organizer !== plan.organizer_id)) {
      errors.push({ path: `events.${i}.event_id`, message: "No such event among the plan organizer's.", code: "invalid_reference" });
    }
    if (link.booking_window_days != null && !link.requires_booking) {
      errors.push({ path: `events.${i}.booking_window_days`, message: "A booking window needs `requires_booking`.", code: "inconsistent" });
    }
  });
  fieldErrors(errors);
  const at = now();
  const rows = input.map((link) => ({
    subscription_plan_id: id,
    event_id: link.event_id,
    access_level: link.access_level,
    requires_booking: link.requires_booking,
    booking_window_days: link.booking_window_days ?? null,
    metadata: link.metadata ?? null,
    created_at: at,
  }));
  return replacePlanLinks(db, actor, plan, subscription_plan_events, (await linksOf(db, [id])).get(id)!.events, rows, "replace events");
}

export async function replacePlanZones(
  env: Env,
  actor: Actor,
  id: string,
  input: { zone_category: PlanRow["default_zone_category"] & string; is_primary: boolean; upgrade_allowed: boolean; upgrade_fee?: number | null; metadata?: Record<string, unknown> | null }[],
) {
  const db = getDb(env.DB);
  const plan = await managedPlan(db, actor, id);
  const at = now();
  const rows = input.map((zone) => ({
    subscription_plan_id: id,
    zone_category: zone.zone_category,
    is_primary: zone.is_primary,
    upgrade_allowed: zone.upgrade_allowed,
    upgrade_fee: zone.upgrade_fee ?? null,
    // Fees are in the plan's currency.
    currency: zone.upgrade_fee == null ? null : plan.currency,
    metadata: zone.metadata ?? null,
    created_at: at,
  }));
  return replacePlanLinks(db, actor, plan, subscription_plan_zones, (await linksOf(db, [id])).get(id)!.zones, rows, "replace zone categories");
}

// ------------------------------------------------------------------ ticket templates

/**
 * Templates have no owner column: who created one is the actor of its
 * audited CREATE. Templates created by admins, and seeded ones (no such
 * entry), are the platform's and every organizer reads them; an organizer's
 * own are theirs alone.
 */
const templateCreation = and(eq(audit_log.object_type, "ticket_templates"), eq(audit_log.object_id, ticket_templates.id), eq(audit_log.action, "CREATE"));
const platformTemplate = or(isNull(audit_log.id), eq(users.role, "ADMIN"));

const templatesWithCreator = (db: Db) =>
  db
    .select({ template: ticket_templates, creator: audit_log.user_id })
    .from(ticket_templates)
    .leftJoin(audit_log, templateCreation)
    .leftJoin(users, eq(users.id, audit_log.user_id));

const visibleTemplates = (caller: Caller) => (isAdmin(caller) ? undefined : or(platformTemplate, eq(audit_log.user_id, caller.userId)));

export async function readTemplate(env: Env, caller: Caller, id: string): Promise<{ template: TemplateRow; creator: string | null }> {
  const [row] = await templatesWithCreator(getDb(env.DB))
    .where(and(eq(ticket_templates.id, id), visibleTemplates(caller)))
    .limit(1);
  if (!row) throw problems.notFound("Ticket template");
  return row;
}

async function managedTemplate(env: Env, caller: Caller, id: string): Promise<TemplateRow> {
  const { template, creator } = await readTemplate(env, caller, id);
  if (!isAdmin(caller) && creator !== caller.userId) throw problems.forbidden("The platform's templates are managed by admins.");
  return template;
}

const onlyAdminsSetDefaults = () => problems.forbidden("Only admins choose the default template of a type and format.");

/**
 * Makes `id` the default template of its type and format, clearing the
 * previous default first (the unique index allows one), each change audited;
 * all only if the audited write they follow happened.
 */
function makeDefault(db: Db, actor: Actor, template: Pick<TemplateRow, "id" | "type" | "format">, previous: TemplateRow[], written: SQL) {
  const same = and(eq(ticket_templates.type, template.type), eq(ticket_templates.format, template.format));
  return [
    db.update(ticket_templates).set({ is_default: false }).where(and(same, eq(ticket_templates.is_default, true), ne(ticket_templates.id, template.id), written)),
    ...previous.map((p) =>
      auditWhere(db, actor, written, { action: "UPDATE", table: ticket_templates, id: p.id, before: { is_default: true }, after: { is_default: false }, description: "default template replaced" }),
    ),
    db.update(ticket_templates).set({ is_default: true }).where(and(eq(ticket_templates.id, template.id), written)),
    auditWhere(db, actor, written, { action: "UPDATE", table: ticket_templates, id: template.id, before: { is_default: false }, after: { is_default: true }, description: "default template" }),
  ];
}

const defaultsOf = (db: Db, type: TemplateRow["type"], format: TemplateRow["format"], except: string) =>
  db
    .select()
    .from(ticket_templates)
    .where(and(eq(ticket_templates.type, type), eq(ticket_templates.format, format), eq(ticket_templates.is_default, true), ne(ticket_templates.id, except)));

function templateConflict(error: unknown): never {
  if (isUniqueViolation(error, "ticket_templates.code")) throw codeTaken("ticket template");
  if (isUniqueViolation(error, "ticket_templates.type")) throw problems.conflict("concurrent_change", "Another default was set at the same time; reload and try again.");
  throw error;
}

const loadTemplate = async (db: Db, id: string) => (await db.select().from(ticket_templates).where(eq(ticket_templates.id, id)).limit(1))[0]!;

export async function createTemplate(env: Env, actor: Actor, input: TemplateCreateInput): Promise<TemplateRow> {
  const db = getDb(env.DB);
  if (input.is_default && !isAdmin(actor)) throw onlyAdminsSetDefaults();
  const row = {
    ...input,
    id: newId(),
    // Written as not default, then made the default after the previous one is cleared (see makeDefault).
    is_default: false,
    description: input.description ?? null,
    category: input.category ?? null,
    paper_size: input.paper_size ?? null,
    design_url: input.design_url ?? null,
    css_url: input.css_url ?? null,
    requires_printer: input.requires_printer ?? null,
    metadata: input.metadata ?? null,
  };
  const previous = input.is_default ? await defaultsOf(db, row.type, row.format, row.id) : [];
  try {
    await auditedInsert(db, actor, ticket_templates, row, { also: input.is_default ? (written) => makeDefault(db, actor, row, previous, written) : undefined });
  } catch (error) {
    templateConflict(error);
  }
  return loadTemplate(db, row.id);
}

export async function listTemplates(
  env: Env,
  caller: Caller,
  query: { type?: TemplateRow["type"]; format?: TemplateRow["format"]; is_active?: boolean; mine?: boolean; limit: number; cursor?: string },
) {
  const rows = await templatesWithCreator(getDb(env.DB))
    .where(
      and(
        visibleTemplates(caller),
        query.mine ? eq(audit_log.user_id, caller.userId) : undefined,
        query.type ? eq(ticket_templates.type, query.type) : undefined,
        query.format ? eq(ticket_templates.format, query.format) : undefined,
        query.is_active === undefined ? undefined : eq(ticket_templates.is_active, query.is_active),
        afterCursor(decodeCursor(query.cursor), ticket_templates.code, ticket_templates.id),
      ),
    )
    .orderBy(asc(ticket_templates.code), asc(ticket_templates.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => ({ k: row.template.code, id: row.template.id }));
  return { data: page.data.map((row) => row.template), next_cursor: page.next_cursor };
}

export async function updateTemplate(env: Env, actor: Actor, id: string, input: TemplateUpdateInput): Promise<TemplateRow> {
  const db = getDb(env.DB);
  const template = await managedTemplate(env, actor, id);
  if (input.is_default && !isAdmin(actor)) throw onlyAdminsSetDefaults();
  const changes = changedFields(template, input as Partial<TemplateRow>);
  if (Object.keys(changes).length === 0) return template;
  const state = { ...template, ...changes };
  // Becoming the default of a (type, format): the previous default is cleared first.
  const becomesDefault = state.is_default && (changes.is_default === true || changes.type !== undefined || changes.format !== undefined);
  const previous = becomesDefault ? await defaultsOf(db, state.type, state.format, id) : [];
  try {
    await auditedUpdate(db, actor, ticket_templates, id, becomesDefault ? { ...changes, is_default: false } : changes, {
      what: "Ticket template",
      also: becomesDefault ? (written) => makeDefault(db, actor, state, previous, written) : undefined,
    });
  } catch (error) {
    templateConflict(error);
  }
  return loadTemplate(db, id);
}

export async function deleteTemplate(env: Env, actor: Actor, id: string): Promise<void> {
  await managedTemplate(env, actor, id);
  await auditedDelete(getDb(env.DB), actor, ticket_templates, id, { what: "Ticket template" });
}
