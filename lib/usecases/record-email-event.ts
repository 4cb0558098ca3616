import { hashEmail } from '../domain/email.js';
import type { EmailEvent, EmailEventType } from '../domain/email-events.js';
import type { RecordedEmailEvent } from '../domain/sends.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SendLedger } from '../ports/send-ledger.js';
import type { Suppression, SuppressionList } from '../ports/suppressions.js';

export interface EmailEventDependencies {
  readonly ledger: SendLedger;
  readonly suppressions: SuppressionList;
  readonly customers: CustomerRepository;
}

const recordedAs: Partial<Record<EmailEventType, RecordedEmailEvent>> = {
  Delivery: 'delivered',
  Bounce: 'bounced',
  Complaint: 'complained',
  Open: 'opened',
  Click: 'clicked',
  Reject: 'rejected',
  DeliveryDelay: 'delayed',
  'Rendering Failure': 'renderingFailed',
  Subscription: 'unsubscribed',
};

export interface EmailEventResult {
  /** False when the message is not one of ours (or its send is gone): the event is still acted on for suppression. */
  readonly matchedSend: boolean;
  readonly suppressed: number;
}

/**
 * Records an SES event against its send, and protects the sender's reputation at once: a permanent bounce or a
 * complaint suppresses the address (a transient bounce does not); a complaint or an unsubscribe also withdraws
 * consent. Every step is idempotent, so EventBridge redelivering the same event changes nothing.
 */
export async function recordEmailEvent(event: EmailEvent, deps: EmailEventDependencies): Promise<EmailEventResult> {
  const send = await deps.ledger.findByMessageId(event.messageId);
  // SES's bounce rate counts hard bounces only; a transient one is kept apart so the guard counts as SES does.
  const recorded = event.type === 'Bounce' && event.bounce?.type !== 'Permanent' ? 'softBounced' : recordedAs[event.type];
  if (send && recorded && !(event.type === 'Subscription' && !event.subscription?.unsubscribedAll)) {
    await deps.ledger.recordEvent(send, recorded, event.at);
  }

  const reason = suppressionReason(event);
  if (!reason) return { matchedSend: send !== undefined, suppressed: 0 };
  for (const address of event.recipients) {
    await deps.suppressions.add({ emailHash: hashEmail(address), reason, source: `ses:${event.type}`, at: event.at });
  }
  if (reason !== 'bounced' && send) {
    await deps.customers.updateConsent(send.customerId, {
      state: 'unsubscribed',
      source: reason === 'complained' ? 'complaint' : 'ses_subscription',
      updatedAt: event.at,
    });
  }
  return { matchedSend: send !== undefined, suppressed: event.recipients.length };
}

function suppressionReason(event: EmailEvent): Suppression['reason'] | undefined {
  if (event.type === 'Bounce' && event.bounce?.type === 'Permanent') return 'bounced';
  if (event.type === 'Complaint') return 'complained';
  if (event.type === 'Subscription' && event.subscription?.unsubscribedAll) return 'unsubscribed';
  return undefined;
}
