import type { CalendarDate } from '../domain/dates.js';
import {
  type DeliverabilitySettings,
  guardVerdict,
  guardWindow,
  measureDeliverability,
  type PauseRecord,
  type PauseScope,
  scopeKey,
} from '../domain/deliverability.js';
import { toDecimalString } from '../domain/money.js';
import {
  type CampaignMetrics,
  emptyMetrics,
  type GroupOutcome,
  groupOutcome,
  type Lift,
  type LiftUnit,
  type Metrics,
  measureLift,
  type UnitOutcome,
} from '../domain/report.js';
import type { CalibrationNight, Reactivation } from '../domain/report-churn.js';
import type { CampaignReport, DeliverabilityView, GroupView, LiftView, MetricsView, PauseView } from '../domain/report-view.js';
import type { ReportedSend } from '../domain/sends.js';

// From what the report measured to what it shows: counts as numbers, money as exact decimal strings, rates rounded.

export function reactivationView(reactivation: Reactivation, windowDays: number): Reactivation {
  const rated = <T extends { rate: number }>(row: T): T => ({ ...row, rate: round(row.rate) });
  return {
    ...rated(reactivation),
    windowDays,
    byContact: {
      emailed: rated(reactivation.byContact.emailed),
      held_out: rated(reactivation.byContact.held_out),
      not_emailed: rated(reactivation.byContact.not_emailed),
    },
    byNight: reactivation.byNight.map(rated),
  };
}

export function calibrationView(night: CalibrationNight): CalibrationNight {
  const two = (value: number) => Math.round(value * 100) / 100;
  return {
    ...night,
    predicted: two(night.predicted),
    error: night.error === null ? null : round(night.error),
    bins: night.bins.map((bin) => ({ ...bin, predicted: two(bin.predicted) })),
  };
}

export function variantRows(
  funnel: Pick<CampaignMetrics, 'byVariant'>,
  units: readonly { unit: LiftUnit; outcome: UnitOutcome }[],
  holdout: GroupOutcome,
  liftSettings: Parameters<typeof measureLift>[2],
  currency: string,
): CampaignReport['byVariant'] {
  return [...funnel.byVariant.entries()]
    .sort(([a], [b]) => (a === 'holdout' ? 1 : b === 'holdout' ? -1 : a < b ? -1 : 1))
    .map(([variant, row]) => {
      if (variant === 'holdout') return { variant, ...metricsView(row, currency) };
      // Each variant against the campaign's one holdout: the experiment's arms share it.
      const treated = groupOutcome(units.filter(({ unit }) => !unit.holdout && unit.arm === variant).map(({ outcome }) => outcome));
      const lift = measureLift(treated, holdout, liftSettings);
      return { variant, ...metricsView(row, currency), treated: groupView(treated, currency), lift: liftView(lift, currency), verdict: lift.verdict };
    });
}

export function metricsView(metrics: Metrics | undefined, currency: string): MetricsView {
  const m = metrics ?? emptyMetrics();
  return {
    eligible: m.eligible,
    heldOut: m.heldOut,
    sent: m.sent,
    scheduled: m.scheduled,
    failed: m.failed,
    unconfirmed: m.unconfirmed,
    couponUnavailable: m.couponUnavailable,
    delivered: m.delivered,
    bounced: m.bounced,
    complained: m.complained,
    opened: m.opened,
    clicked: m.clicked,
    unsubscribed: m.unsubscribed,
    conversions: m.converted,
    revenue: toDecimalString(m.revenueMinor, currency),
    revenueMinor: m.revenueMinor,
    discountCost: toDecimalString(m.discountCostMinor, currency),
    discountCostMinor: m.discountCostMinor,
    couponRedemptions: m.couponRedemptions,
    freeShippingRedemptions: m.freeShippingRedemptions,
  };
}

export function groupView(group: GroupOutcome, currency: string): GroupView {
  return {
    customers: group.customers,
    converted: group.converted,
    rate: round(group.rate),
    orders: group.orders,
    revenue: toDecimalString(group.revenueMinor, currency),
    revenueMinor: group.revenueMinor,
  };
}

export function liftView(lift: Lift, currency: string): LiftView {
  const revenue = lift.incrementalRevenue;
  return {
    absolute: lift.absolute === undefined ? null : round(lift.absolute),
    relative: lift.relative === undefined ? null : round(lift.relative),
    ci95: lift.ci95 ? [round(lift.ci95[0]), round(lift.ci95[1])] : null,
    relativeCi95: lift.relativeCi95 ? [round(lift.relativeCi95[0]), round(lift.relativeCi95[1])] : null,
    method: 'Newcombe hybrid score interval (Wilson) for the difference; Katz log interval for the relative lift',
    incrementalOrders: lift.incrementalOrders === undefined ? null : Math.round(lift.incrementalOrders * 10) / 10,
    incrementalRevenue: revenue
      ? {
          gross: toDecimalString(revenue.grossMinor, currency),
          discountCost: toDecimalString(revenue.discountCostMinor, currency),
          net: toDecimalString(revenue.netMinor, currency),
          netMinor: revenue.netMinor,
        }
      : null,
  };
}

export function deliverabilityView(
  sends: readonly ReportedSend[],
  scope: PauseScope,
  pauses: readonly PauseRecord[],
  settings: DeliverabilitySettings,
  lastNight: CalendarDate,
): DeliverabilityView {
  const own = pauses.find((record) => scopeKey(record.scope) === scopeKey(scope));
  const shop = pauses.find((record) => record.scope.kind === 'shop');
  const window = guardWindow(lastNight, settings, scope.kind === 'shop' ? [own?.resumedAt] : [own?.resumedAt, shop?.resumedAt]);
  const rates = measureDeliverability(scope.kind === 'shop' ? sends : sends.filter((send) => send.campaignId === scope.campaignId), window);
  const verdict = guardVerdict(rates, settings);
  const state = own?.state === 'paused' ? 'paused' : verdict.pause ? 'over_threshold' : verdict.why === 'below_min_volume' ? 'below_min_volume' : 'ok';
  return {
    windowDays: settings.windowDays,
    firstNight: window.firstNight,
    lastNight: window.lastNight,
    ...(window.resumedAt ? { resumedAt: window.resumedAt } : {}),
    sent: rates.sent,
    bounced: rates.bounced,
    complained: rates.complained,
    bounceRate: round(rates.bounceRate),
    complaintRate: round(rates.complaintRate),
    thresholds: { bounceRatePause: settings.bounceRatePause, complaintRatePause: settings.complaintRatePause, minVolume: settings.minVolume },
    state,
    ...(own?.state === 'resumed' && own.resumedAt ? { resumed: { at: own.resumedAt, by: own.resumedBy ?? 'unknown' } } : {}),
  };
}

export function inForce(pauses: readonly PauseRecord[], scope: PauseScope): PauseRecord | undefined {
  return pauses.find((record) => record.state === 'paused' && scopeKey(record.scope) === scopeKey(scope));
}

export function pauseView(record: PauseRecord): PauseView {
  return { scope: record.scope.kind, at: record.at, reason: record.reason, reasons: record.reasons, rates: record.rates };
}

export function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
