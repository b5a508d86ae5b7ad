import { eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { ProblemError } from "../lib/errors.ts";
import { recordDeadLetters } from "../site/dead-letters.ts";
import type { PaymentMessage } from "./messages.ts";
import { executeRefund, refundCancelledEvent } from "./refunds.ts";
import { recordWebhookOutcome, settlePayment, type SettleOutcome } from "./service.ts";
import { webhook_events } from "./schema.ts";

const WEBHOOK_NOTES: Partial<Record<SettleOutcome, string>> = {
  pending: "The provider still says pending; the poller will ask again.",
  mismatch: "Amount, currency or reference mismatch with the payment: settle by hand.",
};

/**
 * Consumer of the `payments` queue. Each message is idempotent (settling asks
 * the provider and only moves forward), so a failure is simply retried with
 * backoff; after the queue's retries the message lands in `payments-dlq`,
 * recorded for an admin to inspect and replay.
 */
export async function consumePayments(batch: MessageBatch<PaymentMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    try {
      switch (body.kind) {
        case "settle": {
          const outcome = await settlePayment(env, body.payment_id);
          if (body.webhook_event_id) {
            await recordWebhookOutcome(env, body.webhook_event_id, { status: outcome === "mismatch" ? "FAILED" : "PROCESSED", error: WEBHOOK_NOTES[outcome] ?? null });
          }
          break;
        }
        case "refund":
          await executeRefund(env, body.refund_id);
          break;
        case "refund_event":
          await refundCancelledEvent(env, body.event_id);
          break;
      }
      message.ack();
    } catch (error) {
      // A payment that does not exist will not appear by retrying.
      if (error instanceof ProblemError && error.status === 404) {
        message.ack();
        continue;
      }
      console.error("payment message failed", message.id, body, error);
      if (body.kind === "settle" && body.webhook_event_id) {
        await getDb(env.DB)
          .update(webhook_events)
          .set({ status: "PROCESSING", error: String(error).slice(0, 1000), attempts: sql`${webhook_events.attempts} + 1` })
          .where(eq(webhook_events.id, body.webhook_event_id))
          .catch(() => undefined);
      }
      message.retry({ delaySeconds: retryDelaySeconds(env, message.attempts) });
    }
  }
}

/** base × 2^(attempt − 1), at most 5 minutes; a base of 0 (tests) retries at once. */
export function retryDelaySeconds(env: Env, attempts: number): number {
  const base = Number(env.PAYMENT_RETRY_BASE_SECONDS) || 0;
  return Math.min(300, base * 2 ** Math.max(0, attempts - 1));
}

/** `payments-dlq`: recorded like every dead letter, and the webhook that prompted it marked FAILED. */
export async function consumePaymentDeadLetters(batch: MessageBatch<PaymentMessage>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  for (const message of batch.messages) {
    const body = message.body;
    if (body?.kind === "settle" && body.webhook_event_id) {
      await db.update(webhook_events).set({ status: "FAILED", error: "Gave up after the queue's retries: see the dead letters." }).where(eq(webhook_events.id, body.webhook_event_id));
    }
  }
  await recordDeadLetters(batch, env);
}
