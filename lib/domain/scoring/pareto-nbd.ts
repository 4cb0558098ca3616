/**
 * Pareto/NBD (Schmittlein, Morrison and Colombo 1987): purchases at a Poisson rate lambda ~ Gamma(r, alpha) during an
 * exponential lifetime with rate mu ~ Gamma(s, beta). Expressions from Fader and Hardie's note 008 ("A note on deriving
 * the Pareto/NBD model and related expressions"), evaluated in log space.
 */
import { GammaSteps } from './beta-geometric.js';
import { purchaseRateStart } from './bgnbd.js';
import { columnsData, fitMaximumLikelihood, type LikelihoodSpec } from './fit.js';
import { gammaln, hyp2f1, log1mExp, logAddExp, logisticOfMinus, oneMinusPowerOver } from './special.js';
import { columnsOf, foldSummaries, type WeightedColumns } from './summary.js';
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
 * Total weighted log-likelihood; with `gradient`, d(total)/d(log parameter) in r, alpha, s, beta order.
 *
 * The gradient is analytic. A0 / (r+s+x) is the integral over (tx, T) of (alpha+t)^-(r+x) (beta+t)^-(s+1), and after
 * Euler's transformation each of its two ends is (1-z)^(1-b) S / (m+y)^a with S = 2F1(1, a+1-b; a+1; z) = sum of
 * c_n z^n, c_n = prod over k < n of (a+1-b+k)/(a+1+k) (a = r+s+x, b and m by the max(alpha, beta) branch of
 * {@link logA0}). Every term of that series is positive and differentiates in a, b and z in closed form, so one pass
 * over it gives S and its three derivatives; no package offers derivatives of 2F1 in its parameters. Where the series
 * converges slowly (z above {@link seriesLimit}: one of alpha and beta many times the other) a row falls back to
 * stdlib's 2F1 and central differences of its own log-likelihood: rare, and still exact to about 1e-9.
 */
export function paretoTotalLogLikelihood(params: ParetoNbdParams, rows: readonly WeightedSummary[], gradient?: Float64Array): number {
  return preparedPareto(columnsOf(rows))(params, gradient);
}

/**
 * The total over rows laid out once. An end of A0 depends on the row only through (x, y), y = tx or T, and rows share
 * them (CDNOW's 1,016 distinct rows have 1,050 distinct ends, not 2,032): each evaluation sums each end's series once,
 * then combines two ends per row. The gamma terms of r + x are walked per distinct x ({@link GammaSteps}).
 */
export function preparedPareto(rows: WeightedColumns): (params: ParetoNbdParams, gradient?: Float64Array) => number {
  const n = rows.length;
  const distinctX = [...new Set(rows.x)].sort((p, q) => p - q);
  const xIndex = new Map(distinctX.map((x, i) => [x, i]));
  const endsByX = new Map<number, Map<number, number>>();
  const endX: number[] = [];
  const endY: number[] = [];
  const endOf = (x: number, y: number): number => {
    let byY = endsByX.get(x);
    if (!byY) {
      byY = new Map();
      endsByX.set(x, byY);
    }
    let at = byY.get(y);
    if (at === undefined) {
      at = endX.length;
      byY.set(y, at);
      endX.push(x);
      endY.push(y);
    }
    return at;
  };
  const rowX = new Int32Array(n);
  // Where the row's tx and T ends are; -1 when tx = T (A0 = 0, no ends).
  const rowTxEnd = new Int32Array(n);
  const rowTEnd = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = rows.x[i] as number;
    rowX[i] = xIndex.get(x) as number;
    const tx = rows.tx[i] as number;
    const T = rows.T[i] as number;
    rowTxEnd[i] = tx < T ? endOf(x, tx) : -1;
    rowTEnd[i] = tx < T ? endOf(x, T) : -1;
  }
  const ends = endX.length;
  const endValue = new Float64Array(ends);
  // Per end: d/da, d/db, d/dm, d/dgap, four to an end.
  const endDerivatives = new Float64Array(4 * ends);
  const xs = Float64Array.from(distinctX);
  const lnGammaRx = new Float64Array(xs.length);
  const psiRx = new Float64Array(xs.length);
  const steps = new GammaSteps();
  const rowGradient = new Float64Array(4);
  return (params, gradient) => {
    const { r, alpha, s, beta } = params;
    const withGradient = gradient !== undefined;
    const lnAlpha = Math.log(alpha);
    const lnBeta = Math.log(beta);
    steps.reset(r, withGradient ? 1 : 0);
    for (let g = 0; g < xs.length; g++) {
      steps.advanceTo(xs[g] as number);
      lnGammaRx[g] = steps.lnGamma;
      psiRx[g] = steps.psi;
    }
    const alphaAbove = alpha >= beta;
    const m = alphaAbove ? alpha : beta;
    const gap = alphaAbove ? alpha - beta : beta - alpha;
    for (let e = 0; e < ends; e++) {
      const x = endX[e] as number;
      const y = endY[e] as number;
      const z = gap / (m + y);
      endValue[e] = z > seriesLimit ? Number.NaN : endTerm(r + s + x, alphaAbove ? s + 1 : r + x, m, y, z, withGradient, endDerivatives, 4 * e);
    }
    let total = 0;
    let dr = 0;
    let dAlpha = 0;
    let ds = 0;
    let dBeta = 0;
    // The row's gradient is summed whether or not the caller asked for it: accumulators updated behind a branch stay
    // boxed in V8's compiled loop (see betaGeometricGroupSums), and their garbage costs a cold fit more than the sums.
    for (let i = 0; i < n; i++) {
      const x = rows.x[i] as number;
      const weight = rows.weight[i] as number;
      let ll = paretoRowFromEnds(r, alpha, s, beta, x, rows.T[i] as number, rowTxEnd[i] as number, rowTEnd[i] as number, endValue, endDerivatives, rowGradient);
      if (Number.isNaN(ll)) {
        const row = { x, tx: rows.tx[i] as number, T: rows.T[i] as number };
        ll = paretoLogLikelihood(params, row);
        if (withGradient) rowGradientByDifferences(params, row, rowGradient);
        else rowGradient.fill(0);
      } else {
        const g = rowX[i] as number;
        ll += (lnGammaRx[g] as number) + r * lnAlpha + s * lnBeta;
        rowGradient[0] = (rowGradient[0] as number) + (psiRx[g] as number) + lnAlpha;
        rowGradient[1] = (rowGradient[1] as number) + r / alpha;
        rowGradient[2] = (rowGradient[2] as number) + lnBeta;
        rowGradient[3] = (rowGradient[3] as number) + s / beta;
      }
      total += weight * ll;
      dr += weight * (rowGradient[0] as number);
      dAlpha += weight * (rowGradient[1] as number);
      ds += weight * (rowGradient[2] as number);
      dBeta += weight * (rowGradient[3] as number);
    }
    if (gradient) {
      // By the chain rule, d/d(ln p) = p d/dp.
      gradient[0] = r * dr;
      gradient[1] = alpha * dAlpha;
      gradient[2] = s * ds;
      gradient[3] = beta * dBeta;
    }
    return total;
  };
}

