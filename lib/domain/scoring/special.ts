// Special functions from stdlib (CommonJS with bundled `export =` typings: default imports work under NodeNext + esModuleInterop
// and under tsx, so no local declare module is needed), plus the log-space helpers every model uses.
import betaln from '@stdlib/math-base-special-betaln';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';

export { betaln, digamma, gammaln, hyp2f1 };

/** log(exp(a) + exp(b)) without overflow; -Infinity stays -Infinity. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(1 - exp(a)) for a <= 0, accurate near 0 and for very negative a (Mächler 2012). */
export function log1mExp(a: number): number {
  if (a > 0) return Number.NaN;
  return a > -Math.LN2 ? Math.log(-Math.expm1(a)) : Math.log1p(-Math.exp(a));
}

/** 1 / (1 + exp(z)) without overflow: the form every P(alive) takes. */
export function logisticOfMinus(z: number): number {
  if (z > 0) {
    const e = Math.exp(-z);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(z));
}

/** 1 / (1 + exp(-z)). */
export function logistic(z: number): number {
  return logisticOfMinus(-z);
}

/**
 * (1 - u^e) / e for u in (0, 1], e real, accurate as e -> 0 (the limit is -ln u). Used where the textbook formulas divide
 * by (a - 1) or (s - 1) and the parameter may sit at or next to 1.
 */
export function oneMinusPowerOver(u: number, e: number): number {
  const lnU = Math.log(u);
  if (e === 0) return -lnU;
  return -Math.expm1(e * lnU) / e;
}
