/**
 * Messages on the `notifications` queue. Producers write the deliveries to
 * D1 first (message_deliveries, PENDING), then name them here, so a message
 * carries ids only and a lost queue send is recovered by the cron (cron.ts).
 * - `deliver`: send these deliveries (at most DELIVER_IDS_PER_MESSAGE);
 * - `campaign`: run step `step` of a campaign (campaigns.ts);
 * - `event_cancelled`: tell the next holders of a cancelled event, those
 *   after user id `after` (event-cancellation.ts).
 */
export interface DeliverMessage {
  kind: "deliver";
  ids: string[];
}

export interface CampaignMessage {
  kind: "campaign";
  batch_id: string;
  step: number;
}

export interface EventCancelledMessage {
  kind: "event_cancelled";
  event_id: string;
  after: string;
}

export type QueueMessage = DeliverMessage | CampaignMessage | EventCancelledMessage;

/** Ids per queue message: a consumer batch (50 messages) then stays well inside one invocation's subrequests. */
export const DELIVER_IDS_PER_MESSAGE = 5;
