/**
 * Pareto/NBD (Schmittlein, Morrison and Colombo 1987): purchases at a Poisson rate lambda ~ Gamma(r, alpha) during an
 * exponential lifetime with rate mu ~ Gamma(s, beta). Expressions from Fader and Hardie's note 008 ("A note on deriving
 * the Pareto/NBD model and related expressions"), evaluated in log space.
 */
import { purchaseRateStart } from './bgnbd.js';
import { fitMaximumLikelihood, rowsData, type LikelihoodSpec } from './fit.js';
import { gammaln, hyp2f1, log1mExp, logAddExp, logisticOfMinus, oneMinusPowerOver } from './special.js';
import { foldSummaries, rowsOf } from './summary.js';
import type { CustomerSummary, FitOptions, FittedParetoNbd, ParetoNbdParams, WeightedSummary } from './types.js';

export const paretoParamNames = ['r', 'alpha', 's', 'beta'] as const;

/**
 * ln 2F1(a, b; a+1; z) for 0 <= z < 1, through Euler's transformation
 *   2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z),
 * whose series has positive terms bounded by z^n: no overflow for large a (many purchases) even with z near 1.
 */
function logHyp2f1PlusOne(a: number, b: number, z: number): number {
  if (z === 0) return 0;
  return (1 - b) * Math.log1p(-z) + Math.log(hyp2f1(1, a + 1 - b, a + 1, z));
}

/**
 * ln A0, where A0 = F(tx)/(m+tx)^(r+s+x) - F(T)/(m+T)^(r+s+x) with the max(alpha, beta) branch:
 * alpha >= beta: m = alpha, F(y) = 2F1(r+s+x, s+1; r+s+x+1; (alpha-beta)/(alpha+y));
 * alpha <  beta: m = beta,  F(y) = 2F1(r+s+x, r+x; r+s+x+1; (beta-alpha)/(beta+y)).
 * The difference is a log-diff-exp; -Infinity when tx = T (A0 = 0).
 */
function logA0(params: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = params;
  const rsx = r + s + x;
  const [m, gap, second] = alpha >= beta ? [alpha, alpha - beta, s + 1] : [beta, beta - alpha, r + x];
  const atTx = logHyp2f1PlusOne(rsx, second, gap / (m + tx)) - rsx * Math.log(m + tx);
  const atT = logHyp2f1PlusOne(rsx, second, gap / (m + T)) - rsx * Math.log(m + T);
  if (!(atT < atTx)) return -Infinity;
  return atTx + log1mExp(atT - atTx);
}

/** Per-customer log-likelihood: ln[ Gamma(r+x) alpha^r beta^s / Gamma(r) * ( 1/((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0 ) ]. */
export function paretoLogLikelihood(params: ParetoNbdParams, summary: CustomerSummary): number {
  const { r, alpha, s, beta } = params;
  const { x, tx, T } = summary;
  const a1 = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + s * Math.log(beta);
  const aliveTerm = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const lnA0 = logA0(params, x, tx, T);
  return a1 + logAddExp(aliveTerm, Math.log(s) - Math.log(r + s + x) + lnA0);
}

/**
 * Total weighted log-likelihood. No analytic gradient: differentiating A0 needs derivatives of 2F1 in its parameters,
 * which no well-kept package offers; the fit takes central differences in log-parameter space instead (8 extra
 * likelihood evaluations per step, about 0.3 s for CDNOW).
 */
export function paretoTotalLogLikelihood(params: ParetoNbdParams, rows: readonly WeightedSummary[]): number {
  let total = 0;
  for (const row of rows) total += row.weight * paretoLogLikelihood(params, row);
  return total;
}

/** P(alive | x, tx, T) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0). */
export function paretoProbabilityAlive(params: ParetoNbdParams, summary: CustomerSummary): number {
  const { r, alpha, s, beta } = params;
  const { x, tx, T } = summary;
  const lnA0 = logA0(params, x, tx, T);
  if (lnA0 === -Infinity) return 1;
  return logisticOfMinus(Math.log(s) - Math.log(r + s + x) + (r + x) * Math.log(alpha + T) + s * Math.log(beta + T) + lnA0);
}

/**
 * E[purchases in (T, T+t] | x, tx, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive);
 * the bracket over (s - 1) is computed with expm1, so s = 1 (where it becomes ln((beta+T+t)/(beta+T))) is fine.
 */
export function paretoExpectedPurchases(params: ParetoNbdParams, summary: CustomerSummary, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = params;
  const { x, T } = summary;
  const u = (beta + T) / (beta + T + t);
  return (((r + x) * (beta + T)) / (alpha + T)) * oneMinusPowerOver(u, s - 1) * paretoProbabilityAlive(params, summary);
}

/** E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]. */
export function paretoUnconditionalExpectedPurchases(params: ParetoNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = params;
  return ((r * beta) / alpha) * oneMinusPowerOver(beta / (beta + t), s - 1);
}

export const paretoSpec: LikelihoodSpec<ParetoNbdParams> = {
  model: 'pareto',
  paramNames: paretoParamNames,
  analyticGradient: false,
};

export function fitParetoNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedParetoNbd {
  const folded = foldSummaries(rows);
  const weighted = rowsOf(folded);
  const customers = weighted.reduce((sum, row) => sum + row.weight, 0);
  const meanT = weighted.reduce((sum, row) => sum + row.weight * row.T, 0) / Math.max(customers, 1);
  // Start with a mean lifetime of about the observation window: s = 1, beta = mean T.
  const start = { ...purchaseRateStart(folded), s: 1, beta: Math.max(meanT, 1e-3) };
  return fitMaximumLikelihood(paretoSpec, rowsData(weighted, paretoTotalLogLikelihood), start, options) as FittedParetoNbd;
}
