import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { basisPoints, bool, checkThat, createdAt, enumCheck, id, json, money, projectionVersion, timestamp, updatedAt } from "../db/columns.ts";
import { CURRENCY_VALUES, LANGUAGES } from "../db/enums.ts";
import { event_groups, events, ZONE_CATEGORIES } from "../events/schema.ts";
import { organizations, user_groups } from "../organizations/schema.ts";
import { users } from "../users/schema.ts";

export const TICKET_ZONE_ACCESS_TYPES = ["FULL", "LIMITED", "CONDITIONAL"] as const;
export const PRICING_RULE_TYPES = ["EARLY_BIRD", "GROUP", "MEMBER", "STUDENT", "SENIOR", "CHILD", "DYNAMIC", "PROMO", "PARTNER"] as const;
export const PRICING_RULE_TARGETS = ["TICKETS", "SUBSCRIPTIONS", "BOTH"] as const;
export const DISCOUNT_TYPES = ["PERCENTAGE", "FIXED_AMOUNT", "BUY_X_GET_Y", "BUNDLE"] as const;
export const SUBSCRIPTION_PLAN_TYPES = ["FULL_SEASON", "HALF_SEASON", "PACKAGE", "FLEX", "MINI", "VIP_ANNUAL"] as const;
export const PLAN_GROUP_ACCESS_LEVELS = ["FULL", "HOME_ONLY", "PARTIAL"] as const;
export const PLAN_EVENT_ACCESS_LEVELS = ["FULL", "STANDARD", "RESTRICTED"] as const;
export const TEMPLATE_TYPES = ["TICKET", "SUBSCRIPTION_CARD", "VIP_PASS"] as const;
export const TEMPLATE_FORMATS = ["PDF", "THERMAL", "MOBILE", "PLASTIC_CARD"] as const;
export const TEMPLATE_ORIENTATIONS = ["PORTRAIT", "LANDSCAPE"] as const;

const metadata = () => z.record(z.string(), z.unknown());

/** The organizer's questions to each attendee of a configuration (its rights' named attendees answer them). */
export const attendeeQuestionsSchema = z
  .array(
    z
      .object({
        id: z.string().regex(/^[a-z0-9_]{1,40}$/),
        label: z.string().trim().min(1).max(200),
        type: z.enum(["TEXT", "NUMBER", "BOOLEAN", "CHOICE"]),
        required: z.boolean().default(false),
        choices: z.array(z.string().trim().min(1).max(100)).min(1).max(50).optional(),
      })
      .strict()
      .refine((q) => (q.type === "CHOICE") === (q.choices !== undefined), { message: "choices go with type CHOICE, and only with it", path: ["choices"] }),
  )
  .max(20)
  .refine((qs) => new Set(qs.map((q) => q.id)).size === qs.length, { message: "question ids are unique" });
export type AttendeeQuestion = z.infer<typeof attendeeQuestionsSchema>[number];
const bp = () => z.number().int().min(0).max(10_000);
const minor = () => z.number().int().min(0);

/**
 * JSON conventions: amounts are minor units of the row's currency, percentages
 * basis points (shop_discount: 1000 is 10 %). Known keys are typed; open-ended
 * data the specification shows as free keeps extra keys (catchall).
 */
export const ticketTypeRestrictionsSchema = z
  .object({
    min_age: z.number().int().min(0).nullable().optional(),
    max_age: z.number().int().min(0).nullable().optional(),
    requires_id: z.boolean().optional(),
    dress_code: z.string().optional(),
    no_away_colors: z.boolean().optional(),
    unaccompanied_minors: z.boolean().optional(),
  })
  .catchall(z.unknown());

