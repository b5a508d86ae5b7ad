/** Primary keys are random UUIDs (v4): not guessable, not ordered. */
export const newId = (): string => crypto.randomUUID();

const uuidText = (bytes: Uint8Array) => {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/**
 * Keys of append-only logs (the gate's scans, the access-rights journal):
 * UUIDv7 (RFC 9562), the milliseconds of `at` then 74 random bits. A log row
 * already shows its time, and a key that grows with it lands at the end of
 * its D1 index instead of at a random page: a stadium's 60,000 scans keep
 * the log's inserts as cheap at the last as at the first.
 */
export function newLogId(at: number = Date.now()): string {
  // A version 4 UUID from the runtime already has the variant and 74 random bits where version 7 keeps its own: its
  // first 48 bits become the milliseconds and its version digit a 7 (one native call where filling bytes took a dozen).
  const random = crypto.randomUUID();
  const ms = Number.isFinite(at) ? ((Math.floor(at) % 2 ** 48) + 2 ** 48) % 2 ** 48 : 0;
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${random.slice(15)}`;
}

/**
 * A UUID (version 8, RFC 9562) that is a digest of `parts`: the same parts
 * always give the same id, so a retried request names the object its first
 * attempt made (an order placed with an Idempotency-Key).
 */
export async function idFromParts(...parts: string[]): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")))).slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  return uuidText(bytes);
}

const HUMAN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I: read aloud at a gate

/** A short code people can read and type (ticket numbers, QR fallbacks, share links). */
export function humanCode(length: number, alphabet = HUMAN_ALPHABET): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  // 256 % 32 === 0, so the modulo is unbiased for the default alphabet.
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
