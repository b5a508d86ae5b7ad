import { z } from "@hono/zod-openapi";
import { pageQuery } from "../lib/pagination.ts";
import { basisPoints, currency } from "../lib/schemas.ts";
import {
  BILLING_PERIODS,
  ORGANIZER_PLAN_TYPES,
  ORGANIZER_SUBSCRIPTION_ACTIONS,
  ORGANIZER_SUBSCRIPTION_STATUSES,
  type organizer_plan_features,
  type organizer_plans,
  type organizer_subscription_history,
  type organizer_subscriptions,
} from "./schema.ts";

type PlanRow = typeof organizer_plans.$inferSelect;
type FeatureRow = typeof organizer_plan_features.$inferSelect;
type SubscriptionRow = typeof organizer_subscriptions.$inferSelect;
type HistoryRow = typeof organizer_subscription_history.$inferSelect;

/** A plan lists at most this many features (each is written with its audit entry in the plan's batch). */
export const MAX_FEATURES = 20;

const order = z.number().int().min(0).max(100_000);
const comment = z.string().trim().max(2000);

export const FeatureInput = z
  .strictObject({
    name: z.string().trim().min(1).max(120),
    description: z.string().trim().max(1000).nullable().optional(),
    is_included: z.boolean().default(true),
    limit_label: z.string().trim().max(60).nullable().optional().openapi({ example: "10 par mois" }),
    display_order: order.optional().openapi({ description: "Defaults to the feature's position in the list." }),
  })
  .openapi("OrganizerPlanFeatureInput");

const planFields = {
  name: z.string().trim().min(1).max(120),
  plan_type: z.enum(ORGANIZER_PLAN_TYPES),
  price: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "Minor units of `currency` (XOF has none: 5000 = 5 000 FCFA)." }),
  currency,
  billing_period: z.enum(BILLING_PERIODS),
  description: z.string().trim().max(2000).nullable(),
  max_events_per_month: z.number().int().min(1).max(100_000).nullable().openapi({ description: "Events an organizer may create per UTC calendar month; null is unlimited." }),
  reduced_commission_bp: basisPoints.nullable().openapi({ description: "Ticketing commission for this plan's organizers, basis points; null keeps the event's rate." }),
  priority_support: z.boolean(),
  advanced_analytics: z.boolean(),
  event_promotion: z.boolean(),
  profile_customization: z.boolean(),
  is_active: z.boolean().openapi({ description: "Offered to organizers; inactive plans stay on existing subscriptions." }),
  display_order: order,
  features: z.array(FeatureInput).max(MAX_FEATURES),
};

export const PlanCreateBody = z
  .strictObject({
    ...planFields,
    description: planFields.description.optional(),
    max_events_per_month: planFields.max_events_per_month.default(null),
    reduced_commission_bp: planFields.reduced_commission_bp.default(null),
    priority_support: planFields.priority_support.default(false),
    advanced_analytics: planFields.advanced_analytics.default(false),
    event_promotion: planFields.event_promotion.default(false),
    profile_customization: planFields.profile_customization.default(false),
    is_active: planFields.is_active.default(true),
    display_order: planFields.display_order.default(0),
    features: planFields.features.default([]),
  })
  .openapi("OrganizerPlanCreateRequest");

export const PlanUpdateBody = z
  .strictObject(planFields)
  .partial()
  .openapi("OrganizerPlanUpdateRequest", { description: "Only the fields sent change; `features`, when sent, replaces the whole list." });

export type PlanCreateInput = z.infer<typeof PlanCreateBody>;
export type PlanUpdateInput = z.infer<typeof PlanUpdateBody>;

export const planIdParam = z.object({ plan_id: z.uuid().openapi({ param: { name: "plan_id", in: "path" } }) });
export const subscriptionIdParam = z.object({ subscription_id: z.uuid().openapi({ param: { name: "subscription_id", in: "path" } }) });

export const FeatureSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    is_included: z.boolean(),
    limit_label: z.string().nullable(),
    display_order: z.number().int(),
  })
  .openapi("OrganizerPlanFeature");