export const ticketTypeBenefitsSchema = z
  .object({
    program: z.boolean().optional(),
    match_program: z.boolean().optional(),
    parking: z.boolean().optional(),
    complimentary_parking: z.boolean().optional(),
    parking_discount: bp().optional(),
    merchandise_discount: bp().optional(),
    vip_lounge: z.boolean().optional(),
    food_beverage_included: z.boolean().optional(),
    gift_bag: z.boolean().optional(),
    dedicated_host: z.boolean().optional(),
    standing_allowed: z.boolean().optional(),
    atmosphere: z.string().optional(),
  })
  .catchall(z.unknown());

export const ticketTypeMetadataSchema = metadata();

export const ticketZoneConditionsSchema = z
  .object({
    time_limit: z.string().optional(), // "halftime"
    reason: z.string().optional(),
    requires_vip_band: z.boolean().optional(),
    areas: z.array(z.string()).optional(),
  })
  .catchall(z.unknown());

/** event_ticket_config.zone_mapping: zone category → venue_zones.code list, plus sections left out. */
export const zoneMappingSchema = z.partialRecord(z.enum([...ZONE_CATEGORIES, "excluded_sections"]), z.array(z.string().min(1)));

/** Price tiers by number sold: units `from`..`to` (inclusive) cost `price` minor units. */
export const priceTiersSchema = z
  .array(
    z.strictObject({
      from: z.number().int().min(0),
      to: z.number().int().min(0),
      price: minor(),
      label: z.string().optional(),
    }),
  )
  .superRefine((tiers, ctx) => {
    tiers.forEach((tier, i) => {
      if (tier.to < tier.from) ctx.addIssue({ code: "custom", message: "to must be >= from", path: [i, "to"] });
      const previous = tiers[i - 1];
      if (previous && tier.from <= previous.to) ctx.addIssue({ code: "custom", message: "tiers must be ordered and must not overlap", path: [i, "from"] });
    });
  });

export const eventTicketConfigMetadataSchema = metadata();

/** pricing_rules.conditions: every condition a rule may carry; all must hold for the rule to apply. */
export const pricingRuleConditionsSchema = z.strictObject({
  days_before_event: z.number().int().min(0).optional(),
  ticket_types: z.array(z.string()).optional(), // ticket_types.code
  zone_categories: z.array(z.enum(ZONE_CATEGORIES)).optional(),
  event_ids: z.array(z.string()).optional(),
  event_group_ids: z.array(z.string()).optional(),
  excluded_events: z.array(z.string()).optional(), // event ids or tags
  min_quantity: z.number().int().min(1).optional(),
  max_quantity: z.number().int().min(1).optional(),
  buy_quantity: z.number().int().min(1).optional(), // BUY_X_GET_Y: X
  get_quantity: z.number().int().min(1).optional(), // BUY_X_GET_Y: Y
  same_ticket_type: z.boolean().optional(),
  same_event: z.boolean().optional(),
  payment_deadline: z.number().int().min(1).optional(), // hours to pay a group order
  required_groups: z.array(z.string()).optional(), // user_groups.code
  subscription_plans: z.array(z.string()).optional(), // subscription_plans.code
  min_membership_days: z.number().int().min(0).optional(),
  min_age: z.number().int().min(0).optional(),
  max_age: z.number().int().min(0).optional(),
});

export const pricingRuleMetadataSchema = metadata();

export const planBenefitsSchema = z
  .object({
    parking: z.boolean().optional(),
    vip_lounge: z.boolean().optional(),
    priority_renewal: z.boolean().optional(),
    shop_discount: bp().optional(),
    food_discount: bp().optional(),
    guest_discount: bp().optional(),
    guest_tickets: z.number().int().min(0).optional(),
    number_of_matches: z.number().int().min(1).optional(), // FLEX: matches to book
    zone_upgrade_possible: z.boolean().optional(),
    exclusive_events: z.array(z.string()).optional(),
    meet_and_greet: z.boolean().optional(),
    dedicated_entrance: z.boolean().optional(),
    concierge_service: z.boolean().optional(),
  })
  .catchall(z.unknown());