/** Above this z an end's series needs hundreds of terms: rows that need such an end take the fallback. */
const seriesLimit = 0.9;

/**
 * ln[ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ], the part of a row's log-likelihood that is not a plain function of
 * the parameters, from its two ends of A0 (indices into the ends' values and derivatives; -1 when tx = T), with its
 * derivatives in (r, alpha, s, beta) (natural, not log) written into `gradient`; NaN when an end's series would converge
 * too slowly (the caller falls back).
 */
function paretoRowFromEnds(
  r: number,
  alpha: number,
  s: number,
  beta: number,
  x: number,
  T: number,
  txEnd: number,
  TEnd: number,
  endValue: Float64Array,
  endDerivatives: Float64Array,
  gradient: Float64Array | undefined,
): number {
  const lnAlphaT = Math.log(alpha + T);
  const lnBetaT = Math.log(beta + T);
  const alive = -(r + x) * lnAlphaT - s * lnBetaT;
  if (txEnd < 0) {
    // A0 = 0: only the alive term.
    if (gradient) {
      gradient[0] = -lnAlphaT;
      gradient[1] = -(r + x) / (alpha + T);
      gradient[2] = -lnBetaT;
      gradient[3] = -s / (beta + T);
    }
    return alive;
  }
  const atTx = endValue[txEnd] as number;
  const atT = endValue[TEnd] as number;
  if (Number.isNaN(atTx) || Number.isNaN(atT)) return Number.NaN;
  if (!(atT < atTx)) return Number.NaN;
  const lnA0 = atTx + log1mExp(atT - atTx);
  const a = r + s + x;
  const second = Math.log(s) - Math.log(a) + lnA0;
  const value = logAddExp(alive, second);
  if (gradient) {
    const shareAlive = Math.exp(alive - value);
    const shareA0 = Math.exp(second - value);
    // d lnA0 = (dTx - rho dT) / (1 - rho), rho = A0's T end over its tx end.
    const rho = Math.exp(atT - atTx);
    const over = 1 / (1 - rho);
    const i = 4 * txEnd;
    const j = 4 * TEnd;
    const dA = ((endDerivatives[i] as number) - rho * (endDerivatives[j] as number)) * over; // d/da
    const dB = ((endDerivatives[i + 1] as number) - rho * (endDerivatives[j + 1] as number)) * over; // d/db
    const dM = ((endDerivatives[i + 2] as number) - rho * (endDerivatives[j + 2] as number)) * over; // d/dm
    const dGap = ((endDerivatives[i + 3] as number) - rho * (endDerivatives[j + 3] as number)) * over; // d/dgap
    // a = r+s+x; b = s+1 (alpha >= beta) or r+x; m and gap by the same branch.
    const alphaAbove = alpha >= beta;
    const dLnA0dr = dA + (alphaAbove ? 0 : dB);
    const dLnA0ds = dA + (alphaAbove ? dB : 0);
    const dLnA0dAlpha = alphaAbove ? dM + dGap : -dGap;
    const dLnA0dBeta = alphaAbove ? -dGap : dM + dGap;
    gradient[0] = shareAlive * -lnAlphaT + shareA0 * (-1 / a + dLnA0dr);
    gradient[1] = shareAlive * (-(r + x) / (alpha + T)) + shareA0 * dLnA0dAlpha;
    gradient[2] = shareAlive * -lnBetaT + shareA0 * (1 / s - 1 / a + dLnA0ds);
    gradient[3] = shareAlive * (-s / (beta + T)) + shareA0 * dLnA0dBeta;
  }
  return value;
}

