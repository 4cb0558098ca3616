import { type CalendarDate, isCalendarDate, toEpochDay } from '../dates.js';
import { mixHash, tableCapacity } from './hashing.js';
import { type CustomerSummary, daysPerUnit, type IdentifiedSummary, type TimeUnit, type WeightedSummary } from './types.js';

/** One order in an event log: who, which calendar day, how much (currency units; a plain number is fine for modelling). */
export interface PurchaseEvent {
  readonly customerId: string;
  readonly date: CalendarDate;
  readonly amount: number;
}

/**
 * Purchase days per customer, accumulated event by event (memory grows with distinct purchase days, not with events:
 * several orders on one day are one purchase day with the amounts summed).
 */
export class PurchaseDayLog {
  private readonly customers = new Map<string, Map<number, number>>();
  private latest = -Infinity;

  add(event: PurchaseEvent): void {
    if (!isCalendarDate(event.date)) throw new RangeError(`not a calendar date: ${JSON.stringify(event.date)}`);
    if (!Number.isFinite(event.amount)) throw new RangeError(`amount of ${event.customerId} on ${event.date} is not a finite number`);
    const day = toEpochDay(event.date);
    let days = this.customers.get(event.customerId);
    if (!days) {
      days = new Map();
      this.customers.set(event.customerId, days);
    }
    days.set(day, (days.get(day) ?? 0) + event.amount);
    if (day > this.latest) this.latest = day;
  }

  get customerCount(): number {
    return this.customers.size;
  }

  /** The epoch day of the latest event, or undefined for an empty log. */
  get latestDay(): number | undefined {
    return Number.isFinite(this.latest) ? this.latest : undefined;
  }

  /**
   * Summaries of every customer whose first purchase is on or before `calibrationEnd`; purchases after it are ignored.
   * T runs from the first purchase day to `calibrationEnd` itself (the CDNOW convention: a customer first buying on
   * 1997-01-01 has T = 272 days = 38.86 weeks at 1997-09-30).
   */
  summaries(calibrationEnd: CalendarDate, timeUnit: TimeUnit): IdentifiedSummary[] {
    if (!isCalendarDate(calibrationEnd)) throw new RangeError(`calibration end is not a calendar date: ${calibrationEnd}`);
    const end = toEpochDay(calibrationEnd);
    const unit = daysPerUnit(timeUnit);
    const result: IdentifiedSummary[] = [];
    for (const [customerId, days] of this.customers) {
      let first = Infinity;
      let last = -Infinity;
      let count = 0;
      let total = 0;
      for (const [day, amount] of days) {
        if (day > end) continue;
        count++;
        total += amount;
        if (day < first) first = day;
        if (day > last) last = day;
      }
      if (count === 0) continue;
      const x = count - 1;
      const summary: IdentifiedSummary = { customerId, x, tx: (last - first) / unit, T: (end - first) / unit };
      if (x > 0) {
        const firstAmount = days.get(first) ?? 0;
        result.push({ ...summary, monetary: (total - firstAmount) / x });
      } else {
        result.push(summary);
      }
    }
    return result;
  }

  /** Distinct purchase days in (after, upTo] per customer, for customers with a purchase on or before `after`. */
  purchaseDaysBetween(after: CalendarDate, upTo: CalendarDate): Map<string, number> {
    const from = toEpochDay(after);
    const to = toEpochDay(upTo);
    const counts = new Map<string, number>();
    for (const [customerId, days] of this.customers) {
      let known = false;
      let count = 0;
      for (const day of days.keys()) {
        if (day <= from) known = true;
        else if (day <= to) count++;
      }
      if (known) counts.set(customerId, count);
    }
    return counts;
  }
}

/** Per-customer summaries from an event log (events after `calibrationEnd` are ignored). */
export function summariesFromEvents(events: Iterable<PurchaseEvent>, calibrationEnd: CalendarDate, timeUnit: TimeUnit): IdentifiedSummary[] {
  const log = new PurchaseDayLog();
  for (const event of events) log.add(event);
  return log.summaries(calibrationEnd, timeUnit);
}

/** Checks the invariants every model relies on; throws a RangeError naming the row. */
export function assertValidSummary(summary: CustomerSummary, where: string): void {
  const { x, tx, T } = summary;
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`${where}: x must be a whole number >= 0, got ${x}`);
  if (!Number.isFinite(tx) || tx < 0) throw new RangeError(`${where}: tx must be a finite number >= 0, got ${tx}`);
  if (!Number.isFinite(T) || T < tx) throw new RangeError(`${where}: T must be a finite number >= tx, got T=${T}, tx=${tx}`);
  if (x === 0 && tx !== 0) throw new RangeError(`${where}: tx must be 0 when x is 0, got ${tx}`);
}

/** Weighted rows as columns (row i is x[i], tx[i], T[i] with weight[i]): what the fits evaluate, without an object per row. */
export interface WeightedColumns {
  readonly length: number;
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  readonly weight: Float64Array;
}

/** Folds customers with identical (x, tx, T) into weighted rows (weights sum to the number of customers). */
export function compress(rows: Iterable<CustomerSummary>): WeightedSummary[] {
  return rowsOf(foldSummaries(rows));
}

