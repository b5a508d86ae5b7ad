import { z } from "@hono/zod-openapi";

/**
 * Phone numbers are stored in E.164 without spaces. Benin moved to 10-digit
 * numbers beginning with 01 in November 2024 (+229 01XXXXXXXX); Tunisia has
 * 8-digit numbers (+216 XXXXXXXX). Spaces, dots and dashes are accepted on input.
 */
const PATTERNS: Record<string, RegExp> = {
  BJ: /^\+22901\d{8}$/,
  TN: /^\+216[2-9]\d{7}$/,
};

/** The country of a normalized number ("BJ", "TN"), or null for one we do not serve. */
export function phoneCountry(phone: string): keyof typeof PATTERNS | null {
  return (Object.keys(PATTERNS) as (keyof typeof PATTERNS)[]).find((country) => PATTERNS[country]!.test(phone)) ?? null;
}

export function normalizePhone(input: string): string | null {
  const compact = input.replace(/[\s.\-()]/g, "").replace(/^00/, "+");
  return Object.values(PATTERNS).some((re) => re.test(compact)) ? compact : null;
}

export const phoneSchema = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const phone = normalizePhone(value);
    if (!phone) {
      ctx.addIssue({
        code: "custom",
        message: "Expected a Benin (+229 01XXXXXXXX) or Tunisia (+216 XXXXXXXX) phone number.",
      });
      return z.NEVER;
    }
    return phone;
  })
  .openapi({ type: "string", example: "+229 0197123456" });
