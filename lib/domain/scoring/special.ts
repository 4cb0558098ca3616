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

/**
 * The trigamma function psi'(x) for x > 0, for the analytic Hessians (stdlib's is not a dependency): the recurrence
 * psi'(x) = psi'(x+1) + 1/x^2 up to x >= 10, then the asymptotic series to x^-11 (relative error below 1e-13).
 */
export function trigamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let shifted = 0;
  while (x < 10) {
    shifted += 1 / (x * x);
    x += 1;
  }
  const inverse = 1 / x;
  const square = inverse * inverse;
  // 1/x + 1/(2x^2) + sum of B_2k / x^(2k+1): B_2 = 1/6, B_4 = -1/30, B_6 = 1/42, B_8 = -1/30, B_10 = 5/66.
  const series = inverse * (1 + inverse / 2 + square * (1 / 6 + square * (-1 / 30 + square * (1 / 42 + square * (-1 / 30 + (square * 5) / 66)))));
  return shifted + series;
}