export const planRestrictionsSchema = z
  .object({
    min_age: z.number().int().min(0).nullable().optional(),
    max_age: z.number().int().min(0).nullable().optional(),
    max_transfers: z.number().int().min(0).optional(),
    max_transfers_per_season: z.union([z.number().int().min(0), z.literal("unlimited")]).optional(),
    transfer_window_hours: z.number().int().min(0).optional(),
    transfer_fee: minor().optional(),
    blackout_dates: z.array(z.string()).optional(),
    blackout_matches: z.array(z.string()).optional(),
    requires_id_verification: z.boolean().optional(),
    requires_approval: z.boolean().optional(),
    student_card_required: z.boolean().optional(),
    max_uses_per_match: z.number().int().min(1).optional(),
    advance_booking_days: z.number().int().min(0).optional(),
    peak_matches_limit: z.number().int().min(0).optional(),
    dress_code: z.string().optional(),
  })
  .catchall(z.unknown());

/** The most holders of one family package when its plan does not say. */
export const FAMILY_PACKAGE_MAX_HOLDERS = 5;

/** How a pass may be paid (the specification's `payment_options`): at once, in 2, 3 or 4 monthly instalments, or monthly until the season ends. */
export const PASS_PAYMENT_OPTIONS = ["full", "2x", "3x", "4x", "monthly"] as const;

/** A plan's extras, typed: what the code acts on is validated; other keys stay free. */
export const subscriptionPlanMetadataSchema = z
  .object({
    payment_options: z
      .array(z.enum(PASS_PAYMENT_OPTIONS))
      .min(1)
      .refine((options) => new Set(options).size === options.length, "Each payment option once.")
      .optional(),
    seat_selection: z.enum(["assigned", "general"]).optional(),
    renewal_plan_id: z.string().optional(),
    /** The plan offers a printed (plastic) card: a purchase records a card request the box office prints. */
    printed_card: z.boolean().optional(),
    /** Family and companion packages: one purchase of passes for several holders (the buyer and `companions`), one payment. */
    family_package_available: z.boolean().optional(),
    /** The most holders one package takes, the buyer included (default FAMILY_PACKAGE_MAX_HOLDERS). */
    family_package_max_holders: z.number().int().min(2).max(10).optional(),
  })
  .catchall(z.unknown());
export const planLinkMetadataSchema = metadata();
export const includedMatchTypesSchema = z.array(z.string().min(1)); // "championship", "cup", "all"
export const excludedEventsSchema = z.array(z.string()); // events.id

export const templateElementsSchema = z.record(z.string(), z.record(z.string(), z.unknown())); // section → fields shown
export const templateLayoutSchema = z.record(z.string(), z.unknown());
export const templateLanguagesSchema = z.array(z.enum(LANGUAGES)).min(1);
export const ticketTemplateMetadataSchema = metadata();

