import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ProvidersConfig } from "../src/payments/providers/types.ts";

/**
 * MTN MoMo, FedaPay, KkiaPay, Konnect and Stripe as the Worker sees them, on
 * a loopback port, for tests and `npm start`. Each provider lives under its
 * prefix (`/mtn`, `/fedapay`, `/kkiapay`, `/konnect`, `/stripe`: the Worker's
 * base URLs are `${url}/mtn` …), checks credentials and headers the way the
 * real one does, and keeps its transactions in memory.
 *
 * Test and demo controls under `/_control`:
 * - `POST /_control/{provider}/settle` {reference, status: PAID|FAILED|PENDING,
 *   amount?, currency?, deliver?}: the payer pays (or not). Answers
 *   `{webhook: {url, method, headers, body} | null, delivery}`: the callback
 *   exactly as the provider would send it now, signed; `deliver: true` also
 *   sends it (MTN to the X-Callback-Url it got, Konnect to its `webhook`, the
 *   others to `${webhookBase}/v1/webhooks/{fedapay|kkiapay|stripe}`, as
 *   configured in their dashboards). `amount`/`currency` change what the
 *   provider reports from then on (a payer who paid something else).
 * - `POST /_control/kkiapay/pay` {amount, data, status?, deliver?}: a payment
 *   made in KkiaPay's widget → {transactionId, webhook, delivery}.
 * - `POST /_control/{provider}/fail` {count, status, match?}: the next `count`
 *   API calls to that provider (only those whose path or body contains
 *   `match`, when given) answer `status`; count 0 lifts the rule.
 * - `GET /_control/{provider}/transactions/{reference}`: the transaction, its
 *   refunds and what the provider received; `GET /_control/{provider}/stats`:
 *   API calls by route; `POST /_control/mtn/expire-tokens`: MTN revokes every
 *   access token it issued.
 * `GET /` lists pending transactions with Approve / Decline buttons, and the
 * hosted payment pages (`/checkout/{provider}/{reference}`) do the same for one.
 */

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

export interface FakePaymentProvidersOptions {
  /** 0 (the default): any free port. */
  port?: number;
  /** The credentials the Worker is configured with, which the fake checks, and the webhook secrets it signs with. */
  secrets: FakePaymentSecrets;
  /** The Worker's origin, where FedaPay, KkiaPay and Stripe post webhooks (their dashboard setting). */
  webhookBase?: string;
}

export interface FakePaymentProviders {
  url: string;
  close(): Promise<void>;
}

const PROVIDERS = ["mtn", "fedapay", "kkiapay", "konnect", "stripe"] as const;
type Provider = (typeof PROVIDERS)[number];
type Outcome = "PAID" | "FAILED" | "PENDING";

interface Refund {
  id: string;
  amount: number;
  status: "succeeded";
  created_at: string;
}

