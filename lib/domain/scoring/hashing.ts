/**
 * Hashing of numbers for the open-addressing tables that fold and remember customer summaries. A million summaries go
 * through them: string keys (`${x}|${tx}|${T}`) or Maps of Maps cost more there than everything else together.
 */

const bits = new Float64Array(1);
const words = new Int32Array(bits.buffer);

/** Mixes one number into a 32-bit hash; whole numbers (the usual case: days, counts) skip the float reinterpretation. */
export function mixHash(hash: number, value: number): number {
  let v: number;
  if ((value | 0) === value) {
    v = value | 0;
  } else {
    bits[0] = value;
    v = (words[0] as number) ^ Math.imul(words[1] as number, 0x27d4eb2d);
  }
  let h = Math.imul(hash ^ v, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** The smallest power of two that keeps `entries` at most half of it (short probe sequences). */
export function tableCapacity(entries: number): number {
  let capacity = 1024;
  while (capacity < 2 * entries) capacity *= 2;
  return capacity;
}
