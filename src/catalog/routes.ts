import { createRoute } from "@hono/zod-openapi";
import { organizerOnly } from "../auth/middleware.ts";
import { getDb } from "../db/client.ts";
import { eventIdParam } from "../events/schemas.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse, pick } from "../lib/openapi.ts";
import { pageSchema } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { actorOf } from "../site/audit.ts";
import {
  ConfigCreateBody,
  ConfigDeletedSchema,
  ConfigListQuery,
  configParams,
  ConfigSchema,
  ConfigUpdateBody,
  PlanCreateBody,
  PlanEventsBody,
  PlanGroupsBody,
  planIdParam,
  PlanListQuery,
  PlanSchema,
  PlanUpdateBody,
  PlanZonesBody,
  QuoteBody,
  QuoteSchema,
  RuleCreateBody,
  ruleIdParam,
  RuleListQuery,
  RuleSchema,
  RuleUpdateBody,
  TemplateCreateBody,
  templateIdParam,
  TemplateListQuery,
  TemplateSchema,
  TemplateUpdateBody,
  TicketTypeCreateBody,
  ticketTypeIdParam,
  TicketTypeListQuery,
  TicketTypeSchema,
  TicketTypeUpdateBody,
  TicketTypeZonesBody,
  toConfig,
  toPlan,
  toRule,
  toTemplate,
  toTicketType,
} from "./schemas.ts";
import { createConfig, deleteConfig, listConfigs, readConfig, updateConfig } from "./configurations.ts";
import { createPlan, deletePlan, listPlans, readPlan, replacePlanEvents, replacePlanGroups, replacePlanZones, updatePlan } from "./pass-plans.ts";
import { createRule, deleteRule, listRules, quote, readRule, updateRule } from "./pricing-rules.ts";
import { createTemplate, deleteTemplate, listTemplates, readTemplate, updateTemplate } from "./templates.ts";
import { createTicketType, deleteTicketType, listTicketTypes, readableTicketType, replaceTicketTypeZones, ticketTypeWithZones, updateTicketType } from "./ticket-types.ts";

const typeTags = ["Ticket types"];
const configTags = ["Ticket configurations"];
const ruleTags = ["Pricing rules"];
const planTags = ["Season-pass plans"];
const templateTags = ["Ticket templates"];
const noContent = { description: "Deleted." };
const owned = "Organizers manage their own; admins manage all. Another organizer's object is 404.";

type TypeView = Awaited<ReturnType<typeof ticketTypeWithZones>>;
const typeOut = (view: TypeView) => toTicketType(view.type, view.zones);
type PlanView = Awaited<ReturnType<typeof readPlan>>;
const planOut = (view: PlanView) => toPlan(view.plan, view.links);

