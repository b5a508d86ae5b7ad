import type { Channel, NotificationType } from "./schema.ts";

/**
 * How each type of message is treated:
 * - SECURITY: codes, resets and alerts. Always sent at once, whatever the
 *   preferences, quiet hours or opt-outs; never in a digest.
 * - TRANSACTIONAL: receipts, tickets, payments, decisions about the person's
 *   own objects. They ignore the marketing opt-outs (`users.notifications_email`
 *   and `notifications_push`) but follow explicit per-type preferences.
 * - MARKETING: everything else (social activity, announcements, campaigns).
 *   Never sent to someone who opted out; marketing email carries
 *   List-Unsubscribe.
 * Every category respects an invalid address (a suppressed email or number,
 * an unregistered push token).
 */
export type Category = "SECURITY" | "TRANSACTIONAL" | "MARKETING";

export interface TypeRules {
  category: Category;
  /** The channels a message of this type goes out on when the producer does not name one. */
  channels: readonly Channel[];
  priority: "LOW" | "NORMAL" | "HIGH" | "URGENT";
  /** Messages that carry the person's tickets: QR codes inline in email, and their link when they have no password. */
  tickets?: boolean;
  /** What the in-app notification points at (object_type of the `notifications` row), read from this data field. */
  object?: { type: string; field: string };
}

const ACCOUNT = ["IN_APP", "EMAIL"] as const;
const EVERYWHERE = ["IN_APP", "EMAIL", "PUSH"] as const;

export const TYPE_RULES: Record<NotificationType, TypeRules> = {
  EVENT_CREATED: { category: "MARKETING", channels: ["IN_APP", "PUSH"], priority: "LOW", object: { type: "event", field: "event_id" } },
  EVENT_APPROVED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "event", field: "event_id" } },
  EVENT_REJECTED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "event", field: "event_id" } },
  EVENT_REMINDER: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "event", field: "event_id" } },
  EVENT_CANCELLED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "HIGH", object: { type: "event", field: "event_id" } },
  NEW_FOLLOWER: { category: "MARKETING", channels: ["IN_APP", "PUSH"], priority: "LOW", object: { type: "user", field: "follower_id" } },
  FOLLOW_EVENT: { category: "MARKETING", channels: ["IN_APP", "PUSH"], priority: "LOW", object: { type: "event", field: "event_id" } },
  PAYMENT_SUCCESS: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "NORMAL", object: { type: "payment", field: "payment_id" } },
  PAYMENT_FAILED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "payment", field: "payment_id" } },
  SUBSCRIPTION_EXPIRING: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL" },
  SUBSCRIPTION_EXPIRED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL" },
  TICKET_PURCHASED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", tickets: true, object: { type: "order", field: "order_id" } },
  VERIFICATION_APPROVED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL" },
  VERIFICATION_REJECTED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL" },
  SYSTEM_MAINTENANCE: { category: "TRANSACTIONAL", channels: ["IN_APP", "PUSH"], priority: "HIGH" },
  WELCOME: { category: "MARKETING", channels: ACCOUNT, priority: "LOW" },
  EMAIL_CODE_SIGNUP: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  EMAIL_CODE_EMAIL_CHANGE: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  EMAIL_CODE_REACTIVATION: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  ACCOUNT_CLAIM: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  ORGANIZATION_INVITATION: { category: "TRANSACTIONAL", channels: ["EMAIL"], priority: "NORMAL" },
  TWO_FACTOR_CODE: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  PASSWORD_RESET: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  SECURITY_ALERT: { category: "SECURITY", channels: ["EMAIL"], priority: "URGENT" },
  CONTACT_REPLY: { category: "TRANSACTIONAL", channels: ["EMAIL"], priority: "NORMAL" },
  TICKETS_READY: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", tickets: true, object: { type: "order", field: "order_id" } },
  ACCESS_GRANTED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", tickets: true, object: { type: "event", field: "event_id" } },
  TICKET_TRANSFERRED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", tickets: true, object: { type: "transfer", field: "transfer_id" } },
  TRANSFER_OFFER: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "transfer", field: "transfer_id" } },
  TRANSFER_ACCEPTED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "transfer", field: "transfer_id" } },
  TRANSFER_DECLINED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "transfer", field: "transfer_id" } },
  LOAN_RETURNED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "transfer", field: "transfer_id" } },
  ZONE_CHANGED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "event", field: "event_id" } },
  REFUND_COMPLETED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "payment", field: "payment_id" } },
  REFUND_REJECTED: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "payment", field: "payment_id" } },
  ANNOUNCEMENT: { category: "MARKETING", channels: ["IN_APP", "PUSH"], priority: "NORMAL" },
  DIGEST: { category: "MARKETING", channels: ["IN_APP"], priority: "LOW" },
  // A cancelled event's holders (event-cancellation.ts): who paid, who held tickets that cost them nothing, who held them through a season pass.
  EVENT_CANCELLED_BUYER: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "event", field: "event_id" } },
  EVENT_CANCELLED_HOLDER: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "event", field: "event_id" } },
  EVENT_CANCELLED_PASS: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "event", field: "event_id" } },
  // Tickets of a sold-out configuration reserved for someone on its waiting list, for a limited time (durable-objects/event/waitlist.ts).
  WAITLIST_OFFER: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "event", field: "event_id" } },
  // Automatic season-pass renewals: the payment asked, a failure to be retried, the last failure.
  PASS_RENEWAL_REQUESTED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "payment", field: "payment_id" } },
  PASS_RENEWAL_RETRY: { category: "TRANSACTIONAL", channels: ACCOUNT, priority: "NORMAL", object: { type: "subscription", field: "subscription_id" } },
  PASS_RENEWAL_FAILED: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "subscription", field: "subscription_id" } },
  // A whole season pass handed on: its former holder and its new one.
  PASS_TRANSFERRED_OUT: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "subscription", field: "subscription_id" } },
  PASS_TRANSFERRED_IN: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH", object: { type: "subscription", field: "subscription_id" } },
  PASS_INSTALMENT_DUE: { category: "TRANSACTIONAL", channels: EVERYWHERE, priority: "HIGH" },
};

/** Types a person may not switch off or delay: codes and security messages reach them at once. */
export const isLocked = (type: NotificationType) => TYPE_RULES[type].category === "SECURITY";

/** Channels that interrupt (a buzz, a text): only these wait for the end of quiet hours. */
export const INTERRUPTING: readonly Channel[] = ["PUSH", "SMS"];
