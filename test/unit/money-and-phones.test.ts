import { describe, expect, it } from "vitest";
import { applyBasisPoints, formatDecimal, formatMoney, parseDecimal } from "../../src/lib/money.ts";
import { normalizePhone } from "../../src/lib/phone.ts";
import { ageOn } from "../../src/lib/time.ts";

describe("money in minor units", () => {
  it("formats amounts for people per currency and language, with the currency's decimals and no float rounding", () => {
    const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, " ").replace(/[\u200e\u200f\u061c]/g, "");
    expect(plain(formatMoney(5_000, "XOF", "fr"))).toBe("5 000 FCFA");
    expect(plain(formatMoney(15_500, "TND", "fr"))).toBe("15.500 TND");
    expect(plain(formatMoney(1_250, "EUR", "en"))).toBe("€12.50");
    expect(plain(formatMoney(1_250, "EUR", "fr"))).toBe("12,50 €");
    // 2^53 − 1 millimes: exact, where dividing by 1000 as a float would not be.
    expect(plain(formatMoney(9_007_199_254_740_991, "TND", "en"))).toBe("TND 9,007,199,254,740.991");
    expect(plain(formatMoney(15_500, "TND", "ar"))).toBe("15.500 د.ت");
  });

  it("parses and formats by the currency's decimals", () => {
    expect(parseDecimal("191.250", "TND")).toBe(191_250);
    expect(parseDecimal("15", "TND")).toBe(15_000);
    expect(parseDecimal("5000", "XOF")).toBe(5_000);
    expect(formatDecimal(191_250, "TND")).toBe("191.250");
    expect(formatDecimal(-35_000, "TND")).toBe("-35.000");
    expect(formatDecimal(5_000, "XOF")).toBe("5000");
  });

  it("refuses more decimals than the currency has, and non-numbers", () => {
    expect(() => parseDecimal("10.5", "XOF")).toThrow(RangeError);
    expect(() => parseDecimal("1.2345", "TND")).toThrow(RangeError);
    expect(() => parseDecimal("1e3", "TND")).toThrow(RangeError);
  });

  it("takes percentages in basis points with integer rounding (the group order of the specification)", () => {
    const gross = 15 * 15_000; // 15 tickets at 15.000 TND
    const discount = applyBasisPoints(gross, 1_500);
    expect(discount).toBe(33_750);
    expect(formatDecimal(gross - discount, "TND")).toBe("191.250");
    expect(applyBasisPoints(5, 5_000)).toBe(3); // half away from zero
    expect(applyBasisPoints(-5, 5_000)).toBe(-3);
  });
});

describe("phone numbers", () => {
  it.each([
    ["+229 01 97 12 34 56", "+2290197123456"],
    ["0022901-97-12-34-56", "+2290197123456"],
    ["+216 98 765 432", "+21698765432"],
  ])("accepts %s", (input, stored) => expect(normalizePhone(input)).toBe(stored));

  it.each(["+229 97 12 34 56", "+229 02 97 12 34 56", "+216 08 765 432", "+33 6 12 34 56 78", "hello", ""])("refuses %s", (input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe("ages", () => {
  it("counts whole years, the day before and on the birthday", () => {
    expect(ageOn("2008-11-22", new Date("2026-11-21T12:00:00Z"))).toBe(17);
    expect(ageOn("2008-11-21", new Date("2026-11-21T12:00:00Z"))).toBe(18);
  });
});
