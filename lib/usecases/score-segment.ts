import pLimit from 'p-limit';
import type { CampaignConfig } from '../config/campaign-config.js';
import { classify, type LifecycleStatus, type ShopPace } from '../domain/classification.js';
import { decide, type SkipReason } from '../domain/decisions.js';
import { hashEmail } from '../domain/email.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SuppressionList } from '../ports/suppressions.js';
import { sendStep, type SendDependencies, type SendRequest } from './send-step.js';

export interface SegmentDependencies extends SendDependencies {
  readonly customers: CustomerRepository;
  readonly suppressions: SuppressionList;
}

export interface NightContext {
  readonly runId: string;
  readonly asOf: string;
  readonly config: CampaignConfig;
  readonly pace: ShopPace;
  readonly totalSegments: number;
  readonly sendConcurrency: number;
  /** Set when sending must stop for everyone (SES paused the account): segments finish their page and stop. */
  readonly stop: { reason?: string };
}

export interface SegmentTally {
  customersScanned: number;
  statuses: Record<LifecycleStatus, number>;
  emailsSent: number;
  skipped: Partial<Record<SkipReason, number>>;
  sentByCampaign: Record<string, number>;
}

export function emptyTally(): SegmentTally {
  return { customersScanned: 0, statuses: { active: 0, at_risk: 0, lost: 0, no_orders: 0 }, emailsSent: 0, skipped: {}, sentByCampaign: {} };
}

/**
 * One scan segment, page by page: classify, decide, check suppression, then reserve and send. Only one page of
 * customers is in memory at a time, so a segment's memory does not grow with the customer base.
 */
export async function scoreSegment(segment: number, night: NightContext, deps: SegmentDependencies): Promise<SegmentTally> {
  const tally = emptyTally();
  const limit = pLimit(night.sendConcurrency);
  let cursor: string | undefined;
  do {
    const page = await deps.customers.scanPage({ segment, totalSegments: night.totalSegments, ...(cursor ? { cursor } : {}) });
    cursor = page.nextCursor;
    count(tally, 'unreadable_record', page.unreadable);

    const candidates: (SendRequest & { priority: number })[] = [];
    for (const customer of page.customers) {
      tally.customersScanned += 1;
      const classification = classify(customer, night.asOf, night.pace, night.config.classification, night.config.shop.timeZone);
      tally.statuses[classification.status] += 1;
      const decision = decide(customer, classification, night.config, night.asOf);
      if (decision.kind === 'skip') count(tally, decision.reason);
      else {
        candidates.push({
          customer: customer as SendRequest['customer'],
          campaign: decision.campaign,
          episode: decision.episode,
          step: decision.step,
          runId: night.runId,
          asOf: night.asOf,
          priority: classification.priority,
        });
      }
    }
    // Most valuable first, so a night that has to stop early has spent its sends where they matter most.
    candidates.sort((a, b) => b.priority - a.priority);

    const suppressed = await deps.suppressions.suppressedAmong(candidates.map((candidate) => hashEmail(candidate.customer.email)));
    await Promise.all(
      candidates.map((candidate) =>
        limit(async () => {
          if (suppressed.has(hashEmail(candidate.customer.email))) return count(tally, 'suppressed');
          if (night.stop.reason) return count(tally, 'sending_paused');
          const result = await sendStep(candidate, night.config, deps);
          if (result.outcome === 'sent') {
            tally.emailsSent += 1;
            tally.sentByCampaign[candidate.campaign.id] = (tally.sentByCampaign[candidate.campaign.id] ?? 0) + 1;
          } else if (result.outcome === 'paused') {
            night.stop.reason ??= result.errorCode;
            count(tally, 'sending_paused');
          } else {
            count(tally, result.reason);
          }
        }),
      ),
    );
  } while (cursor);
  return tally;
}

function count(tally: SegmentTally, reason: SkipReason, by = 1): void {
  if (by > 0) tally.skipped[reason] = (tally.skipped[reason] ?? 0) + by;
}
