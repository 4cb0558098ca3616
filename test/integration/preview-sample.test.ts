import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { previewNight } from '../../lib/usecases/run-night.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { apiGatewayEvent } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';

const asOf = '2026-11-22';
const adminToken = 'test-admin-token-preview-0123456789';
const lostOrderDays = ['2026-03-01', '2026-04-01', '2026-05-01'];
const activeOrderDays = ['2026-10-01', '2026-11-01', '2026-11-15'];

describe('a preview out of time, estimated from the segments it finished', () => {
  let shop: Awaited<ReturnType<typeof localShop>>;
  let customerIds: string[];

  beforeAll(async () => {
    // Prepare: 40 lost customers (each would get the win-back) and 40 active ones
    shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    const customers = [
      ...Array.from({ length: 40 }, (_, index) => customerFrom({ name: `Lost${index}`, orderDays: lostOrderDays })),
      ...Array.from({ length: 40 }, (_, index) => customerFrom({ name: `Active${index}`, orderDays: activeOrderDays })),
    ];
    await shop.deps.customers.putMany(customers);
    customerIds = customers.map(({ customer }) => customer.customerId);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('scans every customer and counts exactly while there is time', async () => {
    // Act
    const exact = await previewNight(shop.deps, { asOf, totalSegments: 8 });
    const intime = await previewNight(shop.deps, { asOf, totalSegments: 8, shouldStop: () => false });
    // Assess
    expect(intime.coverage).toEqual({ complete: true, segmentsScanned: 8, totalSegments: 8, fraction: 1, customersScanned: 80 });
    expect(exact.coverage.complete).toBe(true);
    expect(intime.summary.customersScanned).toBe(80);
    expect(intime.summary.campaigns).toEqual(exact.summary.campaigns);
    expect(intime.summary.campaigns['lost-winback']!.sent).toBe(40);
  });

  it('leaves out the segments it could not finish and scales the rest up, writing nothing', async () => {
    // Act: out of time from the start; the first segment always finishes, so there is a sample
    const sampled = await previewNight(shop.deps, { asOf, totalSegments: 8, segmentConcurrency: 1, shouldStop: () => true });
    // Assess
    const { coverage, summary } = sampled;
    expect(coverage).toMatchObject({ complete: false, segmentsScanned: 1, totalSegments: 8, fraction: 1 / 8 });
    expect(coverage.customersScanned).toBeLessThan(80);
    expect(summary.customersScanned).toBe(coverage.customersScanned * 8);
    expect(summary.active + summary.lost).toBe(summary.customersScanned);
    expect((summary.campaigns['lost-winback']?.sent ?? 0) % 8).toBe(0);
    expect(summary.campaigns['lost-winback']?.sent ?? 0).toBe(summary.lost);
    const ledgers = await Promise.all(customerIds.map((customerId) => shop.deps.ledger.sendsOf(customerId)));
    expect(ledgers.flat()).toEqual([]);
    expect(await shop.deps.runs.latest()).toBeUndefined();
  });

  it('answers the admin API from a sample when the function has little time left, and says so', async () => {
    // Prepare
    useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: adminToken });
    const { handler } = await import('../../functions/admin-api/handler.js');
    const request = () =>
      apiGatewayEvent('POST', '/api/campaigns/lost-winback/preview', {
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ asOf }),
      });
    // Act: 5 s left is inside the margin the preview keeps to answer; 29 s is the whole timeout
    const hurried = await handler(request(), localLambdaContext('admin-api-test', 5_000));
    const unhurried = await handler(request(), localLambdaContext('admin-api-test', 29_000));
    // Assess
    expect(hurried.statusCode).toBe(200);
    const estimate = JSON.parse(hurried.body as string) as {
      coverage: { complete: boolean; segmentsScanned: number; totalSegments: number; customersScanned: number };
      campaign: { sent: number };
    };
    expect(estimate.coverage).toMatchObject({ complete: false, segmentsScanned: 1 });
    expect(estimate.coverage.totalSegments).toBeGreaterThan(1);
    expect(estimate.coverage.customersScanned).toBeLessThan(80);
    const exact = JSON.parse(unhurried.body as string) as { coverage: { complete: boolean; customersScanned: number }; campaign: { sent: number } };
    expect(exact.coverage).toMatchObject({ complete: true, customersScanned: 80 });
    expect(exact.campaign.sent).toBe(40);
  });
});
