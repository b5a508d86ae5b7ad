import { paymentRoutes } from "./payments/routes.ts";
import { webhookRoutes } from "./payments/webhooks.ts";
import { documentRoutes } from "./documents/routes.ts";
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env.ts";
import { authRoutes } from "./auth/routes.ts";
import { socialRoutes } from "./auth/social-routes.ts";
import { authenticate } from "./auth/middleware.ts";
import { ProblemError, problemResponse, problems } from "./lib/errors.ts";
import { appBodyLimit } from "./lib/body-limit.ts";
import { requestIdFor } from "./lib/request-id.ts";
import { type CommonProblem, createRouter, ProblemSchema, withCommonProblems } from "./lib/openapi.ts";
import { PROBLEM_CODES } from "./problem-codes.ts";
import { renderApiReference } from "./lib/api-reference.ts";
import { indexRoutes } from "./site/index-routes.ts";
import { ALWAYS_OPEN, maintenanceGate } from "./site/maintenance.ts";
import { siteRoutes } from "./site/routes.ts";
import { userRoutes } from "./users/routes.ts";
import { orderRoutes } from "./orders/routes.ts";
import { waitlistRoutes } from "./orders/waitlist-routes.ts";
import { attendeeRoutes } from "./orders/attendee-routes.ts";
import { waitingRoomRoutes } from "./onsale/routes.ts";
import { organizerPlanRoutes } from "./payments/organizer-plans-routes.ts";
import { eventRoutes } from "./events/routes.ts";
import { venueRoutes } from "./events/venues-routes.ts";
import { seatRoutes } from "./events/seat-routes.ts";
import { categoryRoutes } from "./events/categories-routes.ts";
import { staffRoutes } from "./events/staff-routes.ts";
import { shareLinkRoutes } from "./events/shares.ts";
import { accessRoutes } from "./access/routes.ts";
import { transferRoutes } from "./access/transfers-routes.ts";
import { inventoryRoutes } from "./catalog/inventory-routes.ts";
import { gateRoutes } from "./access/gate-routes.ts";
import { policyRoutes } from "./access/policy-routes.ts";
import { catalogRoutes } from "./catalog/routes.ts";
import { passRoutes } from "./passes/routes.ts";
import { backofficeRoutes } from "./backoffice/routes.ts";
import { doorRoutes } from "./backoffice/door-routes.ts";
import { notificationRoutes } from "./notifications/routes.ts";
import { ticketLinkPages, ticketLinkRoutes } from "./access/ticket-links.ts";
import { organizationRoutes } from "./organizations/routes.ts";
import { userGroupRoutes } from "./organizations/user-groups-routes.ts";

export const API_INFO = {
  openapi: "3.1.0",
  info: {
    // The product's name, as in README.md.
    title: "Edge events platform",
    version: "1.0.0",
    description:
      "Accounts, events, ticketing and gate access control on Cloudflare's edge. Errors are RFC 9457 problem+json whose `code` each operation lists per status; lists use cursor pagination (`limit`, `cursor` → `next_cursor`). Every request body is limited to 64 KiB whatever its Content-Type (413 `payload_too_large`), except on the upload routes, which state their own limit; a JSON route sent another Content-Type answers 415 `unsupported_media_type`. Responses carry `Cache-Control: no-store` unless a route states its own caching.",
  },
  servers: [{ url: "/" }],
};

/** The v1 API: one router per domain, mounted under /v1. */
function v1() {
  const api = createRouter();
  api.route("/", indexRoutes(API_INFO.info));
  api.route("/", siteRoutes());
  api.route("/auth", authRoutes());
  api.route("/", userRoutes());
  api.route("/", orderRoutes());
  api.route("/", waitlistRoutes());
  api.route("/", attendeeRoutes());
  api.route("/", waitingRoomRoutes());
  api.route("/", gateRoutes());
  api.route("/", policyRoutes());
  api.route("/", socialRoutes());
  api.route("/", organizerPlanRoutes());
  api.route("/", organizationRoutes());
  api.route("/", userGroupRoutes());
  api.route("/", eventRoutes());
  api.route("/", seatRoutes());
  api.route("/", venueRoutes());
  api.route("/", categoryRoutes());
  api.route("/", staffRoutes());
  api.route("/", accessRoutes());
  api.route("/", transferRoutes());
  api.route("/", inventoryRoutes());
  api.route("/", catalogRoutes());
  api.route("/", passRoutes());
  api.route("/", paymentRoutes());
  api.route("/", webhookRoutes());
  api.route("/", backofficeRoutes());
  api.route("/", doorRoutes());
  api.route("/", documentRoutes());
  api.route("/", notificationRoutes());
  api.route("/", ticketLinkRoutes());
  return api;
}

const inV1 = (path: string) => path === "/v1" || path.startsWith("/v1/");
type Operation = Parameters<CommonProblem["applies"]>[0];
const hasJsonBody = (operation: Operation) => Boolean(operation.requestBody?.content?.["application/json"]);

/**
 * Codes the app's middleware (below) can answer on an operation, whatever its
 * handler does; the document adds them to the codes each route declares.
 */
