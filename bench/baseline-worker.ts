/**
 * The per-commit ceiling for `npm run bench:orders`: the same HTTP hop into a
 * Worker and one RPC to a Durable Object, whose method makes one durable
 * single-row write and nothing else (`/write`), or no write at all (`/echo`,
 * the cost of the hops alone). Served by the same workerd as the app.
 *
 * For `npm run bench:gate`, the same object over hibernatable WebSockets:
 * `GET /ws?mode=write` upgrades (through the Worker, as the gate does, and
 * like the gate declining permessage-deflate) to a socket whose every message
 * makes one durable single-row write and gets a reply; `mode=echo` replies
 * without writing.
 *
 * For `npm run bench:onsale`, the floor of a read: `GET /constant` answers the
 * response last given to `PUT /constant` (status, headers, body) as a constant,
 * doing nothing else: what any Worker request giving those bytes costs here.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  BASELINE_DO: DurableObjectNamespace<BaselineDO>;
}

export class BaselineDO extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, body TEXT NOT NULL, at TEXT NOT NULL)");
  }

  /** One row, committed before the reply leaves the object (the output gate). */
  write(body: string): { id: string } {
    const id = crypto.randomUUID();
    this.ctx.storage.sql.exec("INSERT INTO t (id, body, at) VALUES (?, ?, ?)", id, body, new Date().toISOString());
    return { id };
  }

  echo(body: string): { length: number } {
    return { length: body.length };
  }

  /** A benchmark socket: its tag says whether each message writes a row before the reply. */
  override async fetch(request: Request): Promise<Response> {
    const mode = new URL(request.url).searchParams.get("mode") === "echo" ? "echo" : "write";
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [mode]);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const body = typeof message === "string" ? message : new TextDecoder().decode(message);
    if (this.ctx.getTags(ws)[0] === "echo") return ws.send(JSON.stringify({ length: body.length }));
    ws.send(JSON.stringify(this.write(body)));
  }

  rows(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM t").one().n;
  }
}

let constant: { status: number; headers: Headers; body: string } | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (constant && request.method === "GET" && request.url.endsWith("/constant")) return new Response(constant.body, { status: constant.status, headers: constant.headers });
    const url = new URL(request.url);
    if (request.method === "PUT" && url.pathname === "/constant") {
      const given = (await request.json()) as { status: number; headers: [string, string][]; body: string };
      constant = { status: given.status, headers: new Headers(given.headers), body: given.body };
      return new Response(null, { status: 204 });
    }
    const stub = env.BASELINE_DO.get(env.BASELINE_DO.idFromName(url.searchParams.get("object") ?? "bench"));
    if (request.method === "POST" && url.pathname === "/write") return Response.json(await stub.write(await request.text()), { status: 201 });
    if (request.method === "POST" && url.pathname === "/echo") return Response.json(await stub.echo(await request.text()), { status: 200 });
    if (request.method === "GET" && url.pathname === "/ws" && request.headers.get("Upgrade") === "websocket") {
      // The same transport as the gate's socket (src/access/gate-routes.ts): permessage-deflate declined.
      const upgraded = await stub.fetch(request);
      if (upgraded.status !== 101 || !upgraded.webSocket) return upgraded;
      return new Response(null, { status: 101, webSocket: upgraded.webSocket, headers: { "Sec-WebSocket-Extensions": "none" } });
    }
    if (request.method === "GET" && url.pathname === "/rows") return Response.json({ rows: await stub.rows() });
    return new Response("Not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
