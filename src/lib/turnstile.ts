import { ProblemError, problems } from "./errors.ts";

/**
 * Cloudflare Turnstile, checked on the server: the widget's token (what the
 * client sends as `turnstile_token`) is redeemed once with Siteverify
 * (`POST {TURNSTILE_BASE_URL}/turnstile/v0/siteverify`, the widget's secret
 * key, the token and the visitor's IP). A token is valid 300 s and once; a
 * refused one is 403 `turnstile_failed`, and a Siteverify that does not answer
 * is 503: the check fails closed, since what it guards (an anonymous hold) is
 * what robots abuse.
 */

export interface TurnstileConfig {
  TURNSTILE_BASE_URL: string;
  TURNSTILE_SECRET_KEY: string;
}

/** The longest token Turnstile issues. */
export const TURNSTILE_TOKEN_MAX = 2048;
const TIMEOUT_MS = 5_000;

interface SiteverifyAnswer {
  success?: unknown;
  "error-codes"?: unknown;
}

export async function verifyTurnstile(config: TurnstileConfig, token: string, remoteIp: string | null): Promise<void> {
  const form = new URLSearchParams({ secret: config.TURNSTILE_SECRET_KEY, response: token });
  if (remoteIp) form.set("remoteip", remoteIp);
  // One key per check: if the request is retried by the network, Siteverify answers it once.
  form.set("idempotency_key", crypto.randomUUID());
  let answer: SiteverifyAnswer;
  try {
    const response = await fetch(new URL("/turnstile/v0/siteverify", config.TURNSTILE_BASE_URL), {
      method: "POST",
      body: form,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`Siteverify answered ${response.status}`);
    answer = (await response.json()) as SiteverifyAnswer;
  } catch (error) {
    console.error("turnstile: Siteverify unreachable", error);
    throw new ProblemError(503, "turnstile_unavailable", "Check unavailable", "The anti-robot check could not be verified; try again in a moment.", undefined, { "Retry-After": "10" });
  }
  if (answer.success === true) return;
  const codes = Array.isArray(answer["error-codes"]) ? answer["error-codes"].map(String) : [];
  // Our own configuration is wrong: the visitor can do nothing about it.
  if (codes.some((code) => code === "missing-input-secret" || code === "invalid-input-secret")) {
    console.error(`turnstile: Siteverify refused our secret (${codes.join(", ")})`);
    throw problems.unavailable("The anti-robot check is misconfigured; try again later.");
  }
  throw problems.forbidden(
    codes.includes("timeout-or-duplicate") ? "The anti-robot check expired or was already used: solve it again." : "The anti-robot check failed: solve it again.",
    "turnstile_failed",
  );
}
