import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseModelInput } from '../../lib/domain/scoring/csv.js';
import { paretoLogLikelihood, paretoTotalLogLikelihood } from '../../lib/domain/scoring/pareto-nbd.js';
import { compress } from '../../lib/domain/scoring/summary.js';
import type { ParetoNbdParams, WeightedSummary } from '../../lib/domain/scoring/types.js';

const cdnow = (() => {
  const input = parseModelInput(readFileSync('test/fixtures/cdnow/cdnow_customers_summary.csv', 'utf8'));
  return input.format === 'summary' ? compress(input.summaries) : [];
})();

const names = ['r', 'alpha', 's', 'beta'] as const;

/** d(total)/d(ln p) by central differences of the total's value, in log-parameter space as the fit sees it. */
function centralDifferences(params: ParetoNbdParams, rows: readonly WeightedSummary[], h = 1e-6): number[] {
  return names.map((name) => {
    const at = (delta: number) => paretoTotalLogLikelihood({ ...params, [name]: params[name] * Math.exp(delta) }, rows);
    return (at(h) - at(-h)) / (2 * h);
  });
}

function expectGradientAgrees(params: ParetoNbdParams, rows: readonly WeightedSummary[]): void {
  const analytic = new Float64Array(4);
  const total = paretoTotalLogLikelihood(params, rows, analytic);
  const numeric = centralDifferences(params, rows);
  names.forEach((name, i) => {
    // Differences of a total near 1e4 over h = 1e-6 carry a rounding error of about 1e-16 * |total| / h.
    const tolerance = 1e-6 * Math.max(1, Math.abs(numeric[i] as number)) + 1e-9 * Math.abs(total);
    expect(Math.abs((analytic[i] as number) - (numeric[i] as number)), name).toBeLessThan(tolerance);
  });
}

/** The reference: the per-customer log-likelihood through stdlib's 2F1, summed. */
function referenceTotal(params: ParetoNbdParams, rows: readonly WeightedSummary[]): number {
  return rows.reduce((sum, row) => sum + row.weight * paretoLogLikelihood(params, row), 0);
}

describe('Pareto/NBD: the analytic gradient agrees with central differences', () => {
  it.each([
    ['near the CDNOW estimate (alpha < beta)', { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.67 }],
    ['alpha above beta', { r: 0.3, alpha: 20, s: 1.5, beta: 5 }],
    ['beta far above alpha', { r: 2, alpha: 3, s: 0.2, beta: 40 }],
    ['alpha equal to beta', { r: 0.8, alpha: 9, s: 0.7, beta: 9 }],
  ])('on CDNOW, %s', (_, params) => {
    // Act + Assess
    expectGradientAgrees(params, cdnow);
  });

  it('on a customer whose last purchase ends the window (A0 = 0) and on one who never came back', () => {
    // Prepare
    const rows: WeightedSummary[] = [
      { x: 3, tx: 20, T: 20, weight: 2 },
      { x: 0, tx: 0, T: 35, weight: 5 },
      { x: 40, tx: 30.5, T: 39, weight: 1 },
    ];
    // Act + Assess
    expectGradientAgrees({ r: 0.5, alpha: 8, s: 0.9, beta: 14 }, rows);
    expectGradientAgrees({ r: 0.5, alpha: 14, s: 0.9, beta: 8 }, rows);
  });

  it('where the series would converge slowly (alpha a hundred times beta) the row falls back and still agrees', () => {
    // Prepare: z = (alpha - beta)/(alpha + tx) = 0.99 at tx = 0
    const rows: WeightedSummary[] = [
      { x: 2, tx: 0.5, T: 30, weight: 3 },
      { x: 0, tx: 0, T: 30, weight: 4 },
    ];
    const params = { r: 0.6, alpha: 100, s: 0.8, beta: 1 };
    // Act + Assess
    expectGradientAgrees(params, rows);
    expect(paretoTotalLogLikelihood(params, rows)).toBeCloseTo(referenceTotal(params, rows), 9);
  });

  it('its value is the stdlib-based log-likelihood', () => {
    // Prepare
    const params = { r: 0.553, alpha: 10.58, s: 0.606, beta: 11.67 };
    // Act
    const total = paretoTotalLogLikelihood(params, cdnow, new Float64Array(4));
    // Assess
    expect(total).toBeCloseTo(referenceTotal(params, cdnow), 8);
  });

  it('for any parameters and summaries the gradient matches the differences and the value the reference', () => {
    const positive = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(
        fc.record({ r: positive(0.05, 5), alpha: positive(0.5, 200), s: positive(0.05, 5), beta: positive(0.5, 200) }),
        fc.array(fc.record({ x: fc.integer({ min: 0, max: 60 }), txShare: positive(0, 1), T: positive(1, 400), weight: fc.integer({ min: 1, max: 9 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        (params, drawn) => {
          // Prepare
          const rows = drawn.map(({ x, txShare, T, weight }) => ({ x, tx: x === 0 ? 0 : txShare * T, T, weight }));
          // Act + Assess
          expectGradientAgrees(params, rows);
          const reference = referenceTotal(params, rows);
          expect(Math.abs(paretoTotalLogLikelihood(params, rows) - reference)).toBeLessThan(1e-8 * Math.max(1, Math.abs(reference)));
        },
      ),
      { numRuns: 150 },
    );
  });
});
