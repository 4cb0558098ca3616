import type { Customer } from './customer.js';
import { calendarDateIn, isCalendarDate } from './dates.js';

/**
 * Bounds on times from outside, and the checks a stored customer must pass before the night scores it.
 *
 * The webhooks refuse times outside [{@link earliestPlausibleTime}, receipt + {@link clockSkewMs}]; records stored
 * before that rule (or written by a future bug, an import, a hand edit) are still met by the night, which must not
 * let one of them stop every customer's scoring: such a customer is skipped as `unreadable_record`.
 */

/** Before any shop platform or email service Winback talks to existed: a time earlier than this is a mistake. */
export const earliestPlausibleTime = '1995-01-01T00:00:00.000Z';

/** How far ahead of our clock a sender's clock may run: times later than receipt plus this are refused. */
export const clockSkewMs = 10 * 60_000;

/**
 * Why a time from outside cannot be taken, or undefined when it can: it must lie between
 * {@link earliestPlausibleTime} and `receivedAt` plus {@link clockSkewMs}.
 */
export function implausibleTimeProblem(iso: string, receivedAt: Date): string | undefined {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return 'not a time';
  if (time < Date.parse(earliestPlausibleTime)) return `before ${earliestPlausibleTime.slice(0, 10)}, earlier than any shop platform`;
  const latest = receivedAt.getTime() + clockSkewMs;
  if (time > latest) return `in the future: later than the time of receipt (${receivedAt.toISOString()}) plus ${clockSkewMs / 60_000} minutes of clock skew`;
  return undefined;
}

/** A time from outside taken no later than its receipt: a sender's clock running a little ahead cannot date a change later than now. */
export function notAfter(iso: string, receivedAt: Date): string {
  return Date.parse(iso) > receivedAt.getTime() ? receivedAt.toISOString() : iso;
}

const isWholeNumber = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isAmount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value);
const isDays = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * Why the night cannot score this stored customer, or undefined when it can: counts and amounts that are not whole
 * finite numbers, purchase times that do not parse, lie before {@link earliestPlausibleTime} or after `now` (plus
 * clock skew), whose date in the shop's time zone is not a calendar date (year 9999 late in the evening UTC is year
 * 10000 east of Greenwich), or a first order after the last. Names fields, never personal data, so it can be logged.
 */
export function unreadableProblem(customer: Customer, now: Date, shopTimeZone: string): string | undefined {
  const summary = customer.summary;
  if (!isWholeNumber(summary.orderCount)) return 'summary.orderCount is not a whole number';
  if (!isWholeNumber(summary.purchaseDays) || summary.purchaseDays > summary.orderCount) return 'summary.purchaseDays is not a whole number up to orderCount';
  for (const field of ['totalSpendMinor', 'averageOrderValueMinor'] as const) {
    if (!isAmount(summary[field])) return `summary.${field} is not a whole amount`;
  }
  for (const field of ['firstDaySpendMinor', 'lastOrderMinor'] as const) {
    if (summary[field] !== undefined && !isAmount(summary[field])) return `summary.${field} is not a whole amount`;
  }
  if (summary.couponOrders !== undefined && !isWholeNumber(summary.couponOrders)) return 'summary.couponOrders is not a whole number';
  for (const field of ['typicalGapDays', 'firstRepeatGapDays'] as const) {
    if (summary[field] !== undefined && !isDays(summary[field])) return `summary.${field} is not a number of days`;
  }
  for (const field of ['firstOrderAt', 'lastOrderAt'] as const) {
    const at = summary[field];
    if (at === undefined) continue;
    if (typeof at !== 'string') return `summary.${field} is not a time`;
    const problem = implausibleTimeProblem(at, now);
    if (problem) return `summary.${field} is ${problem}`;
    if (!isCalendarDate(calendarDateIn(at, shopTimeZone))) return `summary.${field} has no calendar date in ${shopTimeZone}`;
  }
  if (summary.firstOrderAt && summary.lastOrderAt && summary.firstOrderAt > summary.lastOrderAt) return 'summary.firstOrderAt is after summary.lastOrderAt';
  if (!Array.isArray(summary.recentPurchaseDays) || !summary.recentPurchaseDays.every((day) => typeof day === 'string' && isCalendarDate(day))) {
    return 'summary.recentPurchaseDays holds something that is not a calendar date';
  }
  return undefined;
}
