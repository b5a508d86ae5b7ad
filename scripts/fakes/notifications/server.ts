import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type EmailSecrets, fakeEmailService } from "./cloudflare-email.ts";
import { type FcmSecrets, fakeFcm } from "./fcm.ts";
import { type Call, HttpError, json, type Reply } from "./http.ts";
import { emailPage, listPage } from "./page.ts";
import { Store } from "./store.ts";
import { fakeTwilio, type TwilioSecrets } from "./twilio.ts";

/**
 * The notification providers as the Worker sees them, on one loopback port,
 * for tests and `npm start` (one file per provider beside this one):
 * - `/cloudflare/client/v4/…`: Cloudflare Email Service's Email Sending API;
 * - `/twilio/2010-04-01/…`: Twilio's Messaging API;
 * - `/google/token` and `/fcm/v1/…`: Google's OAuth2 token endpoint and FCM HTTP v1.
 * `GET /` lists every email (opened rendered, inline QR codes included), SMS
 * and push received. With `stateFile`, what was received survives a restart.
 *
 * Test and demo controls under `/_control`:
 * - `GET /_control/emails?to=`, `/_control/sms?to=`, `/_control/push?token=`: what arrived;
 * - `POST /_control/{email|sms|push}/fail` {count, status, match?}: the next
 *   `count` calls (whose path or body contains `match`) answer `status`;
 * - `POST /_control/email/bounce` {address}: the address bounces permanently;
 * - `POST /_control/email/event` {message_id, type}: the Email Sending event
 *   Cloudflare would publish for it (delivered, bounced, rejected, complained, failed);
 * - `POST /_control/sms/refuse` {number, code}: Twilio refuses that number (21614, 21610);
 * - `POST /_control/sms/status` {sid, status, error_code?, deliver?}: the
 *   signed status callback Twilio would post (and posts it with deliver: true);
 * - `POST /_control/push/forget` {token, code: UNREGISTERED|INVALID_ARGUMENT};
 * - `POST /_control/google/expire-tokens`; `GET /_control/stats` (calls);
 *   `GET /_control/summary`: per channel, messages, distinct recipients and the most one recipient got.
 */
export type FakeNotificationSecrets = EmailSecrets & TwilioSecrets & FcmSecrets;

export interface FakeNotificationProvidersOptions {
  /** 0 (the default): any free port; `npm start` uses a fixed one. */
  port?: number;
  secrets: FakeNotificationSecrets;
  /** A JSON file keeping what was received across restarts (`npm start`); without it, memory only (tests). */
  stateFile?: string;
  /** Twilio posts "sent" then "delivered" to each message's StatusCallback by itself (`npm start`, where the Worker is reachable). */
  autoCallbacks?: boolean;
}

export interface FakeNotificationProviders {
  url: string;
  /** The Worker's settings that point it at these fakes. */
  workerVars: Record<string, string>;
  close(): Promise<void>;
}

