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
