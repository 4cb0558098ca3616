/**
 * The report's view of uplift targeting and offer sizing for one campaign (issue 28, item 7): uplift by segment with
 * intervals, which offer wins where, the customers not emailed and why, the margin and discount the targeting saved.
 * Pure: the report hands in the ledger units (with their decision features), their orders, the decision log's skips and
 * the run records' per-night targeting summaries.
 */
import { type DiscountEstimate, newcombeInterval, type ReportOrder, unitOutcome, z95 } from '../report.js';
import { type LedgerUnit, offerSegment } from './ledger-training.js';
import { type ArmStats, addToArm, allocateOffers, emptyArm } from './offer-allocation.js';
import { type TargetingSkipReason, targetingSkipReasons } from './targeting.js';

/** What a night records per campaign about its targeting (NightSummary.targeting). */
export interface NightTargeting {
  readonly targeting: 'everyone' | 'uplift';
  readonly used: 'everyone' | 'uplift';
  readonly reason?: string;
  readonly cvQini?: number;
  readonly treated: number;
  readonly control: number;
  /** Skipped tonight by reason, chosen for exploration, and the expected margin and discount the skips saved. */
  readonly skipped?: Partial<Record<TargetingSkipReason, number>>;
  readonly explored?: number;
  readonly marginSavedMinor?: number;
  readonly discountSavedMinor?: number;
  /** Under `thompson`: per segment, the leading variant and the shares tonight assigned by. */
  readonly offers?: Readonly<Record<string, { readonly leader: string; readonly shares: Readonly<Record<string, number>> }>>;
}

export interface SegmentUplift {
  readonly segment: string;
  readonly treated: { readonly customers: number; readonly converted: number };
  readonly holdout: { readonly customers: number; readonly converted: number };
  /** Conversion rate treated minus holdout, with Newcombe's 95% interval; null without both groups. */
  readonly uplift: number | null;
  readonly ci95: readonly [number, number] | null;
}

export interface OfferRow {
  readonly variant: string;
  readonly customers: number;
  /** Margin per customer (order margin minus discount, over every customer sent to), minor units. */
  readonly marginPerCustomerMinor: number;
  /** Against the holdout's margin per customer, with a normal 95% interval; null without a holdout. */
  readonly incrementalMinor: number | null;
  readonly ci95Minor: readonly [number, number] | null;
  readonly winProbability: number;
  readonly discountGivenMinor: number;
}

export interface SegmentOffers {
  readonly segment: string;
  readonly leader: string;
  readonly variants: readonly OfferRow[];
}

export interface CampaignUpliftReport {
  readonly bySegment: readonly SegmentUplift[];
  readonly offers: readonly SegmentOffers[];
  /** Distinct customers the decision log shows skipped by uplift targeting, by reason. */
  readonly notEmailed: Readonly<Record<TargetingSkipReason, number>>;
  /** Summed over the nights of record: nights that targeted by uplift, fell back, explored, and what the skips saved. */
  readonly nights: {
    readonly uplift: number;
    readonly everyone: number;
    readonly explored: number;
    readonly marginSavedMinor: number;
    readonly discountSavedMinor: number;
  };
  /** The latest night's plan: what it used and why. */
  readonly latest?: NightTargeting & { readonly night: string };
}

interface ArmTally extends ArmStats {
  converted: number;
  discountMinor: number;
}

