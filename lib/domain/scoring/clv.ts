/** Customer lifetime value and the per-customer score the nightly job stores or derives. */
import { betaGeometricExpectationFactor } from './bgnbd.js';
import { gammaGammaExpectedSpend } from './gamma-gamma.js';
import { PairMemo } from './pair-memo.js';
import { paretoProbabilityAlive } from './pareto-nbd.js';
import { logisticOfMinus, oneMinusPowerOver } from './special.js';
import { type CustomerSummary, daysPerUnit, type FittedGammaGamma, type FittedPurchaseModel } from './types.js';

export interface ClvOptions {
  /** How far ahead to count purchases, in the model's time unit. */
  readonly horizon: number;
  /** Discounting period in the model's time unit (default 30 days). */
  readonly period?: number;
  /** Discount rate per period (default 0.01 a month, about 12.7% a year). */
  readonly discountRate?: number;
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

/** Scores customers against one fitted model with one set of options; build it once, call it per customer. */
export type CustomerScorer = (summary: CustomerSummary) => CustomerScore;

/**
 * Every purchase model here factors its conditional expectation as
 *   E[Y(t) | x, tx, T] = P(alive | x, tx, T) * F(x, T, t),
 * F being the expected purchases of a customer known to be alive at T; only P(alive) depends on tx. So the discounted
 * expected purchases over the horizon,
 *   sum_k (E[Y(t_k)] - E[Y(t_(k-1))]) / (1 + d)^k,  t_k = min(k * period, horizon),
 * equal P(alive) * sum_k (F(t_k) - F(t_(k-1))) / (1 + d)^k: the same sum, with the tx-free part on its own. For the
 * beta-geometric models F is a Gauss hypergeometric function (0.1 to 2 us each, one per period), while P(alive) is a
 * few logarithms. Shops record recency and age in whole days, so across a customer base the pairs (x, T) repeat (a
 * million synthetic customers have about 30,000 of them): the tx-free parts are computed once per pair and remembered,
 * with ln(alpha + T), and each customer then costs one logarithm and one exponential. Nothing is approximated; only
 * the order of the floating-point operations in the discounted sum changes.
 */
class Scorer {
  private readonly optionsProblem: string | undefined;
  /** The discounting grid t_1..t_K and each step's compounding (1 + d)^k. */
  private readonly grid: Float64Array;
  private readonly compounding: Float64Array;
  /** Index of options.t in the grid, or -1: a 90-day window on a 30-day grid needs no evaluation of its own. */
  private readonly tOnGrid: number;
  private readonly parts: ModelParts;
  /** Per (x, T), for the beta-geometric models: ln(alpha + T), F(x, T, t) and the discounted sum of F's increments. */
  private readonly memo: PairMemo | undefined;
  private readonly spend: { readonly p: number; readonly q: number; readonly gamma: number } | undefined;

  constructor(
    readonly model: FittedPurchaseModel,
    readonly spendModel: FittedGammaGamma | undefined,
    readonly t: number,
    readonly horizon: number,
    readonly periodOption: number | undefined,
    readonly rateOption: number | undefined,
  ) {
    const period = periodOption ?? 30 / daysPerUnit(model.timeUnit);
    const rate = rateOption ?? 0.01;
    const valid = horizon >= 0 && period > 0 && rate > -1;
    // Checked here, thrown only when a CLV is asked for: a score without a spend never needed the discounting.
    this.optionsProblem = valid ? undefined : 'horizon must be >= 0, period > 0 and discount rate > -1';
    const steps = valid ? Math.ceil(horizon / period) : 0;
    this.grid = new Float64Array(steps);
    this.compounding = new Float64Array(steps);
    let tOnGrid = -1;
    for (let k = 1; k <= steps; k++) {
      this.grid[k - 1] = Math.min(k * period, horizon);
      this.compounding[k - 1] = (1 + rate) ** k;
      if (this.grid[k - 1] === t) tOnGrid = k - 1;
    }
    this.tOnGrid = tOnGrid;
    this.parts = modelParts(model);
    this.memo = this.parts.aliveGivenLog ? new PairMemo(memoWidth, maxRememberedPairs) : undefined;
    this.spend = spendModel?.params;
  }

  matches(spendModel: FittedGammaGamma | undefined, t: number, horizon: number, period: number | undefined, rate: number | undefined): boolean {
    return (
      this.spendModel === spendModel &&
      Object.is(this.t, t) &&
      Object.is(this.horizon, horizon) &&
      Object.is(this.periodOption, period) &&
      Object.is(this.rateOption, rate)
    );
  }

