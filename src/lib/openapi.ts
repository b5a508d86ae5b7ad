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

/** RFC 9457 body, documented once and referenced by every route. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string(),
    detail: z.string().optional(),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string() })).optional(),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** Standard error responses to spread into a route's `responses`. */
export const errorResponses = {
  400: problem("Malformed request."),
  401: problem("Missing or invalid credentials."),
  403: problem("Not allowed."),
  404: problem("Not found."),
  409: problem("Conflict with the current state."),
  410: problem("Expired."),
  413: problem("Body too large."),
  415: problem("Unsupported media type."),
  422: problem("Validation failed; `errors` lists each field."),
  426: problem("Upgrade required (a WebSocket endpoint)."),
  429: problem("Rate limited; see Retry-After."),
  502: problem("The payment provider refused the request."),
  503: problem("A provider did not answer; see Retry-After."),
} as const;

export const pick = <K extends keyof typeof errorResponses>(...codes: K[]) =>
  Object.fromEntries(codes.map((code) => [code, errorResponses[code]])) as Pick<typeof errorResponses, K>;

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
