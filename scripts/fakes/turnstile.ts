import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Cloudflare Turnstile's Siteverify API as the Worker sees it, on a loopback
 * port, for tests and `npm start`: `POST /turnstile/v0/siteverify` with
 * `secret`, `response`, `remoteip` and `idempotency_key`, as a form or JSON,
 * answered the way Cloudflare does (always HTTP 200 and JSON, `success` and
 * `error-codes`). The Worker's `TURNSTILE_BASE_URL` is this server's URL.
 *
 * Secrets it knows:
 * - Cloudflare's documented test secrets: `1x0000000000000000000000000000000AA`
 *   passes every token, `2x…AA` fails every one (`invalid-input-response`),
 *   `3x…AA` answers `timeout-or-duplicate` (a token already spent);
 * - `secrets` given at start: these verify only tokens this fake issued for
 *   them (`POST /_control/tokens` {secret, hostname?, action?} → {token}),
 *   each once, within 300 s, as Cloudflare's own tokens are; a repeated call
 *   with the same `idempotency_key` gets the first answer again.
 * Any other secret is `invalid-input-secret`.
 *
 * Test controls: `GET /_control/requests` lists what Siteverify received;
 * `POST /_control/fail` {count, status} makes the next `count` calls answer
 * `status` (a Cloudflare outage).
 */

export const TURNSTILE_TEST_SECRETS = {
  alwaysPasses: "1x0000000000000000000000000000000AA",
  alwaysFails: "2x0000000000000000000000000000000AA",
  alreadySpent: "3x0000000000000000000000000000000AA",
} as const;
/** What Cloudflare's test sitekeys hand the browser instead of a real token. */
export const TURNSTILE_DUMMY_TOKEN = "XXXX.DUMMY.TOKEN.XXXX";

const TOKEN_TTL_MS = 300_000;
const MAX_TOKEN_LENGTH = 2048;

export interface FakeTurnstileOptions {
  /** 0 (the default): any free port. */
  port?: number;
  /** Production-like secrets: they pass only tokens issued here. */
  secrets?: string[];
}

export interface FakeTurnstile {
  url: string;
  close(): Promise<void>;
}

interface Issued {
  secret: string;
  hostname: string;
  action: string;
  issued_at: number;
  spent: boolean;
}

type Verdict = { success: boolean; "error-codes": string[]; challenge_ts?: string; hostname?: string; action?: string; cdata?: string };

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if ((req.headers["content-type"] ?? "").includes("application/json")) {
    try {
      const value = JSON.parse(text) as unknown;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (typeof v === "string" || typeof v === "number" ? [[k, String(v)]] : [])));
      }
    } catch {
      // a body that is not JSON is a bad request, as below
    }
    return {};
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export async function startFakeTurnstile(options: FakeTurnstileOptions = {}): Promise<FakeTurnstile> {
  const known = new Set(options.secrets ?? []);
  const issued = new Map<string, Issued>();
  const answered = new Map<string, Verdict>();
  const requests: Record<string, string>[] = [];
  let failures = { remaining: 0, status: 500 };

  function verify(body: Record<string, string>): Verdict {
    const refuse = (...codes: string[]): Verdict => ({ success: false, "error-codes": codes });
    const { secret, response } = body;
    if (!secret) return refuse("missing-input-secret");
    if (!response) return refuse("missing-input-response");
    if (response.length > MAX_TOKEN_LENGTH) return refuse("invalid-input-response");
    const pass = (hostname: string, action: string, at: number): Verdict => ({ success: true, "error-codes": [], challenge_ts: new Date(at).toISOString(), hostname, action, cdata: "" });
    if (secret === TURNSTILE_TEST_SECRETS.alwaysPasses) return pass("example.com", "", Date.now());
    if (secret === TURNSTILE_TEST_SECRETS.alwaysFails) return refuse("invalid-input-response");
    if (secret === TURNSTILE_TEST_SECRETS.alreadySpent) return refuse("timeout-or-duplicate");
    if (!known.has(secret)) return refuse("invalid-input-secret");
    const token = issued.get(response);
    if (!token || token.secret !== secret) return refuse("invalid-input-response");
    if (token.spent || Date.now() - token.issued_at > TOKEN_TTL_MS) return refuse("timeout-or-duplicate");
    token.spent = true;
    return pass(token.hostname, token.action, token.issued_at);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/turnstile/v0/siteverify") {
      const body = await readBody(req);
      requests.push(body);
      if (failures.remaining > 0) {
        failures.remaining--;
        return send(failures.status, { success: false, "error-codes": ["internal-error"] });
      }
      const key = body.idempotency_key;
      if (key && answered.has(key)) return send(200, answered.get(key));
      const verdict = verify(body);
      if (key) answered.set(key, verdict);
      return send(200, verdict);
    }
    if (req.method === "POST" && url.pathname === "/_control/tokens") {
      const body = await readBody(req);
      if (!body.secret || !known.has(body.secret)) return send(400, { error: "a secret this fake was started with" });
      const token = `0.${randomBytes(48).toString("base64url")}`;
      issued.set(token, { secret: body.secret, hostname: body.hostname ?? "edge-events.test", action: body.action ?? "", issued_at: Date.now(), spent: false });
      return send(201, { token });
    }
    if (req.method === "GET" && url.pathname === "/_control/requests") return send(200, { requests });
    if (req.method === "POST" && url.pathname === "/_control/fail") {
      const body = await readBody(req);
      failures = { remaining: Number(body.count ?? 1), status: Number(body.status ?? 500) };
      return send(200, failures);
    }
    send(404, { error: "not found" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
