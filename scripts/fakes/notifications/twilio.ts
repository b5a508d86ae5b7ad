import { createHmac, randomBytes } from "node:crypto";
import { type Call, type Failure, HttpError, type Reply, sameSecret, takeFailure } from "./http.ts";
import type { Store, StoredSms } from "./store.ts";

/**
 * Twilio's Messaging API as the Worker calls it:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic with the
 * account SID and auth token, form-encoded To, From, Body, StatusCallback;
 * 201 with the Message resource (`sid` SM…, `status` queued), errors as
 * Twilio's `{code, message, more_info, status}` (21211 invalid To, 21614 not
 * a mobile, 21610 unsubscribed, 20429 too many requests). Status callbacks
 * are form posts signed with X-Twilio-Signature: base64 HMAC-SHA1, keyed with
 * the auth token, over the callback URL followed by each parameter name and
 * value sorted by name.
 */
export interface TwilioSecrets {
  TWILIO_ACCOUNT_SID: string;
  TWILIO_AUTH_TOKEN: string;
}

export interface SignedCallback {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: string;
}

const twilioError = (status: number, code: number, message: string) =>
  new HttpError(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export function signTwilio(authToken: string, url: string, params: URLSearchParams): string {
  const data = url + [...params.keys()].sort().map((name) => name + params.getAll(name).join("")).join("");
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

export function fakeTwilio(store: Store, secrets: TwilioSecrets) {
  const failures: Failure[] = [];
  /** Numbers Twilio refuses (not a mobile: 21614; opted out with STOP: 21610). */
  const refused = new Map<string, number>();
  let calls = 0;

  function messages(call: Call): Reply {
    const route = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(call.path);
    if (call.method !== "POST" || !route) throw twilioError(404, 20404, "The requested resource was not found");
    calls += 1;
    const expected = `Basic ${Buffer.from(`${secrets.TWILIO_ACCOUNT_SID}:${secrets.TWILIO_AUTH_TOKEN}`).toString("base64")}`;
    if (!sameSecret(call.req.headers.authorization, expected) || decodeURIComponent(route[1]!) !== secrets.TWILIO_ACCOUNT_SID) {
      throw twilioError(401, 20003, "Authenticate");
    }
    const failure = takeFailure(failures, call);
    if (failure) throw failure.status === 429 ? twilioError(429, 20429, "Too Many Requests") : twilioError(failure.status, 20500, "Internal Server Error");
    if (!String(call.req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) throw twilioError(400, 20001, "Expected a form body");
    const form = new URLSearchParams(call.raw);
    const to = form.get("To") ?? "";
    const from = form.get("From") ?? "";
    const body = form.get("Body") ?? "";
    if (!/^\+[1-9]\d{7,14}$/.test(to)) throw twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from) throw twilioError(400, 21603, "The 'From' phone number is required.");
    if (!body) throw twilioError(400, 21602, "Message body is required.");
    if (body.length > 1600) throw twilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
    const code = refused.get(to);
    if (code) throw twilioError(400, code, code === 21610 ? "Attempt to send to unsubscribed recipient" : `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number: ${from} via SMS.`);
    const callback = form.get("StatusCallback");
    if (callback !== null && !/^https?:\/\//.test(callback)) throw twilioError(400, 21609, "Invalid StatusCallback");
    const sms: StoredSms = { sid: `SM${randomBytes(16).toString("hex")}`, received_at: new Date().toISOString(), to, from, body, status: "queued", status_callback: callback, callbacks: [] };
    store.state.sms.push(sms);
    store.changed();
    return {
      status: 201,
      body: {
        sid: sms.sid,
        account_sid: secrets.TWILIO_ACCOUNT_SID,
        to,
        from,
        body,
        status: "queued",
        num_segments: String(Math.ceil(body.length / 153) || 1),
        direction: "outbound-api",
        api_version: "2010-04-01",
        date_created: new Date().toUTCString(),
        error_code: null,
        error_message: null,
        uri: `/2010-04-01/Accounts/${secrets.TWILIO_ACCOUNT_SID}/Messages/${sms.sid}.json`,
      },
    };
  }

  /** The status callback Twilio would post for a message now, signed; null when it was sent without a StatusCallback. */
  function statusCallback(sid: string, status: string, errorCode: string | null): SignedCallback | null {
    const sms = store.state.sms.find((s) => s.sid === sid);
    if (!sms) throw new HttpError(404, { error: `no SMS ${sid}` });
    sms.status = status;
    store.changed();
    if (!sms.status_callback) return null;
    const params = new URLSearchParams({
      AccountSid: secrets.TWILIO_ACCOUNT_SID,
      ApiVersion: "2010-04-01",
      From: sms.from,
      MessageSid: sms.sid,
      MessageStatus: status,
      SmsSid: sms.sid,
      SmsStatus: status,
      To: sms.to,
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    });
    return {
      url: sms.status_callback,
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signTwilio(secrets.TWILIO_AUTH_TOKEN, sms.status_callback, params), "User-Agent": "TwilioProxy/1.1" },
      body: params.toString(),
    };
  }

  return {
    messages,
    statusCallback,
    fail: (failure: Failure) => failures.push(failure),
    refuse: (number: string, code: number) => refused.set(number, code),
    stats: () => ({ calls }),
  };
}
