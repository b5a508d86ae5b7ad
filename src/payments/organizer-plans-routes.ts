import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAuth } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { chooseOrganization } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { FREE_EVENTS_PER_MONTH } from "./organizer-plan-limits.ts";
import { createPlan, deletePlan, listPlans, updatePlan } from "./organizer-plans.ts";
import { grantSubscription, listSubscriptions, organizationSubscription, requestOrganizerSubscription, subscriptionDetail, transitionSubscription, type SubscriptionView } from "./organizer-subscriptions.ts";
import {
  AdminSubscriptionQuery,
  ChoosePlanBody,
  GrantBody,
  MySubscriptionSchema,
  OptionalCommentBody,
  PlanCreateBody,
  PlanSchema,
  PlanUpdateBody,
  planIdParam,
  SubscriptionDetailSchema,
  SubscriptionSchema,
  subscriptionIdParam,
  toHistory,
  toPlan,
  toSubscription,
  TransitionBody,
} from "./organizer-plans-schemas.ts";

const tags = ["Organizer plans"];
const adminTags = ["Administration"];

const subscriptionOut = (v: SubscriptionView) => toSubscription(v.row, v.planName, v.eventsThisMonth);

export function organizerPlanRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ plans

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizer-plans",
      operationId: "listOrganizerPlans",
      tags,
      summary: "Plans offered to organizers",
      description: `Public: the active plans in display order, each with its features. Organizers without an active plan may create ${FREE_EVENTS_PER_MONTH} events per UTC calendar month; admins are never limited.`,
      responses: { 200: jsonResponse(z.object({ data: z.array(PlanSchema) }), "The plans.") },
    }),
    async (c) => c.json({ data: (await listPlans(c.env, true)).map((p) => toPlan(p.plan, p.features)) }, 200),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/organizer-plans",
      operationId: "listAllOrganizerPlans",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Every organizer plan, inactive ones included",
      responses: { 200: jsonResponse(z.object({ data: z.array(PlanSchema) }), "The plans."), ...errors("forbidden") },
    }),
    async (c) => c.json({ data: (await listPlans(c.env, false)).map((p) => toPlan(p.plan, p.features)) }, 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/organizer-plans",
      operationId: "createOrganizerPlan",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Create an organizer plan",
      description: "Price in minor units of the currency; commission in basis points; features listed in order. Audited.",
      request: { body: jsonBody(PlanCreateBody) },
      responses: { 201: jsonResponse(PlanSchema, "The plan."), ...errors("forbidden") },
    }),
    async (c) => {
      const created = await createPlan(c.env, actorOf(c), c.req.valid("json"));
      return c.json(toPlan(created.plan, created.features), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/admin/organizer-plans/{plan_id}",
      operationId: "updateOrganizerPlan",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Change an organizer plan",
      description:
        "Only the fields sent change; `features`, when sent, replaces the whole list. Existing subscriptions keep their price paid and dates; limits and commission follow the plan. Audited; a concurrent change is 409.",
      request: { params: planIdParam, body: jsonBody(PlanUpdateBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...errors("below_current_subscribers", "code_taken", "concurrent_change", "currency_in_use", "forbidden", "not_found") },
    }),
    async (c) => {
      const updated = await updatePlan(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json"));
      return c.json(toPlan(updated.plan, updated.features), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/admin/organizer-plans/{plan_id}",
      operationId: "deleteOrganizerPlan",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Delete an organizer plan nobody subscribed to",
      description: "A plan any subscription refers to is 409 `plan_in_use`: deactivate it instead. Audited.",
      request: { params: planIdParam },
      responses: { 204: { description: "Deleted." }, ...errors("concurrent_change", "forbidden", "not_found", "plan_in_use") },
    }),
    async (c) => {
      await deletePlan(c.env, actorOf(c), c.req.valid("param").plan_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ subscriptions

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/organizer-subscription",
      operationId: "getMyOrganizerSubscription",
      tags,
      security: bearerAuth,
      summary: "My organization's organizer plan",
      description:
        "Needs `plan.manage` (OWNER, FINANCE) in the organization named by `organization_id` (default: the only one where I have it). The active subscription (else the latest suspended or pending one), its plan and features, this UTC month's event usage and limit (the free allowance without an active plan), and the history of the organization's subscriptions.",
      request: { query: z.object({ organization_id: z.uuid().optional() }) },
      responses: { 200: jsonResponse(MySubscriptionSchema, "The organization's plan."), ...errors("forbidden", "no_organization", "not_found") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const organizationId = (await chooseOrganization(getDb(c.env.DB), auth, c.req.valid("query").organization_id, "plan.manage", { platformWide: false }))!;
      const mine = await organizationSubscription(c.env, organizationId, auth.role);
      return c.json(
        {
          subscription: mine.subscription ? subscriptionOut(mine.subscription) : null,
          plan: mine.plan ? toPlan(mine.plan.plan, mine.plan.features) : null,
          usage: mine.usage,
          history: mine.history.map(toHistory),
        },
        200,
      );
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/me/organizer-subscription",
      operationId: "chooseOrganizerPlan",
      tags,
      security: bearerAuth,
      summary: "Choose a plan (then pay for it)",
      description:
        "Needs `plan.manage` (OWNER, FINANCE) in the organization named by `organization_id` (default: the only one where I have it). Creates a PENDING subscription of the organization to the plan, in my name; pay it with `POST /v1/payments` (target ORGANIZER_PLAN; any member with `plan.manage` may pay it). Once paid it becomes ACTIVE for the plan's period, replacing the current plan. The same plan asked again returns the waiting subscription. Paying for an ACTIVE subscription renews it for one more period.",
      request: { body: jsonBody(ChoosePlanBody) },
      responses: { 201: jsonResponse(SubscriptionSchema, "Waiting for payment."), ...errors("forbidden", "no_organization") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      const { plan_id, auto_renew, organization_id } = c.req.valid("json");
      const organizationId = (await chooseOrganization(getDb(c.env.DB), auth, organization_id, "plan.manage", { platformWide: false }))!;
      return c.json(subscriptionOut(await requestOrganizerSubscription(c.env, auth.userId, organizationId, plan_id, auto_renew)), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/organizer-subscriptions",
      operationId: "listOrganizerSubscriptions",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Organizer subscriptions",
      description: "Newest first; filter by `status`, `organization_id` and `organizer_id` (the account that subscribed).",
      request: { query: AdminSubscriptionQuery },
      responses: { 200: jsonResponse(pageSchema(SubscriptionSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listSubscriptions(c.env, c.req.valid("query"));
      return c.json({ data: page.data.map(subscriptionOut), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/admin/organizer-subscriptions/{subscription_id}",
      operationId: "getOrganizerSubscription",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "One organizer subscription with its history",
      request: { params: subscriptionIdParam },
      responses: { 200: jsonResponse(SubscriptionDetailSchema, "The subscription."), ...errors("forbidden", "not_found") },
    }),
    async (c) => {
      const detail = await subscriptionDetail(c.env, c.req.valid("param").subscription_id);
      return c.json({ ...subscriptionOut(detail), history: detail.history.map(toHistory) }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/admin/organizer-subscriptions",
      operationId: "grantOrganizerPlan",
      tags: adminTags,
      security: bearerAuth,
      middleware: [adminOnly] as const,
      summary: "Give an organization a plan",
      description:
        "Without payment (`price_paid` 0), in the name of the organization's first owner. An organization has at most one ACTIVE subscription: if it is on another plan, that one ends (CANCELLED) and this one starts in the same step, both recorded as PLAN_CHANGE, and this month's event count carries over. Audited.",
      request: { body: jsonBody(GrantBody) },
      responses: { 201: jsonResponse(SubscriptionSchema, "The new subscription."), ...errors("active_subscription_exists", "already_subscribed", "concurrent_change", "forbidden") },
    }),
    async (c) => {
      const row = await grantSubscription(c.env, actorOf(c), c.req.valid("json"));
      const detail = await subscriptionDetail(c.env, row.id);
      return c.json(subscriptionOut(detail), 201);
    },
  );

  const transitions = [
    { kind: "suspend", operationId: "suspendOrganizerSubscription", summary: "Suspend an active subscription", body: TransitionBody, from: "ACTIVE → SUSPENDED; the organization falls back to the free allowance meanwhile." },
    { kind: "reactivate", operationId: "reactivateOrganizerSubscription", summary: "Reactivate a suspended subscription", body: OptionalCommentBody, from: "SUSPENDED → ACTIVE, if it has not ended and the organization has no other active subscription." },
    { kind: "cancel", operationId: "cancelOrganizerSubscription", summary: "Cancel a subscription", body: TransitionBody, from: "ACTIVE, SUSPENDED or PENDING → CANCELLED, ending now; automatic renewal is turned off." },
  ] as const;
  for (const t of transitions) {
    r.openapi(
      createRoute({
        method: "post",
        path: `/admin/organizer-subscriptions/{subscription_id}/${t.kind}`,
        operationId: t.operationId,
        tags: adminTags,
        security: bearerAuth,
        middleware: [adminOnly] as const,
        summary: t.summary,
        description: `${t.from} The comment goes into the subscription's history. Audited; 409 when the status does not allow it.`,
        request: { params: subscriptionIdParam, body: t.kind === "reactivate" ? { ...jsonBody(t.body), required: false } : jsonBody(t.body) },
        responses: { 200: jsonResponse(SubscriptionSchema, "The subscription."), ...errors("active_subscription_exists", "concurrent_change", "forbidden", "invalid_transition", "not_found", "subscription_ended") },
      }),
      async (c) => {
        const id = c.req.valid("param").subscription_id;
        await transitionSubscription(c.env, actorOf(c), id, t.kind, c.req.valid("json").comment);
        return c.json(subscriptionOut(await subscriptionDetail(c.env, id)), 200);
      },
    );
  }

  return r;
}
