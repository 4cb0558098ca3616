import { describe, expect, it } from 'vitest';
import type { Customer } from '../../lib/domain/customer.js';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import type { CustomerPage, ScanPosition } from '../../lib/ports/customers.js';
import { paceSampleSize, studyShop } from '../../lib/usecases/study-shop.js';
import { testConfig } from '../support/customers.js';

const asOf = '2026-11-22';
// The demo shop's last orders are placed on its end date, so the study runs the morning after it.
const nightAt = new Date('2026-11-23T02:00:00Z');
const clock = { now: () => nightAt };
const shop = [...generateDemoShop({ customers: 3_000, endDate: asOf, shopTimeZone: 'Europe/Amsterdam', currency: 'EUR', seed: 11 })].map(
  (entry) => entry.customer,
);

/**
 * The customers port's scan over an in-memory shop: customer i in segment i mod totalSegments, pages of at most
 * `limit` (or 250), each answered after `delay(segment, page)` ms. It records every read and how many were in flight.
 */
function segmentedShop(customers: readonly Customer[], delay: (segment: number, page: number) => number = () => 0) {
  const reads: (ScanPosition & { returned: number })[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const returned = (segment?: number) =>
    reads.filter((read) => segment === undefined || read.segment === segment).reduce((sum, read) => sum + read.returned, 0);
  const scanPage = async (position: ScanPosition): Promise<CustomerPage> => {
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    const segment = customers.filter((_, index) => index % position.totalSegments === position.segment);
    const start = Number(position.cursor ?? 0);
    const end = Math.min(segment.length, start + Math.min(position.limit ?? 250, 250));
    await new Promise((resolve) => setTimeout(resolve, delay(position.segment, start)));
    inFlight -= 1;
    reads.push({ ...position, returned: end - start });
    return { customers: segment.slice(start, end), unreadable: 0, ...(end < segment.length ? { nextCursor: String(end) } : {}) };
  };
  return { customers: { scanPage }, reads, returned, mostInFlight: () => mostInFlight };
}

/** The study without the fits' own timings (`ms`), which differ from run to run. */
function withoutTimings(study: unknown): unknown {
  return JSON.parse(JSON.stringify(study, (key, value) => (key === 'ms' ? undefined : value)));
}

describe('studyShop', () => {
  it('reads the segments at once, an equal share of the sample from each and no more', async () => {
    // Prepare
    const config = testConfig((raw) => {
      raw.classification.policy = 'model';
      raw.classification.model.sampleSize = 2_000;
    });
    const scan = segmentedShop(shop, () => 5);
    // Act
    const study = await studyShop({ customers: scan.customers, clock }, config, 4, asOf, nightAt);
    // Assess
    expect(scan.mostInFlight()).toBe(4);
    expect(study.scoring.sampleSize).toBe(2_000);
    for (let segment = 0; segment < 4; segment += 1) {
      expect(scan.returned(segment)).toBe(500);
    }
  });

  it('comes to the same pace, model and products whichever segment answers first', async () => {
    // Prepare
    const config = testConfig((raw) => {
      raw.classification.policy = 'model';
      raw.classification.model.minCustomers = 100;
    });
    const slowFirst = segmentedShop(shop, (segment) => (segment === 0 ? 20 : 0));
    const slowLast = segmentedShop(shop, (segment, page) => (segment === 2 ? 0 : 10 + (page % 3)));
    // Act
    const [one, other] = await Promise.all([
      studyShop({ customers: slowFirst.customers, clock }, config, 3, asOf, nightAt),
      studyShop({ customers: slowLast.customers, clock }, config, 3, asOf, nightAt),
    ]);
    // Assess
    expect(one.scoring.used).toBe('model');
    expect(one.pace.measuredOn).toBeGreaterThan(0);
    expect(one.products.products.length).toBeGreaterThan(0);
    expect(withoutTimings(other)).toEqual(withoutTimings(one));
  });

  it('reads a shop smaller than its sample whole', async () => {
    // Prepare
    const small = shop.slice(0, 700);
    const config = testConfig((raw) => {
      raw.classification.policy = 'auto';
      raw.classification.model.minCustomers = 100;
    });
    const scan = segmentedShop(small);
    // Act
    const study = await studyShop({ customers: scan.customers, clock }, config, 4, asOf, nightAt);
    // Assess
    expect(scan.returned()).toBe(small.length);
    expect(study.scoring.sampleSize).toBe(small.filter((customer) => customer.summary.purchaseDays > 0).length);
  });

  it('reads only the pace sample under the cadence rule, and fits nothing', async () => {
    // Prepare
    const scan = segmentedShop(shop);
    // Act
    const study = await studyShop({ customers: scan.customers, clock }, testConfig(), 4, asOf, nightAt);
    // Assess
    expect(study.scoring).toEqual({ policy: 'rule', used: 'rule', sampleSize: 0, repeatCustomers: 0 });
    expect(study.model).toBeUndefined();
    expect(scan.returned()).toBe(paceSampleSize);
  });
});