const COMMON_PROBLEMS: readonly CommonProblem[] = [
  // authenticate: a bad token is a 401 on any route, public ones included.
  { code: "invalid_authorization_header", applies: (_, path) => inV1(path) },
  { code: "invalid_token", applies: (_, path) => inV1(path) },
  { code: "session_revoked", applies: (_, path) => inV1(path) },
  { code: "unauthorized", applies: (operation) => Boolean(operation.security?.length) },
  { code: "maintenance", applies: (_, path) => inV1(path) && !ALWAYS_OPEN.has(path) },
  // Hono's JSON reader (a body that is not JSON, or not sent as JSON), and the body limit on every body (appBodyLimit).
  { code: "malformed_request", applies: hasJsonBody },
  { code: "unsupported_media_type", applies: hasJsonBody },
  { code: "payload_too_large", applies: (operation) => Boolean(operation.requestBody) },
  // zod validation of parameters, query and body.
  { code: "validation_failed", applies: (operation) => Boolean(operation.parameters?.length || operation.requestBody) },
];

/** The OpenAPI document of `app`: its routes, every code each can answer, and `security: []` on public operations. */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  const document = withCommonProblems(app.getOpenAPI31Document(API_INFO), PROBLEM_CODES, COMMON_PROBLEMS);
  // Every code, its status(es) and meaning, for clients and for `npm run openapi:check`.
  Object.assign(document, { "x-problem-codes": PROBLEM_CODES });
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations as Record<string, Operation>)) operation.security ??= [];
  }
  return document;
}

/**
 * Hono's own validators throw HTTPExceptions (malformed JSON, a body that is
 * not the declared media type): each becomes the documented problem.
 */
function fromHttpException(error: HTTPException): ProblemError {
  if (error.status === 400) return new ProblemError(400, "malformed_request", "Bad request", error.message);
  if (error.status === 413) return problems.payloadTooLarge(error.message);
  if (error.status === 415) return problems.unsupportedMediaType("Send the body with Content-Type application/json.");
  return new ProblemError(error.status as 400, "http_error", "Request refused", error.message);
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();

  // A request id on every response: the caller's if it is sane, else a new one.
  app.use("*", async (c, next) => {
    const requestId = requestIdFor(c.req.header("X-Request-Id"));
    c.set("requestId", requestId);
    await next();
    // On the response's own headers, as secureHeaders (inside) sets its own: c.header() here would copy the whole response.
    c.res.headers.set("X-Request-Id", requestId);
  });

  app.use(
    "*",
    secureHeaders({
      strictTransportSecurity: "max-age=63072000; includeSubDomains",
      xFrameOptions: "DENY",
      referrerPolicy: "no-referrer",
      crossOriginResourcePolicy: "same-site",
    }),
  );

  // The allowed origins come from the environment: the middleware is built once per list, not per request.
  const corsFor = new Map<string, MiddlewareHandler<AppEnv>>();
  app.use("/v1/*", (c, next) => {
    let handler = corsFor.get(c.env.APP_ORIGINS);
    if (!handler) {
      const origins = new Set(c.env.APP_ORIGINS.split(",").map((o) => o.trim()));
      handler = cors({
        origin: (origin) => (origins.has(origin) ? origin : null),
        allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        // Queue-Ticket and X-Device-Id: the on-sale waiting room (src/onsale/waiting-room.ts).
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id", "Queue-Ticket", "X-Device-Id"],
        exposeHeaders: ["X-Request-Id", "Retry-After", "Location", "ETag", "Age"],
        maxAge: 600,
      });
      corsFor.set(c.env.APP_ORIGINS, handler);
    }
    return handler(c, next);
  });

  // API answers are personal (tokens, accounts, tickets, QR codes) unless a route says otherwise: no cache keeps them.
  app.use("/v1/*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  // One limit for every body, whatever its Content-Type; only upload routes declare a larger one of their own.
  app.use("/v1/*", appBodyLimit);

  app.use("/v1/*", authenticate);
  // After authenticate: admins pass a maintenance block, everyone else gets 503.
  app.use("/v1/*", maintenanceGate);

  app.route("/v1", v1());

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Access token from /v1/auth/login or /v1/auth/refresh (EdDSA, 15 minutes).",
  });
  app.openAPIRegistry.register("Problem", ProblemSchema);
  // Built once per isolate: the routes do not change while it runs.
  let document: ReturnType<typeof openApiDocument> | undefined;
  const documentOnce = () => (document ??= openApiDocument(app));
  app.get("/openapi.json", (c) => c.json(documentOnce()));
  let reference: string | undefined;
  app.get("/docs", (c) => c.html((reference ??= renderApiReference(documentOnce(), PROBLEM_CODES))));
  // Share links are short and outside /v1: they are what people click. `/` is the dashboard (static assets, wrangler.toml [assets]).
  app.route("/", shareLinkRoutes());
  // A guest's tickets, from the link in their email: a page, like share links.
  app.route("/", ticketLinkPages());

  app.notFound((c) => problemResponse(c, problems.notFound("Route")));
  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(c, error);
    if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
    console.error("unhandled error", c.get("requestId"), error);
    return problemResponse(c, new ProblemError(500, "internal_error", "Internal server error", "Something went wrong on our side."));
  });

  return app;
}
