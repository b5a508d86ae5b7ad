import { createRoute, z } from "@hono/zod-openapi";
import { eq, sql } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { problems } from "../lib/errors.ts";
import { humanCode, newId } from "../lib/ids.ts";
import { createRouter } from "../lib/openapi.ts";
import { errors } from "../problem-codes.ts";
import { event_shares, events, SHARE_PLATFORMS } from "./schema.ts";
import { findEvent } from "./service.ts";

/** 32^8 ≈ 10^12 codes: a collision is rare, and retried. */
const CODE_LENGTH = 8;
const CODE_ATTEMPTS = 4;
const CODE = /^[A-HJ-NP-Za-hj-np-z2-9]{8}$/;

/** The tracked link of a share, on this Worker's configured public origin (`PUBLIC_API_URL`), never the request's Host. */
export const shareUrl = (env: Env, code: string) => new URL(`/s/${code}`, env.PUBLIC_API_URL).toString();

/**
 * Records a share of an APPROVED event on a platform and returns its tracked
 * link; the share row and the event's share counter are written in one batch.
 */
export async function createShare(env: Env, userId: string, eventId: string, platform: (typeof SHARE_PLATFORMS)[number]) {
  const event = await findEvent(env, eventId);
  if (!event) throw problems.notFound("Event");
  if (event.status !== "APPROVED") throw problems.conflict("event_not_shareable", `A ${event.status} event cannot be shared.`);
  // Its page is 404 to everyone but its guests: a public link would lead nowhere.
  if (event.access_type === "INVITATION") throw problems.conflict("event_not_shareable", "An invitation-only event cannot be shared.");
  const db = getDb(env.DB);
  for (let attempt = 1; ; attempt++) {
    try {
      const [[share]] = await db.batch([
        db.insert(event_shares).values({ id: newId(), user_id: userId, event_id: eventId, platform, code: humanCode(CODE_LENGTH) }).returning(),
        // Counters do not bump updated_at: a share must not look like an edit to the organizer's next save.
        db
          .update(events)
          .set({ share_count: sql`${events.share_count} + 1`, updated_at: sql`${events.updated_at}` })
          .where(eq(events.id, eventId)),
      ]);
      return share!;
    } catch (error) {
      if (attempt < CODE_ATTEMPTS && isUniqueViolation(error, "event_shares.code")) continue;
      throw error;
    }
  }
}

/**
 * Where a share link leads: EVENT_PAGE_URL with the event id, a relative one
 * resolved against the configured public origin (`PUBLIC_API_URL`): the
 * request's Host header is the client's to choose, so a redirect built from
 * it could send people anywhere.
 */
export const eventPageUrl = (env: Env, eventId: string) => new URL(env.EVENT_PAGE_URL.replace("{event_id}", encodeURIComponent(eventId)), env.PUBLIC_API_URL).toString();

/** `/s/{code}`, outside /v1: the short link people click. Mounted at the root by the app. */
export function shareLinkRoutes() {
  const r = createRouter();
  r.openapi(
    createRoute({
      method: "get",
      path: "/s/{code}",
      operationId: "followShareLink",
      tags: ["Events"],
      summary: "Follow a share link",
      description: "Counts the click and redirects (302) to the event's page (`EVENT_PAGE_URL`, a relative one resolved against `PUBLIC_API_URL`, never the request's Host). Codes are case-insensitive. Never cached, so every click is counted.",
      request: {
        params: z.object({
          code: z
            .string()
            .regex(CODE, { message: "Not a share code." })
            .openapi({ param: { name: "code", in: "path" }, example: "K7QX2M9D" }),
        }),
      },
      responses: { 302: { description: "To the event page (`Location`)." }, ...errors("not_found") },
    }),
    async (c) => {
      const code = c.req.valid("param").code.toUpperCase();
      // One statement: the click is counted exactly when the code exists.
      const [share] = await getDb(c.env.DB)
        .update(event_shares)
        .set({ click_count: sql`${event_shares.click_count} + 1` })
        .where(eq(event_shares.code, code))
        .returning({ event_id: event_shares.event_id });
      if (!share) throw problems.notFound("Share link");
      c.header("Cache-Control", "no-store");
      return c.redirect(eventPageUrl(c.env, share.event_id), 302);
    },
  );
  return r;
}
