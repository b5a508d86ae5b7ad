import { and, eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { events, venue_zones } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import type { ConfigSetup, IssueRightsRequest } from "../../durable-objects/event/contract.ts";
import { event_ticket_config, ticket_types } from "./schema.ts";
import { syncGatePolicy, syncGateSetup } from "../access/gate-sync.ts";

/**
 * Pushes an event's catalog (status, dates, ticket configurations) and its
 * access control (zones, gates, keys, overrides, blacklist) from D1 to its
 * EventDO, which owns the live counters and the gate decisions. Called after
 * every change to the event or its configurations; idempotent.
 */
export async function syncEventInventory(env: Env, eventId: string): Promise<void> {
  const db = getDb(env.DB);
  const [event] = await db.select().from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) throw problems.notFound("Event");
  const rows = await db
    .select({ config: event_ticket_config, type: ticket_types })
    .from(event_ticket_config)
    .innerJoin(ticket_types, eq(ticket_types.id, event_ticket_config.ticket_type_id))
    .where(eq(event_ticket_config.event_id, eventId));
  const zones = event.venue_id
    ? await db.select().from(venue_zones).where(and(eq(venue_zones.venue_id, event.venue_id), eq(venue_zones.is_active, true)))
    : [];

  const configs: ConfigSetup[] = rows.map(({ config, type }) => {
    // The zone a right admits to: the config's zone mapping for the type's category, else the venue's first zone of that category.
    const mapped = config.zone_mapping?.[type.default_zone_category]?.[0];
    const zone = zones.find((z) => z.code === mapped) ?? zones.find((z) => z.category === type.default_zone_category);
    return {
      id: config.id,
      ticket_type_id: type.id,
      ticket_type_code: type.code,
      zone_category: type.default_zone_category,
      zone_id: zone?.id ?? null,
      price: config.price,
      currency: config.currency,
      quantity_total: config.quantity_total,
      quantity_blocked: config.quantity_blocked,
      sales_start: config.sales_start,
      sales_end: config.sales_end,
      early_bird_end: config.early_bird_end,
      min_purchase: Math.max(config.min_purchase, type.min_per_transaction),
      max_purchase: config.max_purchase,
      max_per_transaction: type.max_per_transaction,
      requires_membership: config.requires_membership,
      membership_group_id: config.membership_group_id,
      member_only_until: config.member_only_until,
      dynamic_pricing: config.dynamic_pricing,
      price_tiers: config.price_tiers ?? null,
      cancellation_allowed: type.cancellation_allowed,
      transfer_allowed: type.transfer_allowed,
      is_active: config.is_active && type.is_active,
    };
  });

  const result = await eventStub(env, eventId).configure(
    {
      id: event.id,
      status: event.status,
      currency: event.currency,
      starts_at: event.starts_at,
      ends_at: event.ends_at,
      doors_open_at: event.doors_open_at,
      event_group_id: event.event_group_id,
      tags: event.match_type ? [event.match_type] : [],
    },
    configs,
  );
  if (!result.ok) throw problemFrom(result.problem);
  const stub = eventStub(env, eventId);
  await syncGateSetup(env, eventId, stub);
  await syncGatePolicy(env, eventId, stub);
}

/**
 * Issues rights outside sales in an event (idempotent per source), pushing
 * its catalog and access control to its EventDO first if they never were.
 */
export async function issueRights(env: Env, eventId: string, request: IssueRightsRequest) {
  const stub = eventStub(env, eventId);
  let result = await stub.issueRights(request);
  if (!result.ok && result.problem.code === "not_configured") {
    await syncEventInventory(env, eventId);
    result = await stub.issueRights(request);
  }
  return result;
}
