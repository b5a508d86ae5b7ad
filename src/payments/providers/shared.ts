import { toHex } from "../../lib/crypto/encoding.ts";
import { hmacSha256, timingSafeEqual } from "../../lib/crypto/hash.ts";
import { CURRENCIES, parseDecimal, type Currency } from "../../lib/money.ts";
import {
  ProviderError,
  type ChargeRequest,
  type ParsedWebhook,
  type PaymentProvider,
  type ProvidersConfig,
  type WebhookRejection,
} from "./types.ts";

// Readers for provider JSON: what a provider sends is data to check, never a type to trust.

export const asRecord = (value: unknown): Record<string, unknown> | null =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

export const asString = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** An integer amount sent as a number or as a string of digits ("5000"). */
export function asInteger(value: unknown): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return null;
}

/** A string or a number id (FedaPay's are numbers) as text. */
export const asId = (value: unknown): string | null =>
  typeof value === "number" && Number.isSafeInteger(value) ? String(value) : asString(value);

/** A decimal amount as a provider writes it ("5000", "5000.00") in our minor units; null when it is not one. */
export function decimalAmount(text: unknown, currency: unknown): number | null {
  if (typeof text !== "string" || typeof currency !== "string" || !(currency in CURRENCIES)) return null;
  try {
    // Trailing zeros after the point carry no value, but parseDecimal refuses more decimals than the currency has.
    return parseDecimal(text.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, ""), currency as Currency);
  } catch {
    return null;
  }
}

/** The body of a webhook as a JSON object, or null when it is not one. */
export function parseJsonObject(body: string): Record<string, unknown> | null {
  try {
    return asRecord(JSON.parse(body));
  } catch {
    return null;
  }
}

/** parseWebhook never throws: anything unexpected while reading a request makes it malformed. */
export async function neverThrows(parse: () => Promise<ParsedWebhook>): Promise<ParsedWebhook> {
  try {
    return await parse();
  } catch {
    return { ok: false, reason: "malformed" };
  }
}

/** Seconds a signed webhook's timestamp may differ from our clock, either way (300 when unset or invalid). */
export function webhookTolerance(config: Pick<ProvidersConfig, "WEBHOOK_TOLERANCE_SECONDS">): number {
  const seconds = Number(config.WEBHOOK_TOLERANCE_SECONDS);
  return Number.isInteger(seconds) && seconds > 0 ? seconds : 300;
}

/**
 * The `t=<unix seconds>,<scheme>=<hex HMAC-SHA256(secret, "t.body")>` header
 * of Stripe (scheme v1) and FedaPay (scheme s). Several signatures may be
 * present (secret rotation): any match verifies. The signature is checked
 * over the raw body first, then the timestamp in both directions, so a
 * replayed or pre-dated request is refused even with a valid signature.
 */
export async function verifyTimestampedSignature(input: {
  header: string | null;
  scheme: string;
  secret: string;
  body: string;
  now: number;
  toleranceSeconds: number;
}): Promise<WebhookRejection | null> {
  if (!input.header) return "missing_signature";
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of input.header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === input.scheme && value) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0 || !input.secret) return "bad_signature";
  const expected = toHex(await hmacSha256(input.secret, `${timestamp}.${input.body}`));
  // Compare with every candidate, so the time taken does not tell which one matched.
  const matched = signatures.map((signature) => timingSafeEqual(signature, expected)).includes(true);
  if (!matched) return "bad_signature";
  const age = input.now / 1000 - timestamp;
  if (age > input.toleranceSeconds) return "stale_timestamp";
  if (age < -input.toleranceSeconds) return "future_timestamp";
  return null;
}

/** Refuses before any HTTP call what this provider cannot take: a retry would not change the answer. */
export function assertChargeable(provider: PaymentProvider, request: ChargeRequest): void {
  if (!provider.methods.includes(request.method)) {
    throw new ProviderError(provider.name, false, `does not take ${request.method}`);
  }
  if (!provider.currencies.includes(request.currency)) {
    throw new ProviderError(provider.name, false, `does not take ${request.currency}`);
  }
  if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
    throw new ProviderError(provider.name, false, `invalid amount ${request.amount}`);
  }
}

/** "Awa Koffi Mensah" → first "Awa", last "Koffi Mensah". */
export function nameParts(fullName: string | null): { first: string | null; last: string | null } {
  const words = (fullName ?? "").trim().split(/\s+/).filter(Boolean);
  return { first: words[0] ?? null, last: words.length > 1 ? words.slice(1).join(" ") : null };
}

/** The national part of an E.164 number of that country ("+2290196123456", "229" → "0196123456"). */
export function nationalNumber(e164: string | null, countryCode: string): string | null {
  return e164?.startsWith(`+${countryCode}`) ? e164.slice(countryCode.length + 1) : null;
}
