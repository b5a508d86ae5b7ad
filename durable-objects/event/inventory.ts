/**
 * What is left to sell of a ticket configuration, read inside a decision:
 * its own units (invariant 1) and its ticket type's share of its zone
 * (`zone_share_units`, counted over every configuration of that type in that
 * zone). Shared by holds, late confirmations and grants taken from inventory.
 */
import { zoneShareRefusal } from "../../src/catalog/sale-rules.ts";
import { fail } from "./contract.ts";
import type { Row } from "./sql.ts";
import type { EventStore } from "./store.ts";

/** Units of the configuration neither held nor sold nor blocked. */
export const unitsAvailable = (config: Row): number =>
  Number(config.quantity_total) - Number(config.quantity_blocked) - Number(config.quantity_held) - Number(config.quantity_sold);

/** Units left of the type's share of its zone, or null when it has no share. */
export function zoneShareLeft(s: EventStore, config: Row): number | null {
  if (config.zone_share_units === null || config.zone_share_units === undefined || config.zone_id === null) return null;
  const taken = s.sql<{ n: number | null }>`
    SELECT sum(quantity_held + quantity_sold) AS n FROM configs WHERE ticket_type_id = ${config.ticket_type_id} AND zone_id = ${config.zone_id}`.one().n ?? 0;
  return Math.max(0, Number(config.zone_share_units) - taken);
}

/** What a buyer can still get of the configuration: its units, within the type's share of its zone. */
export function sellable(s: EventStore, config: Row): number {
  const share = zoneShareLeft(s, config);
  return share === null ? unitsAvailable(config) : Math.min(unitsAvailable(config), share);
}

/** The refusal of `quantity` more units for the type's share of its zone, or null when the share allows them. */
export function zoneShareCheck(s: EventStore, config: Row, quantity: number) {
  const left = zoneShareLeft(s, config);
  if (left === null || quantity <= left) return null;
  const refusal = zoneShareRefusal(left, Number(config.zone_share_units));
  return fail(refusal.status, refusal.code, refusal.detail);
}
