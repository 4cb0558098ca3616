import type { DecisionRecord } from '../domain/customer.js';
import { normalizeEmail } from '../domain/email.js';
import { toDecimalString } from '../domain/money.js';
import {
  countSegments,
  csvLine,
  matches,
  type SegmentCounts,
  type SegmentFacts,
  type SegmentFilter,
  tierThresholds,
  type ValueTier,
  valueTierOf,
} from '../domain/segments.js';
import type { Clock } from '../ports/clock.js';
import type { CustomerRepository } from '../ports/customers.js';
import type { RunRecorder } from '../ports/runs.js';
import type { ActiveConfig } from './active-config.js';
import { type CustomerStatus, statusNow } from './customer-view.js';

export interface SegmentDependencies {
  readonly customers: CustomerRepository;
  readonly runs: RunRecorder;
  readonly clock: Clock;
  readonly config: ActiveConfig;
}

/** One customer in a segment's list: the status as of now, and the latest decision the nights took about them. */
export interface SegmentRow extends SegmentFacts {
  readonly customerId: string;
  readonly email?: string;
  readonly firstName?: string;
  readonly status: CustomerStatus;
  readonly tier: ValueTier;
  readonly valueAtStake: string;
  readonly valueAtStakeMinor: number;
  readonly lastOrderAt?: string;
  readonly decision?: DecisionRecord;
}

export interface SegmentView {
  readonly filter: SegmentFilter;
  /** Customers scanned; when `complete` is false the scan ran out of time and the figures cover these only. */
  readonly customers: number;
  readonly complete: boolean;
  readonly matching: number;
  readonly counts: SegmentCounts;
  readonly page: number;
  readonly pageSize: number;
  /** The page's customers, the most value at stake first. */
  readonly rows: readonly SegmentRow[];
}

/** Scan segments read at once: a few, so a segments page is quick without starving the night of capacity. */
const scanSegments = 4;

/**
 * Every customer scored as of now, as the customer page would show them. The rows are held in memory, which is
 * what makes the value tiers relative to the whole shop; `shouldStop` ends the scan early for the API's 30 s.
 */
async function scoredRows(deps: SegmentDependencies, shouldStop: () => boolean): Promise<{ rows: SegmentRow[]; complete: boolean }> {
  const [config, latestRun] = await Promise.all([deps.config(), deps.runs.latest()]);
  const now = deps.clock.now();
  const scored: Omit<SegmentRow, 'tier'>[] = [];
  let complete = true;
  await Promise.all(
    Array.from({ length: scanSegments }, async (_, segment) => {
      let cursor: string | undefined;
      do {
        if (shouldStop()) {
          complete = false;
          return;
        }
        const page = await deps.customers.scanPage({ segment, totalSegments: scanSegments, ...(cursor ? { cursor } : {}) });
        for (const customer of page.customers) {
          const { status, classification } = statusNow(customer, config, latestRun, now);
          const currency = customer.summary.currency ?? config.shop.currency;
          const valueAtStakeMinor = Number.isSafeInteger(classification.valueAtStakeMinor) ? classification.valueAtStakeMinor : 0;
          const decision = customer.lastDecision;
          const campaign = customer.journey?.campaignId ?? decision?.campaignId ?? customer.lastSend?.campaignId;
          scored.push({
            customerId: customer.customerId,
            ...(customer.email ? { email: normalizeEmail(customer.email) } : {}),
            ...(customer.firstName ? { firstName: customer.firstName } : {}),
            status,
            reasons: classification.reasonCodes ?? [],
            ...(campaign ? { campaign } : {}),
            valueAtStake: toDecimalString(valueAtStakeMinor, currency),
            valueAtStakeMinor,
            ...(customer.summary.lastOrderAt ? { lastOrderAt: customer.summary.lastOrderAt } : {}),
            ...(decision ? { decision } : {}),
          });
        }
        cursor = page.nextCursor;
      } while (cursor);
    }),
  );
  const thresholds = tierThresholds(scored.map((row) => row.valueAtStakeMinor));
  const rows = scored.map((row) => ({ ...row, tier: valueTierOf(row.valueAtStakeMinor, thresholds) }));
  // The most at stake first; the id breaks ties, so pages are stable between requests.
  rows.sort((a, b) => b.valueAtStakeMinor - a.valueAtStakeMinor || (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  return { rows, complete };
}

/** The counts by status, value tier, reason and campaign, and one page of the customers the filter keeps. */
export async function viewSegment(
  filter: SegmentFilter,
  paging: { readonly page: number; readonly pageSize: number },
  deps: SegmentDependencies,
  shouldStop: () => boolean = () => false,
): Promise<SegmentView> {
  const { rows, complete } = await scoredRows(deps, shouldStop);
  const kept = rows.filter((row) => matches(row, filter));
  const start = (paging.page - 1) * paging.pageSize;
  return {
    filter,
    customers: rows.length,
    complete,
    matching: kept.length,
    counts: countSegments(rows, filter),
    page: paging.page,
    pageSize: paging.pageSize,
    rows: kept.slice(start, start + paging.pageSize),
  };
}

export const segmentCsvColumns = [
  'customer_id',
  'email',
  'first_name',
  'status',
  'value_tier',
  'value_at_stake',
  'reasons',
  'campaign',
  'last_order_at',
  'decision_night',
  'decision',
  'decision_reason',
  'decision_step',
] as const;

/** The whole segment as CSV, one customer a line, for a spreadsheet or the shop's own tools. */
export async function exportSegment(
  filter: SegmentFilter,
  deps: SegmentDependencies,
  shouldStop: () => boolean = () => false,
): Promise<{ readonly csv: string; readonly complete: boolean; readonly rows: number }> {
  const { rows, complete } = await scoredRows(deps, shouldStop);
  const kept = rows.filter((row) => matches(row, filter));
  let csv = csvLine(segmentCsvColumns);
  for (const row of kept) {
    csv += csvLine([
      row.customerId,
      row.email,
      row.firstName,
      row.status,
      row.tier,
      row.valueAtStake,
      row.reasons.join(' '),
      row.campaign,
      row.lastOrderAt,
      row.decision?.asOf,
      row.decision?.outcome,
      row.decision?.reason,
      // Steps are numbered from 1 wherever a person reads them, as in the console.
      row.decision?.step === undefined ? undefined : row.decision.step + 1,
    ]);
  }
  return { csv, complete, rows: kept.length };
}
