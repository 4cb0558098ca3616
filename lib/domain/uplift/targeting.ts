/**
 * Uplift targeting (issue 28, item 4): email a customer only when the email is expected to earn more margin than it
 * costs. Pure: the night learns the model (ledger-training.ts) and hands each customer's prediction here.
 *
 * For one customer, with pT = P(order | emailed), pC = P(order | not emailed), m = the expected order's margin, c = what
 * the campaign's offer gives away on an order that redeems it, e = the cost of one email:
 *
 *   expected incremental margin = pT (m - c) - pC m - e = (pT - pC)(m - c) - pC c - e
 *
 * that is: the uplift times the order's margin net of the offer, minus the offer given away on the orders that would
 * have happened anyway, minus the email. Customers for whom it is not positive are skipped, and the reason says which
 * way the email fails to pay:
 * - `do_not_disturb`: the email lowers the chance of an order (negative uplift): it puts them off;
 * - `sure_thing`: they are at least as likely to order without it as it adds (pC >= uplift): the offer mostly pays
 *   people who would have come back anyway;
 * - `lost_cause`: little chance either way; the email costs more than the few orders it adds.
 */
import type { Classification } from '../classification.js';
import type { Customer } from '../customer.js';
import { daysBetweenInstants } from '../dates.js';
import type { FeatureKind, FeatureValue } from './features.js';

export const targetingSkipReasons = ['sure_thing', 'lost_cause', 'do_not_disturb'] as const;
export type TargetingSkipReason = (typeof targetingSkipReasons)[number];

/**
 * What is known of a customer when the night decides, stored with each send and holdout so that later nights learn
 * from exactly what the decision saw (a profile read later has moved on: new orders, a new status).
 */
export interface DecisionFeatures {
  readonly recencyDays: number | null;
  readonly orders: number;
  readonly spendMinor: number;
  readonly averageOrderMinor: number;
  readonly pAlive: number | null;
  readonly clvMinor: number | null;
  readonly status: string;
  /** The reason codes, sorted and joined with "+" ("" for none): one category. */
  readonly reasons: string;
  /** The offer's value (percent points or minor units; 0 for none). */
  readonly offerValue: number;
  readonly daysSinceLastEmail: number | null;
}

export const decisionFeatureNames = [
  'recencyDays',
  'orders',
  'spendMinor',
  'averageOrderMinor',
  'pAlive',
  'clvMinor',
  'status',
  'reasons',
  'offerValue',
  'daysSinceLastEmail',
] as const;
/** Fixed, so that a feature missing on every row of a small shop (no model, no P(alive)) keeps its kind. */
export const decisionFeatureKinds: readonly FeatureKind[] = [
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'categorical',
  'categorical',
  'numeric',
  'numeric',
];

export function decisionFeatures(customer: Customer, classification: Classification, offerValue: number, now: Date): DecisionFeatures {
  const { summary } = customer;
  return {
    recencyDays: classification.daysSinceLastOrder ?? null,
    orders: summary.orderCount,
    spendMinor: summary.totalSpendMinor,
    averageOrderMinor: summary.averageOrderValueMinor,
    pAlive: classification.pAlive ?? null,
    clvMinor: classification.clvMinor ?? null,
    status: classification.status,
    reasons: [...(classification.reasonCodes ?? [])].sort().join('+'),
    offerValue,
    daysSinceLastEmail: customer.lastEmailedAt ? Math.max(0, Math.floor(daysBetweenInstants(customer.lastEmailedAt, now.toISOString()))) : null,
  };
}

/** The features in the learner's order; anything unreadable (a hand-edited ledger entry) becomes missing. */
export function featureVector(features: Partial<DecisionFeatures>): FeatureValue[] {
  return decisionFeatureNames.map((name) => {
    const value = features[name];
    if (decisionFeatureKinds[decisionFeatureNames.indexOf(name)] === 'categorical') return typeof value === 'string' ? value : null;
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  });
}

export interface MarginInputs {
  readonly pTreated: number;
  readonly pControl: number;
  /** Margin of the expected order before any discount, minor units. */
  readonly orderMarginMinor: number;
  /** What the offer gives away on one order that redeems it, minor units (0 without an offer). */
  readonly offerCostMinor: number;
  readonly emailCostMinor: number;
}

/** In minor units, as a float: an expectation to compare with zero, never a sum of money to book. */
export function expectedIncrementalMargin(inputs: MarginInputs): number {
  const { pTreated, pControl, orderMarginMinor, offerCostMinor, emailCostMinor } = inputs;
  return pTreated * (orderMarginMinor - offerCostMinor) - pControl * orderMarginMinor - emailCostMinor;
}

export type TargetingVerdict =
  | { readonly email: true; readonly marginMinor: number }
  | {
      readonly email: false;
      readonly reason: TargetingSkipReason;
      readonly marginMinor: number /** The discount the offer would have given on orders that come anyway. */;
      readonly discountSavedMinor: number;
    };

export function targetingVerdict(inputs: MarginInputs): TargetingVerdict {
  const marginMinor = expectedIncrementalMargin(inputs);
  if (marginMinor > 0) return { email: true, marginMinor };
  const uplift = inputs.pTreated - inputs.pControl;
  const reason: TargetingSkipReason = uplift < 0 ? 'do_not_disturb' : inputs.pControl >= uplift ? 'sure_thing' : 'lost_cause';
  return { email: false, reason, marginMinor, discountSavedMinor: Math.max(0, inputs.pControl) * inputs.offerCostMinor };
}

/** The margin of an order worth `orderMinor` at the campaign's margin rate, and what the offer gives away on it. */
export function orderEconomics(
  orderMinor: number,
  marginPercent: number,
  offer: { readonly kind: string; readonly value: number } | undefined,
): { orderMarginMinor: number; offerCostMinor: number } {
  const orderMarginMinor = (orderMinor * marginPercent) / 100;
  switch (offer?.kind) {
    case 'percent':
      return { orderMarginMinor, offerCostMinor: (orderMinor * offer.value) / 100 };
    case 'fixed_amount':
      return { orderMarginMinor, offerCostMinor: offer.value };
    default:
      return { orderMarginMinor, offerCostMinor: 0 };
  }
}
