/**
 * Backtest: fit on a calibration period, then compare on the holdout period how well each model ranks who buys again
 * (AUC) and how many repeat purchases it predicts, next to the plain recency rule.
 */
import { type CalendarDate, daysBetween } from '../dates.js';
import { expectedPurchases, fitPurchaseModel } from './models.js';
import type { PurchaseDayLog } from './summary.js';
import { daysPerUnit, type PurchaseModelName, purchaseModelNames, type TimeUnit } from './types.js';

/**
 * Area under the ROC curve by the Mann-Whitney statistic: the chance that a random positive scores above a random
 * negative, ties counted half (average ranks). NaN when either class is empty.
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) throw new RangeError('scores and labels differ in length');
  const order = scores.map((score, index) => ({ score, positive: labels[index] === true })).sort((a, b) => a.score - b.score);
  let positives = 0;
  let rankSumOfPositives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && (order[j] as { score: number }).score === (order[i] as { score: number }).score) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1 .. j
    for (let k = i; k < j; k++) {
      if ((order[k] as { positive: boolean }).positive) {
        positives++;
        rankSumOfPositives += averageRank;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumOfPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface BacktestRow {
  readonly method: PurchaseModelName | 'recency';
  /** Ranking of "buys again in the holdout" by expected holdout purchases (models) or by recency. */
  readonly auc: number;
  /** Predicted total repeat purchases in the holdout; null for the recency rule, which predicts no counts. */
  readonly predicted: number | null;
  readonly actual: number;
  /** Mean over customers of |predicted - actual| holdout purchases; null for the recency rule. */
  readonly meanAbsoluteError: number | null;
  readonly converged?: boolean;
  readonly logLikelihood?: number;
  readonly fitMs?: number;
}

export interface BacktestResult {
  readonly calibrationEnd: CalendarDate;
  readonly holdoutEnd: CalendarDate;
  readonly timeUnit: TimeUnit;
  /** Customers whose first purchase is in the calibration period. */
  readonly customers: number;
  /** Of them, how many bought again in the holdout. */
  readonly buyersInHoldout: number;
  readonly rows: readonly BacktestRow[];
}

export interface BacktestOptions {
  readonly calibrationEnd: CalendarDate;
  readonly holdoutEnd: CalendarDate;
  readonly timeUnit?: TimeUnit;
  readonly models?: readonly PurchaseModelName[];
  readonly penalty?: number;
}

export function backtest(log: PurchaseDayLog, options: BacktestOptions): BacktestResult {
  const timeUnit = options.timeUnit ?? 'days';
  const holdoutDays = daysBetween(options.calibrationEnd, options.holdoutEnd);
  if (!(holdoutDays > 0)) throw new RangeError(`the holdout end ${options.holdoutEnd} must come after the calibration end ${options.calibrationEnd}`);
  const t = holdoutDays / daysPerUnit(timeUnit);
  const summaries = log.summaries(options.calibrationEnd, timeUnit);
  if (summaries.length === 0) throw new RangeError(`no customer bought on or before the calibration end ${options.calibrationEnd}`);
  const holdout = log.purchaseDaysBetween(options.calibrationEnd, options.holdoutEnd);
  const actual = summaries.map((summary) => holdout.get(summary.customerId) ?? 0);
  const labels = actual.map((count) => count > 0);
  const actualTotal = actual.reduce((sum, count) => sum + count, 0);

  const rows: BacktestRow[] = [];
  for (const name of options.models ?? purchaseModelNames) {
    const fitted = fitPurchaseModel(name, summaries, { timeUnit, penalty: options.penalty ?? 0 });
    const predicted = summaries.map((summary) => expectedPurchases(fitted, summary, t));
    const error = predicted.reduce((sum, value, i) => sum + Math.abs(value - (actual[i] as number)), 0);
    rows.push({
      method: name,
      auc: rocAuc(predicted, labels),
      predicted: predicted.reduce((sum, value) => sum + value, 0),
      actual: actualTotal,
      meanAbsoluteError: error / summaries.length,
      converged: fitted.converged,
      logLikelihood: fitted.logLikelihood,
      fitMs: fitted.ms,
    });
  }
  // The recency rule: the more recent the last purchase, the likelier another one.
  rows.push({
    method: 'recency',
    auc: rocAuc(
      summaries.map((summary) => -(summary.T - summary.tx)),
      labels,
    ),
    predicted: null,
    actual: actualTotal,
    meanAbsoluteError: null,
  });
  return {
    calibrationEnd: options.calibrationEnd,
    holdoutEnd: options.holdoutEnd,
    timeUnit,
    customers: summaries.length,
    buyersInHoldout: labels.filter(Boolean).length,
    rows,
  };
}
