/**
 * BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): purchases at a Poisson rate
 * lambda ~ Gamma(r, alpha) while alive; after each purchase the customer drops out with probability p ~ Beta(a, b).
 */
import { preparedBetaGeometric } from './beta-geometric.js';
import { columnsData, fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { betaGeometricFactorByQuadrature } from './quadrature.js';
import { gammaln, hyp2f1, logAddExp, logisticOfMinus } from './special.js';
import { columnsOf, foldSummaries, type WeightedColumns } from './summary.js';
import type { BgNbdParams, CustomerSummary, FitOptions, FittedBgNbd, WeightedSummary } from './types.js';

export const bgnbdParamNames = ['r', 'alpha', 'a', 'b'] as const;

/**
 * Per-customer log-likelihood in the stable form of Hardie's note 027:
 * LL = D1 + D2 + log(C3 + [x > 0] C4), evaluated as a log-sum-exp of ln C3 and ln C4 (branching on x, never 0 * NaN).
 */
export function bgnbdLogLikelihood(params: BgNbdParams, summary: CustomerSummary): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = summary;
  const lnAlphaTx = Math.log(alpha + tx);
  const lnAlphaT = Math.log(alpha + T);
  const d1 = gammaln(r + x) - gammaln(r) + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x);
  const d2 = r * Math.log(alpha) - (r + x) * lnAlphaTx;
  const lnC3 = (r + x) * (lnAlphaTx - lnAlphaT);
  const l3 = x > 0 ? logAddExp(lnC3, Math.log(a) - Math.log(b + x - 1)) : lnC3;
  return d1 + d2 + l3;
}

/** Total weighted log-likelihood; with `gradient`, d(total)/d(log parameter) in r, alpha, a, b order. */
export function bgnbdTotalLogLikelihood(params: BgNbdParams, rows: readonly WeightedSummary[], gradient?: Float64Array, hessian?: Float64Array): number {
  return preparedBgNbd(columnsOf(rows))(params, gradient, hessian);
}

/** The total over rows laid out once: the likelihood shared with MBG/NBD, at k = x (see beta-geometric.ts). */
export function preparedBgNbd(rows: WeightedColumns): (params: BgNbdParams, gradient?: Float64Array, hessian?: Float64Array) => number {
  return preparedBetaGeometric(rows, 0);
}

/** P(alive | x, tx, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+tx))^(r+x)): 1 for every one-time buyer. */
export function bgnbdProbabilityAlive(params: BgNbdParams, summary: CustomerSummary): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = summary;
  if (x === 0) return 1;
  return logisticOfMinus(Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
}

/**
 * The factor shared by BG/NBD and MBG/NBD conditional expectations:
 *   c/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, c-a+1; c; z)],  z = t/(alpha+T+t),
 * with c = a+b+x-1 (BG/NBD) or a+b+x (MBG/NBD). The textbook form multiplies a power that underflows by a 2F1 that
 * overflows for large x or t. Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) cancels the power:
 *   [...] = 1 - u^(a-1) * 2F1(c-r-x, a-1; c; z),  u = 1 - z,
 * and 1 - u^(a-1) F is evaluated as -expm1((a-1) ln u + ln F), so nothing large is formed. When a - 1 > r + x the
 * textbook 2F1 is the bounded one (its C - A - B = a - 1 - r - x > 0) and that form is used instead, same expm1 treatment.
 * At a = 1 the expression is 0/0 (with a finite limit): within 1e-4 of 1, and wherever stdlib's 2F1 returns NaN, the
 * same expectation comes from quadrature over the dropout posterior ({@link betaGeometricFactorByQuadrature}).
 */
export function betaGeometricExpectationFactor(r: number, alpha: number, a: number, cMinusA: number, x: number, T: number, t: number): number {
  if (t <= 0) return 0;
  // For a tiny window the expectation is its first-order term, the posterior mean rate times t (relative error ~ z);
  // 2F1 round-off would be larger than the value itself there.
  const z = t / (alpha + T + t);
  if (z < 1e-10) return (r + x) * z;
  // Near a = 1 both 2F1 forms are 0/0, and stdlib's 2F1 gives up (NaN) for some large parameters with z near 1: there,
  // integrate over the posterior of the dropout probability instead (same quantity, no 2F1).
  const value = Math.abs(a - 1) < 1e-4 ? Number.NaN : expectationFactorAwayFromOne(r, alpha, a, cMinusA, x, T, t);
  return Number.isFinite(value) && value >= 0 ? value : betaGeometricFactorByQuadrature(r, alpha, a, cMinusA + 1, x, T, t);
}

