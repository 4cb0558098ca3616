import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../lib/domain/scoring/backtest.js';
import { bgnbdTotalLogLikelihood } from '../../lib/domain/scoring/bgnbd.js';
import { customerLifetimeValue, scoreCustomer } from '../../lib/domain/scoring/clv.js';
import { parseModelInput } from '../../lib/domain/scoring/csv.js';
import { compressSpend, gammaGammaExpectedSpend, gammaGammaTotalLogLikelihood } from '../../lib/domain/scoring/gamma-gamma.js';
import { mbgnbdTotalLogLikelihood } from '../../lib/domain/scoring/mbgnbd.js';
import { expectedPurchases, fitModel, parseFittedModel } from '../../lib/domain/scoring/models.js';
import { minimize } from '../../lib/domain/scoring/optimize.js';
import { compress, summariesFromEvents } from '../../lib/domain/scoring/summary.js';
import type { FittedMbgNbd, WeightedSummary } from '../../lib/domain/scoring/types.js';
import { publishedCdnowSpendModel } from '../support/scoring.js';

const cdnow = (() => {
  const input = parseModelInput(readFileSync('test/fixtures/cdnow/cdnow_customers_summary.csv', 'utf8'));
  return input.format === 'summary' ? input.summaries : [];
})();

describe('customer summaries from an event log', () => {
  it('counts distinct repeat purchase days, measures from the first, ignores what comes after the calibration end', () => {
    // Prepare
    const events = [
      { customerId: 'ana', date: '2026-01-01', amount: 30 },
      { customerId: 'ana', date: '2026-01-01', amount: 12 }, // same day: one purchase day of 42
      { customerId: 'ana', date: '2026-01-15', amount: 20 },
      { customerId: 'ana', date: '2026-01-15', amount: 5 },
      { customerId: 'ana', date: '2026-02-12', amount: 10 },
      { customerId: 'ana', date: '2026-03-01', amount: 99 }, // after the calibration end
      { customerId: 'ben', date: '2026-02-26', amount: 8 },
      { customerId: 'cy', date: '2026-03-02', amount: 8 }, // first buys after the calibration end: not a customer yet
    ];
    // Act
    const summaries = summariesFromEvents(events, '2026-02-26', 'weeks');
    // Assess
    expect(summaries).toEqual([
      { customerId: 'ana', x: 2, tx: 6, T: 8, monetary: 17.5 },
      { customerId: 'ben', x: 0, tx: 0, T: 0 },
    ]);
  });

  it('compresses identical (x, tx, T) into weighted rows whose weights sum to the customers', () => {
    // Act
    const rows = compress(cdnow);
    // Assess
    expect(rows.length).toBeLessThan(cdnow.length);
    expect(rows.reduce((sum, row) => sum + row.weight, 0)).toBe(2357);
  });

  it('refuses summaries the models cannot use', () => {
    expect(() => compress([{ x: 1, tx: 5, T: 4 }])).toThrow(/T must be a finite number >= tx/);
    expect(() => compress([{ x: 1.5, tx: 1, T: 4 }])).toThrow(/x must be a whole number/);
  });
});

