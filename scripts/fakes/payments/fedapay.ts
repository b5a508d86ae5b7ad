import {
  type FakeProvider,
  header,
  hex,
  hmacHex,
  HttpError,
  isAbsoluteUrl,
  json,
  parseJson,
  positiveInteger,
  type ProviderContext,
  record,
  sameSecret,
  text,
  type Transaction,
  unixNow,
} from "./shared.ts";

const STATUS = { PAID: "approved", FAILED: "declined", PENDING: "pending" } as const;
/**
 * FedaPay's transaction ids are numbers. The fake's are never below the clock
 * in milliseconds, and carry on from the saved count across restarts: a fake
 * started without its state file (or an older one) still never hands out an
 * id a local database already holds.
 */
const idFloor = () => Date.now();

/**
 * FedaPay's API (Moov Money and cards): a transaction created with the secret
 * key, a payment token and hosted page for it, its status, and webhooks
 * signed `t=…,s=HMAC-SHA256(secret, "t.body")` posted to the dashboard's URL.
 */
export interface FedapayFake extends FakeProvider {
  /** The next transaction created gets `id` again, as a FedaPay whose numbering restarted would answer (tests of the Worker's collision handling). */
  repeatId(id: string): void;
}

export function fedapay({ secrets, store, origin, dashboardWebhook }: ProviderContext): FedapayFake {
  let repeatNext: string | null = null;
  function view(tx: Transaction, includeCurrency: boolean): Record<string, unknown> {
    return {
      klass: "v1/transaction",
      id: Number(tx.reference),
      transaction_key: tx.ids.transaction_key,
      reference: tx.ids.reference,
      amount: tx.amount,
      description: tx.description,
      callback_url: tx.return_url,
      status: STATUS[tx.status],
      customer_id: 1,
      currency_id: 1,
      mode: tx.status === "PENDING" ? null : "mtn_open",
      custom_metadata: record(tx.request.custom_metadata),
      fees: tx.status === "PAID" ? Math.round(tx.amount * 0.018) : 0,
      last_error_code: tx.status === "FAILED" ? "declined_by_payer" : null,
      created_at: tx.created_at,
      updated_at: tx.settled_at ?? tx.created_at,
      approved_at: tx.status === "PAID" ? tx.settled_at : null,
      declined_at: tx.status === "FAILED" ? tx.settled_at : null,
      ...(includeCurrency ? { currency: { klass: "v1/currency", id: 1, iso: tx.currency, name: "FCFA", code: 952 } } : {}),
    };
  }

  function transaction(id: string): Transaction {
    const tx = store.get("fedapay", id);
    if (!tx) throw new HttpError(404, { message: "Transaction not found" });
    return tx;
  }

  function create(body: Record<string, unknown>) {
    const amount = positiveInteger(body.amount);
    const iso = text(record(body.currency).iso);
    const errors: Record<string, string[]> = {};
    if (!text(body.description)) errors.description = ["The description field is required."];
    if (!amount) errors.amount = ["The amount must be a positive integer."];
    if (!iso) errors.currency = ["The currency field is required."];
    if (body.callback_url !== undefined && !isAbsoluteUrl(body.callback_url)) errors.callback_url = ["The callback url format is invalid."];
    if (Object.keys(errors).length) throw new HttpError(422, { message: "Transaction creation failed", errors });
    const id = String(repeatNext ?? store.next("fedapay.transaction", idFloor()));
    repeatNext = null;
    const tx = store.create("fedapay", {
      reference: id,
      internal_reference: text(record(body.custom_metadata).reference),
      amount: amount!,
      currency: iso!,
      description: String(body.description),
      callback_url: null,
      return_url: text(body.callback_url),
      request: body,
      ids: { reference: `trx_${hex(4)}_${id}`, transaction_key: hex(8) },
      expires_at: null,
    });
    return { status: 200, body: { "v1/transaction": view(tx, false) } };
  }

  return {
    api(request) {
      const { req, path, url } = request;
      if (!sameSecret(header(request, "authorization"), `Bearer ${secrets.FEDAPAY_SECRET_KEY}`)) {
        throw new HttpError(401, { message: "Unauthenticated. Invalid API key." });
      }
      if (req.method === "POST" && path === "/v1/transactions") return create(parseJson(request.raw));
      const token = /^\/v1\/transactions\/(\d+)\/token$/.exec(path);
      if (req.method === "POST" && token) {
        const tx = transaction(token[1]!);
        const value = tx.ids.token ?? hex(20);
        tx.ids.token = value;
        return { status: 200, body: { token: value, url: `${origin()}/checkout/fedapay/${tx.reference}` } };
      }
      const get = /^\/v1\/transactions\/(\d+)$/.exec(path);
      if (req.method === "GET" && get) {
        const include = (url.searchParams.get("include") ?? "").split(",");
        return { status: 200, body: { "v1/transaction": view(transaction(get[1]!), include.includes("currency")) } };
      }
      throw new HttpError(404, { message: `no route ${req.method} ${path}` });
    },

    webhookFor(tx) {
      const url = dashboardWebhook("fedapay");
      if (!url) return null;
      const body = json({ name: `transaction.${tx.status === "PENDING" ? "updated" : STATUS[tx.status]}`, entity: view(tx, false) });
      const t = unixNow();
      return { url, method: "POST", headers: { "Content-Type": "application/json", "X-FEDAPAY-SIGNATURE": `t=${t},s=${hmacHex(secrets.FEDAPAY_WEBHOOK_SECRET, `${t}.${body}`)}` }, body };
    },

    repeatId(id) {
      repeatNext = id;
    },
  };
}
