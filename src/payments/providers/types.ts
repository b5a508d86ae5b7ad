import type { Currency } from "../../lib/money.ts";

/**
 * What the payments flow needs from a provider that moves money for us. One
 * adapter per provider (mtn-momo, fedapay, kkiapay, konnect, stripe) speaks
 * that provider's real HTTP protocol against a base URL from configuration:
 * production, the provider's sandbox, or the loopback fake of tests and
 * `npm start`. Amounts are always our minor units (XOF francs, TND millimes);
 * an adapter converts where its provider wants something else.
 */
export const ONLINE_PROVIDERS = ["MTN_MOMO", "FEDAPAY", "KKIAPAY", "KONNECT", "STRIPE"] as const;
export type OnlineProvider = (typeof ONLINE_PROVIDERS)[number];

export type ChargeMethod = "MOMO_MTN" | "MOMO_MOOV" | "CARD";

export interface ChargeRequest {
  payment_id: string;
  /** Ours, unique, shown to the payer and sent as the provider's external id / metadata. */
  internal_reference: string;
  /** A fresh UUID v4 per payment: MTN's X-Reference-Id, other providers' idempotency keys. */
  idempotency_key: string;
  amount: number;
  currency: Currency;
  method: ChargeMethod;
  /** E.164 ("+2290196123456"): required for Mobile Money. */
  payer_phone: string | null;
  payer_email: string | null;
  payer_name: string | null;
  description: string;
  /** Where the provider sends its callback for this payment (our webhook URL). */
  callback_url: string;
  /** Where a hosted payment page sends the payer back. */
  return_url: string;
}

/** What the payer does next. */
export type NextAction =
  | { type: "approve_on_phone"; message: string }
  | { type: "redirect"; url: string }
  /** The provider's client widget collects the payment (KkiaPay): these are its parameters. */
  | { type: "widget"; provider: OnlineProvider; params: Record<string, string | number> };

export interface ChargeStarted {
  /** The provider's id of the transaction; null until the provider reports one (KkiaPay's widget). */
  external_reference: string | null;
  next_action: NextAction;
  provider_response: Record<string, unknown>;
}

/** The provider's own view of a transaction, re-fetched from its API: the only thing a payment is settled on. */
export interface ProviderStatus {
  status: "PENDING" | "PAID" | "FAILED";
  /** In our minor units; null when the provider did not say. */
  amount: number | null;
  currency: string | null;
  /** Our internal reference as the provider reports it (externalId, metadata); null when it does not echo it. */
  internal_reference: string | null;
  external_reference: string;
  /** The operator's own id of the money movement (MTN financialTransactionId), when there is one. */
  operator_transaction_id: string | null;
  fees: number | null;
  /**
   * The provider's fingerprint of the card that paid, the same for every payment with that card
   * (Stripe's `payment_method_details.card.fingerprint`); null where the provider reports none
   * (FedaPay, Konnect and KkiaPay's status APIs give no such id, Mobile Money has no card).
   */
  card_fingerprint: string | null;
  /** Why it failed, in the provider's words (MTN `reason`, FedaPay `status`). */
  reason: string | null;
  raw: Record<string, unknown>;
}

/** An HTTP request as it reached our webhook endpoint: the raw body, never a re-serialisation. */
export interface WebhookInput {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  /** Injected clock, epoch milliseconds: signature timestamps are checked against it. */
  now: number;
  /** The path segment after /v1/webhooks/{provider}/, when the provider calls a per-payment URL (MTN). */
  path_reference: string | null;
}

export type WebhookRejection = "missing_signature" | "bad_signature" | "stale_timestamp" | "future_timestamp" | "malformed";

export type ParsedWebhook =
  | {
      ok: true;
      /** Deduplication key: the provider's event id, or a digest of the body for providers without one. */
      event_id: string;
      event_type: string | null;
      /** True only when a signature or shared secret was checked; unsigned providers (MTN, Konnect) say false. */
      signature_valid: boolean;
      external_reference: string | null;
      internal_reference: string | null;
      /** What the webhook claims; never trusted: the consumer re-fetches the status. */
      claimed_status: "PENDING" | "PAID" | "FAILED" | null;
    }
  | { ok: false; reason: WebhookRejection };

export interface RefundRequest {
  external_reference: string;
  amount: number;
  currency: Currency;
  /** Stable per refund: a retried call must not refund twice. */
  idempotency_key: string;
  reason: string;
}

export interface RefundResult {
  status: "REFUNDED" | "PENDING";
  external_reference: string | null;
  raw: Record<string, unknown>;
}

export interface PaymentProvider {
  readonly name: OnlineProvider;
  readonly methods: readonly ChargeMethod[];
  readonly currencies: readonly Currency[];
  /** Starts the provider's flow. Idempotent on `idempotency_key` at providers that support it. */
  charge(request: ChargeRequest): Promise<ChargeStarted>;
  /** The transaction as the provider sees it now. */
  status(payment: { external_reference: string | null; internal_reference: string; idempotency_key: string }): Promise<ProviderStatus>;
  /** Verifies what can be verified (signature, shared secret, timestamp) and extracts the references. Never throws. */
  parseWebhook(input: WebhookInput): Promise<ParsedWebhook>;
  /** Absent where the provider has no refund API: an admin pays back by hand and records it. */
  refund?(request: RefundRequest): Promise<RefundResult>;
}

/**
 * A provider call that did not give an answer we can act on. `transient`
 * (timeouts, 5xx, 429) is retried by the queue; otherwise the provider refused
 * (4xx) and retrying the same request will not help.
 */
export class ProviderError extends Error {
  constructor(
    readonly provider: OnlineProvider,
    readonly transient: boolean,
    message: string,
    readonly status: number | null = null,
  ) {
    super(`${provider}: ${message}`);
    this.name = "ProviderError";
  }
}

/** Base URLs and credentials of every provider, from the Worker's vars and secrets. */
export interface ProvidersConfig {
  MTN_MOMO_BASE_URL: string;
  MTN_MOMO_TARGET_ENVIRONMENT: string;
  MTN_MOMO_SUBSCRIPTION_KEY: string;
  MTN_MOMO_API_USER: string;
  MTN_MOMO_API_KEY: string;
  FEDAPAY_BASE_URL: string;
  FEDAPAY_SECRET_KEY: string;
  FEDAPAY_WEBHOOK_SECRET: string;
  KKIAPAY_BASE_URL: string;
  KKIAPAY_PUBLIC_KEY: string;
  KKIAPAY_PRIVATE_KEY: string;
  KKIAPAY_SECRET: string;
  KONNECT_BASE_URL: string;
  KONNECT_API_KEY: string;
  KONNECT_WALLET_ID: string;
  STRIPE_BASE_URL: string;
  STRIPE_SECRET_KEY: string;
  STRIPE_WEBHOOK_SECRET: string;
  /** Seconds a signed webhook's timestamp may differ from our clock, either way. */
  WEBHOOK_TOLERANCE_SECONDS: string;
}
