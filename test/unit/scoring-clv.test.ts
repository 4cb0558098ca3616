import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerLifetimeValue, customerScorer, discountedExpectedPurchases, type ScoreOptions, scoreCustomer } from '../../lib/domain/scoring/clv.js';
import { gammaGammaExpectedSpend } from '../../lib/domain/scoring/gamma-gamma.js';
import { expectedPurchases, probabilityAlive } from '../../lib/domain/scoring/models.js';
import { PairMemo } from '../../lib/domain/scoring/pair-memo.js';
import { type CustomerSummary, daysPerUnit, type FittedPurchaseModel, type TimeUnit } from '../../lib/domain/scoring/types.js';
import { publishedCdnowSpendModel } from '../support/scoring.js';

/**
 * The discounted expected purchases as the definition reads: each period's increment of the conditional expectation,
 * discounted to today, with every expectation computed on its own through the models' public functions.
 */
function referenceDiscounted(
  model: FittedPurchaseModel,
  summary: CustomerSummary,
  options: { horizon: number; period?: number; discountRate?: number },
): number {
  const period = options.period ?? 30 / daysPerUnit(model.timeUnit);
  const rate = options.discountRate ?? 0.01;
  let total = 0;
  let previous = 0;
  for (let k = 1; k <= Math.ceil(options.horizon / period); k++) {
    const cumulative = expectedPurchases(model, summary, Math.min(k * period, options.horizon));
    total += (cumulative - previous) / (1 + rate) ** k;
    previous = cumulative;
  }
  return total;
}

function fitted(model: 'bgnbd' | 'mbgnbd' | 'pareto', params: Record<string, number>, timeUnit: TimeUnit): FittedPurchaseModel {
  const names = Object.keys(params);
  return {
    model,
    params,
    logLikelihood: 0,
    customers: 1,
    iterations: 0,
    converged: true,
    ms: 0,
    standardErrors: Object.fromEntries(names.map((name) => [name, Number.NaN])),
    timeUnit,
    penalty: 0,
  } as unknown as FittedPurchaseModel;
}

const spendModel = publishedCdnowSpendModel;

/** Published CDNOW estimates (weeks) and day-scale parameters like a shop's, a > 1 included (the other 2F1 form). */
const models: [string, () => FittedPurchaseModel, ScoreOptions[]][] = [
  [
    'BG/NBD, CDNOW, weeks',
    () => fitted('bgnbd', { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 'weeks'),
    [
      { t: 13, horizon: 52 },
      { t: 39, horizon: 104, period: 4, discountRate: 0.02 },
    ],
  ],
  ['MBG/NBD, CDNOW, weeks', () => fitted('mbgnbd', { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 }, 'weeks'), [{ t: 13, horizon: 52 }]],
  [
    'MBG/NBD, days',
    () => fitted('mbgnbd', { r: 0.55, alpha: 18, a: 0.7, b: 2.2 }, 'days'),
    [
      { t: 90, horizon: 365 },
      { t: 45, horizon: 100, period: 7, discountRate: 0.002 },
      { t: 30, horizon: 730, discountRate: 0 },
    ],
  ],
  ['BG/NBD, days, a > 1', () => fitted('bgnbd', { r: 2, alpha: 30, a: 3.5, b: 7.25 }, 'days'), [{ t: 90, horizon: 365 }]],
  ['Pareto/NBD, CDNOW, weeks', () => fitted('pareto', { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 }, 'weeks'), [{ t: 13, horizon: 52 }]],
  ['Pareto/NBD, days, s > 1', () => fitted('pareto', { r: 0.8, alpha: 40, s: 1.6, beta: 200 }, 'days'), [{ t: 90, horizon: 365 }]],
];

function summaries(): CustomerSummary[] {
  const result: CustomerSummary[] = [];
  for (const x of [0, 1, 2, 5, 20, 100]) {
    for (const T of [0, 0.5, 1, 7, 38.86, 90, 365, 1000]) {
      for (const share of x === 0 ? [0] : [0, 1 / 3, 1]) {
        result.push({ x, tx: share * T, T });
        if (x > 0) result.push({ x, tx: share * T, T, monetary: 25 });
      }
    }
  }
  return result;
}

function expectClose(actual: number | null, expected: number, tolerance = 1e-9): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected) + 1e-12);
}

