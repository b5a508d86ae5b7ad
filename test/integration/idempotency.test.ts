import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../src/env.ts";
import { idempotent } from "../../src/site/idempotency.ts";
import { ProblemError, problemResponse } from "../../src/lib/errors.ts";

/**
 * A route built like an order-creating POST: it counts how often its body
 * really ran. `holdNextRun()` keeps the next run inside the body until
 * released, so other requests arrive while it is in progress.
 */
function orderApp() {
  let runs = 0;
  let hold: { entered: () => void; released: Promise<void> } | null = null;
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    const user = c.req.header("X-Test-User");
    c.set("auth", user ? { userId: user, role: "USER", sessionId: "s" } : undefined);
    await next();
  });
  app.post("/orders", idempotent, async (c) => {
    runs += 1;
    const body = await c.req.json<{ quantity: number; fail?: boolean }>();
    const held = hold;
    hold = null;
    if (held) {
      held.entered();
      await held.released;
    }
    if (body.fail) throw new Error("provider down");
    if (body.quantity > 4) throw new ProblemError(409, "sold_out", "Conflict", "Not enough units.");
    c.header("Location", `/orders/${runs}`);
    return c.json({ order: runs, quantity: body.quantity }, 201);
  });
  app.onError((error, c) => problemResponse(c, error instanceof ProblemError ? error : new ProblemError(500, "internal_error", "Internal", "boom")));
  const post = (body: unknown, key?: string, user = "user-1") =>
    app.fetch(
      new Request("https://api.test/orders", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Test-User": user, ...(key ? { "Idempotency-Key": key } : {}) },
        body: JSON.stringify(body),
      }),
      env,
    );
  function holdNextRun() {
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    hold = { entered, released: new Promise<void>((resolve) => (release = resolve)) };
    return { inside, release };
  }
  return { post, runs: () => runs, holdNextRun };
}

describe("Idempotency-Key", () => {
  it("replays the first response to a retry instead of running twice", async () => {
    const { post, runs } = orderApp();
    const first = await post({ quantity: 2 }, "key-aaaaaaaa");
    const retry = await post({ quantity: 2 }, "key-aaaaaaaa");
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual(await first.json());
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.headers.get("Location")).toBe("/orders/1");
    expect(runs()).toBe(1);
  });

  it("runs once when the same key arrives many times at once", async () => {
    const { post, runs, holdNextRun } = orderApp();
    // The first request is inside the body while the five others arrive.
    const { inside, release } = holdNextRun();
    const first = post({ quantity: 1 }, "key-concurrent");
    await inside;
    const others = await Promise.all(Array.from({ length: 5 }, () => post({ quantity: 1 }, "key-concurrent")));
    release();
    const results = [await first, ...others];
    expect(runs()).toBe(1);
    for (const res of results) expect([201, 409]).toContain(res.status);
    expect(results.filter((r) => r.status === 201 && !r.headers.get("Idempotent-Replayed"))).toHaveLength(1);
  });

  it("refuses a key reused for a different request", async () => {
    const { post } = orderApp();
    await post({ quantity: 1 }, "key-bbbbbbbb");
    const res = await post({ quantity: 3 }, "key-bbbbbbbb");
    expect(res.status).toBe(422);
    expect((await res.json<{ code: string }>()).code).toBe("idempotency_key_reused");
  });

  it("scopes keys to the caller", async () => {
    const { post, runs } = orderApp();
    await post({ quantity: 1 }, "key-shared-1", "user-1");
    const other = await post({ quantity: 1 }, "key-shared-1", "user-2");
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();
    expect(runs()).toBe(2);
  });

  it("lets a failed first attempt be retried with the same key", async () => {
    const { post, runs } = orderApp();
    expect((await post({ quantity: 1, fail: true }, "key-cccccccc")).status).toBe(500);
    expect((await post({ quantity: 1, fail: true }, "key-cccccccc")).status).toBe(500);
    expect(runs()).toBe(2);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE key = 'key-cccccccc'").first<{ n: number }>();
    expect(stored!.n).toBe(0);
  });

  it("works without a key, and refuses a malformed one", async () => {
    const { post, runs } = orderApp();
    await post({ quantity: 1 });
    await post({ quantity: 1 });
    expect(runs()).toBe(2);
    const res = await post({ quantity: 1 }, "short");
    expect(res.status).toBe(422);
  });
});
