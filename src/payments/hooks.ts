import type { Env } from "../env.ts";
import { Hook } from "../lib/hooks.ts";
import type { MessageData, NotificationType, TicketRef } from "../notifications/schema.ts";
import type { Actor } from "../site/audit.ts";
import type { payments } from "./schema.ts";

export type PaymentRow = typeof payments.$inferSelect;

/**
 * What the payments domain tells the domains that sell (src/lib/hooks.ts):
 * payments moves money and knows nothing of how an order is confirmed or a
 * pass activated. Handlers are attached in src/hooks.ts.
 */

/**
 * What the seller did with a paid payment: handed over (what the commission is
 * on, and what the payer is told), or not, when it no longer can (the hold
 * expired and the units are gone, another payment paid first): the payment is
 * then refunded, `reason` saying why.
 */
export type Delivery =
  | { delivered: true; commission: { event_id: string } | { subscription_id: string }; message: { template: NotificationType; data: MessageData; tickets?: TicketRef } }
  | { delivered: false; reason: string };

type Paid = Hook<{ env: Env; payment: PaymentRow }, Delivery>;

/** An order's payment is PAID: the orders domain confirms the order (asked once per settle run; idempotent). */
export const orderPaid: Paid = new Hook("payment.paid.order");
/** A season pass's payment is PAID: the passes domain activates the pass. */
export const passPaid: Paid = new Hook("payment.paid.season_pass");
/** The last attempt to pay an order failed (no other one is waiting): the orders domain releases its hold. */
export const orderPaymentFailed: Hook<{ env: Env; payment: PaymentRow }> = new Hook("payment.failed.order");

/**
 * A refund was approved, or the event cancelled: what the payment bought is
 * taken back before any money moves (a ticket must not be both refunded and
 * used). `actor` is null for automatic refunds (a cancelled event).
 */
export const orderRefunded: Hook<{ env: Env; actor: Actor | null; payment: PaymentRow; reason: string; eventCancelled: boolean }> = new Hook("refund.order");
/** The same for a season pass, by a manager's decision. */
export const passRefunded: Hook<{ env: Env; actor: Actor; payment: PaymentRow; reason: string }> = new Hook("refund.season_pass");
