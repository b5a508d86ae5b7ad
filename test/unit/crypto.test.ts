import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret } from "../../src/lib/crypto/encryption.ts";
import { randomDigits, timingSafeEqual } from "../../src/lib/crypto/hash.ts";
import { hashPassword, SCRYPT_PARAMS, verifyPassword } from "../../src/lib/crypto/passwords.ts";
import { base32Decode, base32Encode, hotp, matchTotpStep, totpAt, TOTP_STEP_SECONDS } from "../../src/lib/crypto/totp.ts";
import { utf8 } from "../../src/lib/crypto/encoding.ts";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => i)));

describe("TOTP (RFC 6238)", () => {
  // Appendix B test vectors, SHA-1, 8 digits, secret "12345678901234567890".
  const secret = utf8("12345678901234567890");
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ])("at T=%i gives %s", async (seconds, expected) => {
    expect(await hotp(secret, Math.floor(seconds / 30), 8)).toBe(expected);
  });

  it("round-trips base32", () => {
    const bytes = crypto.getRandomValues(new Uint8Array(20));
    expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
    expect(base32Encode(secret)).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });

  it("accepts one step of drift either way and no more", async () => {
    const b32 = base32Encode(secret);
    const t = 1_700_000_000_000;
    const step = Math.floor(t / 1000 / TOTP_STEP_SECONDS);
    for (const drift of [-1, 0, 1]) {
      expect(await matchTotpStep(b32, await totpAt(b32, t + drift * TOTP_STEP_SECONDS * 1000), t)).toBe(step + drift);
    }
    expect(await matchTotpStep(b32, await totpAt(b32, t - 2 * TOTP_STEP_SECONDS * 1000), t)).toBeNull();
    expect(await matchTotpStep(b32, "12345", t)).toBeNull();
  });
});

describe("passwords", () => {
  it("uses scrypt within a Worker's memory and verifies only the right password", async () => {
    // 128 * N * r bytes must stay far below a Worker's 128 MiB.
    expect(128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r).toBeLessThanOrEqual(32 * 1024 * 1024);
    const hash = await hashPassword("correct horse battery", "pepper-1");
    expect(await verifyPassword("correct horse battery", hash, "pepper-1")).toBe(true);
    expect(await verifyPassword("correct horse batterx", hash, "pepper-1")).toBe(false);
  });

  it("depends on the pepper", async () => {
    const hash = await hashPassword("correct horse battery", "pepper-1");
    expect(await verifyPassword("correct horse battery", hash, "pepper-2")).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same password!", "p")).not.toBe(await hashPassword("same password!", "p"));
  });

  it("rejects malformed stored hashes instead of throwing", async () => {
    expect(await verifyPassword("x", "pbkdf2$1$abc", "p")).toBe(false);
    expect(await verifyPassword("x", "", "p")).toBe(false);
  });
});

describe("secrets at rest", () => {
  it("encrypts with AES-GCM bound to a purpose", async () => {
    const sealed = await encryptSecret(KEY, "a.b", "top secret");
    expect(sealed).not.toContain("top secret");
    expect(await decryptSecret(KEY, "a.b", sealed)).toBe("top secret");
    await expect(decryptSecret(KEY, "c.d", sealed)).rejects.toThrow();
  });

  it("detects tampering", async () => {
    const sealed = await encryptSecret(KEY, "a.b", "top secret");
    const tampered = sealed.slice(0, -2) + (sealed.endsWith("A") ? "BB" : "AA");
    await expect(decryptSecret(KEY, "a.b", tampered)).rejects.toThrow();
  });
});

describe("random codes and comparisons", () => {
  it("makes 6-digit codes with leading zeros kept", () => {
    for (let i = 0; i < 200; i++) expect(randomDigits(6)).toMatch(/^\d{6}$/);
  });

  it("compares in constant time, correctly", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("", "a")).toBe(false);
    expect(timingSafeEqual("abc\u0000", "abc")).toBe(false); // a NUL past the shorter string still differs
    expect(timingSafeEqual("café", "café")).toBe(true);
    expect(timingSafeEqual("café", "cafe\u0301")).toBe(false); // same text to a reader, other code units
    expect(timingSafeEqual("😀", "😁")).toBe(false);
  });
});
