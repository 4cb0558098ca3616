// The funnel's columns, shared by the text report and its HTML export so both show the same figures the same way.
import type { MetricsView } from '../usecases/build-report.js';

const number = new Intl.NumberFormat('en-IE');

export const funnelHeadings = [
  'eligible',
  'held out',
  'sent',
  'delivered',
  'bounced',
  'complained',
  'opened*',
  'clicked',
  'unsubscribed',
  'conversions',
  'revenue',
  'discount cost',
] as const;

/** One row's cells, in `funnelHeadings` order: counts after sending also as a share of the emails sent. */
export function funnelCells(row: MetricsView, money: (minor: number) => string): string[] {
  return [
    number.format(row.eligible),
    number.format(row.heldOut),
    number.format(row.sent),
    withShare(row.delivered, row.sent),
    withShare(row.bounced, row.sent),
    // Complaints matter from 0.1% (SES reviews an account there), so they keep two decimals.
    withShare(row.complained, row.sent, 2),
    withShare(row.opened, row.sent),
    withShare(row.clicked, row.sent),
    number.format(row.unsubscribed),
    number.format(row.conversions),
    money(row.revenueMinor),
    money(row.discountCostMinor),
  ];
}

function withShare(value: number, of: number, digits = 1): string {
  return of > 0 ? `${number.format(value)} (${((100 * value) / of).toFixed(digits)}%)` : number.format(value);
}
