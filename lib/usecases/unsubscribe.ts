import { verifyUnsubscribeToken } from '../domain/unsubscribe-token.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SendLedger } from '../ports/send-ledger.js';
import type { SuppressionList } from '../ports/suppressions.js';

export interface UnsubscribeDependencies {
  readonly suppressions: SuppressionList;
  readonly customers: CustomerRepository;
  readonly ledger: SendLedger;
  readonly clock: Clock;
  readonly secret: string;
}

/**
 * One-click unsubscribe: honoured at once (the law allows days; we take none). The suppression entry comes first:
 * it alone keeps the address from every future email, even if the customer record is gone. Repeating is harmless.
 */
export async function unsubscribe(token: string, deps: UnsubscribeDependencies): Promise<'unsubscribed' | 'invalid_token'> {
  const claim = verifyUnsubscribeToken(token, deps.secret);
  if (!claim) return 'invalid_token';
  const at = deps.clock.now().toISOString();
  await deps.suppressions.add({ emailHash: claim.emailHash, reason: 'unsubscribed', source: 'unsubscribe_link', at });
  await deps.customers.updateConsent(claim.customerId, { state: 'unsubscribed', source: 'unsubscribe_link', updatedAt: at });
  const latest = (await deps.ledger.sendsOf(claim.customerId))
    .filter((send) => send.campaignId === claim.campaignId && send.status === 'sent')
    .sort((a, b) => ((a.completedAt ?? '') < (b.completedAt ?? '') ? 1 : -1))[0];
  if (latest) await deps.ledger.recordEvent(latest, 'unsubscribed', at);
  return 'unsubscribed';
}