/** Entrix `ticket_types`: reusable kinds of ticket (TRIBUNE, VIP_MATCH, GRADINS), not tied to an event. */
export const ticket_types = sqliteTable(
  "ticket_types",
  {
    id: id(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    organizer_id: text("organizer_id").references(() => users.id, { onDelete: "set null" }), // the account that created it (before organizations: its owner)
    organization_id: text("organization_id").references(() => organizations.id), // owner; null: platform-wide (admins')
    base_price: money("base_price").notNull(),
    min_price: money("min_price"),
    max_price: money("max_price"),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    default_zone_category: text("default_zone_category", { enum: ZONE_CATEGORIES }).notNull(),
    capacity_percentage_bp: basisPoints("capacity_percentage_bp"), // share of the zone's capacity, 10000 = 100 %
    max_per_transaction: integer("max_per_transaction").notNull().default(4),
    min_per_transaction: integer("min_per_transaction").notNull().default(1),
    advance_booking_days: integer("advance_booking_days"),
    cancellation_allowed: bool("cancellation_allowed").notNull().default(false),
    transfer_allowed: bool("transfer_allowed").notNull().default(true),
    restrictions: json("restrictions", ticketTypeRestrictionsSchema),
    benefits: json("benefits", ticketTypeBenefitsSchema),
    display_order: integer("display_order").notNull().default(0),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", ticketTypeMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("ticket_types_code_unique").on(t.code),
    index("ticket_types_organizer_idx").on(t.organizer_id, t.is_active),
    index("ticket_types_organization_idx").on(t.organization_id, t.is_active),
    index("ticket_types_active_order_idx").on(t.is_active, t.display_order),
    enumCheck("ticket_types", t.currency, CURRENCY_VALUES),
    enumCheck("ticket_types", t.default_zone_category, ZONE_CATEGORIES),
    checkThat("ticket_types", "prices_non_negative", sql`${t.base_price} >= 0 AND (${t.min_price} IS NULL OR ${t.min_price} >= 0) AND (${t.max_price} IS NULL OR ${t.max_price} >= 0)`),
    checkThat("ticket_types", "min_price_le_base", sql`${t.min_price} IS NULL OR ${t.min_price} <= ${t.base_price}`),
    checkThat("ticket_types", "max_price_ge_base", sql`${t.max_price} IS NULL OR ${t.max_price} >= ${t.base_price}`),
    checkThat("ticket_types", "capacity_percentage_bp_range", sql`${t.capacity_percentage_bp} IS NULL OR ${t.capacity_percentage_bp} BETWEEN 0 AND 10000`),
    checkThat("ticket_types", "per_transaction_range", sql`${t.min_per_transaction} >= 1 AND ${t.max_per_transaction} >= ${t.min_per_transaction}`),
    checkThat("ticket_types", "advance_booking_days_non_negative", sql`${t.advance_booking_days} IS NULL OR ${t.advance_booking_days} >= 0`),
  ],
);

/** Entrix `ticket_type_zones`: the zone categories a ticket type opens (primary zone and extra areas). */
export const ticket_type_zones = sqliteTable(
  "ticket_type_zones",
  {
    ticket_type_id: text("ticket_type_id")
      .notNull()
      .references(() => ticket_types.id, { onDelete: "cascade" }),
    zone_category: text("zone_category", { enum: ZONE_CATEGORIES }).notNull(),
    is_primary: bool("is_primary").notNull().default(true),
    access_type: text("access_type", { enum: TICKET_ZONE_ACCESS_TYPES }).notNull().default("FULL"),
    conditions: json("conditions", ticketZoneConditionsSchema),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.ticket_type_id, t.zone_category] }),
    index("ticket_type_zones_category_idx").on(t.zone_category),
    enumCheck("ticket_type_zones", t.zone_category, ZONE_CATEGORIES),
    enumCheck("ticket_type_zones", t.access_type, TICKET_ZONE_ACCESS_TYPES),
  ],
);

/**
 * Entrix `event_ticket_config`: one ticket type on sale for one event. The EventDO owns the live
 * counters; these columns are its projection. Sellable = quantity_total - quantity_blocked.
 */