export function campaignUpliftReport(input: {
  readonly units: readonly LedgerUnit[];
  readonly ordersOf: (customerId: string) => readonly ReportOrder[];
  readonly windowDays: number;
  readonly marginPercent: number;
  readonly estimate: DiscountEstimate;
  readonly skips: readonly { readonly customerId: string; readonly reason?: string }[];
  readonly nights: readonly { readonly night: string; readonly targeting: NightTargeting | undefined }[];
  readonly seed?: number;
  readonly minVariantShare?: number;
}): CampaignUpliftReport {
  const segments = new Map<string, Map<string, ArmTally>>();
  for (const unit of input.units) {
    const outcome = unitOutcome({ ...unit, holdout: !unit.treated }, input.ordersOf(unit.customerId), input.windowDays, input.estimate);
    const segment = offerSegment(unit.features);
    const arms = segments.get(segment) ?? new Map<string, ArmTally>();
    segments.set(segment, arms);
    const key = unit.treated ? unit.arm : 'holdout';
    const previous = arms.get(key) ?? { ...emptyArm(), converted: 0, discountMinor: 0 };
    const margin = (outcome.revenueMinor * input.marginPercent) / 100 - outcome.discountMinor;
    arms.set(key, {
      ...addToArm(previous, margin),
      converted: previous.converted + (outcome.converted ? 1 : 0),
      discountMinor: previous.discountMinor + outcome.discountMinor,
    });
  }

  const bySegment: SegmentUplift[] = [];
  const offers: SegmentOffers[] = [];
  for (const segment of [...segments.keys()].sort()) {
    const arms = segments.get(segment)!;
    const holdout = arms.get('holdout') ?? { ...emptyArm(), converted: 0, discountMinor: 0 };
    const variants = [...arms.entries()].filter(([arm]) => arm !== 'holdout');
    const treated = variants.reduce((sum, [, arm]) => ({ customers: sum.customers + arm.customers, converted: sum.converted + arm.converted }), {
      customers: 0,
      converted: 0,
    });
    const both = treated.customers > 0 && holdout.customers > 0;
    bySegment.push({
      segment,
      treated,
      holdout: { customers: holdout.customers, converted: holdout.converted },
      uplift: both ? treated.converted / treated.customers - holdout.converted / holdout.customers : null,
      ci95: both ? newcombeInterval(treated.converted, treated.customers, holdout.converted, holdout.customers) : null,
    });
    if (variants.length === 0) continue;
    const allocation = allocateOffers(Object.fromEntries(variants), holdout.customers > 0 ? holdout : undefined, {
      minShare: input.minVariantShare ?? 0,
      seed: input.seed ?? 1,
    });
    const holdoutMean = holdout.customers > 0 ? holdout.marginSumMinor / holdout.customers : undefined;
    offers.push({
      segment,
      leader: allocation.leader,
      variants: variants
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([variant, arm]) => {
          const mean = arm.marginSumMinor / arm.customers;
          const se = Math.sqrt(variance(arm) / arm.customers + (holdoutMean === undefined ? 0 : variance(holdout) / holdout.customers));
          const incremental = holdoutMean === undefined ? null : mean - holdoutMean;
          return {
            variant,
            customers: arm.customers,
            marginPerCustomerMinor: mean,
            incrementalMinor: incremental,
            ci95Minor: incremental === null ? null : ([incremental - z95 * se, incremental + z95 * se] as const),
            winProbability: allocation.winProbability[variant] ?? 0,
            discountGivenMinor: arm.discountMinor,
          };
        }),
    });
  }

  const notEmailed = Object.fromEntries(
    targetingSkipReasons.map((reason) => [reason, new Set(input.skips.filter((skip) => skip.reason === reason).map((skip) => skip.customerId)).size]),
  ) as Record<TargetingSkipReason, number>;
  const recorded = input.nights
    .filter((night): night is { night: string; targeting: NightTargeting } => night.targeting !== undefined)
    .sort((a, b) => (a.night < b.night ? -1 : 1));
  const nights = {
    uplift: recorded.filter((night) => night.targeting.used === 'uplift').length,
    everyone: recorded.filter((night) => night.targeting.used === 'everyone').length,
    explored: recorded.reduce((sum, night) => sum + (night.targeting.explored ?? 0), 0),
    marginSavedMinor: recorded.reduce((sum, night) => sum + (night.targeting.marginSavedMinor ?? 0), 0),
    discountSavedMinor: recorded.reduce((sum, night) => sum + (night.targeting.discountSavedMinor ?? 0), 0),
  };
  const last = recorded.at(-1);
  return { bySegment, offers, notEmailed, nights, ...(last ? { latest: { ...last.targeting, night: last.night } } : {}) };
}

function variance(arm: ArmStats): number {
  if (arm.customers < 2) return 0;
  return Math.max(0, (arm.marginSquaresMinor - (arm.marginSumMinor * arm.marginSumMinor) / arm.customers) / (arm.customers - 1));
}
