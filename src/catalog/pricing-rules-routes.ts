import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../auth/middleware.ts";
import { memberWith } from "../organizations/permissions.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { pageSchema } from "../lib/pagination.ts";
import { enforceRateLimit } from "../lib/rate-limit.ts";
import { clientMeta, ipKey } from "../lib/request.ts";
import { actorOf } from "../site/audit.ts";
import { QuoteBody, QuoteSchema, RuleCreateBody, ruleIdParam, RuleListQuery, RuleSchema, RuleUpdateBody, toRule } from "./pricing-rules-schemas.ts";
import { createRule, deleteRule, listRules, quote, readRule, updateRule } from "./pricing-rules.ts";
import { noContent, owned } from "./schemas.ts";

const ruleTags = ["Pricing rules"];

/** Pricing rules, promo codes and quotes. */
export function pricingRuleRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "post",
      path: "/pricing-rules/quote",
      operationId: "quotePrice",
      tags: ruleTags,
      security: [{}, ...bearerAuth],
      summary: "Preview the price of an order",
      description:
        "The price of `quantity` units of a configuration right now: the price tier for the units already sold or held, then the automatic rules and the promo code entered (signed-in buyers: with their memberships and age). Rejections are listed only for the code entered. Per-buyer limits are checked when the order is placed. Requests with a promo code count against the per-IP limit `promo-ip`, shared with orders and season passes that carry one (429). 409 `invitation_only` for an event with access type INVITATION (never sold); 409 `booking_not_open` before the ticket type's `advance_booking_days` window opens.",
      request: { body: jsonBody(QuoteBody) },
      responses: { 200: jsonResponse(QuoteSchema, "The quote."), ...errors("not_found", "rate_limited", "booking_not_open", "invitation_only", "zone_share_sold_out") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.promo_code) await enforceRateLimit(c.env, "promo-ip", ipKey(clientMeta(c)));
      return c.json(await quote(c.env, c.get("auth"), body), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/pricing-rules",
      operationId: "createPricingRule",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [memberWith("catalog.manage")] as const,
      summary: "Create a pricing rule",
      description:
        "Every rule type and discount type of the catalog. `discount_value`: basis points for PERCENTAGE and BUY_X_GET_Y, minor units of `currency` for FIXED_AMOUNT and BUNDLE. Promo codes are stored upper-case and unique (409 `promo_code_taken`). In an organization where the caller has `catalog.manage` (`organization_id`, default: the only one); an organization's rules apply to its events and passes only, admins' platform-wide rules (`organization_id` null) to every one. `conditions.required_groups` name user groups (by code) of the rule's organization or the platform's. Audited.",
      request: { body: jsonBody(RuleCreateBody) },
      responses: { 201: jsonResponse(RuleSchema, "The rule."), ...errors("code_taken", "forbidden", "no_organization", "promo_code_taken") },
    }),
    async (c) => c.json(toRule(await createRule(c.env, actorOf(c), c.req.valid("json"))), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/pricing-rules",
      operationId: "listPricingRules",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "List pricing rules",
      description: "The rules of the organizations where I have `catalog.manage` (admins: all; `organization_id` for one), by code.",
      request: { query: RuleListQuery },
      responses: { 200: jsonResponse(pageSchema(RuleSchema), "One page."), ...errors("forbidden") },
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
      operationId: "getPricingRule",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "One pricing rule",
      description: owned,
      request: { params: ruleIdParam },
      responses: { 200: jsonResponse(RuleSchema, "The rule."), ...errors("forbidden", "not_found") },
    }),
    async (c) => c.json(toRule(await readRule(c.env, actorOf(c), c.req.valid("param").rule_id)), 200),
  );

  r.openapi(
    createRoute({
      method: "patch",
      path: "/pricing-rules/{rule_id}",
      operationId: "updatePricingRule",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Change a pricing rule",
      description: `${owned} Only the fields sent change, checked with the rest. Audited; a concurrent change is 409.`,
      request: { params: ruleIdParam, body: jsonBody(RuleUpdateBody) },
      responses: { 200: jsonResponse(RuleSchema, "The rule."), ...errors("concurrent_change", "forbidden", "not_found", "promo_code_taken") },
    }),
    async (c) => c.json(toRule(await updateRule(c.env, actorOf(c), c.req.valid("param").rule_id, c.req.valid("json"))), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/pricing-rules/{rule_id}",
      operationId: "deletePricingRule",
      tags: ruleTags,
      security: bearerAuth,
      middleware: [signedIn] as const,
      summary: "Delete an unused, deactivated pricing rule",
      description: "Needs `catalog.manage`. An active rule is 409 `rule_active` (deactivate it first); a rule any order used is 409 `rule_in_use`. Audited.",
      request: { params: ruleIdParam },
      responses: { 204: noContent, ...errors("concurrent_change", "forbidden", "not_found", "rule_active", "rule_in_use") },
    }),
    async (c) => {
      await deleteRule(c.env, actorOf(c), c.req.valid("param").rule_id);
      return c.body(null, 204);
    },
  );

  return r;
}