export const event_ticket_config = sqliteTable(
  "event_ticket_config",
  {
    id: id(),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    ticket_type_id: text("ticket_type_id")
      .notNull()
      .references(() => ticket_types.id),
    price: money("price").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    quantity_total: integer("quantity_total").notNull(),
    quantity_sold: integer("quantity_sold").notNull().default(0),
    quantity_reserved: integer("quantity_reserved").notNull().default(0), // held by unexpired bookings
    quantity_blocked: integer("quantity_blocked").notNull().default(0), // never sold (press, security)
    sales_start: timestamp("sales_start"),
    sales_end: timestamp("sales_end"),
    early_bird_end: timestamp("early_bird_end"),
    min_purchase: integer("min_purchase").notNull().default(1),
    max_purchase: integer("max_purchase"),
    requires_membership: bool("requires_membership").notNull().default(false),
    membership_group_id: text("membership_group_id").references(() => user_groups.id, { onDelete: "set null" }), // the membership required
    member_only_until: timestamp("member_only_until"),
    zone_mapping: json("zone_mapping", zoneMappingSchema),
    dynamic_pricing: bool("dynamic_pricing").notNull().default(false),
    price_tiers: json("price_tiers", priceTiersSchema),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", eventTicketConfigMetadataSchema),
    waitlist_offer_minutes: integer("waitlist_offer_minutes"), // how long a waiting-list offer stays open; null: 120
    presale_only: bool("presale_only").notNull().default(false), // hidden: shown and sold only with a presale code naming it
    attendee_questions: json("attendee_questions", attendeeQuestionsSchema), // what holders answer when they name a right's attendee
    attendee_edit_until: timestamp("attendee_edit_until"), // until when holders may name attendees; null: the event's start
    created_at: createdAt(),
    updated_at: updatedAt(),
    projection_version: projectionVersion(), // of quantity_sold and quantity_reserved, which its EventDO projects
  },
  (t) => [
    uniqueIndex("event_ticket_config_event_type_unique").on(t.event_id, t.ticket_type_id),
    index("event_ticket_config_event_active_idx").on(t.event_id, t.is_active),
    index("event_ticket_config_ticket_type_idx").on(t.ticket_type_id),
    enumCheck("event_ticket_config", t.currency, CURRENCY_VALUES),
    checkThat("event_ticket_config", "price_non_negative", sql`${t.price} >= 0`),
    checkThat(
      "event_ticket_config",
      "quantities_non_negative",
      sql`${t.quantity_total} >= 0 AND ${t.quantity_sold} >= 0 AND ${t.quantity_reserved} >= 0 AND ${t.quantity_blocked} >= 0`,
    ),
    checkThat("event_ticket_config", "quantities_within_total", sql`${t.quantity_sold} + ${t.quantity_reserved} + ${t.quantity_blocked} <= ${t.quantity_total}`),
    checkThat("event_ticket_config", "purchase_range", sql`${t.min_purchase} >= 1 AND (${t.max_purchase} IS NULL OR ${t.max_purchase} >= ${t.min_purchase})`),
    checkThat("event_ticket_config", "sales_window", sql`${t.sales_start} IS NULL OR ${t.sales_end} IS NULL OR ${t.sales_end} > ${t.sales_start}`),
  ],
);

/**
 * Entrix `pricing_rules`. discount_value depends on discount_type: PERCENTAGE → basis points
 * (2000 = 20 %); FIXED_AMOUNT and BUNDLE → minor units of `currency` off the line or bundle;
 * BUY_X_GET_Y → basis points off the Y units (10000 = free), X and Y in conditions.
 */
