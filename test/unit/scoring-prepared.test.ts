import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GammaSteps } from '../../lib/domain/scoring/beta-geometric.js';
import { bgnbdLogLikelihood, preparedBgNbd } from '../../lib/domain/scoring/bgnbd.js';
import { parseModelInput } from '../../lib/domain/scoring/csv.js';
import { mbgnbdLogLikelihood, preparedMbgNbd } from '../../lib/domain/scoring/mbgnbd.js';
import { digamma, gammaln, trigamma } from '../../lib/domain/scoring/special.js';
import { columnsOf, compress, foldSummaries, type WeightedColumns } from '../../lib/domain/scoring/summary.js';
import type { BgNbdParams, CustomerSummary, WeightedSummary } from '../../lib/domain/scoring/types.js';
import { syntheticSummaries } from '../bench/synthetic.js';

const cdnow = (() => {
  const input = parseModelInput(readFileSync('test/fixtures/cdnow/cdnow_customers_summary.csv', 'utf8'));
  return input.format === 'summary' ? input.summaries : [];
})();

/** Customers in whole days, as the bench and real shops have them. */
const days = (() => {
  const data = syntheticSummaries(20_000, 5);
  return Array.from({ length: data.count }, (_, i): CustomerSummary => ({ x: data.x[i]!, tx: data.tx[i]!, T: data.T[i]! }));
})();

