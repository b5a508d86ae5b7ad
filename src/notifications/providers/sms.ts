import { timingSafeEqual } from "../../lib/crypto/hash.ts";
import { phoneCountry } from "../../lib/phone.ts";
import type { NotificationsConfig } from "../config.ts";
import { call, describe, type SendResult, transient } from "./shared.ts";

/**
 * SMS through Twilio's Messaging API:
 * `POST {TWILIO_BASE_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * HTTP Basic with the account SID and auth token, a form body (To, From, Body,
 * StatusCallback). The sender is chosen per destination country from
 * SMS_SENDER_IDS (an alphanumeric sender ID or a number), e.g.
 * `{"BJ":"SpotVibe","TN":"SpotVibe"}`. Twilio then posts the message's
 * status to the StatusCallback, signed with X-Twilio-Signature
 * (`verifyTwilioSignature`).
 */
export async function sendSms(env: NotificationsConfig, to: string, body: string, statusCallback: string): Promise<SendResult> {
  const country = phoneCountry(to);
  const senders = parseSenders(env.SMS_SENDER_IDS);
  const from = (country && senders[country]) ?? senders.default;
  if (!from) return { outcome: "failed", error: `no SMS sender configured for ${country ?? "this country"} (SMS_SENDER_IDS)` };
  const url = `${env.TWILIO_BASE_URL.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(env.TWILIO_ACCOUNT_SID)}/Messages.json`;
  const reply = await call(url, {
    method: "POST",
    headers: {
      Authorization: `Basic ${btoa(`${env.TWILIO_ACCOUNT_SID}:${env.TWILIO_AUTH_TOKEN}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
    },
    body: new URLSearchParams({ To: to, From: from, Body: body, StatusCallback: statusCallback }).toString(),
  });
  const what = "Twilio Messages";
  if (!reply) return { outcome: "retry", error: describe(reply, what) };
  if (reply.status >= 200 && reply.status < 300 && typeof reply.json?.sid === "string") return { outcome: "sent", id: reply.json.sid };
  const code = Number(reply.json?.code);
  // Twilio's error codes for a number that will never take our messages.
  if (code === 21211 || code === 21614) return { outcome: "bounced", error: describe(reply, what), suppress: "INVALID_ADDRESS" };
  if (code === 21610) return { outcome: "bounced", error: describe(reply, what), suppress: "UNSUBSCRIBED_AT_PROVIDER" };
  if (transient(reply.status) || code === 20429) return { outcome: "retry", error: describe(reply, what), retry_after_seconds: reply.retry_after_seconds };
  return { outcome: "failed", error: describe(reply, what) };
}

function parseSenders(config: string): Record<string, string> {
  try {
    const parsed = JSON.parse(config) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""));
    }
  } catch {
    // a broken setting sends nothing; the error says which one
  }
  return {};
}

/**
 * Twilio's request signature: base64 of HMAC-SHA1, keyed with the auth token,
 * over the full URL Twilio requested followed by every POST parameter's name
 * and value, sorted by name. Compared in constant time.
 */
export async function verifyTwilioSignature(authToken: string, url: string, params: URLSearchParams, signature: string | null | undefined): Promise<boolean> {
  if (!signature) return false;
  const names = [...new Set(params.keys())].sort();
  let data = url;
  for (const name of names) for (const value of params.getAll(name)) data += name + value;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)));
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return timingSafeEqual(btoa(binary), signature);
}

/** Twilio's message statuses, as a delivery row records them. */
export function smsStatus(status: string, errorCode: string): { status: "SENT" | "DELIVERED" | "FAILED" | "BOUNCED"; suppress: boolean } | null {
  switch (status) {
    case "delivered":
    case "read":
      return { status: "DELIVERED", suppress: false };
    case "sent":
      return { status: "SENT", suppress: false };
    case "undelivered":
    case "failed":
      // 30005 unknown destination, 30006 landline or unreachable carrier: the number will not work.
      return errorCode === "30005" || errorCode === "30006" ? { status: "BOUNCED", suppress: true } : { status: "FAILED", suppress: false };
    default:
      return null; // queued, sending, accepted, scheduled: nothing to record
  }
}