export const pricing_rules = sqliteTable(
  "pricing_rules",
  {
    id: id(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    organizer_id: text("organizer_id").references(() => users.id, { onDelete: "set null" }), // the account that created it (before organizations: its owner)
    organization_id: text("organization_id").references(() => organizations.id), // owner; null: platform-wide (admins')
    rule_type: text("rule_type", { enum: PRICING_RULE_TYPES }).notNull(),
    applies_to: text("applies_to", { enum: PRICING_RULE_TARGETS }).notNull(),
    discount_type: text("discount_type", { enum: DISCOUNT_TYPES }).notNull(),
    discount_value: integer("discount_value").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }), // required for FIXED_AMOUNT and BUNDLE
    conditions: json("conditions", pricingRuleConditionsSchema).notNull(),
    valid_from: timestamp("valid_from"),
    valid_until: timestamp("valid_until"),
    usage_limit_total: integer("usage_limit_total"),
    usage_limit_per_user: integer("usage_limit_per_user"),
    usage_count: integer("usage_count").notNull().default(0),
    combinable: bool("combinable").notNull().default(false),
    priority: integer("priority").notNull().default(0),
    promo_code: text("promo_code"), // stored upper-case
    auto_apply: bool("auto_apply").notNull().default(false),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", pricingRuleMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("pricing_rules_code_unique").on(t.code),
    uniqueIndex("pricing_rules_promo_code_unique").on(t.promo_code),
    index("pricing_rules_auto_apply_idx").on(t.is_active, t.auto_apply, t.priority),
    index("pricing_rules_type_idx").on(t.rule_type, t.is_active),
    index("pricing_rules_organizer_idx").on(t.organizer_id),
    index("pricing_rules_organization_idx").on(t.organization_id),
    enumCheck("pricing_rules", t.rule_type, PRICING_RULE_TYPES),
    enumCheck("pricing_rules", t.applies_to, PRICING_RULE_TARGETS),
    enumCheck("pricing_rules", t.discount_type, DISCOUNT_TYPES),
    enumCheck("pricing_rules", t.currency, CURRENCY_VALUES),
    checkThat("pricing_rules", "discount_value_non_negative", sql`${t.discount_value} >= 0`),
    checkThat(
      "pricing_rules",
      "discount_bp_range",
      sql`${t.discount_type} NOT IN ('PERCENTAGE', 'BUY_X_GET_Y') OR ${t.discount_value} <= 10000`,
    ),
    checkThat("pricing_rules", "amount_has_currency", sql`${t.discount_type} NOT IN ('FIXED_AMOUNT', 'BUNDLE') OR ${t.currency} IS NOT NULL`),
    checkThat("pricing_rules", "promo_code_upper", sql`${t.promo_code} IS NULL OR ${t.promo_code} = upper(${t.promo_code})`),
    checkThat(
      "pricing_rules",
      "usage_limits_positive",
      sql`(${t.usage_limit_total} IS NULL OR ${t.usage_limit_total} > 0) AND (${t.usage_limit_per_user} IS NULL OR ${t.usage_limit_per_user} > 0)`,
    ),
    checkThat(
      "pricing_rules",
      "usage_count_within_limit",
      sql`${t.usage_count} >= 0 AND (${t.usage_limit_total} IS NULL OR ${t.usage_count} <= ${t.usage_limit_total})`,
    ),
    checkThat("pricing_rules", "validity_window", sql`${t.valid_from} IS NULL OR ${t.valid_until} IS NULL OR ${t.valid_until} > ${t.valid_from}`),
  ],
);

