import { LOCALES, type DisplayLanguage } from "./languages.ts";

/**
 * Money is an integer amount of minor units plus an ISO 4217 currency: never a
 * float. XOF has no decimals, TND has three (1 TND = 1000 millimes).
 * Percentages are basis points (1 % = 100 bp).
 */
export const CURRENCIES = { XOF: 0, TND: 3, EUR: 2, USD: 2 } as const;
export type Currency = keyof typeof CURRENCIES;
export const CURRENCY_CODES = Object.keys(CURRENCIES) as [Currency, ...Currency[]];

export interface Money {
  amount: number; // minor units, integer
  currency: Currency;
}

/** "191.250" TND → 191250. Rejects more decimals than the currency has. */
export function parseDecimal(text: string, currency: Currency): number {
  const digits = CURRENCIES[currency];
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new RangeError(`Not a decimal amount: ${text}`);
  const [, sign, whole, fraction = ""] = match;
  if (fraction.length > digits) throw new RangeError(`${currency} has ${digits} decimals: ${text}`);
  const minor = BigInt(whole!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, "0") || "0");
  const value = Number(sign ? -minor : minor);
  if (!Number.isSafeInteger(value)) throw new RangeError(`Amount out of range: ${text}`);
  return value;
}

/** 191250 TND → "191.250". */
export function formatDecimal(amount: number, currency: Currency): string {
  const digits = CURRENCIES[currency];
  const sign = amount < 0 ? "-" : "";
  const abs = BigInt(Math.abs(amount));
  if (digits === 0) return sign + abs.toString();
  const scale = 10n ** BigInt(digits);
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, "0")}`;
}

/**
 * amount × bp / 10 000, rounded half away from zero, in integers only.
 * 15 000 millimes × 15 units = 225 000; 15 % (1 500 bp) of it = 33 750.
 */
export function applyBasisPoints(amount: number, basisPoints: number): number {
  const product = BigInt(amount) * BigInt(basisPoints);
  const quotient = product / 10_000n;
  const remainder = product % 10_000n;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  const rounded = twice >= 10_000n ? quotient + (product < 0n ? -1n : 1n) : quotient;
  return Number(rounded);
}


/**
 * How people there write each currency: the CFA franc as "FCFA", the dinar
 * with its code and its millimes after a point (15.000 TND), the others as
 * Intl has them (12,50 € in French, €12.50 in English).
 */
const DISPLAY: Partial<Record<Currency, { label: Record<DisplayLanguage, string>; decimal?: string }>> = {
  XOF: { label: { fr: "FCFA", ar: "فرنك CFA", en: "FCFA" } },
  TND: { label: { fr: "TND", ar: "د.ت", en: "TND" }, decimal: "." },
};

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * An amount in minor units as people read it, in `language`:
 * 191250 TND → "191.250 TND", 10000 XOF → "10 000 FCFA", 1250 EUR → "12,50 €".
 * Intl formats the exact decimal text (never a float), with the currency's own digits.
 */
export function formatMoney(amount: number, currency: Currency, language: DisplayLanguage = "fr"): string {
  const digits = CURRENCIES[currency];
  const key = `${language}:${currency}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(LOCALES[language], { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    formatters.set(key, format);
  }
  const display = DISPLAY[currency];
  // A decimal string keeps every digit: Intl reads it as an exact decimal.
  const parts = format.formatToParts(formatDecimal(amount, currency) as unknown as number);
  return parts
    .map((part) => {
      if (display && part.type === "currency") return display.label[language];
      if (display?.decimal && part.type === "decimal") return display.decimal;
      return part.value;
    })
    .join("")
    .replace(/[\u200e\u200f]/g, "")
    .trim();
}
