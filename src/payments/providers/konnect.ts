import { sha256Hex } from "../../lib/crypto/hash.ts";
import { callProvider, joinUrl } from "./http.ts";
import { asInteger, asRecord, asString, assertChargeable, nameParts, nationalNumber, neverThrows } from "./shared.ts";
import { ProviderError, type PaymentProvider, type ProvidersConfig } from "./types.ts";

/**
 * Konnect (Tunisia): wallet, bank card and e-DINAR on Konnect's hosted page,
 * TND in millimes (our minor units). Konnect calls `GET <webhook>?payment_ref=…`
 * unsigned, so the status GET is the only truth. A payment is `completed` or
 * `pending`, and pending covers both "not yet" and "failed": one still not
 * completed when its link expires has failed. No refund API.
 */

/** Minutes the payment link lives: long enough to pay by card with 3-D Secure. */
const LINK_LIFESPAN_MINUTES = 15;

/** When a payment link stops accepting payment; Konnect may write a bare date, which lasts the whole day. */
function expiryOf(value: unknown): number | null {
  const text = asString(value);
  if (!text) return null;
  const time = Date.parse(text);
  if (Number.isNaN(time)) return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? time + 86_400_000 : time;
}

export function konnectProvider(config: ProvidersConfig): PaymentProvider {
  const url = (path: string) => joinUrl(config.KONNECT_BASE_URL, path);
  const headers = { "x-api-key": config.KONNECT_API_KEY };

  const provider: PaymentProvider = {
    name: "KONNECT",
    // e-DINAR and Konnect wallets are paid on the same hosted page as cards.
    methods: ["CARD"],
    currencies: ["TND"],

    async charge(request) {
      assertChargeable(provider, request);
      const { first, last } = nameParts(request.payer_name);
      const phone = nationalNumber(request.payer_phone, "216");
      const answer = await callProvider("KONNECT", {
        method: "POST",
        url: url("/api/v2/payments/init-payment"),
        headers,
        json: {
          receiverWalletId: config.KONNECT_WALLET_ID,
          token: request.currency,
          amount: request.amount,
          type: "immediate",
          description: request.description,
          acceptedPaymentMethods: ["wallet", "bank_card", "e-DINAR"],
          lifespan: LINK_LIFESPAN_MINUTES,
          checkoutForm: false,
          addPaymentFeesToAmount: false,
          ...(first ? { firstName: first } : {}),
          ...(last ? { lastName: last } : {}),
          ...(phone ? { phoneNumber: phone } : {}),
          ...(request.payer_email ? { email: request.payer_email } : {}),
          orderId: request.internal_reference,
          webhook: request.callback_url,
          // Without it, a payment with a webhook never sends the payer back to successUrl / failUrl.
          silentWebhook: true,
          successUrl: request.return_url,
          failUrl: request.return_url,
        },
      });
      const payUrl = asString(answer.body?.payUrl);
      const paymentRef = asString(answer.body?.paymentRef);
      if (!payUrl || !paymentRef) throw new ProviderError("KONNECT", false, "init-payment answered without payUrl and paymentRef");
      return { external_reference: paymentRef, next_action: { type: "redirect", url: payUrl }, provider_response: answer.body ?? {} };
    },

    async status(payment) {
      const ref = payment.external_reference;
      if (!ref) throw new ProviderError("KONNECT", false, "no Konnect payment reference for this payment");
      const answer = await callProvider("KONNECT", { method: "GET", url: url(`/api/v2/payments/${encodeURIComponent(ref)}`), headers });
      const body = asRecord(answer.body?.payment);
      if (!body) throw new ProviderError("KONNECT", true, `unreadable payment ${ref}`);
      const raw = asString(body.status);
      const expiry = expiryOf(body.expirationDate);
      const expired = raw !== "completed" && expiry !== null && expiry <= Date.now();
      return {
        status: raw === "completed" ? "PAID" : expired ? "FAILED" : "PENDING",
        amount: asInteger(body.amount),
        currency: asString(body.token),
        internal_reference: asString(body.orderId),
        external_reference: ref,
        operator_transaction_id: null,
        fees: null,
        card_fingerprint: null,
        reason: expired ? "expired" : raw === "completed" || raw === "pending" ? null : raw,
        raw: body,
      };
    },

    parseWebhook: (input) =>
      neverThrows(async () => {
        const ref = input.url.searchParams.get("payment_ref");
        if (!ref) return { ok: false, reason: "malformed" };
        return {
          ok: true,
          // Konnect's callback is its query string and nothing else.
          event_id: await sha256Hex(input.url.search.replace(/^\?/, "")),
          event_type: null,
          signature_valid: false,
          external_reference: ref,
          internal_reference: null,
          claimed_status: null,
        };
      }),
  };
  return provider;
}
