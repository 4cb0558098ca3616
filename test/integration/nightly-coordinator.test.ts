import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { localLambdaContext } from '../../lib/local/lambda-context.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/scheduler/${name}`, import.meta.url), 'utf8'));

afterEach(() => vi.unstubAllEnvs());

describe('the nightly coordinator Lambda handler', () => {
  it("runs the night for the scheduled time's date in the shop's time zone", async () => {
    // Prepare: 02:00 UTC on 22 Nov is 03:00 in Amsterdam, the night of 22 Nov
    const shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    const lena = customerFrom({ name: 'Lena', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await shop.deps.customers.putMany([lena]);
    useShopEnvironment(shop);
    const { handler } = await import('../../functions/nightly-coordinator/handler.js');
    // Act
    const summary = await handler(fixture('valid-scheduled-time.json'), localLambdaContext('nightly-coordinator-test'));
    // Assess
    expect(summary).toMatchObject({ asOf: '2026-11-22', customersScanned: 1, lost: 1, emailsSent: 1 });
    expect(await inboxOf(shop.sesEndpoint, lena.customer.email!)).toHaveLength(1);
  });

  it('refuses a malformed input, naming the field, before touching anything', async () => {
    // Prepare
    const { handler } = await import('../../functions/nightly-coordinator/handler.js');
    // Act
    const invoking = handler(fixture('invalid-date.json'), localLambdaContext('nightly-coordinator-test'));
    // Assess
    await expect(invoking).rejects.toThrow(/invalid night input: asOf: expected YYYY-MM-DD/);
  });
});
