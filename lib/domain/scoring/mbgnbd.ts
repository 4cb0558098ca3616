/**
 * MBG/NBD (Batislam, Denizel and Filiztekin 2007): BG/NBD in which the customer may also drop out right after the first
 * purchase, so a one-time buyer is not alive forever. Parameters r, alpha (purchase rate), a, b (dropout chance).
 */
import { betaGeometricExpectationFactor, purchaseRateStart } from './bgnbd.js';
import { columnsData, fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { digamma, gammaln, logisticOfMinus } from './special.js';
import { alphaPlusTimes, prepareRows } from './prepared-rows.js';
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
  return gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1) - (r + x) * lnAlphaT + softplus(k);
}

/** log(1 + e^k) without overflow. */
function softplus(k: number): number {
  return k > 0 ? k + Math.log1p(Math.exp(-k)) : Math.log1p(Math.exp(k));
}

/** Total weighted log-likelihood; with `gradient`, d(total)/d(log parameter) in r, alpha, a, b order. */
export function mbgnbdTotalLogLikelihood(params: MbgNbdParams, rows: readonly WeightedSummary[], gradient?: Float64Array): number {
  return preparedMbgNbd(columnsOf(rows))(params, gradient);
}

/**
 * The total over rows laid out once ({@link prepareRows}): the same terms as {@link mbgnbdLogLikelihood} and its
 * gradient, with everything that depends on x alone summed per group of equal x (weighted by the group's weight) and the
 * logarithms of alpha + time taken once per distinct time.
 */
export function preparedMbgNbd(rows: WeightedColumns): (params: MbgNbdParams, gradient?: Float64Array) => number {
  const { xs, start, groupWeight, weight, txAt, TAt, times } = prepareRows(rows);
  const timeTerms = alphaPlusTimes(times);
  return (params, gradient) => {
    const { r, alpha, a, b } = params;
    const { lnAlphaPlus, alphaOver } = timeTerms(alpha, gradient !== undefined);
    const lnA = Math.log(a);
    const lnAlpha = Math.log(alpha);
    const lnGammaR = gammaln(r);
    const lnGammaAB = gammaln(a + b);
    const lnGammaB = gammaln(b);
    const psiR = gradient ? digamma(r) : 0;
    const psiAB = gradient ? digamma(a + b) : 0;
    const psiB = gradient ? digamma(b) : 0;
    let total = 0;
    let dr = 0;
    let dAlpha = 0;
    let da = 0;
    let db = 0;
    for (let g = 0; g < xs.length; g++) {
      const x = xs[g] as number;
      const rx = r + x;
      const lnBx = Math.log(b + x);
      const groupTotal = groupWeight[g] as number;
      const perCustomer = gammaln(rx) - lnGammaR + r * lnAlpha + lnGammaAB + gammaln(b + x + 1) - lnGammaB - gammaln(a + b + x + 1);
      // Per row: ll = perCustomer - (r+x) ln(alpha+T) + softplus(K), K = ln a - ln(b+x) + (r+x)(ln(alpha+T) - ln(alpha+tx)).
      let sumLl = 0;
      let sumW = 0;
      let sumLnT = 0;
      let sumWGap = 0;
      let sumQT = 0;
      let sumWQGap = 0;
      const end = start[g + 1] as number;
      for (let i = start[g] as number; i < end; i++) {
        const w = weight[i] as number;
        const lnT = lnAlphaPlus[TAt[i] as number] as number;
        const gap = lnT - (lnAlphaPlus[txAt[i] as number] as number);
        const k = lnA - lnBx + rx * gap;
        // softplus(K) and its derivative logistic(K) from one exp. log(1 + e) rather than log1p(e): its absolute error,
        // all a sum of log-likelihoods cares about, stays below 1e-16, and it is the cheaper of the two.
        let softplus: number;
        let slope: number;
        if (k > 0) {
          const e = Math.exp(-k);
          softplus = k + Math.log(1 + e);
          slope = 1 / (1 + e);
        } else {
          const e = Math.exp(k);
          softplus = Math.log(1 + e);
          slope = e / (1 + e);
        }
        sumLl += w * (softplus - rx * lnT);
        if (gradient) {
          const qT = alphaOver[TAt[i] as number] as number;
          sumW += w * slope;
          sumLnT += w * lnT;
          sumWGap += w * slope * gap;
          sumQT += w * qT;
          sumWQGap += w * slope * (qT - (alphaOver[txAt[i] as number] as number));
        }
      }
      total += groupTotal * perCustomer + sumLl;
      if (gradient) {
        const psiABX1 = digamma(a + b + x + 1);
        dr += r * (groupTotal * (digamma(rx) - psiR + lnAlpha) - sumLnT + sumWGap);
        dAlpha += groupTotal * r - rx * sumQT + rx * sumWQGap;
        da += groupTotal * a * (psiAB - psiABX1) + sumW;
        db += groupTotal * b * (psiAB + digamma(b + x + 1) - psiB - psiABX1) - (sumW * b) / (b + x);
      }
    }
    if (gradient) {
      gradient[0] = dr;
      gradient[1] = dAlpha;
      gradient[2] = da;
      gradient[3] = db;
    }
    return total;
  };
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
};

export function fitMbgNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedMbgNbd {
  const folded = foldSummaries(rows);
  return fitMaximumLikelihood(mbgnbdSpec, columnsData(folded, preparedMbgNbd), { ...purchaseRateStart(folded), a: 1, b: 1 }, options) as FittedMbgNbd;
}
