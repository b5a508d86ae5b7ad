import { z } from "@hono/zod-openapi";
import { DOCUMENT_LANGUAGES } from "./labels.ts";

export const rightParam = z.object({ access_right_id: z.uuid() });
export const eventOrderParams = z.object({ event_id: z.uuid(), order_id: z.uuid() });
export const subscriptionParam = z.object({ subscription_id: z.uuid() });

const lang = z.enum(DOCUMENT_LANGUAGES).optional().openapi({ description: "The document's language, among its template's `languages` (default: the holder's language if the template prints it, else the template's first)." });

export const LanguageQuery = z.object({ lang });

export const PrintQuery = z.object({
  lang,
  format: z.enum(["A4", "THERMAL"]).default("A4").openapi({ description: "`A4`: the template's paper (A4 by default), one ticket per page. `THERMAL`: 80 mm receipt-printer pages, one ticket each." }),
});

export const PrintCardBody = z
  .strictObject({
    nfc_uid: z
      .string()
      .trim()
      .transform((uid) => uid.replace(/[\s:-]/g, "").toUpperCase())
      .pipe(z.string().regex(/^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/, { message: "An NFC UID of 4, 7 or 10 bytes in hex (04:A2:3B:…)." }))
      .nullable()
      .default(null)
      .openapi({ description: "The chip id of the blank card, as the card printer reads it; null for a card without a chip." }),
    lang,
  })
  .openapi("PrintSeasonCardRequest");

export const GoogleWalletSchema = z
  .object({
    save_url: z.string().openapi({ description: "https://pay.google.com/gp/v/save/{jwt}: opens Google Wallet to save the ticket." }),
    jwt: z.string().openapi({ description: "The signed JWT (RS256, the issuer's service account) carrying the EventTicketClass and EventTicketObject." }),
  })
  .openapi("GoogleWalletLink");

/** A binary response documented with its media type. */
export const binary = (type: string, description: string) => ({ description, content: { [type]: { schema: z.string().openapi({ type: "string", format: "binary" }) } } });
