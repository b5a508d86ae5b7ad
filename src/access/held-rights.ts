import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import type { RightView } from "../../durable-objects/event/contract.ts";
import { eventStub } from "../../durable-objects/event/client.ts";
import { getDb } from "../db/client.ts";
import { problems } from "../lib/errors.ts";
import { access_rights } from "./schema.ts";

/** A right admits (or lets out and back in) only in these states; any other has no QR and no document. */
export const QR_STATUSES: readonly string[] = ["ENABLED", "USED"];

/**
 * The caller's own right, live from its event's Durable Object (the owner of
 * its status and holder); D1 only says which event it belongs to. Someone
 * else's right, or one D1 has not seen yet, is a 404.
 */
export async function heldRight(env: Env, userId: string, rightId: string): Promise<RightView> {
  const [row] = await getDb(env.DB)
    .select({ event_id: access_rights.event_id, user_id: access_rights.user_id })
    .from(access_rights)
    .where(eq(access_rights.id, rightId))
    .limit(1);
  if (!row || row.user_id !== userId) throw problems.notFound("Access right");
  const right = (await eventStub(env, row.event_id).listRights({ user_id: userId })).find((r) => r.id === rightId);
  if (!right) throw problems.notFound("Access right");
  return right;
}

export const rightInactive = (status: string) => problems.conflict("access_right_inactive", `This access right is ${status}: it has no QR code.`);
