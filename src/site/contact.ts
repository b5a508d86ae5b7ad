import { and, desc, eq, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { now } from "../lib/time.ts";
import { notify } from "../notifications/service.ts";
import { users } from "../users/schema.ts";
import { auditedUpdate, type Actor } from "./audit.ts";
import { CONTACT_CATEGORIES, CONTACT_STATUSES, contact_messages } from "./schema.ts";

export type ContactRow = typeof contact_messages.$inferSelect;
type ContactStatus = (typeof CONTACT_STATUSES)[number];

export interface ContactInput {
  name: string;
  email: string;
  phone?: string;
  category: (typeof CONTACT_CATEGORIES)[number];
  subject: string;
  message: string;
}

/** Records a message from the public form (the caller is rate limited by IP before this). */
export async function createContactMessage(env: Env, input: ContactInput, sender: { userId: string | null; ip: string | null }): Promise<ContactRow> {
  const [row] = await getDb(env.DB)
    .insert(contact_messages)
    .values({ id: newId(), ...input, phone: input.phone ?? null, user_id: sender.userId, ip_address: sender.ip })
    .returning();
  return row!;
}

export async function loadContactMessage(env: Env, id: string): Promise<ContactRow> {
  const [row] = await getDb(env.DB).select().from(contact_messages).where(eq(contact_messages.id, id)).limit(1);
  if (!row) throw problems.notFound("Contact message");
  return row;
}

/** Newest first, optionally of one status, one assignee or one sender. */
export async function listContactMessages(
  env: Env,
  query: { status?: ContactStatus; assigned_to?: string; user_id?: string; limit: number; cursor?: string },
) {
  const after = decodeCursor(query.cursor);
  const conditions: (SQL | undefined)[] = [
    query.status ? eq(contact_messages.status, query.status) : undefined,
    query.assigned_to ? eq(contact_messages.assigned_to, query.assigned_to) : undefined,
    query.user_id ? eq(contact_messages.user_id, query.user_id) : undefined,
    afterCursor(after, contact_messages.created_at, contact_messages.id, "desc"),
  ];
  const rows = await getDb(env.DB)
    .select()
    .from(contact_messages)
    .where(and(...conditions))
    .orderBy(desc(contact_messages.created_at), desc(contact_messages.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

const rank = (status: ContactStatus) => CONTACT_STATUSES.indexOf(status);

/** The dates a move to `status` sets: taken in charge when leaving NEW, resolved at RESOLVED or CLOSED (first time only). */
function datesFor(row: ContactRow, status: ContactStatus, at: string): Partial<ContactRow> {
  const dates: Partial<ContactRow> = {};
  if (rank(status) >= rank("IN_PROGRESS") && !row.handled_at) dates.handled_at = at;
  if (rank(status) >= rank("RESOLVED") && !row.resolved_at) dates.resolved_at = at;
  return dates;
}

async function requireStaff(env: Env, userId: string): Promise<void> {
  const [user] = await getDb(env.DB)
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.role, "ADMIN"), eq(users.is_active, true)))
    .limit(1);
  if (!user) throw problems.validation([{ path: "assigned_to", message: "Messages can only be assigned to an active admin.", code: "not_staff" }]);
}

const notForward = (from: ContactStatus, to: ContactStatus) =>
  problems.conflict("invalid_status_transition", `A message moves only forward (NEW → IN_PROGRESS → RESOLVED → CLOSED); it is ${from}, not before ${to}.`);

/**
 * Staff workflow: the status moves only forward (skipping steps is allowed,
 * e.g. spam straight to CLOSED); assignment goes to an active admin or null.
 * Guarded on the status read, so two admins cannot move it from the same state.
 */
export async function updateContactMessage(
  env: Env,
  actor: Actor,
  id: string,
  input: { status?: ContactStatus; assigned_to?: string | null },
): Promise<ContactRow> {
  const current = await loadContactMessage(env, id);
  const patch: Partial<ContactRow> = {};
  if (input.status !== undefined && input.status !== current.status) {
    if (rank(input.status) < rank(current.status)) throw notForward(current.status, input.status);
    Object.assign(patch, { status: input.status }, datesFor(current, input.status, now()));
  }
  if (input.assigned_to !== undefined && input.assigned_to !== current.assigned_to) {
    if (input.assigned_to !== null) await requireStaff(env, input.assigned_to);
    patch.assigned_to = input.assigned_to;
  }
  if (Object.keys(patch).length === 0) return current;
  const { after } = await auditedUpdate(getDb(env.DB), actor, contact_messages, id, patch, {
    guard: eq(contact_messages.status, current.status),
    what: "Contact message",
  });
  return after;
}

/**
 * Stores the team's reply, marks the message RESOLVED (with its dates; the
 * replier takes it if nobody had), and emails the sender in their language
 * (French for visitors). A closed message takes no more replies.
 */
export async function replyToContactMessage(env: Env, actor: Actor, id: string, reply: string): Promise<ContactRow> {
  const current = await loadContactMessage(env, id);
  if (current.status === "CLOSED") throw problems.conflict("contact_message_closed", "This message is closed; it takes no more replies.");
  const at = now();
  const status: ContactStatus = "RESOLVED";
  const { after } = await auditedUpdate(
    getDb(env.DB),
    actor,
    contact_messages,
    id,
    { response: reply, status, assigned_to: current.assigned_to ?? actor.userId, ...datesFor(current, status, at) },
    { guard: eq(contact_messages.status, current.status), what: "Contact message", description: "UPDATE contact_messages (reply)" },
  );
  const [sender] = after.user_id ? await getDb(env.DB).select({ language: users.language }).from(users).where(eq(users.id, after.user_id)).limit(1) : [];
  await notify(env, [
    {
      type: "CONTACT_REPLY",
      // One email per reply: a later reply to the same message changes updated_at.
      key: `contact-reply:${id}:${after.updated_at}`,
      user_id: after.user_id,
      email: after.email,
      language: sender?.language ?? "fr",
      data: { name: after.name, subject: after.subject, reply },
    },
  ]);
  return after;
}
