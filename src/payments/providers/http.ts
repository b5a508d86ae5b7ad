import { parseJsonObject } from "./shared.ts";
import { ProviderError, type OnlineProvider } from "./types.ts";

/** A provider that has not answered by then counts as unavailable: the queue retries later. */
const PROVIDER_TIMEOUT_MS = 15_000;

export interface ProviderCall {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (Stripe). */
  form?: URLSearchParams;
  /** Non-2xx statuses the caller interprets itself (MTN's 409 on a reference already used). */
  accept?: readonly number[];
}

export interface ProviderAnswer {
  status: number;
  /** The JSON object answered; null for an empty body (MTN's 202). */
  body: Record<string, unknown> | null;
}

/**
 * One HTTP call to a provider. No answer, a timeout, 5xx, 408 and 429 are
 * transient `ProviderError`s (retrying may succeed); any other 4xx is the
 * provider refusing the request, which a retry will not change.
 */
export async function callProvider(provider: OnlineProvider, call: ProviderCall): Promise<ProviderAnswer> {
  const headers = new Headers({ Accept: "application/json", ...call.headers });
  let body: string | undefined;
  if (call.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(call.json);
  } else if (call.form) {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
    body = call.form.toString();
  }
  const what = `${call.method} ${new URL(call.url).pathname}`;
  let status: number;
  let text: string;
  try {
    const response = await fetch(call.url, { method: call.method, headers, body, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw new ProviderError(provider, true, `${what}: no answer (${error instanceof Error ? error.name : "network error"})`);
  }
  if ((status >= 200 && status < 300) || call.accept?.includes(status)) {
    if (!text.trim()) return { status, body: null };
    const parsed = parseJsonObject(text);
    // A 2xx we cannot read is a proxy or an outage page, not the provider's verdict.
    if (!parsed) throw new ProviderError(provider, true, `${what}: unreadable answer (${status})`, status);
    return { status, body: parsed };
  }
  const transient = status >= 500 || status === 408 || status === 429;
  const detail = text.replace(/\s+/g, " ").trim().slice(0, 300);
  throw new ProviderError(provider, transient, `${what} answered ${status}${detail ? `: ${detail}` : ""}`, status);
}

/** `base` without trailing slashes, so configuration may be written either way. */
export const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, "")}${path}`;
