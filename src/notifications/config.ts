/**
 * What the notifications domain reads from the Worker's environment: the
 * providers' locations (wrangler.toml [vars]), their credentials (secrets,
 * scripts/secrets.ts), the `send_email` binding, and the sending knobs.
 * docs/notifications.md describes each.
 */
export interface NotificationsConfig {
  /** Cloudflare Email Service binding (`[[send_email]]` in wrangler.toml), used when EMAIL_TRANSPORT is "binding". */
  EMAIL?: SendEmail;
  /** "binding" (the send_email binding) or "rest" (the Email Sending REST API). */
  EMAIL_TRANSPORT: string;
  EMAIL_FROM_ADDRESS: string;
  EMAIL_FROM_NAME: string;
  /** Where replies go (the support address); empty for none. */
  EMAIL_REPLY_TO: string;
  CLOUDFLARE_API_BASE_URL: string;
  CLOUDFLARE_ACCOUNT_ID: string;
  TWILIO_BASE_URL: string;
  TWILIO_ACCOUNT_SID: string;
  /** JSON: sender (alphanumeric ID or number) per destination country, `{"BJ": "SpotVibe", "TN": "SpotVibe"}`. */
  SMS_SENDER_IDS: string;
  FCM_BASE_URL: string;
  GOOGLE_OAUTH_TOKEN_URL: string;
  /** First retry delay of a message a provider could not take (doubles each attempt, at most 300 s). */
  NOTIFICATION_RETRY_BASE_SECONDS: string;
  /** How long the link to a guest's tickets works. */
  TICKET_LINK_TTL_DAYS: string;
  /** JSON: campaign messages released per second and channel, `{"EMAIL": 20, "SMS": 5, "PUSH": 200, "IN_APP": 500}`. */
  CAMPAIGN_RATES: string;
  /** The largest audience a campaign may have (200000). */
  CAMPAIGN_MAX_RECIPIENTS: string;

  /** Secrets. */
  CLOUDFLARE_EMAIL_API_TOKEN: string;
  TWILIO_AUTH_TOKEN: string;
  /** The Firebase service account key file (JSON: project_id, client_email, private_key, private_key_id). */
  FCM_SERVICE_ACCOUNT: string;
}
