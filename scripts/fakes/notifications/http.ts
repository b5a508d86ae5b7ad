import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** An answer of a fake provider: JSON by default, or HTML, or raw bytes. */
export interface Reply {
  status: number;
  body?: unknown;
  html?: string;
  bytes?: { type: string; data: Buffer };
  headers?: Record<string, string>;
}

/** Thrown by a handler: answered as is (the provider's own error shape in `body`). */
export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** What a provider handler gets: the request, its path under the provider's prefix, its raw body. */
export interface Call {
  req: IncomingMessage;
  method: string;
  path: string;
  url: URL;
  raw: string;
}

export const sameSecret = (given: string | undefined | null, expected: string) =>
  typeof given === "string" && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

export function json(raw: string): Record<string, unknown> {
  try {
    const value = JSON.parse(raw || "{}") as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, { error: "expected a JSON object" });
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Failures a test (or the demo page) injects: the next `remaining` calls to a
 * provider answer `status`, only those whose path or body contains `match`
 * when given, so parallel tests do not trip each other.
 */
export interface Failure {
  remaining: number;
  status: number;
  match: string | null;
  code: string | null;
}

export function takeFailure(failures: Failure[], call: Call): Failure | null {
  const index = failures.findIndex((f) => f.remaining > 0 && (!f.match || call.path.includes(f.match) || call.raw.includes(f.match)));
  if (index < 0) return null;
  const failure = failures[index]!;
  failure.remaining -= 1;
  if (failure.remaining === 0) failures.splice(index, 1);
  return failure;
}
