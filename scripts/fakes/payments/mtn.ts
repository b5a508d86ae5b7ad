import {
  type ApiRequest,
  type FakeProvider,
  header,
  hex,
  HttpError,
  isAbsoluteUrl,
  json,
  parseJson,
  type ProviderContext,
  record,
  sameSecret,
  text,
  type Transaction,
} from "./shared.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TOKEN_LIFETIME_S = 3600;

/**
 * MTN MoMo's Collection API: an access token from the API user and key
 * (Basic), then request-to-pay under an X-Reference-Id the caller chose
 * (a UUID v4), its status, and the payer's outcome PUT to the X-Callback-Url.
 */
export function mtn({ secrets, store }: ProviderContext): FakeProvider {
  function authorize(request: ApiRequest, bearer: boolean) {
    if (!sameSecret(header(request, "ocp-apim-subscription-key"), secrets.MTN_MOMO_SUBSCRIPTION_KEY)) {
      throw new HttpError(401, {
        statusCode: 401,
        message: "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
      });
    }
    const authorization = header(request, "authorization") ?? "";
    if (!bearer) {
      const expected = `Basic ${Buffer.from(`${secrets.MTN_MOMO_API_USER}:${secrets.MTN_MOMO_API_KEY}`).toString("base64")}`;
      if (!sameSecret(authorization, expected)) throw new HttpError(401, { error: "login_failed" });
      return;
    }
    const token = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
    const expiry = store.mtnTokens.get(token);
    if (!expiry || expiry < Date.now()) throw new HttpError(401, { code: "NOT_AUTHORIZED", message: "Access token is invalid or expired" });
    if (header(request, "x-target-environment") !== secrets.MTN_MOMO_TARGET_ENVIRONMENT) {
      throw new HttpError(400, { code: "INVALID_TARGET_ENVIRONMENT", message: "Unknown X-Target-Environment" });
    }
  }

  function view(tx: Transaction): Record<string, unknown> {
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

  function requestToPay(request: ApiRequest) {
    authorize(request, true);
    const body = parseJson(request.raw);
    const reference = header(request, "x-reference-id");
    if (reference === undefined || !UUID_V4.test(reference)) {
      throw new HttpError(400, { code: "INVALID_REFERENCE_ID", message: "X-Reference-Id must be a UUID v4" });
    }
    if (store.has("mtn", reference)) {
      throw new HttpError(409, { code: "RESOURCE_ALREADY_EXIST", message: "Duplicated reference id. Creation for resource failed." });
    }
    const callback = header(request, "x-callback-url");
    if (callback !== undefined && !isAbsoluteUrl(callback)) throw new HttpError(400, { code: "INVALID_CALLBACK_URL", message: "Invalid X-Callback-Url" });
    const payer = record(body.payer);
    const amount = typeof body.amount === "string" && /^\d+$/.test(body.amount) ? Number(body.amount) : null;
    if (!amount || typeof body.currency !== "string" || !/^[A-Z]{3}$/.test(body.currency) || !text(body.externalId)) {
      throw new HttpError(400, { code: "INVALID_REQUEST", message: "amount, currency and externalId are required" });
    }
    if (payer.partyIdType !== "MSISDN" || typeof payer.partyId !== "string" || !/^[1-9]\d{7,14}$/.test(payer.partyId)) {
      throw new HttpError(400, { code: "INVALID_PAYER", message: "Payer partyId is not a valid MSISDN" });
    }
    store.create("mtn", {
      reference,
      internal_reference: text(body.externalId),
      amount,
      currency: body.currency,
      description: String(body.payerMessage ?? ""),
      callback_url: callback ?? null,
      return_url: null,
      request: body,
      ids: {},
      expires_at: null,
    });
    return { status: 202 };
  }

  return {
    api(request) {
      const { req, path } = request;
      if (req.method === "POST" && path === "/collection/token/") {
        authorize(request, false);
        const token = `mtn-${hex(24)}`;
        store.mtnTokens.set(token, Date.now() + TOKEN_LIFETIME_S * 1000);
        return { status: 200, body: { access_token: token, token_type: "access_token", expires_in: TOKEN_LIFETIME_S } };
      }
      if (req.method === "POST" && path === "/collection/v1_0/requesttopay") return requestToPay(request);
      const status = /^\/collection\/v1_0\/requesttopay\/([^/]+)$/.exec(path);
      if (req.method === "GET" && status) {
        authorize(request, true);
        const tx = store.get("mtn", decodeURIComponent(status[1]!));
        if (!tx) throw new HttpError(404, { code: "RESOURCE_NOT_FOUND", message: "Requested resource was not found." });
        return { status: 200, body: view(tx) };
      }
      throw new HttpError(404, { code: "RESOURCE_NOT_FOUND", message: `no route ${req.method} ${path}` });
    },

    webhookFor(tx) {
      if (!tx.callback_url) return null;
      return { url: tx.callback_url, method: "PUT", headers: { "Content-Type": "application/json" }, body: json(view(tx)) };
    },
  };
}
