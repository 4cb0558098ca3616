import { describe, expect, it } from 'vitest';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { type RawConfig, testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

async function demoShop(customers: number, change: (raw: RawConfig) => void) {
  const shop = await localShop();
  await applyCampaignConfig(testConfig(change), 'test', shop.deps);
  const entries = [...generateDemoShop({ customers, endDate: '2026-11-22', shopTimeZone: 'Europe/Amsterdam', currency: 'EUR', seed: 7 })];
  await shop.deps.customers.putMany(entries);
  return { ...shop, entries };
}

describe('predictive scoring in the night', () => {
  it('fits the model, classifies by probability alive, records the model, and shows scores through the read API', async () => {
    // Prepare
    const shop = await demoShop(800, (raw) => {
      raw.classification.policy = 'model';
      raw.classification.model.minCustomers = 100;
    });
    // Act
    const night = await workflowNight(shop, '2026-11-22');
    const someone = shop.entries.find((entry) => entry.customer.email && entry.orders.length >= 3)!;
    const view = await viewCustomer(someone.customer.email!, { ...shop.deps, config: activeConfig(shop.deps.configs, shop.deps.clock) });
    // Assess
    expect(night.scoring).toMatchObject({ policy: 'model', used: 'model', sampleSize: 800, model: { model: 'mbgnbd', converged: true } });
    expect(night.atRisk + night.lost).toBeGreaterThan(0);
    expect(view!.scores).toMatchObject({ classifiedBy: 'model', pAlive: expect.any(Number), expectedOrders90: expect.any(Number) });
    expect(view!.scores.pAlive).toBeGreaterThanOrEqual(0);
    expect(view!.scores.pAlive).toBeLessThanOrEqual(1);
    expect((await shop.deps.runs.latest())!.scoring.model).toHaveProperty('params');
  });

  it('classifies the next night by the same fit while it is fresh, and says which night fitted it', async () => {
    // Prepare
    const shop = await demoShop(600, (raw) => {
      raw.classification.policy = 'model';
      raw.classification.model.minCustomers = 100;
      raw.classification.model.refitAfterDays = 2;
    });
    const first = await workflowNight(shop, '2026-11-22');
    // Act
    const next = await workflowNight(shop, '2026-11-23');
    const third = await workflowNight(shop, '2026-11-24');
    // Assess
    expect(first.scoring).toMatchObject({ used: 'model', fittedAsOf: '2026-11-22', sampleSize: 600 });
    expect(next.scoring).toMatchObject({ used: 'model', fittedAsOf: '2026-11-22', sampleSize: 600 });
    expect(next.scoring.model?.params).toEqual(first.scoring.model?.params);
    expect(next.shopPace).toEqual(first.shopPace);
    expect(third.scoring).toMatchObject({ used: 'model', fittedAsOf: '2026-11-24' });
  });

  it('falls back to the cadence rule under auto when the shop is too small, and says why', async () => {
    // Prepare
    const shop = await demoShop(60, (raw) => (raw.classification.policy = 'auto'));
    // Act
    const night = await workflowNight(shop, '2026-11-22');
    // Assess
    expect(night.scoring).toMatchObject({ policy: 'auto', used: 'rule', reason: expect.stringContaining('too little history') });
  });

  it('uses only the cadence rule under rule, fitting nothing', async () => {
    // Prepare
    const shop = await demoShop(200, (raw) => (raw.classification.policy = 'rule'));
    // Act
    const night = await workflowNight(shop, '2026-11-22');
    // Assess
    expect(night.scoring).toEqual({ policy: 'rule', used: 'rule', sampleSize: 0, repeatCustomers: 0 });
  });
});
