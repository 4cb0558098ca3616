/**
 * Gradient-boosted trees, small and written here on purpose: no maintained pure-JavaScript GBM library fits (the npm
 * ones are unmaintained ports, bind native LightGBM/XGBoost, or lack histogram binning, subsampling and a seed), and
 * the learner must stay pure TypeScript to run in a Lambda and in the browser-free CLI alike.
 *
 * What it does: second-order boosting (each tree fits the loss's gradient and hessian, leaf = -G / (H + lambda)) on
 * histogram-binned features (see features.ts), depth-limited trees grown level by level, shrinkage (learning rate),
 * and row subsampling per tree drawn from a seeded generator. Losses: logistic (0/1 outcome, the model predicts log-odds)
 * and squared (any real target: transformed outcomes, imputed effects, values).
 */
import type { BinnedRows } from './features.js';

export type Loss = 'logistic' | 'squared';

export interface GbmParams {
  /** Number of trees (boosting rounds). */
  readonly trees: number;
  /** Maximum depth of a tree: 1 is a stump. */
  readonly depth: number;
  /** Shrinkage: each tree's leaves are multiplied by it. */
  readonly learningRate: number;
  /** Minimum rows in a leaf, as a share of the rows the model is fitted on (at least 5 rows). */
  readonly minLeafShare: number;
  /** L2 penalty on leaf values. */
  readonly lambda: number;
  /** Share of the rows each tree is grown on, drawn anew per tree. */
  readonly subsample: number;
}

/**
 * A tree as flat arrays, which is also its JSON form. Node i is a leaf when `feature[i] === -1` (its value is
 * `value[i]`, shrinkage applied); otherwise rows whose bin of `feature[i]` is "left" go to `left[i]`, the others to
 * `right[i]`. Numeric splits: left when bin <= `threshold[i]`. Categorical splits: left when the bin is in
 * `categories[i]`.
 */
