/**
 * The likelihood BG/NBD and MBG/NBD share. With k = x + offset (offset 0 for BG/NBD, 1 for MBG/NBD) a row's
 * log-likelihood is
 *   [lnG(r+x) - lnG(r)] + r ln alpha + [lnG(a+b) - lnG(a+b+k)] + [lnG(b+k) - lnG(b)] - (r+x) ln(alpha+T) + [k > 0] softplus(K),
 *   K = ln a - ln(b+k-1) + (r+x)(ln(alpha+T) - ln(alpha+tx)).
 * For BG/NBD that is Hardie's note 027 (D1 + D2 + log(C3 + C4) = D1 + r ln alpha - (r+x) ln(alpha+T) + softplus(ln C4 - ln C3));
 * for MBG/NBD it is Batislam et al.'s form. So one evaluation, its gradient and its Hessian serve both models.
 */
import { alphaPlusTimes, prepareRows } from './prepared-rows.js';
import { digamma, gammaln, trigamma } from './special.js';
import type { WeightedColumns } from './summary.js';
import type { BgNbdParams } from './types.js';

/**
 * lnG(base + n) - lnG(base), psi(base + n) - psi(base) and psi'(base + n) - psi'(base) for ascending whole n, each from
 * the previous one by the recurrences lnG(z+1) = lnG(z) + ln z, psi(z+1) = psi(z) + 1/z, psi'(z+1) = psi'(z) - 1/z^2.
 * The likelihoods need these differences once per distinct x, and x moves up by small steps: a logarithm and a division
 * per step cost far less than stdlib's lnG, psi and our psi', and, in a fresh process, need no special function compiled.
 * A jump of more than `longestWalk` goes through the special functions instead (rare: a few customers with many purchases).
 */
export class GammaSteps {
  lnGamma = 0;
  psi = 0;
  psi1 = 0;
  private at = 0;
  private base = 1;
  private order = 0;

  /** Starts again at n = 0; `order` 0 keeps lnG only, 1 psi too, 2 psi' too. */
  reset(base: number, order: number): void {
    this.base = base;
    this.order = order;
    this.at = 0;
    this.lnGamma = 0;
    this.psi = 0;
    this.psi1 = 0;
  }

  /** Moves to n (n >= the last n); the three differences then hold for base + n. */
  advanceTo(n: number): void {
    const base = this.base;
    if (n - this.at > longestWalk) {
      this.at = n;
      this.lnGamma = gammaln(base + n) - gammaln(base);
      if (this.order > 0) this.psi = digamma(base + n) - digamma(base);
      if (this.order > 1) this.psi1 = trigamma(base + n) - trigamma(base);
      return;
    }
    const order = this.order;
    for (; this.at < n; this.at++) {
      const z = base + this.at;
      this.lnGamma += Math.log(z);
      if (order > 0) {
        const inverse = 1 / z;
        this.psi += inverse;
        if (order > 1) this.psi1 -= inverse * inverse;
      }
    }
  }
}

/** Above this many steps {@link GammaSteps} evaluates the special functions directly. */
const longestWalk = 64;

const stepsR = new GammaSteps();
const stepsB = new GammaSteps();
const stepsAB = new GammaSteps();

/**
 * The total over rows laid out once ({@link prepareRows}): x-terms once per group of equal x, the logarithms of
 * alpha + time once per distinct time. With `gradient`, d(total)/d(log parameter) in r, alpha, a, b order; with
 * `hessian` too, the second derivatives (row-major 4 x 4). With D for d/d ln p, s = logistic(K), q(y) = alpha/(alpha+y),
 * gap = ln(alpha+T) - ln(alpha+tx), dq = q(T) - q(tx) (= D gap), cb = b/(b+k-1):
 * D K = (r gap, (r+x) dq, 1, -cb), and softplus(K)'s Hessian is s D2 K + s (1 - s) D K D K', where D2 K has r gap (r r),
 * r dq (r alpha), (r+x) D dq (alpha alpha, D q = q (1 - q)) and -b (k-1)/(b+k-1)^2 (b b). So besides the gradient's sums
 * a group needs the sums of c = w s (1 - s) times 1, gap, dq and their products, and two of q (1 - q).
 */
