import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { betaGeometricExpectationFactor, bgnbdExpectedPurchases, bgnbdLogLikelihood, bgnbdProbabilityAlive } from '../../lib/domain/scoring/bgnbd.js';
import { mbgnbdExpectedPurchases, mbgnbdLogLikelihood, mbgnbdProbabilityAlive } from '../../lib/domain/scoring/mbgnbd.js';
import { paretoExpectedPurchases, paretoLogLikelihood, paretoProbabilityAlive } from '../../lib/domain/scoring/pareto-nbd.js';
import { betaGeometricFactorByQuadrature } from '../../lib/domain/scoring/quadrature.js';
import type { CustomerSummary } from '../../lib/domain/scoring/types.js';

// ---- a direct high-precision evaluation of the textbook expression, as the reference ------------------------------

/** Fixed point with 400 decimal digits: products as large as 1e330 or as small as 1e-330 stay exact enough. */
const DIGITS = 400n;
const ONE = 10n ** DIGITS;

/** A double converted exactly (mantissa x 2^exponent), truncated at 1e-400. */
function fixed(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  const scaled = exponent >= 0 ? mantissa * ONE * (1n << BigInt(exponent)) : (mantissa * ONE) >> BigInt(-exponent);
  return sign * scaled;
}

function toNumber(value: bigint): number {
  return Number((value * 10n ** 20n) / ONE) / 1e20;
}

/** 2F1(a, b; c; z) by its power series, summed in fixed point until the terms vanish. */
function hyp2f1Series(a: number, b: number, c: number, z: bigint): bigint {
  const [A, B, C] = [fixed(a), fixed(b), fixed(c)];
  let term = ONE;
  let sum = ONE;
  for (let n = 0n; n < 200_000n; n++) {
    term = (term * (A + n * ONE) * (B + n * ONE) * z) / ((C + n * ONE) * (n + 1n) * ONE * ONE);
    sum += term;
    if (n > 10n && (term < 0n ? -term : term) < 1n) return sum;
  }
  throw new Error('series did not converge');
}

/**
 * c/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, c-a+1; c; t/(alpha+T+t))], c = a + cMinusA: the textbook form.
 * When r+x is a whole number and alpha, T, t are whole numbers the power is exact too; otherwise it is taken in double
 * precision (relative error 1e-16, harmless for moderate values).
 */
function textbookFactor(r: number, alpha: number, a: number, cMinusA: number, x: number, T: number, t: number): number {
  const c = a + cMinusA;
  const k = r + x;
  const z = (fixed(t) * ONE) / fixed(alpha + T + t);
  const exact = Number.isInteger(k) && [alpha, T, t].every(Number.isInteger);
  const power = exact ? (BigInt(alpha + T) ** BigInt(k) * ONE) / BigInt(alpha + T + t) ** BigInt(k) : fixed(((alpha + T) / (alpha + T + t)) ** k);
  const bracket = ONE - (power * hyp2f1Series(k, c - a + 1, c, z)) / ONE;
  return (c / (a - 1)) * toNumber(bracket);
}

