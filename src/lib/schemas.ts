import { z } from "@hono/zod-openapi";
import { CURRENCY_CODES } from "./money.ts";
import { toTimestamp } from "./time.ts";
import { FORMULA_START } from "./csv.ts";

/**
 * Field schemas every domain's request schemas share. Domain-specific ones
 * (codes, zone codes, dates of birth…) stay in their domain's schemas.ts.
 */

/** An instant with an explicit offset, stored as UTC ISO text (lib/time.ts). */
export const instant = z.iso
  .datetime({ offset: true, message: "Expected an ISO 8601 date-time with an offset, e.g. 2026-12-05T19:00:00+01:00." })
  .transform((value) => toTimestamp(new Date(value)))
  .refine((value) => value >= "2000-01-01" && value < "2100-01-01", { message: "The date must be between 2000 and 2099." })
  .openapi({ type: "string", format: "date-time", example: "2026-12-05T19:00:00+01:00" });

/** `true` or `false` in a query string, as a boolean. */
export const booleanQuery = z.enum(["true", "false"]).transform((v) => v === "true");

/**
 * A person's name as shown to others (emails, the inbox, tickets): letters,
 * spaces and punctuation, but no markup or control characters, so a name can
 * never carry HTML into a message, and none a spreadsheet would run as a
 * formula (`=cmd|…`): names end up in organizers' CSV exports.
 */
export const personName = z
  .string()
  .trim()
  .min(1)
  .max(150)
  .refine((v) => !/[<>{}\u0000-\u001f\u007f]/.test(v), { message: "Names cannot contain <, >, braces or control characters." })
  .refine((v) => !FORMULA_START.test(v), { message: "A name cannot start with =, +, -, @ or a tab." });

/** Trimmed, non-empty text of at most `max` characters. */
export const text = (max: number) => z.string().trim().min(1).max(max);

export const latitude = z.number().min(-90).max(90);
export const longitude = z.number().min(-180).max(180);
export const httpUrl = z.url({ protocol: /^https?$/, message: "Expected an http(s) URL." }).max(500);

/** Largest amount accepted, in minor units: catches unit mistakes and stays a safe integer. */
export const MAX_AMOUNT = 1_000_000_000_000;

/** Money: integer minor units of the `currency` next to it (lib/money.ts). */
export const amount = z.number().int().min(0).max(MAX_AMOUNT).openapi({ description: "Minor units of `currency` (XOF: francs; TND: millimes, 15.000 TND = 15000)." });

export const currency = z.enum(CURRENCY_CODES);

/** A rate in basis points, 0 to 10 000 (100 %). */
export const basisPoints = z.number().int().min(0).max(10_000);
