import { describe, expect, it } from 'vitest';
import { evaluateUplift, qiniCoefficient } from '../../lib/domain/uplift/evaluation.js';
import { type Candidate, fitUplift, predictUplift, UpliftDataError, type UpliftMethod, upliftMethods } from '../../lib/domain/uplift/learners.js';
import { InvalidUpliftModelError, parseUpliftModel } from '../../lib/domain/uplift/model-json.js';
import { type SyntheticRow, type SyntheticSegment, syntheticExperiment, syntheticFeatureNames } from '../support/uplift.js';

const train = syntheticExperiment(4000, 11);
const test = syntheticExperiment(2000, 12);
const data = (rows: readonly SyntheticRow[]) => ({ featureNames: syntheticFeatureNames, rows });
// A small grid keeps the tier fast; the default grid is exercised by the CLI test and the bench.
const params = { depth: 2, trees: 60, learningRate: 0.1, minLeafShare: 0.02, lambda: 1, subsample: 0.8 };
const small: Candidate[] = upliftMethods.map((method) => ({ method, params }));

function meanUpliftBySegment(rows: readonly SyntheticRow[], uplift: readonly number[]): Record<SyntheticSegment, number> {
  const sums = new Map<SyntheticSegment, { sum: number; count: number }>();
  rows.forEach((row, i) => {
    const entry = sums.get(row.segment) ?? { sum: 0, count: 0 };
    entry.sum += uplift[i] ?? 0;
    entry.count++;
    sums.set(row.segment, entry);
  });
  return Object.fromEntries([...sums].map(([segment, { sum, count }]) => [segment, sum / count])) as Record<SyntheticSegment, number>;
}

describe('uplift learner on customers with a known response', () => {
  it.each(upliftMethods)('%s ranks persuadables first and do-not-disturb last, and its held-out Qini beats random', (method: UpliftMethod) => {
    // Act
    const model = fitUplift(data(train), { method, seed: 3, candidates: small.filter((c) => c.method === method), treeCounts: [30] });
    const uplift = predictUplift(model, test).map((p) => p.uplift);
    // Assess
    const bySegment = meanUpliftBySegment(test, uplift);
    expect(bySegment.persuadable).toBeGreaterThan(0.25);
    expect(bySegment.do_not_disturb).toBeLessThan(-0.15);
    expect(Math.abs(bySegment.sure_thing)).toBeLessThan(0.1);
    const top = [...test.keys()].sort((a, b) => (uplift[b] ?? 0) - (uplift[a] ?? 0)).slice(0, test.length / 5);
    expect(top.filter((i) => test[i]?.segment === 'persuadable').length / top.length).toBeGreaterThan(0.9);
    const evaluation = evaluateUplift(
      test.map((r) => r.outcome),
      test.map((r) => r.treated),
      uplift,
    );
    // Outcome noise caps the coefficient well below 1: the true uplift itself scores about 0.28 on these rows.
    const oracle = qiniCoefficient(
      test.map((r) => r.outcome),
      test.map((r) => r.treated),
      test.map((r) => r.trueUplift),
    );
    expect(evaluation.qini).toBeGreaterThan(0.85 * oracle);
    expect(evaluation.atK[2]?.uplift).toBeGreaterThan(evaluation.random.uplift + 0.2);
  });

  it('estimates the incremental value too when rows carry one', () => {
    // Act
    const model = fitUplift(data(train), { method: 'two-model', seed: 3, candidates: small.slice(0, 1), treeCounts: [30] });
    const predictions = predictUplift(model, test);
    // Assess: value = 50 per outcome, so the value uplift is about 50 x the probability uplift (20 for persuadables)
    const bySegment = meanUpliftBySegment(
      test,
      predictions.map((p) => p.valueUplift ?? Number.NaN),
    );
    expect(bySegment.persuadable).toBeGreaterThan(12);
    expect(bySegment.do_not_disturb).toBeLessThan(-8);
  });

  it('chooses the method on evidence and reports every setting tried with its cross-validated Qini', () => {
    // Act
    const model = fitUplift(data(train), { method: 'auto', seed: 5, candidates: small, treeCounts: [20, 60] });
    // Assess
    const tried = model.selection.candidates;
    expect(new Set(tried.map((c) => c.method))).toEqual(new Set(upliftMethods));
    expect(tried).toHaveLength(upliftMethods.length * 2);
    for (const candidate of tried) expect(candidate.cvQiniByFold).toHaveLength(3);
    expect(tried.some((c) => c.method === model.method && c.params.trees === model.params.trees && c.params.depth === model.params.depth)).toBe(true);
    expect(model.selection.note).toMatch(/^chose /);
  });

  it('gives the same model for the same rows and seed, and the same predictions after a JSON round trip', () => {
    // Prepare
    const options = { method: 'x-learner' as const, seed: 9, candidates: small.slice(2), treeCounts: [30] };
    // Act
    const first = fitUplift(data(train), options);
    const second = fitUplift(data(train), options);
    const reread = parseUpliftModel(JSON.parse(JSON.stringify(first)));
    // Assess
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(predictUplift(reread, test.slice(0, 200))).toEqual(predictUplift(first, test.slice(0, 200)));
  });

  it('falls back to a cautious two-model, and says so, when there are too few rows to cross-validate', () => {
    // Act
    const model = fitUplift(data(train.slice(0, 60)), { seed: 1 });
    // Assess
    expect(model.method).toBe('two-model');
    expect(model.selection.candidates).toEqual([]);
    expect(model.selection.note).toMatch(/too few rows/);
  });

  it('refuses data without control rows or with an outcome that is not 0/1', () => {
    expect(() => fitUplift(data(train.filter((r) => r.treated)))).toThrow(UpliftDataError);
    expect(() => fitUplift({ featureNames: ['x'], rows: [{ features: [1], treated: true, outcome: 2 }] })).toThrow(/outcome must be 0 or 1/);
  });

  it('refuses a model file whose trees point outside themselves', () => {
    // Prepare
    const model = JSON.parse(JSON.stringify(fitUplift(data(train.slice(0, 60))))) as { probability: { treated: { trees: { left: number[] }[] } } };
    const tree = model.probability.treated.trees[0];
    if (tree) tree.left[0] = 0;
    // Act / Assess
    expect(() => parseUpliftModel(model)).toThrow(InvalidUpliftModelError);
    expect(() => parseUpliftModel({ format: 'something else' })).toThrow(/not a winback uplift model: format/);
  });
});
