/**
 * How well a ranking by predicted uplift targets, measured on rows from a randomized experiment (treated or control,
 * outcome 0/1 or a value), never on the rows a model was fitted on.
 *
 * Definitions (those of scikit-uplift 0.5, so figures compare with published ones):
 * - Qini curve: rows sorted by predicted uplift, highest first; after the top n rows,
 *   Q(n) = Y_t(n) - Y_c(n) * N_t(n) / N_c(n)  (Y: sum of outcomes, N: rows, among the top n; the ratio is taken
 *   as 0 while N_c(n) = 0),
 *   the incremental outcomes of treating the top n, scaled to the treated group. Tied predictions form one step (the
 *   curve has points only where the prediction changes), so the order of tied rows does not matter.
 * - Random targeting: the straight line from (0, 0) to (N, Q(N)).
 * - Qini coefficient (`qini_auc_score` with negative_effect=True): (area under the model's curve - area under the random
 *   line) / (area under the perfect curve - area under the random line), areas by the trapezoid rule. The perfect curve
 *   ranks treated responders first and control responders last. 0 is random, 1 is perfect, below 0 worse than random.
 * - Uplift at top k: among the top ceil(k * N) rows (ties at the cut broken by input order), the treated rows' mean
 *   outcome minus the control rows' mean outcome. Targeting at random has, in expectation, the uplift of the whole
 *   population (the average treatment effect), which is the figure to beat.
 */

export interface QiniCurve {
  /** Rows targeted, 0..N. */
  readonly n: number[];
  /** Q(n). */
  readonly q: number[];
}

function descendingOrder(uplift: ArrayLike<number>): number[] {
  const order = Array.from({ length: uplift.length }, (_, i) => i);
  // Stable: ties keep input order. NaN predictions rank last.
  const key = (i: number) => {
    const value = uplift[i]!;
    return Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
  };
  order.sort((a, b) => key(b) - key(a) || a - b);
  return order;
}

function check(outcome: ArrayLike<number>, treated: ArrayLike<boolean>, uplift: ArrayLike<number>): void {
  if (outcome.length !== treated.length || outcome.length !== uplift.length) {
    throw new RangeError(`outcome, treated and uplift differ in length (${outcome.length}, ${treated.length}, ${uplift.length})`);
  }
}

export function qiniCurve(outcome: ArrayLike<number>, treated: ArrayLike<boolean>, uplift: ArrayLike<number>): QiniCurve {
  check(outcome, treated, uplift);
  const order = descendingOrder(uplift);
  const n = [0];
  const q = [0];
  let yt = 0;
  let yc = 0;
  let nt = 0;
  let nc = 0;
  for (let k = 0; k < order.length; k++) {
    const row = order[k]!;
    if (treated[row]) {
      nt++;
      yt += outcome[row]!;
    } else {
      nc++;
      yc += outcome[row]!;
    }
    const next = order[k + 1];
    if (next !== undefined && uplift[next] === uplift[row]) continue;
    n.push(k + 1);
    q.push(nc === 0 ? yt : yt - (yc * nt) / nc);
  }
  return { n, q };
}

function area(curve: QiniCurve): number {
  let sum = 0;
  for (let i = 1; i < curve.n.length; i++) sum += ((curve.n[i]! - curve.n[i - 1]!) * (curve.q[i]! + curve.q[i - 1]!)) / 2;
  return sum;
}

/** The Qini coefficient as defined above; NaN when the perfect curve is no better than random (e.g. no responders). */
export function qiniCoefficient(outcome: ArrayLike<number>, treated: ArrayLike<boolean>, uplift: ArrayLike<number>): number {
  const actual = qiniCurve(outcome, treated, uplift);
  const perfectScore = Array.from({ length: outcome.length }, (_, i) => (treated[i] ? outcome[i]! : -outcome[i]!));
  const perfect = qiniCurve(outcome, treated, perfectScore);
  const total = perfect.n[perfect.n.length - 1]!;
  const randomArea = (total * perfect.q[perfect.q.length - 1]!) / 2;
  const perfectGain = area(perfect) - randomArea;
  if (!(Math.abs(perfectGain) > 1e-12)) return Number.NaN;
  return (area(actual) - randomArea) / perfectGain;
}

