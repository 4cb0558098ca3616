/**
 * Features as the trees see them: every value becomes a small bin number, so a tree node tries one split per bin
 * instead of one per distinct value (the histogram method of LightGBM and XGBoost's `hist`).
 * - numeric: up to `maxBins` quantile bins; bin 0 is "missing", bin b >= 1 holds values in (edges[b-2], edges[b-1]].
 * - categorical: the most frequent `maxCategories` values get bins 1..K; bin 0 is missing, rare or unseen.
 * The specs are part of the model's JSON, so scoring bins new rows exactly as training did.
 */

/** A feature value: a number, a category, or missing. */
export type FeatureValue = number | string | null;

export type FeatureKind = 'numeric' | 'categorical';

export type FeatureSpec =
  | { readonly name: string; readonly kind: 'numeric'; readonly edges: readonly number[] }
  | { readonly name: string; readonly kind: 'categorical'; readonly categories: readonly string[] };

export const defaultMaxBins = 32;
export const defaultMaxCategories = 64;

/** A feature is numeric when every value present is a finite number; anything else makes it categorical. */
export function inferKind(values: Iterable<FeatureValue>): FeatureKind {
  for (const value of values) {
    if (value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'categorical';
  }
  return 'numeric';
}

function numericEdges(values: number[], maxBins: number): number[] {
  if (values.length === 0) return [];
  values.sort((a, b) => a - b);
  const edges: number[] = [];
  for (let q = 1; q < maxBins; q++) {
    const edge = values[Math.min(values.length - 1, Math.floor((q * values.length) / maxBins))] as number;
    // An edge equal to the largest value would leave an empty top bin.
    if (edge < (values[values.length - 1] as number) && (edges.length === 0 || edge > (edges[edges.length - 1] as number))) edges.push(edge);
  }
  // Few distinct values: give each its own bin, whatever the quantiles said.
  const distinct: number[] = [];
  for (const value of values)
    if (distinct.length === 0 || value !== distinct[distinct.length - 1]) {
      distinct.push(value);
      if (distinct.length > maxBins) break;
    }
  return distinct.length <= maxBins ? distinct.slice(0, -1) : edges;
}

/** Builds the specs from the training rows; `kinds` forces a kind (a numeric column of a file read as text stays text). */
export function buildFeatureSpecs(
  names: readonly string[],
  rows: readonly { readonly features: readonly FeatureValue[] }[],
  options: { maxBins?: number; maxCategories?: number; kinds?: readonly FeatureKind[] } = {},
): FeatureSpec[] {
  const maxBins = Math.max(2, Math.min(255, options.maxBins ?? defaultMaxBins));
  const maxCategories = Math.max(1, Math.min(255, options.maxCategories ?? defaultMaxCategories));
  return names.map((name, f) => {
    const column = rows.map((row) => row.features[f] ?? null);
    const kind = options.kinds?.[f] ?? inferKind(column);
    if (kind === 'numeric') {
      const values = column.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
      return { name, kind, edges: numericEdges(values, maxBins) };
    }
    const counts = new Map<string, number>();
    for (const value of column) if (value !== null) counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
    const categories = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, maxCategories)
      .map(([category]) => category);
    return { name, kind, categories };
  });
}

/** Number of bins a feature uses, bin 0 (missing) included. */
export function binCount(spec: FeatureSpec): number {
  return spec.kind === 'numeric' ? spec.edges.length + 2 : spec.categories.length + 1;
}

/** A reusable binner: categorical lookups go through a map built once. */
export function binner(specs: readonly FeatureSpec[]): (f: number, value: FeatureValue) => number {
  const lookups = specs.map((spec) => (spec.kind === 'categorical' ? new Map(spec.categories.map((category, index) => [category, index + 1])) : undefined));
  return (f, value) => {
    const spec = specs[f] as FeatureSpec;
    if (value === null) return 0;
    if (spec.kind === 'categorical') return (lookups[f] as Map<string, number>).get(String(value)) ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
    // 1 + the number of edges below the value: binary search.
    const edges = spec.edges;
    let low = 0;
    let high = edges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((edges[mid] as number) < value) low = mid + 1;
      else high = mid;
    }
    return low + 1;
  };
}

/** Column-major bins: `columns[f][row]`. */
export interface BinnedRows {
  readonly columns: readonly Uint8Array[];
  readonly rows: number;
}

export function binRows(specs: readonly FeatureSpec[], rows: readonly { readonly features: readonly FeatureValue[] }[]): BinnedRows {
  const bin = binner(specs);
  const columns = specs.map((_, f) => {
    const column = new Uint8Array(rows.length);
    rows.forEach((row, index) => {
      column[index] = bin(f, row.features[f] ?? null);
    });
    return column;
  });
  return { columns, rows: rows.length };
}