/** Entrix `subscription_plans`: season-pass plans sold to fans (not SpotVibe's organizer plans). */
export const subscription_plans = sqliteTable(
  "subscription_plans",
  {
    id: id(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    organizer_id: text("organizer_id").references(() => users.id, { onDelete: "set null" }), // the account that created it (before organizations: the club selling it)
    organization_id: text("organization_id").references(() => organizations.id), // the club selling it; null: the platform's (admins')
    type: text("type", { enum: SUBSCRIPTION_PLAN_TYPES }).notNull(),
    price: money("price").notNull(),
    currency: text("currency", { enum: CURRENCY_VALUES }).notNull(),
    duration_months: integer("duration_months"),
    max_subscribers: integer("max_subscribers"), // null: unlimited
    current_subscribers: integer("current_subscribers").notNull().default(0),
    default_zone_category: text("default_zone_category", { enum: ZONE_CATEGORIES }),
    benefits: json("benefits", planBenefitsSchema),
    restrictions: json("restrictions", planRestrictionsSchema),
    sales_start: timestamp("sales_start"),
    sales_end: timestamp("sales_end"),
    renewal_priority_days: integer("renewal_priority_days").notNull().default(30),
    is_renewable: bool("is_renewable").notNull().default(true),
    is_transferable: bool("is_transferable").notNull().default(true),
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", subscriptionPlanMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("subscription_plans_code_unique").on(t.code),
    index("subscription_plans_active_idx").on(t.is_active, t.sales_start),
    index("subscription_plans_organizer_idx").on(t.organizer_id),
    index("subscription_plans_organization_idx").on(t.organization_id),
    enumCheck("subscription_plans", t.type, SUBSCRIPTION_PLAN_TYPES),
    enumCheck("subscription_plans", t.currency, CURRENCY_VALUES),
    enumCheck("subscription_plans", t.default_zone_category, ZONE_CATEGORIES),
    checkThat("subscription_plans", "price_non_negative", sql`${t.price} >= 0`),
    checkThat("subscription_plans", "duration_positive", sql`${t.duration_months} IS NULL OR ${t.duration_months} > 0`),
    checkThat(
      "subscription_plans",
      "subscribers_within_limit",
      sql`${t.current_subscribers} >= 0 AND (${t.max_subscribers} IS NULL OR (${t.max_subscribers} > 0 AND ${t.current_subscribers} <= ${t.max_subscribers}))`,
    ),
    checkThat("subscription_plans", "renewal_priority_days_non_negative", sql`${t.renewal_priority_days} >= 0`),
    checkThat("subscription_plans", "sales_window", sql`${t.sales_start} IS NULL OR ${t.sales_end} IS NULL OR ${t.sales_end} > ${t.sales_start}`),
  ],
);

/** Entrix `subscription_plan_event_groups`: the event groups (seasons) a plan covers. */
export const subscription_plan_event_groups = sqliteTable(
  "subscription_plan_event_groups",
  {
    subscription_plan_id: text("subscription_plan_id")
      .notNull()
      .references(() => subscription_plans.id, { onDelete: "cascade" }),
    event_group_id: text("event_group_id")
      .notNull()
      .references(() => event_groups.id, { onDelete: "cascade" }),
    access_level: text("access_level", { enum: PLAN_GROUP_ACCESS_LEVELS }).notNull().default("FULL"),
    included_match_types: json("included_match_types", includedMatchTypesSchema), // TEXT[]; null or ["all"]: every type
    excluded_events: json("excluded_events", excludedEventsSchema), // UUID[]
    metadata: json("metadata", planLinkMetadataSchema),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.subscription_plan_id, t.event_group_id] }),
    index("subscription_plan_event_groups_group_idx").on(t.event_group_id),
    enumCheck("subscription_plan_event_groups", t.access_level, PLAN_GROUP_ACCESS_LEVELS),
  ],
);

/** Entrix `subscription_plan_events`: single events included in a plan outside its groups (gala, friendly). */
export const subscription_plan_events = sqliteTable(
  "subscription_plan_events",
  {
    subscription_plan_id: text("subscription_plan_id")
      .notNull()
      .references(() => subscription_plans.id, { onDelete: "cascade" }),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    access_level: text("access_level", { enum: PLAN_EVENT_ACCESS_LEVELS }).notNull().default("FULL"),
    requires_booking: bool("requires_booking").notNull().default(false),
    booking_window_days: integer("booking_window_days"),
    metadata: json("metadata", planLinkMetadataSchema),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.subscription_plan_id, t.event_id] }),
    index("subscription_plan_events_event_idx").on(t.event_id),
    enumCheck("subscription_plan_events", t.access_level, PLAN_EVENT_ACCESS_LEVELS),
    checkThat("subscription_plan_events", "booking_window_positive", sql`${t.booking_window_days} IS NULL OR ${t.booking_window_days} > 0`),
  ],
);