export const PlanSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    plan_type: z.enum(ORGANIZER_PLAN_TYPES),
    price: z.number().int(),
    currency,
    billing_period: z.enum(BILLING_PERIODS),
    description: z.string().nullable(),
    max_events_per_month: z.number().int().nullable(),
    reduced_commission_bp: z.number().int().nullable(),
    priority_support: z.boolean(),
    advanced_analytics: z.boolean(),
    event_promotion: z.boolean(),
    profile_customization: z.boolean(),
    is_active: z.boolean(),
    display_order: z.number().int(),
    features: z.array(FeatureSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("OrganizerPlan");

export function toPlan(row: PlanRow, features: FeatureRow[]): z.infer<typeof PlanSchema> {
  return {
    id: row.id,
    name: row.name,
    plan_type: row.plan_type,
    price: row.price,
    currency: row.currency,
    billing_period: row.billing_period,
    description: row.description,
    max_events_per_month: row.max_events_per_month,
    reduced_commission_bp: row.reduced_commission_bp,
    priority_support: row.priority_support,
    advanced_analytics: row.advanced_analytics,
    event_promotion: row.event_promotion,
    profile_customization: row.profile_customization,
    is_active: row.is_active,
    display_order: row.display_order,
    features: features.map((f) => ({
      id: f.id,
      name: f.name,
      description: f.description,
      is_included: f.is_included,
      limit_label: f.limit_label,
      display_order: f.display_order,
    })),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export const ChoosePlanBody = z
  .strictObject({
    plan_id: z.uuid(),
    auto_renew: z.boolean().default(false),
    organization_id: z.uuid().optional().openapi({ description: "Which of my organizations (default: the only one where I have `plan.manage`)." }),
  })
  .openapi("ChooseOrganizerPlan");

export const GrantBody = z
  .strictObject({
    organization_id: z.uuid(),
    plan_id: z.uuid(),
    starts_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Defaults to now; may be in the past (e.g. a payment taken at a desk), not in the future. The end follows from the plan's billing period." }),
    auto_renew: z.boolean().default(false),
    comment: comment.optional(),
  })
  .openapi("OrganizerSubscriptionGrantRequest");

export const TransitionBody = z.strictObject({ comment: comment.min(1, { message: "Say why." }) }).openapi("OrganizerSubscriptionTransitionRequest");
export const OptionalCommentBody = z.strictObject({ comment: comment.optional() }).openapi("OrganizerSubscriptionCommentRequest");

export const AdminSubscriptionQuery = z.object({
  status: z.enum(ORGANIZER_SUBSCRIPTION_STATUSES).optional(),
  organization_id: z.uuid().optional(),
  organizer_id: z.uuid().optional().openapi({ description: "The account that subscribed." }),
  ...pageQuery,
});

export const HistorySchema = z
  .object({
    id: z.string(),
    subscription_id: z.string(),
    action: z.enum(ORGANIZER_SUBSCRIPTION_ACTIONS),
    previous_status: z.enum(ORGANIZER_SUBSCRIPTION_STATUSES).nullable(),
    new_status: z.enum(ORGANIZER_SUBSCRIPTION_STATUSES),
    comment: z.string().nullable(),
    performed_by: z.string().nullable().openapi({ description: "The admin who acted; null for the system (payments, expiry)." }),
    created_at: z.string(),
  })
  .openapi("OrganizerSubscriptionHistoryEntry");

export function toHistory(row: HistoryRow): z.infer<typeof HistorySchema> {
  return {
    id: row.id,
    subscription_id: row.organizer_subscription_id,
    action: row.action,
    previous_status: row.previous_status,
    new_status: row.new_status,
    comment: row.comment,
    performed_by: row.performed_by,
    created_at: row.created_at,
  };
}

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    organizer_id: z.string().openapi({ description: "The account that subscribed (for a grant: the organization's first owner)." }),
    organization_id: z.string().nullable().openapi({ description: "The organization on the plan." }),
    plan_id: z.string(),
    plan_name: z.string(),
    status: z.enum(ORGANIZER_SUBSCRIPTION_STATUSES),
    starts_at: z.string(),
    ends_at: z.string(),
    price_paid: z.number().int(),
    currency,
    auto_renew: z.boolean(),
    payment_reference: z.string().nullable(),
    events_created_this_month: z.number().int().openapi({ description: "As of this UTC month (0 when the last count is from an earlier month)." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("OrganizerSubscription");

export function toSubscription(row: SubscriptionRow, planName: string, eventsThisMonth: number): z.infer<typeof SubscriptionSchema> {
  return {
    id: row.id,
    organizer_id: row.user_id,
    organization_id: row.organization_id,
    plan_id: row.plan_id,
    plan_name: planName,
    status: row.status,
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    price_paid: row.price_paid,
    currency: row.currency,
    auto_renew: row.auto_renew,
    payment_reference: row.payment_reference,
    events_created_this_month: eventsThisMonth,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export const SubscriptionDetailSchema = SubscriptionSchema.extend({ history: z.array(HistorySchema) }).openapi("OrganizerSubscriptionDetail");

export const UsageSchema = z
  .object({
    month: z.string().openapi({ example: "2026-11", description: "The UTC calendar month counted." }),
    events_created: z.number().int(),
    limit: z.number().int().nullable().openapi({ description: "Events allowed this month; null is unlimited." }),
    remaining: z.number().int().nullable(),
    source: z.enum(["PLAN", "FREE_ALLOWANCE", "ADMIN"]).openapi({ description: "What the limit comes from: the active plan, the free allowance of organizers without one, or no limit for admins." }),
  })
  .openapi("OrganizerPlanUsage");

export const MySubscriptionSchema = z
  .object({
    subscription: SubscriptionSchema.nullable().openapi({ description: "The active subscription; else the latest suspended or pending one; else null." }),
    plan: PlanSchema.nullable(),
    usage: UsageSchema,
    history: z.array(HistorySchema).openapi({ description: "Every change of any of the organization's subscriptions, newest first (at most 100)." }),
  })
  .openapi("MyOrganizerSubscription");
