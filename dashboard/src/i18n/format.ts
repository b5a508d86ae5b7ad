/**
 * Amounts and dates for people, per locale. Amounts are integer minor units
 * with an ISO 4217 currency, as everywhere in the API: the decimal string is
 * built with integers and handed to Intl as a string, so no float rounds it.
 */
import type { Language } from "./messages.ts";

/** The locale each language formats with: French with West and North African figures alike. */
export const LOCALES: Record<Language, string> = { fr: "fr-FR", en: "en-GB", ar: "ar-TN" };

const DIGITS: Record<string, number> = { XOF: 0, TND: 3, EUR: 2, USD: 2 };

/** How many decimals a currency has (ISO 4217), as Intl knows them for others. */
export function currencyDigits(currency: string): number {
  const known = DIGITS[currency];
  if (known !== undefined) return known;
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** 191250 TND → "191.250"; exact for any safe integer. */
export function minorToDecimal(amount: number, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = amount < 0 ? "-" : "";
  const abs = BigInt(Math.abs(Math.trunc(amount)));
  if (digits === 0) return sign + abs.toString();
  const scale = 10n ** BigInt(digits);
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, "0")}`;
}

/** "191.250" or "191,250" TND → 191250; null when it is not an amount of that currency. */
export function decimalToMinor(text: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const match = /^(\d+)(?:[.,](\d+))?$/.exec(text.trim().replace(/[\s\u00a0\u202f]/g, ""));
  if (!match) return null;
  const [, whole, fraction = ""] = match;
  if (fraction.length > digits) return null;
  const minor = BigInt(whole!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, "0") || "0");
  const value = Number(minor);
  return Number.isSafeInteger(value) ? value : null;
}

export function formatMoney(amount: number, currency: string, language: Language): string {
  const digits = currencyDigits(currency);
  try {
    const format = new Intl.NumberFormat(LOCALES[language], { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    return format.format(minorToDecimal(amount, currency) as Intl.StringNumericLiteral);
  } catch {
    return `${minorToDecimal(amount, currency)} ${currency}`;
  }
}

export function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(LOCALES[language]).format(value);
}

/** Basis points as a percentage: 1500 → "15 %". */
export function formatBasisPoints(bp: number, language: Language): string {
  return new Intl.NumberFormat(LOCALES[language], { style: "percent", maximumFractionDigits: 2 }).format(bp / 10_000);
}

/** An instant on a given clock (the event's time zone), or the reader's. */
export function formatDateTime(iso: string | null | undefined, language: Language, timeZone?: string): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  try {
    return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium", timeStyle: "short", timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium", timeStyle: "short" }).format(date);
  }
}

export function formatDate(iso: string | null | undefined, language: Language): string {
  if (!iso) return "—";
  const date = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium" }).format(date);
}

/** ISO instant → the value of an `<input type="datetime-local">` on the reader's clock. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** An `<input type="datetime-local">` value → ISO instant (UTC), or "" when empty. */
export function fromLocalInput(value: string): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** A person as shown: their name, or their email while they have none (an account made from an address, for a group or a guest). */
export const personName = (person: { first_name: string; last_name: string; email?: string }): string => `${person.first_name} ${person.last_name}`.trim() || person.email || "—";
