/**
 * Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"; Colombo and Jiang 1999): each purchase's value
 * z ~ Gamma(p, nu), with nu ~ Gamma(q, gamma) across customers. Fitted on repeat customers only (x > 0), on their mean
 * spend per repeat purchase day m_x.
 */
import { fitMaximumLikelihood, type LikelihoodData, type LikelihoodSpec } from './fit.js';
import { digamma, gammaln, trigamma } from './special.js';
import type { CustomerSummary, FitOptions, FittedGammaGamma, GammaGammaParams, WeightedSummary } from './types.js';

export const gammaGammaParamNames = ['p', 'q', 'gamma'] as const;

/**
 * Log-density of the observed mean spend m = monetary over x repeat purchases:
 * lnG(px+q) - lnG(px) - lnG(q) + q ln gamma + (px-1) ln m + px ln x - (px+q) ln(gamma + m x).
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, monetary: number): number {
  return rowLogLikelihood(params, x, monetary);
}

function rowLogLikelihood(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  const px = p * x;
  const lnM = Math.log(m);
  return gammaln(px + q) - gammaln(px) - gammaln(q) + q * Math.log(gamma) + (px - 1) * lnM + px * Math.log(x) - (px + q) * Math.log(gamma + m * x);
}

/** Rows are (x, monetary) pairs folded with weights: `tx`/`T` are unused and set to 0. */
export function gammaGammaTotalLogLikelihood(
  params: GammaGammaParams,
  rows: readonly WeightedSummary[],
  gradient?: Float64Array,
  hessian?: Float64Array,
): number {
  return preparedGammaGamma(rows)(params, gradient, hessian);
}

/**
 * The total over rows laid out once: grouped by x, so that the gamma and digamma terms (functions of p x and q) are
 * computed once per distinct x, with ln m summed per group in advance. With `gradient`, d(total)/d(log parameter) in
 * p, q, gamma order; with `hessian` too, the second derivatives (row-major 3 x 3). With P = p x and
 * u = gamma / (gamma + m x) (D u = u (1 - u) in ln gamma), a group of weight G gives
 *   D_p = P [G (psi(P+q) - psi(P) + ln x) + sum w ln m - sum w ln(gamma + m x)],
 *   D_q = q [G (psi(P+q) - psi(q) + ln gamma) - sum w ln(gamma + m x)],  D_gamma = G q - (P+q) sum w u,
 * and D_pp = D_p + P^2 G (psi'(P+q) - psi'(P)), D_pq = P q G psi'(P+q), D_p gamma = -P sum w u,
 * D_qq = D_q + q^2 G (psi'(P+q) - psi'(q)), D_q gamma = q (G - sum w u), D_gamma gamma = -(P+q) sum w u (1 - u).
 */
export function preparedGammaGamma(rows: readonly WeightedSummary[]): (params: GammaGammaParams, gradient?: Float64Array, hessian?: Float64Array) => number {
  const order = rows.map((_, i) => i).sort((i, j) => (rows[i] as WeightedSummary).x - (rows[j] as WeightedSummary).x);
  const xs: number[] = [];
  const start: number[] = [];
  const groupWeight: number[] = [];
  const groupLnM: number[] = [];
  const weight = new Float64Array(rows.length);
  const spend = new Float64Array(rows.length);
  order.forEach((index, at) => {
    const row = rows[index] as WeightedSummary;
    const m = row.monetary as number;
    if (xs.length === 0 || xs[xs.length - 1] !== row.x) {
      xs.push(row.x);
      start.push(at);
      groupWeight.push(0);
      groupLnM.push(0);
    }
    weight[at] = row.weight;
    spend[at] = m * row.x;
    const g = xs.length - 1;
    groupWeight[g] = (groupWeight[g] as number) + row.weight;
    groupLnM[g] = (groupLnM[g] as number) + row.weight * Math.log(m);
  });
  start.push(rows.length);
  return (params, gradient, hessian) => {
    const { p, q, gamma } = params;
    const lnGamma = Math.log(gamma);
    const lnGammaQ = gammaln(q);
    const second = gradient !== undefined && hessian !== undefined;
    const psiQ = gradient ? digamma(q) : 0;
    const psi1Q = second ? trigamma(q) : 0;
    if (gradient) gradient.fill(0);
    if (second) hessian.fill(0);
    let total = 0;
    for (let g = 0; g < xs.length; g++) {
      const x = xs[g] as number;
      const px = p * x;
      const lnX = Math.log(x);
      const G = groupWeight[g] as number;
      const sumLnM = groupLnM[g] as number;
      let sumLn = 0;
      let sumU = 0;
      let sumU1 = 0;
      const end = start[g + 1] as number;
      for (let i = start[g] as number; i < end; i++) {
        const w = weight[i] as number;
        const value = gamma + (spend[i] as number);
        sumLn += w * Math.log(value);
        if (gradient) {
          const u = gamma / value;
          sumU += w * u;
          sumU1 += w * u * (1 - u);
        }
      }
      total += G * (gammaln(px + q) - gammaln(px) - lnGammaQ + q * lnGamma + px * lnX) + (px - 1) * sumLnM - (px + q) * sumLn;
      if (gradient) {
        const psiPxQ = digamma(px + q);
        const dp = px * (G * (psiPxQ - digamma(px) + lnX) + sumLnM - sumLn);
        const dq = q * (G * (psiPxQ - psiQ + lnGamma) - sumLn);
        gradient[0] = (gradient[0] as number) + dp;
        gradient[1] = (gradient[1] as number) + dq;
        gradient[2] = (gradient[2] as number) + G * q - (px + q) * sumU;
        if (second) {
          const psi1PxQ = trigamma(px + q);
          const h = hessian;
          h[0] = (h[0] as number) + dp + px * px * G * (psi1PxQ - trigamma(px));
          h[1] = (h[1] as number) + px * q * G * psi1PxQ;
          h[2] = (h[2] as number) - px * sumU;
          h[4] = (h[4] as number) + dq + q * q * G * (psi1PxQ - psi1Q);
          h[5] = (h[5] as number) + q * (G - sumU);
          h[8] = (h[8] as number) - (px + q) * sumU1;
        }
      }
    }
    if (second) {
      const h = hessian;
      h[3] = h[1] as number;
      h[6] = h[2] as number;
      h[7] = h[5] as number;
    }
    return total;
  };
}

