/**
 * Uplift learners: from a randomized experiment's rows (features, treated or control, outcome 0/1, optional value),
 * estimate for each customer how much treating them changes the probability of the outcome (and the expected value).
 *
 * Three meta-learners on the gradient-boosted trees of gbm.ts, chosen on evidence:
 * - two-model (T-learner): P(y | x, treated) and P(y | x, control) fitted apart; uplift = their difference.
 * - transformed outcome: one regression on Z = Y (T/p - (1-T)/(1-p)), whose expectation given x IS the uplift when
 *   treatment is assigned at random with probability p (Athey and Imbens 2015).
 * - X-learner (Künzel et al. 2019): the two-model's outcome models impute each row's own effect (treated: y - m0(x);
 *   control: m1(x) - y), two regressions smooth them, and uplift = p tau0(x) + (1-p) tau1(x).
 * `fitUplift` cross-validates every candidate (method x depth x tree count) on the training rows, scores each by its
 * mean out-of-fold Qini coefficient, and refits the best on all rows; the model keeps the whole table of what was tried.
 *
 * Assumes what Winback's holdouts and the public benchmarks guarantee: treatment assigned at random, with the same
 * probability for every row (p = the treated share). Not done here: Bayesian partial pooling across segments for
 * small shops (issue 28 lists it; left for later), separate tuning of the value model (it reuses the chosen method and
 * settings).
 * Values (revenue) are modelled as floats: they are statistical targets averaged over thousands of rows, not sums of
 * money that must be exact.
 */

import { qiniCoefficient } from './evaluation.js';
import { type BinnedRows, binCount, binner, binRows, buildFeatureSpecs, type FeatureKind, type FeatureSpec, type FeatureValue } from './features.js';
import { fitGbm, type Gbm, type GbmData, type GbmParams, type Loss, predictStaged, type Tree, truncateGbm } from './gbm.js';
import { randomFor, seededRandom, stratifiedFolds } from './random.js';

export interface UpliftRow {
  readonly features: readonly FeatureValue[];
  readonly treated: boolean;
  /** 0 or 1. */
  readonly outcome: number;
  /** Optional value of the outcome (e.g. revenue minus discount); all rows or none. */
  readonly value?: number;
}

export interface UpliftData {
  readonly featureNames: readonly string[];
  /** Forces a feature's kind; by default numeric when every value present is a number. */
  readonly kinds?: readonly FeatureKind[];
  readonly rows: readonly UpliftRow[];
}

export const upliftMethods = ['two-model', 'transformed', 'x-learner'] as const;
export type UpliftMethod = (typeof upliftMethods)[number];

export type UpliftComponent =
  | { readonly method: 'two-model'; readonly treated: Gbm; readonly control: Gbm }
  | { readonly method: 'transformed'; readonly model: Gbm }
  | { readonly method: 'x-learner'; readonly treated: Gbm; readonly control: Gbm; readonly effectTreated: Gbm; readonly effectControl: Gbm };

export interface Candidate {
  readonly method: UpliftMethod;
  readonly params: GbmParams;
}

export interface CandidateResult extends Candidate {
  /** Mean out-of-fold Qini coefficient; null when it could not be computed. */
  readonly cvQini: number | null;
  readonly cvQiniByFold: readonly (number | null)[];
}

export interface Selection {
  readonly requested: UpliftMethod | 'auto';
  readonly folds: number;
  readonly candidates: readonly CandidateResult[];
  readonly chosen: Candidate;
  readonly note: string;
}

export interface UpliftModel {
  readonly format: 'winback-uplift-model';
  readonly version: 1;
  readonly method: UpliftMethod;
  readonly params: GbmParams;
  readonly features: readonly FeatureSpec[];
  /** p: the share of training rows treated, the assumed probability of treatment. */
  readonly treatedShare: number;
  readonly probability: UpliftComponent;
  readonly value: UpliftComponent | null;
  readonly training: {
    readonly rows: number;
    readonly treated: number;
    readonly control: number;
    readonly treatedRate: number;
    readonly controlRate: number;
    readonly seed: number;
  };
  readonly selection: Selection;
}

export interface UpliftPrediction {
  /** Incremental probability of the outcome if treated. */
  readonly uplift: number;
  /** P(outcome | treated) and P(outcome | control), from the learners that model them. */
  readonly pTreated?: number;
  readonly pControl?: number;
  /** Incremental value if treated, when the model was fitted with a value. */
  readonly valueUplift?: number;
}

