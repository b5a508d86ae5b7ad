import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { problems, zodFieldErrors } from "./errors.ts";

/**
 * Every domain router is an OpenAPIHono built here, so that request validation
 * failures become one problem+json shape with field paths everywhere.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        const prefix = target === "json" || target === "form" ? undefined : target;
        throw problems.validation(zodFieldErrors(result.error, prefix));
      }
    },
  });
}

/** RFC 9457 body, documented once and referenced by every error response. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ description: "A URI naming the problem; its last segment is `code`.", example: "https://errors.edge-events.dev/sold_out" }),
    title: z.string().openapi({ description: "A short summary of the kind of problem.", example: "Conflict" }),
    status: z.number().int().openapi({ description: "The HTTP status.", example: 409 }),
    code: z.string().openapi({ description: "The stable machine-readable code; each operation lists the codes it can answer per status.", example: "sold_out" }),
    detail: z.string().optional().openapi({ description: "What happened here, for people.", example: "Only 3 left." }),
    instance: z.string().openapi({ description: "The request's path.", example: "/v1/events/5eed0007-0000-4000-8000-000000000001/orders" }),
    request_id: z.string().openapi({ description: "The request's id (also the X-Request-Id header), for support." }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string() }))
      .optional()
      .openapi({ description: "validation_failed: one entry per invalid field, with its dotted path (`items.0.quantity`, `query.limit`)." }),
  })
  .openapi("Problem");

/** What a problem `code` means and the HTTP status(es) it comes with: one entry of a catalog of codes. */
export interface ProblemCodeInfo {
  status: number | readonly number[];
  description: string;
  /** A fault any route can answer (500 and the like): documented once, not per operation. */
  everywhere?: true;
}
export type ProblemCatalog = Record<string, ProblemCodeInfo>;

const STATUS_TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  410: "Gone",
  413: "Payload too large",
  415: "Unsupported media type",
  422: "Unprocessable content",
  423: "Locked",
  426: "Upgrade required",
  429: "Too many requests",
  500: "Internal server error",
  502: "Bad gateway",
  503: "Service unavailable",
};

/** The codes documented on one problem response (the `enum` of its `code`), as problemResponse writes them. */
export const PROBLEM_CODES_KEY = "x-problem-codes";

type ProblemResponseObject = {
  description: string;
  content: { "application/problem+json": { schema: Record<string, unknown> } };
  [PROBLEM_CODES_KEY]: string[];
};

/** One documented error status: its codes and what each means, and the Problem schema with `code` limited to them. */
export function problemResponse(catalog: ProblemCatalog, status: number, codes: readonly string[]): ProblemResponseObject {
  const sorted = [...new Set(codes)].sort();
  return {
    description: `${STATUS_TITLES[status] ?? `HTTP ${status}`}; \`code\` is one of:\n\n${sorted.map((code) => `- \`${code}\`: ${catalog[code]?.description ?? ""}`).join("\n")}`,
    content: {
      "application/problem+json": {
        schema: { allOf: [{ $ref: "#/components/schemas/Problem" }, { type: "object", properties: { code: { type: "string", enum: sorted } } }] },
      },
    },
    [PROBLEM_CODES_KEY]: sorted,
  };
}

/** The error responses for `codes`, grouped by the status(es) the catalog gives each. */
export function problemResponses(catalog: ProblemCatalog, codes: readonly string[]): Record<number, ProblemResponseObject> {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const info = catalog[code];
    if (!info) throw new Error(`problem code ${code} is not in the catalog`);
    for (const status of typeof info.status === "number" ? [info.status] : info.status) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, problemResponse(catalog, status, list)]));
}

type OpenApiOperation = {
  operationId?: string;
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, unknown>;
};
type OpenApiDocument = { paths?: Record<string, Record<string, OpenApiOperation>> };

/** A code every operation matching `applies` can answer, whatever its handler does (the app's middleware). */
export interface CommonProblem {
  code: string;
  applies: (operation: OpenApiOperation, path: string) => boolean;
}

/**
 * Adds the codes of `common` to each operation they apply to, beside the
 * codes its route declared: the document then lists every code an operation
 * can answer, per status.
 */
export function withCommonProblems<T extends object>(document: T, catalog: ProblemCatalog, common: readonly CommonProblem[]): T {
  const doc = document as OpenApiDocument;
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const added = common.filter((rule) => rule.applies(operation, path)).map((rule) => rule.code);
      if (!added.length) continue;
      const responses = (operation.responses ??= {});
      for (const [status, response] of Object.entries(problemResponses(catalog, added))) {
        const existing = (responses[status] as Partial<ProblemResponseObject> | undefined)?.[PROBLEM_CODES_KEY] ?? [];
        responses[status] = problemResponse(catalog, Number(status), [...existing, ...response[PROBLEM_CODES_KEY]]);
      }
    }
  }
  return document;
}

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const bearerAuth = [{ bearerAuth: [] }];
