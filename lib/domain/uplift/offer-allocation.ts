/**
 * Offer sizing (issue 28, item 5): between a campaign's variants that differ in offer, give each segment's new
 * customers to the variant most likely to earn the most incremental margin, by Thompson sampling, and never less than
 * a minimum exploration share to any variant, so a variant that looked worse early can still prove itself.
 *
 * Each variant's margin per customer (the order margin minus the discount, over every customer it was sent to, buyers
 * or not) is a mean over many customers: its posterior is taken as normal around the sample mean with the sample's
 * standard error (a weak prior keeps a variant with few customers wide). The holdout's mean is one draw shared by
 * every variant, so it moves all of them alike: the incremental margin of the winning variant is reported, the
 * choice is the same as on the variants' own margins. The probability that each variant wins is estimated from
 * `draws` joint draws with a seeded generator, so a night's shares depend on its data alone.
 */
import { seededRandom } from './random.js';

export interface ArmStats {
  readonly customers: number;
  readonly marginSumMinor: number;
  readonly marginSquaresMinor: number;
}

export const emptyArm = (): ArmStats => ({ customers: 0, marginSumMinor: 0, marginSquaresMinor: 0 });

export function addToArm(arm: ArmStats, marginMinor: number): ArmStats {
  return {
    customers: arm.customers + 1,
    marginSumMinor: arm.marginSumMinor + marginMinor,
    marginSquaresMinor: arm.marginSquaresMinor + marginMinor * marginMinor,
  };
}

export interface ArmPosterior {
  readonly mean: number;
  readonly sd: number;
}

/**
 * The posterior of an arm's mean margin per customer. With few customers the sample variance is unreliable: a prior
 * worth `priorCustomers` customers at `priorMean` with the pooled spread keeps the posterior wide.
 */
export function armPosterior(arm: ArmStats, prior: { readonly mean: number; readonly sd: number; readonly customers: number }): ArmPosterior {
  const n = arm.customers;
  const weight = n + prior.customers;
  const mean = (arm.marginSumMinor + prior.mean * prior.customers) / weight;
  const sampleVariance = n > 1 ? Math.max(0, (arm.marginSquaresMinor - (arm.marginSumMinor * arm.marginSumMinor) / n) / (n - 1)) : prior.sd * prior.sd;
  const variance = (sampleVariance * n + prior.sd * prior.sd * prior.customers) / weight;
  return { mean, sd: Math.sqrt(variance / weight) };
}

export interface Allocation {
  /** Variant id -> share of the segment's new customers, summing to 1. */
  readonly shares: Readonly<Record<string, number>>;
  /** Variant id -> the probability it has the highest margin. */
  readonly winProbability: Readonly<Record<string, number>>;
  /** The variant most likely best, and its incremental margin per customer against the holdout (minor units). */
  readonly leader: string;
  readonly leaderIncrementalMinor: number | null;
}

export interface AllocationOptions {
  /** No variant gets less than this share (0 to 1/variants). */
  readonly minShare: number;
  readonly draws?: number;
  readonly seed?: number;
}

/** Standard normal draws (Box-Muller) from a uniform generator. */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function allocateOffers(variants: Readonly<Record<string, ArmStats>>, holdout: ArmStats | undefined, options: AllocationOptions): Allocation {
  const ids = Object.keys(variants).sort();
  if (ids.length === 0) throw new RangeError('variants: at least one is needed');
  const all = ids.map((id) => variants[id]!);
  const pooledN = all.reduce((sum, arm) => sum + arm.customers, 0);
  const pooledMean = pooledN > 0 ? all.reduce((sum, arm) => sum + arm.marginSumMinor, 0) / pooledN : 0;
  const pooledSquares = pooledN > 0 ? all.reduce((sum, arm) => sum + arm.marginSquaresMinor, 0) / pooledN : 0;
  // With no data at all every variant is equally unknown: a unit spread keeps the draws symmetric.
  const pooledSd = Math.max(1, Math.sqrt(Math.max(0, pooledSquares - pooledMean * pooledMean)));
  const prior = { mean: pooledMean, sd: pooledSd, customers: 10 };
  const posteriors = all.map((arm) => armPosterior(arm, prior));
  const draws = options.draws ?? 4000;
  const random = seededRandom(options.seed ?? 1);
  const wins = new Array<number>(ids.length).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    posteriors.forEach((posterior, index) => {
      const value = posterior.mean + posterior.sd * normal(random);
      if (value > bestValue) {
        bestValue = value;
        best = index;
      }
    });
    wins[best]! += 1;
  }
  const minShare = Math.max(0, Math.min(1 / ids.length, options.minShare));
  const winProbability = Object.fromEntries(ids.map((id, index) => [id, wins[index]! / draws]));
  // Each variant keeps its floor; the rest is shared by the probability of being best.
  const free = 1 - minShare * ids.length;
  const shares = Object.fromEntries(ids.map((id, index) => [id, minShare + free * (wins[index]! / draws)]));
  const leaderIndex = wins.indexOf(Math.max(...wins));
  const leader = ids[leaderIndex]!;
  const holdoutMean = holdout && holdout.customers > 0 ? holdout.marginSumMinor / holdout.customers : undefined;
  return { shares, winProbability, leader, leaderIncrementalMinor: holdoutMean === undefined ? null : posteriors[leaderIndex]!.mean - holdoutMean };
}

/** Shares as the integer weights the sticky assignment draws by (each at least 1). */
export function sharesAsWeights(shares: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(shares).map(([id, share]) => [id, Math.max(1, Math.round(share * 1000))]));
}