export interface UpliftAtK {
  readonly k: number;
  /** Rows in the top k. */
  readonly rows: number;
  readonly treated: number;
  readonly control: number;
  readonly treatedRate: number;
  readonly controlRate: number;
  /** treatedRate - controlRate; NaN when the top k has no treated or no control row. */
  readonly uplift: number;
}

function groupRates(outcome: ArrayLike<number>, treated: ArrayLike<boolean>, rows: Iterable<number>, k: number): UpliftAtK {
  let nt = 0;
  let nc = 0;
  let yt = 0;
  let yc = 0;
  let count = 0;
  for (const row of rows) {
    count++;
    if (treated[row]) {
      nt++;
      yt += outcome[row]!;
    } else {
      nc++;
      yc += outcome[row]!;
    }
  }
  const treatedRate = nt > 0 ? yt / nt : Number.NaN;
  const controlRate = nc > 0 ? yc / nc : Number.NaN;
  return { k, rows: count, treated: nt, control: nc, treatedRate, controlRate, uplift: treatedRate - controlRate };
}

/** Uplift among the top `k` (0 < k <= 1) of rows by predicted uplift. */
export function upliftAtK(outcome: ArrayLike<number>, treated: ArrayLike<boolean>, uplift: ArrayLike<number>, k: number): UpliftAtK {
  check(outcome, treated, uplift);
  if (!(k > 0 && k <= 1)) throw new RangeError(`k must be in (0, 1], got ${k}`);
  const top = descendingOrder(uplift).slice(0, Math.ceil(k * outcome.length - 1e-9));
  return groupRates(outcome, treated, top, k);
}

/** The whole population's uplift: what targeting at random earns per targeted row, in expectation. */
export function averageTreatmentEffect(outcome: ArrayLike<number>, treated: ArrayLike<boolean>): UpliftAtK {
  return groupRates(
    outcome,
    treated,
    Array.from({ length: outcome.length }, (_, i) => i),
    1,
  );
}

export interface UpliftEvaluation {
  readonly rows: number;
  readonly treated: number;
  readonly control: number;
  readonly qini: number;
  /** Random targeting, for the table: its Qini coefficient is 0 by definition, its uplift at any k the average effect. */
  readonly random: { readonly qini: 0; readonly uplift: number };
  readonly atK: readonly UpliftAtK[];
  /** The Qini curve at every 5% of rows (n as a share of rows), for plots. */
  readonly curve: readonly { readonly share: number; readonly q: number; readonly randomQ: number }[];
}

export const defaultTopShares = [0.1, 0.2, 0.3] as const;

export function evaluateUplift(
  outcome: ArrayLike<number>,
  treated: ArrayLike<boolean>,
  uplift: ArrayLike<number>,
  shares: readonly number[] = defaultTopShares,
): UpliftEvaluation {
  const all = averageTreatmentEffect(outcome, treated);
  const curve = qiniCurve(outcome, treated, uplift);
  const total = outcome.length;
  const finalQ = curve.q[curve.q.length - 1] ?? 0;
  const points: { share: number; q: number; randomQ: number }[] = [];
  for (let step = 0; step <= 20 && total > 0; step++) {
    const target = (step / 20) * total;
    // Linear interpolation between the curve's points, as the area does.
    let i = 0;
    while (i < curve.n.length - 1 && curve.n[i + 1]! < target) i++;
    const n0 = curve.n[i]!;
    const n1 = curve.n[Math.min(i + 1, curve.n.length - 1)]!;
    const q0 = curve.q[i]!;
    const q1 = curve.q[Math.min(i + 1, curve.q.length - 1)]!;
    const q = n1 === n0 ? q1 : q0 + ((q1 - q0) * (target - n0)) / (n1 - n0);
    points.push({ share: step / 20, q, randomQ: (finalQ * target) / total });
  }
  return {
    rows: total,
    treated: all.treated,
    control: all.control,
    qini: qiniCoefficient(outcome, treated, uplift),
    random: { qini: 0, uplift: all.uplift },
    atK: shares.map((k) => upliftAtK(outcome, treated, uplift, k)),
    curve: points,
  };
}
