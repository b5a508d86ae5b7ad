import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { rememberHolders } from "../catalog/sync.ts";
import { eventStub, problemFrom } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import type { Delivery, PaymentRow } from "../payments/hooks.ts";
import type { Actor } from "../site/audit.ts";
import { tickets } from "./schema.ts";

// How an order follows its payment: the orders domain's handlers of the
// payments hooks (src/payments/hooks.ts, attached in src/hooks.ts).

const orderOf = async (env: Env, ticketId: string) =>
  (await getDb(env.DB).select({ event_id: tickets.event_id, user_id: tickets.user_id }).from(tickets).where(eq(tickets.id, ticketId)).limit(1))[0];

/** Paid: the order is confirmed in its EventDO (exactly once: a second call returns the first rights), its rights projected at once. */
export async function confirmPaidOrder({ env, payment }: { env: Env; payment: PaymentRow }): Promise<Delivery> {
  const order = await orderOf(env, payment.ticket_id!);
  if (!order) throw new Error(`payment ${payment.id}: its order ${payment.ticket_id} is not in D1`);
  const stub = eventStub(env, order.event_id);
  // What the gate checks about the holder (birth date, groups), before their rights exist.
  await rememberHolders(env, stub, order.user_id ? [order.user_id] : []);
  const result = await stub.confirmOrder({ order_id: payment.ticket_id!, payment_id: payment.id, confirmed_by: null });
  if (!result.ok) return { delivered: false, reason: result.problem.code };
  if (result.order.payment_id !== payment.id) return { delivered: false, reason: "order_paid_by_another_payment" };
  // The buyer opens their tickets right away: the rights go to D1 now, not at the next alarm.
  await stub.flushProjection();
  return {
    delivered: true,
    commission: { event_id: order.event_id },
    message: {
      template: "TICKET_PURCHASED",
      data: { ticket_number: result.order.ticket_number, quantity: String(result.order.quantity), order_id: result.order.id, event_id: order.event_id },
      // The tickets travel with the message: QR codes inline, the order's PDF, the guest's link.
      tickets: { event_id: order.event_id, order_id: result.order.id },
    },
  };
}

/** The last payment attempt failed: the hold is released, its units back on sale. */
export async function releaseUnpaidOrder({ env, payment }: { env: Env; payment: PaymentRow }): Promise<void> {
  const order = await orderOf(env, payment.ticket_id!);
  if (!order) return;
  const released = await eventStub(env, order.event_id).releaseHold(payment.ticket_id!, "payment_failed");
  if (!released.ok && released.problem.code !== "order_not_found") throw problemFrom(released.problem);
}

/** A refund approved (or the event cancelled): the order is cancelled in its EventDO, its rights with it. */
export async function cancelRefundedOrder(input: { env: Env; actor: Actor | null; payment: PaymentRow; reason: string; eventCancelled: boolean }): Promise<void> {
  const { env, actor, payment } = input;
  const order = await orderOf(env, payment.ticket_id!);
  if (!order) return;
  const result = await eventStub(env, order.event_id).cancelForRefund(payment.ticket_id!, input.reason, actor?.userId ?? null, input.eventCancelled);
  if (!result.ok) throw problemFrom(result.problem);
}
