import { describe, expect, it } from "vitest";
import { z } from "zod";
import { idFromParts, newLogId } from "../../src/lib/ids.ts";

describe("log ids (UUIDv7)", () => {
  it("carry the milliseconds they are given, as RFC 9562 version 7 UUIDs", () => {
    const at = Date.parse("2026-11-22T18:30:00.123Z");
    const id = newLogId(at);
    expect(z.uuid({ version: "v7" }).safeParse(id).success).toBe(true);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
    expect(id[19]).toMatch(/[89ab]/);
  });

  it("sort by time, whatever their random part", () => {
    const times = Array.from({ length: 500 }, (_, i) => Date.parse("2026-11-22T18:00:00Z") + i * 37);
    const ids = times.map((t) => newLogId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("differ within one millisecond", () => {
    const at = Date.now();
    expect(new Set(Array.from({ length: 1000 }, () => newLogId(at))).size).toBe(1000);
  });
});

describe("ids derived from parts (UUIDv8)", () => {
  it("are the same for the same parts, and RFC 9562 version 8 UUIDs the API's id checks accept", async () => {
    const id = await idFromParts("event", "user", "key-12345678");
    expect(await idFromParts("event", "user", "key-12345678")).toBe(id);
    expect(z.uuid({ version: "v8" }).safeParse(id).success).toBe(true);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it("differ when any part differs, also when the parts only move between fields", async () => {
    const ids = await Promise.all([
      idFromParts("event", "user", "key-12345678"),
      idFromParts("event2", "user", "key-12345678"),
      idFromParts("event", "user2", "key-12345678"),
      idFromParts("event", "user", "key-12345679"),
      idFromParts("eventu", "ser", "key-12345678"),
    ]);
    expect(new Set(ids).size).toBe(5);
  });
});