/**
 * {@link compress} into columns: rows grouped by x (ascending), within a group in the order each summary first appears.
 * Grouping first keeps the fold's hash table the size of one group (a million customers have a few hundred distinct x),
 * small enough to stay in the processor's cache, where one table over all of them would miss it on nearly every row;
 * and nothing per row is left for the garbage collector. Several times faster than a Map keyed by strings.
 */
export function foldSummaries(rows: Iterable<CustomerSummary>): WeightedColumns {
  const list: readonly CustomerSummary[] = Array.isArray(rows) ? rows : Array.from(rows);
  const n = list.length;
  // Pass 1: validate, and count the rows of each x.
  const groupOfRow = new Int32Array(n);
  const groupOfSmallX = new Int32Array(smallX).fill(-1);
  const groupOfLargeX = new Map<number, number>();
  const groupX: number[] = [];
  const groupSize: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = list[i] as CustomerSummary;
    const { x, tx, T } = row;
    // The message (a string per row) only when a row is invalid.
    if (!(Number.isInteger(x) && x >= 0 && tx >= 0 && T >= tx && Number.isFinite(T) && (x > 0 || tx === 0))) assertValidSummary(row, `customer summary #${i}`);
    let g = x < smallX ? (groupOfSmallX[x] as number) : (groupOfLargeX.get(x) ?? -1);
    if (g < 0) {
      g = groupX.length;
      groupX.push(x);
      groupSize.push(0);
      if (x < smallX) groupOfSmallX[x] = g;
      else groupOfLargeX.set(x, g);
    }
    groupOfRow[i] = g;
    groupSize[g] = (groupSize[g] as number) + 1;
  }
  const groups = groupX.length;
  const order = groupX.map((_, g) => g).sort((p, q) => (groupX[p] as number) - (groupX[q] as number));
  const offset = new Int32Array(groups);
  let largest = 0;
  for (let k = 0, at = 0; k < groups; k++) {
    const g = order[k] as number;
    offset[g] = at;
    at += groupSize[g] as number;
    largest = Math.max(largest, groupSize[g] as number);
  }
  // Pass 2: each row's (tx, T, weight) into its group's range.
  const byGroupTx = new Float64Array(n);
  const byGroupT = new Float64Array(n);
  const byGroupWeight = new Float64Array(n);
  const next = offset.slice();
  for (let i = 0; i < n; i++) {
    const row = list[i] as CustomerSummary;
    const at = next[groupOfRow[i] as number] as number;
    next[groupOfRow[i] as number] = at + 1;
    byGroupTx[at] = row.tx;
    byGroupT[at] = row.T;
    byGroupWeight[at] = 'weight' in row && typeof row.weight === 'number' ? row.weight : 1;
  }
  // Pass 3: fold each group on (tx, T), writing the distinct rows over the grouped ones: a row is written at or before
  // the position it was read from, so nothing unread is overwritten, and no second set of columns is allocated (large
  // allocations are what make the garbage collector walk every summary object in the heap).
  const tx = byGroupTx;
  const T = byGroupT;
  const weight = byGroupWeight;
  const groupEnds = new Int32Array(groups);
  const slots = new Int32Array(tableCapacity(largest));
  let distinct = 0;
  for (let k = 0; k < groups; k++) {
    const g = order[k] as number;
    const groupStart = offset[g] as number;
    const groupEnd = groupStart + (groupSize[g] as number);
    const capacity = tableCapacity(groupEnd - groupStart);
    const mask = capacity - 1;
    slots.fill(-1, 0, capacity);
    for (let i = groupStart; i < groupEnd; i++) {
      const rowTx = tx[i] as number;
      const rowT = T[i] as number;
      const rowWeight = weight[i] as number;
      let slot = mixHash(mixHash(0, rowTx), rowT) & mask;
      for (;;) {
        const at = slots[slot] as number;
        if (at < 0) {
          slots[slot] = distinct;
          tx[distinct] = rowTx;
          T[distinct] = rowT;
          weight[distinct] = rowWeight;
          distinct++;
          break;
        }
        // Compared as numbers: -0 and 0 are the same time.
        if (tx[at] === rowTx && T[at] === rowT) {
          weight[at] = (weight[at] as number) + rowWeight;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    groupEnds[k] = distinct;
  }
  const x = new Float64Array(distinct);
  for (let k = 0, at = 0; k < groups; k++) {
    const value = groupX[order[k] as number] as number;
    for (const end = groupEnds[k] as number; at < end; at++) x[at] = value;
  }
  return { length: distinct, x, tx: tx.subarray(0, distinct), T: T.subarray(0, distinct), weight: weight.subarray(0, distinct) };
}

/** Purchase counts below this find their group through an array, the rest (rare) through a Map. */
const smallX = 4096;

/** The columns as summary objects. */
export function rowsOf(columns: WeightedColumns): WeightedSummary[] {
  const { x, tx, T, weight } = columns;
  const result: WeightedSummary[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) result[i] = { x: x[i] as number, tx: tx[i] as number, T: T[i] as number, weight: weight[i] as number };
  return result;
}

/** Summary objects that are already weighted rows, as columns (no folding). */
export function columnsOf(rows: readonly WeightedSummary[]): WeightedColumns {
  const n = rows.length;
  const columns = { length: n, x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n), weight: new Float64Array(n) };
  rows.forEach((row, i) => {
    columns.x[i] = row.x;
    columns.tx[i] = row.tx;
    columns.T[i] = row.T;
    columns.weight[i] = row.weight;
  });
  return columns;
}
