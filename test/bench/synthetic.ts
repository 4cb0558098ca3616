/**
 * A seeded generator of customer summaries for the bench (x, tx, T in days, monetary in major units), drawn from the
 * MBG/NBD purchase process and the Gamma-Gamma spend process with known parameters, so a fit on them can be checked
 * against the truth.
 */

/** mulberry32: small, fast, deterministic per seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticSummaries {
  readonly count: number;
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  /** Mean spend per repeat purchase day; 0 for one-time buyers. */
  readonly monetary: Float64Array;
}

/**
 * The generating parameters, time in days. The purchase process matches what MBG/NBD estimated on this bench's earlier
 * ad-hoc generator (a purchase every couple of months on average, most customers gone after a few purchases), so the
 * figures stay comparable; the spend process has a mean of p gamma / (q - 1) = 80 per purchase.
 */
export const syntheticTruth = {
  purchases: { r: 0.55, alpha: 18, a: 0.7, b: 2.2 },
  spend: { p: 6, q: 4, gamma: 40 },
} as const;

/** Ages are whole days up to two years. */
const maxAgeDays = 730;

/**
 * Each customer: rate lambda ~ Gamma(r, alpha), dropout chance p ~ Beta(a, b); gone right after the first purchase with
 * chance p (MBG/NBD), otherwise buying at rate lambda and dropping out with chance p after each repeat purchase, until
 * the end of the observation. Spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer.
 *
 * Times are recorded in whole days, as a shop records them: T is the age in days since the first purchase, tx the last
 * repeat purchase's day (to the nearest day). Orders carry dates, so real summaries look like this, and it is also why
 * customers share summaries and fold under weighted compression; rounding moves tx by half a day at most, which the fit
 * does not notice next to ages of a year on average. x counts the model's repeat purchases: a shop would count two orders on one day
 * as one purchase day, which at the fastest buyers' rates happens often enough to bias the fit away from the parameters
 * that generated the data, and the point of this generator is that the fit can be checked against them.
 */
export function syntheticSummaries(count: number, seed = 20261122): SyntheticSummaries {
  const random = seededRandom(seed);
  const sampler = new GammaSampler(random);
  const { r, alpha, a, b } = syntheticTruth.purchases;
  const spend = syntheticTruth.spend;
  const x = new Float64Array(count);
  const tx = new Float64Array(count);
  const T = new Float64Array(count);
  const monetary = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const age = 1 + Math.floor(random() * maxAgeDays);
    const lambda = sampler.gamma(r) / alpha;
    const g = sampler.gamma(a);
    const dropout = g / (g + sampler.gamma(b));
    let purchases = 0;
    let last = 0;
    if (random() >= dropout) {
      let time = 0;
      for (;;) {
        time += -Math.log(1 - random()) / lambda;
        if (!(time <= age)) break;
        purchases++;
        last = time;
        if (random() < dropout) break;
      }
    }
    x[i] = purchases;
    tx[i] = Math.round(last);
    T[i] = age;
    if (purchases > 0) {
      const nu = sampler.gamma(spend.q) / spend.gamma;
      // The mean of `purchases` spends: their sum is Gamma(p * purchases, nu). In cents, as money is.
      monetary[i] = Math.max(0.01, Math.round((100 * sampler.gamma(spend.p * purchases)) / nu / purchases) / 100);
    }
  }
  return { count, x, tx, T, monetary };
}

/** Gamma(shape, 1) by Marsaglia and Tsang (2000), boosted for shape < 1. */
class GammaSampler {
  private spare: number | undefined;

  constructor(private readonly random: () => number) {}

  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.open() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = this.normal();
      const v = (1 + c * z) ** 3;
      if (v <= 0) continue;
      if (Math.log(this.open()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Uniform on (0, 1): never 0, so logarithms stay finite. */
  private open(): number {
    let u = this.random();
    while (u === 0) u = this.random();
    return u;
  }

  private normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.open()));
    const angle = 2 * Math.PI * this.random();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}
