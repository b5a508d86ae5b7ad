import { createRoute, z } from "@hono/zod-openapi";
import { ownBodyLimit } from "../lib/body-limit.ts";
import type { Context } from "hono";
import { requireAuth } from "../auth/middleware.ts";
import { readTemplate, updateTemplate } from "../catalog/templates.ts";
import { toTemplate, TemplateSchema } from "../catalog/templates-schemas.ts";
import type { AppEnv } from "../env.ts";
import { newId } from "../lib/ids.ts";
import { bearerAuth, createRouter, jsonBody, jsonResponse } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { actorOf } from "../site/audit.ts";
import { binaryContent } from "../users/media.ts";
import { binary, eventOrderParams, GoogleWalletSchema, LanguageQuery, PrintCardBody, PrintQuery, rightParam, subscriptionParam } from "./schemas.ts";
import { checkLogo, eventCalendar, googleWalletLink, LOGO_MAX_BYTES, orderDocument, passCard, printPassCard, rightDocument, type Document } from "./service.ts";

const tags = ["Documents"];

/** A document is a bearer credential (its QR admits): never stored by intermediaries. */
function sendDocument(c: Context<AppEnv>, document: Document, status: 200 | 201 = 200, extra: Record<string, string> = {}) {
  return c.body(document.bytes as Uint8Array<ArrayBuffer>, status, {
    "Content-Type": document.contentType,
    "Content-Disposition": `attachment; filename="${document.filename.replace(/[^\w.-]/g, "_")}"`,
    "Cache-Control": "private, no-store",
    ...extra,
  });
}

const rightDocs = "For the right's holder only, while the right is ENABLED or USED; a transferred, cancelled or blocked right is a 409 `access_right_inactive` (the QR in any copy handed out before is its old token, which the gate refuses). The QR carries the right's current token (`/token`).";

