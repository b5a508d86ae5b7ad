import { z } from "@hono/zod-openapi";
import { and, desc, eq, gt, inArray, isNull, lt, or, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb, type Db } from "../db/client.ts";
import { events, venues } from "../events/schema.ts";
import { problems, ProblemError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { decodeCursor, toPage } from "../lib/pagination.ts";
import { normalizePhone } from "../lib/phone.ts";
import { now } from "../lib/time.ts";
import { organizationsWhere, requireOrganizationPermission } from "../organizations/permissions.ts";
import { organizations } from "../organizations/schema.ts";
import { auditedDelete, auditedInsert, auditedUpdate, type Actor } from "../site/audit.ts";
import { users } from "../users/schema.ts";
import type { BlacklistCreateInput, BlacklistListInput, BlacklistUpdateInput } from "./policy-schemas.ts";
import { blacklist, type BLACKLIST_SCOPES, type BLACKLIST_TYPES } from "./schema.ts";
import { pushGatePolicy } from "./gate-policy.ts";

type EntryRow = typeof blacklist.$inferSelect;
type Caller = Pick<Actor, "userId" | "role">;
const isAdmin = (caller: Caller) => caller.role === "ADMIN";

// The blacklist: entries by scope (event, venue, club, platform) pushed to the gates they reach, and appeals.

/**
 * The events a blacklist entry reaches that still have gates to tell: APPROVED
 * and not yet ended, within its scope. A GLOBAL entry reaches every one of
 * them, so its cost grows with the platform's upcoming events (one Durable
 * Object call and four D1 reads each).
 */
async function reachedEvents(db: Db, entry: Pick<EntryRow, "scope" | "scope_id">): Promise<string[]> {
  const scoped: Record<(typeof BLACKLIST_SCOPES)[number], SQL | undefined> = {
    EVENT: eq(events.id, entry.scope_id ?? ""),
    VENUE: eq(events.venue_id, entry.scope_id ?? ""),
    CLUB: eq(events.organization_id, entry.scope_id ?? ""),
    GLOBAL: undefined,
  };
  const rows = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.status, "APPROVED"), gt(events.ends_at, now()), scoped[entry.scope]));
  return rows.map((r) => r.id);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINTED_CODE = /^[A-Z2-9]{4}-?[A-Z2-9]{4}-?[A-Z2-9]{4}$/i;
/** 12 to 19 digits, however grouped: a card number, which must never be stored. */
const CARD_NUMBER = /^\d{12,19}$/;

/**
 * An identifier in the form the gate matches on, or null if it cannot be one
 * of `type`: emails lower-cased, phones E.164, printed codes upper-cased with
 * their dashes, ids lower-cased.
 */
