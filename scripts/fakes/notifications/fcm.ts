import { createPublicKey, randomBytes } from "node:crypto";
import { importSPKI, jwtVerify } from "jose";
import { type Call, type Failure, HttpError, json, type Reply, takeFailure } from "./http.ts";
import type { Store } from "./store.ts";

/**
 * Google's OAuth2 token endpoint and Firebase Cloud Messaging HTTP v1, as the
 * Worker calls them:
 * - `POST /token` (form: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
 *   assertion=<JWT>): the assertion must be RS256, signed by the service
 *   account's key, `iss` its client_email, `aud` this token URL, the
 *   firebase.messaging scope, at most an hour long; answers an access token
 *   valid for 3599 s;
 * - `POST /v1/projects/{project_id}/messages:send` with `Authorization: Bearer
 *   <access token>`: a message to one `token` with `notification` and string
 *   `data`; answers `{name}`, or FCM's errors (404 UNREGISTERED, 400
 *   INVALID_ARGUMENT naming message.token, 429 QUOTA_EXCEEDED, 503
 *   UNAVAILABLE, 401 UNAUTHENTICATED for an expired access token).
 */
export interface FcmSecrets {
  FCM_SERVICE_ACCOUNT: string;
}

const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

const fcmError = (status: number, grpc: string, message: string, extra: Record<string, unknown>[] = []) =>
  new HttpError(status, { error: { code: status, message, status: grpc, details: extra } });
const fcmCode = (errorCode: string) => ({ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode });

export function fakeFcm(store: Store, secrets: FcmSecrets, tokenUrl: () => string) {
  const account = JSON.parse(secrets.FCM_SERVICE_ACCOUNT) as { project_id: string; client_email: string; private_key: string };
  const publicKey = importSPKI(createPublicKey(account.private_key).export({ type: "spki", format: "pem" }).toString(), "RS256");
  const accessTokens = new Map<string, number>(); // token → expiry (ms)
  const gone = new Map<string, "UNREGISTERED" | "INVALID_ARGUMENT">();
  const failures: Failure[] = [];
  let tokenCalls = 0;
  let sends = 0;

  async function token(call: Call): Promise<Reply> {
    if (call.method !== "POST") throw new HttpError(405, { error: "invalid_request" });
    tokenCalls += 1;
    const form = new URLSearchParams(call.raw);
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") throw new HttpError(400, { error: "unsupported_grant_type", error_description: "Invalid grant_type" });
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get("assertion") ?? "", await publicKey, { algorithms: ["RS256"], issuer: account.client_email, audience: tokenUrl() });
      if (protectedHeader.typ !== "JWT" || typeof payload.scope !== "string" || !payload.scope.split(" ").includes(SCOPE)) throw new Error("scope");
      if (!payload.iat || !payload.exp || payload.exp - payload.iat > 3600) throw new Error("lifetime");
    } catch {
      throw new HttpError(400, { error: "invalid_grant", error_description: "Invalid JWT Signature." });
    }
    const value = `ya29.fake-${randomBytes(24).toString("base64url")}`;
    accessTokens.set(value, Date.now() + 3599_000);
    return { status: 200, body: { access_token: value, expires_in: 3599, token_type: "Bearer" } };
  }

  function send(call: Call): Reply {
    const route = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(call.path);
    if (call.method !== "POST" || !route) throw fcmError(404, "NOT_FOUND", "Method not found.");
    sends += 1;
    const bearer = String(call.req.headers.authorization ?? "").replace(/^Bearer /, "");
    const expiry = accessTokens.get(bearer);
    if (!expiry || expiry < Date.now()) throw fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token.", [fcmCode("THIRD_PARTY_AUTH_ERROR")]);
    if (decodeURIComponent(route[1]!) !== account.project_id) throw fcmError(403, "PERMISSION_DENIED", "SenderId mismatch", [fcmCode("SENDER_ID_MISMATCH")]);
    const failure = takeFailure(failures, call);
    if (failure) {
      const grpc = failure.status === 429 ? "RESOURCE_EXHAUSTED" : failure.status === 503 ? "UNAVAILABLE" : "INTERNAL";
      throw fcmError(failure.status, grpc, "Injected failure", [fcmCode(failure.status === 429 ? "QUOTA_EXCEEDED" : failure.status === 503 ? "UNAVAILABLE" : "INTERNAL")]);
    }
    const message = json(call.raw).message as Record<string, unknown> | undefined;
    const target = message?.token;
    if (!message || typeof target !== "string" || !target) {
      throw fcmError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "message.token", description: "Missing token" }] }]);
    }
    const data = (message.data ?? {}) as Record<string, unknown>;
    const notString = Object.keys(data).find((k) => typeof data[k] !== "string");
    if (notString) {
      throw fcmError(400, "INVALID_ARGUMENT", `Invalid value at 'message.data[${notString}].value' (TYPE_STRING)`, [
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: `message.data[${notString}].value`, description: "Expected a string" }] },
      ]);
    }
    const state = gone.get(target);
    if (state === "UNREGISTERED") throw fcmError(404, "NOT_FOUND", "Requested entity was not found.", [fcmCode("UNREGISTERED")]);
    if (state === "INVALID_ARGUMENT") {
      throw fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", [
        fcmCode("INVALID_ARGUMENT"),
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "message.token", description: "Invalid registration token" }] },
      ]);
    }
    const notification = (message.notification ?? {}) as { title?: unknown; body?: unknown };
    const name = `projects/${account.project_id}/messages/0:${Date.now()}%${randomBytes(8).toString("hex")}`;
    store.state.push.push({
      name,
      received_at: new Date().toISOString(),
      token: target,
      title: typeof notification.title === "string" ? notification.title : null,
      body: typeof notification.body === "string" ? notification.body : null,
      data: data as Record<string, string>,
      android: message.android ?? null,
      apns: message.apns ?? null,
    });
    store.changed();
    return { status: 200, body: { name } };
  }

  return {
    token,
    send,
    fail: (failure: Failure) => failures.push(failure),
    /** The device uninstalled the app (UNREGISTERED), or the token was never valid (INVALID_ARGUMENT). */
    forget: (deviceToken: string, code: "UNREGISTERED" | "INVALID_ARGUMENT") => gone.set(deviceToken, code),
    /** Google revokes every access token it issued: the next send is 401 until a new one is fetched. */
    expireTokens: () => accessTokens.clear(),
    stats: () => ({ token_calls: tokenCalls, sends }),
  };
}
