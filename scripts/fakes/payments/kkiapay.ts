import {
  type FakeProvider,
  header,
  hex,
  HttpError,
  json,
  nowIso,
  parseJson,
  positiveInteger,
  type ProviderContext,
  sameSecret,
  text,
  type Transaction,
} from "./shared.ts";

const STATUS = { PAID: "SUCCESS", FAILED: "FAILED", PENDING: "PENDING" } as const;

export interface KkiapayFake extends FakeProvider {
  /** A payment made in KkiaPay's client widget (the payer's side, which the Worker never sees): a new transaction. */
  widgetPayment(amount: number, data: unknown): Transaction;
}

/**
 * KkiaPay's server API: a transaction paid in its widget is looked up by id
 * (status) or reversed (revert), with the public, private and secret keys as
 * headers; outcomes are posted to the dashboard's URL with the secret.
 */
export function kkiapay({ secrets, store, dashboardWebhook }: ProviderContext): KkiapayFake {
  function view(tx: Transaction): Record<string, unknown> {
    const reverted = tx.refunds.length > 0;
    return {
      performed_at: tx.created_at,
      received_at: Date.parse(tx.created_at),
      type: "DEBIT",
      status: reverted ? "REVERTED" : STATUS[tx.status],
      source: "MOBILE_MONEY",
      source_common_name: "mtn-benin",
      amount: tx.amount,
      fees: tx.status === "PAID" ? Math.round(tx.amount * 0.019) : 0,
      net: 0,
      externalTransactionId: tx.ids.externalTransactionId ?? null,
      transactionId: tx.reference,
      reason: tx.status === "FAILED" ? "invalid_number" : null,
      state: tx.request.data ?? null,
      country: "BJ",
    };
  }

  return {
    api(request) {
      const { req, path } = request;
      const authorized =
        sameSecret(header(request, "x-api-key"), secrets.KKIAPAY_PUBLIC_KEY) &&
        sameSecret(header(request, "x-private-key"), secrets.KKIAPAY_PRIVATE_KEY) &&
        sameSecret(header(request, "x-secret-key"), secrets.KKIAPAY_SECRET);
      if (!authorized) throw new HttpError(401, { status: 4001, reason: "INVALID_API_KEYS" });
      if (req.method === "POST" && (path === "/api/v1/transactions/status" || path === "/api/v1/transactions/revert")) {
        const transactionId = text(parseJson(request.raw).transactionId);
        const tx = transactionId ? store.get("kkiapay", transactionId) : undefined;
        if (!tx) throw new HttpError(404, { status: "TRANSACTION_NOT_FOUND" });
        if (path.endsWith("/status")) return { status: 200, body: view(tx) };
        if (tx.status !== "PAID" || tx.refunds.length) throw new HttpError(400, { code: "TRANSACTION_NOT_ELIGIBLE", transactionId: tx.reference });
        tx.refunds.push({ id: `rv_${hex(8)}`, amount: tx.amount, status: "succeeded", created_at: nowIso() });
        return { status: 200, body: { code: "SUCCESS", description: "REVERTED", transactionId: tx.reference } };
      }
      throw new HttpError(404, { status: "NOT_FOUND" });
    },

    webhookFor(tx) {
      const url = dashboardWebhook("kkiapay");
      // KkiaPay notifies outcomes only.
      if (!url || tx.status === "PENDING") return null;
      const body = json({
        transactionId: tx.reference,
        isPaymentSucces: tx.status === "PAID",
        event: tx.status === "PAID" ? "transaction.success" : "transaction.failed",
        amount: tx.amount,
        paymentMethod: "MOBILE_MONEY",
        stateData: tx.request.data ?? null,
      });
      return { url, method: "POST", headers: { "Content-Type": "application/json", "x-kkiapay-secret": secrets.KKIAPAY_SECRET }, body };
    },

    widgetPayment(amount, data) {
      if (!positiveInteger(amount)) throw new HttpError(400, { error: "amount must be a positive integer" });
      return store.create("kkiapay", {
        reference: `KKP-${hex(5).toUpperCase()}`,
        internal_reference: typeof data === "string" ? data : null,
        amount,
        currency: "XOF",
        description: "KkiaPay widget payment",
        callback_url: null,
        return_url: null,
        request: { amount, data },
        ids: {},
        expires_at: null,
      });
    },
  };
}