/** The fold as the definition reads: a Map keyed by the summary's three numbers. */
function referenceFold(rows: readonly CustomerSummary[]): Map<string, number> {
  const folded = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.x}|${row.tx}|${row.T}`;
    folded.set(key, (folded.get(key) ?? 0) + ('weight' in row && typeof row.weight === 'number' ? row.weight : 1));
  }
  return folded;
}

function asMap(rows: readonly WeightedSummary[]): Map<string, number> {
  return new Map(rows.map((row) => [`${row.x}|${row.tx}|${row.T}`, row.weight]));
}

describe('folding identical summaries', () => {
  it.each([
    ['CDNOW (weeks)', cdnow],
    ['whole days', days],
  ])('%s: the same rows and weights as a Map keyed by the summary', (_, rows) => {
    // Act
    const folded = compress(rows);
    // Assess
    expect(asMap(folded)).toEqual(referenceFold(rows));
    expect(folded).toHaveLength(referenceFold(rows).size);
  });

  it('for arbitrary summaries, weighted or not', () => {
    const summary = fc
      .record({
        x: fc.integer({ min: 0, max: 4 }),
        T: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.double({ min: 0, max: 6, noNaN: true })),
        share: fc.constantFrom(0, 0.5, 1),
        weight: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
      })
      .map(({ x, T, share, weight }) => ({ x, tx: x === 0 ? 0 : share * T, T, ...(weight === undefined ? {} : { weight }) }));
    fc.assert(
      fc.property(fc.array(summary, { maxLength: 3000 }), (rows) => {
        expect(asMap(compress(rows))).toEqual(referenceFold(rows));
      }),
      { numRuns: 100, seed: 3 },
    );
  });

  it('names the first invalid row', () => {
    // Prepare
    const rows = [...days.slice(0, 10), { x: 2, tx: 9, T: 8 }];
    // Act + Assess
    expect(() => foldSummaries(rows)).toThrow(/customer summary #10: T must be a finite number >= tx/);
    expect(() => foldSummaries([{ x: 0, tx: 3, T: 8 }])).toThrow(/#0: tx must be 0 when x is 0/);
    expect(() => foldSummaries([{ x: 1, tx: Number.NaN, T: 8 }])).toThrow(/#0: tx must be a finite number/);
  });
});

type Prepared = (rows: WeightedColumns) => (params: BgNbdParams, gradient?: Float64Array, hessian?: Float64Array) => number;
type PerCustomer = (params: BgNbdParams, summary: CustomerSummary) => number;

/** The total as the definition reads: each row's own log-likelihood times its weight. */
function referenceTotal(perCustomer: PerCustomer, params: BgNbdParams, rows: readonly WeightedSummary[]): number {
  return rows.reduce((sum, row) => sum + row.weight * perCustomer(params, row), 0);
}

const names = ['r', 'alpha', 'a', 'b'] as const;

describe.each([
  ['BG/NBD', preparedBgNbd as Prepared, bgnbdLogLikelihood as PerCustomer],
  ['MBG/NBD', preparedMbgNbd as Prepared, mbgnbdLogLikelihood as PerCustomer],
])('%s: the prepared likelihood', (_, prepared, perCustomer) => {
  const points: BgNbdParams[] = [
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { r: 0.55, alpha: 18, a: 0.7, b: 2.2 },
    { r: 3, alpha: 0.5, a: 4, b: 0.3 },
    { r: 0.01, alpha: 300, a: 0.05, b: 40 },
  ];

  it.each([
    ['CDNOW (weeks)', cdnow],
    ['whole days', days],
  ])('%s: equals the sum of the per-customer log-likelihoods, and its gradient their central differences', (_, customers) => {
    // Prepare
    const rows = compress(customers);
    const total = prepared(foldSummaries(customers));
    for (const params of points) {
      // Act
      const gradient = new Float64Array(4);
      const value = total(params, gradient);
      // Assess
      const reference = referenceTotal(perCustomer, params, rows);
      expect(Math.abs(value - reference)).toBeLessThan(1e-10 * Math.abs(reference));
      expect(total(params)).toBe(value);
      names.forEach((name, i) => {
        // Large enough that the reference's round-off (a sum over thousands of customers) stays below the tolerance.
        const h = 1e-4;
        const shifted = (delta: number) => referenceTotal(perCustomer, { ...params, [name]: params[name] * Math.exp(delta) }, rows);
        const numeric = (shifted(h) - shifted(-h)) / (2 * h);
        expect(Math.abs((gradient[i] as number) - numeric), `d/d log ${name} at ${JSON.stringify(params)}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
      });
    }
  });

  it.each([
    ['CDNOW (weeks)', cdnow],
    ['whole days', days],
  ])('%s: its Hessian is the central differences of its gradient, and leaves value and gradient unchanged', (_, customers) => {
    // Prepare
    const total = prepared(foldSummaries(customers));
    for (const params of points) {
      const gradientAlone = new Float64Array(4);
      const valueAlone = total(params, gradientAlone);
      // Act
      const gradient = new Float64Array(4);
      const hessian = new Float64Array(16);
      const value = total(params, gradient, hessian);
      // Assess
      expect(value).toBe(valueAlone);
      expect(gradient).toEqual(gradientAlone);
      names.forEach((name, j) => {
        const h = 1e-5;
        const up = new Float64Array(4);
        const down = new Float64Array(4);
        total({ ...params, [name]: params[name] * Math.exp(h) }, up);
        total({ ...params, [name]: params[name] * Math.exp(-h) }, down);
        names.forEach((other, i) => {
          const numeric = ((up[i] as number) - (down[i] as number)) / (2 * h);
          expect(Math.abs((hessian[i * 4 + j] as number) - numeric), `d2/d log ${other} d log ${name} at ${JSON.stringify(params)}`).toBeLessThan(
            1e-5 * Math.max(1, Math.abs(numeric)),
          );
        });
      });
    }
  });

  it('does not depend on the order of the rows', () => {
    // Prepare
    const rows = compress(days);
    const params = { r: 0.55, alpha: 18, a: 0.7, b: 2.2 };
    const shuffled = [...rows].reverse();
    // Act
    const inOrder = prepared(columnsOf(rows))(params);
    const reversed = prepared(columnsOf(shuffled))(params);
    // Assess
    expect(Math.abs(reversed - inOrder)).toBeLessThan(1e-12 * Math.abs(inOrder));
    expect(Math.abs(reversed - referenceTotal(perCustomer, params, shuffled))).toBeLessThan(1e-10 * Math.abs(inOrder));
  });
});

describe('GammaSteps', () => {
  it("walks and jumps to the same differences of lnG, psi and psi' as the special functions give", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 12 }),
        (base, unsorted) => {
          // Prepare
          const ns = [...unsorted].sort((p, q) => p - q);
          const steps = new GammaSteps();
          steps.reset(base, 2);
          for (const n of ns) {
            // Act
            steps.advanceTo(n);
            // Assess
            const close = (value: number, expected: number) => Math.abs(value - expected) <= 1e-10 * Math.max(1, Math.abs(expected));
            expect(close(steps.lnGamma, gammaln(base + n) - gammaln(base)), `lnG at ${base} + ${n}`).toBe(true);
            expect(close(steps.psi, digamma(base + n) - digamma(base)), `psi at ${base} + ${n}`).toBe(true);
            expect(close(steps.psi1, trigamma(base + n) - trigamma(base)), `psi' at ${base} + ${n}`).toBe(true);
          }
        },
      ),
    );
  });
});
