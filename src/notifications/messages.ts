import type { CHANNELS } from "./schema.ts";
import type { TemplateKey } from "./templates.ts";

/** A message on the `notifications` queue: render `template` in `language` and deliver it on `channel`. */
export interface DeliverMessage {
  kind: "deliver";
  dedupe_key: string; // the consumer records each key once, whatever the redeliveries
  channel: (typeof CHANNELS)[number];
  recipient: string;
  user_id: string | null;
  template: TemplateKey;
  language: "fr" | "ar" | "en";
  data: Record<string, string>;
}

export type QueueMessage = DeliverMessage;