interface Transaction {
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

interface Webhook {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

interface Reply {
  status: number;
  body?: unknown;
  html?: string;
  redirect?: string;
  headers?: Record<string, string>;
}

class HttpError extends Error {
  status: number;
  body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

const sameSecret = (given: string | undefined | null, expected: string) =>
  typeof given === "string" && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const nowIso = () => new Date().toISOString();
const unixNow = () => Math.floor(Date.now() / 1000);
const hmacHex = (secret: string, data: string) => createHmac("sha256", secret).update(data, "utf8").digest("hex");
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function isAbsoluteUrl(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const positiveInteger = (value: unknown): number | null => (Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : null);
const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

export async function startFakePaymentProviders(options: FakePaymentProvidersOptions): Promise<FakePaymentProviders> {
  const secrets = options.secrets;
  const webhookBase = options.webhookBase?.replace(/\/+$/, "") ?? null;
  let origin = "";

  const transactions = new Map<Provider, Map<string, Transaction>>(PROVIDERS.map((p) => [p, new Map()]));
  // Injected failures; `match` limits one to requests whose path or body contains it (one payment's reference), so parallel tests do not trip each other.
  const failures = new Map<Provider, { remaining: number; status: number; match: string | null }[]>(PROVIDERS.map((p) => [p, []]));
  const calls = new Map<Provider, Map<string, number>>(PROVIDERS.map((p) => [p, new Map()]));
  const mtnTokens = new Map<string, number>(); // token → expiry (ms)
  const stripeIdempotency = new Map<string, { fingerprint: string; reply: Reply }>();
  let fedapayNextId = 100_000;

  function find(provider: Provider, reference: string): Transaction {
    const tx = transactions.get(provider)!.get(reference);
    if (!tx) throw new HttpError(404, { error: `no ${provider} transaction ${reference}` });
    return tx;
  }

  function create(provider: Provider, fields: Omit<Transaction, "provider" | "status" | "created_at" | "settled_at" | "refunds">): Transaction {
    const tx: Transaction = { provider, status: "PENDING", created_at: nowIso(), settled_at: null, refunds: [], ...fields };
    transactions.get(provider)!.set(tx.reference, tx);
    return tx;
  }

  // ---------------------------------------------------------------- MTN MoMo

  function mtnAuthorize(req: IncomingMessage, bearer: boolean) {
    if (!sameSecret(req.headers["ocp-apim-subscription-key"] as string | undefined, secrets.MTN_MOMO_SUBSCRIPTION_KEY)) {
      throw new HttpError(401, {
        statusCode: 401,
        message: "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
      });
    }
    const authorization = req.headers.authorization ?? "";
    if (!bearer) {
      const expected = `Basic ${Buffer.from(`${secrets.MTN_MOMO_API_USER}:${secrets.MTN_MOMO_API_KEY}`).toString("base64")}`;
      if (!sameSecret(authorization, expected)) throw new HttpError(401, { error: "login_failed" });
      return;
    }
    const token = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
    const expiry = mtnTokens.get(token);
    if (!expiry || expiry < Date.now()) throw new HttpError(401, { code: "NOT_AUTHORIZED", message: "Access token is invalid or expired" });
    if (req.headers["x-target-environment"] !== secrets.MTN_MOMO_TARGET_ENVIRONMENT) {
      throw new HttpError(400, { code: "INVALID_TARGET_ENVIRONMENT", message: "Unknown X-Target-Environment" });
    }
  }

  function mtnView(tx: Transaction): Record<string, unknown> {
    const payer = record(tx.request.payer);
    return {
      amount: String(tx.amount),
      currency: tx.currency,
      ...(tx.ids.financialTransactionId ? { financialTransactionId: tx.ids.financialTransactionId } : {}),
      externalId: tx.internal_reference,
      payer: { partyIdType: payer.partyIdType, partyId: payer.partyId },
      payerMessage: tx.request.payerMessage ?? "",
      payeeNote: tx.request.payeeNote ?? "",
      status: { PAID: "SUCCESSFUL", FAILED: "FAILED", PENDING: "PENDING" }[tx.status],
      ...(tx.status === "FAILED" ? { reason: "APPROVAL_REJECTED" } : {}),
    };
  }

  function mtn(req: IncomingMessage, path: string, body: Record<string, unknown>): Reply {
    if (req.method === "POST" && path === "/collection/token/") {
      mtnAuthorize(req, false);
      const token = `mtn-${hex(24)}`;
      mtnTokens.set(token, Date.now() + 3600_000);
      return { status: 200, body: { access_token: token, token_type: "access_token", expires_in: 3600 } };
    }
    if (req.method === "POST" && path === "/collection/v1_0/requesttopay") {
      mtnAuthorize(req, true);
      const reference = req.headers["x-reference-id"];
      if (typeof reference !== "string" || !UUID_V4.test(reference)) {
        throw new HttpError(400, { code: "INVALID_REFERENCE_ID", message: "X-Reference-Id must be a UUID v4" });
      }
      if (transactions.get("mtn")!.has(reference)) {
        throw new HttpError(409, { code: "RESOURCE_ALREADY_EXIST", message: "Duplicated reference id. Creation for resource failed." });
      }
      const callback = req.headers["x-callback-url"];
      if (callback !== undefined && !isAbsoluteUrl(callback)) throw new HttpError(400, { code: "INVALID_CALLBACK_URL", message: "Invalid X-Callback-Url" });
      const payer = record(body.payer);
      const amount = typeof body.amount === "string" && /^\d+$/.test(body.amount) ? Number(body.amount) : null;
      if (!amount || typeof body.currency !== "string" || !/^[A-Z]{3}$/.test(body.currency) || !text(body.externalId)) {
        throw new HttpError(400, { code: "INVALID_REQUEST", message: "amount, currency and externalId are required" });
      }
      if (payer.partyIdType !== "MSISDN" || typeof payer.partyId !== "string" || !/^[1-9]\d{7,14}$/.test(payer.partyId)) {
        throw new HttpError(400, { code: "INVALID_PAYER", message: "Payer partyId is not a valid MSISDN" });
      }
      create("mtn", {
        reference,
        internal_reference: text(body.externalId),
        amount,
        currency: body.currency,
        description: String(body.payerMessage ?? ""),
        callback_url: (callback as string | undefined) ?? null,
        return_url: null,
        request: body,
        ids: {},
        expires_at: null,
      });
      return { status: 202 };
    }
    const status = /^\/collection\/v1_0\/requesttopay\/([^/]+)$/.exec(path);
    if (req.method === "GET" && status) {
      mtnAuthorize(req, true);
      const tx = transactions.get("mtn")!.get(decodeURIComponent(status[1]!));
      if (!tx) throw new HttpError(404, { code: "RESOURCE_NOT_FOUND", message: "Requested resource was not found." });
      return { status: 200, body: mtnView(tx) };
    }
    throw new HttpError(404, { code: "RESOURCE_NOT_FOUND", message: `no route ${req.method} ${path}` });
  }

  // ---------------------------------------------------------------- FedaPay

  function fedapayAuthorize(req: IncomingMessage) {
    if (!sameSecret(req.headers.authorization, `Bearer ${secrets.FEDAPAY_SECRET_KEY}`)) {
      throw new HttpError(401, { message: "Unauthenticated. Invalid API key." });
    }
  }

  const FEDAPAY_STATUS = { PAID: "approved", FAILED: "declined", PENDING: "pending" } as const;

  function fedapayView(tx: Transaction, includeCurrency: boolean): Record<string, unknown> {
    return {
      klass: "v1/transaction",
      id: Number(tx.reference),
      transaction_key: tx.ids.transaction_key,
      reference: tx.ids.reference,
      amount: tx.amount,
      description: tx.description,
      callback_url: tx.return_url,
      status: FEDAPAY_STATUS[tx.status],
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

  function fedapay(req: IncomingMessage, path: string, url: URL, body: Record<string, unknown>): Reply {
    fedapayAuthorize(req);
    if (req.method === "POST" && path === "/v1/transactions") {
      const amount = positiveInteger(body.amount);
      const iso = text(record(body.currency).iso);
      const errors: Record<string, string[]> = {};
      if (!text(body.description)) errors.description = ["The description field is required."];
      if (!amount) errors.amount = ["The amount must be a positive integer."];
      if (!iso) errors.currency = ["The currency field is required."];
      if (body.callback_url !== undefined && !isAbsoluteUrl(body.callback_url)) errors.callback_url = ["The callback url format is invalid."];
      if (Object.keys(errors).length) throw new HttpError(422, { message: "Transaction creation failed", errors });
      const id = String(fedapayNextId++);
      const tx = create("fedapay", {
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
      return { status: 200, body: { "v1/transaction": fedapayView(tx, false) } };
    }
    const token = /^\/v1\/transactions\/(\d+)\/token$/.exec(path);
    if (req.method === "POST" && token) {
      const tx = fedapayTransaction(token[1]!);
      const value = tx.ids.token ?? hex(20);
      tx.ids.token = value;
      return { status: 200, body: { token: value, url: `${origin}/checkout/fedapay/${tx.reference}` } };
    }
    const get = /^\/v1\/transactions\/(\d+)$/.exec(path);
    if (req.method === "GET" && get) {
      const include = (url.searchParams.get("include") ?? "").split(",");
      return { status: 200, body: { "v1/transaction": fedapayView(fedapayTransaction(get[1]!), include.includes("currency")) } };
    }
    throw new HttpError(404, { message: `no route ${req.method} ${path}` });
  }

  function fedapayTransaction(id: string): Transaction {
    const tx = transactions.get("fedapay")!.get(id);
    if (!tx) throw new HttpError(404, { message: "Transaction not found" });
    return tx;
  }

  // ---------------------------------------------------------------- KkiaPay

  const KKIAPAY_STATUS = { PAID: "SUCCESS", FAILED: "FAILED", PENDING: "PENDING" } as const;

  function kkiapayView(tx: Transaction): Record<string, unknown> {
    const reverted = tx.refunds.length > 0;
    return {
      performed_at: tx.created_at,
      received_at: Date.parse(tx.created_at),
      type: "DEBIT",
      status: reverted ? "REVERTED" : KKIAPAY_STATUS[tx.status],
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

  function kkiapay(req: IncomingMessage, path: string, body: Record<string, unknown>): Reply {
    const authorized =
      sameSecret(req.headers["x-api-key"] as string | undefined, secrets.KKIAPAY_PUBLIC_KEY) &&
      sameSecret(req.headers["x-private-key"] as string | undefined, secrets.KKIAPAY_PRIVATE_KEY) &&
      sameSecret(req.headers["x-secret-key"] as string | undefined, secrets.KKIAPAY_SECRET);
    if (!authorized) throw new HttpError(401, { status: 4001, reason: "INVALID_API_KEYS" });
    const transactionId = text(body.transactionId);
    if (req.method === "POST" && (path === "/api/v1/transactions/status" || path === "/api/v1/transactions/revert")) {
      const tx = transactionId ? transactions.get("kkiapay")!.get(transactionId) : undefined;
      if (!tx) throw new HttpError(404, { status: "TRANSACTION_NOT_FOUND" });
      if (path.endsWith("/status")) return { status: 200, body: kkiapayView(tx) };
      if (tx.status !== "PAID" || tx.refunds.length) throw new HttpError(400, { code: "TRANSACTION_NOT_ELIGIBLE", transactionId: tx.reference });
      tx.refunds.push({ id: `rv_${hex(8)}`, amount: tx.amount, status: "succeeded", created_at: nowIso() });
      return { status: 200, body: { code: "SUCCESS", description: "REVERTED", transactionId: tx.reference } };
    }
    throw new HttpError(404, { status: "NOT_FOUND" });
  }

  // ---------------------------------------------------------------- Konnect

  function konnectView(tx: Transaction): Record<string, unknown> {
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
        link: `${origin}/checkout/konnect/${tx.reference}`,
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

  function konnect(req: IncomingMessage, path: string, body: Record<string, unknown>): Reply {
    if (!sameSecret(req.headers["x-api-key"] as string | undefined, secrets.KONNECT_API_KEY)) {
      throw new HttpError(401, { errors: [{ code: "UNAUTHORIZED", message: "Invalid API key" }] });
    }
    if (req.method === "POST" && path === "/api/v2/payments/init-payment") {
      if (body.receiverWalletId !== secrets.KONNECT_WALLET_ID) throw new HttpError(404, { errors: [{ code: "WALLET_NOT_FOUND", message: "Receiver wallet not found" }] });
      const amount = positiveInteger(body.amount);
      const token = body.token ?? "TND";
      if (!amount || !["TND", "EUR", "USD"].includes(String(token))) throw new HttpError(422, { errors: [{ code: "VALIDATION", message: "amount and token are invalid" }] });
      if (body.webhook !== undefined && !isAbsoluteUrl(body.webhook)) throw new HttpError(422, { errors: [{ code: "VALIDATION", message: "webhook must be a URL" }] });
      const lifespan = positiveInteger(body.lifespan) ?? 60;
      const tx = create("konnect", {
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
      return { status: 200, body: { payUrl: `${origin}/checkout/konnect/${tx.reference}`, paymentRef: tx.reference } };
    }
    const get = /^\/api\/v2\/payments\/([^/]+)$/.exec(path);
    if (req.method === "GET" && get) {
      const tx = transactions.get("konnect")!.get(decodeURIComponent(get[1]!));
      if (!tx) throw new HttpError(404, { errors: [{ code: "PAYMENT_NOT_FOUND", message: "Payment not found" }] });
      return { status: 200, body: konnectView(tx) };
    }
    throw new HttpError(404, { errors: [{ code: "NOT_FOUND", message: `no route ${req.method} ${path}` }] });
  }

  // ---------------------------------------------------------------- Stripe

  const stripeError = (status: number, type: string, message: string, extra: Record<string, unknown> = {}) =>
    new HttpError(status, { error: { type, message, ...extra } });

  function stripeSession(tx: Transaction, expandIntent: boolean): Record<string, unknown> {
    const intent = tx.ids.payment_intent ?? null;
    const created = Math.floor(Date.parse(tx.created_at) / 1000);
    const status = tx.status === "PAID" ? "complete" : tx.status === "FAILED" ? "expired" : "open";
    return {
      id: tx.reference,
      object: "checkout.session",
      amount_subtotal: tx.amount,
      amount_total: tx.amount,
      currency: tx.currency.toLowerCase(),
      client_reference_id: tx.internal_reference,
      customer_email: tx.request.customer_email ?? null,
      metadata: Object.fromEntries(Object.entries(tx.request).filter(([k]) => k.startsWith("metadata[")).map(([k, v]) => [k.slice(9, -1), v])),
      mode: "payment",
      payment_intent:
        intent && expandIntent
          ? { id: intent, object: "payment_intent", amount: tx.amount, currency: tx.currency.toLowerCase(), status: "succeeded" }
          : intent,
      payment_status: tx.status === "PAID" ? "paid" : "unpaid",
      status,
      success_url: tx.return_url,
      cancel_url: tx.request.cancel_url ?? null,
      url: status === "open" ? `${origin}/checkout/stripe/${tx.reference}` : null,
      created,
      expires_at: created + 24 * 3600,
      livemode: false,
    };
  }

  function stripe(req: IncomingMessage, path: string, url: URL, form: URLSearchParams, raw: string): Reply {
    if (!sameSecret(req.headers.authorization, `Bearer ${secrets.STRIPE_SECRET_KEY}`)) {
      throw stripeError(401, "invalid_request_error", "Invalid API Key provided.");
    }
    if (req.method === "POST") {
      if (!(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
        throw stripeError(400, "invalid_request_error", "Stripe takes application/x-www-form-urlencoded bodies.");
      }
      const key = req.headers["idempotency-key"];
      if (typeof key === "string" && key) {
        const fingerprint = createHash("sha256").update(`${path}\n${raw}`).digest("hex");
        const seen = stripeIdempotency.get(key);
        if (seen && seen.fingerprint !== fingerprint) {
          throw stripeError(400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
        }
        if (seen) return { ...seen.reply, headers: { "Idempotent-Replayed": "true" } };
        const reply = stripePost(path, form);
        stripeIdempotency.set(key, { fingerprint, reply });
        return reply;
      }
      return stripePost(path, form);
    }
    const get = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (req.method === "GET" && get) {
      const tx = transactions.get("stripe")!.get(decodeURIComponent(get[1]!));
      if (!tx) throw stripeError(404, "invalid_request_error", `No such checkout.session: '${get[1]}'`, { code: "resource_missing" });
      return { status: 200, body: stripeSession(tx, url.searchParams.getAll("expand[]").includes("payment_intent")) };
    }
    throw stripeError(404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${path}).`);
  }

  function stripePost(path: string, form: URLSearchParams): Reply {
    const param = (name: string) => form.get(name);
    const missing = (name: string) => stripeError(400, "invalid_request_error", `Missing required param: ${name}.`, { code: "parameter_missing", param: name });
    if (path === "/v1/checkout/sessions") {
      if (param("mode") !== "payment") throw missing("mode");
      const currency = param("line_items[0][price_data][currency]");
      const unit = param("line_items[0][price_data][unit_amount]");
      const quantity = param("line_items[0][quantity]");
      if (!currency || !/^[a-z]{3}$/.test(currency)) throw missing("line_items[0][price_data][currency]");
      if (!unit || !/^\d+$/.test(unit) || Number(unit) <= 0) throw missing("line_items[0][price_data][unit_amount]");
      if (!param("line_items[0][price_data][product_data][name]")) throw missing("line_items[0][price_data][product_data][name]");
      if (!quantity || !/^[1-9]\d*$/.test(quantity)) throw missing("line_items[0][quantity]");
      if (!isAbsoluteUrl(param("success_url"))) throw missing("success_url");
      const amount = Number(unit) * Number(quantity);
      if (currency === "tnd" && amount % 10 !== 0) {
        throw stripeError(400, "invalid_request_error", "TND amounts must be a multiple of 10 (the smallest TND unit Stripe settles is 0.010).", { code: "amount_invalid" });
      }
      const tx = create("stripe", {
        reference: `cs_test_${hex(16)}`,
        internal_reference: param("client_reference_id"),
        amount,
        currency: currency.toUpperCase(),
        description: param("line_items[0][price_data][product_data][name]")!,
        callback_url: null,
        return_url: param("success_url"),
        request: Object.fromEntries(form),
        ids: {},
        expires_at: null,
      });
      return { status: 200, body: stripeSession(tx, false) };
    }
    if (path === "/v1/refunds") {
      const intent = param("payment_intent");
      if (!intent) throw missing("payment_intent");
      const tx = [...transactions.get("stripe")!.values()].find((t) => t.ids.payment_intent === intent);
      if (!tx) throw stripeError(404, "invalid_request_error", `No such payment_intent: '${intent}'`, { code: "resource_missing" });
      const refunded = tx.refunds.reduce((sum, r) => sum + r.amount, 0);
      const amount = param("amount") === null ? tx.amount - refunded : Number(param("amount"));
      if (!Number.isSafeInteger(amount) || amount <= 0) throw missing("amount");
      if (refunded >= tx.amount) throw stripeError(400, "invalid_request_error", "Charge has already been refunded.", { code: "charge_already_refunded" });
      if (amount > tx.amount - refunded) throw stripeError(400, "invalid_request_error", "Refund amount is greater than unrefunded amount on charge.", { code: "amount_too_large" });
      if (tx.currency === "TND" && amount % 10 !== 0) throw stripeError(400, "invalid_request_error", "TND amounts must be a multiple of 10.", { code: "amount_invalid" });
      const refund: Refund = { id: `re_${hex(12)}`, amount, status: "succeeded", created_at: nowIso() };
      tx.refunds.push(refund);
      return {
        status: 200,
        body: {
          id: refund.id,
          object: "refund",
          amount,
          currency: tx.currency.toLowerCase(),
          payment_intent: intent,
          reason: param("reason"),
          metadata: { reason: param("metadata[reason]") },
          status: refund.status,
          created: unixNow(),
        },
      };
    }
    throw stripeError(404, "invalid_request_error", `Unrecognized request URL (POST: ${path}).`);
  }

  // ---------------------------------------------------------------- Webhooks and settlement

  const json = (value: unknown) => JSON.stringify(value);
  const dashboardWebhook = (provider: string) => (webhookBase ? `${webhookBase}/v1/webhooks/${provider}` : null);

  /** The callback the provider sends now about this transaction; null when it sends none. */
  function webhookFor(tx: Transaction): Webhook | null {
    switch (tx.provider) {
      case "mtn":
        if (!tx.callback_url) return null;
        return { url: tx.callback_url, method: "PUT", headers: { "Content-Type": "application/json" }, body: json(mtnView(tx)) };
      case "fedapay": {
        const url = dashboardWebhook("fedapay");
        if (!url) return null;
        const body = json({ name: `transaction.${tx.status === "PENDING" ? "updated" : FEDAPAY_STATUS[tx.status]}`, entity: fedapayView(tx, false) });
        const t = unixNow();
        return { url, method: "POST", headers: { "Content-Type": "application/json", "X-FEDAPAY-SIGNATURE": `t=${t},s=${hmacHex(secrets.FEDAPAY_WEBHOOK_SECRET, `${t}.${body}`)}` }, body };
      }
      case "kkiapay": {
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
      }
      case "konnect": {
        if (!tx.callback_url) return null;
        const url = new URL(tx.callback_url);
        url.searchParams.set("payment_ref", tx.reference);
        return { url: url.toString(), method: "GET", headers: {}, body: "" };
      }
      case "stripe": {
        const url = dashboardWebhook("stripe");
        if (!url) return null;
        const type = tx.status === "FAILED" ? "checkout.session.expired" : "checkout.session.completed";
        const body = json({
          id: `evt_${hex(12)}`,
          object: "event",
          api_version: "2025-10-29.clover",
          created: unixNow(),
          livemode: false,
          pending_webhooks: 1,
          type,
          data: { object: stripeSession(tx, false) },
        });
        const t = unixNow();
        return { url, method: "POST", headers: { "Content-Type": "application/json", "Stripe-Signature": `t=${t},v1=${hmacHex(secrets.STRIPE_WEBHOOK_SECRET, `${t}.${body}`)}` }, body };
      }
    }
  }

  async function deliver(webhook: Webhook | null): Promise<{ status: number } | { error: string } | null> {
    if (!webhook) return null;
    try {
      const response = await fetch(webhook.url, {
        method: webhook.method,
        headers: webhook.headers,
        body: webhook.method === "GET" ? undefined : webhook.body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return { status: response.status };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  function settle(tx: Transaction, outcome: Outcome, amount?: number, currency?: string) {
    if (amount !== undefined) tx.amount = amount;
    if (currency !== undefined) tx.currency = currency;
    if (outcome === tx.status) return;
    tx.status = outcome;
    tx.settled_at = outcome === "PENDING" ? null : nowIso();
    if (outcome !== "PENDING") tx.ids.financialTransactionId ??= String(Math.floor(1e9 + Math.random() * 9e9));
    if (outcome === "PAID") {
      tx.ids.externalTransactionId ??= hex(6);
      if (tx.provider === "stripe") tx.ids.payment_intent ??= `pi_${hex(12)}`;
    }
    // A Konnect payment that was not paid stays "pending" until its link expires: a decline is that expiry.
    if (tx.provider === "konnect" && outcome === "FAILED") tx.expires_at = new Date(Date.now() - 1000).toISOString();
  }

  // ---------------------------------------------------------------- Control API and pages

  function providerOf(name: string | undefined): Provider {
    if (!name || !(PROVIDERS as readonly string[]).includes(name)) throw new HttpError(404, { error: `unknown provider ${name}` });
    return name as Provider;
  }

  const OUTCOMES = ["PAID", "FAILED", "PENDING"];

  async function control(req: IncomingMessage, path: string, input: Record<string, unknown>, fromForm: boolean): Promise<Reply> {
    const parts = path.split("/").filter(Boolean); // ["_control", provider, action, …]
    const provider = providerOf(parts[1]);
    const action = parts[2];
    const deliverNow = input.deliver === true || input.deliver === "true";
    let reply: Reply;
    if (req.method === "POST" && action === "settle") {
      const reference = text(input.reference);
      const outcome = String(input.status);
      if (!reference || !OUTCOMES.includes(outcome)) throw new HttpError(400, { error: "reference and status (PAID|FAILED|PENDING) are required" });
      const amount = input.amount === undefined || input.amount === "" ? undefined : Number(input.amount);
      if (amount !== undefined && !positiveInteger(amount)) throw new HttpError(400, { error: "amount must be a positive integer" });
      const tx = find(provider, reference);
      settle(tx, outcome as Outcome, amount, text(input.currency) ?? undefined);
      const webhook = webhookFor(tx);
      reply = { status: 200, body: { webhook, delivery: deliverNow ? await deliver(webhook) : null } };
    } else if (req.method === "POST" && action === "pay" && provider === "kkiapay") {
      const amount = positiveInteger(Number(input.amount));
      const outcome = String(input.status ?? "PAID");
      if (!amount || !OUTCOMES.includes(outcome)) throw new HttpError(400, { error: "amount and status (PAID|FAILED|PENDING) are required" });
      const data = input.data ?? null;
      const tx = create("kkiapay", {
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
      settle(tx, outcome as Outcome);
      const webhook = webhookFor(tx);
      reply = { status: 200, body: { transactionId: tx.reference, webhook, delivery: deliverNow ? await deliver(webhook) : null } };
    } else if (req.method === "POST" && action === "fail") {
      const count = Number(input.count);
      const status = Number(input.status);
      const match = text(input.match) ?? null;
      if (!Number.isInteger(count) || count < 0 || !Number.isInteger(status) || status < 400 || status > 599) throw new HttpError(400, { error: "count (≥ 0) and status (4xx|5xx) are required" });
      const rules = failures.get(provider)!.filter((rule) => rule.match !== match);
      if (count > 0) rules.push({ remaining: count, status, match });
      failures.set(provider, rules);
      reply = { status: 200, body: { provider, count, status, match } };
    } else if (req.method === "POST" && action === "expire-tokens" && provider === "mtn") {
      mtnTokens.clear();
      reply = { status: 200, body: { expired: true } };
    } else if (req.method === "GET" && action === "transactions" && parts[3]) {
      reply = { status: 200, body: find(provider, decodeURIComponent(parts.slice(3).join("/"))) };
    } else if (req.method === "GET" && action === "stats") {
      const byRoute = Object.fromEntries(calls.get(provider)!);
      reply = { status: 200, body: { api_calls: Object.values(byRoute).reduce((a, b) => a + b, 0), calls: byRoute } };
    } else {
      throw new HttpError(404, { error: `no control ${req.method} ${path}` });
    }
    if (!fromForm) return reply;
    // The pages' buttons: back to the page, or to the merchant after a hosted payment.
    const body = record(reply.body);
    if (body.delivery && "error" in record(body.delivery)) console.error(`fake ${provider}: webhook not delivered: ${String(record(body.delivery).error)}`);
    const back = text(input.redirect);
    const tx = text(input.reference) ? transactions.get(provider)!.get(String(input.reference)) : undefined;
    return { status: 303, redirect: back === "return" && tx?.return_url ? tx.return_url : "/" };
  }

  function decisionForm(tx: Transaction, redirect: string): string {
    const button = (status: Outcome, label: string) =>
      `<form method="post" action="/_control/${tx.provider}/settle"><input type="hidden" name="reference" value="${escapeHtml(tx.reference)}">` +
      `<input type="hidden" name="status" value="${status}"><input type="hidden" name="deliver" value="true">` +
      `<input type="hidden" name="redirect" value="${redirect}"><button>${label}</button></form>`;
    return `${button("PAID", "Approve")} ${button("FAILED", "Decline")}`;
  }

  function page(title: string, content: string): string {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}form{display:inline}button{margin:0 .2rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${content}</body></html>`;
  }

  const row = (tx: Transaction, actions: string) =>
    `<tr><td>${tx.provider}</td><td><code>${escapeHtml(tx.reference)}</code></td><td>${escapeHtml(tx.internal_reference ?? "")}</td>` +
    `<td>${tx.amount} ${escapeHtml(tx.currency)}</td><td>${escapeHtml(tx.description)}</td><td>${tx.status}</td><td>${actions}</td></tr>`;
  const table = (rows: string[]) =>
    rows.length
      ? `<table><tr><th>Provider</th><th>Reference</th><th>Ours</th><th>Amount</th><th>Description</th><th>Status</th><th></th></tr>${rows.join("")}</table>`
      : "<p>None.</p>";

  function home(): string {
    const all = PROVIDERS.flatMap((p) => [...transactions.get(p)!.values()]).sort((a, b) => b.created_at.localeCompare(a.created_at));
    const pending = all.filter((tx) => tx.status === "PENDING").map((tx) => row(tx, decisionForm(tx, "/")));
    const settled = all.filter((tx) => tx.status !== "PENDING").slice(0, 20).map((tx) => row(tx, ""));
    const widget =
      `<form method="post" action="/_control/kkiapay/pay"><input type="hidden" name="deliver" value="true">` +
      `Amount (XOF) <input name="amount" size="8" required> Our reference (widget data) <input name="data" size="24" required> ` +
      `<select name="status"><option>PAID</option><option>FAILED</option></select> <button>Pay with the KkiaPay widget</button></form>`;
    return page(
      "Fake payment providers",
      `<p>MTN MoMo, FedaPay, KkiaPay, Konnect and Stripe on loopback. Approving sends the provider's callback to the platform.</p>` +
        `<h2>Waiting for the payer</h2>${table(pending)}<h2>KkiaPay widget</h2>${widget}<h2>Recently settled</h2>${table(settled)}`,
    );
  }

  function checkout(provider: Provider, reference: string): string {
    const tx = find(provider, reference);
    const actions = tx.status === "PENDING" ? decisionForm(tx, "return") : "";
    return page(`Pay ${tx.amount} ${tx.currency} (${provider})`, table([row(tx, actions)]));
  }

  // ---------------------------------------------------------------- HTTP

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  function parseJson(raw: string): Record<string, unknown> {
    if (!raw.trim()) return {};
    try {
      const value: unknown = JSON.parse(raw);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new HttpError(400, { error: "expected a JSON object" });
  }

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    const raw = await readBody(req);
    const isForm = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    if (path === "/" && req.method === "GET") return { status: 200, html: home() };
    const hosted = /^\/checkout\/([a-z]+)\/([^/]+)$/.exec(path);
    if (hosted && req.method === "GET") return { status: 200, html: checkout(providerOf(hosted[1]), decodeURIComponent(hosted[2]!)) };
    if (path.startsWith("/_control/")) {
      return control(req, path, isForm ? Object.fromEntries(new URLSearchParams(raw)) : parseJson(raw), isForm);
    }
    const [, prefix = "", ...rest] = path.split("/");
    const provider = providerOf(prefix);
    const subpath = `/${rest.join("/")}`;
    const counter = calls.get(provider)!;
    counter.set(`${req.method} ${subpath}`, (counter.get(`${req.method} ${subpath}`) ?? 0) + 1);
    const failure = failures.get(provider)!.find((rule) => rule.remaining > 0 && (rule.match === null || subpath.includes(rule.match) || raw.includes(rule.match)));
    if (failure) {
      failure.remaining -= 1;
      return { status: failure.status, body: { error: "injected failure" }, headers: failure.status === 429 ? { "Retry-After": "1" } : undefined };
    }
    switch (provider) {
      case "mtn":
        return mtn(req, subpath, parseJson(raw));
      case "fedapay":
        return fedapay(req, subpath, url, parseJson(raw));
      case "kkiapay":
        return kkiapay(req, subpath, parseJson(raw));
      case "konnect":
        return konnect(req, subpath, parseJson(raw));
      case "stripe":
        return stripe(req, subpath, url, new URLSearchParams(isForm ? raw : ""), raw);
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req)
      .catch((error: unknown): Reply => {
        if (error instanceof HttpError) return { status: error.status, body: error.body };
        return { status: 500, body: { error: String(error) } };
      })
      .then((reply) => {
        if (reply.redirect) {
          res.writeHead(reply.status, { Location: reply.redirect, ...reply.headers });
          res.end();
        } else if (reply.html !== undefined) {
          res.writeHead(reply.status, { "Content-Type": "text/html; charset=utf-8", ...reply.headers });
          res.end(reply.html);
        } else if (reply.body === undefined) {
          res.writeHead(reply.status, { ...reply.headers });
          res.end();
        } else {
          res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
          res.end(JSON.stringify(reply.body));
        }
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
