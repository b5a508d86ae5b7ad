import type { NotificationsConfig } from "../config.ts";
import { call, describe, type SendResult, transient } from "./shared.ts";

/** A finished email: both bodies, headers such as List-Unsubscribe, and attachments (inline ones named by `content_id`). */
export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments: { filename: string; type: string; content: Uint8Array; content_id?: string }[];
}

const base64 = (bytes: Uint8Array) => {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
};

/**
 * Sends through Cloudflare Email Service. Two transports speak to the same
 * service with the same message:
 * - `binding` (production on Workers): the `send_email` binding's structured
 *   `send()`, which answers `{ messageId }` or throws an error with a `code`;
 * - `rest`: `POST {CLOUDFLARE_API_BASE_URL}/accounts/{account}/email/sending/send`
 *   with an API token, which answers per recipient (delivered, queued or
 *   permanent bounce) and a `message_id`. Tests and `npm start` use it against
 *   the loopback fake (scripts/fakes/notifications/), because the local
 *   runtime only logs what the binding is given: no answer to check, no
 *   failure to provoke, no binary attachment (docs/notifications.md).
 * Delivery outcomes after acceptance arrive as Email Sending events on the
 * `email-events` queue (email-events.ts).
 */
export async function sendEmail(env: NotificationsConfig, email: OutgoingEmail): Promise<SendResult> {
  return env.EMAIL_TRANSPORT === "binding" ? sendWithBinding(env, email) : sendWithRest(env, email);
}

/** Binding error codes worth a retry: the service is busy or down, not refusing this message. */
const BINDING_RETRY = new Set(["E_RATE_LIMIT_EXCEEDED", "E_DAILY_LIMIT_EXCEEDED", "E_INTERNAL_SERVER_ERROR"]);

async function sendWithBinding(env: NotificationsConfig, email: OutgoingEmail): Promise<SendResult> {
  if (!env.EMAIL) return { outcome: "failed", error: "EMAIL_TRANSPORT is binding but the Worker has no send_email binding named EMAIL" };
  try {
    const result = await env.EMAIL.send({
      to: email.to,
      from: { email: env.EMAIL_FROM_ADDRESS, name: env.EMAIL_FROM_NAME },
      ...(env.EMAIL_REPLY_TO ? { replyTo: env.EMAIL_REPLY_TO } : {}),
      subject: email.subject,
      html: email.html,
      text: email.text,
      headers: email.headers,
      attachments: email.attachments.map((a) =>
        a.content_id
          ? { disposition: "inline" as const, contentId: a.content_id, filename: a.filename, type: a.type, content: base64(a.content) }
          : { disposition: "attachment" as const, filename: a.filename, type: a.type, content: base64(a.content) },
      ),
    });
    return { outcome: "sent", id: result.messageId };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = `send_email: ${typeof code === "string" ? code : "error"} ${error instanceof Error ? error.message : String(error)}`;
    if (typeof code === "string" && BINDING_RETRY.has(code)) return { outcome: "retry", error: message };
    if (code === "E_RECIPIENT_SUPPRESSED") return { outcome: "bounced", error: message, suppress: "HARD_BOUNCE" };
    if (typeof code !== "string") return { outcome: "retry", error: message }; // no verdict from the service: try again
    return { outcome: "failed", error: message };
  }
}

async function sendWithRest(env: NotificationsConfig, email: OutgoingEmail): Promise<SendResult> {
  if (!env.CLOUDFLARE_EMAIL_API_TOKEN) return { outcome: "failed", error: "EMAIL_TRANSPORT is rest but the secret CLOUDFLARE_EMAIL_API_TOKEN is not set" };
  const url = `${env.CLOUDFLARE_API_BASE_URL.replace(/\/+$/, "")}/accounts/${encodeURIComponent(env.CLOUDFLARE_ACCOUNT_ID)}/email/sending/send`;
  const reply = await call(url, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.CLOUDFLARE_EMAIL_API_TOKEN}`, "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      to: email.to,
      from: { address: env.EMAIL_FROM_ADDRESS, name: env.EMAIL_FROM_NAME },
      ...(env.EMAIL_REPLY_TO ? { reply_to: env.EMAIL_REPLY_TO } : {}),
      subject: email.subject,
      html: email.html,
      text: email.text,
      headers: email.headers,
      attachments: email.attachments.map((a) =>
        a.content_id
          ? { content: base64(a.content), content_id: a.content_id, disposition: "inline", filename: a.filename, type: a.type }
          : { content: base64(a.content), disposition: "attachment", filename: a.filename, type: a.type },
      ),
    }),
  });
  const what = "Email Sending API";
  if (!reply) return { outcome: "retry", error: describe(reply, what) };
  const result = reply.json?.result as { message_id?: unknown; delivered?: unknown; permanent_bounces?: unknown; queued?: unknown } | null | undefined;
  if (reply.status >= 200 && reply.status < 300 && reply.json?.success === true && result) {
    const listed = (list: unknown) => Array.isArray(list) && list.some((a) => typeof a === "string" && a.toLowerCase() === email.to.toLowerCase());
    if (listed(result.permanent_bounces)) return { outcome: "bounced", error: `${what}: permanent bounce`, suppress: "HARD_BOUNCE" };
    if (typeof result.message_id !== "string") return { outcome: "retry", error: `${what}: accepted without a message id` };
    return { outcome: "sent", id: result.message_id, delivered: listed(result.delivered) };
  }
  if (transient(reply.status)) return { outcome: "retry", error: describe(reply, what), retry_after_seconds: reply.retry_after_seconds };
  return { outcome: "failed", error: describe(reply, what) };
}
