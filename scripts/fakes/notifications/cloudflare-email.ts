import { randomBytes } from "node:crypto";
import { type Call, type Failure, HttpError, json, type Reply, sameSecret, takeFailure } from "./http.ts";
import type { Store, StoredEmail } from "./store.ts";

/**
 * Cloudflare Email Service's Email Sending REST API, as the Worker's `rest`
 * transport calls it: `POST /client/v4/accounts/{account_id}/email/sending/send`
 * with `Authorization: Bearer <API token>`, a JSON message (to, from as a
 * string or {address, name}, subject, html and/or text, reply_to, headers,
 * attachments with base64 content, inline ones with content_id), and the
 * Cloudflare envelope in return: `{success, errors, messages, result:
 * {message_id, delivered, permanent_bounces, queued}}`, errors with numeric
 * codes (10001 invalid schema, 10101 unauthorized, 10200 too big, 10004
 * throttled, 10002 internal).
 */
export interface EmailSecrets {
  CLOUDFLARE_ACCOUNT_ID: string;
  CLOUDFLARE_EMAIL_API_TOKEN: string;
}

const MAX_BYTES = 5 * 1024 * 1024;
const cloudflareError = (status: number, code: number, message: string) =>
  new HttpError(status, { success: false, errors: [{ code, message }], messages: [], result: null });

const ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const addressOf = (value: unknown): string | null => {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { address?: unknown }).address === "string") return (value as { address: string }).address;
  return null;
};

export function fakeEmailService(store: Store, secrets: EmailSecrets) {
  const failures: Failure[] = [];
  const bouncing = new Set<string>();
  let calls = 0;

  function send(call: Call): Reply {
    const route = /^\/client\/v4\/accounts\/([^/]+)\/email\/sending\/send$/.exec(call.path);
    if (call.method !== "POST" || !route) throw cloudflareError(404, 10000, "email.sending.error.not_found");
    calls += 1;
    if (!sameSecret(call.req.headers.authorization, `Bearer ${secrets.CLOUDFLARE_EMAIL_API_TOKEN}`)) {
      throw cloudflareError(401, 10101, "email.sending.error.authentication.unauthorized");
    }
    if (decodeURIComponent(route[1]!) !== secrets.CLOUDFLARE_ACCOUNT_ID) throw cloudflareError(403, 10102, "email.sending.error.authentication.forbidden");
    const failure = takeFailure(failures, call);
    if (failure) {
      const code = failure.status === 429 ? 10004 : 10002;
      throw new HttpError(failure.status, { success: false, errors: [{ code, message: failure.status === 429 ? "email.sending.error.throttled" : "email.sending.error.internal_server" }], messages: [], result: null }, failure.status === 429 ? { "Retry-After": "1" } : {});
    }
    if (Buffer.byteLength(call.raw) > MAX_BYTES) throw cloudflareError(400, 10200, "email.sending.error.email.too_big");
    const body = json(call.raw);
    const to = (Array.isArray(body.to) ? body.to : [body.to]).map(addressOf);
    const from = addressOf(body.from);
    const invalid =
      to.length === 0 ||
      to.length > 50 ||
      to.some((a) => !a || !ADDRESS.test(a)) ||
      !from ||
      !ADDRESS.test(from) ||
      typeof body.subject !== "string" ||
      !body.subject ||
      (typeof body.html !== "string" && typeof body.text !== "string");
    if (invalid) throw cloudflareError(400, 10001, "email.sending.error.invalid_request_schema");
    const attachments = Array.isArray(body.attachments) ? (body.attachments as Record<string, unknown>[]) : [];
    for (const a of attachments) {
      const content = typeof a.content === "string" ? a.content : "";
      if (!a.filename || !a.type || !["inline", "attachment"].includes(String(a.disposition)) || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) {
        throw cloudflareError(400, 10001, "email.sending.error.invalid_request_schema");
      }
      if (a.disposition === "inline" && typeof a.content_id !== "string") throw cloudflareError(400, 10001, "email.sending.error.invalid_request_schema");
    }
    const recipients = to as string[];
    const bounced = recipients.filter((a) => bouncing.has(a.toLowerCase()));
    const email: StoredEmail = {
      id: `${randomBytes(8).toString("hex")}@email.fake`,
      received_at: new Date().toISOString(),
      to: recipients,
      from,
      reply_to: addressOf(body.reply_to),
      subject: body.subject as string,
      html: typeof body.html === "string" ? body.html : null,
      text: typeof body.text === "string" ? body.text : null,
      headers: (body.headers ?? {}) as Record<string, string>,
      attachments: attachments.map((a) => ({
        filename: String(a.filename),
        type: String(a.type),
        disposition: String(a.disposition),
        content_id: typeof a.content_id === "string" ? a.content_id : null,
        content: String(a.content),
      })),
      outcome: bounced.length ? "bounced" : "delivered",
    };
    store.state.emails.push(email);
    store.changed();
    return {
      status: 200,
      body: {
        success: true,
        errors: [],
        messages: [],
        result: { message_id: email.id, delivered: recipients.filter((a) => !bounced.includes(a)), permanent_bounces: bounced, queued: [] },
      },
    };
  }

  /** The Email Sending event Cloudflare would publish to the queue for a message (event subscriptions). */
  function event(messageId: string, type: string): Record<string, unknown> {
    const email = store.state.emails.find((e) => e.id === messageId);
    if (!email) throw new HttpError(404, { error: `no email ${messageId}` });
    const payload: Record<string, unknown> = { eventId: randomBytes(16).toString("hex"), messageId, sender: email.from, recipient: email.to[0], subject: email.subject, terminal: type !== "deferred" };
    if (type === "bounced") Object.assign(payload, { delivery: { status: "bounced", smtpStatusCode: "550", smtpEnhancedStatusCode: "5.1.1" }, bounce: { type: "hard", classification: "permanent_failure", reason: "550 5.1.1 User unknown" } });
    else if (type === "delivered") Object.assign(payload, { delivery: { status: "delivered", smtpStatusCode: "250" } });
    else if (type === "rejected") Object.assign(payload, { delivery: { status: "rejected" }, rejection: { reason: "suppressed", party: "recipient", detail: "Recipient is suppressed" } });
    else if (type === "complained") Object.assign(payload, { delivery: { status: "complained" }, complaint: { type: "abuse" } });
    else if (type === "failed") Object.assign(payload, { delivery: { status: "failed" }, failure: { reason: "delivery_failed" } });
    else Object.assign(payload, { delivery: { status: type } });
    return {
      type: `cf.email.sending.message.${type}`,
      source: { type: "email.sending", zoneId: "0".repeat(32), domain: email.from.split("@")[1] },
      payload,
      metadata: { accountId: secrets.CLOUDFLARE_ACCOUNT_ID, eventSubscriptionId: "fake", eventSchemaVersion: 1, eventTimestamp: new Date().toISOString() },
    };
  }

  return {
    send,
    event,
    fail: (failure: Failure) => failures.push(failure),
    bounce: (address: string) => bouncing.add(address.toLowerCase()),
    stats: () => ({ calls }),
  };
}
