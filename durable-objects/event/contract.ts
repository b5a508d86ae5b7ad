/**
 * What the Worker and the EventDO exchange over RPC. Errors cross as values
 * (`{ ok: false, problem }`), not exceptions, so their status and code survive.
 */
export interface Problem {
  status: 400 | 403 | 404 | 409 | 410 | 422;
  code: string;
  detail: string;
}
export type Result<T> = ({ ok: true } & T) | { ok: false; problem: Problem };

import type { PricingRule } from "../../src/catalog/pricing.ts";
import type { ZoneAccess } from "./gate-protocol.ts";

export type { ZoneAccess };

export const fail = (status: Problem["status"], code: string, detail: string): { ok: false; problem: Problem } => ({
  ok: false,
  problem: { status, code, detail },
});

export interface EventSetup {
  id: string;
  status: string;
  currency: string;
  starts_at: string;
  ends_at: string;
  doors_open_at: string | null;
  event_group_id: string | null;
  tags: string[];
  hold_ttl_seconds?: number;
  /** The event's access type: an INVITATION event is never sold (its people enter through grants). FREE when absent. */
  access_type?: string;
}

export interface ConfigSetup {
  id: string;
  ticket_type_id: string;
  ticket_type_code: string;
  zone_category: string;
  /** The zone its rights are issued in (the first of `zones`). */
  zone_id: string | null;
  /**
   * Every zone its rights open, in the order a gate tries them: the ticket
   * type's own category (FULL), then its `ticket_type_zones` (FULL, LIMITED
   * with conditions a steward checks, CONDITIONAL with a time limit the gate
   * checks), `excluded_sections` left out.
   */
  zones: ZoneAccess[];
  price: number;
  currency: string;
  quantity_total: number;
  quantity_blocked: number;
  sales_start: string | null;
  sales_end: string | null;
  early_bird_end: string | null;
  min_purchase: number;
  max_purchase: number | null;
  max_per_transaction: number;
  requires_membership: boolean;
  membership_group_id: string | null;
  member_only_until: string | null;
  dynamic_pricing: boolean;
  price_tiers: { from: number; to: number; price: number; label?: string }[] | null;
  cancellation_allowed: boolean;
  transfer_allowed: boolean;
  is_active: boolean;
  /** The ticket type's `advance_booking_days`: sales open that many days before the event's start; null for no such window. */
  advance_booking_days?: number | null;
  /**
   * The ticket type's share of its zone in units (`capacity_percentage_bp` of the zone's capacity, rounded down): the
   * configurations of that type in that zone never hold and sell more together; null for no share.
   */
  zone_share_units?: number | null;
  /** How long a waiting-list offer of this configuration stays open, in seconds; null or absent: 2 h (waitlist.ts). */
  waitlist_offer_seconds?: number | null;
  /** Hidden: shown and sold only with a presale code naming it (presale.ts). */
  presale_only?: boolean;
  /** Until when holders may name or rename the attendee of a right of it; null or absent: until the event starts (attendees.ts). */
  attendee_edit_until?: string | null;
}

/**
 * A pricing rule as the Worker read it from D1 (`orderRules`): `usage_count`
 * is its use outside this event, `user_uses_elsewhere` the buyer's there.
 */
export type RuleSnapshot = PricingRule & { user_uses_elsewhere?: number };

/** The answer to an order sent without the buyer's facts when its decision needs them (OrderRequest.buyer). */
export const BUYER_FACTS_REQUIRED = "buyer_facts_required";

export interface BuyerFacts {
  groups: { id: string; code: string; member_since: string }[];
  age: number | null;
  /** The account's email and phone, matched against the event's EMAIL and PHONE blacklist entries. */
  email: string | null;
  phone: string | null;
}

/** One line of a cart: a configuration of the event and how many of it (with `seat_ids`: exactly those seats, one per unit). */
export interface OrderLineRequest {
  config_id: string;
  quantity: number;
  seat_ids?: string[];
}

