import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Customer } from '../../lib/domain/customer.js';
import { addDays, daysBetween } from '../../lib/domain/dates.js';
import type { ReportOrder } from '../../lib/domain/report.js';
import { calibrateNight, type NightRecord } from '../../lib/domain/report-churn.js';
import { parseFittedModel } from '../../lib/domain/scoring/models.js';
import type { FittedPurchaseModel } from '../../lib/domain/scoring/types.js';
import type { SendRecord } from '../../lib/domain/sends.js';
import type { ReportRecords, ReportSource } from '../../lib/ports/report-source.js';
import { buildReport } from '../../lib/usecases/build-report.js';
import { customerFrom, shopTimeZone, testConfig } from '../support/customers.js';

// Whether a profile is still held can only be seen by collecting what nobody holds.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const storedModel = { model: 'bgnbd', params: { r: 0.5, alpha: 20, a: 0.6, b: 2.5 }, logLikelihood: -1, customers: 50, iterations: 1, ms: 0 };
const model = parseFittedModel(storedModel) as FittedPurchaseModel;
const modelNight = '2026-06-01';
const latestNight = '2026-11-22';

function run(asOf: string): NightRecord {
  return {
    runId: `run-${asOf}`,
    asOf,
    startedAt: `${asOf}T02:00:00.000Z`,
    nightAt: `${asOf}T02:00:00.000Z`,
    status: 'finished',
    customersScanned: 50,
    active: 20,
    atRisk: 10,
    lost: 15,
    noOrders: 5,
    scoring: { used: 'model', model: storedModel },
    shopPace: { secondOrderGapDays: 40, measuredOn: 30 },
  };
}

function send(customerId: string, asOf: string, campaignId: string, status: SendRecord['status']): SendRecord {
  return {
    customerId,
    campaignId,
    episode: '2026-01-01',
    step: 0,
    runId: `run-${asOf}`,
    asOf,
    reservedAt: `${asOf}T02:00:00.000Z`,
    status,
    arm: status === 'held_out' ? 'holdout' : 'control',
  };
}

/** A shop of customers who buy at different paces, a few who never did, and one whose kept days no longer reach back. */
function shop() {
  const entries = Array.from({ length: 50 }, (_, index) =>
    customerFrom({
      name: `C${index}`,
      orderDays:
        index % 10 === 9
          ? []
          : Array.from({ length: 1 + (index % 6) }, (_, order) => addDays(addDays('2025-01-01', index * 9), order * (10 + (index % 5) * 10))),
    }),
  );
  entries.push(customerFrom({ name: 'Regular', orderDays: Array.from({ length: 60 }, (_, order) => addDays('2026-05-10', order * 3)) }));
  const customers = entries.map((entry) => entry.customer);
  const orders: ReportOrder[] = entries.flatMap((entry) =>
    entry.orders.map(({ customerId, orderId, placedAt, totalMinor, currency }) => ({ customerId, orderId, placedAt, totalMinor, currency })),
  );
  const sends = [
    ...customers.slice(0, 8).map((customer) => send(customer.customerId, modelNight, 'lost-winback', 'sent')),
    ...customers.slice(20, 24).map((customer) => send(customer.customerId, latestNight, 'at-risk-nudge', 'held_out')),
    send(customers[30]!.customerId, latestNight, 'at-risk-nudge', 'failed'),
  ];
  const records: ReportRecords = { sends, decisions: [], runs: [run(modelNight), run(latestNight)], latestRun: run(latestNight) };
  return { customers, orders, records };
}

/**
 * Hands the profiles out a page at a time, each a fresh copy as a scan deserialises them, and watches, by collecting
 * garbage before each page, how many profiles of customers no campaign chose outlive the page after theirs.
 */
class PagedReportSource implements ReportSource {
  heldPastTheirPage = 0;
  pages = 0;

  constructor(
    private readonly data: ReturnType<typeof shop>,
    private readonly pageSize: number,
  ) {}

  async records(): Promise<ReportRecords> {
    return this.data.records;
  }

  async ordersOf(customerId: string, since: string, until: string): Promise<ReportOrder[]> {
    return this.data.orders.filter((order) => order.customerId === customerId && order.placedAt > since && order.placedAt <= until);
  }

  async forEachCustomer(visit: (customers: readonly Customer[]) => void | Promise<void>): Promise<void> {
    const chosen = new Set(this.data.records.sends.map((entry) => entry.customerId));
    const handed: WeakRef<Customer>[][] = [];
    for (let start = 0; start < this.data.customers.length; start += this.pageSize) {
      // The page just visited may linger in this frame's registers: only the ones before it must be gone.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      const held = handed
        .slice(0, -1)
        .flat()
        .filter((ref) => ref.deref() !== undefined).length;
      this.heldPastTheirPage = Math.max(this.heldPastTheirPage, held);
      const page = this.data.customers.slice(start, start + this.pageSize).map((customer) => structuredClone(customer));
      handed.push(page.filter((customer) => !chosen.has(customer.customerId)).map((customer) => new WeakRef(customer)));
      this.pages += 1;
      await visit(page);
    }
  }
}

const config = testConfig();
const deps = (source: ReportSource) => ({
  source,
  configs: { latest: async () => ({ version: 1, raw: config, appliedAt: '2026-01-01T00:00:00.000Z', appliedBy: 'test' }), pauses: async () => [] },
  clock: { now: () => new Date('2026-11-23T08:00:00.000Z') },
});

describe('the report reads the customer profiles a page at a time', () => {
  it('lets every profile but those of the customers chosen go after its page, and counts as if it held them all', async () => {
    // Prepare
    const data = shop();
    const paged = new PagedReportSource(data, 4);
    const whole = new PagedReportSource(data, data.customers.length);
    // Act
    const report = await buildReport(deps(paged));
    const inOnePage = await buildReport(deps(whole));
    // Assess: no profile of a customer left alone outlived its page, and pages change nothing
    expect(paged.pages).toBe(13);
    expect(paged.heldPastTheirPage).toBe(0);
    expect(report).toEqual(inOnePage);
    // the calibration is the one over every customer at once
    const expected = calibrateNight(model, modelNight, Math.min(90, daysBetween(modelNight, latestNight)), data.customers, shopTimeZone);
    const [calibrated] = report.churn.calibration.nights;
    expect(calibrated).toMatchObject({ night: modelNight, customers: expected.customers, skipped: expected.skipped, actual: expected.actual });
    expect(expected.customers).toBeGreaterThan(0);
    expect(expected.skipped).toBeGreaterThan(0);
    expect(calibrated!.predicted).toBeCloseTo(expected.predicted, 2);
    expect(calibrated!.bins.map((bin) => bin.customers)).toEqual(expected.bins.map((bin) => bin.customers));
    // and the reasons were counted from the profiles: now over everyone, per campaign over those chosen
    expect(report.reasons.codes.now).toMatchObject({ asOf: latestNight });
    expect(report.reasons.codes.now.customers).toBeGreaterThan(0);
    expect(report.reasons.codes.byCampaign.map((row) => row.campaignId).sort()).toEqual(['at-risk-nudge', 'lost-winback']);
  });

  it('sees a consumer that keeps the profiles it is handed', async () => {
    // Prepare
    const source = new PagedReportSource(shop(), 4);
    const kept: Customer[] = [];
    // Act
    await source.forEachCustomer((customers) => {
      kept.push(...customers);
    });
    // Assess
    expect(source.heldPastTheirPage).toBeGreaterThan(0);
    expect(kept).toHaveLength(51);
  });
});
