import { closeSocketsOfEndedSession } from "./access/gate-sessions.ts";
import { ticketContentForMessage } from "./access/ticket-links.ts";
import { refreshGroupAtGates } from "./access/zone-overrides.ts";
import { sessionEnded } from "./auth/hooks.ts";
import { syncChangedEvent } from "./catalog/configurations.ts";
import { eventApproved, eventCancelled, eventChanged } from "./events/hooks.ts";
import { documentsForMessage } from "./documents/messages.ts";
import { hooksWired } from "./lib/hooks.ts";
import { tellHoldersOfCancelledEvent } from "./notifications/event-cancellation.ts";
import { ticketDocumentsForMessage, ticketsForMessage } from "./notifications/hooks.ts";
import { cancelSalesOfCancelledEvent } from "./orders/event-cancellation.ts";
import { cancelRefundedOrder, confirmPaidOrder, releaseUnpaidOrder } from "./orders/settlement.ts";
import { groupMembersChanged } from "./organizations/hooks.ts";
import { cancelRefundedPass } from "./passes/lifecycle.ts";
import { passPaymentPaid } from "./passes/paid.ts";
import { issueRightsForNewEvent } from "./passes/rights.ts";
import { orderPaid, orderPaymentFailed, orderRefunded, passPaid, passRefunded } from "./payments/hooks.ts";
import { refundOnCancellation } from "./payments/refunds.ts";

/**
 * The one place where domains' reactions to each other are attached
 * (src/lib/hooks.ts): the domain that causes a change emits its hook, and
 * never imports the domains that react. Loaded by src/index.ts before anything
 * runs; docs/architecture.md lists these hooks. Handlers of one hook run in
 * the order attached here.
 */

// auth → access
sessionEnded.on(closeSocketsOfEndedSession);

// events → catalog, passes, orders, notifications, payments
eventChanged.on(syncChangedEvent);
eventApproved.on(({ env, event }) => issueRightsForNewEvent(env, event.id).then(() => undefined));
// Every order and right cancelled first, then their holders told, then the paid orders refunded.
eventCancelled.on(cancelSalesOfCancelledEvent);
eventCancelled.on(tellHoldersOfCancelledEvent);
eventCancelled.on(refundOnCancellation);

// payments → orders, passes
orderPaid.on(confirmPaidOrder);
passPaid.on(passPaymentPaid);
orderPaymentFailed.on(releaseUnpaidOrder);
orderRefunded.on(cancelRefundedOrder);
passRefunded.on(cancelRefundedPass);

// notifications → access, documents: a ticket message's QR codes and the guest's link; its PDF and wallet links
ticketsForMessage.on(({ env, userId, ref }) => ticketContentForMessage(env, userId, ref));
ticketDocumentsForMessage.on(documentsForMessage);

// organizations → access
groupMembersChanged.on(refreshGroupAtGates);

hooksWired();