export interface OrderRequest {
  order_id: string;
  ticket_number: string;
  /** The cart: at least one line, decided all-or-none (a single-ticket order is a cart of one line). */
  lines: OrderLineRequest[];
  user_id: string;
  /**
   * The buyer's groups now (with their membership start), age and contact, or
   * null when the Worker read none because nothing it knew of needed them. A
   * decision that needs them (a config sold to members, a rule on the buyer
   * or with limits, an event with EMAIL or PHONE blacklist entries) then
   * answers `buyer_facts_required`, and the Worker reads them and asks again.
   */
  buyer: BuyerFacts | null;
  promo_code: string | null;
  rules: RuleSnapshot[];
  channel: "WEB" | "MOBILE" | "ONSITE" | "PARTNER";
  is_guest: boolean;
  guest_email: string | null;
  guest_phone: string | null;
  ip: string | null;
  /**
   * With an Idempotency-Key, the request's hash, and `order_id` derived from
   * the key: an order of that id already placed by this buyer with this hash
   * is returned again (`replayed`), with another hash refused.
   */
  request_hash?: string | null;
  /** A waiting-list offer of this buyer for this configuration (waitlist.ts): the order takes the units it reserved. */
  waitlist_offer_id?: string | null;
  /** The presale code the buyer entered, as the Worker read it from D1 (presale.ts checks its window, configurations and quota). */
  presale?: PresaleCode | null;
  /** Attendees named with the order (at most one per unit, checked by the Worker): its rights get them, in order, when it is confirmed. */
  attendees?: Attendee[] | null;
  now?: number; // tests pin the clock
}

export interface OrderLineView {
  config_id: string;
  ticket_type_id: string;
  quantity: number;
  /** The line's first unit's price (tiers may price later units higher); minor units. */
  unit_price: number;
  gross: number;
  /** The line's share of the order's discount. */
  discount: number;
  total: number;
  /** The seats the line holds or sold, one per unit; empty for unseated tickets. */
  seat_ids: string[];
}

export interface OrderView {
  id: string;
  ticket_number: string;
  event_id: string;
  /** The first line's configuration and ticket type (an order of one line: its only ones). */
  config_id: string;
  ticket_type_id: string;
  user_id: string;
  /** Units over every line. */
  quantity: number;
  lines: OrderLineView[];
  unit_price: number;
  gross: number;
  discount: number;
  total: number;
  currency: string;
  applied_rules: { id: string; code: string; amount: number }[];
  booking_status: "PENDING" | "CONFIRMED" | "CANCELLED" | "EXPIRED" | "COMPLETED";
  payment_status: string;
  payment_id: string | null;
  expires_at: string | null;
  channel: string;
  is_guest: boolean;
  /** Where a guest's tickets go; a guest pays by proving they know it. */
  guest_email: string | null;
  created_at: string;
  confirmed_at: string | null;
  cancelled_at: string | null;
  cancellation_reason: string | null;
}

export interface RightView {
  id: string;
  qr_code: string;
  event_id: string;
  order_id: string | null;
  user_id: string;
  zone_id: string | null;
  seat_id: string | null;
  status: string;
  source_type: string;
  source_id: string;
  original_user_id: string;
  transfer_count: number;
  valid_from: string;
  valid_until: string;
  used_at: string | null;
}

export interface Availability {
  event_id: string;
  /** The event's access type: an INVITATION event's availability is shown only to who may see the event. */
  access_type: string;
  /** The event's status: an unpublished event's (DRAFT, PENDING_REVIEW, REJECTED) is likewise shown only to who may see it. */
  status: string;
  configs: {
    id: string;
    ticket_type_id: string;
    ticket_type_code: string;
    /** What the next unit sells at before pricing rules: its price tier's, else the base price. */
    price: number;
    /** The label of the tier `price` comes from; null at the base price. */
    price_label: string | null;
    base_price: number;
    /** The tiers by units sold or held (`from`..`to`, inclusive), when the configuration is priced by tiers. */
    price_tiers: { from: number; to: number; price: number; label?: string }[] | null;
    currency: string;
    available: number;
    sellable: number;
    held: number;
    sold: number;
    on_sale: boolean;
  }[];
}

/** A seat's status for one event (seats.ts). */
export const SEAT_STATUSES = ["AVAILABLE", "HELD", "SOLD", "BLOCKED", "KILLED", "PASS"] as const;
export type SeatStatus = (typeof SEAT_STATUSES)[number];

/** A seat of the venue as the EventDO needs it: its zone, its row (section and row) and its place in the row, for adjacency. */
export interface SeatSetup {
  id: string;
  zone_id: string;
  row_key: string;
  position: number;
  /** An inactive seat is KILLED (never sold) unless an order already has it. */
  active: boolean;
}

/** The seats' availability at `version`: every seat changed since `since` (a delta), or, with `since` null, every seat not AVAILABLE. */
export interface SeatAvailability {
  version: number;
  since: number | null;
  seats: [string, SeatStatus][];
}

export interface PresaleCode {
  id: string;
  code: string;
  config_ids: string[];
  /** Tickets the code may sell in all (held or sold); null: no limit. */
  quota: number | null;
  valid_from: string | null;
  valid_until: string | null;
}

/** The person a right admits, as its holder named them (answers: the configuration's questions, by question id). */
export interface Attendee {
  name: string;
  email: string | null;
  phone: string | null;
  answers: Record<string, string | number | boolean>;
}