/**
 * E[M | m_x, x] = p (gamma + m_x x) / (p x + q - 1): the customer's expected spend per purchase, shrunk towards the
 * population mean p gamma / (q - 1) (which is what a customer with x = 0 gets). Undefined (returned as NaN) when q <= 1:
 * the spend distribution then has no finite mean.
 */
export function gammaGammaExpectedSpend(params: GammaGammaParams, x: number, monetary: number | undefined): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) return Number.NaN;
  if (x <= 0 || monetary === undefined || !(monetary > 0)) return (p * gamma) / (q - 1);
  return (p * (gamma + monetary * x)) / (p * x + q - 1);
}

export const gammaGammaSpec: LikelihoodSpec<GammaGammaParams> = {
  model: 'gamma-gamma',
  paramNames: gammaGammaParamNames,
  analyticGradient: true,
  analyticHessian: true,
};

function spendData(rows: readonly WeightedSummary[]): LikelihoodData<GammaGammaParams> {
  return {
    customers: rows.reduce((sum, row) => sum + row.weight, 0),
    rows: rows.length,
    total: preparedGammaGamma(rows),
    subsample: (stride) => spendData(rows.filter((_, i) => i % stride === 0)),
  };
}

/** Folds repeat customers with a positive spend into weighted (x, monetary) rows; everyone else is left out. */
export function compressSpend(rows: Iterable<CustomerSummary>): WeightedSummary[] {
  const byKey = new Map<string, { x: number; tx: number; T: number; monetary: number; weight: number }>();
  for (const row of rows) {
    const m = row.monetary;
    if (!(row.x > 0) || m === undefined || !(m > 0) || !Number.isFinite(m)) continue;
    const weight = 'weight' in row && typeof row.weight === 'number' ? row.weight : 1;
    const key = `${row.x}|${m}`;
    const existing = byKey.get(key);
    if (existing) existing.weight += weight;
    else byKey.set(key, { x: row.x, tx: 0, T: 0, monetary: m, weight });
  }
  return [...byKey.values()];
}

/** Fits on the repeat customers (x > 0) with a positive monetary value; `customers` in the result counts them. */
export function fitGammaGamma(rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedGammaGamma {
  const weighted = compressSpend(rows);
  const customers = weighted.reduce((sum, row) => sum + row.weight, 0);
  if (customers === 0) throw new RangeError('gamma-gamma: no repeat customers with a positive monetary value to fit');
  const meanSpend = weighted.reduce((sum, row) => sum + row.weight * (row.monetary as number), 0) / customers;
  // p = 1, q = 2 makes the population mean p gamma / (q - 1) equal gamma: start it at the observed mean.
  return fitMaximumLikelihood(gammaGammaSpec, spendData(weighted), { p: 1, q: 2, gamma: meanSpend }, options) as FittedGammaGamma;
}
