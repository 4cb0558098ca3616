import type { ClassificationSettings } from '../config/campaign-config.js';
import type { Customer } from './customer.js';
import { type CalendarDate, calendarDateIn, daysBetween } from './dates.js';
import { reasonsFor } from './reasons.js';
import { scoreCustomer } from './scoring/clv.js';
import type { CustomerSummary, FittedGammaGamma, FittedPurchaseModel } from './scoring/types.js';

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
  const status: LifecycleStatus = overdueRatio > settings.lostMultiplier ? 'lost' : overdueRatio > settings.atRiskMultiplier ? 'at_risk' : 'active';
  const valueAtStakeMinor = Math.round(summary.averageOrderValueMinor * (daysPerYear / expectedGapDays));
  const priority = valueAtStakeMinor * Math.min(overdueRatio / settings.atRiskMultiplier, maxOverdueWeight);
  return { status, daysSinceLastOrder, expectedGapDays, overdueRatio, valueAtStakeMinor, priority, reasonCodes: reasonsFor(customer, status, overdueRatio) };
}

/** The literature's summary of a customer in days: x repeat purchase days, t_x and T from the first purchase day. */
export function modelSummary(customer: Customer, asOf: CalendarDate, shopTimeZone: string): CustomerSummary | undefined {
  const { summary } = customer;
  if (!summary.firstOrderAt || !summary.lastOrderAt || summary.purchaseDays === 0) return undefined;
  const firstDay = calendarDateIn(summary.firstOrderAt, shopTimeZone);
  const T = daysBetween(firstDay, asOf);
  // Not a number when a date does not read (a year past 9999 in the shop's zone): such a row would stop the fit.
  if (!(T >= 0) || !Number.isInteger(summary.purchaseDays)) return undefined;
  const x = summary.purchaseDays - 1;
  const tx = Math.min(T, Math.max(0, daysBetween(firstDay, calendarDateIn(summary.lastOrderAt, shopTimeZone))));
  if (!Number.isFinite(tx)) return undefined;
  // Money in major units for the spend model: it is a modelling input, never summed back into accounts.
  const repeatSpend = summary.totalSpendMinor - (summary.firstDaySpendMinor ?? summary.averageOrderValueMinor);
  const monetary = Math.max(0, repeatSpend) / x / 100;
  if (x > 0 && !Number.isFinite(monetary)) return undefined;
  return x > 0 ? { x, tx, T, monetary } : { x: 0, tx: 0, T };
}

export interface NightModel {
  readonly purchases: FittedPurchaseModel;
  readonly spend?: FittedGammaGamma;
  readonly atRiskBelowPAlive: number;
  readonly lostBelowPAlive: number;
}

/**
 * Classification by the fitted model: the probability the customer is still alive, against the config's
 * thresholds, with expected orders in 90 days and a one-year discounted CLV. The cadence rule's gap and value at
 * stake stay alongside, so the two are comparable.
 */
export function classifyWithModel(
  customer: Customer,
  asOf: CalendarDate,
  pace: ShopPace,
  settings: ClassificationSettings,
  shopTimeZone: string,
  model: NightModel,
): Classification {
  const rule = classify(customer, asOf, pace, settings, shopTimeZone);
  const modelled = modelSummary(customer, asOf, shopTimeZone);
  if (rule.status === 'no_orders' || !modelled) return rule;
  const score = scoreCustomer(model.purchases, model.spend, modelled, { t: 90, horizon: daysPerYear });
  const pAlive = Number.isFinite(score.pAlive) ? score.pAlive : 1;
  const status: LifecycleStatus = pAlive < model.lostBelowPAlive ? 'lost' : pAlive < model.atRiskBelowPAlive ? 'at_risk' : 'active';
  const clvMinor = score.clv === null ? undefined : Math.round(score.clv * 100);
  return {
    ...rule,
    status,
    pAlive,
    expectedOrders90: score.expectedPurchases,
    ...(clvMinor !== undefined ? { clvMinor } : {}),
    // The more likely they are gone, the more of their value is at stake tonight.
    priority: rule.valueAtStakeMinor * (1 - pAlive),
    reasonCodes: reasonsFor(customer, status, rule.overdueRatio),
  };
}