export function documentRoutes() {
  const r = createRouter();

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights/{access_right_id}/ticket.pdf",
      operationId: "getTicketPdf",
      tags,
      security: bearerAuth,
      summary: "One of my tickets as a PDF (A4 or 80 mm thermal)",
      description: `${rightDocs} Drawn with the template of the event's organization for tickets in that format, else the platform's. A template naming elements its format cannot draw is a 422 \`template_invalid\` listing them.`,
      request: { params: rightParam, query: PrintQuery },
      responses: { 200: binary("application/pdf", "The ticket."), ...errors("access_right_inactive", "logo_too_large", "logo_unusable", "not_found", "template_invalid") },
    }),
    async (c) => {
      const { format, lang } = c.req.valid("query");
      const auth = requireAuth(c.get("auth"));
      return sendDocument(c, await rightDocument(c.env, auth.userId, c.req.valid("param").access_right_id, format === "A4" ? "pdf" : "thermal", lang));
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights/{access_right_id}/wallet.pkpass",
      operationId: "getAppleWalletPass",
      tags,
      security: bearerAuth,
      summary: "One of my tickets as an Apple Wallet pass",
      description: `${rightDocs} A signed .pkpass (eventTicket, the token as its QR barcode, labels in each language of the template). 503 \`wallet_not_configured\` when the deployment has no pass certificate.`,
      request: { params: rightParam, query: LanguageQuery },
      responses: { 200: binary("application/vnd.apple.pkpass", "The pass."), ...errors("access_right_inactive", "not_found", "template_invalid", "wallet_not_configured") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      return sendDocument(c, await rightDocument(c.env, auth.userId, c.req.valid("param").access_right_id, "pkpass", c.req.valid("query").lang));
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/me/access-rights/{access_right_id}/google-wallet",
      operationId: "getGoogleWalletLink",
      tags,
      security: bearerAuth,
      summary: "A Google Wallet link for one of my tickets",
      description: `${rightDocs} Open \`save_url\` to add the ticket to Google Wallet. 503 \`wallet_not_configured\` when the deployment has no Google Wallet issuer.`,
      request: { params: rightParam, query: LanguageQuery },
      responses: { 200: jsonResponse(GoogleWalletSchema, "The save link."), ...errors("access_right_inactive", "not_found", "template_invalid", "wallet_not_configured") },
    }),
    async (c) => {
      const auth = requireAuth(c.get("auth"));
      c.header("Cache-Control", "private, no-store");
      return c.json(await googleWalletLink(c.env, auth.userId, c.req.valid("param").access_right_id, c.req.valid("query").lang), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/orders/{order_id}/tickets.pdf",
      operationId: "getOrderTicketsPdf",
      tags,
      security: bearerAuth,
      summary: "An order's tickets as one PDF (buyer, or box office)",
      description:
        "For the buyer: the order's rights they still hold and that admit (one per page). With `tickets.resend` on the event (OWNER, MANAGER and BOX_OFFICE members of its organization, admins: the box office printing for a customer): every ENABLED or USED right of the order. Its other members and its gate staff get 403, anyone else 404. 409 `no_active_rights` when nothing is left to print. `format=THERMAL` gives 80 mm receipt pages.",
      request: { params: eventOrderParams, query: PrintQuery },
      responses: { 200: binary("application/pdf", "The tickets."), ...errors("forbidden", "logo_too_large", "logo_unusable", "no_active_rights", "not_found", "template_invalid") },
    }),
    async (c) => {
      const { event_id, order_id } = c.req.valid("param");
      const { format, lang } = c.req.valid("query");
      return sendDocument(c, await orderDocument(c.env, requireAuth(c.get("auth")), event_id, order_id, format, lang));
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/subscriptions/{subscription_id}/card.pdf",
      operationId: "getSeasonPassCard",
      tags,
      security: bearerAuth,
      summary: "A season pass's plastic card (CR80 PDF, front and back)",
      description:
        "For the pass's holder, members of its plan's organization with `sales.read` and admins, while the pass is ACTIVE (else 409 `season_pass_inactive`). Two pages of 85.60 × 53.98 mm: the front (club, season, holder photo when they have a PNG or JPEG one, name, pass number, plan, contactless mark) and the back (a QR of the pass number for the box office, validity, terms, contact, signature strip, the NFC id of the active card).",
      request: { params: subscriptionParam, query: LanguageQuery },
      responses: { 200: binary("application/pdf", "The card."), ...errors("not_found", "season_pass_inactive", "template_invalid") },
    }),
    async (c) => sendDocument(c, await passCard(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, c.req.valid("query").lang)),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/subscriptions/{subscription_id}/cards",
      operationId: "printSeasonPassCard",
      tags,
      security: bearerAuth,
      summary: "Print a plastic card for a season pass, recording its NFC chip id",
      description:
        "Needs `tickets.resend` in the plan's organization (OWNER, MANAGER, BOX_OFFICE; admins); its other members and the pass's holder get 403. Records the card (`season_cards`: chip id, template, who printed it), replacing the pass's previous card, and answers the print-ready PDF with the card's id in `Season-Card-Id`. A chip id already recorded on another card is a 409 `nfc_uid_taken`.",
      request: { params: subscriptionParam, body: jsonBody(PrintCardBody) },
      responses: { 201: binary("application/pdf", "The card to print."), ...errors("concurrent_change", "forbidden", "nfc_uid_taken", "not_found", "season_pass_inactive", "template_invalid") },
    }),
    async (c) => {
      const { nfc_uid, lang } = c.req.valid("json");
      const card = await printPassCard(c.env, requireAuth(c.get("auth")), c.req.valid("param").subscription_id, nfc_uid, lang);
      return sendDocument(c, card, 201, { "Season-Card-Id": card.card_id });
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/events/{event_id}/calendar.ics",
      operationId: "getEventCalendar",
      tags,
      summary: "An event as a calendar file",
      description: "Public, for approved, completed and cancelled events (a cancelled one has STATUS:CANCELLED). One VEVENT in UTC, with the venue, its coordinates, the event's page and an alarm at the doors' opening.",
      request: { params: z.object({ event_id: z.uuid() }) },
      responses: { 200: { description: "iCalendar (RFC 5545).", content: { "text/calendar": { schema: z.string() } } }, ...errors("not_found") },
    }),
    async (c) => {
      const { event_id } = c.req.valid("param");
      return c.body(await eventCalendar(c.env, event_id), 200, {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": `attachment; filename="${event_id}.ics"`,
        "Cache-Control": "public, max-age=300",
      });
    },
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/ticket-templates/{template_id}/logo",
      operationId: "uploadTicketTemplateLogo",
      tags,
      security: bearerAuth,
      summary: "Upload the logo a ticket template prints",
      description: `For whoever manages the template (\`catalog.manage\` in its organization; admins for the platform's). The raw PNG or JPEG is the body: at most ${LOGO_MAX_BYTES / 1024} kB (413 beyond) and 1024 px a side (422 \`logo_too_large\`). Stored in the public media bucket; the template's \`metadata.logo_key\` names it (audited).`,
      middleware: [ownBodyLimit(LOGO_MAX_BYTES, "A logo")] as const,
      request: { params: z.object({ template_id: z.uuid() }), body: { required: true, content: binaryContent(["image/png", "image/jpeg"]) } },
      responses: { 200: jsonResponse(TemplateSchema, "The template with its logo."), ...errors("concurrent_change", "forbidden", "logo_too_large", "not_found", "payload_too_large", "unsupported_media_type") },
    }),
    async (c) => {
      const actor = actorOf(c);
      const { template_id } = c.req.valid("param");
      const logo = checkLogo(new Uint8Array(await c.req.arrayBuffer()));
      const template = await readTemplate(c.env, actor, template_id);
      const key = `templates/${template_id}/logo-${newId()}.${logo.type === "image/png" ? "png" : "jpg"}`;
      await c.env.MEDIA.put(key, logo.bytes, { httpMetadata: { contentType: logo.type } });
      const updated = await updateTemplate(c.env, actor, template_id, { metadata: { ...(template.metadata ?? {}), logo_key: key } }).catch(async (error: unknown) => {
        await c.env.MEDIA.delete(key);
        throw error;
      });
      const previous = template.metadata?.logo_key;
      if (typeof previous === "string" && previous.startsWith(`templates/${template_id}/`)) await c.env.MEDIA.delete(previous);
      return c.json(toTemplate(updated), 200);
    },
  );

  return r;
}
