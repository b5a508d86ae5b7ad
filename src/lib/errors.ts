import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/** One invalid field of a request, as RFC 9457 extension member `errors`. */
export interface FieldError {
  path: string;
  message: string;
  code: string;
}

/**
 * An error shown to the client as RFC 9457 problem+json. `code` is a stable
 * machine-readable identifier (also the last segment of `type`).
 */
export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export const problems = {
  validation: (errors: FieldError[], detail = "The request is invalid.") =>
    new ProblemError(422, "validation_failed", "Validation failed", detail, errors),
  /** A 422 naming one field: a reference that does not resolve (the default) or a value the rules refuse. */
  invalidField: (path: string, message: string, code = "invalid_reference") => problems.validation([{ path, message, code }]),
  badRequest: (code: string, detail: string) => new ProblemError(400, code, "Bad request", detail),
  unauthorized: (detail = "Authentication is required.", code = "unauthorized") =>
    new ProblemError(401, code, "Unauthorized", detail, undefined, { "WWW-Authenticate": 'Bearer realm="v1"' }),
  forbidden: (detail = "You are not allowed to do this.", code = "forbidden") =>
    new ProblemError(403, code, "Forbidden", detail),
  notFound: (what = "Resource") => new ProblemError(404, "not_found", "Not found", `${what} not found.`),
  conflict: (code: string, detail: string) => new ProblemError(409, code, "Conflict", detail),
  idempotencyKeyReused: () => new ProblemError(422, "idempotency_key_reused", "Idempotency key reused", "This Idempotency-Key was used with a different request."),
  gone: (code: string, detail: string) => new ProblemError(410, code, "Gone", detail),
  payloadTooLarge: (detail: string) => new ProblemError(413, "payload_too_large", "Payload too large", detail),
  unsupportedMediaType: (detail: string) =>
    new ProblemError(415, "unsupported_media_type", "Unsupported media type", detail),
  tooManyRequests: (retryAfterSeconds: number) =>
    new ProblemError(429, "rate_limited", "Too many requests", "Slow down and retry later.", undefined, {
      "Retry-After": String(retryAfterSeconds),
    }),
  unavailable: (detail: string) => new ProblemError(503, "unavailable", "Service unavailable", detail),
};

/** zod issues → field errors with dotted paths (`items.0.quantity`, `body` for the root). */
export function zodFieldErrors(error: ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => {
    const parts = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      // Name each unknown field, so a client sees exactly what to remove.
      return issue.keys.map((key) => ({
        path: [prefix, ...parts, key].filter(Boolean).join("."),
        message: "Unknown field.",
        code: issue.code,
      }));
    }
    return [{ path: [prefix, ...parts].filter(Boolean).join(".") || prefix || "body", message: issue.message, code: issue.code }];
  }).flat();
}

export function problemResponse(c: Context, error: ProblemError): Response {
  const body: Record<string, unknown> = {
    type: `https://errors.edge-events.dev/${error.code}`,
    title: error.title,
    status: error.status,
    code: error.code,
    detail: error.detail,
    instance: c.req.path,
    request_id: c.get("requestId"),
  };
  if (error.errors) body.errors = error.errors;
  const headers = new Headers(error.headers);
  headers.set("Content-Type", "application/problem+json; charset=utf-8");
  return new Response(JSON.stringify(body), { status: error.status, headers });
}
