import { createHash } from "node:crypto";
import {
  type ApiRequest,
  type FakeProvider,
  header,
  hex,
  hmacHex,
  HttpError,
  isAbsoluteUrl,
  json,
  nowIso,
  type ProviderContext,
  type Refund,
  type Reply,
  sameSecret,
  type Transaction,
  unixNow,
} from "./shared.ts";

const stripeError = (status: number, type: string, message: string, extra: Record<string, unknown> = {}) => new HttpError(status, { error: { type, message, ...extra } });

/**
 * Stripe's API as the Worker uses it: Checkout Sessions (with their
 * PaymentIntent and its latest charge expanded on request) and refunds
 * (form-encoded bodies, the secret key as bearer, Idempotency-Key replays),
 * and `checkout.session.*` events signed `t=…,v1=HMAC-SHA256(whsec, "t.body")`.
 */
export function stripe({ secrets, store, origin, dashboardWebhook }: ProviderContext): FakeProvider {
  /** The intent's charge, as `expand[]=payment_intent.latest_charge` shows it: the card's brand, last digits and fingerprint. */
  function charge(tx: Transaction): Record<string, unknown> | string | null {
    if (!tx.ids.charge) return null;
    return {
      id: tx.ids.charge,
      object: "charge",
      amount: tx.amount,
      currency: tx.currency.toLowerCase(),
      paid: true,
      status: "succeeded",
      payment_intent: tx.ids.payment_intent,
      payment_method_details: { type: "card", card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2030, country: "FR", fingerprint: tx.ids.card_fingerprint } },
    };
  }

  function session(tx: Transaction, expand: readonly string[]): Record<string, unknown> {
    const expandIntent = expand.includes("payment_intent");
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
          ? {
              id: intent,
              object: "payment_intent",
              amount: tx.amount,
              currency: tx.currency.toLowerCase(),
              status: "succeeded",
              latest_charge: expand.includes("payment_intent.latest_charge") ? charge(tx) : (tx.ids.charge ?? null),
            }
          : intent,
      payment_status: tx.status === "PAID" ? "paid" : "unpaid",
      status,
      success_url: tx.return_url,
      cancel_url: tx.request.cancel_url ?? null,
      url: status === "open" ? `${origin()}/checkout/stripe/${tx.reference}` : null,
      created,
      expires_at: created + 24 * 3600,
      livemode: false,
    };
  }

  function createSession(form: URLSearchParams): Reply {
    const param = (name: string) => form.get(name);
    const missing = (name: string) => stripeError(400, "invalid_request_error", `Missing required param: ${name}.`, { code: "parameter_missing", param: name });
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
    const tx = store.create("stripe", {
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
    return { status: 200, body: session(tx, []) };
  }

  function refund(form: URLSearchParams): Reply {
    const param = (name: string) => form.get(name);
    const missing = (name: string) => stripeError(400, "invalid_request_error", `Missing required param: ${name}.`, { code: "parameter_missing", param: name });
    const intent = param("payment_intent");
    if (!intent) throw missing("payment_intent");
    const tx = store.list("stripe").find((t) => t.ids.payment_intent === intent);
    if (!tx) throw stripeError(404, "invalid_request_error", `No such payment_intent: '${intent}'`, { code: "resource_missing" });
    const refunded = tx.refunds.reduce((sum, r) => sum + r.amount, 0);
    const amount = param("amount") === null ? tx.amount - refunded : Number(param("amount"));
    if (!Number.isSafeInteger(amount) || amount <= 0) throw missing("amount");
    if (refunded >= tx.amount) throw stripeError(400, "invalid_request_error", "Charge has already been refunded.", { code: "charge_already_refunded" });
    if (amount > tx.amount - refunded) throw stripeError(400, "invalid_request_error", "Refund amount is greater than unrefunded amount on charge.", { code: "amount_too_large" });
    if (tx.currency === "TND" && amount % 10 !== 0) throw stripeError(400, "invalid_request_error", "TND amounts must be a multiple of 10.", { code: "amount_invalid" });
    const made: Refund = { id: `re_${hex(12)}`, amount, status: "succeeded", created_at: nowIso() };
    tx.refunds.push(made);
    return {
      status: 200,
      body: {
        id: made.id,
        object: "refund",
        amount,
        currency: tx.currency.toLowerCase(),
        payment_intent: intent,
        reason: param("reason"),
        metadata: { reason: param("metadata[reason]") },
        status: made.status,
        created: unixNow(),
      },
    };
  }

  function post(path: string, form: URLSearchParams): Reply {
    if (path === "/v1/checkout/sessions") return createSession(form);
    if (path === "/v1/refunds") return refund(form);
    throw stripeError(404, "invalid_request_error", `Unrecognized request URL (POST: ${path}).`);
  }

  /** A POST, replayed when its Idempotency-Key was seen with the same parameters. */
  function idempotentPost(request: ApiRequest, form: URLSearchParams): Reply {
    const key = header(request, "idempotency-key");
    if (!key) return post(request.path, form);
    const fingerprint = createHash("sha256").update(`${request.path}\n${request.raw}`).digest("hex");
    const seen = store.stripeIdempotency.get(key);
    if (seen && seen.fingerprint !== fingerprint) {
      throw stripeError(400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
    }
    if (seen) return { ...seen.reply, headers: { "Idempotent-Replayed": "true" } };
    const reply = post(request.path, form);
    store.stripeIdempotency.set(key, { fingerprint, reply });
    return reply;
  }

  return {
    api(request) {
      const { req, path, url } = request;
      if (!sameSecret(header(request, "authorization"), `Bearer ${secrets.STRIPE_SECRET_KEY}`)) {
        throw stripeError(401, "invalid_request_error", "Invalid API Key provided.");
      }
      if (req.method === "POST") {
        if (!(header(request, "content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
          throw stripeError(400, "invalid_request_error", "Stripe takes application/x-www-form-urlencoded bodies.");
        }
        return idempotentPost(request, new URLSearchParams(request.raw));
      }
      const get = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
      if (req.method === "GET" && get) {
        const tx = store.get("stripe", decodeURIComponent(get[1]!));
        if (!tx) throw stripeError(404, "invalid_request_error", `No such checkout.session: '${get[1]}'`, { code: "resource_missing" });
        return { status: 200, body: session(tx, url.searchParams.getAll("expand[]")) };
      }
      throw stripeError(404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${path}).`);
    },

    webhookFor(tx) {
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
        data: { object: session(tx, []) },
      });
      const t = unixNow();
      return { url, method: "POST", headers: { "Content-Type": "application/json", "Stripe-Signature": `t=${t},v1=${hmacHex(secrets.STRIPE_WEBHOOK_SECRET, `${t}.${body}`)}` }, body };
    },

    onSettle(tx, outcome) {
      if (outcome !== "PAID") return;
      tx.ids.payment_intent ??= `pi_${hex(12)}`;
      tx.ids.charge ??= `ch_${hex(12)}`;
      // Stripe's fingerprints are 16 characters, the same for every payment with one card (a test may name the card).
      tx.ids.card_fingerprint ??= hex(8);
    },
  };
}
