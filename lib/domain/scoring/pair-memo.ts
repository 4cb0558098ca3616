/**
 * A few numbers remembered per (x, T) pair, in an open-addressing hash table over one typed array. Scoring looks one up
 * per customer: objects per entry would give the garbage collector hundreds of thousands of things to trace, and a
 * pair's key and values share one 64-byte stretch of memory, so a lookup costs one trip to memory, not one per array.
 */
import { mixHash } from './hashing.js';

/** Marks an empty slot; x is a count, never negative. */
const EMPTY = -1;
/** Numbers per slot: x, T and up to six values, 64 bytes. */
const STRIDE = 8;
/** Small to start with: a read API scoring one customer builds a memo for that one. */
const INITIAL_CAPACITY = 64;

export class PairMemo {
  /**
   * Slot s is data[8s .. 8s + 7]: x, T, then the values; a value is NaN until the caller stores one. Replaced when the
   * table grows or starts over: read it after {@link slotOf}.
   */
  data!: Float64Array;
  private mask = 0;
  private size = 0;

  /**
   * @param width how many numbers per pair (at most six).
   * @param maxSize how many pairs to hold at most: past it the table starts over, so memory stays bounded.
   */
  constructor(
    readonly width: number,
    private readonly maxSize: number,
  ) {
    if (!(width >= 1 && width <= STRIDE - 2)) throw new RangeError(`a pair holds 1 to ${STRIDE - 2} values`);
    this.reset(INITIAL_CAPACITY);
  }

  /** Where the values of (x, T) start in {@link data}, the slot claimed (values NaN) when the pair is new. x must be a whole number >= 0. */
  slotOf(x: number, T: number): number {
    const data = this.data;
    const mask = this.mask;
    let i = mixHash(mixHash(0, x), T) & mask;
    for (;;) {
      const at = i * STRIDE;
      const kx = data[at] as number;
      if (kx === EMPTY) break;
      if (kx === x && data[at + 1] === T) return at + 2;
      i = (i + 1) & mask;
    }
    if (this.size >= this.maxSize) {
      this.reset(mask + 1);
      return this.slotOf(x, T);
    }
    if (2 * (this.size + 1) > mask + 1) {
      this.grow();
      return this.slotOf(x, T);
    }
    const at = i * STRIDE;
    data[at] = x;
    data[at + 1] = T;
    this.size++;
    return at + 2;
  }

  private reset(capacity: number): void {
    this.data = new Float64Array(capacity * STRIDE).fill(Number.NaN);
    for (let i = 0; i < capacity; i++) this.data[i * STRIDE] = EMPTY;
    this.mask = capacity - 1;
    this.size = 0;
  }

  private grow(): void {
    const old = this.data;
    this.reset((this.mask + 1) * 2);
    for (let at = 0; at < old.length; at += STRIDE) {
      const x = old[at] as number;
      if (x === EMPTY) continue;
      const to = this.slotOf(x, old[at + 1] as number);
      this.data.set(old.subarray(at + 2, at + 2 + this.width), to);
    }
  }
}