describe('analytic gradients agree with central differences', () => {
  const rows = compress(cdnow);
  const spendRows = compressSpend([
    { x: 2, tx: 0, T: 0, monetary: 22.35 },
    { x: 5, tx: 0, T: 0, monetary: 41 },
    { x: 1, tx: 0, T: 0, monetary: 9.99 },
  ]);

  function check(
    total: (params: Record<string, number>, rows: readonly WeightedSummary[], gradient?: Float64Array) => number,
    names: string[],
    at: number[],
    data: readonly WeightedSummary[],
  ) {
    const analytic = new Float64Array(names.length);
    total(Object.fromEntries(names.map((name, i) => [name, at[i] as number])), data, analytic);
    names.forEach((_, i) => {
      const h = 1e-6;
      const shifted = (delta: number) => total(Object.fromEntries(names.map((name, j) => [name, (at[j] as number) * Math.exp(j === i ? delta : 0)])), data);
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      expect(Math.abs((analytic[i] as number) - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
    });
  }

  it('BG/NBD', () => check(bgnbdTotalLogLikelihood as never, ['r', 'alpha', 'a', 'b'], [0.4, 6, 1.3, 2], rows));
  it('MBG/NBD', () => check(mbgnbdTotalLogLikelihood as never, ['r', 'alpha', 'a', 'b'], [0.4, 6, 1.3, 2], rows));
  it('Gamma-Gamma', () => check(gammaGammaTotalLogLikelihood as never, ['p', 'q', 'gamma'], [5, 3, 12], spendRows));

  it('Gamma-Gamma: its Hessian is the central differences of its gradient', () => {
    // Prepare
    const params = { p: 5, q: 3, gamma: 12 };
    const names = ['p', 'q', 'gamma'] as const;
    const rows = [
      ...spendRows,
      ...compressSpend([
        { x: 2, tx: 0, T: 0, monetary: 70 },
        { x: 9, tx: 0, T: 0, monetary: 3.5 },
      ]),
    ];
    // Act
    const gradient = new Float64Array(3);
    const hessian = new Float64Array(9);
    gammaGammaTotalLogLikelihood(params, rows, gradient, hessian);
    // Assess
    names.forEach((name, j) => {
      const h = 1e-5;
      const up = new Float64Array(3);
      const down = new Float64Array(3);
      gammaGammaTotalLogLikelihood({ ...params, [name]: params[name] * Math.exp(h) }, rows, up);
      gammaGammaTotalLogLikelihood({ ...params, [name]: params[name] * Math.exp(-h) }, rows, down);
      names.forEach((other, i) => {
        const numeric = ((up[i] as number) - (down[i] as number)) / (2 * h);
        expect(Math.abs((hessian[i * 3 + j] as number) - numeric), `d2/d log ${other} d log ${name}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
      });
    });
  });
});

describe('the optimiser never claims convergence it did not reach', () => {
  const rosenbrock = (x: Float64Array, g: Float64Array): number => {
    const [a, b] = [x[0] as number, x[1] as number];
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };

  it('converges on Rosenbrock', () => {
    // Act
    const result = minimize(rosenbrock, [-1.2, 1]);
    // Assess
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
  });

  it('reports the iteration limit', () => {
    // Act
    const result = minimize(rosenbrock, [-1.2, 1], { maxIterations: 3 });
    // Assess
    expect(result).toMatchObject({ converged: false, reason: 'iteration limit', iterations: 3 });
  });

  it('reports a start where the objective is not finite', () => {
    // Act
    const result = minimize(
      (_, g) => {
        g.fill(0);
        return Number.NaN;
      },
      [0],
    );
    // Assess
    expect(result).toMatchObject({ converged: false, reason: 'not finite' });
  });

  it('a likelihood without an interior maximum is not called converged, and says why', () => {
    // Prepare: only one-time buyers, so nothing tells the purchase rate's spread from its scale
    const oneTimers = Array.from({ length: 200 }, (_, i) => ({ x: 0, tx: 0, T: 10 + i }));
    // Act
    const fitted = fitModel('bgnbd', oneTimers);
    const penalised = fitModel('bgnbd', oneTimers, { penalty: 0.05 });
    // Assess
    expect(fitted.converged).toBe(false);
    expect(fitted.diagnostic).toMatch(/no interior maximum|not identified/);
    expect(penalised.converged).toBe(true);
    expect(penalised.diagnostic).toBeUndefined();
  });

  it("an L2 penalty on log-parameters pulls a small shop's estimates towards 1", () => {
    // Prepare
    const few = cdnow.slice(0, 60);
    // Act
    const plain = fitModel('mbgnbd', few, { timeUnit: 'weeks' }) as FittedMbgNbd;
    const penalised = fitModel('mbgnbd', few, { timeUnit: 'weeks', penalty: 0.1 }) as FittedMbgNbd;
    // Assess
    const distance = (p: FittedMbgNbd['params']) => Object.values(p).reduce((sum, v) => sum + Math.log(v) ** 2, 0);
    expect(penalised.converged).toBe(true);
    expect(distance(penalised.params)).toBeLessThan(distance(plain.params));
    expect(penalised.penalty).toBe(0.1);
  });
});

describe('scores, spend and CLV', () => {
  const model = fitModel('mbgnbd', cdnow, { timeUnit: 'weeks' }) as FittedMbgNbd;
  const spend = publishedCdnowSpendModel;

  it('expected spend shrinks the observed mean towards the population mean', () => {
    // Act
    const population = gammaGammaExpectedSpend(spend.params, 0, undefined);
    const oneOrder = gammaGammaExpectedSpend(spend.params, 1, 100);
    const manyOrders = gammaGammaExpectedSpend(spend.params, 50, 100);
    // Assess
    expect(population).toBeCloseTo((6.25 * 15.44) / 2.74, 10);
    expect(oneOrder).toBeGreaterThan(population);
    expect(oneOrder).toBeLessThan(manyOrders);
    expect(manyOrders).toBeLessThan(100);
    expect(gammaGammaExpectedSpend({ p: 6, q: 0.9, gamma: 15 }, 3, 20)).toBeNaN();
  });

  it('CLV without discounting over one period is expected spend times expected purchases', () => {
    // Prepare
    const customer = { x: 3, tx: 30, T: 38, monetary: 25 };
    // Act
    const clv = customerLifetimeValue(model, customer, 25, { horizon: 52, period: 52, discountRate: 0 });
    // Assess
    expect(clv).toBeCloseTo(25 * expectedPurchases(model, customer, 52), 10);
  });

  it('discounting lowers CLV, and the score reports every part', () => {
    // Prepare
    const customer = { x: 3, tx: 30, T: 38, monetary: 25 };
    // Act
    const score = scoreCustomer(model, spend, customer, { t: 13, horizon: 52 });
    const undiscounted = scoreCustomer(model, spend, customer, { t: 13, horizon: 52, discountRate: 0 });
    const withoutSpend = scoreCustomer(model, undefined, { x: 0, tx: 0, T: 38 }, { t: 13, horizon: 52 });
    // Assess
    expect(score.pAlive).toBeGreaterThan(0);
    expect(score.expectedPurchases).toBeCloseTo(expectedPurchases(model, customer, 13), 12);
    expect(score.clv as number).toBeLessThan(undiscounted.clv as number);
    expect(withoutSpend).toMatchObject({ expectedSpend: null, clv: null });
  });

  it('a fitted model survives the JSON round trip, standard errors that could not be computed included', () => {
    // Act
    const back = parseFittedModel(JSON.parse(JSON.stringify(spend)));
    // Assess
    expect(back).toEqual(spend);
    expect(() => parseFittedModel({ model: 'bgnbd', params: { r: -1 } })).toThrow(/params\.r/);
  });
});

describe('AUC by Mann-Whitney', () => {
  it.each([
    [[1, 2, 3, 4], [false, false, true, true], 1],
    [[4, 3, 2, 1], [false, false, true, true], 0],
    [[1, 1, 1, 1], [false, true, false, true], 0.5],
    [[0.1, 0.4, 0.35, 0.8], [false, false, true, true], 0.75],
  ])('scores %j with labels %j: %d', (scores, labels, auc) => {
    expect(rocAuc(scores, labels)).toBeCloseTo(auc, 12);
  });

  it('is undefined with one class only', () => {
    expect(rocAuc([1, 2], [true, true])).toBeNaN();
  });
});
