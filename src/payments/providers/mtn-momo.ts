import { sha256Hex } from "../../lib/crypto/hash.ts";
import { formatDecimal } from "../../lib/money.ts";
import { callProvider, joinUrl, type ProviderAnswer } from "./http.ts";
import { asInteger, asRecord, asString, assertChargeable, decimalAmount, neverThrows, parseJsonObject } from "./shared.ts";
import { ProviderError, type PaymentProvider, type ProviderStatus, type ProvidersConfig } from "./types.ts";

/**
 * MTN MoMo Collection API. A request-to-pay is identified by the
 * `X-Reference-Id` WE choose (the payment's idempotency key, a UUID v4), which
 * is also its external reference: a retried request with the same id answers
 * 409 and is the same request. MTN calls the `X-Callback-Url` once (PUT or
 * POST, unsigned, never retried), so the status GET is the truth and the
 * poller's fallback. Collection has no refund API: refunds are paid by hand.
 */

/** A token is renewed this long before MTN says it expires. */
const TOKEN_RENEW_MARGIN_MS = 60_000;

// Per isolate, by credentials: the resolved token only (a promise shared
// across requests would tie one request's I/O to another's).
const tokens = new Map<string, { value: string; expiresAt: number }>();

const STATUS: Record<string, ProviderStatus["status"]> = {
  SUCCESSFUL: "PAID",
  PENDING: "PENDING",
  ONGOING: "PENDING",
  FAILED: "FAILED",
  REJECTED: "FAILED",
  TIMEOUT: "FAILED",
  EXPIRED: "FAILED",
};

/** MTN's `reason` is a code in v1.0, an object {code, message} in older answers. */
const reasonOf = (value: unknown): string | null => asString(value) ?? asString(asRecord(value)?.code);

export function mtnMomoProvider(config: ProvidersConfig): PaymentProvider {
  const url = (path: string) => joinUrl(config.MTN_MOMO_BASE_URL, path);
  const cacheKey = [config.MTN_MOMO_BASE_URL, config.MTN_MOMO_API_USER, config.MTN_MOMO_API_KEY, config.MTN_MOMO_SUBSCRIPTION_KEY].join("|");

  async function accessToken(): Promise<string> {
    const cached = tokens.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.value;
    const answer = await callProvider("MTN_MOMO", {
      method: "POST",
      url: url("/collection/token/"),
      headers: {
        Authorization: `Basic ${btoa(`${config.MTN_MOMO_API_USER}:${config.MTN_MOMO_API_KEY}`)}`,
        "Ocp-Apim-Subscription-Key": config.MTN_MOMO_SUBSCRIPTION_KEY,
      },
    });
    const value = asString(answer.body?.access_token);
    if (!value) throw new ProviderError("MTN_MOMO", true, "token answer without access_token");
    const expiresIn = asInteger(answer.body?.expires_in) ?? 3600;
    tokens.set(cacheKey, { value, expiresAt: Date.now() + expiresIn * 1000 - TOKEN_RENEW_MARGIN_MS });
    return value;
  }

  /** Calls with a Bearer token; a token MTN revoked before its expiry (401) is replaced once. */
  async function authorized(send: (headers: Record<string, string>) => Promise<ProviderAnswer>): Promise<ProviderAnswer> {
    const headers = async () => ({
      Authorization: `Bearer ${await accessToken()}`,
      "X-Target-Environment": config.MTN_MOMO_TARGET_ENVIRONMENT,
      "Ocp-Apim-Subscription-Key": config.MTN_MOMO_SUBSCRIPTION_KEY,
    });
    // Outside the try: a 401 on the token itself means wrong credentials, which a new token will not fix.
    const first = await headers();
    try {
      return await send(first);
    } catch (error) {
      if (!(error instanceof ProviderError && error.status === 401)) throw error;
      tokens.delete(cacheKey);
      return send(await headers());
    }
  }

  const provider: PaymentProvider = {
    name: "MTN_MOMO",
    methods: ["MOMO_MTN"],
    currencies: ["XOF"],

    async charge(request) {
      assertChargeable(provider, request);
      if (!request.payer_phone) throw new ProviderError("MTN_MOMO", false, "payer_phone is required");
      const msisdn = request.payer_phone.replace(/^\+/, "");
      const amount = formatDecimal(request.amount, request.currency);
      const answer = await authorized((headers) =>
        callProvider("MTN_MOMO", {
          method: "POST",
          url: url("/collection/v1_0/requesttopay"),
          headers: { ...headers, "X-Reference-Id": request.idempotency_key, "X-Callback-Url": request.callback_url },
          json: {
            amount,
            currency: request.currency,
            externalId: request.internal_reference,
            payer: { partyIdType: "MSISDN", partyId: msisdn },
            payerMessage: request.description.slice(0, 160),
            payeeNote: request.internal_reference,
          },
          // 409: this X-Reference-Id exists, i.e. an earlier attempt of this same payment got through.
          accept: [409],
        }),
      );
      return {
        external_reference: request.idempotency_key,
        next_action: {
          type: "approve_on_phone",
          message: `Validez le paiement de ${amount} ${request.currency} sur votre téléphone (MTN MoMo).`,
        },
        provider_response: { reference_id: request.idempotency_key, http_status: answer.status, ...answer.body },
      };
    },

    async status(payment) {
      const reference = payment.external_reference ?? payment.idempotency_key;
      const answer = await authorized((headers) =>
        callProvider("MTN_MOMO", { method: "GET", url: url(`/collection/v1_0/requesttopay/${encodeURIComponent(reference)}`), headers }),
      );
      const body = answer.body ?? {};
      const raw = asString(body.status);
      const status = (raw && STATUS[raw]) || "PENDING";
      return {
        status,
        amount: decimalAmount(body.amount, body.currency),
        currency: asString(body.currency),
        internal_reference: asString(body.externalId),
        external_reference: reference,
        operator_transaction_id: asString(body.financialTransactionId),
        fees: null,
        card_fingerprint: null,
        // Without a reason, a status we map (REJECTED → FAILED) or do not know is worth keeping.
        reason: reasonOf(body.reason) ?? (raw && raw !== status && status !== "PAID" ? raw : null),
        raw: body,
      };
    },

    parseWebhook: (input) =>
      neverThrows(async () => {
        const body = parseJsonObject(input.body);
        const raw = asString(body?.status);
        if (!body || !raw) return { ok: false, reason: "malformed" };
        return {
          ok: true,
          // MTN's callback has no event id: the same body delivered twice is the same event.
          event_id: await sha256Hex(input.body),
          event_type: raw,
          signature_valid: false,
          external_reference: asString(body.referenceId),
          internal_reference: asString(body.externalId),
          claimed_status: STATUS[raw] ?? null,
        };
      }),
  };
  return provider;
}
