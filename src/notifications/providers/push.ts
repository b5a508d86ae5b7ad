import { importPKCS8, SignJWT } from "jose";
import type { NotificationsConfig } from "../config.ts";
import { call, describe, type SendResult, transient } from "./shared.ts";

/**
 * Push through Firebase Cloud Messaging HTTP v1, the Flutter app's path to
 * Android (FCM) and iOS (FCM relays to APNs):
 * `POST {FCM_BASE_URL}/v1/projects/{project_id}/messages:send` with an OAuth2
 * access token. The token comes from Google's token endpoint
 * (GOOGLE_OAUTH_TOKEN_URL) in exchange for a JWT assertion signed (RS256,
 * jose) with the service account's private key (FCM_SERVICE_ACCOUNT, the JSON
 * key file Firebase issues), and is kept until a minute before it expires.
 */
export interface PushMessage {
  token: string;
  title: string;
  body: string;
  /** FCM data values are strings; the app routes on them (type, object). */
  data: Record<string, string>;
  high_priority: boolean;
}

/** A push answer: `sent`, or `unregistered` when FCM says the token is gone (the caller deletes it), or a failure to retry or not. */
export type PushResult = SendResult | { outcome: "unregistered"; error: string };

interface ServiceAccount {
  project_id: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
}

const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
const accessTokens = new Map<string, { token: string; expires_at: number }>();
const signingKeys = new Map<string, Promise<CryptoKey>>();

function serviceAccount(env: NotificationsConfig): ServiceAccount {
  const parsed = JSON.parse(env.FCM_SERVICE_ACCOUNT) as Partial<ServiceAccount>;
  if (!parsed.project_id || !parsed.client_email || !parsed.private_key) throw new Error("FCM_SERVICE_ACCOUNT lacks project_id, client_email or private_key");
  return parsed as ServiceAccount;
}

/** The cached access token, or a new one from Google's token endpoint; null when Google does not answer (retry later). */
async function accessToken(env: NotificationsConfig, account: ServiceAccount, fresh: boolean): Promise<string | { error: string; retry: boolean }> {
  const cacheKey = `${env.GOOGLE_OAUTH_TOKEN_URL}|${account.client_email}`;
  const cached = accessTokens.get(cacheKey);
  if (!fresh && cached && cached.expires_at - 60_000 > Date.now()) return cached.token;
  let key = signingKeys.get(account.private_key);
  if (!key) {
    key = importPKCS8(account.private_key, "RS256");
    key.catch(() => signingKeys.delete(account.private_key));
    signingKeys.set(account.private_key, key);
  }
  const iat = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ scope: SCOPE })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", ...(account.private_key_id ? { kid: account.private_key_id } : {}) })
    .setIssuer(account.client_email)
    .setAudience(env.GOOGLE_OAUTH_TOKEN_URL)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(await key);
  const reply = await call(env.GOOGLE_OAUTH_TOKEN_URL, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
  });
  const token = reply?.json?.access_token;
  const expiresIn = Number(reply?.json?.expires_in);
  if (!reply || reply.status !== 200 || typeof token !== "string" || !Number.isFinite(expiresIn)) {
    return { error: describe(reply, "Google OAuth token"), retry: !reply || transient(reply.status) };
  }
  accessTokens.set(cacheKey, { token, expires_at: Date.now() + expiresIn * 1000 });
  return token;
}

/** The FCM error code of a v1 error answer (`details[].errorCode`), else its gRPC status. */
function fcmError(json: Record<string, unknown> | null): { code: string; fields: string[] } {
  const error = (json?.error ?? {}) as { status?: unknown; details?: unknown };
  let code = typeof error.status === "string" ? error.status : "";
  const fields: string[] = [];
  for (const detail of Array.isArray(error.details) ? (error.details as Record<string, unknown>[]) : []) {
    if (typeof detail.errorCode === "string") code = detail.errorCode;
    for (const violation of Array.isArray(detail.fieldViolations) ? (detail.fieldViolations as { field?: unknown }[]) : []) {
      if (typeof violation.field === "string") fields.push(violation.field);
    }
  }
  return { code, fields };
}

export async function sendPush(env: NotificationsConfig, message: PushMessage): Promise<PushResult> {
  let account: ServiceAccount;
  try {
    account = serviceAccount(env);
  } catch (error) {
    return { outcome: "failed", error: error instanceof Error ? error.message : String(error) };
  }
  const url = `${env.FCM_BASE_URL.replace(/\/+$/, "")}/v1/projects/${encodeURIComponent(account.project_id)}/messages:send`;
  const payload = JSON.stringify({
    message: {
      token: message.token,
      notification: { title: message.title, body: message.body },
      data: message.data,
      android: { priority: message.high_priority ? "high" : "normal" },
      apns: { headers: { "apns-priority": message.high_priority ? "10" : "5" }, payload: { aps: { sound: "default" } } },
    },
  });
  // One new access token and one more try when FCM says the cached one is no longer good.
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await accessToken(env, account, attempt > 0);
    if (typeof token !== "string") return token.retry ? { outcome: "retry", error: token.error } : { outcome: "failed", error: token.error };
    const reply = await call(url, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: payload });
    const what = "FCM messages:send";
    if (!reply) return { outcome: "retry", error: describe(reply, what) };
    if (reply.status === 200 && typeof reply.json?.name === "string") return { outcome: "sent", id: reply.json.name };
    const { code, fields } = fcmError(reply.json);
    if (reply.status === 401 && attempt === 0) continue;
    if (code === "UNREGISTERED") return { outcome: "unregistered", error: describe(reply, what) };
    // INVALID_ARGUMENT names the token when the token is what is wrong; a violation elsewhere is our payload's fault.
    if (code === "INVALID_ARGUMENT" && fields.every((field) => field === "message.token")) return { outcome: "unregistered", error: describe(reply, what) };
    if (transient(reply.status) || code === "QUOTA_EXCEEDED" || code === "UNAVAILABLE" || code === "INTERNAL") {
      return { outcome: "retry", error: describe(reply, what), retry_after_seconds: reply.retry_after_seconds };
    }
    return { outcome: "failed", error: describe(reply, what) };
  }
  return { outcome: "retry", error: "FCM refused two access tokens in a row" };
}
