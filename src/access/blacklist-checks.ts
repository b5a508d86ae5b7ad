import { and, eq, gt, inArray, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { events } from "../events/schema.ts";
import { problems } from "../lib/errors.ts";
import { now } from "../lib/time.ts";
import { users } from "../users/schema.ts";
import { blacklist, type BLACKLIST_TYPES } from "./schema.ts";

type BanType = (typeof BLACKLIST_TYPES)[number];

/**
 * The blacklist outside the gate: who may not buy, subscribe, receive a
 * transfer or be granted a right, and which card may not pay. An entry
 * applies while active and within its dates (a permanent one has no end),
 * in its scope: GLOBAL everywhere, CLUB (`scope_id` an organization) to that organization's events and passes,
 * VENUE to the events at that venue, EVENT to that event. The gate applies
 * the same entries on its own copy (src/catalog/sync.ts); a purchase is
 * decided in the EventDO on that copy too (durable-objects/event/orders.ts).
 */

/** One identity, each part of which may be banned: an account (with its own email and phone), an address or number, an IP, a card. */
export interface BanSubject {
  user_id?: string | null;
  email?: string | null;
  phone?: string | null;
  ip?: string | null;
  /** The payment provider's fingerprint of the card (Stripe's `payment_method_details.card.fingerprint`). */
  card_fingerprint?: string | null;
}

/** Where the act happens: one event (its own, its venue's, its organization's and global entries), or an organization's sales (its CLUB and global ones; null: the platform's own). */
export type BanReach = { event_id: string } | { organization_id: string | null };

function scopeOf(reach: BanReach): SQL {
  if ("event_id" in reach) {
    const of = (column: typeof events.organization_id | typeof events.venue_id) => sql`(SELECT ${column} FROM ${events} WHERE ${events.id} = ${reach.event_id})`;
    return or(
      eq(blacklist.scope, "GLOBAL"),
      and(eq(blacklist.scope, "EVENT"), eq(blacklist.scope_id, reach.event_id)),
      and(eq(blacklist.scope, "CLUB"), sql`${blacklist.scope_id} = ${of(events.organization_id)}`),
      and(eq(blacklist.scope, "VENUE"), sql`${blacklist.scope_id} = ${of(events.venue_id)}`),
    )!;
  }
  return or(eq(blacklist.scope, "GLOBAL"), reach.organization_id ? and(eq(blacklist.scope, "CLUB"), eq(blacklist.scope_id, reach.organization_id)) : undefined)!;
}

const key = (type: string, identifier: string) => `${type}:${identifier}`;

/** Each subject's banned identifiers, as `TYPE:identifier` keys. An account's own email and phone count as the account's. */
function keysOf(subject: BanSubject, contacts: Map<string, { email: string; phone: string | null }>): string[] {
  const account = subject.user_id ? contacts.get(subject.user_id) : undefined;
  return [
    subject.user_id ? key("USER", subject.user_id) : null,
    subject.email ? key("EMAIL", subject.email.toLowerCase()) : null,
    account ? key("EMAIL", account.email) : null,
    subject.phone ? key("PHONE", subject.phone) : null,
    account?.phone ? key("PHONE", account.phone) : null,
    subject.ip ? key("IP", subject.ip) : null,
    subject.card_fingerprint ? key("CREDIT_CARD", subject.card_fingerprint) : null,
  ].filter((k): k is string => k !== null);
}

/** For each subject, whether an entry in force now bans it within `reach`. One read for the accounts' contacts, one for the entries. */
export async function bannedSubjects(db: Db, reach: BanReach, subjects: BanSubject[]): Promise<boolean[]> {
  const userIds = [...new Set(subjects.flatMap((s) => (s.user_id ? [s.user_id] : [])))];
  const contacts = new Map(
    (userIds.length ? await db.select({ id: users.id, email: users.email, phone: users.phone }).from(users).where(inArray(users.id, userIds)) : []).map((u) => [u.id, u]),
  );
  const keys = subjects.map((s) => keysOf(s, contacts));
  const wanted = new Map<string, Set<string>>();
  for (const k of keys.flat()) {
    const at = k.indexOf(":");
    wanted.set(k.slice(0, at), (wanted.get(k.slice(0, at)) ?? new Set()).add(k.slice(at + 1)));
  }
  if (wanted.size === 0) return subjects.map(() => false);
  const at = now();
  const entries = await db
    .select({ type: blacklist.blacklist_type, identifier: blacklist.identifier })
    .from(blacklist)
    .where(
      and(
        eq(blacklist.is_active, true),
        lte(blacklist.start_date, at),
        or(isNull(blacklist.end_date), gt(blacklist.end_date, at), eq(blacklist.is_permanent, true)),
        or(...[...wanted].map(([type, ids]) => and(eq(blacklist.blacklist_type, type as BanType), inArray(blacklist.identifier, [...ids])))),
        scopeOf(reach),
      ),
    );
  const banned = new Set(entries.map((e) => key(e.type, e.identifier)));
  return keys.map((ks) => ks.some((k) => banned.has(k)));
}

/** Throws 403 `blacklisted` when the subject is banned within `reach`; `detail` says what is refused. */
export async function refuseBanned(db: Db, reach: BanReach, subject: BanSubject, detail: string): Promise<void> {
  const [banned] = await bannedSubjects(db, reach, [subject]);
  if (banned) throw problems.forbidden(detail, "blacklisted");
}
