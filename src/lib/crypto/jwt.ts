import { importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, errors as joseErrors } from "jose";

/**
 * Access tokens: short-lived JWTs signed with Ed25519 (EdDSA) under a `kid`.
 * JWT_SIGNING_KEYS holds a JSON array of private JWKs: the first signs, all
 * verify, so keys rotate by prepending a new one and dropping the old one
 * after one access-token lifetime.
 */
export const ISSUER = "edge-events";
export const AUDIENCE = "edge-events-api";

interface KeySet {
  signing: { kid: string; key: CryptoKey };
  verifying: Map<string, CryptoKey>;
  publicJwks: JWK[];
}

const keySets = new Map<string, Promise<KeySet>>();

export function loadKeySet(config: string): Promise<KeySet> {
  let set = keySets.get(config);
  if (!set) {
    set = (async () => {
      const jwks = JSON.parse(config) as JWK[];
      if (!Array.isArray(jwks) || jwks.length === 0) throw new Error("JWT_SIGNING_KEYS must be a non-empty JSON array");
      const verifying = new Map<string, CryptoKey>();
      const publicJwks: JWK[] = [];
      let signing: KeySet["signing"] | undefined;
      for (const jwk of jwks) {
        if (!jwk.kid || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw new Error("JWT keys must be Ed25519 JWKs with a kid");
        const { d: _private, ...publicJwk } = jwk;
        verifying.set(jwk.kid, (await importJWK({ ...publicJwk, alg: "EdDSA" }, "EdDSA")) as CryptoKey);
        publicJwks.push({ ...publicJwk, alg: "EdDSA", use: "sig" });
        signing ??= { kid: jwk.kid, key: (await importJWK({ ...jwk, alg: "EdDSA" }, "EdDSA")) as CryptoKey };
      }
      return { signing: signing!, verifying, publicJwks };
    })();
    keySets.set(config, set);
  }
  return set;
}

export async function signJwt(
  config: string,
  claims: JWTPayload & { sub: string },
  ttlSeconds: number,
  type: string,
): Promise<string> {
  const { signing } = await loadKeySet(config);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: signing.kid, typ: type })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(signing.key);
}

export class InvalidTokenError extends Error {}

/** Verifies signature (EdDSA only: `alg: none` and HMAC confusions fail), kid, issuer, audience, expiry and type. */
export async function verifyJwt(config: string, token: string, type: string): Promise<JWTPayload & { sub: string }> {
  const { verifying } = await loadKeySet(config);
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? verifying.get(header.kid) : undefined;
        if (!key) throw new InvalidTokenError("unknown key id");
        return key;
      },
      { algorithms: ["EdDSA"], issuer: ISSUER, audience: AUDIENCE, typ: type, requiredClaims: ["sub", "exp"] },
    );
    return payload as JWTPayload & { sub: string };
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError("token expired");
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError || error instanceof SyntaxError) {
      throw new InvalidTokenError("invalid token");
    }
    throw error;
  }
}

export async function publicJwks(config: string): Promise<{ keys: JWK[] }> {
  return { keys: (await loadKeySet(config)).publicJwks };
}
