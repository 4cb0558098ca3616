import type { ShopPace } from '../domain/classification.js';
import type { CalendarDate } from '../domain/dates.js';
import type { SkipReason } from '../domain/decisions.js';
import type { NightTargeting } from '../domain/uplift/uplift-report.js';
import type { WarmUpHistory } from '../domain/warm-up.js';
import type { CampaignTally, NightScoring } from './night-work.js';

export interface RunRecorder {
  started(run: { runId: string; asOf: string; startedAt: string; configVersion: number }): Promise<void>;
  finished(summary: NightSummary): Promise<void>;
  failed(run: { runId: string; asOf: string; startedAt: string; error: string }): Promise<void>;
  latest(): Promise<NightSummary | undefined>;
}

export interface NightSummary {
  readonly runId: string;
  readonly asOf: CalendarDate;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly configVersion: number;
  readonly totalSegments: number;
  readonly shopPace: ShopPace;
  readonly customersScanned: number;
  readonly active: number;
  readonly atRisk: number;
  readonly lost: number;
  readonly noOrders: number;
  readonly emailsSent: number;
  /** Emails handed to the send queue (AWS): its sender sends them within minutes. */
  readonly emailsQueued: number;
  /** Emails waiting out the customers' quiet hours; the sender sends them when due. */
  readonly emailsScheduled: number;
  /** Customers in a campaign's holdout: recorded as "would have been sent", sent nothing. */
  readonly heldOut: number;
  readonly sentByCampaign: Record<string, number>;
  readonly campaigns: Record<string, CampaignTally>;
  /** The instant the night was taken to run at (quiet hours and caps are measured from it). */
  readonly nightAt: string;
  /** How customers were classified tonight, and the fitted model when one was used (its version is the run). */
  readonly scoring: NightScoring;
  readonly skipped: Partial<Record<SkipReason, number>>;
  /** Set when the night stopped sending early, e.g. SES paused the account. */
  readonly stoppedBy?: string;
  /** What the deliverability guard held paused tonight: `shop` (all sending) and campaign ids; absent when nothing. */
  readonly paused?: readonly string[];
  /** Per campaign under uplift targeting or Thompson allocation: what was in force and why, what it skipped and saved. */
  readonly targeting?: Readonly<Record<string, NightTargeting>>;
  /** The warm-up: tonight's limit, the customers still waiting for a later night, and the history it grows from. */
  readonly warmUp?: {
    readonly limit: number;
    readonly warmingUp: boolean;
    /** Customers the night would have emailed (or held out) but left for a later night: warm_up plus daily_cap skips. */
    readonly backlog: number;
    /** Sends per sending domain and night, tonight's included, over the lookback window: tomorrow's limit grows from it. */
    readonly history: WarmUpHistory;
  };
}
