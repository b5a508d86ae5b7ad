import { toBase64Url, toHex, utf8 } from "./encoding.ts";

/** A random secret for URLs and headers (refresh tokens, reset tokens): 256 bits by default. */
export const randomToken = (bytes = 32): string => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));

/** A random numeric code (email / SMS verification), uniform over 10^digits. */
export function randomDigits(digits = 6): string {
  const max = 10 ** digits;
  const limit = Math.floor(0x1_0000_0000 / max) * max; // reject the biased tail
  for (;;) {
    const [value] = crypto.getRandomValues(new Uint32Array(1));
    if (value! < limit) return String(value! % max).padStart(digits, "0");
  }
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text))));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

export async function hmacSha256(secret: string, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), utf8(data)));
}

/**
 * Keyed digest for low-entropy secrets stored at rest (6-digit codes, recovery
 * codes): a stolen table cannot be brute-forced without the pepper.
 */
export async function secretDigest(pepper: string, purpose: string, value: string): Promise<string> {
  return toHex(await hmacSha256(pepper, `${purpose}:${value}`));
}

/**
 * Constant-time comparison of two strings (signatures, digests, the QR tokens
 * a gate compares on every scan): their UTF-16 code units, compared without
 * encoding them first (two strings are equal exactly when those are).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
