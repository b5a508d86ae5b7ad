/**
 * Enum values stored in the database, English, in one place. SpotVibe's French
 * values are translated once (docs/spotvibe-mapping.md lists each); Entrix
 * values are kept as its specification names them.
 */
export const USER_ROLES = ["USER", "ORGANIZER", "CONTROLLER", "ADMIN"] as const;
export const LANGUAGES = ["fr", "ar", "en"] as const;
/** The currencies of src/lib/money.ts, in the order of their CHECK constraints. */
export { CURRENCY_CODES as CURRENCY_VALUES } from "../lib/money.ts";

/** Entrix `payment_status`: payments.status and tickets.payment_status; moves only forward. */
export const PAYMENT_STATUSES = ["PENDING", "PROCESSING", "PAID", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED", "CANCELLED"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