export function preparedBetaGeometric(rows: WeightedColumns, offset: 0 | 1): (params: BgNbdParams, gradient?: Float64Array, hessian?: Float64Array) => number {
  const { xs, start, groupWeight, weight, txAt, TAt, times } = prepareRows(rows);
  const timeTerms = alphaPlusTimes(times);
  return (params, gradient, hessian) => {
    const { r, alpha, a, b } = params;
    const { lnAlphaPlus, alphaOver } = timeTerms(alpha, gradient !== undefined);
    const lnA = Math.log(a);
    const lnAlpha = Math.log(alpha);
    const second = hessian !== undefined && gradient !== undefined;
    const order = gradient === undefined ? 0 : second ? 2 : 1;
    if (second) hessian.fill(0);
    stepsR.reset(r, order);
    stepsB.reset(b, order);
    stepsAB.reset(a + b, order);
    const sums = groupSums;
    let total = 0;
    let dr = 0;
    let dAlpha = 0;
    let da = 0;
    let db = 0;
    for (let g = 0; g < xs.length; g++) {
      const x = xs[g] as number;
      const k = x + offset;
      const rx = r + x;
      stepsR.advanceTo(x);
      stepsB.advanceTo(k);
      stepsAB.advanceTo(k);
      const groupTotal = groupWeight[g] as number;
      const perCustomer = stepsR.lnGamma + r * lnAlpha + stepsB.lnGamma - stepsAB.lnGamma;
      // k = 0 (BG/NBD's one-time buyers): no softplus term, and b + k - 1 may be 0.
      const lnC = k > 0 ? lnA - Math.log(b + k - 1) : -Infinity;
      const sumLl = betaGeometricGroupSums(rx, lnC, start[g] as number, start[g + 1] as number, weight, txAt, TAt, lnAlphaPlus, alphaOver, sums);
      total += groupTotal * perCustomer + sumLl;
      if (gradient) {
        const sumS = sums[0] as number;
        const sumLnT = sums[1] as number;
        const sumSGap = sums[2] as number;
        const sumQT = sums[3] as number;
        const sumSDq = sums[4] as number;
        const gr = r * (groupTotal * (stepsR.psi + lnAlpha) - sumLnT + sumSGap);
        const gaGamma = -groupTotal * a * stepsAB.psi;
        const gbGamma = groupTotal * b * (stepsB.psi - stepsAB.psi);
        const cb = k > 0 ? b / (b + k - 1) : 0;
        dr += gr;
        dAlpha += groupTotal * r - rx * sumQT + rx * sumSDq;
        da += gaGamma + sumS;
        db += gbGamma - sumS * cb;
        if (second) {
          const c0 = sums[5] as number;
          const cGap = sums[6] as number;
          const cDq = sums[7] as number;
          const h = hessian;
          h[0] = (h[0] as number) + gr + r * r * (groupTotal * stepsR.psi1 + (sums[8] as number)); // r r
          h[1] = (h[1] as number) + r * (groupTotal - sumQT + sumSDq + rx * (sums[9] as number)); // r alpha
          h[2] = (h[2] as number) + r * cGap; // r a
          h[3] = (h[3] as number) - r * cb * cGap; // r b
          h[5] = (h[5] as number) + rx * ((sums[12] as number) - (sums[11] as number) + rx * (sums[10] as number)); // alpha alpha
          h[6] = (h[6] as number) + rx * cDq; // alpha a
          h[7] = (h[7] as number) - rx * cb * cDq; // alpha b
          h[10] = (h[10] as number) + gaGamma - groupTotal * a * a * stepsAB.psi1 + c0; // a a
          h[11] = (h[11] as number) - groupTotal * a * b * stepsAB.psi1 - cb * c0; // a b
          const bk1 = b + k - 1;
          h[15] =
            (h[15] as number) + gbGamma + groupTotal * b * b * (stepsB.psi1 - stepsAB.psi1) - (k > 0 ? (sumS * b * (k - 1)) / (bk1 * bk1) : 0) + cb * cb * c0; // b b
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

/** A group's per-row sums, filled by {@link betaGeometricGroupSums} (module scope: a fit evaluates one likelihood at a time). */
const groupSums = new Float64Array(13);

/**
 * The rows of one group of equal x (rows from .. end - 1): returns the sum of w ([k > 0] softplus(K) - (r+x) ln(alpha+T))
 * and writes into `out` the sums the gradient and the Hessian need: w s, w ln(alpha+T), w s gap, w q(T), w s dq, then
 * c, c gap, c dq, c gap^2, c gap dq, c dq^2 (c = w s (1 - s)), w q(T)(1 - q(T)), w s D dq.
 * A function of its own, small and called once per group, so that the JIT compiles it within the first evaluation.
 * It computes every sum whatever the caller asked for: with the Hessian's sums behind a branch, V8's Maglev kept the
 * accumulators boxed and allocated about 17 heap numbers a row (330 KB an evaluation on CDNOW), and in a fresh process
 * each new page of that garbage costs a page fault: a cold fit spent more on them than on the arithmetic.
 */
function betaGeometricGroupSums(
  rx: number,
  lnC: number,
  from: number,
  end: number,
  weight: Float64Array,
  txAt: Int32Array,
  TAt: Int32Array,
  lnAlphaPlus: Float64Array,
  alphaOver: Float64Array,
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
  const repeat = lnC !== -Infinity;
  for (let i = from; i < end; i++) {
    const w = weight[i] as number;
    const lnT = lnAlphaPlus[TAt[i] as number] as number;
    const gap = lnT - (lnAlphaPlus[txAt[i] as number] as number);
    // softplus(K) and its derivative logistic(K) from one exp. log(1 + e) rather than log1p(e): its absolute error,
    // all a sum of log-likelihoods cares about, stays below 1e-16, and it is the cheaper of the two.
    let softplus = 0;
    let slope = 0;
    if (repeat) {
      const k = lnC + rx * gap;
      if (k > 0) {
        const e = Math.exp(-k);
        softplus = k + Math.log(1 + e);
        slope = 1 / (1 + e);
      } else {
        const e = Math.exp(k);
        softplus = Math.log(1 + e);
        slope = e / (1 + e);
      }
    }
    sumLl += w * (softplus - rx * lnT);
    const qT = alphaOver[TAt[i] as number] as number;
    const qTx = alphaOver[txAt[i] as number] as number;
    const dq = qT - qTx;
    const ws = w * slope;
    sumS += ws;
    sumLnT += w * lnT;
    sumSGap += ws * gap;
    sumQT += w * qT;
    sumSDq += ws * dq;
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

/** Copies the upper triangle of a row-major n x n matrix into its lower one. */
export function symmetrize(matrix: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) matrix[i * n + j] = matrix[j * n + i] as number;
}
