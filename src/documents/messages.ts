import type { Env } from "../env.ts";
import { ProblemError } from "../lib/errors.ts";
import type { TicketDocuments } from "../notifications/hooks.ts";
import type { TicketRef } from "../notifications/schema.ts";
import { appleWalletConfig } from "./apple-wallet.ts";
import { googleWalletConfig } from "./google-wallet.ts";
import { documentLinks, googleWalletLink, renderOrderDocuments, rightDocument, type Document } from "./service.ts";

/**
 * The largest PDF a ticket email attaches, in bytes. Cloudflare Email Service
 * refuses a message over 5 MiB in all (25 MiB only to verified addresses), and
 * an attachment travels in base64 (4/3 of its size) beside the inline QR
 * codes and the HTML: 3 MiB of PDF is 4 MiB on the wire, under the limit. A
 * larger one (a big group order with a photo-heavy template) is linked.
 */
export const EMAIL_PDF_MAX_BYTES = 3 * 1024 * 1024;

/** True when the wallet's settings and keys are there (the routes answer 503 otherwise). */
const configured = (check: Promise<unknown>) =>
  check.then(
    () => true,
    () => false,
  );

/** The wallets this deployment can issue passes for (their settings and keys are there). */
export async function walletsAvailable(env: Env): Promise<{ apple: boolean; google: boolean }> {
  const [apple, google] = await Promise.all([configured(appleWalletConfig(env)), configured(googleWalletConfig(env))]);
  return { apple, google };
}

/**
 * What a ticket email carries of the documents (notifications'
 * `ticketDocumentsForMessage` hook, attached in src/hooks.ts): the order's
 * tickets as one A4 PDF, or each ticket's PDF when the message is not about an
 * order (a transfer, a grant), attached when they fit in the email
 * (EMAIL_PDF_MAX_BYTES) and linked otherwise; and each ticket's wallet links
 * when the deployment has that wallet. A guest (no password) gets the links of
 * their ticket page (`/t/{token}/…`), which open without signing in; an
 * account holder gets the API's (the app opens them with its session), except
 * Google Wallet's save link, which is signed and opens anywhere.
 */
export async function documentsForMessage(input: { env: Env; userId: string; ref: TicketRef; rights: string[]; link: string | null }): Promise<TicketDocuments> {
  const { env, userId, ref, rights, link } = input;
  if (rights.length === 0) return { attachments: [], pdf_url: null, wallets: [] };
  const links = documentLinks(env, { event_id: ref.event_id, order_id: ref.order_id, access_right_ids: rights });

  const files: Document[] = [];
  let missing = false;
  // A ticket that stopped admitting since (transferred, cancelled) or a template that no longer draws
  // (a ProblemError) costs the email its PDF, not the email: the PDF is linked. Anything else is retried.
  const render = (document: Promise<Document | null>) =>
    document.then(
      (file) => (file ? files.push(file) : (missing = true)),
      (error: unknown) => {
        if (!(error instanceof ProblemError)) throw error;
        missing = true;
      },
    );
  if (ref.order_id) await render(renderOrderDocuments(env, ref.event_id, ref.order_id));
  else for (const id of rights) await render(rightDocument(env, userId, id, "pdf"));
  const size = files.reduce((total, file) => total + file.bytes.length, 0);
  const attach = !missing && files.length > 0 && size <= EMAIL_PDF_MAX_BYTES;
  const pdfUrl = attach ? null : (link ?? links.order_pdf ?? links.rights[0]!.pdf);

  const { apple, google } = await walletsAvailable(env);
  const wallets = await Promise.all(
    rights.map(async (id, i) => ({
      access_right_id: id,
      apple_wallet: apple ? (link ? `${link}/rights/${id}/wallet.pkpass` : links.rights[i]!.apple_wallet) : null,
      google_wallet: google ? (await googleWalletLink(env, userId, id)).save_url : null,
    })),
  );
  return {
    attachments: attach ? files.map((file) => ({ filename: file.filename, type: file.contentType, content: file.bytes })) : [],
    pdf_url: pdfUrl,
    wallets: wallets.filter((w) => w.apple_wallet || w.google_wallet),
  };
}
