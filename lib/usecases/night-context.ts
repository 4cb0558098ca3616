import type { CampaignConfig } from '../config/campaign-config.js';
import type { Classification, ShopPace } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import type { PausedScopes } from '../domain/deliverability.js';
import type { ProductStats } from '../domain/recommendations.js';
import type { CustomerPolicy } from '../domain/uplift/night-policy.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { SendBudget } from '../ports/night-work.js';
import type { SuppressionList } from '../ports/suppressions.js';
import type { SendDependencies } from './step-types.js';

export interface SegmentDependencies extends SendDependencies {
  readonly customers: CustomerRepository;
  readonly suppressions: SuppressionList;
}

/** Scores a customer for the night: the cadence rule, or the fitted model when the night has one. */
export type Scorer = (customer: Customer) => Classification;

export interface NightContext {
  readonly runId: string;
  readonly asOf: string;
  /** The night's instant: quiet hours, caps and cooldowns are measured from it. */
  readonly nightAt: Date;
  readonly config: CampaignConfig;
  readonly pace: ShopPace;
  readonly score?: Scorer;
  readonly totalSegments: number;
  readonly sendConcurrency: number;
  /** Shared by the segments: sending stops for everyone when SES pauses the account. */
  readonly stop: { reason?: string };
  /** Shared by the segments: sends left under the shop's daily cap (in memory locally, in the run's record on AWS). */
  readonly budget: SendBudget;
  /** What the deliverability guard holds paused tonight: those campaigns neither send nor hold out. */
  readonly paused?: PausedScopes;
  /** Uplift targeting and offer sizing, from the night's plan (docs/uplift.md); absent, every campaign emails everyone eligible. */
  readonly policy?: CustomerPolicy;
  /** What the shop sells and what sells together (from the night's sample): the emails' recommendations. */
  readonly products?: ProductStats;
  /** While warming up: customers with less value at stake wait for a later night (skipped as `warm_up`). */
  readonly warmUpMinValueMinor?: number;
  /** Set for a preview: nothing is reserved, sent or logged; one sample email per campaign and variant is kept. */
  readonly samples?: Record<string, { to: string; subject: string; html: string; text: string }>;
}

/** The budget of one process: every segment of a local night runs in it. */
export function memoryBudget(cap: number): SendBudget {
  let remaining = cap;
  return {
    take: async () => {
      if (remaining <= 0) return false;
      remaining -= 1;
      return true;
    },
    giveBack: async () => {
      remaining += 1;
    },
  };
}
