import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ProvidersConfig } from "../../../src/payments/providers/types.ts";
import type { PaymentStore } from "./store.ts";

/** What the fakes know of the Worker's configuration: the credentials they check and the secrets they sign with. */
export type FakePaymentSecrets = Pick<
  ProvidersConfig,
  | "MTN_MOMO_TARGET_ENVIRONMENT"
  | "MTN_MOMO_SUBSCRIPTION_KEY"
  | "MTN_MOMO_API_USER"
  | "MTN_MOMO_API_KEY"
  | "FEDAPAY_SECRET_KEY"
  | "FEDAPAY_WEBHOOK_SECRET"
  | "KKIAPAY_PUBLIC_KEY"
  | "KKIAPAY_PRIVATE_KEY"
  | "KKIAPAY_SECRET"
  | "KONNECT_API_KEY"
  | "KONNECT_WALLET_ID"
  | "STRIPE_SECRET_KEY"
  | "STRIPE_WEBHOOK_SECRET"
>;

export const PROVIDERS = ["mtn", "fedapay", "kkiapay", "konnect", "stripe"] as const;
export type Provider = (typeof PROVIDERS)[number];
export type Outcome = "PAID" | "FAILED" | "PENDING";
export const OUTCOMES: readonly string[] = ["PAID", "FAILED", "PENDING"];

export interface Refund {
  id: string;
  amount: number;
  status: "succeeded";
  created_at: string;
}

export interface Transaction {
  provider: Provider;
  /** The provider's id: what the adapter keeps as external_reference. */
  reference: string;
  internal_reference: string | null;
  amount: number;
  currency: string;
  status: Outcome;
  description: string;
  created_at: string;
  settled_at: string | null;
  /** Where the provider calls back for this transaction (MTN's X-Callback-Url, Konnect's webhook). */
  callback_url: string | null;
  /** Where the hosted page sends the payer back. */
  return_url: string | null;
  /** The request that created it, as received. */
  request: Record<string, unknown>;
  /** Provider-specific ids (FedaPay's numeric id, Stripe's PaymentIntent, MTN's financialTransactionId). */
  ids: Record<string, string>;
  refunds: Refund[];
  expires_at: string | null;
}

/** A callback as the provider sends it. */
export interface Webhook {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  html?: string;
  redirect?: string;
  headers?: Record<string, string>;
}

/** A request to one provider's API, under its prefix. */
export interface ApiRequest {
  req: IncomingMessage;
  /** The path after the provider's prefix (`/collection/token/`). */
  path: string;
  url: URL;
  /** The body exactly as received. */
  raw: string;
}

/** What a provider's fake is given: the configuration it checks and where it keeps its transactions. */
export interface ProviderContext {
  secrets: FakePaymentSecrets;
  store: PaymentStore;
  /** This server's origin, for hosted payment pages. */
  origin(): string;
  /** Where the provider posts its webhooks, as set in its dashboard (`${webhookBase}/v1/webhooks/…`); null without one. */
  dashboardWebhook(name: string): string | null;
}

/** One provider's fake. */
export interface FakeProvider {
  /** Its API, as the Worker's adapter calls it. */
  api(request: ApiRequest): Reply | Promise<Reply>;
  /** The callback it sends now about this transaction; null when it sends none. */
  webhookFor(tx: Transaction): Webhook | null;
  /** What else changes at this provider when the payer pays or declines. */
  onSettle?(tx: Transaction, outcome: Outcome): void;
}

export class HttpError extends Error {
  status: number;
  body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export const sameSecret = (given: string | undefined | null, expected: string) =>
  typeof given === "string" && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
export const hex = (bytes: number) => randomBytes(bytes).toString("hex");
export const nowIso = () => new Date().toISOString();
export const unixNow = () => Math.floor(Date.now() / 1000);
export const hmacHex = (secret: string, data: string) => createHmac("sha256", secret).update(data, "utf8").digest("hex");
export const json = (value: unknown) => JSON.stringify(value);

export function isAbsoluteUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export const positiveInteger = (value: unknown): number | null => (Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : null);
export const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
export const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

export function parseJson(raw: string): Record<string, unknown> {
  if (!raw.trim()) return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, { error: "expected a JSON object" });
}

export const header = (request: ApiRequest, name: string) => {
  const value = request.req.headers[name];
  return typeof value === "string" ? value : undefined;
};
