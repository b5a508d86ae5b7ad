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
