/** Primary keys are random UUIDs (v4): not guessable, not ordered. */
export const newId = (): string => crypto.randomUUID();

const HUMAN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // no 0/O, 1/I: read aloud at a gate

/** A short code people can read and type (ticket numbers, QR fallbacks, share links). */
export function humanCode(length: number, alphabet = HUMAN_ALPHABET): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  // 256 % 32 === 0, so the modulo is unbiased for the default alphabet.
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
