import { timingSafeEqual } from "../../lib/crypto/hash.ts";
import { callProvider, joinUrl } from "./http.ts";
import { asInteger, asRecord, asString, assertChargeable, nationalNumber, neverThrows, parseJsonObject } from "./shared.ts";
import { ProviderError, type PaymentProvider, type ProviderStatus, type ProvidersConfig } from "./types.ts";

/**
 * KkiaPay (MTN and Moov Mobile Money, cards), XOF. The payer pays inside
 * KkiaPay's client widget, opened with our public key and our reference as
 * `data`; we learn the transaction id from the widget's callback or from the
 * webhook (shared secret in `x-kkiapay-secret`, no body signature), and
 * confirm it with the status API. Refunds revert the whole transaction.
 */

// REVERTED is FAILED for the same reason as FedaPay's `refunded`: the money went back.
const STATUS: Record<string, ProviderStatus["status"]> = {
  SUCCESS: "PAID",
  PENDING: "PENDING",
  INITIALIZED: "PENDING",
  FAILED: "FAILED",
  REVERTED: "FAILED",
};

const EVENTS: Record<string, ProviderStatus["status"]> = {
  "transaction.success": "PAID",
  "transaction.failed": "FAILED",
};

/** Our reference as KkiaPay echoes the widget's `data`: the string itself, or an object carrying `reference`. */
const referenceIn = (data: unknown): string | null => asString(data) ?? asString(asRecord(data)?.reference);

export function kkiapayProvider(config: ProvidersConfig): PaymentProvider {
  const url = (path: string) => joinUrl(config.KKIAPAY_BASE_URL, path);
  const headers = {
    "x-api-key": config.KKIAPAY_PUBLIC_KEY,
    "x-private-key": config.KKIAPAY_PRIVATE_KEY,
    "x-secret-key": config.KKIAPAY_SECRET,
  };

  async function transaction(transactionId: string): Promise<Record<string, unknown>> {
    const answer = await callProvider("KKIAPAY", { method: "POST", url: url("/api/v1/transactions/status"), headers, json: { transactionId } });
    if (!answer.body) throw new ProviderError("KKIAPAY", true, `empty status answer for ${transactionId}`);
    return answer.body;
  }

  const provider: PaymentProvider = {
    name: "KKIAPAY",
    methods: ["MOMO_MTN", "MOMO_MOOV", "CARD"],
    currencies: ["XOF"],

    async charge(request) {
      assertChargeable(provider, request);
      const phone = nationalNumber(request.payer_phone, "229");
      return {
        external_reference: null,
        next_action: {
          type: "widget",
          provider: "KKIAPAY",
          params: {
            key: config.KKIAPAY_PUBLIC_KEY,
            amount: request.amount,
            data: request.internal_reference,
            callback: request.return_url,
            ...(phone ? { phone } : {}),
          },
        },
        provider_response: {},
      };
    },

    async status(payment) {
      const id = payment.external_reference;
      // Until the widget or the webhook reports the transaction id there is nothing to ask KkiaPay about.
      if (!id) throw new ProviderError("KKIAPAY", false, "no KkiaPay transaction id for this payment yet");
      const body = await transaction(id);
      const raw = asString(body.status);
      const status = (raw && STATUS[raw]) || "PENDING";
      return {
        status,
        amount: asInteger(body.amount),
        // KkiaPay's widget takes no currency and its status answer names none: the account transacts in XOF only.
        currency: asString(body.currency) ?? "XOF",
        internal_reference: referenceIn(body.state) ?? referenceIn(body.stateData),
        external_reference: id,
        operator_transaction_id: asString(body.externalTransactionId),
        fees: asInteger(body.fees),
        card_fingerprint: null,
        reason: asString(body.reason) ?? (status === "PAID" || raw === "PENDING" ? null : raw),
        raw: body,
      };
    },

    async refund(request) {
      const id = request.external_reference;
      const before = await transaction(id);
      // Reverting twice answers TRANSACTION_NOT_ELIGIBLE: a retry after a revert that got through is a success.
      if (before.status === "REVERTED") return { status: "REFUNDED", external_reference: id, raw: before };
      if (before.status !== "SUCCESS") throw new ProviderError("KKIAPAY", false, `transaction ${id} is ${String(before.status)}: nothing to revert`);
      if (asInteger(before.amount) !== request.amount) {
        throw new ProviderError("KKIAPAY", false, `KkiaPay reverts whole transactions only (${String(before.amount)}, asked ${request.amount})`);
      }
      const answer = await callProvider("KKIAPAY", { method: "POST", url: url("/api/v1/transactions/revert"), headers, json: { transactionId: id } });
      const body = answer.body ?? {};
      if (body.code !== "SUCCESS") throw new ProviderError("KKIAPAY", false, `revert of ${id} answered ${String(body.code ?? body.status)}`);
      return { status: "REFUNDED", external_reference: asString(body.transactionId) ?? id, raw: body };
    },

    parseWebhook: (input) =>
      neverThrows(async () => {
        const secret = input.headers.get("x-kkiapay-secret");
        if (!secret) return { ok: false, reason: "missing_signature" };
        if (!config.KKIAPAY_SECRET || !timingSafeEqual(secret, config.KKIAPAY_SECRET)) return { ok: false, reason: "bad_signature" };
        const body = parseJsonObject(input.body);
        const transactionId = asString(body?.transactionId);
        const event = asString(body?.event);
        if (!body || !transactionId || !event) return { ok: false, reason: "malformed" };
        return {
          ok: true,
          // KkiaPay retries the same event (5 times): one event per transaction and outcome.
          event_id: `${transactionId}:${event}`,
          event_type: event,
          signature_valid: true,
          external_reference: transactionId,
          internal_reference: referenceIn(body.stateData),
          claimed_status: EVENTS[event] ?? null,
        };
      }),
  };
  return provider;
}
