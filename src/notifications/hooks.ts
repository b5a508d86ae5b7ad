import type { Env } from "../env.ts";
import type { TicketRef } from "./schema.ts";

/**
 * What a ticket-bearing message shows: each admitted person's QR token and
 * printed code, and for someone without a password the signed link that
 * opens their tickets. Tickets belong to the access domain, which provides
 * this (src/access/ticket-links.ts); src/index.ts wires it in, so that
 * notifications never import a domain that sends notifications.
 */
export interface TicketForMessage {
  access_right_id: string;
  qr_code: string;
  token: string;
  label: string;
}
export interface TicketContent {
  tickets: TicketForMessage[];
  link: string | null;
}
export type TicketContentSource = (env: Env, userId: string, ref: TicketRef) => Promise<TicketContent>;

let ticketSource: TicketContentSource | null = null;

export function provideTicketContent(source: TicketContentSource): void {
  ticketSource = source;
}

export function ticketContent(env: Env, userId: string, ref: TicketRef): Promise<TicketContent> {
  if (!ticketSource) throw new Error("no ticket content source: src/index.ts provides the access domain's");
  return ticketSource(env, userId, ref);
}
