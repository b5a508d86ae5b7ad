import type { Env } from "../env.ts";
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
