import { randomBytes } from "node:crypto";
import {
  type FakeProvider,
  header,
  hex,
  HttpError,
  isAbsoluteUrl,
  parseJson,
  positiveInteger,
  type ProviderContext,
  sameSecret,
  text,
  type Transaction,
} from "./shared.ts";

/**
 * Konnect's API (Tunisia): a payment initiated for the receiving wallet with
 * the API key, its hosted page, its state, and a GET to the payment's
 * `webhook` URL with `payment_ref` when something changes.
 */
export function konnect({ secrets, store, origin }: ProviderContext): FakeProvider {
  function view(tx: Transaction): Record<string, unknown> {
    const paid = tx.status === "PAID";
    return {
      payment: {
        id: tx.reference,
        status: paid ? "completed" : "pending",
        amountDue: paid ? 0 : tx.amount,
        reachedAmount: paid ? tx.amount : 0,
        amount: tx.amount,
        token: tx.currency,
        convertedAmount: tx.amount,
        exchangeRate: 1,
        expirationDate: tx.expires_at,
        shortId: tx.ids.shortId,
        link: `${origin()}/checkout/konnect/${tx.reference}`,
        webhook: tx.callback_url,
        successUrl: tx.request.successUrl ?? null,
        failUrl: tx.request.failUrl ?? null,
        orderId: tx.internal_reference,
        type: tx.request.type ?? "immediate",
        details: tx.description,
        acceptedPaymentMethods: tx.request.acceptedPaymentMethods ?? ["wallet", "bank_card", "e-DINAR"],
        receiverWallet: { id: secrets.KONNECT_WALLET_ID },
        transactions:
          tx.status === "PENDING" ? [] : [{ id: tx.ids.transaction ?? "", status: paid ? "success" : "failed_payment", amount: tx.amount, method: "bank_card" }],
      },
    };
  }

  function initPayment(body: Record<string, unknown>) {
    if (body.receiverWalletId !== secrets.KONNECT_WALLET_ID) throw new HttpError(404, { errors: [{ code: "WALLET_NOT_FOUND", message: "Receiver wallet not found" }] });
    const amount = positiveInteger(body.amount);
    const token = body.token ?? "TND";
    if (!amount || !["TND", "EUR", "USD"].includes(String(token))) throw new HttpError(422, { errors: [{ code: "VALIDATION", message: "amount and token are invalid" }] });
    if (body.webhook !== undefined && !isAbsoluteUrl(body.webhook)) throw new HttpError(422, { errors: [{ code: "VALIDATION", message: "webhook must be a URL" }] });
    const lifespan = positiveInteger(body.lifespan) ?? 60;
    const tx = store.create("konnect", {
      reference: hex(12),
      internal_reference: text(body.orderId),
      amount,
      currency: String(token),
      description: String(body.description ?? ""),
      callback_url: text(body.webhook),
      return_url: text(body.successUrl),
      request: body,
      ids: { shortId: randomBytes(6).toString("base64url"), transaction: hex(12) },
      expires_at: new Date(Date.now() + lifespan * 60_000).toISOString(),
    });
    return { status: 200, body: { payUrl: `${origin()}/checkout/konnect/${tx.reference}`, paymentRef: tx.reference } };
  }

  return {
    api(request) {
      const { req, path } = request;
      if (!sameSecret(header(request, "x-api-key"), secrets.KONNECT_API_KEY)) {
        throw new HttpError(401, { errors: [{ code: "UNAUTHORIZED", message: "Invalid API key" }] });
      }
      if (req.method === "POST" && path === "/api/v2/payments/init-payment") return initPayment(parseJson(request.raw));
      const get = /^\/api\/v2\/payments\/([^/]+)$/.exec(path);
      if (req.method === "GET" && get) {
        const tx = store.get("konnect", decodeURIComponent(get[1]!));
        if (!tx) throw new HttpError(404, { errors: [{ code: "PAYMENT_NOT_FOUND", message: "Payment not found" }] });
        return { status: 200, body: view(tx) };
      }
      throw new HttpError(404, { errors: [{ code: "NOT_FOUND", message: `no route ${req.method} ${path}` }] });
    },

    webhookFor(tx) {
      if (!tx.callback_url) return null;
      const url = new URL(tx.callback_url);
      url.searchParams.set("payment_ref", tx.reference);
      return { url: url.toString(), method: "GET", headers: {}, body: "" };
    },

    onSettle(tx, outcome) {
      // A payment that was not paid stays "pending" until its link expires: a decline is that expiry.
      if (outcome === "FAILED") tx.expires_at = new Date(Date.now() - 1000).toISOString();
    },
  };
}
