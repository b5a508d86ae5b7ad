import { createRoute, z } from "@hono/zod-openapi";
import { and, eq, isNull } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { ProblemError, problems } from "../lib/errors.ts";
import { createRouter, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { newId } from "../lib/ids.ts";
import { now } from "../lib/time.ts";
import { staysOpenInMaintenance } from "../site/maintenance.ts";
import { paymentProvider } from "./providers/index.ts";
import { parseJsonObject } from "./providers/shared.ts";
import { ONLINE_PROVIDERS, type OnlineProvider, type ParsedWebhook, type WebhookRejection } from "./providers/types.ts";
import { momo_transactions, payments, webhook_events } from "./schema.ts";

const tags = ["Payments: webhooks"];

/** `/v1/webhooks/mtn-momo`, `/v1/webhooks/fedapay`, …: the provider's name in the URL. */
export const webhookSlug = (provider: OnlineProvider) => provider.toLowerCase().replace("_", "-");
const BY_SLUG = new Map(ONLINE_PROVIDERS.map((p) => [webhookSlug(p), p]));
const providerParam = z.object({ provider: z.enum(ONLINE_PROVIDERS.map(webhookSlug) as [string, ...string[]]) });

/** Headers that carry credentials are not stored with the event. */
const SECRET_HEADERS = new Set(["authorization", "cookie", "x-kkiapay-secret"]);

const REJECTION_STATUS: Record<WebhookRejection, 400 | 401> = {
  missing_signature: 401,
  bad_signature: 401,
  stale_timestamp: 401,
  future_timestamp: 401,
  malformed: 400,
};

const AckSchema = z.object({ received: z.literal(true), duplicate: z.boolean() }).openapi("WebhookAck");

/**
 * A provider's callback: verified on the raw bytes (signature or shared
 * secret, timestamp within tolerance either way), stored once per provider
 * event id, answered 200 at once, and settled by the `payments` queue, which
 * asks the provider itself. A webhook for a reference we do not know is
 * answered 200 and kept as IGNORED, so the provider stops retrying.
 */
async function receive(c: Context<AppEnv>, slug: string, pathReference: string | null) {
  const provider = BY_SLUG.get(slug);
  if (!provider) throw problems.notFound("Webhook");
  const body = await c.req.text();
  const parsed = await paymentProvider(c.env, provider).parseWebhook({
    method: c.req.method,
    url: new URL(c.req.url),
    headers: c.req.raw.headers,
    body,
    now: Date.now(),
    path_reference: pathReference,
  });
  if (!parsed.ok) {
    console.warn(`webhook from ${provider} refused: ${parsed.reason}`);
    throw new ProblemError(REJECTION_STATUS[parsed.reason], `webhook_${parsed.reason}`, "Webhook refused", `The ${provider} webhook was refused: ${parsed.reason.replace("_", " ")}.`);
  }
  const db = getDb(c.env.DB);
  const payment = await paymentOf(db, provider, parsed, pathReference);
  // A widget payment (KkiaPay) learns its transaction id from its signed webhook; the status API still confirms it before anything is issued.
  if (payment && !payment.external_reference && parsed.external_reference && parsed.signature_valid) {
    await db.update(payments).set({ external_reference: parsed.external_reference, updated_at: now() }).where(and(eq(payments.id, payment.id), isNull(payments.external_reference)));
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of c.req.raw.headers) if (!SECRET_HEADERS.has(name)) headers[name] = value.slice(0, 1000);
  const [stored] = await db
    .insert(webhook_events)
    .values({
      id: newId(),
      provider,
      provider_event_id: parsed.event_id,
      event_type: parsed.event_type,
      raw_body: body,
      headers,
      signature_valid: parsed.signature_valid,
      status: payment ? "RECEIVED" : "IGNORED",
      payment_id: payment?.id ?? null,
      error: payment ? null : "unknown_reference",
    })
    .onConflictDoNothing()
    .returning({ id: webhook_events.id });
  if (!stored) return c.json({ received: true as const, duplicate: true }, 200);
  if (!payment) {
    console.warn(`webhook from ${provider} for an unknown reference: ${parsed.external_reference ?? parsed.internal_reference ?? pathReference}`);
    return c.json({ received: true as const, duplicate: false }, 200);
  }
  await Promise.all([
    c.env.PAYMENTS.send({ kind: "settle", payment_id: payment.id, webhook_event_id: stored.id }),
    db
      .update(momo_transactions)
      .set({ webhook_received: true, webhook_data: parseJsonObject(body), updated_at: now() })
      .where(eq(momo_transactions.payment_id, payment.id)),
  ]);
  return c.json({ received: true as const, duplicate: false }, 200);
}

/** The payment a webhook is about, by the provider's id, our reference, or the per-payment URL. */
async function paymentOf(db: Db, provider: OnlineProvider, parsed: Extract<ParsedWebhook, { ok: true }>, pathReference: string | null) {
  const select = () => db.select({ id: payments.id, external_reference: payments.external_reference }).from(payments);
  if (pathReference && z.uuid().safeParse(pathReference).success) {
    const [row] = await select().where(and(eq(payments.id, pathReference), eq(payments.provider, provider))).limit(1);
    if (row) return row;
  }
  if (parsed.external_reference) {
    const [row] = await select().where(and(eq(payments.provider, provider), eq(payments.external_reference, parsed.external_reference))).limit(1);
    if (row) return row;
  }
  if (parsed.internal_reference) {
    const [row] = await select().where(and(eq(payments.provider, provider), eq(payments.internal_reference, parsed.internal_reference))).limit(1);
    if (row) return row;
  }
  return null;
}

export function webhookRoutes() {
  const r = createRouter();
  const responses = {
    200: jsonResponse(AckSchema, "Received (or a duplicate of one received before)."),
    ...errors("not_found", "payload_too_large", "webhook_bad_signature", "webhook_future_timestamp", "webhook_malformed", "webhook_missing_signature", "webhook_stale_timestamp"),
  };
  const description =
    "For payment providers. The raw body is verified (FedaPay `X-FEDAPAY-SIGNATURE`, Stripe `Stripe-Signature`, KkiaPay `x-kkiapay-secret`; MTN and Konnect are unsigned and confirmed through their status APIs), stored once per provider event, and settled asynchronously. A body over 64 KiB is refused (413) before it is read, whatever its Content-Type.";

  r.openapi(createRoute({ method: "post", path: "/webhooks/{provider}", operationId: "receiveWebhook", middleware: [staysOpenInMaintenance] as const, tags, summary: "Provider callback (POST)", description, request: { params: providerParam }, responses }), (c) =>
    receive(c, c.req.valid("param").provider, null),
  );
  r.openapi(
    createRoute({ method: "get", path: "/webhooks/{provider}", operationId: "receiveWebhookByQuery", middleware: [staysOpenInMaintenance] as const, tags, summary: "Provider callback by query string (Konnect: `?payment_ref=`)", description, request: { params: providerParam }, responses }),
    (c) => receive(c, c.req.valid("param").provider, null),
  );
  const perPayment = providerParam.extend({ reference: z.string().max(100) });
  for (const method of ["post", "put"] as const) {
    r.openapi(
      createRoute({
        method,
        path: "/webhooks/{provider}/{reference}",
        operationId: method === "post" ? "receivePaymentWebhook" : "receivePaymentWebhookPut",
        middleware: [staysOpenInMaintenance] as const,
        tags,
        summary: `Per-payment provider callback (${method.toUpperCase()}; MTN MoMo calls the X-Callback-Url it was given)`,
        description,
        request: { params: perPayment },
        responses,
      }),
      (c) => {
        const { provider, reference } = c.req.valid("param");
        return receive(c, provider, reference);
      },
    );
  }
  return r;
}