export interface WaitlistJoinRequest {
  entry_id: string;
  config_id: string;
  user_id: string;
  quantity: number;
  now?: number;
}

export interface WaitlistEntryView {
  id: string;
  config_id: string;
  user_id: string;
  quantity: number;
  /** WAITING in line, OFFERED units reserved until `offer.expires_at`, then ORDERED, EXPIRED (offer not taken), LEFT, or CLOSED (event cancelled). */
  status: "WAITING" | "OFFERED" | "ORDERED" | "EXPIRED" | "LEFT" | "CLOSED";
  /** 1 for the first in line; null once not waiting. */
  position: number | null;
  offer: { quantity: number; offered_at: string; expires_at: string } | null;
  order_id: string | null;
  created_at: string;
}

export interface ConfirmRequest {
  order_id: string;
  payment_id: string | null;
  confirmed_by: string | null;
  now?: number;
}

/** Rights issued outside a ticket sale: invitations, staff, press, partners, season passes. */
export interface IssueRightsRequest {
  source_type: "COMP" | "STAFF" | "MEDIA" | "PARTNER" | "SUBSCRIPTION";
  /** What the rights come from (a batch id, a subscription id); a repeated request returns the same rights. */
  source_id: string;
  holders: { user_id: string; zone_id: string | null; seat_id: string | null }[];
  /** Take the units from this configuration's inventory (comps from a sellable allocation). */
  config_id: string | null;
  created_by: string | null;
  now?: number;
}

export type TransferType = "TRANSFER_SALE" | "TRANSFER_DONATION" | "TRANSFER_LOAN";

export interface TransferRequest {
  transfer_id: string;
  type: TransferType;
  access_right_id: string;
  from_user_id: string;
  to_user_id: string;
  price: number | null;
  /** Resale cap in basis points of the face value (10000: no more than face value). */
  resale_cap_bp: number;
  /** The new right may not be transferred again (anti-touting, or the plan's rule). */
  no_retransfer: boolean;
  reason: string | null;
  by: string;
  now?: number;
}

export interface ExchangeRequest {
  transfer_id: string;
  first: { access_right_id: string; user_id: string };
  second: { access_right_id: string; user_id: string };
  reason: string | null;
  by: string;
  now?: number;
}

// ── gate ────────────────────────────────────────────────────────────────────

/** The venue side of an event's access control, from D1. */
export interface GateSetup {
  venue_id: string | null;
  organizer_id: string;
  zones: { id: string; name: string; capacity: number }[];
  access_points: { id: string; name: string; direction: "ENTRY" | "EXIT" | "BOTH"; zone_ids: string[]; is_active: boolean }[];
  /** Public Ed25519 JWKs (kid, kty, crv, x) that verify this event's QR tokens, retired ones included. */
  keys: { kid: string; kty: string; crv: string; x: string }[];
  /** Per ticket configuration: age and re-entry rules of its ticket type. */
  config_rules: { config_id: string; min_age: number | null; requires_id: boolean; re_entry_allowed: boolean }[];
}

/** Zone overrides and blacklist entries that apply to this event (already filtered by scope). */
export interface GatePolicy {
  overrides: {
    id: string;
    target_type: "ACCESS_RIGHT" | "TICKET" | "SUBSCRIPTION" | "USER_GROUP";
    target_id: string;
    original_zone_id: string;
    override_zone_id: string;
    valid_from: string | null;
    valid_until: string | null;
    capacity_impact: number | null;
  }[];
  blacklist: { id: string; type: "USER" | "QR_CODE" | "DEVICE" | "IP" | "EMAIL" | "PHONE" | "CREDIT_CARD"; identifier: string; starts_at: string; ends_at: string | null }[];
}

export interface Person {
  user_id: string;
  birth_date: string | null;
  group_ids: string[];
}

/** Who is scanning: set by the Worker from the authenticated controller, never by the device's message. */
export interface ScanContext {
  controller_id: string;
  /** The controller's sign-in session: its first bundle bounds its offline scans, and its end closes its sockets. */
  session_id: string;
  device_id: string;
  access_point_id: string;
  ip: string | null;
  /** A manual admission at the door (POST /v1/events/{event_id}/door/admissions): why, kept in the scan's log row. */
  reason?: string;
}

/**
 * Headers on the socket upgrade the Worker forwards to the object, set by the
 * Worker from the authenticated caller (a device cannot set them).
 */
export const GATE_HEADERS = {
  role: "X-Gate-Role",
  controller: "X-Gate-Controller",
  session: "X-Gate-Session",
  device: "X-Gate-Device",
  accessPoint: "X-Gate-Access-Point",
  ip: "X-Gate-Ip",
} as const;
