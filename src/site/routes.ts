import { createRouter } from "../lib/openapi.ts";
import { auditRoutes } from "./audit-routes.ts";
import { contactRoutes } from "./contact-routes.ts";
import { faqRoutes } from "./faq-routes.ts";
import { settingsRoutes } from "./settings-routes.ts";
import { statusRoutes } from "./status-routes.ts";

/** The site's API, by job (src/site/<job>-routes.ts). */
export function siteRoutes() {
  const r = createRouter();
  r.route("/", statusRoutes());
  r.route("/", settingsRoutes());
  r.route("/", auditRoutes());
  r.route("/", contactRoutes());
  r.route("/", faqRoutes());
  return r;
}
