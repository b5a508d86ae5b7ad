import { createApp } from "./app.ts";
import { purgeExpiredAuthData } from "./auth/maintenance.ts";
import { completeEndedEvents } from "./events/cron.ts";
import { expireTransferOffers } from "./access/transfers.ts";
import type { Env } from "./env.ts";
import type { QueueMessage } from "./notifications/messages.ts";
import { consumeNotifications } from "./notifications/consumer.ts";
import { recordDeadLetters } from "./notifications/dead-letters.ts";
import { runOrganizerPlanCron } from "./payments/organizer-plans.ts";
import { runSeasonPassCron } from "./passes/service.ts";

export { EventDO } from "../durable-objects/event/event-do.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<QueueMessage>, env: Env): Promise<void> {
    switch (batch.queue) {
      case "notifications":
        return consumeNotifications(batch, env);
      case "notifications-dlq":
        return recordDeadLetters(batch, env);
      default:
        console.error("message from an unknown queue", batch.queue);
        batch.retryAll();
    }
  },

  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(purgeExpiredAuthData(env));
    ctx.waitUntil(runOrganizerPlanCron(env));
    ctx.waitUntil(completeEndedEvents(env));
    ctx.waitUntil(runSeasonPassCron(env));
    ctx.waitUntil(expireTransferOffers(env));
  },
} satisfies ExportedHandler<Env, QueueMessage>;
