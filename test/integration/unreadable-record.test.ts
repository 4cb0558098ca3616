import { describe, expect, it, vi } from 'vitest';
import { applyOrder, type Customer, emptySummary, type Order } from '../../lib/domain/customer.js';
import { generateDemoShop } from '../../lib/domain/demo-shop.js';
import { activeConfig } from '../../lib/usecases/active-config.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { previewNight } from '../../lib/usecases/run-night.js';
import { testConfig } from '../support/customers.js';
import { localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const shopTimeZone = 'Europe/Amsterdam';

/**
 * A customer as the webhook stored them before times were bounded: orders folded the way the product folds them,
 * then written straight into DynamoDB Local (no webhook in between), so the night meets the record as it is.
 */
function storedCustomer(name: string, placedAt: readonly string[]): Customer {
  const customerId = `unreadable-${name}`;
  const orders: Order[] = placedAt.map((at, index) => ({
    orderId: `${customerId}-${index}`,
    customerId,
    placedAt: at,
    totalMinor: 4990,
    currency: 'EUR',
    lineItems: [{ title: 'Espresso beans', quantity: 1, priceMinor: 4990 }],
    source: 'shopify',
  }));
  return {
    customerId,
    email: `${name}@example.org`,
    firstName: name,
    consent: { state: 'subscribed', source: 'checkout', updatedAt: '2025-01-01T00:00:00.000Z' },
    summary: orders.reduce((summary, order) => applyOrder(summary, order, shopTimeZone), emptySummary),
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

async function shopWithUnreadableRecords() {
  const shop = await localShop();
  await applyCampaignConfig(
    testConfig((raw) => {
      raw.classification.policy = 'model';
      raw.classification.model.minCustomers = 100;
    }),
    'test',
    shop.deps,
  );
  await shop.deps.customers.putMany([...generateDemoShop({ customers: 400, endDate: '2026-11-22', shopTimeZone, currency: 'EUR', seed: 11 })]);
  // In Amsterdam this order's local date is 10000-01-01: the date no longer parses and T came out NaN.
  const year9999 = storedCustomer('nine', ['9999-12-31T23:30:00.000Z']);
  // A readable date, but years after the night: t_x > T.
  const future = storedCustomer('future', ['2025-06-01T10:00:00.000Z', '2099-01-01T10:00:00.000Z']);
  await shop.deps.customers.putMany([year9999, future].map((customer) => ({ customer, orders: [] })));
  return { shop, year9999, future };
}

describe('one unreadable customer never stops the night', () => {
  it('skips a record dated year 9999 and one dated 2099, counts them under unreadable_record, logs their ids, and fits the model on the rest', async () => {
    // Prepare
    const { shop, year9999, future } = await shopWithUnreadableRecords();
    const warn = vi.fn();
    // Act
    const night = await workflowNight(shop, '2026-11-22', { deps: { log: { warn, info: () => {}, error: () => {} } as never } });
    // Assess
    expect(night.skipped.unreadable_record).toBe(2);
    expect(night.scoring).toMatchObject({ used: 'model', sampleSize: 400, model: { converged: true } });
    expect(night.customersScanned).toBe(400);
    const warned = warn.mock.calls.map(([, fields]) => (fields as { customerId?: string }).customerId);
    expect(warned).toEqual(expect.arrayContaining([year9999.customerId, future.customerId]));
    expect(JSON.stringify(warn.mock.calls)).not.toContain('@example.org');
  });

  it('previews the night and shows the customer through the read API without NaN', async () => {
    // Prepare
    const { shop, year9999 } = await shopWithUnreadableRecords();
    await workflowNight(shop, '2026-11-22');
    // Act
    const preview = await previewNight(shop.deps, { asOf: '2026-11-22', totalSegments: 4 });
    const view = await viewCustomer(year9999.email!, { ...shop.deps, config: activeConfig(shop.deps.configs, shop.deps.clock) });
    // Assess
    expect(preview.summary.skipped.unreadable_record).toBe(2);
    expect(JSON.stringify(view)).not.toMatch(/NaN|N\.aN|Infinity|null/);
    expect(view).toMatchObject({
      status: 'unreadable',
      unreadable: expect.stringContaining('summary.firstOrderAt'),
      totalSpent: '49.90',
      scores: { classifiedBy: 'rule', valueAtStake: '0.00', reasonCodes: [] },
    });
  });
});
