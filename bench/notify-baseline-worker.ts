/**
 * The baseline of `npm run bench:notify`: a queue consumer that acknowledges
 * messages shaped like the notifications queue's (`{kind: "deliver", ids}`,
 * five ids each, batches of 50 within a second, as wrangler.toml configures
 * the real one) without sending anything, and counts them in one Durable
 * Object (one write per batch). What the real consumer adds over it is the
 * cost of sending: claiming, reading, rendering, the provider call and the
 * outcome write.
 * - `POST /enqueue?messages=N`: queues N messages (100 per sendBatch);
 * - `GET /count`: messages acknowledged so far.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  NOTIFY_BASELINE: Queue<{ kind: "deliver"; ids: string[] }>;
  COUNTER: DurableObjectNamespace<Counter>;
}

export class Counter extends DurableObject<Env> {
  private total = 0;
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.total = (await ctx.storage.get<number>("total")) ?? 0;
    });
  }
  async add(n: number): Promise<number> {
    this.total += n;
    await this.ctx.storage.put("total", this.total);
    return this.total;
  }
  count(): number {
    return this.total;
  }
}

const counter = (env: Env) => env.COUNTER.get(env.COUNTER.idFromName("baseline"));

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/enqueue") {
      const n = Number(url.searchParams.get("messages") ?? "0");
      for (let i = 0; i < n; i += 100) {
        const size = Math.min(100, n - i);
        await env.NOTIFY_BASELINE.sendBatch(Array.from({ length: size }, () => ({ body: { kind: "deliver" as const, ids: Array.from({ length: 5 }, () => crypto.randomUUID()) } })));
      }
      return Response.json({ queued: n });
    }
    if (request.method === "GET" && url.pathname === "/count") return Response.json({ acked: await counter(env).count() });
    return new Response("POST /enqueue?messages=N | GET /count", { status: 404 });
  },

  async queue(batch: MessageBatch<{ kind: "deliver"; ids: string[] }>, env: Env): Promise<void> {
    batch.ackAll();
    await counter(env).add(batch.messages.length);
  },
} satisfies ExportedHandler<Env, { kind: "deliver"; ids: string[] }>;
