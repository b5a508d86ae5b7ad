import { toBase64Url, utf8 } from "../lib/crypto/encoding.ts";

/**
 * The signed token a QR code carries: `E1.<kid>.<payload>.<signature>`.
 * payload = base64url of 32 bytes, the access right's UUID then the event's
 * UUID; signature = base64url of the Ed25519 signature over the ASCII of
 * `E1.<kid>.<payload>`. 142 characters: byte-mode QR version 8 at error
 * correction M. A gate learns the right and the event without a lookup and
 * checks the signature offline with the event's public keys. "E1" is the
 * format version: a new format gets a new prefix. This module touches no
 * database: the EventDO verifies with it (signing is in signing-keys.ts).
 */
export const TOKEN_PREFIX = "E1";
export const TOKEN_LENGTH = 142;
const TOKEN_PATTERN = /^E1\.([A-Z2-7]{8})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{86})$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type TokenFailure = "malformed" | "unknown_kid" | "bad_signature";
export type TokenCheck = { ok: true; access_right_id: string; event_id: string; kid: string } | { ok: false; reason: TokenFailure };

function uuidToBytes(id: string, into: Uint8Array, offset: number): void {
  if (!UUID_PATTERN.test(id)) throw new Error(`not a lower-case UUID: ${id}`);
  const hex = id.replace(/-/g, "");
  for (let i = 0; i < 16; i++) into[offset + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function bytesToUuid(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Signs a token for one right with a given key (the pure half of `signAccessToken`). */
export async function signTokenWith(kid: string, key: CryptoKey, right: { id: string; event_id: string }): Promise<string> {
  const payload = new Uint8Array(32);
  uuidToBytes(right.id, payload, 0);
  uuidToBytes(right.event_id, payload, 16);
  const signed = `${TOKEN_PREFIX}.${kid}.${toBase64Url(payload)}`;
  const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", key, utf8(signed)));
  return `${signed}.${toBase64Url(signature)}`;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE64URL_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64URL_VALUES[BASE64URL.charCodeAt(i)] = i;

/**
 * base64url that decodes to `length` bytes and is the one canonical spelling
 * of them (no spare bits set). Decoded in one pass instead of decoding and
 * re-encoding to compare: a gate runs this for every token it verifies.
 */
function canonicalBytes(text: string, length: number): Uint8Array | null {
  if (text.length !== Math.ceil((length * 8) / 6)) return null;
  const bytes = new Uint8Array(length);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? BASE64URL_VALUES[code]! : -1;
    if (value < 0) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = buffer >> bits;
      buffer &= (1 << bits) - 1;
    }
  }
  return buffer === 0 ? bytes : null;
}

/** What a well-formed token claims, before its signature is checked. */
export interface ParsedToken {
  kid: string;
  access_right_id: string;
  event_id: string;
  /** The signed part, `E1.<kid>.<payload>`, and the signature over it. */
  signed: string;
  signature: Uint8Array;
}

/** Splits a token into what it claims, or null when it is not a well-formed, canonical token. */
export function parseAccessToken(token: string): ParsedToken | null {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return null;
  const [, kid, payloadText, signatureText] = match as unknown as [string, string, string, string];
  const payload = canonicalBytes(payloadText, 32);
  const signature = canonicalBytes(signatureText, 64);
  if (!payload || !signature) return null;
  return {
    kid,
    access_right_id: bytesToUuid(payload.subarray(0, 16)),
    event_id: bytesToUuid(payload.subarray(16)),
    signed: `${TOKEN_PREFIX}.${kid}.${payloadText}`,
    signature,
  };
}

/**
 * Checks a scanned token (or its parsed form) against an event's public keys
 * (kid → key, from `importVerifyKeys`). Touches no database, so the EventDO
 * can decide with the keys it holds. A key belongs to one event, so a token
 * of another event fails with `unknown_kid`.
 */
export async function verifyAccessToken(token: string | ParsedToken, keys: ReadonlyMap<string, CryptoKey>): Promise<TokenCheck> {
  const parsed = typeof token === "string" ? parseAccessToken(token) : token;
  if (!parsed) return { ok: false, reason: "malformed" };
  const key = keys.get(parsed.kid);
  if (!key) return { ok: false, reason: "unknown_kid" };
  if (!(await crypto.subtle.verify("Ed25519", key, parsed.signature, utf8(parsed.signed)))) return { ok: false, reason: "bad_signature" };
  return { ok: true, access_right_id: parsed.access_right_id, event_id: parsed.event_id, kid: parsed.kid };
}

/** A public key as `GET /v1/events/{event_id}/keys` serves it. */
export interface EventPublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

/** Imports an event's public JWKs into the map `verifyAccessToken` takes. */
export async function importVerifyKeys(jwks: readonly Pick<EventPublicJwk, "kid" | "kty" | "crv" | "x">[]): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  for (const jwk of jwks) {
    keys.set(jwk.kid, await crypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, "Ed25519", false, ["verify"]));
  }
  return keys;
}
