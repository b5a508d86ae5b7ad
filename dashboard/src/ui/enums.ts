/**
 * Enum values the screens offer in lists and filters, checked against the
 * generated API types: a value the API does not have fails the type check,
 * and so does one the API added (`exhaustive`).
 */
import type { components } from "../api/schema";

type S = components["schemas"];

/** A tuple of every member of U, no more and no fewer. */
function exhaustive<U extends string>() {
  return <const T extends readonly U[]>(values: T & ([U] extends [T[number]] ? unknown : never)) => values;
}

export const EVENT_STATUSES = exhaustive<S["PublicEvent"]["status"]>()(["PENDING_REVIEW", "DRAFT", "APPROVED", "REJECTED", "CANCELLED", "COMPLETED"]);
export const ACCESS_TYPES = exhaustive<S["PublicEvent"]["access_type"]>()(["FREE", "PAID", "INVITATION"]);
export const VERIFICATION_STATUSES = exhaustive<S["Verification"]["status"]>()(["PENDING", "APPROVED", "REJECTED", "EXPIRED"]);
export const USER_ROLES = exhaustive<S["User"]["role"]>()(["USER", "ORGANIZER", "CONTROLLER", "ADMIN"]);
export const REFUND_STATUSES = exhaustive<S["Refund"]["status"]>()(["REQUESTED", "PROCESSING", "APPROVED", "REJECTED", "REFUNDED"]);
export const REFUND_REASONS = exhaustive<S["Refund"]["reason"]>()(["CUSTOMER_REQUEST", "EVENT_CANCELLED", "PAYMENT_ERROR", "FRAUD", "OTHER"]);
export const BLACKLIST_TYPES = exhaustive<S["BlacklistEntry"]["blacklist_type"]>()(["USER", "QR_CODE", "DEVICE", "IP", "EMAIL", "PHONE", "CREDIT_CARD"]);
export const BLACKLIST_SCOPES = exhaustive<S["BlacklistEntry"]["scope"]>()(["GLOBAL", "EVENT", "VENUE", "CLUB"]);
export const SEVERITIES = exhaustive<S["BlacklistEntry"]["severity"]>()(["LOW", "MEDIUM", "HIGH", "CRITICAL"]);
export const APPEAL_STATUSES = exhaustive<S["BlacklistEntry"]["appeal_status"]>()(["NONE", "PENDING", "REJECTED", "ACCEPTED"]);
export const PAYMENT_STATUSES = exhaustive<S["Payment"]["status"]>()(["PENDING", "PROCESSING", "PAID", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED", "CANCELLED"]);
export const PAYMENT_PROVIDERS = exhaustive<S["Payment"]["provider"]>()(["MTN_MOMO", "FEDAPAY", "KKIAPAY", "KONNECT", "STRIPE", "BANK", "CASH_DESK"]);
export const CONTACT_STATUSES = exhaustive<NonNullable<S["ContactUpdateRequest"]["status"]>>()(["NEW", "IN_PROGRESS", "RESOLVED", "CLOSED"]);
export const SYSTEM_STATES = exhaustive<S["SystemStatus"]["status"]>()(["OPERATIONAL", "DEGRADED", "MAINTENANCE", "INCIDENT", "OFFLINE"]);
export const STATUS_SEVERITIES = exhaustive<S["SystemStatus"]["severity"]>()(["INFO", "WARNING", "CRITICAL"]);
export const SETTING_TYPES = exhaustive<S["Setting"]["value_type"]>()(["STRING", "INTEGER", "FLOAT", "BOOLEAN", "JSON"]);
export const FAQ_CATEGORIES = exhaustive<NonNullable<S["FaqCreateRequest"]["category"]>>()(["GENERAL", "ACCOUNT", "EVENTS", "PAYMENTS", "SUBSCRIPTIONS", "TECHNICAL"]);
export const LANGUAGE_CODES = exhaustive<S["User"]["language"]>()(["fr", "ar", "en"]);
export const AUDIT_ACTIONS = exhaustive<S["AuditEntry"]["action"]>()(["CREATE", "UPDATE", "DELETE", "LOGIN", "LOGOUT", "APPROVE", "REJECT", "PAYMENT", "REFUND", "EXPORT", "IMPORT", "CONFIG"]);
export const PLAN_TYPES = exhaustive<S["OrganizerPlan"]["plan_type"]>()(["STANDARD", "PREMIUM", "GOLD"]);
export const BILLING_PERIODS = exhaustive<S["OrganizerPlan"]["billing_period"]>()(["MONTHLY", "QUARTERLY", "YEARLY"]);
export const PLAN_CURRENCIES = exhaustive<S["OrganizerPlan"]["currency"]>()(["XOF", "TND", "EUR", "USD"]);
export const ORGANIZATION_ROLES = exhaustive<NonNullable<S["Organization"]["my_role"]>>()(["OWNER", "MANAGER", "BOX_OFFICE", "FINANCE", "SUPERVISOR", "CONTROLLER"]);
export const NOTIFICATION_CHANNELS = exhaustive<S["NotificationTemplate"]["active_channels"][number]>()(["EMAIL", "PUSH", "SMS", "IN_APP"]);
export const CAMPAIGN_AUDIENCES = exhaustive<S["CampaignCreate"]["targeting"]["audience"]>()(["ALL_USERS", "EVENT_HOLDERS", "EVENT_PARTICIPANTS", "EVENT_ATTENDEES", "FOLLOWERS", "PASS_HOLDERS"]);
export const ACCESS_RIGHT_STATUSES = exhaustive<S["BackofficeAttendee"]["status"]>()(["ENABLED", "USED", "TRANSFERRED", "CANCELLED", "EXPIRED", "BLOCKED"]);
export const BOOKING_STATUSES = exhaustive<S["BackofficeOrder"]["booking_status"]>()(["PENDING", "CONFIRMED", "CANCELLED", "EXPIRED", "COMPLETED"]);
export const PURCHASE_CHANNELS = exhaustive<S["BackofficeOrder"]["channel"]>()(["WEB", "MOBILE", "ONSITE", "PARTNER"]);
