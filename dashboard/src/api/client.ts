/**
 * The one way the dashboard reaches the API: openapi-fetch typed by
 * schema.d.ts, generated from the Worker's own OpenAPI document
 * (`npm run dashboard:api`). `call()` adds the access token, refreshes it once
 * on a 401 and turns every failure into an ApiError holding the API's
 * problem+json, which forms show beside the fields it names.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { accessToken, freshAccessToken, hasSession, refreshSession } from "../auth/tokens.ts";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** Empty: the dashboard's own origin (the Worker); set for a Pages deployment. */
export const API_ORIGIN = ((import.meta.env.VITE_API_ORIGIN as string | undefined) ?? "").replace(/\/+$/, "");

export const api = createClient<paths>({ baseUrl: API_ORIGIN });

api.use({
  onRequest({ request }) {
    const token = accessToken();
    if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
});

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
  }
  /** The API's message for one field (`items.0.quantity`), if it named it. */
  field(path: string): string | undefined {
    return this.problem.errors?.find((error) => error.path === path)?.message;
  }
}

function networkProblem(error: unknown): Problem {
  return {
    type: "about:blank",
    title: "Network error",
    status: 0,
    code: "network_error",
    detail: error instanceof Error ? error.message : String(error),
    instance: "",
    request_id: "",
  };
}

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "code" in value && "status" in value;
}

type Sent<D> = { data?: D; error?: unknown; response: Response };

/**
 * Sends a request (a function, so it can be sent again once the token is
 * refreshed) and returns its data, or throws ApiError.
 */
export async function call<D>(send: () => Promise<Sent<D>>): Promise<D> {
  let result: Sent<D>;
  try {
    if (hasSession()) await freshAccessToken();
    result = await send();
    if (result.response.status === 401 && hasSession() && (await refreshSession())) result = await send();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, networkProblem(error));
  }
  if (result.response.ok) return result.data as D;
  const problem = isProblem(result.error)
    ? result.error
    : { type: "about:blank", title: result.response.statusText || "Error", status: result.response.status, code: "http_error", instance: result.response.url, request_id: result.response.headers.get("X-Request-Id") ?? "" };
  throw new ApiError(result.response.status, problem);
}

/**
 * A file the API answers (a PDF, a CSV, an identity document) as a Blob, with
 * the same token and refresh as `call()`; openapi-fetch reads it as a blob.
 */
export async function download(send: () => Promise<Sent<unknown>>): Promise<Blob> {
  return (await call(send)) as Blob;
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** ws(s):// URL of an API path, on the API's origin. */
export function socketUrl(path: string): string {
  const base = API_ORIGIN || location.origin;
  return base.replace(/^http/, "ws") + path;
}

/** A media path the API answers (`/v1/events/…/cover?v=…`) as a URL on the API's origin. */
export const mediaUrl = (path: string | null | undefined): string | undefined => (path ? (path.startsWith("/") ? API_ORIGIN + path : path) : undefined);
