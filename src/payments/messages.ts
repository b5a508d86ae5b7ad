/**
 * Work on the `payments` queue. Every message is idempotent: settling a
 * payment asks the provider again and only moves forward, so a redelivery, a
 * replay from the dead-letter queue or a message racing the poller changes
 * nothing twice.
 */
export type PaymentMessage =
  /** Ask the provider where a payment stands and act on it; `webhook_event_id` when a webhook prompted it. */
  | { kind: "settle"; payment_id: string; webhook_event_id: string | null }
  /** Execute an approved refund through the provider's refund API. */
  | { kind: "refund"; refund_id: string }
  /** Refund every paid order of a cancelled event, a page at a time. */
  | { kind: "refund_event"; event_id: string };
