import { describe, expect, it } from "vitest";
import { QR_QUIET_ZONE, renderQrSvg } from "../../src/access/qr-svg.ts";
import { importVerifyKeys, signTokenWith, TOKEN_LENGTH, verifyAccessToken } from "../../src/access/qr-tokens.ts";
import { fromBase64Url, toBase64Url } from "../../src/lib/crypto/encoding.ts";
import { newId } from "../../src/lib/ids.ts";
import { decodeQrSvg, qrModules } from "../support/api.ts";

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** An event's key pair as signing-keys.ts makes one, and its verify map as a gate builds it from the published JWK. */
async function eventKey(kid: string) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  const verify = await importVerifyKeys([{ kid, kty: "OKP", crv: "Ed25519", x: jwk.x! }]);
  return { kid, signing: pair.privateKey, verify };
}

async function signedFixture() {
  const key = await eventKey("ABCDEFGH");
  const right = { id: newId(), event_id: newId() };
  return { key, right, token: await signTokenWith(key.kid, key.signing, right) };
}

const parts = (token: string) => {
  const [prefix, kid, payload, signature] = token.split(".") as [string, string, string, string];
  return { prefix, kid, payload, signature };
};

describe("QR tokens", () => {
  it("are 142 characters that verify to the access right and the event", async () => {
    const { key, right, token } = await signedFixture();
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(token).toMatch(/^E1\.ABCDEFGH\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{86}$/);
    expect(await verifyAccessToken(token, key.verify)).toEqual({ ok: true, access_right_id: right.id, event_id: right.event_id, kid: "ABCDEFGH" });
    // Ed25519 is deterministic: the same right and key always give the same token.
    expect(await signTokenWith(key.kid, key.signing, right)).toBe(token);
  });

  it("fail when any bit of any byte of the payload or the signature changes", async () => {
    const { key, token } = await signedFixture();
    const { prefix, kid, payload, signature } = parts(token);
    const outcomes = new Set<string>();
    let tried = 0;
    for (const field of ["payload", "signature"] as const) {
      const bytes = fromBase64Url(field === "payload" ? payload : signature);
      for (let at = 0; at < bytes.length; at++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = bytes.slice();
          changed[at]! ^= 1 << bit;
          const forged = field === "payload" ? `${prefix}.${kid}.${toBase64Url(changed)}.${signature}` : `${prefix}.${kid}.${payload}.${toBase64Url(changed)}`;
          const result = await verifyAccessToken(forged, key.verify);
          outcomes.add(result.ok ? "ACCEPTED" : result.reason);
          tried++;
        }
      }
    }
    expect(tried).toBe((32 + 64) * 8);
    expect([...outcomes]).toEqual(["bad_signature"]);
  });

  it("fail whatever single character of the token is replaced", async () => {
    const { key, token } = await signedFixture();
    for (let at = 0; at < token.length; at++) {
      for (const step of [1, 31]) {
        const original = token[at]!;
        const replacement = original === "." ? "-" : BASE64URL[(BASE64URL.indexOf(original) + step) % BASE64URL.length]!;
        const forged = token.slice(0, at) + replacement + token.slice(at + 1);
        expect((await verifyAccessToken(forged, key.verify)).ok, `position ${at}: ${original} → ${replacement}`).toBe(false);
      }
    }
  });

  it("of one event do not verify with another event's keys", async () => {
    const { token } = await signedFixture();
    const other = await eventKey("QRSTUVWX");
    expect(await verifyAccessToken(token, other.verify)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(await verifyAccessToken(token, new Map())).toEqual({ ok: false, reason: "unknown_kid" });
    // A key published under the same kid by someone else does not verify either.
    const impostor = await eventKey("ABCDEFGH");
    expect(await verifyAccessToken(token, impostor.verify)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuse malformed and non-canonical spellings before checking a signature", async () => {
    const { key, token } = await signedFixture();
    const { kid, payload, signature } = parts(token);
    // The last character of each base64url field carries spare bits that must be zero.
    const spare = (text: string) => text.slice(0, -1) + BASE64URL[BASE64URL.indexOf(text.at(-1)!) ^ 1];
    const malformed = [
      "",
      "E1",
      `${token}=`,
      ` ${token}`,
      `${token}\n`,
      token.toLowerCase(),
      `E2${token.slice(2)}`,
      `${token}.AAAA`,
      `E1.${kid.toLowerCase()}.${payload}.${signature}`,
      `E1.${kid}.${payload}A.${signature}`,
      `E1.${kid}.${payload}.${signature.slice(0, -1)}`,
      `E1.${kid}.${spare(payload)}.${signature}`,
      `E1.${kid}.${payload}.${spare(signature)}`,
      `E1.${kid}.${payload.replace(/.$/, "=")}.${signature}`,
      "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
      "ABCD-EFGH-JKLM",
      "x".repeat(10_000),
    ];
    for (const text of malformed) expect(await verifyAccessToken(text, key.verify), JSON.stringify(text.slice(0, 60))).toEqual({ ok: false, reason: "malformed" });
  });

  it("are only signed for UUIDs", async () => {
    const key = await eventKey("ABCDEFGH");
    await expect(signTokenWith(key.kid, key.signing, { id: "not-a-uuid", event_id: newId() })).rejects.toThrow(/UUID/);
    await expect(signTokenWith(key.kid, key.signing, { id: newId(), event_id: newId().toUpperCase() })).rejects.toThrow(/UUID/);
  });
});

describe("QR SVG", () => {
  it("reads back to exactly the token with an independent decoder, at version 8, error correction M, with a 4-module quiet zone", async () => {
    for (let i = 0; i < 5; i++) {
      const { token } = await signedFixture();
      const svg = renderQrSvg(token);
      const grid = qrModules(svg);
      expect(grid.length).toBe(17 + 4 * 8 + 2 * QR_QUIET_ZONE);
      for (let y = 0; y < grid.length; y++) {
        for (let x = 0; x < grid.length; x++) {
          const inQuietZone = Math.min(x, y, grid.length - 1 - x, grid.length - 1 - y) < QR_QUIET_ZONE;
          if (inQuietZone) expect(grid[y]![x], `quiet zone at ${x},${y}`).toBe(false);
        }
      }
      // The error correction level is the top two format bits, stored masked by 0b10 next to the
      // top-left finder pattern (row 8, columns 0 and 1): M is 00, so dark then light.
      const q = QR_QUIET_ZONE;
      expect([grid[q + 8]![q], grid[q + 8]![q + 1]]).toEqual([true, false]);
      expect(await decodeQrSvg(svg)).toBe(token);
    }
  });
});
