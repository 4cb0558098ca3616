/**
 * MBG/NBD (Batislam, Denizel and Filiztekin 2007): BG/NBD in which the customer may also drop out right after the first
 * purchase, so a one-time buyer is not alive forever. Parameters r, alpha (purchase rate), a, b (dropout chance).
 */
import { betaGeometricExpectationFactor, purchaseRateStart, symmetrize } from './bgnbd.js';
import { columnsData, fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { alphaPlusTimes, prepareRows } from './prepared-rows.js';
import { digamma, gammaln, logisticOfMinus, trigamma } from './special.js';
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

/**
 * The total over rows laid out once ({@link prepareRows}): the same terms as {@link mbgnbdLogLikelihood} and its
 * gradient, with everything that depends on x alone summed per group of equal x (weighted by the group's weight) and the
 * logarithms of alpha + time taken once per distinct time.
 *
 * With `hessian` (and `gradient`), the second derivatives in log parameters too (row-major 4 x 4): with D for
 * d/d ln p, softplus(K)'s Hessian is s D2 K + s (1 - s) D K D K', s = logistic(K), D K = (r gap, (r+x) dq, 1, -b/(b+x)),
 * gap = ln(alpha+T) - ln(alpha+tx), dq = q(T) - q(tx), q(y) = alpha/(alpha+y), D q(y) = q(y)(1 - q(y)); so besides the
 * gradient's sums a group needs the sums of s (1 - s) times 1, gap, dq and their products, and two of q(1 - q).
 */
export function preparedMbgNbd(rows: WeightedColumns): (params: MbgNbdParams, gradient?: Float64Array, hessian?: Float64Array) => number {
  const { xs, start, groupWeight, weight, txAt, TAt, times } = prepareRows(rows);
  const timeTerms = alphaPlusTimes(times);
  return (params, gradient, hessian) => {
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
    const second = hessian !== undefined && gradient !== undefined;
    if (second) hessian.fill(0);
    const psi1R = second ? trigamma(r) : 0;
    const psi1AB = second ? trigamma(a + b) : 0;
    const psi1B = second ? trigamma(b) : 0;
    const sums = groupSums;
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
      const sumLl = mbgnbdGroupSums(
        rx,
        lnA - lnBx,
        start[g] as number,
        start[g + 1] as number,
        weight,
        txAt,
        TAt,
        lnAlphaPlus,
        alphaOver,
        gradient === undefined ? 0 : second ? 2 : 1,
        sums,
      );
      total += groupTotal * perCustomer + sumLl;
      if (gradient) {
        const sumS = sums[0] as number;
        const sumLnT = sums[1] as number;
        const sumSGap = sums[2] as number;
        const sumQT = sums[3] as number;
        const sumSDq = sums[4] as number;
        const psiABX1 = digamma(a + b + x + 1);
        const gr = r * (groupTotal * (digamma(rx) - psiR + lnAlpha) - sumLnT + sumSGap);
        const gaGamma = groupTotal * a * (psiAB - psiABX1);
        const gbGamma = groupTotal * b * (psiAB + digamma(b + x + 1) - psiB - psiABX1);
        const cb = b / (b + x);
        dr += gr;
        dAlpha += groupTotal * r - rx * sumQT + rx * sumSDq;
        da += gaGamma + sumS;
        db += gbGamma - sumS * cb;
        if (second) {
          const c0 = sums[5] as number;
          const cGap = sums[6] as number;
          const cDq = sums[7] as number;
          const psi1ABX1 = trigamma(a + b + x + 1);
          const h = hessian;
          h[0] = (h[0] as number) + gr + r * r * (groupTotal * (trigamma(rx) - psi1R) + (sums[8] as number)); // r r
          h[1] = (h[1] as number) + r * (groupTotal - sumQT + sumSDq + rx * (sums[9] as number)); // r alpha
          h[2] = (h[2] as number) + r * cGap; // r a
          h[3] = (h[3] as number) - r * cb * cGap; // r b
          h[5] = (h[5] as number) + rx * ((sums[12] as number) - (sums[11] as number) + rx * (sums[10] as number)); // alpha alpha
          h[6] = (h[6] as number) + rx * cDq; // alpha a
          h[7] = (h[7] as number) - rx * cb * cDq; // alpha b
          h[10] = (h[10] as number) + gaGamma + groupTotal * a * a * (psi1AB - psi1ABX1) + c0; // a a
          h[11] = (h[11] as number) + groupTotal * a * b * (psi1AB - psi1ABX1) - cb * c0; // a b
          h[15] =
            (h[15] as number) +
            gbGamma +
            groupTotal * b * b * (psi1AB + trigamma(b + x + 1) - psi1B - psi1ABX1) -
            (sumS * b * x) / ((b + x) * (b + x)) +
            cb * cb * c0; // b b
        }
      }
    }
    if (gradient) {
      gradient[0] = dr;
      gradient[1] = dAlpha;
      gradient[2] = da;
      gradient[3] = db;
    }
    if (second) symmetrize(hessian, 4);
    return total;
  };
}

