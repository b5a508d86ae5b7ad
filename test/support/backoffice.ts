import { env } from "cloudflare:workers";
import { newId } from "../../src/lib/ids.ts";
import { registerAdmin, registerOrganizer, registerUser } from "./api.ts";
import { gatedEvent, rightsWithTokens, type GateFixture } from "./gate.ts";

export interface BackofficeFixture extends GateFixture {
  organizer: { id: string; token: string };
  supervisor: { id: string; token: string };
  admin: { id: string; token: string };
  /** An organizer of another event, and that event. */
  stranger: { id: string; token: string };
  strangerEventId: string;
}

/**
 * A gated event (zones, gates, a CONTROLLER) owned by a signed-in organizer,
 * with a SUPERVISOR too, an admin, and another organizer's event: the parties
 * every back-office route is checked against.
 */
export async function backofficeEvent(options: Parameters<typeof gatedEvent>[0] = {}): Promise<BackofficeFixture> {
  const fixture = await gatedEvent(options);
  const organizer = await registerOrganizer();
  await env.DB.prepare("UPDATE events SET organizer_id = ? WHERE id = ?").bind(organizer.id, fixture.eventId).run();
  const supervisor = await registerUser();
  await env.DB.prepare("INSERT INTO event_staff (id, event_id, user_id, role) VALUES (?, ?, ?, 'SUPERVISOR')").bind(newId(), fixture.eventId, supervisor.id).run();
  const other = await gatedEvent();
  const stranger = await registerOrganizer();
  await env.DB.prepare("UPDATE events SET organizer_id = ? WHERE id = ?").bind(stranger.id, other.eventId).run();
  return { ...fixture, organizer, supervisor, admin: await registerAdmin(), stranger, strangerEventId: other.eventId };
}

/** Confirmed rights for a fresh buyer named `first last`, projected to D1. */
export async function holderWithRights(fixture: GateFixture, first: string, last: string, quantity = 1, phone: string | null = null) {
  const held = await rightsWithTokens(fixture, quantity);
  await env.DB.prepare("UPDATE users SET first_name = ?, last_name = ?, phone = ? WHERE id = ?").bind(first, last, phone, held.buyer).run();
  await fixture.stub.flushProjection();
  return held;
}
