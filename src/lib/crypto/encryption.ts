import { fromBase64Url, toBase64Url, utf8 } from "./encoding.ts";

/**
 * AES-256-GCM for secrets kept at rest (TOTP secrets, social provider tokens,
 * event signing keys). Format: `v1.<iv>.<ciphertext>` in base64url; the purpose
 * is bound as additional data so a ciphertext cannot be moved to another column.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function aesKey(base64: string): Promise<CryptoKey> {
  let key = keys.get(base64);
  if (!key) {
    const raw = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    if (raw.length !== 32) throw new Error("DATA_ENCRYPTION_KEY must be 32 bytes, base64");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(base64, key);
  }
  return key;
}

export async function encryptSecret(keyBase64: string, purpose: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: utf8(purpose) },
    await aesKey(keyBase64),
    utf8(plaintext),
  );
  return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

export async function decryptSecret(keyBase64: string, purpose: string, sealed: string): Promise<string> {
  const [version, iv, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext) throw new Error("unknown secret format");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: utf8(purpose) },
    await aesKey(keyBase64),
    fromBase64Url(ciphertext),
  );
  return new TextDecoder().decode(plaintext);
}
