import type { ClassificationSettings } from '../config/campaign-config.js';
import type { Customer } from './customer.js';
import { calendarDateIn, daysBetween, type CalendarDate } from './dates.js';

export const lifecycleStatuses = ['active', 'at_risk', 'lost', 'no_orders'] as const;
export type LifecycleStatus = (typeof lifecycleStatuses)[number];

/** Facts about the whole shop that the cadence rule needs for customers with too little history of their own. */
export interface ShopPace {
  /** Median days from a customer's first to second purchase day across the shop's repeat customers. */
  readonly secondOrderGapDays: number;
  /** How many repeat customers that median was measured on; 0 when the configured fallback is used. */
  readonly measuredOn: number;
}

export interface Classification {
  readonly status: LifecycleStatus;
  readonly daysSinceLastOrder?: number;
  readonly expectedGapDays?: number;
  /** Days since the last order divided by the expected gap: 1 means "right on time". */
  readonly overdueRatio?: number;
  /** Yearly spend at stake: average order value times expected orders a year, in minor units. */
  readonly valueAtStakeMinor: number;
  /** Ranking among candidates: value at stake weighted by how overdue the customer is. */
  readonly priority: number;
  /** From the fitted model, when the night has one. */
  readonly pAlive?: number;
  readonly expectedOrders90?: number;
  readonly clvMinor?: number;
  /** Why the customer is slipping, from the data (see reasons.ts). */
  readonly reasonCodes?: readonly string[];
}

const daysPerYear = 365;
/** Beyond this, being more overdue no longer makes a customer more urgent: they are simply gone. */
const maxOverdueWeight = 3;

/**
 * The transparent cadence rule: compare the days since the last order with the customer's own typical gap
 * (or, for one-time buyers, the shop's typical gap to a second order). At risk beyond atRiskMultiplier x that gap,
 * lost beyond lostMultiplier x.
 */
export function classify(customer: Customer, asOf: CalendarDate, pace: ShopPace, settings: ClassificationSettings, shopTimeZone: string): Classification {
  const { summary } = customer;
  if (summary.orderCount === 0 || !summary.lastOrderAt) return { status: 'no_orders', valueAtStakeMinor: 0, priority: 0 };

  const daysSinceLastOrder = Math.max(0, daysBetween(calendarDateIn(summary.lastOrderAt, shopTimeZone), asOf));
  const ownGap = summary.purchaseDays >= 2 ? summary.typicalGapDays : undefined;
  const expectedGapDays = Math.max(settings.minExpectedGapDays, ownGap ?? pace.secondOrderGapDays);
  const overdueRatio = daysSinceLastOrder / expectedGapDays;
  const status: LifecycleStatus =
    overdueRatio > settings.lostMultiplier ? 'lost' : overdueRatio > settings.atRiskMultiplier ? 'at_risk' : 'active';
  const valueAtStakeMinor = Math.round(summary.averageOrderValueMinor * (daysPerYear / expectedGapDays));
  const priority = valueAtStakeMinor * Math.min(overdueRatio / settings.atRiskMultiplier, maxOverdueWeight);
  return { status, daysSinceLastOrder, expectedGapDays, overdueRatio, valueAtStakeMinor, priority };
}
