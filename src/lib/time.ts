import { LOCALES, type DisplayLanguage } from "./languages.ts";

/**
 * One timestamp representation everywhere: ISO 8601 in UTC with milliseconds
 * (`2026-11-21T18:45:30.123Z`). It sorts as text in SQLite and is what the API
 * returns. Calendar dates (birth dates, pass validity) are `YYYY-MM-DD`.
 */
export type Timestamp = string;

export const toTimestamp = (date: Date | number): Timestamp => new Date(date).toISOString();
export const now = (): Timestamp => new Date().toISOString();
export const addSeconds = (from: Timestamp | Date | number, seconds: number): Timestamp =>
  new Date(new Date(from).getTime() + seconds * 1000).toISOString();
export const secondsUntil = (to: Timestamp, from: number = Date.now()): number =>
  Math.max(0, Math.ceil((new Date(to).getTime() - from) / 1000));

/** Whole years between a `YYYY-MM-DD` birth date and a moment. */
export function ageOn(birthDate: string, at: Date = new Date()): number {
  const [y, m, d] = birthDate.split("-").map(Number) as [number, number, number];
  let age = at.getUTCFullYear() - y;
  const beforeBirthday = at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as people read it in `language`, on the clock of `timeZone`
 * (an event's own zone): "samedi 5 décembre 2026 à 20:00".
 */
export function formatDateTime(at: Timestamp, timeZone: string, language: DisplayLanguage = "fr"): string {
  const key = `${language}:${timeZone}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "full", timeStyle: "short", timeZone });
    dateTimeFormats.set(key, format);
  }
  return format.format(new Date(at));
}

/** The wall-clock date and minutes since midnight of an instant in `timeZone`: `{ date: "2026-12-05", minutes: 1200, weekday: 6 }` (0 = Sunday). */
export function localClock(at: Date, timeZone: string): { date: string; minutes: number; weekday: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", weekday: "short" })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday!);
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute), weekday };
}

/** True for an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** First instant of the UTC calendar month of `at`. */
export function monthStart(at: Date = new Date()): Timestamp {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)).toISOString();
}

/** `from` plus whole calendar months, the day clamped to the target month (31 January + 1 month = 28/29 February). */
export function addMonths(from: Timestamp, months: number): Timestamp {
  const d = new Date(from);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.toISOString();
}
