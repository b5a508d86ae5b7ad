import { notInArray } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { randomToken } from "../lib/crypto/hash.ts";
import { problems } from "../lib/errors.ts";
import { auditedUpdate, type Actor } from "../site/audit.ts";
import type { ImageType } from "../users/media.ts";
import { events } from "./schema.ts";
import { coverVersion } from "./schemas.ts";
import { findEvent, FROZEN, managedEvent, notEditable, PUBLIC_STATUSES, type EventRow } from "./service.ts";

/**
 * Replaces (or removes, with null) an event's cover. The new object is stored
 * first under a fresh random key; the event row then moves to it through an
 * audited update guarded by `updated_at`, so of two concurrent uploads one wins
 * and the loser's object is deleted; the replaced object goes once the row no
 * longer points at it.
 */
export async function swapEventCover(env: Env, actor: Actor, eventId: string, image: { bytes: Uint8Array; type: ImageType } | null): Promise<EventRow> {
  const event = await managedEvent(env, eventId, actor);
  if (FROZEN.includes(event.status)) throw notEditable(event.status);
  if (!image && !event.cover_image_key) return event;
  const key = image ? `events/${eventId}/cover/${randomToken(18)}` : null;
  if (image && key) await env.MEDIA.put(key, image.bytes, { httpMetadata: { contentType: image.type } });
  try {
    const { after } = await auditedUpdate(getDb(env.DB), actor, events, eventId, { cover_image_key: key }, {
      guard: notInArray(events.status, FROZEN),
      what: "Event",
      description: image ? "set event cover" : "remove event cover",
    });
    if (event.cover_image_key) await env.MEDIA.delete(event.cover_image_key);
    return after;
  } catch (error) {
    if (key) await env.MEDIA.delete(key);
    throw error;
  }
}

/**
 * The key of the cover to serve. Without `v`, only published events' covers, not invitation-only ones'.
 * With `v`, the cover it names whatever the event's status: that versioned URL
 * only ever reaches people allowed to read the event (its organizer previewing
 * a draft, where an image tag sends no token), and a replaced cover's `v` is 404.
 */
export async function readableCoverKey(env: Env, eventId: string, v: string | undefined): Promise<string> {
  const event = await findEvent(env, eventId);
  const key = event?.cover_image_key;
  if (!event || !key) throw problems.notFound("Cover");
  if (v !== undefined ? v !== coverVersion(key) : !PUBLIC_STATUSES.includes(event.status) || event.access_type === "INVITATION") throw problems.notFound("Cover");
  return key;
}
