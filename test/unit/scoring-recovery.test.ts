import { describe, expect, it } from 'vitest';
import { fitBgNbd } from '../../lib/domain/scoring/bgnbd.js';
import { fitGammaGamma } from '../../lib/domain/scoring/gamma-gamma.js';
import { fitMbgNbd, preparedMbgNbd } from '../../lib/domain/scoring/mbgnbd.js';
import { fitParetoNbd } from '../../lib/domain/scoring/pareto-nbd.js';
import { compress, foldSummaries } from '../../lib/domain/scoring/summary.js';
import type { CustomerSummary, FittedModel } from '../../lib/domain/scoring/types.js';
import { syntheticSummaries, syntheticTruth } from '../bench/synthetic.js';

/**
 * mulberry32: a 32-bit seeded generator in a few lines. fast-check's generators are made for building and shrinking
 * test values, not for drawing thousands of plain uniforms; this one is fixed by its own code, so no dependency update can
 * change the simulated customers and with them the outcome of the test.
 */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Sampler {
  private spare: number | undefined;
  constructor(readonly uniform: () => number) {}

  /** Uniform on (0, 1): never 0, so logs stay finite. */
  open(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.open()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  exponential(rate: number): number {
    return -Math.log(this.open()) / rate;
  }

  /** Gamma(shape, rate) by Marsaglia and Tsang (2000), boosted for shape < 1. */
  gamma(shape: number, rate: number): number {
    if (shape < 1) return this.gamma(shape + 1, rate) * this.open() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      if (Math.log(this.open()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
    }
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a, 1);
    return x / (x + this.gamma(b, 1));
  }
}

/** Observation windows from 20 to 60 weeks, as a shop's cohorts of several months would have. */
function windowOf(sampler: Sampler): number {
  return 20 + 40 * sampler.uniform();
}

function simulateBetaGeometric(n: number, seed: number, params: { r: number; alpha: number; a: number; b: number }, dropAtFirst: boolean): CustomerSummary[] {
  const sampler = new Sampler(mulberry32(seed));
  return Array.from({ length: n }, () => {
    const T = windowOf(sampler);
    const lambda = sampler.gamma(params.r, params.alpha);
    const p = sampler.beta(params.a, params.b);
    let x = 0;
    let tx = 0;
    // MBG/NBD: the customer may drop out right after the first purchase.
    if (dropAtFirst && sampler.uniform() < p) return { x, tx, T };
    let time = 0;
    for (;;) {
      time += sampler.exponential(lambda);
      if (time > T) break;
      x++;
      tx = time;
      if (sampler.uniform() < p) break;
    }
    return { x, tx, T };
  });
}

function simulatePareto(n: number, seed: number, params: { r: number; alpha: number; s: number; beta: number }): CustomerSummary[] {
  const sampler = new Sampler(mulberry32(seed));
  return Array.from({ length: n }, () => {
    const T = windowOf(sampler);
    const lambda = sampler.gamma(params.r, params.alpha);
    const lifetime = sampler.exponential(sampler.gamma(params.s, params.beta));
    const end = Math.min(T, lifetime);
    let x = 0;
    let tx = 0;
    for (let time = sampler.exponential(lambda); time <= end; time += sampler.exponential(lambda)) {
      x++;
      tx = time;
    }
    return { x, tx, T };
  });
}

function simulateSpend(n: number, seed: number, params: { p: number; q: number; gamma: number }): CustomerSummary[] {
  const sampler = new Sampler(mulberry32(seed));
  return Array.from({ length: n }, () => {
    const x = 1 + Math.floor(10 * sampler.uniform());
    const nu = sampler.gamma(params.q, params.gamma);
    let total = 0;
    for (let i = 0; i < x; i++) total += sampler.gamma(params.p, nu);
    return { x, tx: 1, T: 1, monetary: total / x };
  });
}

function expectRecovered<P extends object>(fitted: FittedModel<P>, truth: P): void {
  expect(fitted.converged).toBe(true);
  for (const name of Object.keys(truth) as (keyof P & string)[]) {
    const estimate = fitted.params[name] as number;
    const error = fitted.standardErrors[name];
    expect(Number.isFinite(error) && error > 0, `standard error of ${name}`).toBe(true);
    expect(Math.abs(estimate - (truth[name] as number)) / error, `${name}: ${estimate} ± ${error} vs ${String(truth[name])}`).toBeLessThan(3);
  }
}

describe("parameter recovery from each model's own generative process", () => {
  it('BG/NBD recovers r, alpha, a, b', () => {
    // Prepare
    const truth = { r: 0.6, alpha: 5, a: 0.8, b: 2.5 };
    const customers = simulateBetaGeometric(6000, 20261122, truth, false);
    // Act
    const fitted = fitBgNbd(customers, { timeUnit: 'weeks' });
    // Assess
    expectRecovered(fitted, truth);
  });

  it('MBG/NBD recovers r, alpha, a, b', () => {
    // Prepare
    const truth = { r: 0.6, alpha: 6, a: 0.9, b: 1.6 };
    const customers = simulateBetaGeometric(6000, 7, truth, true);
    // Act
    const fitted = fitMbgNbd(customers, { timeUnit: 'weeks' });
    // Assess
    expectRecovered(fitted, truth);
  });

  it('Pareto/NBD recovers r, alpha, s, beta', () => {
    // Prepare
    const truth = { r: 0.6, alpha: 8, s: 0.7, beta: 12 };
    const customers = simulatePareto(5000, 11, truth);
    // Act
    const fitted = fitParetoNbd(customers, { timeUnit: 'weeks' });
    // Assess
    expectRecovered(fitted, truth);
  });

  it('Gamma-Gamma recovers p, q, gamma', () => {
    // Prepare
    const truth = { p: 6, q: 4, gamma: 15 };
    const customers = simulateSpend(3000, 3, truth);
    // Act
    const fitted = fitGammaGamma(customers);
    // Assess
    expectRecovered(fitted, truth);
  });
});

describe("recovery at scale, in whole days, from the bench's generator", () => {
  it('MBG/NBD and Gamma-Gamma on 150,000 customers, the fit starting from a subsample of the distinct summaries', () => {
    // Prepare
    const data = syntheticSummaries(150_000, 9);
    const customers = Array.from({ length: data.count }, (_, i): CustomerSummary => {
      const x = data.x[i]!;
      return x > 0 ? { x, tx: data.tx[i]!, T: data.T[i]!, monetary: data.monetary[i]! } : { x, tx: data.tx[i]!, T: data.T[i]! };
    });
    // Act
    const fitted = fitMbgNbd(customers, { timeUnit: 'days' });
    const spend = fitGammaGamma(customers);
    // Assess: enough distinct summaries that the fit takes its warm start (above 50,000 rows), on every customer
    expect(compress(customers).length).toBeGreaterThan(50_000);
    expect(fitted.customers).toBe(150_000);
    expectRecovered(fitted, syntheticTruth.purchases);
    expectRecovered(spend, syntheticTruth.spend);
    // ... and the estimate is the maximum of the likelihood over all of them, not over the subsample
    const gradient = new Float64Array(4);
    preparedMbgNbd(foldSummaries(customers))(fitted.params, gradient);
    for (const component of gradient) expect(Math.abs(component) / fitted.customers).toBeLessThan(1e-6);
  });
});
