import type { Env } from "../env.ts";
import { eventStub } from "../../durable-objects/event/client.ts";

/**
 * The orders domain's handler of the events hook `eventCancelled` (attached in
 * src/hooks.ts): in the event's EventDO every order is cancelled (holds
 * released, confirmed ones with their rights) and every other right (grants,
 * season passes) with it. Paid orders are refunded by the payments domain's
 * handler, which runs next. An event without an EventDO (no ticketing, no
 * season) has nothing to cancel.
 */
export async function cancelSalesOfCancelledEvent({ env, event }: { env: Env; event: { id: string; ticketing_enabled: boolean; event_group_id: string | null; cancellation_reason: string | null } }): Promise<void> {
  if (!event.ticketing_enabled && !event.event_group_id) return;
  const stub = eventStub(env, event.id);
  await stub.cancelEventSales(event.cancellation_reason ?? "Event cancelled");
  await stub.flushProjection();
}
