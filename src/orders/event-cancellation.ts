import type { Env } from "../env.ts";
import { eventStub } from "../../durable-objects/event/client.ts";

/**
 * The orders domain's handler of the events hook `eventCancelled` (attached in
 * src/hooks.ts): in the event's EventDO every order is cancelled (holds
 * released, confirmed ones with their rights) and every other right (grants,
 * season passes) with it. The notifications domain's handler then tells
 * their holders, and the payments domain's refunds the paid orders. An event
 * without an EventDO (no ticketing, no season) has nothing to cancel.
 */
export async function cancelSalesOfCancelledEvent({
  env,
  event,
}: {
  env: Env;
  event: { id: string; ticketing_enabled: boolean; event_group_id: string | null; cancellation_reason: string | null; cancelled_at: string | null };
}): Promise<void> {
  if (!event.ticketing_enabled && !event.event_group_id) return;
  const stub = eventStub(env, event.id);
  // As of the event's cancellation: what it cancelled carries that instant, which is how its holders are found (src/notifications/event-cancellation.ts).
  await stub.cancelEventSales(event.cancellation_reason ?? "Event cancelled", event.cancelled_at ? Date.parse(event.cancelled_at) : Date.now());
  await stub.flushProjection();
}
