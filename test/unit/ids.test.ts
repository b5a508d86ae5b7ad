import { describe, expect, it } from "vitest";
import { z } from "zod";
import { newLogId } from "../../src/lib/ids.ts";

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
