import { sha256Hex } from "../../lib/crypto/hash.ts";
import { callProvider, joinUrl } from "./http.ts";
import {
  asId,
  asInteger,
  asRecord,
  asString,
  assertChargeable,
  nameParts,
  nationalNumber,
  neverThrows,
  parseJsonObject,
  verifyTimestampedSignature,
  webhookTolerance,
} from "./shared.ts";
import { ProviderError, type PaymentProvider, type ProviderStatus, type ProvidersConfig } from "./types.ts";

/**
 * FedaPay (MTN and Moov Mobile Money in Benin, cards), XOF. A transaction is
 * created, then its payment link (`/token`) is where the payer pays. Webhooks
 * go to the endpoint configured in the FedaPay dashboard, signed
 * `X-FEDAPAY-SIGNATURE: t=…,s=…`. FedaPay takes no idempotency key: the
 * payments service must not start a second transaction for a payment that
 * already has an external reference.
 */

// `refunded` is FAILED, not PAID: the money went back to the payer. A payment
// already confirmed stays PAID (states only move forward); one not yet
// confirmed must not be confirmed on money that is no longer ours.
const STATUS: Record<string, ProviderStatus["status"]> = {
  pending: "PENDING",
  approved: "PAID",
  transferred: "PAID",
  declined: "FAILED",
  canceled: "FAILED",
  refunded: "FAILED",
};

const transactionOf = (body: Record<string, unknown> | null) => asRecord(body?.["v1/transaction"]);

export function fedapayProvider(config: ProvidersConfig): PaymentProvider {
  const url = (path: string) => joinUrl(config.FEDAPAY_BASE_URL, path);
  const headers = { Authorization: `Bearer ${config.FEDAPAY_SECRET_KEY}` };

  const provider: PaymentProvider = {
    name: "FEDAPAY",
    methods: ["MOMO_MTN", "MOMO_MOOV", "CARD"],
    currencies: ["XOF"],

    async charge(request) {
      assertChargeable(provider, request);
      const { first, last } = nameParts(request.payer_name);
      const phone = nationalNumber(request.payer_phone, "229");
      const customer = {
        ...(request.payer_email ? { email: request.payer_email } : {}),
        ...(first ? { firstname: first } : {}),
        ...(last ? { lastname: last } : {}),
        ...(phone ? { phone_number: { number: phone, country: "bj" } } : {}),
      };
      const created = await callProvider("FEDAPAY", {
        method: "POST",
        url: url("/v1/transactions"),
        headers,
        json: {
          description: request.description,
          amount: request.amount,
          currency: { iso: request.currency },
          callback_url: request.return_url,
          ...(Object.keys(customer).length ? { customer } : {}),
          custom_metadata: { payment_id: request.payment_id, reference: request.internal_reference },
        },
      });
      const transaction = transactionOf(created.body);
      const id = asId(transaction?.id);
      if (!transaction || !id) throw new ProviderError("FEDAPAY", false, "transaction created without an id");
      const token = await callProvider("FEDAPAY", { method: "POST", url: url(`/v1/transactions/${id}/token`), headers });
      const link = asString(token.body?.url);
      if (!link) throw new ProviderError("FEDAPAY", false, `no payment link for transaction ${id}`);
      return {
        external_reference: id,
        next_action: { type: "redirect", url: link },
        provider_response: { transaction, payment_url: link },
      };
    },

    async status(payment) {
      const id = payment.external_reference;
      if (!id) throw new ProviderError("FEDAPAY", false, "no FedaPay transaction id for this payment");
      // include=currency: the transaction itself only carries a currency_id.
      const answer = await callProvider("FEDAPAY", {
        method: "GET",
        url: url(`/v1/transactions/${encodeURIComponent(id)}?include=currency`),
        headers,
      });
      const transaction = transactionOf(answer.body);
      if (!transaction) throw new ProviderError("FEDAPAY", true, `unreadable transaction ${id}`);
      const raw = asString(transaction.status);
      const status = (raw && STATUS[raw]) || "PENDING";
      return {
        status,
        amount: asInteger(transaction.amount),
        // Our FedaPay account transacts in XOF only (the adapter's one currency) should FedaPay not expand it.
        currency: asString(asRecord(transaction.currency)?.iso) ?? "XOF",
        internal_reference: asString(asRecord(transaction.custom_metadata)?.reference),
        external_reference: id,
        operator_transaction_id: null,
        fees: asInteger(transaction.fees),
        card_fingerprint: null,
        reason: status === "PAID" || raw === "pending" ? null : (asString(transaction.last_error_code) ?? raw),
        raw: transaction,
      };
    },

    parseWebhook: (input) =>
      neverThrows(async () => {
        const rejection = await verifyTimestampedSignature({
          header: input.headers.get("X-FEDAPAY-SIGNATURE"),
          scheme: "s",
          secret: config.FEDAPAY_WEBHOOK_SECRET,
          body: input.body,
          now: input.now,
          toleranceSeconds: webhookTolerance(config),
        });
        if (rejection) return { ok: false, reason: rejection };
        const body = parseJsonObject(input.body);
        const entity = asRecord(body?.entity);
        const name = asString(body?.name);
        if (!entity || !name) return { ok: false, reason: "malformed" };
        const raw = asString(entity.status);
        return {
          ok: true,
          // FedaPay's events carry no event id of their own.
          event_id: await sha256Hex(input.body),
          event_type: name,
          signature_valid: true,
          external_reference: asId(entity.id),
          internal_reference: asString(asRecord(entity.custom_metadata)?.reference),
          claimed_status: (raw && STATUS[raw]) || null,
        };
      }),
  };
  return provider;
}
