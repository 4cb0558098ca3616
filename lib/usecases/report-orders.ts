import pLimit from 'p-limit';
import { type DiscountEstimate, type LiftUnit, type ReportOrder, type UnitOutcome, unitOutcome } from '../domain/report.js';
import type { ReactivationUnit } from '../domain/report-churn.js';
import type { GatheredOrders, ReportSource } from '../ports/report-source.js';

const dayMs = 86_400_000;

/**
 * The orders the report weighs, and each lift unit's outcome from them: those the read of the records gathered where
 * it vouches for the customer and their span, else read once per customer.
 */
export async function outcomesOf(
  units: readonly LiftUnit[],
  reactivation: readonly ReactivationUnit[],
  source: ReportSource,
  windowDays: number,
  estimate: DiscountEstimate,
  concurrency: number,
  gathered?: GatheredOrders,
) {
  // One read per customer, over the union of the windows that matter to them: the lift's and the reactivation's.
  const spans = new Map<string, { since: string; until: string }>();
  const widen = (customerId: string, since: string, until: string) => {
    const span = spans.get(customerId);
    spans.set(customerId, span ? { since: since < span.since ? since : span.since, until: until > span.until ? until : span.until } : { since, until });
  };
  for (const unit of units) for (const at of unit.exposures) widen(unit.customerId, at, new Date(Date.parse(at) + windowDays * dayMs).toISOString());
  for (const unit of reactivation) widen(unit.customerId, unit.from, unit.until);
  const limit = pLimit(concurrency);
  const ordersByCustomer = new Map<string, ReportOrder[]>(
    await Promise.all(
      [...spans].map(([customerId, span]) => {
        const known = gathered && (gathered.since === undefined || span.since >= gathered.since) ? gathered.of(customerId) : undefined;
        if (known) return [customerId, known.filter((order) => order.placedAt > span.since && order.placedAt <= span.until)] as const;
        return limit(async () => [customerId, await source.ordersOf(customerId, span.since, span.until)] as const);
      }),
    ),
  );
  return {
    outcomes: units.map((unit): { unit: LiftUnit; outcome: UnitOutcome } => ({
      unit,
      outcome: unitOutcome(unit, ordersByCustomer.get(unit.customerId) ?? [], windowDays, estimate),
    })),
    ordersOf: (customerId: string): readonly ReportOrder[] => ordersByCustomer.get(customerId) ?? [],
  };
}
