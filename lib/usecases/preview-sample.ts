import type { SkipReason } from '../domain/decisions.js';
import type { CampaignTally } from '../ports/night-work.js';
import type { NightSummary } from '../ports/runs.js';

/**
 * How a preview that must answer in time (the admin API's, inside API Gateway's 30 seconds) covers a large shop:
 * it scans in small segments and, when time runs out, estimates the night from the segments it finished. DynamoDB
 * spreads a parallel scan's segments over the hashed key space, so each finished segment is a uniform random share
 * of the customers, and the share scanned is known exactly (segments finished / segments), whatever the table's
 * item count says.
 */

/** Customers per segment in a preview that may stop early: small enough that the finished ones are a fine sample. */
const customersPerPreviewSegment = 2_000;
const maxPreviewSegments = 1_000;

export function previewSegmentsFor(customerCount: number, nightSegments: number): number {
  return Math.min(maxPreviewSegments, Math.max(nightSegments, Math.ceil(customerCount / customersPerPreviewSegment)));
}

/** What a preview covered: all of the shop (its counts are the night's) or a share (its counts are estimates). */
export interface PreviewCoverage {
  readonly complete: boolean;
  readonly segmentsScanned: number;
  readonly totalSegments: number;
  /** segmentsScanned / totalSegments: the share of customers the counts were estimated from. */
  readonly fraction: number;
  /** Customers actually scanned (the summary's `customersScanned` is the estimate for the whole shop). */
  readonly customersScanned: number;
}

/** The counts of a night's summary that a sample scales; everything else in the summary is the night's own. */
export type SampledCounts = Pick<
  NightSummary,
  | 'customersScanned'
  | 'active'
  | 'atRisk'
  | 'lost'
  | 'noOrders'
  | 'emailsSent'
  | 'emailsQueued'
  | 'emailsScheduled'
  | 'heldOut'
  | 'sentByCampaign'
  | 'campaigns'
  | 'skipped'
>;

/**
 * The whole shop's counts from a sample holding `fraction` of its customers. Emails are what the sample wanted to
 * send (sent, or refused by the daily cap) scaled up, then held to the cap: when the estimate is over it, every
 * campaign keeps the same share of the cap and the rest is counted as `daily_cap`. The night itself fills the cap
 * in priority order, so under a binding cap the split between campaigns is an approximation.
 */
export function estimateFromSample<T extends SampledCounts>(sample: T, fraction: number, dailySendCap: number): T {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction: expected a share above 0 and at most 1, got ${fraction}`);
  const up = (value: number) => Math.round(value / fraction);
  const sending = sample.emailsSent + sample.emailsQueued + sample.emailsScheduled;
  const wanted = (sending + (sample.skipped.daily_cap ?? 0)) / fraction;
  const allowed = Math.min(wanted, dailySendCap);
  // Each email counted as sending stands for this many in the whole shop, the cap applied.
  const perSending = sending > 0 ? allowed / sending : 0;
  const emails = (value: number) => Math.round(value * perSending);
  const campaigns = Object.fromEntries(
    Object.entries(sample.campaigns).map(([id, campaign]) => [
      id,
      {
        sent: emails(campaign.sent),
        queued: emails(campaign.queued),
        scheduled: emails(campaign.scheduled),
        heldOut: up(campaign.heldOut),
        byVariant: Object.fromEntries(Object.entries(campaign.byVariant).map(([arm, value]) => [arm, emails(value)])),
      } satisfies CampaignTally,
    ]),
  );
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const [reason, value] of Object.entries(sample.skipped) as [SkipReason, number][]) if (reason !== 'daily_cap') skipped[reason] = up(value);
  const capped = Math.round(wanted - allowed);
  if (capped > 0) skipped.daily_cap = capped;
  return {
    ...sample,
    customersScanned: up(sample.customersScanned),
    active: up(sample.active),
    atRisk: up(sample.atRisk),
    lost: up(sample.lost),
    noOrders: up(sample.noOrders),
    emailsSent: emails(sample.emailsSent),
    emailsQueued: emails(sample.emailsQueued),
    emailsScheduled: emails(sample.emailsScheduled),
    heldOut: up(sample.heldOut),
    sentByCampaign: Object.fromEntries(Object.entries(campaigns).map(([id, campaign]) => [id, campaign.sent + campaign.queued])),
    campaigns,
    skipped,
  };
}
