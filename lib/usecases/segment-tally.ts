import type { SkipReason } from '../domain/decisions.js';
import type { SegmentTally } from '../ports/night-work.js';
import type { StepResult } from './step-types.js';

export function emptyTally(): SegmentTally {
  return {
    customersScanned: 0,
    statuses: { active: 0, at_risk: 0, lost: 0, no_orders: 0 },
    emailsSent: 0,
    queued: 0,
    scheduled: 0,
    heldOut: 0,
    skipped: {},
    campaigns: {},
  };
}

export function tallyStep(tally: SegmentTally, campaignId: string, arm: string, result: StepResult): void {
  const campaign = (tally.campaigns[campaignId] ??= { sent: 0, queued: 0, scheduled: 0, heldOut: 0, byVariant: {} });
  switch (result.outcome) {
    case 'sent':
      tally.emailsSent += 1;
      campaign.sent += 1;
      campaign.byVariant[arm] = (campaign.byVariant[arm] ?? 0) + 1;
      return;
    case 'queued':
      tally.queued += 1;
      campaign.queued += 1;
      campaign.byVariant[arm] = (campaign.byVariant[arm] ?? 0) + 1;
      return;
    case 'scheduled':
      tally.scheduled += 1;
      campaign.scheduled += 1;
      campaign.byVariant[arm] = (campaign.byVariant[arm] ?? 0) + 1;
      return;
    case 'held_out':
      tally.heldOut += 1;
      campaign.heldOut += 1;
      return;
    case 'paused':
      return countSkip(tally, 'sending_paused');
    case 'skipped':
      return countSkip(tally, result.reason);
  }
}

export function countSkip(tally: SegmentTally, reason: SkipReason, by = 1): void {
  if (by > 0) tally.skipped[reason] = (tally.skipped[reason] ?? 0) + by;
}