function expectationFactorAwayFromOne(r: number, alpha: number, a: number, cMinusA: number, x: number, T: number, t: number): number {
  const c = a + cMinusA;
  const e = a - 1;
  const z = t / (alpha + T + t);
  const lnU = Math.log(alpha + T) - Math.log(alpha + T + t);
  // Of the two equal forms, use the one whose 2F1 stays bounded as z -> 1 (C - A - B > 0): then no factor is huge.
  const [power, F] = e < r + x ? [e, hyp2f1(c - r - x, e, c, z)] : [r + x, hyp2f1(r + x, c - e, c, z)];
  const bracket = F > 0 ? -Math.expm1(power * lnU + Math.log(F)) : 1 - Math.exp(power * lnU) * F;
  return (c / e) * bracket;
}

/** E[purchases in (T, T+t] | x, tx, T]: the Euler-transformed form (see {@link betaGeometricExpectationFactor}). */
export function bgnbdExpectedPurchases(params: BgNbdParams, summary: CustomerSummary, t: number): number {
  const { r, alpha, a, b } = params;
  return betaGeometricExpectationFactor(r, alpha, a, b + summary.x - 1, summary.x, summary.T, t) * bgnbdProbabilityAlive(params, summary);
}

/** E[X(t)] for a customer just acquired (the same expression at x = tx = T = 0). */
export function bgnbdUnconditionalExpectedPurchases(params: BgNbdParams, t: number): number {
  const { r, alpha, a, b } = params;
  return betaGeometricExpectationFactor(r, alpha, a, b - 1, 0, 0, t);
}

export const bgnbdSpec: LikelihoodSpec<BgNbdParams> = {
  model: 'bgnbd',
  paramNames: bgnbdParamNames,
  analyticGradient: true,
  analyticHessian: true,
};

/**
 * The weighted moments the starting values need, in one pass over the rows: a fresh process runs this loop before the
 * JIT has compiled it, where every sum costs a heap number per row (two passes allocated 270 KB on CDNOW).
 */
interface StartMoments {
  readonly customers: number;
  /** Sums of w x, w x^2 and w T. */
  readonly purchases: number;
  readonly squares: number;
  readonly time: number;
}

function startMoments(rows: WeightedColumns): StartMoments {
  let customers = 0;
  let purchases = 0;
  let squares = 0;
  let time = 0;
  for (let i = 0; i < rows.length; i++) {
    const weight = rows.weight[i] as number;
    const x = rows.x[i] as number;
    customers += weight;
    purchases += weight * x;
    squares += weight * x * x;
    time += weight * (rows.T[i] as number);
  }
  return { customers, purchases, squares, time };
}

function rateStart({ customers, purchases, time }: StartMoments): { r: number; alpha: number } {
  const rate = purchases > 0 && time > 0 ? purchases / time : 1 / Math.max(time / Math.max(customers, 1), 1);
  return { r: 1, alpha: 1 / rate };
}

/** Starting values: r = 1 and alpha matching the observed repeat rate; a = b = 1 (a flat prior on the dropout chance). */
export function purchaseRateStart(rows: WeightedColumns): { r: number; alpha: number } {
  return rateStart(startMoments(rows));
}

/**
 * Starting values for BG/NBD and MBG/NBD, nearer the estimates than {@link purchaseRateStart}'s, so that Newton needs
 * fewer steps (CDNOW: 6 -> 4 for BG/NBD, 8 -> 5 for MBG/NBD; a cold fit pays several milliseconds for each): r from the
 * moments of x as if it were negative binomial (r = mean^2 / (variance - mean), within [0.05, 5]), alpha keeping the
 * observed repeat rate (r / alpha), and a = 1, b = 3, a mean dropout chance of a quarter per purchase, near what
 * published fits of retail data find.
 */
export function betaGeometricStart(rows: WeightedColumns): BgNbdParams {
  const moments = startMoments(rows);
  const { alpha } = rateStart(moments);
  const customers = Math.max(moments.customers, 1);
  const mean = moments.purchases / customers;
  const excess = moments.squares / customers - mean * mean - mean;
  const r = excess > 0 ? Math.min(5, Math.max(0.05, (mean * mean) / excess)) : 1;
  return { r, alpha: alpha * r, a: 1, b: 3 };
}

export function fitBgNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedBgNbd {
  const folded = foldSummaries(rows);
  return fitMaximumLikelihood(bgnbdSpec, columnsData(folded, preparedBgNbd), betaGeometricStart(folded), options) as FittedBgNbd;
}