/** Bad training data for the learner (no treated rows, an outcome not 0/1, ...). */
export class UpliftDataError extends Error {
  override readonly name = 'UpliftDataError';
}

export interface FitOptions {
  readonly method?: UpliftMethod | 'auto';
  readonly seed?: number;
  readonly folds?: number;
  /** Replaces the default grid (tests, benches). */
  readonly candidates?: readonly Candidate[];
  /** Tree counts read off each candidate's fit when tuning; default 25, 50, 100, 200 up to the candidate's trees. */
  readonly treeCounts?: readonly number[];
}

const base: Omit<GbmParams, 'depth' | 'trees' | 'learningRate' | 'minLeafShare'> = { lambda: 1, subsample: 0.8 };
const defaultTreeCounts = [10, 25, 50, 100, 200];

/** Effects are small next to outcome noise: the regressions on Z and imputed effects get bigger leaves and slower steps. */
export function defaultCandidates(method: UpliftMethod | 'auto'): Candidate[] {
  const all: Candidate[] = [
    ...[2, 3, 4].map((depth) => ({ method: 'two-model' as const, params: { ...base, depth, trees: 100, learningRate: 0.1, minLeafShare: 0.01 } })),
    ...[2, 3].map((depth) => ({ method: 'transformed' as const, params: { ...base, depth, trees: 200, learningRate: 0.05, minLeafShare: 0.03 } })),
    ...[2, 3].map((depth) => ({ method: 'x-learner' as const, params: { ...base, depth, trees: 200, learningRate: 0.05, minLeafShare: 0.02 } })),
  ];
  return method === 'auto' ? all : all.filter((candidate) => candidate.method === method);
}

/** The X-learner's first stage: outcome models fitted once, at fixed settings (they only impute effects). */
const stageOne: Omit<GbmParams, 'trees'> & { trees: number } = { ...base, depth: 3, trees: 100, learningRate: 0.1, minLeafShare: 0.01 };
/** Without enough rows to cross-validate: a cautious two-model. */
const fallback: Candidate = { method: 'two-model', params: { ...base, depth: 2, trees: 50, learningRate: 0.1, minLeafShare: 0.02 } };
const minRowsPerArmPerFold = 20;

interface Prepared {
  readonly data: GbmData;
  readonly specs: FeatureSpec[];
  readonly treated: Uint8Array;
  readonly outcome: Float64Array;
  readonly value: Float64Array | null;
}

function gbmData(specs: readonly FeatureSpec[], bins: BinnedRows): GbmData {
  return { bins, categorical: specs.map((spec) => spec.kind === 'categorical'), binCounts: specs.map(binCount) };
}

function prepare(data: UpliftData): Prepared {
  const rows = data.rows;
  const withValue = rows.filter((row) => row.value !== undefined).length;
  if (withValue !== 0 && withValue !== rows.length)
    throw new UpliftDataError(`a value is given for ${withValue} of ${rows.length} rows: give it for all rows or none`);
  rows.forEach((row, index) => {
    if (row.outcome !== 0 && row.outcome !== 1) throw new UpliftDataError(`row ${index + 1}: outcome must be 0 or 1, got ${row.outcome}`);
    if (row.value !== undefined && !Number.isFinite(row.value)) throw new UpliftDataError(`row ${index + 1}: value must be a finite number, got ${row.value}`);
    if (row.features.length !== data.featureNames.length) {
      throw new UpliftDataError(`row ${index + 1}: ${row.features.length} feature values for ${data.featureNames.length} features`);
    }
  });
  const specs = buildFeatureSpecs(data.featureNames, rows, data.kinds ? { kinds: data.kinds } : {});
  return {
    data: gbmData(specs, binRows(specs, rows)),
    specs,
    treated: Uint8Array.from(rows, (row) => (row.treated ? 1 : 0)),
    outcome: Float64Array.from(rows, (row) => row.outcome),
    value: withValue > 0 ? Float64Array.from(rows, (row) => row.value as number) : null,
  };
}

function split(rows: Int32Array, treated: Uint8Array): { treatedRows: Int32Array; controlRows: Int32Array } {
  const t: number[] = [];
  const c: number[] = [];
  for (const row of rows) (treated[row] ? t : c).push(row);
  return { treatedRows: Int32Array.from(t), controlRows: Int32Array.from(c) };
}

