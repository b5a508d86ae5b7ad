import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { createHmac } from "node:crypto";

/**
 * scrypt (node:crypto, available in Workers with nodejs_compat): memory-hard and
 * not subject to the 100,000-iteration cap Workers put on PBKDF2.
 * N = 2^14, r = 8 → 16 MiB per hash, well inside a Worker's 128 MiB.
 * The password is first keyed with a server-side pepper (HMAC-SHA256), so a
 * leaked database alone cannot be attacked offline.
 */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;

function derive(input: Buffer, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(input, salt, keyLength, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const peppered = (password: string, pepper: string): Buffer =>
  createHmac("sha256", pepper).update(password.normalize("NFKC")).digest();

export async function hashPassword(password: string, pepper: string): Promise<string> {
  const { N, r, p, keyLength } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const key = await derive(peppered(password, pepper), salt, N, r, p, keyLength);
  return ["scrypt", N, r, p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string, pepper: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !N || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await derive(peppered(password, pepper), Buffer.from(salt, "base64"), +N, +r, +p, expected.length);
  return timingSafeEqual(actual, expected);
}

/** A hash to compare against when the account does not exist, so timing does not reveal it. */
let decoy: Promise<string> | undefined;
export const decoyHash = (pepper: string): Promise<string> => (decoy ??= hashPassword("decoy-password", pepper));
