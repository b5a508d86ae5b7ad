import type { SUPPRESSION_REASONS } from "../schema.ts";

/**
 * What a provider made of one message:
 * - `sent`: accepted, with the provider's id (`delivered` when it already reached the recipient);
 * - `retry`: not accepted for now (429, 5xx, a timeout): the queue tries again later;
 * - `failed`: refused for good (a retry would be refused the same way);
 * - `bounced`: the address does not work; `suppress` says whether to never use it again.
 */
export type SendResult =
  | { outcome: "sent"; id: string; delivered?: boolean }
  | { outcome: "retry"; error: string; retry_after_seconds?: number }
  | { outcome: "failed"; error: string }
  | { outcome: "bounced"; error: string; suppress: (typeof SUPPRESSION_REASONS)[number] | null };

/** A provider that has not answered by then counts as unavailable: the message is retried. */
export const PROVIDER_TIMEOUT_MS = 10_000;

export interface ProviderReply {
  status: number;
  /** The JSON object answered, or null (empty or not JSON). */
  json: Record<string, unknown> | null;
  /** Seconds from a Retry-After header (delta form), when given. */
  retry_after_seconds: number | undefined;
}

/** One HTTP call; a network failure or a timeout is `null` (the caller retries). Never throws for an HTTP status. */
export async function call(url: string, init: RequestInit): Promise<ProviderReply | null> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch {
    return null;
  }
  const text = await response.text().catch(() => "");
  let json: Record<string, unknown> | null = null;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // not JSON: an outage page or an empty body
  }
  const retryAfter = Number(response.headers.get("Retry-After"));
  return { status: response.status, json, retry_after_seconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined };
}

/** The usual reading of an HTTP status when the body says nothing more precise: 408, 429 and 5xx are worth retrying. */
export function transient(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export const describe = (reply: ProviderReply | null, what: string) =>
  reply ? `${what} answered ${reply.status}${reply.json ? `: ${JSON.stringify(reply.json).slice(0, 300)}` : ""}` : `${what}: no answer`;