function shareTreated(rows: Int32Array, treated: Uint8Array): number {
  let count = 0;
  for (const row of rows) count += treated[row]!;
  return count / rows.length;
}

/**
 * Fits a method's component on `rows`. `counts` (ascending, last = params.trees) are the tree counts the caller wants
 * predictions for on `predictRows`: tuning reads several off one fit. Returns the component and, per count, the
 * predicted uplift of each of `predictRows`.
 */
function fitComponent(
  p: Prepared,
  rows: Int32Array,
  target: Float64Array,
  loss: Loss,
  candidate: Candidate,
  random: () => number,
  predictRows: Int32Array,
  counts: readonly number[],
): { component: UpliftComponent; uplift: Float64Array[] } {
  const { method, params } = candidate;
  const { treatedRows, controlRows } = split(rows, p.treated);
  const bins = p.data.bins;
  if (method === 'two-model') {
    const treated = fitGbm(p.data, treatedRows, target, loss, params, random);
    const control = fitGbm(p.data, controlRows, target, loss, params, random);
    const t = predictStaged(treated, bins, predictRows, counts);
    const c = predictStaged(control, bins, predictRows, counts);
    return { component: { method, treated, control }, uplift: counts.map((_, k) => t[k]!.map((value, i) => value - c[k]![i]!)) };
  }
  const share = shareTreated(rows, p.treated);
  if (method === 'transformed') {
    const z = new Float64Array(target.length);
    for (const row of rows) z[row] = target[row]! * (p.treated[row] ? 1 / share : -1 / (1 - share));
    const model = fitGbm(p.data, rows, z, 'squared', params, random);
    return { component: { method, model }, uplift: predictStaged(model, bins, predictRows, counts) };
  }
  const first = loss === 'logistic' ? stageOne : { ...stageOne, learningRate: 0.05 };
  const treated = fitGbm(p.data, treatedRows, target, loss, first, random);
  const control = fitGbm(p.data, controlRows, target, loss, first, random);
  const imputed = new Float64Array(target.length);
  const m0 = predictStaged(control, bins, treatedRows, [first.trees])[0]!;
  treatedRows.forEach((row, i) => {
    imputed[row] = target[row]! - m0[i]!;
  });
  const m1 = predictStaged(treated, bins, controlRows, [first.trees])[0]!;
  controlRows.forEach((row, i) => {
    imputed[row] = m1[i]! - target[row]!;
  });
  const effectTreated = fitGbm(p.data, treatedRows, imputed, 'squared', params, random);
  const effectControl = fitGbm(p.data, controlRows, imputed, 'squared', params, random);
  const tau1 = predictStaged(effectTreated, bins, predictRows, counts);
  const tau0 = predictStaged(effectControl, bins, predictRows, counts);
  return {
    component: { method, treated, control, effectTreated, effectControl },
    uplift: counts.map((_, k) => tau0[k]!.map((value, i) => share * value + (1 - share) * tau1[k]![i]!)),
  };
}