export function workerVarsFor(url: string): Record<string, string> {
  return {
    EMAIL_TRANSPORT: "rest",
    CLOUDFLARE_API_BASE_URL: `${url}/cloudflare/client/v4`,
    TWILIO_BASE_URL: `${url}/twilio`,
    FCM_BASE_URL: `${url}/fcm`,
    GOOGLE_OAUTH_TOKEN_URL: `${url}/google/token`,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const failure = (body: Record<string, unknown>) => ({
  remaining: Number(body.count ?? 1),
  status: Number(body.status ?? 500),
  match: typeof body.match === "string" ? body.match : null,
  code: typeof body.code === "string" ? body.code : null,
});

export async function startFakeNotificationProviders(options: FakeNotificationProvidersOptions): Promise<FakeNotificationProviders> {
  const store = Store.open(options.stateFile);
  let origin = "";
  const email = fakeEmailService(store, options.secrets);
  const twilio = fakeTwilio(store, options.secrets);
  const fcm = fakeFcm(store, options.secrets, () => `${origin}/google/token`);

  async function deliverCallback(sid: string, status: string) {
    const callback = twilio.statusCallback(sid, status, null);
    if (!callback) return;
    const sms = store.state.sms.find((s) => s.sid === sid)!;
    let answered: number | null = null;
    try {
      answered = (await fetch(callback.url, { method: "POST", headers: callback.headers, body: callback.body })).status;
    } catch {
      // the Worker is not up: the callback is lost, as with Twilio after its retries
    }
    sms.callbacks.push({ status, at: new Date().toISOString(), answered });
    store.changed();
    // Sent on a timer, after the request that queued it: saved here.
    store.persist();
  }

  async function control(call: Call): Promise<Reply> {
    const at = `${call.method} ${call.path}`;
    const body = call.method === "POST" ? json(call.raw) : {};
    const q = call.url.searchParams;
    switch (at) {
      case "GET /_control/emails":
        return { status: 200, body: store.state.emails.filter((e) => !q.get("to") || e.to.includes(q.get("to")!)) };
      case "GET /_control/sms":
        return { status: 200, body: store.state.sms.filter((s) => !q.get("to") || s.to === q.get("to")) };
      case "GET /_control/push":
        return { status: 200, body: store.state.push.filter((p) => !q.get("token") || p.token === q.get("token")) };
      case "POST /_control/email/fail":
        email.fail(failure(body));
        return { status: 200, body: { ok: true } };
      case "POST /_control/sms/fail":
        twilio.fail(failure(body));
        return { status: 200, body: { ok: true } };
      case "POST /_control/push/fail":
        fcm.fail(failure(body));
        return { status: 200, body: { ok: true } };
      case "POST /_control/email/bounce":
        email.bounce(String(body.address));
        return { status: 200, body: { ok: true } };
      case "POST /_control/email/event":
        return { status: 200, body: email.event(String(body.message_id), String(body.type ?? "delivered")) };
      case "POST /_control/sms/refuse":
        twilio.refuse(String(body.number), Number(body.code ?? 21614));
        return { status: 200, body: { ok: true } };
      case "POST /_control/sms/status": {
        const sid = String(body.sid);
        if (body.deliver === true) {
          await deliverCallback(sid, String(body.status ?? "delivered"));
          return { status: 200, body: { delivered: true } };
        }
        return { status: 200, body: { callback: twilio.statusCallback(sid, String(body.status ?? "delivered"), typeof body.error_code === "string" ? body.error_code : null) } };
      }
      case "POST /_control/push/forget":
        fcm.forget(String(body.token), body.code === "INVALID_ARGUMENT" ? "INVALID_ARGUMENT" : "UNREGISTERED");
        return { status: 200, body: { ok: true } };
      case "POST /_control/google/expire-tokens":
        fcm.expireTokens();
        return { status: 200, body: { ok: true } };
      case "GET /_control/summary": {
        // Per channel: messages, distinct recipients, and the most any one recipient got (1 when nothing was sent twice).
        const tally = (keys: string[]) => {
          const per = new Map<string, number>();
          for (const key of keys) per.set(key, (per.get(key) ?? 0) + 1);
          return { messages: keys.length, recipients: per.size, max_per_recipient: Math.max(0, ...per.values()) };
        };
        return { status: 200, body: { email: tally(store.state.emails.flatMap((e) => e.to)), sms: tally(store.state.sms.map((s) => s.to)), push: tally(store.state.push.map((p) => p.token)) } };
      }
      case "GET /_control/stats":
        return { status: 200, body: { email: email.stats(), sms: twilio.stats(), push: fcm.stats(), counts: { emails: store.state.emails.length, sms: store.state.sms.length, push: store.state.push.length } } };
      default:
        throw new HttpError(404, { error: `no control ${at}` });
    }
  }

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://fake");
    const raw = await readBody(req);
    const method = req.method ?? "GET";
    const under = (prefix: string): Call => ({ req, method, path: url.pathname.slice(prefix.length) || "/", url, raw });
    if (url.pathname === "/" && method === "GET") return { status: 200, html: listPage(store.state, origin) };
    const emailView = /^\/email\/([^/]+)(?:\/cid\/([^/]+))?$/.exec(url.pathname);
    if (emailView && method === "GET") {
      const stored = store.state.emails.find((e) => e.id === decodeURIComponent(emailView[1]!));
      if (!stored) throw new HttpError(404, { error: "no such email" });
      if (!emailView[2]) return { status: 200, html: emailPage(stored, origin) };
      const part = stored.attachments.find((a) => a.content_id === decodeURIComponent(emailView[2]!));
      if (!part) throw new HttpError(404, { error: "no such inline part" });
      return { status: 200, bytes: { type: part.type, data: Buffer.from(part.content, "base64") } };
    }
    if (url.pathname.startsWith("/_control/")) return control({ req, method, path: url.pathname, url, raw });
    if (url.pathname.startsWith("/cloudflare/")) return email.send(under("/cloudflare"));
    if (url.pathname.startsWith("/twilio/")) {
      const reply = twilio.messages(under("/twilio"));
      if (options.autoCallbacks) {
        const sid = (reply.body as { sid: string }).sid;
        setTimeout(() => void deliverCallback(sid, "sent").then(() => deliverCallback(sid, "delivered")), 500).unref();
      }
      return reply;
    }
    if (url.pathname === "/google/token") return fcm.token(under("/google"));
    if (url.pathname.startsWith("/fcm/")) return fcm.send(under("/fcm"));
    throw new HttpError(404, { error: `no route ${method} ${url.pathname}` });
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req)
      .catch((error: unknown): Reply => {
        if (error instanceof HttpError) return { status: error.status, body: error.body, headers: error.headers };
        return { status: 500, body: { error: String(error) } };
      })
      .then((reply) => {
        // What the request changed outlives a restart (a no-op without a state file).
        try {
          store.persist();
        } catch (error) {
          console.error(`fake notifications: state not saved: ${String(error)}`);
        }
        const headers = reply.headers ?? {};
        if (reply.html !== undefined) {
          res.writeHead(reply.status, { "Content-Type": "text/html; charset=utf-8", ...headers });
          res.end(reply.html);
        } else if (reply.bytes) {
          res.writeHead(reply.status, { "Content-Type": reply.bytes.type, ...headers });
          res.end(reply.bytes.data);
        } else {
          res.writeHead(reply.status, { "Content-Type": "application/json", ...headers });
          res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
        }
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    workerVars: workerVarsFor(origin),
    close: () =>
      new Promise<void>((resolve, reject) => {
        store.persist();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
