/**
 * The beta-geometric expectation factor by direct integration over the posterior of the dropout probability, the
 * fallback when the Gauss hypergeometric function fails (stdlib's hyp2f1 returns NaN for some large parameters with z
 * near 1) and an independent check in tests.
 *
 * Given alive at T, BG/NBD's posterior is lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, B) (B = b+x; MBG/NBD: b+x+1),
 * independent; a customer alive at rate lambda who drops out with chance p after each purchase makes (1 - e^(-lambda p t))/p
 * purchases in t on average. Integrating lambda out in closed form leaves
 *   E_p[ (1 - (1 + p t/(alpha+T))^-(r+x)) / p ],  p ~ Beta(a, B),
 * computed with tanh-sinh (double exponential) quadrature, in log space so that p^(a-1) for tiny a and (1-p)^(B-1) for
 * large B neither underflow nor overflow.
 */
import { betaln, logAddExp } from './special.js';

export function betaGeometricFactorByQuadrature(r: number, alpha: number, a: number, bPosterior: number, x: number, T: number, t: number): number {
  if (t <= 0) return 0;
  const k = r + x;
  const rate = t / (alpha + T);
  const logNorm = betaln(a, bPosterior);
  // (1 - (1 + p rate)^-k) / p, with its p -> 0 limit k * rate.
  const g = (p: number): number => (p === 0 ? k * rate : -Math.expm1(-k * Math.log1p(p * rate)) / p);
  const logTerm = (tau: number): number => {
    const u = (Math.PI / 2) * Math.sinh(tau);
    const logP = -log1pExp(-2 * u);
    const log1mP = -log1pExp(2 * u);
    const logJacobian = Math.log(Math.PI * Math.cosh(tau)) + logP + log1mP;
    return Math.log(g(Math.exp(logP))) + (a - 1) * logP + (bPosterior - 1) * log1mP - logNorm + logJacobian;
  };
  let h = 0.5;
  let previous = Number.NaN;
  let logSum = -Infinity;
  const maxTau = 12;
  // Level 0 sums every h; each further level adds the midpoints and halves h.
  for (let tau = -maxTau; tau <= maxTau + 1e-12; tau += h) logSum = logAddExp(logSum, logTerm(tau));
  let estimate = Math.exp(logSum) * h;
  for (let level = 1; level <= 10; level++) {
    for (let tau = -maxTau + h / 2; tau < maxTau; tau += h) logSum = logAddExp(logSum, logTerm(tau));
    h /= 2;
    previous = estimate;
    estimate = Math.exp(logSum) * h;
    if (level >= 3 && Math.abs(estimate - previous) <= 1e-13 * Math.abs(estimate)) break;
  }
  return estimate;
}

function log1pExp(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}