/** Entrix `subscription_plan_zones`: the zone categories a plan opens, with optional paid upgrade. */
export const subscription_plan_zones = sqliteTable(
  "subscription_plan_zones",
  {
    subscription_plan_id: text("subscription_plan_id")
      .notNull()
      .references(() => subscription_plans.id, { onDelete: "cascade" }),
    zone_category: text("zone_category", { enum: ZONE_CATEGORIES }).notNull(),
    is_primary: bool("is_primary").notNull().default(true),
    upgrade_allowed: bool("upgrade_allowed").notNull().default(false),
    upgrade_fee: money("upgrade_fee"),
    currency: text("currency", { enum: CURRENCY_VALUES }), // set with upgrade_fee
    metadata: json("metadata", planLinkMetadataSchema),
    created_at: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.subscription_plan_id, t.zone_category] }),
    index("subscription_plan_zones_category_idx").on(t.zone_category),
    enumCheck("subscription_plan_zones", t.zone_category, ZONE_CATEGORIES),
    enumCheck("subscription_plan_zones", t.currency, CURRENCY_VALUES),
    checkThat("subscription_plan_zones", "upgrade_fee_has_currency", sql`${t.upgrade_fee} IS NULL OR (${t.upgrade_fee} >= 0 AND ${t.currency} IS NOT NULL)`),
  ],
);

/** Entrix `ticket_templates`: layouts for printed/e-tickets, season cards and VIP passes. */
export const ticket_templates = sqliteTable(
  "ticket_templates",
  {
    id: id(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    type: text("type", { enum: TEMPLATE_TYPES }).notNull(),
    category: text("category"), // MATCH, CONCERT, GENERAL
    format: text("format", { enum: TEMPLATE_FORMATS }).notNull(),
    paper_size: text("paper_size"), // A4, A5, THERMAL_80MM, CARD_86X54
    orientation: text("orientation", { enum: TEMPLATE_ORIENTATIONS }).notNull().default("PORTRAIT"),
    design_url: text("design_url"),
    css_url: text("css_url"),
    elements: json("elements", templateElementsSchema).notNull(),
    layout: json("layout", templateLayoutSchema).notNull(),
    languages: json("languages", templateLanguagesSchema).notNull().default(sql`'["fr"]'`), // TEXT[]
    is_default: bool("is_default").notNull().default(false),
    requires_printer: text("requires_printer"),
    version: text("version").notNull(),
    organization_id: text("organization_id").references(() => organizations.id), // owner; null: the platform's (admins' and seeded ones)
    is_active: bool("is_active").notNull().default(true),
    metadata: json("metadata", ticketTemplateMetadataSchema),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("ticket_templates_code_unique").on(t.code),
    uniqueIndex("ticket_templates_default_unique").on(t.type, t.format).where(sql`${t.is_default} = 1`),
    index("ticket_templates_type_idx").on(t.type, t.is_active),
    index("ticket_templates_organization_idx").on(t.organization_id),
    enumCheck("ticket_templates", t.type, TEMPLATE_TYPES),
    enumCheck("ticket_templates", t.format, TEMPLATE_FORMATS),
    enumCheck("ticket_templates", t.orientation, TEMPLATE_ORIENTATIONS),
  ],
);

/**
 * Presale codes of an event: each unlocks the hidden (`presale_only`) configurations it names, to
 * be seen (availability) and bought, within its window, up to `quota` tickets in all (null: no
 * limit). The quota is counted by the event's EventDO over the orders placed with the code
 * (durable-objects/event/presale.ts), exactly, whatever arrives at once.
 */
export const presale_codes = sqliteTable(
  "presale_codes",
  {
    id: id(),
    event_id: text("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    code: text("code").notNull(), // stored upper-cased, compared as typed upper-cased
    config_ids: json("config_ids", z.array(z.string())).notNull(),
    quota: integer("quota"),
    valid_from: timestamp("valid_from"),
    valid_until: timestamp("valid_until"),
    is_active: bool("is_active").notNull().default(true),
    created_by: text("created_by").references(() => users.id, { onDelete: "set null" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [
    uniqueIndex("presale_codes_event_code_unique").on(t.event_id, t.code),
    checkThat("presale_codes", "quota_positive", sql`${t.quota} IS NULL OR ${t.quota} > 0`),
    checkThat("presale_codes", "window", sql`${t.valid_from} IS NULL OR ${t.valid_until} IS NULL OR ${t.valid_until} > ${t.valid_from}`),
  ],
);
