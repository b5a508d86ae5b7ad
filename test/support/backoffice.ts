import { env } from "cloudflare:workers";
import { newId } from "../../src/lib/ids.ts";
import { registerAdmin, registerMember, registerOrganizer, registerUser } from "./api.ts";
import { gatedEvent, rightsWithTokens, type GateFixture } from "./gate.ts";
import { giveFixture } from "./ticketing.ts";

export interface BackofficeFixture extends GateFixture {
  /** The OWNER of the organization that owns the event. */
  organizer: { id: string; token: string; organizationId: string };
  /** A SUPERVISOR member of that organization (attendees, the door, blocking, the gates at all its events). */
  supervisor: { id: string; token: string };
  /** A SUPERVISOR assigned to this event's staff only (the gates: gate.scan, gate.supervise). */
  staffSupervisor: { id: string; token: string };
  admin: { id: string; token: string };
  /** The OWNER of another organization, and that organization's event. */
  stranger: { id: string; token: string; organizationId: string };
  strangerEventId: string;
}

/**
 * A gated event (zones, gates, a staff CONTROLLER) owned by a signed-in
 * organizer's organization, with a SUPERVISOR member of that organization, a
 * SUPERVISOR of the event's staff, an admin, and another organization's
 * event: the parties every back-office route is checked against.
 */
export async function backofficeEvent(options: Parameters<typeof gatedEvent>[0] = {}): Promise<BackofficeFixture> {
  const fixture = await gatedEvent(options);
  const organizer = await registerOrganizer();
  await giveFixture(fixture, organizer.organizationId, organizer.id);
  const supervisor = await registerMember(organizer.organizationId, "SUPERVISOR");
  const staffSupervisor = await registerUser();
  await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'SUPERVISOR')").bind(newId(), fixture.eventId, staffSupervisor.id).run();
  const other = await gatedEvent();
  const stranger = await registerOrganizer();
  await giveFixture(other, stranger.organizationId, stranger.id);
  return { ...fixture, organizationId: organizer.organizationId, organizer, supervisor, staffSupervisor, admin: await registerAdmin(), stranger, strangerEventId: other.eventId };
}

/** Confirmed rights for a fresh buyer named `first last`, projected to D1. */
export async function holderWithRights(fixture: GateFixture, first: string, last: string, quantity = 1, phone: string | null = null) {
  const held = await rightsWithTokens(fixture, quantity);
  await env.DB.prepare("UPDATE users SET first_name = ?, last_name = ?, phone = ? WHERE id = ?").bind(first, last, phone, held.buyer).run();
  await fixture.stub.flushProjection();
  return held;
}
