import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fedapay } from "./fedapay.ts";
import { kkiapay } from "./kkiapay.ts";
import { konnect } from "./konnect.ts";
import { mtn } from "./mtn.ts";
import { checkoutPage, homePage } from "./pages.ts";
import {
  type FakePaymentSecrets,
  type FakeProvider,
  hex,
  HttpError,
  nowIso,
  type Outcome,
  OUTCOMES,
  parseJson,
  positiveInteger,
  type Provider,
  PROVIDERS,
  type ProviderContext,
  record,
  type Reply,
  text,
  type Transaction,
  type Webhook,
} from "./shared.ts";
import { PaymentStore } from "./store.ts";
import { stripe } from "./stripe.ts";

export type { FakePaymentSecrets } from "./shared.ts";

/**
 * MTN MoMo, FedaPay, KkiaPay, Konnect and Stripe as the Worker sees them, on
 * a loopback port, for tests and `npm start`. Each provider (its own module
 * beside this one) lives under its prefix (`/mtn`, `/fedapay`, `/kkiapay`,
 * `/konnect`, `/stripe`: the Worker's base URLs are `${url}/mtn` …) and checks
 * credentials and headers the way the real one does. Transactions are kept in
 * memory, and also in `stateFile` when given (`npm start`), so that a restart
 * keeps them and the providers' numbering.
 *
 * Test and demo controls under `/_control`:
 * - `POST /_control/{provider}/settle` {reference, status: PAID|FAILED|PENDING,
 *   amount?, currency?, card_fingerprint?, deliver?}: the payer pays (or not)
 *   (with the card of that fingerprint, at Stripe). Answers
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
 * - `POST /_control/fedapay/repeat-id` {id}: the next FedaPay transaction gets
 *   that id again, as a provider whose numbering restarted would answer.
 * `GET /` lists pending transactions with Approve / Decline buttons, and the
 * hosted payment pages (`/checkout/{provider}/{reference}`) do the same for one.
 */

export interface FakePaymentProvidersOptions {
  /** 0 (the default): any free port. */
  port?: number;
  /** The credentials the Worker is configured with, which the fake checks, and the webhook secrets it signs with. */
  secrets: FakePaymentSecrets;
  /** The Worker's origin, where FedaPay, KkiaPay and Stripe post webhooks (their dashboard setting). */
  webhookBase?: string;
  /** A JSON file keeping the providers' state across restarts; without it, memory only. */
  stateFile?: string;
}

export interface FakePaymentProviders {
  url: string;
  close(): Promise<void>;
}

export async function startFakePaymentProviders(options: FakePaymentProvidersOptions): Promise<FakePaymentProviders> {
  const webhookBase = options.webhookBase?.replace(/\/+$/, "") ?? null;
  const store = PaymentStore.open(options.stateFile);
  let origin = "";
  const context: ProviderContext = {
    secrets: options.secrets,
    store,
    origin: () => origin,
    dashboardWebhook: (name) => (webhookBase ? `${webhookBase}/v1/webhooks/${name}` : null),
  };
  const kkiapayFake = kkiapay(context);
  const fedapayFake = fedapay(context);
  const providers: Record<Provider, FakeProvider> = {
    mtn: mtn(context),
    fedapay: fedapayFake,
    kkiapay: kkiapayFake,
    konnect: konnect(context),
    stripe: stripe(context),
  };

  // Injected failures; `match` limits one to requests whose path or body contains it (one payment's reference), so parallel tests do not trip each other.
  const failures = new Map<Provider, { remaining: number; status: number; match: string | null }[]>(PROVIDERS.map((p) => [p, []]));
  const calls = new Map<Provider, Map<string, number>>(PROVIDERS.map((p) => [p, new Map()]));

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

  /** The payer pays, declines, or leaves it pending; `amount`/`currency`: what the provider reports from now on. */
  function settle(tx: Transaction, outcome: Outcome, amount?: number, currency?: string) {
    if (amount !== undefined) tx.amount = amount;
    if (currency !== undefined) tx.currency = currency;
    if (outcome === tx.status) return;
    tx.status = outcome;
    tx.settled_at = outcome === "PENDING" ? null : nowIso();
    if (outcome !== "PENDING") tx.ids.financialTransactionId ??= String(Math.floor(1e9 + Math.random() * 9e9));
    if (outcome === "PAID") tx.ids.externalTransactionId ??= hex(6);
    providers[tx.provider].onSettle?.(tx, outcome);
  }

  function providerOf(name: string | undefined): Provider {
    if (!name || !(PROVIDERS as readonly string[]).includes(name)) throw new HttpError(404, { error: `unknown provider ${name}` });
    return name as Provider;
  }

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
      const tx = store.find(provider, reference);
      // The card that pays, where the provider reports one (Stripe): its fingerprint.
      const card = text(input.card_fingerprint);
      if (card) tx.ids.card_fingerprint = card;
      settle(tx, outcome as Outcome, amount, text(input.currency) ?? undefined);
      const webhook = providers[provider].webhookFor(tx);
      reply = { status: 200, body: { webhook, delivery: deliverNow ? await deliver(webhook) : null } };
    } else if (req.method === "POST" && action === "pay" && provider === "kkiapay") {
      const amount = positiveInteger(Number(input.amount));
      const outcome = String(input.status ?? "PAID");
      if (!amount || !OUTCOMES.includes(outcome)) throw new HttpError(400, { error: "amount and status (PAID|FAILED|PENDING) are required" });
      const tx = kkiapayFake.widgetPayment(amount, input.data ?? null);
      settle(tx, outcome as Outcome);
      const webhook = kkiapayFake.webhookFor(tx);
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
    } else if (req.method === "POST" && action === "repeat-id" && provider === "fedapay") {
      const id = text(input.id);
      if (!id || !/^\d+$/.test(id)) throw new HttpError(400, { error: "id (a FedaPay transaction id) is required" });
      fedapayFake.repeatId(id);
      reply = { status: 200, body: { next_id: id } };
    } else if (req.method === "POST" && action === "expire-tokens" && provider === "mtn") {
      store.mtnTokens.clear();
      reply = { status: 200, body: { expired: true } };
    } else if (req.method === "GET" && action === "transactions" && parts[3]) {
      reply = { status: 200, body: store.find(provider, decodeURIComponent(parts.slice(3).join("/"))) };
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
    const tx = text(input.reference) ? store.get(provider, String(input.reference)) : undefined;
    return { status: 303, redirect: back === "return" && tx?.return_url ? tx.return_url : "/" };
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    const raw = await readBody(req);
    const isForm = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    if (path === "/" && req.method === "GET") return { status: 200, html: homePage(store) };
    const hosted = /^\/checkout\/([a-z]+)\/([^/]+)$/.exec(path);
    if (hosted && req.method === "GET") return { status: 200, html: checkoutPage(store.find(providerOf(hosted[1]), decodeURIComponent(hosted[2]!))) };
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
    return providers[provider].api({ req, path: subpath, url, raw });
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req)
      .catch((error: unknown): Reply => {
        if (error instanceof HttpError) return { status: error.status, body: error.body };
        return { status: 500, body: { error: String(error) } };
      })
      .then((reply) => {
        // What the request changed outlives a restart (a no-op without a state file).
        if (req.method !== "GET") {
          try {
            store.persist();
          } catch (error) {
            console.error(`fake payments: state not saved: ${String(error)}`);
          }
        }
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
