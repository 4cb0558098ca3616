import pLimit from 'p-limit';
import { emailableConsentStates } from '../domain/customer.js';
import { hashEmail, isDeliverableAddress } from '../domain/email.js';
import type { SendRecord } from '../domain/sends.js';
import type { SuppressionList } from '../ports/suppressions.js';
import type { ActiveConfig } from './active-config.js';
import { composeEmail, deliver, type SendDependencies } from './send-step.js';

export interface SendDueDependencies extends SendDependencies {
  readonly suppressions: SuppressionList;
  readonly config: ActiveConfig;
}

export interface SendDueSummary {
  readonly sent: number;
  /** Scheduled sends that must not go any more: the customer opted out, bounced or was forgotten meanwhile. */
  readonly cancelled: number;
  readonly failed: number;
  readonly stoppedBy?: string;
}

const batchSize = 200;

/**
 * Sends the emails that waited out their customers' quiet hours. Each entry is claimed first (scheduled ->
 * reserved, conditionally), so two senders never send the same one; consent and suppression are checked again,
 * because hours may have passed since the night decided.
 */
export async function sendDue(upTo: Date, deps: SendDueDependencies, concurrency = 8): Promise<SendDueSummary> {
  const config = await deps.config();
  const limit = pLimit(concurrency);
  const totals = { sent: 0, cancelled: 0, failed: 0 };
  let stoppedBy: string | undefined;
  for (;;) {
    const entries = await deps.ledger.due(upTo, batchSize);
    if (entries.length === 0 || stoppedBy) break;
    await Promise.all(
      entries.map((entry) =>
        limit(async () => {
          if (stoppedBy || !(await deps.ledger.claimScheduled(entry))) return;
          const outcome = await sendOne(entry, config, deps);
          if (outcome === 'sent') totals.sent += 1;
          else if (outcome === 'cancelled') totals.cancelled += 1;
          else if (outcome.startsWith('paused:')) stoppedBy ??= outcome.slice('paused:'.length);
          else totals.failed += 1;
        }),
      ),
    );
  }
  return { ...totals, ...(stoppedBy ? { stoppedBy } : {}) };
}

async function sendOne(entry: SendRecord, config: Awaited<ReturnType<ActiveConfig>>, deps: SendDueDependencies): Promise<string> {
  const customer = await deps.customers.get(entry.customerId);
  const campaign = config.campaigns.find((candidate) => candidate.id === entry.campaignId);
  const stillAllowed =
    customer !== undefined &&
    isDeliverableAddress(customer.email) &&
    emailableConsentStates.has(customer.consent.state) &&
    (await deps.suppressions.suppressedAmong([hashEmail(customer.email)])).size === 0;
  if (!stillAllowed || !campaign || !campaign.steps[entry.step]) {
    await deps.ledger.cancelScheduled(entry, stillAllowed ? 'campaign_changed' : 'opted_out');
    return 'cancelled';
  }
  const personalisation = {
    arm: entry.arm ?? 'control',
    offer: (entry.offer as { kind: 'none' | 'percent' | 'fixed_amount' | 'free_shipping'; value: number } | undefined) ?? { kind: 'none' as const, value: 0 },
    offerCode: entry.offerCode ?? '',
    offerExpiresOn: entry.offerExpiresOn ?? '',
  };
  let email;
  try {
    email = composeEmail({ ...customer, email: customer.email! }, campaign, entry, personalisation, config, deps.unsubscribe);
  } catch {
    await deps.ledger.cancelScheduled(entry, 'render_failed');
    return 'cancelled';
  }
  // Recorded as sent when it fell due: on AWS the sender runs every few minutes, and a replayed day keeps its own calendar.
  const sentAt = entry.notBefore ? new Date(entry.notBefore) : deps.clock.now();
  const result = await deliver(entry, email, deps, sentAt);
  if (result.outcome === 'paused') return `paused:${result.errorCode}`;
  // The profile's lastSend and recent emails were set when the night scheduled this email.
  return result.outcome === 'sent' ? 'sent' : 'failed';
}
