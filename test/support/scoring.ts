import type { FittedGammaGamma } from '../../lib/domain/scoring/types.js';

/** Gamma-Gamma at Fader and Hardie's published CDNOW estimates, as a fitted model: a known spend model for CLV tests. */
export const publishedCdnowSpendModel: FittedGammaGamma = {
  model: 'gamma-gamma',
  params: { p: 6.25, q: 3.74, gamma: 15.44 },
  logLikelihood: 0,
  customers: 946,
  iterations: 0,
  converged: true,
  ms: 0,
  standardErrors: { p: Number.NaN, q: Number.NaN, gamma: Number.NaN },
  timeUnit: 'weeks',
  penalty: 0,
};
