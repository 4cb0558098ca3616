/**
 * Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"; Colombo and Jiang 1999): each purchase's value
 * z ~ Gamma(p, nu), with nu ~ Gamma(q, gamma) across customers. Fitted on repeat customers only (x > 0), on their mean
 * spend per repeat purchase day m_x.
 */
import { fitMaximumLikelihood, rowsData, type LikelihoodSpec } from './fit.js';
import { digamma, gammaln } from './special.js';
import type { CustomerSummary, FitOptions, FittedGammaGamma, GammaGammaParams, WeightedSummary } from './types.js';

export const gammaGammaParamNames = ['p', 'q', 'gamma'] as const;

/**
 * Log-density of the observed mean spend m = monetary over x repeat purchases:
 * lnG(px+q) - lnG(px) - lnG(q) + q ln gamma + (px-1) ln m + px ln x - (px+q) ln(gamma + m x).
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, monetary: number): number {
  return rowLogLikelihood(params, x, monetary, undefined);
}

function rowLogLikelihood(params: GammaGammaParams, x: number, m: number, gradient: Float64Array | undefined): number {
  const { p, q, gamma } = params;
  const px = p * x;
  const lnM = Math.log(m);
  const lnX = Math.log(x);
  const lnGammaMx = Math.log(gamma + m * x);
  if (gradient) {
    const psiPxQ = digamma(px + q);
    gradient[0] = p * (x * psiPxQ - x * digamma(px) + x * lnM + x * lnX - x * lnGammaMx);
    gradient[1] = q * (psiPxQ - digamma(q) + Math.log(gamma) - lnGammaMx);
    gradient[2] = q - ((px + q) * gamma) / (gamma + m * x);
  }
  return gammaln(px + q) - gammaln(px) - gammaln(q) + q * Math.log(gamma) + (px - 1) * lnM + px * lnX - (px + q) * lnGammaMx;
}

/** Rows are (x, monetary) pairs folded with weights: `tx`/`T` are unused and set to 0. */
export function gammaGammaTotalLogLikelihood(params: GammaGammaParams, rows: readonly WeightedSummary[], gradient?: Float64Array): number {
  let total = 0;
  const rowGradient = gradient ? new Float64Array(3) : undefined;
  if (gradient) gradient.fill(0);
  for (const row of rows) {
    total += row.weight * rowLogLikelihood(params, row.x, row.monetary as number, rowGradient);
    if (gradient && rowGradient) for (let i = 0; i < 3; i++) gradient[i] = (gradient[i] as number) + row.weight * (rowGradient[i] as number);
  }
  return total;
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
};

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
  return fitMaximumLikelihood(gammaGammaSpec, rowsData(weighted, gammaGammaTotalLogLikelihood), { p: 1, q: 2, gamma: meanSpend }, options) as FittedGammaGamma;
}
