import type { Env } from "../env.ts";

/**
 * What the notifications domain reads from the Worker's environment, as
 * `wrangler types` generates it from wrangler.toml (src/env.ts): the
 * providers' locations and the sending knobs ([vars]), their credentials
 * (secrets: TWILIO_AUTH_TOKEN and FCM_SERVICE_ACCOUNT required,
 * CLOUDFLARE_EMAIL_API_TOKEN optional, needed only with the REST transport)
 * and the `send_email` binding. docs/notifications.md describes each.
 */
export type NotificationsConfig = Pick<
  Env,
  | "EMAIL_TRANSPORT" // "binding" (the send_email binding) or "rest" (the Email Sending REST API)
  | "EMAIL_FROM_ADDRESS"
  | "EMAIL_FROM_NAME"
  | "EMAIL_REPLY_TO" // where replies go (the support address); empty for none
  | "CLOUDFLARE_API_BASE_URL"
  | "CLOUDFLARE_ACCOUNT_ID"
  | "CLOUDFLARE_EMAIL_API_TOKEN"
  | "TWILIO_BASE_URL"
  | "TWILIO_ACCOUNT_SID"
  | "TWILIO_AUTH_TOKEN"
  | "SMS_SENDER_IDS" // JSON: sender (alphanumeric ID or number) per destination country, {"BJ": "SpotVibe"}
  | "FCM_BASE_URL"
  | "GOOGLE_OAUTH_TOKEN_URL"
  | "FCM_SERVICE_ACCOUNT" // the Firebase service account key file (JSON: project_id, client_email, private_key, private_key_id)
  | "NOTIFICATION_RETRY_BASE_SECONDS" // first retry delay (doubles each attempt, at most 300 s)
  | "TICKET_LINK_TTL_DAYS"
  | "CAMPAIGN_RATES" // JSON: campaign messages released per second and channel
  | "CAMPAIGN_MAX_RECIPIENTS"
> & {
  /** The Cloudflare Email Service binding (`[[send_email]]`), used when EMAIL_TRANSPORT is "binding"; a deployment sending through the REST API may have none. */
  EMAIL?: SendEmail;
};
