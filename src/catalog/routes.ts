import { createRouter } from "../lib/openapi.ts";
import { configRoutes } from "./configurations-routes.ts";
import { passPlanRoutes } from "./pass-plans-routes.ts";
import { presaleCodeRoutes } from "./presale-codes-routes.ts";
import { pricingRuleRoutes } from "./pricing-rules-routes.ts";
import { templateRoutes } from "./templates-routes.ts";
import { ticketTypeRoutes } from "./ticket-types-routes.ts";

/** The catalog's API, each job's routes beside its schemas (src/catalog/<job>-routes.ts, <job>-schemas.ts). */
export function catalogRoutes() {
  const r = createRouter();
  r.route("/", ticketTypeRoutes());
  r.route("/", configRoutes());
  r.route("/", pricingRuleRoutes());
  r.route("/", presaleCodeRoutes());
  r.route("/", passPlanRoutes());
  r.route("/", templateRoutes());
  return r;
}
