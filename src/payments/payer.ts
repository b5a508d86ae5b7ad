import type { Env } from "../env.ts";
import { notifyUser } from "../notifications/service.ts";
import type { TemplateKey } from "../notifications/templates.ts";
import type { payments } from "./schema.ts";

/** Tells the payer about their payment, once per `key` and channel (by default once per payment), however many times it is settled. */
export async function notifyPayer(
  env: Env,
  payment: typeof payments.$inferSelect,
  template: TemplateKey,
  data: Record<string, string>,
  key = `${template.toLowerCase()}:${payment.id}`,
): Promise<void> {
  if (!payment.user_id) return;
  await notifyUser(env, payment.user_id, template, { amount: String(payment.amount), ...data, currency: payment.currency, reference: payment.internal_reference }, key);
}