  score(summary: CustomerSummary): CustomerScore {
    const x = summary.x;
    const T = summary.T;
    let spend: number | null = null;
    if (this.spend) {
      const value = gammaGammaExpectedSpend(this.spend, x, summary.monetary);
      spend = Number.isFinite(value) ? value : null;
    } else if (x > 0 && summary.monetary !== undefined && Number.isFinite(summary.monetary)) {
      spend = summary.monetary;
    }
    const memo = this.memo;
    const aliveGivenLog = this.parts.aliveGivenLog;
    let pAlive: number;
    let expected: number;
    let discounted = Number.NaN;
    if (memo !== undefined && aliveGivenLog !== undefined && x >= 0 && Number.isInteger(x)) {
      const at = memo.slotOf(x, T);
      const values = memo.data;
      let lnAlphaT = values[at + lnAlphaTAt] as number;
      if (Number.isNaN(lnAlphaT)) {
        lnAlphaT = this.parts.lnAlphaPlus(T);
        values[at + lnAlphaTAt] = lnAlphaT;
      }
      pAlive = aliveGivenLog(x, summary.tx, lnAlphaT);
      expected = values[at + expectedAt] as number;
      if (spend !== null) {
        discounted = values[at + discountedAt] as number;
        if (Number.isNaN(discounted)) {
          discounted = this.discountedFactor(x, T);
          values[at + discountedAt] = discounted;
          if (!Number.isNaN(this.lastGridValue)) values[at + expectedAt] = expected = this.lastGridValue;
        }
      }
      if (Number.isNaN(expected)) {
        expected = this.parts.factor(x, T, this.t);
        values[at + expectedAt] = expected;
      }
    } else {
      pAlive = this.parts.alive(x, summary.tx, T);
      expected = this.parts.factor(x, T, this.t);
      if (spend !== null) discounted = this.discountedFactor(x, T);
    }
    return { pAlive, expectedPurchases: expected * pAlive, expectedSpend: spend, clv: spend === null ? null : spend * (discounted * pAlive) };
  }

  discountedPurchases(summary: CustomerSummary): number {
    const { x, tx, T } = summary;
    const memo = this.memo;
    let discounted: number;
    if (memo !== undefined && x >= 0 && Number.isInteger(x)) {
      const at = memo.slotOf(x, T) + discountedAt;
      discounted = memo.data[at] as number;
      if (Number.isNaN(discounted)) {
        discounted = this.discountedFactor(x, T);
        memo.data[at] = discounted;
      }
    } else {
      discounted = this.discountedFactor(x, T);
    }
    return discounted * this.parts.alive(x, tx, T);
  }

  /** F at options.t when the grid passed it in the last {@link discountedFactor}. */
  private lastGridValue = Number.NaN;

