import "./hooks.ts";
import { createApp } from "./app.ts";
import { purgeExpiredAuthData } from "./auth/maintenance.ts";
import { completeEndedEvents, sendEventReminders } from "./events/cron.ts";
import { expireEndedRights } from "./access/rights-expiry.ts";
import { completeAttendedOrders } from "./orders/completion.ts";
import { expireVerifications } from "./users/service.ts";
import { expireTransferOffers } from "./access/transfer-offers.ts";
import type { Env } from "./env.ts";
import { withAvailabilityFront } from "./onsale/availability-front.ts";
import type { QueueMessage } from "./notifications/messages.ts";
import { consumeNotificationDeadLetters, consumeNotifications } from "./notifications/consumer.ts";
import { runNotificationCron } from "./notifications/cron.ts";
import { consumeEmailEvents } from "./notifications/provider-events.ts";
import { consumePaymentDeadLetters, consumePayments } from "./payments/consumer.ts";
import type { PaymentMessage } from "./payments/messages.ts";
import { runOrganizerPlanCron } from "./payments/organizer-subscriptions.ts";
import { runPaymentsCron } from "./payments/poller.ts";
import { runSeasonPassCron } from "./passes/cron.ts";

export { EventDO } from "../durable-objects/event/event-do.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";
export { WaitingRoomDO } from "../durable-objects/waiting-room.ts";

const app = createApp();

export default {
  // Public availability reads are answered in front of the app while a fresh answer is kept (src/onsale/availability-front.ts).
  fetch: withAvailabilityFront(app.fetch),

  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    switch (batch.queue) {
      case "notifications":
        return consumeNotifications(batch as MessageBatch<QueueMessage>, env);
      case "notifications-dlq":
        return consumeNotificationDeadLetters(batch, env);
      case "email-events":
        return consumeEmailEvents(batch, env);
      case "payments":
        return consumePayments(batch as MessageBatch<PaymentMessage>, env);
      case "payments-dlq":
        return consumePaymentDeadLetters(batch as MessageBatch<PaymentMessage>, env);
      default:
        console.error("message from an unknown queue", batch.queue);
        batch.retryAll();
    }
  },

  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(purgeExpiredAuthData(env));
    ctx.waitUntil(runOrganizerPlanCron(env));
    ctx.waitUntil(completeEndedEvents(env));
    ctx.waitUntil(expireEndedRights(env));
    ctx.waitUntil(completeAttendedOrders(env));
    ctx.waitUntil(expireVerifications(env));
    ctx.waitUntil(sendEventReminders(env));
    ctx.waitUntil(runSeasonPassCron(env));
    ctx.waitUntil(expireTransferOffers(env));
    ctx.waitUntil(runPaymentsCron(env));
    ctx.waitUntil(runNotificationCron(env));
  },
} satisfies ExportedHandler<Env, unknown>;