/** A group's per-row sums, filled by {@link mbgnbdGroupSums}. */
const groupSums = new Float64Array(13);

/**
 * The rows of one group of equal x (as bgnbd.ts's group sums, for the same reason): returns the sum of
 * w (softplus(K) - (r+x) ln(alpha+T)) and writes into `out` the sums of w s, w ln(alpha+T), w s gap, w q(T), w s dq, then
 * of c, c gap, c dq, c gap^2, c gap dq, c dq^2 (c = w s (1 - s)), w q(T)(1 - q(T)), w s D dq.
 */
function mbgnbdGroupSums(
  rx: number,
  lnAOverBx: number,
  from: number,
  end: number,
  weight: Float64Array,
  txAt: Int32Array,
  TAt: Int32Array,
  lnAlphaPlus: Float64Array,
  alphaOver: Float64Array,
  order: number,
  out: Float64Array,
): number {
  let sumLl = 0;
  let sumS = 0;
  let sumLnT = 0;
  let sumSGap = 0;
  let sumQT = 0;
  let sumSDq = 0;
  let c0 = 0;
  let cGap = 0;
  let cDq = 0;
  let cGapGap = 0;
  let cGapDq = 0;
  let cDqDq = 0;
  let sumQT1 = 0;
  let sumSDDq = 0;
  for (let i = from; i < end; i++) {
    const w = weight[i] as number;
    const lnT = lnAlphaPlus[TAt[i] as number] as number;
    const gap = lnT - (lnAlphaPlus[txAt[i] as number] as number);
    const k = lnAOverBx + rx * gap;
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
    if (order > 0) {
      const qT = alphaOver[TAt[i] as number] as number;
      const qTx = alphaOver[txAt[i] as number] as number;
      const dq = qT - qTx;
      const ws = w * slope;
      sumS += ws;
      sumLnT += w * lnT;
      sumSGap += ws * gap;
      sumQT += w * qT;
      sumSDq += ws * dq;
      if (order > 1) {
        const c = ws * (1 - slope);
        const cg = c * gap;
        const cd = c * dq;
        c0 += c;
        cGap += cg;
        cDq += cd;
        cGapGap += cg * gap;
        cGapDq += cg * dq;
        cDqDq += cd * dq;
        const qT1 = qT * (1 - qT);
        sumQT1 += w * qT1;
        sumSDDq += ws * (qT1 - qTx * (1 - qTx));
      }
    }
  }
  out[0] = sumS;
  out[1] = sumLnT;
  out[2] = sumSGap;
  out[3] = sumQT;
  out[4] = sumSDq;
  out[5] = c0;
  out[6] = cGap;
  out[7] = cDq;
  out[8] = cGapGap;
  out[9] = cGapDq;
  out[10] = cDqDq;
  out[11] = sumQT1;
  out[12] = sumSDDq;
  return sumLl;
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
  return fitMaximumLikelihood(mbgnbdSpec, columnsData(folded, preparedMbgNbd), { ...purchaseRateStart(folded), a: 1, b: 1 }, options) as FittedMbgNbd;
}
