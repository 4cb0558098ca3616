import type { Customer } from './customer.js';

/**
 * Why a customer is slipping, from the data alone. (Why a customer was not emailed tonight, uplift targeting's
 * `sure_thing`, `lost_cause` and `do_not_disturb` among them, is `skipReasons` in decisions.ts.) Each code is explained in the README; audiences can filter on
 * them and templates can read them (`customer.reasons`).
 */
export const reasonCodes = [
  'overdue_own_cadence',
  'one_time_never_returned',
  'last_order_undone',
  'negative_feedback',
  'complained',
  'discount_only',
  'spend_falling',
  'regular_gone_quiet',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

const negativeAnswers = new Set(['prices', 'quality', 'delivery', 'found_better']);
/** Five or more orders make a regular; their silence means more than a one-off buyer's. */
const regularOrders = 5;

export function reasonsFor(customer: Customer, status: string, overdueRatio: number | undefined): ReasonCode[] {
  const { summary } = customer;
  const reasons: ReasonCode[] = [];
  if (status === 'active' || status === 'no_orders') return reasons;
  if (summary.purchaseDays >= 2 && (overdueRatio ?? 0) > 1) reasons.push('overdue_own_cadence');
  if (summary.purchaseDays === 1) reasons.push('one_time_never_returned');
  if (customer.lastOrderUndone && (!summary.lastOrderAt || customer.lastOrderUndone.at >= summary.lastOrderAt)) reasons.push('last_order_undone');
  if (customer.feedback && negativeAnswers.has(customer.feedback.answer)) reasons.push('negative_feedback');
  if (customer.consent.source === 'complaint') reasons.push('complained');
  if (summary.orderCount >= 2 && (summary.couponOrders ?? 0) === summary.orderCount) reasons.push('discount_only');
  if (summary.orderCount >= 3 && summary.lastOrderMinor !== undefined && summary.lastOrderMinor < 0.6 * summary.averageOrderValueMinor)
    reasons.push('spend_falling');
  if (summary.orderCount >= regularOrders && status === 'lost') reasons.push('regular_gone_quiet');
  return reasons;
}