  /** sum_k (F(t_k) - F(t_(k-1))) / (1 + d)^k. */
  private discountedFactor(x: number, T: number): number {
    if (this.optionsProblem) throw new RangeError(this.optionsProblem);
    this.lastGridValue = Number.NaN;
    const grid = this.grid;
    let total = 0;
    let previous = 0;
    for (let k = 0; k < grid.length; k++) {
      const cumulative = this.parts.factor(x, T, grid[k] as number);
      total += (cumulative - previous) / (this.compounding[k] as number);
      previous = cumulative;
      if (k === this.tOnGrid) this.lastGridValue = cumulative;
    }
    return total;
  }
}

/** The memo's values per (x, T). */
const lnAlphaTAt = 0;
const expectedAt = 1;
const discountedAt = 2;
const memoWidth = 3;
/** At most 8 MB of remembered pairs per scorer (64 bytes a slot, half of the slots in use). */
const maxRememberedPairs = 1 << 16;

interface ModelParts {
  /** P(alive | x, tx, T). */
  readonly alive: (x: number, tx: number, T: number) => number;
  /** The same given ln(alpha + T), which the memo keeps per (x, T); absent for Pareto/NBD. */
  readonly aliveGivenLog?: (x: number, tx: number, lnAlphaT: number) => number;
  readonly lnAlphaPlus: (T: number) => number;
  /** F(x, T, t). */
  readonly factor: (x: number, T: number, t: number) => number;
}

/**
 * P(alive) and F with the model's constants taken out of the per-customer path; each the same arithmetic, in the same
 * order, as the model's own probabilityAlive and expectedPurchases, so the results are identical.
 */
function modelParts(model: FittedPurchaseModel): ModelParts {
  switch (model.model) {
    case 'bgnbd': {
      const { r, alpha, a, b } = model.params;
      const lnA = Math.log(a);
      const lnBx = cachedByX((x) => Math.log(b + x - 1));
      const aliveGivenLog = (x: number, tx: number, lnAlphaT: number) =>
        x === 0 ? 1 : logisticOfMinus(lnA - lnBx(x) + (r + x) * (lnAlphaT - Math.log(alpha + tx)));
      return {
        alive: (x, tx, T) => aliveGivenLog(x, tx, Math.log(alpha + T)),
        aliveGivenLog,
        lnAlphaPlus: (T) => Math.log(alpha + T),
        factor: (x, T, t) => betaGeometricExpectationFactor(r, alpha, a, b + x - 1, x, T, t),
      };
    }
    case 'mbgnbd': {
      const { r, alpha, a, b } = model.params;
      const lnA = Math.log(a);
      const lnBx = cachedByX((x) => Math.log(b + x));
      const aliveGivenLog = (x: number, tx: number, lnAlphaT: number) => logisticOfMinus(lnA - lnBx(x) + (r + x) * (lnAlphaT - Math.log(alpha + tx)));
      return {
        alive: (x, tx, T) => aliveGivenLog(x, tx, Math.log(alpha + T)),
        aliveGivenLog,
        lnAlphaPlus: (T) => Math.log(alpha + T),
        factor: (x, T, t) => betaGeometricExpectationFactor(r, alpha, a, b + x, x, T, t),
      };
    }
    case 'pareto': {
      const params = model.params;
      const { r, alpha, s, beta } = params;
      return {
        alive: (x, tx, T) => paretoProbabilityAlive(params, { x, tx, T }),
        lnAlphaPlus: (T) => Math.log(alpha + T),
        factor: (x, T, t) => (t <= 0 ? 0 : (((r + x) * (beta + T)) / (alpha + T)) * oneMinusPowerOver((beta + T) / (beta + T + t), s - 1)),
      };
    }
  }
}

/** A function of the purchase count, remembered for the counts seen (a shop has a few hundred distinct ones at most). */
function cachedByX(f: (x: number) => number): (x: number) => number {
  const values: number[] = [];
  return (x) => {
    if (x < 1 << 16 && Number.isInteger(x) && x >= 0) {
      const known = values[x];
      if (known !== undefined) return known;
      const value = f(x);
      values[x] = value;
      return value;
    }
    return f(x);
  };
}

/**
 * The scorers built so far for each model object. The nightly job, the CLI and the read API call {@link scoreCustomer}
 * per customer with one model and one set of options; this finds the scorer they keep using, and lets it go with the model.
 */
const scorers = new WeakMap<FittedPurchaseModel, Scorer[]>();
const scorersPerModel = 4;
/**
 * The scorer of the previous call: almost always the one asked for again, found without the WeakMap. (It keeps its model
 * alive until a call with another one.)
 */
let latest: Scorer | undefined;

function scorerFor(
  model: FittedPurchaseModel,
  spendModel: FittedGammaGamma | undefined,
  t: number,
  horizon: number,
  period: number | undefined,
  rate: number | undefined,
): Scorer {
  if (latest !== undefined && latest.model === model && latest.matches(spendModel, t, horizon, period, rate)) return latest;
  let list = scorers.get(model);
  if (list === undefined) {
    list = [];
    scorers.set(model, list);
  }
  let scorer = list.find((candidate) => candidate.matches(spendModel, t, horizon, period, rate));
  if (scorer === undefined) {
    scorer = new Scorer(model, spendModel, t, horizon, period, rate);
    if (list.length >= scorersPerModel) list.shift();
    list.push(scorer);
  }
  latest = scorer;
  return scorer;
}

/** A scorer for one model, spend model and set of options: the per-customer loop of {@link scoreCustomer}, with nothing repeated. */
export function customerScorer(model: FittedPurchaseModel, spendModel: FittedGammaGamma | undefined, options: ScoreOptions): CustomerScorer {
  const scorer = new Scorer(model, spendModel, options.t, options.horizon, options.period, options.discountRate);
  return (summary) => scorer.score(summary);
}

/**
 * Expected purchases over the horizon, each period's increment discounted to today:
 * sum_k (E[Y(t_k)] - E[Y(t_(k-1))]) / (1 + d)^k, t_k = min(k * period, horizon).
 */
export function discountedExpectedPurchases(model: FittedPurchaseModel, summary: CustomerSummary, options: ClvOptions): number {
  return scorerFor(model, undefined, Number.NaN, options.horizon, options.period, options.discountRate).discountedPurchases(summary);
}

/** Discounted CLV = expected spend per purchase x discounted expected purchases over the horizon. */
export function customerLifetimeValue(model: FittedPurchaseModel, summary: CustomerSummary, expectedSpend: number, options: ClvOptions): number {
  return expectedSpend * discountedExpectedPurchases(model, summary, options);
}

/** Scores one customer; the summary must be in the fitted model's time unit. */
export function scoreCustomer(
  model: FittedPurchaseModel,
  spendModel: FittedGammaGamma | undefined,
  summary: CustomerSummary,
  options: ScoreOptions,
): CustomerScore {
  return scorerFor(model, spendModel, options.t, options.horizon, options.period, options.discountRate).score(summary);
}
