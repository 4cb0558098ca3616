/**
 * BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): purchases at a Poisson rate
 * lambda ~ Gamma(r, alpha) while alive; after each purchase the customer drops out with probability p ~ Beta(a, b).
 */
import { columnsData, fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { alphaPlusTimes, prepareRows } from './prepared-rows.js';
import { betaGeometricFactorByQuadrature } from './quadrature.js';
import { digamma, gammaln, hyp2f1, logAddExp, logisticOfMinus, trigamma } from './special.js';
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

/**
 * The total over rows laid out once ({@link prepareRows}): the same terms as {@link bgnbdLogLikelihood} and its
 * gradient, with everything that depends on x alone summed per group of equal x (weighted by the group's weight) and the
 * logarithms of alpha + time taken once per distinct time.
 *
 * With `hessian` (and `gradient`), the second derivatives in log parameters too (row-major 4 x 4). In log parameters
 * (D for d/d ln p) the row's ll is [lnG(r+x) - lnG(r)] + [the a, b gamma terms] + r ln alpha - (r+x) ln(alpha+tx) +
 * LSE(u3, u4), u3 = (r+x) gap, gap = ln(alpha+tx) - ln(alpha+T), u4 = ln a - ln(b+x-1). The LSE's Hessian is
 * w3 D2 u3 + w4 D2 u4 + w3 w4 v v', v = D u3 - D u4 = (r gap, (r+x) dq, -1, b/(b+x-1)), dq = q(tx) - q(T),
 * q(y) = alpha/(alpha+y), D q(y) = q(y)(1 - q(y)); so besides the gradient's sums a group needs the sums of w3 w4 times
 * 1, gap, dq and their products, and two of q(1 - q).
 */
export function preparedBgNbd(rows: WeightedColumns): (params: BgNbdParams, gradient?: Float64Array, hessian?: Float64Array) => number {
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
    let total = 0;
    let dr = 0;
    let dAlpha = 0;
    let da = 0;
    let db = 0;
    const second = hessian !== undefined && gradient !== undefined;
    if (second) hessian.fill(0);
    const psi1R = second ? trigamma(r) : 0;
    const psi1AB = second ? trigamma(a + b) : 0;
    const psi1B = second ? trigamma(b) : 0;
    const sums = groupSums;
    for (let g = 0; g < xs.length; g++) {
      const x = xs[g] as number;
      const rx = r + x;
      const groupTotal = groupWeight[g] as number;
      const perCustomer = gammaln(rx) - lnGammaR + lnGammaAB + gammaln(b + x) - lnGammaB - gammaln(a + b + x) + r * lnAlpha;
      const lnC4 = x > 0 ? lnA - Math.log(b + x - 1) : -Infinity;
      const end = start[g + 1] as number;
      const sumLl = bgnbdGroupSums(
        rx,
        lnC4,
        start[g] as number,
        end,
        weight,
        txAt,
        TAt,
        lnAlphaPlus,
        alphaOver,
        gradient === undefined ? 0 : second ? 2 : 1,
        sums,
      );
      const sumW4 = sums[0] as number;
      const sumLnTx = sums[1] as number;
      const sumW3Gap = sums[2] as number;
      const sumQTx = sums[3] as number;
      const sumW3QGap = sums[4] as number;
      const c0 = sums[5] as number;
      const cGap = sums[6] as number;
      const cDq = sums[7] as number;
      const cGapGap = sums[8] as number;
      const cGapDq = sums[9] as number;
      const cDqDq = sums[10] as number;
      const sumQTx1 = sums[11] as number;
      const sumW3DDq = sums[12] as number;
      total += groupTotal * perCustomer + sumLl;
      if (gradient) {
        const psiABX = digamma(a + b + x);
        const gr = r * (groupTotal * (digamma(rx) - psiR + lnAlpha) - sumLnTx + sumW3Gap);
        const ga = groupTotal * a * (psiAB - psiABX) + sumW4;
        const gbGamma = groupTotal * b * (psiAB + digamma(b + x) - psiB - psiABX);
        // x = 0: w4 = 0, and b + x - 1 may be 0.
        const cb = x > 0 ? b / (b + x - 1) : 0;
        dr += gr;
        dAlpha += groupTotal * r - rx * sumQTx + rx * sumW3QGap;
        da += ga;
        db += gbGamma - sumW4 * cb;
        if (second) {
          const psi1ABX = trigamma(a + b + x);
          const h = hessian;
          h[0] = (h[0] as number) + gr + r * r * (groupTotal * (trigamma(rx) - psi1R) + cGapGap); // r r
          h[1] = (h[1] as number) + r * (groupTotal - sumQTx + sumW3QGap + rx * cGapDq); // r alpha
          h[2] = (h[2] as number) - r * cGap; // r a
          h[3] = (h[3] as number) + r * cb * cGap; // r b
          h[5] = (h[5] as number) + rx * (sumW3DDq - sumQTx1 + rx * cDqDq); // alpha alpha
          h[6] = (h[6] as number) - rx * cDq; // alpha a
          h[7] = (h[7] as number) + rx * cb * cDq; // alpha b
          h[10] = (h[10] as number) + ga - sumW4 + groupTotal * a * a * (psi1AB - psi1ABX) + c0; // a a
          h[11] = (h[11] as number) + groupTotal * a * b * (psi1AB - psi1ABX) - cb * c0; // a b
          const bx1 = b + x - 1;
          h[15] =
            (h[15] as number) +
            gbGamma +
            groupTotal * b * b * (psi1AB + trigamma(b + x) - psi1B - psi1ABX) -
            (x > 0 ? (sumW4 * b * (x - 1)) / (bx1 * bx1) : 0) +
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

/** A group's per-row sums, filled by {@link bgnbdGroupSums} (module scope: a fit evaluates one likelihood at a time). */
const groupSums = new Float64Array(13);

/**
 * The rows of one group of equal x (rows from .. end - 1): returns the sum of w (log(C3 + C4) - (r+x) ln(alpha+tx)) and
 * writes into `out` the sums the gradient (order 1) and the Hessian (order 2) need, in the order
 * w w4, w ln(alpha+tx), w w3 gap, w q(tx), w w3 dq, then c, c gap, c dq, c gap^2, c gap dq, c dq^2, w q(tx)(1-q(tx)),
 * w w3 D dq (c = w w3 w4). A function of its own, small and called once per group, so that the JIT compiles it after a
 * few evaluations, in a few milliseconds: a fit in a fresh process runs mostly before that (see minimizeNewton).
 */
function bgnbdGroupSums(
  rx: number,
  lnC4: number,
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
  let sumW4 = 0;
  let sumLnTx = 0;
  let sumW3Gap = 0;
  let sumQTx = 0;
  let sumW3QGap = 0;
  let c0 = 0;
  let cGap = 0;
  let cDq = 0;
  let cGapGap = 0;
  let cGapDq = 0;
  let cDqDq = 0;
  let sumQTx1 = 0;
  let sumW3DDq = 0;
  const repeat = lnC4 !== -Infinity;
  for (let i = from; i < end; i++) {
    const w = weight[i] as number;
    const lnTx = lnAlphaPlus[txAt[i] as number] as number;
    const gap = lnTx - (lnAlphaPlus[TAt[i] as number] as number);
    const lnC3 = rx * gap;
    // log(C3 + C4) and the shares C3 / (C3 + C4), C4 / (C3 + C4) from one exp; branching on x, never 0 * NaN.
    // log(1 + e) rather than log1p(e): its absolute error, all a sum of log-likelihoods cares about, stays below
    // 1e-16, and it is the cheaper of the two.
    let l3 = lnC3;
    let w3 = 1;
    let w4 = 0;
    if (repeat) {
      const u = lnC3 - lnC4;
      if (u > 0) {
        const e = Math.exp(-u);
        l3 = lnC3 + Math.log(1 + e);
        w3 = 1 / (1 + e);
        w4 = e * w3;
      } else {
        const e = Math.exp(u);
        l3 = lnC4 + Math.log(1 + e);
        w4 = 1 / (1 + e);
        w3 = e * w4;
      }
    }
    sumLl += w * (l3 - rx * lnTx);
    if (order > 0) {
      const qTx = alphaOver[txAt[i] as number] as number;
      const qT = alphaOver[TAt[i] as number] as number;
      const dq = qTx - qT;
      const ww3 = w * w3;
      sumW4 += w * w4;
      sumLnTx += w * lnTx;
      sumW3Gap += ww3 * gap;
      sumQTx += w * qTx;
      sumW3QGap += ww3 * dq;
      if (order > 1) {
        const c = ww3 * w4;
        const cg = c * gap;
        const cd = c * dq;
        c0 += c;
        cGap += cg;
        cDq += cd;
        cGapGap += cg * gap;
        cGapDq += cg * dq;
        cDqDq += cd * dq;
        const qTx1 = qTx * (1 - qTx);
        sumQTx1 += w * qTx1;
        sumW3DDq += ww3 * (qTx1 - qT * (1 - qT));
      }
    }
  }
  out[0] = sumW4;
  out[1] = sumLnTx;
  out[2] = sumW3Gap;
  out[3] = sumQTx;
  out[4] = sumW3QGap;
  out[5] = c0;
  out[6] = cGap;
  out[7] = cDq;
  out[8] = cGapGap;
  out[9] = cGapDq;
  out[10] = cDqDq;
  out[11] = sumQTx1;
  out[12] = sumW3DDq;
  return sumLl;
}

/** Copies the upper triangle of a row-major n x n matrix into its lower one. */
export function symmetrize(matrix: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) matrix[i * n + j] = matrix[j * n + i] as number;
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

/** Starting values: r = 1 and alpha matching the observed repeat rate; a = b = 1 (a flat prior on the dropout chance). */
export function purchaseRateStart(rows: WeightedColumns): { r: number; alpha: number } {
  let purchases = 0;
  let time = 0;
  let customers = 0;
  for (let i = 0; i < rows.length; i++) {
    const weight = rows.weight[i] as number;
    purchases += weight * (rows.x[i] as number);
    time += weight * (rows.T[i] as number);
    customers += weight;
  }
  const rate = purchases > 0 && time > 0 ? purchases / time : 1 / Math.max(time / Math.max(customers, 1), 1);
  return { r: 1, alpha: 1 / rate };
}

export function fitBgNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedBgNbd {
  const folded = foldSummaries(rows);
  return fitMaximumLikelihood(bgnbdSpec, columnsData(folded, preparedBgNbd), { ...purchaseRateStart(folded), a: 1, b: 1 }, options) as FittedBgNbd;
}
