import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";

/**
 * Google and Facebook as the Worker sees them, on a loopback port, for tests:
 * - Google: the JWKS at `/google/oauth2/v3/certs`, and `POST /google/mint`
 *   (test only) which signs an ID token with the given claims the way Google
 *   would, or with a key Google never published (`signer: "unknown"`).
 * - Facebook Graph API under `/facebook`: `debug_token` (checks our app token)
 *   and `me` (checks `appsecret_proof` with the app secret of the token's app),
 *   over user tokens created with `POST /facebook/tokens` (test only; a token
 *   of an app not seen before registers that app, with `app_secret` if given).
 * - `/unavailable/...` answers 503, to stand for a provider that is down.
 */
export interface FakeProvidersOptions {
  /** Our app as registered at Facebook: its app token is `id|secret`. */
  facebookApp: { id: string; secret: string };
}

export interface FakeProviders {
  url: string;
  close(): Promise<void>;
}

interface FacebookToken {
  app_id: string;
  user_id: string;
  name: string | null;
  email: string | null;
  picture_url: string | null;
  valid: boolean;
  expires_at: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

// Facebook's own error shapes, so the product code meets what it meets in production.
const oauthError = (message: string) => new HttpError(400, { error: { message, type: "OAuthException", code: 190 } });
const graphError = (message: string) => new HttpError(400, { error: { message, type: "GraphMethodException", code: 100 } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, { error: "expected a JSON object" });
}

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const optionalString = (value: unknown) => (typeof value === "string" ? value : null);

export async function startFakeProviders(options: FakeProvidersOptions): Promise<FakeProviders> {
  const googleKid = `fake-google-${randomBytes(4).toString("hex")}`;
  const google = await generateKeyPair("RS256", { extractable: true });
  const unknown = await generateKeyPair("RS256");
  const jwks = { keys: [{ ...(await exportJWK(google.publicKey)), kid: googleKid, alg: "RS256", use: "sig" }] };

  const appSecrets = new Map([[options.facebookApp.id, options.facebookApp.secret]]);
  const facebookTokens = new Map<string, FacebookToken>();

  async function mintGoogleIdToken(body: Record<string, unknown>) {
    const claims = (body.claims ?? {}) as JWTPayload;
    const header = (body.header ?? {}) as Record<string, unknown>;
    const iat = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { iss: "https://accounts.google.com", iat, exp: iat + 3600, ...claims };
    const key = body.signer === "unknown" ? unknown.privateKey : google.privateKey;
    return { id_token: await new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: googleKid, typ: "JWT", ...header }).sign(key) };
  }

  function createFacebookToken(body: Record<string, unknown>) {
    const app_id = optionalString(body.app_id);
    const user_id = optionalString(body.user_id);
    if (!app_id || !user_id) throw new HttpError(400, { error: "app_id and user_id are required" });
    // Another app exists at Facebook with its own secret (random unless the test names it).
    if (!appSecrets.has(app_id)) appSecrets.set(app_id, optionalString(body.app_secret) ?? randomBytes(16).toString("hex"));
    const token = `EAA${randomBytes(24).toString("base64url")}`;
    facebookTokens.set(token, {
      app_id,
      user_id,
      name: optionalString(body.name),
      email: optionalString(body.email),
      picture_url: optionalString(body.picture_url),
      valid: body.valid !== false,
      expires_at: typeof body.expires_at === "number" ? body.expires_at : Math.floor(Date.now() / 1000) + 60 * 86_400,
    });
    return { access_token: token };
  }

  function debugToken(query: URLSearchParams) {
    const [appId, secret] = (query.get("access_token") ?? "").split("|");
    const expected = appId ? appSecrets.get(appId) : undefined;
    if (!expected || !secret || !sameSecret(secret, expected)) throw oauthError("Invalid OAuth access token signature.");
    const token = facebookTokens.get(query.get("input_token") ?? "");
    if (!token) return { data: { error: { code: 190, message: "Invalid OAuth access token - Cannot parse access token" }, is_valid: false, scopes: [] } };
    return {
      data: {
        app_id: token.app_id,
        type: "USER",
        application: "Fake app",
        expires_at: token.expires_at,
        is_valid: token.valid,
        issued_at: Math.floor(Date.now() / 1000),
        scopes: ["public_profile", "email"],
        user_id: token.user_id,
        ...(token.valid ? {} : { error: { code: 190, message: "Error validating access token: The session has been invalidated." } }),
      },
    };
  }

  function me(query: URLSearchParams) {
    const accessToken = query.get("access_token") ?? "";
    const token = facebookTokens.get(accessToken);
    if (!token || !token.valid) throw oauthError("Invalid OAuth access token data.");
    // Like an app with "Require App Secret": the proof is HMAC-SHA256(app secret, token), hex.
    const proof = query.get("appsecret_proof");
    if (!proof) throw graphError("API calls from the server require an appsecret_proof argument");
    const expected = createHmac("sha256", appSecrets.get(token.app_id)!).update(accessToken).digest("hex");
    if (!sameSecret(proof, expected)) throw graphError("Invalid appsecret_proof provided in the API argument");
    const fields = new Set((query.get("fields") ?? "id,name").split(","));
    const profile: Record<string, unknown> = { id: token.user_id };
    if (fields.has("name") && token.name) profile.name = token.name;
    if (fields.has("email") && token.email) profile.email = token.email;
    if (fields.has("picture") && token.picture_url) profile.picture = { data: { url: token.picture_url, height: 50, width: 50, is_silhouette: false } };
    return profile;
  }

  async function route(req: IncomingMessage): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? "/", "http://fake");
    const at = `${req.method} ${url.pathname}`;
    if (url.pathname.startsWith("/unavailable/")) return { status: 503, body: { error: "temporarily unavailable" } };
    switch (at) {
      case "GET /google/oauth2/v3/certs":
        return { status: 200, body: jwks, headers: { "Cache-Control": "public, max-age=21600" } };
      case "POST /google/mint":
        return { status: 200, body: await mintGoogleIdToken(await readJson(req)) };
      case "POST /facebook/tokens":
        return { status: 201, body: createFacebookToken(await readJson(req)) };
      case "GET /facebook/debug_token":
        return { status: 200, body: debugToken(url.searchParams) };
      case "GET /facebook/me":
        return { status: 200, body: me(url.searchParams) };
      default:
        return { status: 404, body: { error: `no route ${at}` } };
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req)
      .catch((error: unknown) => {
        if (error instanceof HttpError) return { status: error.status, body: error.body, headers: undefined };
        return { status: 500, body: { error: String(error) }, headers: undefined };
      })
      .then(({ status, body, headers }) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