const cdnow = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('conditional expectation: the Euler-transformed 2F1 against a high-precision series', () => {
  it.each([
    ['CDNOW customer 1 (x=2) over 39 weeks', { ...cdnow, x: 2, T: 38.86, t: 39 }],
    ['a one-time buyer over a year', { ...cdnow, x: 0, T: 38.86, t: 52 }],
    ['20 purchases over 200 weeks', { ...cdnow, x: 20, T: 30, t: 200 }],
    ['300 purchases over 10 years (exact power)', { r: 1, alpha: 4, a: 0.793, b: 2.426, x: 300, T: 39, t: 520 }],
    ['a > 1, 50 purchases, 10 years', { r: 2, alpha: 30, a: 3.5, b: 7.25, x: 50, T: 400, t: 3650 }],
  ])('BG/NBD: %s', (_, { r, alpha, a, b, x, T, t }) => {
    // Prepare
    const reference = textbookFactor(r, alpha, a, b + x - 1, x, T, t);
    // Act
    const value = betaGeometricExpectationFactor(r, alpha, a, b + x - 1, x, T, t);
    // Assess
    expect(Number.isFinite(reference)).toBe(true);
    expect(Math.abs(value - reference) / Math.abs(reference)).toBeLessThan(1e-10);
  });

  it('MBG/NBD: 300 purchases over 10 years', () => {
    // Prepare
    const [r, alpha, a, b, x, T, t] = [1, 6, 0.891, 1.614, 300, 39, 520];
    const reference = textbookFactor(r, alpha, a, b + x, x, T, t);
    // Act
    const value = betaGeometricExpectationFactor(r, alpha, a, b + x, x, T, t);
    // Assess
    expect(Math.abs(value - reference) / reference).toBeLessThan(1e-10);
  });

  it('agrees with direct integration over the dropout posterior for arbitrary moderate parameters', () => {
    const logUniform = (lo: number, hi: number) => fc.double({ min: Math.log(lo), max: Math.log(hi), noNaN: true }).map(Math.exp);
    fc.assert(
      fc.property(
        fc.record({
          r: logUniform(0.05, 20),
          alpha: logUniform(0.1, 500),
          a: logUniform(0.05, 20),
          b: logUniform(0.05, 50),
          x: fc.integer({ min: 0, max: 100 }),
          T: fc.double({ min: 0, max: 400, noNaN: true }),
          t: fc.double({ min: 0.5, max: 700, noNaN: true }),
        }),
        ({ r, alpha, a, b, x, T, t }) => {
          const viaHypergeometric = betaGeometricExpectationFactor(r, alpha, a, b + x - 1, x, T, t);
          const viaQuadrature = betaGeometricFactorByQuadrature(r, alpha, a, b + x, x, T, t);
          expect(Math.abs(viaHypergeometric - viaQuadrature) / viaQuadrature).toBeLessThan(1e-8);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });
});

type Check = (summary: CustomerSummary, t: number) => { ll: number; pAlive: number; expected: number };

const models: Record<string, (p: { r: number; alpha: number; a: number; b: number }) => Check> = {
  'BG/NBD': (p) => (s, t) => ({ ll: bgnbdLogLikelihood(p, s), pAlive: bgnbdProbabilityAlive(p, s), expected: bgnbdExpectedPurchases(p, s, t) }),
  'MBG/NBD': (p) => (s, t) => ({ ll: mbgnbdLogLikelihood(p, s), pAlive: mbgnbdProbabilityAlive(p, s), expected: mbgnbdExpectedPurchases(p, s, t) }),
  'Pareto/NBD':
    ({ r, alpha, a, b }) =>
    (s, t) => {
      const p = { r, alpha, s: a, beta: b };
      return { ll: paretoLogLikelihood(p, s), pAlive: paretoProbabilityAlive(p, s), expected: paretoExpectedPurchases(p, s, t) };
    },
};

function expectSane({ ll, pAlive, expected }: { ll: number; pAlive: number; expected: number }): void {
  expect(Number.isFinite(ll)).toBe(true);
  expect(pAlive).toBeGreaterThanOrEqual(0);
  expect(pAlive).toBeLessThanOrEqual(1);
  expect(Number.isFinite(expected)).toBe(true);
  expect(expected).toBeGreaterThanOrEqual(0);
}

describe.each(Object.entries(models))('%s stays finite across the range', (_, model) => {
  it.each([
    ['300 purchases, scored 10 years ahead (days)', { r: 0.5, alpha: 30, a: 0.8, b: 2.5 }, { x: 300, tx: 2900, T: 3000 }, 3650],
    ['300 purchases, then silent for years', { r: 0.5, alpha: 30, a: 0.8, b: 2.5 }, { x: 300, tx: 600, T: 3000 }, 3650],
    ['a one-time buyer seen for 10 years', { r: 0.5, alpha: 30, a: 0.8, b: 2.5 }, { x: 0, tx: 0, T: 3650 }, 3650],
    ['a one-time buyer who bought today', { r: 0.5, alpha: 30, a: 0.8, b: 2.5 }, { x: 0, tx: 0, T: 0 }, 90],
    ['tiny shape and scale', { r: 1e-3, alpha: 1e-3, a: 1e-3, b: 1e-3 }, { x: 40, tx: 300, T: 365 }, 3650],
    ['huge shape and scale', { r: 1e3, alpha: 1e4, a: 1e3, b: 1e3 }, { x: 40, tx: 300, T: 365 }, 3650],
    ['a at 1 exactly', { r: 0.5, alpha: 30, a: 1, b: 2.5 }, { x: 5, tx: 100, T: 365 }, 90],
  ])('%s', (_, params, summary, t) => {
    // Act
    const result = model(params)(summary, t);
    // Assess
    expectSane(result);
  });

  it('for arbitrary parameters and summaries (property)', () => {
    const logUniform = (lo: number, hi: number) => fc.double({ min: Math.log(lo), max: Math.log(hi), noNaN: true }).map(Math.exp);
    fc.assert(
      fc.property(
        fc.record({ r: logUniform(1e-3, 1e3), alpha: logUniform(1e-3, 1e4), a: logUniform(1e-3, 1e3), b: logUniform(1e-3, 1e3) }),
        fc.integer({ min: 0, max: 500 }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        (params, x, T, fraction, t) => {
          expectSane(model(params)({ x, tx: x === 0 ? 0 : fraction * T, T }, t));
        },
      ),
      { numRuns: 1500, seed: 7 },
    );
  });
});

describe('P(alive) behaves as the models say', () => {
  it('BG/NBD calls every one-time buyer alive; MBG/NBD and Pareto/NBD let them go', () => {
    // Prepare
    const oneTimer = { x: 0, tx: 0, T: 3650 };
    // Act
    const bg = bgnbdProbabilityAlive(cdnow, oneTimer);
    const mbg = mbgnbdProbabilityAlive(cdnow, oneTimer);
    const pareto = paretoProbabilityAlive({ r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67 }, oneTimer);
    // Assess
    expect(bg).toBe(1);
    expect(mbg).toBeLessThan(0.5);
    expect(pareto).toBeLessThan(0.5);
  });

  it('falls as the silence since the last purchase grows', () => {
    // Prepare
    const silences = [0, 5, 10, 20, 30];
    // Act
    const alive = silences.map((silence) => mbgnbdProbabilityAlive(cdnow, { x: 4, tx: 40 - silence, T: 40 }));
    // Assess
    for (let i = 1; i < alive.length; i++) expect(alive[i]).toBeLessThan(alive[i - 1] as number);
  });
});