/**
 * ln[(1-z)^(1-b) S / (m+y)^a] with z = gap/(m+y), S = 2F1(1, a+1-b; a+1; z) (one end of A0, see
 * {@link paretoTotalLogLikelihood}); with `derivatives`, its derivatives in a, b, m and gap into `out` from `at`. NaN when the
 * series has not converged within its term limit.
 */
function endTerm(a: number, b: number, m: number, y: number, z: number, derivatives: boolean, out: Float64Array, at: number): number {
  const p = a + 1 - b;
  const q = a + 1;
  // S = sum c_n z^n; with running harmonic sums hp = sum 1/(p+k), hq = sum 1/(q+k) over k < n:
  // dS/dp = sum c_n z^n hp, dS/dq = -sum c_n z^n hq, dS/dz = sum n c_n z^(n-1).
  let term = 1;
  let sum = 1;
  let sumP = 0;
  let sumQ = 0;
  let sumZ = 0;
  let hp = 0;
  let hq = 0;
  let converged = z === 0;
  for (let n = 0; n < 2000 && !converged; n++) {
    hp += 1 / (p + n);
    hq += 1 / (q + n);
    term *= ((p + n) / (q + n)) * z;
    sum += term;
    sumP += term * hp;
    sumQ += term * hq;
    sumZ += (n + 1) * term;
    // The terms fall at least as fast as z^n: what is left of each sum is below its last term over (1 - z). The largest
    // of the three by comparisons, not Math.max: V8's compiled loop boxed every running sum around that call.
    const largest = n + 1 > hq ? (n + 1 > hp ? n + 1 : hp) : hq > hp ? hq : hp;
    converged = (term * largest) / (1 - z) <= 1e-17 * sum;
  }
  if (!converged) return Number.NaN;
  const my = m + y;
  const lnMy = Math.log(my);
  const value = (1 - b) * Math.log1p(-z) + Math.log(sum) - a * lnMy;
  if (derivatives) {
    const dSdp = sumP / sum;
    const dSdq = -sumQ / sum;
    const dLnSdz = z === 0 ? p / q : sumZ / z / sum;
    const dz = -(1 - b) / (1 - z) + dLnSdz; // d value / dz
    out[at] = dSdp + dSdq - lnMy; // d/da: p and q both move with a
    out[at + 1] = -Math.log1p(-z) - dSdp; // d/db: p = a+1-b
    out[at + 2] = -a / my - dz * (z / my); // d/dm: z = gap/(m+y)
    out[at + 3] = dz / my; // d/dgap
  }
  return value;
}

/** A row's gradient (natural parameters) by central differences of its stdlib-based log-likelihood, in log space. */
function rowGradientByDifferences(params: ParetoNbdParams, row: CustomerSummary, out: Float64Array): void {
  const h = 1e-6;
  paretoParamNames.forEach((name, i) => {
    const value = params[name];
    const up = paretoLogLikelihood({ ...params, [name]: value * Math.exp(h) }, row);
    const down = paretoLogLikelihood({ ...params, [name]: value * Math.exp(-h) }, row);
    out[i] = (up - down) / (2 * h) / value;
  });
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
  analyticGradient: true,
};

export function fitParetoNbd(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedParetoNbd {
  const folded = foldSummaries(rows);
  let customers = 0;
  let sumT = 0;
  for (let i = 0; i < folded.length; i++) {
    customers += folded.weight[i] as number;
    sumT += (folded.weight[i] as number) * (folded.T[i] as number);
  }
  const meanT = sumT / Math.max(customers, 1);
  // Start with a mean lifetime of about the observation window: s = 1, beta = mean T.
  const start = { ...purchaseRateStart(folded), s: 1, beta: Math.max(meanT, 1e-3) };
  return fitMaximumLikelihood(paretoSpec, columnsData(folded, preparedPareto), start, options) as FittedParetoNbd;
}
