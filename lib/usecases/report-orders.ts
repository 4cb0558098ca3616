import pLimit from 'p-limit';
import { type DiscountEstimate, type LiftUnit, type ReportOrder, type UnitOutcome, unitOutcome } from '../domain/report.js';
import type { ReactivationUnit } from '../domain/report-churn.js';
import type { ReportSource } from '../ports/report-source.js';

const dayMs = 86_400_000;

/** The orders the report weighs, read once per customer, and each lift unit's outcome from them. */
export async function outcomesOf(
  units: readonly LiftUnit[],
  reactivation: readonly ReactivationUnit[],
  source: ReportSource,
  windowDays: number,
  estimate: DiscountEstimate,
  concurrency: number,
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
      [...spans].map(([customerId, span]) => limit(async () => [customerId, await source.ordersOf(customerId, span.since, span.until)] as const)),
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
