import { importVerifyKeys, parseAccessToken, verifyAccessToken, type TokenCheck } from "../../src/access/qr-tokens.ts";
import { timingSafeEqual } from "../../src/lib/crypto/hash.ts";
import type { EventStore } from "./store.ts";

/**
 * A token of one of this event's keys not yet compared with the token issued
 * for its right: the scan's own read of its right brings the issued token
 * along (gate.ts, `decideScan`), which saves a statement per scan. If they
 * differ, the scan waits for its signature to be verified (`check`). Not
 * `ok`, so that nothing admits on it unconfirmed.
 */
export type UnconfirmedToken = { ok: false; reason: "unconfirmed"; access_right_id: string; event_id: string; kid: string };

/** What a gate's scan carries of its token: checked, or to be confirmed in its decision. */
export type ScanToken = TokenCheck | UnconfirmedToken;

export const isUnconfirmed = (check: ScanToken): check is UnconfirmedToken => !check.ok && check.reason === "unconfirmed";

/** Checks kept per token: a stadium's rights, with room to spare. */
const MAX_CHECKS = 20_000;

/**
 * The QR tokens a gate presents. The app hands each holder a token it signed
 * and registers it here (`register`), so that at the gate, when a stadium
 * fills in an hour, a token is recognised by comparing it with the one
 * issued instead of verifying its signature (the dearest step of a scan).
 * Verification keys and checks are kept in memory, rebuilt after an
 * eviction, and dropped when the gate's setup changes (`reset`).
 */
export class TokenCache {
  private keys: Promise<Map<string, CryptoKey>> | null = null;
  private readonly checks = new Map<string, ScanToken>();
  private readonly s: EventStore;

  constructor(store: EventStore) {
    this.s = store;
  }

  /** The signing keys changed (configureGate). */
  reset(): void {
    this.keys = null;
    this.checks.clear();
  }

  /**
   * Remembers tokens the app signed for this event's rights. Each is verified
   * once here: only tokens that are genuine and name one of the object's
   * rights are stored. Returns how many it holds of those given.
   */
  async register(tokens: string[]): Promise<number> {
    const keys = await this.verifyKeys();
    let held = 0;
    for (const token of tokens) {
      const parsed = parseAccessToken(token);
      if (!parsed || parsed.event_id !== this.s.event()?.id) continue;
      if (this.issued(parsed.access_right_id, parsed.kid) === token) {
        held++;
        continue;
      }
      if (!(await verifyAccessToken(parsed, keys)).ok) continue;
      if (!this.s.sql`SELECT 1 FROM rights WHERE id = ${parsed.access_right_id}`.toArray().length) continue;
      this.s.sql`INSERT OR REPLACE INTO issued_tokens (access_right_id, kid, token) VALUES (${parsed.access_right_id}, ${parsed.kid}, ${token})`;
      held++;
    }
    return held;
  }

  /**
   * A scanned token, to be confirmed in the scan's decision: a token of one of
   * this event's keys for one of its rights is compared there with the one
   * issued for that right (`UnconfirmedToken`); any other is checked now.
   */
  async unconfirmed(token: string): Promise<ScanToken> {
    const cached = this.checks.get(token);
    if (cached) return cached;
    const parsed = parseAccessToken(token);
    if (!parsed || parsed.event_id !== this.s.event()?.id || !(await this.verifyKeys()).has(parsed.kid)) return this.check(token);
    const unconfirmed: UnconfirmedToken = { ok: false, reason: "unconfirmed", access_right_id: parsed.access_right_id, event_id: parsed.event_id, kid: parsed.kid };
    this.remember(token, unconfirmed);
    return unconfirmed;
  }

  /**
   * A scanned token: the one this object was given for that right and key
   * (compared in constant time), or else one whose signature verifies.
   */
  async check(token: string): Promise<TokenCheck> {
    const cached = this.checks.get(token);
    if (cached && !isUnconfirmed(cached)) return cached;
    const parsed = parseAccessToken(token);
    if (!parsed) return { ok: false, reason: "malformed" };
    const keys = await this.verifyKeys();
    const issued = keys.has(parsed.kid) ? this.issued(parsed.access_right_id, parsed.kid) : undefined;
    let check: TokenCheck =
      issued !== undefined && timingSafeEqual(issued, token)
        ? { ok: true, access_right_id: parsed.access_right_id, event_id: parsed.event_id, kid: parsed.kid }
        : await verifyAccessToken(parsed, keys);
    // Another event's key: the payload (unverified) names the event, which is all a WRONG_EVENT refusal says.
    if (!check.ok && check.reason === "unknown_kid" && parsed.event_id !== this.s.event()?.id) check = { ok: true, access_right_id: "", event_id: parsed.event_id, kid: "" };
    this.remember(token, check);
    return check;
  }

  private remember(token: string, check: ScanToken): void {
    if (this.checks.size > MAX_CHECKS) this.checks.clear();
    this.checks.set(token, check);
  }

  private issued(rightId: string, kid: string): string | undefined {
    return this.s.sql<{ token: string }>`SELECT token FROM issued_tokens WHERE access_right_id = ${rightId} AND kid = ${kid}`.toArray()[0]?.token;
  }

  private verifyKeys(): Promise<Map<string, CryptoKey>> {
    return (this.keys ??= importVerifyKeys(this.s.sql<{ jwk: string }>`SELECT jwk FROM signing_keys`.toArray().map((row) => JSON.parse(row.jwk))));
  }
}
