import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import type { Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { newLogId } from "../lib/ids.ts";
import type { ClientMeta } from "../lib/request.ts";
import { now } from "../lib/time.ts";
import type { NotificationType } from "../notifications/schema.ts";
import { notify as queueNotification } from "../notifications/service.ts";
import { insertWhere } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import { access_transactions_log, transfers } from "./schema.ts";

// What a transfer records: its metadata (sale figures, who did what from where), its API view, its log rows and the messages to both parties.

export type TransferRow = typeof transfers.$inferSelect;
type TransferType = TransferRow["transfer_type"];

export interface SaleFigures {
  face_value: number;
  resale_cap_bp: number;
  commission_bp: number;
  platform_fee: number;
  net_to_seller: number;
}

/** What `transfers.metadata` holds: sale figures, the rights a completion or return created, and who did what from where. */
export interface TransferMetadata extends Record<string, unknown> {
  sale?: SaleFigures;
  no_retransfer?: boolean;
  exchange_new_access_right_id?: string;
  returned_access_right_id?: string;
  clients?: Record<string, { ip: string | null; user_agent: string | null; device: string | null; at: string }>;
}

export const metadataOf = (row: TransferRow) => (row.metadata ?? {}) as TransferMetadata;
const clientEntry = (client: ClientMeta, at: string) => ({ ip: client.ip, user_agent: client.userAgent, device: client.deviceName ?? null, at });

export function withClient(metadata: TransferMetadata, step: string, client: ClientMeta, at: string): TransferMetadata {
  return { ...metadata, clients: { ...metadata.clients, [step]: clientEntry(client, at) } };
}

/** The API's view of a transfer: client details (IPs, user agents) stay internal. */
export function transferView(row: TransferRow) {
  const metadata = metadataOf(row);
  return {
    id: row.id,
    event_id: row.event_id,
    transfer_type: row.transfer_type,
    status: row.status,
    access_right_id: row.access_right_id,
    new_access_right_id: row.new_access_right_id,
    exchange_access_right_id: row.exchange_access_right_id,
    exchange_new_access_right_id: metadata.exchange_new_access_right_id ?? null,
    returned_access_right_id: metadata.returned_access_right_id ?? null,
    from_user_id: row.from_user_id,
    to_user_id: row.to_user_id,
    recipient_email: row.recipient_email,
    price: row.price,
    currency: row.currency,
    sale: metadata.sale ?? null,
    loan_return_at: row.loan_return_at,
    returned_at: row.returned_at,
    message: row.message,
    reason: row.reason,
    expires_at: row.expires_at,
    completed_at: row.status === "PENDING" ? null : row.completed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * The Durable Object logs each executed transfer on the new right; this adds
 * what only the Worker knows: the transfer it belongs to, the client, the figures.
 */
export function enrichLog(db: Db, rightIds: string[], type: TransferType, transferId: string, client: ClientMeta, metadata: Record<string, unknown> | null) {
  return db
    .update(access_transactions_log)
    .set({ transfer_id: transferId, ip_address: client.ip, user_agent: client.userAgent, device_id: client.deviceName ?? null, ...(metadata ? { metadata } : {}) })
    .where(and(inArray(access_transactions_log.access_right_id, rightIds), eq(access_transactions_log.transaction_type, type)));
}

type OfferFields = Pick<TransferRow, "id" | "access_right_id" | "transfer_type" | "from_user_id" | "to_user_id" | "event_id" | "price" | "currency" | "message" | "expires_at" | "exchange_access_right_id">;

/** The log row of a step of an offer that does not move the right: made (PENDING), or ended without completing (FAILED). */
export function offerLogValues(row: OfferFields, by: string | null, client: ClientMeta | null, outcome: { status: "PENDING" | "FAILED"; error?: string }) {
  return {
    id: newLogId(),
    access_right_id: row.access_right_id,
    transaction_type: row.transfer_type,
    from_user_id: row.from_user_id,
    to_user_id: row.to_user_id,
    event_id: row.event_id,
    transfer_id: row.id,
    price: row.price,
    currency: row.currency,
    reason: row.message,
    ip_address: client?.ip ?? null,
    user_agent: client?.userAgent ?? null,
    device_id: client?.deviceName ?? null,
    status: outcome.status,
    error_message: outcome.error ?? null,
    metadata: { offer: true, expires_at: row.expires_at, exchange_access_right_id: row.exchange_access_right_id },
    created_by: by,
  } satisfies typeof access_transactions_log.$inferInsert;
}

/** A log row that exists only if `condition` holds when its turn in the batch comes. */
export const logWhere = (db: Db, values: typeof access_transactions_log.$inferInsert, condition: SQL) =>
  insertWhere(db, access_transactions_log, { created_at: now(), ...values }, condition);

const displayName = (user: { first_name: string; last_name: string; email: string }) => `${user.first_name} ${user.last_name}`.trim() || user.email;

/** The message of a transfer's step to one party (in the app, by email, by push per their preferences), once per transfer and step whatever the retries. */
export async function notify(env: Env, db: Db, row: TransferRow, to: "sender" | "recipient", template: NotificationType, extra: Record<string, string> = {}) {
  const ids = [row.from_user_id, row.to_user_id].filter((id): id is string => id !== null);
  const people = await db.select({ id: users.id, email: users.email, language: users.language, first_name: users.first_name, last_name: users.last_name }).from(users).where(inArray(users.id, ids));
  const [event] = await db.select({ title: events.title, timezone: events.timezone }).from(events).where(eq(events.id, row.event_id)).limit(1);
  const sender = people.find((p) => p.id === row.from_user_id);
  const recipient = people.find((p) => p.id === row.to_user_id);
  const target = to === "sender" ? sender : recipient;
  if (!target || !sender || !recipient) return;
  await queueNotification(env, [
    {
      type: template,
      key: `transfer:${row.id}:${template.toLowerCase()}`,
      user_id: target.id,
      data: {
        event_title: event?.title ?? "",
        event_id: row.event_id,
        sender_name: displayName(sender),
        recipient_name: displayName(recipient),
        transfer_id: row.id,
        expires_at: row.expires_at ? { at: row.expires_at, time_zone: event?.timezone ?? "UTC" } : "",
        message: row.message ?? "",
        ...extra,
      },
      // The new holder's ticket travels with the message (QR inline, their link if they have no password).
      ...(template === "TICKET_TRANSFERRED" && to === "recipient" ? { tickets: { event_id: row.event_id, right_ids: row.new_access_right_id ? [row.new_access_right_id] : [] } } : {}),
    },
  ]);
}
