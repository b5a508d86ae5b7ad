/**
 * A helper Worker for benchmarks, bound to the app's D1 and EventDO namespace:
 * - `POST /sync?event_id=…` runs the app's own catalog sync, which pushes an
 *   event's ticket configurations from D1 to its EventDO;
 * - `POST /hold?event_id=…` with `{config_id, quantity, user_id}` calls
 *   EventDO.placeOrder directly: the order route minus everything the app
 *   Worker does before the call (auth, D1 reads, validation), to tell the
 *   object's own cost from the Worker's.
 */
import { eventStub, syncEventInventory } from "../../src/catalog/sync.ts";
import type { Env } from "../../src/env.ts";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const eventId = url.searchParams.get("event_id");
    if (request.method !== "POST" || !eventId) return new Response("POST /sync|/hold?event_id=…", { status: 400 });
    if (url.pathname === "/sync") {
      await syncEventInventory(env, eventId);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/hold") {
      const body = (await request.json()) as { config_id: string; quantity: number; user_id: string };
      const id = crypto.randomUUID();
      const result = await eventStub(env, eventId).placeOrder({
        order_id: id,
        ticket_number: `TKT-BENCH-${id.slice(0, 13)}`,
        config_id: body.config_id,
        quantity: body.quantity,
        user_id: body.user_id,
        groups: [],
        buyer_age: null,
        promo_code: null,
        rules: [],
        channel: "MOBILE",
        is_guest: false,
        guest_email: null,
        guest_phone: null,
        ip: null,
      });
      return Response.json(result.ok ? result.order : result.problem, { status: result.ok ? 201 : result.problem.status });
    }
    return new Response("Not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
