import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { toHex } from "../../src/lib/crypto/encoding.ts";
import { hmacSha256, sha256Hex } from "../../src/lib/crypto/hash.ts";
import { paymentProvider } from "../../src/payments/providers/index.ts";
import { decimalAmount } from "../../src/payments/providers/shared.ts";
import {
  ONLINE_PROVIDERS,
  ProviderError,
  type ChargeRequest,
  type OnlineProvider,
  type ParsedWebhook,
  type ProvidersConfig,
  type WebhookInput,
} from "../../src/payments/providers/types.ts";
import fedapayFixture from "../fixtures/webhooks/fedapay.json";
import kkiapayFixture from "../fixtures/webhooks/kkiapay.json";
import konnectFixture from "../fixtures/webhooks/konnect.json";
import mtnFixture from "../fixtures/webhooks/mtn-momo.json";
import stripeFixture from "../fixtures/webhooks/stripe.json";

const FAKE = inject("fakePaymentsUrl");
const CONFIG_KEYS = [
  "MTN_MOMO_BASE_URL",
  "MTN_MOMO_TARGET_ENVIRONMENT",
  "MTN_MOMO_SUBSCRIPTION_KEY",
  "MTN_MOMO_API_USER",
  "MTN_MOMO_API_KEY",
  "FEDAPAY_BASE_URL",
  "FEDAPAY_SECRET_KEY",
  "FEDAPAY_WEBHOOK_SECRET",
  "KKIAPAY_BASE_URL",
  "KKIAPAY_PUBLIC_KEY",
  "KKIAPAY_PRIVATE_KEY",
  "KKIAPAY_SECRET",
  "KONNECT_BASE_URL",
  "KONNECT_API_KEY",
  "KONNECT_WALLET_ID",
  "STRIPE_BASE_URL",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "WEBHOOK_TOLERANCE_SECONDS",
] as const satisfies readonly (keyof ProvidersConfig)[];

/** The Worker's own provider configuration (vitest.config.ts), with overrides. */
function configWith(overrides: Partial<ProvidersConfig> = {}): ProvidersConfig {
  const config = Object.fromEntries(CONFIG_KEYS.map((key) => [key, env[key]])) as unknown as ProvidersConfig;
  return { ...config, ...overrides };
}
const adapter = (name: OnlineProvider, overrides: Partial<ProvidersConfig> = {}) => paymentProvider(configWith(overrides), name);

const PREFIX: Record<OnlineProvider, string> = { MTN_MOMO: "mtn", FEDAPAY: "fedapay", KKIAPAY: "kkiapay", KONNECT: "konnect", STRIPE: "stripe" };