export function catalogRoutes() {
  const r = createRouter();

  // ------------------------------------------------------------ ticket types

  r.openapi(
    createRoute({
      method: "post",
      path: "/ticket-types",
      tags: typeTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Create a ticket type",
      description:
        "A reusable kind of ticket (TRIBUNE, VIP_MATCH). Prices in minor units of `currency`, min ≤ base ≤ max. Admins may leave it platform-wide (`organizer_id` null, the default for them) or give it to an organizer. Audited.",
      request: { body: jsonBody(TicketTypeCreateBody) },
      responses: { 201: jsonResponse(TicketTypeSchema, "The ticket type."), ...pick(400, 401, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(typeOut(await createTicketType(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-types",
      tags: typeTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "List ticket types",
      description: "Mine and the platform-wide ones (admins: all), by display order, with their zone categories.",
      request: { query: TicketTypeListQuery },
      responses: { 200: jsonResponse(pageSchema(TicketTypeSchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const page = await listTicketTypes(c.env, actorOf(c), c.req.valid("query"));
      return c.json({ data: page.data.map(typeOut), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-types/{ticket_type_id}",
      tags: typeTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "One ticket type",
      request: { params: ticketTypeIdParam },
      responses: { 200: jsonResponse(TicketTypeSchema, "The ticket type."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => {
      const db = getDb(c.env.DB);
      const type = await readableTicketType(db, actorOf(c), c.req.valid("param").ticket_type_id);
      return c.json(typeOut(await ticketTypeWithZones(db, type)), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/ticket-types/{ticket_type_id}",
      tags: typeTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Change a ticket type",
      description: `${owned} Platform-wide types are admins' (403 for organizers). Changes reach the inventory of every event still selling the type. Audited; a concurrent change is 409.`,
      request: { params: ticketTypeIdParam, body: jsonBody(TicketTypeUpdateBody) },
      responses: { 200: jsonResponse(TicketTypeSchema, "The ticket type."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(typeOut(await updateTicketType(c.env, actorOf(c), c.req.valid("param").ticket_type_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/ticket-types/{ticket_type_id}",
      tags: typeTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Delete a ticket type no event sells",
      description: "A type used by any event's configuration is 409 `ticket_type_in_use`: deactivate it instead. Audited.",
      request: { params: ticketTypeIdParam },
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      await deleteTicketType(c.env, actorOf(c), c.req.valid("param").ticket_type_id);
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/ticket-types/{ticket_type_id}/zones",
      tags: typeTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Replace the zone categories a ticket type opens",
      description: "The whole list: each category once, at most one primary. Audited as one change.",
      request: { params: ticketTypeIdParam, body: jsonBody(TicketTypeZonesBody) },
      responses: { 200: jsonResponse(TicketTypeSchema, "The ticket type with its zones."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(typeOut(await replaceTicketTypeZones(c.env, actorOf(c), c.req.valid("param").ticket_type_id, c.req.valid("json").zones)), 200),
  );

  // ------------------------------------------------------------ event ticket configurations

  r.openapi(
    createRoute({
      method: "post",
      path: "/events/{event_id}/ticket-configs",
      tags: configTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Put a ticket type on sale for an event",
      description:
        "For the event's organizer (or an admin). The currency is the event's; the sales window, early-bird end and member-only period lie within the event's dates; price tiers number units 0..quantity_total−1; zone mapping names zones of the event's venue. The event's inventory receives it at once. Audited.",
      request: { params: eventIdParam, body: jsonBody(ConfigCreateBody) },
      responses: { 201: jsonResponse(ConfigSchema, "The configuration, with its live counts."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      const view = await createConfig(c.env, actorOf(c), event_id, c.req.valid("json"));
      c.header("Location", `/v1/events/${event_id}/ticket-configs/${view.config.id}`);
      return c.json(toConfig(view.config, view.type, true, view.counts), 201);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/ticket-configs",
      tags: configTags,
      security: [{}, ...bearerAuth],
      summary: "What an event sells",
      description:
        "Public for published events: active configurations by price, with their sales window and price tiers. The event's organizer and admins also see inactive ones, quantities (sold and held live from the inventory), zone mapping and metadata.",
      request: { params: eventIdParam, query: ConfigListQuery },
      responses: { 200: jsonResponse(pageSchema(ConfigSchema), "One page."), ...pick(401, 404, 422) },
    }),
    async (c) => {
      const page = await listConfigs(c.env, c.get("auth"), c.req.valid("param").event_id, c.req.valid("query"));
      return c.json({ data: page.data.map((row) => toConfig(row.config, row.type, page.managed, row.counts)), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/ticket-configs/{config_id}",
      tags: configTags,
      security: [{}, ...bearerAuth],
      summary: "One ticket configuration of an event",
      description: "As in the list: public fields for everyone on a published event, everything for its organizer and admins.",
      request: { params: configParams },
      responses: { 200: jsonResponse(ConfigSchema, "The configuration."), ...pick(401, 404, 422) },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const view = await readConfig(c.env, c.get("auth"), event_id, config_id);
      return c.json(toConfig(view.config, view.type, view.managed, view.counts), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/events/{event_id}/ticket-configs/{config_id}",
      tags: configTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Change a ticket configuration",
      description:
        "Only the fields sent change, checked with the rest as they would be after the change. The sellable quantity (total − blocked) never goes below the units already held or sold: 409 `quantity_below_sold`, and nothing changes. The event's inventory receives the change at once. Audited; a concurrent change is 409.",
      request: { params: configParams, body: jsonBody(ConfigUpdateBody) },
      responses: { 200: jsonResponse(ConfigSchema, "The configuration."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const view = await updateConfig(c.env, actorOf(c), event_id, config_id, c.req.valid("json"));
      return c.json(toConfig(view.config, view.type, true, view.counts), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/events/{event_id}/ticket-configs/{config_id}",
      tags: configTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Delete a ticket configuration, or take it off sale",
      description:
        "Taken off sale first; then deleted (204) when no unit was ever held or sold, else kept deactivated (200 with the configuration). Audited.",
      request: { params: configParams },
      responses: { 200: jsonResponse(ConfigDeletedSchema, "Units were held or sold: deactivated instead."), 204: noContent, ...pick(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      const { event_id, config_id } = c.req.valid("param");
      const kept = await deleteConfig(c.env, actorOf(c), event_id, config_id);
      if (!kept) return c.body(null, 204);
      return c.json({ deleted: false as const, config: toConfig(kept.config, kept.type, true, kept.counts) }, 200);
    },
  );

  // ------------------------------------------------------------ pricing rules

  r.openapi(
    createRoute({
      method: "post",
      path: "/pricing-rules/quote",
      tags: ruleTags,
      security: [{}, ...bearerAuth],
      summary: "Preview the price of an order",
      description:
        "The price of `quantity` units of a configuration right now: the price tier for the units already sold or held, then the automatic rules and the promo code entered (signed-in buyers: with their memberships and age). Rejections are listed only for the code entered. Per-buyer limits are checked when the order is placed. Requests with a promo code are rate limited per IP.",
      request: { body: jsonBody(QuoteBody) },
      responses: { 200: jsonResponse(QuoteSchema, "The quote."), ...pick(400, 401, 404, 413, 415, 422, 429) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.promo_code) await enforceRateLimit(c.env, "promo-quote-ip", ipKey(clientMeta(c)));
      return c.json(await quote(c.env, c.get("auth"), body), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/pricing-rules",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Create a pricing rule",
      description:
        "Every rule type and discount type of the catalog. `discount_value`: basis points for PERCENTAGE and BUY_X_GET_Y, minor units of `currency` for FIXED_AMOUNT and BUNDLE. Promo codes are stored upper-case and unique (409 `promo_code_taken`). An organizer's rules apply to their events only; admins' platform-wide rules (`organizer_id` null) to every event. Audited.",
      request: { body: jsonBody(RuleCreateBody) },
      responses: { 201: jsonResponse(RuleSchema, "The rule."), ...pick(400, 401, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toRule(await createRule(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/pricing-rules",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "List pricing rules",
      description: "My rules (admins: all, or one organizer's), by code.",
      request: { query: RuleListQuery },
      responses: { 200: jsonResponse(pageSchema(RuleSchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const page = await listRules(c.env, actorOf(c), c.req.valid("query"));
      return c.json({ data: page.data.map(toRule), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/pricing-rules/{rule_id}",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "One pricing rule",
      description: owned,
      request: { params: ruleIdParam },
      responses: { 200: jsonResponse(RuleSchema, "The rule."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => c.json(toRule(await readRule(c.env, actorOf(c), c.req.valid("param").rule_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/pricing-rules/{rule_id}",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Change a pricing rule",
      description: `${owned} Only the fields sent change, checked with the rest. Audited; a concurrent change is 409.`,
      request: { params: ruleIdParam, body: jsonBody(RuleUpdateBody) },
      responses: { 200: jsonResponse(RuleSchema, "The rule."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toRule(await updateRule(c.env, actorOf(c), c.req.valid("param").rule_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/pricing-rules/{rule_id}",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Delete an unused, deactivated pricing rule",
      description: "An active rule is 409 `rule_active` (deactivate it first); a rule any order used is 409 `rule_in_use`. Audited.",
      request: { params: ruleIdParam },
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      await deleteRule(c.env, actorOf(c), c.req.valid("param").rule_id);
      return c.body(null, 204);
    },
  );

  // ------------------------------------------------------------ season-pass plans

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscription-plans",
      tags: planTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Create a season-pass plan",
      description: "Price in minor units of `currency`; benefits, restrictions and metadata as in the catalog. Link event groups, events and zone categories with the PUT routes. Audited.",
      request: { body: jsonBody(PlanCreateBody) },
      responses: { 201: jsonResponse(PlanSchema, "The plan."), ...pick(400, 401, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(planOut(await createPlan(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscription-plans",
      tags: planTags,
      security: [{}, ...bearerAuth],
      summary: "Season-pass plans on sale",
      description: "Public: active plans inside their sales window, by price, with their event groups, events and zone categories. `mine=true`: my plans in every state; admins: `all=true`.",
      request: { query: PlanListQuery },
      responses: { 200: jsonResponse(pageSchema(PlanSchema), "One page."), ...pick(401, 403, 422) },
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
      tags: planTags,
      security: [{}, ...bearerAuth],
      summary: "One season-pass plan",
      description: "Public while on sale; otherwise only for who manages it.",
      request: { params: planIdParam },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...pick(401, 404, 422) },
    }),
    async (c) => c.json(planOut(await readPlan(c.env, c.get("auth"), c.req.valid("param").plan_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/subscription-plans/{plan_id}",
      tags: planTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Change a season-pass plan",
      description: `${owned} \`max_subscribers\` never goes below the current subscribers (409). Audited; a concurrent change is 409.`,
      request: { params: planIdParam, body: jsonBody(PlanUpdateBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(planOut(await updatePlan(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/subscription-plans/{plan_id}",
      tags: planTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Delete a plan no pass was sold on",
      description: "A plan with any subscription is 409 `plan_in_use`: deactivate it instead. Its links go with it. Audited.",
      request: { params: planIdParam },
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
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
      tags: planTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Replace the event groups (seasons) a plan covers",
      description: "The whole list: the plan organizer's active groups (admins: any), each with its access level, match types and excluded events (events of that group). Audited as one change.",
      request: { params: planIdParam, body: jsonBody(PlanGroupsBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(planOut(await replacePlanGroups(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json").event_groups)), 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/subscription-plans/{plan_id}/events",
      tags: planTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Replace the single events a plan includes",
      description: "The whole list: the plan organizer's events (admins: any), each with its access level and booking rule. Audited as one change.",
      request: { params: planIdParam, body: jsonBody(PlanEventsBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(planOut(await replacePlanEvents(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json").events)), 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/subscription-plans/{plan_id}/zones",
      tags: planTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Replace the zone categories a plan opens",
      description: "The whole list: each category once, at most one primary; upgrade fees in minor units of the plan's currency. Audited as one change.",
      request: { params: planIdParam, body: jsonBody(PlanZonesBody) },
      responses: { 200: jsonResponse(PlanSchema, "The plan."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(planOut(await replacePlanZones(c.env, actorOf(c), c.req.valid("param").plan_id, c.req.valid("json").zones)), 200),
  );

  // ------------------------------------------------------------ ticket templates

  r.openapi(
    createRoute({
      method: "post",
      path: "/ticket-templates",
      tags: templateTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Create a ticket template",
      description:
        "Layout of printed and electronic tickets, season cards and VIP passes. Admins' templates are the platform's; `is_default` (admins only) makes it the default of its type and format, clearing the previous one in the same batch. Audited.",
      request: { body: jsonBody(TemplateCreateBody) },
      responses: { 201: jsonResponse(TemplateSchema, "The template."), ...pick(400, 401, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toTemplate(await createTemplate(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-templates",
      tags: templateTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "List ticket templates",
      description: "The platform's and mine (admins: all), by code.",
      request: { query: TemplateListQuery },
      responses: { 200: jsonResponse(pageSchema(TemplateSchema), "One page."), ...pick(401, 403, 422) },
    }),
    async (c) => {
      const page = await listTemplates(c.env, actorOf(c), c.req.valid("query"));
      return c.json({ data: page.data.map(toTemplate), next_cursor: page.next_cursor }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/ticket-templates/{template_id}",
      tags: templateTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "One ticket template",
      request: { params: templateIdParam },
      responses: { 200: jsonResponse(TemplateSchema, "The template."), ...pick(401, 403, 404, 422) },
    }),
    async (c) => c.json(toTemplate((await readTemplate(c.env, actorOf(c), c.req.valid("param").template_id)).template), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/ticket-templates/{template_id}",
      tags: templateTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Change a ticket template",
      description: `${owned} The platform's templates are admins' (403 for organizers). Audited; a concurrent change is 409.`,
      request: { params: templateIdParam, body: jsonBody(TemplateUpdateBody) },
      responses: { 200: jsonResponse(TemplateSchema, "The template."), ...pick(400, 401, 403, 404, 409, 413, 415, 422) },
    }),
    async (c) => c.json(toTemplate(await updateTemplate(c.env, actorOf(c), c.req.valid("param").template_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/ticket-templates/{template_id}",
      tags: templateTags,
      security: bearerAuth,
      middleware: [organizerOnly] as const,
      summary: "Delete a ticket template",
      description: `${owned} Audited.`,
      request: { params: templateIdParam },
      responses: { 204: noContent, ...pick(401, 403, 404, 409, 422) },
    }),
    async (c) => {
      await deleteTemplate(c.env, actorOf(c), c.req.valid("param").template_id);
      return c.body(null, 204);
    },
  );

  return r;
}
