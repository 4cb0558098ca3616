/**
 * MBG/NBD (Batislam, Denizel and Filiztekin 2007): BG/NBD in which the customer may also drop out right after the first
 * purchase, so a one-time buyer is not alive forever. Parameters r, alpha (purchase rate), a, b (dropout chance).
 */
import { preparedBetaGeometric } from './beta-geometric.js';
import { betaGeometricExpectationFactor, betaGeometricStart } from './bgnbd.js';
import { columnsData, fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { gammaln, logisticOfMinus } from './special.js';
import { columnsOf, foldSummaries, type WeightedColumns } from './summary.js';
import type { CustomerSummary, FitOptions, FittedMbgNbd, MbgNbdParams, WeightedSummary } from './types.js';

export const mbgnbdParamNames = ['r', 'alpha', 'a', 'b'] as const;

/**
 * LL = lnG(r+x) - lnG(r) + r ln alpha + lnG(a+b) + lnG(b+x+1) - lnG(b) - lnG(a+b+x+1) - (r+x) ln(alpha+T)
 *      + softplus(K),  K = ln a - ln(b+x) + (r+x)(ln(alpha+T) - ln(alpha+tx)).
 */
export function mbgnbdLogLikelihood(params: MbgNbdParams, summary: CustomerSummary): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = summary;
  const lnAlphaT = Math.log(alpha + T);
  const lnAlphaTx = Math.log(alpha + tx);
  const k = Math.log(a) - Math.log(b + x) + (r + x) * (lnAlphaT - lnAlphaTx);
  return (
    gammaln(r + x) -
    gammaln(r) +
    r * Math.log(alpha) +
    gammaln(a + b) +
    gammaln(b + x + 1) -
    gammaln(b) -
    gammaln(a + b + x + 1) -
    (r + x) * lnAlphaT +
    softplus(k)
  );
}

/** log(1 + e^k) without overflow. */
function softplus(k: number): number {
  return k > 0 ? k + Math.log1p(Math.exp(-k)) : Math.log1p(Math.exp(k));
}

/** Total weighted log-likelihood; with `gradient`, d(total)/d(log parameter) in r, alpha, a, b order. */
export function mbgnbdTotalLogLikelihood(params: MbgNbdParams, rows: readonly WeightedSummary[], gradient?: Float64Array, hessian?: Float64Array): number {
  return preparedMbgNbd(columnsOf(rows))(params, gradient, hessian);
}

/** The total over rows laid out once: the likelihood shared with BG/NBD, at k = x + 1 (see beta-geometric.ts). */
export function preparedMbgNbd(rows: WeightedColumns): (params: MbgNbdParams, gradient?: Float64Array, hessian?: Float64Array) => number {
  return preparedBetaGeometric(rows, 1);
}

/** P(alive | x, tx, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+tx))^(r+x)), one-time buyers included. */
export function mbgnbdProbabilityAlive(params: MbgNbdParams, summary: CustomerSummary): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = summary;
  return logisticOfMinus(Math.log(a) - Math.log(b + x) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
}

/**
 * E[purchases in (T, T+t] | x, tx, T] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] P(alive),
 * evaluated in the Euler-transformed form shared with BG/NBD.
 */
export function mbgnbdExpectedPurchases(params: MbgNbdParams, summary: CustomerSummary, t: number): number {
  const { r, alpha, a, b } = params;
  return betaGeometricExpectationFactor(r, alpha, a, b + summary.x, summary.x, summary.T, t) * mbgnbdProbabilityAlive(params, summary);
}

/** E[X(t)] for a customer just acquired: the conditional expectation at x = tx = T = 0 (P(alive) there is b/(a+b)). */
export function mbgnbdUnconditionalExpectedPurchases(params: MbgNbdParams, t: number): number {
  return mbgnbdExpectedPurchases(params, { x: 0, tx: 0, T: 0 }, t);
}

export const mbgnbdSpec: LikelihoodSpec<MbgNbdParams> = {
  model: 'mbgnbd',
  paramNames: mbgnbdParamNames,
  analyticGradient: true,
  analyticHessian: true,
};

export function fitMbgNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedMbgNbd {
  const folded = foldSummaries(rows);
  return fitMaximumLikelihood(mbgnbdSpec, columnsData(folded, preparedMbgNbd), betaGeometricStart(folded), options) as FittedMbgNbd;
}
