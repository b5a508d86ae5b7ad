import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startFakePaymentProviders, type FakePaymentSecrets } from "../../scripts/fakes/payments/server.ts";

/**
 * The fake payment providers as `npm start` runs them: on a fixed port, with
 * their state in a file, so that a restart (a new `npm start` on the same
 * local database) neither forgets a payment nor hands out an id again.
 */
const SECRETS: FakePaymentSecrets = {
  MTN_MOMO_TARGET_ENVIRONMENT: "mtnbenin",
  MTN_MOMO_SUBSCRIPTION_KEY: "sub-key",
  MTN_MOMO_API_USER: "0f2b7c1e-4d6a-4b8e-9c3f-5a1d2e3f4a5b",
  MTN_MOMO_API_KEY: "api-key",
  FEDAPAY_SECRET_KEY: "sk_local_x",
  FEDAPAY_WEBHOOK_SECRET: "wh_local_x",
  KKIAPAY_PUBLIC_KEY: "pk",
  KKIAPAY_PRIVATE_KEY: "tpk",
  KKIAPAY_SECRET: "tsk",
  KONNECT_API_KEY: "konnect-key",
  KONNECT_WALLET_ID: "wallet",
  STRIPE_SECRET_KEY: "sk_test_x",
  STRIPE_WEBHOOK_SECRET: "whsec_x",
};

const dir = mkdtempSync(join(tmpdir(), "fake-payments-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** One HTTP request on its own connection: a pooled one would still point at the server before its restart. */
function fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | URLSearchParams } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : String(init.body);
    const req = request(url, { method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          headers: { get: (name: string) => (res.headers[name.toLowerCase()] as string | undefined) ?? null },
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const fedapay = (url: string, path: string, body?: unknown) =>
  fetch(`${url}/fedapay${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${SECRETS.FEDAPAY_SECRET_KEY}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const newFedapayTransaction = async (url: string) => {
  const res = await fedapay(url, "/v1/transactions", { description: "Billet", amount: 5000, currency: { iso: "XOF" }, custom_metadata: { reference: "PAY-1" } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { "v1/transaction": { id: number } })["v1/transaction"].id;
};

const stripeSession = (url: string, key: string) =>
  fetch(`${url}/stripe/v1/checkout/sessions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${SECRETS.STRIPE_SECRET_KEY}`, "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key },
    body: new URLSearchParams({
      mode: "payment",
      "line_items[0][price_data][currency]": "xof",
      "line_items[0][price_data][unit_amount]": "5000",
      "line_items[0][price_data][product_data][name]": "Billet",
      "line_items[0][quantity]": "1",
      success_url: "https://example.com/done",
    }),
  });

const mtnToken = async (url: string) => {
  const res = await fetch(`${url}/mtn/collection/token/`, {
    method: "POST",
    headers: {
      "Ocp-Apim-Subscription-Key": SECRETS.MTN_MOMO_SUBSCRIPTION_KEY,
      Authorization: `Basic ${Buffer.from(`${SECRETS.MTN_MOMO_API_USER}:${SECRETS.MTN_MOMO_API_KEY}`).toString("base64")}`,
    },
  });
  return ((await res.json()) as { access_token: string }).access_token;
};

const mtnStatus = (url: string, token: string, reference: string) =>
  fetch(`${url}/mtn/collection/v1_0/requesttopay/${reference}`, {
    headers: { "Ocp-Apim-Subscription-Key": SECRETS.MTN_MOMO_SUBSCRIPTION_KEY, Authorization: `Bearer ${token}`, "X-Target-Environment": SECRETS.MTN_MOMO_TARGET_ENVIRONMENT },
  });

describe("the fake payment providers' state", () => {
  it("outlives a restart on the same port: transactions, FedaPay's numbering, MTN's tokens, Stripe's idempotency keys", async () => {
    const stateFile = join(dir, "state", "fake-payments.json");
    const first = await startFakePaymentProviders({ secrets: SECRETS, stateFile });
    const port = new URL(first.url).port;
    const paid = await newFedapayTransaction(first.url);
    const settled = await fetch(`${first.url}/_control/fedapay/settle`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reference: String(paid), status: "PAID" }) });
    expect(settled.status).toBe(200);
    const session = (await (await stripeSession(first.url, "key-1")).json()) as { id: string };
    const token = await mtnToken(first.url);
    await first.close();

    const second = await startFakePaymentProviders({ secrets: SECRETS, stateFile, port: Number(port) });
    try {
      expect(second.url).toBe(first.url);
      // The payment the local database refers to is still there, paid; the next one gets a new id.
      const known = await fedapay(second.url, `/v1/transactions/${paid}`);
      expect(((await known.json()) as { "v1/transaction": { status: string } })["v1/transaction"].status).toBe("approved");
      expect(await newFedapayTransaction(second.url)).toBeGreaterThan(paid);
      // Stripe replays a retried request instead of creating a second session.
      const replay = await stripeSession(second.url, "key-1");
      expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
      expect(((await replay.json()) as { id: string }).id).toBe(session.id);
      // The token the Worker cached is still good (an unknown reference is a 404, not a 401).
      expect((await mtnStatus(second.url, token, crypto.randomUUID())).status).toBe(404);
    } finally {
      await second.close();
    }
  });

  it("starts empty without a state file (tests), yet never hands out an id the first run gave", async () => {
    const first = await startFakePaymentProviders({ secrets: SECRETS });
    const id = await newFedapayTransaction(first.url);
    await first.close();
    const second = await startFakePaymentProviders({ secrets: SECRETS });
    try {
      expect((await fedapay(second.url, `/v1/transactions/${id}`)).status).toBe(404);
      // A local database still holds the first run's id: numbering that restarted would collide with it.
      expect(await newFedapayTransaction(second.url)).toBeGreaterThan(id);
    } finally {
      await second.close();
    }
  });
});
