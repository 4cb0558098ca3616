/** A seeded generator of customer summaries (x, tx, T in days, monetary in major units) for the bench. */

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
  readonly monetary: Float64Array;
}

function poisson(mean: number, random: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Buy-till-you-die shaped data: each customer buys at a gamma-ish Poisson rate for an exponential lifetime; T is a whole
 * number of days in [1, 730], tx a whole number of days (so identical summaries fold under weighted compression).
 */
export function syntheticSummaries(count: number, seed = 20261122): SyntheticSummaries {
  const random = seededRandom(seed);
  const x = new Float64Array(count);
  const tx = new Float64Array(count);
  const T = new Float64Array(count);
  const monetary = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const age = 1 + Math.floor(random() * 730);
    const rate = -Math.log(1 - random()) * -Math.log(1 - random()) * 0.02; // purchases a day
    const lifetime = -Math.log(1 - random()) * 300;
    const active = Math.min(age, lifetime);
    const repeats = Math.min(200, poisson(rate * active, random));
    const last = repeats === 0 ? 0 : Math.min(age, Math.max(1, Math.ceil(active * Math.pow(random(), 1 / repeats))));
    x[i] = repeats;
    tx[i] = last;
    T[i] = age;
    monetary[i] = repeats === 0 ? 0 : Math.round((15 + -Math.log(1 - random()) * 35) * 100) / 100;
  }
  return { count, x, tx, T, monetary };
}
