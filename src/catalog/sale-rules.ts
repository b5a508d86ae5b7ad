/**
 * Catalogue rules that decide whether a ticket may be sold at all, shared by
 * the EventDO's hold decision (durable-objects/event/orders.ts) and the
 * Worker's quotes (src/catalog/pricing-rules.ts), so both refuse with the
 * same problem. Pure: no database, no clock of their own.
 */
const DAY_MS = 86_400_000;

export interface SaleRefusal {
  status: 409;
  code: string;
  detail: string;
}

/** An event with access type INVITATION is never sold: its people enter through grants only. */
export const INVITATION_ONLY: SaleRefusal = {
  status: 409,
  code: "invitation_only",
  detail: "This event is by invitation only: its tickets are not sold; the organizer invites people.",
};

/** When sales of a ticket type open for an event (`advance_booking_days` before its start), or null when the type sets no such window. */
export function bookingOpensAt(eventStartsAt: string, advanceBookingDays: number | null | undefined): number | null {
  if (advanceBookingDays === null || advanceBookingDays === undefined) return null;
  return Date.parse(eventStartsAt) - advanceBookingDays * DAY_MS;
}

/** Why a ticket of a type with `advance_booking_days` cannot be sold at `now`, or null. */
export function bookingWindowRefusal(eventStartsAt: string, advanceBookingDays: number | null | undefined, now: number): SaleRefusal | null {
  const opens = bookingOpensAt(eventStartsAt, advanceBookingDays);
  if (opens === null || now >= opens) return null;
  return {
    status: 409,
    code: "booking_not_open",
    detail: `Sales of this ticket open ${advanceBookingDays} day(s) before the event, at ${new Date(opens).toISOString()}.`,
  };
}

/**
 * The most units a ticket type may take of a zone: its `capacity_percentage_bp`
 * share of the zone's capacity, rounded down (a share never rounds up into
 * another type's places); null when the type sets no share or has no zone.
 */
export function zoneShareUnits(zoneCapacity: number | null | undefined, capacityPercentageBp: number | null | undefined): number | null {
  if (zoneCapacity === null || zoneCapacity === undefined || capacityPercentageBp === null || capacityPercentageBp === undefined) return null;
  return Math.floor((zoneCapacity * capacityPercentageBp) / 10_000);
}

/** The refusal of an order for more units than are left of the type's share of its zone. */
export function zoneShareRefusal(left: number, shareUnits: number): SaleRefusal {
  return {
    status: 409,
    code: "zone_share_sold_out",
    detail:
      left > 0
        ? `Only ${left} left: this kind of ticket takes at most ${shareUnits} place(s) of its zone.`
        : `Sold out: this kind of ticket has taken its share of its zone (${shareUnits} place(s)).`,
  };
}
