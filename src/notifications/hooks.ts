import type { Env } from "../env.ts";
import { Hook } from "../lib/hooks.ts";
import type { TicketRef } from "./schema.ts";

/**
 * What the notifications domain asks the others (src/lib/hooks.ts) while it
 * sends a message: the domains that make tickets answer, and notifications
 * never imports them (they send notifications). Handlers are attached in
 * src/hooks.ts.
 */

/** A ticket a message shows: the admitted person's QR token and printed code. */
export interface TicketForMessage {
  access_right_id: string;
  qr_code: string;
  token: string;
  label: string;
}
export interface TicketContent {
  tickets: TicketForMessage[];
  /** The signed link that opens the person's tickets, for someone without a password; null otherwise. */
  link: string | null;
}

/** The tickets a message is about (`ref`), with their QR tokens, and the person's link: answered by the access domain. */
export const ticketsForMessage: Hook<{ env: Env; userId: string; ref: TicketRef }, TicketContent> = new Hook("notifications.tickets");

/** A ticket message's documents (email only). */
export interface TicketDocuments {
  /** Attached to the email as files: the order's PDF, or each ticket's when the message is not about an order. */
  attachments: { filename: string; type: string; content: Uint8Array }[];
  /** Where the PDF is fetched when it was too large to attach; null when attached or there is none. */
  pdf_url: string | null;
  /** Each ticket's wallet links, for the wallets this deployment is configured for. */
  wallets: { access_right_id: string; apple_wallet: string | null; google_wallet: string | null }[];
}

/**
 * The documents of the tickets a message carries (`rights`, from `ticketsForMessage`), for the
 * person's email; `link` is their guest link, if they have one: answered by the documents domain.
 */
export const ticketDocumentsForMessage: Hook<{ env: Env; userId: string; ref: TicketRef; rights: string[]; link: string | null }, TicketDocuments> = new Hook("notifications.ticket_documents");
