import type { Env } from "../env.ts";
import type { Currency } from "../lib/money.ts";
import type { MessageData, NotificationType, TicketRef } from "../notifications/schema.ts";
import { notifyUser } from "../notifications/service.ts";
import type { payments } from "./schema.ts";

/** Tells the payer about their payment, once per `key` and channel (by default once per payment), however many times it is settled. */
export async function notifyPayer(
  env: Env,
  payment: typeof payments.$inferSelect,
  template: NotificationType,
  data: MessageData,
  key = `${template.toLowerCase()}:${payment.id}`,
  tickets?: TicketRef,
): Promise<void> {
  if (!payment.user_id) return;
  // The amount is formatted in the payer's language when the message is sent: 60.000 TND, 10 000 FCFA.
  const message: MessageData = { amount: { amount: payment.amount, currency: payment.currency as Currency }, ...data, reference: payment.internal_reference, payment_id: payment.id };
  await notifyUser(env, payment.user_id, template, message, key, tickets ? { tickets } : {});
}
