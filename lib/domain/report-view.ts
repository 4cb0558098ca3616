import type { CalendarDate } from './dates.js';
import type { DeliverabilityRates } from './deliverability.js';
import type { Verdict } from './report.js';
import type { CalibrationNight, ChurnNight, FeedbackDistribution, Reactivation, ReasonTally } from './report-churn.js';
import type { CampaignUpliftReport } from './uplift/uplift-report.js';

// The campaign report as its readers get it (the CLI, the console, the stored snapshots): plain JSON, built by
// lib/usecases/build-report.ts. Here, below the ports, so that the snapshot store can speak of it.

/** Counts as JSON numbers, money as exact decimal strings with the minor units beside them. */
export interface MetricsView {
  readonly eligible: number;
  readonly heldOut: number;
  readonly sent: number;
  readonly scheduled: number;
  readonly failed: number;
  /** Reserved but never confirmed: SES may have sent them; never resent. */
  readonly unconfirmed: number;
  /** Never sent: the shop's platform did not confirm the coupon code in time (docs/coupons.md). */
  readonly couponUnavailable: number;
  readonly delivered: number;
  readonly bounced: number;
  readonly complained: number;
  readonly opened: number;
  readonly clicked: number;
  readonly unsubscribed: number;
  /** Attributed orders (coupon, click, or the latest email within the attribution window). */
  readonly conversions: number;
  readonly revenue: string;
  readonly revenueMinor: number;
  readonly discountCost: string;
  readonly discountCostMinor: number;
  readonly couponRedemptions: number;
  readonly freeShippingRedemptions: number;
}

export interface GroupView {
  readonly customers: number;
  readonly converted: number;
  readonly rate: number;
  readonly orders: number;
  readonly revenue: string;
  readonly revenueMinor: number;
}

export interface LiftView {
  readonly absolute: number | null;
  readonly relative: number | null;
  readonly ci95: [number, number] | null;
  readonly relativeCi95: [number, number] | null;
  readonly method: string;
  readonly incrementalOrders: number | null;
  readonly incrementalRevenue: { readonly gross: string; readonly discountCost: string; readonly net: string; readonly netMinor: number } | null;
}

export interface DeliverabilityView {
  readonly windowDays: number;
  /** The nights measured; sends before `resumedAt` (an explicit resume) do not count. */
  readonly firstNight: CalendarDate;
  readonly lastNight: CalendarDate;
  readonly resumedAt?: string;
  readonly sent: number;
  readonly bounced: number;
  readonly complained: number;
  readonly bounceRate: number;
  readonly complaintRate: number;
  readonly thresholds: { readonly bounceRatePause: number; readonly complaintRatePause: number; readonly minVolume: number };
  /** paused: a pause is in force; over_threshold: the next night will pause it; below_min_volume: too few sends to judge. */
  readonly state: 'ok' | 'below_min_volume' | 'over_threshold' | 'paused';
  readonly resumed?: { readonly at: string; readonly by: string };
}

export interface PauseView {
  /** `shop` when all sending is paused, which pauses every campaign too. */
  readonly scope: 'shop' | 'campaign';
  readonly at: string;
  readonly reason: string;
  readonly reasons: readonly string[];
  readonly rates: DeliverabilityRates;
}

export interface CampaignReport extends MetricsView {
  readonly id: string;
  readonly name?: string;
  /** false for a campaign that has ledger entries but is no longer in the config. */
  readonly inConfig: boolean;
  readonly enabled?: boolean;
  readonly treated: GroupView;
  readonly holdout: GroupView;
  readonly lift: LiftView;
  readonly verdict: Verdict;
  readonly deliverability: DeliverabilityView;
  /** Present while the campaign does not send: its own pause, or the shop's (all sending). */
  readonly paused?: PauseView;
  readonly byVariant: readonly (MetricsView & {
    readonly variant: string;
    readonly treated?: GroupView;
    readonly lift?: LiftView;
    readonly verdict?: Verdict;
  })[];
  readonly byStep: readonly (MetricsView & { readonly step: number; readonly delayDays?: number })[];
  readonly byNight: readonly (MetricsView & { readonly night: CalendarDate })[];
  /**
   * Uplift targeting and offer sizing (docs/uplift.md): present for a campaign under `targeting: "uplift"` or
   * `allocation: "thompson"`, or whose ledger entries carry decision features.
   */
  readonly uplift?: UpliftView;
}

export interface UpliftView extends CampaignUpliftReport {
  readonly targeting: 'everyone' | 'uplift';
  readonly allocation: 'fixed' | 'thompson';
  readonly marginSaved: string;
  readonly discountSaved: string;
}

/** A new sending domain's warm-up: each night sends at most `limit`, and the rest wait for a later night. */
export interface WarmUpView {
  readonly night: CalendarDate;
  /** The most that night could send (the daily cap once the warm-up is over). */
  readonly limit: number;
  readonly warmingUp: boolean;
  /** Customers that night would have emailed (or held out) but left for a later night, most at stake first. */
  readonly backlog: number;
}

export interface Report {
  readonly generatedAt: string;
  readonly configVersion: number;
  readonly range: { readonly from: CalendarDate | null; readonly to: CalendarDate | null; readonly nights: number };
  readonly attributionWindowDays: number;
  readonly shop: {
    readonly name: string;
    readonly currency: string;
    readonly locale: string;
    readonly timeZone: string;
    readonly deliverability: DeliverabilityView;
    readonly paused?: PauseView;
    /** The sending domain's warm-up as the latest night in range left it; absent before any night ran with it. */
    readonly warmUp?: WarmUpView;
  };
  readonly campaigns: readonly CampaignReport[];
  /** The whole shop over the nights in range (not narrowed by --campaign). */
  readonly churn: ChurnView;
  readonly reasons: ReasonsView;
  readonly notes: Readonly<
    Record<'opened' | 'conversions' | 'lift' | 'discountCost' | 'deliverability' | 'churn' | 'reactivation' | 'calibration' | 'reasons', string>
  >;
}

export interface ChurnView {
  /** Per night with a run record: customers by status and the shares of the customers with orders. */
  readonly nights: readonly ChurnNight[];
  readonly reactivation: Reactivation;
  readonly calibration: {
    readonly maxHorizonDays: number;
    /** The nights whose stored model was compared with what followed; empty while every night used the rule. */
    readonly nights: readonly CalibrationNight[];
  };
}

export interface ReasonGroup extends ReasonTally {
  /** Customers chosen whose purchases are no longer those of that night: they ordered since (their reasons are moot). */
  readonly orderedSince: number;
}

export interface ReasonsView {
  readonly feedback: FeedbackDistribution;
  readonly codes: {
    /** Every customer at risk or lost as of the latest night of record, classified as that night would. */
    readonly now: ReasonTally & { readonly asOf: CalendarDate | null; readonly byStatus: Readonly<Record<'at_risk' | 'lost', ReasonTally>> };
    /** The customers each campaign chose in range, with their reasons as of the night that chose them. */
    readonly byCampaign: readonly (ReasonGroup & { readonly campaignId: string })[];
    readonly byNight: readonly (ReasonGroup & { readonly night: CalendarDate })[];
  };
}
