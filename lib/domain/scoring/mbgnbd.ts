/**
 * MBG/NBD (Batislam, Denizel and Filiztekin 2007): BG/NBD in which the customer may also drop out right after the first
 * purchase, so a one-time buyer is not alive forever. Parameters r, alpha (purchase rate), a, b (dropout chance).
 */
import { betaGeometricExpectationFactor, purchaseRateStart } from './bgnbd.js';
import { fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { digamma, gammaln, logistic, logisticOfMinus } from './special.js';
import { compress } from './summary.js';
import type { CustomerSummary, FitOptions, FittedMbgNbd, MbgNbdParams, WeightedSummary } from './types.js';

export const mbgnbdParamNames = ['r', 'alpha', 'a', 'b'] as const;

/**
 * LL = lnG(r+x) - lnG(r) + r ln alpha + lnG(a+b) + lnG(b+x+1) - lnG(b) - lnG(a+b+x+1) - (r+x) ln(alpha+T)
 *      + softplus(K),  K = ln a - ln(b+x) + (r+x)(ln(alpha+T) - ln(alpha+tx)).
 */
export function mbgnbdLogLikelihood(params: MbgNbdParams, summary: CustomerSummary): number {
  return rowLogLikelihood(params, summary.x, summary.tx, summary.T, undefined);
}

/** log(1 + e^k) without overflow. */
function softplus(k: number): number {
  return k > 0 ? k + Math.log1p(Math.exp(-k)) : Math.log1p(Math.exp(k));
}

function rowLogLikelihood(params: MbgNbdParams, x: number, tx: number, T: number, gradient: Float64Array | undefined): number {
  const { r, alpha, a, b } = params;
  const lnAlphaT = Math.log(alpha + T);
  const lnAlphaTx = Math.log(alpha + tx);
  const k = Math.log(a) - Math.log(b + x) + (r + x) * (lnAlphaT - lnAlphaTx);
  const ll =
    gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1) - (r + x) * lnAlphaT + softplus(k);
  if (gradient) {
    const w = logistic(k); // d softplus / dk
    const psiAB = digamma(a + b);
    const psiABX1 = digamma(a + b + x + 1);
    const dr = digamma(r + x) - digamma(r) + Math.log(alpha) - lnAlphaT + w * (lnAlphaT - lnAlphaTx);
    const dAlpha = r - ((r + x) * alpha) / (alpha + T) + w * (r + x) * (alpha / (alpha + T) - alpha / (alpha + tx));
    gradient[0] = r * dr;
    gradient[1] = dAlpha;
    gradient[2] = a * (psiAB - psiABX1) + w;
    gradient[3] = b * (psiAB + digamma(b + x + 1) - digamma(b) - psiABX1) - (w * b) / (b + x);
  }
  return ll;
}

export function mbgnbdTotalLogLikelihood(params: MbgNbdParams, rows: readonly WeightedSummary[], gradient?: Float64Array): number {
  let total = 0;
  const rowGradient = gradient ? new Float64Array(4) : undefined;
  if (gradient) gradient.fill(0);
  for (const row of rows) {
    total += row.weight * rowLogLikelihood(params, row.x, row.tx, row.T, rowGradient);
    if (gradient && rowGradient) for (let i = 0; i < 4; i++) gradient[i] = (gradient[i] as number) + row.weight * (rowGradient[i] as number);
  }
  return total;
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
  total: mbgnbdTotalLogLikelihood,
  analyticGradient: true,
};

export function fitMbgNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedMbgNbd {
  const weighted = compress(rows);
  return fitMaximumLikelihood(mbgnbdSpec, weighted, { ...purchaseRateStart(weighted), a: 1, b: 1 }, options) as FittedMbgNbd;
}