describe.each(models)('%s: the scorer matches the definition of the discounted CLV', (_, makeModel, optionSets) => {
  it.each(optionSets)('across a grid of customers, with and without a spend model (options %j)', (options) => {
    // Prepare: a fresh model object, so the first pass evaluates everything and the second reads it back
    const model = makeModel();
    const grid = summaries();
    for (const pass of [1, 2]) {
      for (const summary of grid) {
        // Act
        const withSpend = scoreCustomer(model, spendModel, summary, options);
        const ownSpend = scoreCustomer(model, undefined, summary, options);
        // Assess
        const alive = probabilityAlive(model, summary);
        const reference = referenceDiscounted(model, summary, options);
        expect(withSpend.pAlive, `pass ${pass}`).toBe(alive);
        expectClose(withSpend.expectedPurchases, expectedPurchases(model, summary, options.t), 1e-12);
        expectClose(withSpend.clv, gammaGammaExpectedSpend(spendModel.params, summary.x, summary.monetary) * reference);
        if (summary.x > 0 && summary.monetary !== undefined) expectClose(ownSpend.clv, summary.monetary * reference);
        else expect(ownSpend).toMatchObject({ expectedSpend: null, clv: null });
        expectClose(discountedExpectedPurchases(model, summary, options), reference);
      }
    }
  });
});

describe('scoring one model with several sets of options', () => {
  it('keeps them apart', () => {
    // Prepare
    const model = models[2]![1]();
    const customer = { x: 4, tx: 200, T: 300, monetary: 40 };
    const optionSets: ScoreOptions[] = [
      { t: 90, horizon: 365 },
      { t: 90, horizon: 730 },
      { t: 30, horizon: 365 },
      { t: 90, horizon: 365, discountRate: 0.05 },
    ];
    // Act: interleaved, so each call follows one with other options
    const scores = [...optionSets, ...optionSets].map((options) => scoreCustomer(model, spendModel, customer, options));
    // Assess
    scores.forEach((score, i) => {
      const options = optionSets[i % optionSets.length]!;
      expectClose(score.clv, (score.expectedSpend as number) * referenceDiscounted(model, customer, options));
      expectClose(score.expectedPurchases, expectedPurchases(model, customer, options.t), 1e-12);
    });
    expect(new Set(scores.slice(0, 4).map((score) => `${score.clv}|${score.expectedPurchases}`)).size).toBe(4);
  });

  it('a scorer built once gives what scoreCustomer gives', () => {
    // Prepare
    const model = models[0]![1]();
    const options = { t: 13, horizon: 52 };
    const score = customerScorer(model, spendModel, options);
    // Act + Assess
    for (const summary of summaries()) expect(score(summary)).toEqual(scoreCustomer(model, spendModel, summary, options));
  });

  it('CLV is the expected spend times the discounted expected purchases', () => {
    // Prepare
    const model = models[1]![1]();
    const customer = { x: 3, tx: 30, T: 38 };
    // Act
    const clv = customerLifetimeValue(model, customer, 25, { horizon: 52 });
    // Assess
    expectClose(clv, 25 * referenceDiscounted(model, customer, { horizon: 52 }));
  });

  it('refuses options that make no sense only when a CLV needs them', () => {
    // Prepare
    const model = models[1]![1]();
    const customer = { x: 3, tx: 30, T: 38, monetary: 20 };
    const bad = { t: 13, horizon: 52, period: 0 };
    // Act + Assess
    expect(() => scoreCustomer(model, spendModel, customer, bad)).toThrow(RangeError);
    expect(() => discountedExpectedPurchases(model, customer, { horizon: -1 })).toThrow(RangeError);
    expect(scoreCustomer(model, undefined, { x: 0, tx: 0, T: 38 }, bad)).toMatchObject({ clv: null });
  });
});

describe('the (x, T) memo', () => {
  it("never answers with another pair's value, across growth and the start-over at its bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.oneof(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 60, noNaN: true }))), {
          minLength: 1,
          maxLength: 3000,
        }),
        fc.integer({ min: 1, max: 700 }),
        (pairs, bound) => {
          // Prepare
          const memo = new PairMemo(2, bound);
          const value = (x: number, T: number) => x * 1000 + T;
          for (const [x, T] of pairs) {
            // Act
            const at = memo.slotOf(x, T);
            // Assess: remembered values are this pair's; a new slot holds nothing yet
            const [first, second] = [memo.data[at] as number, memo.data[at + 1] as number];
            if (!Number.isNaN(first)) expect(first).toBe(value(x, T));
            if (!Number.isNaN(second)) expect(second).toBe(-value(x, T));
            memo.data[at] = value(x, T);
            memo.data[at + 1] = -value(x, T);
          }
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });

  it('remembers a pair it has seen, until the bound', () => {
    // Prepare
    const memo = new PairMemo(1, 5000);
    for (let x = 0; x < 40; x++) for (let T = 0; T < 100; T++) memo.data[memo.slotOf(x, T)] = x + T / 1000;
    // Act
    const remembered = [memo.data[memo.slotOf(7, 42)], memo.data[memo.slotOf(39, 99)], memo.data[memo.slotOf(0, 0)]];
    // Assess
    expect(remembered).toEqual([7.042, 39.099, 0]);
  });
});