export function normalizeIdentifier(type: (typeof BLACKLIST_TYPES)[number], raw: string): string | null {
  const text = raw.trim();
  switch (type) {
    case "USER":
      return UUID.test(text) ? text.toLowerCase() : null;
    case "EMAIL":
      return z.email().safeParse(text).success ? text.toLowerCase() : null;
    case "PHONE":
      return normalizePhone(text);
    case "QR_CODE": {
      if (UUID.test(text)) return text.toLowerCase();
      if (!PRINTED_CODE.test(text)) return text;
      const compact = text.toUpperCase().replace(/-/g, "");
      return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8, 12)}`;
    }
    case "DEVICE":
      return text.length <= 100 ? text : null;
    case "IP":
      if (z.ipv4().safeParse(text).success) return text;
      return z.ipv6().safeParse(text).success ? text.toLowerCase() : null;
    case "CREDIT_CARD":
      return CARD_NUMBER.test(text.replace(/[\s-]/g, "")) ? null : text;
  }
}

const IDENTIFIER_HINTS: Record<(typeof BLACKLIST_TYPES)[number], string> = {
  USER: "Expected an account id.",
  EMAIL: "Expected an email address.",
  PHONE: "Expected a Benin (+229 01XXXXXXXX) or Tunisia (+216 XXXXXXXX) phone number.",
  QR_CODE: "Expected a printed code or an access right id.",
  DEVICE: "Expected a device id of at most 100 characters.",
  IP: "Expected an IPv4 or IPv6 address.",
  CREDIT_CARD: "Store the payment provider's card fingerprint, never a card number.",
};

async function checkedIdentifier(db: Db, type: (typeof BLACKLIST_TYPES)[number], raw: string): Promise<string> {
  const identifier = normalizeIdentifier(type, raw);
  if (identifier === null) throw problems.invalidField("identifier", IDENTIFIER_HINTS[type], "invalid_identifier");
  if (type === "USER") {
    const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, identifier)).limit(1);
    if (!user) throw problems.invalidField("identifier", "No such account.", "user_not_found");
  }
  return identifier;
}

/**
 * Who may ban where: admins anywhere; members with `rights.block` (OWNER,
 * MANAGER, SUPERVISOR) only within their organization (EVENT: its events,
 * VENUE: its venues, CLUB: the organization itself). A scope object outside
 * their organizations reads exactly like one that does not exist; one of
 * their organization's without the permission is 403.
 */
async function checkScope(db: Db, caller: Caller, scope: (typeof BLACKLIST_SCOPES)[number], scopeId: string | null) {
  if (scope === "GLOBAL") {
    if (!isAdmin(caller)) throw problems.forbidden("Only admins ban platform-wide; use an EVENT, VENUE or CLUB scope.", "global_scope_admin_only");
    if (scopeId !== null) throw problems.invalidField("scope_id", "A GLOBAL entry has no scope_id.", "unexpected_scope_id");
    return;
  }
  if (scopeId === null) throw problems.invalidField("scope_id", `An ${scope} entry names its ${scope.toLowerCase()} in scope_id.`, "required");
  const [owner] =
    scope === "EVENT"
      ? await db.select({ organization_id: events.organization_id }).from(events).where(eq(events.id, scopeId)).limit(1)
      : scope === "VENUE"
        ? await db.select({ organization_id: venues.organization_id }).from(venues).where(eq(venues.id, scopeId)).limit(1)
        : await db.select({ organization_id: organizations.id }).from(organizations).where(eq(organizations.id, scopeId)).limit(1);
  const unknown = () => problems.invalidField("scope_id", `No such ${scope === "CLUB" ? "organization" : scope.toLowerCase()} among yours.`);
  if (!owner) throw unknown();
  if (isAdmin(caller)) return;
  if (owner.organization_id === null) throw unknown();
  try {
    await requireOrganizationPermission(db, caller, owner.organization_id, "rights.block", "Organization");
  } catch (error) {
    if (error instanceof ProblemError && error.status === 404) throw unknown();
    throw error;
  }
}

/** Entries a member may see and manage: scoped to the events, venues or club of an organization where they have `rights.block`. */
function reach(db: Db, caller: Caller): SQL | undefined {
  if (isAdmin(caller)) return undefined;
  const mine = organizationsWhere(db, caller.userId, "rights.block");
  return or(
    and(eq(blacklist.scope, "EVENT"), inArray(blacklist.scope_id, db.select({ id: events.id }).from(events).where(inArray(events.organization_id, mine)))),
    and(eq(blacklist.scope, "VENUE"), inArray(blacklist.scope_id, db.select({ id: venues.id }).from(venues).where(inArray(venues.organization_id, mine)))),
    and(eq(blacklist.scope, "CLUB"), inArray(blacklist.scope_id, mine)),
  );
}

async function managedEntry(db: Db, caller: Caller, entryId: string): Promise<EntryRow> {
  const [row] = await db.select().from(blacklist).where(and(eq(blacklist.id, entryId), reach(db, caller))).limit(1);
  if (!row) throw problems.notFound("Blacklist entry");
  return row;
}

function checkDates(start: string, end: string | null, permanent: boolean) {
  if (permanent && end !== null) throw problems.invalidField("end_date", "A permanent ban has no end_date.", "permanent_has_end");
  if (end !== null && end <= start) throw problems.invalidField("end_date", "end_date must be after start_date.", "invalid_window");
}

async function checkReporter(db: Db, reportedBy: string | null | undefined) {
  if (!reportedBy) return;
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, reportedBy)).limit(1);
  if (!user) throw problems.invalidField("reported_by", "No such account.");
}

/** Pushes an entry's change to the gates of every event it reaches. */
const pushEntry = async (env: Env, entry: Pick<EntryRow, "scope" | "scope_id">) => pushGatePolicy(env, await reachedEvents(getDb(env.DB), entry));

export async function createEntry(env: Env, actor: Actor, input: BlacklistCreateInput) {
  const db = getDb(env.DB);
  const identifier = await checkedIdentifier(db, input.blacklist_type, input.identifier);
  const scopeId = input.scope_id ?? null;
  await checkScope(db, actor, input.scope, scopeId);
  const start = input.start_date ?? now();
  const permanent = input.is_permanent ?? false;
  const end = input.end_date ?? null;
  checkDates(start, end, permanent);
  await checkReporter(db, input.reported_by);
  const [same] = await db
    .select({ id: blacklist.id })
    .from(blacklist)
    .where(
      and(
        eq(blacklist.blacklist_type, input.blacklist_type),
        eq(blacklist.identifier, identifier),
        eq(blacklist.scope, input.scope),
        scopeId === null ? isNull(blacklist.scope_id) : eq(blacklist.scope_id, scopeId),
        eq(blacklist.is_active, true),
      ),
    )
    .limit(1);
  if (same) throw problems.conflict("already_blacklisted", `An active entry already bans this ${input.blacklist_type.toLowerCase()} in this scope (${same.id}); change that one.`);
  const row = await auditedInsert(db, actor, blacklist, {
    id: newId(),
    blacklist_type: input.blacklist_type,
    identifier,
    reason: input.reason,
    severity: input.severity,
    scope: input.scope,
    scope_id: scopeId,
    start_date: start,
    end_date: end,
    is_permanent: permanent,
    reported_by: input.reported_by ?? actor.userId,
    approved_by: actor.userId,
    evidence: input.evidence ?? null,
    appeal_status: "NONE",
    is_active: true,
    metadata: input.metadata ?? null,
  });
  return { row, gate_sync: await pushEntry(env, row) };
}

export async function updateEntry(env: Env, actor: Actor, entryId: string, input: BlacklistUpdateInput) {
  const db = getDb(env.DB);
  const current = await managedEntry(db, actor, entryId);
  const patch: Partial<typeof blacklist.$inferInsert> = { ...input };
  const permanent = input.is_permanent ?? current.is_permanent;
  // Making a ban permanent drops its end unless the same request sets one (then it is refused below).
  if (input.is_permanent === true && input.end_date === undefined) patch.end_date = null;
  checkDates(patch.start_date ?? current.start_date, patch.end_date === undefined ? current.end_date : patch.end_date, permanent);
  await checkReporter(db, input.reported_by);
  if (input.is_active === true && !current.is_active) {
    // Re-activating must not make a second active entry for the same identifier and scope.
    const [same] = await db
      .select({ id: blacklist.id })
      .from(blacklist)
      .where(
        and(
          eq(blacklist.blacklist_type, current.blacklist_type),
          eq(blacklist.identifier, current.identifier),
          eq(blacklist.scope, current.scope),
          current.scope_id === null ? isNull(blacklist.scope_id) : eq(blacklist.scope_id, current.scope_id),
          eq(blacklist.is_active, true),
        ),
      )
      .limit(1);
    if (same) throw problems.conflict("already_blacklisted", `Another active entry already bans this in this scope (${same.id}).`);
  }
  const { after } = await auditedUpdate(db, actor, blacklist, entryId, { ...patch, approved_by: actor.userId }, { what: "Blacklist entry" });
  return { row: after, gate_sync: await pushEntry(env, after) };
}

export async function deleteEntry(env: Env, actor: Actor, entryId: string) {
  const db = getDb(env.DB);
  await managedEntry(db, actor, entryId);
  const before = await auditedDelete(db, actor, blacklist, entryId, { what: "Blacklist entry" });
  return pushEntry(env, before);
}

export async function getEntry(env: Env, caller: Caller, entryId: string): Promise<EntryRow> {
  return managedEntry(getDb(env.DB), caller, entryId);
}

export async function listEntries(env: Env, caller: Caller, query: BlacklistListInput) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const identifier = query.identifier === undefined ? undefined : query.blacklist_type ? (normalizeIdentifier(query.blacklist_type, query.identifier) ?? query.identifier) : query.identifier;
  const b = blacklist;
  const rows = await db
    .select()
    .from(b)
    .where(
      and(
        reach(db, caller),
        query.blacklist_type ? eq(b.blacklist_type, query.blacklist_type) : undefined,
        identifier !== undefined ? eq(b.identifier, identifier) : undefined,
        query.scope ? eq(b.scope, query.scope) : undefined,
        query.scope_id ? eq(b.scope_id, query.scope_id) : undefined,
        query.is_active === undefined ? undefined : eq(b.is_active, query.is_active),
        query.appeal_status ? eq(b.appeal_status, query.appeal_status) : undefined,
        after ? or(lt(b.created_at, String(after.k)), and(eq(b.created_at, String(after.k)), lt(b.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(b.created_at), desc(b.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

// ---------------------------------------------------------------- the banned person's side

/**
 * Entries that ban the caller as a person: USER entries naming their account,
 * and EMAIL / PHONE entries matching their account's address or number (the
 * gate resolves those to the account too).
 */
async function bansOf(db: Db, userId: string): Promise<SQL> {
  const [me] = await db.select({ email: users.email, phone: users.phone }).from(users).where(eq(users.id, userId)).limit(1);
  return or(
    and(eq(blacklist.blacklist_type, "USER"), eq(blacklist.identifier, userId)),
    me ? and(eq(blacklist.blacklist_type, "EMAIL"), eq(blacklist.identifier, me.email.toLowerCase())) : undefined,
    me?.phone ? and(eq(blacklist.blacklist_type, "PHONE"), eq(blacklist.identifier, me.phone)) : undefined,
  )!;
}

export async function listOwnBans(env: Env, userId: string, query: { limit: number; cursor?: string }) {
  const db = getDb(env.DB);
  const after = decodeCursor(query.cursor);
  const b = blacklist;
  const rows = await db
    .select()
    .from(b)
    .where(and(await bansOf(db, userId), after ? or(lt(b.created_at, String(after.k)), and(eq(b.created_at, String(after.k)), lt(b.id, after.id))) : undefined))
    .orderBy(desc(b.created_at), desc(b.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.created_at, id: row.id }));
}

/**
 * The banned person contests a running ban, once: NONE → PENDING. Their
 * access rights stay valid meanwhile (never cancelled by a ban); only the
 * gate refuses them while the ban runs.
 */
export async function appealEntry(env: Env, actor: Actor, entryId: string, message: string): Promise<EntryRow> {
  const db = getDb(env.DB);
  const [row] = await db.select().from(blacklist).where(and(eq(blacklist.id, entryId), await bansOf(db, actor.userId))).limit(1);
  if (!row) throw problems.notFound("Blacklist entry");
  if (!row.is_active) throw problems.conflict("ban_not_active", "This ban has been lifted; there is nothing to appeal.");
  if (row.appeal_status !== "NONE") throw problems.conflict("appeal_not_open", row.appeal_status === "PENDING" ? "Your appeal is already under review." : "This ban's appeal has been decided.");
  const appeal = { message, submitted_at: now() };
  const { after } = await auditedUpdate(
    db,
    actor,
    blacklist,
    entryId,
    { appeal_status: "PENDING", metadata: { ...(row.metadata ?? {}), appeal } },
    { guard: and(eq(blacklist.appeal_status, "NONE"), eq(blacklist.is_active, true)), what: "Blacklist entry", description: "UPDATE blacklist appeal submitted" },
  );
  return after;
}

/** An admin decides a PENDING appeal; ACCEPTED lifts the ban at every gate it reaches. */
export async function decideAppeal(env: Env, actor: Actor, entryId: string, decision: "ACCEPTED" | "REJECTED", comment: string | undefined) {
  const db = getDb(env.DB);
  const [row] = await db.select().from(blacklist).where(eq(blacklist.id, entryId)).limit(1);
  if (!row) throw problems.notFound("Blacklist entry");
  if (row.appeal_status !== "PENDING") throw problems.conflict("no_pending_appeal", "This entry has no appeal waiting for a decision.");
  const previous = (row.metadata?.appeal ?? {}) as Record<string, unknown>;
  const appeal = { ...previous, decision, decided_by: actor.userId, decided_at: now(), ...(comment ? { comment } : {}) };
  const { after } = await auditedUpdate(
    db,
    actor,
    blacklist,
    entryId,
    { appeal_status: decision, metadata: { ...(row.metadata ?? {}), appeal }, ...(decision === "ACCEPTED" ? { is_active: false } : {}) },
    { action: decision === "ACCEPTED" ? "APPROVE" : "REJECT", guard: eq(blacklist.appeal_status, "PENDING"), what: "Blacklist entry", description: `${decision === "ACCEPTED" ? "APPROVE" : "REJECT"} blacklist appeal` },
  );
  return { row: after, gate_sync: decision === "ACCEPTED" ? await pushEntry(env, after) : { events: 0, failed: [] } };
}
