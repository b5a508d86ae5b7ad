import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { LANGUAGES } from "../db/enums.ts";
import { secretDigest } from "../lib/crypto/hash.ts";
import { problems } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import { afterCursor, decodeCursor, toPage } from "../lib/pagination.ts";
import { definedFields } from "../lib/patch.ts";
import { now } from "../lib/time.ts";
import type { ClientMeta } from "../lib/request.ts";
import { auditedDelete, auditedInsert, auditedUpdate, insertWhere, type Actor } from "./audit.ts";
import { FAQ_CATEGORIES, faq_votes, faqs } from "./schema.ts";

export type FaqRow = typeof faqs.$inferSelect;
type FaqInsert = typeof faqs.$inferInsert;

export interface FaqQuery {
  category?: (typeof FAQ_CATEGORIES)[number];
  language?: (typeof LANGUAGES)[number];
  is_active?: boolean;
  limit: number;
  cursor?: string;
}

/** In display order (then id); the public listing passes `is_active: true`. */
export async function listFaqs(env: Env, query: FaqQuery) {
  const after = decodeCursor(query.cursor);
  const conditions: (SQL | undefined)[] = [
    query.is_active === undefined ? undefined : eq(faqs.is_active, query.is_active),
    query.language ? eq(faqs.language, query.language) : undefined,
    query.category ? eq(faqs.category, query.category) : undefined,
    afterCursor(after, faqs.display_order, faqs.id),
  ];
  const rows = await getDb(env.DB)
    .select()
    .from(faqs)
    .where(and(...conditions))
    .orderBy(asc(faqs.display_order), asc(faqs.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ k: row.display_order, id: row.id }));
}

export async function loadFaq(env: Env, id: string): Promise<FaqRow> {
  const [row] = await getDb(env.DB).select().from(faqs).where(eq(faqs.id, id)).limit(1);
  if (!row) throw problems.notFound("FAQ");
  return row;
}

/**
 * Who votes: the signed-in user, else a keyed digest of IP and user agent (not
 * reversible to the IP without the pepper). A visitor who signs in votes anew.
 */
export async function voterKey(env: Env, userId: string | undefined, meta: Pick<ClientMeta, "ip" | "userAgent">): Promise<string> {
  if (userId) return `u:${userId}`;
  return `f:${await secretDigest(env.PASSWORD_PEPPER, "faq-voter", `${meta.ip ?? "unknown"}|${meta.userAgent ?? ""}`)}`;
}

// Counters and view counts are not content: they keep the FAQ's updated_at, so an admin's edit is not refused for a vote.
const keepUpdatedAt = { updated_at: sql`${faqs.updated_at}` };

/** An active FAQ with its view counted, and the caller's vote (null if none). */
export async function viewFaq(env: Env, id: string, voter: string): Promise<FaqRow & { my_vote: boolean | null }> {
  const db = getDb(env.DB);
  const [[row], [vote]] = await db.batch([
    db
      .update(faqs)
      .set({ view_count: sql`${faqs.view_count} + 1`, ...keepUpdatedAt })
      .where(and(eq(faqs.id, id), eq(faqs.is_active, true)))
      .returning(),
    db
      .select({ is_helpful: faq_votes.is_helpful })
      .from(faq_votes)
      .where(and(eq(faq_votes.faq_id, id), eq(faq_votes.voter_key, voter))),
  ]);
  if (!row) throw problems.notFound("FAQ");
  return { ...row, my_vote: vote?.is_helpful ?? null };
}

/**
 * Records or changes one person's vote. One batch (one D1 transaction):
 * the counters move by the difference between the new vote and the vote
 * stored before it (+1 for a first vote, +1/−1 for a change, 0 for a repeat),
 * then the vote is upserted on the (faq, voter) unique index. Two votes of the
 * same person run one after the other, the second seeing the first, so a
 * person is counted once whatever the concurrency.
 */
export async function voteFaq(env: Env, id: string, voter: string, userId: string | null, helpful: boolean): Promise<FaqRow & { my_vote: boolean }> {
  const db = getDb(env.DB);
  const yes = helpful ? 1 : 0;
  const prior = sql`(SELECT ${faq_votes.is_helpful} FROM ${faq_votes} WHERE ${faq_votes.faq_id} = ${id} AND ${faq_votes.voter_key} = ${voter})`;
  const at = now();
  const [[row]] = await db.batch([
    db
      .update(faqs)
      .set({
        helpful_yes_count: sql`${faqs.helpful_yes_count} + ${yes} - COALESCE(${prior}, 0)`,
        helpful_no_count: sql`${faqs.helpful_no_count} + ${1 - yes} - COALESCE(1 - ${prior}, 0)`,
        ...keepUpdatedAt,
      })
      .where(and(eq(faqs.id, id), eq(faqs.is_active, true)))
      .returning(),
    // Only if the FAQ matched just above.
    insertWhere(db, faq_votes, { id: newId(), faq_id: id, voter_key: voter, user_id: userId, is_helpful: helpful, created_at: at, updated_at: at }, sql`changes() = 1`)
      .onConflictDoUpdate({
        target: [faq_votes.faq_id, faq_votes.voter_key],
        set: { is_helpful: sql`excluded.is_helpful`, updated_at: sql`excluded.updated_at` },
        setWhere: sql`${faq_votes.is_helpful} <> excluded.is_helpful`,
      }),
  ]);
  if (!row) throw problems.notFound("FAQ");
  return { ...row, my_vote: helpful };
}

// ---------------------------------------------------------------- administration

export type FaqInput = Pick<FaqInsert, "question" | "answer" | "category" | "language" | "display_order" | "is_active">;

export function createFaq(env: Env, actor: Actor, input: FaqInput): Promise<FaqRow> {
  return auditedInsert(getDb(env.DB), actor, faqs, { ...input, id: newId(), created_by: actor.userId });
}

export async function updateFaq(env: Env, actor: Actor, id: string, input: Partial<FaqInput>): Promise<FaqRow> {
  const patch = definedFields(input);
  if (Object.keys(patch).length === 0) return loadFaq(env, id);
  return (await auditedUpdate(getDb(env.DB), actor, faqs, id, patch, { what: "FAQ" })).after;
}

export async function deleteFaq(env: Env, actor: Actor, id: string): Promise<void> {
  await auditedDelete(getDb(env.DB), actor, faqs, id, { what: "FAQ" });
}
