import { z } from "@hono/zod-openapi";
import { nameKey, prefixEnd } from "../lib/name-key.ts";
import { normalizePhone } from "../lib/phone.ts";
import { MANUAL_CODE, normalizeManualCode } from "../../durable-objects/event/gate-protocol.ts";

/**
 * What a back-office search `q` names, decided from its shape so that each
 * kind is one index lookup: an id (UUID), a printed QR code, a reference
 * (TKT-…, SUB-…, PAY-…), an email, a phone number, or else the start of a
 * name. There is no substring search: `LIKE '%x%'` would read every row.
 */
export type SearchTerm =
  | { kind: "id"; value: string }
  | { kind: "qr_code"; value: string }
  /** As typed: matched as typed or upper-cased (references are issued upper-case). */
  | { kind: "reference"; value: string }
  | { kind: "email"; value: string }
  | { kind: "phone"; value: string }
  /** Names whose key lies in [from, to): every key that starts with `from`. */
  | { kind: "name"; from: string; to: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE = /^(TKT|SUB|PAY|CASH)-[A-Z0-9-]{1,40}$/i;
// Digits with their usual separators: a phone number or nothing (a name has letters).
const PHONE_LIKE = /^\+?[\d\s.\-()]*\d[\d\s.\-()]*\d[\d\s.\-()]*\d[\d\s.\-()]*$/;
const CONTROL = /\p{Cc}/u;
const MIN_NAME = 2;

const fail = (message: string, code = "invalid_search"): never => {
  throw new SearchError(message, code);
};

/** Why `q` cannot be searched; the schema turns it into a 422 on `query.q`. */
export class SearchError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export function classifySearch(raw: string): SearchTerm {
  const text = raw.trim();
  if (CONTROL.test(text)) fail("Search text must not contain control characters.");
  if (UUID.test(text)) return { kind: "id", value: text.toLowerCase() };
  const compact = text.toUpperCase().replace(/\s/g, "");
  // A printed code has its dashes or a digit: a twelve-letter name is a name.
  if (MANUAL_CODE.test(compact) && (compact.includes("-") || /\d/.test(compact))) return { kind: "qr_code", value: normalizeManualCode(compact) };
  if (REFERENCE.test(text)) return { kind: "reference", value: text };
  if (text.includes("@")) {
    const email = z.email().safeParse(text.toLowerCase());
    if (!email.success) fail("Not an email address.");
    return { kind: "email", value: email.data! };
  }
  if (PHONE_LIKE.test(text)) {
    const phone = normalizePhone(text);
    if (!phone) fail("Not a phone number: give a Benin (+229 01XXXXXXXX) or Tunisia (+216 XXXXXXXX) number.");
    return { kind: "phone", value: phone! };
  }
  const key = nameKey(text);
  if ([...key].length < MIN_NAME) fail(`Give at least ${MIN_NAME} letters of a name.`, "search_too_short");
  return { kind: "name", from: key, to: prefixEnd(key) };
}

/** The `q` query parameter: 1–100 characters, classified (a 422 on `query.q` when it cannot be searched). */
export const searchQuery = z
  .string()
  .min(1)
  .max(100)
  .transform((value, ctx) => {
    try {
      return classifySearch(value);
    } catch (error) {
      if (!(error instanceof SearchError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message, params: { code: error.code } });
      return z.NEVER;
    }
  })
  .openapi({
    type: "string",
    description:
      "Search: an id (order, right, payment, transfer…), a printed QR code (XXXX-XXXX-XXXX), a reference (TKT-…, SUB-…, PAY-…, CASH-…), an email, a phone number (E.164 or national), or the start of a first or last name (accents ignored, at least 2 letters).",
    example: "ben ali",
  });
