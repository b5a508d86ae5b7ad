/**
 * A helper Worker for benchmarks, bound to the app's D1 and EventDO namespace:
 * - `POST /sync?event_id=…` runs the app's own catalog sync, which pushes an
 *   event's ticket configurations from D1 to its EventDO;
 * - `POST /hold?event_id=…` with `{config_id, quantity, user_id}` calls
 *   EventDO.placeOrder directly: the order route minus everything the app
 *   Worker does before the call (auth, D1 reads, validation), to tell the
 *   object's own cost from the Worker's;
 * - `POST /issue?event_id=…` with `{holders: [{user_id, zone_id}]}` issues
 *   comp rights on the EventDO (one per holder) and returns them with their
 *   QR tokens, signed and registered with the EventDO as the app's QR and
 *   token routes hand them to holders (gate benchmark and e2e tests);
 * - `POST /confirm?event_id=…` with `{order_id}` confirms a hold as a paid
 *   order (EventDO.confirmOrder) and returns its rights (documents benchmark);
 * - `POST /flush?event_id=…` projects the EventDO's pending changes to D1 now;
 * - `GET /read?id=…` reads one access right from D1 by its primary key: the
 *   baseline of `npm run bench:reports` (one HTTP hop, one D1 read, its JSON);
 * - `GET /logged-scans?event_id=…` counts an event's rows in D1's
 *   access_control_log (`{"n": …}`): the gate benchmark's projection lag;
 * - `GET /d1-load?rows=…` makes D1 count `rows` rows in a recursive query:
 *   SQLite work and almost nothing else, to show which workerd process does
 *   a D1 query's work (the benchmarks' topology check).
 */
import { issueAccessTokens } from "../../src/access/signing-keys.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { syncEventInventory } from "../../src/catalog/sync.ts";
import type { Env } from "../../src/env.ts";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/read") {
      const row = await env.DB.prepare("SELECT * FROM access_rights WHERE id = ?").bind(url.searchParams.get("id") ?? "").first();
      return row ? Response.json(row) : new Response("Not found", { status: 404 });
    }
    if (request.method === "GET" && url.pathname === "/logged-scans") {
      const row = await env.DB.prepare("SELECT count(*) AS n FROM access_control_log WHERE event_id = ?").bind(url.searchParams.get("event_id") ?? "").first<{ n: number }>();
      return Response.json(row);
    }
    if (request.method === "GET" && url.pathname === "/d1-load") {
      const rows = Number(url.searchParams.get("rows")) || 100_000;
      const row = await env.DB.prepare("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT sum(x) AS total FROM c").bind(rows).first<{ total: number }>();
      return Response.json(row);
    }
    const eventId = url.searchParams.get("event_id");
    if (request.method !== "POST" || !eventId) return new Response("POST /sync|/hold|/issue|/confirm|/flush?event_id=…, GET /read?id=…|/logged-scans?event_id=…|/d1-load?rows=…", { status: 400 });
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
        lines: [{ config_id: body.config_id, quantity: body.quantity }],
        user_id: body.user_id,
        buyer: null,
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
    if (url.pathname === "/issue") {
      const body = (await request.json()) as { holders: { user_id: string; zone_id: string | null }[] };
      const issued = await eventStub(env, eventId).issueRights({
        source_type: "COMP",
        source_id: crypto.randomUUID(),
        holders: body.holders.map((h) => ({ ...h, seat_id: null })),
        config_id: null,
        created_by: null,
      });
      if (!issued.ok) return Response.json(issued.problem, { status: issued.problem.status });
      const tokens = await issueAccessTokens(env, eventId, issued.rights.map((r) => r.id));
      const rights = issued.rights.map((r, i) => ({ id: r.id, qr_code: r.qr_code, user_id: r.user_id, token: tokens[i]!.token }));
      return Response.json(rights, { status: 201 });
    }
    if (url.pathname === "/attendee") {
      const body = (await request.json()) as { right_id: string; user_id: string; name: string };
      const named = await eventStub(env, eventId).setAttendee(body.right_id, body.user_id, { name: body.name, email: null, phone: null, answers: {} });
      return Response.json(named.ok ? named.attendee : named.problem, { status: named.ok ? 200 : named.problem.status });
    }
    if (url.pathname === "/confirm") {
      const body = (await request.json()) as { order_id: string };
      const confirmed = await eventStub(env, eventId).confirmOrder({ order_id: body.order_id, payment_id: null, confirmed_by: null });
      return Response.json(confirmed.ok ? confirmed.rights : confirmed.problem, { status: confirmed.ok ? 201 : confirmed.problem.status });
    }
    if (url.pathname === "/flush") {
      await eventStub(env, eventId).flushProjection();
      return new Response(null, { status: 204 });
    }
    return new Response("Not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
