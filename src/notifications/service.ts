import type { Env } from "../env.ts";
import type { DeliverMessage } from "./messages.ts";

/** Puts a message on the notifications queue; delivery is asynchronous and idempotent per dedupe key. */
export async function sendMessage(env: Env, message: Omit<DeliverMessage, "kind">): Promise<void> {
  await env.NOTIFICATIONS.send({ kind: "deliver", ...message });
}