interface FakeWebhook {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

async function control<T = any>(name: OnlineProvider, action: string, body?: unknown): Promise<T> {
  const response = await fetch(`${FAKE}/_control/${PREFIX[name]}/${action}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`control ${action}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
const settle = (name: OnlineProvider, reference: string, status: "PAID" | "FAILED" | "PENDING", extra: Record<string, unknown> = {}) =>
  control<{ webhook: FakeWebhook | null }>(name, "settle", { reference, status, ...extra });
const fakeTransaction = (name: OnlineProvider, reference: string) => control(name, `transactions/${encodeURIComponent(reference)}`);
const apiCalls = async (name: OnlineProvider) => (await control<{ api_calls: number; calls: Record<string, number> }>(name, "stats"));

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  const payment_id = crypto.randomUUID();
  return {
    payment_id,
    internal_reference: `PAY-${payment_id.slice(0, 8).toUpperCase()}`,
    idempotency_key: crypto.randomUUID(),
    amount: 5000,
    currency: "XOF",
    method: "MOMO_MTN",
    payer_phone: "+2290196123456",
    payer_email: "awa.koffi@example.com",
    payer_name: "Awa Koffi Mensah",
    description: "2 billets: Finale de la coupe",
    callback_url: `https://api.test/v1/webhooks/mtn-momo/${payment_id}`,
    return_url: `https://app.test/payments/${payment_id}`,
    ...overrides,
  };
}

function webhookInput(input: { url?: string; method?: string; headers?: Record<string, string>; body?: string }, now = Date.now(), path_reference: string | null = null): WebhookInput {
  return {
    method: input.method ?? "POST",
    url: new URL(input.url ?? "https://api.test/v1/webhooks/test"),
    headers: new Headers(input.headers ?? {}),
    body: input.body ?? "",
    now,
    path_reference,
  };
}

/** The rejection of a call that must fail with a ProviderError. */
async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const okWebhook = (parsed: ParsedWebhook) => {
  if (!parsed.ok) throw new Error(`webhook rejected: ${parsed.reason}`);
  return parsed;
};

const hmacHex = async (secret: string, data: string) => toHex(await hmacSha256(secret, data));

describe("configuration", () => {
  it("points every provider of the test Worker at the loopback fake", () => {
    for (const [name, prefix] of Object.entries(PREFIX)) {
      const key = `${name}_BASE_URL` as keyof ProvidersConfig;
      expect(env[key]).toBe(`${FAKE}/${prefix}`);
    }
  });

  it("gives each provider its adapter, methods and currencies", () => {
    const shapes = Object.fromEntries(
      ONLINE_PROVIDERS.map((name) => {
        const p = adapter(name);
        return [name, { name: p.name, methods: [...p.methods], currencies: [...p.currencies], refunds: typeof p.refund === "function" }];
      }),
    );
    expect(shapes).toEqual({
      MTN_MOMO: { name: "MTN_MOMO", methods: ["MOMO_MTN"], currencies: ["XOF"], refunds: false },
      FEDAPAY: { name: "FEDAPAY", methods: ["MOMO_MTN", "MOMO_MOOV", "CARD"], currencies: ["XOF"], refunds: false },
      KKIAPAY: { name: "KKIAPAY", methods: ["MOMO_MTN", "MOMO_MOOV", "CARD"], currencies: ["XOF"], refunds: true },
      KONNECT: { name: "KONNECT", methods: ["CARD"], currencies: ["TND"], refunds: false },
      STRIPE: { name: "STRIPE", methods: ["CARD"], currencies: ["XOF", "TND"], refunds: true },
    });
  });

  it("reads decimal amounts into minor units, trailing zeros or not, and refuses what is not one", () => {
    expect(decimalAmount("5000", "XOF")).toBe(5000);
    expect(decimalAmount("5000.00", "XOF")).toBe(5000);
    expect(decimalAmount("191.250", "TND")).toBe(191250);
    expect(decimalAmount("191.25", "TND")).toBe(191250);
    expect(decimalAmount("5000.5", "XOF")).toBeNull();
    expect(decimalAmount("abc", "XOF")).toBeNull();
    expect(decimalAmount("5000", "GHS")).toBeNull();
    expect(decimalAmount(5000, "XOF")).toBeNull();
  });
});

describe("webhook fixtures", () => {
  const signed = [
    { provider: "STRIPE" as const, fixture: stripeFixture },
    { provider: "FEDAPAY" as const, fixture: fedapayFixture },
  ];
  const atFixture = (fixture: { timestamp: number }, offsetSeconds = 0) => (fixture.timestamp + offsetSeconds) * 1000;
  const signedInput = (fixture: (typeof signed)[number]["fixture"], changes: { header?: string | null; body?: string; now?: number } = {}) =>
    webhookInput(
      {
        headers: changes.header === null ? {} : { [fixture.header_name]: changes.header ?? fixture.header, "Content-Type": "application/json" },
        body: changes.body ?? fixture.body,
      },
      changes.now ?? atFixture(fixture),
    );

  it("verifies the Stripe vector at its timestamp", async () => {
    const parsed = okWebhook(await adapter("STRIPE").parseWebhook(signedInput(stripeFixture)));
    expect(parsed).toEqual({
      ok: true,
      event_id: "evt_test_1",
      event_type: "checkout.session.completed",
      signature_valid: true,
      external_reference: "cs_test_1",
      internal_reference: null,
      claimed_status: "PAID",
    });
  });

  it("verifies the FedaPay vector at its timestamp, deduplicated by a digest of its body", async () => {
    const parsed = okWebhook(await adapter("FEDAPAY").parseWebhook(signedInput(fedapayFixture)));
    expect(parsed).toEqual({
      ok: true,
      event_id: await sha256Hex(fedapayFixture.body),
      event_type: "transaction.approved",
      signature_valid: true,
      external_reference: "16851",
      internal_reference: null,
      claimed_status: "PAID",
    });
  });

  it("verifies the KkiaPay vector by its shared secret", async () => {
    const input = webhookInput({ headers: { [kkiapayFixture.header_name]: kkiapayFixture.header }, body: kkiapayFixture.body });
    expect(await adapter("KKIAPAY").parseWebhook(input)).toEqual({
      ok: true,
      event_id: "KKP-TEST-0001:transaction.success",
      event_type: "transaction.success",
      signature_valid: true,
      external_reference: "KKP-TEST-0001",
      internal_reference: null,
      claimed_status: "PAID",
    });
  });

  it("parses MTN's unsigned callbacks, success and failure, as unverified claims", async () => {
    const mtn = adapter("MTN_MOMO");
    const success = okWebhook(await mtn.parseWebhook(webhookInput({ method: "PUT", body: mtnFixture.success_body }, Date.now(), "payment-1")));
    const failure = okWebhook(await mtn.parseWebhook(webhookInput({ method: "POST", body: mtnFixture.failure_body }, Date.now(), "payment-2")));
    expect(success).toMatchObject({ signature_valid: false, internal_reference: "ord_123", claimed_status: "PAID", event_type: "SUCCESSFUL" });
    expect(failure).toMatchObject({ signature_valid: false, internal_reference: "ord_124", claimed_status: "FAILED", event_type: "FAILED" });
    expect(success.event_id).toBe(await sha256Hex(mtnFixture.success_body));
    expect(success.event_id).not.toBe(failure.event_id);
  });

  it("parses Konnect's unsigned GET by its payment_ref", async () => {
    const input = webhookInput({ method: konnectFixture.method, url: `https://api.test/v1/webhooks/konnect?${konnectFixture.query}` });
    expect(await adapter("KONNECT").parseWebhook(input)).toEqual({
      ok: true,
      event_id: await sha256Hex(konnectFixture.query),
      event_type: null,
      signature_valid: false,
      external_reference: konnectFixture.status_get_example.payment.id,
      internal_reference: null,
      claimed_status: null,
    });
  });

  describe.each(signed)("$provider signature", ({ provider, fixture }) => {
    const parse = (input: WebhookInput, overrides: Partial<ProvidersConfig> = {}) => adapter(provider, overrides).parseWebhook(input);

    it("is stale with the real clock", async () => {
      expect(await parse(signedInput(fixture, { now: Date.now() }))).toEqual({ ok: false, reason: "stale_timestamp" });
    });

    it("accepts the tolerance either way and not one second more", async () => {
      expect((await parse(signedInput(fixture, { now: atFixture(fixture, 300) }))).ok).toBe(true);
      expect((await parse(signedInput(fixture, { now: atFixture(fixture, -300) }))).ok).toBe(true);
      expect(await parse(signedInput(fixture, { now: atFixture(fixture, 301) }))).toEqual({ ok: false, reason: "stale_timestamp" });
      expect(await parse(signedInput(fixture, { now: atFixture(fixture, -301) }))).toEqual({ ok: false, reason: "future_timestamp" });
    });

    it("is from the future when our clock is far behind", async () => {
      expect(await parse(signedInput(fixture, { now: atFixture(fixture, -86_400) }))).toEqual({ ok: false, reason: "future_timestamp" });
    });

    it("refuses a signature with one character changed", async () => {
      const last = fixture.header.at(-1) === "0" ? "1" : "0";
      expect(await parse(signedInput(fixture, { header: fixture.header.slice(0, -1) + last }))).toEqual({ ok: false, reason: "bad_signature" });
    });

    it("refuses a request without the header", async () => {
      expect(await parse(signedInput(fixture, { header: null }))).toEqual({ ok: false, reason: "missing_signature" });
    });

    it("refuses a re-serialised body", async () => {
      const reserialised = JSON.stringify(JSON.parse(fixture.body), null, 2);
      expect(reserialised).not.toBe(fixture.body);
      expect(await parse(signedInput(fixture, { body: reserialised }))).toEqual({ ok: false, reason: "bad_signature" });
    });

    it("refuses a body with one value changed", async () => {
      expect(await parse(signedInput(fixture, { body: fixture.body.replace("5000", "50") }))).toEqual({ ok: false, reason: "bad_signature" });
    });

    it("refuses the vector under another secret", async () => {
      const other = provider === "STRIPE" ? { STRIPE_WEBHOOK_SECRET: "whsec_other" } : { FEDAPAY_WEBHOOK_SECRET: "wh_sandbox_other" };
      expect(await parse(signedInput(fixture), other)).toEqual({ ok: false, reason: "bad_signature" });
    });

    it("refuses headers without a timestamp or a signature, and garbage, without throwing", async () => {
      const [t, signature] = fixture.header.split(",");
      for (const header of [signature!, t!, "garbage", "t=abc,v1=zz,s=zz", ","]) {
        expect(await parse(signedInput(fixture, { header }))).toEqual({ ok: false, reason: "bad_signature" });
      }
    });

    it("calls a correctly signed body that is not an event malformed", async () => {
      const scheme = provider === "STRIPE" ? "v1" : "s";
      for (const body of ["not json", "[1,2]", '{"unrelated":true}']) {
        const header = `t=${fixture.timestamp},${scheme}=${await hmacHex(fixture.secret, `${fixture.timestamp}.${body}`)}`;
        expect(await parse(signedInput(fixture, { header, body }))).toEqual({ ok: false, reason: "malformed" });
      }
    });
  });

  it("accepts a Stripe header with several v1 signatures when any one matches, and ignores v0", async () => {
    const [t, v1] = stripeFixture.header.split(",");
    const several = `${t},v1=${"0".repeat(64)},${v1},v0=${"1".repeat(64)}`;
    expect((await adapter("STRIPE").parseWebhook(signedInput(stripeFixture, { header: several }))).ok).toBe(true);
    const onlyV0 = `${t},v0=${v1!.slice(3)}`;
    expect(await adapter("STRIPE").parseWebhook(signedInput(stripeFixture, { header: onlyV0 }))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("reads our reference from a Stripe session's client_reference_id, else its metadata", async () => {
    const event = (object: Record<string, unknown>) =>
      JSON.stringify({ id: "evt_x", object: "event", type: "checkout.session.completed", data: { object: { id: "cs_x", object: "checkout.session", payment_status: "unpaid", ...object } } });
    const parseSigned = async (body: string) => {
      const header = `t=${stripeFixture.timestamp},v1=${await hmacHex(stripeFixture.secret, `${stripeFixture.timestamp}.${body}`)}`;
      return okWebhook(await adapter("STRIPE").parseWebhook(signedInput(stripeFixture, { header, body })));
    };
    expect(await parseSigned(event({ client_reference_id: "PAY-1", metadata: { reference: "PAY-2" } }))).toMatchObject({ internal_reference: "PAY-1", claimed_status: "PENDING" });
    expect(await parseSigned(event({ metadata: { reference: "PAY-2" } }))).toMatchObject({ internal_reference: "PAY-2" });
  });

  it("refuses KkiaPay's webhook with a wrong or missing secret", async () => {
    const kkiapay = adapter("KKIAPAY");
    expect(await kkiapay.parseWebhook(webhookInput({ headers: { "x-kkiapay-secret": "kkiapay_test_secreT" }, body: kkiapayFixture.body }))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await kkiapay.parseWebhook(webhookInput({ body: kkiapayFixture.body }))).toEqual({ ok: false, reason: "missing_signature" });
    const otherSecret = adapter("KKIAPAY", { KKIAPAY_SECRET: "another_secret" });
    expect(await otherSecret.parseWebhook(webhookInput({ headers: { "x-kkiapay-secret": kkiapayFixture.header }, body: kkiapayFixture.body }))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("reads our reference from KkiaPay's stateData, as a string or an object", async () => {
    const kkiapay = adapter("KKIAPAY");
    const parse = (stateData: unknown) =>
      kkiapay.parseWebhook(
        webhookInput({ headers: { "x-kkiapay-secret": kkiapayFixture.secret }, body: JSON.stringify({ transactionId: "KKP-1", event: "transaction.failed", stateData }) }),
      );
    expect(await parse("PAY-1")).toMatchObject({ ok: true, internal_reference: "PAY-1", claimed_status: "FAILED" });
    expect(await parse({ reference: "PAY-2" })).toMatchObject({ ok: true, internal_reference: "PAY-2" });
    expect(await parse(null)).toMatchObject({ ok: true, internal_reference: null });
  });

  it("calls malformed what is not a provider's callback, signed or not", async () => {
    const malformed = { ok: false, reason: "malformed" };
    const kkiapay = (body: string) => adapter("KKIAPAY").parseWebhook(webhookInput({ headers: { "x-kkiapay-secret": kkiapayFixture.secret }, body }));
    expect(await kkiapay("not json")).toEqual(malformed);
    expect(await kkiapay('{"event":"transaction.success"}')).toEqual(malformed);
    expect(await kkiapay('{"transactionId":"KKP-1"}')).toEqual(malformed);
    const mtn = (body: string) => adapter("MTN_MOMO").parseWebhook(webhookInput({ method: "PUT", body }, Date.now(), "payment-1"));
    for (const body of ["", "not json", "[]", '"SUCCESSFUL"', '{"externalId":"ord_1"}', '{"status":42}']) {
      expect(await mtn(body)).toEqual(malformed);
    }
    const konnect = (query: string) => adapter("KONNECT").parseWebhook(webhookInput({ method: "GET", url: `https://api.test/v1/webhooks/konnect${query}` }));
    expect(await konnect("")).toEqual(malformed);
    expect(await konnect("?payment_ref=")).toEqual(malformed);
    expect(await konnect("?paymentRef=5f9b")).toEqual(malformed);
  });
});

describe("MTN MoMo against the fake", () => {
  const mtn = () => adapter("MTN_MOMO");
  const statusOf = (request: ChargeRequest) => mtn().status({ external_reference: request.idempotency_key, internal_reference: request.internal_reference, idempotency_key: request.idempotency_key });

  it("requests to pay with our idempotency key as X-Reference-Id and the payer's MSISDN, amount in whole francs", async () => {
    const request = chargeRequest();
    const started = await mtn().charge(request);
    expect(started.external_reference).toBe(request.idempotency_key);
    expect(started.next_action).toEqual({ type: "approve_on_phone", message: expect.stringContaining("5000 XOF") });
    const tx = await fakeTransaction("MTN_MOMO", request.idempotency_key);
    expect(tx).toMatchObject({
      internal_reference: request.internal_reference,
      callback_url: request.callback_url,
      request: { amount: "5000", currency: "XOF", externalId: request.internal_reference, payer: { partyIdType: "MSISDN", partyId: "2290196123456" } },
    });
  });

  it("is PENDING until the payer approves, then PAID with the amount, currency and our reference", async () => {
    const request = chargeRequest();
    await mtn().charge(request);
    expect((await statusOf(request)).status).toBe("PENDING");
    await settle("MTN_MOMO", request.idempotency_key, "PAID");
    const status = await statusOf(request);
    expect(status).toMatchObject({
      status: "PAID",
      amount: 5000,
      currency: "XOF",
      internal_reference: request.internal_reference,
      external_reference: request.idempotency_key,
      reason: null,
    });
    expect(status.operator_transaction_id).toMatch(/^\d+$/);
  });

  it("is FAILED with MTN's reason when the payer declines", async () => {
    const request = chargeRequest();
    await mtn().charge(request);
    await settle("MTN_MOMO", request.idempotency_key, "FAILED");
    expect(await statusOf(request)).toMatchObject({ status: "FAILED", reason: "APPROVAL_REJECTED" });
  });

  it("takes a repeated charge with the same idempotency key (MTN's 409) as the same request", async () => {
    const request = chargeRequest();
    const before = await apiCalls("MTN_MOMO");
    const first = await mtn().charge(request);
    const again = await mtn().charge(request);
    expect(again.external_reference).toBe(first.external_reference);
    expect(again.provider_response.http_status).toBe(409);
    const after = await apiCalls("MTN_MOMO");
    expect(after.calls["POST /collection/v1_0/requesttopay"]! - (before.calls["POST /collection/v1_0/requesttopay"] ?? 0)).toBe(2);
  });

  it("fetches one access token for several calls", async () => {
    const request = chargeRequest();
    await mtn().charge(request); // a token exists from here on
    const before = await apiCalls("MTN_MOMO");
    await statusOf(request);
    await statusOf(request);
    await mtn().charge(chargeRequest());
    const after = await apiCalls("MTN_MOMO");
    expect(after.api_calls - before.api_calls).toBe(3);
    expect(after.calls["POST /collection/token/"]).toBe(before.calls["POST /collection/token/"]);
  });

  it("replaces a token MTN revoked before its expiry, once", async () => {
    const request = chargeRequest();
    await mtn().charge(request);
    const before = await apiCalls("MTN_MOMO");
    await control("MTN_MOMO", "expire-tokens", {});
    expect((await statusOf(request)).status).toBe("PENDING");
    const after = await apiCalls("MTN_MOMO");
    expect(after.calls["POST /collection/token/"]! - before.calls["POST /collection/token/"]!).toBe(1);
  });

  it("surfaces MTN's 400 on a malformed MSISDN as a refusal, and needs a phone before calling", async () => {
    const error = await providerError(mtn().charge(chargeRequest({ payer_phone: "+22901" })));
    expect(error).toMatchObject({ provider: "MTN_MOMO", transient: false, status: 400 });
    const before = await apiCalls("MTN_MOMO");
    expect(await providerError(mtn().charge(chargeRequest({ payer_phone: null })))).toMatchObject({ transient: false, status: null });
    expect(await providerError(mtn().charge(chargeRequest({ currency: "TND" })))).toMatchObject({ transient: false });
    expect(await providerError(mtn().charge(chargeRequest({ method: "CARD" })))).toMatchObject({ transient: false });
    expect((await apiCalls("MTN_MOMO")).api_calls).toBe(before.api_calls);
  });

  it("is refused (not transient) with wrong credentials, asking for a token once", async () => {
    const wrong = adapter("MTN_MOMO", { MTN_MOMO_API_KEY: "not-the-key" });
    const before = await apiCalls("MTN_MOMO");
    expect(await providerError(wrong.charge(chargeRequest()))).toMatchObject({ transient: false, status: 401 });
    const after = await apiCalls("MTN_MOMO");
    expect(after.api_calls - before.api_calls).toBe(1);
  });

  it("builds the callback the parser reads with the real clock", async () => {
    const request = chargeRequest();
    await mtn().charge(request);
    const { webhook } = await settle("MTN_MOMO", request.idempotency_key, "PAID");
    expect(webhook).toMatchObject({ url: request.callback_url, method: "PUT" });
    const parsed = okWebhook(await mtn().parseWebhook(webhookInput(webhook!, Date.now(), request.payment_id)));
    expect(parsed).toMatchObject({ signature_valid: false, internal_reference: request.internal_reference, claimed_status: "PAID" });
  });
});

describe("FedaPay against the fake", () => {
  const fedapay = () => adapter("FEDAPAY");
  const statusOf = (external_reference: string, request: ChargeRequest) =>
    fedapay().status({ external_reference, internal_reference: request.internal_reference, idempotency_key: request.idempotency_key });

  it("creates a transaction with our reference in custom_metadata and redirects to its payment link", async () => {
    const request = chargeRequest({ method: "MOMO_MOOV" });
    const started = await fedapay().charge(request);
    expect(started.external_reference).toMatch(/^\d+$/);
    expect(started.next_action).toEqual({ type: "redirect", url: `${FAKE}/checkout/fedapay/${started.external_reference}` });
    const tx = await fakeTransaction("FEDAPAY", started.external_reference!);
    expect(tx.request).toMatchObject({
      amount: 5000,
      currency: { iso: "XOF" },
      callback_url: request.return_url,
      customer: { email: request.payer_email, firstname: "Awa", lastname: "Koffi Mensah", phone_number: { number: "0196123456", country: "bj" } },
      custom_metadata: { payment_id: request.payment_id, reference: request.internal_reference },
    });
  });

  it("is PENDING, then PAID with the amount, currency, fees and our reference", async () => {
    const request = chargeRequest();
    const { external_reference } = await fedapay().charge(request);
    expect((await statusOf(external_reference!, request)).status).toBe("PENDING");
    await settle("FEDAPAY", external_reference!, "PAID");
    expect(await statusOf(external_reference!, request)).toMatchObject({
      status: "PAID",
      amount: 5000,
      currency: "XOF",
      internal_reference: request.internal_reference,
      external_reference,
      fees: 90,
      reason: null,
    });
  });

  it("is FAILED when declined", async () => {
    const request = chargeRequest();
    const { external_reference } = await fedapay().charge(request);
    await settle("FEDAPAY", external_reference!, "FAILED");
    expect(await statusOf(external_reference!, request)).toMatchObject({ status: "FAILED", reason: "declined_by_payer" });
  });

  it("builds a signed webhook the parser accepts with the real clock", async () => {
    const request = chargeRequest();
    const { external_reference } = await fedapay().charge(request);
    const { webhook } = await settle("FEDAPAY", external_reference!, "PAID");
    expect(webhook!.url).toBe("https://api.test/v1/webhooks/fedapay");
    expect(await fedapay().parseWebhook(webhookInput(webhook!))).toMatchObject({
      ok: true,
      event_type: "transaction.approved",
      external_reference,
      internal_reference: request.internal_reference,
      claimed_status: "PAID",
    });
  });

  it("is refused (not transient) with a wrong secret key", async () => {
    expect(await providerError(adapter("FEDAPAY", { FEDAPAY_SECRET_KEY: "sk_wrong" }).charge(chargeRequest()))).toMatchObject({ transient: false, status: 401 });
  });
});

describe("KkiaPay against the fake", () => {
  const kkiapay = () => adapter("KKIAPAY");
  const statusOf = (external_reference: string | null) => kkiapay().status({ external_reference, internal_reference: "unused", idempotency_key: crypto.randomUUID() });
  const pay = (amount: number, data: unknown, status: "PAID" | "FAILED" = "PAID") =>
    control<{ transactionId: string; webhook: FakeWebhook | null }>("KKIAPAY", "pay", { amount, data, status });

  it("opens the widget with our public key and reference, without calling KkiaPay", async () => {
    const request = chargeRequest();
    const before = await apiCalls("KKIAPAY");
    const started = await kkiapay().charge(request);
    expect(started).toEqual({
      external_reference: null,
      next_action: {
        type: "widget",
        provider: "KKIAPAY",
        params: { key: env.KKIAPAY_PUBLIC_KEY, amount: 5000, data: request.internal_reference, callback: request.return_url, phone: "0196123456" },
      },
      provider_response: {},
    });
    expect((await apiCalls("KKIAPAY")).api_calls).toBe(before.api_calls);
  });

  it("has nothing to ask before the transaction id is known", async () => {
    expect(await providerError(statusOf(null))).toMatchObject({ transient: false });
  });

  it("reads a widget payment as PAID with the amount, fees and our reference", async () => {
    const { transactionId } = await pay(5000, "PAY-KKP-1");
    expect(await statusOf(transactionId)).toMatchObject({
      status: "PAID",
      amount: 5000,
      currency: "XOF",
      internal_reference: "PAY-KKP-1",
      external_reference: transactionId,
      fees: 95,
      reason: null,
    });
  });

  it("reads a failed widget payment as FAILED", async () => {
    const { transactionId } = await pay(5000, "PAY-KKP-2", "FAILED");
    expect(await statusOf(transactionId)).toMatchObject({ status: "FAILED", reason: "invalid_number" });
  });

  it("is PENDING until KkiaPay settles, and a settlement changes it", async () => {
    const { transactionId } = await control<{ transactionId: string }>("KKIAPAY", "pay", { amount: 3000, data: "PAY-KKP-3", status: "PENDING" });
    expect((await statusOf(transactionId)).status).toBe("PENDING");
    await settle("KKIAPAY", transactionId, "PAID");
    expect((await statusOf(transactionId)).status).toBe("PAID");
  });

  it("builds a webhook the parser accepts", async () => {
    const { transactionId, webhook } = await pay(5000, "PAY-KKP-4");
    expect(await kkiapay().parseWebhook(webhookInput(webhook!))).toEqual({
      ok: true,
      event_id: `${transactionId}:transaction.success`,
      event_type: "transaction.success",
      signature_valid: true,
      external_reference: transactionId,
      internal_reference: "PAY-KKP-4",
      claimed_status: "PAID",
    });
  });

  it("reverts a paid transaction once, recorded at KkiaPay, and a retried refund does not revert again", async () => {
    const { transactionId } = await pay(5000, "PAY-KKP-5");
    const refund = { external_reference: transactionId, amount: 5000, currency: "XOF" as const, idempotency_key: crypto.randomUUID(), reason: "event cancelled" };
    expect(await kkiapay().refund!(refund)).toMatchObject({ status: "REFUNDED", external_reference: transactionId });
    expect(await kkiapay().refund!(refund)).toMatchObject({ status: "REFUNDED" });
    const tx = await fakeTransaction("KKIAPAY", transactionId);
    expect(tx.refunds).toHaveLength(1);
    expect(tx.refunds[0]).toMatchObject({ amount: 5000 });
    expect(await statusOf(transactionId)).toMatchObject({ status: "FAILED", reason: "REVERTED" });
  });

  it("refuses a partial refund and a refund of an unpaid transaction", async () => {
    const { transactionId } = await pay(5000, "PAY-KKP-6");
    const refund = { external_reference: transactionId, amount: 2000, currency: "XOF" as const, idempotency_key: crypto.randomUUID(), reason: "partial" };
    expect(await providerError(kkiapay().refund!(refund))).toMatchObject({ transient: false });
    const failed = await pay(5000, "PAY-KKP-7", "FAILED");
    expect(await providerError(kkiapay().refund!({ ...refund, external_reference: failed.transactionId, amount: 5000 }))).toMatchObject({ transient: false });
    expect((await fakeTransaction("KKIAPAY", transactionId)).refunds).toHaveLength(0);
  });

  it("is refused (not transient) with a wrong private key", async () => {
    const { transactionId } = await pay(5000, "PAY-KKP-8");
    const wrong = adapter("KKIAPAY", { KKIAPAY_PRIVATE_KEY: "tpk_wrong" });
    expect(await providerError(wrong.status({ external_reference: transactionId, internal_reference: "x", idempotency_key: "y" }))).toMatchObject({ transient: false, status: 401 });
  });
});

describe("Konnect against the fake", () => {
  const konnect = () => adapter("KONNECT");
  const tndRequest = (overrides: Partial<ChargeRequest> = {}) =>
    chargeRequest({ amount: 12500, currency: "TND", method: "CARD", payer_phone: "+21622123456", ...overrides });
  const statusOf = (external_reference: string) => konnect().status({ external_reference, internal_reference: "unused", idempotency_key: crypto.randomUUID() });

  it("initiates a payment to our wallet in millimes with our webhook and reference", async () => {
    const request = tndRequest({ callback_url: "https://api.test/v1/webhooks/konnect" });
    const started = await konnect().charge(request);
    expect(started.next_action).toEqual({ type: "redirect", url: `${FAKE}/checkout/konnect/${started.external_reference}` });
    const tx = await fakeTransaction("KONNECT", started.external_reference!);
    expect(tx.request).toMatchObject({
      receiverWalletId: env.KONNECT_WALLET_ID,
      token: "TND",
      amount: 12500,
      type: "immediate",
      acceptedPaymentMethods: ["wallet", "bank_card", "e-DINAR"],
      checkoutForm: false,
      orderId: request.internal_reference,
      webhook: request.callback_url,
      silentWebhook: true,
      successUrl: request.return_url,
      failUrl: request.return_url,
      phoneNumber: "22123456",
      firstName: "Awa",
    });
  });

  it("is PENDING, then PAID with the amount in millimes, TND and our reference", async () => {
    const request = tndRequest();
    const { external_reference } = await konnect().charge(request);
    expect((await statusOf(external_reference!)).status).toBe("PENDING");
    await settle("KONNECT", external_reference!, "PAID");
    expect(await statusOf(external_reference!)).toMatchObject({
      status: "PAID",
      amount: 12500,
      currency: "TND",
      internal_reference: request.internal_reference,
      external_reference,
    });
  });

  it("is FAILED once its link expired unpaid", async () => {
    const { external_reference } = await konnect().charge(tndRequest());
    await settle("KONNECT", external_reference!, "FAILED");
    expect(await statusOf(external_reference!)).toMatchObject({ status: "FAILED", reason: "expired" });
  });

  it("builds the GET callback the parser reads", async () => {
    const request = tndRequest({ callback_url: "https://api.test/v1/webhooks/konnect" });
    const { external_reference } = await konnect().charge(request);
    const { webhook } = await settle("KONNECT", external_reference!, "PAID");
    expect(webhook).toMatchObject({ method: "GET", url: `https://api.test/v1/webhooks/konnect?payment_ref=${external_reference}` });
    expect(await konnect().parseWebhook(webhookInput(webhook!))).toMatchObject({ ok: true, external_reference, signature_valid: false });
  });

  it("takes TND only and a known payment only", async () => {
    expect(await providerError(konnect().charge(chargeRequest({ method: "CARD" })))).toMatchObject({ transient: false });
    expect(await providerError(statusOf("000000000000000000000000"))).toMatchObject({ transient: false, status: 404 });
  });
});

describe("Stripe against the fake", () => {
  const stripe = () => adapter("STRIPE");
  const cardRequest = (overrides: Partial<ChargeRequest> = {}) => chargeRequest({ method: "CARD", ...overrides });
  const statusOf = (external_reference: string) => stripe().status({ external_reference, internal_reference: "unused", idempotency_key: crypto.randomUUID() });

  it("creates a Checkout Session with our reference, form-encoded", async () => {
    const request = cardRequest();
    const started = await stripe().charge(request);
    expect(started.external_reference).toMatch(/^cs_test_/);
    expect(started.next_action).toEqual({ type: "redirect", url: `${FAKE}/checkout/stripe/${started.external_reference}` });
    const tx = await fakeTransaction("STRIPE", started.external_reference!);
    expect(tx.request).toMatchObject({
      mode: "payment",
      "line_items[0][price_data][currency]": "xof",
      "line_items[0][price_data][unit_amount]": "5000",
      "line_items[0][quantity]": "1",
      client_reference_id: request.internal_reference,
      "metadata[payment_id]": request.payment_id,
      "metadata[reference]": request.internal_reference,
      "payment_intent_data[metadata][reference]": request.internal_reference,
      success_url: request.return_url,
      customer_email: request.payer_email,
    });
  });

  it("is PENDING, then PAID with the amount, the currency upper-cased and our reference", async () => {
    const request = cardRequest();
    const { external_reference } = await stripe().charge(request);
    expect((await statusOf(external_reference!)).status).toBe("PENDING");
    await settle("STRIPE", external_reference!, "PAID");
    const status = await statusOf(external_reference!);
    expect(status).toMatchObject({ status: "PAID", amount: 5000, currency: "XOF", internal_reference: request.internal_reference, reason: null });
    expect(status.operator_transaction_id).toMatch(/^pi_/);
  });

  it("charges TND amounts ending in 0", async () => {
    const { external_reference } = await stripe().charge(cardRequest({ amount: 12340, currency: "TND" }));
    await settle("STRIPE", external_reference!, "PAID");
    expect(await statusOf(external_reference!)).toMatchObject({ status: "PAID", amount: 12340, currency: "TND" });
  });

  it("refuses a TND amount not ending in 0 before calling Stripe", async () => {
    const before = await apiCalls("STRIPE");
    expect(await providerError(stripe().charge(cardRequest({ amount: 12345, currency: "TND" })))).toMatchObject({ transient: false, status: null });
    expect((await apiCalls("STRIPE")).api_calls).toBe(before.api_calls);
  });

  it("is FAILED when the session expired unpaid", async () => {
    const { external_reference } = await stripe().charge(cardRequest());
    await settle("STRIPE", external_reference!, "FAILED");
    expect(await statusOf(external_reference!)).toMatchObject({ status: "FAILED", reason: "expired" });
  });

  it("gets the same session back for a retried charge (Idempotency-Key)", async () => {
    const request = cardRequest();
    const first = await stripe().charge(request);
    const again = await stripe().charge(request);
    expect(again.external_reference).toBe(first.external_reference);
  });

  it("refunds through the session's PaymentIntent once per idempotency key", async () => {
    const { external_reference } = await stripe().charge(cardRequest());
    await settle("STRIPE", external_reference!, "PAID");
    const refund = { external_reference: external_reference!, amount: 2000, currency: "XOF" as const, idempotency_key: crypto.randomUUID(), reason: "one ticket returned" };
    const first = await stripe().refund!(refund);
    expect(first).toMatchObject({ status: "REFUNDED", external_reference: expect.stringMatching(/^re_/) });
    expect((await stripe().refund!(refund)).external_reference).toBe(first.external_reference);
    const tx = await fakeTransaction("STRIPE", external_reference!);
    expect(tx.refunds).toEqual([expect.objectContaining({ id: first.external_reference, amount: 2000 })]);
  });

  it("refuses to refund an unpaid session or more than was paid", async () => {
    const { external_reference } = await stripe().charge(cardRequest());
    const refund = { external_reference: external_reference!, amount: 5000, currency: "XOF" as const, idempotency_key: crypto.randomUUID(), reason: "x" };
    expect(await providerError(stripe().refund!(refund))).toMatchObject({ transient: false });
    await settle("STRIPE", external_reference!, "PAID");
    expect(await providerError(stripe().refund!({ ...refund, amount: 6000, idempotency_key: crypto.randomUUID() }))).toMatchObject({ transient: false, status: 400 });
  });

  it("builds signed webhooks the parser accepts with the real clock", async () => {
    const request = cardRequest();
    const { external_reference } = await stripe().charge(request);
    const paid = (await settle("STRIPE", external_reference!, "PAID")).webhook!;
    expect(paid.url).toBe("https://api.test/v1/webhooks/stripe");
    const parsed = okWebhook(await stripe().parseWebhook(webhookInput(paid)));
    expect(parsed).toMatchObject({ event_type: "checkout.session.completed", external_reference, internal_reference: request.internal_reference, claimed_status: "PAID" });
    expect(parsed.event_id).toMatch(/^evt_/);
    const other = await stripe().charge(cardRequest());
    const expired = (await settle("STRIPE", other.external_reference!, "FAILED")).webhook!;
    expect(await stripe().parseWebhook(webhookInput(expired))).toMatchObject({ ok: true, event_type: "checkout.session.expired", claimed_status: "FAILED" });
  });
});

describe("provider failures", () => {
  it("maps a 500 to a transient ProviderError", async () => {
    const { external_reference } = await adapter("STRIPE").charge(chargeRequest({ method: "CARD" }));
    await control("STRIPE", "fail", { count: 1, status: 500 });
    const error = await providerError(adapter("STRIPE").status({ external_reference, internal_reference: "x", idempotency_key: "y" }));
    expect(error).toMatchObject({ provider: "STRIPE", transient: true, status: 500 });
    // The failure was injected once: the next call answers.
    expect((await adapter("STRIPE").status({ external_reference, internal_reference: "x", idempotency_key: "y" })).status).toBe("PENDING");
  });

  it("maps a 429 to a transient ProviderError", async () => {
    await control("KONNECT", "fail", { count: 1, status: 429 });
    expect(await providerError(adapter("KONNECT").charge(chargeRequest({ method: "CARD", currency: "TND", amount: 1000 })))).toMatchObject({ transient: true, status: 429 });
  });

  it("maps a 401 to a refusal", async () => {
    const error = await providerError(adapter("STRIPE", { STRIPE_SECRET_KEY: "sk_test_wrong" }).charge(chargeRequest({ method: "CARD" })));
    expect(error).toMatchObject({ provider: "STRIPE", transient: false, status: 401 });
  });

  it("maps no answer at all to a transient ProviderError", async () => {
    const error = await providerError(adapter("FEDAPAY", { FEDAPAY_BASE_URL: "http://127.0.0.1:9" }).status({ external_reference: "100000", internal_reference: "x", idempotency_key: "y" }));
    expect(error).toMatchObject({ provider: "FEDAPAY", transient: true, status: null });
  });
});
