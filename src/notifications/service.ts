import { eq } from "drizzle-orm";
import type { Env } from "../env.ts";
import { getDb } from "../db/client.ts";
import { users } from "../users/schema.ts";
import type { DeliverMessage } from "./messages.ts";
import type { TemplateKey } from "./templates.ts";

/** Puts a message on the notifications queue; delivery is asynchronous and idempotent per dedupe key. */
export async function sendMessage(env: Env, message: Omit<DeliverMessage, "kind">): Promise<void> {
  await env.NOTIFICATIONS.send({ kind: "deliver", ...message });
}

/**
 * The usual pair for an account: in the app and by email, in the person's
 * language, each once per `key` (the decision or payment that caused it).
 */
export async function notifyAccount(
  env: Env,
  user: { id: string; email: string; language: DeliverMessage["language"]; first_name: string },
  template: TemplateKey,
  data: Record<string, string>,
  key: string,
): Promise<void> {
  const message = { user_id: user.id, template, language: user.language, data: { first_name: user.first_name, ...data } };
  await Promise.all([
    sendMessage(env, { ...message, dedupe_key: `${key}:in-app`, channel: "IN_APP", recipient: user.id }),
    sendMessage(env, { ...message, dedupe_key: `${key}:email`, channel: "EMAIL", recipient: user.email }),
  ]);
}

/** `notifyAccount` for an account known by its id; nothing when it is gone. */
export async function notifyUser(env: Env, userId: string, template: TemplateKey, data: Record<string, string>, key: string): Promise<void> {
  const [user] = await getDb(env.DB)
    .select({ id: users.id, email: users.email, language: users.language, first_name: users.first_name })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  if (user) await notifyAccount(env, user, template, data, key);
}