function truncate(component: UpliftComponent, trees: number): UpliftComponent {
  switch (component.method) {
    case 'two-model':
      return { ...component, treated: truncateGbm(component.treated, trees), control: truncateGbm(component.control, trees) };
    case 'transformed':
      return { ...component, model: truncateGbm(component.model, trees) };
    case 'x-learner':
      return { ...component, effectTreated: truncateGbm(component.effectTreated, trees), effectControl: truncateGbm(component.effectControl, trees) };
  }
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Cross-validates the candidates; each candidate expands into one result per tree count. */
function crossValidate(p: Prepared, candidates: readonly Candidate[], folds: number, treeCounts: readonly number[], seed: number): CandidateResult[] {
  const n = p.outcome.length;
  const fold = stratifiedFolds(Array.from(p.treated), folds, seededRandom(seed));
  const results = new Map<string, { candidate: Candidate; byFold: (number | null)[] }>();
  for (let k = 0; k < folds; k++) {
    const train: number[] = [];
    const valid: number[] = [];
    for (let row = 0; row < n; row++) (fold[row] === k ? valid : train).push(row);
    const trainRows = Int32Array.from(train);
    const validRows = Int32Array.from(valid);
    const outcome = validRows.map((row) => p.outcome[row]!);
    const treated = Array.from(validRows, (row) => p.treated[row] === 1);
    for (const candidate of candidates) {
      const counts = [...new Set([...treeCounts.filter((count) => count < candidate.params.trees), candidate.params.trees])].sort((a, b) => a - b);
      // Each candidate and fold draws from its own stream, so a candidate's figures do not depend on which others ran.
      const random = randomFor(`${seed}|${k}|${JSON.stringify(candidate)}`);
      const { uplift } = fitComponent(p, trainRows, p.outcome, 'logistic', candidate, random, validRows, counts);
      counts.forEach((trees, c) => {
        const expanded: Candidate = { method: candidate.method, params: { ...candidate.params, trees } };
        const key = JSON.stringify(expanded);
        const entry = results.get(key) ?? { candidate: expanded, byFold: [] };
        const qini = qiniCoefficient(outcome, treated, uplift[c]!);
        entry.byFold.push(Number.isFinite(qini) ? qini : null);
        results.set(key, entry);
      });
    }
  }
  return [...results.values()].map(({ candidate, byFold }) => {
    const finite = byFold.filter((value): value is number => value !== null);
    return { ...candidate, cvQini: finite.length === byFold.length ? mean(finite) : null, cvQiniByFold: byFold };
  });
}

/** One-sided 90% quantiles of Student's t by degrees of freedom (1..10); beyond, the normal's 1.282. */
const t90 = [3.078, 1.886, 1.638, 1.533, 1.476, 1.44, 1.415, 1.397, 1.383, 1.372];

/**
 * The choice: the best settings of the two-model learner (the well-understood baseline) stand unless another method's
 * best beats them in a one-sided paired t-test over the folds at 90% (mean difference > t x standard error). Qini
 * differences between learners on real data are often within fold-to-fold noise, and a choice made on noise does not
 * hold on new rows: on Hillstrom, a one-standard-error rule picked an X-learner that did worse on the test rows
 * (docs/uplift.md).
 */
function pick(results: readonly CandidateResult[], folds: number): { best: CandidateResult; why: string } | null {
  const ranked = results.filter((result) => result.cvQini !== null).sort((a, b) => (b.cvQini as number) - (a.cvQini as number));
  const top = ranked[0];
  if (!top) return null;
  const baseline = ranked.find((result) => result.method === 'two-model');
  if (!baseline || top.method === 'two-model') return { best: top, why: 'the highest mean' };
  const differences = top.cvQiniByFold.map((value, k) => (value as number) - (baseline.cvQiniByFold[k] as number));
  const meanDifference = mean(differences);
  const variance = differences.reduce((sum, d) => sum + (d - meanDifference) ** 2, 0) / Math.max(1, folds - 1);
  const standardError = Math.sqrt(variance / folds);
  const margin = `${top.method} ${meanDifference >= 0 ? '+' : ''}${meanDifference.toFixed(4)} over the best two-model, standard error ${standardError.toFixed(4)}`;
  const t = t90[folds - 2] ?? 1.282;
  return meanDifference > t * standardError
    ? { best: top, why: `beats the best two-model in a paired t-test over the folds at 90% (${margin}, threshold ${t} x SE)` }
    : { best: baseline, why: `no other method beats it in a paired t-test over the folds at 90% (${margin}, threshold ${t} x SE)` };
}

/** Fits an uplift model, choosing the method and its settings by cross-validated Qini (see the file's comment). */
export function fitUplift(data: UpliftData, options: FitOptions = {}): UpliftModel {
  const seed = options.seed ?? 1;
  const requested = options.method ?? 'auto';
  const folds = Math.max(2, Math.floor(options.folds ?? 3));
  const p = prepare(data);
  const all = Int32Array.from({ length: p.outcome.length }, (_, i) => i);
  const { treatedRows, controlRows } = split(all, p.treated);
  if (treatedRows.length === 0) throw new UpliftDataError('no treated rows: an uplift model needs both treated and control rows');
  if (controlRows.length === 0) throw new UpliftDataError('no control rows: an uplift model needs both treated and control rows');

  const candidates = options.candidates ?? defaultCandidates(requested);
  if (candidates.length === 0) throw new UpliftDataError(`no candidate settings for method ${requested}`);
  let chosen: Candidate;
  let results: CandidateResult[] = [];
  let note: string;
  if (Math.min(treatedRows.length, controlRows.length) < folds * minRowsPerArmPerFold) {
    chosen = requested === 'auto' || requested === fallback.method ? fallback : { method: requested, params: fallback.params };
    note = `too few rows to choose on evidence (${treatedRows.length} treated, ${controlRows.length} control; ${folds * minRowsPerArmPerFold} of each needed): used ${chosen.method} at cautious settings`;
  } else {
    results = crossValidate(p, candidates, folds, options.treeCounts ?? defaultTreeCounts, seed);
    const picked = pick(results, folds);
    if (picked) {
      const best = picked.best;
      chosen = { method: best.method, params: best.params };
      note = `chose ${best.method} (depth ${best.params.depth}, ${best.params.trees} trees): mean out-of-fold Qini ${best.cvQini?.toFixed(4)} over ${folds} folds, of ${results.length} settings tried; ${picked.why}`;
    } else {
      chosen = requested === 'auto' ? fallback : { method: requested, params: fallback.params };
      note = `no candidate had a computable Qini (no responders in a fold?): used ${chosen.method} at cautious settings`;
    }
  }

  const { component } = fitComponent(p, all, p.outcome, 'logistic', chosen, randomFor(`${seed}|final`), new Int32Array(0), [chosen.params.trees]);
  const value = p.value
    ? fitComponent(p, all, p.value, 'squared', chosen, randomFor(`${seed}|value`), new Int32Array(0), [chosen.params.trees]).component
    : null;
  let treatedSum = 0;
  let controlSum = 0;
  for (const row of treatedRows) treatedSum += p.outcome[row]!;
  for (const row of controlRows) controlSum += p.outcome[row]!;
  return {
    format: 'winback-uplift-model',
    version: 1,
    method: chosen.method,
    params: chosen.params,
    features: p.specs,
    treatedShare: treatedRows.length / all.length,
    probability: truncate(component, chosen.params.trees),
    value: value ? truncate(value, chosen.params.trees) : null,
    training: {
      rows: all.length,
      treated: treatedRows.length,
      control: controlRows.length,
      treatedRate: treatedSum / treatedRows.length,
      controlRate: controlSum / controlRows.length,
      seed,
    },
    selection: { requested, folds, candidates: results, chosen, note },
  };
}

function walk(tree: Tree, bins: Uint8Array): number {
  let node = 0;
  for (;;) {
    const feature = tree.feature[node]!;
    if (feature === -1) return tree.value[node]!;
    const bin = bins[feature]!;
    const categories = tree.categories[node];
    node = (categories ? categories.includes(bin) : bin <= tree.threshold[node]!) ? tree.left[node]! : tree.right[node]!;
  }
}

function gbmMean(model: Gbm, bins: Uint8Array): number {
  let raw = model.base;
  for (const tree of model.trees) raw += walk(tree, bins);
  return model.loss === 'logistic' ? 1 / (1 + Math.exp(-raw)) : raw;
}

function componentPrediction(component: UpliftComponent, share: number, bins: Uint8Array): { uplift: number; pTreated?: number; pControl?: number } {
  switch (component.method) {
    case 'two-model': {
      const pTreated = gbmMean(component.treated, bins);
      const pControl = gbmMean(component.control, bins);
      return { uplift: pTreated - pControl, pTreated, pControl };
    }
    case 'transformed':
      return { uplift: gbmMean(component.model, bins) };
    case 'x-learner':
      return {
        uplift: share * gbmMean(component.effectControl, bins) + (1 - share) * gbmMean(component.effectTreated, bins),
        pTreated: gbmMean(component.treated, bins),
        pControl: gbmMean(component.control, bins),
      };
  }
}

/** A scorer for one row at a time (streams of any length): features in the model's feature order. */
export function upliftScorer(model: UpliftModel): (features: readonly FeatureValue[]) => UpliftPrediction {
  const bin = binner(model.features);
  const bins = new Uint8Array(model.features.length);
  return (features) => {
    for (let f = 0; f < bins.length; f++) bins[f] = bin(f, features[f] ?? null);
    const probability = componentPrediction(model.probability, model.treatedShare, bins);
    if (!model.value) return probability;
    return { ...probability, valueUplift: componentPrediction(model.value, model.treatedShare, bins).uplift };
  };
}

export function predictUplift(model: UpliftModel, rows: readonly { readonly features: readonly FeatureValue[] }[]): UpliftPrediction[] {
  const score = upliftScorer(model);
  return rows.map((row) => score(row.features));
}
