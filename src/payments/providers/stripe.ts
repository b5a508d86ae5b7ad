import type { Currency } from "../../lib/money.ts";
import { callProvider, joinUrl } from "./http.ts";
import { asInteger, asRecord, asString, assertChargeable, neverThrows, parseJsonObject, verifyTimestampedSignature, webhookTolerance } from "./shared.ts";
import { ProviderError, type ParsedWebhook, type PaymentProvider, type ProviderStatus, type ProvidersConfig } from "./types.ts";

/**
 * Stripe Checkout (cards). Amounts are minor units as ours: XOF is
 * zero-decimal, TND three-decimal with a last digit of 0. Sessions and
 * refunds are created with an `Idempotency-Key`, so a retried call returns
 * the first answer. Webhooks (`Stripe-Signature: t=…,v1=…`) go to the
 * endpoint configured in the Stripe dashboard.
 */

const EVENTS: Record<string, ProviderStatus["status"]> = {
  "checkout.session.async_payment_succeeded": "PAID",
  "checkout.session.async_payment_failed": "FAILED",
  "checkout.session.expired": "FAILED",
};

// A completed session whose PaymentIntent went back to these did not pay (a failed delayed payment).
const INTENT_FAILED = new Set(["canceled", "requires_payment_method"]);

const paid = (session: Record<string, unknown>) => session.payment_status === "paid" || session.payment_status === "no_payment_required";

/** Stripe refuses TND amounts that are not a multiple of 10 millimes: say so before calling it. */
function assertStripeAmount(amount: number, currency: Currency): void {
  if (currency === "TND" && amount % 10 !== 0) {
    throw new ProviderError("STRIPE", false, `TND amounts must end in 0 at Stripe (got ${amount} millimes)`);
  }
}

export function stripeProvider(config: ProvidersConfig): PaymentProvider {
  const url = (path: string) => joinUrl(config.STRIPE_BASE_URL, path);
  const auth = { Authorization: `Bearer ${config.STRIPE_SECRET_KEY}` };

  async function session(id: string, expandIntent: boolean): Promise<Record<string, unknown>> {
    // The intent and its charge: the charge's payment_method_details.card.fingerprint names the card.
    const query = expandIntent ? "?expand[]=payment_intent&expand[]=payment_intent.latest_charge" : "";
    const answer = await callProvider("STRIPE", { method: "GET", url: url(`/v1/checkout/sessions/${encodeURIComponent(id)}${query}`), headers: auth });
    if (!answer.body) throw new ProviderError("STRIPE", true, `empty answer for session ${id}`);
    return answer.body;
  }

  const provider: PaymentProvider = {
    name: "STRIPE",
    methods: ["CARD"],
    currencies: ["XOF", "TND"],

    async charge(request) {
      assertChargeable(provider, request);
      assertStripeAmount(request.amount, request.currency);
      const form = new URLSearchParams({
        mode: "payment",
        "line_items[0][price_data][currency]": request.currency.toLowerCase(),
        "line_items[0][price_data][unit_amount]": String(request.amount),
        "line_items[0][price_data][product_data][name]": request.description,
        "line_items[0][quantity]": "1",
        success_url: request.return_url,
        cancel_url: request.return_url,
        client_reference_id: request.internal_reference,
        "metadata[payment_id]": request.payment_id,
        "metadata[reference]": request.internal_reference,
        "payment_intent_data[metadata][payment_id]": request.payment_id,
        "payment_intent_data[metadata][reference]": request.internal_reference,
      });
      if (request.payer_email) form.set("customer_email", request.payer_email);
      const answer = await callProvider("STRIPE", {
        method: "POST",
        url: url("/v1/checkout/sessions"),
        headers: { ...auth, "Idempotency-Key": request.idempotency_key },
        form,
      });
      const id = asString(answer.body?.id);
      const link = asString(answer.body?.url);
      if (!id || !link) throw new ProviderError("STRIPE", false, "checkout session answered without id and url");
      return { external_reference: id, next_action: { type: "redirect", url: link }, provider_response: answer.body ?? {} };
    },

    async status(payment) {
      const id = payment.external_reference;
      if (!id) throw new ProviderError("STRIPE", false, "no Checkout Session id for this payment");
      const body = await session(id, true);
      const intent = asRecord(body.payment_intent);
      const intentStatus = asString(intent?.status);
      const failed = body.status === "expired" || (body.status === "complete" && !paid(body) && intentStatus !== null && INTENT_FAILED.has(intentStatus));
      const status: ProviderStatus["status"] = paid(body) ? "PAID" : failed ? "FAILED" : "PENDING";
      const currency = asString(body.currency);
      return {
        status,
        amount: asInteger(body.amount_total),
        currency: currency?.toUpperCase() ?? null,
        internal_reference: asString(body.client_reference_id) ?? asString(asRecord(body.metadata)?.reference),
        external_reference: id,
        operator_transaction_id: asString(intent?.id) ?? asString(body.payment_intent),
        fees: null,
        card_fingerprint: asString(asRecord(asRecord(asRecord(intent?.latest_charge)?.payment_method_details)?.card)?.fingerprint),
        reason: status !== "FAILED" ? null : body.status === "expired" ? "expired" : (asString(asRecord(intent?.last_payment_error)?.code) ?? intentStatus),
        raw: body,
      };
    },

    async refund(request) {
      assertStripeAmount(request.amount, request.currency);
      const checkout = await session(request.external_reference, false);
      const intent = asString(checkout.payment_intent) ?? asString(asRecord(checkout.payment_intent)?.id);
      if (!intent) throw new ProviderError("STRIPE", false, `session ${request.external_reference} has no payment to refund`);
      const answer = await callProvider("STRIPE", {
        method: "POST",
        url: url("/v1/refunds"),
        headers: { ...auth, "Idempotency-Key": request.idempotency_key },
        form: new URLSearchParams({
          payment_intent: intent,
          amount: String(request.amount),
          reason: "requested_by_customer",
          "metadata[reason]": request.reason.slice(0, 500),
        }),
      });
      const body = answer.body ?? {};
      const state = asString(body.status);
      if (state === "succeeded") return { status: "REFUNDED", external_reference: asString(body.id), raw: body };
      if (state === "pending" || state === "requires_action") return { status: "PENDING", external_reference: asString(body.id), raw: body };
      throw new ProviderError("STRIPE", false, `refund ${String(body.id)} is ${String(state)}`);
    },

    parseWebhook: (input) =>
      neverThrows(async (): Promise<ParsedWebhook> => {
        const rejection = await verifyTimestampedSignature({
          header: input.headers.get("Stripe-Signature"),
          scheme: "v1",
          secret: config.STRIPE_WEBHOOK_SECRET,
          body: input.body,
          now: input.now,
          toleranceSeconds: webhookTolerance(config),
        });
        if (rejection) return { ok: false, reason: rejection };
        const event = parseJsonObject(input.body);
        const id = asString(event?.id);
        const type = asString(event?.type);
        const object = asRecord(asRecord(event?.data)?.object);
        if (!event || !id || !type || !object) return { ok: false, reason: "malformed" };
        const isSession = object.object === "checkout.session";
        const claimed = type === "checkout.session.completed" ? (paid(object) ? "PAID" : "PENDING") : (EVENTS[type] ?? null);
        return {
          ok: true,
          event_id: id,
          event_type: type,
          signature_valid: true,
          external_reference: isSession ? asString(object.id) : null,
          internal_reference: isSession ? (asString(object.client_reference_id) ?? asString(asRecord(object.metadata)?.reference)) : null,
          claimed_status: isSession ? claimed : null,
        };
      }),
  };
  return provider;
}
