import { and, eq, inArray } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { now } from "../lib/time.ts";
import { suppress } from "./deliver.ts";
import { smsStatus } from "./providers/sms.ts";
import { type DeliveryStatus, message_deliveries } from "./schema.ts";

/**
 * What providers say after they accepted a message, applied to its delivery
 * row, found by the provider's id. Statuses only move forward: SENT →
 * DELIVERED, or SENT → FAILED / BOUNCED; a late "sent" never undoes
 * "delivered", and a repeated callback changes nothing.
 */
const FORWARD: Record<"DELIVERED" | "FAILED" | "BOUNCED", DeliveryStatus[]> = {
  DELIVERED: ["SENT"],
  FAILED: ["SENT", "DELIVERED"],
  BOUNCED: ["SENT", "DELIVERED"],
};

async function advance(env: Env, channel: "EMAIL" | "SMS", providerId: string, status: "DELIVERED" | "FAILED" | "BOUNCED", error: string | null) {
  const at = now();
  return getDb(env.DB)
    .update(message_deliveries)
    .set({ status, ...(status === "DELIVERED" ? { delivered_at: at } : { error }) })
    .where(and(eq(message_deliveries.channel, channel), eq(message_deliveries.provider_message_id, providerId), inArray(message_deliveries.status, FORWARD[status])))
    .returning({ id: message_deliveries.id, recipient: message_deliveries.recipient });
}

/** A verified Twilio status callback (routes.ts checks X-Twilio-Signature first). */
export async function applySmsStatus(env: Env, params: URLSearchParams): Promise<{ updated: number }> {
  const sid = params.get("MessageSid") ?? params.get("SmsSid");
  const reading = smsStatus(params.get("MessageStatus") ?? params.get("SmsStatus") ?? "", params.get("ErrorCode") ?? "");
  if (!sid || !reading || reading.status === "SENT") return { updated: 0 };
  const error = params.get("ErrorCode") ? `Twilio error ${params.get("ErrorCode")}` : null;
  const rows = await advance(env, "SMS", sid, reading.status, error);
  if (reading.suppress) for (const row of rows) await suppress(env, "SMS", row.recipient, "INVALID_ADDRESS", error ?? "undeliverable");
  return { updated: rows.length };
}

/** One Email Sending event, as Cloudflare publishes it to the `email-events` queue (event subscriptions). */
interface EmailEvent {
  type?: unknown;
  payload?: {
    messageId?: unknown;
    recipient?: unknown;
    bounce?: { type?: unknown; reason?: unknown };
    rejection?: { reason?: unknown; detail?: unknown };
    failure?: { reason?: unknown };
  };
}

/**
 * Consumer of `email-events`: delivered → DELIVERED; bounced (hard, or soft
 * retries exhausted) → BOUNCED and the address suppressed; rejected → BOUNCED
 * when the recipient is suppressed at Cloudflare, else FAILED; failed →
 * FAILED; complained → the address suppressed (no more email to it);
 * deferred → nothing yet. Idempotent: applying an event twice changes nothing.
 */
export async function consumeEmailEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      const event = (message.body ?? {}) as EmailEvent;
      const kind = typeof event.type === "string" ? event.type.replace(/^cf\.email\.sending\.message\./, "") : "";
      const id = typeof event.payload?.messageId === "string" ? event.payload.messageId : null;
      const recipient = typeof event.payload?.recipient === "string" ? event.payload.recipient.toLowerCase() : null;
      if (!id) {
        message.ack();
        continue;
      }
      switch (kind) {
        case "delivered":
          await advance(env, "EMAIL", id, "DELIVERED", null);
          break;
        case "bounced": {
          const reason = String(event.payload?.bounce?.reason ?? "bounced");
          await advance(env, "EMAIL", id, "BOUNCED", reason);
          if (recipient && event.payload?.bounce?.type !== "soft") await suppress(env, "EMAIL", recipient, "HARD_BOUNCE", reason);
          break;
        }
        case "rejected": {
          const suppressed = event.payload?.rejection?.reason === "suppressed";
          await advance(env, "EMAIL", id, suppressed ? "BOUNCED" : "FAILED", String(event.payload?.rejection?.detail ?? event.payload?.rejection?.reason ?? "rejected"));
          if (suppressed && recipient) await suppress(env, "EMAIL", recipient, "HARD_BOUNCE", "suppressed by Email Service");
          break;
        }
        case "failed":
          await advance(env, "EMAIL", id, "FAILED", String(event.payload?.failure?.reason ?? "failed"));
          break;
        case "complained":
          if (recipient) await suppress(env, "EMAIL", recipient, "COMPLAINT", "marked as spam");
          break;
        default:
          break; // deferred, or an event type this code does not know: nothing to record
      }
      message.ack();
    } catch (error) {
      console.error("email event failed", message.id, error);
      message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    }
  }
}
