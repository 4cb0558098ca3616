/**
 * Weighted summaries laid out for evaluating a likelihood many times over (a fit takes tens of evaluations, each with its
 * gradient). In the BG/NBD family the gamma and digamma terms depend on x alone and the logarithms on alpha + tx and
 * alpha + T alone; a shop has a few hundred distinct x and, in whole days, a few thousand distinct times at most. So rows
 * are grouped by x, with the x-terms computed once per group, and refer to a table of distinct times whose logarithms are
 * computed once per evaluation. What is left per row is a handful of multiplications, one exp and one logarithm.
 */
import { mixHash, tableCapacity } from './hashing.js';
import type { WeightedColumns } from './summary.js';

export interface PreparedRows {
  /** Distinct x, ascending; group g holds rows start[g] .. start[g + 1] - 1. */
  readonly xs: Float64Array;
  readonly start: Int32Array;
  /** Total weight of each group. */
  readonly groupWeight: Float64Array;
  /** By row (in group order): the weight, and where its tx and T are in `times`. */
  readonly weight: Float64Array;
  readonly txAt: Int32Array;
  readonly TAt: Int32Array;
  /** The distinct values of tx and T. */
  readonly times: Float64Array;
  /** Sum of the weights. */
  readonly customers: number;
}

export function prepareRows(rows: WeightedColumns): PreparedRows {
  const n = rows.length;
  // Folded rows come grouped by ascending x already; anything else is put in that order (stably) first.
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = (rows.x[i - 1] as number) <= (rows.x[i] as number);
  const order = sorted ? undefined : Int32Array.from({ length: n }, (_, i) => i).sort((p, q) => (rows.x[p] as number) - (rows.x[q] as number) || p - q);
  const weight = new Float64Array(n);
  const txAt = new Int32Array(n);
  const TAt = new Int32Array(n);
  const xs: number[] = [];
  const start: number[] = [];
  const groupWeight: number[] = [];
  const times = new TimeTable();
  let customers = 0;
  for (let at = 0; at < n; at++) {
    const i = order ? (order[at] as number) : at;
    const x = rows.x[i] as number;
    const w = rows.weight[i] as number;
    if (xs.length === 0 || xs[xs.length - 1] !== x) {
      xs.push(x);
      start.push(at);
      groupWeight.push(0);
    }
    weight[at] = w;
    txAt[at] = times.indexOf(rows.tx[i] as number);
    TAt[at] = times.indexOf(rows.T[i] as number);
    groupWeight[groupWeight.length - 1] = (groupWeight[groupWeight.length - 1] as number) + w;
    customers += w;
  }
  start.push(n);
  return {
    xs: Float64Array.from(xs),
    start: Int32Array.from(start),
    groupWeight: Float64Array.from(groupWeight),
    weight,
    txAt,
    TAt,
    times: times.values(),
    customers,
  };
}

/** Distinct numbers by first appearance, each with its index. */
class TimeTable {
  private slots = new Int32Array(tableCapacity(0)).fill(-1);
  private mask = this.slots.length - 1;
  private list = new Float64Array(this.slots.length / 2);
  private size = 0;

  indexOf(value: number): number {
    let i = mixHash(0, value) & this.mask;
    for (;;) {
      const at = this.slots[i] as number;
      if (at < 0) break;
      if (this.list[at] === value) return at;
      i = (i + 1) & this.mask;
    }
    if (2 * (this.size + 1) > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(-1);
      this.mask = this.slots.length - 1;
      const list = new Float64Array(this.slots.length / 2);
      list.set(this.list);
      this.list = list;
      for (let at = 0; at < this.size; at++) {
        let j = mixHash(0, this.list[at] as number) & this.mask;
        while ((this.slots[j] as number) >= 0) j = (j + 1) & this.mask;
        this.slots[j] = at;
      }
      return this.indexOf(value);
    }
    this.slots[i] = this.size;
    this.list[this.size] = value;
    return this.size++;
  }

  values(): Float64Array {
    return this.list.slice(0, this.size);
  }
}

/**
 * ln(alpha + t) and alpha / (alpha + t) for every distinct time, refilled in place at each evaluation: the two
 * arrays the BG/NBD and MBG/NBD likelihoods read per row instead of taking a logarithm per row.
 */
export function alphaPlusTimes(
  times: Float64Array,
): (alpha: number, withGradient: boolean) => { readonly lnAlphaPlus: Float64Array; readonly alphaOver: Float64Array } {
  const lnAlphaPlus = new Float64Array(times.length);
  const alphaOver = new Float64Array(times.length);
  const filled = { lnAlphaPlus, alphaOver };
  return (alpha, withGradient) => {
    for (let i = 0; i < times.length; i++) {
      const value = alpha + (times[i] as number);
      lnAlphaPlus[i] = Math.log(value);
      if (withGradient) alphaOver[i] = alpha / value;
    }
    return filled;
  };
}
