/** Customer lifetime value and the per-customer score the nightly job stores or derives. */
import { gammaGammaExpectedSpend } from './gamma-gamma.js';
import { expectedPurchases, probabilityAlive } from './models.js';
import { daysPerUnit, type CustomerSummary, type FittedGammaGamma, type FittedPurchaseModel } from './types.js';

export interface ClvOptions {
  /** How far ahead to count purchases, in the model's time unit. */
  readonly horizon: number;
  /** Discounting period in the model's time unit (default 30 days). */
  readonly period?: number;
  /** Discount rate per period (default 0.01 a month, about 12.7% a year). */
  readonly discountRate?: number;
}

/**
 * Expected purchases over the horizon, each period's increment discounted to today:
 * sum_k (E[Y(t_k)] - E[Y(t_(k-1))]) / (1 + d)^k, t_k = min(k * period, horizon).
 */
export function discountedExpectedPurchases(model: FittedPurchaseModel, summary: CustomerSummary, options: ClvOptions): number {
  const period = options.period ?? 30 / daysPerUnit(model.timeUnit);
  const rate = options.discountRate ?? 0.01;
  if (!(options.horizon >= 0) || !(period > 0) || !(rate > -1)) throw new RangeError('horizon must be >= 0, period > 0 and discount rate > -1');
  let total = 0;
  let previous = 0;
  const steps = Math.ceil(options.horizon / period);
  for (let k = 1; k <= steps; k++) {
    const cumulative = expectedPurchases(model, summary, Math.min(k * period, options.horizon));
    total += (cumulative - previous) / Math.pow(1 + rate, k);
    previous = cumulative;
  }
  return total;
}

/** Discounted CLV = expected spend per purchase x discounted expected purchases over the horizon. */
export function customerLifetimeValue(model: FittedPurchaseModel, summary: CustomerSummary, expectedSpend: number, options: ClvOptions): number {
  return expectedSpend * discountedExpectedPurchases(model, summary, options);
}

export interface ScoreOptions extends Omit<ClvOptions, 'horizon'> {
  /** Window for expected purchases, in the model's time unit (e.g. 90 for 90 days when the model is in days). */
  readonly t: number;
  /** CLV horizon in the model's time unit. */
  readonly horizon: number;
}

export interface CustomerScore {
  readonly pAlive: number;
  /** Expected purchases in the next t. */
  readonly expectedPurchases: number;
  /**
   * Expected spend per purchase: the Gamma-Gamma posterior mean when a spend model is given (its population mean for
   * x = 0), else the customer's own mean repeat spend when known; null when neither exists or the spend model has q <= 1.
   */
  readonly expectedSpend: number | null;
  /** Discounted CLV over the horizon; null when the expected spend is. */
  readonly clv: number | null;
}

/** Scores one customer; the summary must be in the fitted model's time unit. */
export function scoreCustomer(
  model: FittedPurchaseModel,
  spendModel: FittedGammaGamma | undefined,
  summary: CustomerSummary,
  options: ScoreOptions,
): CustomerScore {
  const pAlive = probabilityAlive(model, summary);
  const expected = expectedPurchases(model, summary, options.t);
  let spend: number | null = null;
  if (spendModel) {
    const value = gammaGammaExpectedSpend(spendModel.params, summary.x, summary.monetary);
    spend = Number.isFinite(value) ? value : null;
  } else if (summary.x > 0 && summary.monetary !== undefined && Number.isFinite(summary.monetary)) {
    spend = summary.monetary;
  }
  const clv = spend === null ? null : customerLifetimeValue(model, summary, spend, options);
  return { pAlive, expectedPurchases: expected, expectedSpend: spend, clv };
}
