/**
 * The printed codes' keyed digests of the offline bundle (protocol 2), apart
 * from gate-protocol.ts because they need node:crypto, which the dashboard
 * (it takes the protocol's types) does not compile against; the EventDO and
 * the reference gate client both import it.
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { MANUAL_CODE_DIGEST, normalizeManualCode } from "./gate-protocol.ts";

/**
 * A printed code's digest, as the bundle lists it: base64url of the first
 * 6 bytes of HMAC-SHA256(key, the code as `XXXX-XXXX-XXXX`). A device
 * checks a typed code against the bundle without the bundle holding the
 * codes; with 48 bits, a mistyped code matches one of a stadium's 60,000
 * rights about once in 4.7·10^9 tries, while a guessed code that matches a
 * digest is a real one only once in 4,096 (codes have 60 bits), so the list
 * cannot be read back from the bundle. `key` is base64url.
 */
export function manualCodeDigest(key: string, code: string): string {
  return createHmac("sha256", Buffer.from(key, "base64url")).update(normalizeManualCode(code)).digest().subarray(0, MANUAL_CODE_DIGEST.bytes).toString("base64url");
}
