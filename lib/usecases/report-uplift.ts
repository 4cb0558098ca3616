import type { CampaignConfig } from '../config/campaign-config.js';
import type { CalendarDate } from '../domain/dates.js';
import { toDecimalString } from '../domain/money.js';
import type { DiscountEstimate, ReportOrder } from '../domain/report.js';
import type { UpliftView } from '../domain/report-view.js';
import type { ledgerUnits } from '../domain/uplift/ledger-training.js';
import { campaignUpliftReport, type NightTargeting } from '../domain/uplift/uplift-report.js';
import type { ReportRecords } from '../ports/report-source.js';
import type { History } from './report-history.js';

/** A campaign's uplift view (docs/uplift.md), when it targets by uplift, allocates by Thompson sampling, or has features. */
export function upliftOf(
  id: string,
  campaign: CampaignConfig['campaigns'][number] | undefined,
  featured: ReturnType<typeof ledgerUnits>,
  ordersOf: (customerId: string) => readonly ReportOrder[],
  records: ReportRecords,
  history: History,
  settings: { windowDays: number; estimate: DiscountEstimate; currency: string; from: CalendarDate; to: CalendarDate },
): { uplift?: UpliftView } {
  const units = featured.filter((unit) => unit.campaignId === id);
  const targeting = campaign?.targeting ?? 'everyone';
  const allocation = campaign?.experiment.allocation ?? 'fixed';
  if (units.length === 0 && targeting === 'everyone' && allocation === 'fixed') return {};
  const report = campaignUpliftReport({
    units,
    ordersOf,
    windowDays: settings.windowDays,
    marginPercent: campaign?.economics.orderMarginPercent ?? 100,
    estimate: settings.estimate,
    skips: records.decisions.filter((decision) => decision.campaignId === id && decision.asOf >= settings.from && decision.asOf <= settings.to),
    nights: [...history.nights.values()].map((run) => ({
      night: run.asOf,
      targeting: (run as { targeting?: Record<string, NightTargeting> }).targeting?.[id],
    })),
    minVariantShare: (campaign?.experiment.minVariantPercent ?? 0) / 100,
  });
  const money = (minor: number) => toDecimalString(Math.round(minor), settings.currency);
  return {
    uplift: { targeting, allocation, ...report, marginSaved: money(report.nights.marginSavedMinor), discountSaved: money(report.nights.discountSavedMinor) },
  };
}
