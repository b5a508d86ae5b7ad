import { env } from "cloudflare:workers";
import worker from "../../src/index.ts";

/**
 * Knows when the Worker's queues have nothing left to do, so that a test can
 * wait for exactly that instead of sleeping: `await queuesIdle()` returns once
 * every message sent so far (by the Worker or the test) has been acknowledged
 * by its consumer, or dropped, including its retries and its trip through the
 * dead-letter queue. The queues stay workerd's own: this module only watches
 * the producers' `send`/`sendBatch` and the Worker's `queue` handler, which is
 * what the runner's consumers call. After `queuesIdle()`, whatever the queues
 * were going to do is done, so a test may assert that something did not happen.
 *
 * The retry rule is the one of Miniflare's queue broker: a message the consumer
 * retries (or all of a batch whose handler threw) is delivered again until it
 * has had `max_retries + 1` attempts, then moves to the dead-letter queue, or
 * is dropped when there is none. Installed for every test file (vitest.config.ts
 * `setupFiles`), with the queue settings of wrangler.toml (`TEST_QUEUES`).
 *
 * Only queues that workerd actually runs are counted. The Worker's
 * NOTIFICATIONS binding points, in tests, at a queue with no consumer
 * (vitest.config.ts): its messages only name deliveries that wait in D1 (an
 * outbox), which tests hand to the real consumer themselves with
 * createMessageBatch (test/support/notifications.ts). Those sends are not
 * waited for, and the batches tests hand in (notifications, its dead letters,
 * email events) are theirs to check with getQueueResult: counting either would
 * make `queuesIdle()` wait for messages no queue will ever deliver.
 */

/** Miniflare's default when a consumer sets no `max_retries`. */
const MINIFLARE_DEFAULT_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 20_000;

const outstanding = new Map<string, number>(); // queue → messages sent and not yet done with

const total = () => [...outstanding.values()].reduce((sum, n) => sum + n, 0);

function count(queue: string, delta: number) {
  // Never below zero: a batch a test hands to the handler itself was never sent through a producer.
  outstanding.set(queue, Math.max(0, (outstanding.get(queue) ?? 0) + delta));
}

/**
 * Resolves once every message sent so far has been handled; fails after
 * `timeoutMs`, naming what is left. It looks at the count every few
 * milliseconds from the test's own request: workerd does not let a consumer's
 * invocation wake a promise the test is waiting on.
 */
export async function queuesIdle(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  // performance.now(), not Date: a test may have stopped the Date clock (test/support/clock.ts).
  const deadline = performance.now() + timeoutMs;
  while (total() > 0) {
    if (performance.now() > deadline) {
      const left = [...outstanding].filter(([, n]) => n > 0).map(([queue, n]) => `${n} on ${queue}`);
      throw new Error(`queues still busy after ${timeoutMs} ms: ${left.join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The queues a consumer runs in tests: those a producer sends to that have a consumer, and their dead-letter queues. */
function runQueues(producers: Record<string, string>, consumers: Record<string, { dead_letter_queue?: string }>): Set<string> {
  const run = new Set<string>();
  const add = (queue: string | undefined) => {
    if (!queue || run.has(queue) || !consumers[queue]) return;
    run.add(queue);
    add(consumers[queue]!.dead_letter_queue);
  };
  for (const queue of Object.values(producers)) add(queue);
  return run;
}

function watchProducers(producers: Record<string, string>, run: Set<string>) {
  for (const [binding, queue] of Object.entries(producers)) {
    if (!run.has(queue)) continue; // held for tests: no consumer will take its messages
    const producer = (env as unknown as Record<string, Queue<unknown>>)[binding];
    if (!producer) throw new Error(`no queue binding ${binding}`);
    const send = producer.send.bind(producer);
    const sendBatch = producer.sendBatch.bind(producer);
    producer.send = async (body, options) => {
      count(queue, 1);
      try {
        return await send(body, options);
      } catch (error) {
        count(queue, -1);
        throw error;
      }
    };
    producer.sendBatch = async (messages, options) => {
      const list = [...messages];
      count(queue, list.length);
      try {
        return await sendBatch(list, options);
      } catch (error) {
        count(queue, -list.length);
        throw error;
      }
    };
  }
}

function watchConsumers(consumers: Record<string, { max_retries?: number; dead_letter_queue?: string }>, run: Set<string>) {
  const handle = worker.queue.bind(worker);
  worker.queue = async (batch: MessageBatch<unknown>, ...rest: unknown[]) => {
    // A batch a test made (createMessageBatch) for a queue no consumer runs here: nothing was counted for it.
    if (!run.has(batch.queue)) return (handle as (batch: MessageBatch<unknown>, ...rest: unknown[]) => Promise<void>)(batch, ...rest);
    const retried = new Set<string>();
    let retryAll = false;
    // The handler sees the batch through this view, which notes what it retries.
    const messages = batch.messages.map((message) => ({
      get id() {
        return message.id;
      },
      get timestamp() {
        return message.timestamp;
      },
      get body() {
        return message.body;
      },
      get attempts() {
        return message.attempts;
      },
      ack: () => message.ack(),
      retry: (options?: QueueRetryOptions) => {
        retried.add(message.id);
        message.retry(options);
      },
    }));
    const view = {
      queue: batch.queue,
      messages,
      ackAll: () => batch.ackAll(),
      retryAll: (options?: QueueRetryOptions) => {
        retryAll = true;
        batch.retryAll(options);
      },
    } as unknown as MessageBatch<unknown>;
    let threw = false;
    try {
      return await (handle as (batch: MessageBatch<unknown>, ...rest: unknown[]) => Promise<void>)(view, ...rest);
    } catch (error) {
      threw = true;
      throw error;
    } finally {
      const consumer = consumers[batch.queue] ?? {};
      const attempts = (consumer.max_retries ?? MINIFLARE_DEFAULT_RETRIES) + 1;
      for (const message of batch.messages) {
        if (threw || retryAll || retried.has(message.id)) {
          if (message.attempts < attempts) continue; // delivered again
          if (consumer.dead_letter_queue) count(consumer.dead_letter_queue, 1);
        }
        count(batch.queue, -1);
      }
    }
  };
}

const settings = env.TEST_QUEUES;
const run = runQueues(settings.producers, settings.consumers);
watchProducers(settings.producers, run);
watchConsumers(settings.consumers, run);