export interface Tree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly categories: (number[] | null)[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

export interface Gbm {
  readonly loss: Loss;
  /** The starting prediction: log-odds of the mean (logistic) or the mean (squared). */
  readonly base: number;
  readonly trees: Tree[];
}

export interface GbmData {
  readonly bins: BinnedRows;
  /** Per feature: whether its splits are categorical, and how many bins it has. */
  readonly categorical: readonly boolean[];
  readonly binCounts: readonly number[];
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function leafRows(share: number, rows: number): number {
  return Math.max(5, Math.ceil(share * rows));
}

interface Split {
  readonly feature: number;
  readonly gain: number;
  readonly threshold: number;
  readonly leftBins: number[] | null;
}

class TreeGrower {
  private readonly tree: Tree = { feature: [], threshold: [], categories: [], left: [], right: [], value: [] };
  // Reused histograms, sized for the widest feature.
  private readonly histG: Float64Array;
  private readonly histH: Float64Array;
  private readonly histN: Int32Array;

  constructor(
    private readonly data: GbmData,
    private readonly grad: Float64Array,
    private readonly hess: Float64Array,
    private readonly params: GbmParams,
    private readonly minLeaf: number,
  ) {
    const widest = Math.max(1, ...data.binCounts);
    this.histG = new Float64Array(widest);
    this.histH = new Float64Array(widest);
    this.histN = new Int32Array(widest);
  }

  grow(rows: Int32Array): Tree {
    this.node(rows, 0);
    return this.tree;
  }

  private newNode(): number {
    const t = this.tree;
    t.feature.push(-1);
    t.threshold.push(0);
    t.categories.push(null);
    t.left.push(-1);
    t.right.push(-1);
    t.value.push(0);
    return t.feature.length - 1;
  }

  private node(rows: Int32Array, depth: number): number {
    const id = this.newNode();
    let G = 0;
    let H = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      G += this.grad[r]!;
      H += this.hess[r]!;
    }
    const split = depth < this.params.depth && rows.length >= 2 * this.minLeaf ? this.bestSplit(rows, G, H) : null;
    if (!split) {
      this.tree.value[id] = (this.params.learningRate * -G) / (H + this.params.lambda);
      return id;
    }
    const column = this.data.bins.columns[split.feature]!;
    const goesLeft = new Uint8Array(this.data.binCounts[split.feature]!);
    if (split.leftBins) for (const bin of split.leftBins) goesLeft[bin] = 1;
    else for (let bin = 0; bin <= split.threshold; bin++) goesLeft[bin] = 1;
    let leftCount = 0;
    for (let i = 0; i < rows.length; i++) leftCount += goesLeft[column[rows[i]!]!]!;
    const leftRows = new Int32Array(leftCount);
    const rightRows = new Int32Array(rows.length - leftCount);
    let l = 0;
    let r = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (goesLeft[column[row]!]) leftRows[l++] = row;
      else rightRows[r++] = row;
    }
    this.tree.feature[id] = split.feature;
    this.tree.threshold[id] = split.threshold;
    this.tree.categories[id] = split.leftBins;
    this.tree.left[id] = this.node(leftRows, depth + 1);
    this.tree.right[id] = this.node(rightRows, depth + 1);
    return id;
  }

  private bestSplit(rows: Int32Array, G: number, H: number): Split | null {
    const { lambda } = this.params;
    const parentScore = (G * G) / (H + lambda);
    let best: Split | null = null;
    const { histG, histH, histN, grad, hess } = this;
    const count = rows.length;
    for (let f = 0; f < this.data.binCounts.length; f++) {
      const bins = this.data.binCounts[f]!;
      const column = this.data.bins.columns[f]!;
      histG.fill(0, 0, bins);
      histH.fill(0, 0, bins);
      histN.fill(0, 0, bins);
      // The hot loop of the whole learner: one pass over the node's rows per feature.
      for (let i = 0; i < count; i++) {
        const row = rows[i]!;
        const bin = column[row]!;
        histG[bin] = histG[bin]! + grad[row]!;
        histH[bin] = histH[bin]! + hess[row]!;
        histN[bin] = histN[bin]! + 1;
      }
      // Numeric: bins in their natural order. Categorical: ordered by mean gradient, which makes the best split into
      // two sets of categories one of the prefixes of that order (Fisher 1958; LightGBM does the same).
      let order: number[];
      if (this.data.categorical[f]) {
        order = [];
        for (let bin = 0; bin < bins; bin++) if (histN[bin]! > 0) order.push(bin);
        order.sort((a, b) => histG[a]! / (histH[a]! + lambda) - histG[b]! / (histH[b]! + lambda) || a - b);
      } else {
        order = Array.from({ length: bins }, (_, bin) => bin);
      }
      let GL = 0;
      let HL = 0;
      let NL = 0;
      for (let k = 0; k < order.length - 1; k++) {
        const bin = order[k]!;
        GL += histG[bin]!;
        HL += histH[bin]!;
        NL += histN[bin]!;
        const NR = rows.length - NL;
        if (NL < this.minLeaf) continue;
        if (NR < this.minLeaf) break;
        const GR = G - GL;
        const HR = H - HL;
        const gain = (GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - parentScore;
        if (gain > 1e-12 && (!best || gain > best.gain)) {
          best = this.data.categorical[f]
            ? { feature: f, gain, threshold: -1, leftBins: order.slice(0, k + 1).sort((a, b) => a - b) }
            : { feature: f, gain, threshold: bin, leftBins: null };
        }
      }
    }
    return best;
  }
}

/** The raw prediction of one tree for row `row` of `bins`. */
function treeValue(tree: Tree, bins: BinnedRows, row: number): number {
  let node = 0;
  for (;;) {
    const feature = tree.feature[node]!;
    if (feature === -1) return tree.value[node]!;
    const bin = bins.columns[feature]![row]!;
    const categories = tree.categories[node];
    const left = categories ? categories.includes(bin) : bin <= tree.threshold[node]!;
    node = left ? tree.left[node]! : tree.right[node]!;
  }
}

/**
 * Fits a GBM on the rows `rows` of `data` (indices into it) with targets `target[row]` (0/1 for logistic). The random
 * generator draws the subsamples.
 */
export function fitGbm(data: GbmData, rows: Int32Array, target: ArrayLike<number>, loss: Loss, params: GbmParams, random: () => number): Gbm {
  const n = data.bins.rows;
  let sum = 0;
  for (let i = 0; i < rows.length; i++) sum += target[rows[i]!]!;
  const mean = rows.length > 0 ? sum / rows.length : 0;
  const base = loss === 'logistic' ? Math.log(Math.min(1 - 1e-6, Math.max(1e-6, mean)) / (1 - Math.min(1 - 1e-6, Math.max(1e-6, mean)))) : mean;
  const score = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const minLeaf = leafRows(params.minLeafShare, rows.length);
  const trees: Tree[] = [];
  const sample = new Int32Array(rows.length);
  for (let t = 0; t < params.trees; t++) {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const y = target[row]!;
      if (loss === 'logistic') {
        const p = sigmoid(score[row]!);
        grad[row] = p - y;
        hess[row] = Math.max(p * (1 - p), 1e-6);
      } else {
        grad[row] = score[row]! - y;
        hess[row] = 1;
      }
    }
    let size = 0;
    if (params.subsample >= 1) {
      sample.set(rows);
      size = rows.length;
    } else {
      for (let i = 0; i < rows.length; i++) if (random() < params.subsample) sample[size++] = rows[i]!;
    }
    const tree = new TreeGrower(data, grad, hess, params, minLeaf).grow(sample.subarray(0, size));
    trees.push(tree);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      score[row] = score[row]! + treeValue(tree, data.bins, row);
    }
  }
  return { loss, base, trees };
}

/**
 * Predictions for `rows` after the first `counts[k]` trees, for every k at once (one pass over the trees): a mean
 * (probability for logistic) per row per count, `result[k][i]` for `rows[i]`.
 */
export function predictStaged(model: Gbm, bins: BinnedRows, rows: Int32Array, counts: readonly number[]): Float64Array[] {
  const raw = new Float64Array(rows.length).fill(model.base);
  const result = counts.map(() => new Float64Array(rows.length));
  const order = counts.map((count, k) => ({ count, k })).sort((a, b) => a.count - b.count);
  let next = 0;
  const emit = (done: number) => {
    while (next < order.length && order[next]!.count <= done) {
      const out = result[order[next]!.k]!;
      for (let i = 0; i < rows.length; i++) out[i] = model.loss === 'logistic' ? sigmoid(raw[i]!) : raw[i]!;
      next++;
    }
  };
  emit(0);
  model.trees.forEach((tree, t) => {
    for (let i = 0; i < rows.length; i++) raw[i] = raw[i]! + treeValue(tree, bins, rows[i]!);
    emit(t + 1);
  });
  emit(Number.POSITIVE_INFINITY);
  return result;
}

/** The model's mean (probability for logistic) for each row in `rows`. */
export function predictGbm(model: Gbm, bins: BinnedRows, rows: Int32Array): Float64Array {
  return predictStaged(model, bins, rows, [model.trees.length])[0]!;
}

/** Keeps only the first `count` trees (a tuned tree count read off a longer fit). */
export function truncateGbm(model: Gbm, count: number): Gbm {
  return { ...model, trees: model.trees.slice(0, count) };
}
