/**
 * Learning from the shop's own experiment (issue 28, item 3). Every campaign keeps a randomized holdout, and the ledger
 * records both arms: each (customer, campaign, lapse) chosen is one row, treated when an email went out, control when
 * it was held out; the outcome is a counted order within the attribution window after any of its nights (as the
 * report's lift counts it), the value that order's revenue minus the discount it redeemed. The features are those the
 * night stored with the first step (targeting.ts: what the decision saw, not the profile as it is now).
 *
 * Only rows whose windows have all closed are used: a row still inside its window has not had the chance to convert,
 * and the newest rows would otherwise all look like failures.
 */
import { daysBetweenInstants } from '../dates.js';
import { type DiscountEstimate, type ReportOrder, unitOutcome } from '../report.js';
import type { ReportedSend } from '../sends.js';
import type { UpliftRow } from './learners.js';
import { type ArmStats, addToArm, emptyArm } from './offer-allocation.js';
import { type DecisionFeatures, featureVector } from './targeting.js';

export interface LedgerUnit {
  readonly customerId: string;
  readonly campaignId: string;
  readonly arm: string;
  readonly treated: boolean;
  readonly features: DecisionFeatures;
  readonly exposures: readonly string[];
  readonly coupons: ReadonlyMap<string, ReportedSend['offer']>;
}

/**
 * Units with stored features whose last window closed by `now` (every unit without `now`: the report shows open
 * windows too, as its lift does); entries without features (nights before features were stored) are left out.
 */
export function ledgerUnits(sends: readonly ReportedSend[], windowDays: number, now?: string): LedgerUnit[] {
  const units = new Map<
    string,
    {
      customerId: string;
      campaignId: string;
      arm: string;
      treated: boolean;
      features?: DecisionFeatures;
      exposures: string[];
      coupons: Map<string, ReportedSend['offer']>;
    }
  >();
  for (const send of sends) {
    if (send.status !== 'sent' && send.status !== 'held_out') continue;
    const key = `${send.customerId}\u0000${send.campaignId}\u0000${send.episode}`;
    let unit = units.get(key);
    if (!unit)
      units.set(
        key,
        (unit = {
          customerId: send.customerId,
          campaignId: send.campaignId,
          arm: send.arm ?? 'unknown',
          treated: send.status === 'sent',
          exposures: [],
          coupons: new Map(),
        }),
      );
    unit.exposures.push(send.reservedAt);
    if (send.step === 0 && send.features) unit.features = send.features;
    if (send.offerCode) unit.coupons.set(send.offerCode.toUpperCase(), send.offer);
  }
  const closed = (unit: { exposures: string[] }) => now === undefined || unit.exposures.every((at) => daysBetweenInstants(at, now) > windowDays);
  return [...units.values()].filter(
    (unit): unit is LedgerUnit & { exposures: string[]; coupons: Map<string, ReportedSend['offer']> } => unit.features !== undefined && closed(unit),
  );
}

/** The segment offers are sized in: lifecycle status and whether the customer ever ordered twice. */
export function offerSegment(features: Pick<DecisionFeatures, 'status' | 'orders'>): string {
  return `${features.status}/${features.orders >= 2 ? 'repeat' : 'one-time'}`;
}

export interface CampaignHistory {
  readonly rows: UpliftRow[];
  readonly treated: number;
  readonly control: number;
  /** Segment -> arm (a variant id or 'holdout') -> margin per customer. */
  readonly arms: Record<string, Record<string, ArmStats>>;
}

/**
 * Rows and arm statistics per campaign. `ordersOf` gives a customer's orders (any that fall in a window count);
 * margin is revenue times `marginPercent`, minus the discount given.
 */
export function campaignHistories(
  units: readonly LedgerUnit[],
  ordersOf: (customerId: string) => readonly ReportOrder[],
  windowDays: number,
  marginPercentOf: (campaignId: string) => number,
  estimate: DiscountEstimate,
): Map<string, CampaignHistory> {
  const histories = new Map<string, CampaignHistory & { treated: number; control: number }>();
  for (const unit of units) {
    const outcome = unitOutcome({ ...unit, holdout: !unit.treated }, ordersOf(unit.customerId), windowDays, estimate);
    let history = histories.get(unit.campaignId);
    if (!history) histories.set(unit.campaignId, (history = { rows: [], treated: 0, control: 0, arms: {} }));
    history.rows.push({
      features: featureVector(unit.features),
      treated: unit.treated,
      outcome: outcome.converted ? 1 : 0,
      value: outcome.revenueMinor - outcome.discountMinor,
    });
    if (unit.treated) history.treated += 1;
    else history.control += 1;
    const segment = (history.arms[offerSegment(unit.features)] ??= {});
    const arm = unit.treated ? unit.arm : 'holdout';
    const margin = (outcome.revenueMinor * marginPercentOf(unit.campaignId)) / 100 - outcome.discountMinor;
    segment[arm] = addToArm(segment[arm] ?? emptyArm(), margin);
  }
  return histories;
}
