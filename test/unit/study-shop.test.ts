import { describe, expect, it } from 'vitest';
import type { Customer } from '../../lib/domain/customer.js';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import type { CustomerPage, ScanPosition } from '../../lib/ports/customers.js';
import type { NightScoring } from '../../lib/ports/night-work.js';
import { paceSampleSize, reusableFit, studyShop } from '../../lib/usecases/study-shop.js';
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
    const study = await studyShop({ customers: scan.customers, clock }, config, { totalSegments: 4, asOf, nightAt, configVersion: 1, shopSize: shop.length });
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
      studyShop({ customers: slowFirst.customers, clock }, config, { totalSegments: 3, asOf, nightAt, configVersion: 1, shopSize: shop.length }),
      studyShop({ customers: slowLast.customers, clock }, config, { totalSegments: 3, asOf, nightAt, configVersion: 1, shopSize: shop.length }),
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
    const study = await studyShop({ customers: scan.customers, clock }, config, { totalSegments: 4, asOf, nightAt, configVersion: 1, shopSize: small.length });
    // Assess
    expect(scan.returned()).toBe(small.length);
    expect(study.scoring.sampleSize).toBe(small.filter((customer) => customer.summary.purchaseDays > 0).length);
  });

  it('reads only the pace sample under the cadence rule, and fits nothing', async () => {
    // Prepare
    const scan = segmentedShop(shop);
    // Act
    const study = await studyShop({ customers: scan.customers, clock }, testConfig(), {
      totalSegments: 4,
      asOf,
      nightAt,
      configVersion: 1,
      shopSize: shop.length,
    });
    // Assess
    expect(study.scoring).toEqual({ policy: 'rule', used: 'rule', sampleSize: 0, repeatCustomers: 0 });
    expect(study.model).toBeUndefined();
    expect(scan.returned()).toBe(paceSampleSize);
  });

  it("classifies by the latest night's fit and pace while they are fresh, reading only the products' sample", async () => {
    // Prepare
    const config = testConfig((raw) => {
      raw.classification.policy = 'auto';
      raw.classification.model.minCustomers = 100;
    });
    const first = await studyShop({ customers: segmentedShop(shop).customers, clock }, config, {
      totalSegments: 4,
      asOf,
      nightAt,
      configVersion: 3,
      shopSize: shop.length,
    });
    // As the run record keeps it: JSON, read back.
    const latest = JSON.parse(JSON.stringify({ asOf, configVersion: 3, scoring: first.scoring, shopPace: first.pace }));
    const scan = segmentedShop(shop);
    // Act
    const later = await studyShop({ customers: scan.customers, clock }, config, {
      totalSegments: 4,
      asOf: '2026-11-28',
      nightAt,
      configVersion: 3,
      shopSize: shop.length,
      latest,
    });
    // Assess
    expect(first.scoring).toMatchObject({ used: 'model', fittedAsOf: asOf, shopSize: shop.length });
    expect(later.scoring).toEqual(latest.scoring);
    expect(later.model?.purchases.params).toEqual(first.model?.purchases.params);
    expect(scan.returned()).toBe(paceSampleSize);
    expect(later.pace).toEqual(first.pace);
  });
});

describe('reusableFit', () => {
  const settings = testConfig((raw) => (raw.classification.policy = 'auto')).classification;
  const model = { model: settings.model.kind, penalty: settings.model.penalty } as unknown as NonNullable<NightScoring['model']>;
  const scoring = { policy: 'auto', used: 'model', sampleSize: 3_000, repeatCustomers: 1_500, model, fittedAsOf: '2026-11-20', shopSize: 3_000 } as const;
  const latest = { asOf: '2026-11-21', configVersion: 3, scoring };
  const withModel = (change: object) => ({ ...latest, scoring: { ...scoring, model: { ...model, ...change } as NightScoring['model'] } });
  const tonight = { asOf: '2026-11-26', configVersion: 3, shopSize: 3_200 };

  it('keeps a fit younger than refitAfterDays, on the same config and a shop within a tenth, with the night it was fitted', () => {
    // Act / Assess
    expect(reusableFit(latest, settings, tonight)).toEqual(scoring);
    expect(reusableFit({ ...latest, scoring: { ...scoring, fittedAsOf: undefined } }, settings, tonight)).toMatchObject({ fittedAsOf: '2026-11-21' });
  });

  it.each([
    ['the fit is refitAfterDays old', latest, { ...tonight, asOf: '2026-11-27' }],
    ['the night is earlier than the fit (a replay)', latest, { ...tonight, asOf: '2026-11-19' }],
    ['the config changed since', latest, { ...tonight, configVersion: 4 }],
    ['the shop grew by more than a tenth', latest, { ...tonight, shopSize: 3_301 }],
    ['the shop shrank by more than a tenth', latest, { ...tonight, shopSize: 2_699 }],
    ['the model kind differs (a preview of another config)', withModel({ model: 'pareto' }), tonight],
    ['the penalty differs', withModel({ penalty: 0.5 }), tonight],
    ['the latest night used the rule', { ...latest, scoring: { ...scoring, used: 'rule' as const } }, tonight],
    ['the fit does not say the size of the shop', { ...latest, scoring: { ...scoring, shopSize: undefined } }, tonight],
    ['there was no night before', undefined, tonight],
  ])('fits again when %s', (_, earlier, night) => {
    // Act / Assess
    expect(reusableFit(earlier, settings, night)).toBeUndefined();
  });

  it('fits again in the study when the stored model no longer reads', async () => {
    // Prepare
    const config = testConfig((raw) => {
      raw.classification.policy = 'auto';
      raw.classification.model.minCustomers = 100;
    });
    // A record read back is whatever was stored: here a model whose parameters were lost.
    const damaged = JSON.parse(
      JSON.stringify({ asOf, configVersion: 1, scoring: { ...scoring, fittedAsOf: asOf, shopSize: shop.length, model: { model: 'mbgnbd', params: 'lost' } } }),
    );
    // Act
    const study = await studyShop({ customers: segmentedShop(shop).customers, clock }, config, {
      totalSegments: 4,
      asOf,
      nightAt,
      configVersion: 1,
      shopSize: shop.length,
      latest: damaged,
    });
    // Assess
    expect(study.scoring).toMatchObject({ used: 'model', fittedAsOf: asOf, model: { converged: true } });
    expect(study.scoring.sampleSize).toBeGreaterThan(paceSampleSize);
  });
});
