/**
 * What changed in an event since an admin last reviewed it: the event as it
 * stood when approved or rejected (that review's audit row keeps the whole
 * row after the decision) against the event now, field by field, over the
 * fields a reviewer judges plus its cover, category, group and capacity. An
 * event never reviewed has no previous state: everything is new to the reviewer.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { audit_log } from "../site/schema.ts";
import { events } from "./schema.ts";

/** The fields shown to a reviewer, in the order of the event form. */
export const REVIEW_DIFF_FIELDS = [
  "title",
  "short_description",
  "description",
  "starts_at",
  "ends_at",
  "doors_open_at",
  "timezone",
  "venue_id",
  "venue_name",
  "address",
  "latitude",
  "longitude",
  "access_type",
  "price",
  "currency",
  "max_capacity",
  "category_id",
  "event_group_id",
  "cover_image_key",
] as const;

export interface ReviewChanges {
  last_review: { decision: "APPROVE" | "REJECT"; at: string; by: string | null; comment: string | null } | null;
  changes: { field: string; before: unknown; after: unknown }[];
}

export async function reviewChanges(db: Db, eventId: string): Promise<ReviewChanges> {
  const [event] = await db.select().from(events).where(eq(events.id, eventId)).limit(1);
  if (!event) throw problems.notFound("Event");
  const [review] = await db
    .select({ action: audit_log.action, created_at: audit_log.created_at, user_id: audit_log.user_id, data_after: audit_log.data_after })
    .from(audit_log)
    .where(and(eq(audit_log.object_type, "events"), eq(audit_log.object_id, eventId), inArray(audit_log.action, ["APPROVE", "REJECT"])))
    .orderBy(desc(audit_log.created_at), desc(audit_log.id))
    .limit(1);
  if (!review) return { last_review: null, changes: [] };
  const reviewed = (review.data_after ?? {}) as Record<string, unknown>;
  const now = event as Record<string, unknown>;
  const changes = REVIEW_DIFF_FIELDS.filter((field) => field in now && JSON.stringify(reviewed[field] ?? null) !== JSON.stringify(now[field] ?? null)).map(
    (field) => ({ field, before: reviewed[field] ?? null, after: now[field] ?? null }),
  );
  return {
    last_review: {
      decision: review.action as "APPROVE" | "REJECT",
      at: review.created_at,
      by: review.user_id,
      comment: typeof reviewed.review_comment === "string" ? reviewed.review_comment : null,
    },
    changes,
  };
}
