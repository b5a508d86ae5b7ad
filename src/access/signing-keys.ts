import { and, asc, eq, isNull } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { decryptSecret, encryptSecret } from "../lib/crypto/encryption.ts";
import { utf8 } from "../lib/crypto/encoding.ts";
import { base32Encode } from "../lib/crypto/totp.ts";
import { now } from "../lib/time.ts";
import { bytesToUuid, signTokenWith, type EventPublicJwk } from "./qr-tokens.ts";
import { event_signing_keys } from "./schema.ts";

/**
 * One Ed25519 key pair per event signs its QR tokens. The private JWK is
 * stored encrypted and never leaves the server; the public halves (retired
 * ones included: tokens they signed stay valid until the event ends) are
 * what gates verify with.
 */
const PRIVATE_JWK_PURPOSE = "event_signing_keys.private_jwk";
const CREATE_ATTEMPTS = 5;

type KeyRow = { kid: string; private_jwk_encrypted: string };

/** Imported signing keys by kid: a kid names one immutable key, so the decrypted key is kept per isolate. */
const signingKeys = new Map<string, Promise<CryptoKey>>();

/**
 * The row id of an event's n-th key, derived from (event, n), so that two
 * requests creating the same key collide on the primary key: one active key
 * per event without a partial unique index.
 */
async function keySlotId(eventId: string, generation: number): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(`event_signing_keys/${eventId}/${generation}`)));
  const bytes = digest.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // UUID version 8 (application-defined)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  return bytesToUuid(bytes);
}

/**
 * The event's active key and how many keys it has had, read in one
 * statement so both come from the same snapshot.
 */
async function currentKeys(env: Env, eventId: string): Promise<{ active: KeyRow | undefined; generation: number }> {
  const rows = await getDb(env.DB)
    .select({ kid: event_signing_keys.kid, private_jwk_encrypted: event_signing_keys.private_jwk_encrypted, retired_at: event_signing_keys.retired_at })
    .from(event_signing_keys)
    .where(eq(event_signing_keys.event_id, eventId));
  return { active: rows.find((row) => row.retired_at === null), generation: rows.length };
}

/**
 * Inserts the event's key number `generation`, seen missing with no active
 * key. Keys are only ever added at the next slot of what was seen, so two
 * requests that both saw none add the same slot and only one succeeds:
 * there is never more than one active key. The loser re-reads the winner's.
 */
async function createKey(env: Env, eventId: string, generation: number): Promise<void> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const privateJwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const kid = base32Encode(crypto.getRandomValues(new Uint8Array(5))); // 8 characters
  try {
    await getDb(env.DB)
      .insert(event_signing_keys)
      .values({
        id: await keySlotId(eventId, generation),
        event_id: eventId,
        kid,
        public_jwk: { kty: "OKP", crv: "Ed25519", x: privateJwk.x! },
        private_jwk_encrypted: await encryptSecret(env.DATA_ENCRYPTION_KEY, PRIVATE_JWK_PURPOSE, JSON.stringify(privateJwk)),
      });
  } catch (error) {
    // Same slot: another request created this key first. Same kid (2^-40): the next attempt draws another.
    if (!isUniqueViolation(error, "event_signing_keys")) throw error;
  }
}

/** The event's active key (kid and sealed private JWK), created on first need. */
async function ensureActiveRow(env: Env, eventId: string): Promise<KeyRow> {
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const { active, generation } = await currentKeys(env, eventId);
    if (active) return active;
    await createKey(env, eventId, generation);
  }
  throw new Error(`no signing key could be created for event ${eventId}`);
}

/** The kid that signs the event's new tokens, creating the event's key on first need. */
export async function activeKid(env: Env, eventId: string): Promise<string> {
  return (await ensureActiveRow(env, eventId)).kid;
}

async function activeSigningKey(env: Env, eventId: string): Promise<{ kid: string; key: CryptoKey }> {
  const row = await ensureActiveRow(env, eventId);
  let key = signingKeys.get(row.kid);
  if (!key) {
    key = decryptSecret(env.DATA_ENCRYPTION_KEY, PRIVATE_JWK_PURPOSE, row.private_jwk_encrypted).then((jwk) =>
      crypto.subtle.importKey("jwk", JSON.parse(jwk) as JsonWebKey, "Ed25519", false, ["sign"]),
    );
    key.catch(() => signingKeys.delete(row.kid));
    signingKeys.set(row.kid, key);
  }
  return { kid: row.kid, key: await key };
}

/** The QR token of an access right, signed with its event's active key (created on first need). */
export async function signAccessToken(env: Env, right: { id: string; event_id: string }): Promise<{ token: string; kid: string }> {
  const { kid, key } = await activeSigningKey(env, right.event_id);
  return { token: await signTokenWith(kid, key, right), kid };
}

/**
 * The QR tokens of rights of one event, signed as `signAccessToken` signs
 * them and registered with the event's Durable Object, which is how tokens
 * reach holders: the gates then recognise them without verifying a
 * signature each (EventDO.registerTokens).
 */
export async function issueAccessTokens(env: Env, eventId: string, rightIds: readonly string[]): Promise<{ token: string; kid: string }[]> {
  const signed = await Promise.all(rightIds.map((id) => signAccessToken(env, { id, event_id: eventId })));
  if (signed.length > 0) await eventStub(env, eventId).registerTokens(signed.map((s) => s.token));
  return signed;
}

/** Every public key of the event, oldest first: retired keys still verify the tokens they signed. */
export async function eventPublicKeys(env: Env, eventId: string): Promise<EventPublicJwk[]> {
  const rows = await getDb(env.DB)
    .select({ kid: event_signing_keys.kid, public_jwk: event_signing_keys.public_jwk })
    .from(event_signing_keys)
    .where(eq(event_signing_keys.event_id, eventId))
    .orderBy(asc(event_signing_keys.created_at), asc(event_signing_keys.kid));
  return rows.map((row) => ({ kty: "OKP", crv: "Ed25519", x: row.public_jwk.x, kid: row.kid, alg: "EdDSA", use: "sig" }));
}

/**
 * Retires the event's active key: tokens it signed keep verifying, new
 * tokens are signed by a fresh key created on the next need. Returns the
 * retired kid, or null when the event had no active key.
 */
export async function retireEventKey(env: Env, eventId: string): Promise<string | null> {
  const [row] = await getDb(env.DB)
    .update(event_signing_keys)
    .set({ retired_at: now() })
    .where(and(eq(event_signing_keys.event_id, eventId), isNull(event_signing_keys.retired_at)))
    .returning({ kid: event_signing_keys.kid });
  return row?.kid ?? null;
}
