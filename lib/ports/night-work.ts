import type { LifecycleStatus, NightModel, ShopPace } from '../domain/classification.js';
import type { SkipReason } from '../domain/decisions.js';
import type { ProductStats } from '../domain/recommendations.js';
import type { AnyFittedModel } from '../domain/scoring/types.js';
import type { PolicyPlan } from '../domain/uplift/night-policy.js';
import type { WarmUpHistory } from '../domain/warm-up.js';

/** What a fanned-out night decides once, before any customer, so that every segment worker agrees. */
export interface NightPlan {
  readonly runId: string;
  readonly asOf: string;
  readonly nightAt: string;
  readonly startedAt: string;
  readonly configVersion: number;
  readonly totalSegments: number;
  readonly dailySendCap: number;
  readonly pace: ShopPace;
  readonly scoring: NightScoring;
  readonly model?: NightModel;
  /** Per campaign under uplift targeting or Thompson allocation: what is in force tonight, the model, the offer shares. */
  readonly policy?: PolicyPlan;
  /** The deliverability guard's pauses at the start of the night. */
  readonly paused: { readonly shop: boolean; readonly campaigns: readonly string[] };
  /** What the shop sells and what sells together, from the night's sample of latest orders. */
  readonly products?: ProductStats;
  /** The warm-up in force tonight (dailySendCap is already its limit); absent when it is off. */
  readonly warmUp?: NightWarmUp;
}

export interface NightWarmUp {
  /** The most emails tonight may send: the lowest of the sending domains' warm-up limits, at most the daily cap. */
  readonly limit: number;
  readonly warmingUp: boolean;
  /** Customers with less value at stake wait for a later night; absent when every candidate fits the limit. */
  readonly minValueAtStakeMinor?: number;
  /** Sends per domain and night before tonight (the lookback window), carried from night to night in the run record. */
  readonly history: WarmUpHistory;
  /** The sending domain of each enabled campaign, and the lookback: the summary adds tonight's sends to the history. */
  readonly campaignDomains: Readonly<Record<string, string>>;
  readonly lookbackDays: number;
}

/** The shared state of a night whose segments run in separate invocations (on AWS, a Step Functions Map). */
export interface NightWork {
  savePlan(plan: NightPlan): Promise<void>;
  plan(runId: string): Promise<NightPlan | undefined>;
  /**
   * One invocation's tally, keyed by its segment and the cursor it started from: a retried invocation replaces the
   * tally of the attempt it repeats instead of adding to it.
   */
  saveTally(runId: string, segment: number, startCursor: string | undefined, tally: SegmentTally): Promise<void>;
  tallies(runId: string): Promise<SegmentTally[]>;
  /** The night's daily cap, counted atomically across every worker. */
  budget(runId: string, cap: number): SendBudget;
}

export interface NightScoring {
  readonly policy: 'rule' | 'model' | 'auto';
  readonly used: 'rule' | 'model';
  /** Why the rule was used under `model` or `auto` (too little history, a fit that did not converge ...). */
  readonly reason?: string;
  readonly sampleSize: number;
  readonly repeatCustomers: number;
  readonly model?: AnyFittedModel;
  readonly spendModel?: AnyFittedModel;
  /** The night whose sample the model was fitted on: tonight's, or an earlier night's fit still fresh (`refitAfterDays`). */
  readonly fittedAsOf?: string;
  /** The shop's approximate number of customers when the model was fitted: a shop a tenth larger or smaller refits. */
  readonly shopSize?: number;
}

/**
 * The shop's daily cap as the segments share it. `take` answers whether one more email may go; `giveBack` returns
 * a send that did not happen (already sent, rejected), so the cap counts emails, not attempts.
 */
export interface SendBudget {
  take(): Promise<boolean>;
  giveBack(): Promise<void>;
}

/** What a campaign's targeting counted tonight (summed over the segments). */
export interface TargetingTally {
  skipped: { sure_thing: number; lost_cause: number; do_not_disturb: number };
  explored: number;
  marginSavedMinor: number;
  discountSavedMinor: number;
}

export interface CampaignTally {
  sent: number;
  /** Handed to the send queue (AWS): the queue's sender sends them within minutes. */
  queued: number;
  scheduled: number;
  heldOut: number;
  byVariant: Record<string, number>;
  /** Under uplift targeting: customers skipped or explored, and what the skips saved. */
  targeting?: TargetingTally;
}

export interface SegmentTally {
  customersScanned: number;
  statuses: Record<LifecycleStatus, number>;
  emailsSent: number;
  queued: number;
  scheduled: number;
  heldOut: number;
  skipped: Partial<Record<SkipReason, number>>;
  campaigns: Record<string, CampaignTally>;
}
