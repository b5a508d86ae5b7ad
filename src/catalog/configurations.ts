import { and, asc, eq, sql } from "drizzle-orm";
import type { AuthContext, Env } from "../env.ts";
import { isAdmin } from "../auth/middleware.ts";
import { getDb, type Db } from "../db/client.ts";
import { isCheckViolation, isForeignKeyViolation, isUniqueViolation } from "../db/errors.ts";
import { venue_zones } from "../events/schema.ts";
import { managedEvent, visibleEvent } from "../events/service.ts";
import { ProblemError, problems, type FieldError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { changedFields } from "../lib/patch.ts";
import { tickets } from "../orders/schema.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { user_groups } from "../organizations/schema.ts";
import type { ConfigCreateInput, ConfigUpdateInput, LiveCounts } from "./configurations-schemas.ts";
import { event_ticket_config, ticket_types } from "./schema.ts";
import { type EventRow, type TicketTypeRow, fieldErrors, invalid, ordered, previousValues } from "./shared.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { syncEventInventory } from "./sync.ts";

// An event's ticket configurations (a ticket type on sale in one event: quantities, price tiers, sales window), and the push of a changed event to its EventDO.

type ConfigRow = typeof event_ticket_config.$inferSelect;
const CLOSED_EVENT_STATUSES: EventRow["status"][] = ["CANCELLED", "COMPLETED"];

/** An event whose configurations the caller may change (`event.manage`), not cancelled or completed. */
async function editableEvent(env: Env, actor: Actor, eventId: string): Promise<EventRow> {
  const event = await managedEvent(env, eventId, actor);
  if (CLOSED_EVENT_STATUSES.includes(event.status)) throw problems.conflict("event_closed", `The event is ${event.status.toLowerCase()}; its tickets can no longer change.`);
  return event;
}

export async function configOf(db: Db, eventId: string, configId: string): Promise<{ config: ConfigRow; type: TicketTypeRow }> {
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
export async function liveCounts(env: Env, eventId: string): Promise<Map<string, LiveCounts>> {
  const availability = await eventStub(env, eventId).availability();
  return new Map(availability.configs.map((c) => [c.id, { sold: c.sold, held: c.held }]));
}

/** Live counts when the inventory sells the configuration; its last projection in D1 otherwise (inactive ones). */
export const countsOf = (config: ConfigRow, live: Map<string, LiveCounts>): LiveCounts =>
  live.get(config.id) ?? { sold: config.quantity_sold, held: config.quantity_reserved };

const belowSold = (committed: number) =>
  problems.conflict("quantity_below_sold", `${committed} unit(s) are already held or sold: the sellable quantity (total − blocked) cannot go below that.`);

type ConfigState = Omit<ConfigRow, "id" | "event_id" | "quantity_sold" | "quantity_reserved" | "projection_version" | "created_at" | "updated_at">;

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
      .select({ organization_id: user_groups.organization_id })
      .from(user_groups)
      .where(and(eq(user_groups.id, state.membership_group_id), eq(user_groups.is_active, true)))
      .limit(1);
    // The event's organization's groups and the platform's; admins any.
    const usable = group && (group.organization_id === null || group.organization_id === event.organization_id || isAdmin(actor));
    if (!usable) add("membership_group_id", "No such active user group among the organization's and the platform's.", "invalid_reference");
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
  // The event's organization sells its own ticket types and the platform-wide ones.
  if (!type || !type.is_active || (type.organization_id !== null && type.organization_id !== event.organization_id)) {
    throw invalid("ticket_type_id", "No such active ticket type among the organization's or the platform's.", "invalid_reference");
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
    waitlist_offer_minutes: input.waitlist_offer_minutes ?? null,
    attendee_questions: input.attendee_questions ?? null,
    attendee_edit_until: input.attendee_edit_until ?? null,
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
  const { managed } = await visibleEvent(env, eventId, auth, "sales.read");
  const rows = await db
    .select({ config: event_ticket_config, type: ticket_types })
    .from(event_ticket_config)
    .innerJoin(ticket_types, eq(ticket_types.id, event_ticket_config.ticket_type_id))
    .where(
      and(
        eq(event_ticket_config.event_id, eventId),
        managed ? undefined : and(eq(event_ticket_config.is_active, true), eq(ticket_types.is_active, true), eq(event_ticket_config.presale_only, false)),
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
  const { managed } = await visibleEvent(env, eventId, auth, "sales.read");
  const view = await configView(env, eventId, configId);
  if (!managed && !(view.config.is_active && view.type.is_active && !view.config.presale_only)) throw problems.notFound("Ticket configuration");
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

/**
 * An event changed (events hook): its EventDO sells and admits only while it
 * knows the event is APPROVED and when it happens, so every change of status,
 * dates or venue of a ticketed event, or of an event of a season (which
 * carries season-pass rights even without ticket sales), is pushed to it.
 */
export async function syncChangedEvent({ env, event }: { env: Env; event: EventRow }): Promise<void> {
  if (event.ticketing_enabled || event.event_group_id) await syncEventInventory(env, event.id);
}
