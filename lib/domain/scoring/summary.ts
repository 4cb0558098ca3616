import { isCalendarDate, toEpochDay, type CalendarDate } from '../dates.js';
import { daysPerUnit, type CustomerSummary, type IdentifiedSummary, type TimeUnit, type WeightedSummary } from './types.js';

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

/** Folds customers with identical (x, tx, T) into weighted rows (weights sum to the number of customers). */
export function compress(rows: Iterable<CustomerSummary>): WeightedSummary[] {
  const byKey = new Map<string, { x: number; tx: number; T: number; weight: number }>();
  let index = 0;
  for (const row of rows) {
    const weight = 'weight' in row && typeof row.weight === 'number' ? row.weight : 1;
    assertValidSummary(row, `customer summary #${index++}`);
    const key = `${row.x}|${row.tx}|${row.T}`;
    const existing = byKey.get(key);
    if (existing) existing.weight += weight;
    else byKey.set(key, { x: row.x, tx: row.tx, T: row.T, weight });
  }
  return [...byKey.values()];
}
