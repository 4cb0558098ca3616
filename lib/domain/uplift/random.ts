/**
 * The learner's only source of randomness: a seeded generator, so the same rows and seed give the same model (a fit
 * can be reproduced from its JSON's `seed`, and tests and benches are stable).
 */

/** mulberry32: 32 bits of state, fast, good enough for subsampling and shuffling (not for cryptography). */
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

/** Fisher-Yates in place. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i] as T;
    items[i] = items[j] as T;
    items[j] = swap;
  }
  return items;
}

/**
 * Assigns each row a group 0..groups-1, stratified by `stratum` (treated/control): within each stratum the rows are
 * shuffled and dealt round-robin, so every group gets the same share of each stratum, give or take one row.
 */
export function stratifiedFolds(strata: readonly (string | number | boolean)[], groups: number, random: () => number): Int32Array {
  const byStratum = new Map<string | number | boolean, number[]>();
  strata.forEach((stratum, index) => {
    const list = byStratum.get(stratum);
    if (list) list.push(index);
    else byStratum.set(stratum, [index]);
  });
  const fold = new Int32Array(strata.length);
  // Sorted keys: the assignment must not depend on which stratum happened to come first in the file.
  for (const key of [...byStratum.keys()].sort((a, b) => String(a).localeCompare(String(b)))) {
    const rows = shuffle(byStratum.get(key) as number[], random);
    rows.forEach((row, position) => {
      fold[row] = position % groups;
    });
  }
  return fold;
}

/**
 * A seeded split stratified by `stratum`: in each stratum, round(share x size) rows, chosen at random, go to the first
 * part (`true`), the rest to the second.
 */
export function stratifiedSplit(strata: readonly (string | number | boolean)[], share: number, seed: number): boolean[] {
  const random = seededRandom(seed);
  const byStratum = new Map<string | number | boolean, number[]>();
  strata.forEach((stratum, index) => {
    const list = byStratum.get(stratum);
    if (list) list.push(index);
    else byStratum.set(stratum, [index]);
  });
  const first = new Array<boolean>(strata.length).fill(false);
  for (const key of [...byStratum.keys()].sort((a, b) => String(a).localeCompare(String(b)))) {
    const rows = shuffle(byStratum.get(key) as number[], random);
    const take = Math.round(share * rows.length);
    for (let i = 0; i < take; i++) first[rows[i] as number] = true;
  }
  return first;
}

/** A generator seeded by text (FNV-1a of it): one independent stream per purpose, e.g. per candidate and fold. */
export function randomFor(key: string): () => number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return seededRandom(hash);
}
