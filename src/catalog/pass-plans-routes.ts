import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { actorOf } from "../site/audit.ts";
import { PlanCreateBody, PlanEventsBody, PlanGroupsBody, planIdParam, PlanListQuery, PlanSchema, PlanUpdateBody, PlanZonesBody, toPlan } from "./pass-plans-schemas.ts";
import { createPlan, deletePlan, listPlans, readPlan, replacePlanEvents, replacePlanGroups, replacePlanZones, updatePlan } from "./pass-plans.ts";
import { noContent, owned } from "./schemas.ts";

const planTags = ["Season-pass plans"];
type PlanView = Awaited<ReturnType<typeof readPlan>>;
const planOut = (view: PlanView) => toPlan(view.plan, view.links);

/** Season-pass plans. */
export function passPlanRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscription-plans",
      operationId: "createPassPlan",
      tags: planTags,
      security: bearerAuth,
      middleware: [memberWith("catalog.manage")] as const,
      summary: "Create a season-pass plan",
      description: "In an organization where the caller has `catalog.manage` (`organization_id`, default: the only one; admins: any, or none for a platform plan). Price in minor units of `currency`; benefits, restrictions and metadata as in the catalog. Link event groups, events and zone categories with the PUT routes. Audited.",
      request: { body: jsonBody(PlanCreateBody) },
      responses: { 201: jsonResponse(PlanSchema, "The plan."), ...errors("code_taken", "forbidden", "no_organization") },
    }),
    async (c) => c.json(planOut(await createPlan(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscription-plans",
      operationId: "listPassPlans",
      tags: planTags,
      security: [{}, ...bearerAuth],
      summary: "Season-pass plans on sale",
      description: "Public: active plans inside their sales window, by price, with their event groups, events and zone categories. `mine=true`: my organizations' plans in every state (`organization_id` for one); admins: `all=true`.",
      request: { query: PlanListQuery },
      responses: { 200: jsonResponse(pageSchema(PlanSchema), "One page."), ...errors("forbidden") },
    }),
    async (c) => {
      const page = await listPlans(c.env, c.get("auth"), c.req.valid("query"));
      return c.json({ data: page.data.map(planOut), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscription-plans/{plan_id}",
      operationId: "getPassPlan",
      tags: planTags,
      security: [{}, ...bearerAuth],
      summary: "One season-pass plan",
      description: "Public while on sale; otherwise only for its organization's members and admins.",
      request: { params: planIdParam },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...errors("not_found") },
    }),
    async (c) => c.json(planOut(await readPlan(c.env, c.get("auth"), c.req.valid("param").plan_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/subscription-plans/{plan_id}",
      operationId: "updatePassPlan",
      tags: planTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a season-pass plan",
      description: `${owned} \`max_subscribers\` never goes below the current subscribers (409). Audited; a concurrent change is 409.`,
      request: { params: planIdParam, body: jsonBody(PlanUpdateBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...errors("below_current_subscribers", "code_taken", "concurrent_change", "currency_in_use", "forbidden", "not_found") },
    }),
    async (c) => c.json(planOut(await updatePlan(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/subscription-plans/{plan_id}",
      operationId: "deletePassPlan",
      tags: planTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete a plan no pass was sold on",
      description: "Needs `catalog.manage`. A plan with any subscription is 409 `plan_in_use`: deactivate it instead. Its links go with it. Audited.",
      request: { params: planIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "plan_in_use") },
    }),
    async (c) => {
      await deletePlan(c.env, actorOf(c), c.req.valid("param").plan_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/subscription-plans/{plan_id}/event-groups",
      operationId: "setPassPlanEventGroups",
      tags: planTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Replace the event groups (seasons) a plan covers",
      description: "Needs `catalog.manage`. The whole list: the plan organization's active groups (admins: any), each with its access level, match types and excluded events (events of that group). Audited as one change.",
      request: { params: planIdParam, body: jsonBody(PlanGroupsBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(planOut(await replacePlanGroups(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json").event_groups)), 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/subscription-plans/{plan_id}/events",
      operationId: "setPassPlanEvents",
      tags: planTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Replace the single events a plan includes",
      description: "Needs `catalog.manage`. The whole list: the plan organization's events (admins: any), each with its access level and booking rule. Audited as one change.",
      request: { params: planIdParam, body: jsonBody(PlanEventsBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(planOut(await replacePlanEvents(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json").events)), 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/subscription-plans/{plan_id}/zones",
      operationId: "setPassPlanZones",
      tags: planTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Replace the zone categories a plan opens",
      description: "Needs `catalog.manage`. The whole list: each category once, at most one primary; upgrade fees in minor units of the plan's currency. Audited as one change.",
      request: { params: planIdParam, body: jsonBody(PlanZonesBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...errors("currency_in_use", "forbidden", "not_found") },
    }),
    async (c) => c.json(planOut(await replacePlanZones(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json").zones)), 200),
  );

  return r;
}
