import type { NightModel, ShopPace } from '../domain/classification.js';
import type { PolicyPlan } from '../domain/uplift/night-policy.js';
import type { NightScoring } from '../usecases/run-night.js';
import type { SendBudget } from '../usecases/night-context.js';
import type { SegmentTally } from '../usecases/segment-tally.js';

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
